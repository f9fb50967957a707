//! The mapping file (`bench/peer-mapping.toml`): which CSV column becomes which fact, with the
//! words renamed, checked against the vocabulary before any row is read.

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use samanvaya_rules::Vocabulary;
use samanvaya_rules::vocabulary::{FactType, Scope};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Mapping {
    pub as_of: NaiveDate,
    /// The catalogue's schemes that match the peer's rules, by code.
    pub matching: Vec<String>,
    pub persons: PersonsFile,
    pub households: HouseholdsFile,
    pub person: Vec<Entry>,
    pub household: Vec<Entry>,
}

#[derive(Deserialize)]
pub struct PersonsFile {
    pub file: String,
    /// The column naming each person's household.
    pub household: String,
}

#[derive(Deserialize)]
pub struct HouseholdsFile {
    pub file: String,
    pub key: String,
}

#[derive(Deserialize)]
pub struct Entry {
    pub csv: String,
    pub fact: String,
    #[serde(default)]
    pub values: HashMap<String, String>,
    /// The cell is an age in completed years, stored as an estimated date of birth.
    #[serde(default)]
    pub age_years: bool,
}

/// How one cell's text becomes a value of its fact.
pub enum Reading {
    Flag,
    Whole,
    /// Thousandths, as the vocabulary holds a decimal.
    Decimal,
    /// An age in years, to the estimated birth date's day number (index = age).
    Age(Vec<i64>),
    /// A word, to its index among the fact's values.
    Word(Vec<(Vec<u8>, i64)>),
}

/// One mapped column: where it is in the CSV row, and where its values go.
pub struct Target {
    pub column: usize,
    pub slot: usize,
    pub reading: Reading,
}

impl Mapping {
    pub fn read(path: &std::path::Path) -> Result<Mapping> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("{} is not a valid mapping", path.display()))
    }
}

/// The targets of `entries` for a CSV whose header is `header`, checked against `vocab`.
pub fn targets(
    vocab: &Vocabulary,
    scope: Scope,
    entries: &[Entry],
    header: &[&str],
    as_of: NaiveDate,
) -> Result<Vec<Target>> {
    entries
        .iter()
        .map(|e| {
            let column = header
                .iter()
                .position(|h| *h == e.csv)
                .with_context(|| format!("the CSV has no column {}", e.csv))?;
            let id =
                vocab.id(&e.fact).with_context(|| format!("{} is not a fact of the vocabulary", e.fact))?;
            let def = vocab.get(id);
            if def.scope != scope || def.derived.is_some() {
                bail!("{} is not a recorded {scope:?} fact", e.fact);
            }
            let reading = match (&def.ty, e.age_years) {
                (FactType::Date, true) => Reading::Age(
                    (0..=150)
                        .map(|years| {
                            let (date, _) = samanvaya_domain::person::Birth::Age { years }.resolve(as_of);
                            date.map_or(i64::MIN, samanvaya_rules::facts::days_from_date)
                        })
                        .collect(),
                ),
                (_, true) => bail!("{} is not a date, so it cannot take an age", e.fact),
                (FactType::Bool, _) => Reading::Flag,
                (FactType::Int | FactType::Money, _) => Reading::Whole,
                (FactType::Decimal, _) => Reading::Decimal,
                (FactType::Enum(values), _) => {
                    let mut words: Vec<(Vec<u8>, i64)> =
                        values.iter().enumerate().map(|(i, v)| (v.as_bytes().to_vec(), i as i64)).collect();
                    for (from, to) in &e.values {
                        let i = values
                            .iter()
                            .position(|v| v == to)
                            .with_context(|| format!("{to} is not a value of {}", e.fact))?;
                        words.push((from.as_bytes().to_vec(), i as i64));
                    }
                    // The renamed words come first, so that a CSV word that is also a value name
                    // of another meaning is read as renamed.
                    words.rotate_right(e.values.len());
                    Reading::Word(words)
                }
                (FactType::Date | FactType::Set(_), _) => {
                    bail!("{}: dates and sets are not read from CSV here", e.fact)
                }
            };
            Ok(Target { column, slot: def.slot, reading })
        })
        .collect()
}

impl Reading {
    /// The value of one cell; `None` for an empty cell, an error for one that does not read.
    pub fn read(&self, cell: &[u8]) -> Result<Option<i64>, String> {
        if cell.is_empty() {
            return Ok(None);
        }
        let text = || String::from_utf8_lossy(cell).into_owned();
        let whole = |c: &[u8]| -> Option<i64> {
            let (neg, digits) = match c.first() {
                Some(b'-') => (true, &c[1..]),
                _ => (false, c),
            };
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || digits.len() > 18 {
                return None;
            }
            let v = digits.iter().fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
            Some(if neg { -v } else { v })
        };
        match self {
            Reading::Flag => match cell {
                b"true" => Ok(Some(1)),
                b"false" => Ok(Some(0)),
                _ => Err(format!("expected true or false, got {}", text())),
            },
            Reading::Whole => {
                whole(cell).map(Some).ok_or_else(|| format!("expected a whole number, got {}", text()))
            }
            Reading::Decimal => std::str::from_utf8(cell)
                .ok()
                .and_then(|s| s.parse::<f64>().ok())
                .map(|f| Some((f * 1000.0).round() as i64))
                .ok_or_else(|| format!("expected a number, got {}", text())),
            Reading::Age(dates) => whole(cell)
                .and_then(|a| usize::try_from(a).ok())
                .and_then(|a| dates.get(a).copied())
                .filter(|d| *d != i64::MIN)
                .map(Some)
                .ok_or_else(|| format!("expected an age from 0 to 150, got {}", text())),
            Reading::Word(words) => words
                .iter()
                .find(|(w, _)| w == cell)
                .map(|(_, i)| Some(*i))
                .ok_or_else(|| format!("{} is not a value of this fact", text())),
        }
    }
}
