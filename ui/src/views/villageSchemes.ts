// The village, scheme by scheme: how many are eligible but not yet receiving (the gap), already
// receiving, not yet decided, and not eligible.
import type { SchemeTally } from "../bindings/SchemeTally";
import type { VillageEligibility } from "../bindings/VillageEligibility";
import type { VillageOverview } from "../bindings/VillageOverview";
import { h } from "../dom";
import { withTerms } from "../glossary/view";
import { dateWords, language, localName, t, type Said } from "../i18n";

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showWorklist(code: string): Promise<void>;
}

export function villageSchemes(nav: Navigator, overview: VillageOverview, v: VillageEligibility): HTMLElement {
  const byGap = (a: SchemeTally, b: SchemeTally) => b.eligible - a.eligible || b.undetermined - a.undetermined;
  // Entitlements make the gap; services (a crisis centre, a helpline) are open to all who need
  // them and are listed apart, never ranked as a gap.
  const rows = v.tallies.filter((r) => r.scheme.kind !== "service").sort(byGap);
  const services = v.tallies.filter((r) => r.scheme.kind === "service").sort(byGap);
  const unit = (r: SchemeTally) => (r.scheme.unit === "household" ? t("countHouseholds") : t("countPersons"));
  const num = (n: number, test: string) => h("td", { class: "num", "data-test": test }, String(n));
  return h(
    "div",
    { class: "village-schemes" },
    h(
      "div",
      { class: "form-head" },
      h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void nav.showHome() }, "← " + t("back")),
      h("h1", {}, t("villageSchemesTitle", { village: localName(overview.village) })),
      h("span", { class: "muted" }, t("eligibilityAsOf", { date: dateWords(v.as_of) })),
    ),
    h("p", { class: "muted" }, t("villageSchemesHint")),
    h(
      "table",
      { class: "households tallies" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, t("colScheme")),
          h("th", { class: "num" }, t("colEligible")),
          h("th", { class: "num" }, t("colReceiving")),
          h("th", { class: "num" }, t("colUndetermined")),
          h("th", { class: "num" }, t("colNotEligible")),
        ),
      ),
      h(
        "tbody",
        {},
        ...rows.map((r) =>
          h(
            "tr",
            { "data-test": "tally", "data-scheme": r.scheme.code },
            h(
              "td",
              {},
              // The row opens the families behind its numbers: the Samiti's worklist.
              h(
                "button",
                {
                  type: "button",
                  class: "tally-open",
                  "data-test": "tally-open",
                  title: t("tallyOpen"),
                  onclick: () => void nav.showWorklist(r.scheme.code),
                },
                language() === "hi" ? r.scheme.name.hi : r.scheme.name.en,
              ),
              h("span", { class: "muted unit", "data-test": "tally-unit" }, ` · ${unit(r)}`),
              // Eligible here too, but counted under another pension of the group: one person, one count.
              r.alternative > 0
                ? h("div", { class: "muted", "data-test": "tally-alternative" }, t("countedElsewhere", { n: r.alternative }))
                : null,
            ),
            num(r.eligible, "tally-eligible"),
            num(r.already_receiving, "tally-receiving"),
            num(r.undetermined, "tally-undetermined"),
            num(r.not_eligible, "tally-not-eligible"),
          ),
        ),
      ),
    ),
    services.length > 0 ? h("h2", {}, t("servicesTitle")) : null,
    services.length > 0 ? h("p", { class: "muted" }, t("servicesHint")) : null,
    services.length > 0
      ? h(
          "ul",
          { class: "services", "data-test": "village-services" },
          ...services.map((r) =>
            h("li", {}, `${language() === "hi" ? r.scheme.name.hi : r.scheme.name.en} — ${t("servicesPeople", { n: r.eligible + r.undetermined, unit: unit(r) })}`),
          ),
        )
      : null,
    v.most_missing.length > 0 ? h("h2", {}, t("mostMissing")) : null,
    v.most_missing.length > 0 ? h("p", { class: "muted" }, t("mostMissingHint")) : null,
    h(
      "ol",
      { class: "most-missing", "data-test": "most-missing" },
      ...v.most_missing.map((m) =>
        h("li", {}, ...withTerms(`${language() === "hi" ? m.label.hi : m.label.en} — ${t("decisionsWaiting", { n: m.decisions })}`)),
      ),
    ),
  );
}
