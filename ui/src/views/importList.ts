// Importing a household list kept elsewhere (an Anganwadi register, a ration-card list) from a
// USB stick or Downloads, with its column-mapping file (docs/import.md): choose the two files,
// check the list first (nothing written), then import it with progress shown; every refused row
// is listed with its number and what to fix, in the facilitator's language.
import type { ErrorReply } from "../bindings/ErrorReply";
import type { FoundFile } from "../bindings/FoundFile";
import type { ImportFiles } from "../bindings/ImportFiles";
import type { ListReport } from "../bindings/ListReport";
import { h } from "../dom";
import { language, t, type Said } from "../i18n";
import { asErrorReply, ipc, onImportProgress } from "../ipc";
import { errorPanel } from "./errorPanel";

interface Navigator {
  showHome(message?: Said): Promise<void>;
}

type Busy = { what: "looking" } | { what: "checking" } | { what: "writing"; done: number; total: number };

export class ImportView {
  private files: ImportFiles | null = null;
  private list: string | null = null;
  private mapping: string | null = null;
  private report: ListReport | null = null;
  private busy: Busy | null = null;
  /** Why the last look or run failed, drawn afresh each time (in the language of the moment). */
  private failed: ErrorReply | null = null;

  constructor(
    private readonly nav: Navigator,
    private readonly redraw: () => void,
  ) {}

  /** Looks for the files on the sticks and in Downloads, and draws the screen again. */
  async look(): Promise<void> {
    this.busy = { what: "looking" };
    this.redraw();
    try {
      this.files = await ipc.importFilesFound();
      // A file chosen before stays chosen while it is still there; a single one is chosen for her.
      const keep = (chosen: string | null, found: FoundFile[]) =>
        found.some((f) => f.path === chosen) ? chosen : found.length === 1 ? (found[0]?.path ?? null) : null;
      this.list = keep(this.list, this.files.lists);
      this.mapping = keep(this.mapping, this.files.mappings);
      this.failed = null;
    } catch (err) {
      this.failed = asErrorReply(err);
    }
    this.busy = null;
    this.redraw();
  }

  render(): HTMLElement {
    return h(
      "div",
      { class: "import" },
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void this.nav.showHome() }, "← " + t("back")),
        h("h1", {}, t("importTitle")),
      ),
      h("p", { class: "muted" }, t("importHint")),
      this.files === null ? null : this.choices(this.files),
      this.actions(),
      this.progress(),
      this.failed === null ? null : errorPanel(this.failed),
      this.report === null ? null : this.reportView(this.report),
    );
  }

  private choices(files: ImportFiles): HTMLElement {
    const group = (test: string, title: string, empty: string, found: FoundFile[], chosen: string | null, choose: (p: string) => void) =>
      h(
        "fieldset",
        { class: "card", "data-test": test },
        h("legend", {}, title),
        found.length === 0
          ? h("p", { class: "muted", "data-test": `${test}-none` }, empty)
          : null,
        ...found.map((f) =>
          h(
            "label",
            { class: "choice", "data-file": f.file_name },
            h("input", {
              type: "radio",
              name: test,
              checked: f.path === chosen,
              onchange: () => {
                choose(f.path);
                this.report = null;
                this.redraw();
              },
            }),
            ` ${f.file_name} — ${f.drive ?? t("importDownloads")}`,
          ),
        ),
      );
    return h(
      "div",
      { class: "import-files" },
      group("import-lists", t("importList"), t("importNoList"), files.lists, this.list, (p) => (this.list = p)),
      group("import-mappings", t("importMapping"), t("importNoMapping"), files.mappings, this.mapping, (p) => (this.mapping = p)),
    );
  }

  private actions(): HTMLElement {
    const ready = this.list !== null && this.mapping !== null && this.busy === null;
    const checked = this.report !== null && this.report.dry_run;
    return h(
      "div",
      { class: "toolbar" },
      h("button", { type: "button", class: "secondary", "data-test": "import-look", disabled: this.busy !== null, onclick: () => void this.look() }, t("importLookAgain")),
      h("button", { type: "button", class: checked ? "secondary" : "primary", "data-test": "import-check", disabled: !ready, onclick: () => void this.run(true) }, t("importCheck")),
      h(
        "button",
        { type: "button", class: checked ? "primary" : "secondary", "data-test": "import-run", "data-write": true, disabled: !ready, onclick: () => void this.run(false) },
        t("importRun"),
      ),
    );
  }

  private progress(): HTMLElement | null {
    const b = this.busy;
    if (b === null) return null;
    if (b.what === "writing" && b.total > 0) {
      return h(
        "div",
        { class: "backup-progress", role: "status", "data-test": "import-progress" },
        h("p", {}, t("importWriting", { done: b.done, total: b.total })),
        h("progress", { max: b.total, value: b.done }),
      );
    }
    const text = b.what === "looking" ? t("importLooking") : t("importReading");
    return h("div", { class: "backup-progress", role: "status", "data-test": "import-progress" }, h("p", {}, text), h("progress", {}));
  }

  private async run(dryRun: boolean): Promise<void> {
    if (this.list === null || this.mapping === null) return;
    this.busy = { what: "checking" };
    this.report = null;
    this.failed = null;
    this.redraw();
    const stop = await onImportProgress((done, total) => {
      if (!dryRun) {
        this.busy = { what: "writing", done, total };
        this.redraw();
      }
    });
    try {
      this.report = await ipc.importList(this.list, this.mapping, dryRun);
    } catch (err) {
      this.failed = asErrorReply(err);
    } finally {
      stop();
      this.busy = null;
      this.redraw();
    }
  }

  private reportView(r: ListReport): HTMLElement {
    const lines = [
      t("importRows", { n: r.rows }),
      r.dry_run ? t("importWould", { n: r.imported, m: r.members }) : t("importDone", { n: r.imported, m: r.members }),
      r.already > 0 ? t("importAlready", { n: r.already }) : null,
      r.refused > 0 ? t("importRefused", { n: r.refused }) : null,
    ];
    const hi = language() === "hi";
    return h(
      "div",
      { class: "card", "data-test": "import-report", "data-dry": String(r.dry_run) },
      ...lines.filter((l): l is string => l !== null).map((l) => h("p", {}, l)),
      r.problems.length === 0
        ? null
        : h(
            "table",
            { class: "households", "data-test": "import-problems" },
            h("thead", {}, h("tr", {}, h("th", {}, t("importRow")), h("th", {}, t("importWhat")))),
            h(
              "tbody",
              {},
              ...r.problems.map((p) => h("tr", { "data-row": String(p.row) }, h("td", {}, String(p.row)), h("td", {}, hi ? p.reason_hi : p.reason))),
            ),
          ),
      r.dry_run
        ? h("p", { class: "muted" }, r.imported > 0 ? t("importNextRun") : t("importNothing"))
        : h("button", { type: "button", class: "primary", "data-test": "import-to-register", onclick: () => void this.nav.showHome(() => t("importDone", { n: r.imported, m: r.members })) }, t("importToRegister")),
    );
  }
}
