// Takes the README's screenshots from the real window: the demo village in Hindi and in English.
// Usage: node tests/window/screenshot.mjs OUTPUT_DIR   (scripts/screenshot does the set-up)
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { find, startApp, textOf } from "./session.mjs";

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
} finally {
  await app.close();
}
