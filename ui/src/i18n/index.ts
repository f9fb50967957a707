// Translation: every string the user sees comes from here, in the language they chose.
import type { Language } from "../bindings/Language";
import { en, type MessageKey, type Messages } from "./en";
import { hi } from "./hi";

export const catalogues: Record<Language, Messages> = { en, hi };

let current: Language = "hi";

export function setLanguage(language: Language): void {
  current = language;
  document.documentElement.lang = language;
}

export function language(): Language {
  return current;
}

/** The message `key` in the current language, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return format(catalogues[current][key], vars);
}

export function format(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** An ISO date (YYYY-MM-DD) in words, as a person reads it: "1 December 2026", "1 दिसंबर 2026". */
export function dateWords(iso: string, lang: Language = current): string {
  const [y, m, d] = iso.split("-").map(Number);
  if (!y || !m || !d || m < 1 || m > 12) return iso;
  return `${d} ${catalogues[lang].months.split(",")[m - 1]} ${y}`;
}

/** A place or other record named in both languages, shown in the current one. */
export function localName(named: { name_en: string; name_hi: string }): string {
  return current === "hi" ? named.name_hi : named.name_en;
}

export type { MessageKey };
