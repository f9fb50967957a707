//! Eligibility over the store: reads a household's record and recorded facts into the engine's
//! rows, decides every scheme, and records the facilitator's answers to "ask next" questions.

mod answer;
mod load;
mod population;
#[cfg(test)]
mod tests;
pub mod view;

use std::sync::OnceLock;

use samanvaya_rules::Catalogue;

use crate::error::StoreError;

pub use answer::{FactAnswer, record_answer};
pub(crate) use load::{RURAL, relation_value, sex_value, state_of};
pub use load::{household_facts, village_facts};
pub use population::population;

/// The fact kept on the person record rather than in the fact table; answering it updates the
/// person's birth date (a date, or an age that becomes an estimated date).
pub const DATE_OF_BIRTH: &str = "person.date_of_birth";

/// The embedded catalogue, loaded and checked once per process.
pub fn catalogue() -> Result<&'static Catalogue, StoreError> {
    static CATALOGUE: OnceLock<Result<Catalogue, String>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| {
            samanvaya_rules::load(samanvaya_schema::FACT_FILES, samanvaya_schema::SCHEME_FILES)
                .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
        })
        .as_ref()
        .map_err(|e| StoreError::Catalogue(e.clone()))
}

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::TransactionBehavior;
use samanvaya_domain::HouseholdId;

use crate::store::Store;
use view::{HouseholdEligibility, VillageEligibility};

impl Store {
    /// Every scheme decided for one household and its members on `as_of`.
    pub fn household_eligibility(
        &self,
        id: HouseholdId,
        as_of: NaiveDate,
    ) -> Result<HouseholdEligibility, StoreError> {
        let cat = catalogue()?;
        let h = self.household(id)?;
        let facts = household_facts(&self.conn, cat, &h)?;
        Ok(view::household(cat, &facts, as_of))
    }

    /// Records a screening answer (with its outbox row) and returns the household's new decisions.
    pub fn answer(
        &mut self,
        answer: &FactAnswer,
        now: DateTime<Utc>,
    ) -> Result<HouseholdEligibility, StoreError> {
        let cat = catalogue()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        record_answer(&tx, cat, answer, "screening", now)?;
        tx.commit()?;
        self.household_eligibility(answer.household_id, now.date_naive())
    }

    /// The per-scheme tally over every household of the store.
    pub fn village_eligibility(
        &self,
        as_of: NaiveDate,
        mut progress: impl FnMut(&str, usize, usize),
    ) -> Result<VillageEligibility, StoreError> {
        let cat = catalogue()?;
        let households = village_facts(&self.conn, cat, |d, t| progress("read", d, t))?;
        Ok(view::village(cat, &households, as_of, |d, t| progress("decide", d, t)))
    }
}
