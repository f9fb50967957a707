// The laptop's lock in the real window: the first start walks her through set-up (a weak PIN and
// two different PINs are refused, the recovery code is shown once); the app locks itself when
// left alone and unlocks back to the same screen with a half-typed entry intact (a household's
// name, then a survey's answer); a wrong PIN is refused; a forgotten PIN is replaced with the
// recovery code.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { By, find, startApp, TEST_PIN, textOf, screen, SCREEN_WAIT_MS, JUDGED_WAIT_MS } from "./session.mjs";

async function typeInto(browser, css, text) {
  const el = await find(browser, css);
  await el.clear();
  await el.sendKeys(text);
}

async function lockShown(browser, ms = 20_000) {
  await browser.wait(async () => (await browser.findElements(By.css("[data-test=lock-screen]"))).length === 1, ms, "the app did not lock itself");
}

async function unlocked(browser) {
  await browser.wait(async () => (await browser.findElements(By.css("[data-test=lock-screen]"))).length === 0, 30_000, "still locked");
}

test("set-up, lock on idle, unlock back to the half-typed form, recover a forgotten PIN", async () => {
  // Eight seconds, a margin for a busy CI machine, where the steps between two touches (opening
  // the survey, the verdict after an answer) can take several seconds.
  const app = await startApp({ login: false, env: { SAMANVAYA_IDLE_LOCK_SECONDS: "8" } });
  try {
    const { browser } = app;
    // First start: set-up, in Hindi.
    await typeInto(browser, "[data-test=setup-name]", "सुनीता देवी");
    await typeInto(browser, "[data-test=setup-pin]", "123456");
    await typeInto(browser, "[data-test=setup-pin2]", "123456");
    await (await find(browser, "[data-test=lock-submit]")).click();
    assert.match(await textOf(browser, "[data-test=lock-error]"), /आसान/);
    // Her name is kept; the PINs are typed again.
    assert.equal(await (await find(browser, "[data-test=setup-name]")).getAttribute("value"), "सुनीता देवी");
    await typeInto(browser, "[data-test=setup-pin]", TEST_PIN);
    await typeInto(browser, "[data-test=setup-pin2]", "482917");
    await (await find(browser, "[data-test=lock-submit]")).click();
    assert.match(await textOf(browser, "[data-test=lock-error]", (s) => s.includes("एक जैसे")), /एक जैसे नहीं/);
    await typeInto(browser, "[data-test=setup-pin]", TEST_PIN);
    await typeInto(browser, "[data-test=setup-pin2]", TEST_PIN);
    await (await find(browser, "[data-test=lock-submit]")).click();
    const code = await textOf(browser, "[data-test=recovery-code]", (s) => s.length > 0, 30_000);
    assert.match(code, /^[A-Z2-9]{4}(-[A-Z2-9]{4}){4}$/);
    await (await find(browser, "[data-test=recovery-done]")).click();
    await unlocked(browser);
    await textOf(browser, "[data-test=list-count]", (s) => s.includes("300"), 30_000);

    // A half-typed new household, then the laptop is left alone.
    await (await find(browser, "[data-test=add-household]")).click();
    await typeInto(browser, "[data-test=member-name-0]", "आधा लिखा");
    await lockShown(browser);
    // Locked for real: the shell refuses commands until the PIN is given.
    const refused = await browser.executeAsyncScript(
      "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke('village_overview').then(() => done('answered'), (e) => done(e.code));",
    );
    assert.equal(refused, "locked");

    await typeInto(browser, "[data-test=unlock-pin]", "135790");
    await (await find(browser, "[data-test=lock-submit]")).click();
    assert.match(await textOf(browser, "[data-test=lock-error]"), /सही नहीं/);
    await typeInto(browser, "[data-test=unlock-pin]", TEST_PIN);
    await (await find(browser, "[data-test=lock-submit]")).click();
    await unlocked(browser);
    assert.equal(await (await find(browser, "[data-test=member-name-0]")).getAttribute("value"), "आधा लिखा", "the half-typed name survived the lock");

    // Locked again; she has forgotten the PIN and uses the recovery code instead.
    await lockShown(browser);
    await (await find(browser, "[data-test=lock-forgot]")).click();
    // The picture of the recovery form for docs/screens, when asked for (CI does not need it).
    await screen(browser, "recover-hi-1024x600.png");
    await typeInto(browser, "[data-test=recover-code]", code.toLowerCase());
    await typeInto(browser, "[data-test=recover-pin]", "975310");
    await typeInto(browser, "[data-test=recover-pin2]", "975310");
    await (await find(browser, "[data-test=lock-submit]")).click();
    await unlocked(browser);
    // The work goes on where it was: finish the entry and save it.
    await typeInto(browser, "[data-test=member-name-0]", "आधा लिखा नाम");
    await typeInto(browser, "[data-test=member-age-0]", "40");
    await (await find(browser, "[data-test=consent-agreed]")).click();
    await (await find(browser, "[data-test=save]")).click();
    assert.match(await textOf(browser, "[data-test=notice]"), /सहेज/);

    // A backup from the home screen's panel, checked, encrypted, in the export folder.
    await (await find(browser, "[data-test=backup]")).click();
    await (await find(browser, "[data-test=backup-downloads]")).click();
    assert.match(await textOf(browser, "[data-test=backup-done]", (s) => s.includes("बैकअप"), 30_000), /301 परिवारों का बैकअप/);
    await (await find(browser, "[data-test=backup-close]")).click();
    const files = readdirSync(app.exportDir);
    assert.equal(files.length, 1, `${files}`);
    const head = readFileSync(join(app.exportDir, files[0])).subarray(0, 18).toString();
    assert.equal(head, "SAMANVAYA-BACKUP 1");

    // A survey answer half-typed when the laptop locks itself is there after the unlock too.
    // A click from a script, with the touch a finger's click starts with, which is what tells the
    // app she is still at the laptop.
    const click = (css) =>
      browser.executeScript(
        "const el = document.querySelector(arguments[0]); el.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true })); el.click();",
        css,
      );
    await typeInto(browser, "[data-test=search]", "आधा लिखा नाम");
    await textOf(browser, "[data-test=list-count]", (s) => /^1\D/.test(s) || s.includes(" 1 "));
    await find(browser, "[data-test=open-eligibility]");
    await click("[data-test=open-eligibility]");
    await find(browser, "[data-test=open-survey]", JUDGED_WAIT_MS);
    await click("[data-test=open-survey]");
    await find(browser, "[data-test=survey-finish]", 20_000);
    await click("[data-test=answer-consent-yes]");
    // The questions after consent are hidden until the verdict on her answer comes back: on a busy
    // machine that took long enough for the hidden box to be found and refused the typing.
    await browser.wait(async () => (await find(browser, "[data-test=answer-income]")).isDisplayed(), SCREEN_WAIT_MS, "consent shows the questions");
    await typeInto(browser, "[data-test=answer-income]", "84");
    await lockShown(browser);
    await typeInto(browser, "[data-test=unlock-pin]", "975310");
    await (await find(browser, "[data-test=lock-submit]")).click();
    await unlocked(browser);
    assert.equal(await (await find(browser, "[data-test=answer-income]")).getAttribute("value"), "84", "the half-typed answer survived the lock");
    assert.equal(await (await find(browser, "[data-test=answer-consent-yes]")).isSelected(), true);
  } finally {
    await app.close();
  }
});

// The same first start in English, for a facilitator who reads it better than Hindi: every
// word of set-up and of the recovery code's page is English, the choice is kept for the next
// start's lock screen, and the home screen she lands on speaks it too.
test("set-up walks her through in English when she chooses it", async () => {
  // Her data folder outside the app's scratch folder, which each close removes.
  const scratch = mkdtempSync(join(tmpdir(), "samanvaya-english-"));
  const dataDir = join(scratch, "data");
  let app = await startApp({ dataDir, login: false });
  const devanagari = /[\u0900-\u097F]/;
  try {
    let { browser } = app;
    await (await find(browser, "[data-test=lock-lang-en]")).click();
    const card = async () => textOf(browser, "[data-test=lock-screen]");
    const setup = await card();
    assert.match(setup, /Welcome/);
    // Only the other language's button is written in its own script.
    assert.ok(!devanagari.test(setup.replace("हिंदी", "")), `set-up in English: ${setup}`);
    await typeInto(browser, "[data-test=setup-name]", "Sunita Devi");
    await typeInto(browser, "[data-test=setup-pin]", TEST_PIN);
    await typeInto(browser, "[data-test=setup-pin2]", TEST_PIN);
    await (await find(browser, "[data-test=lock-submit]")).click();
    await find(browser, "[data-test=recovery-code]", 30_000);
    const codePage = await card();
    assert.match(codePage, /Write down this recovery code/);
    assert.ok(!devanagari.test(codePage.replace("हिंदी", "")), `the code's page in English: ${codePage}`);
    await (await find(browser, "[data-test=recovery-done]")).click();
    const home = await textOf(browser, "[data-test=list-count]", (s) => s.length > 0, 30_000);
    assert.ok(!devanagari.test(home), `home in English: ${home}`);
    await app.close();
    app = null;

    // The next start's lock screen speaks English before anyone has typed a PIN.
    app = await startApp({ dataDir, login: false });
    browser = app.browser;
    await find(browser, "[data-test=unlock-pin]");
    const lock = await textOf(browser, "[data-test=lock-screen]");
    assert.ok(!devanagari.test(lock.replace("हिंदी", "")), `the lock screen in English: ${lock}`);
  } finally {
    if (app !== null) await app.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
