//! Crash safety: a writer process is killed mid-write hundreds of times; afterwards the database
//! is intact, every household has all its members and its changes, and every household the
//! writer saw committed is still there.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILLS: u32 = 200;

#[test]
fn killing_the_writer_mid_write_never_loses_or_half_writes_a_household() {
    fn seed_store(dir: &std::path::Path) {
        let mut store = samanvaya_tests::open(dir).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    seed_store(dir.path());
    let writer = env!("CARGO_BIN_EXE_stress-writer");

    // Every household the writer reported as committed, with its member count.
    let mut committed: HashMap<String, i64> = HashMap::new();
    let mut kills_after_commits = 0;
    for i in 0..KILLS {
        let mut child = Command::new(writer)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Vary the moment of the kill so it lands in every phase: opening (one run in eight, while
        // the key is derived and the keyring rewritten), mid-transaction, commit.
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        if i % 8 != 0 {
            out.read_line(&mut ready).unwrap();
            assert_eq!(ready, "ready\n", "the writer opened the store");
        }
        let delay = Duration::from_micros(2_000 + u64::from(i * 7919 % 60_000));
        let started = Instant::now();
        while started.elapsed() < delay {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            panic!("the writer stopped by itself ({status}) before it was killed: {err}");
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        let out = ready + &rest;
        // Only whole lines were reported; a line cut by the kill is not a report.
        let whole = out.rsplit_once('\n').map_or("", |(whole, _)| whole);
        let before = committed.len();
        for line in whole.lines().filter(|l| *l != "ready") {
            let (id, count) = line.split_once(' ').unwrap();
            committed.insert(id.to_owned(), count.parse().unwrap());
        }
        if committed.len() > before {
            kills_after_commits += 1;
        }
    }
    assert!(
        kills_after_commits > KILLS / 2,
        "most runs should commit something before the kill, got {kills_after_commits}"
    );

    let store = samanvaya_tests::open(dir.path()).unwrap();
    let conn = store.connection();
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(integrity, "ok");
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM household h
             WHERE NOT EXISTS (SELECT 1 FROM person p WHERE p.household_id = h.id)
                OR NOT EXISTS (SELECT 1 FROM change_log c
                               WHERE c.kind = 'household' AND c.household_id = h.id)
                OR (SELECT count(*) FROM person p WHERE p.household_id = h.id)
                   <> (SELECT count(*) FROM change_log c WHERE c.kind = 'member' AND c.household_id = h.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "households without members, or without the changes of their record and members");
    let stray: i64 = conn
        .query_row(
            "SELECT count(*) FROM change_log c WHERE NOT EXISTS (SELECT 1 FROM household h WHERE h.id = c.household_id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(stray, 0, "changes of households that were never saved");
    let gaps: i64 = conn
        .query_row("SELECT max(device_seq) - count(*) FROM change_log WHERE origin = 'local'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(gaps, 0, "the device's change numbers have no gaps");
    let mut members = conn.prepare("SELECT count(*) FROM person WHERE household_id = ?1").unwrap();
    for (id, count) in &committed {
        let stored: i64 = members.query_row([id], |r| r.get(0)).unwrap();
        assert_eq!(stored, *count, "household {id} was reported committed with {count} members");
    }
}
