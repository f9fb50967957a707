// The survey screen's own work for a roster of a hundred members, outside the window: what
// `views/survey.ts` computes when it draws the page (each question's answer looked up, the
// roster's sections) and when it applies the logic's verdict after a save (which questions and
// groups show, which members still have something to fix), with the functions of
// `survey/model.ts` and the same lookups. It builds no element: creating the page's elements,
// laying it out and painting it in the window's WebKit are not in these figures.
//
// Run from ui/ on the files `survey-bench --write-roster DIR` writes:
//   node_modules/.bin/vite-node bench/roster.ts DIR [runs]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SurveyAnswers } from "../src/bindings/SurveyAnswers";
import type { SurveyForm } from "../src/bindings/SurveyForm";
import type { SurveyItem } from "../src/bindings/SurveyItem";
import type { SurveyState } from "../src/bindings/SurveyState";
import { groupShown, rosterOf, shownKeys, slotKey, typedAnswer, type Slot } from "../src/survey/model";

interface Draft {
  answers: SurveyAnswers;
  state: SurveyState;
}

const dir = process.argv[2];
if (!dir) throw new Error("usage: vite-node bench/roster.ts DIR [runs]");
const runs = Number(process.argv[3] ?? "7");
const form = JSON.parse(readFileSync(join(dir, "form.json"), "utf8")) as SurveyForm;
const draft = JSON.parse(readFileSync(join(dir, "draft.json"), "utf8")) as Draft;

/** The page's slots and groups as `render` and `drawRoster` visit them, with each answer shown. */
function draw(): { slots: string[]; groups: { item: SurveyItem; instance: number | null }[]; text: number } {
  const roster = rosterOf(form.items);
  const rosterName = roster?.name ?? null;
  const slots: string[] = [];
  const groups: { item: SurveyItem; instance: number | null }[] = [];
  let text = 0;
  const visit = (items: SurveyItem[], instance: number | null): void => {
    for (const item of items) {
      if (item.kind === "calculate" || item.kind === "metadata" || item.kind === "repeat") continue;
      if (item.kind === "group") {
        groups.push({ item, instance });
        visit(item.children, instance);
        continue;
      }
      const slot: Slot = { name: item.name, instance };
      slots.push(slotKey(slot));
      // `SurveyView.current`: the typed answer, else the value the logic gives.
      const typed = typedAnswer(draft.answers, rosterName, slot);
      const value =
        typed ?? draft.state.questions.find((q) => q.name === slot.name && q.instance === slot.instance)?.value ?? "";
      text += value.length;
    }
  };
  visit(form.items, null);
  const n = roster ? (draft.state.instances[roster.name] ?? 0) : 0;
  for (let i = 0; i < n && roster; i++) visit(roster.children, i);
  return { slots, groups, text };
}

/** `SurveyView.apply` without the elements: what shows, which messages, which members to fix. */
function apply(page: ReturnType<typeof draw>): number {
  const shown = shownKeys(draft.state.questions);
  let hidden = 0;
  for (const key of page.slots) if (!shown.has(key)) hidden++;
  for (const g of page.groups) if (!groupShown(g.item, g.instance, shown)) hidden++;
  const boxes = new Set(page.slots);
  let messages = 0;
  for (const q of draft.state.questions) {
    if (boxes.has(slotKey({ name: q.name, instance: q.instance })) && q.relevant && q.problem !== null) messages++;
  }
  const open = new Set<number>();
  for (const q of draft.state.questions) if (q.instance !== null && q.relevant && q.problem !== null) open.add(q.instance);
  return hidden + messages + open.size;
}

function timed(f: () => unknown): { best: number; median: number } {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { best: times[0] ?? 0, median: times[Math.floor(times.length / 2)] ?? 0 };
}

const page = draw();
const members = Object.values(draft.state.instances)[0] ?? 0;
console.log(
  `roster: ${members} members, ${page.slots.length} questions on the page, ${draft.state.questions.length} in the verdict, ${page.groups.length} groups`,
);
const drawn = timed(draw);
const applied = timed(() => apply(page));
const fmt = (t: { best: number; median: number }) => `best ${t.best.toFixed(2)} ms, median ${t.median.toFixed(2)} ms`;
console.log(`drawing's lookups (every question's answer): ${fmt(drawn)}`);
console.log(`applying a verdict (shown, hidden, messages, members to fix): ${fmt(applied)}`);
