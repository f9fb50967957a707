import { describe, expect, it } from "vitest";
import { answerOf, groupShown, interpolate, latinDigits, setAnswer, showsAnswers, slotKey, typedAnswer } from "./model";
import type { SurveyAnswers } from "../bindings/SurveyAnswers";
import type { SurveyItem } from "../bindings/SurveyItem";

const today = new Date("2026-11-30T12:00:00");

describe("what is typed becomes the answer the logic reads", () => {
  it.each([
    ["date", "15/08/1978", "1978-08-15"],
    ["date", "१५-८-७८", "1978-08-15"],
    ["date", "31/02/1990", "31/02/1990"],
    ["integer", "४२", "42"],
    ["integer", " 84,000 ", "84000"],
    ["decimal", "0.5", "0.5"],
    ["text", "  सीता  ", "सीता"],
    ["text", "", ""],
  ])("%s %j → %j", (kind, typed, want) => {
    expect(answerOf(kind, typed, today)).toBe(want);
  });

  it("reads Devanagari digits", () => {
    expect(latinDigits("०१२३४५६७८९")).toBe("0123456789");
  });
});

describe("answers sit in their slots", () => {
  it("grows the roster to the instance answered", () => {
    const a: SurveyAnswers = { values: {}, repeats: {} };
    setAnswer(a, "members", { name: "m_name", instance: 2 }, "पूजा");
    setAnswer(a, "members", { name: "consent", instance: null }, "yes");
    expect(a.repeats["members"]).toHaveLength(3);
    expect(typedAnswer(a, "members", { name: "m_name", instance: 2 })).toBe("पूजा");
    expect(typedAnswer(a, "members", { name: "m_name", instance: 0 })).toBeUndefined();
    expect(a.values["consent"]).toBe("yes");
    expect(slotKey({ name: "m_name", instance: 2 })).toBe("m_name@2");
  });

  it("hides a group when nothing in it is shown", () => {
    const q = (name: string): SurveyItem => ({
      name, kind: "text", list: null, other: false, label: null, hint: null, appearance: null,
      read_only: false, counted: false, fact: null, children: [],
    });
    const g: SurveyItem = { ...q("woman"), kind: "group", children: [q("pregnant"), q("shg")] };
    expect(groupShown(g, 1, new Set(["shg@1"]))).toBe(true);
    expect(groupShown(g, 0, new Set(["shg@1"]))).toBe(false);
  });
});

describe("interpolate", () => {
  it("shows each answer a label names, and … for one not given yet", () => {
    const answers: Record<string, string> = { m_name: "सलमा", age: "" };
    const fill = (text: string) => interpolate(text, (name) => answers[name] ?? "");
    expect(fill("क्या ${m_name} गर्भवती हैं?")).toBe("क्या सलमा गर्भवती हैं?");
    expect(fill("${m_name}, ${age} years")).toBe("सलमा, … years");
    expect(showsAnswers("Is ${m_name} pregnant?")).toBe(true);
    expect(showsAnswers("Is she pregnant? ($ 5)")).toBe(false);
  });
});
