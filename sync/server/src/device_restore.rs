//! Which copy of a laptop restored from a backup is the laptop (`samanvaya_domain::restore`).
//!
//! The block keeps the restores its live copy descends from (`device.restores`, server
//! migration 0036, PostgreSQL 0034), learnt from the laptop's sessions and sync files. A copy
//! restored since becomes the live one. A copy from before (the old laptop found working, or its
//! sync file found late on a USB stick) is refused whole: the restored copy numbered its own work
//! after the backup's last change, where the old copy's numbers mean other changes, and taken,
//! those passed for the restored copy's work or the restored copy's for them, and one side was
//! lost. A block restored from a backup of its own that lost the record learns it again from the
//! laptop's next word.

use samanvaya_domain::restore::{Standing, standing};
use samanvaya_sync_protocol::{RefusalCode, Restore};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// What a copy of a laptop from before its restore speaks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    Session,
    File,
}

/// Judges the copy of laptop `device` that says `restores` against the live copy this server
/// knows of, and records it as the live copy when it was restored since. The caller owns the
/// transaction; a copy from before is refused, and nothing of its request should be kept.
pub fn judge(
    db: &mut dyn Db,
    device: Uuid,
    restores: &[Restore],
    through: Through,
) -> Result<(), ServerError> {
    match standing(&live(db, device)?, restores) {
        Standing::Live => Ok(()),
        Standing::Later => {
            db.execute(
                "UPDATE device SET restores = ?1 WHERE id = ?2",
                args![serde_json::to_string(restores)?, device],
            )?;
            Ok(())
        }
        Standing::Superseded { after } => Err(ServerError::refused(
            RefusalCode::RestoredElsewhere,
            match through {
                Through::Session => format!(
                    "this copy of the laptop is from before the laptop was restored from a backup on another copy, which syncs as this laptop now: after its change {after}, the numbers are that copy's. Nothing of this copy was taken; go on with the restored copy, and tell the block office"
                ),
                Through::File => format!(
                    "this file was written on the laptop before it was restored from its backup, and the restored laptop has synced since: after its change {after}, the numbers are the restored laptop's. Nothing of the file was taken; the old laptop's changes in it after that number cannot be taken, and are lost with that laptop"
                ),
            },
        )),
    }
}

/// The restores of the live copy of laptop `device` this server knows of, for an answer written
/// to it on a USB stick (`FeedFile::restores`).
pub fn live(db: &mut dyn Db, device: Uuid) -> Result<Vec<Restore>, ServerError> {
    let text = db.query_one("SELECT restores FROM device WHERE id = ?1", args![device])?.opt_text(0)?;
    Ok(match text {
        Some(t) => serde_json::from_str(&t)?,
        None => Vec::new(),
    })
}
