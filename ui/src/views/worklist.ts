// One scheme's worklist: the families behind a number of the village gap, the eligible first and
// then those whose decision waits on an answer, with the question to ask. The Samiti walks it at
// its meeting hamlet by hamlet; the facilitator prints it or saves it as CSV for the visits.
import type { VillageOverview } from "../bindings/VillageOverview";
import type { Worklist } from "../bindings/Worklist";
import type { WorklistRow } from "../bindings/WorklistRow";
import { h } from "../dom";
import { withTerms } from "../glossary/view";
import { dateWords, language, localName, t } from "../i18n";
import { ipc } from "../ipc";
import { HamletToolbar } from "./hamletToolbar";

interface Navigator {
  showVillageSchemes(): Promise<void>;
  showEligibility(householdId: string, title: string): Promise<void>;
}

export class WorklistView {
  private readonly tools: HamletToolbar;

  constructor(
    private readonly nav: Navigator,
    private readonly overview: VillageOverview,
    private readonly list: Worklist,
    redraw: () => void,
  ) {
    this.tools = new HamletToolbar("worklist", overview, redraw, (hamlet, lang) => ipc.saveWorklist(list.scheme.code, hamlet, lang));
  }

  render(): HTMLElement {
    const say = (b: { en: string; hi: string }) => (language() === "hi" ? b.hi : b.en);
    const hamlet = this.tools.hamlet;
    const rows = this.list.rows.filter((r) => hamlet === null || r.hamlet_id === hamlet);
    const eligible = rows.filter((r) => r.outcome === "eligible");
    const undetermined = rows.filter((r) => r.outcome !== "eligible");
    const unit = this.list.scheme.unit === "household" ? t("countHouseholds") : t("countPersons");
    const hamletName = this.overview.hamlets.find((x) => x.id === hamlet);
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
      ...this.tools.render(),
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
}
