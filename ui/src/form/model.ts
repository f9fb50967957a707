// The household form's state, and its conversion to and from what the store sends and takes.
// Pure functions, so they are unit-tested without a window.
import type { Consent } from "../bindings/Consent";
import type { FieldErrorCode } from "../bindings/FieldErrorCode";
import type { Household } from "../bindings/Household";
import type { HouseholdInput } from "../bindings/HouseholdInput";
import type { LeftReason } from "../bindings/LeftReason";
import type { Relation } from "../bindings/Relation";
import type { Sex } from "../bindings/Sex";

export type BirthKind = "date" | "age" | "unknown";
/** Whether the member lives in the household, or died or moved away (kept, not counted). */
export type MemberStatus = "present" | LeftReason;

export interface MemberDraft {
  id: string | null;
  name: string;
  relation: Relation;
  sex: Sex;
  birthKind: BirthKind;
  /** The date as she typed it, day first ("15/08/1978", "15-8-78", "१५/८/१९७८"); read by
   * `parseDate` when saving, never by the webview's locale. */
  date: string;
  /** Typed age, kept as text so a half-typed value is not lost. */
  age: string;
  status: MemberStatus;
  /** When the member died or moved away, typed day first like the birth date. */
  leftOn: string;
}

export interface HouseholdDraft {
  id: string | null;
  number: number | null;
  villageId: string;
  hamletId: string;
  address: string;
  /** The mobile number as typed; the store keeps its ten digits. */
  phone: string;
  members: MemberDraft[];
  /** The family's consent on record; null for a new household or one taken from a list. */
  consent: Consent | null;
  /** Whether she has ticked that the family agreed at this visit. */
  consentAgreed: boolean;
  /** Who agreed: a member's place in the list. */
  consentRespondent: number;
}

/** A field refused before it reaches the store; codes beyond the store's are the form's own. */
export type FormErrorCode = FieldErrorCode | "age_not_number" | "date_not_valid";
export type FormErrors = Map<string, FormErrorCode>;

export function emptyMember(relation: Relation): MemberDraft {
  return { id: null, name: "", relation, sex: "female", birthKind: "age", date: "", age: "", status: "present", leftOn: "" };
}

export function emptyDraft(villageId: string): HouseholdDraft {
  return {
    id: null,
    number: null,
    villageId,
    hamletId: "",
    address: "",
    phone: "",
    members: [emptyMember("head")],
    consent: null,
    consentAgreed: false,
    consentRespondent: 0,
  };
}

/** Completed years from an ISO birth date to `today`. */
export function ageOn(birth: string, today: Date): number {
  const [y, m, d] = birth.split("-").map(Number) as [number, number, number];
  let years = today.getFullYear() - y;
  const beforeBirthday = today.getMonth() + 1 < m || (today.getMonth() + 1 === m && today.getDate() < d);
  if (beforeBirthday) years -= 1;
  return years;
}

/** A stored household as the form shows it: an estimated birth date is shown as the stated age. */
export function draftFromHousehold(h: Household, today: Date): HouseholdDraft {
  return {
    id: h.id,
    number: h.number,
    villageId: h.village_id,
    hamletId: h.hamlet_id ?? "",
    address: h.address,
    phone: h.phone,
    members: h.members.map((p) => {
      const birthKind: BirthKind =
        p.birth_date === null ? "unknown" : p.birth_date_estimated ? "age" : "date";
      return {
        id: p.id,
        name: p.name,
        relation: p.relation,
        sex: p.sex,
        birthKind,
        date: p.birth_date_estimated || p.birth_date === null ? "" : isoToDayFirst(p.birth_date),
        age: p.birth_date !== null && p.birth_date_estimated ? String(ageOn(p.birth_date, today)) : "",
        status: p.left?.reason ?? "present",
        leftOn: p.left ? isoToDayFirst(p.left.on) : "",
      };
    }),
    consent: h.consent,
    consentAgreed: false,
    consentRespondent: 0,
  };
}

const DEVANAGARI_ZERO = 0x0966;

/** `text` with Devanagari digits written as Latin ones. */
function latin(text: string): string {
  return [...text.trim()]
    .map((c) => {
      const code = c.charCodeAt(0);
      return code >= DEVANAGARI_ZERO && code <= DEVANAGARI_ZERO + 9 ? String(code - DEVANAGARI_ZERO) : c;
    })
    .join("");
}

/** Reads an age typed with Latin or Devanagari digits, with or without the word for years
 * ("४२", "50 साल", "50 years"); null when it is not a whole number. */
export function parseAge(text: string): number | null {
  const bare = latin(text)
    .replace(/\s*(साल|वर्ष|बरस|years?|yrs?)\.?$/iu, "")
    .trim();
  return /^\d{1,3}$/.test(bare) ? Number(bare) : null;
}

/** "1978-08-15" as "15/08/1978", the way the form shows a stored date. */
export function isoToDayFirst(iso: string): string {
  const [y, m, d] = iso.split("-");
  return y && m && d ? `${d}/${m}/${y}` : iso;
}

/**
 * Reads a date typed day first, as it is written in India: "15/08/1978", "15-8-78", "15.8.1978",
 * with Latin or Devanagari digits (an ISO "1978-08-15" is read too). A two-digit year is the
 * latest such year not after `today` (a birth, a day something happened), or with `ahead` the
 * first such year not before it (a day planned: "5/1/27" in 2026 is 2027, not 1927). Returns
 * the ISO date, or null when it is not a real date; it never guesses a month-first order.
 */
export function parseDate(text: string, today: Date, ahead = false): string | null {
  const t = latin(text);
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
  const dayFirst = /^(\d{1,2})[/.\-\s](\d{1,2})[/.\-\s](\d{2}|\d{4})$/.exec(t);
  let y: number, m: number, d: number;
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (dayFirst) {
    [d, m, y] = [Number(dayFirst[1]), Number(dayFirst[2]), Number(dayFirst[3])];
    if (dayFirst[3]!.length === 2) {
      const now = today.getFullYear();
      const century = now - (now % 100);
      if (ahead) y = century + y >= now ? century + y : century + 100 + y;
      else y = century + y <= now ? century + y : century - 100 + y;
    }
  } else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** The store's input for a draft, or the fields the form itself must refuse first. */
export function toInput(d: HouseholdDraft, today: Date): { input: HouseholdInput } | { errors: FormErrors } {
  const { input, errors } = readDraft(d, today);
  return errors.size > 0 ? { errors } : { input };
}

/**
 * The store's input for a draft with the fields the form refused, read leniently (a birth it
 * cannot read counts as not known), so that the store can still check everything else and every
 * problem is shown in one round.
 */
export function readDraft(d: HouseholdDraft, today: Date): { input: HouseholdInput; errors: FormErrors } {
  const errors: FormErrors = new Map();
  const members = d.members.map((m, i) => {
    let birth: HouseholdInput["members"][number]["birth"] = { kind: "unknown" };
    if (m.birthKind === "age") {
      const years = parseAge(m.age);
      if (m.age.trim() === "") errors.set(`members.${i}.birth`, "required");
      else if (years === null) errors.set(`members.${i}.birth`, "age_not_number");
      else birth = { kind: "age", years };
    } else if (m.birthKind === "date") {
      const date = parseDate(m.date, today);
      if (m.date.trim() === "") errors.set(`members.${i}.birth`, "required");
      else if (date === null) errors.set(`members.${i}.birth`, "date_not_valid");
      else birth = { kind: "date", date };
    }
    let left: HouseholdInput["members"][number]["left"] = null;
    if (m.status !== "present") {
      const on = parseDate(m.leftOn, today);
      if (m.leftOn.trim() === "") errors.set(`members.${i}.left`, "required");
      else if (on === null) errors.set(`members.${i}.left`, "date_not_valid");
      else left = { reason: m.status, on };
    }
    return { id: m.id, name: m.name, relation: m.relation, sex: m.sex, birth, left };
  });
  // Nothing of a family is saved before someone in it agrees; the store refuses it too.
  if (d.consent === null && !d.consentAgreed) errors.set("consent", "consent_required");
  return {
    input: {
      id: d.id,
      village_id: d.villageId,
      hamlet_id: d.hamletId === "" ? null : d.hamletId,
      address: d.address,
      phone: d.phone,
      members,
      consent: d.consentAgreed ? { respondent: d.consentRespondent } : null,
    },
    errors,
  };
}

/** A field of a record that a merge leaves out, with what that record said. */
export type MergeLeftOut =
  | { field: "name"; value: string }
  | { field: "sex"; value: Sex }
  | { field: "relation"; value: Relation }
  | { field: "birthDate"; value: string }
  | { field: "ageYears"; value: string }
  | { field: "memberStatus"; value: LeftReason; on: string };

/**
 * What the record `gone` says that the merge into `kept` does not keep, by the store's rules
 * (`core/src/member_merge.rs`): the kept record's name, sex and relation stay; it takes the other's
 * date of birth only where it has none, or has only an age while the other has the date; the head's
 * relation passes to it; a departure of the other record is not taken. The confirmation lists these,
 * so that a supervisor who merged the wrong two records, or the right two the wrong way round, sees
 * what would be lost before it is.
 */
export function mergeLeavesOut(gone: MemberDraft, kept: MemberDraft): MergeLeftOut[] {
  const out: MergeLeftOut[] = [];
  if (gone.name.trim() !== kept.name.trim()) out.push({ field: "name", value: gone.name.trim() });
  if (gone.sex !== kept.sex) out.push({ field: "sex", value: gone.sex });
  if (gone.relation !== kept.relation && gone.relation !== "head") out.push({ field: "relation", value: gone.relation });
  const taken = kept.birthKind === "unknown" || (kept.birthKind === "age" && gone.birthKind === "date");
  if (!taken) {
    if (gone.birthKind === "date" && !(kept.birthKind === "date" && kept.date === gone.date)) {
      out.push({ field: "birthDate", value: gone.date });
    } else if (gone.birthKind === "age" && !(kept.birthKind === "age" && kept.age === gone.age)) {
      out.push({ field: "ageYears", value: gone.age });
    }
  }
  if (gone.status !== "present" && kept.status === "present") {
    out.push({ field: "memberStatus", value: gone.status, on: gone.leftOn });
  }
  return out;
}
