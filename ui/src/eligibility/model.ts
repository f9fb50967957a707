// Pure logic of the eligibility screen: grouping decisions by person and outcome, and turning
// what the facilitator typed into the value the store expects.
import type { FactInput } from "../bindings/FactInput";
import type { FindingView } from "../bindings/FindingView";
import type { HouseholdEligibility } from "../bindings/HouseholdEligibility";
import type { OutcomeKind } from "../bindings/OutcomeKind";
import { parseDate } from "../form/model";

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
      if (typeof raw !== "string") return { error: "invalid_value" };
      return raw === "" ? { error: "required" } : { value: raw };
    case "date": {
      // Typed day first, as the household form's date of birth (`parseDate`): never read month first.
      if (typeof raw !== "string") return { error: "invalid_value" };
      if (raw.trim() === "") return { error: "required" };
      const day = parseDate(raw, new Date());
      return day === null ? { error: "invalid_value" } : { value: day };
    }
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

/** What one subject can get now: each entry a scheme, or alternatives of which one is paid. */
export interface SummaryLine {
  memberId: string | null;
  name: string | null;
  /** Scheme codes; more than one means "one of these". */
  entries: string[][];
}

export interface FamilySummary {
  lines: SummaryLine[];
  /** Scheme codes whose documents and places the summary lists, in the order first met. */
  schemes: string[];
}

/**
 * The top of the page: what the family and each member can get now (eligible entitlements,
 * services left out), alternatives grouped as "one of", and the schemes whose documents to bring
 * and places to go the page lists once for all.
 */
export function summarise(e: HouseholdEligibility, isService: (code: string) => boolean): FamilySummary {
  const lines: SummaryLine[] = [];
  const schemes: string[] = [];
  for (const g of groupFindings(e)) {
    const eligible = g.byOutcome.eligible.filter((f) => !isService(f.scheme));
    const entries: string[][] = [];
    const placed = new Set<string>();
    for (const f of eligible) {
      if (placed.has(f.scheme)) continue;
      const group = [f.scheme, ...f.alternatives.filter((a) => eligible.some((x) => x.scheme === a))];
      group.forEach((c) => placed.add(c));
      entries.push(group);
      for (const c of group) if (!schemes.includes(c)) schemes.push(c);
    }
    if (entries.length > 0) lines.push({ memberId: g.memberId, name: g.name, entries });
  }
  return { lines, schemes };
}
