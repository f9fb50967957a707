// The household register saved from the home screen in the real window: "सूची सहेजें (Excel)"
// writes a workbook into the export folder and says where, and the file is a real workbook
// whose members sheet holds the village's names in Devanagari.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { inflateRawSync } from "node:zlib";
import { find, startApp, textOf } from "./session.mjs";

/** The text of the workbook's shared strings (every text cell), read through its zip directory. */
function sharedStrings(buf) {
  const end = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = buf.readUInt32LE(end + 16);
  for (let i = 0; i < buf.readUInt16LE(end + 10); i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLen);
    const local = buf.readUInt32LE(at + 42);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (name === "xl/sharedStrings.xml") {
      const data = buf.subarray(start, start + size);
      return String(method === 8 ? inflateRawSync(data) : data);
    }
    at += 46 + nameLen + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  return "";
}

test("the household register is saved from the home screen as a workbook in Hindi", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]");
    const head = await textOf(browser, "[data-test=household-row] .head-name");
    await (await find(browser, "[data-test=save-register]")).click();
    const said = await textOf(browser, "[data-test=notice]", (s) => s.includes(".xlsx"), 30_000);
    const files = readdirSync(app.exportDir).filter((f) => f.endsWith(".xlsx"));
    assert.equal(files.length, 1, `one workbook in the export folder: ${files}`);
    assert.ok(said.includes(files[0]), `the notice names the file: ${said}`);
    // Said again in English when she switches, with the file's place: it went at the switch.
    await (await find(browser, "[data-test=lang-en]")).click();
    const again = await textOf(browser, "[data-test=notice]", (s) => s.includes("is saved"));
    assert.ok(again.includes(files[0]), `the notice still names the file: ${again}`);
    await (await find(browser, "[data-test=lang-hi]")).click();
    const book = readFileSync(join(app.exportDir, files[0]));
    assert.equal(book.subarray(0, 2).toString(), "PK", "an .xlsx is a zip");
    const strings = sharedStrings(book);
    assert.ok(strings.includes("मुखिया से रिश्ता"), "Hindi headers");
    assert.ok(strings.includes(head), `the first household's head, ${head}, is in it`);
  } finally {
    await app.close();
  }
});

test("the register's filters and hamlet choice narrow the list and come back to all", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    const count = async (pred) => Number((await textOf(browser, "[data-test=list-count]", (s) => pred(Number(s.match(/\d+/)?.[0] ?? NaN)))).match(/\d+/)[0]);
    // "300 में से 50 परिवार दिखाए जा रहे हैं": the first number is how many match.
    assert.equal(await count((n) => n === 300), 300);
    await (await find(browser, "[data-test=register-filter] option[value=widow]")).click();
    const widows = await count((n) => n > 0 && n < 300);
    await (await find(browser, "[data-test=register-hamlet] option:nth-child(2)")).click();
    const here = await count((n) => n < widows);
    assert.ok(here < widows, `a hamlet narrows the widows' households (${here} of ${widows})`);
    await (await find(browser, "[data-test=register-filter] option[value='']")).click();
    await (await find(browser, "[data-test=register-hamlet] option[value='']")).click();
    assert.equal(await count((n) => n === 300), 300, "all households again");
  } finally {
    await app.close();
  }
});

test("a new household with the name of someone recorded in the village is saved only when she says so", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    const head = await textOf(browser, "[data-test=household-row] .head-name");
    await (await find(browser, "[data-test=add-household]")).click();
    await (await find(browser, "[data-test=member-name-0]")).sendKeys(head);
    await (await find(browser, "[data-test=member-sex-0] option[value=male]")).click();
    await (await find(browser, "[data-test=birth-kind-0] option[value=unknown]")).click();
    await (await find(browser, "[data-test=consent-agreed]")).click();
    await (await find(browser, "[data-test=save]")).click();
    // The question names the household where he is recorded; "not yet" keeps the form as typed.
    const asked = await textOf(browser, "[data-test=confirm-dialog]");
    assert.ok(asked.includes(head) && asked.includes("परिवार 1"), asked);
    await (await find(browser, "[data-test=confirm-no]")).click();
    assert.equal(await browser.executeScript("return document.querySelector('[data-test=member-name-0]').value"), head);
    // Asked again, "save anyway" saves it.
    await (await find(browser, "[data-test=save]")).click();
    await find(browser, "[data-test=confirm-dialog]");
    await (await find(browser, "[data-test=confirm-yes]")).click();
    await textOf(browser, "[data-test=notice]", (s) => s.length > 0);
  } finally {
    await app.close();
  }
});
