// The village by vulnerability in the real window: the home screen opens the list, the most
// vulnerable come first with their reasons, a hamlet narrows it, the CSV is saved in Hindi, and
// a household opened from the list shows the same category on its own page.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { TEST_PIN, find, runSibling, startApp, textOf, JUDGED_WAIT_MS } from "./session.mjs";

test("the most vulnerable households come first, and each page says why", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    await (await find(browser, "[data-test=open-vulnerable]")).click();
    await find(browser, "[data-test=vulnerable-row]", 20_000);
    // Who looked at the village's most vulnerable households is in the laptop's audit log.
    const seen = runSibling("samanvaya", ["--data-dir", app.dataDir, "audit", "list", "--action", "reveal:vulnerability"], { SAMANVAYA_PIN: TEST_PIN });
    assert.match(seen, /\treveal:vulnerability\t\d+ households\n/, seen);
    const levels = await browser.executeScript(
      "return [...document.querySelectorAll('[data-test=vulnerable-row]')].map((r) => r.dataset.level)",
    );
    assert.equal(levels.length, 300, "every household of the demo village is listed");
    assert.equal(levels[0], "most_vulnerable");
    const firstOther = levels.findIndex((l) => l !== "most_vulnerable");
    assert.ok(firstOther > 0 && levels.slice(firstOther).every((l) => l !== "most_vulnerable"), "the most vulnerable are all on top");
    const counts = await textOf(browser, "[data-test=vulnerable-counts]");
    assert.ok(counts.includes(`${firstOther} सबसे कमज़ोर`), `the counts say how many: ${counts}`);

    // A hamlet narrows the list.
    await (await find(browser, "[data-test=vulnerable-hamlet] option:nth-child(2)")).click();
    const here = await browser.executeScript("return document.querySelectorAll('[data-test=vulnerable-row]').length");
    assert.ok(here > 0 && here < 300, `one hamlet's households (${here})`);

    // Saved as CSV: the hamlet's rows, in Hindi.
    await (await find(browser, "[data-test=vulnerable-save]")).click();
    const said = await textOf(browser, "[data-test=vulnerable-saved]", (s) => s.includes(".csv"), 30_000);
    const files = readdirSync(app.exportDir).filter((f) => f.startsWith("vulnerable-households"));
    assert.equal(files.length, 1, `one list in the export folder: ${files}`);
    assert.ok(said.includes(files[0]));
    const lines = readFileSync(join(app.exportDir, files[0]), "utf8").trim().split(/\r?\n/);
    assert.ok(lines[0].includes("श्रेणी"), `a Hindi header: ${lines[0]}`);
    assert.equal(lines.length - 1, here, "one line per household of the hamlet");

    // The first household opened from the list shows the same category and reasons.
    const row = await find(browser, "[data-test=vulnerable-row]");
    const level = await row.getAttribute("data-level");
    const reasons = await (await row.findElement({ css: ".worklist-note" })).getText();
    await (await row.findElement({ css: "[data-test=vulnerable-open]" })).click();
    const badge = await find(browser, "[data-test=vulnerability] [data-test=vulnerability-level]", JUDGED_WAIT_MS);
    assert.equal(await badge.getAttribute("data-level"), level);
    // The page keeps the reasons folded under the category; opened, they are the list's.
    await (await find(browser, "[data-test=vulnerability] summary")).click();
    const onPage = await browser.executeScript(
      "return [...document.querySelectorAll('[data-test=vulnerability-reasons] li')].map((li) => li.textContent).join('; ')",
    );
    assert.equal(onPage, reasons, "the same reasons on the list and the page");
  } finally {
    await app.close();
  }
});
