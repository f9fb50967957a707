// How a failure is shown: what happened in the user's language, the detail for support below.
import type { ErrorReply } from "../bindings/ErrorReply";
import { h } from "../dom";
import { t } from "../i18n";

export function errorText(e: ErrorReply): string {
  // A refused field is said in words, not as "some fields" (the first, when several are: the
  // screens that show this line send one at a time).
  const field = e.code === "invalid" ? e.fields[0] : undefined;
  if (field) return t(`field_${field.code}`);
  return t(`error_${e.code}`, { detail: e.detail, count: e.count ?? "" });
}

export function errorPanel(e: ErrorReply): HTMLElement {
  return h(
    "section",
    { class: "error-panel", role: "alert", "data-test": "error" },
    h("h2", {}, t("error_title")),
    h("p", {}, errorText(e)),
    h("details", {}, h("summary", {}, t("errorDetail")), h("code", {}, e.detail)),
  );
}
