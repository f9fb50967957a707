// The app's entry: bundled fonts, the chosen language, then the home screen.
import "@fontsource/noto-sans-devanagari/400.css";
import "@fontsource/noto-sans-devanagari/600.css";
import "@fontsource/noto-sans/latin-400.css";
import "@fontsource/noto-sans/latin-600.css";
import "./style.css";

import { App } from "./app";
import { setLanguage } from "./i18n";
import { ipc } from "./ipc";

async function start(): Promise<void> {
  const root = document.getElementById("app");
  if (root === null) return;
  try {
    setLanguage(await ipc.getLanguage());
  } catch {
    // The store may be unreadable; the app still starts in Hindi and shows the store's error.
    setLanguage("hi");
  }
  await new App(root).showHome();
}

void start();
