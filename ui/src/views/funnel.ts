// The village's referrals: per scheme or service, how many are eligible, were referred,
// submitted, sanctioned and received (and rejected), and how long the open cases have waited in
// each stage. Saved as CSV or XLSX for the block office; each line opens its cases in the list.
import type { FunnelRow } from "../bindings/FunnelRow";
import type { ReferralFilter } from "../bindings/ReferralFilter";
import type { ReferralFunnel } from "../bindings/ReferralFunnel";
import type { SheetFormat } from "../bindings/SheetFormat";
import { h, mount } from "../dom";
import { dateWords, language, t, type Said } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { errorText } from "./errorPanel";
import { stageWord } from "./referral";

interface Navigator {
  showHome(message?: Said): Promise<void>;
  showReferralList(filter?: Partial<ReferralFilter>): Promise<void>;
}

/** Saves the funnel as `format` and says where (or why not) under the buttons. */
async function save(button: HTMLButtonElement, format: SheetFormat, said: HTMLElement): Promise<void> {
  button.disabled = true;
  try {
    const path = await ipc.saveFunnel(format, language());
    mount(said, h("p", { class: "notice", role: "status", "data-test": "notice", "data-path": path }, t("funnelSaved", { path })));
  } catch (e) {
    mount(said, h("p", { class: "banner-error", role: "alert", "data-test": "notice" }, errorText(asErrorReply(e))));
  }
  button.disabled = false;
}

export function funnelScreen(nav: Navigator, f: ReferralFunnel): HTMLElement {
  const bar = (n: number, of: number) =>
    h("span", { class: "bar", style: `width:${of === 0 ? 0 : Math.round((100 * n) / of)}%` });
  const cell = (n: number, of: number) => h("td", { class: "num" }, h("span", {}, String(n)), bar(n, of));
  const said = h("div", { "data-test": "funnel-saved" });
  const name = (r: FunnelRow) => (language() === "hi" ? r.name.hi : r.name.en);
  const referred = f.rows.filter((r) => r.referred > 0);
  const waiting = f.rows.filter((r) => r.referred === 0);
  const saveButton = (format: SheetFormat, label: string) =>
    h(
      "button",
      { type: "button", class: "secondary", "data-test": `funnel-save-${format}`, onclick: (e: Event) => void save(e.currentTarget as HTMLButtonElement, format, said) },
      label,
    );
  return h(
    "div",
    { class: "funnel" },
    h(
      "div",
      { class: "form-head" },
      h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void nav.showHome() }, "← " + t("back")),
      h("h1", {}, t("funnelTitle")),
      h("span", { class: "muted" }, dateWords(f.as_of)),
      h("button", { type: "button", class: "primary", "data-test": "open-list", onclick: () => void nav.showReferralList() }, t("referralListOpen")),
    ),
    h(
      "div",
      { class: "toolbar funnel-tools" },
      saveButton("xlsx", t("funnelSaveXlsx")),
      saveButton("csv", t("funnelSave")),
      h("span", { class: "muted" }, t("funnelSaveWhere")),
    ),
    said,
    referred.length === 0
      ? h("p", { class: "muted" }, t("funnelNone"))
      : h(
          "table",
          { class: "funnel-table", "data-test": "funnel" },
          h(
            "thead",
            {},
            h("tr", {}, ...["funnelFor", "funnelEligible", "funnelReferred", "funnelSubmitted", "funnelSanctioned", "funnelReceived", "funnelRejected", "funnelOpenCases"].map((k) => h("th", {}, t(k as "funnelFor")))),
          ),
          h(
            "tbody",
            {},
            ...referred.map((r) =>
              h(
                "tr",
                { "data-test": "funnel-row", "data-code": r.code },
                h(
                  "td",
                  {},
                  h(
                    "button",
                    { type: "button", class: "name-link", "data-test": "funnel-cases", title: t("funnelSeeCases"), onclick: () => void nav.showReferralList({ need_code: r.code }) },
                    name(r),
                  ),
                ),
                h("td", { class: "num", "data-test": "funnel-eligible" }, r.eligible === null ? "—" : String(r.eligible)),
                h("td", { class: "num" }, String(r.referred)),
                cell(r.submitted, r.referred),
                cell(r.sanctioned, r.referred),
                cell(r.received, r.referred),
                h("td", { class: "num" }, String(r.rejected)),
                h("td", { class: "num" }, String(r.open)),
              ),
            ),
          ),
        ),
    // Schemes with eligible people and no case yet: folded, so the cases stay on the first screen.
    waiting.length === 0
      ? null
      : h(
          "details",
          { class: "funnel-waiting", "data-test": "funnel-waiting" },
          h("summary", {}, t("funnelNotReferred", { n: waiting.length })),
          h(
            "table",
            { class: "funnel-table" },
            h("thead", {}, h("tr", {}, h("th", {}, t("funnelFor")), h("th", {}, t("funnelEligible")))),
            h(
              "tbody",
              {},
              ...waiting.map((r) =>
                h("tr", { "data-test": "funnel-row", "data-code": r.code }, h("td", {}, name(r)), h("td", { class: "num", "data-test": "funnel-eligible" }, String(r.eligible ?? 0))),
              ),
            ),
          ),
        ),
    f.rows.length === 0 ? null : h("p", { class: "muted" }, t("funnelEligibleHint")),
    h("h2", {}, t("ageingTitle")),
    f.ageing.length === 0
      ? h("p", { class: "muted" }, t("ageingNone"))
      : h(
          "table",
          { class: "funnel-table", "data-test": "ageing" },
          h("thead", {}, h("tr", {}, ...["ageingStage", "funnelOpenCases", "ageingAverage", "ageingLongest", "ageingOver30"].map((k) => h("th", {}, t(k as "funnelFor"))))),
          h(
            "tbody",
            {},
            ...f.ageing.map((a) =>
              h(
                "tr",
                {},
                h("td", {}, stageWord(a.stage)),
                h("td", { class: "num" }, String(a.open)),
                h("td", { class: "num" }, String(a.average_days)),
                h("td", { class: "num" }, String(a.longest_days)),
                h("td", { class: "num" }, String(a.over_30_days)),
              ),
            ),
          ),
        ),
  );
}
