//! A step on a referral taken at the block or the district (sanctioned, rejected, escalated...).
//! It is checked against the case's current state with the laptop's own state machine, recorded
//! as a change made on this server, and travels down to the laptop and up to the district.

use chrono::{DateTime, Utc};
use samanvaya_domain::change::{ChangeBody, ReferralEventChange};
use samanvaya_domain::referral::{Case, Step};
use uuid::Uuid;

use crate::error::ServerError;
use crate::state;
use crate::store::Store;

impl Store {
    /// Takes `step` on the referral numbered `number`, as `by`; returns the case after it.
    pub fn step(
        &mut self,
        number: &str,
        step: Step,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Case, ServerError> {
        let Some((opened, case)) = state::referral_case(&mut *self.db, number)? else {
            return Err(ServerError::Invalid(format!(
                "no referral numbered {number} has reached this server; check the number on the slip, or sync the laptop first"
            )));
        };
        let kinds =
            samanvaya_eligibility::referral::embedded().map_err(|e| ServerError::Invalid(e.to_string()))?;
        let action = kinds.action(step, &case, &opened.need, now.date_naive());
        let next = case.apply(&action, now).map_err(|refused| ServerError::Invalid(refused.to_string()))?;
        if by.trim().is_empty() {
            return Err(ServerError::Invalid("say who takes the step: --by NAME".into()));
        }
        let event = ReferralEventChange {
            id: Uuid::now_v7(),
            referral_id: opened.id,
            household_id: opened.household_id,
            at: now,
            by: by.trim().to_owned(),
            catalogue: samanvaya_eligibility::catalogue_version().to_owned(),
            action,
        };
        self.record_here(ChangeBody::ReferralEvent(event), now)?;
        Ok(next)
    }

    /// Every referral this server holds: number, stage, level, due day.
    pub fn referrals(&mut self) -> Result<Vec<(String, String, String, String)>, ServerError> {
        self.db
            .query("SELECT number, stage, level, due_on FROM referral ORDER BY number", &[])?
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?, r.text(2)?, r.text(3)?)))
            .collect()
    }
}
