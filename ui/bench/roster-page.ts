// The page `roster-window.mjs` opens in a WebKit window: the real survey screen
// (`views/survey.ts`) with the app's style sheet and fonts, given a form and a draft directly
// instead of through the shell, so that drawing it can be timed in the browser engine the app
// uses. It exposes one function, `benchRoster`, for the WebDriver script to call.
import "@fontsource/noto-sans-devanagari/400.css";
import "@fontsource/noto-sans-devanagari/600.css";
import "@fontsource/noto-sans/latin-400.css";
import "@fontsource/noto-sans/latin-600.css";
import "../src/style.css";
import type { SurveyDraft } from "../src/ipc";
import type { SurveyForm } from "../src/bindings/SurveyForm";
import { SurveyView } from "../src/views/survey";

/** One drawing's times in milliseconds. */
interface Drawn {
  /** `render()`: the page's elements built and the verdict applied. */
  build: number;
  /** The page put in the document and its style and layout worked out (a forced reflow). */
  layout: number;
  /** From then to the next frame: WebKit's painting, as far as a page can see it. */
  frame: number;
  /** A verdict applied again to the page in place, as after each saved answer, with its reflow. */
  verdict: number;
  /** A folded member's section opened with a tap on its summary (its questions built when the
   * screen builds them lazily), with its reflow. */
  open: number;
  /** The elements on the page once drawn, before any member is opened. */
  elements: number;
}

/** The member whose folded section is opened after each drawing. */
const OPENED = 50;

const nextFrame = () => new Promise<void>((done) => requestAnimationFrame(() => done()));

async function benchRoster(form: SurveyForm, draft: SurveyDraft, today: string, runs: number): Promise<Drawn[]> {
  const root = document.getElementById("app");
  if (!root) throw new Error("the page has no #app");
  // Opening the survey only draws it; nothing here calls the shell.
  const nav = { showHome: async () => {}, showEligibility: async () => {} };
  const out: Drawn[] = [];
  for (let r = 0; r < runs; r++) {
    root.replaceChildren();
    await nextFrame();
    const view = new SurveyView(nav, draft.household_id, "100", form, structuredClone(draft), today);
    const t0 = performance.now();
    const page = view.render();
    const t1 = performance.now();
    root.append(page);
    void root.offsetHeight;
    const t2 = performance.now();
    await nextFrame();
    const t3 = performance.now();
    // `apply` is the screen's private step after each save; it is reached here by name.
    (view as unknown as { apply(s: SurveyDraft["state"]): void }).apply(draft.state);
    void root.offsetHeight;
    const t4 = performance.now();
    const elements = page.querySelectorAll("*").length;
    // A member in the middle of the roster, folded until now, opened as a tap would open it.
    const summary = page.querySelector<HTMLElement>(`[data-test='member-summary-${OPENED}']`);
    if (!summary) throw new Error(`the page has no member ${OPENED}`);
    await nextFrame();
    const t5 = performance.now();
    summary.click();
    void root.offsetHeight;
    const t6 = performance.now();
    out.push({ build: t1 - t0, layout: t2 - t1, frame: t3 - t2, verdict: t4 - t3, open: t6 - t5, elements });
  }
  return out;
}

(window as unknown as { benchRoster: typeof benchRoster }).benchRoster = benchRoster;
