// The window stays usable while a village tally runs: on a block-sized village (20,000
// households, filled by the real CLI), the facilitator opens the scheme tally and switches the
// language before the tally has arrived, and the switch takes effect at once. When commands ran
// on the window's own thread, the click waited for the tally to finish.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { By } from "selenium-webdriver";
import { TEST_PIN, click, find, runSibling, startApp } from "./session.mjs";

test("the window answers a click while a large village is being tallied", { timeout: 300_000 }, async () => {
  // `scripts/test` fills the village with the same command while the stories run, in time the
  // machine had idle (docs/ci-time.md), and names its folder here; run alone, the test fills it.
  const filled = process.env.SAMANVAYA_LARGE_VILLAGE;
  const scratch = filled ? null : mkdtempSync(join(tmpdir(), "samanvaya-large-"));
  const dataDir = filled ?? join(scratch, "data");
  if (!filled) {
    // The CLI sets the store up with the PIN the window then unlocks it with.
    runSibling("samanvaya", ["--data-dir", dataDir, "demo", "--households", "20000"], { SAMANVAYA_PIN: TEST_PIN });
  }
  const app = await startApp({ dataDir });
  try {
    const { browser } = app;
    // Twenty thousand households to list first: longer than any screen of a real village.
    await (await find(browser, "[data-test=village-schemes]", 60_000)).click();
    await click(browser, "[data-test=lang-en]");
    // Read both facts in one step of the page, so they describe the same moment.
    const [lang, tallying] = await browser.wait(async () => {
      const state = await browser.executeScript(
        "return [document.documentElement.lang, document.querySelector('[data-test=village-progress]') !== null];",
      );
      return state[0] === "en" ? state : null;
    }, 30_000);
    assert.equal(lang, "en");
    assert.ok(tallying, "the language switched while the tally was still running");
    // And the tally then arrives, in the language chosen during it.
    const rows = await browser.wait(async () => {
      const found = await browser.findElements(By.css("[data-test=tally]"));
      return found.length > 0 ? found : null;
    }, 120_000);
    assert.ok(rows.length >= 10, `a row per scheme, got ${rows.length}`);
    assert.equal(await browser.executeScript("return document.documentElement.lang;"), "en");
  } finally {
    await app.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
});
