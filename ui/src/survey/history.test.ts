import { describe, expect, it } from "vitest";
import type { SurveyForm } from "../bindings/SurveyForm";
import type { SurveyItem } from "../bindings/SurveyItem";
import { answerSections, answerWords } from "./history";

const item = (name: string, kind: string, en: string, hi: string, list: string | null = null, children: SurveyItem[] = []): SurveyItem => ({
  name,
  kind,
  list,
  other: false,
  label: { en, hi },
  hint: null,
  appearance: null,
  read_only: false,
  counted: false,
  fact: null,
  children,
});

const form: SurveyForm = {
  id: "baseline",
  version: "1",
  title: { en: "Baseline", hi: "बुनियादी" },
  lists: {
    house: [
      { name: "kucha", label: { en: "Kucha", hi: "कच्चा" } },
      { name: "pucca", label: { en: "Pucca", hi: "पक्का" } },
    ],
    docs: [
      { name: "aadhaar", label: { en: "Aadhaar", hi: "आधार" } },
      { name: "ration", label: { en: "Ration card", hi: "राशन कार्ड" } },
    ],
  },
  items: [
    item("intro", "note", "Say who you are", "अपना परिचय दें"),
    item("place", "group", "Place", "जगह", null, [item("house_type", "select_one", "House", "मकान", "house")]),
    item("income", "integer", "Income", "आय"),
    item("members", "repeat", "Member", "सदस्य", null, [
      item("m_name", "text", "Name", "नाम"),
      item("documents", "select_multiple", "Documents", "काग़ज़ात", "docs"),
    ]),
  ],
};

describe("answerSections", () => {
  it("reads the household's answers, then each member's, in words of the chosen language", () => {
    const sections = answerSections(
      form,
      {
        values: { house_type: "kucha", income: "4000", intro: "x" },
        repeats: { members: [{ m_name: "सुनीता देवी", documents: "aadhaar ration" }, { m_name: "राजू", documents: "" }] },
      },
      "hi",
    );
    expect(sections).toEqual([
      {
        instance: null,
        name: null,
        lines: [
          { label: "मकान", value: "कच्चा" },
          { label: "आय", value: "4000" },
        ],
      },
      { instance: 0, name: "सुनीता देवी", lines: [{ label: "नाम", value: "सुनीता देवी" }, { label: "काग़ज़ात", value: "आधार, राशन कार्ड" }] },
      { instance: 1, name: "राजू", lines: [{ label: "नाम", value: "राजू" }] },
    ]);
  });

  it("says a date answer in words, in the language asked", () => {
    const date = item("delivered_on", "date", "Delivered on", "प्रसव की तारीख़");
    expect(answerWords(form, date, "2024-03-21", "hi")).toBe("21 मार्च 2024");
    expect(answerWords(form, date, "2024-03-21", "en")).toBe("21 March 2024");
  });

  it("keeps an answer whose choice the form no longer has, as it was stored", () => {
    const select = form.items[1]!.children[0]!;
    expect(answerWords(form, select, "semi_pucca", "en")).toBe("semi_pucca");
    expect(answerWords(form, select, "pucca", "en")).toBe("Pucca");
  });
});
