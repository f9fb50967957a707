//! Recording the facilitator's answer to a question, with its change, in one transaction.

use rusqlite::Connection;
use samanvaya_domain::change::{ChangeBody, FactChange, Source};
use samanvaya_domain::household::FieldErrorCode;
use samanvaya_domain::person::MAX_AGE_YEARS;
use samanvaya_domain::{Birth, FieldError, HouseholdId, Moment, PersonId, ValidationError};
use samanvaya_eligibility::record::DATE_OF_BIRTH;
use samanvaya_rules::Catalogue;
use samanvaya_rules::facts::parse_value;
use samanvaya_rules::vocabulary::Scope;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::StoreError;
use crate::{change_log, fact, household};

/// An answer to one question: a fact of the household (no `member_id`) or of one member.
/// `value` is `null` for "not known": the question was asked and the family did not know. That
/// replaces what was recorded, reads as unknown to the engine, and moves the question down the
/// "ask next" list, since asking it again at once is unlikely to help.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FactAnswer {
    pub household_id: HouseholdId,
    pub member_id: Option<PersonId>,
    pub fact: String,
    #[ts(type = "unknown")]
    pub value: serde_json::Value,
}

fn refuse(field: &str, code: FieldErrorCode) -> StoreError {
    StoreError::Invalid(ValidationError(vec![FieldError { field: field.into(), code }]))
}

/// Records `answer` from a screening at `at`; the caller owns the transaction.
pub fn record(conn: &Connection, cat: &Catalogue, answer: &FactAnswer, at: Moment) -> Result<(), StoreError> {
    let mut h = household::get(conn, answer.household_id)?
        .ok_or_else(|| StoreError::NotFound { what: "household", id: answer.household_id.to_string() })?;
    let id = cat.vocab.id(&answer.fact).ok_or_else(|| refuse("fact", FieldErrorCode::UnknownFact))?;
    let def = cat.vocab.get(id);
    let member = match (def.scope, answer.member_id) {
        (Scope::Household, None) => None,
        (Scope::Person, Some(pid)) => {
            Some(h.members.iter().position(|p| p.id == pid).ok_or_else(|| StoreError::NotFound {
                what: "member of this household",
                id: pid.to_string(),
            })?)
        }
        _ => return Err(refuse("member_id", FieldErrorCode::UnknownFact)),
    };

    if answer.fact == DATE_OF_BIRTH {
        // The birth date lives on the person record: a date, an age in years, or not known.
        let birth = match &answer.value {
            serde_json::Value::Null => Birth::Unknown,
            serde_json::Value::String(s) => {
                Birth::Date { date: s.parse().map_err(|_| refuse("value", FieldErrorCode::InvalidValue))? }
            }
            v => Birth::Age {
                years: v
                    .as_u64()
                    .and_then(|y| u32::try_from(y).ok())
                    .ok_or_else(|| refuse("value", FieldErrorCode::InvalidValue))?,
            },
        };
        let today = at.today;
        match birth {
            Birth::Date { date } if date > today => {
                return Err(refuse("value", FieldErrorCode::BirthInFuture));
            }
            Birth::Age { years } if years > MAX_AGE_YEARS => {
                return Err(refuse("value", FieldErrorCode::AgeTooHigh));
            }
            _ => {}
        }
        let before = h.clone();
        let person = &mut h.members[member.expect("a person fact has a member")];
        (person.birth_date, person.birth_date_estimated) = birth.resolve(today);
        h.updated_at = at.utc;
        household::write(conn, Some(&before), &h, at)?;
        return Ok(());
    }
    if def.derived.is_some() {
        return Err(refuse("fact", FieldErrorCode::UnknownFact));
    }
    let parsed =
        parse_value(&def.ty, &answer.value).map_err(|_| refuse("value", FieldErrorCode::InvalidValue))?;
    let hid = h.id.to_string();
    let subject = match member {
        Some(i) => h.members[i].id.to_string(),
        None => hid.clone(),
    };
    let source = Source::Screening;
    // A "not known" is kept as a row whose value is JSON null, with when it was asked.
    let stored = if parsed.is_some() { answer.value.to_string() } else { "null".to_owned() };
    fact::set(conn, &subject, &def.name, &stored, source, at.utc)?;
    let value = parsed.map(|_| answer.value.clone());
    let change =
        FactChange { household_id: h.id, subject_id: subject, name: def.name.clone(), value, source };
    change_log::record(conn, ChangeBody::Fact(change), at)?;
    crate::profile::refresh(conn, &h)?;
    Ok(())
}
