// The form to add or edit a household and its members.
import type { Duplicate } from "../bindings/Duplicate";
import type { Relation } from "../bindings/Relation";
import type { Sex } from "../bindings/Sex";
import type { VillageOverview } from "../bindings/VillageOverview";
import { h, mount } from "../dom";
import { chooseInApp, confirmInApp } from "./confirm";
import {
  type BirthKind,
  emptyMember,
  type FormErrors,
  type HouseholdDraft,
  type MemberDraft,
  type MemberStatus,
  type MergeLeftOut,
  mergeLeavesOut,
  toInput,
  readDraft,
} from "../form/model";
import { instantWords, localName, t, type MessageKey, type Said } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { errorText } from "./errorPanel";
import { mayDelete } from "../role";

const RELATIONS: Relation[] = [
  "head", "spouse", "son", "daughter", "son_in_law", "daughter_in_law", "grandson", "granddaughter",
  "father", "mother", "father_in_law", "mother_in_law", "brother", "sister", "brother_in_law",
  "sister_in_law", "other_relative", "not_related",
];
const SEXES: Sex[] = ["female", "male", "other"];
const MEMBER_STATUSES: MemberStatus[] = ["present", "died", "moved_away"];
const BIRTH_KINDS: [BirthKind, MessageKey][] = [
  ["date", "birthDate"],
  ["age", "birthAge"],
  ["unknown", "birthUnknown"],
];

/** A value a merge leaves out, in the screen's language. */
function leftOutValue(l: MergeLeftOut): string {
  switch (l.field) {
    case "sex":
      return t(`sex_${l.value}`);
    case "relation":
      return t(`relation_${l.value}`);
    case "memberStatus":
      return l.on.trim() === "" ? t(`status_${l.value}`) : `${t(`status_${l.value}`)}, ${l.on}`;
    default:
      return l.value;
  }
}

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showEligibility(householdId: string, title: string): Promise<void>;
  showSaved(id: string, number: number | null, title: string, message: Said): Promise<void>;
}

export class HouseholdForm {
  private errors: FormErrors = new Map();
  /** The form's error line, worded when drawn: a change of language rewords it. */
  private banner: (() => string) | null = null;
  private dirty = false;
  private saving = false;
  /** A press of "save" is being checked, before the saving itself (`save`). */
  private saveAsked = false;
  private readonly root = h("form", { class: "household-form", novalidate: true });

  constructor(
    private readonly nav: Navigator,
    private readonly overview: VillageOverview,
    private readonly draft: HouseholdDraft,
    /** The centre's day (YYYY-MM-DD): no birth date may come after it. */
    private readonly today: string,
  ) {
    this.root.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.save();
    });
    this.root.addEventListener("input", (e) => {
      this.dirty = true;
      // Correcting a field takes its error away at once; the others stay until the next save.
      const field = (e.target as HTMLElement).closest<HTMLElement>(".field.invalid");
      const path = field?.dataset.path;
      if (field && path) {
        this.errors.delete(path);
        field.classList.remove("invalid");
        field.querySelector(".field-error")?.remove();
        field.querySelector("[aria-invalid]")?.removeAttribute("aria-invalid");
      }
    });
  }

  render(): HTMLElement {
    const d = this.draft;
    const title = d.id === null ? t("newHousehold") : t("editHousehold", { number: d.number ?? t("noNumber") });
    mount(
      this.root,
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => this.leave() }, "← " + t("back")),
        h("h1", {}, title),
        d.id !== null
          ? h(
              "button",
              {
                type: "button",
                class: "secondary",
                "data-test": "form-eligibility",
                onclick: async () => {
                  if (!(await this.mayLeave())) return;
                  void this.nav.showEligibility(d.id!, `${d.number ?? t("noNumber")} — ${d.members[0]?.name ?? ""}`);
                },
              },
              t("eligibility"),
            )
          : document.createTextNode(""),
        d.id !== null
          ? h(
              "button",
              { type: "button", class: "secondary danger", "data-test": "withdraw-household", "data-write": true, onclick: () => void this.withdraw(null) },
              t("withdrawHousehold"),
            )
          : document.createTextNode(""),
      ),
      this.banner ? h("p", { class: "banner-error", role: "alert", "data-test": "form-error" }, this.banner()) : document.createTextNode(""),
      this.consentBox(),
      h(
        "div",
        { class: "row" },
        this.field(
          "hamlet_id",
          t("hamlet"),
          h(
            "select",
            { id: "hamlet_id", "data-test": "hamlet", onchange: (e: Event) => (d.hamletId = (e.target as HTMLSelectElement).value) },
            h("option", { value: "", selected: d.hamletId === "" }, t("hamletNone")),
            ...this.overview.hamlets.map((x) => h("option", { value: x.id, selected: d.hamletId === x.id }, localName(x))),
          ),
        ),
        this.field(
          "address",
          t("address"),
          h("input", {
            id: "address",
            "data-test": "address",
            value: d.address,
            maxlength: 300,
            oninput: (e: Event) => (d.address = (e.target as HTMLInputElement).value),
          }),
        ),
        this.field(
          "phone",
          t("phoneOptional"),
          h("input", {
            id: "phone",
            type: "tel",
            inputmode: "tel",
            "data-test": "phone",
            value: d.phone,
            maxlength: 20,
            placeholder: "98765 43210",
            oninput: (e: Event) => (d.phone = (e.target as HTMLInputElement).value),
          }),
        ),
      ),
      h("h2", {}, t("members")),
      this.errorFor("members"),
      h("ol", { class: "members" }, ...d.members.map((m, i) => this.member(m, i))),
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "button", class: "secondary", "data-test": "add-member", "data-write": true, onclick: () => this.addMember() }, "+ " + t("addMember")),
        h("span", { class: "spacer" }),
        h("button", { type: "button", class: "secondary", "data-test": "cancel", onclick: () => this.leave() }, t("cancel")),
        h("button", { type: "submit", class: "primary", "data-test": "save", "data-write": true, disabled: this.saving }, this.saving ? t("saving") : t("save")),
      ),
    );
    return this.root;
  }

  focusFirst(): void {
    this.root.querySelector<HTMLInputElement>("[data-test=member-name-0]")?.focus();
  }

  private member(m: MemberDraft, i: number): HTMLElement {
    const id = (name: string) => `m${i}-${name}`;
    const redraw = () => this.render();
    const birthInput =
      m.birthKind === "date"
        ? // The app's own date entry, day first, whatever the computer's language: the webview's
          // date input follows the system locale and read 15/08/1978 month first on an English
          // (US) system. What she types stays in the field until it is saved or corrected.
          h("input", {
            type: "text",
            inputmode: "numeric",
            autocomplete: "off",
            id: id("birth"),
            class: "date",
            "data-test": `member-date-${i}`,
            value: m.date,
            "aria-label": t("dateDayMonthYear"),
            placeholder: t("dateDayMonthYear"),
            oninput: (e: Event) => (m.date = (e.target as HTMLInputElement).value),
          })
        : m.birthKind === "age"
          ? h("input", {
              id: id("birth"),
              inputmode: "numeric",
              class: "age",
              "data-test": `member-age-${i}`,
              value: m.age,
              "aria-label": t("ageYears"),
              placeholder: t("ageYears"),
              oninput: (e: Event) => (m.age = (e.target as HTMLInputElement).value),
            })
          : null;
    // Whether she still lives here: a member who died or moved away keeps their record (and the
    // death still counts for a widow's pension), but is no longer counted or screened.
    const status =
      i === 0
        ? null
        : this.field(
            `members.${i}.left`,
            t("memberStatus"),
            h(
              "div",
              { class: "birth" },
              h(
                "select",
                {
                  id: id("status"),
                  "data-test": `member-status-${i}`,
                  onchange: (e: Event) => {
                    m.status = (e.target as HTMLSelectElement).value as MemberStatus;
                    this.dirty = true;
                    redraw();
                  },
                },
                ...MEMBER_STATUSES.map((st) => h("option", { value: st, selected: m.status === st }, t(`status_${st}`))),
              ),
              m.status === "present"
                ? null
                : h("input", {
                    type: "text",
                    inputmode: "numeric",
                    autocomplete: "off",
                    id: id("left-on"),
                    class: "date",
                    "data-test": `member-left-on-${i}`,
                    value: m.leftOn,
                    "aria-label": t("leftOn"),
                    placeholder: t("leftOn"),
                    oninput: (e: Event) => (m.leftOn = (e.target as HTMLInputElement).value),
                  }),
            ),
            id("status"),
          );
    return h(
      "li",
      { class: m.status === "present" ? "member" : "member member-left", "data-test": `member-${i}` },
      h("div", { class: "member-title" }, h("span", {}, t("memberN", { n: i + 1 })),
        // A member not yet saved can be taken off the form by anyone who writes; removing a saved
        // one deletes what was recorded of them, a supervisor's decision (the library refuses it
        // to others): a facilitator marks the member as died or moved away instead.
        i > 0 && (m.id === null || mayDelete())
          ? h("button", { type: "button", class: "link", "data-test": `remove-member-${i}`, "data-write": true, onclick: () => this.removeMember(i) }, t("removeMember"))
          : null,
        this.draft.id !== null && m.id !== null
          ? h("button", { type: "button", class: "link danger", "data-test": `withdraw-member-${i}`, "data-write": true, onclick: () => void this.withdraw(m) }, t("withdrawMember"))
          : null,
        // One person recorded twice: a supervisor makes the two records one (the library refuses
        // it to others), so it is offered only to a supervisor, on a saved member.
        this.draft.id !== null && m.id !== null && mayDelete() && this.draft.members.filter((o) => o.id !== null).length > 1
          ? h("button", { type: "button", class: "link", "data-test": `merge-member-${i}`, "data-write": true, onclick: () => void this.merge(m) }, t("mergeMember"))
          : null),
      h(
        "div",
        { class: "row" },
        this.field(
          `members.${i}.name`,
          t("name"),
          h("input", {
            id: id("name"),
            "data-test": `member-name-${i}`,
            value: m.name,
            maxlength: 100,
            autocomplete: "off",
            oninput: (e: Event) => (m.name = (e.target as HTMLInputElement).value),
          }),
          id("name"),
        ),
        this.field(
          `members.${i}.relation`,
          t("relation"),
          h(
            "select",
            { id: id("relation"), "data-test": `member-relation-${i}`, onchange: (e: Event) => (m.relation = (e.target as HTMLSelectElement).value as Relation) },
            ...RELATIONS.map((r) => h("option", { value: r, selected: m.relation === r }, t(`relation_${r}`))),
          ),
          id("relation"),
        ),
        this.field(
          `members.${i}.sex`,
          t("sex"),
          h(
            "select",
            { id: id("sex"), "data-test": `member-sex-${i}`, onchange: (e: Event) => (m.sex = (e.target as HTMLSelectElement).value as Sex) },
            ...SEXES.map((s) => h("option", { value: s, selected: m.sex === s }, t(`sex_${s}`))),
          ),
          id("sex"),
        ),
        this.field(
          `members.${i}.birth`,
          t("birth"),
          h(
            "div",
            { class: "birth" },
            h(
              "select",
              {
                id: id("birth-kind"),
                "data-test": `birth-kind-${i}`,
                "aria-label": t("birth"),
                onchange: (e: Event) => {
                  m.birthKind = (e.target as HTMLSelectElement).value as BirthKind;
                  redraw();
                },
              },
              ...BIRTH_KINDS.map(([k, label]) => h("option", { value: k, selected: m.birthKind === k }, t(label))),
            ),
            birthInput,
          ),
          id("birth-kind"),
        ),
        status,
      ),
    );
  }

  /** The family's consent: the line on record, or (a new household, or one taken from a list)
   * the statement to read out, who agreed, and the tick that they did. It comes first because
   * it is asked first, before any question. */
  private consentBox(): HTMLElement {
    const d = this.draft;
    if (d.consent !== null) {
      const respondent = d.consent.respondent;
      // No respondent: a survey's consent question took it; one no longer listed withdrew.
      const who =
        respondent === null ? t("consentInSurvey") : (d.members.find((m) => m.id === respondent)?.name ?? t("consentByFormer"));
      return h(
        "p",
        { class: "muted consent-line", "data-test": "consent-on-record" },
        t("consentOnRecord", { who, date: instantWords(d.consent.taken_at), by: d.consent.taken_by }),
      );
    }
    const options = () =>
      d.members.map((m, i) =>
        h("option", { value: String(i), selected: d.consentRespondent === i }, `${i + 1}. ${m.name.trim() || t("memberN", { n: i + 1 })}`),
      );
    const who = h(
      "select",
      {
        id: "consent-who",
        "data-test": "consent-who",
        // The names are typed after the box is drawn: the list is read again when it is opened.
        onfocus: (e: Event) => mount(e.target as HTMLSelectElement, ...options()),
        onchange: (e: Event) => (d.consentRespondent = Number((e.target as HTMLSelectElement).value)),
      },
      ...options(),
    );
    return this.field(
      "consent",
      t("consentTitle"),
      h(
        "div",
        { class: "consent", "data-test": "consent-box" },
        h("p", { class: "consent-statement" }, t("consentStatement")),
        h(
          "div",
          { class: "consent-answer" },
          h("label", { for: "consent-who" }, t("consentWho")),
          who,
          h(
          "label",
          { class: "check" },
          h("input", {
            type: "checkbox",
            id: "consent-agreed",
            "data-test": "consent-agreed",
            "data-write": true,
            checked: d.consentAgreed,
            onchange: (e: Event) => (d.consentAgreed = (e.target as HTMLInputElement).checked),
          }),
          " " + t("consentAgreed"),
          ),
        ),
      ),
      "consent-agreed",
    );
  }

  private field(path: string, label: string, control: HTMLElement, controlId?: string): HTMLElement {
    const error = this.errors.get(path);
    if (error) control.setAttribute("aria-invalid", "true");
    return h(
      "div",
      { class: error ? "field invalid" : "field", "data-path": path },
      h("label", { for: controlId ?? control.id }, label),
      control,
      this.errorFor(path),
    );
  }

  private errorFor(path: string): HTMLElement | Text {
    const code = this.errors.get(path);
    return code
      ? h("span", { class: "field-error", "data-test": `error-${path}` }, t(`field_${code}`))
      : document.createTextNode("");
  }

  private addMember(): void {
    this.dirty = true;
    this.draft.members.push(emptyMember(this.draft.members.length === 1 ? "spouse" : "daughter"));
    this.render();
    this.root.querySelector<HTMLInputElement>(`[data-test=member-name-${this.draft.members.length - 1}]`)?.focus();
  }

  private removeMember(i: number): void {
    this.dirty = true;
    this.draft.members.splice(i, 1);
    // Who agreed stays the same person: later members move up one place. Removing the one
    // chosen takes the tick away too, so that nobody else is recorded as having agreed.
    const r = this.draft.consentRespondent;
    if (r === i) this.draft.consentAgreed = false;
    this.draft.consentRespondent = r === i ? 0 : r > i ? r - 1 : r;
    this.errors.clear();
    this.render();
  }

  /** Records that `m` (or, with null, the whole household) withdrew consent, after saying what
   * will be erased; the library refuses a Samiti viewer, and so does this screen's message. */
  private async withdraw(m: MemberDraft | null): Promise<void> {
    const d = this.draft;
    if (d.id === null || (m !== null && m.id === null)) return;
    const question =
      m === null
        ? t("withdrawHouseholdConfirm", { number: d.number ?? t("noNumber") })
        : t("withdrawMemberConfirm", { name: m.name });
    if (!(await confirmInApp(question, "withdrawYes", "withdrawNo"))) return;
    try {
      await ipc.withdrawConsent(d.id, m === null ? null : m.id);
    } catch (e) {
      const reply = asErrorReply(e);
      this.banner = () => (reply.code === "not_allowed" ? t("withdrawNotAllowed") : errorText(reply));
      this.render();
      return;
    }
    this.dirty = false;
    void this.nav.showHome(() => t(m === null ? "withdrawnHousehold" : "withdrawnMember"));
  }

  /** `m` is a second record of another saved member: she chooses which, confirms, and the two
   * become one, the other kept. */
  private async merge(m: MemberDraft): Promise<void> {
    const d = this.draft;
    if (d.id === null || m.id === null) return;
    if (this.dirty) {
      this.banner = () => t("mergeSaveFirst");
      this.render();
      return;
    }
    const others = d.members.filter((o) => o.id !== null && o.id !== m.id);
    // Two records of one person have near the same name: each is offered with its place too.
    const keep = await chooseInApp(
      t("mergeWhich", { name: m.name }),
      others.map((o) => ({ value: o.id as string, label: `${t("memberN", { n: d.members.indexOf(o) + 1 })} — ${o.name}` })),
      "mergeYes",
      "mergeNo",
    );
    const kept = others.find((o) => o.id === keep);
    if (!kept) return;
    const leftOut = mergeLeavesOut(m, kept).map((l) => `${t(l.field)}: ${leftOutValue(l)}`);
    const question = t("mergeConfirm", { gone: m.name, kept: kept.name });
    const details = { heading: t("mergeLeftOut", { gone: m.name }), items: leftOut };
    if (!(await confirmInApp(question, "mergeYes", "mergeNo", details))) return;
    try {
      const done = await ipc.mergeMember(d.id, kept.id as string, m.id);
      const saved = done.household;
      const number = saved.number ?? t("noNumber");
      await this.nav.showSaved(
        saved.id,
        saved.number,
        `${number} — ${saved.members[0]?.name ?? ""}`,
        () => t("merged", { facts: done.facts, benefits: done.benefits }),
      );
    } catch (e) {
      const reply = asErrorReply(e);
      this.banner = () => errorText(reply);
      this.render();
    }
  }

  private async leave(): Promise<void> {
    if (!(await this.mayLeave())) return;
    void this.nav.showHome();
  }

  /** Whether to leave the form: at once when nothing is unsaved, else as she answers. */
  private async mayLeave(): Promise<boolean> {
    return !this.dirty || confirmInApp(t("unsavedLeave"), "leaveWithoutSaving", "stayOnForm");
  }

  private async save(): Promise<void> {
    // Pressed again while the first press is checked (the look for the same family elsewhere
    // takes a while in a large village, and its question waits for her): the first press
    // alone goes on. Before, each press saved the family, and two households were made.
    if (this.saving || this.saveAsked) return;
    this.saveAsked = true;
    try {
      await this.saveOnce();
    } finally {
      this.saveAsked = false;
    }
  }

  private async saveOnce(): Promise<void> {
    const prepared = toInput(this.draft, new Date(`${this.today}T12:00:00`));
    if ("errors" in prepared) {
      // Ask the store about everything else too, so that every problem shows in this one round.
      const lenient = readDraft(this.draft, new Date(`${this.today}T12:00:00`));
      const errors: FormErrors = new Map(prepared.errors);
      try {
        await ipc.checkHousehold(lenient.input);
      } catch (e) {
        for (const f of asErrorReply(e).fields) if (!errors.has(f.field)) errors.set(f.field, f.code);
      }
      this.errors = errors;
      this.banner = () => t("formHasErrors");
      this.render();
      return;
    }
    // A new family whose member seems recorded already: say who, and let her choose.
    if (this.draft.id === null) {
      let found: Duplicate[] = [];
      try {
        found = await ipc.householdDuplicates(prepared.input);
      } catch {
        // The warning is a help, not a gate: without it the save goes on.
      }
      if (found.length > 0) {
        const who = found
          .slice(0, 5)
          .map((d) => t("duplicateLine", { number: d.number ?? t("noNumber"), name: d.name, age: d.age ?? "?" }))
          .join("; ");
        if (!(await confirmInApp(t("duplicateQuestion", { who }), "duplicateSave", "duplicateCheck"))) return;
      }
    }
    this.saving = true;
    this.render();
    try {
      const saved = await ipc.saveHousehold(prepared.input);
      this.dirty = false;
      const number = saved.number ?? t("noNumber");
      await this.nav.showSaved(saved.id, saved.number, `${number} — ${saved.members[0]?.name ?? ""}`, () => t("saved", { number }));
    } catch (e) {
      const reply = asErrorReply(e);
      this.errors = new Map(reply.fields.map((f) => [f.field, f.code]));
      this.banner = () => (reply.code === "invalid" ? t("formHasErrors") : errorText(reply));
      this.saving = false;
      this.render();
    }
  }
}
