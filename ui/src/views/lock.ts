// The lock screen: setting up the first account (a name, the PIN twice, then the recovery code
// shown once) or, on a new laptop in place of an old one, bringing back a backup from a USB
// stick with the PIN it was made with; unlocking with the PIN, and recovering a forgotten PIN
// with the code. It covers
// the whole window; when the app locks itself after idle time, the screen behind it is left as
// it was, half-typed answers included, and is there again once she unlocks.
import type { FoundBackup } from "../bindings/FoundBackup";
import type { Language } from "../bindings/Language";
import type { OpenProgress } from "../bindings/OpenProgress";
import { h } from "../dom";
import { dateWords, language, setLanguage, t, unsaid, type MessageKey, type Said } from "../i18n";
import { asErrorReply, ipc, onOpenProgress, type Session } from "../ipc";
import { sizeWords } from "./backupPanel";
import { errorSaid } from "./errorPanel";

export type LockMode =
  | { kind: "setup"; plain: boolean }
  | { kind: "restore" }
  | { kind: "unlock"; accounts: string[] }
  | { kind: "recover"; accounts: string[] };

export class LockScreen {
  readonly root = h("div", { class: "lock-screen", "data-test": "lock-screen", role: "dialog", "aria-modal": "true" });
  private error: Said = unsaid;
  private busy = false;
  /** The code shown once after set-up, until she says she has written it down. */
  private code: { session: Session } | null = null;
  /** What she typed that is not secret (her name, the recovery code), kept across a redraw
   * after an error; PINs are typed again. */
  private kept: Record<string, string> = {};
  /** The backups found on the USB sticks and in Downloads; null while they are looked for. */
  private backups: FoundBackup[] | null = null;
  /** What opening the store is doing, when it takes a while (the first unlock after an update):
   * changed in place, so that the form is not drawn again under her eyes. */
  private readonly progress = h("div", { class: "lock-progress", role: "status", "data-test": "lock-progress" });

  constructor(
    private mode: LockMode,
    private readonly opened: (session: Session) => void,
    private readonly languageChanged: () => void,
  ) {
    this.render();
  }

  private render(): void {
    const langButton = (lang: Language, label: string) =>
      h(
        "button",
        {
          type: "button",
          class: "lang",
          "data-test": `lock-lang-${lang}`,
          "aria-pressed": String(language() === lang),
          lang,
          onclick: () => {
            setLanguage(lang);
            this.languageChanged();
            this.render();
          },
        },
        label,
      );
    const card = h(
      "div",
      { class: "lock-card" },
      h("div", { class: "langs" }, langButton("hi", "हिंदी"), langButton("en", "English")),
      h("h1", {}, t("appName")),
      this.code ? this.codeStep(this.code.session) : this.form(),
    );
    this.root.replaceChildren(card);
    this.root.querySelector<HTMLInputElement>("input")?.focus();
  }

  private form(): HTMLElement {
    const field = (test: string, label: string, attrs: Record<string, string> = {}) => {
      const secret = attrs.type === "password";
      const input = h("input", {
        "data-test": test,
        autocomplete: "off",
        value: secret ? undefined : this.kept[test],
        oninput: secret ? undefined : (e: Event) => (this.kept[test] = (e.target as HTMLInputElement).value),
        ...attrs,
      });
      return { input, el: h("label", { class: "lock-field" }, h("span", {}, label), input) };
    };
    const secretAttrs = { type: "password", inputmode: "text" };
    const accounts = this.mode.kind === "unlock" || this.mode.kind === "recover" ? this.mode.accounts : [];
    const account =
      accounts.length > 1
        ? h(
            "select",
            {
              "data-test": "lock-account",
              "aria-label": t("lockAccount"),
              // Kept as she chose it: a wrong PIN, or a language switched, drew the first
              // account again, and her right PIN then counted as a wrong one against it.
              onchange: (e: Event) => (this.kept["lock-account"] = (e.target as HTMLSelectElement).value),
            },
            ...accounts.map((a) => h("option", { value: a, selected: this.kept["lock-account"] === a ? "selected" : undefined }, a)),
          )
        : null;
    const chosenAccount = () => (account ? account.value : null);
    const submit = (label: string) =>
      h("button", { type: "submit", class: "primary", "data-test": "lock-submit", disabled: this.busy }, this.busy ? t(this.mode.kind === "setup" ? "saving" : "lockOpening") : label);
    let body: HTMLElement[];
    let run: () => Promise<Session>;
    switch (this.mode.kind) {
      case "setup": {
        const name = field("setup-name", t("lockYourName"));
        const pin = field("setup-pin", t("lockChoosePin"), secretAttrs);
        const pin2 = field("setup-pin2", t("lockPinAgain"), secretAttrs);
        // A store from before (plain) keeps what it holds; only a new one chooses how to start.
        const start = (value: "demo" | "block" | "restore", label: string) =>
          h(
            "label",
            { class: "lock-choice" },
            h("input", {
              type: "radio",
              name: "setup-start",
              value,
              "data-test": `setup-start-${value}`,
              checked: (this.kept["setup-start"] ?? "demo") === value,
              onchange: () => {
                // Bringing back a backup asks for no new name or PIN: its own screen follows.
                if (value === "restore") return this.startRestore();
                this.kept["setup-start"] = value;
              },
            }),
            h("span", {}, label),
          );
        const choice = this.mode.plain
          ? null
          : h(
              "fieldset",
              { class: "lock-start" },
              h("legend", {}, t("lockStartQuestion")),
              start("block", t("lockStartBlock")),
              start("demo", t("lockStartDemo")),
              start("restore", t("lockStartRestore")),
            );
        body = [
          h("p", {}, this.mode.plain ? t("lockSetupPlain") : t("lockSetupHint")),
          name.el,
          pin.el,
          pin2.el,
          ...(choice ? [choice] : []),
          submit(t("lockSetupSubmit")),
        ];
        run = async () => {
          if (pin.input.value !== pin2.input.value) throw new Refusal("lockPinsDiffer");
          return ipc.setUp(name.input.value, pin.input.value, (this.kept["setup-start"] ?? "demo") === "demo");
        };
        break;
      }
      case "restore": {
        const pin = field("restore-pin", t("restorePin"), secretAttrs);
        const chosen = () => this.backups?.find((b) => b.path === this.kept["restore-file"]) ?? null;
        body = [h("h2", {}, t("restoreTitle")), h("p", {}, t("restoreHint")), ...this.backupChoice(), pin.el, submit(t("restoreSubmit")), this.backToSetup()];
        run = async () => {
          const backup = chosen();
          if (!backup) throw new Refusal("restoreChoose");
          try {
            return await ipc.restoreBackup(backup.path, this.kept["restore-account"] ?? backup.accounts[0] ?? null, pin.input.value);
          } catch (e) {
            // The lock screen's own "attempts left" means nothing here: no account locks.
            if (asErrorReply(e).code === "wrong_secret") throw new Refusal("restoreWrongPin");
            throw e;
          }
        };
        break;
      }
      case "unlock": {
        const pin = field("unlock-pin", t("lockPin"), secretAttrs);
        body = [
          h("p", {}, t("lockUnlockHint")),
          account ? h("label", { class: "lock-field" }, h("span", {}, t("lockAccount")), account) : h("span"),
          pin.el,
          submit(t("lockUnlockSubmit")),
          h(
            "button",
            {
              type: "button",
              class: "name-link",
              "data-test": "lock-forgot",
              onclick: () => {
                this.mode = { kind: "recover", accounts };
                this.error = unsaid;
                this.render();
              },
            },
            t("lockForgot"),
          ),
        ];
        run = () => ipc.unlock(chosenAccount(), pin.input.value);
        break;
      }
      case "recover": {
        const code = field("recover-code", t("lockRecoveryCode"), { spellcheck: "false" });
        const pin = field("recover-pin", t("lockChoosePin"), secretAttrs);
        const pin2 = field("recover-pin2", t("lockPinAgain"), secretAttrs);
        body = [
          h("p", {}, t("lockRecoverHint")),
          account ? h("label", { class: "lock-field" }, h("span", {}, t("lockAccount")), account) : h("span"),
          code.el,
          pin.el,
          pin2.el,
          submit(t("lockRecoverSubmit")),
          h(
            "button",
            {
              type: "button",
              class: "name-link",
              onclick: () => {
                this.mode = { kind: "unlock", accounts };
                this.error = unsaid;
                this.render();
              },
            },
            "← " + t("lockBackToPin"),
          ),
        ];
        run = async () => {
          if (pin.input.value !== pin2.input.value) throw new Refusal("lockPinsDiffer");
          return ipc.recover(chosenAccount(), code.input.value, pin.input.value);
        };
        break;
      }
    }
    return h(
      "form",
      {
        class: "lock-form",
        onsubmit: (e: Event) => {
          e.preventDefault();
          void this.attempt(run);
        },
      },
      ...body,
      this.busy ? this.progress : null,
      this.error() ? h("p", { class: "banner-error", role: "alert", "data-test": "lock-error" }, this.error()) : null,
    );
  }

  private startRestore(): void {
    this.mode = { kind: "restore" };
    this.error = unsaid;
    void this.findBackups();
  }

  private async findBackups(): Promise<void> {
    this.backups = null;
    this.render();
    try {
      this.backups = await ipc.backupFiles();
    } catch {
      this.backups = [];
    }
    // The newest is what she most likely wants; she can pick another.
    if (!this.backups.some((b) => b.path === this.kept["restore-file"])) {
      this.kept["restore-file"] = this.backups[0]?.path ?? "";
      delete this.kept["restore-account"];
    }
    this.render();
  }

  /** The backups found, newest first, one to pick; the account to type the PIN of when the
   * backup has several; or the sentence asking her to plug the stick in. */
  private backupChoice(): HTMLElement[] {
    const rescan = h("button", { type: "button", class: "secondary", "data-test": "restore-rescan", onclick: () => void this.findBackups() }, t("backupRescan"));
    if (this.backups === null) return [h("p", { class: "muted", role: "status" }, t("restoreLooking"))];
    if (this.backups.length === 0) return [h("p", { class: "banner-error", "data-test": "restore-none" }, t("restoreNone")), rescan];
    const files = this.backups.map((b) =>
      h(
        "label",
        { class: "lock-choice restore-file" },
        h("input", {
          type: "radio",
          name: "restore-file",
          value: b.path,
          "data-test": "restore-file",
          checked: this.kept["restore-file"] === b.path,
          onchange: () => {
            this.kept["restore-file"] = b.path;
            delete this.kept["restore-account"];
            this.render();
          },
        }),
        h(
          "span",
          {},
          h("strong", {}, b.day ? dateWords(b.day) : t("restoreDayUnknown")),
          " · ",
          b.drive === null ? t("backupPlaceDownloads") : t("backupPlaceDrive", { label: b.drive }),
          " · ",
          sizeWords(b.bytes),
          h("br"),
          h("span", { class: "muted" }, b.file_name, " · ", t("restoreMadeBy", { names: b.accounts.join(", ") })),
        ),
      ),
    );
    const chosen = this.backups.find((b) => b.path === this.kept["restore-file"]);
    const account =
      chosen && chosen.accounts.length > 1
        ? h(
            "label",
            { class: "lock-field" },
            h("span", {}, t("lockAccount")),
            h(
              "select",
              { "data-test": "restore-account", onchange: (e: Event) => (this.kept["restore-account"] = (e.target as HTMLSelectElement).value) },
              ...chosen.accounts.map((a) => h("option", { value: a, selected: this.kept["restore-account"] === a }, a)),
            ),
          )
        : null;
    return [h("fieldset", { class: "lock-start" }, h("legend", {}, t("restoreWhich")), ...files), rescan, ...(account ? [account] : [])];
  }

  private backToSetup(): HTMLElement {
    return h(
      "button",
      {
        type: "button",
        class: "name-link",
        "data-test": "restore-back",
        onclick: () => {
          this.mode = { kind: "setup", plain: false };
          this.kept["setup-start"] = "demo";
          this.error = unsaid;
          this.render();
        },
      },
      "← " + t("restoreBack"),
    );
  }

  private codeStep(session: Session): HTMLElement {
    return h(
      "div",
      { class: "lock-form" },
      h("h2", {}, t("lockCodeTitle")),
      h("p", {}, t("lockCodeHint")),
      h("p", { class: "recovery-code", "data-test": "recovery-code" }, session.recovery_code ?? ""),
      h(
        "button",
        { type: "button", class: "primary", "data-test": "recovery-done", onclick: () => this.opened(session) },
        t("lockCodeDone"),
      ),
    );
  }

  private async attempt(run: () => Promise<Session>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.error = unsaid;
    this.progress.replaceChildren();
    this.render();
    const stop = await onOpenProgress((p) => this.showProgress(p));
    try {
      const session = await run();
      this.busy = false;
      if (session.recovery_code) {
        this.code = { session };
        this.render();
      } else {
        this.opened(session);
      }
    } catch (e) {
      this.busy = false;
      // Said again in the language of the moment at each redraw, as the other screens' messages.
      if (e instanceof Refusal) {
        const key = e.key;
        this.error = () => t(key);
      } else if (e instanceof Error) {
        const message = e.message;
        this.error = () => message;
      } else this.error = errorSaid(e);
      this.render();
    } finally {
      stop();
    }
  }

  private showProgress(p: OpenProgress): void {
    if (p.step === "encrypting") {
      this.progress.replaceChildren(h("p", {}, t("lockEncrypting")), h("progress", {}));
    } else {
      this.progress.replaceChildren(
        h("p", {}, t("lockUpgrading", { done: p.done, total: p.total })),
        h("progress", { max: String(p.total), value: String(p.done) }),
      );
    }
  }
}

/** A refusal the lock screen makes itself, kept by its message's key so that it is said again in
 * the language switched to. */
class Refusal extends Error {
  constructor(readonly key: MessageKey) {
    super(t(key));
  }
}
