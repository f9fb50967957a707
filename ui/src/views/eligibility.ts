// A household's eligibility: what to ask next (answered in place), and every scheme decided for
// the household and each member, with why, the documents to collect and where to apply.
import { withTerms } from "../glossary/view";
import type { ErrorReply } from "../bindings/ErrorReply";
import type { Bilingual } from "../bindings/Bilingual";
import type { FindingView } from "../bindings/FindingView";
import type { Household } from "../bindings/Household";
import type { HouseholdEligibility } from "../bindings/HouseholdEligibility";
import type { HouseholdProfile } from "../bindings/HouseholdProfile";
import type { QuestionView } from "../bindings/QuestionView";
import type { SchemeInfo } from "../bindings/SchemeInfo";
import type { NewReferral } from "../bindings/NewReferral";
import type { ReferralKind } from "../bindings/ReferralKind";
import type { ReferralKinds } from "../bindings/ReferralKinds";
import type { ReferralSummary } from "../bindings/ReferralSummary";
import { isOpen, latestBySubject, referAllPlan, subjectKey } from "../referral/model";
import { stageWord } from "./referral";
import { vulnerabilityLine } from "./vulnerable";
import { mayWrite } from "../role";
import { h, mount } from "../dom";
import { answerValue, groupFindings, OUTCOME_ORDER, summarise } from "../eligibility/model";
import { ageOn } from "../form/model";
import { dateWords, language, t, unsaid, type Said } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { errorSaid, errorText } from "./errorPanel";

/** Questions shown at once: enough to work through, few enough to see on one screen. */
const QUESTIONS_SHOWN = 5;

import type { SurveyFocus } from "./survey";

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showSurvey(householdId: string, title: string, focus?: SurveyFocus): Promise<void>;
  showSurveyHistory(householdId: string, title: string): Promise<void>;
  showEligibility(householdId: string, title: string): Promise<void>;
  showReferral(id: string, back: () => void): Promise<void>;
}

function say(b: Bilingual): string {
  return language() === "hi" ? b.hi : b.en;
}

/** Which question: a fact of the household or of one member. */
function questionKey(q: QuestionView): string {
  return `${q.fact}|${q.member_id ?? ""}`;
}

export class EligibilityView {
  private notice: Said = unsaid;
  private problem: Said = unsaid;
  /** What she has typed into each question, kept across redraws until it is saved. */
  private readonly typed = new Map<string, string>();
  /** A refused answer, shown at its question. */
  private questionError: { key: string; text: Said } | null = null;
  private readonly root = h("div", { class: "eligibility" });

  constructor(
    private readonly nav: Navigator,
    private readonly householdId: string,
    private readonly title: string,
    private data: HouseholdEligibility,
    private referrals: ReferralSummary[],
    /** What is known of the household and each member, in words; read again after an answer. */
    private profile: HouseholdProfile,
    /** The household itself, for its consent on record and the members who may give it. */
    private household: Household,
  ) {
    this.latest = latestBySubject(referrals);
  }

  /** Each person's latest referral per scheme, for the marks beside the schemes. */
  private latest: Map<string, ReferralSummary>;

  /** What "refer all eligible" will open, shown for a yes before anything is written. */
  private plan: NewReferral[] | null = null;
  /** Referrals are being opened: a second press waits for the first (a double press of
   * "refer all" said the cases opened, then that they were open already). */
  private referring = false;

  static async open(nav: Navigator, householdId: string, title: string): Promise<EligibilityView | ErrorReply> {
    try {
      const [data, referrals, profile, household] = await Promise.all([
        ipc.householdEligibility(householdId),
        ipc.referralsList({ household_id: householdId, open_only: false }),
        ipc.householdProfile(householdId),
        ipc.getHousehold(householdId),
      ]);
      return new EligibilityView(nav, householdId, title, data, referrals, profile, household);
    } catch (e) {
      // The failure is drawn afresh with the screen, in the language of the moment.
      return asErrorReply(e);
    }
  }

  /** What is known of the household (`memberId` null) or of one member, folded: the facts
   * recorded, in words, and the schemes already received. */
  private knownFacts(memberId: string | null): HTMLElement | null {
    const say = (b: { en: string; hi: string }) => (language() === "hi" ? b.hi : b.en);
    const member = memberId === null ? null : this.profile.members.find((m) => m.id === memberId);
    const facts = memberId === null ? this.profile.household : (member?.facts ?? []);
    const receiving = memberId === null ? this.profile.receiving : (member?.receiving ?? []);
    if (facts.length === 0 && receiving.length === 0) return null;
    return h(
      "details",
      { class: "known", "data-test": "known", "data-member": memberId ?? "household" },
      h("summary", { class: "muted" }, t("knownTitle", { n: facts.length })),
      h("dl", {}, ...facts.flatMap((f) => [h("dt", {}, say(f.label)), h("dd", { "data-known-fact": f.fact }, say(f.value))])),
      receiving.length > 0 ? h("p", {}, h("strong", {}, t("knownReceiving") + ": "), receiving.map(say).join(" · ")) : null,
      this.profile.hidden > 0 && !mayWrite() ? h("p", { class: "muted" }, t("historyRestricted")) : null,
    );
  }

  render(): HTMLElement {
    // Each message said once a drawing (what an answer changed is worked out from the lists).
    const [notice, problem] = [this.notice(), this.problem()];
    const schemes = new Map(this.data.schemes.map((s) => [s.code, s]));
    const groups = groupFindings(this.data);
    mount(
      this.root,
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void this.nav.showHome() }, "← " + t("back")),
        h("h1", {}, t("eligibilityTitle", { number: this.title })),
        h("span", { class: "muted" }, t("eligibilityAsOf", { date: dateWords(this.data.as_of) })),
        h("button", { type: "button", class: "secondary", "data-test": "open-survey", "data-write": true, onclick: () => void this.nav.showSurvey(this.householdId, this.title) }, t("surveyOpen")),
        h("button", { type: "button", class: "secondary", "data-test": "open-history", onclick: () => void this.nav.showSurveyHistory(this.householdId, this.title) }, t("historyOpen")),
      ),
      this.planBox() ?? document.createTextNode(""),
      this.otherBox ?? document.createTextNode(""),
      notice ? h("p", { class: "notice", role: "status", "data-test": "notice" }, notice) : document.createTextNode(""),
      problem ? h("p", { class: "banner-error", role: "alert", "data-test": "answer-error" }, problem) : document.createTextNode(""),
      vulnerabilityLine(this.data.vulnerability),
      this.summary(schemes),
      this.household.consent === null && mayWrite() ? this.askConsent() : this.askNext(),
      h("h2", { class: "details-title" }, t("detailsTitle")),
      ...groups.map((g) => {
        const name = g.name ?? t("forHousehold");
        const notEligible = g.byOutcome.not_eligible;
        // Services (a crisis centre, a helpline) are open to whoever needs them: shown apart,
        // folded, never as something the family "qualifies" for.
        const isService = (f: FindingView) => schemes.get(f.scheme)?.kind === "service";
        const services = OUTCOME_ORDER.filter((o) => o !== "not_eligible").flatMap((o) => g.byOutcome[o].filter(isService));
        const count = (o: "eligible" | "undetermined") => g.byOutcome[o].filter((f) => !isService(f)).length;
        // Every person's decisions are folded under one line, so that a large family's page stays
        // short; the summary above says what matters.
        return h(
          "details",
          { class: "subject", "data-test": "subject", "data-member": g.memberId ?? "household" },
          h(
            "summary",
            {},
            h("span", { class: "subject-name" }, name),
            h("span", { class: "muted" }, t("subjectCounts", { eligible: count("eligible"), undetermined: count("undetermined") })),
          ),
          this.knownFacts(g.memberId),
          ...OUTCOME_ORDER.filter((o) => o !== "not_eligible").flatMap((o) =>
            g.byOutcome[o].filter((f) => !isService(f)).map((f) => this.finding(f, schemes.get(f.scheme))),
          ),
          services.length > 0
            ? h(
                "details",
                { class: "services", "data-test": "services" },
                h("summary", {}, t("servicesCount", { n: services.length })),
                ...services.map((f) => this.finding(f, schemes.get(f.scheme))),
              )
            : null,
          notEligible.length > 0
            ? h(
                "details",
                { class: "not-eligible" },
                h("summary", {}, t(notEligible.length === 1 ? "notEligibleCountOne" : "notEligibleCount", { n: notEligible.length })),
                ...notEligible.map((f) => this.finding(f, schemes.get(f.scheme))),
              )
            : null,
        );
      }),
    );
    return this.root;
  }

  /** The form for a service or a grievance, while it is open. */
  private otherBox: HTMLElement | null = null;

  /** Refers someone for a service outside the catalogue (a certificate, a health visit, a
   * safety concern) or for a complaint about a service. */
  private async showOther(): Promise<void> {
    let kinds: ReferralKinds;
    try {
      kinds = await ipc.referralKinds();
    } catch (e) {
      this.problem = errorSaid(e);
      this.render();
      return;
    }
    const who = h(
      "select",
      { "data-test": "other-who", "aria-label": t("referralPerson") },
      h("option", { value: "" }, t("forHousehold")),
      ...this.data.members.map((m) => h("option", { value: m.id }, m.name)),
    );
    const option = (prefix: string, k: ReferralKind) => h("option", { value: `${prefix}:${k.code}` }, say(k.name));
    const what = h(
      "select",
      { "data-test": "other-what", "aria-label": t("referralFor") },
      h("optgroup", { label: t("referServices") }, ...kinds.service.map((k) => option("service", k))),
      h("optgroup", { label: t("referGrievances") }, ...kinds.grievance.map((k) => option("grievance", k))),
    );
    const description = h("input", { type: "text", "data-test": "other-description", "aria-label": t("referDescription") });
    const open = async () => {
      const [type, code] = what.value.split(":") as [string, string];
      const need: NewReferral["need"] =
        type === "service" ? { type: "service", kind: code } : { type: "grievance", kind: code, description: description.value.trim() };
      try {
        const d = await ipc.referralOpen({ household_id: this.householdId, member_id: who.value || null, need, documents: [], notes: "" });
        this.otherBox = null;
        await this.nav.showReferral(d.summary.id, () => void this.nav.showEligibility(this.householdId, this.title));
      } catch (e) {
        this.problem = errorSaid(e);
        this.render();
      }
    };
    this.otherBox = h(
      "section",
      { class: "plan-box", "data-test": "refer-other-box" },
      h("h2", {}, t("referOther")),
      h("div", { class: "ask" }, h("label", {}, t("referralPerson"), who), h("label", {}, t("referralFor"), what), h("label", {}, t("referDescription"), description)),
      h("button", { type: "button", class: "primary", "data-test": "other-open", "data-write": true, onclick: () => void open() }, t("refer")),
      h("button", { type: "button", class: "secondary", onclick: () => ((this.otherBox = null), this.render()) }, t("cancel")),
    );
    this.render();
  }

  private showPlan(schemes: Map<string, SchemeInfo>): void {
    this.plan = referAllPlan(this.householdId, this.data.findings, this.referrals, (code) => schemes.get(code)?.kind === "service");
    this.render();
  }

  /** The list "refer all eligible" will open, with a yes and a no. */
  private planBox(): HTMLElement | null {
    const plan = this.plan;
    if (plan === null) return null;
    const names = new Map(this.data.schemes.map((s) => [s.code, say(s.name)]));
    const members = new Map(this.data.members.map((m) => [m.id, m.name]));
    return h(
      "section",
      { class: "plan-box", "data-test": "refer-all-preview" },
      h("h2", {}, plan.length === 0 ? t("referAllNone") : t("referAllWill", { n: plan.length })),
      h(
        "ul",
        {},
        ...plan.map((p) =>
          h("li", {}, `${p.member_id ? members.get(p.member_id) ?? "" : t("forHousehold")}: ${names.get(p.need.type === "scheme" ? p.need.code : "") ?? ""}`),
        ),
      ),
      plan.length > 0 ? h("button", { type: "button", class: "primary", "data-test": "refer-all-confirm", onclick: () => void this.referAll(plan) }, t("referAllYes")) : null,
      h("button", { type: "button", class: "secondary", "data-test": "refer-all-cancel", onclick: () => ((this.plan = null), this.render()) }, t("cancel")),
    );
  }

  private async referAll(plan: NewReferral[]): Promise<void> {
    if (this.referring) return;
    this.referring = true;
    try {
      const n = await ipc.referralOpenAll(plan);
      this.referrals = await ipc.referralsList({ household_id: this.householdId, open_only: false });
      this.latest = latestBySubject(this.referrals);
      this.notice = () => t("referAllDone", { n });
      this.problem = unsaid;
    } catch (e) {
      this.problem = errorSaid(e);
    } finally {
      this.referring = false;
    }
    this.plan = null;
    this.render();
  }

  /** Refers one person for one scheme and opens the case. */
  private async refer(f: FindingView): Promise<void> {
    if (this.referring) return;
    this.referring = true;
    try {
      const d = await ipc.referralOpen({
        household_id: this.householdId,
        member_id: f.member_id,
        need: { type: "scheme", code: f.scheme },
        documents: [],
        notes: "",
      });
      await this.nav.showReferral(d.summary.id, () => void this.nav.showEligibility(this.householdId, this.title));
    } catch (e) {
      this.problem = errorSaid(e);
      this.render();
    } finally {
      this.referring = false;
    }
  }

  /** The referral beside a scheme: its number and stage (and why, when rejected), or "refer". */
  private referralMark(f: FindingView, s: SchemeInfo | undefined): HTMLElement | null {
    const r = this.latest.get(subjectKey(f.scheme, f.member_id));
    const stop = (e: Event) => {
      // A button inside a folded line must not fold or unfold it.
      e.preventDefault();
      e.stopPropagation();
    };
    if (r !== undefined && (isOpen(r) || f.outcome !== "eligible")) {
      return h(
        "button",
        {
          type: "button",
          class: `link referral-mark stage-${r.stage}`,
          "data-test": "referral-mark",
          "data-stage": r.stage,
          onclick: (e: Event) => {
            stop(e);
            void this.nav.showReferral(r.id, () => void this.nav.showEligibility(this.householdId, this.title));
          },
        },
        `${r.number}: ${stageWord(r.stage)}${r.stage === "rejected" && r.reason ? ` — ${r.reason}` : ""}`,
      );
    }
    if (f.outcome !== "eligible" || s?.kind === "service" || f.counted_under !== null) return null;
    return h(
      "span",
      { class: "refer-wrap" },
      r !== undefined ? h("span", { class: "muted", "data-test": "referral-mark", "data-stage": r.stage }, `${r.number}: ${stageWord(r.stage)}${r.reason ? ` — ${r.reason}` : ""}`) : null,
      h(
        "button",
        {
          type: "button",
          class: "primary small",
          "data-test": "refer", "data-write": true,
          onclick: (e: Event) => {
            stop(e);
            void this.refer(f);
          },
        },
        t("refer"),
      ),
    );
  }

  /** What the family can get now, the documents to bring for all of it, and where to go. */
  private summary(schemes: Map<string, SchemeInfo>): HTMLElement {
    const isService = (code: string) => schemes.get(code)?.kind === "service";
    const s = summarise(this.data, isService);
    const name = (code: string) => {
      const info = schemes.get(code);
      return info ? say(info.name) : code;
    };
    const unique = (texts: string[]) => texts.filter((x, i) => texts.indexOf(x) === i);
    const documents = unique(s.schemes.flatMap((c) => (schemes.get(c)?.documents ?? []).map(say)));
    const places = unique(s.schemes.map((c) => schemes.get(c)).filter((x) => x !== undefined).map((x) => say(x.where_to_apply)));
    return h(
      "section",
      { class: "summary", "data-test": "summary" },
      // The referral buttons sit on the title's line, so that a large family's page grows no taller.
      h(
        "div",
        { class: "summary-head" },
        h("h2", {}, t("summaryTitle")),
        h("button", { type: "button", class: "secondary small", "data-test": "refer-all", "data-write": true, onclick: () => this.showPlan(schemes) }, t("referAll")),
        h("button", { type: "button", class: "secondary small", "data-test": "refer-other", "data-write": true, onclick: () => void this.showOther() }, t("referOther")),
      ),
      s.lines.length === 0 ? h("p", { class: "muted" }, t("summaryNone")) : null,
      ...s.lines.map((line) =>
        h(
          "div",
          { class: "summary-line", "data-test": "summary-line" },
          h("strong", {}, line.name ?? t("forHousehold")),
          h(
            "ul",
            {},
            ...line.entries.map((entry) =>
              h("li", {}, entry.length === 1 ? name(entry[0]!) : t("oneOf", { names: entry.map(name).join(t("orWord")) })),
            ),
          ),
        ),
      ),
      documents.length > 0
        ? h("details", { class: "summary-docs" }, h("summary", {}, t("documentsForAll", { n: documents.length })), h("ul", {}, ...documents.map((d) => h("li", {}, d))))
        : null,
      places.length > 0
        ? h("details", { class: "summary-places" }, h("summary", {}, t("whereToApply")), h("ul", {}, ...places.map((p) => h("li", {}, p))))
        : null,
    );
  }

  private askNext(): HTMLElement {
    const questions = this.data.questions.slice(0, QUESTIONS_SHOWN);
    return h(
      "section",
      { class: "ask-next", "data-test": "ask-next" },
      h("h2", {}, t("askNext")),
      questions.length === 0
        ? h("p", { class: "muted" }, t("askNextNone"))
        : h("p", { class: "muted" }, t("askNextHint")),
      ...questions.map((q, i) => this.question(q, i)),
    );
  }

  /** In place of the questions, for a family whose consent is not on record (a household
   * taken from a list): the statement to read out, who agreed, and the button that records it.
   * Only grown-up members who live there are offered; an unknown age is left to her eye. */
  private askConsent(): HTMLElement {
    const today = new Date(`${this.data.as_of}T12:00:00`);
    const adults = this.household.members.filter(
      (m) => m.left === null && (m.birth_date === null || ageOn(m.birth_date, today) >= 18),
    );
    const who = h(
      "select",
      { id: "consent-who", "data-test": "consent-who" },
      ...adults.map((m) => h("option", { value: m.id }, m.name)),
    );
    const record = async () => {
      try {
        this.household = await ipc.recordConsent(this.householdId, who.value);
        this.notice = () => t("consentRecorded");
        this.problem = unsaid;
      } catch (e) {
        this.problem = errorSaid(e);
      }
      this.render();
    };
    return h(
      "section",
      { class: "ask-next consent", "data-test": "consent-box" },
      h("h2", {}, t("consentTitle")),
      h("p", { "data-test": "consent-missing" }, t("consentMissing")),
      ...(adults.length === 0
        ? [h("p", { class: "banner-error", "data-test": "consent-no-adult" }, t("consentNoAdult"))]
        : [
            h("p", { class: "consent-statement" }, t("consentStatement")),
            h("label", { for: "consent-who" }, t("consentWho")),
            who,
            h("button", { type: "button", class: "primary", "data-test": "consent-record", "data-write": true, onclick: () => void record() }, t("consentRecord")),
          ]),
    );
  }

  private question(q: QuestionView, i: number): HTMLElement {
    const send = (raw: string | string[] | boolean | null) => void this.answer(q, raw);
    let control: HTMLElement;
    const save = (read: () => string | string[]) =>
      h("button", { type: "button", class: "primary", "data-test": `answer-save-${i}`, onclick: () => send(read()) }, t("answerSave"));
    const dontKnow = h("button", { type: "button", class: "secondary", "data-test": `answer-unknown-${i}`, onclick: () => send(null) }, t("answerUnknown"));
    switch (q.input.kind) {
      case "bool":
        control = h(
          "div",
          { class: "answer" },
          h("button", { type: "button", class: "secondary", "data-test": `answer-yes-${i}`, onclick: () => send(true) }, t("answerYes")),
          h("button", { type: "button", class: "secondary", "data-test": `answer-no-${i}`, onclick: () => send(false) }, t("answerNo")),
          dontKnow,
        );
        break;
      case "enum": {
        const select = h(
          "select",
          { "data-test": `answer-select-${i}`, "aria-label": say(q.label) },
          h("option", { value: "" }, "—"),
          ...q.input.options.map((o) => h("option", { value: o.value }, say(o.label))),
        );
        control = h("div", { class: "answer" }, select, save(() => select.value), dontKnow);
        break;
      }
      case "set": {
        const boxes = q.input.options.map((o) =>
          h("label", { class: "check" }, h("input", { type: "checkbox", value: o.value }), say(o.label)),
        );
        const read = () => boxes.map((b) => b.querySelector("input")!).filter((x) => x.checked).map((x) => x.value);
        // Saving with nothing ticked is a question back, never a silent "none of these": that
        // answer has its own button.
        const saveTicked = h(
          "button",
          {
            type: "button",
            class: "primary",
            "data-test": `answer-save-${i}`,
            onclick: () => {
              const ticked = read();
              if (ticked.length > 0) send(ticked);
              else {
                this.questionError = { key: questionKey(q), text: () => t("answerTickOrNone") };
                this.render();
              }
            },
          },
          t("answerSave"),
        );
        const none = h("button", { type: "button", class: "secondary", "data-test": `answer-none-${i}`, onclick: () => send([]) }, t("answerNoneOfThese"));
        control = h("div", { class: "answer set" }, ...boxes, saveTicked, none, dontKnow);
        break;
      }
      default: {
        // A date is typed day first in a text field, as the household form's date of birth: the
        // webview's date input follows the computer's locale (month first on an English (US) one).
        const date = q.input.kind === "date";
        const placeholder = q.input.kind === "birth" ? t("birthAsAge") : date ? t("dateDayMonthYear") : "";
        const key = questionKey(q);
        const field = h("input", {
          type: "text",
          inputmode: date ? "numeric" : "decimal",
          placeholder,
          value: this.typed.get(key) ?? "",
          "data-test": `answer-input-${i}`,
          "aria-label": say(q.label),
          oninput: (e: Event) => this.typed.set(key, (e.target as HTMLInputElement).value),
          onkeydown: (e: Event) => {
            if ((e as KeyboardEvent).key === "Enter") send((e.target as HTMLInputElement).value);
          },
        });
        control = h("div", { class: "answer" }, field, save(() => field.value), dontKnow);
      }
    }
    return h(
      "div",
      { class: "question", "data-test": `question-${i}`, "data-fact": q.fact, "data-member": q.member_id ?? "household" },
      h(
        "div",
        { class: "question-text" },
        h("strong", {}, ...withTerms(say(q.label))),
        h("span", { class: "who" }, q.member_name ?? t("forHousehold")),
        h("span", { class: "muted" }, t(q.decides === 1 ? "decidesOne" : "decides", { n: q.decides })),
        q.asked_unknown ? h("span", { class: "muted", "data-test": `asked-unknown-${i}` }, t("askedUnknown")) : null,
        // On the question's own line, so that "ask next" grows no taller for it.
        h(
          "button",
          {
            type: "button",
            class: "link",
            "data-test": `ask-in-survey-${i}`,
            "data-write": true,
            onclick: () => void this.nav.showSurvey(this.householdId, this.title, { fact: q.fact, member: q.member_id }),
          },
          t("surveyAskThere"),
        ),
      ),
      control,
      this.questionError?.key === questionKey(q)
        ? h("p", { class: "field-error", role: "alert", "data-test": `answer-error-${i}` }, this.questionError.text())
        : null,
    );
  }

  private async answer(q: QuestionView, raw: string | string[] | boolean | null): Promise<void> {
    const key = questionKey(q);
    const numeric = ["int", "money", "decimal"].includes(q.input.kind);
    const parsed = answerValue(q.input, raw);
    if ("error" in parsed) {
      // The error goes to the question itself, and what she typed stays in the field.
      this.questionError = { key, text: () => t(parsed.error === "required" ? "field_required" : numeric ? "field_not_a_number" : q.input.kind === "date" ? "field_date_not_valid" : "field_invalid_value") };
      this.notice = unsaid;
      this.render();
      return;
    }
    const before = this.data;
    try {
      this.data = await ipc.answerFact({
        household_id: this.householdId,
        member_id: q.member_id,
        fact: q.fact,
        value: parsed.value,
      });
      this.typed.delete(key);
      this.questionError = null;
      const after = this.data;
      this.notice = () => this.changes(before, after);
      // The answer is now part of what is known; a failure here leaves the old list shown.
      this.profile = await ipc.householdProfile(this.householdId).catch(() => this.profile);
      this.problem = unsaid;
    } catch (e) {
      const reply = asErrorReply(e);
      const field = reply.fields[0];
      this.questionError = { key, text: () => (field ? t(`field_${field.code}`) : errorText(reply)) };
      this.notice = unsaid;
    }
    this.render();
  }

  /** What an answer changed, as she reads it: "विधवा पेंशन → पात्र". */
  private changes(before: HouseholdEligibility, after: HouseholdEligibility): string {
    const was = new Map(before.findings.map((f) => [`${f.scheme}|${f.member_id ?? ""}`, f.outcome]));
    const names = new Map(after.schemes.map((s) => [s.code, say(s.name)]));
    const members = new Map(after.members.map((m) => [m.id, m.name]));
    const changed = after.findings.filter((f) => {
      const old = was.get(`${f.scheme}|${f.member_id ?? ""}`);
      return old !== undefined && old !== f.outcome;
    });
    if (changed.length === 0) return t("answerNoChange");
    const shown = changed.slice(0, 4).map((f) => {
      const who = f.member_id ? `${members.get(f.member_id) ?? ""}: ` : "";
      return `${who}${names.get(f.scheme) ?? f.scheme} → ${t(`outcome_${f.outcome}`)}`;
    });
    if (changed.length > shown.length) shown.push(t("answerMoreChanges", { n: changed.length - shown.length }));
    return t("answerChanged", { changes: shown.join("; ") });
  }

  private finding(f: FindingView, s: SchemeInfo | undefined): HTMLElement {
    const name = s ? say(s.name) : f.scheme;
    const labels = new Map(this.data.questions.map((q) => [q.fact, say(q.label)]));
    // Each missing fact as its question; questions end with "?", so a dot separates them.
    const missing = f.missing.map((m) => labels.get(m) ?? m).join(" · ");
    const schemeName = (code: string) => {
      const other = this.data.schemes.find((x) => x.code === code);
      return other ? say(other.name) : code;
    };
    // Alternatives of one exclusive group (two pensions): eligible for each, paid one of them.
    const alternatives =
      f.alternatives.length > 0 && f.group_rule
        ? h(
            "span",
            { class: "alternatives", "data-test": "alternatives" },
            t("oneOfThese", { others: f.alternatives.map(schemeName).join(", "), rule: say(f.group_rule) }),
          )
        : null;
    return h(
      "details",
      { class: `finding outcome-${f.outcome}`, "data-test": "finding", "data-scheme": f.scheme, "data-outcome": f.outcome },
      h(
        "summary",
        {},
        h("span", { class: "badge" }, t(`outcome_${f.outcome}`)),
        h("span", { class: "scheme-name" }, name),
        f.outcome === "undetermined" && missing ? h("span", { class: "missing" }, t("missingFacts", { facts: missing })) : null,
        alternatives,
        this.referralMark(f, s),
      ),
      s ? this.schemeBody(f, s) : null,
    );
  }

  private schemeBody(f: FindingView, s: SchemeInfo): HTMLElement {
    const mark = { met: "✓", not_met: "✗", unknown: "?" } as const;
    return h(
      "div",
      { class: "finding-body" },
      h("p", { class: "muted" }, [s.level === "central" ? t("level_central") : t("level_state"), say(s.department), s.kind === "service" ? t("kind_service") : ""].filter(Boolean).join(" · ")),
      h("h3", {}, t("benefit")),
      h("p", {}, say(s.benefit)),
      h("h3", {}, t("whyTitle")),
      h("ul", { class: "checks" }, ...f.checks.map((c) => h("li", { class: `check-${c.status}` }, h("span", { class: "mark" }, mark[c.status]), h("span", {}, ...withTerms(say(c.sentence)))))),
      s.documents.length > 0 ? h("h3", {}, t("documentsToCollect")) : null,
      s.documents.length > 0 ? h("ul", {}, ...s.documents.map((d) => h("li", {}, say(d)))) : null,
      h("h3", {}, t("whereToApply")),
      h("p", {}, say(s.where_to_apply)),
      h("p", { class: s.verification === "verified" ? "muted" : "caution" }, t(`verification_${s.verification}` as "verification_verified")),
    );
  }
}
