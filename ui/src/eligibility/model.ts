// Pure logic of the eligibility screen: grouping decisions by person and outcome, and turning
// what the facilitator typed into the value the store expects.
import type { FactInput } from "../bindings/FactInput";
import type { FindingView } from "../bindings/FindingView";
import type { HouseholdEligibility } from "../bindings/HouseholdEligibility";
import type { OutcomeKind } from "../bindings/OutcomeKind";

export const OUTCOME_ORDER: OutcomeKind[] = ["eligible", "undetermined", "already_receiving", "not_eligible"];

export interface SubjectGroup {
  /** The member, or null for decisions about the whole household. */
  memberId: string | null;
  name: string | null;
  byOutcome: Record<OutcomeKind, FindingView[]>;
}

/** Household decisions first, then each member's, in household order; empty groups are left out. */
export function groupFindings(e: HouseholdEligibility): SubjectGroup[] {
  const subjects: { memberId: string | null; name: string | null }[] = [
    { memberId: null, name: null },
    ...e.members.map((m) => ({ memberId: m.id, name: m.name })),
  ];
  return subjects
    .map((s) => {
      const byOutcome: Record<OutcomeKind, FindingView[]> = {
        eligible: [],
        undetermined: [],
        already_receiving: [],
        not_eligible: [],
      };
      for (const f of e.findings) if (f.member_id === s.memberId) byOutcome[f.outcome].push(f);
      return { ...s, byOutcome };
    })
    .filter((g) => OUTCOME_ORDER.some((o) => g.byOutcome[o].length > 0));
}

const DEVANAGARI_ZERO = 0x0966;

/** Latin digits for Devanagari ones, so "४५०००" reads as 45000. */
export function latinDigits(text: string): string {
  return [...text.trim()]
    .map((c) => {
      const code = c.charCodeAt(0);
      return code >= DEVANAGARI_ZERO && code <= DEVANAGARI_ZERO + 9 ? String(code - DEVANAGARI_ZERO) : c;
    })
    .join("")
    .replace(/[,\s₹]/g, "");
}

export type Parsed = { value: unknown } | { error: "invalid_value" | "required" };

/** The value to store for a typed or chosen answer; null means "don't know". */
export function answerValue(input: FactInput, raw: string | string[] | boolean | null): Parsed {
  if (raw === null) return { value: null };
  switch (input.kind) {
    case "bool":
      return typeof raw === "boolean" ? { value: raw } : { error: "invalid_value" };
    case "set":
      return Array.isArray(raw) ? { value: raw } : { error: "invalid_value" };
    case "enum":
    case "date":
      if (typeof raw !== "string") return { error: "invalid_value" };
      return raw === "" ? { error: "required" } : { value: raw };
    case "int":
    case "money":
    case "birth": {
      if (typeof raw !== "string") return { error: "invalid_value" };
      const text = latinDigits(raw);
      if (text === "") return { error: "required" };
      if (input.kind === "birth" && /^\d{4}-\d{2}-\d{2}$/.test(text)) return { value: text };
      return /^\d{1,9}$/.test(text) ? { value: Number(text) } : { error: "invalid_value" };
    }
    case "decimal": {
      if (typeof raw !== "string") return { error: "invalid_value" };
      const text = latinDigits(raw);
      if (text === "") return { error: "required" };
      return /^\d+(\.\d+)?$/.test(text) ? { value: Number(text) } : { error: "invalid_value" };
    }
    default:
      return { error: "invalid_value" };
  }
}
