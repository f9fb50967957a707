// @vitest-environment happy-dom
// The case screen keeps what she typed through every drawing: a refusal, a language switched,
// another step saved. Before, a benefit's amount refused put the day she had typed back to
// today, which she then saved unseen, and a reason refused by the store was typed again.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReferralDetail } from "../bindings/ReferralDetail";
import type { Step } from "../bindings/Step";
import { setLanguage } from "../i18n";

const act = vi.fn<(id: string, step: Step) => Promise<ReferralDetail>>();
const get = vi.fn<(id: string) => Promise<ReferralDetail>>();
vi.mock("../ipc", async (real) => ({
  ...(await real<typeof import("../ipc")>()),
  ipc: { referralAct: (id: string, step: Step) => act(id, step), referralGet: (id: string) => get(id) },
}));
const { ReferralView } = await import("./referral");

const detail: ReferralDetail = {
  summary: {
    id: "r1",
    number: "R-7",
    household_id: "h1",
    household_number: 7,
    member_id: "m1",
    person: "सीता देवी",
    need: { type: "scheme", code: "NSAP_IGNWPS" },
    need_name: { en: "Widow pension", hi: "विधवा पेंशन" },
    stage: "sanctioned",
    level: "village",
    due_on: "2026-12-20",
    overdue: false,
    next_visit: null,
    missing_documents: 0,
    days_in_stage: 3,
    reason: null,
  },
  case: {
    stage: "sanctioned",
    level: "village",
    due_on: "2026-12-20",
    documents: [],
    next_visit: null,
    since: "2026-12-05",
    furthest: 4,
    reason: null,
    received_on: null,
    amount_inr: null,
  },
  office: { en: "Block office", hi: "ब्लॉक कार्यालय" },
  where_to_go: { en: "", hi: "" },
  documents: [],
  notes: "",
  created_by: "Sunita",
  created_at: "2026-12-01T05:00:00Z",
  catalogue: "built-in",
  allowed: ["receive", "withdraw", "plan_visit", "note"],
  suggest_escalation: false,
  timeline: [],
};

const nav = { showReferral: () => Promise.resolve(), showSlip: () => Promise.resolve() };

/** The view drawn into a page, and a way to find its fields and type into them. */
function screen(data: ReferralDetail = detail) {
  const page: { drawn: HTMLElement | null } = { drawn: null };
  const view = new ReferralView(nav, structuredClone(data), () => {}, "2026-12-08");
  const redraw = () => {
    const drawn = view.render();
    document.body.replaceChildren(drawn);
    page.drawn = drawn;
  };
  const field = (test: string) => document.querySelector<HTMLInputElement>(`[data-test="${test}"]`)!;
  const type = (test: string, value: string) => {
    const input = field(test);
    input.value = value;
    input.dispatchEvent(new Event("input"));
  };
  const press = (test: string) => document.querySelector<HTMLButtonElement>(`[data-test="${test}"]`)!.click();
  redraw();
  return { redraw, field, type, press };
}

const settled = () => new Promise((ok) => setTimeout(ok, 0));

beforeEach(() => {
  act.mockReset();
  get.mockReset();
  get.mockResolvedValue(structuredClone(detail));
  setLanguage("hi");
});
afterEach(() => setLanguage("hi"));

describe("ReferralView", () => {
  it("keeps the day of a benefit she typed when its amount is refused, and saves that day", async () => {
    const s = screen();
    s.press("move-receive");
    s.type("receive-on", "12/03/2025");
    s.type("receive-amount", "5000/-");
    s.press("ask-save");
    expect(act).not.toHaveBeenCalled();
    expect(s.field("receive-on").value).toBe("12/03/2025");
    expect(s.field("receive-amount").value).toBe("5000/-");
    s.type("receive-amount", "5000");
    act.mockResolvedValue(structuredClone(detail));
    s.press("ask-save");
    await settled();
    expect(act).toHaveBeenCalledWith("r1", { action: "receive", on: "2025-03-12", amount_inr: 5000 });
  });

  it("keeps a reason the store refused, and a half-typed note, through a refusal and a language switched", async () => {
    const s = screen();
    s.type("note-text", "घर पर नहीं मिलीं");
    s.press("move-withdraw");
    s.type("ask-reason", "परिवार ने मना किया");
    act.mockRejectedValue({ code: "invalid", detail: "refused", detail_hi: null, fields: [], count: null });
    s.press("ask-save");
    await settled();
    await settled();
    expect(s.field("ask-reason").value).toBe("परिवार ने मना किया");
    expect(s.field("note-text").value).toBe("घर पर नहीं मिलीं");
    setLanguage("en");
    s.redraw();
    expect(s.field("ask-reason").value).toBe("परिवार ने मना किया");
    expect(s.field("note-text").value).toBe("घर पर नहीं मिलीं");
  });

  it("closes a move's form with its reason when another step is saved: the next move's form is empty", async () => {
    const s = screen();
    s.press("move-withdraw");
    s.type("ask-reason", "परिवार ने मना किया");
    s.type("note-text", "घर पर नहीं मिलीं");
    act.mockResolvedValue(structuredClone(detail));
    s.press("note-save");
    await settled();
    s.press("move-withdraw");
    expect(s.field("ask-reason").value).toBe("");
  });

  it("saves a document's status chosen while another step saves, once that step ends", async () => {
    const withDocument: ReferralDetail = {
      ...structuredClone(detail),
      documents: [{ en: "Aadhaar", hi: "आधार", status: "missing" }],
      allowed: [...detail.allowed, "document"],
    };
    const again = screen(withDocument);
    let answer: (d: ReferralDetail) => void = () => {};
    act.mockImplementation(() => new Promise((ok) => (answer = ok)));
    again.type("note-text", "दस्तावेज़ जमा");
    again.press("note-save");
    const status = document.querySelector<HTMLSelectElement>('[data-test="doc-status-0"]')!;
    status.value = "obtained";
    status.dispatchEvent(new Event("change"));
    expect(act).toHaveBeenCalledTimes(1);
    answer(structuredClone(withDocument));
    await settled();
    expect(act).toHaveBeenCalledTimes(2);
    expect(act).toHaveBeenLastCalledWith("r1", { action: "document", index: 0, status: "obtained" });
  });

  it("saves a note once however often it is pressed, and empties only the note once saved", async () => {
    const s = screen();
    s.type("visit-on", "15/12/2026");
    s.type("note-text", "दस्तावेज़ जमा");
    let answer: (d: ReferralDetail) => void = () => {};
    act.mockImplementation(() => new Promise((ok) => (answer = ok)));
    s.press("note-save");
    s.press("note-save");
    expect(act).toHaveBeenCalledTimes(1);
    answer(structuredClone(detail));
    await settled();
    expect(s.field("note-text").value).toBe("");
    expect(s.field("visit-on").value).toBe("15/12/2026");
  });
});
