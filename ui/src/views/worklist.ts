// One scheme's worklist: the families behind a number of the village gap, the eligible first and
// then those whose decision waits on an answer, with the question to ask. The Samiti walks it at
// its meeting hamlet by hamlet; the facilitator prints it or saves it as CSV for the visits.
import type { VillageOverview } from "../bindings/VillageOverview";
import type { Worklist } from "../bindings/Worklist";
import type { WorklistRow } from "../bindings/WorklistRow";
import { h } from "../dom";
import { withTerms } from "../glossary/view";
import { dateWords, language, localName, t } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { errorText } from "./errorPanel";

interface Navigator {
  showVillageSchemes(): Promise<void>;
  showEligibility(householdId: string, title: string): Promise<void>;
}

export class WorklistView {
  /** The hamlet shown, or null for the whole village. */
  private hamlet: string | null = null;
  /** What the last save said: where the file went, or why it could not be written. */
  private saved: { ok: boolean; text: string } | null = null;
  private saving = false;

  constructor(
    private readonly nav: Navigator,
    private readonly overview: VillageOverview,
    private readonly list: Worklist,
    private readonly redraw: () => void,
  ) {}

  render(): HTMLElement {
    const say = (b: { en: string; hi: string }) => (language() === "hi" ? b.hi : b.en);
    const rows = this.list.rows.filter((r) => this.hamlet === null || r.hamlet_id === this.hamlet);
    const eligible = rows.filter((r) => r.outcome === "eligible");
    const undetermined = rows.filter((r) => r.outcome !== "eligible");
    const unit = this.list.scheme.unit === "household" ? t("countHouseholds") : t("countPersons");
    const hamletName = this.overview.hamlets.find((x) => x.id === this.hamlet);
    const select = h(
      "select",
      {
        "data-test": "worklist-hamlet",
        "aria-label": t("worklistHamlet"),
        onchange: (e: Event) => {
          const v = (e.target as HTMLSelectElement).value;
          this.hamlet = v === "" ? null : v;
          this.saved = null;
          this.redraw();
        },
      },
      h("option", { value: "" }, t("worklistAllHamlets")),
      ...this.overview.hamlets.map((x) => h("option", { value: x.id, selected: x.id === this.hamlet }, localName(x))),
    );
    return h(
      "div",
      { class: "worklist" },
      h(
        "div",
        { class: "form-head" },
        h(
          "button",
          { type: "button", class: "secondary no-print", "data-test": "back", onclick: () => void this.nav.showVillageSchemes() },
          "← " + t("back"),
        ),
        h("h1", { "data-test": "worklist-title" }, say(this.list.scheme.name)),
        h("span", { class: "muted" }, t("eligibilityAsOf", { date: dateWords(this.list.as_of) })),
      ),
      h(
        "p",
        { class: "muted" },
        `${localName(this.overview.village)}${hamletName ? " · " + localName(hamletName) : ""} · ${t("worklistCounts", {
          eligible: eligible.length,
          undetermined: undetermined.length,
          unit,
        })}`,
      ),
      h(
        "div",
        { class: "toolbar no-print" },
        h("label", {}, t("worklistHamlet") + " ", select),
        h("button", { type: "button", class: "secondary", "data-test": "worklist-print", onclick: () => void this.print() }, t("worklistPrint")),
        h(
          "button",
          { type: "button", class: "secondary", "data-test": "worklist-save", disabled: this.saving, onclick: () => void this.save() },
          t("worklistSave"),
        ),
      ),
      this.saved
        ? h("p", { class: this.saved.ok ? "notice" : "banner-error", "data-test": "worklist-saved", role: "status" }, this.saved.text)
        : null,
      h("h2", {}, t("worklistEligibleTitle", { n: eligible.length })),
      h("p", { class: "muted" }, t("worklistEligibleHint")),
      this.table(eligible, "worklist-eligible", (r) =>
        r.counted_under ? t("worklistAlsoEligible", { other: say(r.counted_under) }) : "",
      ),
      h("h2", {}, t("worklistUndeterminedTitle", { n: undetermined.length })),
      h("p", { class: "muted" }, t("worklistUndeterminedHint")),
      this.table(undetermined, "worklist-undetermined", (r) => r.ask.map(say).join("; ")),
    );
  }

  private table(rows: WorklistRow[], test: string, note: (r: WorklistRow) => string): HTMLElement {
    if (rows.length === 0) return h("p", { class: "muted", "data-test": test }, t("worklistNone"));
    const person = this.list.scheme.unit === "person";
    return h(
      "table",
      { class: "households worklist-table", "data-test": test },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { class: "num" }, t("colNumber")),
          h("th", {}, t("colHead")),
          person ? h("th", {}, t("worklistMember")) : null,
          h("th", {}, t("worklistHamletCol")),
          h("th", {}, test === "worklist-eligible" ? t("worklistNote") : t("worklistAsk")),
        ),
      ),
      h(
        "tbody",
        {},
        ...rows.map((r) => {
          const title = `${r.number ?? "—"} · ${r.head_name}`;
          return h(
            "tr",
            { "data-test": "worklist-row", "data-household": r.household_id },
            h("td", { class: "num" }, r.number === null ? "—" : String(r.number)),
            h(
              "td",
              {},
              h(
                "button",
                {
                  type: "button",
                  class: "name-link",
                  "data-test": "worklist-open",
                  title: t("seeSchemes"),
                  onclick: () => void this.nav.showEligibility(r.household_id, title),
                },
                r.head_name,
              ),
            ),
            person ? h("td", {}, r.member_name ?? "") : null,
            h("td", {}, r.hamlet ? (language() === "hi" ? r.hamlet.hi : r.hamlet.en) : "—"),
            h("td", { class: "worklist-note" }, ...withTerms(note(r))),
          );
        }),
      ),
    );
  }

  /** Opens the system's print window; a failure is said where a saved file's path would be. */
  private async print(): Promise<void> {
    try {
      await ipc.printPage();
    } catch (e) {
      this.saved = { ok: false, text: errorText(asErrorReply(e)) };
      this.redraw();
    }
  }

  private async save(): Promise<void> {
    this.saving = true;
    this.redraw();
    try {
      const path = await ipc.saveWorklist(this.list.scheme.code, this.hamlet, language());
      this.saved = { ok: true, text: t("worklistSaved", { path }) };
    } catch (e) {
      this.saved = { ok: false, text: errorText(asErrorReply(e)) };
    } finally {
      this.saving = false;
    }
    this.redraw();
  }
}
