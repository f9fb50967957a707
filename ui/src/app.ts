// The window's frame (title, language switch) and moving between screens.
import type { Language } from "./bindings/Language";
import type { VillageOverview } from "./bindings/VillageOverview";
import { h, mount } from "./dom";
import { draftFromHousehold, emptyDraft } from "./form/model";
import { language, setLanguage, t } from "./i18n";
import { asErrorReply, ipc, onVillageProgress } from "./ipc";
import { errorPanel } from "./views/errorPanel";
import { HomeView } from "./views/home";
import { EligibilityView } from "./views/eligibility";
import { HouseholdForm } from "./views/householdForm";
import { villageSchemes } from "./views/villageSchemes";
import { WorklistView } from "./views/worklist";

export class App {
  private readonly header = h("header", { class: "frame" });
  private readonly main = h("main", { class: "screen" });
  private overview: VillageOverview | null = null;
  /** Re-renders the current screen, e.g. after the language changed. */
  private redraw: () => void = () => {};
  private home = new HomeView(this);

  constructor(root: HTMLElement) {
    mount(root, this.header, this.main);
  }

  private drawHeader(): void {
    const switchTo = (lang: Language) => () => {
      if (lang === language()) return;
      // The screen changes at once; remembering the choice waits for the store, which may be busy
      // with a village tally, and a failure to remember it costs only the choice at next start.
      setLanguage(lang);
      this.drawHeader();
      this.redraw();
      void ipc.setLanguage(lang).catch(() => undefined);
    };
    const langButton = (lang: Language, label: string) =>
      h(
        "button",
        {
          class: "lang",
          "data-test": `lang-${lang}`,
          "aria-pressed": String(language() === lang),
          lang,
          onclick: switchTo(lang),
        },
        label,
      );
    const place = this.overview
      ? [...this.overview.above.slice(1), this.overview.village]
          .map((l) => (language() === "hi" ? l.name_hi : l.name_en))
          // A village often shares its panchayat's name; say it once.
          .filter((name, i, all) => name !== all[i - 1])
          .join(" › ")
      : "";
    mount(
      this.header,
      h(
        "div",
        { class: "brand" },
        h("span", { class: "app-name" }, t("appName")),
        h("span", { class: "tagline" }, t("appTagline")),
      ),
      h("div", { class: "place", "data-test": "place" }, place),
      h(
        "div",
        { class: "langs", role: "group", "aria-label": t("language") },
        langButton("hi", "हिंदी"),
        langButton("en", "English"),
      ),
    );
  }

  async showHome(message?: string): Promise<void> {
    this.drawHeader();
    mount(this.main, h("p", { class: "muted" }, t("loading")));
    try {
      this.overview = await ipc.villageOverview();
    } catch (e) {
      this.redraw = () => mount(this.main, errorPanel(asErrorReply(e)));
      this.redraw();
      return;
    }
    this.drawHeader();
    const overview = this.overview;
    this.redraw = () => mount(this.main, this.home.render(overview, message));
    this.redraw();
    message = undefined;
  }

  /** Home after a save: the saved household listed alone, with its schemes one click away. */
  async showSaved(id: string, number: number | null, title: string, message: string): Promise<void> {
    this.home.showSaved(id, number, title);
    await this.showHome(message);
  }

  /** A household's eligibility; `title` names it (number and head) in the heading. */
  async showEligibility(householdId: string, title: string): Promise<void> {
    mount(this.main, h("p", { class: "muted" }, t("deciding")));
    const view = await EligibilityView.open(this, householdId, title);
    this.redraw = () => mount(this.main, view instanceof EligibilityView ? view.render() : view);
    this.redraw();
  }

  async showVillageSchemes(): Promise<void> {
    const overview = this.overview;
    if (overview === null) return;
    const status = h("p", { class: "muted", "data-test": "village-progress" }, t("deciding"));
    this.redraw = () => mount(this.main, status);
    this.redraw();
    // The tally runs off the window's thread; the window stays usable and shows how far it got.
    const stop = await onVillageProgress(({ done, total }) => {
      status.textContent = t("reading_households", { done, total });
    });
    try {
      const tally = await ipc.villageEligibility();
      this.redraw = () => mount(this.main, villageSchemes(this, overview, tally));
    } catch (e) {
      const reply = asErrorReply(e);
      this.redraw = () => mount(this.main, errorPanel(reply));
    } finally {
      stop();
    }
    this.redraw();
  }

  /** The families behind one scheme's numbers in the village gap. */
  async showWorklist(code: string): Promise<void> {
    const overview = this.overview;
    if (overview === null) return;
    const status = h("p", { class: "muted", "data-test": "village-progress" }, t("deciding"));
    this.redraw = () => mount(this.main, status);
    this.redraw();
    const stop = await onVillageProgress(({ done, total }) => {
      status.textContent = t("reading_households", { done, total });
    });
    try {
      const list = await ipc.schemeWorklist(code);
      const view: WorklistView = new WorklistView(this, overview, list, () => this.redraw());
      this.redraw = () => mount(this.main, view.render());
    } catch (e) {
      const reply = asErrorReply(e);
      this.redraw = () => mount(this.main, errorPanel(reply));
    } finally {
      stop();
    }
    this.redraw();
  }

  async showForm(householdId: string | null): Promise<void> {
    const overview = this.overview;
    if (overview === null) return;
    let draft = emptyDraft(overview.village.id);
    let today: string;
    try {
      today = await ipc.today();
    } catch (e) {
      mount(this.main, errorPanel(asErrorReply(e)));
      return;
    }
    if (householdId !== null) {
      try {
        // Ages are counted on the centre's day, the one the store uses, not the machine's.
        draft = draftFromHousehold(await ipc.getHousehold(householdId), new Date(`${today}T12:00:00`));
      } catch (e) {
        mount(this.main, errorPanel(asErrorReply(e)));
        return;
      }
    }
    const form = new HouseholdForm(this, overview, draft, today);
    this.redraw = () => mount(this.main, form.render());
    this.redraw();
    form.focusFirst();
  }
}
