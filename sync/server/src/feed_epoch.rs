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
//! started again before it came) says the epoch it read under (`unexplained`): under an older
//! one than the current, what it shows is the restore the current one was made for, and no new
//! epoch is made; only a device too old to say makes another, and the devices read the feed
//! again once more. A command writing a stick's answer file finds none (`feed.rs`).

use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Notes that this server was found restored from a backup during run `run`: a new epoch,
/// unless one was made in this run already.
pub fn restored(db: &mut dyn Db, run: Uuid) -> Result<(), ServerError> {
    db.execute(
        "UPDATE identity SET feed_epoch = ?1, feed_epoch_run = ?2
         WHERE id = 1 AND (feed_epoch_run IS NULL OR feed_epoch_run <> ?2)",
        args![Uuid::now_v7(), run],
    )?;
    Ok(())
}

/// Whether what a device that read the feed under `read_under` (empty: under none; `None`: a
/// device too old to say) shows of a restore is news. A device under another epoch than the
/// current one reads the feed again from its start when it sees the current one, and what it
/// held past this server's store is the restore that epoch was made for; only a device under
/// the current epoch (or a server with none, and a device under none) shows a new restore.
pub fn unexplained(db: &mut dyn Db, read_under: Option<&str>) -> Result<bool, ServerError> {
    let Some(read) = read_under else { return Ok(true) };
    Ok(current(db)?.as_deref().unwrap_or("") == read)
}

/// The feed's epoch, if a restore was ever found.
pub fn current(db: &mut dyn Db) -> Result<Option<String>, ServerError> {
    db.query_one("SELECT feed_epoch FROM identity WHERE id = 1", &[])?.opt_text(0)
}

/// Whether a laptop's sync file brought by USB stick, written by a laptop that had read this
/// server's feed through `pulled_through` under `read_under`, asks for the feed again from its
/// start: read under another epoch than the current one, or under the current one (or before
/// any) past the newest change here, or under one when this server holds none, which shows
/// this server was restored from a backup and begins a new epoch. The command importing it is a run of its own, so the laptop's epoch, not
/// the run, keeps one restore to one epoch among stick files: a laptop under an older epoch
/// begins none. The running server may still make another for the same restore when an online
/// device shows it afterwards, in its own run: the devices then read the feed once more.
pub fn stick_reads_again(
    db: &mut dyn Db,
    read_under: Option<&str>,
    pulled_through: i64,
) -> Result<bool, ServerError> {
    let held = current(db)?;
    if held.is_some() && held.as_deref() != read_under {
        return Ok(true);
    }
    let newest = db.query_one("SELECT coalesce(max(seq), 0) FROM change", &[])?.int(0)?;
    // A laptop that read under an epoch this server does not hold at all read a feed it has
    // lost: restored from a backup older than its first epoch. Answered with no epoch, the
    // laptop would refuse every answer (`import_feed`).
    let lost_epoch = held.is_none() && read_under.is_some();
    if pulled_through <= newest && !lost_epoch {
        return Ok(false);
    }
    let mut tx = db.transaction(crate::sql::Mode::Write)?;
    restored(&mut *tx, Uuid::now_v7())?;
    tx.commit()?;
    Ok(true)
}
