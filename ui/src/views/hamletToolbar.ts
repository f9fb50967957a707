// The toolbar of a village list the Samiti walks hamlet by hamlet (a scheme's worklist, the
// households by vulnerability): which hamlet is shown, printing the page, and saving the
// hamlet's rows as CSV, with what the last save or print said.
import type { VillageOverview } from "../bindings/VillageOverview";
import { h } from "../dom";
import { language, localName, t, type Said } from "../i18n";
import { ipc } from "../ipc";
import type { Language } from "../bindings/Language";
import { errorSaid } from "./errorPanel";

export class HamletToolbar {
  /** The hamlet shown, or null for the whole village. */
  hamlet: string | null = null;
  /** What the last save said: where the file went, or why it could not be written (said again
   * in the language of the moment each time the toolbar is drawn). */
  private saved: { ok: boolean; text: Said } | null = null;
  private saving = false;

  /**
   * `test` prefixes the controls' `data-test` names ("worklist" → "worklist-hamlet"); `saveAs`
   * writes the hamlet's rows in the language and resolves to the file's path.
   */
  constructor(
    private readonly test: string,
    private readonly overview: VillageOverview,
    private readonly redraw: () => void,
    private readonly saveAs: (hamlet: string | null, language: Language) => Promise<string>,
  ) {}

  /** The hamlet choice, "print" and "save", then what the last of them said. */
  render(): HTMLElement[] {
    const select = h(
      "select",
      {
        "data-test": `${this.test}-hamlet`,
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
    const bar = h(
      "div",
      { class: "toolbar no-print" },
      h("label", {}, t("worklistHamlet") + " ", select),
      h("button", { type: "button", class: "secondary", "data-test": `${this.test}-print`, onclick: () => void this.print() }, t("worklistPrint")),
      h(
        "button",
        { type: "button", class: "secondary", "data-test": `${this.test}-save`, disabled: this.saving, onclick: () => void this.save() },
        t("worklistSave"),
      ),
    );
    const said = this.saved
      ? h("p", { class: this.saved.ok ? "notice" : "banner-error", "data-test": `${this.test}-saved`, role: "status" }, this.saved.text())
      : null;
    return said ? [bar, said] : [bar];
  }

  /** Opens the system's print window; a failure is said where a saved file's path would be. */
  private async print(): Promise<void> {
    try {
      await ipc.printPage();
    } catch (e) {
      this.saved = { ok: false, text: errorSaid(e) };
      this.redraw();
    }
  }

  private async save(): Promise<void> {
    this.saving = true;
    this.redraw();
    try {
      const path = await this.saveAs(this.hamlet, language());
      this.saved = { ok: true, text: () => t("worklistSaved", { path }) };
    } catch (e) {
      this.saved = { ok: false, text: errorSaid(e) };
    } finally {
      this.saving = false;
    }
    this.redraw();
  }
}
