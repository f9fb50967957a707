//! Eligibility over the store: a household's decisions from its stored record and facts, the
//! village's tallies from the compact profiles, and the facilitator's answers to "ask next"
//! questions. The engine, the record mapping and the views live in `samanvaya-eligibility`; this
//! module reads and writes.

mod answer;

use chrono::NaiveDate;
use rusqlite::TransactionBehavior;
use samanvaya_domain::HouseholdId;
use samanvaya_eligibility::view::{self, HouseholdEligibility, VillageEligibility};
use samanvaya_rules::{Catalogue, HouseholdFacts};

use crate::error::StoreError;
use crate::store::Store;
use crate::{Moment, profile};

pub use answer::FactAnswer;

/// The embedded catalogue, as the store reports its failure.
fn catalogue() -> Result<&'static Catalogue, StoreError> {
    samanvaya_eligibility::embedded().map_err(|e| StoreError::Catalogue(e.0))
}

impl Store {
    /// One household's facts as the engine reads them, from its record and its stored rows.
    pub fn household_facts(&self, id: HouseholdId) -> Result<HouseholdFacts, StoreError> {
        let h = self.household(id)?;
        let entries = profile::entries(&self.conn, &h)?;
        Ok(samanvaya_eligibility::household::facts(catalogue()?, &h, &entries))
    }

    /// Every scheme decided for one household and its members on `as_of`, explained.
    pub fn household_eligibility(
        &self,
        id: HouseholdId,
        as_of: NaiveDate,
    ) -> Result<HouseholdEligibility, StoreError> {
        Ok(view::household(catalogue()?, &self.household_facts(id)?, as_of))
    }

    /// Records a screening answer (with its change) and returns the household's new decisions,
    /// decided on the same day the answer was recorded.
    pub fn answer(&mut self, answer: &FactAnswer, at: Moment) -> Result<HouseholdEligibility, StoreError> {
        let cat = catalogue()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        answer::record(&tx, cat, answer, at)?;
        tx.commit()?;
        self.household_eligibility(answer.household_id, at.today)
    }

    /// The per-scheme tally over every household of the store, from the profiles through the
    /// column-wise engine, calling `progress(done, total)` while the profiles are read.
    pub fn village_eligibility(
        &self,
        as_of: NaiveDate,
        progress: impl FnMut(usize, usize),
    ) -> Result<VillageEligibility, StoreError> {
        let cat = catalogue()?;
        let pop = profile::population(&self.conn, cat, progress)?;
        Ok(view::village(cat, &pop, as_of))
    }

    /// The store's whole population as columns, for the benchmark and the server's tallies.
    pub fn population(&self) -> Result<samanvaya_rules::bulk::Population, StoreError> {
        profile::population(&self.conn, catalogue()?, |_, _| {})
    }

    /// Every household's facts read one by one from the fact rows: the slow reference path that
    /// tests hold the profiles against.
    pub fn every_household_facts(&self) -> Result<Vec<HouseholdFacts>, StoreError> {
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM household ORDER BY number, id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter()
            .map(|id| {
                let id = id.parse().map_err(|_| StoreError::Corrupt(format!("household id {id}")))?;
                self.household_facts(id)
            })
            .collect()
    }
}
