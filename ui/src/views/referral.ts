// One referral: where it stands, its documents, the next steps allowed now, and its story. Every
// step is saved at once; the buttons offer only what the case allows, and a refusal from the
// store (a step that crossed one made at the block) is shown with the case as it now stands.
import type { ErrorReply } from "../bindings/ErrorReply";
import type { Bilingual } from "../bindings/Bilingual";
import type { DocumentStatus } from "../bindings/DocumentStatus";
import type { ReferralDetail } from "../bindings/ReferralDetail";
import type { Step } from "../bindings/Step";
import type { TimelineEntry } from "../bindings/TimelineEntry";
import { h, mount } from "../dom";
import { dateWords, instantWords, language, rupees, t, unsaid, type MessageKey, type Said } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { isoToDayFirst, parseDate } from "../form/model";
import { movesAllowed, NEEDS_REASON, type Move } from "../referral/model";
import { mayWrite } from "../role";
import { errorPanel, errorSaid } from "./errorPanel";

export interface ReferralNavigator {
  showReferral(id: string, back: () => void): Promise<void>;
  showSlip(id: string, back: () => void): Promise<void>;
}

function say(b: Bilingual): string {
  return language() === "hi" ? b.hi : b.en;
}

/** The stage as a word, for badges and lists. */
export function stageWord(stage: string): string {
  return t(`stage_${stage}` as MessageKey);
}

export function levelWord(level: string): string {
  return t(`level_${level}` as MessageKey);
}

/** Nothing, where a screen part is absent. */
function blank(): Text {
  return document.createTextNode("");
}

export class ReferralView {
  private problem: Said = unsaid;
  private notice: Said = unsaid;
  /** The move being asked about (a reason, a date), until it is saved or cancelled. */
  private asking: Move | null = null;
  /** What she typed into the screen's fields, by field: a drawing (a refusal, a language
   * switched, another step saved) puts it back, where it emptied them, or put a benefit's day
   * she had typed back to today, which was then saved unseen. Cleared once the step is saved. */
  private typed: Partial<Record<Field, string>> = {};
  /** A step is being saved: a second press of any button waits for it (a double click saved a
   * note or a visit twice). */
  private busy = false;
  /** A document's status chosen while a step was saving, saved once that step ends. */
  private queued: Step | null = null;
  private readonly root = h("div", { class: "referral" });

  constructor(
    private readonly nav: ReferralNavigator,
    private data: ReferralDetail,
    private readonly back: () => void,
    private readonly today: string,
  ) {}

  static async open(nav: ReferralNavigator, id: string, back: () => void): Promise<ReferralView | ErrorReply> {
    try {
      const [data, today] = await Promise.all([ipc.referralGet(id), ipc.today()]);
      return new ReferralView(nav, data, back, today);
    } catch (e) {
      // The failure is drawn afresh with the screen, in the language of the moment.
      return asErrorReply(e);
    }
  }

  render(): HTMLElement {
    // Each message said once a drawing, in the language of the moment.
    const [notice, problem] = [this.notice(), this.problem()];
    const s = this.data.summary;
    const c = this.data.case;
    mount(
      this.root,
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => this.back() }, "← " + t("back")),
        h("h1", {}, t("referralTitle", { number: s.number })),
        h("span", { class: `badge stage-${s.stage}`, "data-test": "referral-stage", "data-stage": s.stage }, stageWord(s.stage)),
        h("button", { type: "button", class: "secondary", "data-test": "print-slip", onclick: () => void this.nav.showSlip(s.id, () => void this.nav.showReferral(s.id, this.back)) }, t("slipPrint")),
      ),
      notice ? h("p", { class: "notice", role: "status", "data-test": "notice" }, notice) : blank(),
      problem ? h("p", { class: "banner-error", role: "alert", "data-test": "referral-error" }, problem) : blank(),
      h(
        "dl",
        { class: "referral-facts" },
        h("dt", {}, t("referralPerson")),
        h("dd", { "data-test": "referral-person" }, s.person),
        h("dt", {}, t("referralFor")),
        h("dd", { "data-test": "referral-need" }, say(s.need_name), s.need.type === "grievance" && s.need.description ? ` — ${s.need.description}` : ""),
        h("dt", {}, t("referralLevel")),
        h("dd", {}, `${levelWord(s.level)} · ${say(this.data.office)}`),
        h("dt", {}, t("referralDue")),
        h("dd", { class: s.overdue ? "overdue" : "" }, dateWords(s.due_on), s.overdue ? ` — ${t("referralOverdue")}` : ""),
        c.next_visit ? h("dt", {}, t("referralNextVisit")) : null,
        c.next_visit ? h("dd", {}, dateWords(c.next_visit)) : null,
        c.received_on ? h("dt", {}, t("referralReceived")) : null,
        c.received_on ? h("dd", { "data-test": "referral-received" }, dateWords(c.received_on), c.amount_inr !== null ? ` · ${rupees(c.amount_inr)}` : "") : null,
        s.reason ? h("dt", {}, t("referralReason")) : null,
        s.reason ? h("dd", { "data-test": "referral-reason" }, s.reason) : null,
      ),
      this.data.suggest_escalation ? h("p", { class: "caution", "data-test": "suggest-escalation" }, t("referralSuggestEscalation")) : blank(),
      this.moves(),
      this.documents() ?? blank(),
      this.planAndNote(),
      h("h2", {}, t("referralStory")),
      this.data.timeline.length === 0
        ? h("p", { class: "muted" }, t("referralStoryEmpty", { by: this.data.created_by, date: instantWords(this.data.created_at) }))
        : h("ol", { class: "timeline", "data-test": "timeline" }, ...this.data.timeline.map((e) => this.event(e))),
    );
    return this.root;
  }

  private moves(): HTMLElement {
    const allowed = movesAllowed(this.data.allowed);
    if (this.asking !== null) return this.ask(this.asking);
    return h(
      "div",
      { class: "moves", "data-test": "moves" },
      ...allowed.map((m) =>
        h(
          "button",
          {
            type: "button",
            class: m === "receive" || m === "submit" ? "primary" : "secondary",
            "data-test": `move-${m}`, "data-write": true,
            onclick: () => {
              if (NEEDS_REASON.has(m) || m === "receive") {
                this.asking = m;
                this.render();
              } else void this.step({ action: m } as Step);
            },
          },
          t(`move_${m}` as MessageKey),
        ),
      ),
    );
  }

  /** The small form a move needs: a reason, or the day and amount of a benefit received. */
  private ask(m: Move): HTMLElement {
    const cancel = h(
      "button",
      {
        type: "button",
        class: "secondary",
        onclick: () => {
          this.asking = null;
          for (const f of ASKED) delete this.typed[f];
          this.render();
        },
      },
      t("cancel"),
    );
    if (m === "receive") {
      const on = this.kept("receive_on", dayFirstField(isoToDayFirst(this.today), "receive-on", t("receiveOn")));
      const amount = this.kept("amount", h("input", { type: "text", inputmode: "numeric", "data-test": "receive-amount", "aria-label": t("receiveAmount") }));
      const save = () => {
        const digits = amount.value.replace(/[,\s₹]/g, "");
        if (digits !== "" && !/^\d+$/.test(digits)) {
          this.problem = () => t("field_not_a_number");
          this.render();
          return;
        }
        const day = on.value.trim() === "" ? this.today : parseDate(on.value, new Date(`${this.today}T12:00:00`));
        if (day === null) {
          this.problem = () => t("field_date_not_valid");
          this.render();
          return;
        }
        void this.step({ action: "receive", on: day, amount_inr: digits === "" ? null : Number(digits) });
      };
      return h(
        "div",
        { class: "ask", "data-test": "ask-receive" },
        h("label", {}, t("receiveOn"), on),
        h("label", {}, t("receiveAmount"), amount),
        h("button", { type: "button", class: "primary", "data-test": "ask-save", onclick: save }, t(`move_${m}` as MessageKey)),
        cancel,
      );
    }
    const reason = this.kept("reason", h("input", { type: "text", "data-test": "ask-reason", "aria-label": t("referralWhy") }));
    const save = () => {
      if (reason.value.trim() === "") {
        this.problem = () => t("referralWhyNeeded");
        this.render();
        return;
      }
      void this.step({ action: m, reason: reason.value } as Step);
    };
    const box = h(
      "div",
      { class: "ask", "data-test": `ask-${m}` },
      h("label", {}, t("referralWhy"), reason),
      h("button", { type: "button", class: "primary", "data-test": "ask-save", onclick: save }, t(`move_${m}` as MessageKey)),
      cancel,
    );
    window.setTimeout(() => reason.focus(), 0);
    return box;
  }

  private documents(): HTMLElement | null {
    const docs = this.data.documents;
    if (docs.length === 0) return null;
    const open = this.data.allowed.includes("document");
    const statuses: DocumentStatus[] = ["have", "missing", "obtained"];
    return h(
      "section",
      { class: "checklist", "data-test": "checklist" },
      h("h2", {}, t("documentsToCollect")),
      ...docs.map((d, i) =>
        h(
          "div",
          { class: `doc doc-${d.status}`, "data-test": `doc-${i}`, "data-status": d.status },
          h("span", {}, say(d)),
          h(
            "select",
            {
              "data-test": `doc-status-${i}`,
              "aria-label": say(d),
              disabled: open && mayWrite() ? undefined : "disabled",
              onchange: (e: Event) => void this.step({ action: "document", index: i, status: (e.target as HTMLSelectElement).value as DocumentStatus }),
            },
            ...statuses.map((st) => h("option", { value: st, selected: st === d.status ? "selected" : undefined }, t(`doc_${st}` as MessageKey))),
          ),
        ),
      ),
    );
  }

  private planAndNote(): HTMLElement {
    const visit = this.kept("visit", dayFirstField("", "visit-on", t("referralPlanVisit")));
    const planVisit = () => {
      if (visit.value.trim() === "") return;
      // A visit is planned ahead: a two-digit year is this century's next such year.
      const day = parseDate(visit.value, new Date(`${this.today}T12:00:00`), true);
      if (day === null) {
        this.problem = () => t("field_date_not_valid");
        this.render();
        return;
      }
      void this.step({ action: "plan_visit", on: day });
    };
    const note = this.kept("note", h("input", { type: "text", "data-test": "note-text", "aria-label": t("referralNote") }));
    return h(
      "div",
      { class: "plan" },
      this.data.allowed.includes("plan_visit")
        ? h(
            "label",
            { "data-write": true },
            t("referralPlanVisit"),
            visit,
            h("button", { type: "button", class: "secondary", "data-test": "visit-save", onclick: planVisit }, t("answerSave")),
          )
        : null,
      h(
        "label",
        { "data-write": true },
        t("referralNote"),
        note,
        h("button", { type: "button", class: "secondary", "data-test": "note-save", onclick: () => note.value.trim() && void this.step({ action: "note", text: note.value }) }, t("answerSave")),
      ),
    );
  }

  private event(e: TimelineEntry): HTMLElement {
    const a = e.action;
    let detail = "";
    switch (a.action) {
      case "receive":
        detail = `${dateWords(a.on)}${a.amount_inr !== null ? ` · ${rupees(a.amount_inr)}` : ""}`;
        break;
      case "reject":
      case "withdraw":
      case "escalate":
      case "reopen":
        detail = a.reason;
        break;
      case "document":
        detail = `${this.data.documents[a.index] ? say(this.data.documents[a.index]!) : a.index + 1}: ${t(`doc_${a.status}` as MessageKey)}`;
        break;
      case "plan_visit":
        detail = dateWords(a.on);
        break;
      case "note":
        detail = a.text;
        break;
      default:
        detail = "";
    }
    return h(
      "li",
      { class: e.not_applied ? "not-applied" : "", "data-test": "event", "data-action": a.action },
      h("span", { class: "muted" }, `${instantWords(e.at)} · ${e.by}${e.here ? "" : ` · ${t("referralFromServer")}`}`),
      " ",
      h("strong", {}, t(`event_${a.action}` as MessageKey)),
      detail ? ` — ${detail}` : "",
      e.not_applied ? h("div", { class: "caution" }, t("referralNotApplied")) : null,
    );
  }

  /** `input` showing what she typed into `field` (or what it was made with, before she
   * typed), and keeping what she types. */
  private kept(field: Field, input: HTMLInputElement): HTMLInputElement {
    const typed = this.typed[field];
    if (typed !== undefined) input.value = typed;
    input.addEventListener("input", () => {
      this.typed[field] = input.value;
    });
    return input;
  }

  private async step(step: Step): Promise<void> {
    if (this.busy) {
      // A document's status chosen while another step saves is saved after it (the list
      // showed her choice, and the next drawing put the old one back, nothing saved); a
      // button pressed again is not.
      if (step.action === "document") this.queued = step;
      return;
    }
    this.busy = true;
    try {
      this.data = await ipc.referralAct(this.data.summary.id, step);
      // What was typed for this step is saved, and the form of a move asked about closes with
      // what was typed into it (a rejection's reason came back in the escalation's form);
      // what was typed elsewhere stays.
      this.asking = null;
      for (const f of [...(FIELDS_OF[step.action] ?? []), ...ASKED]) delete this.typed[f];
      this.problem = unsaid;
      this.notice = () => t("referralSaved");
    } catch (e) {
      this.problem = errorSaid(e);
      this.notice = unsaid;
      try {
        // Whatever was refused, show the case as it stands now.
        this.data = await ipc.referralGet(this.data.summary.id);
      } catch {
        // The error above says enough.
      }
    } finally {
      this.busy = false;
    }
    this.render();
    const queued = this.queued;
    this.queued = null;
    if (queued) await this.step(queued);
  }
}

/** The screen's fields whose typing is kept across drawings. */
type Field = "receive_on" | "amount" | "reason" | "visit" | "note";

/** The fields of the form a move asks with (a reason, a benefit's day and amount). */
const ASKED: readonly Field[] = ["receive_on", "amount", "reason"];

/** The fields a step of each kind was typed into. */
const FIELDS_OF: Partial<Record<Step["action"], readonly Field[]>> = {
  receive: ["receive_on", "amount"],
  reject: ["reason"],
  withdraw: ["reason"],
  escalate: ["reason"],
  reopen: ["reason"],
  plan_visit: ["visit"],
  note: ["note"],
};

/** The printable slip inside the window; printing hides everything else (see style.css). */
export async function slipScreen(id: string, back: () => void): Promise<HTMLElement> {
  let slip: { style: string; body: string };
  try {
    slip = await ipc.referralSlip(id, language());
  } catch (e) {
    return errorPanel(asErrorReply(e));
  }
  const body = h("div", { class: "slip-page" });
  // The slip is HTML the shell made from the store's own text, every value escaped there.
  body.innerHTML = `<style>${slip.style}</style>${slip.body}`;
  const printError = h("div", { class: "no-print", "data-test": "print-error" });
  const print = () =>
    ipc.printPage().then(
      () => printError.replaceChildren(),
      (e: unknown) => printError.replaceChildren(errorPanel(asErrorReply(e))),
    );
  return h(
    "div",
    { class: "slip-screen" },
    h(
      "div",
      { class: "form-head no-print" },
      h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => back() }, "← " + t("back")),
      h("button", { type: "button", class: "primary", "data-test": "slip-print", onclick: () => void print() }, t("slipPrintNow")),
      h("span", { class: "muted" }, t("slipPrintHint")),
    ),
    printError,
    body,
  );
}

/** The app's own date entry, day first, whatever the computer's language (as the household form's
 * date of birth): the webview's date input follows the system's locale, month first on an English
 * (US) system, with its calendar in English whatever language the app speaks. */
function dayFirstField(value: string, test: string, label: string): HTMLInputElement {
  return h("input", {
    type: "text",
    inputmode: "numeric",
    autocomplete: "off",
    class: "date",
    value,
    placeholder: t("dateDayMonthYear"),
    "data-test": test,
    "aria-label": label,
  });
}
