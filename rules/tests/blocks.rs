//! A population is decided block by block; the blocks' size must not change a single count.
//! The same households, held in blocks of 1, 7, 64 and 1,000 households, give the same tallies
//! and the same missing facts, so that an error at a block's edge (a person given to the wrong
//! household, a column cut short) cannot hide behind the one-block populations of the other tests.

use chrono::NaiveDate;
use samanvaya_rules::Scope;
use samanvaya_rules::bulk::{Population, missing, tally};
use samanvaya_rules::facts::HouseholdFacts;
use samanvaya_rules::synthetic::{self, Dice};

fn in_blocks(
    cat: &samanvaya_rules::Catalogue,
    households: &[HouseholdFacts],
    per_block: usize,
) -> Population {
    Population::from_households_in_blocks(&cat.vocab, households, per_block)
}

#[test]
fn blocks_of_any_size_decide_alike() {
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    let as_of: NaiveDate = "2026-11-23".parse().unwrap();
    let mut households = synthetic::households(&cat.vocab, 600, 7, 5);
    // Some subjects receive a scheme, so that the exclusive groups' rules are crossed too.
    let mut dice = Dice(9);
    for h in &mut households {
        let scheme = &cat.schemes[dice.below(cat.schemes.len() as u64) as usize];
        match scheme.unit {
            Scope::Household => h.receiving.push(scheme.code.clone()),
            Scope::Person => h.members[0].receiving.push(scheme.code.clone()),
        }
    }
    let whole = Population::from_households(&cat.vocab, &households);
    assert_eq!(whole.blocks().len(), 1);
    let want = (tally(&cat, &whole, as_of), missing(&cat, &whole, as_of));
    assert!(want.0.iter().any(|t| t.eligible > 0 && t.undetermined > 0 && t.already_receiving > 0));
    for per_block in [1, 7, 64, 1000] {
        let pop = in_blocks(&cat, &households, per_block);
        assert_eq!(pop.blocks().len(), households.len().div_ceil(per_block));
        assert_eq!((pop.persons(), pop.households()), (whole.persons(), whole.households()));
        let got = (tally(&cat, &pop, as_of), missing(&cat, &pop, as_of));
        assert_eq!(got, want, "blocks of {per_block} households");
    }
}
