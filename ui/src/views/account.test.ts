// @vitest-environment happy-dom
// What the accounts screen last said is said again in the language switched to, as every other
// line of the screen is.
import { afterEach, describe, expect, it } from "vitest";
import { catalogues, setLanguage } from "../i18n";
import { AccountView } from "./account";

const nav = { showHome: () => Promise.resolve(), showAccounts: () => Promise.resolve() };
const data = { me: { name: "Sunita", role: "facilitator" as const }, accounts: [] };

afterEach(() => setLanguage("hi"));

describe("AccountView", () => {
  it("says that the two new PINs differ in the language switched to", () => {
    setLanguage("hi");
    let view: AccountView | null = null;
    // Kept in an object: a variable assigned only inside the closure reads as never assigned.
    const screen: { drawn: HTMLElement | null } = { drawn: null };
    const redraw = () => {
      screen.drawn = view?.render() ?? null;
    };
    view = new AccountView(nav, data, redraw);
    redraw();
    const field = (test: string) => screen.drawn?.querySelector<HTMLInputElement>(`[data-test="${test}"]`);
    const pin = field("pin-new");
    const again = field("pin-new2");
    if (pin && again) {
      pin.value = "4821";
      again.value = "4812";
    }
    screen.drawn?.querySelector<HTMLFormElement>('[data-test="pin-form"]')?.dispatchEvent(new Event("submit"));
    const said = () => screen.drawn?.querySelector('[data-test="account-said"]')?.textContent;
    expect(said()).toBe(catalogues.hi.lockPinsDiffer);
    setLanguage("en");
    redraw();
    expect(said()).toBe(catalogues.en.lockPinsDiffer);
  });
});
