//! The facts of one household and its members, as the engine reads them: flat rows of
//! `Option<i64>`, one slot per fact of the vocabulary, `None` where the fact is unknown.
//!
//! The documented input format (docs/eligibility-facts.md) is a JSON or TOML object:
//! `{"household": {fact: value, …, "receiving": [codes]}, "members": [{"id": …, "name": …, fact: value, …}]}`
//! with fact names written without their `person.` / `household.` prefix. An absent fact or a
//! `null` is unknown, never zero or false.

use chrono::{Datelike, NaiveDate};
use serde_json::Value;

use crate::vocabulary::{FactType, Scope, Unit, Vocabulary};

const EPOCH_DAYS_FROM_CE: i64 = 719_163;

pub fn days_from_date(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - EPOCH_DAYS_FROM_CE
}

pub fn date_from_days(days: i64) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt((days + EPOCH_DAYS_FROM_CE) as i32).unwrap_or(NaiveDate::MIN)
}

/// One member's facts.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberFacts {
    pub id: String,
    pub name: String,
    pub values: Vec<Option<i64>>,
    /// Codes of schemes this person already receives.
    pub receiving: Vec<String>,
}

/// A household's facts with its members'.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdFacts {
    pub values: Vec<Option<i64>>,
    pub receiving: Vec<String>,
    pub members: Vec<MemberFacts>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FactError {
    /// Where in the document: `household.bpl_status`, `members[2].date_of_birth`.
    pub path: String,
    pub message: String,
}

impl HouseholdFacts {
    /// An empty household of `members` people about whom nothing is known.
    pub fn unknown(vocab: &Vocabulary, members: usize) -> HouseholdFacts {
        HouseholdFacts {
            values: vec![None; vocab.width(Scope::Household)],
            receiving: Vec::new(),
            members: (0..members)
                .map(|i| MemberFacts {
                    id: i.to_string(),
                    name: String::new(),
                    values: vec![None; vocab.width(Scope::Person)],
                    receiving: Vec::new(),
                })
                .collect(),
        }
    }

    /// Reads the documented JSON format, reporting every wrong fact at once.
    pub fn from_json(vocab: &Vocabulary, doc: &Value) -> Result<HouseholdFacts, Vec<FactError>> {
        let mut errors = Vec::new();
        // A misspelt key would silently leave every fact under it unknown: refuse it instead.
        if let Value::Object(top) = doc {
            for key in top.keys().filter(|k| *k != "household" && *k != "members") {
                let hint = match crate::diagnostic::closest(key, ["household", "members"].into_iter()) {
                    Some(near) => format!("; did you mean \"{near}\"?"),
                    None => "; the document has \"household\" and \"members\" only".into(),
                };
                errors.push(FactError { path: key.clone(), message: format!("unknown key{hint}") });
            }
        }
        let empty = serde_json::Map::new();
        let household = match doc.get("household") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(vec![FactError {
                    path: "household".into(),
                    message: "must be an object of facts".into(),
                }]);
            }
        };
        let members: &[Value] = match doc.get("members") {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(vec![FactError {
                    path: "members".into(),
                    message: "must be a list of members".into(),
                }]);
            }
        };
        let mut facts = HouseholdFacts::unknown(vocab, members.len());
        facts.receiving =
            read_row(vocab, Scope::Household, "household", household, &mut facts.values, &mut errors);
        for (i, m) in members.iter().enumerate() {
            let path = format!("members[{i}]");
            let Value::Object(obj) = m else {
                errors.push(FactError { path, message: "must be an object of facts".into() });
                continue;
            };
            let member = &mut facts.members[i];
            member.id =
                obj.get("id").and_then(Value::as_str).map_or_else(|| (i + 1).to_string(), str::to_owned);
            member.name = obj.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
            member.receiving = read_row(vocab, Scope::Person, &path, obj, &mut member.values, &mut errors);
        }
        if errors.is_empty() { Ok(facts) } else { Err(errors) }
    }
}

fn read_row(
    vocab: &Vocabulary,
    scope: Scope,
    path: &str,
    obj: &serde_json::Map<String, Value>,
    row: &mut [Option<i64>],
    errors: &mut Vec<FactError>,
) -> Vec<String> {
    let prefix = match scope {
        Scope::Person => "person",
        Scope::Household => "household",
    };
    let mut receiving = Vec::new();
    for (key, value) in obj {
        let at = format!("{path}.{key}");
        if key == "receiving" {
            match value {
                Value::Array(codes) if codes.iter().all(Value::is_string) => {
                    receiving = codes.iter().filter_map(|c| c.as_str().map(str::to_owned)).collect();
                }
                Value::Null => {}
                _ => errors.push(FactError { path: at, message: "must be a list of scheme codes".into() }),
            }
            continue;
        }
        if scope == Scope::Person && (key == "id" || key == "name") {
            continue;
        }
        // A key written with its prefix ("person.sex" inside a member) is named without it.
        let bare = key.strip_prefix(&format!("{prefix}.")).unwrap_or(key);
        let full = format!("{prefix}.{bare}");
        let Some(id) = vocab.id(&full).filter(|_| bare == key) else {
            let hint = if bare != key && vocab.id(&full).is_some() {
                format!("; write \"{bare}\": the {prefix} prefix is implied here")
            } else {
                match vocab.suggest(&full) {
                    Some(near) => format!("; did you mean {near}?"),
                    None => String::new(),
                }
            };
            errors.push(FactError {
                path: at,
                message: format!("{full} is not in the fact vocabulary (docs/eligibility-facts.md){hint}"),
            });
            continue;
        };
        let def = vocab.get(id);
        if let Some(derivation) = def.derived {
            let base = &vocab.get(derivation.base()).name;
            let base = base.split_once('.').map_or(base.as_str(), |(_, b)| b);
            errors.push(FactError {
                path: at,
                message: format!(
                    "{full} is worked out by the engine; give \"{base}\" instead (when only the age is known, an estimated date {full} years back will do)"
                ),
            });
            continue;
        }
        match parse_value(&def.ty, value) {
            Ok(v) => row[def.slot] = v,
            Err(message) => errors.push(FactError { path: at, message }),
        }
    }
    receiving
}

/// Reads one value of type `ty`; `null` is unknown.
pub fn parse_value(ty: &FactType, value: &Value) -> Result<Option<i64>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let wrong = || format!("expected {}, got {value}", expected(ty));
    let v = match ty {
        FactType::Bool => i64::from(value.as_bool().ok_or_else(wrong)?),
        FactType::Int | FactType::Money => value.as_i64().ok_or_else(wrong)?,
        FactType::Decimal => {
            let f = value.as_f64().ok_or_else(wrong)?;
            (f * 1000.0).round() as i64
        }
        FactType::Date => {
            let s = value.as_str().ok_or_else(wrong)?;
            let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| wrong())?;
            days_from_date(d)
        }
        FactType::Enum(values) => {
            let s = value.as_str().ok_or_else(wrong)?;
            values.iter().position(|v| v == s).ok_or_else(wrong)? as i64
        }
        FactType::Set(values) => {
            let items = value.as_array().ok_or_else(wrong)?;
            let mut mask = 0i64;
            for item in items {
                let s = item.as_str().ok_or_else(wrong)?;
                mask |= 1 << values.iter().position(|v| v == s).ok_or_else(wrong)?;
            }
            mask
        }
    };
    Ok(Some(v))
}

fn expected(ty: &FactType) -> String {
    match ty {
        FactType::Bool => "true or false".into(),
        FactType::Int => "a whole number".into(),
        FactType::Money => "an amount in whole rupees".into(),
        FactType::Decimal => "a number".into(),
        FactType::Date => "a date written YYYY-MM-DD".into(),
        FactType::Enum(v) => format!("one of {}", v.join(", ")),
        FactType::Set(v) => format!("a list of {}", v.join(", ")),
    }
}

/// Completed years (or months) from `from` to `to`, both in days since 1970; `None` before birth.
pub fn elapsed(from_days: i64, to_days: i64, unit: Unit) -> Option<i64> {
    if to_days < from_days {
        return None;
    }
    if unit == Unit::Days {
        return Some(to_days - from_days);
    }
    let (a, b) = (date_from_days(from_days), date_from_days(to_days));
    let mut m = (b.year() - a.year()) as i64 * 12 + (b.month() as i64 - a.month() as i64);
    if b.day() < a.day() {
        m -= 1;
    }
    Some(if unit == Unit::Months { m } else { m.div_euclid(12) })
}
