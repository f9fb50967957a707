import { describe, expect, it } from "vitest";
import type { Household } from "../bindings/Household";
import { ageOn, draftFromHousehold, emptyDraft, emptyMember, mergeLeavesOut, parseAge, parseDate, readDraft, toInput } from "./model";
import type { MemberDraft } from "./model";

const TODAY = new Date(2026, 10, 30);

describe("parseDate", () => {
  it.each([
    ["15/08/1978", "1978-08-15"],
    ["15-8-78", "1978-08-15"],
    ["15.8.1978", "1978-08-15"],
    ["१५/०८/१९७८", "1978-08-15"],
    ["1/5/2030", "2030-05-01"],
    ["01/05/30", "1930-05-01"],
    ["5/1/24", "2024-01-05"],
    ["1978-08-15", "1978-08-15"],
    ["31/02/1990", null],
    ["08/15/1978", null],
    ["15 August 1978", null],
    ["", null],
  ])("reads %j as %j, day first", (text, want) => {
    expect(parseDate(text, TODAY)).toBe(want);
  });

  it.each([
    ["5/1/27", "2027-01-05"],
    ["30/11/26", "2026-11-30"],
    ["1/12/25", "2125-12-01"],
    ["5/1/2027", "2027-01-05"],
  ])("reads a day planned ahead, %j, as %j", (text, want) => {
    expect(parseDate(text, TODAY, true)).toBe(want);
  });
});

describe("parseAge", () => {
  it.each([
    ["42", 42],
    ["४२", 42],
    [" 7 ", 7],
    ["०", 0],
    ["50 साल", 50],
    ["५० वर्ष", 50],
    ["50 years", 50],
    ["4.5", null],
    ["forty", null],
    ["1234", null],
    ["", null],
  ])("reads %j as %j", (text, want) => {
    expect(parseAge(text)).toBe(want);
  });
});

describe("ageOn", () => {
  it.each([
    ["1964-03-10", "2024-03-09", 59],
    ["1964-03-10", "2024-03-10", 60],
  ])("born %s is on %s aged %i", (birth, on, want) => {
    const [y, m, d] = on.split("-").map(Number) as [number, number, number];
    expect(ageOn(birth, new Date(y, m - 1, d))).toBe(want);
  });
});

describe("toInput", () => {
  it("turns a filled draft into the store's input", () => {
    const d = emptyDraft("v1");
    d.members[0]!.name = "सुनीता देवी";
    d.members[0]!.age = "४५";
    d.hamletId = "h1";
    d.consentAgreed = true;
    expect(toInput(d, TODAY)).toEqual({
      input: {
        id: null,
        village_id: "v1",
        hamlet_id: "h1",
        address: "",
        phone: "",
        members: [{ id: null, name: "सुनीता देवी", relation: "head", sex: "female", birth: { kind: "age", years: 45 }, left: null }],
        consent: { respondent: 0 },
      },
    });
  });

  it("asks for the family's consent before a new household is saved, and not again once on record", () => {
    const d = emptyDraft("v1");
    d.members[0]!.name = "सुनीता देवी";
    d.members[0]!.age = "45";
    expect([...readDraft(d, TODAY).errors]).toEqual([["consent", "consent_required"]]);
    d.consent = { respondent: null, taken_by: "kamla", taken_at: "2026-01-01T00:00:00Z" };
    const { input, errors } = readDraft(d, TODAY);
    expect(errors.size).toBe(0);
    expect(input.consent).toBeNull();
  });

  it("refuses a missing or unreadable age before calling the store", () => {
    const d = emptyDraft("v1");
    d.consentAgreed = true;
    d.members.push({ ...d.members[0]!, relation: "daughter", age: "ten" });
    d.members.push({ ...d.members[0]!, relation: "son", birthKind: "date", date: "31/02/1990" });
    const result = toInput(d, TODAY);
    expect("errors" in result && [...result.errors]).toEqual([
      ["members.0.birth", "required"],
      ["members.1.birth", "age_not_number"],
      ["members.2.birth", "date_not_valid"],
    ]);
  });
});

describe("draftFromHousehold", () => {
  it("shows an estimated birth date as the stated age and an exact one as a date", () => {
    const h: Household = {
      id: "h",
      number: 7,
      village_id: "v",
      hamlet_id: null,
      address: "",
      phone: "",
      created_at: "2026-01-01T00:00:00Z",
      updated_at: "2026-01-01T00:00:00Z",
      consent: null,
      members: [
        { id: "a", name: "A", relation: "head", sex: "male", birth_date: "1960-06-01", birth_date_estimated: true, left: null },
        { id: "b", name: "B", relation: "spouse", sex: "female", birth_date: "1965-02-03", birth_date_estimated: false, left: null },
        { id: "c", name: "C", relation: "son", sex: "male", birth_date: null, birth_date_estimated: false, left: { reason: "moved_away", on: "2025-04-01" } },
      ],
    };
    const d = draftFromHousehold(h, new Date(2026, 10, 23));
    expect(d.members.map((m) => [m.birthKind, m.age, m.date, m.status, m.leftOn])).toEqual([
      ["age", "66", "", "present", ""],
      ["date", "", "03/02/1965", "present", ""],
      ["unknown", "", "", "moved_away", "01/04/2025"],
    ]);
  });
});

describe("a member who died or moved away", () => {
  const today = new Date(2026, 10, 23);
  const draft = (status: "present" | "died" | "moved_away", leftOn: string) => {
    const d = emptyDraft("v");
    d.members[0]!.name = "A";
    d.members[0]!.age = "60";
    d.consentAgreed = true;
    d.members.push({ ...emptyMember("spouse"), name: "B", age: "58", status, leftOn });
    return d;
  };

  it("sends the reason and the day, read day first", () => {
    const { input, errors } = readDraft(draft("died", "12/3/2025"), today);
    expect(errors.size).toBe(0);
    expect(input.members[1]!.left).toEqual({ reason: "died", on: "2025-03-12" });
    expect(input.members[0]!.left).toBeNull();
  });

  it("asks for the day, and refuses one it cannot read, at the member's field", () => {
    expect(readDraft(draft("moved_away", ""), today).errors.get("members.1.left")).toBe("required");
    expect(readDraft(draft("died", "31/31/2025"), today).errors.get("members.1.left")).toBe("date_not_valid");
    expect(readDraft(draft("present", "garbage"), today).errors.size).toBe(0);
  });
});

describe("mergeLeavesOut", () => {
  const sunita: MemberDraft = {
    ...emptyMember("spouse"),
    id: "p1",
    name: "Sunita Devi",
    birthKind: "date",
    date: "15/08/1978",
  };
  it.each<[string, Partial<MemberDraft>, Partial<MemberDraft>, ReturnType<typeof mergeLeavesOut>]>([
    ["the same record twice loses nothing", {}, {}, []],
    ["spaces around a name are no difference", { name: " Sunita Devi " }, {}, []],
    ["another spelling of the name is lost", { name: "Sunita Kumari" }, {}, [{ field: "name", value: "Sunita Kumari" }]],
    ["another sex is lost", { sex: "male" }, {}, [{ field: "sex", value: "male" }]],
    ["another relation is lost", { relation: "daughter" }, {}, [{ field: "relation", value: "daughter" }]],
    ["the head's relation passes to the kept record", { relation: "head" }, {}, []],
    ["another date of birth is lost", { date: "16/08/1978" }, {}, [{ field: "birthDate", value: "16/08/1978" }]],
    ["an age is lost beside a date", { birthKind: "age", date: "", age: "47" }, {}, [{ field: "ageYears", value: "47" }]],
    ["a date replaces an age: nothing lost", { date: "16/08/1978" }, { birthKind: "age", date: "", age: "47" }, []],
    ["a date fills no birth at all: nothing lost", {}, { birthKind: "unknown", date: "" }, []],
    ["the same age: nothing lost", { birthKind: "age", date: "", age: "47" }, { birthKind: "age", date: "", age: "47" }, []],
    ["a departure is not taken", { status: "moved_away", leftOn: "01/02/2025" }, {}, [{ field: "memberStatus", value: "moved_away", on: "01/02/2025" }]],
    ["both departed: nothing lost of it", { status: "died", leftOn: "01/02/2025" }, { status: "died", leftOn: "01/02/2025" }, []],
  ])("%s", (_, gone, kept, expected) => {
    expect(mergeLeavesOut({ ...sunita, id: "p2", ...gone }, { ...sunita, ...kept })).toEqual(expected);
  });
});
