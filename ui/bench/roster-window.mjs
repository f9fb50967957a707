// Times drawing the survey screen for a roster of a hundred members in a real WebKitGTK window
// (MiniBrowser, the engine the app's window uses, under a private Xvfb display), driven through
// WebKitWebDriver's HTTP protocol. `roster-page.ts` is bundled with the app's style sheet and
// fonts by esbuild into a temporary folder and opened from there. Run from ui/ on the files
// `survey-bench --write-roster DIR` writes:
//   node bench/roster-window.mjs DIR [runs]
// The Tauri shell is not involved: the draft is handed to the page, not sent over IPC. After
// each drawing the page also opens one folded member's section (the 51st), since the screen
// builds a member's questions only then.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = process.argv[2];
if (!dir) throw new Error("usage: node bench/roster-window.mjs DIR [runs]");
const runs = Number(process.argv[3] ?? "7");
const form = JSON.parse(readFileSync(join(dir, "form.json"), "utf8"));
const draft = JSON.parse(readFileSync(join(dir, "draft.json"), "utf8"));
const browser = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

const out = mkdtempSync(join(tmpdir(), "samanvaya-roster-"));
const children = [];
try {
  execFileSync("node_modules/.bin/esbuild", [
    "bench/roster-page.ts", "--bundle", "--format=iife", "--outfile=" + join(out, "page.js"),
    "--loader:.woff2=file", "--loader:.woff=file", "--log-level=warning",
  ]);
  writeFileSync(
    join(out, "index.html"),
    '<!doctype html><html lang="hi"><head><meta charset="utf-8"><link rel="stylesheet" href="page.css">' +
      '</head><body><main id="app"></main><script src="page.js"></script></body></html>',
  );
  const display = await startXvfb();
  const port = 4000 + Math.floor(Math.random() * 1000);
  const driver = spawn("WebKitWebDriver", [`--port=${port}`], { env: { ...process.env, DISPLAY: display }, stdio: "ignore" });
  children.push(driver);
  const base = `http://127.0.0.1:${port}`;
  const session = await retry(() =>
    call(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary: browser, args: ["--automation"] } } },
    }),
  );
  const id = session.sessionId;
  await call(base, "POST", `/session/${id}/window/rect`, { width: 1366, height: 768 }).catch(() => {});
  await call(base, "POST", `/session/${id}/url`, { url: "file://" + join(out, "index.html") });
  // Fonts load before the first timed drawing, as they have in the app by the time a survey opens.
  await call(base, "POST", `/session/${id}/execute/async`, {
    script: "const done = arguments[arguments.length - 1]; document.fonts.ready.then(() => done(true));",
    args: [],
  });
  const result = await call(base, "POST", `/session/${id}/execute/async`, {
    script:
      "const done = arguments[arguments.length - 1];" +
      "window.benchRoster(arguments[0], arguments[1], arguments[2], arguments[3]).then(done, (e) => done(String(e)));",
    args: [form, draft, new Date().toISOString().slice(0, 10), runs + 1],
  });
  if (!Array.isArray(result.value)) throw new Error(`the page failed: ${JSON.stringify(result.value)}`);
  await call(base, "DELETE", `/session/${id}`);
  // The first drawing warms WebKit's caches and JIT; the others are timed.
  const drawn = result.value.slice(1);
  const summary = (key) => {
    const t = drawn.map((d) => d[key]).sort((a, b) => a - b);
    return `best ${t[0].toFixed(1)} ms, median ${t[Math.floor(t.length / 2)].toFixed(1)} ms`;
  };
  const total = drawn.map((d) => d.build + d.layout + d.frame).sort((a, b) => a - b);
  console.log(`roster of ${Object.values(draft.state.instances)[0]} members, ${drawn[0].elements} elements on the page, ${drawn.length} drawings (after one not counted)`);
  console.log(`  render(): elements built and the verdict applied: ${summary("build")}`);
  console.log(`  style and layout (forced reflow): ${summary("layout")}`);
  console.log(`  to the next frame (painting): ${summary("frame")}`);
  console.log(`  in all, build to next frame: best ${total[0].toFixed(1)} ms, median ${total[Math.floor(total.length / 2)].toFixed(1)} ms`);
  console.log(`  a verdict applied again, with its reflow: ${summary("verdict")}`);
  console.log(`  a folded member's section opened with a tap, with its reflow: ${summary("open")}`);
} finally {
  for (const c of children.reverse()) c.kill();
  rmSync(out, { recursive: true, force: true });
}

async function call(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json.value && json.value.sessionId ? json.value : json;
}

async function retry(f) {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (e) {
      if (i >= 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Starts Xvfb on a display it picks itself and returns that display's name. */
function startXvfb() {
  return new Promise((resolve, reject) => {
    const x = spawn("Xvfb", ["-displayfd", "1", "-screen", "0", "1366x768x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(x);
    x.stdout.once("data", (d) => resolve(":" + String(d).trim()));
    x.once("error", reject);
  });
}
