//! The village's households on the vulnerability profile (`schema/vulnerability/`), the most
//! vulnerable first: whom the facilitator and the Samiti reach before the others.

use chrono::NaiveDate;
use samanvaya_eligibility::vulnerability::{self, VulnerabilityList};

use super::vulnerability;
use crate::error::StoreError;
use crate::store::Store;

impl Store {
    /// Every household placed on the vulnerability profile on `as_of`, with its reasons and, for
    /// one not settled yet, the questions that would settle it; most vulnerable first. Decided
    /// household by household, calling `progress(done, total)`.
    pub fn vulnerability_list(
        &self,
        as_of: NaiveDate,
        progress: impl FnMut(usize, usize),
    ) -> Result<VulnerabilityList, StoreError> {
        let (cat, profile, audience) = (self.rules()?.catalogue, vulnerability()?, self.audience());
        let mut rows = Vec::new();
        self.each_household(
            |family, facts| {
                rows.push(vulnerability::row(family, vulnerability::of(cat, profile, facts, as_of, audience)))
            },
            progress,
        )?;
        Ok(vulnerability::list(profile, as_of, rows))
    }
}
