// The village gap as a worklist in the real window: a row of the scheme tally opens the families
// behind its numbers (as many as the tally counted), a hamlet filter narrows them, the list is
// saved as CSV with Hindi intact, and a family opens onto its own schemes.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { By, find, startApp, textOf, JUDGED_WAIT_MS } from "./session.mjs";

const SCHEME = "NSAP_IGNOAPS";

async function count(browser, css) {
  return (await browser.findElements(By.css(css))).length;
}

test("a tally row opens the families behind it, by hamlet, printable and saved as CSV", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    await (await find(browser, "[data-test=village-schemes]")).click();
    const row = await find(browser, `[data-test=tally][data-scheme=${SCHEME}]`, JUDGED_WAIT_MS);
    const eligible = Number(await (await row.findElement(By.css("[data-test=tally-eligible]"))).getText());
    const undetermined = Number(await (await row.findElement(By.css("[data-test=tally-undetermined]"))).getText());
    const alt = await row.findElements(By.css("[data-test=tally-alternative]"));
    const alternative = alt.length ? Number((await alt[0].getText()).match(/\d+/)[0]) : 0;
    await (await row.findElement(By.css("[data-test=tally-open]"))).click();

    await textOf(browser, "[data-test=worklist-title]", (s) => s.includes("वृद्धावस्था"));
    const eligibleRows = "[data-test=worklist-eligible] [data-test=worklist-row]";
    const undeterminedRows = "[data-test=worklist-undetermined] [data-test=worklist-row]";
    assert.equal(await count(browser, eligibleRows), eligible + alternative, "one row per eligible person");
    assert.equal(await count(browser, undeterminedRows), undetermined, "one row per undecided person");
    // An undecided row says what to ask.
    const ask = await (await find(browser, `${undeterminedRows} .worklist-note`)).getText();
    assert.ok(ask.length > 0, "an undecided row names the question to ask");
    // A word of the welfare system in a question opens its meaning, in Hindi.
    await (await find(browser, `${undeterminedRows} [data-test=term][data-term=BPL]`)).click();
    assert.match(await textOf(browser, "[data-test=term-meaning]"), /गरीबी रेखा/);
    await (await find(browser, "[data-test=term-close]")).click();
    assert.equal((await browser.findElements(By.css("[data-test=term-dialog]"))).length, 0);

    // One hamlet: fewer rows, every one of that hamlet.
    const options = await browser.findElements(By.css("[data-test=worklist-hamlet] option"));
    assert.ok(options.length >= 3, "all hamlets and at least two hamlets to choose from");
    const hamlet = await options[1].getText();
    await options[1].click();
    await browser.wait(async () => (await count(browser, eligibleRows)) + (await count(browser, undeterminedRows)) < eligible + alternative + undetermined, 5_000);
    for (const r of await browser.findElements(By.css("[data-test=worklist-row]"))) {
      assert.match(await r.getText(), new RegExp(hamlet));
    }
    const shown = (await count(browser, eligibleRows)) + (await count(browser, undeterminedRows));

    // Saved as CSV: the hamlet's rows, in Hindi, with the mark spreadsheets need.
    await (await find(browser, "[data-test=worklist-save]")).click();
    const said = await textOf(browser, "[data-test=worklist-saved]");
    assert.match(said, /सहेज दी गई: .+\.csv/);
    const files = readdirSync(app.exportDir);
    assert.equal(files.length, 1, `one file and no leftover part: ${files}`);
    const text = readFileSync(join(app.exportDir, files[0]), "utf8");
    assert.ok(text.startsWith("\uFEFFयोजना,स्थिति"), text.slice(0, 40));
    assert.equal(text.trim().split("\n").length - 1, shown, "the file holds the rows on the screen");
    assert.ok(text.includes(hamlet));

    // A family opens onto its own schemes.
    await (await find(browser, "[data-test=worklist-open]")).click();
    await find(browser, "[data-test=summary]", JUDGED_WAIT_MS);
  } finally {
    await app.close();
  }
});
