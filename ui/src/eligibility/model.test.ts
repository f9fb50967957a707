import { describe, expect, it } from "vitest";
import type { FactInput } from "../bindings/FactInput";
import type { HouseholdEligibility } from "../bindings/HouseholdEligibility";
import { answerValue, groupFindings, summarise } from "./model";

const input = (kind: string): FactInput => ({ kind, options: [] });

describe("answerValue", () => {
  it.each([
    ["bool", true, { value: true }],
    ["bool", "yes", { error: "invalid_value" }],
    ["money", "४५,०००", { value: 45000 }],
    ["money", "₹ 12000", { value: 12000 }],
    ["money", "", { error: "required" }],
    ["int", "4.5", { error: "invalid_value" }],
    ["decimal", "2.5", { value: 2.5 }],
    ["decimal", "०.७५", { value: 0.75 }],
    ["birth", "६२", { value: 62 }],
    ["birth", "1964-03-10", { value: "1964-03-10" }],
    ["enum", "bpl", { value: "bpl" }],
    ["enum", "", { error: "required" }],
    ["set", ["d5_sc_st"], { value: ["d5_sc_st"] }],
    ["date", "15/08/2024", { value: "2024-08-15" }],
    ["date", "१५-८-२०२४", { value: "2024-08-15" }],
    ["date", "2024-08-15", { value: "2024-08-15" }],
    ["date", "08/15/2024", { error: "invalid_value" }],
    ["date", " ", { error: "required" }],
    ["money", null, { value: null }],
  ])("%s answer %j is %j", (kind, raw, want) => {
    expect(answerValue(input(kind), raw as string | string[] | boolean | null)).toEqual(want);
  });
});

describe("groupFindings", () => {
  it("puts household decisions first, then members in order, by outcome", () => {
    const e = {
      as_of: "2026-11-23",
      members: [
        { id: "a", name: "A" },
        { id: "b", name: "B" },
      ],
      schemes: [],
      questions: [],
      vulnerability: { level: "other", at_least: "other", at_most: "other", reasons: [], ask: [] },
      findings: [
        { scheme: "S1", member_id: "b", outcome: "eligible", missing: [], checks: [], group_rule: null, counted_under: null, alternatives: [] },
        { scheme: "S2", member_id: null, outcome: "undetermined", missing: ["household.bpl_status"], checks: [], group_rule: null, counted_under: null, alternatives: [] },
        { scheme: "S3", member_id: "b", outcome: "not_eligible", missing: [], checks: [], group_rule: null, counted_under: null, alternatives: [] },
      ],
    } as HouseholdEligibility;
    const groups = groupFindings(e);
    expect(groups.map((g) => g.memberId)).toEqual([null, "b"]);
    expect(groups[1]!.byOutcome.eligible.map((f) => f.scheme)).toEqual(["S1"]);
    expect(groups[1]!.byOutcome.not_eligible.map((f) => f.scheme)).toEqual(["S3"]);
    expect(groups[0]!.byOutcome.undetermined.map((f) => f.scheme)).toEqual(["S2"]);
  });
});

describe("summarise", () => {
  it("lists what each subject can get, alternatives as one entry, services left out", () => {
    const finding = (scheme: string, member_id: string | null, outcome: string, alternatives: string[] = []) => ({
      scheme, member_id, outcome, missing: [], checks: [], group_rule: null, counted_under: null, alternatives,
    });
    const e = {
      as_of: "2026-11-23",
      members: [{ id: "a", name: "शांति देवी" }],
      schemes: [],
      questions: [],
      findings: [
        finding("NFSA_PHH", null, "eligible"),
        finding("NSAP_IGNWPS", "a", "eligible", ["NSAP_IGNOAPS", "BR_MVPY"]),
        finding("NSAP_IGNOAPS", "a", "eligible", ["NSAP_IGNWPS", "BR_MVPY"]),
        finding("BR_MVPY", "a", "eligible", ["NSAP_IGNWPS", "NSAP_IGNOAPS"]),
        finding("OSC", "a", "eligible"),
        finding("PMJDY", "a", "undetermined"),
      ],
    } as unknown as HouseholdEligibility;
    const s = summarise(e, (code) => code === "OSC");
    expect(s.lines).toEqual([
      { memberId: null, name: null, entries: [["NFSA_PHH"]] },
      { memberId: "a", name: "शांति देवी", entries: [["NSAP_IGNWPS", "NSAP_IGNOAPS", "BR_MVPY"]] },
    ]);
    expect(s.schemes).toEqual(["NFSA_PHH", "NSAP_IGNWPS", "NSAP_IGNOAPS", "BR_MVPY"]);
  });
});
