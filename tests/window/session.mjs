// Starts the real Samanvaya window for a test: a private X display (Xvfb), tauri-driver in front
// of WebKitWebDriver, and the built app on a temporary data folder. Nothing touches the real
// user's data: HOME and the XDG folders point into the temporary folder too.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Builder, By, until } from "selenium-webdriver";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");

/** The app binary: $SAMANVAYA_APP, else the debug build in the cargo target folder. */
export function appBinary() {
  if (process.env.SAMANVAYA_APP) return process.env.SAMANVAYA_APP;
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, "target");
  return join(target, "debug", "samanvaya-app");
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
    srv.on("error", fail);
  });
}

async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const open = await new Promise((ok) => {
      const s = connect(port, "127.0.0.1", () => {
        s.end();
        ok(true);
      });
      s.on("error", () => ok(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
}

/** Starts Xvfb on a display it picks itself and returns that display's name. */
function startXvfb(children) {
  return new Promise((ok, fail) => {
    const x = spawn("Xvfb", ["-displayfd", "1", "-screen", "0", "1366x768x24", "-nolisten", "tcp"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(x);
    x.on("error", fail);
    x.stdout.once("data", (d) => ok(`:${String(d).trim()}`));
  });
}

/** The PIN every window test sets its store up with. */
export const TEST_PIN = "482916";

/**
 * Gets past the lock screen as a facilitator would: at first start she gives her name and a PIN
 * twice and is shown the recovery code once; later she types the PIN. Returns the code, if shown.
 */
export async function logIn(browser, pin = TEST_PIN) {
  await browser.wait(until.elementLocated(By.css("[data-test=lock-screen]")), SCREEN_WAIT_MS, "no lock screen");
  let code = null;
  const setup = await browser.findElements(By.css("[data-test=setup-name]"));
  if (setup.length > 0) {
    await setup[0].sendKeys("सुनीता देवी");
    await (await browser.findElement(By.css("[data-test=setup-pin]"))).sendKeys(pin);
    await (await browser.findElement(By.css("[data-test=setup-pin2]"))).sendKeys(pin);
    await (await browser.findElement(By.css("[data-test=lock-submit]"))).click();
    const shown = await browser.wait(until.elementLocated(By.css("[data-test=recovery-code]")), 30_000);
    code = await shown.getText();
    await (await browser.findElement(By.css("[data-test=recovery-done]"))).click();
  } else {
    await (await browser.findElement(By.css("[data-test=unlock-pin]"))).sendKeys(pin);
    await (await browser.findElement(By.css("[data-test=lock-submit]"))).click();
  }
  await browser.wait(async () => (await browser.findElements(By.css("[data-test=lock-screen]"))).length === 0, 30_000, "still locked");
  return code;
}

/** A running app for one test; call `close()` when done (also on failure). Unless `login` is
 * false, the app is set up (or unlocked) with TEST_PIN before this returns. */
export async function startApp({ dataDir, login = true, env: extraEnv = {} } = {}) {
  const children = [];
  const scratch = mkdtempSync(join(tmpdir(), "samanvaya-window-"));
  const home = join(scratch, "home");
  mkdirSync(home);
  const data = dataDir ?? join(scratch, "data");
  const display = process.env.SAMANVAYA_TEST_DISPLAY ?? (await startXvfb(children));
  const port = await freePort();
  // Two ports asked one after the other can come back equal (each is free once the probe
  // closes); the driver then cannot listen and the session hangs.
  let nativePort = await freePort();
  while (nativePort === port) nativePort = await freePort();
  const env = {
    ...process.env,
    DISPLAY: display,
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
    XDG_CACHE_HOME: join(home, "cache"),
    SAMANVAYA_DATA_DIR: data,
    // Saved lists go to the test's own folder, never to a real Downloads folder.
    SAMANVAYA_EXPORT_DIR: join(scratch, "exports"),
    // USB sticks are looked for here, never under the real /media (a test gives its own).
    SAMANVAYA_MEDIA_ROOT: join(scratch, "media"),
    // A long story drives the window through scripts and the command line for minutes, which
    // the window does not count as her activity: it would lock itself halfway on a slow
    // machine. The lock's own test asks for seconds.
    SAMANVAYA_IDLE_LOCK_SECONDS: "3600",
    // A US English system, where a locale-dependent date input would read 15/08/1978 month
    // first: what the facilitator types must be stored the same whatever the system's language.
    LANG: "en_US.UTF-8",
    LC_ALL: "en_US.UTF-8",
    // Software rendering: Xvfb has no GPU, and WebKit's compositor otherwise shows a blank page.
    WEBKIT_DISABLE_COMPOSITING_MODE: "1",
    LIBGL_ALWAYS_SOFTWARE: "1",
    ...extraEnv,
  };
  // The app's standard error (where it logs), with the driver's, goes to a file beside the
  // stories' logs, which `tests/tests/written_logs.rs` scans for the demo village's names once
  // the window tests have run (scripts/test).
  const logs = join(dirname(appBinary()), "test-logs");
  mkdirSync(logs, { recursive: true });
  const log = openSync(join(logs, `app-${Date.now()}-${process.pid}-${port}.log`), "a");
  const driver = spawn(
    "tauri-driver",
    ["--port", String(port), "--native-port", String(nativePort), "--native-driver", "/usr/bin/WebKitWebDriver"],
    // The app runs in the test's folder: the system print window's "Print to File" writes
    // output.pdf into the folder the app was started from.
    { env, cwd: scratch, stdio: ["ignore", "inherit", log] },
  );
  closeSync(log);
  children.push(driver);
  const close = async (browser) => {
    if (browser) await browser.quit().catch(() => undefined);
    for (const c of children.reverse()) c.kill("SIGTERM");
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 15_000);
    // tauri-driver answers before the WebKitWebDriver it starts is listening, and passes a
    // session asked for in between on to a closed port ("socket hang up"); the first start
    // after a build, with WebKit's libraries not yet read from disk, is slow enough for that.
    await waitForPort(nativePort, 15_000);
    const browser = await new Builder()
      .usingServer(`http://127.0.0.1:${port}/`)
      .withCapabilities({ browserName: "wry", "tauri:options": { application: appBinary() } })
      .build();
    const recoveryCode = login ? await logIn(browser) : null;
    return {
      browser,
      dataDir: data,
      scratch,
      display,
      exportDir: join(scratch, "exports"),
      mediaRoot: env.SAMANVAYA_MEDIA_ROOT,
      recoveryCode,
      close: () => close(browser),
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** How long a screen may take to show what a test waits for. A longer wait costs only a failing
 * test's time; CI runs the window tests beside the fuzzing on 2 cores, and on a slower machine of
 * its kind a screen took past ten seconds there (2026-12-07, stop 75). */
export const SCREEN_WAIT_MS = 20_000;

/** How long a page that judges a household or the whole village may take (a household's
 * schemes, the village's tally): on that slower machine one took past ten seconds alone. */
export const JUDGED_WAIT_MS = 30_000;

/** The first element matching `css`, once it is there (the screens draw asynchronously). */
export async function find(browser, css, ms = SCREEN_WAIT_MS) {
  return browser.wait(until.elementLocated(By.css(css)), ms, `no element matches ${css}`);
}

/** Clicks the first element matching `css`, scrolled into view. A screen drawn again between
 * finding the element and clicking it (a search's answer arriving, a page's second drawing once
 * its data is in) leaves a stale element that takes no click: it is found again and clicked. */
export async function click(browser, css) {
  for (let attempt = 1; ; attempt++) {
    try {
      const el = await find(browser, css);
      await browser.executeScript("arguments[0].scrollIntoView({block: 'center'})", el);
      await el.click();
      return;
    } catch (e) {
      if (e.name !== "StaleElementReferenceError" || attempt >= 5) throw e;
    }
  }
}

/** Waits until the text of `css` satisfies `pred`, and returns that text. */
export async function textOf(browser, css, pred = (s) => s.length > 0, ms = SCREEN_WAIT_MS) {
  let last = "";
  await browser.wait(
    async () => {
      try {
        last = await (await browser.findElement(By.css(css))).getText();
        return pred(last);
      } catch {
        return false;
      }
    },
    ms,
  ).catch(() => {
    throw new Error(`text of ${css} never matched; last seen ${JSON.stringify(last)}`);
  });
  return last;
}

export { By };

/**
 * Saves the window as `file` in the folder SAMANVAYA_SCREENS_DIR names, when it names one (the
 * scripts that take docs/screens set it; CI does not, and then nothing is done). The picture is
 * of the window at 1024x600, its fonts loaded, the element `scrollTo` (a CSS selector) brought
 * into view first, at `block` ("center" or "start"); the window's size is put back after. The
 * page is one pixel taller than the window while it is taken: WebKitWebDriver's screenshot never
 * returns on a page no taller than the window (found on the funnel with nothing referred yet).
 */
export async function screen(browser, file, { scrollTo, block = "center" } = {}) {
  const dir = process.env.SAMANVAYA_SCREENS_DIR;
  if (!dir) return;
  const before = await browser.manage().window().getRect();
  try {
    await browser.manage().window().setRect({ width: 1024, height: 600 });
    await browser.executeAsyncScript("document.fonts.ready.then(() => arguments[arguments.length - 1]())");
    if (scrollTo) {
      await browser.executeScript("arguments[0].scrollIntoView({ block: arguments[1] })", await find(browser, scrollTo), block);
    }
    await browser.executeScript("document.body.style.minHeight = 'calc(100vh + 1px)'");
    writeFileSync(join(dir, file), await browser.takeScreenshot(), "base64");
  } finally {
    // The rest of the test runs on the page and the window as they were.
    await browser.executeScript("document.body.style.minHeight = ''");
    await browser.manage().window().setRect({ width: before.width, height: before.height });
  }
}

/** A sibling binary of the app's (the CLI, the server), built into the same folder. */
export function sibling(name) {
  return join(dirname(resolve(appBinary())), name);
}

/** Runs the sibling binary `name` (the CLI, the server) with `args` and returns its standard
 * output. Its standard error (where the binaries log) goes to a file beside the app's logs, which
 * the log scan reads after the window tests (scripts/test), as it reads the app's; on a failure
 * the error says what the binary wrote there. */
export function runSibling(name, args, env = {}) {
  const file = logFile(name);
  const log = openSync(file, "a");
  try {
    return execFileSync(sibling(name), args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", log] }).toString();
  } catch (e) {
    const out = e.stdout ? e.stdout.toString() : "";
    throw new Error(`${name} ${args.join(" ")} failed (${e.message}); it wrote: ${out}${readFileSync(file, "utf8")}`);
  } finally {
    closeSync(log);
  }
}

/** A new file in the log folder the log scan reads (`target/<profile>/test-logs`), for `name`. */
function logFile(name) {
  const logs = join(dirname(appBinary()), "test-logs");
  mkdirSync(logs, { recursive: true });
  return join(logs, `${name}-${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.log`);
}

/** Starts a server (a block by default) on a free port, or on `listen`, and resolves to its
 * address once it prints it. */
export function startServer(dir, args = ["--role", "block"], listen = "127.0.0.1:0") {
  // Its standard error (where it logs) goes beside the app's logs, which the log scan reads.
  const log = openSync(logFile("samanvaya-server"), "a");
  const server = spawn(sibling("samanvaya-server"), [...args, "--data-dir", dir, "--listen", listen], {
    stdio: ["ignore", "pipe", log],
  });
  closeSync(log);
  const lines = createInterface({ input: server.stdout });
  return new Promise((ok, fail) => {
    lines.once("line", (line) => ok({ server, url: line.replace("listening on ", "").trim() }));
    server.once("exit", (code) => fail(new Error(`the server ${args.join(" ")} stopped with ${code}`)));
  });
}

/**
 * A block server in `scratch/block` that registered Bakraur, running (with `blockArgs` after its
 * role, such as its district), and a one-time code for a laptop of the village.
 * `server(args)` runs an operator's command.
 */
export async function villageBlock(scratch, blockArgs = []) {
  const blockDir = join(scratch, "block");
  const server = (args) => runSibling("samanvaya-server", ["--role", "block", "--data-dir", blockDir, ...args]);
  server([
    "add-village", "--state", "Bihar|बिहार", "--district", "Gaya|गया", "--block", "Bodh Gaya|बोधगया",
    "--panchayat", "Bakraur|बकरौर", "--village", "Bakraur|बकरौर",
  ]);
  const code = server(["enroll-code", "--village", "Bakraur"]).trim();
  const block = await startServer(blockDir, ["--role", "block", ...blockArgs]);
  return { blockDir, block, server, code };
}

/**
 * `villageBlock`, and a laptop data folder `scratch/laptop` enrolled with it by the block
 * office's code before the app's first start.
 */
export async function enrolledLaptop(scratch, blockArgs = []) {
  const { blockDir, block, server, code } = await villageBlock(scratch, blockArgs);
  const dataDir = join(scratch, "laptop");
  runSibling("samanvaya", ["--data-dir", dataDir, "enroll", block.url, code], { SAMANVAYA_PIN: TEST_PIN });
  return { blockDir, dataDir, block, server };
}

/** Stops a server started by `startServer` and waits until it is gone. */
export function stopServer(server) {
  return new Promise((ok) => {
    if (server.exitCode !== null) return ok();
    server.once("exit", () => ok());
    server.kill();
  });
}

/** Drives the system print window the app opened (GTK's, a native window WebDriver cannot
 * reach) through the X display with xdotool: chooses "Print to File" and presses "Print", then
 * resolves to the bytes of the PDF written into the app's folder. The clicks are placed from the
 * print window's own corner (the printer list's first row, the button at its bottom right), as
 * GTK lays it out at the size it opens with. */
export async function printToFile(app, ms = 20_000) {
  const x = (...args) => execFileSync("xdotool", args, { env: { ...process.env, DISPLAY: app.display } }).toString();
  const deadline = Date.now() + ms;
  let id = "";
  while (!id && Date.now() < deadline) {
    try {
      id = x("search", "--name", "^Print$").trim().split("\n")[0];
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (!id) throw new Error(`no print window opened within ${ms} ms`);
  // The printer list fills in once GTK has asked its print back-ends.
  await new Promise((r) => setTimeout(r, 1500));
  const geometry = x("getwindowgeometry", "--shell", id);
  const width = Number(/WIDTH=(\d+)/.exec(geometry)[1]);
  const height = Number(/HEIGHT=(\d+)/.exec(geometry)[1]);
  x("mousemove", "--window", id, "82", "86", "click", "1");
  await new Promise((r) => setTimeout(r, 800));
  x("mousemove", "--window", id, String(width - 56), String(height - 30), "click", "1");
  const pdf = join(app.scratch, "output.pdf");
  while (Date.now() < deadline) {
    if (existsSync(pdf)) {
      const bytes = readFileSync(pdf);
      if (bytes.includes("%%EOF")) return bytes;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the print window wrote no PDF into ${app.scratch} within ${ms} ms`);
}
