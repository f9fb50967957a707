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

/** The centre's calendar day (India, UTC+5:30, no daylight saving) of an instant stored in UTC,
 * as YYYY-MM-DD: the day the store itself counts a survey on. An instant's own first ten
 * characters are the day in Greenwich, the day before for anything done before 5:30 in the
 * morning here. */
export function indiaDay(utc: string): string {
  return new Date(Date.parse(utc) + 330 * 60_000).toISOString().slice(0, 10);
}

/** The day of an instant stored in UTC, in words, as the centre's calendar has it. */
export function instantWords(utc: string, lang: Language = current): string {
  return dateWords(indiaDay(utc), lang);
}

/** The time of day of an instant stored in UTC, on the centre's clock (India), whatever zone the
 * laptop itself is set to. */
export function timeWords(utc: string, lang: Language = current): string {
  return new Date(utc).toLocaleTimeString(lang === "hi" ? "hi-IN" : "en-IN", {
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "Asia/Kolkata",
  });
}

/** An amount in rupees with the Indian grouping of digits, as scheme texts write it: ₹1,20,000. */
export function rupees(amount: number): string {
  return `₹${new Intl.NumberFormat("en-IN").format(amount)}`;
}

/** A message kept on a screen and said when the screen is drawn, so that it follows a switch of
 * language rather than staying in the one it was first said in. */
export type Said = () => string;

/** No message. */
export const unsaid: Said = () => "";

/** A place or other record named in both languages, shown in the current one. */
export function localName(named: { name_en: string; name_hi: string }): string {
  return current === "hi" ? named.name_hi : named.name_en;
}

export type { MessageKey };
