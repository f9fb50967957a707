// Withdrawal of consent in the real window: on a saved household's form, "withdraw consent" on a
// member asks first (keeping her is the default), and confirmed, erases her: the home screen
// says so, and the household, opened again, no longer lists her.
import assert from "node:assert/strict";
import { test } from "node:test";
import { By, TEST_PIN, find, runSibling, screen, startApp, textOf } from "./session.mjs";

test("a member's withdrawal of consent is asked first, then erases her from the household", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await (await find(browser, "[data-test=search]")).sendKeys("115");
    await textOf(browser, "[data-test=list-count]", (s) => /^1\D/.test(s) || s.includes(" 1 "));
    await browser.executeScript("document.querySelector('[data-test=household-row]').click()");
    const nameOf = async (i) =>
      browser.executeScript(`return document.querySelector('[data-test=member-name-${i}]')?.value ?? null`);
    await find(browser, "[data-test=withdraw-member-1]");
    const members = (await browser.findElements(By.css("[data-test^=member-name-]"))).length;
    const her = await nameOf(1);
    assert.ok(her, "the second member has a name");

    // Asked first; "keep" leaves everything as it was.
    await browser.executeScript("document.querySelector('[data-test=withdraw-member-1]').click()");
    assert.ok((await textOf(browser, "[data-test=confirm-dialog]")).includes(her), "the question names her");
    await (await find(browser, "[data-test=confirm-no]")).click();
    assert.equal(await nameOf(1), her);

    await browser.executeScript("document.querySelector('[data-test=withdraw-member-1]').click()");
    await (await find(browser, "[data-test=confirm-yes]")).click();
    await textOf(browser, "[data-test=notice]", (s) => s.includes("सहमति"));
    // Opened again, the household has one member fewer, and not her.
    await (await find(browser, "[data-test=search]")).clear();
    await (await find(browser, "[data-test=search]")).sendKeys("115");
    await textOf(browser, "[data-test=list-count]", (s) => /^1\D/.test(s) || s.includes(" 1 "));
    await browser.executeScript("document.querySelector('[data-test=household-row]').click()");
    await find(browser, "[data-test=withdraw-household]");
    const names = await browser.executeScript(
      "return [...document.querySelectorAll('[data-test^=member-name-]')].map((e) => e.value)",
    );
    assert.equal(names.length, members - 1);
    assert.ok(!names.includes(her), `${her} is gone: ${names}`);
  } finally {
    await app.close();
  }
});

// A household erased elsewhere while the list still shows it (here the CLI on the same store,
// as a withdrawal a sync brings would): opening its schemes says the record is gone, with the
// way back to the list beside it. Before, the error alone left her to restart the app.
test("a household erased while listed opens to its error with the way back to the list", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    await (await find(browser, "[data-test=search]")).sendKeys("116");
    await textOf(browser, "[data-test=list-count]", (s) => /^1\D/.test(s) || s.includes(" 1 "));
    runSibling("samanvaya", ["--data-dir", app.dataDir, "consent", "withdraw", "--household", "116"], { SAMANVAYA_PIN: TEST_PIN });
    await browser.executeScript("document.querySelector('[data-test=household-row] [data-test=open-eligibility]').click()");
    await find(browser, "[data-test=error]");
    await screen(browser, "household-gone-hi-1024x600.png");
    await (await find(browser, "[data-test=back]")).click();
    // The list again, where the household no longer is.
    await find(browser, "[data-test=add-household]");
    await find(browser, "[data-test=search]");
  } finally {
    await app.close();
  }
});
