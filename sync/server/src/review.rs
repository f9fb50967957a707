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
    /// Decides review `id` as `by`: the value chosen is written as a change made here (`Kept`
    /// only while it still stands). Refused, with nothing written, for a review that is not
    /// here or was decided already, and `Other` over a member removed or a value changed since.
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
        let (household, member, field) = (row.text(0)?, row.text(1)?, row.text(2)?);
        let other: serde_json::Value = serde_json::from_str(&row.text(3)?)?;
        let kept: serde_json::Value = serde_json::from_str(&row.text(5)?)?;
        let column = match field.as_str() {
            "name" | "relation" | "sex" | "birth_date" => field.as_str(),
            _ => return Err(damaged(id)),
        };
        // The value standing now, none for a member removed since (a second record of her made
        // one with the first).
        let standing = match tx
            .query_opt(&format!("SELECT removed, {column} FROM member WHERE id = ?1"), args![&member])?
        {
            Some(r) if r.int(0)? == 0 => {
                Some(r.opt_text(1)?.map_or(serde_json::Value::Null, serde_json::Value::from))
            }
            _ => None,
        };
        // The value decided travels as a change made here, so that every laptop ends with it and
        // a server that queued the same conflict (the district) closes it when it arrives
        // (`settled_by_block`). The other value goes in place only over the value the review
        // was made about: a member removed since is not brought back by it, nor a correction
        // written since overwritten. Keeping the value standing writes it again only while it
        // still stands; otherwise the review is simply closed.
        let decided = match (choice, &standing) {
            (Choice::Other, None) => {
                return Err(ServerError::Invalid(format!(
                    "review {id} is about a member removed since; decide it with --choose kept to close it"
                )));
            }
            (Choice::Other, Some(now_value)) if *now_value != kept["value"] => {
                return Err(ServerError::Invalid(format!(
                    "the {field} of review {id} has changed since it was queued (it is {now_value} now); decide it with --choose kept, or correct it on a laptop"
                )));
            }
            (Choice::Other, Some(_)) => Some(&other["value"]),
            (Choice::Kept, Some(now_value)) if *now_value == kept["value"] => Some(&kept["value"]),
            (Choice::Kept, _) => None,
        };
        if let Some(value) = decided {
            let value =
                serde_json::from_value::<MemberField>(serde_json::json!({ "field": field, "value": value }))
                    .map_err(|e| {
                        ServerError::Invalid(format!(
                            "review {id} holds a value this server cannot write: {e}"
                        ))
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

/// Closes the open reviews of the fields that another server's own change to a member sets: a
/// block's, arriving at its district, or the district's, pulled by a block. That server's
/// operator decided them there (`samanvaya-server review`), and the decision arrives here as a
/// change it made, so the same conflict queued here is not left for a second person to decide
/// again. Recorded as decided by that server (`role` and its name), in the caller's transaction.
pub(crate) fn settled_by_server(
    db: &mut dyn crate::sql::Db,
    server: &str,
    role: &str,
    change: &MemberChange,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let name = db
        .query_opt("SELECT name FROM device WHERE id = ?1", args![server])?
        .map(|r| r.text(0))
        .transpose()?;
    let who = format!("{role} {}", name.unwrap_or_else(|| server.to_owned()));
    for field in &change.fields {
        let Some(column) = identity_column(field) else { continue };
        db.execute(
            "UPDATE review SET resolved_at = ?1, resolved_by = ?2, chosen = ?3
             WHERE member_id = ?4 AND field = ?5 AND resolved_at IS NULL",
            args![now, &who, role, change.id.0, column],
        )?;
    }
    Ok(())
}

/// Closes the open reviews that a change this server made decided, stored here again after a
/// restore from a backup (given back by a laptop that read it, or read back from the district):
/// the operator decided them after the backup was taken, so the restored queue holds them open
/// again, and nobody should decide a second time what the value in place already says. Recorded
/// as decided before the restore, at the change's own time (`decided_at`, its clock reading; or
/// when the review was queued, for one queued again since the restore by the laptops' changes
/// sent again), with the value the change chose. A review whose two values are neither that
/// value is not what the change decided, and stays open. A decision that wrote no change (the
/// value kept had not changed since) cannot be given back, and its review stays open to be
/// decided again.
pub(crate) fn settled_before_restore(
    db: &mut dyn crate::sql::Db,
    change: &MemberChange,
    decided_at: DateTime<Utc>,
) -> Result<(), ServerError> {
    for field in &change.fields {
        let Some(column) = identity_column(field) else { continue };
        let value = serde_json::to_value(field)?["value"].clone();
        let open = db.query(
            "SELECT id, kept, other FROM review
             WHERE member_id = ?1 AND field = ?2 AND resolved_at IS NULL",
            args![change.id.0, column],
        )?;
        for row in open {
            let kept: serde_json::Value = serde_json::from_str(&row.text(1)?)?;
            let other: serde_json::Value = serde_json::from_str(&row.text(2)?)?;
            let chosen = if kept["value"] == value {
                Choice::Kept
            } else if other["value"] == value {
                Choice::Other
            } else {
                continue;
            };
            db.execute(
                "UPDATE review SET resolved_at = CASE WHEN created_at > ?1 THEN created_at ELSE ?1 END,
                                   resolved_by = ?2, chosen = ?3
                 WHERE id = ?4",
                args![decided_at, "before this server's restore from a backup", chosen.as_str(), row.int(0)?],
            )?;
        }
    }
    Ok(())
}

/// The member column of an identity field, the fields a review is about; `None` for the others.
fn identity_column(field: &MemberField) -> Option<&'static str> {
    match field {
        MemberField::Name(_) => Some("name"),
        MemberField::Relation(_) => Some("relation"),
        MemberField::Sex(_) => Some("sex"),
        MemberField::BirthDate(_) => Some("birth_date"),
        _ => None,
    }
}

fn damaged(id: i64) -> ServerError {
    ServerError::Invalid(format!("review {id} names a household or member that is not an id"))
}
