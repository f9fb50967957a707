//! Deterministic synthetic populations over the fact vocabulary, for the benchmark and for tests
//! that compare the engine's two paths: every person has a date of birth (0–90 years), a sex and
//! a relation; every household is in Bihar and rural; other facts take random values of their
//! type, and about a third are unknown, as after a first visit. Same seed, same population.

use crate::bulk::Population;
use crate::facts::HouseholdFacts;
use crate::vocabulary::{FactType, Scope, Vocabulary};

/// SplitMix64: small, fast and repeatable; a benchmark needs the same data every run.
pub struct Dice(pub u64);

impl Dice {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn value(dice: &mut Dice, name: &str, ty: &FactType) -> Option<i64> {
    match name {
        // 2026-11-23 is day 20_415; birth dates spread over the 90 years before it.
        "person.date_of_birth" => {
            return (dice.below(20) != 0).then(|| 20_415 - dice.below(90 * 365) as i64);
        }
        "person.sex" => return Some(dice.below(2) as i64),
        "person.relation_to_head" => return Some(dice.below(12) as i64),
        "household.state" | "household.rural_urban" => return Some(0),
        _ => {}
    }
    if dice.below(3) == 0 {
        return None;
    }
    Some(match ty {
        FactType::Bool => dice.below(2) as i64,
        FactType::Int => dice.below(100) as i64,
        FactType::Money => dice.below(300_000) as i64,
        FactType::Decimal => dice.below(6_000) as i64,
        FactType::Date => 20_415 - dice.below(40 * 365) as i64,
        FactType::Enum(v) => dice.below(v.len() as u64) as i64,
        FactType::Set(v) => (dice.next_u64() & ((1u64 << v.len()) - 1)) as i64,
    })
}

/// Household sizes between 1 and 7 that add up to exactly `persons`.
fn sizes(dice: &mut Dice, households: usize, persons: usize) -> Vec<usize> {
    let mut s: Vec<usize> = (0..households).map(|_| 1 + dice.below(7) as usize).collect();
    let mut total: usize = s.iter().sum();
    let mut i = 0;
    while total != persons {
        let h = i % households;
        if total < persons && s[h] < 7 {
            s[h] += 1;
            total += 1;
        } else if total > persons && s[h] > 1 {
            s[h] -= 1;
            total -= 1;
        }
        i += 1;
    }
    s
}

/// The population as columns, built directly (a million `HouseholdFacts` would not fit well).
pub fn population(vocab: &Vocabulary, households: usize, persons: usize, seed: u64) -> Population {
    let mut dice = Dice(seed);
    let sizes = sizes(&mut dice, households, persons);
    let mut pop = Population::build(vocab);
    let facts: Vec<_> = vocab.facts().iter().filter(|d| d.derived.is_none()).collect();
    for size in sizes {
        pop.household(size);
        for def in facts.iter().filter(|d| d.scope == Scope::Household) {
            pop.household_fact(def.slot, value(&mut dice, &def.name, &def.ty));
        }
        for m in 0..size {
            for def in facts.iter().filter(|d| d.scope == Scope::Person) {
                pop.member_fact(m, def.slot, value(&mut dice, &def.name, &def.ty));
            }
        }
    }
    pop.finish()
}

/// Households in the per-subject format, drawn the same way, of 1 to `max_members` members.
pub fn households(vocab: &Vocabulary, n: usize, max_members: u64, seed: u64) -> Vec<HouseholdFacts> {
    let mut dice = Dice(seed);
    (0..n)
        .map(|_| {
            let members = 1 + dice.below(max_members) as usize;
            let mut h = HouseholdFacts::unknown(vocab, members);
            for def in vocab.facts().iter().filter(|d| d.derived.is_none()) {
                match def.scope {
                    Scope::Household => h.values[def.slot] = value(&mut dice, &def.name, &def.ty),
                    Scope::Person => {
                        for m in &mut h.members {
                            m.values[def.slot] = value(&mut dice, &def.name, &def.ty);
                        }
                    }
                }
            }
            h
        })
        .collect()
}
