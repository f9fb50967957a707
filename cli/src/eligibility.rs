//! `samanvaya eligibility …`: the whole store, and the reports of both forms of the command.

use std::fmt::Write as _;

use anyhow::Result;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use samanvaya_core::Store;
use samanvaya_eligibility::view::{HouseholdEligibility, OutcomeKind, VillageEligibility};

/// Decides every scheme for every household of the store from its profiles, showing progress on
/// stderr.
pub fn whole_store(store: &Store, as_of: NaiveDate) -> Result<VillageEligibility> {
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("reading [{bar:40}] {pos}/{len} households ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let result = store.village_eligibility(as_of, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    Ok(result)
}

fn outcome_word(o: OutcomeKind) -> &'static str {
    match o {
        OutcomeKind::Eligible => "eligible",
        OutcomeKind::AlreadyReceiving => "already receiving",
        OutcomeKind::Undetermined => "undetermined",
        OutcomeKind::NotEligible => "not eligible",
    }
}

/// A readable report of one household: who is eligible for what, what is missing, what to ask.
pub fn household_table(e: &HouseholdEligibility) -> String {
    let mut out = String::new();
    let name =
        |code: &str| e.schemes.iter().find(|s| s.code == code).map_or(code.to_owned(), |s| s.name.en.clone());
    for (who, label) in std::iter::once((None, "Household".to_owned()))
        .chain(e.members.iter().map(|m| (Some(m.id.clone()), format!("{} ({})", m.name, m.id))))
    {
        let rows: Vec<_> = e
            .findings
            .iter()
            .filter(|f| f.member_id == who && f.outcome != OutcomeKind::NotEligible)
            .collect();
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "{label}").ok();
        for f in rows {
            let missing = if f.missing.is_empty() {
                String::new()
            } else {
                format!(" — missing: {}", f.missing.join(", "))
            };
            let alternatives = if f.alternatives.is_empty() {
                String::new()
            } else {
                let rule = f.group_rule.as_ref().map_or(String::new(), |r| r.en.clone());
                format!(
                    " — or {}: {rule}",
                    f.alternatives.iter().map(|a| name(a)).collect::<Vec<_>>().join(", ")
                )
            };
            writeln!(out, "  {:<18} {}{missing}{alternatives}", outcome_word(f.outcome), name(&f.scheme))
                .ok();
        }
    }
    if !e.questions.is_empty() {
        writeln!(out, "Ask next").ok();
        for q in e.questions.iter().take(10) {
            let who = q.member_name.clone().unwrap_or_else(|| "household".into());
            writeln!(out, "  {} ({who}) — would help decide {} scheme(s)", q.label.en, q.decides).ok();
        }
    }
    out
}

/// The per-scheme summary of a whole store.
pub fn village_table(v: &VillageEligibility) -> String {
    let mut out = format!("{} households, {} persons, as of {}\n", v.households, v.persons, v.as_of);
    writeln!(
        out,
        "{:<22} {:>9} {:>12} {:>9} {:>12} {:>12}",
        "scheme", "eligible", "alternative", "receiving", "undetermined", "not eligible"
    )
    .ok();
    for t in &v.tallies {
        writeln!(
            out,
            "{:<22} {:>9} {:>12} {:>9} {:>12} {:>12}",
            t.scheme.code, t.eligible, t.alternative, t.already_receiving, t.undetermined, t.not_eligible
        )
        .ok();
    }
    writeln!(
        out,
        "(alternative: also eligible, but counted under another scheme of its group, e.g. a second pension)"
    )
    .ok();
    writeln!(out, "Most missing facts (undetermined decisions waiting on each)").ok();
    for m in &v.most_missing {
        writeln!(out, "  {:>6}  {}", m.decisions, m.fact).ok();
    }
    out
}
