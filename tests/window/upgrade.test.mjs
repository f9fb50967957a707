// The first opening after an update, in the real window: a store an older version left in the
// clear, several migrations behind, is locked with her PIN at set-up and brought up to date,
// and the lock screen says what is happening, step by step, instead of sitting still.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { TEST_PIN, find, runSibling, startApp, textOf } from "./session.mjs";

test("set-up of an old store shows its encryption and each step of its upgrade", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "samanvaya-old-"));
  const data = join(scratch, "data");
  // Enough facts that the upgrade takes a moment a person would notice (about two seconds here).
  runSibling("old-store", [data, "--at", "28", "--facts", "200000"]);
  const app = await startApp({ dataDir: data, login: false });
  try {
    const { browser } = app;
    // A store from before encryption: set-up keeps what it holds and asks only for a name and PIN.
    await find(browser, "[data-test=setup-name]");
    await browser.manage().window().setRect({ width: 1024, height: 600 });
    // Every text the progress line shows, as it changes.
    await browser.executeScript(`
      window.__progress = [];
      new MutationObserver(() => {
        const line = document.querySelector("[data-test=lock-progress]");
        const text = line ? line.textContent : "";
        if (text && window.__progress[window.__progress.length - 1] !== text) window.__progress.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    `);
    for (const [css, text] of [["[data-test=setup-name]", "सुनीता देवी"], ["[data-test=setup-pin]", TEST_PIN], ["[data-test=setup-pin2]", TEST_PIN]]) {
      await (await find(browser, css)).sendKeys(text);
    }
    await (await find(browser, "[data-test=lock-submit]")).click();
    const screens = process.env.SAMANVAYA_SCREENS_DIR;
    if (screens) {
      await textOf(browser, "[data-test=lock-progress]", (s) => /में से [1-9]\d* चरण पूरे/.test(s), 30_000);
      writeFileSync(join(screens, "upgrade-hi-1024x600.png"), await browser.takeScreenshot(), "base64");
    }
    const code = await textOf(browser, "[data-test=recovery-code]", (s) => s.length > 0, 60_000);
    assert.match(code, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){4}$/);
    const seen = await browser.executeScript("return window.__progress");
    assert.match(seen[0], /ताले में रखे जा रहे हैं/, `first the encryption: ${seen}`);
    // Then the upgrade's steps, each line "N में से M चरण पूरे", of one total, going forward.
    const steps = seen.slice(1).map((s) => s.match(/(\d+) में से (\d+) चरण पूरे/));
    assert.ok(steps.length >= 2 && steps.every((m) => m !== null), `then the upgrade's steps: ${seen}`);
    const totals = new Set(steps.map((m) => m[1]));
    assert.equal(totals.size, 1, `one total: ${seen}`);
    const done = steps.map((m) => Number(m[2]));
    assert.ok(done.every((d, i) => i === 0 || d > done[i - 1]), `the steps only go forward: ${seen}`);
  } finally {
    await app.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
