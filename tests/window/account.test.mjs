// The account screen in the real window: a wrong current PIN is refused in Hindi, the PIN is
// changed and the app opens next time with the new one only; an account added with the laptop's
// recovery code is listed with its role, and a wrong code adds nothing.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { By, find, logIn, startApp, TEST_PIN, textOf } from "./session.mjs";

const NEW_PIN = "907153";

async function fill(browser, values) {
  for (const [test, value] of Object.entries(values)) {
    const input = await find(browser, `[data-test=${test}]`);
    await input.clear();
    await input.sendKeys(value);
  }
}

test("a PIN is changed and an account added from the account screen", async () => {
  const keep = mkdtempSync(join(tmpdir(), "samanvaya-account-"));
  const dataDir = join(keep, "data");
  try {
    const first = await startApp({ dataDir });
    try {
      const { browser } = first;
      await textOf(browser, "[data-test=list-count]");
      await (await find(browser, "[data-test=open-accounts]")).click();
      assert.match(await textOf(browser, "[data-test=account-me]"), /सुनीता देवी \(सुविधाकर्ता\)/);

      // A wrong current PIN changes nothing.
      await fill(browser, { "pin-old": "135790", "pin-new": NEW_PIN, "pin-new2": NEW_PIN });
      await (await find(browser, "[data-test=pin-submit]")).click();
      assert.match(await textOf(browser, "[data-test=account-said]"), /सही नहीं/);

      await fill(browser, { "pin-old": TEST_PIN, "pin-new": NEW_PIN, "pin-new2": NEW_PIN });
      await (await find(browser, "[data-test=pin-submit]")).click();
      assert.match(await textOf(browser, "[data-test=account-said]", (s) => s.includes("बदल गया")), /PIN बदल गया/);

      // A wrong recovery code adds no one.
      await fill(browser, { "account-name": "समिति", "account-pin": "246813", "account-pin2": "246813", "account-code": "AAAA-BBBB-CCCC-DDDD" });
      await (await find(browser, "[data-test=account-role] option[value=samiti_viewer]")).click();
      await (await find(browser, "[data-test=account-submit]")).click();
      await textOf(browser, "[data-test=account-said]", (s) => !s.includes("बदल गया"));
      assert.equal((await browser.findElements(By.css("[data-test=account-row]"))).length, 1);

      await fill(browser, { "account-name": "समिति", "account-pin": "246813", "account-pin2": "246813", "account-code": first.recoveryCode });
      await (await find(browser, "[data-test=account-role] option[value=samiti_viewer]")).click();
      await (await find(browser, "[data-test=account-submit]")).click();
      assert.match(await textOf(browser, "[data-test=account-said]", (s) => s.includes("जोड़ दिए")), /समिति \(समिति \(सिर्फ़ देखने के लिए\)\)/);
      const rows = await browser.executeScript(
        "return [...document.querySelectorAll('[data-test=account-row]')].map((r) => r.innerText)",
      );
      assert.equal(rows.length, 2);
      assert.match(rows[1], /समिति\s+समिति \(सिर्फ़ देखने के लिए\)/);
    } finally {
      await first.close();
    }

    // Started again: the new PIN opens it.
    const second = await startApp({ dataDir, login: false });
    try {
      await logIn(second.browser, NEW_PIN);
      await textOf(second.browser, "[data-test=list-count]");
    } finally {
      await second.close();
    }
  } finally {
    rmSync(keep, { recursive: true, force: true });
  }
});
