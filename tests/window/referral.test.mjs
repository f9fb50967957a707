// The referral story in the real window: from a household to an eligible person, "refer", the
// documents ticked, the slip drawn in Hindi (its own font, the number and its QR code), the case
// moved to "benefit received", and the eligibility screen then says "already receiving". The
// village funnel counts it beside who is eligible, saves itself as a real XLSX and CSV, and the
// list of cases finds it through its filters.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";
import { inflateRawSync } from "node:zlib";
import { PNG } from "pngjs";
import { By, TEST_PIN, find, printToFile, runSibling, startApp, textOf, SCREEN_WAIT_MS, JUDGED_WAIT_MS } from "./session.mjs";

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

/** The files of a zip archive (an .xlsx), by name, read through its central directory. */
function unzip(buf) {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, "a zip archive ends with its directory");
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const files = {};
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const skip = nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const local = buf.readUInt32LE(at + 42);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    files[name] = method === 8 ? inflateRawSync(data) : data;
    at += 46 + skip;
  }
  return files;
}

/** The cells of the first sheet of an .xlsx, row by row, strings looked up, numbers as numbers. */
function sheetRows(path) {
  const files = unzip(readFileSync(path));
  const shared = [...String(files["xl/sharedStrings.xml"] ?? "").matchAll(/<si>.*?<t[^>]*>([^<]*)<\/t>.*?<\/si>/gs)].map((m) => m[1]);
  const sheet = String(files["xl/worksheets/sheet1.xml"]);
  return [...sheet.matchAll(/<row[^>]*>(.*?)<\/row>/gs)].map((row) =>
    [...row[1].matchAll(/<c r="([A-Z]+)\d+"([^>]*)>(?:<v>([^<]*)<\/v>)?<\/c>/g)].map(([, , attrs, v]) =>
      attrs.includes('t="s"') ? shared[Number(v)] : Number(v),
    ),
  );
}

/** An attribute read in the page, so that a screen drawn again meanwhile cannot make it stale. */
function attr(browser, css, name) {
  return browser.executeScript("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", css, name);
}

async function stage(browser, want) {
  await browser.wait(async () => (await attr(browser, "[data-test=referral-stage]", "data-stage")) === want, SCREEN_WAIT_MS, `stage ${want}`);
}

test("a referral goes from an eligible person to benefit received, with a Hindi slip", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    await (await find(browser, "[data-test=open-eligibility]")).click();
    await find(browser, "[data-test=ask-next]", JUDGED_WAIT_MS);
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
      await browser.wait(async () => (await attr(browser, `[data-test=doc-${i}]`, "data-status")) === "have", SCREEN_WAIT_MS);
    }

    // The slip, in Hindi, with the number as text and as a QR code, drawn in the bundled font.
    await (await find(browser, "[data-test=print-slip]")).click();
    const number = await textOf(browser, "[data-test=slip-number]");
    // A slip made for printing is an export, in the laptop's audit log with its number.
    const exported = runSibling("samanvaya", ["--data-dir", app.dataDir, "audit", "list", "--action", "export:slip"], { SAMANVAYA_PIN: TEST_PIN });
    assert.ok(exported.trim().endsWith(`export:slip\t${number}`), exported);
    assert.match(number, /^[DLR]-\d+$/);
    assert.match(await textOf(browser, "[data-test=slip] h1"), /रेफ़रल पर्ची/);
    assert.equal((await browser.findElements(By.css("[data-test=slip-qr] svg"))).length, 1, "a QR code of the number");
    // The slip's own Devanagari face (the one it carries, as on an office computer) drew it.
    const sheetLoaded = "return [...document.fonts].filter((f) => f.family.replace(/[\"']/g, '') === 'Sheet' && f.unicodeRange.includes('U+900') && f.status === 'loaded').length";
    await browser.wait(async () => (await browser.executeScript(sheetLoaded)) === 1, SCREEN_WAIT_MS, "the slip's Devanagari font loaded");
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
    // Printed: the button opens the system's print window, which saves the slip as a PDF of
    // one page, drawn with the Devanagari font the slip carries (no such font is installed on
    // the test machine, so the PDF can only have it from the slip).
    await (await find(browser, "[data-test=slip-print]")).click();
    const pdf = await printToFile(app);
    assert.equal(pdf.subarray(0, 5).toString(), "%PDF-");
    assert.match(pdf.toString("latin1"), /\/Type\s*\/Pages[^>]*\/Count 1\b/, "the slip prints on one page");
    assert.match(pdf.toString("latin1"), /\/BaseFont\s*\/[A-Z]{6}\+NotoSansDevanagari/, "the slip's own Devanagari font is in the PDF");
    assert.equal((await browser.findElements(By.css("[data-test=print-error] *"))).length, 0, "no print error shown");
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
    await find(browser, "[data-test=ask-next]", JUDGED_WAIT_MS);
    const sel = `[data-test=subject][data-member="${member}"] [data-test=finding][data-scheme="${scheme}"]`;
    await browser.wait(async () => (await attr(browser, sel, "data-outcome")) === "already_receiving", SCREEN_WAIT_MS, "already receiving");

    // The village funnel counts the case through to "received", beside who is eligible.
    await (await find(browser, "[data-test=back]")).click();
    await (await find(browser, "[data-test=open-funnel]")).click();
    const row = await find(browser, `[data-test=funnel-row][data-code="${scheme}"]`);
    const cells = await row.findElements(By.css("td"));
    const eligible = await cells[1].getText();
    assert.match(eligible, /^\d+$/, "a scheme's eligible count is a number");
    assert.equal(await cells[2].getText(), "1");
    assert.match(await cells[5].getText(), /^1/);

    // Saved as a workbook and as CSV, in Hindi, in the export folder; the notice says where.
    const saved = async (format) => {
      await browser.executeScript("document.querySelector('[data-test=funnel-saved]').replaceChildren()");
      await (await find(browser, `[data-test=funnel-save-${format}]`)).click();
      const path = await browser.wait(async () => attr(browser, "[data-test=funnel-saved] [data-path]", "data-path"), SCREEN_WAIT_MS, `the ${format} saved`);
      assert.equal(dirname(path), app.exportDir);
      assert.ok(existsSync(path), path);
      return path;
    };
    const xlsx = sheetRows(await saved("xlsx"));
    assert.equal(xlsx[0][2], "पात्र (अभी लाभ नहीं)");
    const line = xlsx.find((r) => r[0] === scheme);
    assert.deepEqual(line.slice(2), [Number(eligible), 1, 1, 1, 1, 0, 0]);
    const csv = readFileSync(await saved("csv"), "utf8");
    assert.ok(csv.startsWith("\ufeffकोड,किस लिए,पात्र (अभी लाभ नहीं),रेफ़र किए"), csv.slice(0, 80));
    assert.ok(csv.includes(`,${eligible},1,1,1,1,0,0\n`), csv);

    // The list of cases: this one is there, a filter keeps or drops it, a search finds it by number.
    await (await find(browser, "[data-test=open-list]")).click();
    const listed = `[data-test=list-results] [data-test=referral-row][data-number="${number}"]`;
    await find(browser, listed);
    const total = async (want) =>
      browser.wait(async () => (await attr(browser, "[data-test=list-count]", "data-total")) === String(want), SCREEN_WAIT_MS, `${want} listed`);
    await total(1);
    await (await find(browser, "[data-test=list-stage] option[value=submitted]")).click();
    await total(0);
    await find(browser, "[data-test=list-none]");
    await (await find(browser, "[data-test=list-stage] option[value=received]")).click();
    await total(1);
    await (await find(browser, "[data-test=list-overdue]")).click();
    await total(0);
    await (await find(browser, "[data-test=list-clear]")).click();
    await total(1);
    await (await find(browser, "[data-test=list-search]")).sendKeys("zzz");
    await total(0);
    const box = await find(browser, "[data-test=list-search]");
    await box.clear();
    await box.sendKeys(number.toLowerCase());
    await total(1);
    // A line opens its case, and "back" returns to the list as it was filtered.
    await (await find(browser, listed)).click();
    await stage(browser, "received");
    await (await find(browser, "[data-test=back]")).click();
    await find(browser, listed);
    assert.equal(await (await find(browser, "[data-test=list-search]")).getAttribute("value"), number.toLowerCase());
  } finally {
    await app.close();
  }
});
