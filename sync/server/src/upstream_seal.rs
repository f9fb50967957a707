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
//! only what its own key sealed, as a block does from its laptops (`given_back.rs`).

use samanvaya_sync_protocol::{GivenBack, Origin, Pulled};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Keeps, in the caller's transaction, the seals of the changes of `district`'s own among
/// `pulled`. A change read twice (the district's feed read again after its restore) keeps the
/// seal it had.
pub(crate) fn keep(db: &mut dyn Db, district: Uuid, pulled: &[Pulled]) -> Result<(), ServerError> {
    let device = district.to_string();
    for p in pulled.iter().filter(|p| p.origin.device == district) {
        if let Some(seal) = &p.seal {
            db.execute(
                "INSERT INTO upstream_seal (origin_device, origin_seq, seal) VALUES (?1, ?2, ?3)
                 ON CONFLICT (origin_device, origin_seq) DO NOTHING",
                args![&device, p.origin.seq, seal],
            )?;
        }
    }
    Ok(())
}

/// The changes of `district`'s own this block holds numbered after `after`, each with the
/// seal the district's feed gave it, oldest first. One erased since by a withdrawal of consent
/// is left out: its seal was made over what it said before, and the district, restored, hears
/// of the withdrawal from the laptops again.
pub(crate) fn held_after(db: &mut dyn Db, district: Uuid, after: i64) -> Result<Vec<GivenBack>, ServerError> {
    db.query(
        "SELECT c.origin_seq, c.version, c.hlc, c.kind, c.change, s.seal
         FROM change c JOIN upstream_seal s ON s.origin_device = c.origin_device AND s.origin_seq = c.origin_seq
         WHERE c.origin_device = ?1 AND c.origin_seq > ?2 AND c.kind <> 'redacted'
         ORDER BY c.origin_seq",
        args![district.to_string(), after],
    )?
    .iter()
    .map(|r| {
        Ok(GivenBack {
            origin: Origin { device: district, seq: r.int(0)? },
            change: crate::stored_change::read(r.int(1)?, &r.text(2)?, &r.text(3)?, &r.text(4)?)?,
            seal: r.text(5)?,
        })
    })
    .collect()
}
