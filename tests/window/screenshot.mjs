// Takes the README's screenshots from the real window: the demo village in Hindi and in English.
// Usage: node tests/window/screenshot.mjs OUTPUT_DIR   (scripts/screenshot does the set-up)
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { By, find, startApp, textOf } from "./session.mjs";

const outDir = resolve(process.argv[2] ?? "docs");
mkdirSync(outDir, { recursive: true });
const app = await startApp();
try {
  const { browser } = app;
  for (const [lang, file] of [["hi", "screenshot-hi.png"], ["en", "screenshot-en.png"]]) {
    await (await find(browser, `[data-test=lang-${lang}]`)).click();
    await textOf(browser, "[data-test=list-count]");
    // Let the bundled fonts finish loading so no text is drawn in a fallback face.
    await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
    writeFileSync(join(outDir, file), await browser.takeScreenshot(), "base64");
    console.log(`wrote ${join(outDir, file)}`);
  }
  // The eligibility screen of the first household, in Hindi, with one scheme opened.
  await (await find(browser, "[data-test=lang-hi]")).click();
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
} finally {
  await app.close();
}
