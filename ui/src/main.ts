// The app's entry: bundled fonts, then the lock screen (set-up at first start, the PIN after),
// then the home screen in the language last chosen.
import "@fontsource/noto-sans-devanagari/400.css";
import "@fontsource/noto-sans-devanagari/600.css";
import "@fontsource/noto-sans/latin-400.css";
import "@fontsource/noto-sans/latin-600.css";
import "./style.css";

import { App } from "./app";
import { setLanguage } from "./i18n";
import { asErrorReply, ipc } from "./ipc";
import { errorPanel } from "./views/errorPanel";

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (root === null) return;
  setLanguage("hi");
  try {
    const folder = await ipc.folderState();
    if (folder.state === "locked" && folder.language) setLanguage(folder.language);
    await new App(root).begin(folder);
  } catch (e) {
    // No data folder, or one that cannot be read: say why instead of showing nothing.
    root.replaceChildren(errorPanel(asErrorReply(e)));
  }
}

void start();
