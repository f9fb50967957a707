// The village's referrals: per scheme or service, how many were referred, submitted, sanctioned
// and received (and rejected), and how long the open cases have waited in each stage.
import type { ReferralFunnel } from "../bindings/ReferralFunnel";
import { h } from "../dom";
import { dateWords, language, t } from "../i18n";
import { asErrorReply, ipc } from "../ipc";
import { errorText } from "./errorPanel";
import { stageWord } from "./referral";

interface Navigator {
  showHome(message?: string): Promise<void>;
}

/** Saves the funnel as CSV and says where, on the button's line. */
async function save(button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  let said: string;
  try {
    said = t("funnelSaved", { path: await ipc.saveFunnel(language()) });
  } catch (e) {
    said = errorText(asErrorReply(e));
  }
  button.disabled = false;
  button.after(h("span", { class: "notice", role: "status", "data-test": "notice" }, said));
}

export function funnelScreen(nav: Navigator, f: ReferralFunnel): HTMLElement {
  const bar = (n: number, of: number) =>
    h("span", { class: "bar", style: `width:${of === 0 ? 0 : Math.round((100 * n) / of)}%` });
  const cell = (n: number, of: number) => h("td", { class: "num" }, h("span", {}, String(n)), bar(n, of));
  return h(
    "div",
    { class: "funnel" },
    h(
      "div",
      { class: "form-head" },
      h("button", { type: "button", class: "secondary", "data-test": "back", onclick: () => void nav.showHome() }, "← " + t("back")),
      h("h1", {}, t("funnelTitle")),
      h("span", { class: "muted" }, dateWords(f.as_of)),
      h("button", { type: "button", class: "secondary", "data-test": "funnel-save", onclick: (e: Event) => void save(e.currentTarget as HTMLButtonElement) }, t("funnelSave")),
    ),
    f.rows.length === 0
      ? h("p", { class: "muted" }, t("funnelNone"))
      : h(
          "table",
          { class: "funnel-table", "data-test": "funnel" },
          h(
            "thead",
            {},
            h("tr", {}, ...["funnelFor", "funnelReferred", "funnelSubmitted", "funnelSanctioned", "funnelReceived", "funnelRejected", "funnelOpenCases"].map((k) => h("th", {}, t(k as "funnelFor")))),
          ),
          h(
            "tbody",
            {},
            ...f.rows.map((r) =>
              h(
                "tr",
                { "data-test": "funnel-row", "data-code": r.code },
                h("td", {}, language() === "hi" ? r.name.hi : r.name.en),
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
