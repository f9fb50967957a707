// A question asked inside the app, in the chosen language and font, instead of the webview's
// own dialog (titled "JavaScript - tauri://localhost", in the system's language, with Hindi drawn
// as boxes where the system has no Devanagari font).
import { h } from "../dom";
import { t } from "../i18n";
import type { MessageKey } from "../i18n";

/**
 * Asks `question` with a list of `choices` (value and label); resolves the value chosen when she
 * presses `yes`, null for `no` or Escape.
 */
export function chooseInApp(
  question: string,
  choices: { value: string; label: string }[],
  yes: MessageKey,
  no: MessageKey,
): Promise<string | null> {
  const select = h(
    "select",
    { "data-test": "choose-which", "aria-label": question },
    ...choices.map((c) => h("option", { value: c.value }, c.label)),
  ) as HTMLSelectElement;
  return new Promise((resolve) => {
    const close = (answer: string | null) => {
      overlay.remove();
      document.removeEventListener("keydown", onKey);
      resolve(answer);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close(null);
    };
    const stay = h("button", { type: "button", class: "primary", "data-test": "choose-no", onclick: () => close(null) }, t(no));
    const overlay = h(
      "div",
      { class: "overlay" },
      h(
        "div",
        { class: "dialog", role: "dialog", "aria-modal": "true", "data-test": "choose-dialog" },
        h("p", {}, question),
        select,
        h(
          "div",
          { class: "actions" },
          stay,
          h("button", { type: "button", class: "secondary", "data-test": "choose-yes", onclick: () => close(select.value) }, t(yes)),
        ),
      ),
    );
    document.addEventListener("keydown", onKey);
    document.body.append(overlay);
    select.focus();
  });
}

/** Asks `question`; resolves true when she chooses `yes`, false for `no` or Escape. */
export function confirmInApp(question: string, yes: MessageKey, no: MessageKey): Promise<boolean> {
  return new Promise((resolve) => {
    const close = (answer: boolean) => {
      overlay.remove();
      document.removeEventListener("keydown", onKey);
      resolve(answer);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close(false);
    };
    const stay = h("button", { type: "button", class: "primary", "data-test": "confirm-no", onclick: () => close(false) }, t(no));
    const overlay = h(
      "div",
      { class: "overlay" },
      h(
        "div",
        { class: "dialog", role: "alertdialog", "aria-modal": "true", "data-test": "confirm-dialog" },
        h("p", {}, question),
        h(
          "div",
          { class: "actions" },
          stay,
          h("button", { type: "button", class: "secondary", "data-test": "confirm-yes", onclick: () => close(true) }, t(yes)),
        ),
      ),
    );
    document.addEventListener("keydown", onKey);
    document.body.append(overlay);
    stay.focus();
  });
}
