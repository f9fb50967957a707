// The home screen: the village in numbers, and its households with search.
import type { HouseholdPage } from "../bindings/HouseholdPage";
import type { HouseholdSummary } from "../bindings/HouseholdSummary";
import type { RegisterFilter } from "../bindings/RegisterFilter";
import type { VillageOverview } from "../bindings/VillageOverview";
import { h, mount } from "../dom";
import { language, localName, t, type Said } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { BackupPanel } from "./backupPanel";
import { errorPanel, errorText } from "./errorPanel";
import { mayWrite } from "../role";

/** Households fetched per page: enough to fill the screen twice, small enough to stay instant. */
const PAGE = 50;
/** Wait this long after the last keystroke before searching, so typing stays smooth. */
const SEARCH_DELAY_MS = 200;

interface Navigator {
  showForm(householdId: string | null): Promise<void>;
  showEligibility(householdId: string, title: string): Promise<void>;
  showVillageSchemes(): Promise<void>;
  showVulnerable(): Promise<void>;
  showAccounts(): Promise<void>;
  showImport(): Promise<void>;
  showTodo(): Promise<void>;
  showFunnel(): Promise<void>;
  showSync(): Promise<void>;
  showHome(message?: Said): Promise<void>;
}

/** The register's filters, in the order the list offers them. */
const FILTERS: RegisterFilter[] = ["pregnant", "widow", "disability", "no_ration_card", "not_surveyed", "survey_over_a_year_old", "no_consent"];

export class HomeView {
  private search = "";
  private filter: RegisterFilter | null = null;
  private hamlet: string | null = null;
  private page: HouseholdPage = { total: 0, items: [] };
  private timer: number | undefined;
  private listBox = h("div", { class: "list" });
  private hamletNames = new Map<string, string>();

  constructor(private readonly nav: Navigator) {}

  /** After a save: list that household alone (by its number) and offer its schemes at once. */
  private justSaved: { id: string; title: string } | null = null;

  showSaved(id: string, number: number | null, title: string): void {
    this.search = number === null ? "" : String(number);
    this.justSaved = { id, title };
  }

  render(overview: VillageOverview, message?: string): HTMLElement {
    const saved = this.justSaved;
    this.justSaved = null;
    this.hamletNames = new Map(overview.hamlets.map((x) => [x.id, localName(x)]));
    const stat = (label: string, value: number, test: string) =>
      h("div", { class: "stat" }, h("span", { class: "stat-value", "data-test": test }, String(value)), h("span", { class: "stat-label" }, label));
    const input = h("input", {
      type: "search",
      id: "search",
      "data-test": "search",
      value: this.search,
      placeholder: t("searchPlaceholder"),
      autocomplete: "off",
      spellcheck: "false",
      oninput: (e: Event) => {
        this.search = (e.target as HTMLInputElement).value;
        window.clearTimeout(this.timer);
        this.timer = window.setTimeout(() => void this.load(false), SEARCH_DELAY_MS);
      },
      onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key === "Enter") {
          window.clearTimeout(this.timer);
          void this.load(false);
        }
      },
    });
    const view = h(
      "div",
      { class: "home" },
      message
        ? h(
            "p",
            { class: "notice", role: "status", "data-test": "notice" },
            message,
            saved
              ? h(
                  "button",
                  { type: "button", class: "primary", "data-test": "notice-eligibility", onclick: () => void this.nav.showEligibility(saved.id, saved.title) },
                  t("seeSchemes"),
                )
              : null,
          )
        : null,
      h(
        "section",
        { class: "overview" },
        h("h1", {}, localName(overview.village)),
        h(
          "div",
          { class: "stats" },
          stat(t("overviewHouseholds"), overview.households, "overview-households"),
          stat(t("overviewPersons"), overview.persons, "overview-persons"),
          stat(t("overviewWomen"), overview.women, "overview-women"),
          stat(t("hamlets"), overview.hamlets.length, "overview-hamlets"),
        ),
      ),
      h(
        "div",
        { class: "toolbar home-actions" },
        h(
          "div",
          { class: "search-row" },
          h("label", { for: "search", class: "search-label" }, t("searchLabel"), input),
          h(
            "label",
            { class: "search-label narrow" },
            t("registerShow"),
            h(
              "select",
              {
                "data-test": "register-filter",
                onchange: (e: Event) => {
                  const v = (e.target as HTMLSelectElement).value;
                  this.filter = v === "" ? null : (v as RegisterFilter);
                  void this.load(false);
                },
              },
              h("option", { value: "", selected: this.filter === null }, t("registerAll")),
              // A Samiti viewer may not list who has a disability or who is pregnant (sensitive
              // facts); the library refuses it to her anyway.
              ...FILTERS.filter((f) => (f !== "disability" && f !== "pregnant") || mayWrite()).map((f) => h("option", { value: f, selected: this.filter === f }, t(`registerFilter_${f}`))),
            ),
          ),
          h(
            "label",
            { class: "search-label narrow" },
            t("hamlet"),
            h(
              "select",
              {
                "data-test": "register-hamlet",
                onchange: (e: Event) => {
                  const v = (e.target as HTMLSelectElement).value;
                  this.hamlet = v === "" ? null : v;
                  void this.load(false);
                },
              },
              h("option", { value: "", selected: this.hamlet === null }, t("registerAllHamlets")),
              ...overview.hamlets.map((x) => h("option", { value: x.id, selected: this.hamlet === x.id }, localName(x))),
            ),
          ),
        ),
        h("button", { class: "secondary", "data-test": "village-schemes", onclick: () => void this.nav.showVillageSchemes() }, t("villageSchemes")),
        h("button", { class: "secondary", "data-test": "open-vulnerable", onclick: () => void this.nav.showVulnerable() }, t("vulnerableOpen")),
        h("button", { class: "secondary", "data-test": "open-todo", onclick: () => void this.nav.showTodo() }, t("todoOpen")),
        h("button", { class: "secondary", "data-test": "open-funnel", onclick: () => void this.nav.showFunnel() }, t("funnelOpen")),
        h("button", { class: "secondary", "data-test": "open-sync", onclick: () => void this.nav.showSync() }, t("syncOpen")),
        h("button", { class: "secondary", "data-test": "backup", "data-write": true, onclick: () => this.backup() }, t("backupNow")),
        h("button", { class: "secondary", "data-test": "open-import", "data-write": true, onclick: () => void this.nav.showImport() }, t("importOpen")),
        h("button", { class: "secondary", "data-test": "save-register", "data-write": true, onclick: (e: Event) => void this.saveRegister(e.currentTarget as HTMLButtonElement) }, t("registerSave")),
        h("button", { class: "secondary", "data-test": "open-accounts", onclick: () => void this.nav.showAccounts() }, t("accountOpen")),
        h("button", { class: "primary", "data-test": "add-household", "data-write": true, onclick: () => void this.nav.showForm(null) }, "+ " + t("addHousehold")),
      ),
      this.listBox,
    );
    void this.load(false);
    return view;
  }

  /** The backup panel: a USB stick or the Downloads folder, with progress, then the result. */
  private backup(): void {
    new BackupPanel((done) => {
      if (done) void this.nav.showHome(() => t("backupSavedNotice", { n: done.households, file: done.file_name }));
    }).open();
  }

  /** The household register as an Excel workbook in the export folder, in her language. */
  private async saveRegister(button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    let message: Said;
    try {
      const path = await ipc.saveRegister("xlsx", language());
      message = () => t("registerSaved", { path });
    } catch (e) {
      const reply = asErrorReply(e);
      message = () => errorText(reply);
    }
    await this.nav.showHome(message);
  }

  private async load(more: boolean): Promise<void> {
    const query = {
      village_id: null,
      search: this.search,
      limit: PAGE,
      offset: more ? this.page.items.length : 0,
      hamlet_id: this.hamlet,
      filter: this.filter,
    };
    try {
      const page = await ipc.listHouseholds(query);
      // A slower answer to an older query must not overwrite a newer one.
      if (query.search !== this.search || query.filter !== this.filter || query.hamlet_id !== this.hamlet) return;
      this.page = more ? { total: page.total, items: [...this.page.items, ...page.items] } : page;
      this.drawList();
    } catch (e) {
      mount(this.listBox, errorPanel(asErrorReply(e)));
    }
  }

  private drawList(): void {
    const { items, total } = this.page;
    if (items.length === 0) {
      mount(this.listBox, h("p", { class: "muted", "data-test": "no-match" }, t("searchNone", { query: this.search })));
      return;
    }
    const table = h(
      "table",
      { class: "households" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { class: "num" }, t("colNumber")),
          h("th", {}, t("colHead")),
          h("th", {}, t("colOtherMembers")),
          h("th", {}, t("colHamlet")),
          h("th", { class: "num" }, t("colMembers")),
          h("th", { class: "num" }, t("colWomen")),
          h("th", {}, ""),
        ),
      ),
      h("tbody", {}, ...items.map((x) => this.row(x))),
    );
    mount(
      this.listBox,
      h("p", { class: "muted", "data-test": "list-count", "data-query": this.search }, t("listShowing", { shown: items.length, total })),
      table,
      items.length < total
        ? h("button", { class: "secondary more", "data-test": "more", onclick: () => void this.load(true) }, t("listMore"))
        : document.createTextNode(""),
    );
  }

  private row(x: HouseholdSummary): HTMLElement {
    const open = () => void this.nav.showForm(x.id);
    return h(
      "tr",
      {
        tabindex: 0,
        "data-test": "household-row",
        "data-id": x.id,
        onclick: open,
        onkeydown: (e: Event) => {
          if ((e as KeyboardEvent).key === "Enter") open();
        },
      },
      h("td", { class: "num" }, x.number === null ? t("noNumber") : String(x.number)),
      h("td", { class: "head-name" }, x.head_name),
      h("td", { class: "others" }, x.member_names.slice(1).join(", ")),
      h("td", {}, x.hamlet_id === null ? "" : (this.hamletNames.get(x.hamlet_id) ?? "")),
      h("td", { class: "num", "data-test": "member-count" }, String(x.member_count)),
      h("td", { class: "num" }, String(x.women_count)),
      h(
        "td",
        {},
        h(
          "button",
          {
            class: "secondary small",
            "data-test": "open-eligibility",
            onclick: (e: Event) => {
              // The row itself opens the form; this button opens eligibility instead.
              e.stopPropagation();
              void this.nav.showEligibility(x.id, `${x.number ?? t("noNumber")} — ${x.head_name}`);
            },
          },
          t("eligibility"),
        ),
      ),
    );
  }
}
