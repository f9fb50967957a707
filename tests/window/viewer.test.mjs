// A Samiti viewer in the real window: the account added for the Samiti's meeting opens the
// village and reads it, and the screens show none of the controls that would change something
// (the library refuses them anyway, which tests/tests and demo/tests check).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { By, TEST_PIN, find, runSibling, startApp, textOf, JUDGED_WAIT_MS } from "./session.mjs";

const VIEWER_PIN = "519372";

/** Whether the element `css` is on the page and drawn. */
function shown(browser, css) {
  return browser.executeScript(
    "const e = document.querySelector(arguments[0]); return !!e && getComputedStyle(e).display !== 'none' && e.offsetParent !== null;",
    css,
  );
}

test("a Samiti viewer reads the village and is shown nothing she could change", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "samanvaya-viewer-"));
  const dataDir = join(scratch, "data");
  let app = await startApp({ dataDir });
  try {
    // The facilitator's own screen has the controls.
    await textOf(app.browser, "[data-test=list-count]", (s) => s.length > 0, 30_000);
    assert.equal(await shown(app.browser, "[data-test=add-household]"), true);
    const code = app.recoveryCode;
    await app.close();
    runSibling("samanvaya", ["--data-dir", dataDir, "accounts", "add", "--name", "Samiti", "--role", "samiti-viewer"], {
      SAMANVAYA_PIN: TEST_PIN,
      SAMANVAYA_RECOVERY_CODE: code,
      SAMANVAYA_NEW_PIN: VIEWER_PIN,
    });

    app = await startApp({ dataDir, login: false });
    const { browser } = app;
    const account = await find(browser, "[data-test=lock-account]");
    for (const option of await account.findElements(By.css("option"))) {
      if ((await option.getText()).toLowerCase().includes("samiti")) await option.click();
    }
    await (await find(browser, "[data-test=unlock-pin]")).sendKeys(VIEWER_PIN);
    await (await find(browser, "[data-test=lock-submit]")).click();
    await textOf(browser, "[data-test=list-count]", (s) => s.length > 0, 30_000);
    for (const css of ["[data-test=add-household]", "[data-test=backup]", "[data-test=save-register]"]) {
      assert.equal(await shown(browser, css), false, `${css} is not shown to a viewer`);
    }
    // The picture for docs/screens, when asked for (scripts take it; CI does not need it).
    if (process.env.SAMANVAYA_SCREENS_DIR) {
      await browser.manage().window().setRect({ width: 1024, height: 600 });
      await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
      writeFileSync(join(process.env.SAMANVAYA_SCREENS_DIR, "viewer-home-hi-1024x600.png"), await browser.takeScreenshot(), "base64");
    }
    // The meeting's screens are there: the village's schemes and a family's eligibility.
    assert.equal(await shown(browser, "[data-test=village-schemes]"), true);
    await browser.executeScript("document.querySelector('[data-test=open-eligibility]').click()");
    await find(browser, "[data-test=ask-next]", JUDGED_WAIT_MS);
    const visible = await browser.executeScript(
      "return [...document.querySelectorAll('[data-test=refer], [data-test=refer-all], [data-test=refer-other], [data-test^=ask-in-survey], [data-test=open-survey], .answer')].filter((e) => e.offsetParent !== null).length",
    );
    assert.equal(visible, 0, "no refer, survey or answer control is shown to a viewer");
    // Nor is "ask in the survey" beside each question (it led to a survey she may not answer),
    // nor "refer for something else".
    assert.ok(await browser.findElements(By.css("[data-test^=ask-in-survey]")).then((e) => e.length > 0), "the questions are listed");
  } finally {
    await app.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
