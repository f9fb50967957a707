// A question asked inside the app, in the chosen language and font, instead of the webview's
// own dialog (titled "JavaScript - tauri://localhost", in the system's language, with Hindi drawn
// as boxes where the system has no Devanagari font).
import { h } from "../dom";
import { t } from "../i18n";
import type { MessageKey } from "../i18n";

/**
 * Shows a dialog of `content` with the buttons `no` (focused first, so that Enter never does the
 * irreversible thing by accident) and `yes`; resolves `answer()` when she presses `yes`, null
 * for `no` or Escape. `test` names the dialog and its buttons for the window tests.
 */
function ask<T>(content: HTMLElement[], yes: MessageKey, no: MessageKey, answer: () => T, test: string, focus?: HTMLElement): Promise<T | null> {
  return new Promise((resolve) => {
    const close = (value: T | null) => {
      overlay.remove();
      document.removeEventListener("keydown", onKey);
      resolve(value);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") close(null);
    };
    const stay = h("button", { type: "button", class: "primary", "data-test": `${test}-no`, onclick: () => close(null) }, t(no));
    const overlay = h(
      "div",
      { class: "overlay" },
      h(
        "div",
        { class: "dialog", role: "alertdialog", "aria-modal": "true", "data-test": `${test}-dialog` },
        ...content,
        h(
          "div",
          { class: "actions" },
          stay,
          h("button", { type: "button", class: "secondary", "data-test": `${test}-yes`, onclick: () => close(answer()) }, t(yes)),
        ),
      ),
    );
    document.addEventListener("keydown", onKey);
    document.body.append(overlay);
    (focus ?? stay).focus();
  });
}

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
  return ask([h("p", {}, question), select], yes, no, () => select.value, "choose", select);
}

/**
 * Asks `question`; resolves true when she chooses `yes`, false for `no` or Escape. `details`, when
 * given, follow the question as a list, under their own heading.
 */
export async function confirmInApp(
  question: string,
  yes: MessageKey,
  no: MessageKey,
  details?: { heading: string; items: string[] },
): Promise<boolean> {
  const content: HTMLElement[] = [h("p", {}, question)];
  if (details && details.items.length > 0) {
    content.push(
      h("p", { class: "details-heading" }, details.heading),
      h("ul", { class: "details", "data-test": "confirm-details" }, ...details.items.map((i) => h("li", {}, i))),
    );
  }
  return (await ask(content, yes, no, () => true, "confirm")) === true;
}
