// The baseline survey in the real window, in Hindi: a facilitator opens a household's survey
// (its members already in the roster), answers half of it, and the app is killed as a power cut
// would; reopened, every saved answer is there; she finishes it, a missing answer is marked on
// its question first, and the household's schemes then use what the survey recorded.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { By, click, find, startApp, textOf, screen, SCREEN_WAIT_MS, JUDGED_WAIT_MS } from "./session.mjs";

/** The facts the survey answers for the household, which "ask next" must stop asking. */
const SURVEY_FACTS = [
  "household.house_type",
  "household.has_toilet",
  "household.ration_card_type",
  "household.bpl_status",
  "household.annual_income_inr",
  "household.has_lpg_connection",
  "household.owns_cultivable_land",
  "household.has_mgnrega_job_card",
  "household.in_secc_or_pmjay_list",
  "household.all_members_listed",
];

async function askedFacts(browser) {
  // The household's page shows once its schemes are judged: on a slower machine of the kind CI
  // runs on, with the fuzzing beside the window tests, that took past the usual ten seconds
  // (2026-12-07, the fresh machine of stop 75).
  await find(browser, "[data-test=ask-next], [data-test=summary]", JUDGED_WAIT_MS);
  return browser.executeScript(
    "return [...document.querySelectorAll('[data-test^=question-]')].map((q) => q.dataset.fact).filter(Boolean);",
  );
}

/** Kills the app whose data folder is `dataDir`, as a power cut would: no chance to save. */
function killApp(dataDir) {
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let env = "";
    try {
      env = readFileSync(`/proc/${pid}/environ`, "latin1");
      if (!readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("samanvaya-app")) continue;
    } catch {
      continue;
    }
    if (env.split("\0").includes(`SAMANVAYA_DATA_DIR=${dataDir}`)) {
      process.kill(Number(pid), "SIGKILL");
      return true;
    }
  }
  return false;
}

async function saved(browser) {
  await textOf(browser, "[data-test=survey-status]", (s) => s.includes("सहेजा गया"));
}

async function openSurvey(browser) {
  await textOf(browser, "[data-test=list-count]", (s) => s.includes("300"), 30_000);
  await click(browser, "[data-test=open-eligibility]");
  const before = await askedFacts(browser);
  await click(browser, "[data-test=open-survey]");
  await find(browser, "[data-test=survey-finish]", 20_000);
  return before;
}

/** A family of six the village has not recorded yet: name, relation, sex, age. */
const SIX = [
  ["सलमा ख़ातून", "head", "female", "41"],
  ["इरफ़ान अंसारी", "spouse", "male", "45"],
  ["रुबीना ख़ातून", "daughter", "female", "17"],
  ["आरिफ़ अंसारी", "son", "male", "14"],
  ["शबनम ख़ातून", "daughter", "female", "9"],
  ["हाजरा बीबी", "mother_in_law", "female", "68"],
];

async function typeInto(browser, css, text) {
  const el = await find(browser, css);
  await el.clear();
  await el.sendKeys(text);
}

/** Records the family of six from the home screen and returns its household number. */
async function addFamilyOfSix(browser) {
  await textOf(browser, "[data-test=list-count]", (s) => s.includes("300"), 30_000);
  await click(browser, "[data-test=add-household]");
  for (const [i, [name, relation, sex, age]] of SIX.entries()) {
    if (i > 0) await click(browser, "[data-test=add-member]");
    await typeInto(browser, `[data-test=member-name-${i}]`, name);
    if (i > 0) await click(browser, `[data-test=member-relation-${i}] option[value="${relation}"]`);
    await click(browser, `[data-test=member-sex-${i}] option[value="${sex}"]`);
    await typeInto(browser, `[data-test=member-age-${i}]`, age);
  }
  // The family agreed, through its head, before anything was asked.
  await click(browser, "[data-test=consent-agreed]");
  await click(browser, "[data-test=save]");
  // A name like one already recorded in the village is asked about first: she saves anyway.
  await browser.wait(async () => (await browser.findElements(By.css("[data-test=notice], [data-test=confirm-dialog], [data-test=form-error]"))).length > 0, 20_000, "the form answered");
  const error = await browser.findElements(By.css("[data-test=form-error]"));
  if (error.length > 0) assert.fail(`the family was refused: ${await browser.executeScript("return document.body.innerText")}`);
  if ((await browser.findElements(By.css("[data-test=confirm-dialog]"))).length > 0) await click(browser, "[data-test=confirm-yes]");
  const notice = await textOf(browser, "[data-test=notice]", (s) => /\d/.test(s), 20_000);
  return notice.match(/(\d+)/)[1];
}

/** Opens the survey of household `number`, found by its number from the home screen. */
async function openSurveyOf(browser, number) {
  await textOf(browser, "[data-test=list-count]", (s) => s.length > 0, 30_000);
  await typeInto(browser, "[data-test=search]", number);
  await textOf(browser, "[data-test=list-count]", (s) => /^1\D/.test(s) || s.includes(" 1 "));
  await click(browser, "[data-test=open-eligibility]");
  const before = await askedFacts(browser);
  await click(browser, "[data-test=open-survey]");
  await find(browser, "[data-test=survey-finish]", 20_000);
  return before;
}

test("a new family of six is surveyed in Hindi, survives a killed app, and, finished, feeds its schemes", async () => {
  // The data folder outlives the first app: closing an app removes its own scratch folder.
  const keep = mkdtempSync(join(tmpdir(), "samanvaya-survey-"));
  const dataDir = join(keep, "data");
  let app = await startApp({ dataDir });
  let before;
  let number;
  try {
    const { browser } = app;
    number = await addFamilyOfSix(browser);
    before = await openSurveyOf(browser, number);
    // Nothing personal is shown before consent: not the house, not the members.
    assert.equal(await (await find(browser, "[data-slot=house_type]")).isDisplayed(), false);
    assert.equal((await browser.findElements(By.css("details.survey-member"))).length, 0);
    await click(browser, "[data-test=answer-consent-yes]");
    await browser.wait(async () => (await find(browser, "[data-slot=house_type]")).isDisplayed(), SCREEN_WAIT_MS, "consent shows the questions");
    // The roster starts from the household's record.
    const firstName = await (await find(browser, "[data-test='answer-m_name@0']")).getAttribute("value");
    assert.ok(firstName.length > 0, "the first member's name is filled in");
    // A folded member's questions are built only when the section is opened (issue 17's roster
    // of a hundred): the second member has none until a tap, then has them, filled in.
    const questionsOf = (i) => browser.executeScript(`return document.querySelectorAll("[data-test='member-${i}'] .survey-question").length`);
    assert.equal(await questionsOf(1), 0, "a folded member holds no question");
    await click(browser, "[data-test='member-summary-1']");
    assert.ok((await questionsOf(1)) > 0, "opening a member builds their questions");
    assert.ok((await (await find(browser, "[data-test='answer-m_name@1']")).getAttribute("value")).length > 0, "the second member's name is filled in");
    await click(browser, "[data-test=answer-house_type-kucha]");
    await click(browser, "[data-test=answer-toilet-no]");
    const income = await find(browser, "[data-test=answer-income]");
    await browser.executeScript("arguments[0].scrollIntoView({block: 'center'})", income);
    await income.sendKeys("८४०००");
    await saved(browser);
    // The power goes.
    assert.ok(killApp(dataDir), "the app process was found and killed");
    await app.close();

    app = await startApp({ dataDir });
    const again = app.browser;
    await openSurveyOf(again, number);
    assert.equal((await again.findElements(By.css("details.survey-member"))).length, 6, "the roster holds the six");
    assert.equal(await (await find(again, "[data-test=answer-consent-yes]")).isSelected(), true, "consent is still given");
    assert.equal(await (await find(again, "[data-test=answer-house_type-kucha]")).isSelected(), true);
    assert.equal(await (await find(again, "[data-test=answer-income]")).getAttribute("value"), "84000", "the typed income was saved");

    // Finishing with answers missing marks them on their questions, in Hindi, and opens the
    // folded members that have something to fill.
    await click(again, "[data-test=survey-finish]");
    assert.match(await textOf(again, "[data-test=survey-status]", (s) => s.includes("पूरा नहीं")), /जवाब छूटे हैं/);
    const problem = await again.executeScript("return document.querySelector('.survey-question.has-error [data-test^=problem-]')?.textContent ?? ''");
    assert.match(problem, /ज़रूरी|सही नहीं|चुनें/);
    assert.equal(await again.executeScript("return document.querySelector(\"[data-test='member-0']\").open"), true);
    assert.match(await textOf(again, "[data-test=member-state-0]"), /अभी भरना है/);

    await click(again, "[data-test=answer-ration-phh]");
    await click(again, "[data-test=answer-bpl-bpl]");
    await click(again, "[data-test=answer-fuel-wood]");
    await click(again, "[data-test=answer-lpg_other-no]");
    await click(again, "[data-test=answer-owns_land-no]");
    await click(again, "[data-test=answer-job_card-yes]");
    await click(again, "[data-test=answer-pmjay_list-dont_know]");
    // Each member: say whether the date of birth is known (the record's date or age is there).
    const count = (await again.findElements(By.css("details.survey-member"))).length;
    for (let i = 0; i < count; i++) {
      // Finish opened the members with something to fill; a folded one opens with a click.
      const open = await again.executeScript(`return document.querySelector("[data-test='member-${i}']").open`);
      if (!open) await click(again, `[data-test='member-summary-${i}']`);
      const dob = await again.executeScript(`return document.querySelector("[data-test='answer-dob@${i}']").value`);
      await click(again, `[data-test='answer-dob_known@${i}-${dob ? "yes" : "no"}']`);
    }
    await click(again, "[data-test=answer-all_listed-yes]");
    await saved(again);
    const hamlet = await (await find(again, "[data-test=answer-hamlet]")).getAttribute("value");
    if (!hamlet) await (await find(again, "[data-test=answer-hamlet]")).sendKeys("पूर्वी टोला");
    await saved(again);
    await click(again, "[data-test=survey-finish]");

    // Back on the household's schemes: what the survey answered is no longer asked.
    const after = await askedFacts(again);
    const answered = SURVEY_FACTS.filter((f) => after.includes(f));
    assert.deepEqual(answered, [], "the survey's facts are not asked again");
    // The household's page shows what the survey gave (nothing of it was recorded of the new
    // family before): its profile lists it in Hindi words.
    const known = (fact) =>
      again.executeScript(
        `return document.querySelector('[data-test=known][data-member=household] [data-known-fact="${fact}"]')?.textContent ?? null`,
      );
    assert.equal(await known("household.house_type"), "कच्चा");
    assert.equal(await known("household.has_toilet"), "नहीं");
    assert.equal(await known("household.all_members_listed"), "हाँ");

    // Its history shows the finished survey, in use, with the answers in Hindi words.
    await click(again, "[data-test=open-history]");
    await find(again, "[data-test=history-entry]");
    assert.equal((await again.findElements(By.css("[data-test=history-entry]"))).length, 1);
    await find(again, "[data-test=history-current]");
    const household = await textOf(again, "[data-test=history-household]");
    assert.match(household, /कच्चा/, "the house type in words");
    assert.match(household, /84000/, "the income as typed");
    assert.match(await textOf(again, "[data-test=history-member-0]"), /सदस्य 1/);
    await screen(again, "survey-history-hi-1024x600.png");
  } finally {
    await app.close();
    rmSync(keep, { recursive: true, force: true });
  }
});

test("an 'ask next' question opens the survey at the question that records it", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    await openSurvey(browser);
    await click(browser, "[data-test=answer-consent-yes]");
    await saved(browser);
    await click(browser, "[data-test=back]");
    await textOf(browser, "[data-test=list-count]", (s) => s.includes("300"), 30_000);
    await click(browser, "[data-test=open-eligibility]");
    const q = await find(browser, "[data-test=question-0]");
    const fact = await q.getAttribute("data-fact");
    const member = await q.getAttribute("data-member");
    // Which question of the shipped form records that fact, if any.
    const names = await browser.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke('survey_form').then((f) => {
         const out = [];
         const walk = (items) => items.forEach((i) => { if (i.fact === ${JSON.stringify(fact)}) out.push(i.name); walk(i.children); });
         walk(f.items);
         done(out);
       });`,
    );
    await click(browser, "[data-test=ask-in-survey-0]");
    const focused = await find(browser, ".survey-focus");
    assert.equal(await focused.isDisplayed(), true, "the page shows the question it brought forward");
    const slot = await focused.getAttribute("data-slot");
    const [name, instance] = slot.split("@");
    if (names.length > 0 && !names.includes(name)) {
      // The form's question for it is behind an earlier answer: the first one to give is shown.
      const hidden = await browser.executeScript(
        `return [...document.querySelectorAll('[data-slot]')].filter((b) => ${JSON.stringify(names)}.includes(b.dataset.slot.split('@')[0])).every((b) => b.hidden)`,
      );
      assert.equal(hidden, true, `${fact} has a shown question, yet ${slot} was brought forward`);
    } else if (names.length > 0) {
      assert.ok(names.includes(name), `${fact} is recorded by ${names.join(", ")}, not ${slot}`);
      if (member !== "household") assert.ok(instance !== undefined, "a member's fact is found in that member's section");
    }
  } finally {
    await app.close();
  }
});

test("a family that says no at a later survey is told that its consent on record stays", async () => {
  const app = await startApp();
  try {
    const { browser } = app;
    // The demo's first family agreed when it was recorded; at this survey it says no.
    await openSurvey(browser);
    await click(browser, "[data-test=answer-consent-no]");
    await saved(browser);
    await click(browser, "[data-test=survey-finish]");
    // Home, not the schemes page (which would show an earlier survey's findings as this one's),
    // with what was kept and where a withdrawal is recorded.
    const notice = await textOf(browser, "[data-test=notice]", (s) => s.includes("मना किया"), 20_000);
    assert.match(notice, /कोई उत्तर नहीं रखा गया/);
    assert.match(notice, /“सहमति वापस”/);
    await screen(browser, "survey-refused-hi-1024x600.png");
  } finally {
    await app.close();
  }
});
