//! The example cases that ship with each scheme (facts and a date → the expected decision), as
//! read from the scheme file when the catalogue loads. Running them is `cases.rs`'s job.

use chrono::NaiveDate;
use serde_json::Value;

use crate::facts::HouseholdFacts;
use crate::outcome::Outcome;
use crate::toml_values::{toml_date, toml_to_json};
use crate::vocabulary::{Scope, Vocabulary};

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub line: usize,
    pub as_of: NaiveDate,
    pub facts: HouseholdFacts,
    pub expect: Outcome,
    /// For an undetermined case, the names of the facts that must be reported missing.
    pub missing: Vec<String>,
}

impl Case {
    /// Reads one `[[case]]` table of a scheme whose decisions are made per `unit`.
    pub fn read(vocab: &Vocabulary, unit: Scope, t: &toml::Table, line: usize) -> Result<Case, String> {
        for key in t.keys() {
            if !["name", "as_of", "person", "household", "members", "expect", "missing"]
                .contains(&key.as_str())
            {
                return Err(format!("case has an unknown key {key:?}"));
            }
        }
        let name = t.get("name").and_then(toml::Value::as_str).ok_or("a case needs a name")?.to_owned();
        let as_of = t
            .get("as_of")
            .and_then(toml_date)
            .ok_or_else(|| format!("case {name:?} needs as_of = YYYY-MM-DD"))?;
        let expect_text = t.get("expect").and_then(toml::Value::as_str).unwrap_or_default();
        let expect = Outcome::parse(expect_text).ok_or_else(|| {
            format!("case {name:?}: expect must be eligible, not_eligible, undetermined or already_receiving")
        })?;
        let mut members: Vec<Value> = Vec::new();
        match (unit, t.get("person")) {
            (Scope::Person, Some(p)) => members.push(toml_to_json(p)),
            (Scope::Person, None) => members.push(Value::Object(Default::default())),
            (Scope::Household, Some(_)) => {
                return Err(format!("case {name:?}: a household scheme's case lists members, not person"));
            }
            (Scope::Household, None) => {}
        }
        if let Some(toml::Value::Array(more)) = t.get("members") {
            members.extend(more.iter().map(toml_to_json));
        }
        let doc = serde_json::json!({
            "household": t.get("household").map(toml_to_json).unwrap_or(Value::Null),
            "members": members,
        });
        let facts = HouseholdFacts::from_json(vocab, &doc).map_err(|errs| {
            format!("case {name:?}: {}", errs.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
        })?;
        let missing: Vec<String> = match t.get("missing") {
            None => vec![],
            Some(toml::Value::Array(a)) => a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            Some(_) => {
                return Err(format!("case {name:?}: missing must be a list of fact names"));
            }
        };
        for m in &missing {
            if vocab.id(m).is_none() {
                return Err(format!("case {name:?}: missing names unknown fact {m}"));
            }
        }
        if (expect == Outcome::Undetermined) == missing.is_empty() {
            return Err(format!(
                "case {name:?}: list missing facts exactly when the expected outcome is undetermined"
            ));
        }
        Ok(Case { name, line, as_of, facts, expect, missing })
    }
}
