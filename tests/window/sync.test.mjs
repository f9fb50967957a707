// The sync panel in the real window, on the demo store: it opens from the home screen, says
// plainly that the demo village never leaves the laptop, and offers no enrollment, so invented
// households can never reach a real block server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { find, startApp, textOf } from "./session.mjs";

test("the sync panel of a demo store says it never syncs and offers no enrollment", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    await browser.executeScript("document.querySelector('[data-test=open-sync]').click()");
    const said = await textOf(browser, "[data-test=sync-demo]");
    assert.match(said, /demo|डेमो/);
    const forms = await browser.executeScript("return document.querySelectorAll('[data-test=sync-enroll], [data-test=sync-now]').length");
    assert.equal(forms, 0, "a demo store offers neither enrollment nor sync");
    await (await find(browser, "[data-test=back]")).click();
    await textOf(browser, "[data-test=list-count]");
  } finally {
    await app.close();
  }
});
