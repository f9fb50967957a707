// How a failure is shown: what happened in the user's language, the detail for support below.
import type { ErrorReply } from "../bindings/ErrorReply";
import { h } from "../dom";
import { asErrorReply } from "../ipc";
import { language, t, type MessageKey, type Said } from "../i18n";
import { en } from "../i18n/en";

/** The sentence for a sync failure stored or sent as "code: detail", when its code has one. */
export function syncErrorWords(stored: string): string | null {
  const code = (stored.split(":", 1)[0] ?? "").trim();
  const key = `syncError_${code}`;
  return key in en ? t(key as MessageKey) : null;
}

export function errorText(e: ErrorReply): string {
  // A refused field is said in words, not as "some fields" (the first, when several are: the
  // screens that show this line send one at a time).
  const field = e.code === "invalid" ? e.fields[0] : undefined;
  if (field) return t(`field_${field.code}`);
  // A sync failure's detail starts with a code word the sync panel says in the user's language
  // (the sentence after it is the library's, in English): say it the same way here.
  if (e.code === "sync") {
    const words = syncErrorWords(e.detail);
    if (words) return words;
  }
  // Where the store says the detail in Hindi too (which column of a list to correct, the case
  // already open), it is said in her language; elsewhere the detail is the store's English.
  const detail = language() === "hi" && e.detail_hi ? e.detail_hi : e.detail;
  return t(`error_${e.code}`, { detail, count: e.count ?? "" });
}

/** A failure's sentence as a screen keeps it (see `Said`): said again in the language of the
 * moment each time the screen is drawn. */
export function errorSaid(e: unknown): Said {
  const reply = asErrorReply(e);
  return () => errorText(reply);
}

export function errorPanel(e: ErrorReply): HTMLElement {
  const said = errorText(e);
  return h(
    "section",
    { class: "error-panel", role: "alert", "data-test": "error" },
    h("h2", {}, t("error_title")),
    h("p", {}, said),
    // The detail for support, folded, unless the sentence has just said it whole.
    said.includes(e.detail) ? null : h("details", {}, h("summary", {}, t("errorDetail")), h("code", {}, e.detail)),
  );
}
