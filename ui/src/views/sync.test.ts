// @vitest-environment happy-dom
// The sync panel while its work runs: the panel is drawn again as a sync goes (its "running"
// line), and its buttons stay off until the work ends, so a second press neither queues
// another sync over 2G nor applies the block's answer twice; what she typed to enroll stays
// when the block refuses it (found by a review). The shell is replaced by `ipc` below.
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { SyncStatus } from "../bindings/SyncStatus";
import { setLanguage } from "../i18n";
import { practiceLeftScreen, syncPanelBusy, syncScreen } from "./sync";

const calls: string[] = [];
let release: () => void = () => {};
let refuse = false;
let unanswered = false;
let syncFails = false;
let drives: { label: string; path: string; free_bytes: number | null }[] = [];

const status = (enrolled: boolean): SyncStatus => ({
  enrolled,
  demo: false,
  url: enrolled ? "https://192.168.1.10:8740" : null,
  role: null,
  device: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  waiting: 3,
  reached_block: 0,
  reached_district: 0,
  rejected: 0,
  conflicts: 0,
  pulled_refused: 0,
  last_attempt_at: null,
  last_success_at: null,
  last_error: null,
  rules: { label: null, made_at: null, installed_at: null, version: "builtin", schemes: 47 },
  certificate_followed_at: null,
});

vi.mock("../ipc", () => ({
  ipc: {
    syncNow: () => {
      calls.push("sync");
      return new Promise<SyncStatus>((done, fail) => {
        release = () => (syncFails ? fail({ code: "sync", detail: "unreachable: no route", detail_hi: null, fields: [], count: null }) : done(status(true)));
      });
    },
    syncDrives: async () => {
      calls.push("drives");
      return drives;
    },
    syncExport: async (drive: string | null) => {
      calls.push(`export ${drive}`);
      const label = drives.find((d) => d.path === drive)?.label ?? null;
      const file_name = "samanvaya-sync-2026-12-06.samanvaya-sync";
      return { path: `${drive ?? "/home/x/Downloads"}/${file_name}`, file_name, drive: label, changes: 3, held_back: 0, carried_again: 0 };
    },
    syncEnroll: async () => {
      calls.push("enroll");
      if (unanswered) throw { code: "sync", detail: "unreachable: the server did not answer within 60 seconds", detail_hi: null, fields: [], count: null };
      if (refuse) throw { code: "sync", detail: "code: the code is not known to the server", detail_hi: null, fields: [], count: null };
      return status(true);
    },
    syncEnrollAgain: async (code: string) => {
      calls.push(`again ${code}`);
      if (refuse) throw { code: "sync", detail: "code: this code enrolls the device x again, and no other", detail_hi: null, fields: [], count: null };
      return status(true);
    },
    syncStatus: async () => status(true),
    putPracticeAside: async () => {
      calls.push("aside");
      return "/home/x/.local/share/samanvaya-practice-20261206-212800";
    },
  },
  asErrorReply: (e: unknown) => e,
}));

const nav = {
  showHome: async () => {},
  left: [] as string[],
  showPracticeLeft(aside: string) {
    this.left.push(aside);
  },
};
const button = (panel: HTMLElement, test: string) => panel.querySelector(`[data-test="${test}"]`) as HTMLButtonElement;

describe("the sync panel", () => {
  beforeEach(() => {
    calls.length = 0;
    refuse = false;
    unanswered = false;
    syncFails = false;
    drives = [];
    setLanguage("hi");
  });

  it("keeps its buttons off while a sync runs, and on again once it ended", async () => {
    const panel = syncScreen(nav, status(true));
    button(panel, "sync-now").click();
    expect(panel.querySelector('[data-test="sync-running"]')).not.toBeNull();
    for (const test of ["sync-now", "sync-export", "sync-feed"]) {
      expect(button(panel, test).disabled, test).toBe(true);
    }
    button(panel, "sync-now").click();
    button(panel, "sync-export").click();
    expect(calls).toEqual(["sync"]);
    release();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-done"]')).not.toBeNull());
    expect(button(panel, "sync-now").disabled).toBe(false);
    button(panel, "sync-export").click();
    await vi.waitFor(() => expect(calls).toEqual(["sync", "drives", "export null"]));
  });

  it("keeps what she typed to enroll, and its running work, when it is built anew in another language", async () => {
    const first = syncScreen(nav, status(false));
    const field = (panel: HTMLElement, test: string) => panel.querySelector(`[data-test="${test}"]`) as HTMLInputElement;
    const type = (panel: HTMLElement, test: string, value: string) => {
      field(panel, test).value = value;
      field(panel, test).dispatchEvent(new Event("input"));
    };
    type(first, "sync-url", "https://192.168.1.10:8740");
    type(first, "sync-code", "K7PM-3XQ9-TA4D");
    setLanguage("en");
    const again = syncScreen(nav, status(false));
    expect(field(again, "sync-url").value).toBe("https://192.168.1.10:8740");
    expect(field(again, "sync-code").value).toBe("K7PM-3XQ9-TA4D");
    // Emptied again, so that the tests after this one start with nothing typed.
    type(again, "sync-url", "");
    type(again, "sync-code", "");
    // While a sync runs the app does not build the panel anew; once it ends, it may.
    const enrolled = syncScreen(nav, status(true));
    button(enrolled, "sync-now").click();
    expect(syncPanelBusy()).toBe(true);
    release();
    await vi.waitFor(() => expect(enrolled.querySelector('[data-test="sync-done"]')).not.toBeNull());
    expect(syncPanelBusy()).toBe(false);
  });

  it("draws a sync's outcome into the panel opened again while it ran, whose buttons come back with it", async () => {
    const left = syncScreen(nav, status(true));
    button(left, "sync-now").click();
    const opened = syncScreen(nav, status(true));
    expect(button(opened, "sync-now").disabled).toBe(true);
    release();
    await vi.waitFor(() => expect(opened.querySelector('[data-test="sync-done"]')).not.toBeNull());
    expect(button(opened, "sync-now").disabled).toBe(false);
  });

  it("says in her language when the laptop followed the block's new certificate, and only then", () => {
    expect(syncScreen(nav, status(true)).querySelector('[data-test="sync-certificate-followed"]')).toBeNull();
    const followed = syncScreen(nav, { ...status(true), certificate_followed_at: "2026-12-07T10:15:00Z" });
    const said = followed.querySelector('[data-test="sync-certificate-followed"]')?.textContent ?? "";
    expect(said).toContain("ज़िले ने उसकी पुष्टि की");
    expect(said).toContain("ब्लॉक कार्यालय");
  });

  it("folds the library's English words away under the sentence in her language", () => {
    const refused = { ...status(true), last_error: "catalogue: the bundle is signed by a key this laptop does not know" };
    const panel = syncScreen(nav, refused);
    const detail = panel.querySelector('[data-test="sync-error-detail"]') as HTMLDetailsElement;
    expect(detail.tagName).toBe("DETAILS");
    expect(detail.open).toBe(false);
    expect(detail.textContent).toContain("signed by a key");
    expect(panel.querySelector('[data-test="sync-error"]')?.textContent).not.toMatch(/[A-Za-z]{4}/);
  });

  it("keeps the address and the code she typed when the block refuses them", async () => {
    refuse = true;
    const panel = syncScreen(nav, status(false));
    const url = panel.querySelector('[data-test="sync-url"]') as HTMLInputElement;
    const code = panel.querySelector('[data-test="sync-code"]') as HTMLInputElement;
    url.value = "https://192.168.1.10:8740";
    url.dispatchEvent(new Event("input"));
    code.value = "K7PM-3XQ9-TA4D";
    code.dispatchEvent(new Event("input"));
    (panel.querySelector("form") as HTMLFormElement).dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(panel.querySelector(".error-text, [role=alert]")).not.toBeNull());
    expect((panel.querySelector('[data-test="sync-url"]') as HTMLInputElement).value).toBe("https://192.168.1.10:8740");
    expect((panel.querySelector('[data-test="sync-code"]') as HTMLInputElement).value).toBe("K7PM-3XQ9-TA4D");
    expect(button(panel, "sync-enroll").disabled).toBe(false);
  });

  it("says her code still works when the enrollment got no answer, and keeps it typed", async () => {
    unanswered = true;
    const panel = syncScreen(nav, status(false));
    const code = panel.querySelector('[data-test="sync-code"]') as HTMLInputElement;
    code.value = "K7PM-3XQ9-TA4D";
    code.dispatchEvent(new Event("input"));
    (panel.querySelector("form") as HTMLFormElement).dispatchEvent(new Event("submit", { cancelable: true }));
    expect(panel.querySelector('[data-test="sync-enrolling"]')?.textContent).toContain("तीन मिनट");
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-enroll-unanswered"]')).not.toBeNull());
    const said = panel.querySelector('[data-test="sync-enroll-unanswered"]')?.textContent ?? "";
    expect(said).toContain("उसी कोड से “जोड़ें” फिर दबाएँ");
    expect(said).not.toMatch(/[A-Za-z]{4}/);
    expect((panel.querySelector('[data-test="sync-code"]') as HTMLInputElement).value).toBe("K7PM-3XQ9-TA4D");
    expect(button(panel, "sync-enroll").disabled).toBe(false);
  });

  it("syncs at once once enrolled, its buttons off until that first sync ends", async () => {
    const panel = syncScreen(nav, status(false));
    (panel.querySelector("form") as HTMLFormElement).dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(calls).toEqual(["enroll", "sync"]));
    expect(panel.querySelector('[data-test="sync-running"]')).not.toBeNull();
    expect(button(panel, "sync-now").disabled).toBe(true);
    release();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-done"]')).not.toBeNull());
    expect(button(panel, "sync-now").disabled).toBe(false);
  });

  it("keeps the enrollment and says the background tries again when the first sync fails", async () => {
    syncFails = true;
    const panel = syncScreen(nav, status(false));
    (panel.querySelector("form") as HTMLFormElement).dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(calls).toEqual(["enroll", "sync"]));
    release();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-enrolled"]')).not.toBeNull());
    expect(panel.querySelector('[data-test="sync-enrolled"]')?.textContent).toMatch(/अपने आप फिर से/);
    expect(panel.querySelector('[data-test="sync-url"]')).toBeNull();
    expect(button(panel, "sync-now").disabled).toBe(false);
  });

  it("offers to join again with a code made for this laptop only when the block's certificate changed", async () => {
    expect(syncScreen(nav, status(true)).querySelector('[data-test="sync-again-form"]')).toBeNull();
    const other = { ...status(true), last_error: "unreachable: no route to host" };
    expect(syncScreen(nav, other).querySelector('[data-test="sync-again-form"]')).toBeNull();
    const changed = { ...status(true), last_error: "certificate: the server presented sha256 ab12…" };
    const panel = syncScreen(nav, changed);
    expect(panel.querySelector('[data-test="sync-again-ask"]')?.textContent).toContain("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    const code = panel.querySelector('[data-test="sync-again-code"]') as HTMLInputElement;
    code.value = "K7PM-3XQ9-TA4D";
    code.dispatchEvent(new Event("input"));
    (panel.querySelector('[data-test="sync-again-form"]') as HTMLFormElement).dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(calls).toEqual(["again K7PM-3XQ9-TA4D", "sync"]));
    release();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-again-done"]')).not.toBeNull());
    expect(panel.querySelector('[data-test="sync-again-done"]')?.textContent).toMatch(/फिर से जुड़ गया/);
    expect(panel.querySelector('[data-test="sync-again-form"]')).toBeNull();
  });

  it("keeps the code she typed to join again when the block refuses it, and says what code to ask for", async () => {
    refuse = true;
    const changed = { ...status(true), last_error: "certificate: the server presented sha256 ab12…" };
    const panel = syncScreen(nav, changed);
    const code = panel.querySelector('[data-test="sync-again-code"]') as HTMLInputElement;
    code.value = "K7PM-3XQ9-TA4D";
    code.dispatchEvent(new Event("input"));
    (panel.querySelector('[data-test="sync-again-form"]') as HTMLFormElement).dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-again-refused"]')).not.toBeNull());
    expect(panel.querySelector('[data-test="sync-again-refused"]')?.textContent).toContain("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    expect((panel.querySelector('[data-test="sync-again-code"]') as HTMLInputElement).value).toBe("K7PM-3XQ9-TA4D");
    expect(button(panel, "sync-again").disabled).toBe(false);
    expect(calls).toEqual(["again K7PM-3XQ9-TA4D"]);
  });

  it("writes the sync file onto the USB stick she picks, and names it in the note", async () => {
    drives = [{ label: "KINGSTON", path: "/media/x/KINGSTON", free_bytes: 1 << 30 }];
    const panel = syncScreen(nav, status(true));
    button(panel, "sync-export").click();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-export-places"]')).not.toBeNull());
    expect(calls).toEqual(["drives"]);
    (panel.querySelector('[data-drive="KINGSTON"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-exported"]')).not.toBeNull());
    expect(calls).toEqual(["drives", "export /media/x/KINGSTON"]);
    expect(panel.querySelector('[data-test="sync-exported"]')?.textContent).toContain("KINGSTON");
  });

  it("writes it into Downloads when she picks that over the stick", async () => {
    drives = [{ label: "KINGSTON", path: "/media/x/KINGSTON", free_bytes: null }];
    const panel = syncScreen(nav, status(true));
    button(panel, "sync-export").click();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-export-downloads"]')).not.toBeNull());
    button(panel, "sync-export-downloads").click();
    await vi.waitFor(() => expect(panel.querySelector('[data-test="sync-exported"]')).not.toBeNull());
    expect(calls).toEqual(["drives", "export null"]);
    expect(panel.querySelector('[data-test="sync-exported"]')?.textContent).toContain("Downloads");
  });

  it("puts the practice village aside only once she says yes, and names where it went", async () => {
    const panel = syncScreen(nav, { ...status(false), demo: true });
    document.body.append(panel);
    button(panel, "sync-leave-practice").click();
    await vi.waitFor(() => expect(document.querySelector('[data-test="confirm-no"]')).not.toBeNull());
    (document.querySelector('[data-test="confirm-no"]') as HTMLButtonElement).click();
    await new Promise((ok) => setTimeout(ok, 50));
    expect(calls).toEqual([]);
    button(panel, "sync-leave-practice").click();
    await vi.waitFor(() => expect(document.querySelector('[data-test="confirm-yes"]')).not.toBeNull());
    (document.querySelector('[data-test="confirm-yes"]') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(nav.left).toEqual(["/home/x/.local/share/samanvaya-practice-20261206-212800"]));
    expect(calls).toEqual(["aside"]);
    panel.remove();
    const left = practiceLeftScreen(nav.left[0]!);
    expect(left.querySelector('[data-test="practice-left"]')?.textContent).toContain("samanvaya-practice-20261206-212800");
    expect(left.querySelector('[data-test="back"]')).toBeNull();
  });
});
