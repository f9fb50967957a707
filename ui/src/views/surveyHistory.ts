// A household's survey history: every finished survey, newest first, with who took it and when,
// which later survey replaced it, and its answers in words. A submission is never edited; a new
// survey supersedes the last, and both stay readable here.
import type { SurveyForm } from "../bindings/SurveyForm";
import { h } from "../dom";
import { instantWords, language, t } from "../i18n";
import type { SurveyRecord } from "../ipc";
import { mayWrite } from "../role";
import { answerSections } from "../survey/history";

interface Navigator {
  showEligibility(householdId: string, title: string): Promise<void>;
}

export function surveyHistory(
  nav: Navigator,
  householdId: string,
  title: string,
  form: SurveyForm,
  records: SurveyRecord[],
  forms: Map<string, SurveyForm>,
): HTMLElement {
  const lang = language();
  const replacedBy = new Map(records.filter((r) => r.supersedes !== null).map((r) => [r.supersedes!, r]));
  return h(
    "div",
    { class: "survey-history" },
    h(
      "div",
      { class: "form-head" },
      h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void nav.showEligibility(householdId, title) }, "← " + t("back")),
      h("h1", {}, t("historyTitle", { number: title })),
    ),
    records.length === 0 ? h("p", { class: "muted", "data-test": "history-none" }, t("historyNone")) : null,
    // The library leaves the sensitive answers out for a read-only account; say so, or the
    // survey would look unfinished.
    mayWrite() ? null : h("p", { class: "muted", "data-test": "history-restricted" }, t("historyRestricted")),
    ...records.map((r, i) => {
      const later = replacedBy.get(r.id);
      const sections = answerSections(forms.get(`${r.form_id}@${r.form_version}`) ?? form, r.answers, lang);
      return h(
        "details",
        { class: "history-entry", "data-test": "history-entry", open: i === 0 },
        h(
          "summary",
          {},
          h("strong", {}, instantWords(r.submitted_at)),
          ` — ${t("historyBy", { name: r.submitted_by })}`,
          later
            ? h("span", { class: "muted", "data-test": "history-replaced" }, " · " + t("historyReplaced", { date: instantWords(later.submitted_at) }))
            : h("span", { class: "badge", "data-test": "history-current" }, t("historyCurrent")),
          r.form_version !== form.version ? h("span", { class: "muted" }, " · " + t("historyOldForm", { version: r.form_version })) : null,
        ),
        r.consent === false ? h("p", { class: "muted", "data-test": "history-refused" }, t("historyRefused")) : null,
        ...sections
          .filter((s) => s.lines.length > 0)
          .map((s) =>
            h(
              "section",
              { class: "history-section", "data-test": s.instance === null ? "history-household" : `history-member-${s.instance}` },
              h("h3", {}, s.instance === null ? t("historyHousehold") : t("historyMember", { n: s.instance + 1, name: s.name ?? "" })),
              h(
                "dl",
                {},
                ...s.lines.flatMap((l) => [h("dt", {}, l.label), h("dd", {}, l.value)]),
              ),
            ),
          ),
      );
    }),
  );
}
