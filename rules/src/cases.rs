//! Example cases that ship with each scheme (facts and a date → the expected decision), run by
//! `cargo test` so that a rule change that breaks a case fails CI.

use chrono::NaiveDate;
use serde_json::Value;

use crate::assess::{Outcome, decide};
use crate::catalogue::{Catalogue, Scheme, toml_date};
use crate::facts::HouseholdFacts;
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

/// TOML values as JSON, with dates as YYYY-MM-DD strings, so cases and the CLI share one reader.
pub fn toml_to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(t.iter().map(|(k, v)| (k.clone(), toml_to_json(v))).collect()),
    }
}

impl Case {
    pub fn read(vocab: &Vocabulary, scheme: &Scheme, t: &toml::Table, line: usize) -> Result<Case, String> {
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
        match (scheme.unit, t.get("person")) {
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

/// A case whose decision differs from what the scheme file expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    pub file: String,
    pub line: usize,
    pub case: String,
    pub problem: String,
}

/// Runs every case of every scheme; an empty list means all passed.
pub fn run_all(cat: &Catalogue) -> Vec<CaseFailure> {
    let mut failures = Vec::new();
    for (i, scheme) in cat.schemes.iter().enumerate() {
        for case in &scheme.cases {
            let members: Vec<&[Option<i64>]> =
                case.facts.members.iter().map(|m| m.values.as_slice()).collect();
            let subject = (scheme.unit == Scope::Person).then_some(0);
            let fail = |problem: String| CaseFailure {
                file: scheme.file.clone(),
                line: case.line,
                case: case.name.clone(),
                problem,
            };
            let Some(found) = decide(cat, i, scheme, &case.facts, &members, subject, case.as_of) else {
                failures.push(fail(format!("no version of {} is in force on {}", scheme.code, case.as_of)));
                continue;
            };
            if found.outcome != case.expect {
                failures.push(fail(format!("expected {:?}, got {:?}", case.expect, found.outcome)));
                continue;
            }
            let mut got: Vec<String> =
                found.missing.iter().map(|m| cat.vocab.get(m.fact).name.clone()).collect();
            got.sort();
            got.dedup();
            let mut want = case.missing.clone();
            want.sort();
            if got != want {
                failures.push(fail(format!("expected missing {want:?}, got {got:?}")));
            }
        }
    }
    failures
}
