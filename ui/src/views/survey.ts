// The baseline survey of one household, drawn from the form's definition in the chosen
// language. Every answer is saved as the draft at once (a typed one after a short pause), and
// the logic's verdict comes back with it: which questions show, which answers are missing or
// refused. The page is built once; a verdict only shows, hides and marks the questions, so a
// roster of a hundred members stays fluid. A roster member's questions are built only when
// their folded section is first opened (by a tap, or by the page when it must show one of
// them), so opening a large household's survey builds the household's questions and one member's.
import { asErrorReply, ipc, type SurveyDraft } from "../ipc";
import type { ErrorReply } from "../bindings/ErrorReply";
import type { SurveyForm } from "../bindings/SurveyForm";
import type { SurveyItem } from "../bindings/SurveyItem";
import type { SurveyState } from "../bindings/SurveyState";
import type { SurveyText } from "../bindings/SurveyText";
import { h, mount } from "../dom";
import { isoToDayFirst } from "../form/model";
import { language, t, type Said } from "../i18n";
import {
  answerOf,
  groupShown,
  interpolate,
  rosterOf,
  setAnswer,
  shownKeys,
  showsAnswers,
  slotKey,
  typedAnswer,
  type Slot,
} from "../survey/model";
import { errorText } from "./errorPanel";
import { confirmInApp } from "./confirm";

/** A question of "ask next" to find in the survey: a fact, of the household or of a member. */
export interface SurveyFocus {
  fact: string;
  member: string | null;
}

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showEligibility(householdId: string, title: string): Promise<void>;
}

function say(text: SurveyText | null): string {
  if (!text) return "";
  return language() === "hi" ? text.hi : text.en;
}

/** How long typing may pause before the answer is saved; a choice is saved at once. */
const TYPING_PAUSE_MS = 400;

export class SurveyView {
  private readonly root = h("div", { class: "survey" });
  private readonly status = h("p", { class: "muted", role: "status", "data-test": "survey-status" });
  private readonly rosterBox = h("div", { class: "survey-roster" });
  private readonly roster: SurveyItem | null;
  /** Each built question's box, its message line and its roster instance, by slot key. */
  private readonly boxes = new Map<string, { box: HTMLElement; message: HTMLElement; instance: number | null }>();
  /** The labels and hints that show answers (`${name}`), filled in again at every verdict. */
  private templated: { el: HTMLElement; text: SurveyText; instance: number | null }[] = [];
  /** The names of the roster's questions: a label inside it reads its own member's answers. */
  private readonly rosterNames = new Set<string>();
  /** Every question by name, to show a choice's label rather than its stored name. */
  private readonly byName = new Map<string, SurveyItem>();
  /** Each group's box with its item and instance, to hide a group with nothing shown. */
  private groups: { box: HTMLElement; item: SurveyItem; instance: number | null }[] = [];
  /** Each roster member's folding section, by instance. */
  private members: HTMLDetailsElement[] = [];
  /** The members whose questions are built: those opened at least once since the roster was drawn. */
  private built = new Set<number>();
  /** The questions touched since the page opened: only their problems are shown until Finish. */
  private readonly touched = new Set<string>();
  private showAll = false;
  private drawnInstances = -1;
  private saving = false;
  /** "Back" was pressed and waits for the last save (`leave`). */
  private leaving = false;
  private dirty = false;
  /** Whether an answer was saved since the page opened: only then does the page say so. */
  private everSaved = false;
  /** Why the last save or finish failed, said again in the language of the moment whenever the
   * verdict is shown, until the next answer or a save that succeeds; null when nothing failed. */
  private failure: Said | null = null;
  private timer: number | undefined;
  private readonly today: Date;

  constructor(
    private readonly nav: Navigator,
    private readonly householdId: string,
    private readonly title: string,
    private readonly form: SurveyForm,
    private draft: SurveyDraft,
    today: string,
  ) {
    this.roster = rosterOf(form.items);
    this.today = new Date(`${today}T12:00:00`);
    const index = (items: SurveyItem[], inRoster: boolean) => {
      for (const i of items) {
        this.byName.set(i.name, i);
        const inside = inRoster || i === this.roster;
        if (inside && i !== this.roster) this.rosterNames.add(i.name);
        index(i.children, inside);
      }
    };
    index(form.items, false);
  }

  static async open(nav: Navigator, householdId: string, title: string): Promise<SurveyView | ErrorReply> {
    try {
      const [form, draft, today] = await Promise.all([ipc.surveyForm(householdId), ipc.surveyStart(householdId), ipc.today()]);
      return new SurveyView(nav, householdId, title, form, draft, today);
    } catch (e) {
      // The failure is drawn afresh with the screen, in the language of the moment.
      return asErrorReply(e);
    }
  }

  render(): HTMLElement {
    this.boxes.clear();
    this.templated = [];
    this.groups = [];
    this.drawnInstances = -1;
    const finish = h("button", { type: "button", class: "primary", "data-test": "survey-finish", onclick: () => void this.finish() }, t("surveyFinish"));
    mount(
      this.root,
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void this.leave() }, "← " + t("back")),
        h("h1", {}, t("surveyTitle", { number: this.title })),
      ),
      h("p", { class: "muted" }, say(this.form.title)),
      this.status,
      ...this.items(this.form.items, null),
      h("div", { class: "form-actions" }, finish),
    );
    this.apply(this.draft.state);
    return this.root;
  }

  private rosterName(): string | null {
    return this.roster?.name ?? null;
  }

  private items(items: SurveyItem[], instance: number | null): HTMLElement[] {
    const out: HTMLElement[] = [];
    for (const item of items) {
      const el = this.item(item, instance);
      if (el) out.push(el);
    }
    return out;
  }

  private item(item: SurveyItem, instance: number | null): HTMLElement | null {
    switch (item.kind) {
      case "calculate":
      case "metadata":
        return null;
      case "group": {
        const box = h("fieldset", { class: "survey-group", "data-group": item.name }, h("legend", {}, say(item.label)), ...this.items(item.children, instance));
        this.groups.push({ box, item, instance });
        return box;
      }
      case "repeat":
        // The roster is drawn (again) when the verdict says how many members it has.
        return this.rosterBox;
      default:
        return this.question(item, instance);
    }
  }

  private question(item: SurveyItem, instance: number | null): HTMLElement {
    const slot: Slot = { name: item.name, instance };
    const key = slotKey(slot);
    const message = h("p", { class: "field-error", role: "alert", "data-test": `problem-${key}` });
    const label = this.text(h("label", { class: "survey-label", for: `q-${key}` }), item.label, instance);
    const hint = item.hint ? this.text(h("p", { class: "muted survey-hint" }), item.hint, instance) : null;
    const box = h("div", { class: "survey-question", "data-slot": key }, label, hint, item.kind === "note" ? null : this.input(item, slot), message);
    if (item.kind === "note") box.classList.add("survey-note");
    this.boxes.set(key, { box, message, instance });
    return box;
  }

  /** Puts `text` into `el`; one that shows answers is kept to be filled in at every verdict. */
  private text(el: HTMLElement, text: SurveyText | null, instance: number | null): HTMLElement {
    if (text && (showsAnswers(text.en) || showsAnswers(text.hi))) {
      this.templated.push({ el, text, instance });
      el.textContent = this.filled(text, instance);
    } else {
      el.textContent = say(text);
    }
    return el;
  }

  /** `text` in the chosen language with the answers it names, in words, as they stand now. */
  private filled(text: SurveyText, instance: number | null): string {
    return interpolate(say(text), (name) => {
      const value = this.current({ name, instance: this.rosterNames.has(name) ? instance : null });
      const item = this.byName.get(name);
      if (!item?.list || value === "") return value;
      const choices = this.form.lists[item.list] ?? [];
      const word = (v: string) => say(choices.find((c) => c.name === v)?.label ?? null) || v;
      return item.kind === "select_multiple" ? value.split(/\s+/).filter(Boolean).map(word).join(", ") : word(value);
    });
  }

  private current(slot: Slot): string {
    const typed = typedAnswer(this.draft.answers, this.rosterName(), slot);
    if (typed !== undefined) return typed;
    return this.draft.state.questions.find((q) => q.name === slot.name && q.instance === slot.instance)?.value ?? "";
  }

  private input(item: SurveyItem, slot: Slot): HTMLElement {
    const key = slotKey(slot);
    const value = this.current(slot);
    const id = `q-${key}`;
    const test = `answer-${key}`;
    const choices = item.list ? (this.form.lists[item.list] ?? []) : [];
    const other = item.other ? [{ name: "other", label: { en: t("surveyOther"), hi: t("surveyOther") } }] : [];
    switch (item.kind) {
      case "select_one": {
        const all = [...choices, ...other];
        // A long list is a drop-down; a short one is buttons, one tap each.
        if (all.length > 8 || item.appearance?.includes("minimal")) {
          return h(
            "select",
            { id, "data-test": test, disabled: item.read_only, onchange: (e: Event) => this.answer(slot, item.kind, (e.target as HTMLSelectElement).value, true) },
            h("option", { value: "" }, t("surveyChoose")),
            ...all.map((c) => {
              const o = h("option", { value: c.name }, say(c.label));
              o.selected = c.name === value;
              return o;
            }),
          );
        }
        return h(
          "div",
          { class: "survey-choices", role: "radiogroup", id },
          ...all.map((c) => {
            const input = h("input", { type: "radio", name: id, value: c.name, "data-test": `${test}-${c.name}`, disabled: item.read_only, onchange: () => this.answer(slot, item.kind, c.name, true) });
            input.checked = c.name === value;
            return h("label", { class: "survey-choice" }, input, say(c.label));
          }),
        );
      }
      case "select_multiple": {
        const picked = new Set(value.split(/\s+/).filter(Boolean));
        const box = h("div", { class: "survey-choices", id });
        const read = () =>
          [...box.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value).join(" ");
        box.append(
          ...[...choices, ...other].map((c) => {
            const input = h("input", { type: "checkbox", value: c.name, "data-test": `${test}-${c.name}`, disabled: item.read_only, onchange: () => this.answer(slot, item.kind, read(), true) });
            input.checked = picked.has(c.name);
            return h("label", { class: "survey-choice" }, input, say(c.label));
          }),
        );
        return box;
      }
      case "acknowledge": {
        const input = h("input", { type: "checkbox", id, "data-test": test, onchange: (e: Event) => this.answer(slot, item.kind, (e.target as HTMLInputElement).checked ? "OK" : "", true) });
        input.checked = value === "OK";
        return h("label", { class: "survey-choice" }, input, t("surveyAcknowledge"));
      }
      case "geopoint": {
        const [lat = "", lon = ""] = value.split(/\s+/);
        const latIn = h("input", { type: "text", inputmode: "decimal", id, "data-test": `${test}-lat`, value: lat, placeholder: t("surveyLatitude") });
        const lonIn = h("input", { type: "text", inputmode: "decimal", "data-test": `${test}-lon`, value: lon, placeholder: t("surveyLongitude") });
        const send = () => this.answer(slot, item.kind, `${latIn.value.trim()} ${lonIn.value.trim()}`.trim(), false);
        latIn.addEventListener("input", send);
        lonIn.addEventListener("input", send);
        return h("div", { class: "survey-point" }, latIn, lonIn);
      }
      default: {
        const numeric = item.kind === "integer" || item.kind === "decimal" || item.appearance?.includes("numbers");
        const shown = item.kind === "date" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? isoToDayFirst(value) : value;
        const attrs = {
          id,
          "data-test": test,
          value: shown,
          readonly: item.read_only,
          inputmode: numeric ? "decimal" : undefined,
          placeholder: item.kind === "date" ? t("surveyDateHint") : undefined,
          oninput: (e: Event) => this.answer(slot, item.kind, (e.target as HTMLInputElement).value, false),
          onchange: () => this.flush(),
        };
        return item.appearance?.includes("multiline") ? h("textarea", attrs) : h("input", { type: "text", ...attrs });
      }
    }
  }

  /** Draws the roster's members when their number changed, each folded under its summary line. */
  private drawRoster(state: SurveyState): void {
    const roster = this.roster;
    if (!roster) return;
    const n = state.instances[roster.name] ?? 0;
    if (n === this.drawnInstances) return;
    // Only the roster's own questions and groups are forgotten; the rest of the page stays.
    for (const [key, entry] of [...this.boxes]) if (entry.instance !== null) this.boxes.delete(key);
    this.groups = this.groups.filter((g) => g.instance === null);
    this.templated = this.templated.filter((x) => x.instance === null);
    this.built = new Set();
    // Each member folds away under a line with their name, so a family of twelve is a list to
    // open one by one rather than a page thirty screens long.
    this.members = Array.from({ length: n }, (_, i) => this.memberSection(i));
    const add = roster.counted
      ? null
      : h("button", { type: "button", class: "secondary", "data-test": "survey-add-member", onclick: () => this.addMember() }, t("surveyAddMember"));
    mount(this.rosterBox, h("h2", { class: "survey-roster-title" }, say(roster.label)), ...this.members, ...(add ? [add] : []));
    this.drawnInstances = n;
    // The first member is open to start with; the others' questions wait until they are opened.
    if (n > 0) this.openMember(0);
  }

  /** Member `i`'s section with only its summary line: the questions are built when it opens. */
  private memberSection(i: number): HTMLDetailsElement {
    const name = this.memberName(i);
    // A tap (or Enter) on the summary builds the questions before the section unfolds, so it
    // never shows empty for a frame.
    const summary = h(
      "summary",
      { "data-test": `member-summary-${i}`, onclick: () => this.buildMember(i) },
      h("span", { class: "survey-member-title" }, t("surveyMember", { n: i + 1 }) + (name ? `: ${name}` : "")),
      h("span", { class: "survey-member-state", "data-test": `member-state-${i}` }),
    );
    const section = h("details", { class: "survey-member", "data-test": `member-${i}` }, summary);
    // Opened any other way (the browser's find in page, a script), it builds them when it opens.
    // The event comes later than the opening: by then the roster may have been drawn again, and
    // a section no longer on the page must not build its successor.
    section.addEventListener("toggle", () => {
      if (section.open && this.members[i] === section) this.buildMember(i);
    });
    return section;
  }

  /** Builds member `i`'s questions once, filled with what is typed and marked by the latest verdict. */
  private buildMember(i: number): void {
    const section = this.members[i];
    if (!section || !this.roster || this.built.has(i)) return;
    this.built.add(i);
    section.append(...this.items(this.roster.children, i));
    this.markQuestions(this.draft.state, i);
  }

  /** Unfolds member `i`'s section, building its questions first if they are not yet. */
  private openMember(i: number): void {
    this.buildMember(i);
    const section = this.members[i];
    if (section) section.open = true;
  }

  /**
   * Brings the survey question that records `focus` into view: the member's section is opened
   * and the question marked. A question not shown yet (before consent, or behind an earlier
   * answer) leaves the page at the first question still to answer instead.
   */
  focus(focus: SurveyFocus): void {
    const roster = this.rosterName();
    const find = (items: SurveyItem[]): SurveyItem | null => {
      for (const i of items) {
        if (i.fact === focus.fact) return i;
        const inner = find(i.children);
        if (inner) return inner;
      }
      return null;
    };
    const item = find(this.form.items);
    const instance =
      focus.member === null || roster === null
        ? null
        : (this.draft.answers.repeats[roster] ?? []).findIndex((m) => m["_member"] === focus.member);
    if (instance !== null && instance >= 0) this.openMember(instance);
    const key = item ? slotKey({ name: item.name, instance: instance !== null && instance >= 0 ? instance : null }) : null;
    const box = key ? this.boxes.get(key)?.box : undefined;
    const target = box && !box.hidden ? box : this.firstToAnswer();
    if (!target) return;
    // The first question still to answer may be a folded member's (built, not yet opened).
    const section = target.closest<HTMLDetailsElement>("details.survey-member");
    if (section) section.open = true;
    target.classList.add("survey-focus");
    target.scrollIntoView({ block: "center" });
    target.querySelector<HTMLElement>("input, select, textarea")?.focus();
  }

  /** The first shown question with nothing typed yet, its member's questions built if need be. */
  private firstToAnswer(): HTMLElement | undefined {
    for (const q of this.draft.state.questions) {
      if (!q.relevant || q.value !== "") continue;
      if (q.instance !== null) this.buildMember(q.instance);
      const entry = this.boxes.get(slotKey({ name: q.name, instance: q.instance }));
      if (entry && !entry.box.hidden && !entry.box.classList.contains("survey-note")) return entry.box;
    }
    return undefined;
  }

  /** The name given to roster member `i`, if any: the roster's first text question, which is
   * the name in the baseline survey. */
  private memberName(i: number): string {
    const roster = this.rosterName();
    if (roster === null) return "";
    const names = this.roster?.children.filter((c) => c.kind === "text") ?? [];
    const first = names[0];
    return first ? (this.draft.answers.repeats[roster]?.[i]?.[first.name] ?? "") : "";
  }

  private addMember(): void {
    const roster = this.rosterName();
    if (roster === null) return;
    (this.draft.answers.repeats[roster] ??= []).push({});
    void this.save();
  }

  /** Shows the verdict: hides what is not asked, marks what is missing or refused. */
  private apply(state: SurveyState): void {
    this.drawRoster(state);
    // Labels that show answers follow them.
    for (const { el, text, instance } of this.templated) el.textContent = this.filled(text, instance);
    this.markQuestions(state);
    this.markMembers(state);
    if (this.failure) {
      // A failure stays said over a redraw (a language switch), not covered by "saved".
      this.status.textContent = this.failure();
    } else if (!this.saving && this.timer === undefined) {
      const left = state.problems > 0 ? t("surveyToFix", { n: state.problems }) : t("surveyReady");
      this.status.textContent = this.everSaved ? `${t("surveySaved")} ${left}` : left;
    }
  }

  /**
   * Shows or hides each built question and group, and shows the problems of those touched (of
   * all, after Finish). `member` narrows it to one member's, just built; a member not built yet
   * has nothing to mark, and is marked with the verdict of the moment when it is built.
   */
  private markQuestions(state: SurveyState, member?: number): void {
    const ours = (instance: number | null) => member === undefined || instance === member;
    const questions = member === undefined ? state.questions : state.questions.filter((q) => q.instance === member);
    const shown = shownKeys(questions);
    for (const [key, { box, instance }] of this.boxes) if (ours(instance)) box.hidden = !shown.has(key);
    for (const g of this.groups) if (ours(g.instance)) g.box.hidden = !groupShown(g.item, g.instance, shown);
    for (const q of questions) {
      const key = slotKey({ name: q.name, instance: q.instance });
      const entry = this.boxes.get(key);
      if (!entry) continue;
      const visible = q.relevant && q.problem !== null && (this.showAll || this.touched.has(key));
      entry.message.textContent = visible ? say(q.problem) : "";
      entry.box.classList.toggle("has-error", visible);
    }
  }

  /**
   * Says on each member's summary line whether anything of theirs is still to fill; the verdict
   * says it whether their questions are built or not. After Finish those members open.
   */
  private markMembers(state: SurveyState): void {
    const toFix = new Set<number>();
    for (const q of state.questions) if (q.instance !== null && q.relevant && q.problem !== null) toFix.add(q.instance);
    this.members.forEach((section, i) => {
      const badge = section.querySelector<HTMLElement>(".survey-member-state");
      if (badge) badge.textContent = toFix.has(i) ? t("surveyMemberToFix") : t("surveyMemberDone");
      section.classList.toggle("has-error", toFix.has(i) && this.showAll);
      if (this.showAll && toFix.has(i)) this.openMember(i);
    });
  }

  private answer(slot: Slot, kind: string, typed: string, now: boolean): void {
    setAnswer(this.draft.answers, this.rosterName(), slot, answerOf(kind, typed, this.today));
    this.touched.add(slotKey(slot));
    this.failure = null;
    // Until it is saved, the page does not say "saved".
    this.status.textContent = t("surveySaving");
    window.clearTimeout(this.timer);
    this.timer = undefined;
    if (now) void this.save();
    else
      this.timer = window.setTimeout(() => {
        this.timer = undefined;
        void this.save();
      }, TYPING_PAUSE_MS);
  }

  private flush(): void {
    if (this.timer === undefined) return;
    window.clearTimeout(this.timer);
    this.timer = undefined;
    void this.save();
  }

  /** Saves the draft; answers given while a save is on its way are sent right after it. */
  private async save(): Promise<void> {
    if (this.saving) {
      this.dirty = true;
      return;
    }
    this.saving = true;
    this.status.textContent = t("surveySaving");
    try {
      do {
        this.dirty = false;
        const answers = structuredClone(this.draft.answers);
        const saved = await ipc.surveySave(this.householdId, answers);
        // Answers typed while the save was on its way stay: only the verdict is taken.
        this.draft = { ...saved, answers: this.draft.answers };
      } while (this.dirty);
      this.saving = false;
      this.everSaved = true;
      this.failure = null;
      this.apply(this.draft.state);
    } catch (e) {
      this.saving = false;
      // Said in her language (the reply's detail is the store's own sentence, in English).
      const reply = asErrorReply(e);
      this.failure = () => t("surveySaveFailed", { detail: errorText(reply) });
      this.status.textContent = this.failure();
    }
  }

  private async finish(): Promise<void> {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    await this.save();
    // A save already on its way when Finish was pressed sends the last answers after it.
    while (this.saving) await new Promise((r) => setTimeout(r, 50));
    // The last answers did not reach the store: finishing now would finish without them.
    if (this.failure) return;
    this.showAll = true;
    this.apply(this.draft.state);
    if (this.draft.state.problems > 0) {
      this.status.textContent = t("surveyFinishRefused", { n: this.draft.state.problems });
      this.root.querySelector<HTMLElement>(".survey-question.has-error")?.scrollIntoView({ block: "center" });
      return;
    }
    try {
      const done = await ipc.surveyFinish(this.householdId);
      // A refusal keeps none of the answers; the eligibility page would show the family's
      // schemes from an earlier survey as if this one had found them.
      if (done.refused) await this.nav.showHome(() => t(done.consent_on_record ? "surveyRefusedKept" : "surveyRefused"));
      else await this.nav.showEligibility(this.householdId, this.title);
    } catch (e) {
      // Only answers missing or refused come with a count; anything else (the app locked, the
      // store full) is said as itself, not as "0 answers are missing".
      const reply = asErrorReply(e);
      const count = reply.count;
      this.failure = count !== null ? () => t("surveyFinishRefused", { n: count }) : () => errorText(reply);
      this.status.textContent = this.failure();
    }
  }

  /** Back to the list once the last answers are saved, so the survey resumes where it was
   * left. A save that failed is tried again; failing still, she chooses whether to leave
   * without those answers. Before, the list came at once and answers typed after a save
   * failed were lost unsaid (found by a review). */
  private async leave(): Promise<void> {
    // A second press while the first waits would ask twice.
    if (this.leaving) return;
    this.leaving = true;
    try {
      await this.leaveOnce();
    } finally {
      this.leaving = false;
    }
  }

  private async leaveOnce(): Promise<void> {
    const pending = this.timer !== undefined || this.failure !== null;
    window.clearTimeout(this.timer);
    this.timer = undefined;
    if (pending) await this.save();
    while (this.saving) await new Promise((r) => setTimeout(r, 50));
    if (this.failure && !(await confirmInApp(t("unsavedLeave"), "leaveWithoutSaving", "stayOnForm"))) return;
    await this.nav.showHome();
  }
}
