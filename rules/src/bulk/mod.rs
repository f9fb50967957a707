//! Column-wise evaluation of the whole catalogue over a whole population, for the village,
//! block and district tallies.
//!
//! The per-subject path ([`crate::assess`]) walks each rule for one person and can explain it;
//! this path decides each criterion once over a block of the population into two bitsets,
//! "known true" and "known false" (what is in neither is unknown), and combines them with
//! Kleene's logic a word (64 subjects) at a time. The population is held in blocks of households
//! ([`population`]); each block is decided on its own, on as many threads as rayon gives (one
//! for a village, every core for a district), and the counts are added up. It builds no
//! explanations: the missing facts of one subject are found on demand through the per-subject
//! path. Both paths must agree; `rules/tests/bulk.rs` checks that they do.

mod age;
mod bits;
mod eval;
mod missing;
pub mod population;

use std::collections::HashMap;

use chrono::NaiveDate;
use rayon::prelude::*;

pub use bits::Bits;
use eval::Evaluator;
pub use population::{Block, Builder, Column, HOUSEHOLDS_PER_BLOCK, Population, Shape};

use crate::catalogue::{Catalogue, Scheme};
use crate::compile::Slot;
use crate::vocabulary::{FactId, Scope};

/// Outcome counts of one scheme over the population's subjects (persons or households).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub scheme: usize,
    /// Eligible and counted here (not under an earlier scheme of the same exclusive group).
    pub eligible: u64,
    /// Eligible, but counted under an earlier scheme of the same exclusive group.
    pub alternative: u64,
    pub already_receiving: u64,
    pub undetermined: u64,
    pub not_eligible: u64,
}

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.eligible += other.eligible;
        self.alternative += other.alternative;
        self.already_receiving += other.already_receiving;
        self.undetermined += other.undetermined;
        self.not_eligible += other.not_eligible;
    }
}

/// Decides every scheme in force on `as_of` for every subject of `pop`, and counts the outcomes.
pub fn tally(cat: &Catalogue, pop: &Population, as_of: NaiveDate) -> Vec<Tally> {
    let all: Vec<usize> = (0..cat.schemes.len()).collect();
    tally_schemes(cat, pop, as_of, &all)
}

/// As [`tally`], for the schemes of `which` only (indices into the catalogue, in order). An
/// exclusive group counts a subject under the first of its schemes among these.
pub fn tally_schemes(cat: &Catalogue, pop: &Population, as_of: NaiveDate, which: &[usize]) -> Vec<Tally> {
    let per_block: Vec<Vec<Tally>> =
        pop.blocks.par_iter().map(|block| tally_block(cat, pop, block, as_of, which)).collect();
    let mut out: Vec<Tally> = Vec::new();
    for tallies in per_block {
        if out.is_empty() {
            out = tallies;
        } else {
            out.iter_mut().zip(&tallies).for_each(|(a, b)| a.add(b));
        }
    }
    out
}

fn tally_block(
    cat: &Catalogue,
    pop: &Population,
    block: &Block,
    as_of: NaiveDate,
    which: &[usize],
) -> Vec<Tally> {
    let mut ev = Evaluator::new(cat, pop, block, as_of);
    let mut decided: Vec<Option<Decided>> = cat.schemes.iter().map(|_| None).collect();
    for &i in which {
        decided[i] = decide(&mut ev, cat, i, as_of);
    }
    // Within each exclusive group, who is already counted as eligible under an earlier scheme.
    let mut alternative = vec![0u64; cat.schemes.len()];
    let mut eligible_here: Vec<Option<u64>> = cat.schemes.iter().map(|_| None).collect();
    for group in &cat.groups {
        let mut taken: Option<Bits> = None;
        for &i in &group.members {
            let Some(d) = &decided[i] else { continue };
            let eligible = d.eligible();
            let taken = taken.get_or_insert_with(|| Bits::zeros(eligible.len()));
            alternative[i] = eligible.zip(taken, |e, t| e & t).count();
            eligible_here[i] = Some(eligible.zip(taken, |e, t| e & !t).count());
            taken.or_assign(&eligible);
        }
    }
    let mut out = Vec::new();
    for &i in which {
        let Some(d) = &decided[i] else { continue };
        let all_eligible = d.eligible().count();
        let not_eligible = d.not_eligible().count();
        let already_receiving = d.receiving.count();
        out.push(Tally {
            scheme: i,
            eligible: eligible_here[i].unwrap_or(all_eligible),
            alternative: alternative[i],
            already_receiving,
            not_eligible,
            undetermined: d.all_true.len() as u64 - all_eligible - not_eligible - already_receiving,
        });
    }
    out
}

/// One scheme decided over every subject of its level in a block.
struct Decided {
    /// Every criterion known true.
    all_true: Bits,
    /// Some criterion known false.
    any_false: Bits,
    /// Already receiving the scheme, whatever the criteria say.
    receiving: Bits,
    /// Receiving another scheme of the same exclusive group, which rules this one out.
    blocked: Bits,
}

impl Decided {
    fn eligible(&self) -> Bits {
        self.all_true.zip(&self.receiving, |t, r| t & !r).zip(&self.blocked, |e, b| e & !b)
    }

    fn not_eligible(&self) -> Bits {
        self.any_false.zip(&self.blocked, |f, b| f | b).zip(&self.receiving, |n, r| n & !r)
    }

    fn undetermined(&self) -> Bits {
        let decided = self.eligible().zip(&self.not_eligible(), |e, n| e | n);
        decided.zip(&self.receiving, |d, r| d | r).not()
    }
}

/// Scheme `index` over every subject of the evaluator's block, or `None` when no version is in
/// force on `as_of`.
fn decide<'a>(ev: &mut Evaluator<'a>, cat: &'a Catalogue, index: usize, as_of: NaiveDate) -> Option<Decided> {
    let scheme: &'a Scheme = &cat.schemes[index];
    let version = scheme.version_on(as_of)?;
    let level = scheme.unit;
    let n = ev.len(level);
    let mut all_true = Bits::ones(n);
    let mut any_false = Bits::zeros(n);
    for c in &version.criteria {
        let tri = ev.cached(&c.rule, level);
        all_true.and_assign(&tri.t);
        any_false.or_assign(&tri.f);
    }
    let block = ev.block();
    let receiving_of = |code: &str| match (block.receiving.get(code), level) {
        (Some((p, _)), Scope::Person) => p.clone(),
        (Some((_, h)), Scope::Household) => h.clone(),
        (None, _) => Bits::zeros(n),
    };
    let receiving = receiving_of(&scheme.code);
    let mut blocked = Bits::zeros(n);
    if let Some(g) = scheme.group {
        for other in crate::group::ruling_out(&cat.groups[g], index) {
            blocked.or_assign(&receiving_of(&cat.schemes[other].code));
        }
        blocked.and_not_assign(&receiving);
    }
    Some(Decided { all_true, any_false, receiving, blocked })
}

/// How many undetermined decisions of the whole population wait on each fact, counted as the
/// per-subject path counts them: a fact once per (subject, scheme) decision, under the fact the
/// facilitator is asked (a date of birth for an age). Sorted by count, most first, then by fact.
pub fn missing(cat: &Catalogue, pop: &Population, as_of: NaiveDate) -> Vec<(FactId, u64)> {
    let per_block: Vec<HashMap<FactId, u64>> =
        pop.blocks.par_iter().map(|block| missing_in_block(cat, pop, block, as_of)).collect();
    let mut counts: HashMap<FactId, u64> = HashMap::new();
    for block in per_block {
        for (fact, n) in block {
            *counts.entry(fact).or_default() += n;
        }
    }
    let mut out: Vec<(FactId, u64)> = counts.into_iter().filter(|(_, c)| *c > 0).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

fn missing_in_block(
    cat: &Catalogue,
    pop: &Population,
    block: &Block,
    as_of: NaiveDate,
) -> HashMap<FactId, u64> {
    let mut ev = Evaluator::new(cat, pop, block, as_of);
    let mut counts: HashMap<FactId, u64> = HashMap::new();
    for (index, scheme) in cat.schemes.iter().enumerate() {
        let Some(d) = decide(&mut ev, cat, index, as_of) else { continue };
        let Some(version) = scheme.version_on(as_of) else { continue };
        let level = scheme.unit;
        let undetermined = d.undetermined();
        let mut noted: Vec<(Slot, Bits)> = Vec::new();
        for c in &version.criteria {
            ev.noted(&c.rule, level, &undetermined, &mut noted);
        }
        let mut by_fact: HashMap<FactId, Bits> = HashMap::new();
        for (slot, bits) in noted {
            let asked = cat.vocab.get(slot.fact).asked_as();
            match by_fact.get_mut(&asked) {
                Some(acc) => acc.or_assign(&bits),
                None => {
                    by_fact.insert(asked, bits);
                }
            }
        }
        for (fact, bits) in by_fact {
            *counts.entry(fact).or_default() += bits.count();
        }
    }
    counts
}
