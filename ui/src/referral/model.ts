// The referral screens' pure logic: which actions the case screen offers as buttons, which need a
// reason or a date, and which eligible findings "refer all" would open.
import type { FindingView } from "../bindings/FindingView";
import type { ReferralSummary } from "../bindings/ReferralSummary";
import type { NewReferral } from "../bindings/NewReferral";

/** The stage-moving actions, in the order the case screen shows them. */
export const MOVES = ["documents_pending", "submit", "process", "sanction", "receive", "reject", "withdraw", "escalate", "reopen"] as const;
export type Move = (typeof MOVES)[number];

/** Actions that ask the facilitator why. */
export const NEEDS_REASON: ReadonlySet<string> = new Set(["reject", "withdraw", "escalate", "reopen"]);

/** The moves allowed now, from the store's list, in screen order. */
export function movesAllowed(allowed: readonly string[]): Move[] {
  return MOVES.filter((m) => allowed.includes(m));
}

/** The key that ties a referral to a finding: the scheme and the person (or the household). */
export function subjectKey(scheme: string, memberId: string | null): string {
  return `${scheme}|${memberId ?? ""}`;
}

/** The latest referral of each scheme and person, newest first in `list`. */
export function latestBySubject(list: readonly ReferralSummary[]): Map<string, ReferralSummary> {
  const out = new Map<string, ReferralSummary>();
  for (const r of list) {
    if (r.need.type !== "scheme") continue;
    const key = subjectKey(r.need.code, r.member_id);
    if (!out.has(key)) out.set(key, r);
  }
  return out;
}

const OPEN = new Set(["identified", "documents_pending", "submitted", "under_process", "sanctioned"]);

/** Whether a case still needs work. */
export function isOpen(r: ReferralSummary): boolean {
  return OPEN.has(r.stage);
}

/**
 * What "refer all eligible" would open for a household: every eligible entitlement (not a
 * service) of every person that has no open referral for it yet, once per person and scheme.
 */
export function referAllPlan(
  householdId: string,
  findings: readonly FindingView[],
  referrals: readonly ReferralSummary[],
  isService: (code: string) => boolean,
): NewReferral[] {
  const latest = latestBySubject(referrals);
  const seen = new Set<string>();
  const plan: NewReferral[] = [];
  for (const f of findings) {
    if (f.outcome !== "eligible" || isService(f.scheme) || f.counted_under !== null) continue;
    const key = subjectKey(f.scheme, f.member_id);
    const existing = latest.get(key);
    if (seen.has(key) || (existing !== undefined && isOpen(existing))) continue;
    seen.add(key);
    plan.push({ household_id: householdId, member_id: f.member_id, need: { type: "scheme", code: f.scheme }, documents: [], notes: "" });
  }
  return plan;
}
