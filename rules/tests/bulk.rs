//! The column-wise path and the per-subject path must decide alike: on randomised households
//! over the real vocabulary and catalogue (facts of every type, a third of them unknown, some
//! schemes already received), the bulk tallies equal those counted from `assess`. Unlike the
//! benchmark's population, every fact here may be unknown, the record fields and the state
//! included, so that every path of both engines is exercised.

use chrono::NaiveDate;
use samanvaya_rules::bulk::{Population, tally};
use samanvaya_rules::facts::HouseholdFacts;
use samanvaya_rules::synthetic::Dice;
use samanvaya_rules::vocabulary::FactType;
use samanvaya_rules::{Catalogue, Outcome, Scope, assess};

fn value(dice: &mut Dice, ty: &FactType) -> Option<i64> {
    if dice.below(3) == 0 {
        return None;
    }
    Some(match ty {
        FactType::Bool => dice.below(2) as i64,
        FactType::Int => dice.below(100) as i64,
        FactType::Money => dice.below(300_000) as i64,
        FactType::Decimal => dice.below(6_000) as i64,
        // 1930 to 2026, in days since 1970.
        FactType::Date => dice.below(35_000) as i64 - 14_600,
        FactType::Enum(v) => dice.below(v.len() as u64) as i64,
        FactType::Set(v) => (dice.next_u64() & ((1u64 << v.len()) - 1)) as i64,
    })
}

fn random_households(cat: &Catalogue, n: usize, seed: u64) -> Vec<HouseholdFacts> {
    let mut dice = Dice(seed);
    let codes: Vec<String> = cat.schemes.iter().map(|s| s.code.clone()).collect();
    (0..n)
        .map(|_| {
            let members = 1 + dice.below(7) as usize;
            let mut h = HouseholdFacts::unknown(&cat.vocab, members);
            for def in cat.vocab.facts().iter().filter(|d| d.derived.is_none()) {
                match def.scope {
                    Scope::Household => h.values[def.slot] = value(&mut dice, &def.ty),
                    Scope::Person => {
                        for m in &mut h.members {
                            m.values[def.slot] = value(&mut dice, &def.ty);
                        }
                    }
                }
            }
            if dice.below(10) == 0 {
                h.receiving.push(codes[dice.below(codes.len() as u64) as usize].clone());
            }
            for m in &mut h.members {
                if dice.below(5) == 0 {
                    m.receiving.push(codes[dice.below(codes.len() as u64) as usize].clone());
                }
            }
            h
        })
        .collect()
}

#[test]
fn bulk_tallies_equal_the_per_subject_decisions() {
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    for (seed, as_of) in [(1, "2026-11-23"), (2, "2024-01-01"), (3, "2025-07-01")] {
        let as_of: NaiveDate = as_of.parse().unwrap();
        let households = random_households(&cat, 400, seed);
        let mut want = vec![[0u64; 5]; cat.schemes.len()];
        let (mut blocked, mut alternatives) = (0, 0);
        for h in &households {
            for f in assess(&cat, h, as_of) {
                blocked += u32::from(f.blocked_by.is_some());
                alternatives += u32::from(f.counted_under.is_some());
                let i = match f.outcome {
                    Outcome::Eligible if f.counted_under.is_some() => 4,
                    Outcome::Eligible => 0,
                    Outcome::AlreadyReceiving => 1,
                    Outcome::Undetermined => 2,
                    Outcome::NotEligible => 3,
                };
                want[f.scheme][i] += 1;
            }
        }
        let pop = Population::from_households(&cat.vocab, &households);
        let got = tally(&cat, &pop, as_of);
        assert!(!got.is_empty());
        for t in got {
            let w = want[t.scheme];
            assert_eq!(
                [t.eligible, t.already_receiving, t.undetermined, t.not_eligible, t.alternative],
                w,
                "{} on {as_of} (seed {seed}): bulk vs per-subject [eligible, receiving, undetermined, not eligible, alternative]",
                cat.schemes[t.scheme].code
            );
        }
        // The random households exercise both group rules, so the comparison above covers them.
        assert!(blocked > 0, "some subject receives one scheme of a group and is refused another");
        if seed == 1 {
            assert!(alternatives > 0, "some subject is eligible for two schemes of one group");
        }
    }
}
