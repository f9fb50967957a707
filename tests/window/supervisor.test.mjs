// A supervisor's power in the real window: removing a saved member deletes what was recorded of
// them, so the household form offers "remove" for a saved member only to a supervisor; a
// facilitator may still take off a member she has just added, and marks a saved one as died or
// moved away instead (the library refuses the removal to her anyway, which tests/tests checks).
// The same for making two records of one person one: the supervisor adds the head a second time,
// as a later visit might, and makes the two records one (tests/tests/member_merge.rs checks
// what the kept record takes and what travels).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { By, TEST_PIN, click, find, runSibling, screen, startApp, textOf } from "./session.mjs";

const SUPERVISOR_PIN = "739152";

/** Opens household 1 for editing from the register; returns how many members its form lists. */
async function openFirstHousehold(browser) {
  await textOf(browser, "[data-test=list-count]", (s) => s.length > 0, 30_000);
  await browser.executeScript("document.querySelector('[data-test=household-row]').click()");
  await find(browser, "[data-test=member-0]");
  return (await browser.findElements(By.css("li.member"))).length;
}

async function offered(browser, prefix) {
  return browser.executeScript(
    `return [...document.querySelectorAll('[data-test^=${prefix}-member-]')].map((b) => b.dataset.test)`,
  );
}

async function removable(browser) {
  return browser.executeScript(
    "return [...document.querySelectorAll('[data-test^=remove-member-]')].map((b) => b.dataset.test)",
  );
}

test("only a supervisor is offered to remove a saved member", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "samanvaya-supervisor-"));
  const dataDir = join(scratch, "data");
  let app = await startApp({ dataDir });
  try {
    const members = await openFirstHousehold(app.browser);
    assert.ok(members >= 2, `household 1 has several members (${members})`);
    assert.deepEqual(await removable(app.browser), [], "no saved member can be removed by a facilitator");
    assert.deepEqual(await offered(app.browser, "merge"), [], "nor two records made one");
    await (await find(app.browser, "[data-test=add-member]")).click();
    assert.deepEqual(await removable(app.browser), [`remove-member-${members}`], "the member she just added can be");
    const code = app.recoveryCode;
    await app.close();

    runSibling("samanvaya", ["--data-dir", dataDir, "accounts", "add", "--name", "Rekha", "--role", "supervisor"], {
      SAMANVAYA_PIN: TEST_PIN,
      SAMANVAYA_RECOVERY_CODE: code,
      SAMANVAYA_NEW_PIN: SUPERVISOR_PIN,
    });
    app = await startApp({ dataDir, login: false });
    const { browser } = app;
    const account = await find(browser, "[data-test=lock-account]");
    for (const option of await account.findElements(By.css("option"))) {
      if ((await option.getText()) === "Rekha") await option.click();
    }
    await (await find(browser, "[data-test=unlock-pin]")).sendKeys(SUPERVISOR_PIN);
    await (await find(browser, "[data-test=lock-submit]")).click();
    await openFirstHousehold(browser);
    assert.deepEqual(await removable(browser), Array.from({ length: members - 1 }, (_, i) => `remove-member-${i + 1}`), "every member but the head");
    assert.deepEqual(await offered(browser, "merge"), Array.from({ length: members }, (_, i) => `merge-member-${i}`));

    // The head entered a second time, saved; then the supervisor makes the two records one.
    await click(browser, "[data-test=lang-hi]");
    await (await find(browser, "[data-test=add-member]")).click();
    const head = await (await find(browser, "[data-test=member-name-0]")).getAttribute("value");
    await (await find(browser, `[data-test=member-name-${members}]`)).sendKeys(`${head} (दोबारा)`);
    await (await find(browser, `[data-test=member-age-${members}]`)).sendKeys("40");
    await (await find(browser, "[data-test=save]")).click();
    await textOf(browser, "[data-test=notice]", (s) => s.length > 0);
    assert.equal(await openFirstHousehold(browser), members + 1);
    await (await find(browser, `[data-test=merge-member-${members}]`)).click();
    const which = await find(browser, "[data-test=choose-which]");
    assert.equal(await which.getAttribute("value"), await browser.executeScript("return document.querySelector('[data-test=choose-which] option').value"));
    assert.equal(await textOf(browser, "[data-test=choose-which] option"), `सदस्य 1 — ${head}`, "the head is the first record offered, with its place");
    assert.match(await textOf(browser, "[data-test=choose-dialog] p"), /दो बार दर्ज/);
    await screen(browser, "merge-hi-1024x600.png");
    await (await find(browser, "[data-test=choose-yes]")).click();
    assert.match(await textOf(browser, "[data-test=confirm-dialog] p"), /एक ही व्यक्ति/);
    // The second record's other spelling of the name is listed as not kept, before it is lost.
    assert.match(await textOf(browser, "[data-test=confirm-details]"), new RegExp(`पूरा नाम: ${head} \\(दोबारा\\)`));
    await screen(browser, "merge-confirm-hi-1024x600.png");
    await (await find(browser, "[data-test=confirm-yes]")).click();
    assert.match(await textOf(browser, "[data-test=notice]", (s) => s.includes("रिकॉर्ड")), /अब एक रिकॉर्ड है/);
    assert.equal(await openFirstHousehold(browser), members, "one record of the head again");
    assert.equal(await (await find(browser, "[data-test=member-name-0]")).getAttribute("value"), head, "the first record kept");
  } finally {
    await app.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
