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
        let late = link.late_answer();
        let ack = retrying("forwarded audit", tuning, report, pace, late.as_deref(), async |pace| {
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

    use samanvaya_sync_protocol::AuditFork;

    use super::*;
    use crate::test_ends::{Block, District, forwarded_change, synced};

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
