// The small laptop: at 1024×600 the largest demo family's eligibility page (12 members) fits in
// three screens before anything is unfolded, and no main screen is wider than the window, so
// nothing is cut off at the side.
import assert from "node:assert/strict";
import { test } from "node:test";
import { find, startApp, textOf, SCREEN_WAIT_MS, JUDGED_WAIT_MS } from "./session.mjs";

async function measure(browser) {
  await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
  const [page, view, width, inner] = await browser.executeScript(
    "const e = document.scrollingElement; return [e.scrollHeight, window.innerHeight, e.scrollWidth, window.innerWidth]",
  );
  return { screens: page / view, wider: width > inner };
}

test("at 1024×600 a 12-member family fits in three screens and nothing is cut off", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await browser.manage().window().setRect({ width: 1024, height: 600 });
    await textOf(browser, "[data-test=list-count]");
    assert.equal((await measure(browser)).wider, false, "the home screen fits the width");

    // The demo's largest household, number 115 with the default seed.
    await (await find(browser, "[data-test=search]")).sendKeys("115");
    await browser.wait(
      async () => (await browser.executeScript("return document.querySelectorAll('[data-test=household-row]').length")) === 1,
      SCREEN_WAIT_MS,
    );
    await browser.executeScript("document.querySelector('[data-test=open-eligibility]').click()");
    await find(browser, "[data-test=ask-next]", JUDGED_WAIT_MS);
    const sections = await browser.executeScript("return document.querySelectorAll('[data-test=subject]').length");
    assert.equal(sections, 13, "12 members and the household");
    const page = await measure(browser);
    assert.ok(page.screens <= 3, `the page is ${page.screens.toFixed(2)} screens tall`);
    assert.equal(page.wider, false, "the eligibility page fits the width");

    await (await find(browser, "[data-test=back]")).click();
    await (await find(browser, "[data-test=village-schemes]")).click();
    await find(browser, "[data-test=tally]", JUDGED_WAIT_MS);
    assert.equal((await measure(browser)).wider, false, "the village gap fits the width");
    await (await find(browser, "[data-test=tally-open]")).click();
    await find(browser, "[data-test=worklist-title]");
    assert.equal((await measure(browser)).wider, false, "the worklist fits the width");
    await (await find(browser, "[data-test=back]")).click();
    await find(browser, "[data-test=tally]", JUDGED_WAIT_MS);
    await (await find(browser, "[data-test=back]")).click();
    await (await find(browser, "[data-test=add-household]")).click();
    await find(browser, "form");
    assert.equal((await measure(browser)).wider, false, "the form fits the width");
  } finally {
    await app.close();
  }
});
