//! `samanvaya eligibility --facts FILE`: one household described in a file, decided with no store
//! at all. This module must not use `samanvaya_core` (scripts/check-architecture checks it): the
//! calculation is pure, and works on a machine with no data folder.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use samanvaya_eligibility::view::{self, HouseholdEligibility};

/// Decides every scheme for the household described in `path` (docs/eligibility-facts.md).
pub fn decide(path: &Path, as_of: NaiveDate) -> Result<HouseholdEligibility> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!("{} is not valid JSON; see docs/eligibility-facts.md for the format", path.display())
    })?;
    let cat = samanvaya_eligibility::embedded()?;
    let facts = cat.read_household(&doc).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(|e| format!("  {e}")).collect();
        anyhow::anyhow!("{} has {} wrong fact(s):\n{}", path.display(), errors.len(), list.join("\n"))
    })?;
    if facts.members.is_empty() {
        bail!("{} lists no members; add them under \"members\"", path.display());
    }
    Ok(view::household(cat, samanvaya_eligibility::vulnerability()?, &facts, as_of, view::Audience::Staff))
}
