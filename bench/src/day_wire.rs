//! `sync-bench --day`: the bytes a facilitator's day costs on the wire, part by part. The day is
//! recorded into a real laptop store (`samanvaya_bench::day`) and read back from its change log
//! as the laptop's sync reads it; each part is cut into batches and sealed exactly as the client
//! does, and compared with the same changes compressed in one piece at zstd's level 19.
//!
//! `sync-bench --train-dictionary FILE` makes the protocol's zstd dictionary
//! (`sync/protocol/dictionary/`) the same way from another day: other families (the demo
//! generator's seed 2, where the measured day has seed 1), each change and each audit entry one
//! sample, so that the dictionary holds what every day repeats (the field names, fact names and
//! codes) and none of the measured day's ids.

use std::ops::Range;
use std::path::Path;

use anyhow::Result;
use samanvaya_bench::day::{self, Families, PIN};
use samanvaya_core::{Enrollment, Secret, Store};
use samanvaya_domain::audit::AuditEntry;
use samanvaya_sync_protocol::{AUDIT_BATCH, AuditBatch, Change, Origin, PROTOCOL_VERSION, PushBatch, body};

/// One part's figures.
struct Part {
    changes: usize,
    json: usize,
    batches: usize,
    sealed: usize,
    best: usize,
}

/// `changes` sealed as the client seals them (cut at `batch_bytes` of JSON), and as one zstd-19
/// piece.
fn measure(changes: &[Change], batch_bytes: usize) -> Result<Part> {
    let cuts = samanvaya_sync_client::plan::batches(changes, batch_bytes);
    let mut sealed = 0;
    for range in &cuts {
        let batch = PushBatch {
            after: None,
            protocol: PROTOCOL_VERSION,
            pulled_through: 0,
            changes: changes[range.clone()].to_vec(),
        };
        sealed += body::seal(&batch)?.0.len();
    }
    let json = serde_json::to_vec(changes)?;
    let best = zstd::bulk::compress(&json, 19)?.len();
    Ok(Part { changes: changes.len(), json: json.len(), batches: cuts.len(), sealed, best })
}

fn slice(all: &[Change], seqs: &Range<i64>) -> Vec<Change> {
    all.iter().filter(|c| seqs.contains(&c.seq)).cloned().collect()
}

/// What a recorded day left to send: its changes as the sync reads them, and its audit log.
struct Day {
    recorded: day::Recorded,
    changes: Vec<Change>,
    audit: Vec<AuditEntry>,
    _dir: tempfile::TempDir,
}

/// A day of `families` of the demo generator's `seed`, and `referrals`, recorded into a laptop
/// store enrolled with a block that is never reached, so that households and referrals take
/// their numbers from the block's leases ("R-…"), as on an enrolled laptop.
fn record(seed: u64, families: usize, referrals: usize) -> Result<Day> {
    let dir = tempfile::tempdir()?;
    let (mut store, _) = Store::create(dir.path(), "Benchmark", &Secret::new(PIN))?;
    let village = Families::generate_from(seed, families)?;
    let at = store.now()?;
    store.save_enrollment(
        &Enrollment {
            url: "https://block.invalid".into(),
            server_id: uuid::Uuid::now_v7(),
            role: "laptop".into(),
            secret: "benchmark".into(),
            certificate: None,
            enrolled_at: at.utc,
        },
        &[("household".into(), 1, 100_000), ("referral".into(), 1, 100_000)],
        &village.places(),
    )?;
    store.add_places(&village.overview.hamlets, &[])?;
    let recorded = day::record(&mut store, &village, referrals)?;
    let device = store.device_id()?;
    let changes = store
        .queued_after(0, u32::MAX)?
        .into_iter()
        .map(|q| Change {
            seq: q.device_seq,
            origin: Origin { device, seq: q.device_seq },
            recorded_at: q.recorded_at,
            change: q.change,
            seen_at_sender: Default::default(),
        })
        .collect();
    let audit = store.audit_after(0, usize::MAX)?;
    Ok(Day { recorded, changes, audit, _dir: dir })
}

/// Trains the protocol's dictionary on a day of other families and writes it to `out`.
pub fn train(out: &Path, families: usize, referrals: usize) -> Result<()> {
    let day = record(2, families, referrals)?;
    let mut samples: Vec<Vec<u8>> = Vec::new();
    for c in &day.changes {
        samples.push(serde_json::to_vec(c)?);
    }
    for e in AuditBatch::of(None, day.audit).entries {
        samples.push(serde_json::to_vec(&e)?);
    }
    let dictionary = zstd::dict::from_samples(&samples, DICTIONARY_BYTES)?;
    std::fs::write(out, &dictionary)?;
    println!(
        "{} bytes of dictionary from {} samples ({} changes and the audit entries of {} families and {} referrals, seed 2) written to {}",
        dictionary.len(),
        samples.len(),
        day.changes.len(),
        day.recorded.households,
        day.recorded.referrals,
        out.display()
    );
    Ok(())
}

/// The dictionary's size: zstd's default, enough for the vocabulary's names and a change's shape.
const DICTIONARY_BYTES: usize = 110 * 1024;

pub fn run(families: usize, referrals: usize, batch_bytes: usize) -> Result<()> {
    let Day { recorded: day, changes: all, audit, _dir } = record(1, families, referrals)?;
    println!(
        "a day: {} families registered and surveyed, {} referrals; batches of {batch_bytes} bytes of JSON",
        day.households, day.referrals
    );
    println!("| part | changes | JSON | batches | sealed (per item) | zstd-19 at once (per item) | ratio |");
    println!("|---|---|---|---|---|---|---|");
    let parts = [
        ("registrations (per household)", slice(&all, &day.registered), day.households),
        ("surveys (per survey)", slice(&all, &day.surveyed), day.households),
        ("referrals and their steps (per referral)", slice(&all, &day.referred), day.referrals),
        ("the whole day, as pushed (per survey)", all.clone(), day.households),
    ];
    for (what, changes, items) in parts {
        let p = measure(&changes, batch_bytes)?;
        let per = |bytes: usize| bytes as f64 / items.max(1) as f64;
        println!(
            "| {what} | {} | {} | {} | {} ({:.0}) | {} ({:.0}) | {:.2}× |",
            p.changes,
            p.json,
            p.batches,
            p.sealed,
            per(p.sealed),
            p.best,
            per(p.best),
            p.sealed as f64 / p.best as f64
        );
    }
    // The audit log goes after the changes, in batches of `AUDIT_BATCH` entries, each carrying
    // only its last hash; compared with every entry, hashes and all, at once.
    let mut sealed = 0;
    let cuts: Vec<&[AuditEntry]> = audit.chunks(AUDIT_BATCH).collect();
    for entries in &cuts {
        sealed += body::seal(&AuditBatch::of(None, entries.to_vec()))?.0.len();
    }
    let json = serde_json::to_vec(&audit)?;
    let best = zstd::bulk::compress(&json, 19)?.len();
    let per = |bytes: usize| bytes as f64 / day.households.max(1) as f64;
    println!(
        "| the audit log (per survey) | {} entries | {} | {} | {sealed} ({:.0}) | {best} ({:.0}) | {:.2}× |",
        audit.len(),
        json.len(),
        cuts.len(),
        per(sealed),
        per(best),
        sealed as f64 / best as f64
    );
    Ok(())
}
