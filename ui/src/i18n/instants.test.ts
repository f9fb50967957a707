import { describe, expect, it } from "vitest";
import { indiaDay, instantWords, rupees, timeWords } from "./index";

describe("instants on the centre's calendar", () => {
  it("counts a survey finished after midnight in India on the next day", () => {
    expect(indiaDay("2026-12-01T20:30:00Z")).toBe("2026-12-02");
    expect(indiaDay("2026-12-01T18:29:59Z")).toBe("2026-12-01");
  });

  it("says a consent taken at ten past one at night on the day it was taken in India", () => {
    // 19:40 in Greenwich on the 30th is 01:10 on the 1st in India.
    expect(instantWords("2026-11-30T19:40:00Z", "en")).toBe("1 December 2026");
    expect(instantWords("2026-11-30T19:40:00Z", "hi")).toBe("1 दिसंबर 2026");
    expect(instantWords("2026-11-30T19:40:00.123456Z", "en")).toBe("1 December 2026");
  });

  it("reads the time of day on India's clock, whatever the laptop's own zone", () => {
    expect(timeWords("2026-11-30T19:40:00Z", "en")).toMatch(/^0?1:10\b/);
    expect(timeWords("2026-12-01T06:30:00Z", "en")).toMatch(/^(12:00|00:00)/);
  });
});

describe("rupees", () => {
  it("groups the digits as Indian texts do", () => {
    expect(rupees(120000)).toBe("₹1,20,000");
    expect(rupees(6000)).toBe("₹6,000");
    expect(rupees(500)).toBe("₹500");
    expect(rupees(10000000)).toBe("₹1,00,00,000");
  });
});
