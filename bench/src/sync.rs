//! `sync-bench`: how fast a server stores what is pushed to it, and how many bytes a household
//! costs on the wire. Numbers and commands are in docs/benchmarks.md ("Sync") and docs/scale.md.
//!
//! Ingest: a district store (SQLite in a temporary folder, or PostgreSQL with `--postgres`)
//! receives, from enrolled block devices, batches cut as the client cuts them (at most
//! `MAX_BATCH_BYTES` of changes each) of generated households as laptops record them: the
//! household's record, its members field by field, and their facts, each change with its origin
//! laptop and clock. Each block's batches are made as they are sent, one block after the other,
//! and only the pushes are timed, in the process, through `Store::push` (each batch one
//! transaction, acknowledged after commit): HTTP, TLS and the batch's compression are not in the
//! figure. Wire size: every batch is sealed as the client seals it (zstd at the protocol's level,
//! with its digest), and compared with the same changes compressed in one piece at zstd's level 19.
//!
//! `--day N`: the wire size of a facilitator's day instead, recorded into a real laptop store
//! through `Store` (`day.rs`: N families registered and surveyed, referrals opened with their
//! steps), read back from its change log as `samanvaya sync` reads it, and measured part by
//! part (registrations, surveys, referrals) and whole.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use clap::Parser;
use samanvaya_domain::change::{
    Change as Typed, ChangeBody, FactChange, HouseholdChange, HouseholdField, MemberChange, MemberField,
    Source,
};
use samanvaya_domain::{Hlc, HouseholdId, LocationId, PersonId, Relation, Sex};
use samanvaya_server::Store as Server;
use samanvaya_server::enroll::Caller;
use samanvaya_sync_protocol::{
    Applicant, Change, DeviceKind, EnrollRequest, Origin, PROTOCOL_VERSION, PushBatch, Role, body,
};
use uuid::Uuid;

#[derive(Parser)]
struct Args {
    /// Households to push (each is 11 changes: its record, 4 members, 6 facts).
    #[arg(long, default_value_t = 20_000)]
    households: usize,
    /// Laptops the households come from, and blocks that forward them.
    #[arg(long, default_value_t = 200)]
    laptops: usize,
    #[arg(long, default_value_t = 4)]
    blocks: usize,
    /// The most bytes of changes (before compression) a batch holds; the client's default.
    #[arg(long, default_value_t = samanvaya_sync_protocol::MAX_BATCH_BYTES)]
    batch_bytes: usize,
    /// Leave out the ingest (the wire sizes only).
    #[arg(long)]
    wire_only: bool,
    /// Leave out the wire sizes (compressing a large run at level 19 takes long).
    #[arg(long)]
    ingest_only: bool,
    /// A PostgreSQL server (`host=… user=…`, no database): the district is a new database on it.
    #[arg(long)]
    postgres: Option<String>,
    /// Measure the wire size of a day's work recorded in a real laptop store instead: this many
    /// families registered and surveyed (and `--referrals` referrals); nothing else is run.
    #[arg(long)]
    day: Option<usize>,
    /// Train the protocol's zstd dictionary on a day of other families (`--day` of them, 50
    /// by default) and write it here; nothing else is run.
    #[arg(long)]
    train_dictionary: Option<std::path::PathBuf>,
    /// The referrals of `--day`.
    #[arg(long, default_value_t = 20)]
    referrals: usize,
}

const FINGERPRINT: &str = "benchmark";

/// What the generated laptops have made so far: their ids, villages, and numbers for changes.
struct Made {
    laptops: Vec<Uuid>,
    villages: Vec<LocationId>,
    laptop_seq: Vec<i64>,
    wall_ms: i64,
}

impl Made {
    /// Household `n` as its laptop (`n` modulo the laptops) sends it in a block's stream whose
    /// next seq is `next`.
    fn household(&mut self, n: usize, next: i64) -> Vec<Change> {
        let l = n % self.laptops.len();
        let typed = household(n, self.laptops[l], self.villages[l], &mut self.wall_ms);
        typed
            .into_iter()
            .enumerate()
            .map(|(i, change)| {
                self.laptop_seq[l] += 1;
                Change {
                    seq: next + i as i64,
                    origin: Origin { device: self.laptops[l], seq: self.laptop_seq[l] },
                    recorded_at: Utc::now(),
                    change,
                    seen_at_sender: Default::default(),
                }
            })
            .collect()
    }
}

/// A block's stream of batches, made as they are asked for: the households of its laptops
/// (laptop `l` forwards through block `l` modulo the blocks) in the order they were recorded,
/// cut as the client cuts them. The last, possibly short, batch of what is made is held back
/// until more is made, so the batches are the ones the whole stream would be cut into.
struct BlockStream {
    /// The block's laptops.
    laptops: Vec<usize>,
    /// The next round of households (household `round * laptops + l` for each laptop `l`).
    round: usize,
    households: usize,
    all_laptops: usize,
    held: Vec<Change>,
    ready: std::collections::VecDeque<PushBatch>,
    next_seq: i64,
}

/// How many households a block makes at a time.
const MAKE_AT_ONCE: usize = 100;

impl BlockStream {
    fn new(b: usize, args: &Args) -> BlockStream {
        BlockStream {
            laptops: (b..args.laptops).step_by(args.blocks).collect(),
            round: 0,
            households: args.households,
            all_laptops: args.laptops,
            held: Vec::new(),
            ready: Default::default(),
            next_seq: 1,
        }
    }

    fn next(&mut self, made: &mut Made, batch_bytes: usize) -> Option<PushBatch> {
        while self.ready.is_empty() {
            let mut fresh = 0;
            let mut done = false;
            while fresh < MAKE_AT_ONCE && !done {
                for &l in &self.laptops {
                    let n = self.round * self.all_laptops + l;
                    if n >= self.households {
                        done = true;
                        break;
                    }
                    let changes = made.household(n, self.next_seq);
                    self.next_seq += changes.len() as i64;
                    self.held.extend(changes);
                    fresh += 1;
                }
                self.round += 1;
            }
            if self.held.is_empty() {
                return None;
            }
            let mut ranges = samanvaya_sync_client::plan::batches(&self.held, batch_bytes);
            if !done {
                // The last batch may grow with what is made next.
                ranges.pop();
            }
            let Some(end) = ranges.last().map(|r| r.end) else { continue };
            let rest = self.held.split_off(end);
            let cut = std::mem::replace(&mut self.held, rest);
            for r in ranges {
                self.ready.push_back(PushBatch {
                    after: None,
                    protocol: PROTOCOL_VERSION,
                    pulled_through: 0,
                    changes: cut[r].to_vec(),
                });
            }
        }
        self.ready.pop_front()
    }
}

mod day_wire;

/// The changes one laptop sends for household `n`: its record, four members, six facts.
fn household(n: usize, laptop: Uuid, village: LocationId, wall_ms: &mut i64) -> Vec<Typed> {
    let mut at = || {
        *wall_ms += 1;
        Hlc { wall_ms: *wall_ms, counter: 0, node: laptop }
    };
    let hid = HouseholdId(Uuid::now_v7());
    let mut out = vec![Typed::new(
        at(),
        ChangeBody::Household(HouseholdChange {
            id: hid,
            village_id: village,
            created_at: Utc::now(),
            fields: vec![
                HouseholdField::Number(Some(n as i64 + 1)),
                HouseholdField::HamletId(None),
                HouseholdField::Address(format!("वार्ड नं. {}, पूर्वी टोला", n % 12 + 1)),
                HouseholdField::Phone(String::new()),
            ],
        }),
    )];
    let people = [
        ("सुनीता देवी", Relation::Head, Sex::Female, 1976),
        ("रामेश्वर यादव", Relation::Spouse, Sex::Male, 1972),
        ("पूजा कुमारी", Relation::Daughter, Sex::Female, 2008),
        ("अजय कुमार", Relation::Son, Sex::Male, 2012),
    ];
    let mut members = Vec::new();
    for (i, (name, relation, sex, year)) in people.into_iter().enumerate() {
        let pid = PersonId(Uuid::now_v7());
        members.push(pid);
        out.push(Typed::new(
            at(),
            ChangeBody::Member(MemberChange {
                id: pid,
                household_id: hid,
                fields: vec![
                    MemberField::Position(i as u32),
                    MemberField::Name(format!("{name} {n}")),
                    MemberField::Relation(relation),
                    MemberField::Sex(sex),
                    MemberField::BirthDate(NaiveDate::from_ymd_opt(year, 1 + (n % 12) as u32, 15)),
                    MemberField::BirthDateEstimated(false),
                ],
            }),
        ));
    }
    let facts: [(Option<PersonId>, &str, serde_json::Value); 6] = [
        (None, "household.bpl_status", serde_json::json!("bpl")),
        (None, "household.ration_card_type", serde_json::json!("phh")),
        (Some(members[0]), "person.marital_status", serde_json::json!("married")),
        (Some(members[0]), "person.caste_category", serde_json::json!("obc")),
        (Some(members[0]), "person.has_bank_account", serde_json::json!(true)),
        (Some(members[2]), "person.school_enrolled", serde_json::json!(true)),
    ];
    for (subject, name, value) in facts {
        out.push(Typed::new(
            at(),
            ChangeBody::Fact(FactChange {
                household_id: hid,
                subject_id: subject.map_or_else(|| hid.to_string(), |p| p.to_string()),
                name: name.into(),
                value: Some(value),
                source: Source::Survey,
            }),
        ));
    }
    out
}

/// The name of this run's district database on a PostgreSQL server.
fn scratch_name() -> String {
    format!("sync_bench_{}", std::process::id())
}

fn admin(server: &str) -> Result<postgres::Client> {
    postgres::Client::connect(&format!("{server} dbname=postgres"), postgres::NoTls)
        .with_context(|| format!("cannot reach PostgreSQL at {server}"))
}

/// A district database of its own on the PostgreSQL server `server`.
fn scratch_database(server: &str) -> Result<String> {
    let name = scratch_name();
    let mut admin = admin(server)?;
    // One statement each: PostgreSQL creates a database outside any transaction.
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
    admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(format!("{server} dbname={name}"))
}

/// Says how large the run's database grew, then drops it: a state-sized run leaves gigabytes.
fn drop_scratch_database(server: &str) -> Result<()> {
    let name = scratch_name();
    let mut admin = admin(server)?;
    let size: String = admin.query_one("SELECT pg_size_pretty(pg_database_size($1))", &[&name])?.get(0);
    // Where the bytes went, for the tables that hold most of them: what PostgreSQL writes per
    // change is what its ingest costs past the server's own work.
    // A failure to read them still drops the database, which may hold gigabytes.
    let tables = || -> Result<Vec<String>> {
        let mut district = postgres::Client::connect(&format!("{server} dbname={name}"), postgres::NoTls)?;
        let rows = district.query(
            "SELECT relname || ' ' || pg_size_pretty(pg_total_relation_size(oid))
             FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
             ORDER BY pg_total_relation_size(oid) DESC LIMIT 5",
            &[],
        )?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    };
    let tables = tables().map_or_else(|e| format!("tables not read: {e}"), |t| t.join(", "));
    println!("the district database held {size} ({tables}); dropped");
    admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))?;
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Some(out) = &args.train_dictionary {
        return day_wire::train(out, args.day.unwrap_or(50), args.referrals);
    }
    if let Some(families) = args.day {
        return day_wire::run(families, args.referrals, args.batch_bytes);
    }
    let dir = tempfile::tempdir()?;
    let mut district = match &args.postgres {
        Some(server) => Server::postgres(&scratch_database(server)?, Role::District, Utc::now())?,
        None => Server::sqlite(dir.path(), Role::District, Utc::now())?,
    };
    let backend = if args.postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    // The blocks enroll with the district, as a block does on its first start.
    let mut callers = Vec::new();
    for b in 0..args.blocks {
        let code = district.new_code(DeviceKind::Block, &format!("block {b}"), Utc::now())?;
        let device = Uuid::now_v7();
        let applicant =
            Applicant { device, kind: DeviceKind::Block, name: format!("block {b}"), villages: vec![] };
        district.enroll(&EnrollRequest::new(&code, FINGERPRINT, applicant), FINGERPRINT, Utc::now())?;
        callers.push(Caller { device, kind: DeviceKind::Block });
    }
    let laptops: Vec<Uuid> = (0..args.laptops).map(|_| Uuid::now_v7()).collect();
    let villages: Vec<LocationId> = (0..args.laptops).map(|_| LocationId(Uuid::now_v7())).collect();
    let mut made = Made {
        laptops,
        villages,
        laptop_seq: vec![0; args.laptops],
        wall_ms: Utc::now().timestamp_millis() - 86_400_000,
    };

    if !args.ingest_only {
        // Bytes on the wire: every batch sealed as the client seals it, against all of it at once
        // with zstd's level 19. This keeps every change in memory: for small runs only.
        let mut streams: Vec<Vec<Change>> = vec![Vec::new(); args.blocks];
        for n in 0..args.households {
            let b = (n % args.laptops) % args.blocks;
            let next = streams[b].len() as i64 + 1;
            streams[b].extend(made.household(n, next));
        }
        let sealed = streams
            .iter()
            .flat_map(|stream| {
                samanvaya_sync_client::plan::batches(stream, args.batch_bytes).into_iter().map(|range| {
                    body::seal(&PushBatch {
                        after: None,
                        protocol: PROTOCOL_VERSION,
                        pulled_through: 0,
                        changes: stream[range].to_vec(),
                    })
                    .map(|(bytes, _)| bytes.len())
                })
            })
            .collect::<Result<Vec<usize>, _>>()?;
        let all: Vec<&Change> = streams.iter().flatten().collect();
        let json = serde_json::to_vec(&all)?;
        let best = zstd::bulk::compress(&json, 19)?.len();
        let total: usize = sealed.iter().sum();
        println!(
            "wire: {} households, {} changes in {} batches: {total} bytes sealed ({:.0} per household), \
             {best} bytes as one zstd-19 piece ({:.0} per household): {:.2}x; uncompressed JSON {} bytes",
            args.households,
            all.len(),
            sealed.len(),
            total as f64 / args.households as f64,
            best as f64 / args.households as f64,
            total as f64 / best as f64,
            json.len()
        );
    }
    if args.wire_only {
        return Ok(());
    }
    // Ingest: the blocks' batches interleaved as they would arrive, one from each block in turn.
    // Each block's batches are made as they are sent (a run of 3 million changes would not fit in
    // memory at once), and only the pushes are timed.
    let mut blocks: Vec<BlockStream> = (0..args.blocks).map(|b| BlockStream::new(b, &args)).collect();
    let mut pushing = Duration::ZERO;
    let (mut changes, mut pushes) = (0usize, 0usize);
    loop {
        let mut sent = false;
        for (b, block) in blocks.iter_mut().enumerate() {
            let Some(batch) = block.next(&mut made, args.batch_bytes) else { continue };
            sent = true;
            let start = Instant::now();
            let ack = district.push(&callers[b], &batch, Utc::now())?;
            pushing += start.elapsed();
            anyhow::ensure!(ack.results.len() == batch.changes.len(), "every change answered");
            changes += batch.changes.len();
            pushes += 1;
        }
        if !sent {
            break;
        }
    }
    println!(
        "ingest on {backend}: {changes} changes from {} laptops in {pushes} pushes of {} blocks, {:.1?} pushing: {:.0} changes per second",
        args.laptops,
        args.blocks,
        pushing,
        changes as f64 / pushing.as_secs_f64()
    );
    if let Some(server) = &args.postgres {
        drop(district);
        drop_scratch_database(server)?;
    }
    Ok(())
}
