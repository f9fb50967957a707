// @vitest-environment happy-dom
// What the accounts screen last said is said again in the language switched to, as every other
// line of the screen is.
import { afterEach, describe, expect, it, vi } from "vitest";
import { catalogues, setLanguage } from "../i18n";

const changePin = vi.fn<(old: string, pin: string) => Promise<void>>();
vi.mock("../ipc", async (real) => ({
  ...(await real<typeof import("../ipc")>()),
  ipc: { changePin: (old: string, pin: string) => changePin(old, pin) },
}));
const { AccountView } = await import("./account");

const nav = { showHome: () => Promise.resolve(), showAccounts: () => Promise.resolve() };
const data = { me: { name: "Sunita", role: "facilitator" as const }, accounts: [] };

afterEach(() => setLanguage("hi"));

/** The screen drawn, drawn again as the view asks, and its fields by name. */
function drawn() {
  let view: InstanceType<typeof AccountView> | null = null;
  // Kept in an object: a variable assigned only inside the closure reads as never assigned.
  const screen: { drawn: HTMLElement | null } = { drawn: null };
  const redraw = () => {
    screen.drawn = view?.render() ?? null;
  };
  view = new AccountView(nav, data, redraw);
  redraw();
  const field = (test: string) => screen.drawn?.querySelector<HTMLInputElement>(`[data-test="${test}"]`);
  return { screen, field, redraw };
}

describe("AccountView", () => {
  it("changes the PIN once however often the form is sent while the check runs", async () => {
    const sent: string[] = [];
    changePin.mockImplementation((old: string) => {
      sent.push(old);
      return new Promise(() => {});
    });
    const { screen, field } = drawn();
    const send = () => screen.drawn?.querySelector<HTMLFormElement>('[data-test="pin-form"]')?.dispatchEvent(new Event("submit"));
    for (const [test, value] of [["pin-old", "482916"], ["pin-new", "135790"], ["pin-new2", "135790"]] as const) {
      const input = field(test);
      if (input) input.value = value;
    }
    send();
    send();
    expect(sent).toEqual(["482916"]);
    expect(screen.drawn?.querySelector<HTMLButtonElement>('[data-test="pin-submit"]')?.disabled).toBe(true);
  });

  it("says that the two new PINs differ in the language switched to", () => {
    setLanguage("hi");
    const { screen, field, redraw } = drawn();
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
