//! Who a yes/no fact can be true of (`only_if` in `schema/facts/`): a man is not pregnant, a girl
//! of five is not breastfeeding, a person whose disability is certified at 0% has none. Outside its
//! bounds a fact is implied "no", so the engine decides with it and "ask next" never asks it.
//! The per-subject path fills a household's rows here; the column-wise path fills its columns the
//! same way (the `bulk` module).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::catalogue::Catalogue;
use crate::compile::{self, Context, Rule};
use crate::diagnostic::Diagnostic;
use crate::eval::Subject;
use crate::expr;
use crate::facts::{HouseholdFacts, days_from_date};
use crate::truth::Truth;
use crate::vocabulary::{FactId, FactType, Scope, Vocabulary};

/// The compiled bounds of every fact that has one.
pub fn compile(vocab: &Vocabulary) -> Result<Vec<(FactId, Rule)>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let no_params = HashMap::new();
    for def in vocab.facts() {
        let Some(b) = &def.only_if else { continue };
        let err = |msg: String, hint: &str| Diagnostic::new(&b.file, b.line, msg, hint);
        if def.ty != FactType::Bool {
            errors.push(err(
                format!("{} has only_if but is not a yes/no fact", def.name),
                "only_if is for bool facts",
            ));
            continue;
        }
        let node = match expr::parse(&b.text) {
            Ok(n) => n,
            Err(e) => {
                errors.push(err(
                    format!("in only_if {:?} at column {}: {}", b.text, e.col, e.message),
                    "see docs/catalogue.md",
                ));
                continue;
            }
        };
        let cx = Context { vocab, params: &no_params, unit: def.scope };
        match compile::compile(&node, &cx) {
            Ok((rule, facts)) => {
                // A bound that read another bounded fact would depend on the order of filling.
                if let Some(f) = facts.iter().find(|f| vocab.get(**f).only_if.is_some()) {
                    errors.push(err(
                        format!(
                            "the only_if of {} reads {}, which has an only_if itself",
                            def.name,
                            vocab.get(*f).name
                        ),
                        "bound a fact by facts that have no bound",
                    ));
                    continue;
                }
                out.push((def.id, rule));
            }
            Err(e) => errors
                .push(err(format!("in only_if {:?} at column {}: {}", b.text, e.col, e.message), &e.hint)),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// A household's facts with the implied "no" of every bounded fact filled in for one evaluation
/// date: what the explanation of a decision reads. Made once per household and date, so that
/// explaining a hundred decisions does not fill a hundred copies.
#[derive(Debug, Clone)]
pub struct Bounded {
    facts: HouseholdFacts,
    as_of: NaiveDate,
}

impl Bounded {
    pub fn new(cat: &Catalogue, facts: &HouseholdFacts, as_of: NaiveDate) -> Bounded {
        Bounded { facts: fill(&cat.bounds, &cat.vocab, facts, as_of), as_of }
    }

    pub fn facts(&self) -> &HouseholdFacts {
        &self.facts
    }

    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }
}

/// `facts` with every unknown bounded fact set to "no" where its bound is false on `as_of`.
pub fn fill(
    bounds: &[(FactId, Rule)],
    vocab: &Vocabulary,
    facts: &HouseholdFacts,
    as_of: NaiveDate,
) -> HouseholdFacts {
    let mut out = facts.clone();
    let implied: Vec<(Option<usize>, usize)> = {
        let members: Vec<&[Option<i64>]> = facts.members.iter().map(|m| m.values.as_slice()).collect();
        let mut implied = Vec::new();
        for (fact, rule) in bounds {
            let def = vocab.get(*fact);
            let subjects: Vec<Option<usize>> = match def.scope {
                Scope::Household => vec![None],
                Scope::Person => (0..members.len()).map(Some).collect(),
            };
            for who in subjects {
                let row = match who {
                    None => &facts.values,
                    Some(m) => &facts.members[m].values,
                };
                if row[def.slot].is_some() {
                    continue;
                }
                let subject = Subject {
                    person: who.map(|m| members[m]),
                    household: &facts.values,
                    members: &members,
                    as_of: days_from_date(as_of),
                };
                if subject.truth(rule) == Truth::False {
                    implied.push((who, def.slot));
                }
            }
        }
        implied
    };
    for (who, slot) in implied {
        match who {
            None => out.values[slot] = Some(0),
            Some(m) => out.members[m].values[slot] = Some(0),
        }
    }
    out
}
