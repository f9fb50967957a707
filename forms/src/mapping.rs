//! Checks the survey sheet's `fact` column: each answer that matters for eligibility names the
//! fact of the vocabulary it records, and the answer's type must be able to carry that fact's
//! values. A mistake here would feed the engine wrong facts silently, so it is a load error.

use std::collections::HashSet;

use samanvaya_rules::Catalogue;
use samanvaya_rules::vocabulary::{Derivation, FactType, Scope};

use crate::definition::{Form, Item, Kind, RecordField, Target};

/// Choice names that mean "asked, but the family does not know" rather than a value.
pub const DONT_KNOW: &str = "dont_know";
/// The choice of a multiple select that means "none of these".
pub const NONE: &str = "none";

/// The result of checking the mapping: targets by item name, or problems by row.
#[derive(Default)]
pub struct Mapping {
    pub targets: Vec<(String, Target)>,
    pub problems: Vec<(usize, String)>,
    pub consent: Option<String>,
    pub members: Option<String>,
}

fn record_field(s: &str) -> Option<RecordField> {
    RecordField::ALL.iter().find(|(n, _)| *n == s).map(|(_, f)| *f)
}

pub fn check(form: &Form, catalogue: &Catalogue) -> Mapping {
    let mut m = Mapping::default();
    let vocab = &catalogue.vocab;
    let items = form.walk();
    // The roster and the consent question first: the other checks are relative to them.
    for item in &items {
        match item.maps_to.as_deref().and_then(record_field) {
            Some(RecordField::Members) => {
                if item.kind != Kind::Repeat {
                    m.problems.push((
                        item.row,
                        "record.members goes on a begin repeat: each instance is a member".into(),
                    ));
                } else if let Some(first) = &m.members {
                    m.problems.push((item.row, format!("the repeat '{first}' is already the member roster")));
                } else {
                    m.members = Some(item.name.clone());
                }
            }
            Some(RecordField::Consent) => {
                let yes_no = matches!(&item.kind, Kind::SelectOne { list, .. }
                    if form.lists.get(list).is_some_and(|l| l.choices.iter().any(|c| c.name == "yes")));
                if item.kind != Kind::Acknowledge && !yes_no {
                    m.problems.push((
                        item.row,
                        "record.consent goes on an acknowledge or on a select_one with a 'yes' choice".into(),
                    ));
                } else if form.places[&item.name].repeat.is_some() {
                    m.problems.push((
                        item.row,
                        "the consent question belongs to the household, outside any repeat".into(),
                    ));
                } else if let Some(first) = &m.consent {
                    m.problems.push((item.row, format!("'{first}' is already the consent question")));
                } else {
                    m.consent = Some(item.name.clone());
                }
            }
            _ => {}
        }
    }
    let consent_order = m.consent.as_ref().map(|c| form.places[c].order);
    let schemes: HashSet<&str> = catalogue.schemes.iter().map(|s| s.code.as_str()).collect();
    for item in &items {
        let Some(raw) = item.maps_to.as_deref() else { continue };
        let place = &form.places[&item.name];
        let in_roster = place.repeat.is_some() && place.repeat == m.members;
        let result = target(form, item, raw, in_roster, place.repeat.as_deref(), vocab, &schemes);
        let target = match result {
            Ok(t) => t,
            Err(reason) => {
                m.problems.push((item.row, reason));
                continue;
            }
        };
        let personal = !matches!(target, Target::Record(RecordField::Consent));
        if personal {
            match consent_order {
                None => m.problems.push((
                    item.row,
                    format!(
                        "'{}' records personal data, but the form asks no consent: add an acknowledge or yes/no question with fact record.consent before it",
                        item.name
                    ),
                )),
                Some(c) if place.order < c => m.problems.push((
                    item.row,
                    format!("'{}' records personal data but comes before the consent question '{}'; move it after", item.name, m.consent.as_deref().unwrap_or("")),
                )),
                Some(_) => {}
            }
        }
        m.targets.push((item.name.clone(), target));
    }
    m
}

fn target(
    form: &Form,
    item: &Item,
    raw: &str,
    in_roster: bool,
    repeat: Option<&str>,
    vocab: &samanvaya_rules::Vocabulary,
    schemes: &HashSet<&str>,
) -> Result<Target, String> {
    let name = &item.name;
    if let Some(field) = record_field(raw) {
        let ok = match field {
            RecordField::Members | RecordField::Consent => true,
            RecordField::MemberName => {
                if !in_roster {
                    return Err("record.member_name belongs inside the member roster (the repeat with record.members)".into());
                }
                item.kind == Kind::Text
            }
            RecordField::Hamlet | RecordField::Phone => {
                if repeat.is_some() {
                    return Err(format!("{raw} belongs to the household, outside any repeat"));
                }
                item.kind == Kind::Text
            }
        };
        if !ok {
            return Err(format!("{raw} needs a text question, and '{name}' is a {}", item.kind.name()));
        }
        return Ok(Target::Record(field));
    }
    if raw.starts_with("record.") {
        let known: Vec<&str> = RecordField::ALL.iter().map(|(n, _)| *n).collect();
        return Err(format!("'{raw}' is not a record field (they are {})", known.join(", ")));
    }
    if raw == "receiving" {
        let Kind::SelectMultiple { list, .. } = &item.kind else {
            return Err(format!(
                "receiving needs a select_multiple of scheme codes, and '{name}' is a {}",
                item.kind.name()
            ));
        };
        if repeat.is_some() && !in_roster {
            return Err("receiving inside a repeat must be inside the member roster".into());
        }
        let bad: Vec<&str> = form.lists[list]
            .choices
            .iter()
            .map(|c| c.name.as_str())
            .filter(|c| *c != NONE && !schemes.contains(c))
            .collect();
        if !bad.is_empty() {
            return Err(format!(
                "the choices {} of list '{list}' are not scheme codes of the catalogue",
                bad.join(", ")
            ));
        }
        return Ok(Target::Receiving);
    }
    if raw == "by_choice" {
        let Kind::SelectMultiple { list, .. } = &item.kind else {
            return Err(format!("by_choice needs a select_multiple, and '{name}' is a {}", item.kind.name()));
        };
        if repeat.is_some() && !in_roster {
            return Err("by_choice inside a repeat must be inside the member roster".into());
        }
        for c in &form.lists[list].choices {
            if c.name == NONE || c.name == DONT_KNOW {
                continue;
            }
            let fact = c.columns.get("fact").map_or("", |f| f.trim());
            let Some(id) = vocab.id(fact) else {
                return Err(format!(
                    "with by_choice, every choice of list '{list}' names its yes/no fact in the choices sheet's fact column; '{}' has '{fact}', which is not a fact",
                    c.name
                ));
            };
            let f = vocab.get(id);
            let scope_ok = match f.scope {
                Scope::Person => in_roster,
                Scope::Household => repeat.is_none(),
            };
            if f.ty != FactType::Bool || !scope_ok || f.derived.is_some() {
                return Err(format!(
                    "the choice '{}' of list '{list}' names '{fact}', which is not a yes/no fact of the {}",
                    c.name,
                    if in_roster { "person" } else { "household" }
                ));
            }
        }
        return Ok(Target::ByChoice);
    }
    let Some(id) = vocab.id(raw) else {
        let hint = vocab.suggest(raw).map_or(String::new(), |s| format!("; did you mean '{s}'?"));
        return Err(format!("'{raw}' is not a fact of the vocabulary (schema/facts/){hint}"));
    };
    let fact = vocab.get(id);
    match (fact.scope, in_roster, repeat) {
        (Scope::Person, false, _) => {
            return Err(format!(
                "'{raw}' is a fact of a person: the question belongs inside the member roster (the repeat with record.members)"
            ));
        }
        (Scope::Household, _, Some(r)) => {
            return Err(format!(
                "'{raw}' is a fact of the household, but '{name}' is inside the repeat '{r}'"
            ));
        }
        _ => {}
    }
    if let Some(d) = fact.derived {
        let base = vocab.get(d.base());
        return match (d, &item.kind) {
            (Derivation::YearsSince(b), Kind::Integer) => Ok(Target::StatedAge(b)),
            _ => Err(format!(
                "'{raw}' is worked out from '{}'; map the question to that fact (only an age in whole years, asked as an integer, may stand for it)",
                base.name
            )),
        };
    }
    let lists = &form.lists;
    let choices = |list: &str| -> Vec<&str> { lists[list].choices.iter().map(|c| c.name.as_str()).collect() };
    let outside = |names: Vec<&str>, allowed: &[String], extra: &[&str]| -> Vec<String> {
        names
            .into_iter()
            .filter(|c| !allowed.iter().any(|a| a == c) && !extra.contains(c))
            .map(str::to_owned)
            .collect()
    };
    let mismatch = || {
        format!(
            "a {} answer cannot carry '{raw}', which is a fact of type {}",
            item.kind.name(),
            fact.ty.name()
        )
    };
    match (&fact.ty, &item.kind) {
        (_, Kind::Calculate) => {}
        (FactType::Bool, Kind::Acknowledge) => {}
        (FactType::Bool, Kind::SelectOne { list, .. }) => {
            let names = choices(list);
            let bad = outside(names.clone(), &["yes".into(), "no".into()], &[DONT_KNOW]);
            if !bad.is_empty() || !names.contains(&"yes") || !names.contains(&"no") {
                return Err(format!(
                    "'{raw}' is yes/no: the list '{list}' must have the choices yes and no (and {DONT_KNOW} if asked), not {}",
                    names.join(", ")
                ));
            }
        }
        (FactType::Int, Kind::Integer)
        | (FactType::Money | FactType::Decimal, Kind::Integer | Kind::Decimal)
        | (FactType::Date, Kind::Date) => {}
        (FactType::Enum(values), Kind::SelectOne { list, .. }) => {
            let bad = outside(choices(list), values, &[DONT_KNOW]);
            if !bad.is_empty() {
                return Err(format!(
                    "the choices {} of list '{list}' are not values of '{raw}' ({})",
                    bad.join(", "),
                    values.join(", ")
                ));
            }
        }
        (FactType::Set(values), Kind::SelectMultiple { list, .. }) => {
            let bad = outside(choices(list), values, &[DONT_KNOW, NONE]);
            if !bad.is_empty() {
                return Err(format!(
                    "the choices {} of list '{list}' are not values of '{raw}' ({})",
                    bad.join(", "),
                    values.join(", ")
                ));
            }
        }
        _ => return Err(mismatch()),
    }
    Ok(Target::Fact(id))
}
