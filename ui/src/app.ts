// The window's frame (title, language switch) and moving between screens.
import { mayWrite, setMayWrite } from "./role";
import type { Language } from "./bindings/Language";
import type { VillageOverview } from "./bindings/VillageOverview";
import type { ErrorReply } from "./bindings/ErrorReply";
import { h, mount } from "./dom";
import { draftFromHousehold, emptyDraft } from "./form/model";
import { language, setLanguage, t, type Said } from "./i18n";
import type { Folder } from "./bindings/Folder";
import { asErrorReply, ipc, LOCKED_EVENT, onVillageProgress, type Session } from "./ipc";
import { LockScreen, type LockMode } from "./views/lock";
import { errorPanel } from "./views/errorPanel";
import { HomeView } from "./views/home";
import { EligibilityView } from "./views/eligibility";
import { HouseholdForm } from "./views/householdForm";
import { villageSchemes } from "./views/villageSchemes";
import type { SurveyForm } from "./bindings/SurveyForm";
import { AccountView } from "./views/account";
import { surveyHistory } from "./views/surveyHistory";
import { ImportView } from "./views/importList";
import { VulnerableView } from "./views/vulnerable";
import { WorklistView } from "./views/worklist";
import { SurveyView, type SurveyFocus } from "./views/survey";
import { ReferralView, slipScreen } from "./views/referral";
import { todoScreen } from "./views/todo";
import { practiceLeftScreen, syncPanelBusy, syncScreen } from "./views/sync";
import { funnelScreen } from "./views/funnel";
import { fullFilter, ReferralListView } from "./views/referralList";
import type { ReferralFilter } from "./bindings/ReferralFilter";

export class App {
  private readonly header = h("header", { class: "frame" });
  private readonly main = h("main", { class: "screen" });
  private overview: VillageOverview | null = null;
  /** Re-renders the current screen, e.g. after the language changed. */
  private redraw: () => void = () => {};
  private home = new HomeView(this);

  /** The lock screen while one is shown. */
  private lockScreen: LockScreen | null = null;
  /** Whether she chose a language on the lock screen now showing. */
  private languageChosen = false;
  private idleSeconds = 0;
  private lastActive = Date.now();
  private idleTimer: number | undefined;
  /** Whether the screen behind the lock is an error only because the store was locked when it
   * was read: it is read again once she unlocks. */
  private readAgainOnUnlock = false;
  /** Whether the practice village was put aside: its store is closed, and nothing may ask it
   * anything (a call would come back "locked", and the lock would start the app again). */
  private storeClosed = false;

  constructor(root: HTMLElement) {
    mount(root, this.header, this.main);
    // Any touch of the window counts as activity; only a window left alone locks itself.
    for (const kind of ["pointerdown", "keydown", "input", "wheel"]) {
      document.addEventListener(kind, () => (this.lastActive = Date.now()), { capture: true, passive: true });
    }
    // A command refused because the store is locked (after a restart of the shell, say) shows
    // the lock screen over whatever is on the screen.
    window.addEventListener(LOCKED_EVENT, () => void this.lock());
  }

  /** First start: set-up, or the PIN; then the home screen. */
  async begin(folder: Folder): Promise<void> {
    this.drawHeader();
    const mode: LockMode =
      folder.state === "locked" ? { kind: "unlock", accounts: folder.accounts } : { kind: "setup", plain: folder.state === "plain" };
    this.languageChosen = false;
    this.showLock(mode, async (session) => {
      setMayWrite(session.may_write, session.may_delete);
      try {
        // A language chosen on the lock screen (at set-up, before the store existed to keep
        // it) is hers from now on; otherwise the store's is.
        if (this.languageChosen || mode.kind === "setup") await ipc.setLanguage(language());
        else setLanguage(await ipc.getLanguage());
      } catch {
        // The language stays as chosen on the lock screen.
      }
      this.watchIdle(session);
      await this.showHome();
    });
  }

  private showLock(mode: LockMode, opened: (session: Session) => void | Promise<void>): void {
    if (this.lockScreen) return;
    const screen = new LockScreen(
      mode,
      (session) => {
        screen.root.remove();
        this.lockScreen = null;
        this.lastActive = Date.now();
        void opened(session);
      },
      () => {
        this.languageChosen = true;
        this.drawHeader();
        this.redraw();
        void ipc.setLanguage(language()).catch(() => undefined);
      },
    );
    this.lockScreen = screen;
    document.body.append(screen.root);
  }

  /** Locks after `session.idle_lock_seconds` without a touch. */
  private watchIdle(session: Session): void {
    this.idleSeconds = session.idle_lock_seconds;
    window.clearInterval(this.idleTimer);
    const every = Math.max(250, Math.min(15_000, (this.idleSeconds * 1000) / 4));
    this.idleTimer = window.setInterval(() => {
      if (this.lockScreen === null && Date.now() - this.lastActive > this.idleSeconds * 1000) void this.lock();
    }, every);
  }

  /** Closes the store and covers the window; the screen behind keeps everything typed on it. */
  async lock(): Promise<void> {
    if (this.lockScreen) return;
    let accounts: string[] = [];
    try {
      await ipc.lock();
      const folder = await ipc.folderState();
      if (folder.state === "locked") accounts = folder.accounts;
      // No store to unlock any more (the practice village was put aside): the app starts as
      // on a new laptop, not on an unlock screen no PIN opens (found by a review).
      else if (folder.state === "new") {
        window.location.reload();
        return;
      }
    } catch {
      // Locking the window matters more than knowing the account names.
    }
    this.languageChosen = false;
    this.showLock({ kind: "unlock", accounts }, (session) => {
      // A language chosen on the lock screen could not be kept while the store was locked.
      if (this.languageChosen) void ipc.setLanguage(language()).catch(() => undefined);
      // Another account may unlock: the screen behind shows what this one may do.
      const changed = mayWrite() !== session.may_write;
      setMayWrite(session.may_write, session.may_delete);
      if (changed || this.readAgainOnUnlock) this.redraw();
      this.readAgainOnUnlock = false;
      this.watchIdle(session);
    });
  }

  private drawHeader(): void {
    const switchTo = (lang: Language) => () => {
      if (lang === language()) return;
      // The screen changes at once; remembering the choice waits for the store, which may be busy
      // with a village tally, and a failure to remember it costs only the choice at next start.
      setLanguage(lang);
      this.drawHeader();
      this.redraw();
      if (!this.storeClosed) void ipc.setLanguage(lang).catch(() => undefined);
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

  async showHome(message?: Said): Promise<void> {
    this.drawHeader();
    mount(this.main, h("p", { class: "muted" }, t("loading")));
    try {
      this.overview = await ipc.villageOverview();
    } catch (e) {
      // A laptop set up to receive its village from the block office has none until it
      // enrolls: the enrollment form is where she starts.
      if (asErrorReply(e).code === "no_village") return this.showSync(true);
      // Locked while it was read (the window locked itself during a long first sync, say):
      // home is read again once she unlocks, not left as "the app is locked" behind the lock
      // screen with no way home (found by a review).
      if (asErrorReply(e).code === "locked") {
        this.redraw = () => void this.showHome(message);
        this.readAgainOnUnlock = true;
        mount(this.main, h("p", { class: "muted" }, t("loading")));
        return;
      }
      this.redraw = () => mount(this.main, this.failed(asErrorReply(e)));
      this.redraw();
      return;
    }
    this.drawHeader();
    const overview = this.overview;
    // The notice stays through a redraw (a language switched says it again in the new one):
    // it went at the first, the saved register's path with it (found by a review).
    this.redraw = () => mount(this.main, this.home.render(overview, message?.()));
    this.redraw();
  }

  /** Home after a save: the saved household listed alone, with its schemes one click away. */
  async showSaved(id: string, number: number | null, title: string, message: Said): Promise<void> {
    this.home.showSaved(id, number, title);
    await this.showHome(message);
  }

  /** A household's eligibility; `title` names it (number and head) in the heading. */
  async showEligibility(householdId: string, title: string): Promise<void> {
    mount(this.main, h("p", { class: "muted" }, t("deciding")));
    const view = await EligibilityView.open(this, householdId, title);
    this.redraw = () => mount(this.main, view instanceof EligibilityView ? view.render() : this.failed(view));
    this.redraw();
  }

  /** A household's baseline survey, resumed where it was left. */
  async showSurvey(householdId: string, title: string, focus?: SurveyFocus): Promise<void> {
    mount(this.main, h("p", { class: "muted" }, t("surveyLoading")));
    const view = await SurveyView.open(this, householdId, title);
    this.redraw = () => mount(this.main, view instanceof SurveyView ? view.render() : this.failed(view));
    this.redraw();
    if (focus && view instanceof SurveyView) view.focus(focus);
  }

  /** One referral; `back` returns to the screen it was opened from. */
  async showReferral(id: string, back: () => void): Promise<void> {
    mount(this.main, h("p", { class: "muted" }, t("loading")));
    const view = await ReferralView.open(this, id, back);
    this.redraw = () => mount(this.main, view instanceof ReferralView ? view.render() : this.failed(view));
    this.redraw();
  }

  /** A referral's slip, to print or save as PDF. */
  async showSlip(id: string, back: () => void): Promise<void> {
    mount(this.main, h("p", { class: "muted" }, t("loading")));
    // The slip is in the language on screen; switching language draws it again in the other.
    this.redraw = () => void slipScreen(id, back).then((screen) => mount(this.main, screen));
    this.redraw();
  }

  async showTodo(): Promise<void> {
    await this.showLoaded(ipc.referralTodo, (todo) => todoScreen(this, todo));
  }

  /** The sync panel; `firstVillage` when the laptop has no village until it enrolls. */
  async showSync(firstVillage = false): Promise<void> {
    await this.showLoaded(ipc.syncStatus, (status) => syncScreen(this, status, firstVillage));
    // The panel's numbers change with every sync made on it: a redraw (a language switch) reads
    // them again rather than drawing the ones the panel opened with. Not while its work runs:
    // the work draws its outcome when it ends, in the language of that moment.
    this.redraw = () => {
      if (!syncPanelBusy()) void this.showSync(firstVillage);
    };
  }

  showPracticeLeft(aside: string): void {
    // The practice village's name leaves the header (it stayed there over the note, found when
    // its picture was taken), and a language switch draws this note again, not the panel of
    // the store now closed, without telling that store the choice; the idle lock stops, as there
    // is nothing left to lock (either would have started the app again over the note: found by
    // a review).
    this.storeClosed = true;
    window.clearInterval(this.idleTimer);
    this.overview = null;
    this.redraw = () => mount(this.main, practiceLeftScreen(aside));
    this.drawHeader();
    this.redraw();
  }

  async showFunnel(): Promise<void> {
    await this.showLoaded(ipc.referralFunnel, (funnel) => funnelScreen(this, funnel));
  }

  /** The village's cases, filtered by `filter` (every case when none is given). */
  async showReferralList(filter?: Partial<ReferralFilter>): Promise<void> {
    mount(this.main, h("p", { class: "muted" }, t("loading")));
    const view = new ReferralListView(this, fullFilter(filter));
    await view.load();
    this.redraw = () => mount(this.main, view.render());
    this.redraw();
  }

  /** A screen that could not be drawn: what failed, with the way back to the list. The header
   * has none, and the error alone left her to close the app and start it again, as when a
   * household a sync removed was still listed and its schemes were opened (found by a review). */
  private failed(reply: ErrorReply): HTMLElement {
    return h(
      "div",
      {},
      h("div", { class: "form-head" }, h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void this.showHome() }, "← " + t("back"))),
      errorPanel(reply),
    );
  }

  /** A screen drawn from one command's answer, or the error it gave. */
  private async showLoaded<T>(load: () => Promise<T>, draw: (value: T) => HTMLElement): Promise<void> {
    mount(this.main, h("p", { class: "muted" }, t("loading")));
    try {
      const value = await load();
      this.redraw = () => mount(this.main, draw(value));
    } catch (e) {
      const reply = asErrorReply(e);
      this.redraw = () => mount(this.main, this.failed(reply));
    }
    this.redraw();
  }

  async showVillageSchemes(): Promise<void> {
    const overview = this.overview;
    if (overview === null) return;
    await this.readingVillage(ipc.villageEligibility, (tally) => () => villageSchemes(this, overview, tally));
  }

  /** The families behind one scheme's numbers in the village gap. */
  async showWorklist(code: string): Promise<void> {
    const overview = this.overview;
    if (overview === null) return;
    await this.readingVillage(
      () => ipc.schemeWorklist(code),
      (list) => {
        const view = new WorklistView(this, overview, list, () => this.redraw());
        return () => view.render();
      },
    );
  }

  /** A household's finished surveys, newest first, with their answers. */
  async showSurveyHistory(householdId: string, title: string): Promise<void> {
    await this.showLoaded(
      async () => {
        const [current, records] = await Promise.all([ipc.surveyForm(null), ipc.surveyHistory(householdId)]);
        // Each submission is read with the form it answered: a district's later version may
        // have renamed or relabelled its questions.
        const forms = new Map<string, SurveyForm>([[`${current.id}@${current.version}`, current]]);
        for (const r of records) {
          const key = `${r.form_id}@${r.form_version}`;
          if (!forms.has(key)) forms.set(key, await ipc.surveyFormNamed(r.form_id, r.form_version));
        }
        return { current, records, forms };
      },
      ({ current, records, forms }) => surveyHistory(this, householdId, title, current, records, forms),
    );
  }

  /** The laptop's accounts: one's own PIN, and adding an account. */
  async showAccounts(message?: Said): Promise<void> {
    // One view for the screen's life: a redraw after a refused PIN keeps what it said.
    let view: AccountView | null = null;
    await this.showLoaded(ipc.accounts, (data) => {
      view ??= new AccountView(this, data, () => this.redraw(), message);
      return view.render();
    });
  }

  /** Importing households from a list on a USB stick or in Downloads. */
  async showImport(): Promise<void> {
    const view = new ImportView(this, () => this.redraw());
    this.redraw = () => mount(this.main, view.render());
    await view.look();
  }

  /** The village's households, the most vulnerable first. */
  async showVulnerable(): Promise<void> {
    const overview = this.overview;
    if (overview === null) return;
    await this.readingVillage(ipc.vulnerabilityList, (list) => {
      const view = new VulnerableView(this, overview, list, () => this.redraw());
      return () => view.render();
    });
  }

  /**
   * Shows how far a command that reads every household has got, then the screen `draw` makes of
   * its result (or the error). The command runs off the window's thread, so the window stays
   * usable meanwhile.
   */
  private async readingVillage<T>(load: () => Promise<T>, draw: (value: T) => () => HTMLElement): Promise<void> {
    const status = h("p", { class: "muted", "data-test": "village-progress" }, t("deciding"));
    this.redraw = () => mount(this.main, status);
    this.redraw();
    const stop = await onVillageProgress(({ done, total }) => {
      status.textContent = t("reading_households", { done, total });
    });
    try {
      const screen = draw(await load());
      this.redraw = () => mount(this.main, screen());
    } catch (e) {
      const reply = asErrorReply(e);
      this.redraw = () => mount(this.main, this.failed(reply));
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
      mount(this.main, this.failed(asErrorReply(e)));
      return;
    }
    if (householdId !== null) {
      try {
        // Ages are counted on the centre's day, the one the store uses, not the machine's.
        draft = draftFromHousehold(await ipc.getHousehold(householdId), new Date(`${today}T12:00:00`));
      } catch (e) {
        mount(this.main, this.failed(asErrorReply(e)));
        return;
      }
    }
    const form = new HouseholdForm(this, overview, draft, today);
    this.redraw = () => mount(this.main, form.render());
    this.redraw();
    form.focusFirst();
  }
}
