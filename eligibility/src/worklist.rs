//! The families behind one number of the village tally: who is eligible for a scheme and not yet
//! receiving it, and whose decision still waits on an answer, with the questions to ask. This is
//! what the Samiti works through at its meeting, hamlet by hamlet, and what the facilitator
//! prints or exports for the visits that follow.

use chrono::NaiveDate;
use samanvaya_domain::{Household, Location, Relation};
use samanvaya_rules::{Catalogue, HouseholdFacts, Outcome, assess};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::csv;
use crate::review::Lang;
use crate::view::{Bilingual, OutcomeKind, SchemeInfo, applies_in, household_states, question_of};

/// One scheme's worklist over the village.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Worklist {
    pub as_of: NaiveDate,
    pub scheme: SchemeInfo,
    /// The eligible first, then the undetermined; within each, by hamlet and household number.
    pub rows: Vec<WorklistRow>,
}

/// One person (or, for a household scheme, one household) on the worklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct WorklistRow {
    pub household_id: String,
    #[ts(type = "number | null")]
    pub number: Option<i64>,
    pub head_name: String,
    pub hamlet_id: Option<String>,
    pub hamlet: Option<Bilingual>,
    /// The member the decision is about; none for a household scheme.
    pub member_id: Option<String>,
    pub member_name: Option<String>,
    /// `eligible` or `undetermined`: the two outcomes the Samiti can act on.
    pub outcome: OutcomeKind,
    /// Eligible here, but counted under this other scheme of the same exclusive group: she
    /// will get one of the two, so the worklist says which one the tally counted.
    pub counted_under: Option<Bilingual>,
    /// For an undetermined decision, the questions whose answers would decide it.
    pub ask: Vec<Bilingual>,
}

/// A household as the worklist names it: its number, its head and its hamlet.
#[derive(Debug, Clone)]
pub struct Family {
    pub id: String,
    pub number: Option<i64>,
    pub head_name: String,
    pub hamlet_id: Option<String>,
    pub hamlet: Option<Bilingual>,
}

impl Family {
    /// The household's head by relation, or its first member when none is marked head.
    pub fn of(h: &Household, hamlet: Option<&Location>) -> Family {
        let head = h.members.iter().find(|p| p.relation == Relation::Head).or(h.members.first());
        Family {
            id: h.id.to_string(),
            number: h.number,
            head_name: head.map(|p| p.name.clone()).unwrap_or_default(),
            hamlet_id: hamlet.map(|l| l.id.to_string()),
            hamlet: hamlet.map(|l| Bilingual { en: l.name_en.clone(), hi: l.name_hi.clone() }),
        }
    }
}

/// The catalogue index of the scheme with `code`.
pub fn scheme_index(cat: &Catalogue, code: &str) -> Option<usize> {
    cat.schemes.iter().position(|s| s.code == code)
}

/// The worklist rows of one household for the scheme at `scheme`: none when the scheme cannot
/// apply in the household's state or is not in force on `as_of`.
pub fn rows(
    cat: &Catalogue,
    scheme: usize,
    family: &Family,
    facts: &HouseholdFacts,
    as_of: NaiveDate,
) -> Vec<WorklistRow> {
    if !applies_in(&cat.schemes[scheme], &household_states(cat, std::slice::from_ref(facts))) {
        return Vec::new();
    }
    assess(cat, facts, as_of)
        .into_iter()
        .filter(|f| f.scheme == scheme && matches!(f.outcome, Outcome::Eligible | Outcome::Undetermined))
        .map(|f| {
            let mut ask: Vec<Bilingual> = Vec::new();
            for m in &f.missing {
                let question = question_of(cat, m.fact);
                // A question about another member than the one the decision is about (her
                // husband's income, say) names that member, or it would be asked of the wrong one.
                let label = match m.member {
                    Some(i) if Some(i) != f.member => {
                        let who = &facts.members[i].name;
                        Bilingual {
                            en: format!("{who}: {}", question.en),
                            hi: format!("{who}: {}", question.hi),
                        }
                    }
                    _ => question,
                };
                if !ask.contains(&label) {
                    ask.push(label);
                }
            }
            WorklistRow {
                household_id: family.id.clone(),
                number: family.number,
                head_name: family.head_name.clone(),
                hamlet_id: family.hamlet_id.clone(),
                hamlet: family.hamlet.clone(),
                member_id: f.member.map(|i| facts.members[i].id.clone()),
                member_name: f.member.map(|i| facts.members[i].name.clone()),
                outcome: f.outcome.into(),
                counted_under: f.counted_under.map(|i| (&cat.schemes[i].name).into()),
                ask,
            }
        })
        .collect()
}

/// Puts the eligible before the undetermined, and each group in hamlet and household order, so
/// that a printed list can be walked lane by lane.
pub fn sort(rows: &mut [WorklistRow]) {
    rows.sort_by(|a, b| {
        let rank = |r: &WorklistRow| r.outcome != OutcomeKind::Eligible;
        let hamlet = |r: &WorklistRow| r.hamlet.as_ref().map(|h| h.en.clone());
        (rank(a), hamlet(a), a.number.is_none(), a.number, &a.household_id).cmp(&(
            rank(b),
            hamlet(b),
            b.number.is_none(),
            b.number,
            &b.household_id,
        ))
    });
}

/// The worklist as CSV in one language, with a header line; `hamlet` keeps one hamlet's rows.
pub fn csv(w: &Worklist, lang: Lang, hamlet: Option<&str>) -> String {
    let header = match lang {
        Lang::En => ["scheme", "status", "household_number", "head", "hamlet", "member", "note", "ask"],
        Lang::Hi => ["योजना", "स्थिति", "परिवार_नंबर", "मुखिया", "टोला", "सदस्य", "टिप्पणी", "क्या_पूछें"],
    };
    let mut out = csv::line(&header);
    let scheme = match lang {
        Lang::En => &w.scheme.name.en,
        Lang::Hi => &w.scheme.name.hi,
    };
    let pick = |b: &Bilingual| match lang {
        Lang::En => b.en.clone(),
        Lang::Hi => b.hi.clone(),
    };
    for r in w.rows.iter().filter(|r| hamlet.is_none_or(|h| r.hamlet_id.as_deref() == Some(h))) {
        let status = match r.outcome {
            OutcomeKind::Eligible => lang.say("eligible, not yet receiving", "पात्र, अभी नहीं मिल रही"),
            _ => lang.say("not yet decided", "अभी तय नहीं"),
        };
        let note = r.counted_under.as_ref().map(|c| match lang {
            Lang::En => format!("also eligible for {}: only one of the two is paid", c.en),
            Lang::Hi => format!("{} के लिए भी पात्र: दोनों में से एक ही मिलेगी", c.hi),
        });
        let ask: Vec<String> = r.ask.iter().map(pick).collect();
        out.push_str(&csv::line(&[
            scheme.clone(),
            status.to_owned(),
            r.number.map(|n| n.to_string()).unwrap_or_default(),
            r.head_name.clone(),
            r.hamlet.as_ref().map(pick).unwrap_or_default(),
            r.member_name.clone().unwrap_or_default(),
            note.unwrap_or_default(),
            ask.join("; "),
        ]));
    }
    out
}
