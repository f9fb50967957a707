// @vitest-environment happy-dom
// The survey screen on a roster of a hundred members (issue 17): a folded member's questions are
// built only when their section is opened or the screen must show one of them, and building
// them late loses nothing typed and still applies the logic's verdict. The form and the draft are
// made here, small, in the shapes the shell sends; the shell itself is replaced by `saved`.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ErrorReply } from "../bindings/ErrorReply";
import type { SurveyForm } from "../bindings/SurveyForm";
import type { SurveyItem } from "../bindings/SurveyItem";
import type { SurveyQuestion } from "../bindings/SurveyQuestion";
import type { SurveyDraft } from "../ipc";
import { catalogues, setLanguage } from "../i18n";
import { SurveyView } from "./survey";

/** What the shell's `survey_save` answers next: the draft handed back with its verdict. */
let saved: SurveyDraft;
/** The store's refusal the next save or finish fails with, when one should. */
let saveFails: ErrorReply | null = null;
let finishFails: ErrorReply | null = null;

vi.mock("../ipc", () => ({
  ipc: {
    surveySave: async () => {
      if (saveFails) throw saveFails;
      return structuredClone(saved);
    },
    surveyFinish: async () => {
      if (finishFails) throw finishFails;
      return { refused: false, consent_on_record: true };
    },
  },
  asErrorReply: (e: unknown) => e as ErrorReply,
}));

const MEMBERS = 100;
/** The one member whose age is missing: the verdict says so before anyone opens them. */
const MISSING = 57;

function item(name: string, kind: string, extra: Partial<SurveyItem> = {}): SurveyItem {
  const label = { en: name, hi: name };
  return { name, kind, list: null, other: false, label, hint: null, appearance: null, read_only: false, counted: false, fact: null, children: [], ...extra };
}

const form: SurveyForm = {
  id: "baseline",
  version: "1",
  title: { en: "Baseline", hi: "आधार" },
  items: [
    item("consent", "select_one", { list: "yn" }),
    item("members", "repeat", {
      counted: true,
      children: [
        item("m_name", "text"),
        item("m_age", "integer", { fact: "person.age" }),
        item("health", "group", { children: [item("m_sick", "select_one", { list: "yn", fact: "person.chronic_illness" })] }),
      ],
    }),
  ],
  lists: {
    yn: [
      { name: "yes", label: { en: "Yes", hi: "हाँ" } },
      { name: "no", label: { en: "No", hi: "नहीं" } },
    ],
  },
};

function question(name: string, instance: number | null, value: string): SurveyQuestion {
  const problem = value === "" ? { en: "Required", hi: "ज़रूरी" } : null;
  return { name, instance, relevant: true, required: true, value, choices: null, problem };
}

/** A hundred members, every question answered except member MISSING's age. */
function draft(): SurveyDraft {
  const people = Array.from({ length: MEMBERS }, (_, i) => ({
    _member: `p${i}`,
    m_name: `Member ${i}`,
    m_age: i === MISSING ? "" : String(20 + (i % 50)),
    m_sick: "no",
  }));
  const questions = [question("consent", null, "yes")];
  people.forEach((p, i) => questions.push(question("m_name", i, p.m_name), question("m_age", i, p.m_age), question("m_sick", i, p.m_sick)));
  return {
    household_id: "h1",
    answers: { values: { consent: "yes" }, repeats: { members: people } },
    state: { questions, instances: { members: MEMBERS }, problems: 1 },
  };
}

const nav = { showHome: async () => {}, showEligibility: async () => {} };

function open(): { view: SurveyView; page: HTMLElement } {
  const view = new SurveyView(nav, "h1", "100", form, draft(), "2026-12-01");
  const page = view.render();
  document.body.replaceChildren(page);
  return { view, page };
}

const section = (page: HTMLElement, i: number) => page.querySelector<HTMLDetailsElement>(`[data-test='member-${i}']`)!;
const questionsOf = (page: HTMLElement, i: number) => section(page, i).querySelectorAll(".survey-question").length;
const answer = (page: HTMLElement, key: string) => page.querySelector<HTMLInputElement>(`[data-test='answer-${key}']`);

beforeEach(() => {
  setLanguage("en");
  saved = draft();
  saveFails = null;
  finishFails = null;
});

describe("a roster of a hundred members", () => {
  it("builds only the first member's questions; the others' summaries still say who has something to fill", () => {
    const { page } = open();
    expect(page.querySelectorAll("details.survey-member")).toHaveLength(MEMBERS);
    expect(questionsOf(page, 0)).toBe(3);
    expect(section(page, 0).open).toBe(true);
    for (let i = 1; i < MEMBERS; i++) expect(questionsOf(page, i), `member ${i}`).toBe(0);
    expect(page.querySelector(`[data-test='member-state-${MISSING}']`)?.textContent).toBe("still to fill");
    expect(page.querySelector("[data-test='member-state-3']")?.textContent).toBe("all filled");
  });

  it("builds a member's questions when their summary is tapped, filled from the draft", () => {
    const { page } = open();
    page.querySelector<HTMLElement>("[data-test='member-summary-42']")!.click();
    expect(questionsOf(page, 42)).toBe(3);
    expect(answer(page, "m_name@42")?.value).toBe("Member 42");
    expect(answer(page, "m_sick@42-no")?.checked).toBe(true);
    expect(questionsOf(page, 43)).toBe(0);
  });

  it("builds a section opened without a tap (the browser's find in page) once it opens, and never its successor", async () => {
    const { view, page } = open();
    section(page, 30).open = true;
    await vi.waitFor(() => expect(questionsOf(page, 30)).toBe(3));
    // Opened just before the screen is drawn again, the old section's event comes late (as in
    // WebKit, where it is queued) and must build nothing in the new one.
    const old = section(page, 31);
    old.open = true;
    const again = view.render();
    old.dispatchEvent(new Event("toggle"));
    expect(questionsOf(again, 31)).toBe(0);
  });

  it("keeps an answer typed in an opened member through a redraw", () => {
    const { view, page } = open();
    page.querySelector<HTMLElement>("[data-test='member-summary-42']")!.click();
    const age = answer(page, "m_age@42")!;
    age.value = "61";
    age.dispatchEvent(new Event("input"));
    // The language changed, say: the whole screen is drawn again, member 42 folded and unbuilt.
    const again = view.render();
    expect(questionsOf(again, 42)).toBe(0);
    again.querySelector<HTMLElement>("[data-test='member-summary-42']")!.click();
    expect(answer(again, "m_age@42")?.value).toBe("61");
  });

  it("brings an 'ask next' question of a folded member forward, building and opening their section", () => {
    const { view, page } = open();
    view.focus({ fact: "person.chronic_illness", member: "p80" });
    expect(section(page, 80).open).toBe(true);
    expect(page.querySelector(".survey-focus")?.getAttribute("data-slot")).toBe("m_sick@80");
  });

  it("falls back to the first question still to answer, in a folded member's section", () => {
    const { view, page } = open();
    view.focus({ fact: "no.such_fact", member: null });
    expect(section(page, MISSING).open).toBe(true);
    expect(page.querySelector(".survey-focus")?.getAttribute("data-slot")).toBe(`m_age@${MISSING}`);
  });

  it("opens and marks the folded members with something to fill when Finish is pressed", async () => {
    const { page } = open();
    page.querySelector<HTMLElement>("[data-test=survey-finish]")!.click();
    await vi.waitFor(() => expect(section(page, MISSING).open).toBe(true));
    const box = page.querySelector(`[data-slot='m_age@${MISSING}']`)!;
    expect(box.classList.contains("has-error")).toBe(true);
    expect(box.querySelector("[role=alert]")?.textContent).toBe("Required");
    // The members with nothing to fill stay folded and unbuilt.
    expect(questionsOf(page, MISSING + 1)).toBe(0);
  });

  it("applies a later verdict to a member built after it arrived", async () => {
    const { page } = open();
    // An answer of the household's is saved; the verdict now hides member 9's illness question.
    saved.state.questions.find((q) => q.name === "m_sick" && q.instance === 9)!.relevant = false;
    answer(page, "consent-yes")!.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(page.querySelector("[data-test=survey-status]")?.textContent).toMatch(/saved/));
    page.querySelector<HTMLElement>("[data-test='member-summary-9']")!.click();
    expect(page.querySelector<HTMLElement>("[data-slot='m_sick@9']")!.hidden).toBe(true);
    expect(page.querySelector<HTMLElement>("[data-slot='m_sick@9']")!.closest("fieldset")!.hidden).toBe(true);
    expect(page.querySelector<HTMLElement>("[data-slot='m_age@9']")!.hidden).toBe(false);
  });
});

describe("a save or a finish the store refuses", () => {
  const refusal = (code: ErrorReply["code"], detail: string, count: number | null = null): ErrorReply => ({
    code,
    detail,
    detail_hi: null,
    fields: [],
    count,
  });
  const status = (page: HTMLElement) => page.querySelector("[data-test=survey-status]")?.textContent;

  it("says a failed save in her language, with the store's sentence marked as its detail", async () => {
    setLanguage("hi");
    const { page } = open();
    saveFails = refusal("storage", "database or disk is full");
    answer(page, "consent-yes")!.dispatchEvent(new Event("change"));
    const detail = catalogues.hi.error_storage.replace("{detail}", "database or disk is full");
    await vi.waitFor(() => expect(status(page)).toBe(catalogues.hi.surveySaveFailed.replace("{detail}", detail)));
  });

  it("says a failed save again in the language switched to, not covered by 'saved'", async () => {
    setLanguage("hi");
    const { view, page } = open();
    saveFails = refusal("storage", "database or disk is full");
    answer(page, "consent-yes")!.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(status(page)).toContain(catalogues.hi.surveySaveFailed.split("{detail}")[0]!));
    setLanguage("en");
    const again = view.render();
    document.body.replaceChildren(again);
    const detail = catalogues.en.error_storage.replace("{detail}", "database or disk is full");
    expect(status(again)).toBe(catalogues.en.surveySaveFailed.replace("{detail}", detail));
  });

  it("does not finish when the last answers could not be saved", async () => {
    saved.state.problems = 0;
    const finished = vi.spyOn(nav, "showEligibility");
    const { page } = open();
    saveFails = refusal("storage", "database or disk is full");
    page.querySelector<HTMLElement>("[data-test=survey-finish]")!.click();
    const detail = catalogues.en.error_storage.replace("{detail}", "database or disk is full");
    await vi.waitFor(() => expect(status(page)).toBe(catalogues.en.surveySaveFailed.replace("{detail}", detail)));
    // The finish would have gone on to the store and on to the family's schemes without them.
    await new Promise((r) => setTimeout(r, 100));
    expect(finished).not.toHaveBeenCalled();
    expect(status(page)).toBe(catalogues.en.surveySaveFailed.replace("{detail}", detail));
    finished.mockRestore();
  });

  it("asks before leaving when the last answers could not be saved, and stays when she says so", async () => {
    const home = vi.spyOn(nav, "showHome");
    const { page } = open();
    saveFails = refusal("storage", "database or disk is full");
    answer(page, "consent-yes")!.dispatchEvent(new Event("change"));
    await vi.waitFor(() => expect(status(page)).toContain(catalogues.en.surveySaveFailed.split("{detail}")[0]!));
    page.querySelector<HTMLElement>("[data-test=back]")!.click();
    // The save is tried again, fails again, and she is asked; she stays.
    const stay = await vi.waitFor(() => {
      const button = [...document.querySelectorAll<HTMLButtonElement>("[data-test=confirm-no]")].find(
        (b) => b.textContent === catalogues.en.stayOnForm,
      );
      expect(button).toBeDefined();
      return button!;
    });
    stay.click();
    await new Promise((r) => setTimeout(r, 50));
    expect(home).not.toHaveBeenCalled();
    home.mockRestore();
  });

  it("says a finish refused for another reason as itself, and missing answers by their count", async () => {
    // Every answer is there: the finish reaches the store, which refuses it.
    saved.state.problems = 0;
    const { page } = open();
    finishFails = refusal("locked", "the app is locked: unlock it with the PIN");
    page.querySelector<HTMLElement>("[data-test=survey-finish]")!.click();
    await vi.waitFor(() => expect(status(page)).toBe(catalogues.en.error_locked));
    finishFails = refusal("invalid", "the survey cannot be finished: 3 answer(s) are missing", 3);
    page.querySelector<HTMLElement>("[data-test=survey-finish]")!.click();
    await vi.waitFor(() => expect(status(page)).toBe(catalogues.en.surveyFinishRefused.replace("{n}", "3")));
  });
});

describe("a label that shows an answer", () => {
  const yn = form.lists.yn!;
  const templated: SurveyForm = {
    ...form,
    items: [
      item("respondent", "select_one", { list: "yn" }),
      item("thanks", "note", { label: { en: "Answer given: ${respondent}", hi: "जवाब: ${respondent}" } }),
      item("members", "repeat", {
        counted: true,
        children: [item("m_name", "text"), item("pregnant", "select_one", { list: "yn", label: { en: "Is ${m_name} pregnant?", hi: "क्या ${m_name} गर्भवती हैं?" } })],
      }),
    ],
    lists: { yn },
  };
  const twoMembers = (first: string): SurveyDraft => ({
    household_id: "h1",
    answers: { values: { respondent: "yes" }, repeats: { members: [{ m_name: first }, { m_name: "" }] } },
    state: {
      questions: [question("respondent", null, "yes"), question("m_name", 0, first), question("pregnant", 0, ""), question("m_name", 1, ""), question("pregnant", 1, "")],
      instances: { members: 2 },
      problems: 2,
    },
  });

  it("reads its own member's answer, a choice in words, and … until it is given, and follows a change", async () => {
    setLanguage("hi");
    const view = new SurveyView(nav, "h1", "7", templated, twoMembers("सलमा"), "2026-12-01");
    const page = view.render();
    document.body.replaceChildren(page);
    const label = (key: string) => page.querySelector(`[data-slot='${key}'] .survey-label`)?.textContent;
    expect(label("thanks")).toBe("जवाब: हाँ");
    expect(label("pregnant@0")).toBe("क्या सलमा गर्भवती हैं?");
    page.querySelector<HTMLElement>("[data-test='member-summary-1']")!.click();
    expect(label("pregnant@1")).toBe("क्या … गर्भवती हैं?");
    // She corrects the first name; once saved, the label reads the new one.
    saved = twoMembers("सलमा ख़ातून");
    const input = page.querySelector<HTMLInputElement>("[data-test='answer-m_name@0']")!;
    input.value = "सलमा ख़ातून";
    input.dispatchEvent(new Event("input"));
    await vi.waitFor(() => expect(label("pregnant@0")).toBe("क्या सलमा ख़ातून गर्भवती हैं?"));
  });
});
