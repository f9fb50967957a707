// The village's cases in one list: filtered by stage, level, scheme or kind and "past their day",
// searched by a name (typed in either script) or a referral number, a page of 100 at a time with
// the count of all that match. Each line opens its case; "back" returns to the same filters.
import type { Level } from "../bindings/Level";
import type { ReferralFilter } from "../bindings/ReferralFilter";
import type { ReferralPage } from "../bindings/ReferralPage";
import type { Stage } from "../bindings/Stage";
import { h, mount } from "../dom";
import { language, t, type Said } from "../i18n";
import { ipc } from "../ipc";
import { errorSaid } from "./errorPanel";
import { levelWord, stageWord } from "./referral";
import { referralRow } from "./todo";

interface Navigator {
  showFunnel(): Promise<void>;
  showReferral(id: string, back: () => void): Promise<void>;
  showReferralList(filter?: Partial<ReferralFilter>): Promise<void>;
}

const STAGES: Stage[] = ["identified", "documents_pending", "submitted", "under_process", "sanctioned", "received", "rejected", "withdrawn"];
const LEVELS: Level[] = ["village", "block", "district"];

/** A filter that lets every case through, with `given` laid over it. */
export function fullFilter(given: Partial<ReferralFilter> = {}): ReferralFilter {
  return { stage: null, level: null, need_code: null, overdue_only: false, search: "", offset: 0, ...given };
}

export class ReferralListView {
  private page: ReferralPage | null = null;
  /** Why the last page could not be read, said in the language of the moment; null when it was. */
  private problem: Said | null = null;
  /** The cases and the count; redrawn alone while she types, so the search box keeps its focus. */
  private readonly results = h("div", { class: "referral-results", "data-test": "list-results" });
  private timer: number | undefined;
  /** Answers to older requests are dropped: only the latest filter's page is drawn. */
  private asked = 0;

  constructor(
    private readonly nav: Navigator,
    private filter: ReferralFilter,
  ) {}

  /** Reads the page for the current filter and draws it into the results. */
  async load(): Promise<void> {
    const ask = ++this.asked;
    try {
      const page = await ipc.referralPage(this.filter);
      if (ask !== this.asked) return;
      this.page = page;
      this.problem = null;
    } catch (e) {
      if (ask !== this.asked) return;
      this.problem = errorSaid(e);
    }
    this.drawResults();
  }

  private change(part: Partial<ReferralFilter>): void {
    this.filter = { ...this.filter, offset: 0, ...part };
    void this.load();
  }

  render(): HTMLElement {
    const f = this.filter;
    const choice = (test: string, label: string, value: string | null, options: [string, string][], set: (v: string | null) => void) =>
      h(
        "label",
        {},
        label + " ",
        h(
          "select",
          { "data-test": test, onchange: (e: Event) => set((e.target as HTMLSelectElement).value || null) },
          h("option", { value: "" }, t("listFilterAll")),
          ...options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
        ),
      );
    const needs = (this.page?.needs ?? []).map((n): [string, string] => [n.code, language() === "hi" ? n.name.hi : n.name.en]);
    // A scheme asked for from the funnel is a choice even before the first page has arrived.
    if (f.need_code !== null && !needs.some(([c]) => c === f.need_code)) needs.push([f.need_code, f.need_code]);
    const search = h("input", {
      type: "search",
      "data-test": "list-search",
      value: f.search,
      placeholder: t("listSearch"),
      "aria-label": t("listSearch"),
      oninput: (e: Event) => {
        const value = (e.target as HTMLInputElement).value;
        window.clearTimeout(this.timer);
        this.timer = window.setTimeout(() => this.change({ search: value }), 250);
      },
    });
    const view = h(
      "div",
      { class: "referral-register" },
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void this.nav.showFunnel() }, "← " + t("back")),
        h("h1", {}, t("referralListTitle")),
      ),
      h(
        "div",
        { class: "toolbar list-filters" },
        search,
        choice("list-stage", t("listFilterStage"), f.stage, STAGES.map((s) => [s, stageWord(s)]), (v) => this.change({ stage: v as Stage | null })),
        choice("list-level", t("listFilterLevel"), f.level, LEVELS.map((l) => [l, levelWord(l)]), (v) => this.change({ level: v as Level | null })),
        choice("list-need", t("listFilterNeed"), f.need_code, needs, (v) => this.change({ need_code: v })),
        h(
          "label",
          { class: "check" },
          h("input", {
            type: "checkbox",
            "data-test": "list-overdue",
            checked: f.overdue_only,
            onchange: (e: Event) => this.change({ overdue_only: (e.target as HTMLInputElement).checked }),
          }),
          " " + t("listOverdueOnly"),
        ),
        h(
          "button",
          { type: "button", class: "secondary", "data-test": "list-clear", onclick: () => void this.nav.showReferralList() },
          t("listClear"),
        ),
      ),
      this.results,
    );
    this.drawResults();
    return view;
  }

  private drawResults(): void {
    if (this.problem) {
      mount(this.results, h("p", { class: "banner-error", role: "alert" }, this.problem()));
      return;
    }
    const page = this.page;
    if (page === null) {
      mount(this.results, h("p", { class: "muted" }, t("loading")));
      return;
    }
    const back = () => void this.nav.showReferralList(this.filter);
    const from = page.items.length === 0 ? 0 : page.offset + 1;
    const to = page.offset + page.items.length;
    const notShown = page.total - page.items.length;
    const go = (offset: number) => {
      this.filter = { ...this.filter, offset };
      void this.load();
    };
    mount(
      this.results,
      h("p", { class: "muted", "data-test": "list-count", "data-total": page.total }, t("listCount", { from, to, total: page.total })),
      page.items.length === 0
        ? h("p", { class: "muted", "data-test": "list-none" }, t("listNone"))
        : h("div", { class: "referral-list" }, ...page.items.map((r) => referralRow(this.nav, r, back))),
      notShown > 0 ? h("p", { class: "muted", "data-test": "list-not-shown" }, t("listNotShown", { n: notShown })) : h("span"),
      h(
        "div",
        { class: "toolbar" },
        page.offset > 0
          ? h("button", { type: "button", class: "secondary", "data-test": "list-prev", onclick: () => go(Math.max(0, page.offset - page.page_size)) }, t("listPrev"))
          : null,
        to < page.total ? h("button", { type: "button", class: "secondary", "data-test": "list-next", onclick: () => go(to) }, t("listNext")) : null,
      ),
    );
  }
}
