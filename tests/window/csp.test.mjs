// The web view's limits, in the real window: its content security policy lets the page reach
// nothing outside the app (no request, no image, no script from any address, not even the
// laptop's own 127.0.0.1), and the shell answers only the app's own commands, none of Tauri's
// plugins (files, shell, network). A page tricked into running a script (a malicious form
// label, say) could then neither send the village anywhere nor read the disk.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { startApp, textOf } from "./session.mjs";

test("the window reaches no address outside the app and no command but the app's own", async () => {
  // A server on this computer that counts every request it gets: none must come.
  let asked = 0;
  const server = createServer((req, res) => {
    asked += 1;
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.end("reached");
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const url = `http://127.0.0.1:${server.address().port}`;
  const app = await startApp();
  try {
    const { browser } = app;
    await textOf(browser, "[data-test=list-count]", (s) => s.length > 0, 30_000);
    const outcome = await browser.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       const url = arguments[0];
       const out = {};
       const settle = (p) => p.then(() => "reached", (e) => "refused: " + String(e && e.message || e));
       (async () => {
         out.fetch = await settle(fetch(url + "/fetch").then((r) => r.text()));
         out.image = await new Promise((ok) => {
           const img = new Image();
           img.onload = () => ok("reached");
           img.onerror = () => ok("refused");
           img.src = url + "/image.png";
         });
         out.script = await new Promise((ok) => {
           const s = document.createElement("script");
           s.onload = () => ok("reached");
           s.onerror = () => ok("refused");
           s.src = url + "/script.js";
           document.head.appendChild(s);
         });
         const invoke = window.__TAURI_INTERNALS__.invoke;
         out.fs = await settle(invoke("plugin:fs|read_text_file", { path: "/etc/hostname" }));
         out.shell = await settle(invoke("plugin:shell|execute", { program: "sh", args: ["-c", "true"] }));
         out.unknown = await settle(invoke("drop_every_table", {}));
         out.own = await settle(invoke("today", {}));
         done(out);
       })();`,
      url,
    );
    assert.match(outcome.fetch, /^refused/, `a request to ${url}: ${outcome.fetch}`);
    assert.equal(outcome.image, "refused");
    assert.equal(outcome.script, "refused");
    assert.match(outcome.fs, /^refused/, outcome.fs);
    assert.match(outcome.shell, /^refused/, outcome.shell);
    assert.match(outcome.unknown, /^refused/, outcome.unknown);
    assert.equal(outcome.own, "reached", "the app's own commands still answer (the control)");
    // Give a request that slipped through time to arrive.
    await new Promise((ok) => setTimeout(ok, 500));
    assert.equal(asked, 0, "the server outside the app was never reached");
  } finally {
    await app.close();
    server.close();
  }
});
