//! One sync, over any local end: start a session, push everything waiting in batches (each
//! acknowledged after the server's commit, resuming from the last acknowledged seq), then pull
//! until the server has nothing more. Transient failures are retried with backoff and jitter;
//! a refusal that needs a person stops the run with the server's sentence.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::body::Sealed;
use samanvaya_sync_protocol::bundle::{self, CatalogueOffer, CataloguePiece};
use samanvaya_sync_protocol::{
    AUDIT_BATCH, AuditAck, AuditBatch, AuditEntry, AuditFork, AuditHeld, Change, ChangeResult, GiveBack,
    GiveBackAck, GivenBack, Lease, Origin, OthersWanted, Outcome, OwnAsked, PROTOCOL_VERSION, PullReply,
    PushAck, PushBatch, Pushed, RefusalCode, SessionReply,
};
use uuid::Uuid;

use crate::link::{Link, Received, SyncError};
use crate::plan::{self, Pace};

/// The numbers a device holds of each kind, said at each session: how many are left
/// (`SessionRequest::numbers_left`), and the last of the newest lease from the server
/// (`SessionRequest::leases_through`). A block holds none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Numbers {
    pub left: Vec<(String, i64)>,
    pub through: Vec<(String, i64)>,
}

/// The server's side of a sync as the device sees it: the HTTPS [`Link`], or a server in the same
/// process in the simulation of many laptops (`tests/tests/simulation.rs`), which decides what a
/// faulty network does to each exchange.
// Every implementation is called through a concrete type, so the futures' `Send` is known where
// it matters (the block's forwarding task); the lint's concern does not arise.
#[allow(async_fn_in_trait)]
pub trait Remote {
    /// Starts a session (a new token, where pushes resume, new number leases), saying the
    /// numbers the device holds.
    async fn session(&mut self, numbers: Numbers, timeout: Duration) -> Result<SessionReply, SyncError>;
    /// Pushes one batch, sealed once by the caller; the answer comes only after the server
    /// committed it.
    async fn push(&mut self, batch: &Sealed<'_, PushBatch>, timeout: Duration) -> Result<PushAck, SyncError>;
    /// Gives back the server's own changes this device holds, which the server, restored from a
    /// backup, asked back (`SessionReply::own_wanted_after`).
    async fn give_back(
        &mut self,
        given: &Sealed<'_, GiveBack>,
        timeout: Duration,
    ) -> Result<GiveBackAck, SyncError>;
    /// The server's next changes for this device after `after`, with the bytes they took; `at`
    /// is the origin of the change numbered `after` there, as the server said
    /// (`PullReply::cursor_origin`).
    async fn pull(
        &mut self,
        after: i64,
        at: Option<Origin>,
        timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError>;
    /// As [`Remote::pull`], with this device's own changes `own` too (a laptop restored from an
    /// older backup asks back what it sent after the backup).
    async fn pull_own_after(
        &mut self,
        after: i64,
        own: OwnAsked,
        at: Option<Origin>,
        timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        let _ = own;
        self.pull(after, at, timeout).await
    }
    /// Sends audit log entries, sealed once by the caller; the answer says how far the server
    /// holds the log.
    async fn push_audit(
        &mut self,
        batch: &Sealed<'_, AuditBatch>,
        timeout: Duration,
    ) -> Result<AuditAck, SyncError>;
    /// The device reads the feed under `epoch` from now on, learnt in this sync: said at the
    /// pulls and sessions that follow (`SessionRequest::feed_epoch_read`), so that a server
    /// restored again during the sync is not taken for the restore found already. An end that
    /// says no epoch ignores it.
    fn read_under(&mut self, epoch: &str) {
        let _ = epoch;
    }
    /// The fingerprint of the certificate the server presented, over TLS.
    fn presented(&self) -> Option<String> {
        None
    }
    /// How many sendings were made beside requests not answered in half their wait, so far
    /// (`link::hedged`).
    fn sent_again(&self) -> u32 {
        0
    }
    /// Where the link says how long after a request's first sending the sending that answered
    /// began (`Link::late_answer`); `None` for an end that sends each request once.
    fn late_answer(&self) -> Option<Arc<AtomicU64>> {
        None
    }
    /// The piece of the catalogue bundle `digest` that starts at `offset`, with its bytes.
    async fn catalogue_piece(
        &mut self,
        digest: &str,
        offset: u64,
        timeout: Duration,
    ) -> Result<Received<CataloguePiece>, SyncError>;
}

impl Remote for Link {
    async fn session(&mut self, numbers: Numbers, timeout: Duration) -> Result<SessionReply, SyncError> {
        self.numbers = numbers;
        Link::session(self, timeout).await
    }

    async fn push(&mut self, batch: &Sealed<'_, PushBatch>, timeout: Duration) -> Result<PushAck, SyncError> {
        Link::push(self, batch, timeout).await
    }

    async fn give_back(
        &mut self,
        given: &Sealed<'_, GiveBack>,
        timeout: Duration,
    ) -> Result<GiveBackAck, SyncError> {
        Link::give_back(self, given, timeout).await
    }

    async fn pull(
        &mut self,
        after: i64,
        at: Option<Origin>,
        timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        Link::pull(self, after, at, timeout).await
    }

    fn read_under(&mut self, epoch: &str) {
        Link::read_under(self, epoch);
    }

    async fn pull_own_after(
        &mut self,
        after: i64,
        own: OwnAsked,
        at: Option<Origin>,
        timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        Link::pull_own_after(self, after, own, at, timeout).await
    }

    async fn catalogue_piece(
        &mut self,
        digest: &str,
        offset: u64,
        timeout: Duration,
    ) -> Result<Received<CataloguePiece>, SyncError> {
        Link::catalogue_piece(self, digest, offset, timeout).await
    }

    async fn push_audit(
        &mut self,
        batch: &Sealed<'_, AuditBatch>,
        timeout: Duration,
    ) -> Result<AuditAck, SyncError> {
        Link::push_audit(self, batch, timeout).await
    }

    fn presented(&self) -> Option<String> {
        Link::presented(self)
    }

    fn sent_again(&self) -> u32 {
        Link::sent_again(self)
    }

    fn late_answer(&self) -> Option<Arc<AtomicU64>> {
        Some(Link::late_answer(self))
    }
}

/// The device's side of a sync: where changes wait and where pulled ones are applied.
pub trait Local {
    /// Up to `limit` changes after the sender's seq `after`, in seq order.
    fn pending(&mut self, after: i64, limit: usize) -> Result<Vec<Change>, SyncError>;
    /// The server holds every change through `through`; `results` says what became of the last
    /// batch (empty when only the session said so).
    fn acked(&mut self, through: i64, results: &[ChangeResult]) -> Result<(), SyncError>;
    /// How far the server's pull feed has been applied here.
    fn pulled_through(&mut self) -> Result<i64, SyncError>;
    /// The origin of the server's change the cursor stands on, as the server said with it
    /// (`PullReply::cursor_origin`, kept by `apply_pulled`); none at the start of the feed.
    fn pulled_origin(&mut self) -> Result<Option<Origin>, SyncError>;
    /// Which of this end's own changes the feed is asked for too: a laptop restored from a
    /// backup older than what the server holds of it. None otherwise.
    fn own_after(&mut self) -> Result<Option<OwnAsked>, SyncError> {
        Ok(None)
    }
    /// The feed was read to its end with this end's own changes in it.
    fn own_pulled(&mut self) -> Result<(), SyncError> {
        Ok(())
    }
    /// After a session that succeeded: the server presented the certificate `presented` (none
    /// without TLS) and announced `next`, the one it will switch to, or none. In one step this
    /// end first pins `presented` if it is the next certificate it kept from an earlier session
    /// (the server has switched), then keeps `next` to accept from now on, or forgets the one it
    /// kept when none is announced any more. Ends without a pinned certificate keep nothing.
    fn certificate_state(&mut self, presented: Option<&str>, next: Option<&str>) -> Result<(), SyncError> {
        let _ = (presented, next);
        Ok(())
    }
    /// The server keeps the recovery code the link offered at this session: the end wraps its
    /// key under it now, so that what it writes of this goes up with this sync's audit log.
    fn recovery_code_kept(&mut self) -> Result<(), SyncError> {
        Ok(())
    }
    /// The server's own changes this end holds numbered after `after`, with their seals, for
    /// the server restored from a backup that asked them back: a laptop its block's, a block its
    /// district's. None by default.
    fn held_of_server(&mut self, after: i64) -> Result<Vec<GivenBack>, SyncError> {
        let _ = after;
        Ok(Vec::new())
    }
    /// The changes of another laptop this end holds that the server asks back
    /// (`SessionReply::others_wanted`); a block holds none to give.
    fn held_of_other(&mut self, wanted: &OthersWanted) -> Result<Vec<GivenBack>, SyncError> {
        let _ = wanted;
        Ok(Vec::new())
    }
    /// After which number the server's last answer on a USB stick asked back its own changes
    /// (`FeedFile::own_wanted_after`), if it did; a block never syncs by stick.
    fn asked_back_on_stick(&mut self) -> Result<Option<i64>, SyncError> {
        Ok(None)
    }
    /// The server answered for every change given back after `after`.
    fn gave_back(&mut self, after: i64) -> Result<(), SyncError> {
        let _ = after;
        Ok(())
    }
    /// The server holds this end's own changes (made by a block itself) numbered up to
    /// `through`: the end numbers its next ones after it.
    fn own_held_through(&mut self, _through: i64) -> Result<(), SyncError> {
        Ok(())
    }
    /// The server took this end's change `pushed` last in a push (a block's,
    /// `SessionReply::pushed_last`): an end that holds another change under that number, or
    /// none, was restored from a backup after sending it.
    fn pushed_last(&mut self, _pushed: Pushed) -> Result<(), SyncError> {
        Ok(())
    }
    /// The server's feed epoch, as a pull said (`PullReply::feed_epoch`): a new one means the
    /// server was restored from a backup and numbered its feed again from where the backup
    /// stood. The end keeps it and, when it read the feed under another one (or none), puts its
    /// cursor back to the start; returns whether it did.
    fn feed_epoch(&mut self, epoch: Option<&str>) -> Result<bool, SyncError>;

    /// The server's word to read its feed again from the start (`SessionReply::read_again`,
    /// to a block): a word not read under yet starts the cursor again. A laptop is never given
    /// one.
    fn read_again(&mut self, _word: &str) -> Result<(), SyncError> {
        Ok(())
    }
    /// Applies pulled changes and moves the cursor to `reply.cursor`, with its origin
    /// `reply.cursor_origin`, in one transaction; returns how many were new.
    fn apply_pulled(&mut self, reply: &PullReply) -> Result<usize, SyncError>;
    /// The numbers this end holds, so the server can grant more in time.
    fn numbers(&mut self) -> Result<Numbers, SyncError>;
    /// Keeps number ranges the server granted.
    fn grant(&mut self, leases: &[Lease]) -> Result<(), SyncError>;
    /// A session was opened: the server now knows this end holds its secret, and answers no
    /// enrollment code again to it. A laptop forgets the secret it kept to enroll with.
    fn session_opened(&mut self) -> Result<(), SyncError> {
        Ok(())
    }
    /// Keeps the district's statements about this end's certificates that the session brought
    /// (`samanvaya_sync_protocol::vouch`): only a block is sent any, and serves them to its
    /// laptops.
    fn keep_vouched(&mut self, _statements: &[String]) -> Result<(), SyncError> {
        Ok(())
    }
    /// Keeps how far this end's changes have reached the district, as the session said. Only a
    /// laptop shows it; a block knows it first-hand.
    fn reached_district(&mut self, _through: i64) -> Result<(), SyncError> {
        Ok(())
    }
    /// The digest and making day of the catalogue bundle in use here; none while the rules built
    /// into the app are.
    fn catalogue_in_use(&mut self) -> Result<Option<(String, DateTime<Utc>)>, SyncError>;
    /// Installs a fetched bundle after checking its signature against the district key this end
    /// trusts, and its rules; returns its label when it is now in use. `SyncError::Catalogue`
    /// says this end refuses the bundle itself (its signer, its rules), any other error that
    /// something went wrong here.
    fn install_catalogue(&mut self, file: &[u8]) -> Result<Option<String>, SyncError>;
    /// Why this end refused the bundle `digest` before, if it remembers doing so: it is not
    /// fetched again.
    fn catalogue_refused(&mut self, _digest: &str) -> Result<Option<String>, SyncError> {
        Ok(None)
    }
    /// Remembers that this end refused the bundle `digest`, and why.
    fn refuse_catalogue(&mut self, _digest: &str, _why: &str) -> Result<(), SyncError> {
        Ok(())
    }
    /// Where this end's audit log goes on after the session's word (`SessionReply::audit_through`
    /// and `audit_branches`): how far the server holds the log this end writes, and the branch
    /// it is (a laptop restored from a backup), if any.
    fn audit_to_send(&mut self, session: &SessionReply) -> Result<(i64, Option<AuditFork>), SyncError> {
        Ok((session.audit_through, None))
    }
    /// Up to `limit` entries of this end's audit log after `after`; a block sends none (its
    /// district does not keep blocks' logs).
    fn audit_after(&mut self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, SyncError>;
    /// The other devices' audit logs this end forwards (a block's laptops), each with the seq of
    /// its last entry held here; a laptop forwards none.
    fn forwarded_logs(&mut self) -> Result<Vec<AuditHeld>, SyncError> {
        Ok(Vec::new())
    }
    /// For a log this end forwards that is a branch of a laptop's log (`AuditFork`), whose log
    /// it is and where it grew from; none for a laptop's log itself.
    fn forwarded_fork(&mut self, _log: Uuid) -> Result<Option<(Uuid, AuditFork)>, SyncError> {
        Ok(None)
    }
    /// Up to `limit` entries of `device`'s log, as this end holds it, after `after`.
    fn forwarded_after(
        &mut self,
        _device: Uuid,
        _after: i64,
        _limit: usize,
    ) -> Result<Vec<AuditEntry>, SyncError> {
        Ok(Vec::new())
    }
}

/// Timeouts and retries. The defaults suit 2G; tests make them short.
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// The longest a request waits for its answer. Once the link has shown its pace a request
    /// waits less, as long as that pace says it needs (`Pace::timeout`).
    pub request: Duration,
    pub retries: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            request: Duration::from_secs(30),
            retries: 8,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub pushed: usize,
    pub duplicates: usize,
    pub conflicts: usize,
    pub rejected: Vec<String>,
    pub pulled: usize,
    pub acked_through: i64,
    pub pulled_through: i64,
    pub batches: usize,
    pub retries: usize,
    /// The label of the district's catalogue bundle installed by this sync.
    pub catalogue: Option<String>,
    /// Why this end refused the district's newest catalogue bundle, now or at an earlier sync
    /// (it is not fetched again); the rest of the sync went on.
    pub catalogue_refused: Option<String>,
    /// How far the server holds this end's audit log after the sync.
    pub audit_through: i64,
    /// The entries of other devices' logs this end forwarded in this sync, per device (a
    /// block's laptops, in the order forwarded).
    pub audit_forwarded: Vec<(Uuid, usize)>,
    /// What went wrong forwarding those logs. It fails nothing else of the sync; the next sync
    /// resumes each log from where the server holds it.
    pub audit_failures: Vec<String>,
    /// The server keeps the recovery code the link gave it (`Link::with_recovery_code`).
    pub recovery_code_kept: bool,
    /// The certificate this end pinned in this sync in place of the one the server presented
    /// before, on the district's signed word (`samanvaya_sync_protocol::vouch`): the server's
    /// key was replaced, and its operator should know the laptop follows.
    pub certificate_followed: Option<String>,
    /// Every request made, in order, as the link answered it: where a slow sync spent its time
    /// (`samanvaya sync --verbose`, and the push benchmark's trace).
    pub exchanges: Vec<Exchange>,
    /// The sendings made beside those not answered in half their wait (a second, and a third
    /// at three quarters; `link::hedged`).
    pub sent_again: u32,
    /// The server's own changes this end gave back to it, restored from a backup, and it took.
    pub given_back: usize,
}

/// One request of a sync and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// What was asked: `session`, `push`, `pull`, `audit`, `catalogue`, `forwarded audit`.
    pub what: &'static str,
    /// The bytes it carried on the wire (sent, or for a pull received) when it was answered.
    pub payload: Option<usize>,
    /// From the request's start to its answer or its failure.
    pub took: Duration,
    /// Why it failed, or `None` when it was answered.
    pub failure: Option<String>,
}

/// Changes read from the local end per batch planned: more than the largest batch holds (a
/// change is at least about 300 bytes of JSON).
const READ_AHEAD: usize = 2048;

fn jitter() -> u32 {
    let mut b = [0u8; 4];
    // Without randomness the wait is the midpoint, which is still correct, only less spread.
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

/// Runs `op` until it succeeds, fails for good, or the retries run out. `op` is given the pace
/// and answers with its result and the bytes it carried on the wire (its sealed body, or for a
/// pull the answer's), so that the time it took teaches the pace the link's round trip and rate.
pub(crate) async fn retrying<T>(
    what: &'static str,
    tuning: Tuning,
    report: &mut Report,
    pace: &mut Pace,
    late: Option<&AtomicU64>,
    mut op: impl AsyncFnMut(Pace) -> Result<(T, usize), SyncError>,
) -> Result<T, SyncError> {
    let mut attempt = 0;
    loop {
        let started = Instant::now();
        let result = op(*pace).await;
        let took = started.elapsed();
        // The link's pace is learnt from the sending that answered (`Remote::late_answer`).
        let late = late.map_or(Duration::ZERO, |l| Duration::from_nanos(l.swap(0, AtomicOrdering::Relaxed)));
        report.exchanges.push(Exchange {
            what,
            payload: result.as_ref().ok().map(|(_, p)| *p),
            took,
            failure: result.as_ref().err().map(ToString::to_string),
        });
        match result {
            Ok((v, payload)) => {
                *pace = pace.observed(payload, took.saturating_sub(late));
                return Ok(v);
            }
            Err(e) if e.is_transient() && attempt < tuning.retries => {
                if e.is_timeout() {
                    *pace = pace.after_timeout();
                }
                tokio::time::sleep(plan::backoff(
                    attempt,
                    tuning.first_backoff,
                    tuning.max_backoff,
                    jitter(),
                ))
                .await;
                attempt += 1;
                report.retries += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The bytes of a pull's answer on the wire, before it comes: about the most the server puts in
/// one (it stops once past 48 KB of JSON), assumed to compress only three times where changes
/// usually compress about twenty. Taking about the most keeps a full answer within its wait.
const PULL_WIRE: usize = 16 * 1024;

/// `value` sealed for the wire: a request is sealed once, and its bytes set its wait.
pub(crate) fn sealed<T: serde::Serialize>(value: &T) -> Result<Sealed<'_, T>, SyncError> {
    Sealed::new(value).map_err(|e| SyncError::Local(format!("a batch could not be packed: {e}")))
}

/// One sync of `local` over `link`.
pub async fn sync_once<L: Local, R: Remote>(
    local: &mut L,
    link: &mut R,
    tuning: Tuning,
) -> Result<Report, SyncError> {
    let mut report = Report::default();
    let mut pace = Pace::default();
    let sent_again = link.sent_again();
    let late = link.late_answer();
    let numbers = local.numbers()?;
    // A fresh session each run: it renews the token and picks up leases.
    let session = retrying("session", tuning, &mut report, &mut pace, late.as_deref(), async |pace| {
        link.session(numbers.clone(), pace.timeout(0, tuning.request)).await.map(|s| (s, 0))
    })
    .await?;
    local.session_opened()?;
    local.grant(&session.leases)?;
    report.recovery_code_kept = session.recovery_code_kept;
    if session.recovery_code_kept {
        local.recovery_code_kept()?;
    }
    // Only now is the certificate the server presented known to be its own: the session's
    // answer came over that handshake, signed with its key.
    local.certificate_state(link.presented().as_deref(), session.next_certificate.as_deref())?;
    if !session.vouched.is_empty() {
        local.keep_vouched(&session.vouched)?;
    }
    if let Some(through) = session.reached_district {
        local.reached_district(through)?;
    }
    if let Some(through) = session.own_through {
        local.own_held_through(through)?;
    }
    if let Some(pushed) = session.pushed_last {
        local.pushed_last(pushed)?;
    }
    // Restored from a backup, the server numbered its feed again: read from the start, and say
    // so in the pushes below, which would otherwise claim to have read what it numbered again.
    if let Some(word) = session.read_again.as_deref() {
        local.read_again(word)?;
    }
    local.feed_epoch(session.feed_epoch.as_deref())?;
    if let Some(epoch) = session.feed_epoch.as_deref() {
        link.read_under(epoch);
    }
    // Restored from a backup, the server lost steps of its own that this end read: given back
    // before anything else, so that the laptop's work after them finds them there.
    // An answer on a USB stick may have asked them back already, and this end read the
    // server's steps made since the restore with it: the session, which looks at the newest
    // step this end holds, then finds it held and asks nothing, and the stick's ask waited for
    // a file that a laptop syncing online again never writes (seed 3476 of the simulation with
    // both restores). Whichever asked, from the lower number.
    let asked = match (session.own_wanted_after, local.asked_back_on_stick()?) {
        (Some(online), Some(stick)) => Some(online.min(stick)),
        (online, stick) => online.or(stick),
    };
    if let Some(after) = asked {
        give_back(local, link, tuning, &mut report, &mut pace, late.as_deref(), after).await?;
    }
    // Restored from a backup, the server lost changes of another laptop's old run that this
    // end read (that laptop restored too): given back before this end's own work.
    for wanted in &session.others_wanted {
        let held = local.held_of_other(wanted)?;
        give_back_changes(link, tuning, &mut report, &mut pace, late.as_deref(), &held).await?;
    }
    let mut acked = session.acked_through;
    // The readings capped of changes whose push answers were lost, and what was decided for
    // those put up for review or refused: said back by the session.
    let mut kept: Vec<ChangeResult> = session
        .capped
        .iter()
        .map(|k| ChangeResult { seq: k.seq, outcome: Outcome::Duplicate, capped: Some(k.hlc) })
        .collect();
    for d in &session.decided {
        match &d.outcome {
            Outcome::Conflict { .. } => report.conflicts += 1,
            Outcome::Rejected { reason } => report.rejected.push(reason.clone()),
            Outcome::Applied | Outcome::Duplicate => {}
        }
        match kept.iter_mut().find(|k| k.seq == d.seq) {
            Some(k) => k.outcome = d.outcome.clone(),
            None => kept.push(ChangeResult { seq: d.seq, outcome: d.outcome.clone(), capped: None }),
        }
    }
    kept.sort_by_key(|k| k.seq);
    local.acked(acked, &kept)?;

    // A district refuses a block's push about a village it has from another block whole, until
    // its operator gives the village to this one: the push waits, and the rest of the round
    // goes on (the district's decisions for the block's other villages, the audit logs), so
    // that one moved village does not cut them all off. The refusal ends the round.
    let mut held_back = None;
    loop {
        let changes = local.pending(acked, READ_AHEAD)?;
        if changes.is_empty() {
            break;
        }
        let pulled_through = local.pulled_through()?;
        let pushed = retrying("push", tuning, &mut report, &mut pace, late.as_deref(), async |pace| {
            let range = plan::batches(&changes, pace.batch_bytes).into_iter().next().unwrap_or(0..0);
            let batch = PushBatch {
                protocol: PROTOCOL_VERSION,
                after: Some(acked),
                pulled_through,
                changes: changes[range].to_vec(),
            };
            let body = sealed(&batch)?;
            let bytes = body.packed().len();
            let ack = link.push(&body, pace.timeout(bytes, tuning.request)).await?;
            Ok(((ack, batch.changes.len()), bytes))
        })
        .await;
        let (ack, sent) = match pushed {
            Err(SyncError::Refused(r)) if r.code == RefusalCode::VillageForeign => {
                held_back = Some(SyncError::Refused(r));
                break;
            }
            pushed => pushed?,
        };
        let last = changes[sent - 1].seq;
        // The server holds less than this push followed: it was restored from a backup since
        // the session, and kept nothing of the push. Sent again from what it holds.
        if ack.acked_through < acked && ack.results.is_empty() {
            local.acked(ack.acked_through, &[])?;
            acked = ack.acked_through;
            continue;
        }
        if ack.acked_through < last {
            return Err(SyncError::Local(format!(
                "the server acknowledged up to {} after a batch ending at {last}; sync stopped to avoid a loop",
                ack.acked_through
            )));
        }
        for r in &ack.results {
            match &r.outcome {
                Outcome::Applied => report.pushed += 1,
                Outcome::Duplicate => report.duplicates += 1,
                Outcome::Conflict { .. } => {
                    report.pushed += 1;
                    report.conflicts += 1;
                }
                Outcome::Rejected { reason } => report.rejected.push(reason.clone()),
            }
        }
        local.acked(ack.acked_through, &ack.results)?;
        acked = ack.acked_through;
        report.batches += 1;
        pace = pace.after_success();
    }
    report.acked_through = acked;

    let mut after = local.pulled_through()?;
    let mut at = local.pulled_origin()?;
    let own_after = local.own_after()?;
    loop {
        let reply = retrying("pull", tuning, &mut report, &mut pace, late.as_deref(), async |pace| {
            let timeout = pace.timeout(PULL_WIRE, tuning.request);
            let reply = match own_after {
                Some(own) => link.pull_own_after(after, own, at, timeout).await?,
                None => link.pull(after, at, timeout).await?,
            };
            Ok((reply.value, reply.wire_bytes))
        })
        .await?;
        // Restored from a backup, the server numbered its feed again below where this end had
        // read it: read from the start (a change applied before is skipped).
        if local.feed_epoch(reply.feed_epoch.as_deref())? {
            if let Some(epoch) = reply.feed_epoch.as_deref() {
                link.read_under(epoch);
            }
            after = 0;
            at = None;
            continue;
        }
        report.pulled += local.apply_pulled(&reply)?;
        if reply.cursor >= after {
            at = reply.cursor_origin;
        }
        after = reply.cursor.max(after);
        if !reply.more {
            break;
        }
    }
    if own_after.is_some() {
        local.own_pulled()?;
    }
    report.pulled_through = after;

    if let Some(offer) = &session.catalogue {
        let wanted = match local.catalogue_in_use()? {
            None => true,
            Some((digest, made_at)) => digest != offer.digest && offer.made_at > made_at,
        };
        // A bundle this end refuses stops nothing else: the audit log still goes up after it,
        // and the laptop still prunes what the block acknowledged long ago. Nor is it fetched
        // again at every sync over 2G: the end remembers the refusal until what decided it
        // changes.
        if wanted {
            report.catalogue_refused = local.catalogue_refused(&offer.digest)?;
        }
        if wanted && report.catalogue_refused.is_none() {
            let file = fetch_bundle(link, offer, tuning, &mut report, &mut pace).await?;
            match local.install_catalogue(&file) {
                Ok(label) => report.catalogue = label,
                Err(SyncError::Catalogue(why)) => {
                    local.refuse_catalogue(&offer.digest, &why)?;
                    report.catalogue_refused = Some(why);
                }
                Err(e) => return Err(e),
            }
        }
    }

    // Last, the audit log: it records this sync's own work too (what was pulled, the rules).
    let (mut through, branch) = local.audit_to_send(&session)?;
    loop {
        let mut entries = local.audit_after(through, AUDIT_BATCH)?;
        // A branch goes on once the server holds the entry it grows from (`AuditFork::next_leg`).
        let on = match &branch {
            Some(fork) => {
                let (on, leg_ends) = fork.next_leg(through);
                if let Some(end) = leg_ends {
                    entries.retain(|e| e.seq <= end);
                }
                on.cloned()
            }
            None => None,
        };
        let Some(last) = entries.last().map(|e| e.seq) else { break };
        let batch = AuditBatch::of(None, entries).on(on);
        let body = sealed(&batch)?;
        let bytes = body.packed().len();
        let ack = retrying("audit", tuning, &mut report, &mut pace, late.as_deref(), async |pace| {
            link.push_audit(&body, pace.timeout(bytes, tuning.request)).await.map(|ack| (ack, bytes))
        })
        .await?;
        if ack.through < last {
            return Err(SyncError::Local(format!(
                "the server holds the audit log up to {} after a batch ending at {last}; sync stopped to avoid a loop",
                ack.through
            )));
        }
        through = ack.through;
    }
    report.audit_through = through;

    // A block then forwards its laptops' logs, each from where the server holds it.
    crate::forward_audit::forward(local, link, &session.audit_forwarded, tuning, &mut report, &mut pace)
        .await;
    report.sent_again = link.sent_again() - sent_again;
    match held_back {
        Some(refused) => Err(refused),
        None => Ok(report),
    }
}

/// The bundle `offer` names, fetched piece by piece: a dropped connection costs one piece.
/// How many of the server's own changes go back in one request: a step is a few hundred bytes,
/// so one request stays a few kilobytes on the wire once packed.
const GIVEN_BACK_BATCH: usize = 64;

/// Gives back the server's own changes this end holds numbered after `after`, which the
/// server asked back (`SessionReply::own_wanted_after`), a batch at a time.
#[allow(clippy::too_many_arguments)]
async fn give_back<L: Local, R: Remote>(
    local: &mut L,
    link: &mut R,
    tuning: Tuning,
    report: &mut Report,
    pace: &mut Pace,
    late: Option<&AtomicU64>,
    after: i64,
) -> Result<(), SyncError> {
    let held = local.held_of_server(after)?;
    give_back_changes(link, tuning, report, pace, late, &held).await?;
    local.gave_back(after)
}

/// Gives `held` back to the server in parts, each once the one before was answered.
async fn give_back_changes<R: Remote>(
    link: &mut R,
    tuning: Tuning,
    report: &mut Report,
    pace: &mut Pace,
    late: Option<&AtomicU64>,
    held: &[GivenBack],
) -> Result<(), SyncError> {
    for part in held.chunks(GIVEN_BACK_BATCH) {
        let given = GiveBack { protocol: PROTOCOL_VERSION, changes: part.to_vec() };
        let ack = retrying("give back", tuning, report, pace, late, async |pace| {
            let body = sealed(&given)?;
            let bytes = body.packed().len();
            Ok((link.give_back(&body, pace.timeout(bytes, tuning.request)).await?, bytes))
        })
        .await?;
        report.given_back += ack.taken;
    }
    Ok(())
}

async fn fetch_bundle<R: Remote>(
    link: &mut R,
    offer: &CatalogueOffer,
    tuning: Tuning,
    report: &mut Report,
    pace: &mut Pace,
) -> Result<Vec<u8>, SyncError> {
    let damaged = || {
        SyncError::Catalogue(
            "the district's scheme rules arrived damaged; they are not installed, and the next sync fetches them again"
                .into(),
        )
    };
    if offer.bytes > bundle::MAX_BUNDLE_BYTES as u64 {
        return Err(damaged());
    }
    let mut file = Vec::with_capacity(offer.bytes as usize);
    while (file.len() as u64) < offer.bytes {
        let offset = file.len() as u64;
        // A piece is compressed already and takes about its own size on the wire.
        let late = link.late_answer();
        let piece = retrying("catalogue", tuning, report, pace, late.as_deref(), async |pace| {
            let timeout = pace.timeout(bundle::PIECE_BYTES, tuning.request);
            let piece = link.catalogue_piece(&offer.digest, offset, timeout).await?;
            Ok((piece.value, piece.wire_bytes))
        })
        .await?;
        let bytes = bundle::piece_bytes(&piece).ok_or_else(damaged)?;
        if piece.digest != offer.digest
            || piece.offset != offset
            || piece.total != offer.bytes
            || bytes.is_empty()
        {
            return Err(damaged());
        }
        file.extend_from_slice(&bytes);
    }
    if bundle::digest(&file) != offer.digest {
        return Err(damaged());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use crate::test_ends::{Block, District, forwarded_change, synced};

    /// A server restored from a backup names a new feed epoch in its session's answer: the end
    /// reads the feed again from its start before it pushes, and its push says so. Before, the
    /// push said the end had read the feed as far as before the restore, and the server took a
    /// change it numbered again after the restore for one the end had seen: two devices writing
    /// one name unseen of each other queued no review.
    #[test]
    fn a_new_feed_epoch_named_at_the_session_is_read_before_the_push() {
        let mut block = Block {
            waiting: vec![forwarded_change(1)],
            pulled: 500,
            epoch: Some("first".into()),
            ..Block::default()
        };
        let mut district = District { epoch: Some("second".into()), ..District::default() };
        synced(&mut block, &mut district).unwrap();
        assert_eq!(district.pushed_after, vec![0], "the push says the feed is read again from its start");
        assert_eq!(block.epoch.as_deref(), Some("second"));
    }

    /// A district refusing a block's push as about a village it has from another block: the
    /// block's changes wait (nothing acknowledged), its pull still runs, and the round ends with
    /// the refusal, which the block shows in its status.
    #[test]
    fn a_push_refused_for_a_village_of_another_block_waits_and_the_pull_still_runs() {
        use samanvaya_sync_protocol::RefusalCode;
        let mut block = Block { waiting: vec![forwarded_change(1)], ..Block::default() };
        let mut district = District { foreign_village: true, ..District::default() };
        let err = synced(&mut block, &mut district).unwrap_err();
        assert!(
            matches!(&err, crate::SyncError::Refused(r) if r.code == RefusalCode::VillageForeign),
            "{err:?}"
        );
        assert_eq!(block.acked, 0, "nothing of the push is taken");
        assert_eq!(district.pulls, 1, "the district's feed is read all the same");
    }

    /// A sync that gave up after a push's answer was lost: the next session moves the end past
    /// what the server holds, and says what became of the changes put up for review or
    /// refused, with the readings it capped. The end is told each once, merged by number, and
    /// the sync's report counts them.
    #[test]
    fn what_a_lost_answer_would_have_said_comes_with_the_next_session() {
        use samanvaya_domain::Hlc;
        use samanvaya_sync_protocol::{ChangeResult, Kept, Outcome};
        let conflict = Outcome::Conflict { field: "name".into() };
        let refused = Outcome::Rejected { reason: "member was removed".into() };
        let reading = Hlc { wall_ms: 5, counter: 0, node: uuid::Uuid::nil() };
        let mut block = Block::default();
        let mut district = District {
            decided: vec![
                ChangeResult { seq: 2, outcome: conflict.clone(), capped: None },
                ChangeResult { seq: 3, outcome: refused.clone(), capped: None },
            ],
            capped: vec![Kept { seq: 2, hlc: reading }, Kept { seq: 4, hlc: reading }],
            ..District::default()
        };
        let report = synced(&mut block, &mut district).unwrap();
        assert_eq!(
            block.told,
            vec![
                ChangeResult { seq: 2, outcome: conflict, capped: Some(reading) },
                ChangeResult { seq: 3, outcome: refused, capped: None },
                ChangeResult { seq: 4, outcome: Outcome::Duplicate, capped: Some(reading) },
            ]
        );
        assert_eq!((report.conflicts, report.rejected), (1, vec!["member was removed".to_owned()]));
    }
}
