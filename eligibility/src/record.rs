//! The one mapping from Samanvaya's records to the fact vocabulary.
//!
//! A household's facts come from two places: the person record (date of birth, sex, relation to
//! the head), the village's place in the hierarchy (state, rural or urban), and the recorded
//! `fact` and `receiving` rows. [`entries`] turns all of them into one list of [`Entry`]; the
//! profile writer, the per-household loader and (through the profile) the bulk reader all start
//! from that list, so the mapping is written once. This module is a leaf: it imports nothing
//! else of this crate.

use samanvaya_domain::{Household, Relation, Sex};
use samanvaya_rules::facts::days_from_date;

/// The fact kept on the person record rather than in the fact rows; answering it updates the
/// person's birth date (a date, or an age that becomes an estimated date).
pub const DATE_OF_BIRTH: &str = "person.date_of_birth";
pub const SEX: &str = "person.sex";
pub const RELATION_TO_HEAD: &str = "person.relation_to_head";
pub const STATE: &str = "household.state";
pub const RURAL_URBAN: &str = "household.rural_urban";

/// Every place in the hierarchy today is a village; urban wards arrive with the urban centres.
pub const RURAL: &str = "rural";

/// Whose fact an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Who {
    Household,
    /// The member at this position of the household's member list.
    Member(usize),
}

/// A fact value typed by its shape; the vocabulary decides its meaning when it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    /// A decimal number in thousandths.
    Milli(i64),
    /// Days since 1970-01-01.
    Date(i64),
    Word(String),
    Words(Vec<String>),
}

/// One thing known of a household or a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Fact {
        who: Who,
        name: String,
        value: Value,
    },
    /// The subject already receives the scheme with this code.
    Receiving {
        who: Who,
        scheme: String,
    },
}

/// A stored fact row: whose it is (a person's or the household's id), its full name, and its
/// value as JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedFact {
    pub subject_id: String,
    pub name: String,
    pub value: String,
}

/// A stored receiving row: whose it is and the scheme's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedReceiving {
    pub subject_id: String,
    pub scheme: String,
}

/// The vocabulary's `person.relation_to_head` value of a recorded relation.
pub fn relation_value(r: Relation) -> &'static str {
    match r {
        Relation::Head => "head",
        Relation::Spouse => "spouse",
        Relation::Son => "son",
        Relation::Daughter => "daughter",
        Relation::SonInLaw => "son_in_law",
        Relation::DaughterInLaw => "daughter_in_law",
        Relation::Grandson | Relation::Granddaughter => "grandchild",
        Relation::Father | Relation::Mother => "parent",
        Relation::FatherInLaw | Relation::MotherInLaw => "parent_in_law",
        Relation::Brother | Relation::Sister => "sibling",
        Relation::BrotherInLaw | Relation::SisterInLaw | Relation::OtherRelative => "other_relative",
        Relation::NotRelated => "non_relative",
    }
}

/// The vocabulary's `person.sex` value of a recorded sex.
pub fn sex_value(s: Sex) -> &'static str {
    match s {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "transgender",
    }
}

/// The vocabulary's `household.state` value of a state, from its English name.
pub fn state_value(state_name_en: Option<&str>) -> &'static str {
    match state_name_en.map(str::to_lowercase).as_deref() {
        Some("bihar") => "bihar",
        Some("delhi") | Some("nct of delhi") => "delhi",
        _ => "other",
    }
}

/// A stored JSON value as an entry value, typed by its shape; `None` for null or an object.
pub fn value_of_json(value: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    match value {
        J::Bool(b) => Some(Value::Bool(*b)),
        J::Number(n) => Some(match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Milli((n.as_f64().unwrap_or(0.0) * 1000.0).round() as i64),
        }),
        J::String(s) => Some(match s.parse::<chrono::NaiveDate>() {
            Ok(d) => Value::Date(days_from_date(d)),
            Err(_) => Value::Word(s.clone()),
        }),
        J::Array(items) => {
            Some(Value::Words(items.iter().filter_map(J::as_str).map(str::to_owned).collect()))
        }
        J::Null | J::Object(_) => None,
    }
}

/// Everything known of `h`: its record, its village's `state` (a value of [`state_value`]), and
/// its recorded facts and receiving rows. Rows of a subject that is not in the household (a
/// member removed since) are left out; a fact whose JSON does not parse is left out too, since
/// unknown is never guessed.
pub fn entries(
    h: &Household,
    state: &str,
    facts: &[RecordedFact],
    receiving: &[RecordedReceiving],
) -> Vec<Entry> {
    let hid = h.id.to_string();
    let member_ids: Vec<String> = h.members.iter().map(|p| p.id.to_string()).collect();
    let who_of = |subject: &str| -> Option<Who> {
        if subject == hid {
            return Some(Who::Household);
        }
        member_ids.iter().position(|id| id == subject).map(Who::Member)
    };
    let fact = |who, name: &str, value| Entry::Fact { who, name: name.to_owned(), value };
    let mut out = Vec::with_capacity(2 + 3 * h.members.len() + facts.len() + receiving.len());
    out.push(fact(Who::Household, STATE, Value::Word(state.to_owned())));
    out.push(fact(Who::Household, RURAL_URBAN, Value::Word(RURAL.to_owned())));
    for (i, p) in h.members.iter().enumerate() {
        let who = Who::Member(i);
        if let Some(b) = p.birth_date {
            out.push(fact(who, DATE_OF_BIRTH, Value::Date(days_from_date(b))));
        }
        out.push(fact(who, SEX, Value::Word(sex_value(p.sex).to_owned())));
        out.push(fact(who, RELATION_TO_HEAD, Value::Word(relation_value(p.relation).to_owned())));
    }
    for f in facts {
        let Some(who) = who_of(&f.subject_id) else { continue };
        let Some(value) = serde_json::from_str(&f.value).ok().as_ref().and_then(value_of_json) else {
            continue;
        };
        out.push(Entry::Fact { who, name: f.name.clone(), value });
    }
    for r in receiving {
        if let Some(who) = who_of(&r.subject_id) {
            out.push(Entry::Receiving { who, scheme: r.scheme.clone() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_typed_by_their_shape() {
        let cases = [
            ("true", Some(Value::Bool(true))),
            ("42", Some(Value::Int(42))),
            ("2.5", Some(Value::Milli(2500))),
            ("\"1970-01-11\"", Some(Value::Date(10))),
            ("\"bpl\"", Some(Value::Word("bpl".into()))),
            ("[\"a\",\"b\"]", Some(Value::Words(vec!["a".into(), "b".into()]))),
            ("null", None),
            ("{}", None),
        ];
        for (json, want) in cases {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(value_of_json(&v), want, "{json}");
        }
    }

    #[test]
    fn states_are_matched_by_name_whatever_the_case() {
        assert_eq!(state_value(Some("Bihar")), "bihar");
        assert_eq!(state_value(Some("NCT of Delhi")), "delhi");
        assert_eq!(state_value(Some("Odisha")), "other");
        assert_eq!(state_value(None), "other");
    }
}
