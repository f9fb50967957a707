// @vitest-environment happy-dom
// What the hamlet toolbar says after a save is said again in the language switched to: a
// facilitator who saves a list, then switches to English for the block officer beside her, must
// not be left with a sentence in the other language.
import { afterEach, describe, expect, it } from "vitest";
import type { VillageOverview } from "../bindings/VillageOverview";
import { catalogues, setLanguage } from "../i18n";
import { HamletToolbar } from "./hamletToolbar";

const overview: VillageOverview = {
  village: { id: "v", name_en: "Rampur", name_hi: "रामपुर" } as VillageOverview["village"],
  above: [],
  hamlets: [],
  households: 0,
  persons: 0,
  women: 0,
};

/** The toolbar's "save" pressed once with `saveAs`, and a way to read what it says now. */
async function savedWith(saveAs: () => Promise<string>): Promise<() => string> {
  let toolbar: HamletToolbar | null = null;
  let drawn: HTMLElement[] = [];
  const redraw = () => {
    drawn = toolbar?.render() ?? [];
  };
  toolbar = new HamletToolbar("worklist", overview, redraw, saveAs);
  redraw();
  const save = drawn[0]?.querySelector<HTMLButtonElement>('[data-test="worklist-save"]');
  save?.click();
  // The save resolves on the next turns of the event loop.
  await new Promise((r) => setTimeout(r, 0));
  return () => {
    redraw();
    return drawn[1]?.textContent ?? "";
  };
}

afterEach(() => setLanguage("hi"));

describe("HamletToolbar", () => {
  it("says where the file went in the language switched to", async () => {
    setLanguage("hi");
    const said = await savedWith(() => Promise.resolve("/home/didi/Samanvaya/worklist.csv"));
    expect(said()).toBe(catalogues.hi.worklistSaved.replace("{path}", "/home/didi/Samanvaya/worklist.csv"));
    setLanguage("en");
    expect(said()).toBe(catalogues.en.worklistSaved.replace("{path}", "/home/didi/Samanvaya/worklist.csv"));
  });

  it("says why the file was not written in the language switched to, the store's Hindi in Hindi", async () => {
    setLanguage("hi");
    const refusal = {
      code: "export",
      detail: "the file /media/stick/list.csv could not be written: No space left on device",
      detail_hi: "/media/stick/list.csv नहीं लिखी जा सकी: ड्राइव में जगह नहीं बची",
      fields: [],
      count: null,
    };
    const said = await savedWith(() => Promise.reject(refusal));
    expect(said()).toBe(catalogues.hi.error_export.replace("{detail}", refusal.detail_hi));
    setLanguage("en");
    expect(said()).toBe(catalogues.en.error_export.replace("{detail}", refusal.detail));
  });
});
