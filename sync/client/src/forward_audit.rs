//! A block's forwarding of its laptops' audit logs to its district, last in its sync: for each
//! laptop whose log the block holds further than the district does (as the session said), the
//! entries the district lacks, in order and in batches, under the laptop's own device id. It
//! resumes from where the district stands, so an entry is sent again only when an answer was
//! lost, and the district skips what it holds. A failure here is reported, never returned: the
//! changes of this sync are forwarded already, and the next sync tries the logs again.

use samanvaya_sync_protocol::{AUDIT_BATCH, AuditBatch, AuditHeld, PROTOCOL_VERSION};
use uuid::Uuid;

use crate::link::SyncError;
use crate::plan::Pace;
use crate::run::{Local, Remote, Report, Tuning, retrying};

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
    let mut through = from;
    while through < log.through {
        let entries = local.forwarded_after(log.device, through, AUDIT_BATCH)?;
        let Some(last) = entries.last().map(|e| e.seq) else { break };
        let batch = AuditBatch { protocol: PROTOCOL_VERSION, device: Some(log.device), entries };
        let ack =
            retrying(tuning, report, pace, async |_| link.push_audit(&batch, tuning.request).await).await?;
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

    use chrono::{DateTime, Utc};
    use samanvaya_sync_protocol::bundle::CataloguePiece;
    use samanvaya_sync_protocol::{
        AuditAck, AuditEntry, Change, ChangeResult, Lease, PullReply, PushAck, PushBatch, Refusal,
        RefusalCode, SessionReply,
    };

    use super::*;

    /// A block holding its laptops' logs (only their seqs matter here).
    struct Block {
        logs: BTreeMap<Uuid, i64>,
    }

    impl Local for Block {
        fn pending(&mut self, _: i64, _: usize) -> Result<Vec<Change>, SyncError> {
            unreachable!("only the logs are forwarded here")
        }
        fn acked(&mut self, _: i64, _: &[ChangeResult]) -> Result<(), SyncError> {
            unreachable!()
        }
        fn pulled_through(&mut self) -> Result<i64, SyncError> {
            unreachable!()
        }
        fn apply_pulled(&mut self, _: &PullReply) -> Result<usize, SyncError> {
            unreachable!()
        }
        fn numbers_left(&mut self) -> Result<Vec<(String, i64)>, SyncError> {
            unreachable!()
        }
        fn grant(&mut self, _: &[Lease]) -> Result<(), SyncError> {
            unreachable!()
        }
        fn catalogue_in_use(&mut self) -> Result<Option<(String, DateTime<Utc>)>, SyncError> {
            unreachable!()
        }
        fn install_catalogue(&mut self, _: &[u8]) -> Result<Option<String>, SyncError> {
            unreachable!()
        }
        fn audit_after(&mut self, _: i64, _: usize) -> Result<Vec<AuditEntry>, SyncError> {
            unreachable!()
        }
        fn forwarded_logs(&mut self) -> Result<Vec<AuditHeld>, SyncError> {
            Ok(self.logs.iter().map(|(&device, &through)| AuditHeld { device, through }).collect())
        }
        fn forwarded_after(
            &mut self,
            device: Uuid,
            after: i64,
            limit: usize,
        ) -> Result<Vec<AuditEntry>, SyncError> {
            let last = self.logs[&device];
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

    /// A district that refuses one log, or a link that is down, and notes every batch it gets.
    #[derive(Default)]
    struct District {
        refuses: Option<Uuid>,
        down: bool,
        got: Vec<(Uuid, Vec<i64>)>,
    }

    impl Remote for District {
        async fn session(&mut self, _: Vec<(String, i64)>, _: Duration) -> Result<SessionReply, SyncError> {
            unreachable!()
        }
        async fn push(&mut self, _: &PushBatch, _: Duration) -> Result<PushAck, SyncError> {
            unreachable!()
        }
        async fn pull(&mut self, _: i64, _: Duration) -> Result<PullReply, SyncError> {
            unreachable!()
        }
        async fn catalogue_piece(
            &mut self,
            _: &str,
            _: u64,
            _: Duration,
        ) -> Result<CataloguePiece, SyncError> {
            unreachable!()
        }
        async fn push_audit(&mut self, batch: &AuditBatch, _: Duration) -> Result<AuditAck, SyncError> {
            let device = batch.device.expect("a forwarded batch names its laptop");
            self.got.push((device, batch.entries.iter().map(|e| e.seq).collect()));
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

    fn forwarded(block: &mut Block, district: &mut District, held: &[AuditHeld]) -> Report {
        let tuning = Tuning { retries: 0, ..Tuning::default() };
        let (mut report, mut pace) = (Report::default(), Pace::default());
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(forward(block, district, held, tuning, &mut report, &mut pace));
        report
    }

    #[test]
    fn each_log_resumes_where_the_district_holds_it_and_a_refused_log_stops_no_other() {
        let (a, b, c) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let mut block = Block { logs: BTreeMap::from([(a, 4), (b, 3), (c, 2)]) };
        let mut district = District { refuses: Some(b), ..District::default() };
        let held = [AuditHeld { device: a, through: 2 }, AuditHeld { device: c, through: 2 }];
        let report = forwarded(&mut block, &mut district, &held);
        assert_eq!(district.got, vec![(a, vec![3, 4]), (b, vec![1, 2, 3])], "c is held whole already");
        assert_eq!(report.audit_forwarded, vec![(a, 2)]);
        assert_eq!(report.audit_failures.len(), 1);
        assert!(report.audit_failures[0].contains(&b.to_string()), "{:?}", report.audit_failures);
    }

    #[test]
    fn a_link_that_is_down_leaves_every_log_for_the_next_sync() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut block = Block { logs: BTreeMap::from([(a, 2), (b, 2)]) };
        let mut district = District { down: true, ..District::default() };
        let report = forwarded(&mut block, &mut district, &[]);
        assert_eq!(district.got.len(), 1, "the second log is not tried on a link that failed");
        assert_eq!((report.audit_forwarded, report.audit_failures.len()), (vec![], 1));
    }
}
