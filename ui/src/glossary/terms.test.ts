import { describe, expect, it } from "vitest";
import { en } from "../i18n/en";
import { findTerms, TERMS } from "./terms";

const words = (text: string) => findTerms(text).map((p) => (typeof p === "string" ? p : `[${p.word}]`)).join("");

describe("glossary", () => {
  it("finds whole words only, in either script's sentence", () => {
    expect(words("On the BPL list")).toBe("On the [BPL] list");
    expect(words("SECC 2011 की सूची में D5 (SC/ST)")).toBe("[SECC] 2011 की सूची में [D5] (SC/ST)");
    expect(words("AAY या PHH राशन कार्ड")).toBe("[AAY] या [PHH] राशन कार्ड");
    expect(words("AAYUSH and PD5 are not terms")).toBe("AAYUSH and PD5 are not terms");
    expect(words("")).toBe("");
  });

  it("explains every word in both languages, naming it", () => {
    for (const term of TERMS) {
      expect(term.hi, term.word).toMatch(/[\u0900-\u097F]/);
      expect(term.en.length, term.word).toBeGreaterThan(10);
    }
    expect(en.glossaryTitle).toBeTruthy();
  });
});
