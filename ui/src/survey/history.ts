// A finished survey read back as the questions asked and the answers given, in the chosen
// language: what the household's survey history shows for each submission. Pure, so that the
// words an answer is shown in are tested without a window.
import type { SurveyAnswers } from "../bindings/SurveyAnswers";
import type { SurveyForm } from "../bindings/SurveyForm";
import type { SurveyItem } from "../bindings/SurveyItem";
import type { SurveyText } from "../bindings/SurveyText";
import { dateWords } from "../i18n";
import { interpolate } from "./model";

export interface AnswerLine {
  label: string;
  value: string;
}

export interface AnswerSection {
  /** Null for the household's own questions; the roster's instance (from 0) for a member's. */
  instance: number | null;
  /** For a member, the first text answer of their section (their name). */
  name: string | null;
  lines: AnswerLine[];
}

/** Kinds that hold no answer of their own. */
const SILENT = new Set(["note", "calculate", "metadata", "group", "repeat"]);

function pick(text: SurveyText | null, lang: "en" | "hi"): string {
  if (text === null) return "";
  return lang === "hi" ? text.hi || text.en : text.en || text.hi;
}

/** An answer in words: a choice's label (each of several, for a select_multiple), else as stored. */
export function answerWords(form: SurveyForm, item: SurveyItem, value: string, lang: "en" | "hi"): string {
  // A date answer is kept as 2024-03-21 and read as a person says it, as the other dates shown.
  if (item.kind === "date") return dateWords(value, lang);
  if (item.kind !== "select_one" && item.kind !== "select_multiple") return value;
  const choices = item.list === null ? [] : (form.lists[item.list] ?? []);
  const word = (name: string) => {
    const c = choices.find((x) => x.name === name);
    return c ? pick(c.label, lang) : name;
  };
  return item.kind === "select_one" ? word(value) : value.split(/\s+/).filter((v) => v !== "").map(word).join(", ");
}

/** The answered questions of `items` (groups walked through), in the form's order. */
function linesOf(form: SurveyForm, items: SurveyItem[], answers: Record<string, string>, lang: "en" | "hi"): AnswerLine[] {
  const out: AnswerLine[] = [];
  for (const item of items) {
    if (item.kind === "group") {
      out.push(...linesOf(form, item.children, answers, lang));
      continue;
    }
    if (SILENT.has(item.kind)) continue;
    const value = answers[item.name];
    if (value === undefined || value === "") continue;
    // A label that shows an answer ("Is ${m_name} pregnant?") reads the answers beside it.
    const label = interpolate(pick(item.label, lang) || item.name, (name) => answers[name] ?? "");
    out.push({ label, value: answerWords(form, item, value, lang) });
  }
  return out;
}

function firstText(items: SurveyItem[], answers: Record<string, string>): string | null {
  for (const item of items) {
    if (item.kind === "group") {
      const found = firstText(item.children, answers);
      if (found !== null) return found;
    } else if (item.kind === "text" && (answers[item.name] ?? "") !== "") {
      return answers[item.name]!;
    }
  }
  return null;
}

function repeatsOf(items: SurveyItem[]): SurveyItem[] {
  return items.flatMap((i) => (i.kind === "repeat" ? [i] : i.kind === "group" ? repeatsOf(i.children) : []));
}

/** The household's answers first, then each member's, as sections of lines. */
export function answerSections(form: SurveyForm, answers: SurveyAnswers, lang: "en" | "hi"): AnswerSection[] {
  const sections: AnswerSection[] = [{ instance: null, name: null, lines: linesOf(form, form.items, answers.values, lang) }];
  for (const repeat of repeatsOf(form.items)) {
    (answers.repeats[repeat.name] ?? []).forEach((member, i) => {
      sections.push({ instance: i, name: firstText(repeat.children, member), lines: linesOf(form, repeat.children, member, lang) });
    });
  }
  return sections;
}

