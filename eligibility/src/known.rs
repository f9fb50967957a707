//! What is known of a household and of each member, fact by fact in words: the profile the
//! household page shows beside the decisions, so that the facilitator sees what was recorded
//! (and by its absence what is still to ask) without opening the survey.

use chrono::NaiveDate;
use samanvaya_rules::assess::display;
use samanvaya_rules::facts::{days_from_date, elapsed};
use samanvaya_rules::vocabulary::{Derivation, FactType, Scope};
use samanvaya_rules::{Catalogue, HouseholdFacts};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::view::{Audience, Bilingual};

/// One known fact: its label and its value in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct KnownFact {
    pub fact: String,
    pub label: Bilingual,
    pub value: Bilingual,
}

/// What is known of one member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MemberProfile {
    pub id: String,
    pub name: String,
    pub facts: Vec<KnownFact>,
    /// The schemes the member already receives, by name.
    pub receiving: Vec<Bilingual>,
}

/// What is known of the household and of each member who lives there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HouseholdProfile {
    pub household: Vec<KnownFact>,
    pub receiving: Vec<Bilingual>,
    pub members: Vec<MemberProfile>,
    /// How many sensitive facts were left out for this audience (a Samiti viewer).
    pub hidden: u32,
}

/// The known facts of one row (the household's, or a member's), in the vocabulary's order
/// within each kind (see below). Of
/// the facts worked out from others only an age in years is shown: the date it comes from is
/// shown too, and "days since the last delivery" would only repeat a date.
fn known(
    cat: &Catalogue,
    scope: Scope,
    row: &[Option<i64>],
    as_of: i64,
    audience: Audience,
    hidden: &mut u32,
) -> Vec<KnownFact> {
    let mut out = Vec::new();
    for def in cat.vocab.facts().iter().filter(|d| d.scope == scope) {
        let value = match def.derived {
            None => row[def.slot],
            Some(d @ Derivation::YearsSince(base)) => {
                row[cat.vocab.get(base).slot].and_then(|from| elapsed(from, as_of, d.unit()))
            }
            Some(_) => None,
        };
        let Some(value) = value else { continue };
        if cat.vocab.is_sensitive(def.id) && audience == Audience::Restricted {
            *hidden += 1;
            continue;
        }
        // What reads as a description (a date, a word, a number) comes first, then what is
        // true of her, then the long tail of what is not: "not a government employee" matters
        // to a rule, but is the least a facilitator looks for.
        let rank = match def.ty {
            FactType::Bool if value != 0 => 1,
            FactType::Bool => 2,
            _ => 0,
        };
        out.push((
            rank,
            KnownFact {
                fact: def.name.clone(),
                label: Bilingual { en: def.en.clone(), hi: def.hi.clone() },
                value: (&display(&cat.vocab, def.id, Some(value))).into(),
            },
        ));
    }
    out.sort_by_key(|(rank, _)| *rank);
    out.into_iter().map(|(_, f)| f).collect()
}

fn scheme_names(cat: &Catalogue, codes: &[String]) -> Vec<Bilingual> {
    codes
        .iter()
        .map(|c| {
            cat.scheme(c).map_or_else(|| Bilingual { en: c.clone(), hi: c.clone() }, |s| (&s.name).into())
        })
        .collect()
}

/// The profile of the household whose facts are `facts`, ages counted to `as_of`; for a
/// restricted audience without the vocabulary's sensitive facts.
pub fn household(
    cat: &Catalogue,
    facts: &HouseholdFacts,
    as_of: NaiveDate,
    audience: Audience,
) -> HouseholdProfile {
    let day = days_from_date(as_of);
    let mut hidden = 0;
    let household = known(cat, Scope::Household, &facts.values, day, audience, &mut hidden);
    let members = facts
        .members
        .iter()
        .map(|m| MemberProfile {
            id: m.id.clone(),
            name: m.name.clone(),
            facts: known(cat, Scope::Person, &m.values, day, audience, &mut hidden),
            receiving: scheme_names(cat, &m.receiving),
        })
        .collect();
    HouseholdProfile { household, receiving: scheme_names(cat, &facts.receiving), members, hidden }
}
