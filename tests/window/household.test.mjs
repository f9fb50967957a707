// The first story in the real window: a facilitator adds a household with two members, finds it
// again by searching in the other script, and the household and her language survive a restart.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { By, click, find, startApp, textOf, screen, SCREEN_WAIT_MS } from "./session.mjs";

const out = join(import.meta.dirname, "out");

async function shot(browser, name) {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `${name}.png`), await browser.takeScreenshot(), "base64");
}

async function type(browser, css, text) {
  const el = await find(browser, css);
  await el.clear();
  await el.sendKeys(text);
}

async function choose(browser, css, value) {
  await (await find(browser, `${css} option[value="${value}"]`)).click();
}

test("add a household with two members, find it by name in either script, keep it after a restart", async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), "samanvaya-data-")), "store");
  let app = await startApp({ dataDir });
  try {
    const { browser } = app;
    // An empty store starts with the demo village.
    assert.equal(await textOf(browser, "[data-test=overview-households]"), "300");
    assert.match(await textOf(browser, "[data-test=add-household]"), /नया परिवार जोड़ें/);

    // The language switch changes every label at once.
    await click(browser, "[data-test=lang-en]");
    assert.match(await textOf(browser, "[data-test=add-household]", (s) => s.includes("Add")), /Add household/);

    await (await find(browser, "[data-test=add-household]")).click();
    // Saving an empty form is refused with a message in the user's language, and nothing is saved.
    await (await find(browser, "[data-test=save]")).click();
    assert.match(await textOf(browser, "[data-test=form-error]"), /correct the marked fields/);
    // Every problem in one round: the form's own (no age) and the store's (no name) together.
    await find(browser, "[data-test='error-members.0.birth']");
    await find(browser, "[data-test='error-members.0.name']");
    // Nothing of a family is saved before someone in it agrees.
    assert.match(await textOf(browser, "[data-test='error-consent']"), /Ask the family first/);

    await type(browser, "[data-test=member-name-0]", "ज्योत्स्ना सहनी");
    // Correcting a field takes its error away at once.
    assert.equal((await browser.findElements(By.css("[data-test='error-members.0.name']"))).length, 0);
    // Leaving with unsaved changes asks inside the app, in her language; she stays.
    await (await find(browser, "[data-test=back]")).click();
    assert.match(await textOf(browser, "[data-test=confirm-dialog]"), /not saved/);
    await (await find(browser, "[data-test=confirm-no]")).click();
    assert.equal((await browser.findElements(By.css("[data-test=confirm-dialog]"))).length, 0);
    await find(browser, "[data-test=save]");
    await choose(browser, "[data-test=member-sex-0]", "female");
    await type(browser, "[data-test=member-age-0]", "५८");
    await type(browser, "[data-test=phone]", "+91 98765 43210");
    await (await find(browser, "[data-test=add-member]")).click();
    await type(browser, "[data-test=member-name-1]", "Pinki Sahni");
    await choose(browser, "[data-test=member-relation-1]", "daughter");
    await type(browser, "[data-test=member-age-1]", "19");
    // Dates are typed day first, the Indian way, and stored as typed (the app runs in en_US).
    await (await find(browser, "[data-test=add-member]")).click();
    await type(browser, "[data-test=member-name-2]", "Ramesh Sahni");
    await choose(browser, "[data-test=member-relation-2]", "son");
    await choose(browser, "[data-test=member-sex-2]", "male");
    await choose(browser, "[data-test=birth-kind-2]", "date");
    await type(browser, "[data-test=member-date-2]", "15/08/1978");
    await (await find(browser, "[data-test=add-member]")).click();
    await type(browser, "[data-test=member-name-3]", "Suresh Sahni");
    await choose(browser, "[data-test=member-relation-3]", "son");
    await choose(browser, "[data-test=member-sex-3]", "male");
    await choose(browser, "[data-test=birth-kind-3]", "date");
    await type(browser, "[data-test=member-date-3]", "15-8-78");
    // An empty date field looks empty: no date of today in grey.
    assert.equal(await (await find(browser, "[data-test=member-date-3]")).getAttribute("type"), "text");
    // A whole Aadhaar number in the address is refused where it was typed, saying why; the app
    // never keeps one.
    await type(browser, "[data-test=address]", "Ward 4, Aadhaar 2345 6789 0124");
    await (await find(browser, "[data-test=save]")).click();
    assert.match(await textOf(browser, "[data-test='error-address']"), /whole Aadhaar number/);
    // In Hindi the same, the form's error line too (it is worded when drawn, not when made).
    await click(browser, "[data-test=lang-hi]");
    await textOf(browser, "[data-test='error-address']", (s) => s.includes("आधार"));
    assert.match(await textOf(browser, "[data-test=form-error]"), /[\u0900-\u097F]/, "the error line in Hindi");
    await screen(browser, "aadhaar-refused-hi-1024x600.png", { scrollTo: "[data-test='error-address']" });
    await click(browser, "[data-test=lang-en]");
    await type(browser, "[data-test=address]", "Ward 4");
    // Pinki (19) agreed for the family; the statement was read to them.
    await choose(browser, "[data-test=consent-who]", "1");
    await (await find(browser, "[data-test=consent-agreed]")).click();
    assert.equal((await browser.findElements(By.css("[data-test='error-consent']"))).length, 0, "ticking takes the error away");
    await shot(browser, "form-filled");
    await (await find(browser, "[data-test=save]")).click();

    const notice = await textOf(browser, "[data-test=notice]");
    assert.match(notice, /Household \d+ saved/);
    // The saved household is listed alone, with its schemes one click away.
    const number = notice.match(/Household (\d+) saved/)[1];
    assert.equal(await (await find(browser, "[data-test=search]")).getAttribute("value"), number);
    await textOf(browser, "[data-test=list-count]", (s) => s.startsWith("Showing 1 of 1"));
    await find(browser, "[data-test=notice-eligibility]");
    assert.equal(await textOf(browser, "[data-test=overview-households]", (s) => s === "301"), "301");

    // Search in Latin script finds the name written in Devanagari, and the other way round.
    for (const query of ["Jyotsna", "पिंकी"]) {
      await type(browser, "[data-test=search]", query);
      // The previous query's list also shows one household, and the list is redrawn when this
      // query's answer arrives: read the rows in one script, until they are this query's.
      const heads = () =>
        browser.executeScript(
          "return [...document.querySelectorAll('[data-test=household-row] .head-name')].map((e) => e.textContent)",
        );
      await browser.wait(
        async () =>
          (await browser.executeScript(
            "const c = document.querySelector('[data-test=list-count]'); return c ? c.dataset.query + '|' + c.textContent : ''",
          )) === `${query}|Showing 1 of 1 households`,
        SCREEN_WAIT_MS,
        `the list for ${query}`,
      );
      assert.deepEqual(await heads(), ["ज्योत्स्ना सहनी"], `one household matches ${query}`);
    }
    await shot(browser, "search-found");

    // Opening it shows both members as saved; the stated ages come back as ages.
    // WebKitWebDriver does not click table rows themselves, only their cells.
    await (await find(browser, "[data-test=household-row] .head-name")).click();
    assert.equal(await (await find(browser, "[data-test=member-name-1]")).getAttribute("value"), "Pinki Sahni");
    // The consent is on record, with who gave it and who asked; it is not asked again.
    assert.match(await textOf(browser, "[data-test=consent-on-record]"), /Consent given by Pinki Sahni on .* asked by /);
    assert.equal((await browser.findElements(By.css("[data-test=consent-agreed]"))).length, 0);
    assert.equal(await (await find(browser, "[data-test=member-age-0]")).getAttribute("value"), "58");
    // The mobile number is kept as its ten digits.
    assert.equal(await (await find(browser, "[data-test=phone]")).getAttribute("value"), "9876543210");
    // Both dates were stored as 15 August 1978, however they were typed.
    assert.equal(await (await find(browser, "[data-test=member-date-2]")).getAttribute("value"), "15/08/1978");
    assert.equal(await (await find(browser, "[data-test=member-date-3]")).getAttribute("value"), "15/08/1978");

    // A son moved away: kept on the form with the day, no longer counted. The day is asked for.
    await choose(browser, "[data-test=member-status-3]", "moved_away");
    await (await find(browser, "[data-test=save]")).click();
    await find(browser, "[data-test='error-members.3.left']");
    await type(browser, "[data-test=member-left-on-3]", "1/6/2026");
    await (await find(browser, "[data-test=save]")).click();
    await textOf(browser, "[data-test=notice]", (s) => /saved/.test(s));
    // The home list shows the household as it was until the list's answer arrives: the count is
    // waited for, and the row clicked as it is drawn again.
    assert.equal(await textOf(browser, "[data-test=household-row] [data-test=member-count]", (s) => s === "3"), "3");
    await click(browser, "[data-test=household-row] .head-name");
    assert.equal(await (await find(browser, "[data-test=member-left-on-3]")).getAttribute("value"), "01/06/2026");
    assert.equal(await (await find(browser, "[data-test=member-name-3]")).getAttribute("value"), "Suresh Sahni");
    await click(browser, "[data-test=lang-hi]");
    assert.match(await textOf(browser, "[data-test=save]"), /परिवार सहेजें/);
  } finally {
    await app.close();
  }

  // After a restart the household is still there and the app opens in the language last chosen.
  app = await startApp({ dataDir });
  try {
    const { browser } = app;
    assert.equal(await textOf(browser, "[data-test=overview-households]"), "301");
    assert.match(await textOf(browser, "[data-test=add-household]"), /नया परिवार जोड़ें/);
    await type(browser, "[data-test=search]", "jyotsna sahni");
    await textOf(browser, "[data-test=list-count]", (s) => s.includes("1 में से 1"));
    await shot(browser, "after-restart-hi");
  } finally {
    await app.close();
    rmSync(join(dataDir, ".."), { recursive: true, force: true });
  }
});
