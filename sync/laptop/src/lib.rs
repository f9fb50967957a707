//! The laptop's side of sync: the store as the sync link's local end ([`StoreEnd`]),
//! enrolling with a block server, and one sync run that records how it went, in words the
//! status panel shows. The CLI and the app call these; neither speaks HTTP itself.

mod catalogue;

pub use catalogue::install_file;
/// The largest answer from the block a laptop reads, looked at before a file is read.
pub use samanvaya_sync_protocol::feed_file::MAX_FILE_BYTES as MAX_ANSWER_BYTES;

use chrono::{DateTime, Utc};
use samanvaya_core::{Enrollment, Incoming, Installed, StickAnswer, Store, StoreError, Told};
use samanvaya_domain::{Hlc, Location, LocationId, LocationLevel};
use samanvaya_sync_client::link::{self, Link};
use samanvaya_sync_client::{Local, Numbers, Remote, Report, SyncError, Tuning, sync_once};
use samanvaya_sync_protocol::bundle::BundleError;
use samanvaya_sync_protocol::feed_file::{self, FeedFileError};
use samanvaya_sync_protocol::parcel::{self, Parcel, ParcelError};
use samanvaya_sync_protocol::{
    Applicant, Change, ChangeResult, DeviceKind, GivenBack, Lease, Origin, OthersWanted, Outcome, OwnAsked,
    PROTOCOL_VERSION, Place, PullReply, Pulled, RefusalCode, Village, vouch,
};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum LaptopSyncError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Parcel(#[from] ParcelError),
    /// The laptop's own changes could not be packed into its sync file: nothing about the stick
    /// or a file from the block is wrong, so it is not said as a file's failure.
    #[error("this laptop's changes could not be packed into the sync file: {0}")]
    Seal(ParcelError),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    FeedFile(#[from] FeedFileError),
    #[error("cannot write {path}: {source}; check that the USB stick is in and has room")]
    File { path: String, source: std::io::Error },
    #[error(
        "this answer from the block was written before this laptop was restored from its backup, so it was not applied; write this laptop's sync file, take it to the block office, and apply the answer the block writes to it"
    )]
    AnswerBeforeRestore,
    #[error(
        "this answer from the block was written before the block's server was restored from a backup, so it was not applied; write this laptop's sync file, take it to the block office, and apply the answer the block writes to it"
    )]
    AnswerBeforeBlockRestore,
    /// The laptop followed its block's new certificate on the district's word, and the sync on
    /// it then failed: the block office asks which certificate the laptop trusts now, so the
    /// following is said with the failure.
    #[error(
        "the block presents a new certificate ({certificate}), which the district vouched for: this laptop trusts it from now on; the sync on it then failed: {then}"
    )]
    AfterFollowing { certificate: String, then: Box<LaptopSyncError> },
    /// The block's answer starts further on in its feed than this laptop has read: the block's
    /// word for where the laptop stood was another copy's, or in its numbers from before a
    /// restore. Applied, it would skip what lies between.
    #[error(
        "this answer from the block starts after number {starts_after} of its feed, past what this laptop has read (number {read}), so it was not applied: it would skip what lies between. Nothing is lost: write this laptop's sync file, take it to the block office, and apply the answer the block writes to it"
    )]
    AnswerPastRead { starts_after: i64, read: i64 },
    /// Under the feed's epoch this laptop read under, the block's answer holds under a number
    /// another change than the one this laptop applied under it: the block was restored from a
    /// backup and numbered its feed again, and no device has shown it the restore yet (the
    /// answer was written by `export-feed`, with no file of this laptop's before it). Applied,
    /// two changes would hold one number; the store refused it with a database's words.
    #[error(
        "this answer from the block numbers its changes otherwise than its answers before (number {number} of its feed is another change here): the block's server was restored from a backup and has not found it out yet, so the answer was not applied. Nothing is lost: write this laptop's sync file, take it to the block office, and apply the answer the block writes to it (the file shows the block its restore)"
    )]
    AnswerRenumbered { number: i64 },
    /// The block's answer is to a copy of this laptop restored from a backup of it (its list
    /// of restores goes on from this laptop's): this laptop was not restored, and is not told
    /// it was (found by a review). Which copy the block takes as the laptop the laptop cannot
    /// know (the office may have taken this one back with `keep-copy`): the sentence says
    /// what to do for each.
    #[error(
        "this answer from the block is for a copy of this laptop restored from its backup (after this laptop's change {after}), so it was not applied here. Ask the block office which copy it keeps as this laptop. If the restored one, go on with that copy: the work this laptop made after the backup reaches the block in its sync file (`samanvaya export-sync`), which the office imports. If this one (taken back with `samanvaya-server keep-copy`), write this laptop's sync file, take it to the block office, and apply the answer the block writes to it"
    )]
    AnswerForRestoredCopy { after: i64 },
}

impl LaptopSyncError {
    /// A stable word for the kind of failure: the status panel says it in the user's language.
    pub fn code(&self) -> &'static str {
        match self {
            // The panel says the following on its own line (`certificate_followed_at`).
            LaptopSyncError::AfterFollowing { then, .. } => then.code(),
            LaptopSyncError::Store(StoreError::DemoStore) => "demo",
            LaptopSyncError::Store(StoreError::NotEnrolled) => "not_enrolled",
            LaptopSyncError::Store(StoreError::AlreadyEnrolled { .. }) => "already_enrolled",
            LaptopSyncError::Store(StoreError::Bundle(_))
            | LaptopSyncError::Bundle(_)
            | LaptopSyncError::Sync(SyncError::Catalogue(_)) => "catalogue",
            LaptopSyncError::Store(_) | LaptopSyncError::Seal(_) => "store",
            // The block's answer refused for what it is, each with what to do: written for
            // another laptop, by another version of the block's server, or changed on the way.
            // All were "file", whose sentence sends the facilitator to look at the stick and
            // its room (found by a review).
            LaptopSyncError::FeedFile(FeedFileError::OtherLaptop) => "file_other_laptop",
            LaptopSyncError::FeedFile(FeedFileError::Version { .. } | FeedFileError::Protocol { .. }) => {
                "file_version"
            }
            LaptopSyncError::FeedFile(
                FeedFileError::Forged
                | FeedFileError::TooLarge
                | FeedFileError::Compression(_)
                | FeedFileError::Json(_),
            ) => "file_damaged",
            LaptopSyncError::Parcel(_) | LaptopSyncError::FeedFile(_) => "file",
            // Only writing the laptop's sync file raises it: the stick and its room are what to
            // look at, not whether a file is the block's answer.
            LaptopSyncError::File { .. } => "file_write",
            // What to do next differs from a file that cannot be read, and the facilitator
            // must read it in her language: each has a sentence of its own on the screen.
            LaptopSyncError::AnswerBeforeRestore => "answer_before_restore",
            LaptopSyncError::AnswerBeforeBlockRestore => "answer_before_block_restore",
            LaptopSyncError::AnswerPastRead { .. } => "answer_past_read",
            LaptopSyncError::AnswerRenumbered { .. } => "answer_renumbered",
            LaptopSyncError::AnswerForRestoredCopy { .. } => "answer_for_restored_copy",
            LaptopSyncError::Sync(SyncError::Timeout(_) | SyncError::Unreachable(_)) => "unreachable",
            LaptopSyncError::Sync(SyncError::Body(_)) => "damaged",
            LaptopSyncError::Sync(SyncError::Local(_)) => "store",
            LaptopSyncError::Sync(SyncError::Certificate { .. }) => "certificate",
            // Only a server enrolling again is told who the other is (a district names itself
            // in its health answer, a block does not); at a laptop it would be its address
            // naming another server.
            LaptopSyncError::Sync(SyncError::Address(_) | SyncError::OtherServer(_)) => "address",
            LaptopSyncError::Sync(SyncError::Refused(r)) => match r.code {
                RefusalCode::Protocol => "protocol",
                RefusalCode::Code => "code",
                RefusalCode::NotEnrolled => "not_enrolled",
                RefusalCode::Revoked => "revoked",
                RefusalCode::RestoredElsewhere => "restored_elsewhere",
                RefusalCode::Expired => "expired",
                RefusalCode::Digest | RefusalCode::BadBody | RefusalCode::TooLarge => "damaged",
                // A district's refusal of its block, which a laptop is never sent: a matter for
                // a server's operator.
                RefusalCode::Unavailable | RefusalCode::VillageForeign => "server",
                RefusalCode::DiskFull => "server_disk_full",
                // Said only at enrollment (the server's binding or its proof did not hold):
                // not the pinned certificate of a later sync.
                RefusalCode::Certificate => "intercepted",
                RefusalCode::AuditBroken | RefusalCode::AuditForeign => "audit",
            },
        }
    }
}

/// A server's feed, as the store applies it.
fn incoming(changes: &[Pulled]) -> Vec<Incoming> {
    changes
        .iter()
        .map(|p| Incoming {
            server_seq: p.server_seq,
            device: p.origin.device,
            device_seq: p.origin.seq,
            change: p.change.clone(),
            seal: p.seal.clone(),
        })
        .collect()
}

fn local(e: &StoreError) -> SyncError {
    SyncError::Local(e.to_string())
}

/// The store as the link's local end.
pub struct StoreEnd<'a> {
    pub store: &'a mut Store,
    pub server: String,
    /// The recovery code the link offers the block at this sync, if any.
    pub recovery_code: Option<samanvaya_core::Secret>,
}

/// The changes an answer says were refused or put up for review.
fn told(results: &[ChangeResult]) -> Told {
    let numbers = |refused: bool| {
        results
            .iter()
            .filter(|r| match r.outcome {
                Outcome::Rejected { .. } => refused,
                Outcome::Conflict { .. } => !refused,
                Outcome::Applied | Outcome::Duplicate => false,
            })
            .map(|r| r.seq)
            .collect()
    };
    Told { refused: numbers(true), for_review: numbers(false) }
}

impl Local for StoreEnd<'_> {
    fn pending(&mut self, after: i64, limit: usize) -> Result<Vec<Change>, SyncError> {
        let device = self.store.device_id().map_err(|e| local(&e))?;
        let queued = self.store.queued_after(after, limit as u32).map_err(|e| local(&e))?;
        Ok(queued.into_iter().map(|q| own_change(device, q)).collect())
    }

    fn acked(&mut self, through: i64, results: &[ChangeResult]) -> Result<(), SyncError> {
        let capped: Vec<(i64, Hlc)> =
            results.iter().filter_map(|r| r.capped.map(|kept| (r.seq, kept))).collect();
        // Less held than the block acknowledged before: it was restored from a backup, and its
        // feed is read again from the start (the stick's answer, possibly an old one, never
        // asks this).
        self.store.block_restored(through).map_err(|e| local(&e))?;
        self.store.sync_acked(through, &told(results), &capped).map_err(|e| local(&e))
    }

    fn pulled_through(&mut self) -> Result<i64, SyncError> {
        self.store.pulled_through().map_err(|e| local(&e))
    }

    fn held_of_server(&mut self, after: i64) -> Result<Vec<GivenBack>, SyncError> {
        let server: Uuid =
            self.server.parse().map_err(|e| SyncError::Local(format!("the server's id: {e}")))?;
        given_back(self.store, server, after).map_err(|e| local(&e))
    }

    fn held_of_other(&mut self, wanted: &OthersWanted) -> Result<Vec<GivenBack>, SyncError> {
        let run = samanvaya_core::AskedRun {
            device: wanted.device,
            after: wanted.after,
            through: wanted.through,
            held: wanted.held.clone(),
        };
        held_of_other(self.store, &run).map_err(|e| local(&e))
    }

    fn asked_back_on_stick(&mut self) -> Result<Option<i64>, SyncError> {
        self.store.stick_wanted_back().map_err(|e| local(&e))
    }

    fn gave_back(&mut self, after: i64) -> Result<(), SyncError> {
        self.store.gave_back(after).map_err(|e| local(&e))
    }

    fn pulled_origin(&mut self) -> Result<Option<Origin>, SyncError> {
        let at = self.store.pulled_origin().map_err(|e| local(&e))?;
        Ok(at.map(|(device, seq)| Origin { device, seq }))
    }

    fn feed_epoch(&mut self, epoch: Option<&str>) -> Result<bool, SyncError> {
        self.store.feed_epoch(epoch).map_err(|e| local(&e))
    }

    fn own_after(&mut self) -> Result<Option<OwnAsked>, SyncError> {
        let after = self.store.own_pull_after().map_err(|e| local(&e))?;
        let through = self.store.own_pull_through().map_err(|e| local(&e))?;
        Ok(after.map(|after| OwnAsked { after, through }))
    }

    fn certificate_state(&mut self, presented: Option<&str>, next: Option<&str>) -> Result<(), SyncError> {
        self.store.certificate_state(presented, next).map_err(|e| local(&e))
    }

    fn recovery_code_kept(&mut self) -> Result<(), SyncError> {
        match self.recovery_code.take() {
            Some(code) => self.store.keep_block_recovery(&code).map_err(|e| local(&e)),
            None => Ok(()),
        }
    }

    fn own_pulled(&mut self) -> Result<(), SyncError> {
        self.store.own_pulled().map_err(|e| local(&e))
    }

    fn apply_pulled(&mut self, reply: &PullReply) -> Result<usize, SyncError> {
        let page = incoming(&reply.changes);
        let at = self.store.now().map_err(|e| local(&e))?;
        let origin = reply.cursor_origin.map(|o| (o.device, o.seq));
        self.store.apply_pulled_page(&self.server, &page, reply.cursor, origin, at).map_err(|e| local(&e))
    }

    fn numbers(&mut self) -> Result<Numbers, SyncError> {
        let left = self.store.numbers_left().map_err(|e| local(&e))?;
        let through = self.store.leases_through().map_err(|e| local(&e))?;
        Ok(Numbers { left, through })
    }

    fn grant(&mut self, leases: &[Lease]) -> Result<(), SyncError> {
        if leases.is_empty() {
            return Ok(());
        }
        let leases: Vec<(String, i64, i64)> =
            leases.iter().map(|l| (l.kind.clone(), l.first, l.last)).collect();
        self.store.grant_leases(&leases).map_err(|e| local(&e))
    }

    fn reached_district(&mut self, through: i64) -> Result<(), SyncError> {
        self.store.set_reached_district(through).map_err(|e| local(&e))
    }

    fn session_opened(&mut self) -> Result<(), SyncError> {
        self.store.enrollment_seed_used().map_err(|e| local(&e))
    }

    fn catalogue_in_use(&mut self) -> Result<Option<(String, DateTime<Utc>)>, SyncError> {
        self.store.catalogue_bundle_in_use().map_err(|e| local(&e))
    }

    fn audit_to_send(
        &mut self,
        session: &samanvaya_sync_protocol::SessionReply,
    ) -> Result<(i64, Option<samanvaya_domain::audit::AuditFork>), SyncError> {
        let branches: Vec<(Uuid, i64)> =
            session.audit_branches.iter().map(|h| (h.device, h.through)).collect();
        self.store.audit_to_send(session.audit_through, &branches).map_err(|e| local(&e))
    }

    fn audit_after(
        &mut self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<samanvaya_domain::audit::AuditEntry>, SyncError> {
        self.store.audit_after(after, limit).map_err(|e| local(&e))
    }

    fn install_catalogue(&mut self, file: &[u8]) -> Result<Option<String>, SyncError> {
        match catalogue::install_fetched(self.store, file) {
            Ok(Installed::New { label, .. }) => Ok(Some(label)),
            Ok(Installed::Already { .. } | Installed::Older { .. }) => Ok(None),
            // The bundle itself is refused (its signature or signer, rules or a form this app
            // cannot use): remembered, and not fetched again.
            Err(
                e @ (LaptopSyncError::Bundle(_)
                | LaptopSyncError::Store(StoreError::Bundle(_) | StoreError::FormRefused(_))),
            ) => Err(SyncError::Catalogue(e.to_string())),
            // Something went wrong here (the disk, the database): fetched again next time.
            Err(e) => Err(SyncError::Local(e.to_string())),
        }
    }

    fn catalogue_refused(&mut self, digest: &str) -> Result<Option<String>, SyncError> {
        self.store.catalogue_refused(digest).map_err(|e| local(&e))
    }

    fn refuse_catalogue(&mut self, digest: &str, why: &str) -> Result<(), SyncError> {
        let at = self.store.now().map_err(|e| local(&e))?.utc;
        self.store.refuse_catalogue(digest, why, at).map_err(|e| local(&e))
    }
}

/// A runtime for one call from synchronous code (the CLI, or an app command on its own thread).
pub fn block_on<T>(f: impl Future<Output = T>) -> std::io::Result<T> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(f))
}

/// What an enrollment gave the laptop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    pub role: String,
    pub numbers: Vec<(String, i64, i64)>,
    /// The fingerprint of the server's certificate, now pinned (none over plain HTTP).
    pub certificate: Option<String>,
}

/// Enrolls this laptop with the block server at `url`, with a one-time `code`. A demo store, or
/// one enrolled already, is refused before the server is asked.
pub async fn enroll(
    store: &mut Store,
    url: &str,
    code: &str,
    name: &str,
) -> Result<Enrolled, LaptopSyncError> {
    // Refused before a seed is kept: an enrolled laptop does not enroll again with a code.
    if let Some(e) = store.enrollment()? {
        return Err(StoreError::AlreadyEnrolled { url: e.url }.into());
    }
    let seed = kept_seed(store)?;
    enroll_through(store, url, name, async |applicant| link::enroll(url, code, applicant, &seed).await).await
}

/// The seed this laptop enrolls with: drawn at the first run and kept in the store until its
/// first session (`Store::enrollment_seed`), so that a run after one that got no answer, or
/// with another code, sends the same secret to the same certificate, and a late copy of an
/// earlier run's request, reaching the block after a later run's, does not leave the block a
/// secret this laptop never kept. Each certificate is sent its own secret made of the seed:
/// one an impostor saw is not the one the real block takes.
fn kept_seed(store: &mut Store) -> Result<String, LaptopSyncError> {
    store.check_enrollable()?;
    Ok(store.enrollment_seed(&link::drawn_seed()?)?)
}

/// Enrolls this laptop again with the block it is enrolled with, with a one-time `code` the
/// block's operator made for this laptop (`enroll-code --village VILLAGE --again LAPTOP-ID`):
/// for a block that lost its certificate (its store copied to a new computer without its `tls`
/// folder), which the laptop refuses at every sync. The code is sent whatever certificate the
/// block presents: the code's binding and the reply's proof show the block (only a server that
/// holds the code can make the proof), and a reply naming another server than the one the
/// laptop is enrolled with is not kept. The laptop keeps everything it holds, pins the
/// certificate presented, and syncs as before. No sync runs meanwhile: one started before would
/// write the old certificate's refusal after the renewal.
pub async fn enroll_again(store: &mut Store, code: &str, name: &str) -> Result<Enrolled, LaptopSyncError> {
    store.check_enrollable()?;
    let _one_at_a_time = one_sync_at_a_time(store.data_dir())?;
    let Some(e) = store.enrollment()? else {
        return Err(StoreError::NotEnrolled.into());
    };
    let applicant = applicant(store, name)?;
    let seed = kept_seed(store)?;
    let link::Enrolled { reply, pin } =
        link::enroll_again(&e.url, code, applicant, e.server_id, None, &seed).await?;
    let numbers: Vec<(String, i64, i64)> =
        reply.leases.iter().map(|l| (l.kind.clone(), l.first, l.last)).collect();
    store.renew_enrollment(reply.server, &reply.secret, pin.as_deref(), &numbers)?;
    Ok(Enrolled { role: reply.role.as_str().to_owned(), numbers, certificate: pin })
}

/// This laptop's application to enroll: its device id, `name`, and the villages it serves with
/// the places above each.
fn applicant(store: &Store, name: &str) -> Result<Applicant, LaptopSyncError> {
    let mut villages = Vec::new();
    for v in store.villages()? {
        let above = store
            .place_path(v.id)?
            .into_iter()
            .filter(|p| p.id != v.id)
            .map(|p| Place {
                id: p.id.0,
                level: p.level.as_str().to_owned(),
                parent: p.parent_id.map(|x| x.0),
                name_en: p.name_en,
                name_hi: p.name_hi,
            })
            .collect();
        villages.push(Village { id: v.id.0, name_en: v.name_en, name_hi: v.name_hi, above });
    }
    Ok(Applicant { device: store.device_id()?, kind: DeviceKind::Laptop, name: name.to_owned(), villages })
}

/// As [`enroll`], with the server reached through `ask` (the HTTPS link, or a block in the same
/// process in the simulation of many laptops), which is given the laptop's application.
pub async fn enroll_through(
    store: &mut Store,
    url: &str,
    name: &str,
    ask: impl AsyncFnOnce(Applicant) -> Result<link::Enrolled, SyncError>,
) -> Result<Enrolled, LaptopSyncError> {
    store.check_enrollable()?;
    if let Some(e) = store.enrollment()? {
        return Err(StoreError::AlreadyEnrolled { url: e.url }.into());
    }
    let applicant = applicant(store, name)?;
    let link::Enrolled { reply, pin } = ask(applicant).await?;
    let numbers: Vec<(String, i64, i64)> =
        reply.leases.iter().map(|l| (l.kind.clone(), l.first, l.last)).collect();
    let role = reply.role.as_str().to_owned();
    store.save_enrollment(
        &Enrollment {
            url: url.trim_end_matches('/').to_owned(),
            server_id: reply.server,
            role: role.clone(),
            secret: reply.secret,
            certificate: pin.clone(),
            enrolled_at: store.now()?.utc,
        },
        &numbers,
        &reply.village.map(places).transpose()?.unwrap_or_default(),
    )?;
    Ok(Enrolled { role, numbers, certificate: pin })
}

/// The village a server gave, as the store's places: the chain above it, then the village.
fn places(v: Village) -> Result<Vec<Location>, StoreError> {
    let mut out = Vec::with_capacity(v.above.len() + 1);
    let mut parent = None;
    for p in v.above {
        let level = LocationLevel::parse(&p.level)
            .ok_or_else(|| StoreError::Corrupt(format!("the server sent a place of level {}", p.level)))?;
        out.push(Location {
            id: LocationId(p.id),
            level,
            parent_id: p.parent.map(LocationId),
            lgd_code: None,
            name_en: p.name_en,
            name_hi: p.name_hi,
        });
        parent = Some(LocationId(p.id));
    }
    out.push(Location {
        id: LocationId(v.id),
        level: LocationLevel::Village,
        parent_id: parent,
        lgd_code: None,
        name_en: v.name_en,
        name_hi: v.name_hi,
    });
    Ok(out)
}

/// One sync with the enrolled server; how it ended is recorded for the status panel either way.
pub async fn sync(store: &mut Store, tuning: Tuning) -> Result<Report, LaptopSyncError> {
    // One sync of a laptop at a time: the app's own every few minutes, "sync now" and the
    // command line's each wait for the one running. Two at once each took the other's older
    // acknowledgement for a block restored from a backup, and read the whole feed again over
    // 2G. The lock is the operating system's on a file of the store's folder, so it ends with
    // the process that held it, a crashed one too. Taken before the enrollment is read: one
    // renewed meanwhile (`enroll_again`, which holds it too) is the one this sync uses.
    let _one_at_a_time = one_sync_at_a_time(store.data_dir())?;
    let Some(e) = store.enrollment()? else {
        return Err(StoreError::NotEnrolled.into());
    };
    let first = sync_pinned(store, &e, tuning).await;
    // The block presented another certificate: its key was stolen or lost, and its operator
    // made it anew. Where the district vouched for the new one, this laptop pins it and syncs
    // on; otherwise the refusal stands, and its sentence says to call the block office.
    let Err(LaptopSyncError::Sync(SyncError::Certificate { seen })) = &first else {
        return first;
    };
    if !follow_vouched(store, &e, seen).await? {
        return first;
    }
    let followed = seen.clone();
    let Some(e) = store.enrollment()? else {
        return Err(StoreError::NotEnrolled.into());
    };
    match sync_pinned(store, &e, tuning).await {
        Ok(mut report) => {
            report.certificate_followed = Some(followed);
            Ok(report)
        }
        Err(then) => Err(LaptopSyncError::AfterFollowing { certificate: followed, then: Box::new(then) }),
    }
}

/// Whether this laptop, enrolled as `e`, now pins `seen`, the certificate its block presented in
/// place of the pinned one, on the district's word: a statement signed with the key this laptop
/// trusts for the scheme rules, naming its block, `seen` as the new certificate and the pinned
/// one as replaced (`samanvaya_sync_protocol::vouch`), fetched from the block over a connection
/// that presented `seen` too. Anything else (no key trusted yet, no statement, the block not
/// reached) leaves the pin as it was, and the sync's refusal stands with its sentence.
async fn follow_vouched(store: &mut Store, e: &Enrollment, seen: &str) -> Result<bool, StoreError> {
    let (Some(pinned), Some(trusted)) = (e.certificate.as_deref(), store.catalogue_signer()?) else {
        return Ok(false);
    };
    let Ok((statements, presented)) = link::vouched(&e.url).await else {
        return Ok(false);
    };
    if presented.as_deref() != Some(seen) {
        return Ok(false);
    }
    let read: Vec<vouch::Vouch> = statements
        .iter()
        .filter_map(|text| vouch::open(text, Some(&trusted)).ok())
        .map(|s| s.vouch)
        .collect();
    if vouch::follows(&read, e.server_id, pinned, seen).is_none() {
        return Ok(false);
    }
    store.follow_vouched_certificate(pinned, seen)
}

/// One sync with the server of enrollment `e`, over a link that trusts its pinned certificate.
async fn sync_pinned(store: &mut Store, e: &Enrollment, tuning: Tuning) -> Result<Report, LaptopSyncError> {
    // Until the block keeps a recovery code for this laptop, each session offers a fresh one;
    // the store's key is wrapped under it only once the block said it keeps it.
    let code = store.block_recovery_due()?.then(samanvaya_core::new_recovery_code);
    let said = store.said_at_session()?;
    let mut link = Link::new(&e.url, e.certificate.as_deref(), store.device_id()?, &e.secret)?
        .with_next_certificate(store.next_certificate()?.as_deref())?
        .with_recovery_code(code.as_ref().map(|c| c.expose().to_owned()))
        .with_acked_here(said.acked_here)
        .with_server_own_through(said.server_own_through)
        .with_feed_epoch_read(Some(said.feed_epoch_read))
        .with_restores(said.restores)
        .with_run_end(said.run_end);
    offering(store, &mut link, tuning, code).await
}

/// Waits until no other sync of the store in `dir` runs, and holds it off until the returned
/// file is dropped.
fn one_sync_at_a_time(dir: &std::path::Path) -> Result<std::fs::File, LaptopSyncError> {
    let path = dir.join("sync.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .and_then(|f| f.lock().map(|()| f))
        .map_err(|source| StoreError::DataDir { path: path.display().to_string(), source })?;
    Ok(file)
}

/// As [`sync`], with the server reached through `remote`.
pub async fn sync_through<R: Remote>(
    store: &mut Store,
    link: &mut R,
    tuning: Tuning,
) -> Result<Report, LaptopSyncError> {
    offering(store, link, tuning, None).await
}

/// One sync through `link`, which offers the block `recovery_code` (if any) at its session.
async fn offering<R: Remote>(
    store: &mut Store,
    link: &mut R,
    tuning: Tuning,
    recovery_code: Option<samanvaya_core::Secret>,
) -> Result<Report, LaptopSyncError> {
    let Some(e) = store.enrollment()? else {
        return Err(StoreError::NotEnrolled.into());
    };
    let result = {
        let mut end = StoreEnd { store: &mut *store, server: e.server_id.to_string(), recovery_code };
        sync_once(&mut end, link, tuning).await
    };
    let now = store.now()?.utc;
    match result {
        Ok(report) => {
            store.audit_held(report.audit_through)?;
            match &report.catalogue_refused {
                // The panel says it at each sync until the district sends rules this laptop takes.
                Some(why) => store.sync_finished_but(now, &format!("catalogue: {why}"))?,
                None => store.sync_finished(now, None)?,
            }
            store.prune_old_acked(now)?;
            Ok(report)
        }
        Err(err) => {
            let err = LaptopSyncError::from(err);
            store.sync_finished(now, Some(&format!("{}: {err}", err.code())))?;
            Err(err)
        }
    }
}

/// The changes `server` made itself that this laptop holds after `after`, with their seals, as
/// they are given back to it restored from a backup (online, or in the next sync file).
fn given_back(store: &Store, server: Uuid, after: i64) -> Result<Vec<GivenBack>, StoreError> {
    let held = store.sealed_of_server(after)?;
    Ok(held
        .into_iter()
        .map(|s| GivenBack {
            origin: Origin { device: server, seq: s.device_seq },
            change: s.change,
            seal: s.seal,
        })
        .collect())
}

/// The changes of another laptop's old run that this laptop holds and the block asked back
/// (`SessionReply::others_wanted`, or `FeedFile::others_wanted` by stick), as they are given
/// back: with no seal, the block taking only what is in that run (`given_back.rs`).
fn held_of_other(store: &Store, run: &samanvaya_core::AskedRun) -> Result<Vec<GivenBack>, StoreError> {
    let held = store.changes_of_run(run)?;
    Ok(held
        .into_iter()
        .map(|(seq, change)| GivenBack {
            origin: Origin { device: run.device, seq },
            change,
            seal: String::new(),
        })
        .collect())
}

/// What applying the block's answer from a USB stick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedImported {
    /// Changes the file carried.
    pub changes: usize,
    /// Changes applied here for the first time (the others were here already).
    pub applied: usize,
}

/// Applies the block's answer brought on a USB stick (`samanvaya-server export-feed`): checked
/// with this laptop's key, written for this laptop by its own block, then applied as a pulled
/// page with the cursor moved in the same transaction; a file applied twice changes nothing.
/// The file also says how much of this laptop's own work the block holds, so that the next
/// sync file carries only the rest.
pub fn import_feed(store: &mut Store, bytes: &[u8]) -> Result<FeedImported, LaptopSyncError> {
    store.require_write("apply the block's answer from a USB stick")?;
    let Some(e) = store.enrollment()? else {
        return Err(StoreError::NotEnrolled.into());
    };
    // Not beside a sync with the block: the answer's word of what the block holds, read before
    // the sync's acknowledgement moved on, was taken for a block restored from a backup, and
    // the whole feed was read again over 2G (found by a review).
    let _one_at_a_time = one_sync_at_a_time(store.data_dir())?;
    let file = feed_file::open(bytes, store.device_id()?, &parcel::secret_digest(&e.secret))?;
    if file.server != e.server_id {
        return Err(FeedFileError::Forged.into());
    }
    // A block of another protocol writes what this app may misread: `feed_file::open` refuses
    // its answer, before anything of it is applied and before its changes are read (found by
    // reviews: what was acknowledged was kept before a change of a newer kind stopped the
    // page; then such a change was taken for a damaged file).
    // What the block holds of this laptop's work need not go on the next stick; on a laptop
    // restored from a backup this first settles the restore, as a session does before a pull.
    // An answer written before this laptop was restored (an old file left on the stick) is not
    // the answer to its own file, which says back its `own_after`: applying it would move the
    // pull cursor past the old laptop's work that the real answer brings back, and settle the
    // restore on an old word. It is refused, nothing applied.
    if store.restore_unsettled()? && file.own_after.is_none() {
        return Err(LaptopSyncError::AnswerBeforeRestore);
    }
    // The block says the restores of the copy of this laptop it answered: another list is an
    // answer to this laptop before a restore, or to its copy of an earlier restore (restored
    // twice, the first restore's answer applied after the second's file was written). It
    // would settle this copy on the other's word. A block older than the field says none.
    let restores = store.restores()?;
    if let Some(answered) = file.restores.as_ref().filter(|r| **r != restores) {
        // A list that goes on from this laptop's: the answer is to a copy restored from a
        // backup of this laptop.
        if let Some(newer) = answered.get(restores.len()).filter(|_| answered.starts_with(&restores)) {
            return Err(LaptopSyncError::AnswerForRestoredCopy { after: newer.after });
        }
        return Err(LaptopSyncError::AnswerBeforeRestore);
    }
    // Under another epoch of the block's feed than the one this laptop read under: a file that
    // reads the whole feed again (the block's answer to this laptop's file after it found its
    // restore) begins the new epoch here; one that starts further on, or names no epoch, was
    // written in other numbers (an old answer left on the stick, applied late) and would move
    // the cursor by them. It is refused, nothing applied. A file from a block older than
    // `starts_after` is taken as before.
    let new_epoch = file.feed_epoch != store.feed_epoch_held()?;
    if new_epoch && (file.feed_epoch.is_none() || file.starts_after.is_some_and(|at| at != 0)) {
        return Err(LaptopSyncError::AnswerBeforeBlockRestore);
    }
    // Under the same epoch, an answer starting past what this laptop has read would move its
    // cursor over what lies between, never to come: refused, nothing applied. The block's
    // answer to the laptop's next file starts where that file says.
    let read = store.pulled_through()?;
    if let Some(starts_after) = file.starts_after.filter(|at| !new_epoch && *at > read) {
        return Err(LaptopSyncError::AnswerPastRead { starts_after, read });
    }
    let page = incoming(&file.changes);
    if !new_epoch && let Some(number) = store.feed_numbered_otherwise(&e.server_id.to_string(), &page)? {
        return Err(LaptopSyncError::AnswerRenumbered { number });
    }
    let kept: Vec<(i64, Hlc)> = file.capped.iter().map(|k| (k.seq, k.hlc)).collect();
    let branches: Vec<(Uuid, i64)> = file.audit_branches.iter().map(|h| (h.device, h.through)).collect();
    let runs: Vec<samanvaya_core::AskedRun> = file
        .others_wanted
        .iter()
        .map(|w| samanvaya_core::AskedRun {
            device: w.device,
            after: w.after,
            through: w.through,
            held: w.held.clone(),
        })
        .collect();
    let server = e.server_id.to_string();
    let answer = StickAnswer {
        server: &server,
        // The answer to a file written knowing what this laptop still knows, saying the block
        // holds less: the block was restored from a backup, and what it lost is sent again (as
        // at a session), the audit log too. An older answer, or one from a block older than
        // the field, never says so; nor does it move how far the district holds this laptop's
        // work, which the next sync file carries again past (`export_file`).
        latest: file.answers_acked_here == Some(store.acked_through()?),
        acked_through: file.acked_through,
        told: &told(&file.decided),
        capped: &kept,
        reached_district: file.reached_district,
        audit_through: file.audit_through,
        audit_branches: &branches,
        // A block restored from a backup numbered its feed again, and wrote this file from the
        // feed's start: its old numbers are forgotten before the file's are kept.
        new_epoch: file.feed_epoch.as_deref().filter(|_| new_epoch),
        changes: &page,
        cursor: file.cursor,
        cursor_origin: file.cursor_origin.map(|o| (o.device, o.seq)),
        // The block, restored from a backup, asks back its own changes this laptop holds, and
        // other laptops' runs: the next sync file gives them back (an online sync of any
        // laptop that read them does too).
        own_wanted_after: file.own_wanted_after,
        others_wanted: &runs,
        own_after: file.own_after,
    };
    // Whole or not at all, the round with the block noted as done with it: the panel of a
    // village that syncs only by stick said "not synced yet" after every one (found by a
    // review), and a laptop syncing by stick alone opens no session, so the seed it drew to
    // enroll with is spent here.
    let applied = store.apply_stick_answer(&answer, store.now()?)?;
    Ok(FeedImported { changes: page.len(), applied })
}

/// The most audit entries one sync file carries (about 2 MB of JSON, far less packed): a month
/// of a busy laptop's log. More waits for the next file.
const AUDIT_PER_FILE: usize = 10_000;

/// The audit log after what the block last said it holds, as a sync file carries it, with the
/// branch it goes on (`Store::audit_for_stick`).
type StickAudit = (Vec<samanvaya_domain::audit::AuditEntry>, Option<samanvaya_domain::audit::AuditFork>);

fn audit_for_stick(store: &Store) -> Result<StickAudit, LaptopSyncError> {
    let (entries, fork) = store.audit_for_stick(AUDIT_PER_FILE)?;
    Ok((samanvaya_sync_protocol::AuditBatch::of(None, entries).entries, fork))
}

/// A change of this laptop's change log as it travels.
fn own_change(device: Uuid, q: samanvaya_core::Queued) -> Change {
    Change {
        seq: q.device_seq,
        origin: Origin { device, seq: q.device_seq },
        recorded_at: q.recorded_at,
        change: q.change,
        seen_at_sender: Default::default(),
    }
}

/// What `export_file` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub changes: usize,
    pub bytes: usize,
    /// Changes kept for the next file: made on a laptop restored from a backup, before its
    /// block's first answer said how many of the device's changes it holds.
    pub held_back: usize,
    /// Changes the block holds that have not reached the district, carried again: a block
    /// restored from an older backup loses what it had not forwarded, and this laptop may break
    /// before the block's answer tells it so. The block takes each once.
    pub carried_again: usize,
}

/// Writes every change the block has not acknowledged to a sync file at `path`, for a USB stick,
/// and again those it holds that are not known to have reached the district.
/// The file replaces any older one only once it is complete on the disk, so a stick pulled out
/// halfway leaves the older file whole. Nothing is marked sent: the block's next answer (an
/// import, then an online session) says what it holds, and a change it holds already is never
/// stored twice.
pub fn export_file(store: &mut Store, path: &std::path::Path) -> Result<Exported, LaptopSyncError> {
    // The file carries the village's records off the laptop: an export, refused to the
    // Samiti's read-only accounts and written in the audit log, like a saved list.
    store.require_write("write the village's changes to a file for the USB stick")?;
    let Some(e) = store.enrollment()? else {
        return Err(StoreError::NotEnrolled.into());
    };
    // Nor beside a sync: the file says what the block held when it was written.
    let _one_at_a_time = one_sync_at_a_time(store.data_dir())?;
    let status = store.sync_status()?;
    let mut changes = Vec::new();
    // A restored laptop's changes since the restore wait for the block's answer to this file,
    // which settles the restore; they go on the next one. On a store restored by an older app
    // they carry numbers the old laptop may have given to changes the block holds, which would
    // take them for duplicates, and the answer numbers them again (online, the session's answer
    // does, before the push).
    let held_back = if store.restore_unsettled()? { status.waiting.max(0) as usize } else { 0 };
    let acked = store.acked_through()?;
    // Online, a block restored from an older backup says at the next session how far it holds
    // this laptop's work, and the rest goes again. By stick the answer comes days later, and a
    // laptop that breaks before it comes leaves the changes the block lost held nowhere (its
    // backup is older still). So every file carries again what was made here and has not
    // reached the district, as far as the log still holds it: a block that holds it takes it as
    // a duplicate. On a laptop restored from a backup, only what was made after the old
    // laptop's run read back (`Store::carried_again` says why).
    if held_back == 0 {
        let device = store.device_id()?;
        let mut after = acked.min(store.reached_district_through()?);
        loop {
            let page = store.carried_again(after, acked, 1_000)?;
            let Some(last) = page.last() else { break };
            after = last.device_seq;
            changes.extend(page.into_iter().map(|q| own_change(device, q)));
        }
        let mut after = acked;
        let mut end = StoreEnd { store: &mut *store, server: e.server_id.to_string(), recovery_code: None };
        loop {
            let page = end.pending(after, 1_000)?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            changes.extend(page);
        }
    }
    let mut given_back = match store.stick_wanted_back()? {
        Some(after) => given_back(store, e.server_id, after)?,
        None => Vec::new(),
    };
    // Another laptop's old run the block asked back, restored as it was from a backup.
    for run in store.stick_others_wanted()? {
        given_back.extend(held_of_other(store, &run)?);
    }
    let (audit, audit_fork) = audit_for_stick(store)?;
    let parcel = Parcel {
        protocol: PROTOCOL_VERSION,
        device: store.device_id()?,
        made_at: store.now()?.utc,
        pulled_through: store.pulled_through()?,
        changes,
        own_after: store.own_after_by_stick()?,
        own_through: store.own_pull_through()?,
        // Read under the same lock as the entries: they start right after it.
        audit_after: (!audit.is_empty()).then(|| store.audit_held_through()).transpose()?,
        audit,
        audit_fork,
        acked_here: Some(store.acked_through()?),
        feed_epoch: store.feed_epoch_held()?,
        pulled_origin: store.pulled_origin()?.map(|(device, seq)| Origin { device, seq }),
        server_own_through: store.server_own_through()?,
        given_back,
        restores: store.restores()?,
    };
    let bytes = parcel::seal(&parcel, &parcel::secret_digest(&e.secret)).map_err(LaptopSyncError::Seal)?;
    let file_error = |source| LaptopSyncError::File { path: path.display().to_string(), source };
    let partial = path.with_extension("partial");
    let written = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&partial)?;
        f.write_all(&bytes)?;
        f.sync_all()
    })();
    if let Err(e) = written {
        // A stick full or pulled out leaves no half file beside the ones she may carry.
        let _ = std::fs::remove_file(&partial);
        return Err(file_error(e));
    }
    // Recorded before the file takes its name: an entry for an export that then failed is the
    // safe side of a file on the stick that the log does not know of.
    let carried_again = parcel.changes.iter().take_while(|c| c.seq <= acked).count();
    let new = parcel.changes.len() - carried_again;
    // A half-named file is not left on the stick when the store or the stick fails here.
    let named = store
        .audit("export:sync", &format!("{new} changes, {carried_again} carried again"))
        .map_err(LaptopSyncError::from)
        .and_then(|()| std::fs::rename(&partial, path).map_err(file_error));
    if let Err(e) = named {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    // The name on the stick too, before the facilitator is told the file is written (best
    // effort: not every system opens a folder as a file).
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = std::fs::File::open(folder).and_then(|f| f.sync_all());
    }
    Ok(Exported { changes: new, bytes: bytes.len(), held_back, carried_again })
}

#[cfg(test)]
mod tests {
    use super::*;
    use samanvaya_domain::{Birth, Relation, Sex};
    use samanvaya_sync_protocol::MAX_BATCH_BYTES;

    #[test]
    fn the_change_log_is_pushed_in_order_in_bounded_batches() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = samanvaya_tests::open(dir.path()).unwrap();
        let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
        // Enough households, each with a long address, to need several batches.
        for i in 0..500 {
            let head =
                samanvaya_tests::member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 });
            let mut input = samanvaya_tests::new_household(village, vec![head]);
            input.address = format!("{i} {}", "वार्ड नं. ".repeat(29));
            store.save_household(input, store.now().unwrap()).unwrap();
        }
        let (mut acked, mut pushed, mut batches) = (0, 0, 0);
        let mut end = StoreEnd { store: &mut store, server: "block".into(), recovery_code: None };
        loop {
            let changes = end.pending(acked, 4096).unwrap();
            let Some(first) =
                samanvaya_sync_client::plan::batches(&changes, MAX_BATCH_BYTES).into_iter().next()
            else {
                break;
            };
            let batch = &changes[first];
            let size: usize = batch.iter().map(Change::wire_size).sum();
            assert!(size <= MAX_BATCH_BYTES || batch.len() == 1);
            assert_eq!(batch[0].seq, acked + 1, "batches follow each other without gaps");
            assert!(batch.iter().all(|c| c.origin.seq == c.seq), "a laptop's seq is its changes' origin");
            acked = batch.last().unwrap().seq;
            pushed += batch.len();
            batches += 1;
        }
        assert!(batches > 1, "the test needs more than one batch");
        assert_eq!(
            pushed as i64,
            store.queued_changes().unwrap(),
            "every queued change is pushed exactly once"
        );
        assert_eq!(pushed, 1000, "each new household travels as its record and its one member");
    }

    /// An answer written by a block of another protocol version is refused before anything of
    /// it is applied, with what to do: what it said the block held was kept before a change
    /// of a kind this app could not read stopped the page (found by a review).
    #[test]
    fn an_answer_from_a_block_of_another_protocol_is_refused_with_nothing_applied() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = samanvaya_tests::open(dir.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
        let block = samanvaya_tests::enrolled_nowhere(&mut store).unwrap();
        let device = store.device_id().unwrap();
        let answer = |protocol| feed_file::FeedFile {
            protocol,
            server: block,
            device,
            made_at: Utc::now(),
            changes: vec![],
            cursor: 0,
            cursor_origin: None,
            answers_acked_here: None,
            acked_through: 7,
            own_after: None,
            audit_through: 0,
            audit_branches: vec![],
            capped: vec![],
            decided: vec![],
            feed_epoch: None,
            starts_after: None,
            own_wanted_after: None,
            others_wanted: vec![],
            restores: None,
            reached_district: None,
        };
        let key = parcel::secret_digest("the laptop's secret");
        let newer = feed_file::seal(&answer(PROTOCOL_VERSION + 1), &key).unwrap();
        let err = import_feed(&mut store, &newer).unwrap_err();
        assert_eq!(err.code(), "file_version", "{err}");
        assert!(err.to_string().contains("updated to the same version"), "{err}");
        assert_eq!(store.acked_through().unwrap(), 0, "nothing of it kept");
        let same = feed_file::seal(&answer(PROTOCOL_VERSION), &key).unwrap();
        assert!(store.sync_status().unwrap().last_success_at.is_none());
        import_feed(&mut store, &same).unwrap();
        assert_eq!(store.acked_through().unwrap(), 7, "the same answer of this version is applied");
        let status = store.sync_status().unwrap();
        assert!(status.last_success_at.is_some(), "a round with the block, for the panel");
    }

    /// The numbers of this laptop's own changes in a sync file it writes now.
    fn carried(store: &mut Store, dir: &std::path::Path) -> Vec<i64> {
        let file = dir.join("stick.samanvaya-sync");
        export_file(store, &file).unwrap();
        let bytes = std::fs::read(&file).unwrap();
        let parcel = parcel::open(&bytes, &parcel::secret_digest("the laptop's secret")).unwrap();
        parcel.changes.iter().map(|c| c.seq).collect()
    }

    /// A sync file carries again the changes made here that the block holds and has not said
    /// reached the district (a block restored from an older backup lost them, and this laptop
    /// may break before it hears so), from the block's last word on: on a laptop restored from a
    /// backup, only after the last one read back from the block. That one carries the moment it
    /// was read, and a file that left it out between two it carries (as the first form did,
    /// carrying 1, 2, 4 and 5 around 3) let the block count it held for good.
    #[test]
    fn a_sync_file_carries_again_what_was_made_here_and_has_not_reached_the_district() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = samanvaya_tests::open(dir.path()).unwrap();
        let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
        samanvaya_tests::enrolled_nowhere(&mut store).unwrap();
        let add = |store: &mut Store| {
            let head =
                samanvaya_tests::member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 });
            store
                .save_household(samanvaya_tests::new_household(village, vec![head]), store.now().unwrap())
                .unwrap();
        };
        add(&mut store);
        // One of the old laptop's run read back from the block, under the next number.
        let device = store.device_id().unwrap().to_string();
        store
            .connection()
            .execute(
                "INSERT INTO change_log (origin, device_id, device_seq, server, server_seq, kind, version, hlc,
                                         household_id, change, recorded_at)
                 SELECT 'pulled', device_id, 3, 'block', 9, kind, version, hlc, household_id, change, recorded_at
                 FROM change_log WHERE device_id = ?1 AND device_seq = 2",
                [&device],
            )
            .unwrap();
        add(&mut store);
        let made: Vec<i64> = store.queued_after(0, 100).unwrap().iter().map(|q| q.device_seq).collect();
        assert_eq!(made, [1, 2, 3, 4, 5]);
        assert_eq!(carried(&mut store, dir.path()), [1, 2, 3, 4, 5], "nothing held: all of it, as before");
        store.sync_acked(5, &Told::default(), &[]).unwrap();
        assert_eq!(carried(&mut store, dir.path()), [4, 5], "all held, none at the district");
        store.set_reached_district(4).unwrap();
        assert_eq!(carried(&mut store, dir.path()), [5]);
        store.set_reached_district(5).unwrap();
        assert_eq!(carried(&mut store, dir.path()), Vec::<i64>::new());
    }
}
