// The village's households on the vulnerability profile, the most vulnerable first, with the
// reasons and, for a household not settled yet, what to ask. The facilitator walks it to decide
// whom to reach first; the Samiti reads it at its meeting. The household page shows the same
// category in one line (`vulnerabilityLine`).
import type { VillageOverview } from "../bindings/VillageOverview";
import type { VulnerabilityLevel } from "../bindings/VulnerabilityLevel";
import type { VulnerabilityList } from "../bindings/VulnerabilityList";
import type { VulnerabilityView } from "../bindings/VulnerabilityView";
import { h } from "../dom";
import { dateWords, language, localName, t, type Said } from "../i18n";
import { ipc } from "../ipc";
import { HamletToolbar } from "./hamletToolbar";

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showEligibility(householdId: string, title: string): Promise<void>;
}

const say = (b: { en: string; hi: string }) => (language() === "hi" ? b.hi : b.en);

function levelWord(l: VulnerabilityLevel): string {
  return l === "most_vulnerable" ? t("levelMost") : l === "vulnerable" ? t("levelVulnerable") : t("levelOther");
}

/** The category as a badge: the level when settled, the range when not. */
export function categoryBadge(v: VulnerabilityView): HTMLElement {
  const text = v.level !== null ? levelWord(v.level) : t("levelOpen", { from: levelWord(v.at_least), to: levelWord(v.at_most) });
  return h("span", { class: `badge level-${v.level ?? "open"}`, "data-test": "vulnerability-level", "data-level": v.level ?? "open" }, text);
}

/** The questions that would settle an open category, folded: they can be many, and the page's
 * own "ask next" list holds them too. */
function askList(v: VulnerabilityView): HTMLElement | null {
  if (v.ask.length === 0) return null;
  return h(
    "details",
    { class: "vulnerability-ask", "data-test": "vulnerability-ask" },
    h("summary", { class: "muted" }, t("vulnerabilityAsk", { n: v.ask.length })),
    h("ul", {}, ...v.ask.map((q) => h("li", {}, say(q)))),
  );
}

/** The household page's line: the category, and folded under it why and what would settle it,
 * so that the page of a large family stays short on a small screen. */
export function vulnerabilityLine(v: VulnerabilityView): HTMLElement {
  return h(
    "details",
    { class: "vulnerability-line", "data-test": "vulnerability" },
    h(
      "summary",
      {},
      h("strong", {}, t("vulnerability") + ": "),
      categoryBadge(v),
      v.reasons.length > 0 ? h("span", { class: "muted" }, " " + t("vulnerabilityWhy", { n: v.reasons.length })) : null,
    ),
    v.reasons.length > 0 ? h("ul", { "data-test": "vulnerability-reasons" }, ...v.reasons.map((r) => h("li", {}, say(r)))) : null,
    askList(v),
  );
}

export class VulnerableView {
  private readonly tools: HamletToolbar;

  constructor(
    private readonly nav: Navigator,
    private readonly overview: VillageOverview,
    private readonly list: VulnerabilityList,
    redraw: () => void,
  ) {
    this.tools = new HamletToolbar("vulnerable", overview, redraw, (hamlet, lang) => ipc.saveVulnerabilityList(hamlet, lang));
  }

  render(): HTMLElement {
    const hamlet = this.tools.hamlet;
    const rows = this.list.rows.filter((r) => hamlet === null || r.hamlet_id === hamlet);
    const count = (level: VulnerabilityLevel | null) => rows.filter((r) => r.profile.level === level).length;
    return h(
      "div",
      { class: "vulnerable" },
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary no-print", "data-test": "back", onclick: () => void this.nav.showHome() }, "← " + t("back")),
        h("h1", {}, t("vulnerableTitle", { village: localName(this.overview.village) })),
        h("span", { class: "muted" }, t("eligibilityAsOf", { date: dateWords(this.list.as_of) })),
      ),
      h("p", { class: "muted" }, t("vulnerableHint", { n: this.list.most_vulnerable_dimensions })),
      h(
        "p",
        { "data-test": "vulnerable-counts" },
        t("vulnerableCounts", {
          most: count("most_vulnerable"),
          vulnerable: count("vulnerable"),
          other: count("other"),
          open: count(null),
        }),
      ),
      ...this.tools.render(),
      h(
        "table",
        { class: "households vulnerable-table", "data-test": "vulnerable-table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { class: "num" }, t("colNumber")),
            h("th", {}, t("colHead")),
            h("th", {}, t("worklistHamletCol")),
            h("th", {}, t("colCategory")),
            h("th", {}, t("colReasons")),
          ),
        ),
        h(
          "tbody",
          {},
          ...rows.map((r) => {
            const title = `${r.number ?? "—"} · ${r.head_name}`;
            return h(
              "tr",
              { "data-test": "vulnerable-row", "data-household": r.household_id, "data-level": r.profile.level ?? "open" },
              h("td", { class: "num" }, r.number === null ? "—" : String(r.number)),
              h(
                "td",
                {},
                h(
                  "button",
                  { type: "button", class: "name-link", "data-test": "vulnerable-open", title: t("seeSchemes"), onclick: () => void this.nav.showEligibility(r.household_id, title) },
                  r.head_name,
                ),
              ),
              h("td", {}, r.hamlet ? say(r.hamlet) : "—"),
              h("td", {}, categoryBadge(r.profile)),
              h(
                "td",
                { class: "worklist-note" },
                r.profile.reasons.map(say).join("; "),
                askList(r.profile),
              ),
            );
          }),
        ),
      ),
    );
  }
}
