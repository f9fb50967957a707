// The catalogue's review sheet, as a district officer opens it: the real CLI writes it in Hindi,
// and a real browser (WebKit's MiniBrowser, under Xvfb, driven by WebKitWebDriver) shows it with
// its own embedded Devanagari font, the least verified schemes first.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { Builder, By } from "selenium-webdriver";
import { appBinary, runSibling } from "./session.mjs";

const MINIBROWSER = ["x86_64-linux-gnu", "aarch64-linux-gnu"]
  .map((arch) => `/usr/lib/${arch}/webkit2gtk-4.1/MiniBrowser`)
  .find((p) => existsSync(p));

function freePort() {
  return new Promise((ok) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

test("the review sheet reads in Hindi in a browser, least verified schemes first", { timeout: 120_000 }, async () => {
  assert.ok(MINIBROWSER, "WebKit's MiniBrowser is installed with libwebkit2gtk-4.1");
  const scratch = mkdtempSync(join(tmpdir(), "samanvaya-review-"));
  const children = [];
  try {
    const sheet = join(scratch, "review-hi.html");
    writeFileSync(sheet, runSibling("samanvaya", ["catalogue", "review", "--lang", "hi", "--format", "html"]));
    const x = spawn("Xvfb", ["-displayfd", "1", "-screen", "0", "1024x600x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(x);
    const display = await new Promise((ok) => x.stdout.once("data", (d) => ok(`:${String(d).trim()}`)));
    const port = await freePort();
    children.push(
      spawn("WebKitWebDriver", [`--port=${port}`], {
        env: { ...process.env, DISPLAY: display, HOME: scratch, WEBKIT_DISABLE_COMPOSITING_MODE: "1" },
        stdio: "ignore",
      }),
    );
    let browser;
    for (let i = 0; i < 50 && !browser; i++) {
      try {
        browser = await new Builder()
          .usingServer(`http://127.0.0.1:${port}/`)
          .withCapabilities({
            browserName: "MiniBrowser",
            "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] },
          })
          .build();
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.ok(browser, "WebKitWebDriver started");
    try {
      await browser.get(`file://${sheet}`);
      assert.equal(await browser.findElement(By.css("h1")).getText(), "योजना सूची: जाँच पत्र");
      // The embedded Devanagari face was loaded to draw the page: a face that the page never
      // needed, or could not decode, would not be "loaded".
      const loaded = await browser.executeAsyncScript(
        "const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done([...document.fonts].filter((f) => f.family.replace(/[\"']/g, '') === 'Sheet' && f.unicodeRange.includes('U+900') && f.status === 'loaded').length));",
      );
      assert.equal(loaded, 1, "the sheet's own Devanagari font drew the Hindi text");
      const first = await browser.findElement(By.css("section p[class^=level-]")).getAttribute("class");
      assert.notEqual(first, "level-verified", "the first scheme on the sheet is one not verified against its primary text");
      const sections = await browser.findElements(By.css("section"));
      assert.ok(sections.length >= 40, `a section per scheme, got ${sections.length}`);
      if (process.env.SAMANVAYA_SCREENSHOTS) {
        writeFileSync(join(process.env.SAMANVAYA_SCREENSHOTS, "review-hi.png"), await browser.takeScreenshot(), "base64");
      }
    } finally {
      await browser.quit();
    }
  } finally {
    for (const c of children.reverse()) c.kill("SIGTERM");
    rmSync(scratch, { recursive: true, force: true });
  }
});
