//! A block and a district for the sync's own tests: ends that keep what they were sent, with
//! no store and no network, so that a test reads what one run of `sync_once` did.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use samanvaya_domain::change::{Change as Typed, ChangeBody, HouseholdChange};
use samanvaya_domain::{Hlc, HouseholdId, LocationId};
use samanvaya_sync_protocol::body::Sealed;
use samanvaya_sync_protocol::bundle::CataloguePiece;
use samanvaya_sync_protocol::{
    AuditAck, AuditBatch, AuditEntry, AuditFork, AuditHeld, Change, ChangeResult, Kept, Lease, Origin,
    Outcome, PROTOCOL_VERSION, PullReply, PushAck, PushBatch, Refusal, RefusalCode, SessionReply,
};
use uuid::Uuid;

use crate::link::Received;
use crate::{Local, Numbers, Remote, Report, SyncError, Tuning};

pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap()
}

/// A block holding changes to forward and its laptops' logs (only their seqs matter here).
#[derive(Default)]
pub(crate) struct Block {
    pub(crate) waiting: Vec<Change>,
    pub(crate) acked: i64,
    pub(crate) logs: BTreeMap<Uuid, i64>,
    /// The logs that are branches of a laptop's log (by the branch's id): the laptop's id
    /// and where the branch grew from.
    pub(crate) forks: BTreeMap<Uuid, (Uuid, AuditFork)>,
    /// Where it has read the district's feed, and under which epoch.
    pub(crate) pulled: i64,
    pub(crate) epoch: Option<String>,
    /// Every outcome it was told with an acknowledgement.
    pub(crate) told: Vec<ChangeResult>,
}

impl Local for Block {
    fn pending(&mut self, after: i64, _: usize) -> Result<Vec<Change>, SyncError> {
        Ok(self.waiting.iter().filter(|c| c.seq > after).cloned().collect())
    }
    fn acked(&mut self, through: i64, results: &[ChangeResult]) -> Result<(), SyncError> {
        self.acked = self.acked.max(through);
        self.told.extend_from_slice(results);
        Ok(())
    }
    fn pulled_through(&mut self) -> Result<i64, SyncError> {
        Ok(self.pulled)
    }
    fn pulled_origin(&mut self) -> Result<Option<Origin>, SyncError> {
        Ok(None)
    }
    fn feed_epoch(&mut self, epoch: Option<&str>) -> Result<bool, SyncError> {
        // As the laptop's store does (`samanvaya_core::Store::feed_epoch`).
        let Some(epoch) = epoch else { return Ok(false) };
        if self.epoch.as_deref() == Some(epoch) {
            return Ok(false);
        }
        self.epoch = Some(epoch.to_owned());
        let again = self.pulled > 0;
        self.pulled = 0;
        Ok(again)
    }
    fn apply_pulled(&mut self, _: &PullReply) -> Result<usize, SyncError> {
        Ok(0)
    }
    fn numbers(&mut self) -> Result<Numbers, SyncError> {
        Ok(Numbers::default())
    }
    fn grant(&mut self, _: &[Lease]) -> Result<(), SyncError> {
        Ok(())
    }
    fn catalogue_in_use(&mut self) -> Result<Option<(String, DateTime<Utc>)>, SyncError> {
        Ok(None)
    }
    fn install_catalogue(&mut self, _: &[u8]) -> Result<Option<String>, SyncError> {
        unreachable!("the district offers no rules here")
    }
    fn audit_after(&mut self, _: i64, _: usize) -> Result<Vec<AuditEntry>, SyncError> {
        Ok(Vec::new())
    }
    fn forwarded_logs(&mut self) -> Result<Vec<AuditHeld>, SyncError> {
        Ok(self.logs.iter().map(|(&device, &through)| AuditHeld { device, through }).collect())
    }
    fn forwarded_fork(&mut self, log: Uuid) -> Result<Option<(Uuid, AuditFork)>, SyncError> {
        Ok(self.forks.get(&log).cloned())
    }
    fn forwarded_after(
        &mut self,
        device: Uuid,
        after: i64,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, SyncError> {
        let last = self.logs[&device];
        // A branch holds only its entries after the one it grew from.
        let after = after.max(self.forks.get(&device).map_or(0, |(_, f)| f.from_seq));
        Ok((after + 1..=last)
            .take(limit)
            .map(|seq| AuditEntry {
                seq,
                at: String::new(),
                who: String::new(),
                action: String::new(),
                detail: String::new(),
                hash: vec![],
            })
            .collect())
    }
}

/// A district that holds some logs, refuses one, or is out of reach for audit logs, and
/// notes every log batch it gets.
#[derive(Default)]
pub(crate) struct District {
    pub(crate) held: Vec<AuditHeld>,
    pub(crate) refuses: Option<Uuid>,
    pub(crate) down: bool,
    pub(crate) got: Vec<(Uuid, Vec<i64>)>,
    /// The branch each batch in `got` named.
    pub(crate) branches: Vec<Option<Uuid>>,
    /// The feed epoch it names, and where each push it got said the block had read its feed.
    pub(crate) epoch: Option<String>,
    pub(crate) pushed_after: Vec<i64>,
    /// What its session says of changes held but not plainly applied, and the readings it
    /// capped.
    pub(crate) decided: Vec<ChangeResult>,
    pub(crate) capped: Vec<Kept>,
    /// Whether it refuses every push as about a village another block forwards, and how
    /// many pulls it answered.
    pub(crate) foreign_village: bool,
    pub(crate) pulls: usize,
}

impl Remote for District {
    async fn session(&mut self, _: Numbers, _: Duration) -> Result<SessionReply, SyncError> {
        Ok(SessionReply {
            read_again: None,
            protocol: PROTOCOL_VERSION,
            token: "token".into(),
            expires_at: t0(),
            acked_through: 0,
            leases: vec![],
            reached_district: None,
            catalogue: None,
            audit_through: 0,
            audit_forwarded: self.held.clone(),
            audit_branches: Vec::new(),
            next_certificate: None,
            recovery_code_kept: false,
            capped: self.capped.clone(),
            decided: self.decided.clone(),
            own_through: None,
            pushed_last: None,
            others_wanted: Vec::new(),
            own_wanted_after: None,
            feed_epoch: self.epoch.clone(),
            vouched: Vec::new(),
        })
    }
    async fn give_back(
        &mut self,
        _: &Sealed<'_, samanvaya_sync_protocol::GiveBack>,
        _: Duration,
    ) -> Result<samanvaya_sync_protocol::GiveBackAck, SyncError> {
        Err(SyncError::Local("a district asks nothing back of its block".into()))
    }
    async fn push(&mut self, batch: &Sealed<'_, PushBatch>, _: Duration) -> Result<PushAck, SyncError> {
        let batch = batch.value();
        self.pushed_after.push(batch.pulled_through);
        if self.foreign_village {
            let message = "village V comes to this district through another block".to_owned();
            return Err(SyncError::Refused(Refusal { code: RefusalCode::VillageForeign, message }));
        }
        Ok(PushAck {
            protocol: PROTOCOL_VERSION,
            acked_through: batch.changes.last().map_or(0, |c| c.seq),
            results: batch
                .changes
                .iter()
                .map(|c| ChangeResult { seq: c.seq, outcome: Outcome::Applied, capped: None })
                .collect(),
        })
    }
    async fn pull(
        &mut self,
        after: i64,
        _: Option<Origin>,
        _: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        self.pulls += 1;
        Ok(Received::sealed_as_on_the_wire(PullReply {
            protocol: PROTOCOL_VERSION,
            server: Uuid::nil(),
            changes: vec![],
            cursor: after,
            more: false,
            feed_epoch: self.epoch.clone(),
            cursor_origin: None,
        }))
    }
    async fn catalogue_piece(
        &mut self,
        _: &str,
        _: u64,
        _: Duration,
    ) -> Result<Received<CataloguePiece>, SyncError> {
        unreachable!("the district offers no rules here")
    }
    async fn push_audit(
        &mut self,
        batch: &Sealed<'_, AuditBatch>,
        _: Duration,
    ) -> Result<AuditAck, SyncError> {
        let batch = batch.value();
        let device = batch.device.expect("a forwarded batch names its laptop");
        self.got.push((device, batch.entries.iter().map(|e| e.seq).collect()));
        self.branches.push(batch.branch.as_ref().map(|f| f.id));
        if self.down {
            return Err(SyncError::Unreachable("the district is down".into()));
        }
        if self.refuses == Some(device) {
            let message = "not through this block".into();
            return Err(SyncError::Refused(Refusal { code: RefusalCode::AuditForeign, message }));
        }
        Ok(AuditAck { through: batch.entries.last().map_or(0, |e| e.seq) })
    }
}

/// One sync of `block` with `district`, without waiting between retries.
pub(crate) fn synced(block: &mut Block, district: &mut District) -> Result<Report, SyncError> {
    let tuning = Tuning { retries: 0, ..Tuning::default() };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(crate::run::sync_once(block, district, tuning))
}

/// A laptop's change as its block forwards it, the block's `seq`-th.
pub(crate) fn forwarded_change(seq: i64) -> Change {
    let laptop = Uuid::from_u128(99);
    let body = ChangeBody::Household(HouseholdChange {
        id: HouseholdId(Uuid::from_u128(1000 + seq as u128)),
        village_id: LocationId(Uuid::from_u128(7)),
        created_at: t0(),
        fields: vec![],
    });
    let hlc = Hlc { wall_ms: t0().timestamp_millis(), counter: 0, node: laptop };
    Change {
        seq,
        origin: Origin { device: laptop, seq },
        recorded_at: t0(),
        change: Typed::new(hlc, body),
        seen_at_sender: Default::default(),
    }
}
