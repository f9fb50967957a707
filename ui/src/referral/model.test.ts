import { describe, expect, it } from "vitest";
import type { FindingView } from "../bindings/FindingView";
import type { ReferralSummary } from "../bindings/ReferralSummary";
import { movesAllowed, referAllPlan } from "./model";

function finding(scheme: string, member: string | null, outcome: FindingView["outcome"], counted: string | null = null): FindingView {
  return { scheme, member_id: member, outcome, missing: [], checks: [], group_rule: null, counted_under: counted, alternatives: [] };
}

function referral(code: string, member: string | null, stage: ReferralSummary["stage"]): ReferralSummary {
  return {
    id: `${code}-${member}`,
    number: "L-1",
    household_id: "h",
    household_number: 1,
    member_id: member,
    person: "",
    need: { type: "scheme", code },
    need_name: { en: code, hi: code },
    stage,
    level: "village",
    due_on: "2026-12-31",
    overdue: false,
    next_visit: null,
    missing_documents: 0,
    days_in_stage: 0,
    reason: null,
  };
}

describe("refer all eligible", () => {
  const findings = [
    finding("WIDOW", "a", "eligible"),
    finding("OLD_AGE", "a", "eligible", "WIDOW"),
    finding("OSC", "a", "eligible"),
    finding("PMJAY", null, "eligible"),
    finding("RATION", null, "undetermined"),
    finding("PMMVY", "b", "eligible"),
    finding("JSY", "b", "eligible"),
  ];
  const isService = (code: string) => code === "OSC";

  it("opens one referral per eligible entitlement that has no open case", () => {
    const open = [referral("PMMVY", "b", "submitted"), referral("JSY", "b", "rejected")];
    const plan = referAllPlan("h", findings, open, isService);
    expect(plan.map((p) => `${p.need.type === "scheme" ? p.need.code : ""}|${p.member_id ?? ""}`)).toEqual([
      "WIDOW|a",
      "PMJAY|",
      "JSY|b",
    ]);
    expect(plan.every((p) => p.household_id === "h" && p.documents.length === 0)).toBe(true);
  });
});

describe("the case screen's buttons", () => {
  it("follow the store's allowed list in screen order, leaving checklist and notes to their own controls", () => {
    expect(movesAllowed(["note", "escalate", "submit", "document", "withdraw"])).toEqual(["submit", "withdraw", "escalate"]);
  });
});
