// The survey screen's pure part: where each answer sits, and how what is typed becomes the
// answer the form's logic reads (dates day first, digits in either script).
import type { SurveyAnswers } from "../bindings/SurveyAnswers";
import type { SurveyItem } from "../bindings/SurveyItem";
import type { SurveyQuestion } from "../bindings/SurveyQuestion";
import { parseDate } from "../form/model";

/** One answer's place: a question, and its instance (from 0) inside the roster. */
export interface Slot {
  name: string;
  instance: number | null;
}

export function slotKey(s: Slot): string {
  return s.instance === null ? s.name : `${s.name}@${s.instance}`;
}

const DEVANAGARI_DIGITS = "०१२३४५६७८९";

/** Latin digits for Devanagari ones, so "४२" is read as 42. */
export function latinDigits(text: string): string {
  return text.replace(/[०-९]/g, (d) => String(DEVANAGARI_DIGITS.indexOf(d)));
}

/**
 * The answer the logic reads for what was typed into a question of `kind`: a date typed day
 * first becomes ISO (what cannot be read is kept as typed, so the logic refuses it at its
 * question rather than losing it), numbers lose their spaces and Devanagari digits.
 */
export function answerOf(kind: string, typed: string, today: Date): string {
  const text = typed.trim();
  if (text === "") return "";
  if (kind === "date") return parseDate(text, today) ?? text;
  if (kind === "integer" || kind === "decimal") return latinDigits(text).replace(/[\s,]/g, "");
  return text;
}

/** The stored answer of `slot` as typed (undefined: never answered). */
export function typedAnswer(answers: SurveyAnswers, roster: string | null, slot: Slot): string | undefined {
  if (slot.instance === null) return answers.values[slot.name];
  if (roster === null) return undefined;
  return answers.repeats[roster]?.[slot.instance]?.[slot.name];
}

/** Sets `slot`'s answer, growing the roster's instances as needed. */
export function setAnswer(answers: SurveyAnswers, roster: string | null, slot: Slot, value: string): void {
  if (slot.instance === null) {
    answers.values[slot.name] = value;
    return;
  }
  if (roster === null) return;
  const list = (answers.repeats[roster] ??= []);
  while (list.length <= slot.instance) list.push({});
  list[slot.instance]![slot.name] = value;
}

/** The roster: the first repeat of the form (the baseline survey has one). */
export function rosterOf(items: SurveyItem[]): SurveyItem | null {
  for (const i of items) {
    if (i.kind === "repeat") return i;
    const inner = rosterOf(i.children);
    if (inner) return inner;
  }
  return null;
}

/** Whether anything inside group `g` (in `instance`) is shown, so an empty group is hidden too. */
export function groupShown(g: SurveyItem, instance: number | null, shown: Set<string>): boolean {
  return g.children.some((c) =>
    c.kind === "group" ? groupShown(c, instance, shown) : shown.has(slotKey({ name: c.name, instance })),
  );
}

/** The keys of the questions among `questions` that the logic shows. */
export function shownKeys(questions: SurveyQuestion[]): Set<string> {
  return new Set(questions.filter((q) => q.relevant).map((q) => slotKey({ name: q.name, instance: q.instance })));
}

/** Whether a label or hint shows an answer, as `${name}`. */
export function showsAnswers(text: string): boolean {
  return /\$\{[^}]+\}/.test(text);
}

/**
 * `text` with each `${name}` replaced by what `answer(name)` gives, or "…" while it is not
 * answered: "Is ${m_name} pregnant?" reads "Is Salma pregnant?" as soon as her name is typed.
 */
export function interpolate(text: string, answer: (name: string) => string): string {
  return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = answer(name);
    return value === "" ? "…" : value;
  });
}
