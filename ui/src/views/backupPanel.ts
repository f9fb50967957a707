// The backup panel the home screen's "बैकअप लें" opens: each USB stick plugged in, by name with
// its free space, a button to back up onto it, and the Downloads folder as before; a progress bar
// while the backup is written, then the checked result with what to do before unplugging.
import type { BackupDone } from "../bindings/BackupDone";
import type { BackupPlaces } from "../bindings/BackupPlaces";
import type { BackupProgress } from "../bindings/BackupProgress";
import type { ErrorReply } from "../bindings/ErrorReply";
import { h } from "../dom";
import { t } from "../i18n";
import { asErrorReply, ipc, onBackupProgress } from "../ipc";
import { errorText } from "./errorPanel";

/** A size as a person reads it: "3.2 GB", "850 MB", "2.4 MB". */
export function sizeWords(bytes: number): string {
  const mb = bytes / (1 << 20);
  if (mb >= 1024) return `${(mb / 1024).toFixed(1)} GB`;
  if (mb >= 10) return `${Math.round(mb)} MB`;
  return `${Math.max(0.1, Math.ceil(mb * 10) / 10).toFixed(1)} MB`;
}

type State =
  | { kind: "looking" }
  | { kind: "choose"; places: BackupPlaces }
  | { kind: "writing"; progress: BackupProgress | null }
  | { kind: "done"; done: BackupDone }
  | { kind: "failed"; error: ErrorReply };

export class BackupPanel {
  private state: State = { kind: "looking" };
  private readonly dialog = h("div", { class: "dialog backup-panel", role: "dialog", "aria-modal": "true", "data-test": "backup-panel" });
  private readonly overlay = h("div", { class: "overlay" }, this.dialog);

  /** `closed` runs when she closes the panel, with the backup made, if one was. */
  constructor(private readonly closed: (done: BackupDone | null) => void) {}

  open(): void {
    document.body.append(this.overlay);
    void this.look();
  }

  /** Draws the panel for where it stands now. */
  private redraw(): void {
    const title = h("h2", {}, t("backupTitle"));
    this.dialog.replaceChildren(title, ...this.body());
  }

  private close(done: BackupDone | null): void {
    this.overlay.remove();
    this.closed(done);
  }

  private async look(): Promise<void> {
    this.state = { kind: "looking" };
    this.redraw();
    try {
      this.state = { kind: "choose", places: await ipc.backupPlaces() };
    } catch (e) {
      this.state = { kind: "failed", error: asErrorReply(e) };
    }
    this.redraw();
  }

  private async write(drive: string | null): Promise<void> {
    this.state = { kind: "writing", progress: null };
    this.redraw();
    const stop = await onBackupProgress((progress) => {
      if (this.state.kind !== "writing") return;
      this.state = { kind: "writing", progress };
      this.redraw();
    });
    try {
      this.state = { kind: "done", done: await ipc.backupTo(drive) };
    } catch (e) {
      this.state = { kind: "failed", error: asErrorReply(e) };
    } finally {
      stop();
    }
    this.redraw();
  }

  private body(): HTMLElement[] {
    const close = (done: BackupDone | null, label = t("backupClose")) =>
      h("button", { type: "button", class: "secondary", "data-test": "backup-close", onclick: () => this.close(done) }, label);
    const rescan = () =>
      h("button", { type: "button", class: "secondary", "data-test": "backup-rescan", onclick: () => void this.look() }, t("backupRescan"));
    const s = this.state;
    switch (s.kind) {
      case "looking":
        return [h("p", { class: "muted", role: "status" }, t("backupLooking")), h("div", { class: "actions" }, close(null))];
      case "choose":
        return [h("p", {}, t("backupHint")), ...this.places(s.places), h("div", { class: "actions" }, rescan(), close(null))];
      case "writing":
        return [this.progress(s.progress), h("p", { class: "muted" }, t("backupDontUnplug"))];
      case "done": {
        const place = s.done.drive === null ? t("backupPlaceDownloads") : t("backupPlaceDrive", { label: s.done.drive });
        return [
          h(
            "div",
            { class: "notice", role: "status", "data-test": "backup-done" },
            h("strong", {}, t("backupDoneTitle")),
            h("p", {}, t("backupDoneFile", { n: s.done.households, file: s.done.file_name, place })),
          ),
          h("p", { "data-test": "backup-next" }, s.done.drive === null ? t("backupDoneCopy") : t("backupDoneEject")),
          h("div", { class: "actions" }, h("button", { type: "button", class: "primary", "data-test": "backup-close", onclick: () => this.close(s.done) }, t("backupDoneOk"))),
        ];
      }
      case "failed":
        return [
          h("p", { class: "banner-error", role: "alert", "data-test": "backup-error" }, errorText(s.error)),
          h("div", { class: "actions" }, rescan(), close(null)),
        ];
    }
  }

  /** Each stick with its button (none when it has too little room, with the reason instead),
   * or the sentence that asks her to plug one in; then the Downloads folder. */
  private places(places: BackupPlaces): HTMLElement[] {
    const needed = places.needed_bytes;
    const drives = places.drives.map((d) => {
      const roomy = d.free_bytes === null || d.free_bytes >= needed;
      return h(
        "li",
        { class: "backup-drive", "data-test": "backup-drive", "data-label": d.label },
        h("span", { class: "backup-drive-name" }, "USB: ", h("strong", {}, d.label)),
        d.free_bytes === null ? null : h("span", { class: "muted" }, t("backupFree", { size: sizeWords(d.free_bytes) })),
        roomy
          ? h("button", { type: "button", class: "primary", "data-test": "backup-to-drive", onclick: () => void this.write(d.path) }, t("backupToDrive"))
          : h("span", { class: "banner-error", "data-test": "backup-no-room" }, t("backupNoRoom", { size: sizeWords(needed) })),
      );
    });
    return [
      drives.length > 0
        ? h("ul", { class: "backup-drives" }, ...drives)
        : h("p", { class: "banner-error", "data-test": "backup-none" }, t("backupNoDrive")),
      h("p", { class: "muted" }, t("backupNeeds", { size: sizeWords(needed) })),
      h(
        "div",
        { class: "backup-downloads" },
        h("button", { type: "button", class: "secondary", "data-test": "backup-downloads", disabled: places.downloads === null, onclick: () => void this.write(null) }, t("backupToDownloads")),
        h("span", { class: "muted" }, t("backupDownloadsHint")),
      ),
    ];
  }

  private progress(p: BackupProgress | null): HTMLElement {
    let text = t("backupStepCopying");
    let bar = h("progress", { "data-test": "backup-progress" });
    if (p?.step === "writing") {
      text = t("backupStepWriting", { done: sizeWords(p.done), total: sizeWords(p.total) });
      bar = h("progress", { "data-test": "backup-progress", max: Math.max(1, p.total), value: p.done });
    } else if (p?.step === "checking") {
      text = t("backupStepChecking");
    }
    return h("div", { class: "backup-progress", role: "status" }, h("p", {}, text), bar);
  }
}
