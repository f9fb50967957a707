//! Decides every scheme of the catalogue for a household and its members, explains a decision
//! criterion by criterion, and ranks the questions that would decide the most.

use chrono::NaiveDate;

use crate::bounds::Bounded;
use crate::catalogue::{Catalogue, Scheme, Text};
use crate::eval::Subject;
use crate::facts::{HouseholdFacts, date_from_days, days_from_date, elapsed};
pub use crate::outcome::Outcome;
use crate::truth::Truth;
use crate::vocabulary::{FactId, FactType, Scope, Vocabulary};

/// A fact that is not known, of the household (`member` is `None`) or of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Missing {
    pub fact: FactId,
    pub member: Option<usize>,
}

/// The decision of one scheme for one subject: a member (person schemes) or the household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub scheme: usize,
    pub member: Option<usize>,
    pub outcome: Outcome,
    /// For an undetermined outcome, the facts that would decide it.
    pub missing: Vec<Missing>,
    /// Not eligible because the subject already receives this other scheme of the same
    /// exclusive group (an index into the catalogue's schemes).
    pub blocked_by: Option<usize>,
    /// Eligible, but also eligible for this earlier scheme of the same exclusive group, under
    /// which the subject is counted: the two are alternatives, and only one will be paid.
    pub counted_under: Option<usize>,
}

fn rows(facts: &HouseholdFacts) -> Vec<&[Option<i64>]> {
    facts.members.iter().map(|m| m.values.as_slice()).collect()
}

/// Every scheme in force on `as_of`, for the household and each member.
pub fn assess(cat: &Catalogue, facts: &HouseholdFacts, as_of: NaiveDate) -> Vec<Finding> {
    assess_bounded(cat, &Bounded::new(cat, facts, as_of))
}

/// [`assess`] of facts whose bounds are already applied (to explain the same decisions next).
pub fn assess_bounded(cat: &Catalogue, bounded: &Bounded) -> Vec<Finding> {
    let (facts, as_of) = (bounded.facts(), bounded.as_of());
    let members = rows(facts);
    let mut out = Vec::new();
    for (i, scheme) in cat.schemes.iter().enumerate() {
        match scheme.unit {
            Scope::Household => out.extend(decide(cat, i, scheme, facts, &members, None, as_of)),
            Scope::Person => {
                for m in 0..members.len() {
                    out.extend(decide(cat, i, scheme, facts, &members, Some(m), as_of));
                }
            }
        }
    }
    mark_alternatives(cat, &mut out);
    out
}

/// Within each exclusive group, a subject eligible for several schemes is counted under the
/// first in the group's order; the others are marked as alternatives to it.
fn mark_alternatives(cat: &Catalogue, findings: &mut [Finding]) {
    for group in &cat.groups {
        let mut first: Vec<(Option<usize>, usize)> = Vec::new();
        for &scheme in &group.members {
            for f in findings.iter_mut().filter(|f| f.scheme == scheme && f.outcome == Outcome::Eligible) {
                match first.iter().find(|(m, _)| *m == f.member) {
                    Some((_, earlier)) => f.counted_under = Some(*earlier),
                    None => first.push((f.member, scheme)),
                }
            }
        }
    }
}

/// The decision of one scheme for one subject; `None` when no version is in force on `as_of`.
pub fn decide(
    cat: &Catalogue,
    index: usize,
    scheme: &Scheme,
    facts: &HouseholdFacts,
    members: &[&[Option<i64>]],
    member: Option<usize>,
    as_of: NaiveDate,
) -> Option<Finding> {
    let version = scheme.version_on(as_of)?;
    let receiving = match member {
        Some(m) => &facts.members[m].receiving,
        None => &facts.receiving,
    };
    let finding = |outcome, blocked_by| Finding {
        scheme: index,
        member,
        outcome,
        missing: vec![],
        blocked_by,
        counted_under: None,
    };
    if receiving.contains(&scheme.code) {
        return Some(finding(Outcome::AlreadyReceiving, None));
    }
    // One scheme of an exclusive group at a time: receiving another rules this one out.
    if let Some(g) = scheme.group
        && let Some(other) = crate::group::ruling_out(&cat.groups[g], index)
            .find(|&i| receiving.contains(&cat.schemes[i].code))
    {
        return Some(finding(Outcome::NotEligible, Some(other)));
    }
    let subject = Subject {
        person: member.map(|m| members[m]),
        household: &facts.values,
        members,
        as_of: days_from_date(as_of),
    };
    let verdicts: Vec<Truth> = version.criteria.iter().map(|c| subject.truth(&c.rule)).collect();
    let overall = Truth::all(verdicts.iter().copied());
    let outcome = match overall {
        Truth::True => Outcome::Eligible,
        Truth::False => Outcome::NotEligible,
        Truth::Unknown => Outcome::Undetermined,
    };
    let mut missing = Vec::new();
    if outcome == Outcome::Undetermined {
        let mut slots = Vec::new();
        for (c, v) in version.criteria.iter().zip(&verdicts) {
            if *v == Truth::Unknown {
                subject.unknowns(&c.rule, &mut slots);
            }
        }
        for (slot, who) in slots {
            let asked = cat.vocab.get(slot.fact).asked_as();
            let m = Missing {
                fact: asked,
                member: if slot.scope == Scope::Household { None } else { who.or(member) },
            };
            if !missing.contains(&m) {
                missing.push(m);
            }
        }
    }
    Some(Finding { scheme: index, member, outcome, missing, blocked_by: None, counted_under: None })
}

/// One criterion of an explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub text: Text,
    pub status: Truth,
    /// The subject's values of the facts this criterion reads.
    pub values: Vec<CheckValue>,
}

/// One fact's value as an explanation shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckValue {
    pub label: Text,
    pub value: Text,
    /// A fact the vocabulary marks sensitive (caste, disability, income…): shown only to an
    /// account that may see it.
    pub sensitive: bool,
    /// Whether the value is recorded: a "not known" tells nothing about the person.
    pub known: bool,
}

impl Check {
    /// "Aged 60 or more (Age: 62) — met", in the chosen language; with `hide_sensitive`, the
    /// value of a sensitive fact is replaced by a word saying it is hidden.
    pub fn sentence(&self, hindi: bool, hide_sensitive: bool) -> String {
        let pick = |t: &Text| if hindi { t.hi.clone() } else { t.en.clone() };
        let values: Vec<String> = self
            .values
            .iter()
            .map(|v| {
                let shown = if v.sensitive && hide_sensitive {
                    (if hindi { "छिपा है" } else { "hidden" }).to_owned()
                } else {
                    pick(&v.value)
                };
                format!("{}: {shown}", pick(&v.label))
            })
            .collect();
        let status = match (self.status, hindi) {
            (Truth::True, false) => "met",
            (Truth::False, false) => "not met",
            (Truth::Unknown, false) => "not known yet",
            (Truth::True, true) => "पूरा",
            (Truth::False, true) => "पूरा नहीं",
            (Truth::Unknown, true) => "अभी पता नहीं",
        };
        if values.is_empty() {
            format!("{} — {status}", pick(&self.text))
        } else {
            format!("{} ({}) — {status}", pick(&self.text), values.join("; "))
        }
    }
}

/// Why a scheme was decided as it was for one subject, criterion by criterion, from the
/// household's facts with their bounds applied once for the evaluation date.
pub fn explain(
    cat: &Catalogue,
    bounded: &Bounded,
    scheme: usize,
    member: Option<usize>,
) -> Option<Vec<Check>> {
    let as_of = bounded.as_of();
    let s = &cat.schemes[scheme];
    let version = s.version_on(as_of)?;
    let facts = bounded.facts();
    let members = rows(facts);
    let subject = Subject {
        person: member.map(|m| members[m]),
        household: &facts.values,
        members: &members,
        as_of: days_from_date(as_of),
    };
    let checks = version
        .criteria
        .iter()
        .map(|c| {
            let bases: Vec<FactId> =
                c.facts.iter().filter_map(|f| cat.vocab.get(*f).derived.map(|d| d.base())).collect();
            let values = c
                .facts
                .iter()
                .filter(|f| !bases.contains(f))
                .filter_map(|f| {
                    let def = cat.vocab.get(*f);
                    let row = match def.scope {
                        Scope::Household => Some(facts.values.as_slice()),
                        Scope::Person => member.map(|m| members[m]),
                    }?;
                    let value = match def.derived {
                        Some(derivation) => {
                            let base = cat.vocab.get(derivation.base()).slot;
                            row[base].and_then(|d| elapsed(d, subject.as_of, derivation.unit()))
                        }
                        None => row[def.slot],
                    };
                    Some(CheckValue {
                        label: Text { en: def.en.clone(), hi: def.hi.clone() },
                        value: display(&cat.vocab, *f, value),
                        sensitive: cat.vocab.is_sensitive(*f),
                        known: value.is_some(),
                    })
                })
                .collect();
            Check { text: c.text.clone(), status: subject.truth(&c.rule), values }
        })
        .collect();
    Some(checks)
}

/// A value as a person reads it, in both languages.
pub fn display(vocab: &Vocabulary, fact: FactId, value: Option<i64>) -> Text {
    let def = vocab.get(fact);
    let Some(v) = value else {
        return Text { en: "not known".into(), hi: "पता नहीं".into() };
    };
    let same = |s: String| Text { en: s.clone(), hi: s };
    match &def.ty {
        FactType::Bool if v != 0 => Text { en: "yes".into(), hi: "हाँ".into() },
        FactType::Bool => Text { en: "no".into(), hi: "नहीं".into() },
        FactType::Int => same(v.to_string()),
        FactType::Money => {
            let t = crate::words::rupees(v);
            Text { en: format!("₹{}", t.en), hi: format!("₹{}", t.hi) }
        }
        FactType::Decimal => same(crate::compile::format_milli(v)),
        FactType::Date => crate::words::date(date_from_days(v)),
        FactType::Enum(_) => {
            let i = v as usize;
            Text {
                en: def.values_en.get(i).cloned().unwrap_or_default(),
                hi: def.values_hi.get(i).cloned().unwrap_or_default(),
            }
        }
        FactType::Set(_) => {
            let picked = |labels: &[String]| {
                let names: Vec<&str> = labels
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| v & (1 << i) != 0)
                    .map(|(_, l)| l.as_str())
                    .collect();
                if names.is_empty() { "—".to_owned() } else { names.join(", ") }
            };
            Text { en: picked(&def.values_en), hi: picked(&def.values_hi) }
        }
    }
}

/// A question worth asking: one unknown fact of the household or a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub missing: Missing,
    /// How many undetermined (subject, scheme) decisions list this fact as missing.
    pub decides: usize,
    /// Of those, how many miss nothing else, so that this answer alone decides them.
    pub alone: usize,
}

/// Ranks the missing facts of `findings` by how many undetermined decisions one answer would
/// settle: first by decisions that wait on this fact alone, then by all decisions it appears in.
pub fn ask_next(findings: &[Finding]) -> Vec<Question> {
    let mut questions: Vec<Question> = Vec::new();
    for f in findings.iter().filter(|f| f.outcome == Outcome::Undetermined) {
        for m in &f.missing {
            let q = match questions.iter_mut().find(|q| q.missing == *m) {
                Some(q) => q,
                None => {
                    questions.push(Question { missing: *m, decides: 0, alone: 0 });
                    questions.last_mut().expect("just pushed")
                }
            };
            q.decides += 1;
            if f.missing.len() == 1 {
                q.alone += 1;
            }
        }
    }
    questions.sort_by(|a, b| (b.alone, b.decides, a.missing).cmp(&(a.alone, a.decides, b.missing)));
    questions
}
