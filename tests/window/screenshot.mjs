// Takes the README's screenshots from the real window: the demo village in Hindi and in English.
// Usage: node tests/window/screenshot.mjs OUTPUT_DIR   (scripts/screenshot does the set-up)
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { By, click, find, startApp, textOf } from "./session.mjs";

const outDir = resolve(process.argv[2] ?? "docs");
mkdirSync(outDir, { recursive: true });
const app = await startApp();
try {
  const { browser } = app;
  mkdirSync(join(outDir, "screens"), { recursive: true });
  for (const [lang, file] of [["hi", "screenshot-hi.png"], ["en", "screenshot-en.png"]]) {
    // The header redraws once the village has loaded after the login, which can leave a found
    // button stale: click it by selector inside the page instead.
    await find(browser, `[data-test=lang-${lang}]`);
    await textOf(browser, "[data-test=list-count]");
    await browser.executeScript(`document.querySelector('[data-test=lang-${lang}]').click()`);
    await textOf(browser, "[data-test=list-count]");
    // Let the bundled fonts finish loading so no text is drawn in a fallback face.
    await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
    writeFileSync(join(outDir, file), await browser.takeScreenshot(), "base64");
    console.log(`wrote ${join(outDir, file)}`);
  }
  // The eligibility screen of the first household, in Hindi, with one scheme opened.
  await click(browser, "[data-test=lang-hi]");
  // The switch redraws the list at once: wait for the Hindi page before taking its buttons.
  await textOf(browser, "[data-test=add-household]", (s) => s.includes("नया परिवार"));
  await browser.executeScript("document.querySelector('[data-test=open-eligibility]').click()");
  await find(browser, "[data-test=ask-next]");
  // Unfold the decisions of the first person with an eligible scheme, as she would to read one.
  await browser.executeScript(
    "document.querySelector('[data-test=finding][data-outcome=eligible]')?.closest('details.subject')?.setAttribute('open', '')",
  );
  const eligible = await browser.findElements(By.css("[data-test=finding][data-outcome=eligible] summary"));
  if (eligible.length > 0) await eligible[0].click();
  await browser.executeScript("document.querySelector('[data-test=subject]')?.scrollIntoView()");
  await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
  writeFileSync(join(outDir, "screenshot-eligibility-hi.png"), await browser.takeScreenshot(), "base64");
  console.log(`wrote ${join(outDir, "screenshot-eligibility-hi.png")}`);

  // The small laptop: every main screen at 1024×600 in Hindi, and how many screens tall each
  // page is before anything is unfolded (docs/screens/README.md records the figures).
  await browser.manage().window().setRect({ width: 1024, height: 600 });
  const screens = join(outDir, "screens");
  mkdirSync(screens, { recursive: true });
  const shoot = async (name) => {
    await browser.executeScript("window.scrollTo(0, 0)");
    await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
    const [page, view, wide] = await browser.executeScript(
      "return [document.scrollingElement.scrollHeight, window.innerHeight, document.scrollingElement.scrollWidth > window.innerWidth]",
    );
    // WebKitWebDriver's screenshot never returns when the page is no taller than the window
    // (found on the funnel with nothing referred yet: 600 px in a 600 px window; a page one
    // pixel taller is taken at once). One pixel more, not visible in the picture, and back.
    await browser.executeScript("document.body.style.minHeight = 'calc(100vh + 1px)'");
    writeFileSync(join(screens, `${name}.png`), await browser.takeScreenshot(), "base64");
    await browser.executeScript("document.body.style.minHeight = ''");
    console.log(`wrote ${name}.png: ${(page / view).toFixed(1)} screens tall${wide ? ", WIDER THAN THE WINDOW" : ""}`);
  };
  await (await find(browser, "[data-test=back]")).click();
  await textOf(browser, "[data-test=list-count]");
  await shoot("home-hi-1024x600");
  // The register searched by a name typed in Devanagari (answered from the copy of the name keys
  // read at unlock), then cleared.
  const before = await textOf(browser, "[data-test=list-count]");
  await (await find(browser, "[data-test=search]")).sendKeys("सुनीता");
  await textOf(browser, "[data-test=list-count]", (s) => s !== before);
  await shoot("register-search-hi-1024x600");
  await (await find(browser, "[data-test=search]")).clear();
  // The demo's largest household (12 members, number 115 with the default seed).
  await (await find(browser, "[data-test=search]")).sendKeys("115");
  await textOf(browser, "[data-test=list-count]", (s) => /^1\D/.test(s) || s.includes(" 1 "));
  await browser.executeScript("document.querySelector('[data-test=open-eligibility]').click()");
  await find(browser, "[data-test=ask-next]");
  const members = await browser.executeScript("return document.querySelectorAll('[data-test=subject]').length");
  console.log(`the household opened has ${members} member sections`);
  await shoot("eligibility-12-members-hi-1024x600");
  // What is known of the household's second member, opened and scrolled to.
  await browser.executeScript(`
    const known = document.querySelectorAll('[data-test=known]')[1];
    known.closest('details.subject').open = true;
    known.open = true;
    known.closest('details.subject').scrollIntoView();`);
  await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
  writeFileSync(join(screens, "household-profile-hi-1024x600.png"), await browser.takeScreenshot(), "base64");
  console.log("wrote household-profile-hi-1024x600.png");
  await browser.executeScript("document.querySelectorAll('details.subject').forEach((d) => (d.open = false))");
  // A referral from it: the first person with a scheme to refer for, the case, and its slip.
  await browser.executeScript(
    "const b = document.querySelector('[data-test=refer]'); b.closest('[data-test=subject]').open = true; b.click();",
  );
  await find(browser, "[data-test=referral-stage]");
  await shoot("referral-hi-1024x600");
  await (await find(browser, "[data-test=print-slip]")).click();
  await find(browser, "[data-test=slip-qr] svg");
  await shoot("slip-hi-1024x600");
  await (await find(browser, "[data-test=back]")).click();
  await find(browser, "[data-test=referral-stage]");
  await (await find(browser, "[data-test=back]")).click();
  await find(browser, "[data-test=ask-next]");
  // Its survey, with consent given, so the questions and the twelve members show.
  await (await find(browser, "[data-test=open-survey]")).click();
  // The survey draws once its form and draft have arrived.
  await find(browser, "[data-test=answer-consent-yes]");
  await browser.executeScript("document.querySelector('[data-test=answer-consent-yes]').click()");
  await find(browser, "[data-test=member-11]");
  await shoot("survey-12-members-hi-1024x600");
  await (await find(browser, "[data-test=back]")).click();
  await (await find(browser, "[data-test=village-schemes]")).click();
  await find(browser, "[data-test=tally]");
  await shoot("village-gap-hi-1024x600");
  await (await find(browser, "[data-test=tally][data-scheme=NSAP_IGNOAPS] [data-test=tally-open]")).click();
  await find(browser, "[data-test=worklist-title]");
  await shoot("worklist-hi-1024x600");
  await (await find(browser, "[data-test=back]")).click();
  await find(browser, "[data-test=tally]");
  await (await find(browser, "[data-test=back]")).click();
  // The village by vulnerability, the most vulnerable first.
  await (await find(browser, "[data-test=open-vulnerable]")).click();
  await find(browser, "[data-test=vulnerable-row]");
  await shoot("vulnerable-hi-1024x600");
  await (await find(browser, "[data-test=back]")).click();
  await find(browser, "[data-test=open-todo]");
  await browser.executeScript("document.querySelector('[data-test=open-todo]').click()");
  await find(browser, "[data-test=todo-overdue]");
  await shoot("todo-hi-1024x600");
  await (await find(browser, "[data-test=back]")).click();
  await find(browser, "[data-test=open-funnel]");
  await browser.executeScript("document.querySelector('[data-test=open-funnel]').click()");
  await find(browser, "[data-test=funnel]");
  await shoot("funnel-hi-1024x600");
  // The list of cases, all of them, then only the open ones past their day.
  await (await find(browser, "[data-test=open-list]")).click();
  await find(browser, "[data-test=list-count]");
  await shoot("referral-list-hi-1024x600");
  await (await find(browser, "[data-test=list-stage] option[value=documents_pending]")).click();
  await textOf(browser, "[data-test=list-count]", (s) => s.length > 0);
  await shoot("referral-list-filtered-hi-1024x600");
  await (await find(browser, "[data-test=back]")).click();
  await find(browser, "[data-test=funnel]");
  await (await find(browser, "[data-test=back]")).click();
  // A saved household open for editing (the largest, no. 115), with its withdrawal of consent
  // buttons, and the question a withdrawal asks first.
  await (await find(browser, "[data-test=search]")).clear();
  await (await find(browser, "[data-test=search]")).sendKeys("115");
  await textOf(browser, "[data-test=list-count]", (s) => /^1\D/.test(s) || s.includes(" 1 "));
  await browser.executeScript("document.querySelector('[data-test=household-row]').click()");
  await find(browser, "[data-test=withdraw-household]");
  await shoot("household-edit-hi-1024x600");
  await browser.executeScript("document.querySelector('[data-test=withdraw-member-1]').click()");
  await find(browser, "[data-test=confirm-no]");
  await shoot("consent-withdraw-confirm-hi-1024x600");
  await (await find(browser, "[data-test=confirm-no]")).click();
  await (await find(browser, "[data-test=back]")).click();
  // The laptop's accounts: one's own PIN, and adding one.
  await (await find(browser, "[data-test=open-accounts]")).click();
  await find(browser, "[data-test=account-me]");
  await shoot("accounts-hi-1024x600");
  await (await find(browser, "[data-test=back]")).click();
  await (await find(browser, "[data-test=add-household]")).click();
  await find(browser, "form");
  await shoot("form-hi-1024x600");
  // A member with the name of a head already recorded: the form asks before saving him twice.
  await (await find(browser, "[data-test=member-name-0]")).sendKeys("अनिल यादव");
  await (await find(browser, "[data-test=member-sex-0] option[value=male]")).click();
  await (await find(browser, "[data-test=birth-kind-0] option[value=unknown]")).click();
  await (await find(browser, "[data-test=consent-agreed]")).click();
  await (await find(browser, "[data-test=save]")).click();
  await find(browser, "[data-test=confirm-dialog]");
  await shoot("duplicate-warning-hi-1024x600");
  await (await find(browser, "[data-test=confirm-no]")).click();
  await (await find(browser, "[data-test=member-name-0]")).clear();
  // Locked after idle time, over the form she was filling in.
  await (await find(browser, "[data-test=member-name-0]")).sendKeys("सुनीता");
  await browser.executeScript("window.dispatchEvent(new Event('samanvaya-locked'))");
  await find(browser, "[data-test=unlock-pin]");
  await shoot("locked-hi-1024x600");
} finally {
  await app.close();
}
