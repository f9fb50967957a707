//! Turns a finished survey into what it records: the household's and each member's facts, in
//! the fact vocabulary's terms, and the fields of the household record. The result has the
//! shape of `docs/eligibility-facts.md`, so the engine reads a survey exactly as it reads any
//! household.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use samanvaya_domain::Birth;
use samanvaya_rules::vocabulary::{FactType, Scope};
use samanvaya_rules::{Catalogue, Text};
use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::answer::{Slot, State};
use crate::definition::{Form, Kind, RecordField, Target};
use crate::mapping::{DONT_KNOW, NONE};

/// What a survey records, for the household and for each member of the roster.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SurveyFacts {
    /// Whether the respondent consented; `None` when the form asks no consent.
    pub consent: Option<bool>,
    pub hamlet: Option<String>,
    pub phone: Option<String>,
    /// Household facts by name without the `household.` prefix. `null` is "asked, not known".
    pub household: BTreeMap<String, Json>,
    pub receiving: Vec<String>,
    pub members: Vec<MemberFacts>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MemberFacts {
    pub name: Option<String>,
    /// Person facts by name without the `person.` prefix.
    pub facts: BTreeMap<String, Json>,
    /// Whether the date of birth was worked out from a stated age.
    pub birth_estimated: bool,
    pub receiving: Vec<String>,
}

/// An answer that cannot become its fact (a calculation that gave something the fact cannot
/// hold): the survey cannot be finished until the form or the answer is fixed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FactProblem {
    pub slot: Slot,
    pub message: Text,
}

/// The facts `state` (the form's logic over the finished answers) records, as of `today`.
pub fn facts(
    form: &Form,
    state: &State,
    catalogue: &Catalogue,
    today: NaiveDate,
) -> Result<SurveyFacts, Vec<FactProblem>> {
    let vocab = &catalogue.vocab;
    let mut out = SurveyFacts::default();
    let count = form.members.as_ref().and_then(|m| state.instances.get(m)).copied().unwrap_or(0);
    out.members = vec![MemberFacts::default(); count];
    let mut problems = Vec::new();
    // A date of birth typed in wins over an age stated for the same person.
    let mut stated_ages: Vec<(Option<usize>, String, Json)> = Vec::new();
    for item in form.walk() {
        let Some(target) = item.target else { continue };
        let on_roster = form.places[&item.name].repeat.is_some();
        let slots: Vec<Option<usize>> = if on_roster { (0..count).map(Some).collect() } else { vec![None] };
        for instance in slots {
            let value = state.value(&item.name, instance);
            if value.is_empty() && !matches!(target, Target::Record(RecordField::Consent)) {
                continue;
            }
            let problem = |en: String, hi: String| FactProblem {
                slot: Slot { name: item.name.clone(), instance },
                message: Text { en, hi },
            };
            match target {
                Target::Record(RecordField::Members) => {}
                Target::Record(RecordField::Consent) => {
                    out.consent = Some(matches!(value.to_lowercase().as_str(), "yes" | "ok"))
                }
                Target::Record(RecordField::MemberName) => {
                    if let Some(m) = instance.and_then(|i| out.members.get_mut(i)) {
                        m.name = Some(value.to_owned());
                    }
                }
                Target::Record(RecordField::Hamlet) => out.hamlet = Some(value.to_owned()),
                Target::Record(RecordField::Phone) => out.phone = Some(value.to_owned()),
                Target::Receiving => {
                    let codes: Vec<String> =
                        value.split_whitespace().filter(|c| *c != NONE).map(str::to_owned).collect();
                    match instance.and_then(|i| out.members.get_mut(i)) {
                        Some(m) => m.receiving.extend(codes),
                        None => out.receiving.extend(codes),
                    }
                }
                Target::ByChoice => {
                    let picked: Vec<&str> = value.split_whitespace().collect();
                    let Kind::SelectMultiple { list, .. } = &item.kind else { continue };
                    for c in &form.lists[list].choices {
                        let Some(id) = c.columns.get("fact").and_then(|f| vocab.id(f.trim())) else {
                            continue;
                        };
                        let json = if picked.contains(&DONT_KNOW) {
                            Json::Null
                        } else {
                            json!(picked.contains(&c.name.as_str()))
                        };
                        let short = short_name(&vocab.get(id).name).to_owned();
                        match instance.and_then(|i| out.members.get_mut(i)) {
                            Some(m) => m.facts.insert(short, json),
                            None => out.household.insert(short, json),
                        };
                    }
                }
                Target::StatedAge(base) => {
                    let years = value.trim().parse::<u32>();
                    let date = years.ok().and_then(|y| Birth::Age { years: y }.resolve(today).0);
                    match date {
                        Some(d) => {
                            let short = short_name(&vocab.get(base).name).to_owned();
                            stated_ages.push((instance, short, json!(d.format("%Y-%m-%d").to_string())));
                        }
                        None => problems.push(problem(
                            format!("The age '{value}' cannot be turned into a date of birth."),
                            format!("उम्र '{value}' से जन्म तिथि नहीं बनती।"),
                        )),
                    }
                }
                Target::Fact(id) => {
                    let fact = vocab.get(id);
                    match convert(&fact.ty, &item.kind, value) {
                        Ok(json) => {
                            let short = short_name(&fact.name).to_owned();
                            let json = json.unwrap_or(Json::Null);
                            match (fact.scope, instance.and_then(|i| out.members.get_mut(i))) {
                                (Scope::Person, Some(m)) => {
                                    m.facts.insert(short, json);
                                }
                                _ => {
                                    out.household.insert(short, json);
                                }
                            }
                        }
                        Err(expected) => problems.push(problem(
                            format!("The answer '{value}' cannot be recorded as {} ({expected}).", fact.en),
                            format!(
                                "जवाब '{value}' को {} के रूप में दर्ज नहीं किया जा सकता ({expected})।",
                                fact.hi
                            ),
                        )),
                    }
                }
            }
        }
    }
    for (instance, name, date) in stated_ages {
        if let Some(m) = instance.and_then(|i| out.members.get_mut(i))
            && m.facts.get(&name).is_none_or(|v| v.is_null())
        {
            m.facts.insert(name, date);
            m.birth_estimated = true;
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}

fn short_name(name: &str) -> &str {
    name.split_once('.').map_or(name, |(_, n)| n)
}

/// The fact value of an answer; `Ok(None)` is "asked, not known". The error names what the
/// fact expects.
fn convert(ty: &FactType, kind: &Kind, value: &str) -> Result<Option<Json>, &'static str> {
    let v = value.trim();
    if v == DONT_KNOW || (v == "other" && matches!(kind, Kind::SelectOne { other: true, .. })) {
        return Ok(None);
    }
    let number = || v.parse::<f64>().ok().filter(|f| f.is_finite());
    match ty {
        FactType::Bool => match v.to_lowercase().as_str() {
            "yes" | "ok" | "true" | "1" => Ok(Some(json!(true))),
            "no" | "false" | "0" => Ok(Some(json!(false))),
            _ => Err("yes or no"),
        },
        FactType::Int => match number() {
            Some(f) if f.fract() == 0.0 => Ok(Some(json!(f as i64))),
            _ => Err("a whole number"),
        },
        FactType::Money => number().map(|f| Some(json!(f.round() as i64))).ok_or("an amount in rupees"),
        FactType::Decimal => number().map(|f| Some(json!(f))).ok_or("a number"),
        FactType::Date => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|d| Some(json!(d.format("%Y-%m-%d").to_string())))
            .map_err(|_| "a date"),
        FactType::Enum(values) => {
            if values.iter().any(|x| x == v) {
                Ok(Some(json!(v)))
            } else {
                Err("one of the fact's values")
            }
        }
        FactType::Set(values) => {
            let picked: Vec<&str> = v.split_whitespace().collect();
            if picked.contains(&DONT_KNOW) {
                return Ok(None);
            }
            let picked: Vec<&str> = picked
                .into_iter()
                .filter(|p| {
                    *p != NONE && !(*p == "other" && matches!(kind, Kind::SelectMultiple { other: true, .. }))
                })
                .collect();
            if picked.iter().all(|p| values.iter().any(|x| x == p)) {
                Ok(Some(json!(picked)))
            } else {
                Err("values of the fact")
            }
        }
    }
}

impl SurveyFacts {
    /// The household in the format of `docs/eligibility-facts.md`, which
    /// `samanvaya eligibility --facts` reads.
    pub fn to_eligibility_json(&self) -> Json {
        let mut household = serde_json::Map::new();
        for (k, v) in &self.household {
            household.insert(k.clone(), v.clone());
        }
        if !self.receiving.is_empty() {
            household.insert("receiving".into(), json!(self.receiving));
        }
        let members: Vec<Json> = self
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut o = serde_json::Map::new();
                o.insert("id".into(), json!((i + 1).to_string()));
                if let Some(n) = &m.name {
                    o.insert("name".into(), json!(n));
                }
                for (k, v) in &m.facts {
                    o.insert(k.clone(), v.clone());
                }
                if !m.receiving.is_empty() {
                    o.insert("receiving".into(), json!(m.receiving));
                }
                Json::Object(o)
            })
            .collect();
        json!({ "household": household, "members": members })
    }
}
