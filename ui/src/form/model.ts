// The household form's state, and its conversion to and from what the store sends and takes.
// Pure functions, so they are unit-tested without a window.
import type { FieldErrorCode } from "../bindings/FieldErrorCode";
import type { Household } from "../bindings/Household";
import type { HouseholdInput } from "../bindings/HouseholdInput";
import type { Relation } from "../bindings/Relation";
import type { Sex } from "../bindings/Sex";

export type BirthKind = "date" | "age" | "unknown";

export interface MemberDraft {
  id: string | null;
  name: string;
  relation: Relation;
  sex: Sex;
  birthKind: BirthKind;
  /** ISO date, as an `<input type=date>` gives it. */
  date: string;
  /** Typed age, kept as text so a half-typed value is not lost. */
  age: string;
}

export interface HouseholdDraft {
  id: string | null;
  number: number | null;
  villageId: string;
  hamletId: string;
  address: string;
  members: MemberDraft[];
}

/** A field refused before it reaches the store; codes beyond the store's are the form's own. */
export type FormErrorCode = FieldErrorCode | "age_not_number";
export type FormErrors = Map<string, FormErrorCode>;

export function emptyMember(relation: Relation): MemberDraft {
  return { id: null, name: "", relation, sex: "female", birthKind: "age", date: "", age: "" };
}

export function emptyDraft(villageId: string): HouseholdDraft {
  return { id: null, number: null, villageId, hamletId: "", address: "", members: [emptyMember("head")] };
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
    members: h.members.map((p) => {
      const birthKind: BirthKind =
        p.birth_date === null ? "unknown" : p.birth_date_estimated ? "age" : "date";
      return {
        id: p.id,
        name: p.name,
        relation: p.relation,
        sex: p.sex,
        birthKind,
        date: p.birth_date_estimated ? "" : (p.birth_date ?? ""),
        age: p.birth_date !== null && p.birth_date_estimated ? String(ageOn(p.birth_date, today)) : "",
      };
    }),
  };
}

const DEVANAGARI_ZERO = 0x0966;

/** Reads an age typed with Latin or Devanagari digits ("४२" is 42); null when it is not a whole number. */
export function parseAge(text: string): number | null {
  const latin = [...text.trim()]
    .map((c) => {
      const code = c.charCodeAt(0);
      return code >= DEVANAGARI_ZERO && code <= DEVANAGARI_ZERO + 9 ? String(code - DEVANAGARI_ZERO) : c;
    })
    .join("");
  return /^\d{1,3}$/.test(latin) ? Number(latin) : null;
}

/** The store's input for a draft, or the fields the form itself must refuse first. */
export function toInput(d: HouseholdDraft): { input: HouseholdInput } | { errors: FormErrors } {
  const errors: FormErrors = new Map();
  const members = d.members.map((m, i) => {
    let birth: HouseholdInput["members"][number]["birth"] = { kind: "unknown" };
    if (m.birthKind === "age") {
      const years = parseAge(m.age);
      if (m.age.trim() === "") errors.set(`members.${i}.birth`, "required");
      else if (years === null) errors.set(`members.${i}.birth`, "age_not_number");
      else birth = { kind: "age", years };
    } else if (m.birthKind === "date") {
      if (m.date === "") errors.set(`members.${i}.birth`, "required");
      else birth = { kind: "date", date: m.date };
    }
    return { id: m.id, name: m.name, relation: m.relation, sex: m.sex, birth };
  });
  if (errors.size > 0) return { errors };
  return {
    input: {
      id: d.id,
      village_id: d.villageId,
      hamlet_id: d.hamletId === "" ? null : d.hamletId,
      address: d.address,
      members,
    },
  };
}
