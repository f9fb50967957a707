//! The feed's epoch: how a server restored from a backup tells its devices to read its feed
//! again. Restored, the server numbers its changes again from where the backup stood, below
//! where its devices had read the feed; a device asking after its old cursor would skip what
//! is numbered in between. The server cannot tell from its store that it was restored (the
//! store is a copy), only from a device that says it holds more: a laptop whose pushes it
//! acknowledged further than it holds (a session), a laptop reading after the newest change it
//! holds (a pull), or its district holding more of its own changes than it has made (its
//! upstream session). It then makes a new epoch, sent with every pull; a device that sees a new
//! one reads the feed again from its start.
//!
//! A restore happens while the server is stopped, so the epoch is made once per run of the
//! server process (`Store::run`): the devices that find one restore during one run make one
//! epoch, and read the feed again once. A device that first shows it in a later run (the block
//! started again before it came) says the epoch it read under (`read_under`): under an older
//! one than the current, what it shows is the restore the current one was made for, and no new
//! epoch is made; under one this store never made (a second restore, from a backup older than
//! that epoch), a new one is. Only a device too old to say makes another for a restore found
//! already, and the devices read the feed again once more. A command writing a stick's answer file finds none (`feed.rs`).

use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Notes that this server was found restored from a backup during run `run`: a new epoch,
/// unless one was made in this run already.
pub fn restored(db: &mut dyn Db, run: Uuid) -> Result<(), ServerError> {
    let epoch = Uuid::now_v7();
    let made = db.execute(
        "UPDATE identity SET feed_epoch = ?1, feed_epoch_run = ?2
         WHERE id = 1 AND (feed_epoch_run IS NULL OR feed_epoch_run <> ?2)",
        args![epoch, run],
    )?;
    if made > 0 {
        db.execute("INSERT INTO feed_epoch_made (epoch) VALUES (?1)", args![epoch])?;
        // Where each laptop's sync files said it had read is in the old numbers: an answer on
        // a stick started there would skip, in the new ones, what a laptop reading again has
        // not read yet. Each laptop's next file says where it stands.
        db.execute("UPDATE device SET usb_pulled_through = 0", &[])?;
    }
    Ok(())
}

/// Where the epoch a device says it read the feed under stands at this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadUnder {
    /// The current epoch (none, while there is none), or a device too old to say: what it holds
    /// past this server's store shows a new restore.
    Current,
    /// One this server made before the current one (or none, once there is one): the device
    /// reads the feed again when it sees the current one, and what it holds past this server's
    /// store is the restore the current one was made for, which is no news.
    Older,
    /// One this store never made: the device read a feed made after the backup this server
    /// was restored from, which is a restore however far it read (the reply must name a new
    /// epoch, or the device would keep its cursor in a feed numbered again).
    Lost,
}

/// Where `read` (empty: under none; `None`: a device too old to say) stands at this server.
pub fn read_under(db: &mut dyn Db, read: Option<&str>) -> Result<ReadUnder, ServerError> {
    let Some(read) = read else { return Ok(ReadUnder::Current) };
    if current(db)?.as_deref().unwrap_or("") == read {
        return Ok(ReadUnder::Current);
    }
    let made_here = read.is_empty()
        || db.query_opt("SELECT 1 FROM feed_epoch_made WHERE epoch = ?1", args![read])?.is_some();
    Ok(if made_here { ReadUnder::Older } else { ReadUnder::Lost })
}

/// The feed's epoch, if a restore was ever found.
pub fn current(db: &mut dyn Db) -> Result<Option<String>, ServerError> {
    db.query_one("SELECT feed_epoch FROM identity WHERE id = 1", &[])?.opt_text(0)
}

/// Whether a laptop's sync file brought by USB stick, written by a laptop that had read this
/// server's feed through `pulled_through` under `read_under`, asks for the feed again from its
/// start: read under another epoch than the current one, or under the current one (or before
/// any) past the newest change here or to a change here of another origin than the one it read
/// there (`pulled_origin`), or under one when this server holds none, which shows this server
/// was restored from a backup and begins a new epoch. The command importing it is a run of its own, so the laptop's epoch, not
/// the run, keeps one restore to one epoch among stick files: a laptop under an older epoch
/// begins none. The running server may still make another for the same restore when an online
/// device shows it afterwards, in its own run: the devices then read the feed once more.
pub fn stick_reads_again(
    db: &mut dyn Db,
    read_under: Option<&str>,
    pulled_through: i64,
    pulled_origin: Option<samanvaya_sync_protocol::Origin>,
) -> Result<bool, ServerError> {
    if read_here(db, read_under, pulled_through, pulled_origin)? {
        return Ok(false);
    }
    // Read under another epoch than the current one: read again, and no epoch begins.
    if current(db)?.is_some_and(|held| Some(held.as_str()) != read_under) {
        return Ok(true);
    }
    // Read under no epoch, or the current one, of a feed this server no longer holds.
    let mut tx = db.transaction(crate::sql::Mode::Write)?;
    restored(&mut *tx, Uuid::now_v7())?;
    tx.commit()?;
    Ok(true)
}

/// Whether a laptop that read this server's feed through `pulled_through` under `read_under`
/// (its last sync file says so) read the feed this server holds now, as
/// [`stick_reads_again`] judges it, without beginning an epoch: for a file whose laptop is
/// answered no more (a copy from before its restore, `old_copy.rs`), whose changes are merged
/// as made having read that far, or having read nothing.
pub fn read_here(
    db: &mut dyn Db,
    read_under: Option<&str>,
    pulled_through: i64,
    pulled_origin: Option<samanvaya_sync_protocol::Origin>,
) -> Result<bool, ServerError> {
    let held = current(db)?;
    if held.is_some() && held.as_deref() != read_under {
        return Ok(false);
    }
    let newest = db.query_one("SELECT coalesce(max(seq), 0) FROM change", &[])?.int(0)?;
    // A laptop that read under an epoch this server does not hold at all read a feed it has
    // lost: restored from a backup older than its first epoch. Answered with no epoch, the
    // laptop would refuse every answer (`import_feed`).
    let lost_epoch = held.is_none() && read_under.is_some();
    // Where the laptop's cursor stands, another change than the one it read there: numbered
    // past it since the restore (as online, `feed.rs`).
    let moved = match pulled_origin {
        Some(at) if pulled_through > 0 => crate::feed::origin_at(db, pulled_through)? != Some(at),
        _ => false,
    };
    Ok(pulled_through <= newest && !lost_epoch && !moved)
}
