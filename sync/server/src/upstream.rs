//! The block's link to its district: the block enrolls with a code from the district, then
//! forwards every change it stored (keeping each change's origin, so the district never counts
//! one twice) and pulls back what the district decided, with the same client and protocol as a
//! laptop. Changes that came down from the district are never sent back up. Last in each
//! sync, the block forwards its laptops' audit logs, each under its laptop's id, once that
//! laptop's changes have reached the district (which accepts a laptop's log only from the block
//! its changes came through); a failure there is logged and tried again at the next sync.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use samanvaya_sync_client::link::{self, Link};
use samanvaya_sync_client::{Local, Numbers, Remote, Report, SyncError, Tuning, sync_once};
use samanvaya_sync_protocol::{
    Applicant, AuditEntry, AuditFork, AuditHeld, Change, ChangeResult, DeviceKind, GivenBack, Lease, Origin,
    OwnAsked, PullReply, Pushed, RefusalCode,
};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};
use crate::store::Store;

/// The district this block forwards to, as the block keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub url: String,
    pub server: Uuid,
    pub secret: String,
    /// The district's certificate, pinned at enrollment (none over plain HTTP on one computer).
    pub certificate: Option<String>,
}

/// The changes a block forwards, `?1` its district's id: those past what the district said it
/// holds, but for those that came from the district, were refused here or wait for their
/// household. The forwarding sends them and `status` counts them, by the same words.
const TO_FORWARD: &str = "seq > (SELECT acked_through FROM upstream WHERE id = 1) AND via != ?1
     AND outcome NOT LIKE 'rejected%' AND outcome NOT LIKE 'waiting%'";

/// How this block's forwarding to its district stands, for its operator
/// (`samanvaya-server status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarding {
    pub url: String,
    /// The last of this block's changes the district said it holds.
    pub acked_through: i64,
    /// The changes to forward that the district has not said it holds.
    pub waiting: i64,
    pub last_success_at: Option<String>,
    /// The last round's failure, in the words the forwarding logged; none once a round went
    /// through.
    pub last_error: Option<String>,
}

impl Store {
    /// How forwarding to the district stands; `None` for a server enrolled with no district.
    pub fn forwarding(&mut self) -> Result<Option<Forwarding>, ServerError> {
        let Some(row) = self.db.query_opt(
            "SELECT url, acked_through, last_success_at, last_error, server_id FROM upstream WHERE id = 1",
            &[],
        )?
        else {
            return Ok(None);
        };
        let acked_through = row.int(1)?;
        let waiting = self
            .db
            .query_one(&format!("SELECT count(*) FROM change WHERE {TO_FORWARD}"), args![row.text(4)?])?
            .int(0)?;
        Ok(Some(Forwarding {
            url: row.text(0)?,
            acked_through,
            waiting,
            last_success_at: row.opt_text(2)?,
            last_error: row.opt_text(3)?,
        }))
    }

    /// How far the district said it holds this block's work (0 with no district).
    pub fn upstream_acked_through(&mut self) -> Result<i64, ServerError> {
        self.db
            .query_opt("SELECT acked_through FROM upstream WHERE id = 1", &[])?
            .map(|r| r.int(0))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    pub fn upstream(&mut self) -> Result<Option<Upstream>, ServerError> {
        self.db
            .query_opt("SELECT url, server_id, secret, certificate FROM upstream WHERE id = 1", &[])?
            .map(|r| {
                Ok(Upstream {
                    url: r.text(0)?,
                    server: r.uuid(1)?,
                    secret: r.text(2)?,
                    certificate: r.opt_text(3)?,
                })
            })
            .transpose()
    }

    /// The highest number among the changes the district made itself (a review decided, a step
    /// taken there) that this block holds, if any: said at each session, as a laptop says it of
    /// its block's, so that a district restored from a backup numbers its own next changes after
    /// it. Numbered again from the backup, the block took them for those it held and skipped
    /// them: a sanction decided at the restored district never reached the village.
    pub fn upstream_own_through(&mut self, district: Uuid) -> Result<Option<i64>, ServerError> {
        self.db
            .query_one("SELECT max(origin_seq) FROM change WHERE origin_device = ?1", args![district])?
            .opt_int(0)
    }

    /// The district's feed epoch this block read its feed under, empty for none: said at each
    /// session and pull, so that a district restored from a backup makes no new epoch for a
    /// restore it found already (`SessionRequest::feed_epoch_read`).
    pub fn upstream_feed_epoch(&mut self) -> Result<String, ServerError> {
        Ok(self
            .db
            .query_one("SELECT feed_epoch FROM upstream WHERE id = 1", &[])?
            .opt_text(0)?
            .unwrap_or_default())
    }

    /// After a session with the district that succeeded over a handshake with certificate
    /// `presented`, in which it announced `next` (or none): as a laptop does
    /// (`samanvaya_core::Store::certificate_state`), pins `presented` if it is the announced
    /// certificate kept before, then keeps `next` or forgets the kept one, in one transaction.
    pub fn upstream_certificate_state(
        &mut self,
        presented: Option<&str>,
        next: Option<&str>,
    ) -> Result<(), ServerError> {
        let mut tx = self.db.transaction(crate::sql::Mode::Write)?;
        if let Some(seen) = presented {
            let pinned = tx.execute(
                "UPDATE upstream SET certificate = next_certificate, next_certificate = NULL
                 WHERE id = 1 AND next_certificate = ?1",
                args![seen],
            )?;
            if pinned > 0 {
                eprintln!("the district presents its new certificate {seen}: pinned in place of the old one");
            }
        }
        tx.execute(
            "UPDATE upstream SET next_certificate = ?1
             WHERE id = 1 AND certificate IS NOT NULL AND certificate != coalesce(?1, '')",
            args![next],
        )?;
        tx.commit()
    }

    /// Forwards to the district at `url` from now on, with the certificate pinned at enrollment
    /// (see `main.rs`: only a block with a pinned certificate follows its district).
    pub fn move_upstream(&mut self, url: &str) -> Result<(), ServerError> {
        self.db.execute("UPDATE upstream SET url = ?1 WHERE id = 1", args![url])?;
        Ok(())
    }

    /// The district's announced certificate, if any.
    pub fn upstream_next_certificate(&mut self) -> Result<Option<String>, ServerError> {
        Ok(self
            .db
            .query_opt("SELECT next_certificate FROM upstream WHERE id = 1", &[])?
            .map(|r| r.opt_text(0))
            .transpose()?
            .flatten())
    }

    fn save_upstream(&mut self, u: &Upstream) -> Result<(), ServerError> {
        self.db.execute(
            "INSERT INTO upstream (id, url, server_id, secret, certificate) VALUES (1, ?1, ?2, ?3, ?4)",
            args![&u.url, u.server, &u.secret, u.certificate.as_deref()],
        )?;
        Ok(())
    }

    /// The district's new word for this block after enrolling again (`enroll_again`): its
    /// address, the block's secret and the certificate the district presented; a certificate
    /// it had announced is forgotten with the old one. What the block forwarded and read stays:
    /// a restored district is found so by it at the next session.
    fn renew_upstream(&mut self, u: &Upstream) -> Result<(), ServerError> {
        let changed = self.db.execute(
            "UPDATE upstream SET url = ?1, secret = ?2, certificate = ?3, next_certificate = NULL, last_error = NULL
             WHERE id = 1 AND server_id = ?4",
            args![&u.url, &u.secret, u.certificate.as_deref(), u.server],
        )?;
        if changed == 0 {
            return Err(ServerError::Invalid(format!(
                "the district {} enrolled this block again, but this block no longer forwards to it; nothing was kept",
                u.server
            )));
        }
        Ok(())
    }

    /// Notes how a round ended: `went_through` when the forwarding did (its `error` then the
    /// district's rules refused here, which stop nothing else), or failed with `error`.
    fn upstream_finished(
        &mut self,
        at: DateTime<Utc>,
        went_through: bool,
        error: Option<&str>,
    ) -> Result<(), ServerError> {
        match went_through {
            true => self.db.execute(
                "UPDATE upstream SET last_success_at = ?1, last_error = ?2 WHERE id = 1",
                args![at, error],
            )?,
            false => self.db.execute("UPDATE upstream SET last_error = ?1 WHERE id = 1", args![error])?,
        };
        Ok(())
    }
}

/// Enrolls this block with its district, once; later starts find the enrollment stored.
pub async fn enroll(store: &Arc<Mutex<Store>>, url: &str, code: &str, name: &str) -> Result<(), ServerError> {
    let seed = lock(store)?.enrollment_seed(code)?;
    enroll_through(store, url, name, async |applicant| link::enroll(url, code, applicant, &seed).await).await
}

/// As [`enroll`], with the district reached through `ask` (the HTTPS link, or a district in the
/// same process in the simulation of many laptops), which is given the block's application.
pub async fn enroll_through(
    store: &Arc<Mutex<Store>>,
    url: &str,
    name: &str,
    ask: impl AsyncFnOnce(Applicant) -> Result<link::Enrolled, SyncError>,
) -> Result<(), ServerError> {
    let device = {
        let mut s = lock(store)?;
        if s.upstream()?.is_some() {
            return Ok(());
        }
        s.device()
    };
    let applicant = Applicant { device, kind: DeviceKind::Block, name: name.to_owned(), villages: vec![] };
    let link::Enrolled { reply, pin } = ask(applicant).await.map_err(|e| {
        ServerError::Invalid(format!("the district at {url} refused to enroll this block: {e}"))
    })?;
    lock(store)?.save_upstream(&Upstream {
        url: url.trim_end_matches('/').to_owned(),
        server: reply.server,
        secret: reply.secret,
        certificate: pin,
    })
}

/// Why a block was not enrolled again (`enroll_again`), in the operator's words.
#[derive(Debug)]
pub struct NotAgain {
    pub why: String,
    /// The district was not reached, or not in time: the same code may be tried at the next
    /// round. A refusal is final for the code (spent, expired, or the block known there).
    pub try_later: bool,
    /// The district refused the code (spent, expired, unknown, or a plain code to a block at
    /// work there, whose refusal names the code made for it): another code may do. Another
    /// district or another certificate than the one named: it would not.
    pub new_code_helps: bool,
}

/// Enrolls this block again with its district, with a new `code`, keeping its identity and
/// its work: for a district that no longer knows the block (restored from a backup older than
/// the block's enrollment), which refuses its sessions as a device it does not know over the
/// pinned connection, or one that lost its certificate and presents `new_certificate`, which
/// its operator read out with a code made for this block (`enroll-code --again`). Asked only
/// then ([`run`]): the code is sent only to a server presenting the pinned (or announced)
/// certificate, or the one named, so an old code left in the start command never reaches
/// whoever sits on the way, who might know it. The reply's proof of the code (protocol 9)
/// shows the server too. The block's next session finds the district restored by what the
/// block says it holds, and forwards again what the district lacks.
///
/// A server that names itself another district (one set up anew with the old one's
/// certificate) is not sent the code: moving a block to another district is not built
/// (docs/sync.md, "Not built yet"). What to say to the operator is returned.
pub async fn enroll_again(
    store: &Arc<Mutex<Store>>,
    code: &str,
    name: &str,
    new_certificate: Option<&str>,
) -> Result<String, NotAgain> {
    let refused = |why: String| NotAgain { why, try_later: false, new_code_helps: false };
    let (device, known, next, seed) = {
        let mut s = lock(store).map_err(|e| refused(e.to_string()))?;
        let Some(known) = s.upstream().map_err(|e| refused(e.to_string()))? else {
            return Err(refused("this block is not enrolled with a district yet".to_owned()));
        };
        let next = s.upstream_next_certificate().map_err(|e| refused(e.to_string()))?;
        let seed = s.enrollment_seed(code).map_err(|e| refused(e.to_string()))?;
        (s.device(), known, next, seed)
    };
    let applicant = Applicant { device, kind: DeviceKind::Block, name: name.to_owned(), villages: vec![] };
    let url = known.url.as_str();
    let accepted: Vec<&str> = match new_certificate {
        Some(fingerprint) => vec![fingerprint],
        None => known.certificate.iter().chain(next.iter()).map(String::as_str).collect(),
    };
    let link::Enrolled { reply, pin } =
        link::enroll_again(url, code, applicant, known.server, Some(&accepted), &seed).await.map_err(|e| match (&e, new_certificate) {
            // The operator's fingerprint, not the pinned one, is what the server did not show.
            (SyncError::Certificate { seen }, Some(named)) => NotAgain {
                why: format!(
                    "the district at {url} presents the certificate {seen}, not {named} as --upstream-new-certificate names it; nothing was sent. Check it with the district's operator (its start prints `certificate sha256 …`)"
                ),
                try_later: false,
                new_code_helps: false,
            },
            _ => NotAgain {
            try_later: e.is_transient(),
            new_code_helps: matches!(&e, SyncError::Refused(r) if r.code == RefusalCode::Code),
            why: format!("the district at {url} did not enroll this block again: {e}"),
        },
        })?;
    // The reply names the server under its proof: a district that named itself otherwise
    // than its health answer said is not taken either, and the enrollment it made is not used.
    if reply.server != known.server {
        return Err(refused(format!(
            "the server at {url} is another district ({}) than the one this block enrolled with ({}); its enrollment is not used, and its operator may revoke this block there",
            reply.server, known.server
        )));
    }
    lock(store)
        .map_err(|e| refused(e.to_string()))?
        .renew_upstream(&Upstream {
            url: url.to_owned(),
            server: reply.server,
            secret: reply.secret,
            certificate: pin,
        })
        .map_err(|e| refused(e.to_string()))?;
    Ok(format!(
        "this block is enrolled again with its district at {url}, keeping its identity and its work: what the district lacks of it is forwarded again. --upstream-code (and --upstream-new-certificate) may be left out of the start command now"
    ))
}

fn lock(store: &Arc<Mutex<Store>>) -> Result<std::sync::MutexGuard<'_, Store>, ServerError> {
    Ok(crate::store::take(store))
}

/// A device (a laptop, or the district) holds this server's own changes numbered up to
/// `through`: whether that shows the server was restored from a backup, in which case the server
/// numbers its next ones after them and, for a block, asks back what it forwarded.
///
/// Restored, a server lacks the newest of its own changes that others hold. It is known by that
/// change missing here, not by the server's next number: numbered from the time
/// (`store::tick`), a step taken after the restore and before any device's word puts the next
/// number past the lost ones. A device holding the newest change of this server is no news (with
/// `<=` on the number every start of a block looked restored to the first laptop holding it,
/// and every laptop read the whole feed again).
///
/// What the block forwarded is read back at its pulls until the district's feed is read to its
/// end (`feed.rs`): the district's feed sends a block nothing that came through it otherwise,
/// and an officer's step taken after the backup was lost to the block for good (the laptops send
/// their own work again; the block's own changes have no one else). The column keeps the newest
/// of its own changes the block held below the device's when found restored; nothing for a
/// server with no district.
pub(crate) fn own_shown_held(db: &mut dyn Db, me: Uuid, through: i64) -> Result<bool, ServerError> {
    // What the backup held: the newest of its own below the device's. Not the next number less
    // one: a step taken on the restored server before any device spoke is numbered from the time,
    // past the lost ones, and asking back only after it left them with the devices for good
    // (found by a review: one block gave back its lost step, and another's older one was
    // never asked).
    let held = db
        .query_one(
            "SELECT max(origin_seq) FROM change WHERE origin_device = ?1 AND origin_seq < ?2",
            args![me, through],
        )?
        .opt_int(0)?
        .unwrap_or(0);
    let behind = db.execute(
        "UPDATE identity SET next_seq = ?1 WHERE id = 1 AND next_seq < ?1",
        args![through.saturating_add(1)],
    )?;
    let lost = through > 0
        && db
            .query_opt(
                "SELECT 1 FROM change WHERE origin_device = ?1 AND origin_seq = ?2",
                args![me, through],
            )?
            .is_none();
    if behind == 0 && !lost {
        return Ok(false);
    }
    // What it held of its own then is what laptops are asked back after (`given_back.rs`).
    db.execute(
        "UPDATE identity SET own_lost_after = ?1 WHERE id = 1 AND (own_lost_after IS NULL OR own_lost_after > ?1)",
        args![held],
    )?;
    db.execute(
        "UPDATE upstream SET own_pull_after = ?1 WHERE id = 1 AND (own_pull_after IS NULL OR own_pull_after > ?1)",
        args![held],
    )?;
    Ok(true)
}

/// This block was found restored from a backup after forwarding changes it no longer holds: it
/// reads back what it forwarded at its next pulls, as when its own changes show it
/// ([`own_shown_held`]); the caller owns the transaction.
pub(crate) fn forwarded_lost(db: &mut dyn Db) -> Result<(), ServerError> {
    let held = db.query_one("SELECT next_seq FROM identity WHERE id = 1", &[])?.int(0)? - 1;
    db.execute(
        "UPDATE upstream SET own_pull_after = ?1 WHERE id = 1 AND (own_pull_after IS NULL OR own_pull_after > ?1)",
        args![held],
    )?;
    Ok(())
}

/// The block's store as the link's local end.
struct BlockEnd {
    store: Arc<Mutex<Store>>,
    upstream: Uuid,
    /// The first and last number of the changes last handed out to send.
    handed: Option<(i64, i64)>,
    /// The word to read back what the block forwarded, as this sync's pull read it
    /// (`upstream.own_pull_after`).
    own_read: Option<i64>,
}

impl From<ServerError> for SyncError {
    fn from(e: ServerError) -> SyncError {
        SyncError::Local(e.to_string())
    }
}

impl BlockEnd {
    fn with<T>(&self, f: impl FnOnce(&mut Store) -> Result<T, ServerError>) -> Result<T, SyncError> {
        let mut guard = lock(&self.store)?;
        Ok(f(&mut guard)?)
    }
}

impl Local for BlockEnd {
    fn pending(&mut self, _after: i64, limit: usize) -> Result<Vec<Change>, SyncError> {
        // After what this block knows the district acknowledged of what it sent, not after what
        // the district says it holds of the block: restored from a backup, the block numbers its
        // new changes again from where the backup stood, below what the district holds, and
        // would never send them.
        let upstream = self.upstream.to_string();
        let changes: Vec<Change> = self.with(|s| {
            s.db.query(
                &format!(
                    "SELECT seq, origin_device, origin_seq, recorded_at, change, seen, version, hlc, kind FROM change
                     WHERE {TO_FORWARD} ORDER BY seq LIMIT ?2"
                ),
                args![upstream, limit as i64],
            )?
            .iter()
            .map(|r| {
                Ok(Change {
                    seq: r.int(0)?,
                    origin: Origin { device: r.uuid(1)?, seq: r.int(2)? },
                    recorded_at: r.time(3)?,
                    change: crate::stored_change::read(r.int(6)?, &r.text(7)?, &r.text(8)?, &r.text(4)?)?,
                    // The writes its maker had seen, as this block merged it: the district
                    // does not put it up for review against those (`merge.rs`).
                    seen_at_sender: r
                        .opt_text(5)?
                        .map(|t| serde_json::from_str(&t))
                        .transpose()?
                        .unwrap_or_default(),
                })
            })
            .collect()
        })?;
        self.handed = changes.first().zip(changes.last()).map(|(a, b)| (a.seq, b.seq));
        Ok(changes)
    }

    fn acked(&mut self, through: i64, results: &[ChangeResult]) -> Result<(), SyncError> {
        // Only as far as the district answered for what this sync sent. What it says it holds
        // of the block may be work numbered before a restore from a backup, and a session's
        // answer may name such numbers among its capped readings.
        // A push answered with no result kept nothing: the district, restored from a backup
        // since the session, holds less than the push followed on from (`ingest.rs`), and
        // says how much, as a session would.
        let Some((first, last)) = self.handed.filter(|&(first, _)| !(results.is_empty() && through < first))
        else {
            // At the session, the district's word lowers what this block takes for acknowledged,
            // never raises it: a district restored from a backup lost what the block forwarded
            // after it, and says it holds less; the block sends that again (the district drops
            // by origin what it holds). Restored itself, the block holds the lower number.
            self.with(|s| {
                s.db.execute(
                    "UPDATE upstream SET acked_through = ?1 WHERE id = 1 AND acked_through > ?1",
                    args![through],
                )?;
                Ok(())
            })?;
            return Ok(());
        };
        let Some(sent) = results.iter().map(|r| r.seq).filter(|s| (first..=last).contains(s)).max() else {
            // The district answers for every change sent; without it the block would send the
            // same changes again and again.
            return Err(SyncError::Local(
                "the district acknowledged a push without an answer for any change sent; forwarding stopped to avoid a loop".into(),
            ));
        };
        self.with(|s| {
            s.db.execute(
                "UPDATE upstream SET acked_through = CASE WHEN acked_through > ?1 THEN acked_through ELSE ?1 END
                 WHERE id = 1",
                args![sent],
            )?;
            Ok(())
        })
    }

    fn pulled_through(&mut self) -> Result<i64, SyncError> {
        self.with(|s| s.db.query_one("SELECT pulled_through FROM upstream WHERE id = 1", &[])?.int(0))
    }

    fn own_after(&mut self) -> Result<Option<OwnAsked>, SyncError> {
        let read = self
            .with(|s| s.db.query_one("SELECT own_pull_after FROM upstream WHERE id = 1", &[])?.opt_int(0))?;
        self.own_read = read;
        Ok(read.map(|after| OwnAsked { after, through: None }))
    }

    fn own_pulled(&mut self) -> Result<(), SyncError> {
        // Only the word this pull read: a laptop's session may have found the restore again
        // meanwhile, and its word stands for the next pull.
        let Some(read) = self.own_read.take() else { return Ok(()) };
        self.with(|s| {
            s.db.execute(
                "UPDATE upstream SET own_pull_after = NULL WHERE id = 1 AND own_pull_after = ?1",
                args![read],
            )?;
            Ok(())
        })
    }

    fn pulled_origin(&mut self) -> Result<Option<Origin>, SyncError> {
        self.with(|s| {
            let row = s.db.query_one(
                "SELECT pulled_origin_device, pulled_origin_seq FROM upstream WHERE id = 1",
                &[],
            )?;
            match (row.opt_text(0)?, row.opt_int(1)?) {
                (Some(_), Some(seq)) => Ok(Some(Origin { device: row.uuid(0)?, seq })),
                _ => Ok(None),
            }
        })
    }

    fn feed_epoch(&mut self, epoch: Option<&str>) -> Result<bool, SyncError> {
        // A district restored from a backup numbers its feed again, as a block does
        // (`feed_epoch.rs`): this block reads it again from the start.
        let Some(epoch) = epoch else { return Ok(false) };
        self.with(|s| {
            let row = s.db.query_one("SELECT feed_epoch, pulled_through FROM upstream WHERE id = 1", &[])?;
            let (kept, read) = (row.opt_text(0)?, row.int(1)?);
            if kept.as_deref() == Some(epoch) {
                return Ok(false);
            }
            // A block that has read nothing yet keeps the epoch and reads on.
            let again = read > 0;
            let sql = if again {
                "UPDATE upstream SET feed_epoch = ?1, pulled_through = 0, pulled_origin_device = NULL,
                    pulled_origin_seq = NULL
                 WHERE id = 1"
            } else {
                "UPDATE upstream SET feed_epoch = ?1 WHERE id = 1"
            };
            s.db.execute(sql, args![epoch])?;
            Ok(again)
        })
    }

    fn read_again(&mut self, word: &str) -> Result<(), SyncError> {
        // The district gave this block a village (`assign-village`): its households are behind
        // the cursor. Read them, and the rest again, skipping what is held (by origin); the
        // word and the cursor are one write, so it is read again once.
        self.with(|s| {
            s.db.execute(
                "UPDATE upstream SET read_again = ?1, pulled_through = 0, pulled_origin_device = NULL,
                    pulled_origin_seq = NULL
                 WHERE id = 1 AND (read_again IS NULL OR read_again <> ?1)",
                args![word],
            )?;
            Ok(())
        })
    }

    fn own_held_through(&mut self, through: i64) -> Result<(), SyncError> {
        // Restored from a backup, this block would number its own next changes again from where
        // the backup stood, and the district would take them for the ones it holds.
        // Its next number already past them, it is no news (as at a laptop's session,
        // `enroll.rs`). The new number and the epoch are one write: stopped between them, the
        // block would number past them and never name the epoch.
        self.with(|s| {
            let (run, me) = (s.run, s.device);
            let mut tx = s.db.transaction(crate::sql::Mode::Write)?;
            // Behind its district, the block was restored: its laptops read its feed again.
            if own_shown_held(&mut *tx, me, through)? {
                crate::feed_epoch::restored(&mut *tx, run)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    fn pushed_last(&mut self, pushed: Pushed) -> Result<(), SyncError> {
        let Pushed { seq: through, origin } = pushed;
        // Restored from a backup after forwarding a laptop's work, this block may have lost
        // changes that only its district holds now: the old laptop's, restored itself, whose
        // new work goes on past them, never in their place (seed 30 of the simulation with both
        // restores). Nothing of its own need be lost for that, so `own_held_through` does not
        // show it. The district's word is judged once: it stands until this block pushes again.
        self.with(|s| {
            let run = s.run;
            let word = format!("{through} {} {}", origin.device, origin.seq);
            let mut tx = s.db.transaction(crate::sql::Mode::Write)?;
            let judged =
                tx.query_one("SELECT pushed_last_judged FROM upstream WHERE id = 1", &[])?.opt_text(0)?;
            if judged.as_deref() == Some(word.as_str()) {
                return Ok(());
            }
            // A change stored again under a new number after it went (`waiting::until_recorded`)
            // is still found under the number the district read.
            let held = crate::feed::origin_at(&mut *tx, through)?;
            if held != Some(origin) {
                forwarded_lost(&mut *tx)?;
                crate::feed_epoch::restored(&mut *tx, run)?;
            }
            tx.execute("UPDATE upstream SET pushed_last_judged = ?1 WHERE id = 1", args![word])?;
            tx.commit()?;
            Ok(())
        })
    }

    fn apply_pulled(&mut self, reply: &PullReply) -> Result<usize, SyncError> {
        let upstream = self.upstream;
        self.with(|s| s.store_pulled(upstream, &reply.changes, reply.cursor, reply.cursor_origin, Utc::now()))
    }

    fn numbers(&mut self) -> Result<Numbers, SyncError> {
        // A block hands out no numbers of its own to laptops from a district lease: its ranges
        // are its own.
        Ok(Numbers::default())
    }

    fn grant(&mut self, _leases: &[Lease]) -> Result<(), SyncError> {
        Ok(())
    }

    fn held_of_server(&mut self, after: i64) -> Result<Vec<GivenBack>, SyncError> {
        let upstream = self.upstream;
        self.with(|s| {
            let through = s.upstream_own_through(upstream)?;
            if crate::upstream_seal::not_given_yet(&mut *s.db, through, after)?.is_none() {
                return Ok(Vec::new());
            }
            crate::upstream_seal::held_after(&mut *s.db, upstream, after)
        })
    }

    fn gave_back(&mut self, after: i64) -> Result<(), SyncError> {
        let upstream = self.upstream;
        self.with(|s| {
            let through = s.upstream_own_through(upstream)?;
            crate::upstream_seal::given(&mut *s.db, through, after)
        })
    }

    fn certificate_state(&mut self, presented: Option<&str>, next: Option<&str>) -> Result<(), SyncError> {
        lock(&self.store)
            .and_then(|mut s| s.upstream_certificate_state(presented, next))
            .map_err(|e| SyncError::Local(e.to_string()))
    }

    fn audit_after(&mut self, _after: i64, _limit: usize) -> Result<Vec<AuditEntry>, SyncError> {
        Ok(Vec::new())
    }

    fn forwarded_logs(&mut self) -> Result<Vec<AuditHeld>, SyncError> {
        // Only the logs of laptops with a change the district has acknowledged: the district
        // takes a laptop's log from the block its changes came through, so a log sent before
        // them would only be refused. A laptop's branches (`audit_branch.rs`) come after all the
        // logs, so that the entry a branch grows from has been sent before it.
        let upstream = self.upstream.to_string();
        self.with(|s| {
            // One lookup per laptop in the logs' and the changes' indexes, rather than a pass
            // over every entry held: this runs at every sync.
            s.db.query(
                "SELECT held.id, held.through FROM (
                     SELECT d.id, 0 AS branch, (SELECT max(a.seq) FROM device_audit a WHERE a.device_id = d.id) AS through
                     FROM device d
                     WHERE d.kind = 'laptop' AND EXISTS (
                         SELECT 1 FROM change c, upstream u
                         WHERE u.id = 1 AND c.origin_device = d.id AND c.seq <= u.acked_through
                           AND c.via != ?1 AND c.outcome NOT LIKE 'rejected%')
                     UNION ALL
                     SELECT b.id, 1 AS branch, (SELECT max(a.seq) FROM device_audit a WHERE a.device_id = b.id) AS through
                     FROM audit_branch b JOIN device d ON d.id = b.device_id
                     WHERE d.kind = 'laptop' AND EXISTS (
                         SELECT 1 FROM change c, upstream u
                         WHERE u.id = 1 AND c.origin_device = d.id AND c.seq <= u.acked_through
                           AND c.via != ?1 AND c.outcome NOT LIKE 'rejected%')
                 ) AS held
                 WHERE held.through IS NOT NULL ORDER BY held.branch, held.id",
                args![upstream],
            )?
            .iter()
            .map(|r| Ok(AuditHeld { device: r.uuid(0)?, through: r.int(1)? }))
            .collect()
        })
    }

    fn forwarded_fork(&mut self, log: Uuid) -> Result<Option<(Uuid, AuditFork)>, SyncError> {
        self.with(|s| Ok(crate::audit_branch::get(&mut *s.db, log)?.map(|b| (b.device, b.fork))))
    }

    fn forwarded_after(
        &mut self,
        device: Uuid,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, SyncError> {
        self.with(|s| crate::audit::entries_after(&mut *s.db, device, after, limit))
    }

    fn catalogue_in_use(&mut self) -> Result<Option<(String, DateTime<Utc>)>, SyncError> {
        self.with(|s| s.catalogue_held())
    }

    fn install_catalogue(&mut self, file: &[u8]) -> Result<Option<String>, SyncError> {
        let kept = lock(&self.store)?
            .keep_catalogue(file, Utc::now())
            .map_err(|e| SyncError::Catalogue(e.to_string()))?;
        Ok(kept.new.then_some(kept.label))
    }

    fn catalogue_refused(&mut self, digest: &str) -> Result<Option<String>, SyncError> {
        self.with(|s| s.catalogue_refused(digest))
    }

    fn refuse_catalogue(&mut self, digest: &str, why: &str) -> Result<(), SyncError> {
        self.with(|s| s.refuse_catalogue(digest, why, Utc::now()))
    }

    fn keep_vouched(&mut self, statements: &[String]) -> Result<(), SyncError> {
        self.with(|s| s.keep_vouched(statements).map(drop))
    }
}

/// One forward-and-pull with the district.
pub async fn sync(store: &Arc<Mutex<Store>>, tuning: Tuning) -> Result<Option<Report>, ServerError> {
    let (u, device) = {
        let mut s = lock(store)?;
        match s.upstream()? {
            Some(u) => (u, s.device()),
            None => return Ok(None),
        }
    };
    let next = lock(store)?.upstream_next_certificate()?;
    let said = lock(store)?.upstream_said(u.server)?;
    let certificates = lock(store)?.own_certificates()?;
    let mut link = Link::new(&u.url, u.certificate.as_deref(), device, &u.secret)
        .and_then(|l| l.with_next_certificate(next.as_deref()))
        .map_err(|e| ServerError::Invalid(e.to_string()))?
        .with_server_own_through(said.own_through)
        .with_feed_epoch_read(Some(said.feed_epoch))
        .with_acked_here(said.acked_here)
        .with_certificates(certificates);
    sync_through(store, &mut link, tuning).await
}

/// What a block says of itself at each session with its district (`Store::upstream_said`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    /// The newest of the district's own changes the block holds (`server_own_through`): a
    /// district restored from a backup numbers its next after it, and asks back what it lacks.
    pub own_through: Option<i64>,
    /// How far the district said it holds this block's work, as a laptop says it of its block:
    /// a district restored from a backup that holds less numbers its feed again, and the block
    /// reads it again before it pushes. Without it, a district whose own changes the backup
    /// held all was not found restored until the block's pull, and the first push claimed to
    /// have read the district's old feed, so an edit made there since passed for one the block
    /// had seen and queued no review (found by a review).
    pub acked_here: i64,
    /// The district's feed epoch the block read under, empty for none.
    pub feed_epoch: String,
}

impl Store {
    /// The seed this block enrolls with under `code` (never sent: each district certificate is
    /// sent a secret made of it, `code::device_secret`): made of the store's own key and the
    /// code, so the same at every start that sends the code, which sits in the block's start
    /// command, and another for another code. A district answers a used code again to the
    /// block until it opens a session, and the answer of a late copy of an earlier start's
    /// request then gives the district the secret this block sends again.
    pub fn enrollment_seed(&mut self, code: &str) -> Result<String, ServerError> {
        let key = crate::seal::key(&mut *self.db)?;
        let id = samanvaya_sync_protocol::code::id_of(&samanvaya_sync_protocol::code::key(code));
        let tag = ring::hmac::sign(&key, format!("samanvaya block enrollment seed 1\n{id}").as_bytes());
        Ok(samanvaya_sync_protocol::parcel::hex(tag.as_ref()))
    }

    /// What this block says of itself at its next session with its district `district`: read
    /// in one place for the real link and the simulation's, so that they cannot drift.
    pub fn upstream_said(&mut self, district: Uuid) -> Result<Said, ServerError> {
        Ok(Said {
            own_through: self.upstream_own_through(district)?,
            acked_here: self.upstream_acked_through()?,
            feed_epoch: self.upstream_feed_epoch()?,
        })
    }
}

/// As [`sync`], with the district reached through `remote`; `None` for a block not enrolled
/// with a district.
pub async fn sync_through<R: Remote>(
    store: &Arc<Mutex<Store>>,
    remote: &mut R,
    tuning: Tuning,
) -> Result<Option<Report>, ServerError> {
    let Some(u) = lock(store)?.upstream()? else {
        return Ok(None);
    };
    let mut end = BlockEnd { store: store.clone(), upstream: u.server, handed: None, own_read: None };
    let result = sync_once(&mut end, remote, tuning).await;
    let now = Utc::now();
    match result {
        Ok(report) => {
            // The district's rules refused here (a block that cannot read them) fail nothing
            // else of the forwarding; the operator reads why in the status and the log.
            let refused = report
                .catalogue_refused
                .as_ref()
                .map(|why| format!("the district's scheme rules were not kept: {why}"));
            // Said in the log when it is new: a bundle refused once is not fetched again, and
            // the same line every round would bury the rest.
            let said_before = lock(store)?.forwarding()?.and_then(|f| f.last_error);
            if let Some(why) = &refused
                && said_before.as_deref() != Some(why.as_str())
            {
                eprintln!("{why}");
            }
            lock(store)?.upstream_finished(now, true, refused.as_deref())?;
            log_audit_forwarding(&report);
            Ok(Some(report))
        }
        Err(e) => {
            let me = lock(store)?.device();
            let said = for_the_operator(&e, me);
            lock(store)?.upstream_finished(now, false, Some(&said))?;
            let said = format!("forwarding to the district failed: {said}");
            // Kept a refusal of a device not known, and another certificate, which `run`
            // answers with a code it holds.
            Err(match e {
                SyncError::Refused(r) if r.code == RefusalCode::NotEnrolled => {
                    ServerError::refused(RefusalCode::NotEnrolled, said)
                }
                SyncError::Certificate { .. } => ServerError::refused(RefusalCode::Certificate, said),
                _ => ServerError::Invalid(said),
            })
        }
    }
}

/// A failed round as the block's operator reads it (its log and `status`). The district's
/// refusals of a device it does not know, or revoked, speak to a laptop ("the block office"):
/// said to a block, they name the district and the block's own remedy.
fn for_the_operator(e: &SyncError, me: Uuid) -> String {
    match e {
        // The link's sentence speaks to a laptop's user; the block's operator has a remedy of
        // his own when the district lost its certificate, and the same caution otherwise.
        SyncError::Certificate { seen } => format!(
            "the district presents another certificate ({seen}) than the one this block pinned at enrollment: someone may be intercepting the connection, or the district lost its certificate. Nothing was sent. If the district's operator says it was lost, ask for a code made for this block (`samanvaya-server --role district enroll-code --block NAME --again {me}`) and the district's new certificate as its start prints it (`certificate sha256 …`), then start this block with --upstream-code CODE --upstream-new-certificate FINGERPRINT"
        ),
        SyncError::Refused(r) if r.code == RefusalCode::NotEnrolled => {
            format!("the district does not know this block (restored from a backup older than the block's enrollment, or its record of the block lost): ask its operator for a new code (`samanvaya-server --role district enroll-code --block NAME`) and start this block with --upstream-code CODE: it enrolls again, keeps its work and forwards again what the district lacks. If the district refuses a new code because this block has synced there, ask for one made for it (`enroll-code --block NAME --again {me}`)")
        }
        SyncError::Refused(r) if r.code == RefusalCode::Revoked => {
            "the district's operator revoked this block: it forwards nothing more, nor enrolls again under its identity; what it holds stays here, so call the district office before anything is deleted".to_owned()
        }
        _ => e.to_string(),
    }
}

/// Says in the server's log what of the laptops' audit logs went to the district, and what did
/// not (it goes at the next sync).
fn log_audit_forwarding(report: &Report) {
    if report.given_back > 0 {
        eprintln!(
            "gave back to the district {} of its own steps and decisions, which it had lost to a restore from a backup",
            report.given_back
        );
    }
    for (device, entries) in &report.audit_forwarded {
        eprintln!("forwarded {entries} audit log entries of laptop {device} to the district");
    }
    for failure in &report.audit_failures {
        eprintln!(
            "forwarding the laptops' audit logs to the district: {failure}; tried again at the next sync"
        );
    }
}

/// A new enrollment code the block's operator gave at its start (`--upstream-code` on a block
/// enrolled already), and the name the block gives itself.
#[derive(Debug, Clone)]
pub struct CodeInHand {
    pub code: String,
    pub name: String,
    /// The district's new certificate, as its operator read it out
    /// (`--upstream-new-certificate`): the only one, besides the pinned, the code is sent to.
    pub new_certificate: Option<String>,
}

impl CodeInHand {
    /// Whether a round refused for `refused` sends the code, and to which certificate: the
    /// pinned one (`Some(None)`), to a district that says over the pinned connection it does not
    /// know the block, or the new one the operator named. A code sent to a server presenting any
    /// other would go to whoever sits on the way, and an old code left in the start command,
    /// which that one may know, would hand it the block.
    fn accepted(&self, refused: RefusalCode) -> Option<Option<&str>> {
        match (refused, &self.new_certificate) {
            (RefusalCode::NotEnrolled, _) => Some(None),
            (_, Some(fingerprint)) => Some(Some(fingerprint)),
            _ => None,
        }
    }
}

impl NotAgain {
    /// The operator's sentence: why, and what becomes of the code.
    fn said(&self) -> String {
        let then = if self.try_later {
            "the code is tried again at the next round"
        } else if self.new_code_helps {
            "the code is not tried again: start this block with the code the district's words ask for"
        } else {
            "the code is not tried again, and a new one would not help: check --upstream, or call the district's operator"
        };
        format!("{}; {then}", self.why)
    }
}

/// Enrolls the block again with the code in hand, when a round refused for `refused` calls for
/// it ([`CodeInHand::accepted`]); whether it did. A code the district refused is dropped, one it
/// did not answer kept for the next round; either is said in the log and in `status`.
async fn enroll_with_code_in_hand(
    store: &Arc<Mutex<Store>>,
    code: &mut Option<CodeInHand>,
    refused: RefusalCode,
) -> bool {
    let Some(hand) = code.as_ref() else { return false };
    let Some(accepted) = hand.accepted(refused) else { return false };
    match enroll_again(store, &hand.code, &hand.name, accepted).await {
        Ok(said) => {
            eprintln!("{said}");
            *code = None;
            true
        }
        Err(not) => {
            // Said in the status too, where the advice to bring a code stood.
            let said = not.said();
            eprintln!("{said}");
            if let Err(e) = lock(store).and_then(|mut s| s.upstream_finished(Utc::now(), false, Some(&said)))
            {
                eprintln!("{e}");
            }
            if !not.try_later {
                *code = None;
            }
            false
        }
    }
}

/// Forwards and pulls every `every`, for as long as the server runs. With a code in hand, a
/// round the district refuses as from a device it does not know, or where it presents the new
/// certificate the operator named (`--upstream-new-certificate`), enrolls the block again
/// ([`enroll_again`]) and forwards at once; a code the district refused is dropped.
pub async fn run(store: Arc<Mutex<Store>>, every: Duration, tuning: Tuning, mut code: Option<CodeInHand>) {
    loop {
        match sync(&store, tuning).await {
            Err(ServerError::Refused {
                code: refused @ (RefusalCode::NotEnrolled | RefusalCode::Certificate),
                message,
            }) => {
                eprintln!("{message}");
                if enroll_with_code_in_hand(&store, &mut code, refused).await {
                    continue;
                }
            }
            Err(e) => eprintln!("{e}"),
            Ok(_) => {}
        }
        tokio::time::sleep(every).await;
    }
}
