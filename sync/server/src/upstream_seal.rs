//! The district's seals, kept at its block: how a district restored from a backup takes back
//! the changes it made itself after that backup.
//!
//! The district's feed carries a seal on each change the district made (`seal.rs`): an
//! officer's step at the district, a review decided there. A district restored from a backup
//! lost those made after the backup; the blocks that read them are the only place they are
//! left (a laptop holds them too, but without a seal it could show). The block keeps each seal
//! as it reads it ([`keep`]), says at its session the newest of the district's changes it holds
//! (`SessionRequest::server_own_through`), and gives back what the district asks
//! (`SessionReply::own_wanted_after`) with those seals ([`held_after`]); the district takes back
//! only what its own key sealed, as a block does from its laptops (`given_back.rs`). A change
//! the block read before it kept seals has none, and is not given back.

use samanvaya_domain::change::Change as Typed;
use samanvaya_sync_protocol::{GivenBack, Origin, Pulled};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Keeps, in the caller's transaction, the seals of the changes of `district`'s own among
/// `pulled`, once they are stored. Only where the stored change says what the district sealed:
/// one erased here (on arrival, or by a withdrawal since, when the feed is read again) keeps no
/// seal, which would be a digest of what was erased and could never be given back. A change
/// read twice keeps the seal it had.
pub(crate) fn keep(db: &mut dyn Db, district: Uuid, pulled: &[Pulled]) -> Result<(), ServerError> {
    let device = district.to_string();
    for p in pulled.iter().filter(|p| p.origin.device == district) {
        let Some(seal) = &p.seal else { continue };
        let Some(row) = db.query_opt(
            "SELECT kind, change FROM change WHERE origin_device = ?1 AND origin_seq = ?2",
            args![&device, p.origin.seq],
        )?
        else {
            continue;
        };
        if row.text(0)? != p.change.body.kind() || row.text(1)? != crate::stored_change::body_text(&p.change)?
        {
            continue;
        }
        db.execute(
            "INSERT INTO upstream_seal (origin_device, origin_seq, seal, hlc) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (origin_device, origin_seq) DO NOTHING",
            args![&device, p.origin.seq, seal, crate::stored_change::hlc_text(&p.change.hlc)?],
        )?;
    }
    Ok(())
}

/// The changes of `district`'s own this block holds numbered after `after`, each with the
/// seal and the clock reading the district's feed gave it, oldest first.
pub(crate) fn held_after(db: &mut dyn Db, district: Uuid, after: i64) -> Result<Vec<GivenBack>, ServerError> {
    db.query(
        "SELECT c.origin_seq, c.version, coalesce(s.hlc, c.hlc), c.kind, c.change, s.seal
         FROM change c JOIN upstream_seal s ON s.origin_device = c.origin_device AND s.origin_seq = c.origin_seq
         WHERE c.origin_device = ?1 AND c.origin_seq > ?2
         ORDER BY c.origin_seq",
        args![district.to_string(), after],
    )?
    .iter()
    .map(|r| {
        let change: Typed = crate::stored_change::read(r.int(1)?, &r.text(2)?, &r.text(3)?, &r.text(4)?)?;
        Ok(GivenBack { origin: Origin { device: district, seq: r.int(0)? }, change, seal: r.text(5)? })
    })
    .collect()
}

/// Drops, in the caller's transaction, the seal of the change stored here as `seq`, which a
/// withdrawal of consent rewrites (`consent.rs`).
pub(crate) fn forget(db: &mut dyn Db, seq: i64) -> Result<(), ServerError> {
    db.execute(
        "DELETE FROM upstream_seal WHERE EXISTS (
             SELECT 1 FROM change c
             WHERE c.seq = ?1 AND c.origin_device = upstream_seal.origin_device AND c.origin_seq = upstream_seal.origin_seq)",
        args![seq],
    )?;
    Ok(())
}

/// Whether what the district asks back now (after `after`, this block holding its changes
/// through `through`) was given back already: asked the same again, the district refused some
/// of it (a seal that no longer fits), and sending it all again at every round over 2G would
/// change nothing. Returns the mark to keep once given, or none when it was.
pub(crate) fn not_given_yet(
    db: &mut dyn Db,
    through: Option<i64>,
    after: i64,
) -> Result<Option<String>, ServerError> {
    let mark = format!("{}:{after}", through.unwrap_or(0));
    let last = db.query_one("SELECT given_back FROM upstream WHERE id = 1", &[])?.opt_text(0)?;
    Ok((last.as_deref() != Some(mark.as_str())).then_some(mark))
}

/// Keeps that what the district asked back after `after` was given, this block holding its
/// changes through `through` ([`not_given_yet`]).
pub(crate) fn given(db: &mut dyn Db, through: Option<i64>, after: i64) -> Result<(), ServerError> {
    if let Some(mark) = not_given_yet(db, through, after)? {
        db.execute("UPDATE upstream SET given_back = ?1 WHERE id = 1", args![mark])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use samanvaya_domain::change::{ChangeBody, HouseholdChange, HouseholdField};
    use samanvaya_domain::clock::Hlc;
    use samanvaya_domain::ids::{HouseholdId, LocationId};

    use super::*;
    use samanvaya_sync_protocol::Role;

    use crate::store::Store;

    /// A change of the district's own, read off its feed with `seal`; its clock reading an hour
    /// ahead of this block's, which the block caps when it stores the change.
    fn pulled(district: Uuid, seq: i64, seal: &str) -> Pulled {
        let now = Utc::now();
        let hlc = Hlc { wall_ms: (now + Duration::hours(1)).timestamp_millis(), counter: 0, node: district };
        let body = ChangeBody::Household(HouseholdChange {
            id: HouseholdId(Uuid::now_v7()),
            village_id: LocationId(Uuid::now_v7()),
            created_at: now,
            fields: vec![HouseholdField::Address("वार्ड 4".into())],
        });
        Pulled {
            server_seq: seq,
            origin: Origin { device: district, seq },
            recorded_at: now,
            change: Typed::new(hlc, body),
            seal: Some(seal.into()),
        }
    }

    /// The block gives back a change as the district sealed it (its reading as sent, not as
    /// capped here), and what it gave once is not given again for the same ask, while a new
    /// ask, or a newer change held, is given.
    #[test]
    fn a_block_gives_back_its_districts_change_as_sealed_and_the_same_ask_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::sqlite(dir.path(), Role::Block, Utc::now()).unwrap();
        let district = Uuid::now_v7();
        store
            .db
            .execute(
                "INSERT INTO upstream (id, url, server_id, secret) VALUES (1, 'https://district', ?1, 's')",
                args![district],
            )
            .unwrap();
        let first = pulled(district, 4, "seal of 4");
        store.store_pulled(district, std::slice::from_ref(&first), 1, None, Utc::now()).unwrap();
        let stored = store.db.query_one("SELECT hlc FROM change WHERE origin_seq = 4", &[]).unwrap();
        assert_ne!(
            stored.text(0).unwrap(),
            crate::stored_change::hlc_text(&first.change.hlc).unwrap(),
            "capped"
        );

        let held = held_after(&mut *store.db, district, 0).unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!((held[0].change.clone(), held[0].seal.as_str()), (first.change.clone(), "seal of 4"));
        assert!(held_after(&mut *store.db, district, 4).unwrap().is_empty());

        assert!(not_given_yet(&mut *store.db, Some(4), 0).unwrap().is_some());
        given(&mut *store.db, Some(4), 0).unwrap();
        assert!(not_given_yet(&mut *store.db, Some(4), 0).unwrap().is_none(), "the same ask, given");
        assert!(not_given_yet(&mut *store.db, Some(4), 2).unwrap().is_some(), "another ask");
        assert!(not_given_yet(&mut *store.db, Some(9), 0).unwrap().is_some(), "a newer change held");

        // A withdrawal that rewrites the change drops its seal: nothing of it is given back.
        let seq =
            store.db.query_one("SELECT seq FROM change WHERE origin_seq = 4", &[]).unwrap().int(0).unwrap();
        forget(&mut *store.db, seq).unwrap();
        assert!(held_after(&mut *store.db, district, 0).unwrap().is_empty());
    }
}
