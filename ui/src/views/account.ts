// The accounts of this laptop: who is working now, everyone who may open it and with what role,
// changing one's own PIN, and adding an account (a supervisor, or the Samiti's read-only account
// for meetings) with the laptop's recovery code, which proves the person setting it up holds it.
import type { Role } from "../bindings/Role";
import type { Who } from "../bindings/Who";
import { h } from "../dom";
import { t, type Said } from "../i18n";
import { ipc } from "../ipc";
import { errorSaid } from "./errorPanel";

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showAccounts(message?: Said): Promise<void>;
}

export interface Accounts {
  me: Who;
  accounts: Who[];
}

const ROLES: Role[] = ["facilitator", "supervisor", "samiti_viewer"];

export function roleWord(r: Role): string {
  return t(`role_${r}`);
}

export class AccountView {
  /** What the last action said, and whether it went well (said again in the language of the
   * moment each time the screen is drawn). */
  private said: { ok: boolean; text: Said } | null;
  private busy = false;
  /** The new account's name and role as typed, kept across a redraw (PINs never are). */
  private kept = { name: "", role: "samiti_viewer" as Role };

  constructor(
    private readonly nav: Navigator,
    private readonly data: Accounts,
    private readonly redraw: () => void,
    message?: Said,
  ) {
    this.said = message ? { ok: true, text: message } : null;
  }

  render(): HTMLElement {
    const secret = (test: string, label: string) => {
      const input = h("input", { type: "password", autocomplete: "off", "data-test": test }) as HTMLInputElement;
      return { input, el: h("label", { class: "lock-field" }, h("span", {}, label), input) };
    };
    const oldPin = secret("pin-old", t("accountPinOld"));
    const newPin = secret("pin-new", t("lockChoosePin"));
    const newPin2 = secret("pin-new2", t("lockPinAgain"));
    const name = h("input", {
      "data-test": "account-name",
      autocomplete: "off",
      value: this.kept.name,
      oninput: (e: Event) => (this.kept.name = (e.target as HTMLInputElement).value),
    }) as HTMLInputElement;
    const role = h(
      "select",
      { "data-test": "account-role", onchange: (e: Event) => (this.kept.role = (e.target as HTMLSelectElement).value as Role) },
      ...ROLES.map((r) => h("option", { value: r, selected: r === this.kept.role }, roleWord(r))),
    ) as HTMLSelectElement;
    const addPin = secret("account-pin", t("lockChoosePin"));
    const addPin2 = secret("account-pin2", t("lockPinAgain"));
    const code = secret("account-code", t("lockRecoveryCode"));
    return h(
      "div",
      { class: "accounts" },
      h(
        "div",
        { class: "form-head" },
        h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void this.nav.showHome() }, "← " + t("back")),
        h("h1", {}, t("accountTitle")),
      ),
      h("p", { "data-test": "account-me" }, t("accountMe", { name: this.data.me.name, role: roleWord(this.data.me.role) })),
      this.said
        ? h("p", { class: this.said.ok ? "notice" : "banner-error", role: "status", "data-test": "account-said" }, this.said.text())
        : null,
      h(
        "table",
        { class: "households", "data-test": "account-list" },
        h("thead", {}, h("tr", {}, h("th", {}, t("accountName")), h("th", {}, t("accountRole")))),
        h(
          "tbody",
          {},
          ...this.data.accounts.map((a) =>
            h("tr", { "data-test": "account-row", "data-name": a.name }, h("td", {}, a.name), h("td", {}, roleWord(a.role))),
          ),
        ),
      ),
      h(
        "form",
        {
          class: "card account-form",
          "data-test": "pin-form",
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (newPin.input.value !== newPin2.input.value) return this.say(false, () => t("lockPinsDiffer"));
            void this.run(() => ipc.changePin(oldPin.input.value, newPin.input.value), () => t("accountPinChanged"));
          },
        },
        h("h2", {}, t("accountPinTitle")),
        oldPin.el,
        newPin.el,
        newPin2.el,
        h("button", { type: "submit", class: "primary", "data-test": "pin-submit", disabled: this.busy }, t("accountPinSubmit")),
      ),
      h(
        "form",
        {
          class: "card account-form",
          "data-test": "account-form",
          onsubmit: (e: Event) => {
            e.preventDefault();
            if (addPin.input.value !== addPin2.input.value) return this.say(false, () => t("lockPinsDiffer"));
            const who = name.value.trim();
            const chosen = role.value as Role;
            void this.run(
              () => ipc.addAccount(code.input.value, who, chosen, addPin.input.value),
              () => t("accountAdded", { name: who, role: roleWord(chosen) }),
            );
          },
        },
        h("h2", {}, t("accountAddTitle")),
        h("p", { class: "muted" }, t("accountAddHint")),
        h("label", { class: "lock-field" }, h("span", {}, t("accountName")), name),
        h("label", { class: "lock-field" }, h("span", {}, t("accountRole")), role),
        addPin.el,
        addPin2.el,
        code.el,
        h("button", { type: "submit", class: "primary", "data-test": "account-submit", disabled: this.busy }, t("accountAddSubmit")),
      ),
    );
  }

  private say(ok: boolean, text: Said): void {
    this.said = { ok, text };
    this.redraw();
  }

  /** Runs one action; on success the screen is read again so the list shows the new account. */
  private async run(action: () => Promise<void>, done: Said): Promise<void> {
    // Pressed again while the slow PIN check runs: the first press alone goes on. Before, the
    // button stayed on, and a second Enter sent the old PIN after it had changed, which
    // counted as a wrong try against her account (found by a review).
    if (this.busy) return;
    this.busy = true;
    const running = action();
    this.redraw();
    try {
      await running;
      this.busy = false;
      // Drawn afresh from the store, so the list shows a new account; the notice says what went well.
      await this.nav.showAccounts(done);
    } catch (e) {
      this.busy = false;
      this.say(false, errorSaid(e));
    }
  }
}
