// The referral story in the real window: from a household to an eligible person, "refer", the
// documents ticked, the slip drawn in Hindi (its own font, the number and its QR code), the case
// moved to "benefit received", and the eligibility screen then says "already receiving". The
// to-do list and the village funnel count it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PNG } from "pngjs";
import { By, find, startApp, textOf } from "./session.mjs";

/** The dark pixels of a PNG screenshot, and how many columns hold any: the ink and its width. */
function ink(base64) {
  const png = PNG.sync.read(Buffer.from(base64, "base64"));
  let dark = 0;
  const columns = new Set();
  for (let y = 0; y < png.height; y++) {
    for (let x = 0; x < png.width; x++) {
      const i = (y * png.width + x) * 4;
      const lum = 0.299 * png.data[i] + 0.587 * png.data[i + 1] + 0.114 * png.data[i + 2];
      if (lum < 110) {
        dark++;
        columns.add(x);
      }
    }
  }
  return { dark, width: columns.size, pixels: png.width * png.height };
}

/** An attribute read in the page, so that a screen drawn again meanwhile cannot make it stale. */
function attr(browser, css, name) {
  return browser.executeScript("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", css, name);
}

async function stage(browser, want) {
  await browser.wait(async () => (await attr(browser, "[data-test=referral-stage]", "data-stage")) === want, 10_000, `stage ${want}`);
}

test("a referral goes from an eligible person to benefit received, with a Hindi slip", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    await (await find(browser, "[data-test=open-eligibility]")).click();
    await find(browser, "[data-test=ask-next]");
    // The first person with a scheme to refer for (her line is folded: open it).
    let subject = null;
    for (const s of await browser.findElements(By.css("[data-test=subject]"))) {
      if ((await s.findElements(By.css("[data-test=refer]"))).length > 0) {
        subject = s;
        break;
      }
    }
    assert.ok(subject, "someone in the first demo household is eligible for a scheme and not yet referred");
    const member = await subject.getAttribute("data-member");
    await (await subject.findElement(By.css("summary"))).click();
    const finding = await subject.findElement(By.xpath(".//*[@data-test='refer']/ancestor::details[@data-test='finding'][1]"));
    const scheme = await finding.getAttribute("data-scheme");
    await (await finding.findElement(By.css("[data-test=refer]"))).click();

    // The case opens with the scheme's checklist, nobody having looked yet.
    await stage(browser, "documents_pending");
    const docs = await browser.findElements(By.css("[data-test^=doc-status-]"));
    for (let i = 0; i < docs.length; i++) {
      await (await find(browser, `[data-test=doc-status-${i}] option[value=have]`)).click();
      await browser.wait(async () => (await attr(browser, `[data-test=doc-${i}]`, "data-status")) === "have", 10_000);
    }

    // The slip, in Hindi, with the number as text and as a QR code, drawn in the bundled font.
    await (await find(browser, "[data-test=print-slip]")).click();
    const number = await textOf(browser, "[data-test=slip-number]");
    assert.match(number, /^[DLR]-\d+$/);
    assert.match(await textOf(browser, "[data-test=slip] h1"), /रेफ़रल पर्ची/);
    assert.equal((await browser.findElements(By.css("[data-test=slip-qr] svg"))).length, 1, "a QR code of the number");
    // The slip's own Devanagari face (the one it carries, as on an office computer) drew it.
    const sheetLoaded = "return [...document.fonts].filter((f) => f.family.replace(/[\"']/g, '') === 'Sheet' && f.unicodeRange.includes('U+900') && f.status === 'loaded').length";
    await browser.wait(async () => (await browser.executeScript(sheetLoaded)) === 1, 10_000, "the slip's Devanagari font loaded");
    // Drawn on an image: the slip is not blank, and its conjuncts are shaped. The title's "र्च"
    // (पर्ची) is one shaped cluster; forced apart with a zero-width non-joiner after the virama,
    // the same letters take more room. Boxes or an unshaped font would not tell the two apart.
    const slipInk = ink(await (await find(browser, "[data-test=slip]")).takeScreenshot());
    assert.ok(slipInk.dark > slipInk.pixels / 200, `the slip has ink on it: ${JSON.stringify(slipInk)}`);
    const title = await find(browser, "[data-test=slip] h1");
    await browser.executeScript("arguments[0].style.display = 'inline-block'", title);
    const shaped = ink(await title.takeScreenshot());
    await browser.executeScript("arguments[0].textContent = arguments[0].textContent.replaceAll('\u094D', '\u094D\u200C')", title);
    const apart = ink(await title.takeScreenshot());
    assert.ok(shaped.dark > 200, `the title has ink: ${JSON.stringify(shaped)}`);
    assert.ok(apart.width > shaped.width, `conjuncts shaped: ${shaped.width} columns shaped, ${apart.width} forced apart`);
    await (await find(browser, "[data-test=slip-print]")).isDisplayed();
    await (await find(browser, "[data-test=back]")).click();

    await (await find(browser, "[data-test=move-submit]")).click();
    await stage(browser, "submitted");
    await (await find(browser, "[data-test=move-sanction]")).click();
    await stage(browser, "sanctioned");
    await (await find(browser, "[data-test=move-receive]")).click();
    await (await find(browser, "[data-test=receive-amount]")).sendKeys("400");
    await (await find(browser, "[data-test=ask-save]")).click();
    await stage(browser, "received");
    const story = await browser.findElements(By.css("[data-test=event]"));
    assert.equal(story.length, docs.length + 3, "every step is in the story");

    // Back on the household: the scheme is now "already receiving" for her.
    await (await find(browser, "[data-test=back]")).click();
    await find(browser, "[data-test=ask-next]");
    const sel = `[data-test=subject][data-member="${member}"] [data-test=finding][data-scheme="${scheme}"]`;
    await browser.wait(async () => (await attr(browser, sel, "data-outcome")) === "already_receiving", 10_000, "already receiving");

    // The village funnel counts the case through to "received".
    await (await find(browser, "[data-test=back]")).click();
    await (await find(browser, "[data-test=open-funnel]")).click();
    const row = await find(browser, `[data-test=funnel-row][data-code="${scheme}"]`);
    const cells = await row.findElements(By.css("td"));
    assert.equal(await cells[1].getText(), "1");
    assert.match(await cells[4].getText(), /^1/);
  } finally {
    await app.close();
  }
});
