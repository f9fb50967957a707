import { describe, expect, it } from "vitest";
import { en } from "./en";
import { hi } from "./hi";
import { format } from "./index";

const DEVANAGARI = /[\u0900-\u097F]/;
// Keys whose Hindi text may be identical to the English or have no Devanagari.
const SAME_IN_BOTH = new Set(["noNumber"]);

describe("messages", () => {
  it("every English key has a Hindi text written in Devanagari", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(hi[key], key).toBeTruthy();
      if (!SAME_IN_BOTH.has(key)) expect(hi[key], key).toMatch(DEVANAGARI);
    }
    expect(Object.keys(hi).sort()).toEqual(Object.keys(en).sort());
  });

  it("both languages use the same placeholders in each message", () => {
    const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(hi[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it("format fills placeholders and leaves unknown ones visible", () => {
    expect(format("{a} of {b} {c}", { a: 1, b: "दो" })).toBe("1 of दो {c}");
  });
});

describe("dateWords", () => {
  it("writes a date in words in the current language, never in ISO form", async () => {
    const { dateWords } = await import("./index");
    expect(dateWords("2026-12-01", "en")).toBe("1 December 2026");
    expect(dateWords("2018-04-25", "hi")).toBe("25 अप्रैल 2018");
    expect(dateWords("not a date")).toBe("not a date");
  });
});

describe("plurals", () => {
  it("no message hedges its plural with (s) or (ओं): each count has its own wording", () => {
    for (const [key, text] of [...Object.entries(en), ...Object.entries(hi)]) {
      expect(text, key).not.toMatch(/\(s\)|\(ओं\)|\(एँ\)/);
    }
  });
});
