//! The laptop's link to its block server, as the store keeps it: the enrollment (the server, its
//! role and the laptop's secret), where pushes and pulls stand, what went wrong last, and
//! applying a pulled page of changes with the feed's cursor in the same transaction. The HTTP
//! side lives in `samanvaya-sync-laptop`; this module knows nothing of the network.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use samanvaya_domain::audit::AuditFork;
use samanvaya_domain::change::{Change, ChangeBody, MemberField};
use samanvaya_domain::{Hlc, Location, Moment};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::Store;
use crate::{centre, change_log, location, number_lease, pulled};

/// What the laptop keeps of its enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub url: String,
    pub server_id: Uuid,
    pub role: String,
    pub secret: String,
    /// The fingerprint of the server's certificate, pinned at enrollment; none for a server on
    /// this same computer over plain HTTP.
    pub certificate: Option<String>,
    pub enrolled_at: DateTime<Utc>,
}

/// One change of a server's pull feed, as the store applies it.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    pub server_seq: i64,
    pub device: Uuid,
    pub device_seq: i64,
    pub change: Change,
    /// The server's seal on a change it made itself (`PullReply`'s `Pulled::seal`), kept to
    /// give the change back to it restored from a backup.
    pub seal: Option<String>,
}

/// What kept aside from a server's feed may be applied once its record arrives: steps on a
/// referral not held here when they came, and changes of a member not held here.
#[derive(Clone, Copy)]
enum AsideFor {
    /// In the normal course a block's feed hands out a referral before its steps, but a block
    /// restored from a backup takes back its officers' steps from a laptop
    /// (`sync/server/src/given_back.rs`) before the laptop that opened the referral sends it
    /// again, and its feed then hands them out first.
    Referral(Uuid),
    /// So with a member: a block restored from a backup may take one laptop's change of her (her
    /// departure, say) before the laptop that made her sends her record again, and merges it
    /// onto a row without a name; here a member cannot be made without one, so the change was
    /// kept aside, and her record, arriving next, stood without it, where the block has both.
    /// Her record may never come: the block refuses it once her removal is held, which it hands
    /// out instead (a supervisor made her one with another record meanwhile). At her removal,
    /// what was kept aside of her goes aside with her, or to the record kept, as at the block
    /// (seed 358 of the simulation with both restores).
    Member(Uuid),
}

/// Applies what was kept aside from `server`'s feed for `what`, now that its record has
/// arrived, in the order the feed handed it out; returns how many. What still cannot be applied
/// stays aside.
fn apply_set_aside(conn: &Connection, server: &str, what: AsideFor, at: Moment) -> Result<usize, StoreError> {
    let (kind, id) = match what {
        AsideFor::Referral(id) => ("referral_event", id),
        AsideFor::Member(id) => ("member", id),
    };
    let set_aside: Vec<(i64, String, String, i64, Option<String>)> = conn
        .prepare_cached(
            "SELECT server_seq, change, device_id, device_seq, seal FROM pulled_refused
             WHERE server = ?1 AND device_id IS NOT NULL AND json_extract(change, '$.kind') = ?2
               AND coalesce(json_extract(change, '$.body.referral_id'), json_extract(change, '$.body.id')) = ?3
             ORDER BY server_seq > 0, abs(server_seq)",
        )?
        .query_map(params![server, kind, id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut applied = 0;
    for (server_seq, text, device, device_seq, seal) in set_aside {
        let change: Change = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let device: Uuid =
            device.parse().map_err(|e| StoreError::Corrupt(format!("a kept-aside change's origin: {e}")))?;
        if !change_log::has_origin(conn, device, device_seq)? {
            // A change that still cannot be applied stays aside, as it was.
            conn.execute_batch("SAVEPOINT set_aside")?;
            if pulled::apply(conn, &change.body, change.hlc, at).is_err() {
                conn.execute_batch("ROLLBACK TO set_aside; RELEASE set_aside")?;
                continue;
            }
            conn.execute_batch("RELEASE set_aside")?;
        }
        conn.execute(
            "DELETE FROM pulled_refused WHERE server = ?1 AND server_seq = ?2",
            params![server, server_seq],
        )?;
        if change_log::has_origin(conn, device, device_seq)? {
            continue;
        }
        // Kept aside before the block was restored (its old number, below zero), it takes a
        // number of its own as those pulled before did (`forget_feed_numbers`): minus its place
        // in the log. Minus the old number was taken already by the change pulled here whose
        // place that is, and the page failed at every sync (found by a review).
        let number = if server_seq > 0 { server_seq } else { -change_log::next_place(conn)? };
        change_log::record_pulled(conn, server, number, device, device_seq, &change, at)?;
        if let Some(seal) = &seal {
            change_log::keep_seal(conn, device, device_seq, seal)?;
        }
        applied += 1;
    }
    Ok(applied)
}

/// Another laptop's changes numbered after `after` and up to `through`, but for those `held`,
/// that a block restored from a backup asked back: that laptop's old run after a restore of
/// its own (`FeedFile::others_wanted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AskedRun {
    pub device: Uuid,
    pub after: i64,
    pub through: i64,
    pub held: Vec<i64>,
}

/// A change the server made itself, held here with its seal, as it goes back to the server
/// restored from a backup that lost it.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedChange {
    pub device_seq: i64,
    pub change: Change,
    pub seal: String,
}

/// This laptop's changes (by number) that a server's answer says it refused or put up for
/// review, for the status panel's counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Told {
    pub refused: Vec<i64>,
    pub for_review: Vec<i64>,
}

/// Where sync stands, for the status panel and `samanvaya sync --status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub demo: bool,
    pub url: Option<String>,
    pub role: Option<String>,
    /// This laptop's device id, as its block lists it (`devices`): what the block office needs
    /// to make a code that enrolls this very laptop again.
    pub device: String,
    /// Changes made here that the block has not stored yet.
    #[ts(type = "number")]
    pub waiting: i64,
    /// Changes made here that the block has stored.
    #[ts(type = "number")]
    pub reached_block: i64,
    /// Changes made here that have reached the district, as the block said at the last sync.
    #[ts(type = "number")]
    pub reached_district: i64,
    /// Changes the block stored but could not apply (a reason each, on the server).
    #[ts(type = "number")]
    pub rejected: i64,
    /// Changes whose identity fields (name, birth, sex, relation) wait for review at the block.
    #[ts(type = "number")]
    pub conflicts: i64,
    /// Pulled changes that could not be applied here.
    #[ts(type = "number")]
    pub pulled_refused: i64,
    #[ts(type = "string | null")]
    pub last_attempt_at: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// The scheme rules the laptop judges with: the app's own, or the district's latest bundle.
    pub rules: crate::catalogue::CatalogueInUse,
    /// When this laptop followed its block's new certificate on the district's word, within the
    /// last [`CERTIFICATE_FOLLOWED_SHOWN_DAYS`]: the panel says so, and to ask the block office
    /// if she was not told of the change.
    #[ts(type = "string | null")]
    pub certificate_followed_at: Option<DateTime<Utc>>,
}

/// How long the sync panel says that the laptop followed its block's new certificate.
pub const CERTIFICATE_FOLLOWED_SHOWN_DAYS: i64 = 30;

/// How long acknowledged changes stay in the change log before they are pruned.
pub const KEEP_ACKED_DAYS: i64 = 30;

fn enrollment(conn: &Connection) -> Result<Option<Enrollment>, StoreError> {
    conn.query_row(
        "SELECT url, server_id, role, secret, certificate, enrolled_at FROM sync_link WHERE id = 1",
        [],
        |r| {
            let server: String = r.get(1)?;
            Ok((
                server,
                Enrollment {
                    url: r.get(0)?,
                    server_id: Uuid::nil(),
                    role: r.get(2)?,
                    secret: r.get(3)?,
                    certificate: r.get(4)?,
                    enrolled_at: r.get(5)?,
                },
            ))
        },
    )
    .optional()?
    .map(|(server, e)| {
        let server_id =
            Uuid::parse_str(&server).map_err(|_| StoreError::Corrupt(format!("sync server id {server}")))?;
        Ok(Enrollment { server_id, ..e })
    })
    .transpose()
}

/// What a laptop says of itself at each session with its block (`SessionRequest`), from its
/// store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaidAtSession {
    /// How far the block last said it holds this laptop's changes: a block that holds less was
    /// restored from a backup.
    pub acked_here: i64,
    /// The newest of the block's own changes this laptop holds: a block that lacks it was
    /// restored, and asks back what it lost.
    pub server_own_through: Option<i64>,
    /// The block's feed epoch this laptop read under, empty for none.
    pub feed_epoch_read: String,
    /// The restores of this store from its backups that it descends from.
    pub restores: Vec<samanvaya_domain::restore::Restore>,
    /// Where the old laptop's run ends on a store restored from a backup.
    pub run_end: Option<i64>,
}

/// The settings' key under which the seed drawn to enroll with is kept until the first session.
const ENROLLMENT_SEED: &str = "enrollment-seed";

impl Store {
    pub fn enrollment(&self) -> Result<Option<Enrollment>, StoreError> {
        enrollment(&self.conn)
    }

    /// The certificate the server announced it will switch to, accepted beside the pinned one.
    pub fn next_certificate(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT next_certificate FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// After a session that succeeded over a handshake with certificate `presented`, in which the
    /// server announced `next` (or none): pins `presented` if it is the announced certificate
    /// kept before (the server has switched, and the old one is no longer accepted), then keeps
    /// `next`, or forgets the kept one when none is announced any more. In this order and in one
    /// transaction, so that a newer announcement never replaces one the server already presents.
    /// Only a laptop that pinned a certificate keeps one; each change is audited.
    pub fn certificate_state(
        &mut self,
        presented: Option<&str>,
        next: Option<&str>,
    ) -> Result<(), StoreError> {
        let at = self.now()?.utc;
        let tx = self.conn.transaction()?;
        if let Some(seen) = presented {
            let pinned = tx.execute(
                "UPDATE sync_link SET certificate = next_certificate, next_certificate = NULL
                 WHERE id = 1 AND next_certificate = ?1",
                [seen],
            )?;
            if pinned > 0 {
                crate::audit::append(&tx, "certificate:pinned", seen, at)?;
            }
        }
        let kept = tx.execute(
            "UPDATE sync_link SET next_certificate = ?1
             WHERE id = 1 AND certificate IS NOT NULL AND certificate IS NOT ?1
               AND next_certificate IS NOT ?1",
            [next],
        )?;
        if kept > 0 {
            let what = next.map_or_else(|| "withdrawn".to_owned(), str::to_owned);
            crate::audit::append(&tx, "certificate:announced", &what, at)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Pins `presented`, the certificate the block presents now, in place of `pinned`, on the
    /// district's word (a statement the caller checked: `samanvaya_sync_protocol::vouch`), with
    /// any announced one forgotten with the old, and audits it. Nothing changes, and `false` is
    /// returned, when the pin is no longer `pinned` (another sync moved it meanwhile).
    pub fn follow_vouched_certificate(&mut self, pinned: &str, presented: &str) -> Result<bool, StoreError> {
        let at = self.now()?.utc;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let moved = tx.execute(
            "UPDATE sync_link SET certificate = ?2, next_certificate = NULL, certificate_followed_at = ?3
             WHERE id = 1 AND certificate = ?1",
            params![pinned, presented, at],
        )?;
        if moved > 0 {
            crate::audit::append(&tx, "certificate:vouched", presented, at)?;
        }
        tx.commit()?;
        Ok(moved > 0)
    }

    /// Keeps a successful enrollment, the number leases that came with it, and the village the
    /// server gave a laptop that served none (the places above it, then the village). A demo store, or one enrolled already, is refused
    /// before anything is written.
    pub fn save_enrollment(
        &mut self,
        e: &Enrollment,
        leases: &[(String, i64, i64)],
        village: &[Location],
    ) -> Result<(), StoreError> {
        self.check_enrollable()?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some(old) = enrollment(&tx)? {
            return Err(StoreError::AlreadyEnrolled { url: old.url });
        }
        tx.execute(
            "INSERT INTO sync_link (id, url, server_id, role, secret, certificate, enrolled_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            params![e.url, e.server_id.to_string(), e.role, e.secret, e.certificate, e.enrolled_at],
        )?;
        grant(&tx, &e.server_id.to_string(), leases)?;
        if let Some(v) = village.last()
            && centre::villages(&tx)?.is_empty()
        {
            for place in village {
                if location::get(&tx, place.id)?.is_none() {
                    location::insert(&tx, place)?;
                }
            }
            centre::add_village(&tx, v.id)?;
        }
        crate::audit::append(&tx, "enroll", &e.url, e.enrolled_at)?;
        tx.commit()?;
        Ok(())
    }

    /// The seed this laptop enrolls with (never sent: each certificate is sent a secret made of
    /// it, `code::device_secret`), or `drawn` when none is kept yet, kept now: the same for
    /// every run of an enrollment, whatever its code (`enroll`, `enroll-again`, a code refused
    /// and then another), until the first session forgets it ([`Store::enrollment_seed_used`]).
    /// The block answers a code again to this laptop until that session, and the answer of any
    /// late copy of an earlier run's request then gives the block the secret this laptop keeps.
    pub fn enrollment_seed(&mut self, drawn: &str) -> Result<String, StoreError> {
        self.conn.execute(
            "INSERT INTO setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
            params![ENROLLMENT_SEED, drawn],
        )?;
        Ok(self
            .conn
            .query_row("SELECT value FROM setting WHERE key = ?1", [ENROLLMENT_SEED], |r| r.get(0))?)
    }

    /// Forgets the seed kept to enroll with: a session opened (or the block's answer applied
    /// from a stick), the block answers no code again, and a later enrollment (a block's
    /// certificate lost) draws a new one.
    pub fn enrollment_seed_used(&mut self) -> Result<(), StoreError> {
        seed_used(&self.conn)
    }

    /// Keeps the block's new word after this laptop enrolled again with a code made for it
    /// (its block's certificate changed): the secret, the certificate now pinned (any
    /// announced one forgotten with the old) and the number leases granted, in one
    /// transaction. Everything else stays: what the laptop holds, sent and read. Refused for a
    /// laptop not enrolled, or enrolled with another server than `server`.
    pub fn renew_enrollment(
        &mut self,
        server: Uuid,
        secret: &str,
        certificate: Option<&str>,
        leases: &[(String, i64, i64)],
    ) -> Result<(), StoreError> {
        let at = self.now()?.utc;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let Some(old) = enrollment(&tx)? else {
            return Err(StoreError::NotEnrolled);
        };
        if old.server_id != server {
            return Err(StoreError::Corrupt(format!(
                "the server {server} enrolled this laptop again, but it is enrolled with {}; nothing was kept",
                old.server_id
            )));
        }
        tx.execute(
            "UPDATE sync_link SET secret = ?1, certificate = ?2, next_certificate = NULL, last_error = NULL WHERE id = 1",
            params![secret, certificate],
        )?;
        grant(&tx, &server.to_string(), leases)?;
        crate::audit::append(&tx, "enroll-again", &old.url, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps how far this laptop's changes have reached the district, as the block said last.
    /// It may say less than before: a change stored after later ones (the old laptop's run,
    /// taken after a restored laptop's new work had gone up) has not gone yet, nor has any
    /// numbered after it, and this laptop may hold it already, read back. Kept at the highest
    /// word, the panel counted such a change as reached at once. A block restored from an
    /// older backup says less too, until it has forwarded again: the panel then counts what is
    /// known to have gone, never more.
    pub fn set_reached_district(&mut self, through: i64) -> Result<(), StoreError> {
        if enrollment(&self.conn)?.is_none() {
            return Err(StoreError::NotEnrolled);
        }
        self.conn.execute("UPDATE sync_link SET reached_district = ?1 WHERE id = 1", [through])?;
        Ok(())
    }

    /// How far this laptop's changes have reached the district, as the block said last (0 where
    /// it never said: a block with no district, or a laptop that only ever synced by a stick
    /// from a block older than the feed file's word).
    pub fn reached_district_through(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT reached_district FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Keeps number leases a server granted later.
    pub fn grant_leases(&mut self, leases: &[(String, i64, i64)]) -> Result<(), StoreError> {
        let Some(e) = enrollment(&self.conn)? else { return Err(StoreError::NotEnrolled) };
        let tx = self.conn.transaction()?;
        grant(&tx, &e.server_id.to_string(), leases)?;
        tx.commit()?;
        Ok(())
    }

    /// How many numbers of each kind are left from the server's leases.
    pub fn numbers_left(&self) -> Result<Vec<(String, i64)>, StoreError> {
        [number_lease::HOUSEHOLD, number_lease::REFERRAL]
            .into_iter()
            .map(|k| Ok((k.to_owned(), number_lease::left_from_server(&self.conn, k)?)))
            .collect()
    }

    /// For each kind of number, the last number of the newest lease the server this laptop is
    /// enrolled with granted it (0 for none): said at each session, so that a lease granted at a
    /// session whose answer was lost is granted again, not another after it.
    pub fn leases_through(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let Some(e) = enrollment(&self.conn)? else { return Err(StoreError::NotEnrolled) };
        let by = e.server_id.to_string();
        [number_lease::HOUSEHOLD, number_lease::REFERRAL]
            .into_iter()
            .map(|k| Ok((k.to_owned(), number_lease::newest_last(&self.conn, k, &by)?)))
            .collect()
    }

    /// Records that the server holds every change of this laptop through `through`, and counts
    /// those of its changes it `told` were refused or put up for review.
    ///
    /// On a store restored from a backup the block has outrun, the changes made since the
    /// restore are first numbered after `through` (`restored`), so they are still sent.
    ///
    /// `capped` names this laptop's changes (by number) whose clock reading the server capped,
    /// with the reading it keeps: the laptop's fields take it too (`field_clock::restamp`).
    pub fn sync_acked(&mut self, through: i64, told: &Told, capped: &[(i64, Hlc)]) -> Result<(), StoreError> {
        let at = self.now()?.utc;
        let device = crate::centre::device_id(&self.conn, at)?;
        let tx = self.conn.transaction()?;
        acked(&tx, device, through, told, capped, at)?;
        tx.commit()?;
        Ok(())
    }

    /// Called with what the block says, at a session, that it holds of this laptop's work: when
    /// that is less than it acknowledged before, the block was restored from a backup. Its feed
    /// is numbered again from where the backup stood, below where this laptop had read it, so
    /// the feed is read again from its start (a change applied before is skipped), and what the
    /// block lost is sent again. Whether it was. Not for an answer on a USB stick, which may be
    /// an old one.
    pub fn block_restored(&mut self, through: i64) -> Result<bool, StoreError> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = block_restored(&tx, through)?;
        tx.commit()?;
        Ok(changed)
    }

    /// The block's feed epoch this laptop has read under, if the block ever named one.
    pub fn feed_epoch_held(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT feed_epoch FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// Keeps the block's feed epoch a pull named (`PullReply::feed_epoch`). A new one means the
    /// block was restored from a backup and numbered its feed again from where the backup
    /// stood, below where this laptop had read it: the feed is read again from its start (a
    /// change applied before is skipped). Whether it is to be: not for the first epoch a laptop
    /// that has read nothing yet hears of.
    pub fn feed_epoch(&mut self, epoch: Option<&str>) -> Result<bool, StoreError> {
        let Some(epoch) = epoch else { return Ok(false) };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let again = new_epoch(&tx, epoch)?;
        tx.commit()?;
        Ok(again)
    }

    /// The highest number among the changes the enrolled server made itself (an officer's step,
    /// a review decided) that this laptop holds, if any: said at each session, so that a server
    /// restored from a backup numbers its own next changes after it (`SessionRequest::server_own_through`).
    pub fn server_own_through(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT max(c.device_seq) FROM change_log c JOIN sync_link s ON s.id = 1 AND c.device_id = s.server_id",
            [],
            |r| r.get(0),
        )?)
    }

    /// The changes the enrolled server made itself that this laptop holds with their seals,
    /// numbered after `after`, oldest first: what it gives back to the server restored from a
    /// backup that asked them back. Nothing where it gave back all it held after `after` before
    /// and holds no newer change of the server's since ([`Store::gave_back`]).
    pub fn sealed_of_server(&self, after: i64) -> Result<Vec<SealedChange>, StoreError> {
        if self.given_back_mark(after)?.is_none() {
            return Ok(Vec::new());
        }
        let mut stmt = self.conn.prepare(
            "SELECT c.device_seq, c.change, c.seal FROM change_log c
             JOIN sync_link s ON s.id = 1 AND c.device_id = s.server_id
             WHERE c.device_seq > ?1 AND c.seal IS NOT NULL ORDER BY c.device_seq",
        )?;
        let rows = stmt.query_map([after], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (device_seq, text, seal) = row?;
            let change = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("a pulled change: {e}")))?;
            out.push(SealedChange { device_seq, change, seal });
        }
        Ok(out)
    }

    /// The changes of another laptop's old run this laptop holds, but for those the block holds
    /// already, oldest first: the block, restored from a backup, asked them back
    /// (`SessionReply::others_wanted`).
    pub fn changes_of_run(&self, run: &AskedRun) -> Result<Vec<(i64, Change)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT device_seq, change FROM change_log
             WHERE device_id = ?1 AND device_seq > ?2 AND device_seq <= ?3 ORDER BY device_seq",
        )?;
        let rows = stmt.query_map(params![run.device.to_string(), run.after, run.through], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let skip: std::collections::HashSet<i64> = run.held.iter().copied().collect();
        let mut out = Vec::new();
        for row in rows {
            let (seq, text) = row?;
            if skip.contains(&seq) {
                continue;
            }
            let change = serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("a pulled change: {e}")))?;
            out.push((seq, change));
        }
        Ok(out)
    }

    /// Notes that the server took back what this laptop held of its own changes after `after`:
    /// asked the same again (a step whose seal no longer fits, erased here since, is refused
    /// every time), the laptop does not send it all again at every sync.
    pub fn gave_back(&mut self, after: i64) -> Result<(), StoreError> {
        if let Some(mark) = self.given_back_mark(after)? {
            self.conn.execute("UPDATE sync_link SET given_back = ?1 WHERE id = 1", [mark])?;
        }
        Ok(())
    }

    /// The runs of other laptops the block's last answer by stick asked back.
    pub fn stick_others_wanted(&self) -> Result<Vec<AskedRun>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT stick_others_wanted FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .flatten();
        text.map_or(Ok(Vec::new()), |t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt(format!("the runs asked back: {e}")))
        })
    }

    /// After which number the block's last answer by stick asked back its own changes, if it did.
    pub fn stick_wanted_back(&self) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT stick_own_wanted_after FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// The mark of giving back after `after` what this laptop holds now; `None` where it was
    /// given back already.
    fn given_back_mark(&self, after: i64) -> Result<Option<String>, StoreError> {
        let mark = format!("{}:{after}", self.server_own_through()?.unwrap_or(0));
        let last: Option<String> = self
            .conn
            .query_row("SELECT given_back FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .flatten();
        Ok((last.as_deref() != Some(mark.as_str())).then_some(mark))
    }

    /// How far this laptop knows the server holds its changes (what the last answer said).
    pub fn acked_through(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT acked_through FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// After which number to ask the server's feed for this laptop's own changes: set while a
    /// store restored from an older backup has not read back what it sent after the backup.
    pub fn own_pull_after(&self) -> Result<Option<i64>, StoreError> {
        Ok(crate::restored::own_pull_after(&self.conn)?)
    }

    /// Up to which number the server's feed is asked for this laptop's own changes, with
    /// [`Store::own_pull_after`]: the end of the old laptop's run on a store restored from a
    /// backup (`restored::numbered_after`); none asks for all after.
    pub fn own_pull_through(&self) -> Result<Option<i64>, StoreError> {
        Ok(crate::restored::numbered_after(&self.conn)?)
    }

    /// After which of this laptop's numbers the block's answer on a stick should carry its own
    /// changes (see `restored::own_after_by_stick`).
    pub fn own_after_by_stick(&self) -> Result<Option<i64>, StoreError> {
        Ok(crate::restored::own_after_by_stick(&self.conn)?)
    }

    /// Whether this store was restored from a backup and waits for its block's first word (see
    /// `restored`): its changes since the restore are not numbered for sending until then.
    pub fn restore_unsettled(&self) -> Result<bool, StoreError> {
        Ok(crate::restored::unsettled(&self.conn)?)
    }

    /// What this laptop says of itself at its next session with its block: read in one place
    /// for the real link and the simulation's, so that they cannot drift (the simulation's
    /// laptops said three of the five, and a block restored from a backup was found by them
    /// otherwise than by real laptops).
    pub fn said_at_session(&self) -> Result<SaidAtSession, StoreError> {
        Ok(SaidAtSession {
            acked_here: self.acked_through()?,
            server_own_through: self.server_own_through()?,
            feed_epoch_read: self.feed_epoch_held()?.unwrap_or_default(),
            restores: self.restores()?,
            run_end: self.own_pull_through()?,
        })
    }

    /// The restores of this store from its backups that it descends from, oldest first, which
    /// its sessions and sync files say (`samanvaya_domain::restore`).
    pub fn restores(&self) -> Result<Vec<samanvaya_domain::restore::Restore>, StoreError> {
        Ok(crate::restored::restores(&self.conn)?)
    }

    /// The server's feed was read to its end with this laptop's own changes in it.
    pub fn own_pulled(&mut self) -> Result<(), StoreError> {
        Ok(crate::restored::own_pulled(&self.conn)?)
    }

    /// Where this laptop stands in its server's pull feed.
    pub fn pulled_through(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT pulled_through FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// The origin (device, number) of the server's change the pull cursor stands on, as the
    /// server said it with the cursor; none at the feed's start or where it did not say.
    pub fn pulled_origin(&self) -> Result<Option<(Uuid, i64)>, StoreError> {
        let found: Option<(Option<String>, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT pulled_origin_device, pulled_origin_seq FROM sync_link WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match found {
            Some((Some(device), Some(seq))) => {
                let device = Uuid::parse_str(&device)
                    .map_err(|e| StoreError::Corrupt(format!("the pull cursor's origin {device}: {e}")))?;
                Ok(Some((device, seq)))
            }
            _ => Ok(None),
        }
    }

    /// The first number of `server`'s feed among `changes` under which this laptop applied
    /// another change than the one `changes` carries under it, if any: the server numbered its
    /// feed again (restored from a backup) under the epoch this laptop read under, not knowing
    /// it yet. Applied, two changes would hold one number.
    pub fn feed_numbered_otherwise(
        &self,
        server: &str,
        changes: &[Incoming],
    ) -> Result<Option<i64>, StoreError> {
        for c in changes {
            let held = change_log::pulled_at(&self.conn, server, c.server_seq)?;
            if held.is_some_and(|(device, seq)| device != c.device.to_string() || seq != c.device_seq) {
                return Ok(Some(c.server_seq));
            }
        }
        Ok(None)
    }

    /// Applies one page of the server's pull feed and moves the cursor to `cursor`, whose change
    /// at the server has the origin `cursor_origin`, in the same transaction: a stop at any
    /// point leaves both as they were or both done. A change this laptop made, or one applied
    /// already (through any server), is skipped; one that cannot be applied here is kept aside
    /// with its reason instead of blocking the rest.
    pub fn apply_pulled_page(
        &mut self,
        server: &str,
        changes: &[Incoming],
        cursor: i64,
        cursor_origin: Option<(Uuid, i64)>,
        at: Moment,
    ) -> Result<usize, StoreError> {
        let me = centre::device_id(&self.conn, at.utc)?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied = apply_page(&tx, me, server, changes, cursor, cursor_origin, at)?;
        tx.commit()?;
        self.after_pulled(changes, at);
        Ok(applied)
    }

    /// What a page of the feed applied calls for once it is committed: a withdrawal of
    /// consent among its changes leaves no old version of her record in the store's files.
    pub(crate) fn after_pulled(&self, changes: &[Incoming], at: Moment) {
        if changes.iter().any(|c| c.change.body.kind() == "consent_withdrawn") {
            crate::consent::forget_old_versions(&self.conn);
            // As for a withdrawal recorded here (`Store::withdraw_consent`).
            let _ = self.replace_snapshots(at.today);
        }
    }

    /// Notes the end of a sync: its time, and the error in plain words when it failed.
    pub fn sync_finished(&mut self, at: DateTime<Utc>, error: Option<&str>) -> Result<(), StoreError> {
        match error {
            None => self.conn.execute(
                "UPDATE sync_link SET last_attempt_at = ?1, last_success_at = ?1, last_error = NULL WHERE id = 1",
                [at],
            )?,
            Some(e) => self.conn.execute(
                "UPDATE sync_link SET last_attempt_at = ?1, last_error = ?2 WHERE id = 1",
                params![at, e],
            )?,
        };
        Ok(())
    }

    /// Records a sync that did all it had to but for something the status panel must keep
    /// saying (`warning`, a code word and its sentence as for an error): the district's rules
    /// refused. It counts as the last success, so the panel does not say the laptop is behind.
    pub fn sync_finished_but(&mut self, at: DateTime<Utc>, warning: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE sync_link SET last_attempt_at = ?1, last_success_at = ?1, last_error = ?2 WHERE id = 1",
            params![at, warning],
        )?;
        Ok(())
    }

    /// Whether the block should be sent a recovery code for this laptop: it is enrolled and its
    /// keyring has none the block keeps.
    pub fn block_recovery_due(&self) -> Result<bool, StoreError> {
        if enrollment(&self.conn)?.is_none() {
            return Ok(false);
        }
        let ring = crate::keyring::Keyring::read(self.data_dir())?.ok_or(StoreError::NotSetUp)?;
        Ok(!ring.has_block_recovery())
    }

    /// The block said it keeps `code`: the store's key is wrapped under it too, so that the
    /// block office can read it to a facilitator who forgot her PIN and lost her own code.
    /// Audited; the code itself is never written anywhere on the laptop.
    pub fn keep_block_recovery(&mut self, code: &crate::keyring::Secret) -> Result<(), StoreError> {
        let read = || crate::keyring::Keyring::read(self.data_dir())?.ok_or(StoreError::NotSetUp);
        let mut made = read()?;
        made.set_block_recovery(&self.key, code)?;
        // Read again after the slow derivation: a PIN changed meanwhile is kept.
        let mut ring = read()?;
        ring.take_block_recovery(made);
        ring.write(self.data_dir())?;
        crate::audit::append(
            &self.conn,
            "recovery:block",
            "the block keeps a recovery code",
            self.now()?.utc,
        )?;
        Ok(())
    }

    /// The block holds this laptop's audit log (the branch it writes on, if any) through entry
    /// `through`, as the sync's last audit answer said.
    pub fn audit_held(&mut self, through: i64) -> Result<(), StoreError> {
        // The block's latest word, even when it is less than before (a block restored from its
        // backup): entries it holds already are skipped there.
        self.conn.execute("UPDATE sync_link SET audit_held = ?1 WHERE id = 1", [through])?;
        Ok(())
    }

    /// Where the audit log this store writes goes on, once a session said how far the block
    /// holds the device's own log (`main`) and each branch of it (`branches`, by id): how far
    /// the block holds the log this store writes, and the branch it is, if any. On a store
    /// restored from a backup this first settles the branch (`restored::settle_audit`). A branch
    /// the block does not list, of a device's log it holds short of the branch's start (a block
    /// restored from an older backup of its own), is held to where the block holds that log:
    /// the entries up to the branch's start go there first (`AuditFork::next_leg`).
    pub fn audit_to_send(
        &mut self,
        main: i64,
        branches: &[(Uuid, i64)],
    ) -> Result<(i64, Option<AuditFork>), StoreError> {
        let at = self.now()?.utc;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let holds = |fork: Option<&AuditFork>| held_of(main, branches, fork);
        let fork = crate::restored::settle_audit(&tx, holds, at)?;
        let held = holds(fork.as_ref());
        tx.execute("UPDATE sync_link SET audit_held = ?1 WHERE id = 1", [held])?;
        tx.commit()?;
        Ok((held, fork))
    }

    /// The branch of the device's audit log this store writes on (`AuditFork`), none while it
    /// writes the log itself: a sync file's entries travel on it.
    pub fn audit_fork(&self) -> Result<Option<AuditFork>, StoreError> {
        Ok(crate::restored::audit_fork(&self.conn)?)
    }

    /// The audit log's entries a sync file carries, with the branch they go on (none for the
    /// device's own log): those after where the block last said it holds the log, at most
    /// `limit`, and only up to a branch's start while the block holds the device's own log short
    /// of it (`AuditFork::next_leg`). None on a store restored from a backup until the block
    /// has said how much of the log it holds: the old laptop may have sent entries after the
    /// backup, which the restored store's would not follow.
    pub fn audit_for_stick(
        &self,
        limit: usize,
    ) -> Result<(Vec<samanvaya_domain::audit::AuditEntry>, Option<AuditFork>), StoreError> {
        if crate::restored::audit_unsettled(&self.conn)? {
            return Ok((Vec::new(), None));
        }
        let held = self.audit_held_through()?;
        let mut entries = crate::audit::after(&self.conn, held, limit)?;
        let fork = crate::restored::audit_fork(&self.conn)?;
        let Some(fork) = fork else { return Ok((entries, None)) };
        let (on, last) = fork.next_leg(held);
        if let Some(last) = last {
            entries.retain(|e| e.seq <= last);
        }
        Ok((entries, on.cloned()))
    }

    /// How far the block holds this laptop's audit log, as it last said (0 before it said).
    pub fn audit_held_through(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT audit_held FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    /// Deletes local changes the server acknowledged before `before`, however long before
    /// that they were made. The newest local change always stays: it carries the device's last
    /// sequence number, so numbering goes on after it.
    pub fn prune_acked(&mut self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let Some(_) = enrollment(&self.conn)? else { return Ok(0) };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let pruned = tx.execute(
            "DELETE FROM change_log WHERE origin = 'local'
               AND device_seq <= (SELECT acked_through FROM sync_link WHERE id = 1)
               AND acked_at < ?1
               AND seq < (SELECT max(seq) FROM change_log WHERE origin = 'local')",
            [before],
        )?;
        // Counted, for the panel's count of what reached the block (`sync_status`).
        tx.execute("UPDATE sync_link SET pruned = pruned + ?1 WHERE id = 1", [pruned as i64])?;
        tx.commit()?;
        Ok(pruned)
    }

    /// Prunes what the server acknowledged more than [`KEEP_ACKED_DAYS`] ago.
    pub fn prune_old_acked(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        self.prune_acked(now - Duration::days(KEEP_ACKED_DAYS))
    }

    pub fn sync_status(&self) -> Result<SyncStatus, StoreError> {
        let demo = self.is_demo()?;
        let e = enrollment(&self.conn)?;
        type Row = (i64, i64, i64, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<String>, i64);
        let row: Option<(Row, Option<DateTime<Utc>>)> = self
            .conn
            .query_row(
                "SELECT acked_through, reached_district, rejected, conflicts, last_attempt_at, last_success_at,
                        last_error, pruned, certificate_followed_at
                 FROM sync_link WHERE id = 1",
                [],
                |r| {
                    Ok((
                        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?),
                        r.get(8)?,
                    ))
                },
            )
            .optional()?;
        let (
            (acked, district, rejected, conflicts, last_attempt_at, last_success_at, last_error, pruned),
            followed,
        ) = row.unwrap_or(((0, 0, 0, 0, None, None, None, 0), None));
        let now = self.now()?.utc;
        let certificate_followed_at =
            followed.filter(|at| now - *at < Duration::days(CERTIFICATE_FOLLOWED_SHOWN_DAYS));
        // The device's changes, made here or read back from the block by a store restored from
        // a backup: what is sent (`change_log::queued_after`) is what is counted. Counted, not
        // taken from the numbers: a restored store numbers its new work far past the old
        // laptop's run (`restored::numbered_after`). Those pruned once acknowledged count as
        // reached; as reached the district too, which is so unless the district lagged the
        // block by the month a change is kept.
        let (waiting, reached, reached_district): (i64, i64, i64) = self.conn.query_row(
            "SELECT count(*) FILTER (WHERE device_seq > ?1), count(*) FILTER (WHERE device_seq <= ?1),
                    count(*) FILTER (WHERE device_seq <= min(?1, ?2))
             FROM change_log WHERE device_id = (SELECT device_id FROM centre WHERE id = 1)",
            [acked, district],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let refused: i64 = self.conn.query_row("SELECT count(*) FROM pulled_refused", [], |r| r.get(0))?;
        Ok(SyncStatus {
            enrolled: e.is_some(),
            demo,
            url: e.as_ref().map(|e| e.url.clone()),
            role: e.map(|e| e.role),
            device: self.device_id()?.to_string(),
            waiting,
            reached_block: reached + pruned,
            // The district holds nothing the block does not.
            reached_district: (reached_district + pruned).min(reached + pruned),
            rejected,
            conflicts,
            pulled_refused: refused,
            last_attempt_at,
            last_success_at,
            last_error,
            rules: self.catalogue_in_use()?,
            certificate_followed_at,
        })
    }
}

/// [`Store::sync_acked`] within the caller's transaction `tx`, for `device`, this laptop.
pub(crate) fn acked(
    tx: &Connection,
    device: Uuid,
    through: i64,
    told: &Told,
    capped: &[(i64, Hlc)],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    // Only what this laptop had not yet heard acknowledged is counted: an answer heard
    // twice (an old one on the stick applied again, two syncs at once, a session after a
    // push's answer that did arrive) says again what was counted the first time.
    let heard: i64 = tx.query_row("SELECT acked_through FROM sync_link WHERE id = 1", [], |r| r.get(0))?;
    let new = |seqs: &[i64]| seqs.iter().filter(|s| **s > heard).count() as i64;
    let (rejected, conflicts) = (new(&told.refused), new(&told.for_review));
    // A restored laptop's changes since the restore are renumbered first: the numbers the
    // server names are then the backup's own changes, never the new ones that had taken the
    // old laptop's numbers.
    crate::restored::settle(tx, through, at)?;
    for (seq, kept) in capped {
        let sent: Option<String> = tx
            .query_row(
                "SELECT change FROM change_log WHERE origin = 'local' AND device_id = ?1 AND device_seq = ?2",
                params![device.to_string(), seq],
                |r| r.get(0),
            )
            .optional()?;
        let Some(mut change) = sent.and_then(|c| serde_json::from_str::<Change>(&c).ok()) else {
            continue;
        };
        if change.hlc == *kept {
            continue;
        }
        crate::field_clock::restamp(tx, &change.body, change.hlc, *kept)?;
        crate::own_departure::restamp(tx, &change.body, change.hlc, *kept)?;
        // The change as the server keeps it: sent again (to a block restored from a backup
        // that lacks it), it carries the reading the laptop's fields now hold.
        change.hlc = *kept;
        let text = |e: serde_json::Error| StoreError::Corrupt(format!("a change cannot be written: {e}"));
        let (hlc, change) =
            (serde_json::to_string(kept).map_err(text)?, serde_json::to_string(&change).map_err(text)?);
        tx.execute(
            "UPDATE change_log SET hlc = ?3, change = ?4 WHERE origin = 'local' AND device_id = ?1 AND device_seq = ?2",
            params![device.to_string(), seq, hlc, change],
        )?;
    }
    // The month the log keeps a change runs from here (`prune_acked`). A change heard
    // acknowledged again after its block was restored from a backup (`block_restored`
    // lowered the word) starts its month again: the block had lost it once.
    if through > heard {
        tx.execute(
            "UPDATE change_log SET acked_at = ?3
             WHERE origin = 'local' AND device_id = ?4 AND device_seq > ?1 AND device_seq <= ?2",
            params![heard, through, at, device.to_string()],
        )?;
    }
    tx.execute(
        "UPDATE sync_link SET acked_through = max(acked_through, ?1), rejected = rejected + ?2,
                              conflicts = conflicts + ?3 WHERE id = 1",
        params![through, rejected, conflicts],
    )?;
    Ok(())
}

/// [`Store::block_restored`] within the caller's transaction `tx`.
pub(crate) fn block_restored(tx: &Connection, through: i64) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE sync_link SET acked_through = ?1, pulled_through = 0, pulled_origin_device = NULL,
            pulled_origin_seq = NULL
         WHERE id = 1 AND acked_through > ?1",
        [through],
    )?;
    if changed > 0 {
        forget_feed_numbers(tx)?;
    }
    Ok(changed > 0)
}

/// [`Store::feed_epoch`] within the caller's transaction `tx`, for an epoch named.
pub(crate) fn new_epoch(tx: &Connection, epoch: &str) -> Result<bool, StoreError> {
    let Some((kept, read)) = tx
        .query_row("SELECT feed_epoch, pulled_through FROM sync_link WHERE id = 1", [], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?
    else {
        return Ok(false);
    };
    if kept.as_deref() == Some(epoch) {
        return Ok(false);
    }
    let again = read > 0;
    tx.execute(
        "UPDATE sync_link SET feed_epoch = ?1, pulled_through = CASE WHEN ?2 THEN 0 ELSE pulled_through END,
            pulled_origin_device = CASE WHEN ?2 THEN NULL ELSE pulled_origin_device END,
            pulled_origin_seq = CASE WHEN ?2 THEN NULL ELSE pulled_origin_seq END
         WHERE id = 1",
        params![epoch, again],
    )?;
    if again {
        forget_feed_numbers(tx)?;
    }
    Ok(again)
}

/// [`Store::apply_pulled_page`] within the caller's transaction `tx`, for `me`, this laptop;
/// the caller calls [`Store::after_pulled`] once it has committed.
pub(crate) fn apply_page(
    tx: &Connection,
    me: Uuid,
    server: &str,
    changes: &[Incoming],
    cursor: i64,
    cursor_origin: Option<(Uuid, i64)>,
    at: Moment,
) -> Result<usize, StoreError> {
    // A restored store takes back what this device sent after its backup (`restored`).
    // Only the old laptop's run: a server older than the run's end sends this store's own
    // new work too, which it holds (or pruned once acknowledged, and must not take again).
    let own_wanted = crate::restored::own_pull_after(tx)?.is_some();
    let own_through = crate::restored::numbered_after(tx)?.unwrap_or(i64::MAX);
    let mut applied = 0;
    for c in changes {
        let own_unwanted = !own_wanted || c.device_seq > own_through;
        if (c.device == me && own_unwanted) || change_log::has_origin(tx, c.device, c.device_seq)? {
            continue;
        }
        if !c.change.is_supported() {
            return Err(StoreError::NewerChange { kind: c.change.body.kind(), version: c.change.version });
        }
        // A change about a person or household erased here is kept only as what is left of it.
        let erased = crate::consent::on_arrival(tx, &c.change)?;
        let change = erased.as_ref().unwrap_or(&c.change);
        tx.execute_batch("SAVEPOINT one_change")?;
        match pulled::apply(tx, &change.body, change.hlc, at) {
            Ok(()) => {
                tx.execute_batch("RELEASE one_change")?;
                change_log::record_pulled(tx, server, c.server_seq, c.device, c.device_seq, change, at)?;
                // Not over what was erased on arrival: it could never be given back, and
                // would be a digest of an erased name.
                if let (Some(seal), None) = (&c.seal, &erased) {
                    change_log::keep_seal(tx, c.device, c.device_seq, seal)?;
                }
                applied += 1;
                match &change.body {
                    ChangeBody::Referral(r) => {
                        applied += apply_set_aside(tx, server, AsideFor::Referral(r.id), at)?;
                    }
                    // A change that names her may be the one that made her here.
                    ChangeBody::Member(m) if m.fields.iter().any(|f| matches!(f, MemberField::Name(_))) => {
                        applied += apply_set_aside(tx, server, AsideFor::Member(m.id.0), at)?;
                    }
                    ChangeBody::MemberRemoved(m) => {
                        applied += apply_set_aside(tx, server, AsideFor::Member(m.id.0), at)?;
                    }
                    // A referral erased elsewhere: its steps kept aside are erased too.
                    ChangeBody::Redacted(r) if r.referral.is_some() => {
                        tx.execute(
                            "DELETE FROM pulled_refused WHERE server = ?1
                               AND json_extract(change, '$.kind') = 'referral_event'
                               AND json_extract(change, '$.body.referral_id') = ?2",
                            params![server, r.referral.map(|id| id.to_string())],
                        )?;
                    }
                    _ => {}
                }
            }
            Err(e) => {
                tx.execute_batch("ROLLBACK TO one_change; RELEASE one_change")?;
                let text = serde_json::to_string(change).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                // Kept aside before a restored block's feed was read again (under a number
                // below zero, `forget_feed_numbers`): one change, counted once.
                tx.execute(
                    "DELETE FROM pulled_refused WHERE server = ?1 AND server_seq < 0 AND change = ?2",
                    params![server, text],
                )?;
                tx.execute(
                    "INSERT OR REPLACE INTO pulled_refused (server, server_seq, change, reason, at,
                                                            device_id, device_seq, seal)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        server,
                        c.server_seq,
                        text,
                        e.to_string(),
                        at.utc,
                        c.device.to_string(),
                        c.device_seq,
                        c.seal
                    ],
                )?;
            }
        }
    }
    // The origin moves with the cursor, and only forward, as the cursor does.
    let (device, seq) = cursor_origin.map(|(d, s)| (d.to_string(), s)).unzip();
    tx.execute(
        "UPDATE sync_link SET
            pulled_origin_device = CASE WHEN ?1 >= pulled_through THEN ?2 ELSE pulled_origin_device END,
            pulled_origin_seq = CASE WHEN ?1 >= pulled_through THEN ?3 ELSE pulled_origin_seq END,
            pulled_through = max(pulled_through, ?1)
         WHERE id = 1",
        params![cursor, device, seq],
    )?;
    Ok(applied)
}

/// As [`Store::audit_to_send`], from the block's answer on a stick, within the caller's
/// transaction `tx`. An answer to an older file, brought again, never moves the mark back. The
/// answer to a file written knowing what this laptop still knows (`latest`) says how far the
/// block holds the log now, less than before when the block was restored from a backup: the
/// entries it lost go on the next stick, as after a session (the block skips those it holds).
/// Before, a laptop synced by stick alone never sent them again.
pub(crate) fn audit_held_by_stick(
    tx: &Connection,
    main: i64,
    branches: &[(Uuid, i64)],
    latest: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let holds = |fork: Option<&AuditFork>| held_of(main, branches, fork);
    let fork = crate::restored::settle_audit(tx, holds, at)?;
    let sql = if latest {
        "UPDATE sync_link SET audit_held = ?1 WHERE id = 1"
    } else {
        "UPDATE sync_link SET audit_held = max(audit_held, ?1) WHERE id = 1"
    };
    tx.execute(sql, [holds(fork.as_ref())])?;
    Ok(())
}

/// Keeps, within the caller's transaction `tx`, what the block's answer by USB stick asked
/// back: of its own changes, those after `own_after` (`FeedFile::own_wanted_after`), and the
/// runs of other laptops (`FeedFile::others_wanted`). The next sync file gives them back; each
/// answer replaces what the one before asked, and one that asks nothing clears it.
pub(crate) fn stick_asked(
    tx: &Connection,
    own_after: Option<i64>,
    others: &[AskedRun],
) -> Result<(), StoreError> {
    let others = (!others.is_empty()).then(|| serde_json::to_string(others).expect("runs are plain data"));
    tx.execute(
        "UPDATE sync_link SET stick_own_wanted_after = ?1, stick_others_wanted = ?2 WHERE id = 1",
        params![own_after, others],
    )?;
    Ok(())
}

/// [`Store::enrollment_seed_used`] within the caller's transaction.
pub(crate) fn seed_used(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM setting WHERE key = ?1", [ENROLLMENT_SEED])?;
    Ok(())
}

fn grant(conn: &Connection, by: &str, leases: &[(String, i64, i64)]) -> Result<(), StoreError> {
    for (kind, first, last) in leases {
        if ![number_lease::HOUSEHOLD, number_lease::REFERRAL].contains(&kind.as_str()) || last < first {
            return Err(StoreError::Corrupt(format!("the server granted a lease {kind} {first}..{last}")));
        }
        number_lease::grant(conn, kind, *first, *last, by)?;
    }
    Ok(())
}

/// How far the block holds the log `fork` names (the device's own when none), from a session's
/// or an answer's figures: a branch it does not list holds nothing past where it grew from, nor
/// past where the block holds the device's own log.
fn held_of(main: i64, branches: &[(Uuid, i64)], fork: Option<&AuditFork>) -> i64 {
    match fork {
        None => main,
        Some(f) => match branches.iter().find(|(id, _)| *id == f.id) {
            Some((_, through)) => *through,
            // Not begun there: it grows from its start, where the block holds the device's own
            // log that far (`AuditFork::next_leg` sends the rest of it first).
            None if f.parent.is_none() => main.min(f.from_seq),
            None => f.from_seq,
        },
    }
}

/// Forgets the block's numbers of the changes pulled before it was restored from a backup: it
/// numbers its feed again from where the backup stood, and a change read again under a number
/// an older one had here was refused as that one's duplicate. Each keeps a number of its own
/// below zero (minus its place in the change log), which no server gives; what the pulled
/// changes were is still known by their origin, which is how a change read again is skipped.
fn forget_feed_numbers(conn: &Connection) -> rusqlite::Result<()> {
    // Every pulled change not numbered so yet, also one an older app recorded from aside under
    // the block's old number below zero, which could be minus another's place: first past all
    // of them (past -2^62), then each to its own, so that no two hold one number on the way.
    conn.execute(
        "UPDATE change_log SET server_seq = -seq - 4611686018427387904 WHERE origin = 'pulled' AND server_seq <> -seq",
        [],
    )?;
    conn.execute(
        "UPDATE change_log SET server_seq = -seq WHERE origin = 'pulled' AND server_seq < -4611686018427387904",
        [],
    )?;
    // Those kept aside (they could not be applied) are read again where the block still holds
    // them; kept under a number below zero, each is counted once, and goes when it is kept
    // aside again under its new number. One applied on the new reading, or no longer held by the
    // block, stays counted (not mended: rare, and only a count). Each goes below every number
    // an earlier restore put aside: a step kept aside before the block's first restore already
    // holds minus its number, which after the second restore can be another step's number too,
    // and that one, left in place, was overwritten by the next numbering's (found by a review).
    // Each server's lowest number is read first, so that one numbering keeps its feed's order
    // (a number read again row by row would follow the rows' order in the table instead).
    let lowest: Vec<(String, i64)> = conn
        .prepare("SELECT server, min(0, min(server_seq)) FROM pulled_refused GROUP BY server")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (server, lowest) in lowest {
        conn.execute(
            "UPDATE pulled_refused SET server_seq = ?2 - server_seq WHERE server = ?1 AND server_seq > 0",
            params![server, lowest],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Secret, Store};

    /// The seed drawn at a laptop's first enrollment run is the one every later run uses,
    /// whatever it draws then, until a session (or a block's answer on a stick) forgets it; a
    /// later enrollment then draws afresh.
    #[test]
    fn the_seed_drawn_to_enroll_is_kept_until_the_first_session() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _code) = Store::create(dir.path(), "Asha", &Secret::new("482916")).unwrap();
        let first = "ab".repeat(32);
        assert_eq!(store.enrollment_seed(&first).unwrap(), first);
        assert_eq!(store.enrollment_seed(&"cd".repeat(32)).unwrap(), first, "a second run sends the first's");
        store.enrollment_seed_used().unwrap();
        assert_eq!(store.enrollment_seed(&"ef".repeat(32)).unwrap(), "ef".repeat(32));
    }
}
