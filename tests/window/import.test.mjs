// The import screen in the real window: a laptop enrolled for a real village (a demo store
// refuses imports) finds a household list and its mapping file on a USB stick, checks the list
// (nothing written, every refused row said in Hindi with its number), imports it with the
// households counted, and the register then lists them; importing again adds nothing. A list
// damaged on the way is refused as the list's fault, not the mapping file's.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { click, enrolledLaptop, find, startApp, stopServer, textOf, screen, SCREEN_WAIT_MS, JUDGED_WAIT_MS } from "./session.mjs";

// Three families, one of them with a member whose age is not a number.
const LIST = `Family,Name,Relation,Sex,Age,Ration card
K-1,सावित्री देवी,Self,F,52,PHH
K-1,मोहन राम,Husband,M,55,
K-2,गीता कुमारी,Self,F,31,AAY
K-3,लक्ष्मी देवी,Self,F,bees,
`;
const MAPPING = `[columns]
household = "Family"
name = "Name"
relation = "Relation"
sex = "Sex"
age = "Age"

[relation]
Self = "head"
Husband = "spouse"

[sex]
F = "female"
M = "male"

[[fact]]
column = "Ration card"
fact = "household.ration_card_type"
`;

test("a household list on a USB stick is checked, then imported, in Hindi", async () => {
  const scratch = mkdtempSync(join(tmpdir(), "samanvaya-import-window-"));
  const media = join(scratch, "media");
  const stick = join(media, "GAON");
  mkdirSync(stick, { recursive: true });
  writeFileSync(join(stick, "anganwadi.csv"), LIST);
  writeFileSync(join(stick, "anganwadi.toml"), MAPPING);
  const { dataDir, block } = await enrolledLaptop(scratch);
  const app = await startApp({ dataDir, env: { SAMANVAYA_MEDIA_ROOT: media } });
  try {
    const { browser } = app;
    // The home screen first: a language chosen while it loads is drawn over by the store's.
    await find(browser, "[data-test=open-import]");
    await click(browser, "[data-test=lang-hi]");
    await click(browser, "[data-test=open-import]");
    // The only list and the only mapping on the stick are chosen already.
    await textOf(browser, "[data-test=import-lists] [data-file='anganwadi.csv']", (t) => t.includes("GAON"));
    const chosen = await browser.executeScript("return [...document.querySelectorAll('[data-test=import-files] input, .import-files input')].filter((i) => i.checked).length");
    assert.equal(chosen, 2, "the list and the mapping are chosen");

    await (await find(browser, "[data-test=import-check]")).click();
    const checked = await textOf(browser, "[data-test=import-report][data-dry=true]");
    assert.match(checked, /सूची की पंक्तियाँ \(हर सदस्य की एक\): 4/);
    assert.match(checked, /जोड़ने लायक परिवार: 2 \(3 सदस्य\)/);
    assert.match(checked, /नहीं जोड़े गए परिवार: 1/);
    assert.match(await textOf(browser, "[data-test=import-problems] tr[data-row='5']"), /'bees' उम्र नहीं है; उम्र पूरे वर्षों में लिखें/);
    assert.match(checked, /अभी कुछ नहीं लिखा गया/);

    await (await find(browser, "[data-test=import-run]")).click();
    const done = await textOf(browser, "[data-test=import-report][data-dry=false]");
    assert.match(done, /जोड़े गए परिवार: 2 \(3 सदस्य\)/);
    // The picture for docs/screens, when asked for.
    await screen(browser, "import-hi-1024x600.png");
    // The same list again: the two families are there already, nothing is added twice.
    await (await find(browser, "[data-test=import-check]")).click();
    assert.match(await textOf(browser, "[data-test=import-report][data-dry=true]"), /पहले से जुड़े परिवार, जो वैसे ही छोड़े गए: 2/);

    // An Excel list cut short on the way (a stick pulled out too early): the screen says the
    // list cannot be read and asks for it to be saved again, not that the mapping is wrong.
    const good = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../cli/tests/fixtures/import/good.xlsx"));
    writeFileSync(join(stick, "kharab.xlsx"), good.subarray(0, good.length / 2));
    await (await find(browser, "[data-test=import-look]")).click();
    await (await find(browser, "[data-test=import-lists] [data-file='kharab.xlsx'] input")).click();
    await (await find(browser, "[data-test=import-check]")).click();
    const refused = await textOf(browser, "[data-test=error]");
    assert.match(refused, /यह सूची फ़ाइल पढ़ी नहीं जा सकी/);
    assert.doesNotMatch(refused, /मैपिंग फ़ाइल से नहीं जोड़ी/);
    await screen(browser, "import-damaged-hi-1024x600.png", { scrollTo: "[data-test=error]" });

    // A mapping file naming a column the list does not have: the screen says, in Hindi, which
    // column to correct and the list's own columns, not the store's English.
    writeFileSync(join(stick, "galat.toml"), MAPPING.replace('name = "Name"', 'name = "Naam"'));
    await click(browser, "[data-test=import-look]");
    await find(browser, "[data-test=import-mappings] [data-file='galat.toml'] input");
    // Each choice redraws the lists: each is clicked by its selector, found afresh.
    await click(browser, "[data-test=import-lists] [data-file='anganwadi.csv'] input");
    await click(browser, "[data-test=import-mappings] [data-file='galat.toml'] input");
    await click(browser, "[data-test=import-check]");
    const wrongColumn = await textOf(browser, "[data-test=error]", (t) => t.includes("Naam"));
    assert.match(wrongColumn, /मैपिंग फ़ाइल से नहीं जोड़ी जा सकती/);
    assert.match(wrongColumn, /मैपिंग फ़ाइल में सदस्य के नाम के लिए कॉलम 'Naam' लिखा है, पर सूची में ऐसा कोई कॉलम नहीं है/);
    // The store's English stays below, folded under "technical detail", for support only.
    assert.doesNotMatch(wrongColumn.split("तकनीकी विवरण")[0], /the mapping names/);
    await screen(browser, "import-mapping-refused-hi-1024x600.png", { scrollTo: "[data-test=error]" });

    await (await find(browser, "[data-test=back]")).click();
    assert.match(await textOf(browser, "[data-test=list-count]"), /2/);
    const names = await browser.executeScript("return document.body.innerText");
    assert.ok(names.includes("सावित्री देवी") && names.includes("गीता कुमारी"), "the register lists the imported families");
    assert.ok(!names.includes("लक्ष्मी देवी"), "the refused family is not imported");

    // A list is not a visit: the family's consent is asked before its first question. The
    // register's filter finds the families still to be asked; a family's form asks for it, and
    // its eligibility page shows the consent in place of the questions.
    await (await find(browser, "[data-test=register-filter] option[value=no_consent]")).click();
    await browser.wait(
      async () => (await browser.executeScript("return document.querySelectorAll('[data-test=household-row]').length")) === 2,
      SCREEN_WAIT_MS,
      "both imported families listed as waiting for consent",
    );
    await browser.executeScript(
      "[...document.querySelectorAll('[data-test=household-row] .head-name')].find((e) => e.textContent.includes('सावित्री')).click()",
    );
    await find(browser, "[data-test=consent-box] [data-test=consent-agreed]");
    await click(browser, "[data-test=form-eligibility]");
    assert.match(await textOf(browser, "[data-test=consent-missing]"), /सहमति अभी दर्ज नहीं है/);
    assert.equal((await browser.findElements({ css: "[data-test=ask-next]" })).length, 0, "no question before consent");
    const who = await browser.executeScript("return [...document.querySelectorAll('[data-test=consent-who] option')].map((o) => o.textContent)");
    assert.deepEqual(who, ["सावित्री देवी", "मोहन राम"], "the grown-ups who live there");
    await screen(browser, "consent-hi-1024x600.png", { scrollTo: "[data-test=consent-box]", block: "start" });
    await click(browser, "[data-test=consent-record]");
    assert.match(await textOf(browser, "[data-test=notice]"), /सहमति दर्ज हो गई/);
    await find(browser, "[data-test=ask-next]", JUDGED_WAIT_MS);
    assert.equal((await browser.findElements({ css: "[data-test=consent-box]" })).length, 0);
    // Back on the register, the filter lists only the family still to be asked.
    await click(browser, "[data-test=back]");
    await (await find(browser, "[data-test=register-filter] option[value=no_consent]")).click();
    await browser.wait(
      async () =>
        (await browser.executeScript("return [...document.querySelectorAll('[data-test=household-row] .head-name')].map((e) => e.textContent).join('|')")) ===
        "गीता कुमारी",
      SCREEN_WAIT_MS,
      "only the family not yet asked",
    );
  } finally {
    await app.close();
    await stopServer(block.server);
    rmSync(scratch, { recursive: true, force: true });
  }
});
