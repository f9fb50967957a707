//! The block's answer brought on a USB stick (`samanvaya-server export-feed`), kept in one
//! transaction: what the block holds of this laptop's work, how far it holds its audit log, the
//! feed's epoch, the page of the feed with its cursor, what the block asks back, and the round
//! noted as done. Kept step by step, an answer cut short (the laptop's power gone, its disk
//! full) left some of it kept and the rest not; applied again it mostly healed, but an answer
//! already counted as the latest one was then taken as an older word (found by a review).

use rusqlite::TransactionBehavior;
use samanvaya_domain::{Hlc, Moment};
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::Store;
use crate::sync_link::{self, AskedRun, Incoming, Told};

/// What the block's answer on a stick says, as the laptop keeps it (`Store::apply_stick_answer`).
#[derive(Debug, Clone, Copy)]
pub struct StickAnswer<'a> {
    /// The block's id, as the laptop is enrolled with it.
    pub server: &'a str,
    /// The answer is to a file written at this laptop's present acknowledgement: it says what
    /// the block holds now, less than before when the block was restored from a backup. An
    /// older answer applied late says an older word, and moves nothing back.
    pub latest: bool,
    /// How far the block holds this laptop's changes, with those it refused or put up for
    /// review, and the clock readings it capped.
    pub acked_through: i64,
    pub told: &'a Told,
    pub capped: &'a [(i64, Hlc)],
    /// How far the district holds this laptop's changes, as the block knows it.
    pub reached_district: Option<i64>,
    /// How far the block holds the device's audit log, and each branch of it by id.
    pub audit_through: i64,
    pub audit_branches: &'a [(Uuid, i64)],
    /// The block's feed epoch, where it differs from the one this laptop read under (the
    /// block was restored from a backup and numbered its feed again): the feed is read again
    /// from its start.
    pub new_epoch: Option<&'a str>,
    /// The page of the block's feed, and where it ends, with the origin of its last change.
    pub changes: &'a [Incoming],
    pub cursor: i64,
    pub cursor_origin: Option<(Uuid, i64)>,
    /// What the block, restored from a backup, asks back: its own changes after a number,
    /// and other laptops' runs.
    pub own_wanted_after: Option<i64>,
    pub others_wanted: &'a [AskedRun],
    /// After which of this laptop's own changes the answer carries them (a restored laptop
    /// asked for its old run).
    pub own_after: Option<i64>,
}

impl Store {
    /// Keeps the block's answer from a USB stick whole or not at all, and returns how many of
    /// its changes were applied here for the first time.
    pub fn apply_stick_answer(&mut self, answer: &StickAnswer<'_>, at: Moment) -> Result<usize, StoreError> {
        let me = crate::centre::device_id(&self.conn, at.utc)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if answer.latest {
            sync_link::block_restored(&tx, answer.acked_through)?;
        }
        sync_link::acked(&tx, me, answer.acked_through, answer.told, answer.capped, at.utc)?;
        // Only from the latest answer: an older one would move the panel back (or, after a
        // restore of the district, on).
        if let Some(through) = answer.reached_district.filter(|_| answer.latest) {
            tx.execute("UPDATE sync_link SET reached_district = ?1 WHERE id = 1", [through])?;
        }
        sync_link::audit_held_by_stick(
            &tx,
            answer.audit_through,
            answer.audit_branches,
            answer.latest,
            at.utc,
        )?;
        // The old numbers are forgotten before the page's are kept.
        if let Some(epoch) = answer.new_epoch {
            sync_link::new_epoch(&tx, epoch)?;
        }
        let applied = sync_link::apply_page(
            &tx,
            me,
            answer.server,
            answer.changes,
            answer.cursor,
            answer.cursor_origin,
            at,
        )?;
        sync_link::stick_asked(&tx, answer.own_wanted_after, answer.others_wanted)?;
        // A restored laptop asked for its own changes after some number, and they came.
        if let (Some(carried), Some(wanted)) = (answer.own_after, crate::restored::own_pull_after(&tx)?)
            && carried <= wanted
        {
            crate::restored::own_pulled(&tx)?;
        }
        // A round with the block, as a session is; and, as a session does, the seed kept to
        // enroll with is spent.
        tx.execute(
            "UPDATE sync_link SET last_attempt_at = ?1, last_success_at = ?1, last_error = NULL WHERE id = 1",
            [at.utc],
        )?;
        crate::sync_link::seed_used(&tx)?;
        tx.commit()?;
        self.after_pulled(answer.changes, at);
        Ok(applied)
    }
}
