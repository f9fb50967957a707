// The facilitator's to-do list: cases past their due day, visits this week, documents still
// missing, and cases waiting on the block or district. Each line opens its case.
import type { ReferralSummary } from "../bindings/ReferralSummary";
import type { Todo } from "../bindings/Todo";
import { h } from "../dom";
import { dateWords, language, t, type Said } from "../i18n";
import { levelWord, stageWord } from "./referral";

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showReferral(id: string, back: () => void): Promise<void>;
  showTodo(): Promise<void>;
}

export function referralRow(nav: Pick<Navigator, "showReferral">, r: ReferralSummary, back: () => void): HTMLElement {
  return h(
    "button",
    { type: "button", class: `referral-row${r.overdue ? " overdue" : ""}`, "data-test": "referral-row", "data-number": r.number, onclick: () => void nav.showReferral(r.id, back) },
    h("strong", {}, r.number),
    h("span", {}, r.person),
    h("span", {}, language() === "hi" ? r.need_name.hi : r.need_name.en),
    h("span", { class: `badge stage-${r.stage}` }, stageWord(r.stage)),
    h("span", { class: "muted" }, r.level === "village" ? t("referralDueOn", { date: dateWords(r.due_on) }) : `${levelWord(r.level)} · ${t("referralDueOn", { date: dateWords(r.due_on) })}`),
    r.overdue ? h("span", { class: "overdue" }, t("referralOverdue")) : null,
  );
}

export function todoScreen(nav: Navigator, todo: Todo): HTMLElement {
  const back = () => void nav.showTodo();
  const part = (title: string, test: string, list: ReferralSummary[], total: number) =>
    h(
      "section",
      { class: "todo-part", "data-test": test },
      h("h2", {}, `${title} (${total})`),
      list.length === 0 ? h("p", { class: "muted" }, t("todoNone")) : h("div", { class: "referral-list" }, ...list.map((r) => referralRow(nav, r, back))),
      total > list.length ? h("p", { class: "muted" }, t("todoMore", { n: total - list.length })) : null,
    );
  return h(
    "div",
    { class: "todo" },
    h(
      "div",
      { class: "form-head" },
      h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void nav.showHome() }, "← " + t("back")),
      h("h1", {}, t("todoTitle")),
      h("span", { class: "muted" }, dateWords(todo.today)),
    ),
    part(t("todoOverdue"), "todo-overdue", todo.overdue, todo.overdue_count),
    part(t("todoVisits"), "todo-visits", todo.visits, todo.visits_count),
    part(t("todoMissing"), "todo-missing", todo.missing_documents, todo.missing_documents_count),
    part(t("todoWaiting"), "todo-waiting", todo.waiting, todo.waiting_count),
  );
}
