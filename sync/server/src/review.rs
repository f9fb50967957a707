//! Deciding the review queue. Two devices that had not seen each other's write changed one
//! identity field of a member (her name, relation, sex or date of birth); the later write by the
//! clock stands, and both values wait in `review` for a person who knows the family (`merge.rs`).
//! The block or district operator decides each: the value standing is kept, or the other one is
//! put in place as a change made on this server, which travels down to the village's laptops and
//! up to the district like any other. The decision (when, by whom, which) is kept beside the
//! review, in the same transaction as the change, so a review is never decided without its value
//! being in place, nor the value written twice.

use chrono::{DateTime, Utc};
use samanvaya_domain::change::{ChangeBody, MemberChange, MemberField};
use samanvaya_domain::{HouseholdId, PersonId};

use crate::error::ServerError;
use crate::sql::{Mode, args};
use crate::store::Store;

/// Which of a review's two values is right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// The value standing now (the later write by the clock).
    Kept,
    /// The value that lost by the clock.
    Other,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Kept => "kept",
            Choice::Other => "other",
        }
    }
}

impl Store {
    /// Decides review `id` as `by`: `Other` puts the other value in place with a change made
    /// here. Refused, with nothing written, for a review that is not here or was decided already.
    pub fn decide_review(
        &mut self,
        id: i64,
        choice: Choice,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ServerError> {
        if by.trim().is_empty() {
            return Err(ServerError::Invalid("say who decides: --by NAME".into()));
        }
        let mut tx = self.db.transaction(Mode::Write)?;
        let Some(row) = tx.query_opt(
            "SELECT household_id, member_id, field, other, resolved_at, kept FROM review WHERE id = ?1",
            args![id],
        )?
        else {
            return Err(ServerError::Invalid(format!(
                "no review {id} here; `samanvaya-server reviews` lists the open ones"
            )));
        };
        if let Some(at) = row.opt_text(4)? {
            return Err(ServerError::Invalid(format!("review {id} was decided already, at {at}")));
        }
        if choice == Choice::Other {
            let (household, member, field) = (row.text(0)?, row.text(1)?, row.text(2)?);
            let other: serde_json::Value = serde_json::from_str(&row.text(3)?)?;
            let kept: serde_json::Value = serde_json::from_str(&row.text(5)?)?;
            // The other value goes in place only over the value the review was made about: a
            // member removed since (a second record of her made one with the first) is not
            // brought back by it, nor a correction written since overwritten.
            let column = match field.as_str() {
                "name" | "relation" | "sex" | "birth_date" => field.as_str(),
                _ => return Err(damaged(id)),
            };
            let now_row =
                tx.query_opt(&format!("SELECT removed, {column} FROM member WHERE id = ?1"), args![&member])?;
            let standing = match now_row {
                Some(r) if r.int(0)? == 0 => {
                    r.opt_text(1)?.map_or(serde_json::Value::Null, serde_json::Value::from)
                }
                _ => {
                    return Err(ServerError::Invalid(format!(
                        "review {id} is about a member removed since; decide it with --choose kept to close it"
                    )));
                }
            };
            if standing != kept["value"] {
                return Err(ServerError::Invalid(format!(
                    "the {field} of review {id} has changed since it was queued (it is {standing} now); decide it with --choose kept, or correct it on a laptop"
                )));
            }
            let value = serde_json::from_value::<MemberField>(
                serde_json::json!({ "field": field, "value": other["value"] }),
            )
            .map_err(|e| {
                ServerError::Invalid(format!("review {id} holds a value this server cannot write: {e}"))
            })?;
            let change = MemberChange {
                id: PersonId(member.parse().map_err(|_| damaged(id))?),
                household_id: HouseholdId(household.parse().map_err(|_| damaged(id))?),
                fields: vec![value],
            };
            crate::ingest::record_in(&mut *tx, self.device, ChangeBody::Member(change), now)?;
        }
        tx.execute(
            "UPDATE review SET resolved_at = ?1, resolved_by = ?2, chosen = ?3 WHERE id = ?4",
            args![now, by.trim(), choice.as_str(), id],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn damaged(id: i64) -> ServerError {
    ServerError::Invalid(format!("review {id} names a household or member that is not an id"))
}
