//! Probable duplicates of a household about to be recorded: the same family surveyed twice (by
//! two facilitators, or again after a year) is the commonest error of a village register. A new
//! household's member is a probable duplicate of a member already recorded in the same village
//! when their names read the same word by word (through the script-independent name key, so
//! "Kamla Devi" and "कमला देवी" match), or one name is the other's first words (as "कमला" of
//! "कमला देवी"), and their ages are within three years, or either age is unknown. The form warns and lets her open the household
//! already there or save anyway: a warning, never a refusal, since two women of one name and
//! age do live in one village.

use chrono::NaiveDate;
use samanvaya_domain::name_key::name_key;
use samanvaya_domain::{Birth, HouseholdId, HouseholdInput};
use serde::Serialize;
use ts_rs::TS;

use crate::error::StoreError;
use crate::sql;
use crate::store::Store;

/// How far apart two ages may be for one person recorded twice: a stated age is often a guess.
const AGE_SLACK_YEARS: i64 = 3;

/// A member already recorded who may be one of the new household's members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Duplicate {
    pub household_id: HouseholdId,
    #[ts(type = "number | null")]
    pub number: Option<i64>,
    /// The name as recorded there.
    pub name: String,
    pub age: Option<u32>,
    /// The name typed on the new household's form that matched it.
    pub typed: String,
}

fn age(birth: Option<NaiveDate>, today: NaiveDate) -> Option<u32> {
    birth.and_then(|b| today.years_since(b))
}

/// A name as the keys of its words, in order.
fn words(name: &str) -> Vec<String> {
    name.split_whitespace().map(name_key).filter(|k| !k.is_empty()).collect()
}

/// The same words, or the shorter name the first words of the longer.
fn similar(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    !short.is_empty() && long.starts_with(short)
}

impl Store {
    /// The members of other households of the same village who may be the same people as the
    /// new household `input`'s; empty for an edit of a household already recorded.
    pub fn possible_duplicates(
        &self,
        input: &HouseholdInput,
        today: NaiveDate,
    ) -> Result<Vec<Duplicate>, StoreError> {
        if input.id.is_some() {
            return Ok(Vec::new());
        }
        let typed: Vec<(String, Vec<String>, Option<u32>)> = input
            .members
            .iter()
            .map(|m| {
                let years = match m.birth {
                    Birth::Date { date } => age(Some(date), today),
                    Birth::Age { years } => Some(years),
                    Birth::Unknown => None,
                };
                (m.name.trim().to_owned(), words(&m.name), years)
            })
            .filter(|(_, key, _)| !key.is_empty())
            .collect();
        if typed.is_empty() {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT h.id, h.number, p.name, p.birth_date FROM person p JOIN household h ON h.id = p.household_id
             WHERE h.village_id = ?1 AND p.left_reason IS NULL ORDER BY h.number, p.position",
        )?;
        let mut rows = stmt.query([input.village_id.to_string()])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let recorded_name: String = r.get(2)?;
            let key = words(&recorded_name);
            let birth: Option<NaiveDate> = r.get(3)?;
            let recorded = age(birth, today);
            for (name, typed_key, years) in &typed {
                let close = match (recorded, years) {
                    (Some(a), Some(b)) => (i64::from(a) - i64::from(*b)).abs() <= AGE_SLACK_YEARS,
                    _ => true,
                };
                if close && similar(typed_key, &key) {
                    out.push(Duplicate {
                        household_id: sql::id(r, 0)?,
                        number: r.get(1)?,
                        name: recorded_name.clone(),
                        age: recorded,
                        typed: name.clone(),
                    });
                    break;
                }
            }
        }
        Ok(out)
    }
}
