//! A block's forwarding of its laptops' audit logs to its district, last in its sync: for each
//! laptop whose log the block holds further than the district does (as the session said), the
//! entries the district lacks, in order and in batches, under the laptop's own device id. It
//! resumes from where the district stands, so an entry is sent again only when an answer was
//! lost, and the district skips what it holds. A failure here is reported, never returned: the
//! changes of this sync are forwarded already, and the next sync tries the logs again.

use samanvaya_sync_protocol::{AUDIT_BATCH, AuditBatch, AuditHeld};
use uuid::Uuid;

use crate::link::SyncError;
use crate::plan::Pace;
use crate::run::{Local, Remote, Report, Tuning, retrying, sealed};

/// Forwards every log `local` holds further than `held` (the server's word), recording what was
/// sent and what failed in `report`.
pub(crate) async fn forward<L: Local, R: Remote>(
    local: &mut L,
    link: &mut R,
    held: &[AuditHeld],
    tuning: Tuning,
    report: &mut Report,
    pace: &mut Pace,
) {
    let logs = match local.forwarded_logs() {
        Ok(logs) => logs,
        Err(e) => {
            report.audit_failures.push(format!("the laptops' audit logs could not be read here: {e}"));
            return;
        }
    };
    for log in logs {
        let from = held.iter().find(|h| h.device == log.device).map_or(0, |h| h.through);
        let mut sent = 0;
        let result = forward_one(local, link, log, from, &mut sent, tuning, report, pace).await;
        if sent > 0 {
            report.audit_forwarded.push((log.device, sent));
        }
        if let Err(e) = result {
            report.audit_failures.push(format!("the audit log of laptop {}: {e}", log.device));
            // A link that fails after its retries fails the next log too: the rest waits for the
            // next sync. A refusal concerns this one log only.
            if e.is_transient() {
                return;
            }
        }
    }
}

/// Sends the entries of one log after `from` through the last held here, counting them in `sent`.
#[allow(clippy::too_many_arguments)]
async fn forward_one<L: Local, R: Remote>(
    local: &mut L,
    link: &mut R,
    log: AuditHeld,
    from: i64,
    sent: &mut usize,
    tuning: Tuning,
    report: &mut Report,
    pace: &mut Pace,
) -> Result<(), SyncError> {
    // A branch of a laptop's log travels under the laptop's id, naming the branch.
    let (laptop, branch) = match local.forwarded_fork(log.device)? {
        Some((laptop, fork)) => (laptop, Some(fork)),
        None => (log.device, None),
    };
    let mut through = from;
    while through < log.through {
        let entries = local.forwarded_after(log.device, through, AUDIT_BATCH)?;
        let Some(last) = entries.last().map(|e| e.seq) else { break };
        let batch = AuditBatch::of(Some(laptop), entries).on(branch.clone());
        let body = sealed(&batch)?;
        let bytes = body.packed().len();
        let ack = retrying("forwarded audit", tuning, report, pace, async |pace| {
            link.push_audit(&body, pace.timeout(bytes, tuning.request)).await.map(|ack| (ack, bytes))
        })
        .await?;
        *sent += batch.entries.len();
        if ack.through < last {
            return Err(stalled(log.device, ack.through, last));
        }
        through = ack.through;
    }
    Ok(())
}

fn stalled(device: Uuid, through: i64, last: i64) -> SyncError {
    SyncError::Local(format!(
        "the district holds the audit log of laptop {device} up to {through} after a batch ending at {last}; its forwarding stopped to avoid a loop"
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use chrono::{DateTime, TimeZone, Utc};
    use samanvaya_domain::change::{Change as Typed, ChangeBody, HouseholdChange};
    use samanvaya_domain::{Hlc, HouseholdId, LocationId};
    use samanvaya_sync_protocol::body::Sealed;
    use samanvaya_sync_protocol::bundle::CataloguePiece;
    use samanvaya_sync_protocol::{
        AuditAck, AuditEntry, AuditFork, Change, ChangeResult, Lease, Origin, Outcome, PROTOCOL_VERSION,
        PullReply, PushAck, PushBatch, Refusal, RefusalCode, SessionReply,
    };

    use super::*;
    use crate::link::Received;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 5, 0, 0).unwrap()
    }

    /// A block holding changes to forward and its laptops' logs (only their seqs matter here).
    #[derive(Default)]
    struct Block {
        waiting: Vec<Change>,
        acked: i64,
        logs: BTreeMap<Uuid, i64>,
        /// The logs that are branches of a laptop's log (by the branch's id): the laptop's id
        /// and where the branch grew from.
        forks: BTreeMap<Uuid, (Uuid, AuditFork)>,
    }

    impl Local for Block {
        fn pending(&mut self, after: i64, _: usize) -> Result<Vec<Change>, SyncError> {
            Ok(self.waiting.iter().filter(|c| c.seq > after).cloned().collect())
        }
        fn acked(&mut self, through: i64, _: &[ChangeResult]) -> Result<(), SyncError> {
            self.acked = self.acked.max(through);
            Ok(())
        }
        fn pulled_through(&mut self) -> Result<i64, SyncError> {
            Ok(0)
        }
        fn feed_epoch(&mut self, _: Option<&str>) -> Result<bool, SyncError> {
            Ok(false)
        }
        fn apply_pulled(&mut self, _: &PullReply) -> Result<usize, SyncError> {
            Ok(0)
        }
        fn numbers_left(&mut self) -> Result<Vec<(String, i64)>, SyncError> {
            Ok(Vec::new())
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
    struct District {
        held: Vec<AuditHeld>,
        refuses: Option<Uuid>,
        down: bool,
        got: Vec<(Uuid, Vec<i64>)>,
        /// The branch each batch in `got` named.
        branches: Vec<Option<Uuid>>,
    }

    impl Remote for District {
        async fn session(&mut self, _: Vec<(String, i64)>, _: Duration) -> Result<SessionReply, SyncError> {
            Ok(SessionReply {
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
                capped: Vec::new(),
                own_through: None,
            })
        }
        async fn push(&mut self, batch: &Sealed<'_, PushBatch>, _: Duration) -> Result<PushAck, SyncError> {
            let batch = batch.value();
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
        async fn pull(&mut self, after: i64, _: Duration) -> Result<Received<PullReply>, SyncError> {
            Ok(Received::sealed_as_on_the_wire(PullReply {
                protocol: PROTOCOL_VERSION,
                server: Uuid::nil(),
                changes: vec![],
                cursor: after,
                more: false,
                feed_epoch: None,
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
    fn synced(block: &mut Block, district: &mut District) -> Result<Report, SyncError> {
        let tuning = Tuning { retries: 0, ..Tuning::default() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(crate::run::sync_once(block, district, tuning))
    }

    /// A laptop's change as its block forwards it, the block's `seq`-th.
    fn forwarded_change(seq: i64) -> Change {
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

    #[test]
    fn each_log_resumes_where_the_district_holds_it_and_a_refused_log_stops_no_other() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut block = Block { logs: BTreeMap::from([(a, 4), (b, 3), (c, 2)]), ..Block::default() };
        let held = vec![AuditHeld { device: a, through: 2 }, AuditHeld { device: c, through: 2 }];
        let mut district = District { held, refuses: Some(b), ..District::default() };
        let report = synced(&mut block, &mut district).expect("a refused log fails nothing of the sync");
        assert_eq!(district.got, vec![(a, vec![3, 4]), (b, vec![1, 2, 3])], "c is held whole already");
        assert_eq!(report.audit_forwarded, vec![(a, 2)]);
        assert_eq!(report.audit_failures.len(), 1);
        assert!(report.audit_failures[0].contains(&b.to_string()), "{:?}", report.audit_failures);
    }

    /// A branch of a laptop's log (a laptop restored from a backup) goes after the logs, under
    /// the laptop's id and naming the branch, from where it grew when the district holds none
    /// of it yet.
    #[test]
    fn a_branch_goes_under_its_laptops_id_after_the_logs() {
        let (a, branch) = (Uuid::from_u128(1), Uuid::from_u128(9));
        let fork = AuditFork { id: branch, parent: None, from_seq: 5, from_hash: "ab01".into() };
        let mut block = Block {
            logs: BTreeMap::from([(a, 8), (branch, 7)]),
            forks: BTreeMap::from([(branch, (a, fork))]),
            ..Block::default()
        };
        let mut district =
            District { held: vec![AuditHeld { device: a, through: 6 }], ..District::default() };
        let report = synced(&mut block, &mut district).unwrap();
        assert_eq!(district.got, vec![(a, vec![7, 8]), (a, vec![6, 7])]);
        assert_eq!(district.branches, vec![None, Some(branch)]);
        assert_eq!(report.audit_forwarded, vec![(a, 2), (branch, 2)]);
    }

    #[test]
    fn a_district_out_of_reach_for_the_logs_leaves_them_all_for_the_next_sync_and_the_changes_go() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let waiting = vec![forwarded_change(1), forwarded_change(2)];
        let mut block = Block { waiting, logs: BTreeMap::from([(a, 2), (b, 2)]), ..Block::default() };
        let mut district = District { down: true, ..District::default() };
        let report = synced(&mut block, &mut district).expect("the logs' failure fails nothing else");
        assert_eq!((report.pushed, block.acked), (2, 2), "the changes were forwarded");
        assert_eq!(district.got.len(), 1, "the second log is not tried on a link that failed");
        assert_eq!((report.audit_forwarded, report.audit_failures.len()), (vec![], 1));
    }
}
