// Glossary words shown where they appear: each becomes a small button that opens its meaning in
// the chosen language, with the whole glossary one fold below.
import { h } from "../dom";
import { language, t } from "../i18n";
import { findTerms, type Term, TERMS } from "./terms";

const say = (term: Term) => (language() === "hi" ? term.hi : term.en);

/** `text` as nodes, each glossary word a button that explains it. */
export function withTerms(text: string): (Node | string)[] {
  return findTerms(text).map((piece) =>
    typeof piece === "string"
      ? piece
      : h(
          "button",
          {
            type: "button",
            class: "term",
            "data-test": "term",
            "data-term": piece.word,
            title: t("glossaryOpen"),
            onclick: (e: Event) => {
              // A term inside a folded summary must not unfold or fold it.
              e.preventDefault();
              e.stopPropagation();
              showTerm(piece);
            },
          },
          piece.word,
        ),
  );
}

function showTerm(term: Term): void {
  const close = () => {
    overlay.remove();
    document.removeEventListener("keydown", onKey);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Escape") close();
  };
  const ok = h("button", { type: "button", class: "primary", "data-test": "term-close", onclick: close }, t("glossaryClose"));
  const overlay = h(
    "div",
    { class: "overlay", onclick: (e: Event) => e.target === overlay && close() },
    h(
      "div",
      { class: "dialog glossary", role: "dialog", "aria-modal": "true", "data-test": "term-dialog" },
      h("h2", {}, term.word),
      h("p", { "data-test": "term-meaning" }, say(term)),
      h(
        "details",
        {},
        h("summary", {}, t("glossaryTitle")),
        h("dl", {}, ...TERMS.flatMap((x) => [h("dt", {}, x.word), h("dd", {}, say(x))])),
      ),
      h("div", { class: "actions" }, ok),
    ),
  );
  document.addEventListener("keydown", onKey);
  document.body.append(overlay);
  ok.focus();
}
