//! A step on a referral taken at the block or the district (sanctioned, rejected, escalated...).
//! It is checked against the case's current state with the laptop's own state machine, recorded
//! as a change made on this server, and travels down to the laptop and up to the district.

use chrono::{DateTime, NaiveDate, Utc};
use samanvaya_domain::change::{ChangeBody, ReferralEventChange};
use samanvaya_domain::referral::{Action, Case};
use uuid::Uuid;

use crate::error::ServerError;
use crate::state;
use crate::store::Sqlite;

/// What a step asks for, before the server fills in due days from the service levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Submit,
    Process,
    Sanction,
    Receive { on: NaiveDate, amount_inr: Option<i64> },
    Reject { reason: String },
    Escalate { reason: String },
    Reopen { reason: String },
    Note { text: String },
}

impl Sqlite {
    /// Takes `step` on the referral numbered `number`, as `by`; returns the case after it.
    pub fn step(
        &mut self,
        number: &str,
        step: Step,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Case, ServerError> {
        let Some((opened, case)) = state::referral_case(&self.conn, number)? else {
            return Err(ServerError::Invalid(format!(
                "no referral numbered {number} has reached this server; check the number on the slip, or sync the laptop first"
            )));
        };
        let kinds =
            samanvaya_eligibility::referral::embedded().map_err(|e| ServerError::Invalid(e.to_string()))?;
        let today = now.date_naive();
        let action = match step {
            Step::Submit => Action::Submit,
            Step::Process => Action::Process,
            Step::Sanction => Action::Sanction,
            Step::Receive { on, amount_inr } => Action::Receive { on, amount_inr },
            Step::Reject { reason } => Action::Reject { reason },
            Step::Note { text } => Action::Note { text },
            Step::Escalate { reason } => {
                let level = case.level.above().ok_or_else(|| {
                    ServerError::Invalid(
                        "the case is at the district already; there is no level above".into(),
                    )
                })?;
                Action::Escalate { reason, due_on: kinds.due_on(&opened.need, level, today) }
            }
            Step::Reopen { reason } => {
                Action::Reopen { reason, due_on: kinds.due_on(&opened.need, case.level, today) }
            }
        };
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
    pub fn referrals(&self) -> Result<Vec<(String, String, String, String)>, ServerError> {
        let mut stmt =
            self.conn.prepare("SELECT number, stage, level, due_on FROM referral ORDER BY number")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}
