// The sync panel: where this laptop's work stands with the block office (waiting, reached the
// block, not applied), the last sync and its error in plain words, "sync now", and enrollment
// with a code when the laptop is not enrolled yet.
import type { ErrorReply } from "../bindings/ErrorReply";
import type { SyncStatus } from "../bindings/SyncStatus";
import { h, mount } from "../dom";
import { instantWords, t, timeWords, type Said } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { errorPanel, syncErrorWords } from "./errorPanel";
import { confirmInApp } from "./confirm";
import { mayWrite } from "../role";

interface Navigator {
  showHome(message?: Said): Promise<void>;
  /** The practice village was put aside at `aside` and its store closed: the app says where it
   * went and leads only to the new setup, with no village named anywhere. */
  showPracticeLeft(aside: string): void;
}

/** The last error's sentence: the stored text starts with a code word the panel translates. */
function errorWords(stored: string): string {
  return syncErrorWords(stored) ?? stored;
}

/** The sentence after the code word, shown under the translated line where that line says "see the detail below". */
function errorDetail(stored: string): string | null {
  const [code, ...rest] = stored.split(":");
  return ["store", "catalogue", "file", "file_write"].includes(code ?? "") ? rest.join(":").trim() : null;
}

/** Once enrolled: a sync at once, and the status it left; if it failed, the status as it stands
 * (the enrollment stays, and the background tries again by itself). */
async function syncAfter(enrolled: SyncStatus): Promise<{ next: SyncStatus; synced: boolean }> {
  try {
    return { next: await ipc.syncNow(), synced: true };
  } catch {
    return { next: await ipc.syncStatus().catch(() => enrolled), synced: false };
  }
}

/** What an enrollment that got no answer says: her code still works for this laptop (the block
 * answers it again until the laptop has synced, docs/sync.md), where the general sentence spoke
 * of work going at the next sync, and a facilitator would have walked to the block office for a
 * new code. Any other failure is said as everywhere. */
function enrollFailed(e: ErrorReply, button: string): HTMLElement {
  const word = (e.detail ?? "").split(":", 1)[0]?.trim();
  if (e.code !== "sync" || word !== "unreachable") return errorPanel(e);
  return h("p", { class: "error-text", role: "alert", "data-test": "sync-enroll-unanswered" }, t("syncEnrollUnanswered", { button }));
}

/** An enrollment's form once sent: its button off and saying `word`, and a line under the form
 * while it runs. On 2G it is sent again by itself and can take minutes, and a facilitator who
 * sees only the button's word closes the app, or presses again when it comes back, thinking it
 * hung. */
function showEnrolling(form: HTMLElement, button: HTMLButtonElement, word: string): void {
  button.disabled = true;
  button.textContent = word;
  form.append(h("p", { class: "notice", role: "status", "data-test": "sync-enrolling" }, t("syncEnrollingSlow")));
}

function when(iso: string): string {
  return `${instantWords(iso)}, ${timeWords(iso)}`;
}

function line(label: string, value: number, test: string): HTMLElement {
  return h("div", { class: "sync-line", "data-test": test }, h("span", {}, label), h("strong", {}, String(value)));
}

/** After the practice village was put aside at `aside`: where it went, and the way to the new
 * setup. The store is closed now, so nothing here leads back into it. */
export function practiceLeftScreen(aside: string): HTMLElement {
  return h(
    "div",
    { class: "sync" },
    h("h1", {}, t("syncTitle")),
    h("p", { class: "notice", role: "status", "data-test": "practice-left" }, t("practiceLeft", { path: aside })),
    h("button", { type: "button", class: "primary", "data-test": "practice-set-up", onclick: () => window.location.reload() }, t("practiceSetUp")),
  );
}

/** What the panel keeps across its drawings (the app builds it anew when the language is
 * switched): what she typed to enroll, and whether a sync, a file for the stick or the block's
 * answer is under way, and the panel last built, which is the one on screen. Kept in the panel alone, a language switched mid-enrollment emptied the
 * address and code she had typed on her first screen, and one mid-sync gave its buttons back
 * and drew its end into a panel no longer shown (found by a review). */
const held = { busy: false, typed: { url: "", code: "", again: "" }, shown: h("div") };

/** Whether the panel's work runs: the app does not build it anew until it ends, when it draws
 * its outcome in the language of the moment. */
export function syncPanelBusy(): boolean {
  return held.busy;
}

/** The panel; with `firstVillage` (a laptop set up to receive its village from the block
 * office, which has none yet) it is her first screen: no way back, and enrolling goes home. */
export function syncScreen(nav: Navigator, status: SyncStatus, firstVillage = false): HTMLElement {
  const box = h("div", { class: "sync" });
  held.shown = box;
  // Into the panel on screen: one opened again while this one's work ran (she went back and
  // came again) is the one its outcome is drawn into, and its buttons come back with it.
  const draw = (s: SyncStatus, note: HTMLElement | null = null) => mount(held.shown, body(s, note));
  // Whether a sync, a file for the stick or the block's answer is under way: the panel is
  // drawn again while it runs (the "sync is running" line), and its buttons stay off until it
  // ends. They came back at once, and a second press queued another sync over 2G, or applied
  // the same answer twice (found by a review).
  const running = <T>(op: () => Promise<T>): Promise<T> => {
    held.busy = true;
    return op().finally(() => {
      held.busy = false;
    });
  };
  // The block presents another certificate: the code its office made for this laptop enrolls it
  // again, keeping everything it holds. Shown only then, below the sentence that says so.
  const enrollAgain = (s: SyncStatus): HTMLElement | null => {
    if (!mayWrite() || (s.last_error ?? "").split(":", 1)[0]?.trim() !== "certificate") return null;
    const code = h("input", { id: "sync-again-code", "data-test": "sync-again-code", autocapitalize: "characters", placeholder: "K7PM-3XQ9-TA4D" }) as HTMLInputElement;
    code.value = held.typed.again;
    code.oninput = () => (held.typed.again = code.value);
    const again = h("button", { type: "submit", class: "primary", "data-test": "sync-again", "data-write": true }, t("syncAgain")) as HTMLButtonElement;
    again.disabled = held.busy;
    return h(
      "form",
      {
        class: "sync-enroll",
        "data-test": "sync-again-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          if (held.busy) return;
          showEnrolling(e.currentTarget as HTMLElement, again, t("syncAgaining"));
          running(async () => {
            const enrolled = await ipc.syncEnrollAgain(code.value);
            held.typed.again = "";
            return syncAfter(enrolled);
          })
            .then(({ next, synced }) => draw(next, h("p", { class: "notice", role: "status", "data-test": "sync-again-done" }, t(synced ? "syncAgainDone" : "syncAgainNotSynced"))))
            .catch((err: unknown) => {
              // A code the block does not take for this laptop (a plain one, most likely) is
              // said with what to ask for: the general sentence sent her back for another plain
              // code, and the address's sentence spoke of an address she did not type.
              const e = asErrorReply(err);
              const word = (e.detail ?? "").split(":", 1)[0]?.trim();
              const refused = e.code === "sync" && (word === "code" || word === "address");
              draw(s, refused ? h("p", { class: "error-text", role: "alert", "data-test": "sync-again-refused" }, t("syncAgainRefused", { id: s.device })) : enrollFailed(e, t("syncAgain")));
            });
        },
      },
      h("p", { "data-test": "sync-again-ask" }, t("syncAgainAsk", { id: s.device })),
      h("label", { for: "sync-again-code" }, t("syncAgainCode"), code),
      again,
    );
  };
  const body = (s: SyncStatus, note: HTMLElement | null): HTMLElement => {
    const head = h(
      "div",
      { class: "form-head" },
      firstVillage
        ? null
        : h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void nav.showHome() }, "← " + t("back")),
      h("h1", {}, t("syncTitle")),
    );
    if (s.demo) {
      // The practice village can never be enrolled; when she is ready for her real one, it is
      // put aside whole beside the data folder and the app starts as on a new laptop (she was
      // told to "start with an empty data folder", which the app offered no way to do: found by
      // a review).
      const leave = h("button", { type: "button", class: "secondary", "data-test": "sync-leave-practice", "data-write": true }, t("practiceLeave")) as HTMLButtonElement;
      leave.disabled = held.busy;
      leave.onclick = async () => {
        if (held.busy || !(await confirmInApp(t("practiceLeaveQuestion"), "practiceLeaveYes", "practiceLeaveNo"))) return;
        leave.disabled = true;
        running(() => ipc.putPracticeAside())
          .then((aside) => nav.showPracticeLeft(aside))
          .catch((err: unknown) => draw(s, errorPanel(asErrorReply(err))));
      };
      // A Samiti viewer may not leave it (the button is hidden from her): she is not told to.
      return h("div", {}, head, note, h("p", { "data-test": "sync-demo" }, t(mayWrite() ? "syncDemo" : "syncDemoViewer")), leave);
    }
    if (!s.enrolled) {
      const url = h("input", { id: "sync-url", type: "url", "data-test": "sync-url", placeholder: "https://192.168.1.10:8740" }) as HTMLInputElement;
      const code = h("input", { id: "sync-code", "data-test": "sync-code", autocapitalize: "characters", placeholder: "K7PM-3XQ9-TA4D" }) as HTMLInputElement;
      url.value = held.typed.url;
      code.value = held.typed.code;
      url.oninput = () => (held.typed.url = url.value);
      code.oninput = () => (held.typed.code = code.value);
      const enroll = h("button", { type: "submit", class: "primary", "data-test": "sync-enroll", "data-write": true }, t("syncEnroll")) as HTMLButtonElement;
      enroll.disabled = held.busy;
      const form = h(
        "form",
        {
          class: "sync-enroll",
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (held.busy) return;
            showEnrolling(e.currentTarget as HTMLElement, enroll, t("syncEnrolling"));
            // Enrolled, the first sync runs at once: what she did before enrolling goes up, and
            // the village's households surveyed elsewhere come down, now, while she is at the
            // block office's network, not at the next background sync minutes later (found by
            // a review). A first sync that fails leaves the enrollment standing; the panel says
            // why, and the background tries again by itself.
            running(async () => {
              const enrolled = await ipc.syncEnroll(url.value, code.value);
              held.typed.url = "";
              held.typed.code = "";
              draw(enrolled, h("p", { class: "notice", role: "status", "data-test": "sync-running" }, t("syncEnrolledRunning")));
              return syncAfter(enrolled);
            })
              .then(({ next, synced }) => {
                if (firstVillage) return nav.showHome(() => t(synced ? "syncVillageArrived" : "syncEnrolledNotSynced"));
                draw(next, h("p", { class: "notice", role: "status", "data-test": synced ? "sync-done" : "sync-enrolled" }, t(synced ? "syncEnrolledDone" : "syncEnrolledNotSynced")));
              })
              .catch((err: unknown) => draw(s, enrollFailed(asErrorReply(err), t("syncEnroll"))));
          },
        },
        h("p", { "data-test": "sync-not-enrolled" }, firstVillage ? t("syncFirstVillage") : t("syncNotEnrolled")),
        h("label", { for: "sync-url" }, t("syncUrl"), url),
        h("label", { for: "sync-code" }, t("syncCode"), code),
        enroll,
      );
      return h("div", {}, head, note, form);
    }
    const now = h("button", { type: "button", class: "primary", "data-test": "sync-now" }, t("syncNow")) as HTMLButtonElement;
    // No network at all: what waits goes to the block office on a USB stick as a file, written
    // onto the stick she picks when one is plugged in (it went to Downloads alone, to be copied
    // by hand: found by a review), or into Downloads when none is.
    const usb = h("button", { type: "button", class: "secondary", "data-test": "sync-export", "data-write": true }, t("syncExport")) as HTMLButtonElement;
    const write = (drive: string | null) => {
      // The panel says the file is being written, its buttons off, until it is: a stick pulled
      // out mid-write loses the file (found by a review).
      const done = running(() => ipc.syncExport(drive));
      draw(s, h("p", { class: "notice", role: "status", "data-test": "sync-writing" }, t("syncWriting")));
      return done
        .then((f) =>
          draw(
            s,
            h(
              "p",
              { class: "notice", role: "status", "data-test": "sync-exported" },
              (f.drive === null
                ? t("syncExported", { n: f.changes, path: f.path })
                : t("syncExportedDrive", { n: f.changes, file: f.file_name, label: f.drive })) +
                (f.carried_again > 0 ? " " + t("syncCarriedAgain", { n: f.carried_again }) : "") +
                (f.held_back > 0 ? " " + t("syncHeldBack", { n: f.held_back }) : ""),
            ),
          ),
        )
        .catch((err: unknown) => draw(s, errorPanel(asErrorReply(err))));
    };
    usb.onclick = () => {
      if (held.busy) return;
      usb.disabled = true;
      running(() => ipc.syncDrives())
        .then((drives) => {
          if (drives.length === 0) return write(null);
          draw(
            s,
            h(
              "div",
              { class: "notice", role: "status", "data-test": "sync-export-places" },
              h("p", {}, t("syncExportWhere")),
              h(
                "div",
                { class: "toolbar" },
                ...drives.map((d) =>
                  h(
                    "button",
                    {
                      type: "button",
                      class: "primary",
                      "data-drive": d.label,
                      "data-write": true,
                      onclick: () => {
                        if (!held.busy) void write(d.path);
                      },
                    },
                    t("syncExportDrive", { label: d.label }),
                  ),
                ),
                h(
                  "button",
                  {
                    type: "button",
                    class: "secondary",
                    "data-test": "sync-export-downloads",
                    "data-write": true,
                    onclick: () => {
                      if (!held.busy) void write(null);
                    },
                  },
                  t("syncExportDownloads"),
                ),
              ),
            ),
          );
        })
        .catch((err: unknown) => draw(s, errorPanel(asErrorReply(err))));
    };
    // The block's answer on the same stick: the decisions made there, for a village with no network.
    const answer = h("button", { type: "button", class: "secondary", "data-test": "sync-feed", "data-write": true }, t("syncFeed")) as HTMLButtonElement;
    answer.onclick = () => {
      if (held.busy) return;
      answer.disabled = true;
      running(() => ipc.syncFeedFiles())
        .then((files) =>
          draw(
            s,
            files.length === 0
              ? h("p", { class: "notice", role: "status", "data-test": "sync-feed-none" }, t("syncFeedNone"))
              : h(
                  "div",
                  { class: "toolbar", "data-test": "sync-feed-files" },
                  ...files.map((f) =>
                    h(
                      "button",
                      {
                        type: "button",
                        class: "secondary",
                        "data-file": f.file_name,
                        "data-write": true,
                        onclick: (e: Event) => {
                          if (held.busy) return;
                          (e.currentTarget as HTMLButtonElement).disabled = true;
                          void running(() => ipc.syncImportFeed(f.path))
                            .then(([next, n]) => draw(next, h("p", { class: "notice", role: "status", "data-test": "sync-feed-done" }, t("syncFeedDone", { n }))))
                            .catch((err: unknown) => draw(s, errorPanel(asErrorReply(err))));
                        },
                      },
                      t("syncFeedApply", { file: f.file_name, place: f.drive ?? t("importDownloads") }),
                    ),
                  ),
                ),
          ),
        )
        .catch((err: unknown) => draw(s, errorPanel(asErrorReply(err))));
    };
    now.onclick = () => {
      if (held.busy) return;
      const done = running(() => ipc.syncNow());
      draw(s, h("p", { class: "notice", role: "status", "data-test": "sync-running" }, t("syncRunning")));
      done
        .then((next) => draw(next, h("p", { class: "notice", role: "status", "data-test": "sync-done" }, t("syncDone"))))
        .catch(async (err: unknown) => {
          // A failed sync is recorded in the status; show that, or the reply if even that failed.
          try {
            draw(await ipc.syncStatus());
          } catch {
            draw(s, errorPanel(asErrorReply(err)));
          }
        });
    };
    for (const b of [now, usb, answer]) b.disabled = held.busy;
    return h(
      "div",
      {},
      head,
      note,
      h("p", { class: "muted", "data-test": "sync-server" }, t("syncServer", { url: s.url ?? "" })),
      h(
        "div",
        { class: "sync-lines" },
        line(t("syncWaiting"), s.waiting, "sync-waiting"),
        line(t("syncReached"), s.reached_block, "sync-reached"),
        line(t("syncReachedDistrict"), s.reached_district, "sync-reached-district"),
        s.rejected > 0 ? line(t("syncRejected"), s.rejected, "sync-rejected") : null,
        s.conflicts > 0 ? line(t("syncConflicts"), s.conflicts, "sync-conflicts") : null,
        s.pulled_refused > 0 ? line(t("syncRefused"), s.pulled_refused, "sync-refused") : null,
      ),
      h("p", { "data-test": "sync-last" }, s.last_success_at === null ? t("syncNever") : t("syncLast", { when: when(s.last_success_at) })),
      s.last_error === null ? null : h("p", { class: "error-text", role: "alert", "data-test": "sync-error" }, errorWords(s.last_error)),
      // The library's words, in English, folded away under the sentence in her language: read
      // out to the block office when asked, not in her way (found by a review).
      s.last_error === null || errorDetail(s.last_error) === null
        ? null
        : h(
            "details",
            { class: "muted", "data-test": "sync-error-detail" },
            h("summary", {}, t("errorDetail")),
            h("code", {}, errorDetail(s.last_error) ?? ""),
          ),
      enrollAgain(s),
      // A change of the block's certificate is worth her asking about if no one told her: a
      // district vouched for it, but she is the one who knows whether the office said so.
      s.certificate_followed_at === null
        ? null
        : h(
            "p",
            { class: "notice", role: "status", "data-test": "sync-certificate-followed" },
            t("syncCertificateFollowed", { day: instantWords(s.certificate_followed_at) }),
          ),
      h(
        "p",
        { class: "muted", "data-test": "sync-rules" },
        s.rules.label === null || s.rules.made_at === null
          ? t("syncRulesBuiltIn", { n: s.rules.schemes })
          : t("syncRulesDistrict", { label: s.rules.label, day: instantWords(s.rules.made_at), n: s.rules.schemes }),
      ),
      h("p", { class: "muted" }, t("syncAuto")),
      h("div", { class: "toolbar" }, now, usb, answer),
    );
  };
  draw(status);
  return box;
}
