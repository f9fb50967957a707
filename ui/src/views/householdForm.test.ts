// @vitest-environment happy-dom
// A new family is saved once however often "save" is pressed while the first press is checked:
// the look for the same family elsewhere takes a while in a large village, and each press
// used to save the family, making two households.
import { describe, expect, it, vi } from "vitest";
import type { Duplicate } from "../bindings/Duplicate";
import type { Household } from "../bindings/Household";
import type { HouseholdInput } from "../bindings/HouseholdInput";
import type { Location } from "../bindings/Location";
import { emptyDraft } from "../form/model";

/** The looks for the same family asked so far, each answered when the test says. */
const looks: ((found: Duplicate[]) => void)[] = [];
const saveHousehold = vi.fn<(input: HouseholdInput) => Promise<Household>>();
vi.mock("../ipc", async (real) => ({
  ...(await real<typeof import("../ipc")>()),
  ipc: {
    householdDuplicates: () => new Promise<Duplicate[]>((ok) => looks.push(ok)),
    saveHousehold: (input: HouseholdInput) => saveHousehold(input),
    checkHousehold: () => Promise.resolve(null),
  },
}));
const { HouseholdForm } = await import("./householdForm");

const place = (id: string, name: string): Location => ({ id, level: "village", parent_id: null, lgd_code: null, name_en: name, name_hi: name });

describe("HouseholdForm", () => {
  it("saves a new family once when save is pressed twice while it looks for the same family", async () => {
    const nav = {
      showHome: () => Promise.resolve(),
      showEligibility: () => Promise.resolve(),
      showSaved: vi.fn(() => Promise.resolve()),
    };
    const draft = emptyDraft("v1");
    draft.members[0] = { ...draft.members[0]!, name: "सीता देवी", age: "41" };
    draft.consentAgreed = true;
    const overview = { village: place("v1", "बकरौर"), above: [], hamlets: [], households: 0, persons: 0, women: 0 };
    const form = new HouseholdForm(nav as never, overview, draft, "2026-12-08");
    document.body.replaceChildren(form.render());
    const submit = () => document.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    saveHousehold.mockResolvedValue({ id: "h1", number: 1, members: [{ name: "सीता देवी" }] } as never);
    submit();
    submit();
    for (const answer of looks) answer([]);
    for (let i = 0; i < 5; i++) await new Promise((ok) => setTimeout(ok, 0));
    expect(saveHousehold).toHaveBeenCalledTimes(1);
    expect(nav.showSaved).toHaveBeenCalledTimes(1);
  });
});
