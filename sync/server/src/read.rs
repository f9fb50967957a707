//! What operators, the tests and (next) the console read of the current state: the review queue,
//! a member's standing name, how many changes are stored. Read through the storage interface, so
//! they mean the same on SQLite and PostgreSQL.

use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::args;
use crate::store::Store;

/// An identity field written on two devices that had not seen each other's write: the value
/// standing now and the one that lost by clock, each with the device that wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// The number `samanvaya-server review ID` decides it by.
    pub id: i64,
    /// The household's number, as the village knows it.
    pub number: Option<i64>,
    pub household_id: String,
    pub member_id: String,
    pub field: String,
    pub kept: serde_json::Value,
    pub other: serde_json::Value,
}

impl Store {
    /// The reviews no person has decided yet, oldest first.
    pub fn open_reviews(&mut self) -> Result<Vec<Review>, ServerError> {
        self.db
            .query(
                "SELECT r.household_id, r.member_id, r.field, r.kept, r.other, r.id, h.number FROM review r
                 LEFT JOIN household h ON h.id = r.household_id
                 WHERE r.resolved_at IS NULL ORDER BY r.id",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(Review {
                    id: r.int(5)?,
                    number: r.opt_int(6)?,
                    household_id: r.text(0)?,
                    member_id: r.text(1)?,
                    field: r.text(2)?,
                    kept: serde_json::from_str(&r.text(3)?)?,
                    other: serde_json::from_str(&r.text(4)?)?,
                })
            })
            .collect()
    }

    /// A member's name as it stands, if the member is known here.
    pub fn member_name(&mut self, member: Uuid) -> Result<Option<String>, ServerError> {
        self.db
            .query_opt("SELECT name FROM member WHERE id = ?1", args![member])?
            .map(|r| r.text(0))
            .transpose()
    }

    /// How many changes this server stores, each once.
    pub fn changes_stored(&mut self) -> Result<i64, ServerError> {
        self.db.query_one("SELECT count(*) FROM change", &[])?.int(0)
    }
}
