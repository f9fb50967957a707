// @vitest-environment happy-dom
// The lock screen keeps the account she chose through a wrong PIN and a language switched:
// before, the list drew its first account again, and her right PIN was then tried, and counted
// wrong, against another facilitator's account.
import { afterEach, describe, expect, it, vi } from "vitest";
import { setLanguage } from "../i18n";

const unlock = vi.fn<(account: string | null, pin: string) => Promise<never>>();
vi.mock("../ipc", async (real) => ({
  ...(await real<typeof import("../ipc")>()),
  ipc: { unlock: (account: string | null, pin: string) => unlock(account, pin) },
  onOpenProgress: () => Promise.resolve(() => {}),
}));
const { LockScreen } = await import("./lock");

afterEach(() => setLanguage("hi"));

describe("LockScreen", () => {
  it("tries the PIN against the account she chose, after a wrong PIN and a language switched", async () => {
    unlock.mockRejectedValue(new Error("wrong PIN"));
    const screen = new LockScreen({ kind: "unlock", accounts: ["Sunita", "Meena"] }, () => {}, () => {});
    document.body.replaceChildren(screen.root);
    const account = () => screen.root.querySelector<HTMLSelectElement>('[data-test="lock-account"]')!;
    const tryPin = async (pin: string) => {
      const input = screen.root.querySelector<HTMLInputElement>('[data-test="unlock-pin"]')!;
      input.value = pin;
      input.closest("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
      for (let i = 0; i < 5; i++) await new Promise((ok) => setTimeout(ok, 0));
    };
    account().value = "Meena";
    account().dispatchEvent(new Event("change"));
    await tryPin("111111");
    expect(unlock).toHaveBeenLastCalledWith("Meena", "111111");
    screen.root.querySelector<HTMLButtonElement>('[data-test="lock-lang-en"]')!.click();
    expect(account().value).toBe("Meena");
    await tryPin("482916");
    expect(unlock).toHaveBeenLastCalledWith("Meena", "482916");
  });
});
