// A supervisor's power in the real window: removing a saved member deletes what was recorded of
// them, so the household form offers "remove" for a saved member only to a supervisor; a
// facilitator may still take off a member she has just added, and marks a saved one as died or
// moved away instead (the library refuses the removal to her anyway, which tests/tests checks).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { By, TEST_PIN, find, runSibling, startApp, textOf } from "./session.mjs";

const SUPERVISOR_PIN = "739152";

/** Opens household 1 for editing from the register; returns how many members its form lists. */
async function openFirstHousehold(browser) {
  await textOf(browser, "[data-test=list-count]", (s) => s.length > 0, 30_000);
  await browser.executeScript("document.querySelector('[data-test=household-row]').click()");
  await find(browser, "[data-test=member-0]", 15_000);
  return (await browser.findElements(By.css("li.member"))).length;
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
    const account = await find(browser, "[data-test=lock-account]", 15_000);
    for (const option of await account.findElements(By.css("option"))) {
      if ((await option.getText()) === "Rekha") await option.click();
    }
    await (await find(browser, "[data-test=unlock-pin]")).sendKeys(SUPERVISOR_PIN);
    await (await find(browser, "[data-test=lock-submit]")).click();
    await openFirstHousehold(browser);
    const offered = await removable(browser);
    assert.deepEqual(offered, Array.from({ length: members - 1 }, (_, i) => `remove-member-${i + 1}`), "every member but the head");
  } finally {
    await app.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
