// The eligibility story in the real window: a facilitator opens a household's schemes, answers
// the first "ask next" question in place, and sees the decisions update; the village view shows
// the gap per scheme.
import assert from "node:assert/strict";
import { test } from "node:test";
import { By, click, find, startApp, textOf, JUDGED_WAIT_MS } from "./session.mjs";

async function outcomes(browser) {
  const rows = await browser.findElements(By.css("[data-test=finding]"));
  const out = [];
  for (const r of rows) out.push(`${await r.getAttribute("data-scheme")}:${await r.getAttribute("data-outcome")}`);
  return out.sort();
}

test("answering the first question in place updates the household's decisions", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    await (await find(browser, "[data-test=open-eligibility]")).click();
    await find(browser, "[data-test=ask-next]", JUDGED_WAIT_MS);
    // The page opens with what the family can get, before the questions.
    await find(browser, "[data-test=summary]");
    const before = await outcomes(browser);
    assert.ok(before.length > 0, "the household has decisions");
    assert.ok(before.some((o) => o.endsWith(":undetermined")), "the demo leaves some decisions open");

    // Answer the top question with whatever its input offers.
    const q = await find(browser, "[data-test=question-0]");
    const fact = await q.getAttribute("data-fact");
    const member = await q.getAttribute("data-member");
    const yes = await q.findElements(By.css("[data-test=answer-yes-0]"));
    const select = await q.findElements(By.css("[data-test=answer-select-0] option:nth-child(2)"));
    const input = await q.findElements(By.css("[data-test=answer-input-0]"));
    const none = await q.findElements(By.css("[data-test=answer-none-0]"));
    if (yes.length) await yes[0].click();
    else if (none.length) {
      // Saving a set with nothing ticked asks back instead of recording "none of these".
      await (await find(browser, "[data-test=answer-save-0]")).click();
      assert.match(await textOf(browser, "[data-test=answer-error-0]"), /इनमें से कोई नहीं/);
      // The refusal drew the question again: its "none" is found anew.
      await click(browser, "[data-test=answer-none-0]");
    }
    else if (select.length) {
      await select[0].click();
      await (await find(browser, "[data-test=answer-save-0]")).click();
    } else if (input.length) {
      await input[0].sendKeys("५");
      await (await find(browser, "[data-test=answer-save-0]")).click();
    } else {
      assert.fail(`the first question (${fact}) offers no way to answer it`);
    }
    // The notice says what the answer changed, scheme by scheme ("… → पात्र नहीं").
    assert.match(await textOf(browser, "[data-test=notice]"), /सहेज लिया। अब: .+ → /);
    const after = await outcomes(browser);
    assert.notDeepEqual(after, before, `answering ${fact} changed at least one decision`);
    // Once answered, the question is not asked of the same person again (it may be of another).
    const again = await browser.findElements(By.css(`[data-fact="${fact}"][data-member="${member}"]`));
    assert.equal(again.length, 0, `${fact} of ${member} is still asked after it was answered`);
    // And it is now among what is known of that person (or of the household) on the page.
    const who = member === "" || member === null ? "household" : member;
    const known = await browser.findElements(By.css(`[data-test=known][data-member="${who}"] [data-known-fact="${fact}"]`));
    assert.equal(known.length, 1, `${fact} is listed as known of ${who}`);

    const afterAnswer = await outcomes(browser);
    // "पता नहीं" keeps the decisions and moves the question below the others.
    // Read in one script: the page is redrawn after the answer, and an element found before the
    // redraw would be stale by the time its attributes are asked for.
    const key = () =>
      browser.executeScript(
        "const q = document.querySelector('[data-test=question-0]'); return q ? q.dataset.fact + '/' + q.dataset.member : '';",
      );
    const unknownKey = await key();
    await (await find(browser, "[data-test=answer-unknown-0]")).click();
    await browser.wait(async () => {
      const k = await key();
      return k !== "" && k !== unknownKey;
    }, JUDGED_WAIT_MS, "the unknown question moved down");
    assert.deepEqual(await outcomes(browser), afterAnswer, "not knowing decides nothing");
    const [fact0, member0] = unknownKey.split("/");
    const moved = await browser.findElements(By.css(`[data-fact="${fact0}"][data-member="${member0}"] [data-test^=asked-unknown]`));
    const shown = await browser.findElements(By.css("[data-test^=question-]"));
    if (shown.length < 5) assert.equal(moved.length, 1, "the question asked before says so");

    // The village view shows one row per scheme in force, with numbers.
    await (await find(browser, "[data-test=back]")).click();
    await (await find(browser, "[data-test=village-schemes]")).click();
    const tallies = await browser.wait(async () => {
      const rows = await browser.findElements(By.css("[data-test=tally]"));
      return rows.length > 0 ? rows : null;
    }, JUDGED_WAIT_MS);
    assert.ok(tallies.length >= 10, `a row per scheme, got ${tallies.length}`);
  } finally {
    await app.close();
  }
});
