//! Applies the embedded, append-only migrations of a SQLite database (the laptop's store or a
//! server's) and guards against edited or newer ones. Behind the `sqlite` feature, so that the
//! pure crates that read the catalogue from here never link SQLite.

use rusqlite::{Connection, params};

use crate::Migration;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    #[error("the database was written by a newer version (schema {found}, this build knows {known})")]
    Newer { found: u32, known: u32 },
    #[error("shipped migration {version} ({name}) was edited")]
    Edited { version: u32, name: &'static str },
}

/// Brings the database to the latest embedded version, one transaction per migration.
///
/// The text of each applied migration is recorded; if an embedded migration's text differs from
/// the record, someone edited a shipped migration and the store refuses to open rather than
/// guess. A database from a newer app version is refused too, so an old app never damages it.
pub fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<(), MigrateError> {
    run_reporting(conn, migrations, &mut |_, _| {})
}

/// As [`run`], calling `upgrading(done, total)` before each migration and once at the end when a
/// database that holds data from an earlier version is brought up to date: that may take
/// seconds on a big store, and the person waiting should see it move. A new, empty database is
/// set up without reports.
pub fn run_reporting(
    conn: &mut Connection,
    migrations: &[Migration],
    upgrading: &mut dyn FnMut(u32, u32),
) -> Result<(), MigrateError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             sql        TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
         ) STRICT;",
    )?;
    let applied: Vec<(u32, String)> = {
        let mut stmt = conn.prepare("SELECT version, sql FROM schema_migration ORDER BY version")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?
    };
    if let Some((newest, _)) = applied.last()
        && *newest as usize > migrations.len()
    {
        return Err(MigrateError::Newer { found: *newest, known: migrations.len() as u32 });
    }
    for (version, sql) in &applied {
        let embedded = &migrations[*version as usize - 1];
        if embedded.sql != sql {
            return Err(MigrateError::Edited { version: *version, name: embedded.name });
        }
    }
    let pending = &migrations[applied.len()..];
    let report = !applied.is_empty() && !pending.is_empty();
    let total = pending.len() as u32;
    for (done, m) in pending.iter().enumerate() {
        if report {
            upgrading(done as u32, total);
        }
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migration (version, name, sql) VALUES (?1, ?2, ?3)",
            params![m.version, m.name, m.sql],
        )?;
        tx.pragma_update(None, "user_version", m.version)?;
        tx.commit()?;
    }
    if report {
        upgrading(total, total);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Migration = Migration { version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);" };
    const V2: Migration = Migration { version: 2, name: "two", sql: "CREATE TABLE b (y INTEGER);" };

    #[test]
    fn applies_new_migrations_in_order_and_only_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &[V1]).unwrap();
        run(&mut conn, &[V1, V2]).unwrap();
        run(&mut conn, &[V1, V2]).unwrap();
        let v: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, 2);
    }

    #[test]
    fn an_upgrade_reports_each_step_and_a_new_database_none() {
        const V3: Migration = Migration { version: 3, name: "three", sql: "CREATE TABLE c (z INTEGER);" };
        let mut conn = Connection::open_in_memory().unwrap();
        let mut seen = Vec::new();
        run_reporting(&mut conn, &[V1], &mut |done, total| seen.push((done, total))).unwrap();
        assert_eq!(seen, [], "a new database is set up, not upgraded");
        run_reporting(&mut conn, &[V1, V2, V3], &mut |done, total| seen.push((done, total))).unwrap();
        assert_eq!(seen, [(0, 2), (1, 2), (2, 2)]);
        seen.clear();
        run_reporting(&mut conn, &[V1, V2, V3], &mut |done, total| seen.push((done, total))).unwrap();
        assert_eq!(seen, [], "nothing to do, nothing said");
    }

    #[test]
    fn refuses_an_edited_migration_and_a_newer_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &[V1, V2]).unwrap();
        let edited = Migration { sql: "CREATE TABLE a (x TEXT);", ..V1 };
        assert!(matches!(run(&mut conn, &[edited, V2]), Err(MigrateError::Edited { version: 1, .. })));
        assert!(matches!(run(&mut conn, &[V1]), Err(MigrateError::Newer { found: 2, known: 1 })));
    }

    #[test]
    fn a_failing_migration_leaves_nothing_half_applied() {
        let mut conn = Connection::open_in_memory().unwrap();
        let bad = Migration { version: 2, name: "bad", sql: "CREATE TABLE c (z); SELECT nonsense;" };
        assert!(run(&mut conn, &[V1, bad]).is_err());
        let tables: i64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name = 'c'", [], |r| r.get(0)).unwrap();
        assert_eq!(tables, 0);
        run(&mut conn, &[V1, V2]).unwrap();
    }

    /// Migration 0024 turns each text reading into integers and numbers with nothing lost: the
    /// wall time, the counter, the device, the record (16 bytes for an id the app writes, its
    /// text otherwise) and the field.
    #[test]
    fn the_field_clocks_keep_every_reading_when_made_compact() {
        let mut conn = Connection::open_in_memory().unwrap();
        let before = &crate::LOCAL_MIGRATIONS[..23];
        assert_eq!(before.last().unwrap().version, 23);
        run(&mut conn, before).unwrap();
        let node_a = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        let node_b = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c";
        let person = "0190ffff-0000-7000-8000-000000000001";
        let rows = [
            (person, "name", format!("{:020}-{:010}-{node_a}", 1_764_000_000_123i64, 0)),
            (person, "fact:pregnant", format!("{:020}-{:010}-{node_b}", 1_764_000_000_456i64, 7)),
            // Not an id the app writes (upper case): kept as its text.
            (
                "0190FFFF-0000-7000-8000-000000000001",
                "name",
                format!("{:020}-{:010}-{node_a}", 5i64, 4_000_000_000u32),
            ),
            ("household-note", "address", format!("{:020}-{:010}-{node_b}", 0i64, 0)),
        ];
        for (record, field, hlc) in &rows {
            conn.execute(
                "INSERT INTO field_clock (record, field, hlc) VALUES (?1, ?2, ?3)",
                params![record, field, hlc],
            )
            .unwrap();
        }
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        let mut read = conn
            .prepare(
                "SELECT typeof(f.record), CASE typeof(f.record) WHEN 'blob' THEN lower(hex(f.record)) ELSE f.record END,
                        c.name, f.wall, f.counter, lower(hex(n.node))
                 FROM field_clock f JOIN clock_field c ON c.id = f.field JOIN clock_node n ON n.id = f.node
                 ORDER BY c.name, f.wall",
            )
            .unwrap();
        let got: Vec<(String, String, String, i64, i64, String)> = read
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let hex = |id: &str| id.replace('-', "");
        let want = vec![
            ("text".to_owned(), "household-note".to_owned(), "address".to_owned(), 0, 0, hex(node_b)),
            ("blob".to_owned(), hex(person), "fact:pregnant".to_owned(), 1_764_000_000_456, 7, hex(node_b)),
            (
                "text".to_owned(),
                "0190FFFF-0000-7000-8000-000000000001".to_owned(),
                "name".to_owned(),
                5,
                4_000_000_000,
                hex(node_a),
            ),
            ("blob".to_owned(), hex(person), "name".to_owned(), 1_764_000_000_123, 0, hex(node_a)),
        ];
        assert_eq!(got, want);
        let nodes: i64 = conn.query_row("SELECT count(*) FROM clock_node", [], |r| r.get(0)).unwrap();
        assert_eq!(nodes, 2, "each device numbered once");
    }

    /// Migration 0025 keeps each audit row's text recoverable: a moment the app wrote becomes
    /// its nanoseconds (`core/src/audit.rs` turns these same numbers back into these texts), any
    /// other text stays; accounts and actions become numbers; an id becomes its 16 bytes. Then
    /// 0028 keeps the hashes of checkpoints and of the newest entry only.
    #[test]
    fn the_audit_log_keeps_every_text_when_made_compact() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..24]).unwrap();
        let household = "0190ffff-0000-7000-8000-000000000001";
        let rows = [
            ("2026-12-01T05:00:00+00:00", "Asha", "change:household", household),
            ("2026-12-01T05:00:00.120+00:00", "Asha", "change:fact", household),
            ("2026-12-01T05:00:00.123456+00:00", "(system)", "backup", "usb"),
            ("2026-12-01T05:00:00.123456789+00:00", "Asha", "change:fact", household),
            ("2026-12-01T05:00:00Z", "Asha", "export:worklist", "0190FFFF-0000-7000-8000-000000000001"),
            ("2026-12-01T05:00:00.1200+00:00", "Asha", "export:worklist", ""),
        ];
        for (i, (at, who, action, detail)) in rows.iter().enumerate() {
            conn.execute(
                "INSERT INTO audit (seq, at, who, action, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![i as i64 + 1, at, who, action, detail, vec![i as u8; 32]],
            )
            .unwrap();
        }
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        // Each row as (moment, account, action, detail, seq, hash), typed as kept.
        type Row = (String, String, String, String, String, Option<Vec<u8>>);
        let got: Vec<Row> = conn
            .prepare(
                "SELECT typeof(a.at) || ':' || a.at, w.text, x.text,
                        typeof(a.detail) || ':' || CASE typeof(a.detail) WHEN 'blob' THEN lower(hex(a.detail)) ELSE a.detail END,
                        a.seq, a.hash
                 FROM audit a JOIN audit_name w ON w.id = a.who JOIN audit_name x ON x.id = a.action ORDER BY a.seq",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?.to_string(), r.get(5)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let blob = format!("blob:{}", household.replace('-', ""));
        let want = [
            ("integer:1796101200000000000", "Asha", "change:household", blob.as_str()),
            ("integer:1796101200120000000", "Asha", "change:fact", blob.as_str()),
            ("integer:1796101200123456000", "(system)", "backup", "text:usb"),
            ("integer:1796101200123456789", "Asha", "change:fact", blob.as_str()),
            (
                "text:2026-12-01T05:00:00Z",
                "Asha",
                "export:worklist",
                "text:0190FFFF-0000-7000-8000-000000000001",
            ),
            ("text:2026-12-01T05:00:00.1200+00:00", "Asha", "export:worklist", "text:"),
        ];
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!((g.0.as_str(), g.1.as_str(), g.2.as_str(), g.3.as_str()), w, "row {}", i + 1);
            // Migration 0028 keeps a hash only every 64th entry, and the newest one's apart.
            assert_eq!(g.5, None, "row {}: no checkpoint yet", i + 1);
        }
        let head: (i64, Vec<u8>) =
            conn.query_row("SELECT seq, hash FROM audit_head", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(head, (6, vec![5u8; 32]), "the newest entry's hash is kept as the head");
        let names: i64 = conn.query_row("SELECT count(*) FROM audit_name", [], |r| r.get(0)).unwrap();
        assert_eq!(names, 6, "two accounts and four actions, each once");
        assert!(
            conn.execute("UPDATE audit SET detail = 'x' WHERE seq = 1", []).is_err(),
            "still append-only"
        );
        assert!(conn.execute("DELETE FROM audit WHERE seq = 1", []).is_err(), "still append-only");
    }

    /// A household of one member in a village of its own, with foreign keys on, as the tests of
    /// the facts' and benefits' migrations need them.
    fn household_with_member(conn: &Connection, household: &str, person: &str) {
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             INSERT INTO location (id, level, parent_id, name_en, name_hi) VALUES ('s', 'state', NULL, 'S', 'S');
             INSERT INTO location (id, level, parent_id, name_en, name_hi) VALUES ('v', 'village', 's', 'V', 'V');",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO household (id, village_id, created_at, updated_at) VALUES (?1, 'v', 'x', 'x')",
            [household],
        )
        .unwrap();
        member(conn, person, household, 0, "head");
    }

    /// A woman of `household` at `position`, as the person table held her before 0054.
    fn member(conn: &Connection, person: &str, household: &str, position: u32, relation: &str) {
        conn.execute(
            "INSERT INTO person (id, household_id, position, name, name_key, relation, sex)
             VALUES (?1, ?2, ?3, 'x', 'x', ?4, 'female')",
            params![person, household, position, relation],
        )
        .unwrap();
    }

    /// A change this laptop made, as the log held it before 0054.
    fn logged(conn: &Connection, seq: i64, kind: &str, hlc: &str, household: &str, change: &str) {
        conn.execute(
            "INSERT INTO change_log (origin, device_id, device_seq, kind, version, hlc, household_id, change, recorded_at)
             VALUES ('local', 'd', ?1, ?2, 2, ?3, ?4, ?5, 'x')",
            params![seq, kind, hlc, household, change],
        )
        .unwrap();
    }

    /// Migration 0054's filling of a large store from before, timed by hand (it asserts only
    /// what it fills): 10,000 members, 50,000 member changes in the log, 1,000 departures, half
    /// of whose writes were pruned from the log.
    /// `cargo test --release -p samanvaya-schema --features sqlite -- --ignored --nocapture`
    #[test]
    #[ignore = "a timing run by hand, not a check"]
    fn migration_0054_fills_a_large_store() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..53]).unwrap();
        household_with_member(
            &conn,
            "0190ffff-0000-7000-8000-ffffffffffff",
            "0190ffff-0000-7000-8000-fffffffffffe",
        );
        conn.execute_batch(
            "INSERT INTO clock_field (id, name) VALUES (7, 'left'), (8, 'name');
             INSERT INTO clock_node (id, node) VALUES (3, X'0190ffff00007000800000000000000a');",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        let id = |n: u32| format!("0190ffff-0000-7000-8000-{n:012x}");
        for h in 0..2000u32 {
            let hid = id(1_000_000 + h);
            tx.execute(
                "INSERT INTO household (id, village_id, created_at, updated_at) VALUES (?1, 'v', 'x', 'x')",
                [&hid],
            )
            .unwrap();
            for m in 0..5u32 {
                let n = h * 10 + m;
                let pid = id(n);
                member(&tx, &pid, &hid, m, "head");
                let left = n % 20 == 0;
                tx.execute(
                    "INSERT INTO field_clock (record, field, wall, counter, node) VALUES (unhex(replace(?1, '-', '')), 8, ?2, 0, 3)",
                    params![pid, 1_000 + i64::from(n)],
                )
                .unwrap();
                if left {
                    tx.execute(
                        "UPDATE person SET left_reason = 'died', left_on = '2026-01-01' WHERE id = ?1",
                        [&pid],
                    )
                    .unwrap();
                    tx.execute(
                        "INSERT INTO field_clock (record, field, wall, counter, node) VALUES (unhex(replace(?1, '-', '')), 7, ?2, 0, 3)",
                        params![pid, 10_000_004 + i64::from(n) * 10],
                    )
                    .unwrap();
                }
                for k in 0..5u32 {
                    let wall = 10_000_000 + i64::from(n) * 10 + i64::from(k);
                    let hlc = format!(
                        r#"{{"wall_ms":{wall},"counter":0,"node":"0190ffff-0000-7000-8000-00000000000a"}}"#
                    );
                    let fields = if left && k == 4 && n % 40 == 0 {
                        r#"[{"field":"left","value":{"reason":"died","on":"2026-01-01"}}]"#
                    } else {
                        r#"[{"field":"name","value":"xyz"}]"#
                    };
                    let body = format!(
                        r#"{{"version":2,"hlc":{hlc},"kind":"member","body":{{"id":"{pid}","household_id":"{hid}","fields":{fields}}}}}"#
                    );
                    logged(&tx, i64::from(n * 10 + k), "member", &hlc, &hid, &body);
                }
            }
        }
        tx.commit().unwrap();
        let started = std::time::Instant::now();
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        let took = started.elapsed();
        let filled: i64 = conn.query_row("SELECT count(*) FROM own_departure", [], |r| r.get(0)).unwrap();
        assert_eq!(filled, 1000, "every departure, from the log or from what the member shows");
        eprintln!("migration 0054 filled {filled} departures in {took:?}");
    }

    /// Migration 0054 takes, as each record's own departure, the latest its log still holds,
    /// else what a member shows with its clock reading, unless that reading is another record's
    /// write (one the log names of another record, or one a record removed since holds the
    /// reading of, which takes it as its own); a member never written as leaving has none. Each
    /// merge in the log names its record kept, and a damaged row of the log is passed over.
    #[test]
    fn each_record_takes_its_own_departure_from_the_log_or_what_it_shows() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..53]).unwrap();
        let id = |n: u8| format!("0190ffff-0000-7000-8000-0000000000{n:02}");
        // Members: one moved away, one living, one showing another record's older write, one
        // showing the write of a record removed since that the log no longer holds.
        let (household, moved, living, kept, kept2, gone, gone2) =
            (id(1), id(2), id(3), id(4), id(6), id(5), id(7));
        household_with_member(&conn, &household, &moved);
        for (p, position) in [(&living, 1), (&kept, 2), (&kept2, 3)] {
            member(&conn, p, &household, position, "daughter");
        }
        let hlc = |wall: i64, counter: u32| {
            format!(
                r#"{{"wall_ms":{wall},"counter":{counter},"node":"0190ffff-0000-7000-8000-00000000000a"}}"#
            )
        };
        let (moved_away, died) =
            (r#"{"reason":"moved_away","on":"2026-06-01"}"#, r#"{"reason":"died","on":"2026-11-02"}"#);
        let bytes = |p: &str| p.replace('-', "");
        conn.execute_batch(&format!(
            "UPDATE person SET left_reason = 'moved_away', left_on = '2026-06-01' WHERE id IN ('{moved}', '{kept}');
             UPDATE person SET left_reason = 'died', left_on = '2026-11-02' WHERE id = '{kept2}';
             INSERT INTO clock_field (id, name) VALUES (7, 'left'), (8, 'name');
             INSERT INTO clock_node (id, node) VALUES (3, X'0190ffff00007000800000000000000a');
             INSERT INTO field_clock (record, field, wall, counter, node)
             VALUES (X'{m}', 7, 1796101200000, 2, 3), (X'{l}', 8, 1796101200001, 0, 3),
                    (X'{k}', 7, 1796101200005, 0, 3), (X'{k2}', 7, 1796101200009, 0, 3),
                    (X'{g2}', 7, 1796101200009, 0, 3);",
            m = bytes(&moved),
            l = bytes(&living),
            k = bytes(&kept),
            k2 = bytes(&kept2),
            g2 = bytes(&gone2),
        ))
        .unwrap();
        // The removed record's departure the record kept shows, her later return, her merge into
        // the record kept, and a row damaged past reading.
        let log = [
            (
                "member",
                hlc(1796101200005, 0),
                format!(r#"{{"id":"{gone}","fields":[{{"field":"left","value":{moved_away}}}]}}"#),
            ),
            (
                "member",
                hlc(1796101200007, 0),
                format!(r#"{{"id":"{gone}","fields":[{{"field":"left","value":null}}]}}"#),
            ),
            ("member_removed", hlc(1796101200008, 0), format!(r#"{{"id":"{gone}","merged_into":"{kept}"}}"#)),
        ];
        for (i, (kind, hlc, body)) in log.iter().enumerate() {
            let change = format!(r#"{{"version":2,"hlc":{hlc},"kind":"{kind}","body":{body}}}"#);
            logged(&conn, i as i64 + 1, kind, hlc, &household, &change);
        }
        logged(&conn, 9, "member", "damaged", &household, r#"{"body": damaged"#);
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        let rows: Vec<(String, String, String)> = conn
            .prepare("SELECT id, left, hlc FROM own_departure ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        // As serde writes a `Departure` and an `Hlc`, which the store reads them as.
        let want = [
            (moved.clone(), moved_away.to_owned(), hlc(1796101200000, 2)),
            (gone.clone(), "null".to_owned(), hlc(1796101200007, 0)),
            (gone2.clone(), died.to_owned(), hlc(1796101200009, 0)),
        ];
        assert_eq!(rows, want);
        let named: (String, String) = conn
            .query_row("SELECT id, named_id FROM merge_named", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(named, (gone, kept));
    }

    /// Migration 0028 keeps the hash of every 64th entry as it was, and the newest entry's as
    /// the head; the rows themselves are unchanged.
    #[test]
    fn the_audit_log_keeps_its_checkpoints_and_head() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..27]).unwrap();
        conn.execute("INSERT INTO audit_name (id, text) VALUES (1, 'Asha'), (2, 'backup')", []).unwrap();
        for seq in 1..=130i64 {
            conn.execute(
                "INSERT INTO audit (seq, at, who, action, detail, hash) VALUES (?1, ?1, 1, 2, 'usb', ?2)",
                params![seq, vec![seq as u8; 32]],
            )
            .unwrap();
        }
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        let kept: Vec<(i64, Vec<u8>)> = conn
            .prepare("SELECT seq, hash FROM audit WHERE hash IS NOT NULL ORDER BY seq")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, [(64, vec![64u8; 32]), (128, vec![128u8; 32])]);
        let rows: i64 = conn
            .query_row(
                "SELECT count(*) FROM audit WHERE at = seq AND who = 1 AND action = 2 AND detail = 'usb'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rows, 130, "every row as it was");
        let head: (i64, Vec<u8>) =
            conn.query_row("SELECT seq, hash FROM audit_head", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(head, (130, vec![130u8; 32]));
        assert!(conn.execute("DELETE FROM audit WHERE seq = 1", []).is_err(), "still append-only");
    }

    /// Migration 0031 moves each fact's clock reading from `field_clock` into the fact's row; a
    /// reading of a fact the store holds no row of, and every other field's, stay where they were.
    #[test]
    fn the_facts_take_their_clock_readings_into_their_rows() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..30]).unwrap();
        let (kamla, gone) = (vec![0xaau8; 16], vec![0xbbu8; 16]);
        conn.execute_batch(
            "INSERT INTO clock_node (id, node) VALUES (1, x'0190ffff000070008000000000000001');
             INSERT INTO clock_field (id, name) VALUES (1, 'fact:person.is_pregnant'), (2, 'name'), (3, 'fact:person.age');
             INSERT INTO fact_name (id, name) VALUES (1, 'person.is_pregnant'), (2, 'person.age');",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO fact_row (subject, name, value, source, recorded_at) VALUES (?1, 1, 'true', 'survey', 5), (?1, 2, '30', 'survey', 5)",
            [&kamla],
        )
        .unwrap();
        for (record, field, wall) in [(&kamla, 1, 100), (&kamla, 2, 200), (&kamla, 3, 300), (&gone, 1, 400)] {
            conn.execute(
                "INSERT INTO field_clock (record, field, wall, counter, node) VALUES (?1, ?2, ?3, 7, 1)",
                params![record, field, wall],
            )
            .unwrap();
        }
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        // (name, wall, counter, node) of each fact row.
        type Reading = (i64, Option<i64>, Option<i64>, Option<i64>);
        let rows: Vec<Reading> = conn
            .prepare("SELECT name, wall, counter, node FROM fact_row ORDER BY name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [(1, Some(100), Some(7), Some(1)), (2, Some(300), Some(7), Some(1))]);
        let left: Vec<(Vec<u8>, i64, i64)> = conn
            .prepare("SELECT record, field, wall FROM field_clock ORDER BY wall")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            left,
            [(kamla.clone(), 2, 200), (gone.clone(), 1, 400)],
            "the name's and the rowless fact's"
        );
    }

    /// Migration 0032 keeps each benefit received by a member with its scheme, source and time
    /// (as milliseconds), keyed by the member's 16 bytes; one about no recorded member goes; a
    /// member's benefits still go with her row, and a household's members' with the household.
    #[test]
    fn the_benefits_received_keep_every_row_when_keyed_compactly() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..31]).unwrap();
        let (household, person, gone) = (
            "0190ffff-0000-7000-8000-00000000000a",
            "0190ffff-0000-7000-8000-00000000000b",
            "0190ffff-0000-7000-8000-00000000000c",
        );
        household_with_member(&conn, household, person);
        for (subject, scheme) in [(person, "pm_ujjwala"), (person, "nsap_widow"), (gone, "pm_ujjwala")] {
            conn.execute(
                "INSERT INTO receiving (subject_id, household_id, scheme_code, source, recorded_at)
                 VALUES (?1, ?2, ?3, 'survey', '2026-12-01 00:00:00+00:00')",
                [subject, household, scheme],
            )
            .unwrap();
        }
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        let read = |conn: &Connection| -> Vec<(String, String, String, i64)> {
            conn.prepare(
                "SELECT subject_id, scheme_code, source, recorded_at FROM receiving ORDER BY scheme_code",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        };
        let row =
            |scheme: &str| (person.to_owned(), scheme.to_owned(), "survey".to_owned(), 1_796_083_200_000);
        assert_eq!(read(&conn), [row("nsap_widow"), row("pm_ujjwala")]);
        let keys: i64 = conn
            .query_row(
                "SELECT count(*) FROM receiving_row WHERE typeof(subject) = 'blob' AND length(subject) = 16",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(keys, 2);
        conn.execute("DELETE FROM household WHERE id = ?1", [household]).unwrap();
        assert!(read(&conn).is_empty(), "the member's benefits go with her household");
    }

    /// Migration 0055 fills what each merge the log holds said its maker saw of the departure
    /// of the record it removed, with the record it named (the latest of several), and nothing
    /// for a merge that said nothing, a plain removal, or a row of the log past reading.
    #[test]
    fn migration_0055_keeps_what_each_merge_saw_with_the_record_it_named() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..54]).unwrap();
        let household = "0190ffff-0000-7000-8000-00000000000a";
        household_with_member(&conn, household, "0190ffff-0000-7000-8000-00000000000b");
        let seen = |ms: i64, counter: u32| {
            format!(r#"{{"wall_ms":{ms},"counter":{counter},"node":"0190ffff-0000-7000-8000-00000000000e"}}"#)
        };
        let merge = |id: &str, into: &str, seen: Option<&str>| {
            let seen = seen.map_or(String::new(), |s| format!(r#","departure_seen":{s}"#));
            format!(
                r#"{{"version":2,"body":{{"id":"{id}","household_id":"{household}","merged_into":"{into}"{seen}}}}}"#
            )
        };
        let rows = [
            ("x", "h", Some(seen(10, 0))),
            ("x", "h", Some(seen(20, 1))),
            ("x", "k", Some(seen(5, 0))),
            ("h", "x", None),
        ];
        for (i, (id, into, seen)) in rows.iter().enumerate() {
            logged(&conn, i as i64 + 1, "member_removed", "{}", household, &merge(id, into, seen.as_deref()));
            conn.execute(
                "INSERT OR IGNORE INTO merge_named (id, named_id) VALUES (?1, ?2)",
                params![id, into],
            )
            .unwrap();
        }
        logged(&conn, 9, "member_removed", "{}", household, "not json");
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        let held: Vec<(String, String, Option<String>)> = conn
            .prepare("SELECT id, named_id, departure_seen FROM merge_named ORDER BY id, named_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let row = |id: &str, named: &str, seen: Option<String>| (id.to_owned(), named.to_owned(), seen);
        assert_eq!(
            held,
            [row("h", "x", None), row("x", "h", Some(seen(20, 1))), row("x", "k", Some(seen(5, 0)))]
        );
    }

    /// Migration 0026 keeps every fact with its subject, value, source and time (as the
    /// milliseconds of the text rusqlite wrote), and a fact still goes with its household and its
    /// members, now through triggers instead of the household column's foreign key; 0027 removes
    /// a fact whose subject is neither a household nor a member; 0030 keys them compactly.
    #[test]
    fn the_facts_keep_every_value_when_made_compact() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn, &crate::LOCAL_MIGRATIONS[..25]).unwrap();
        let (household, person) =
            ("0190ffff-0000-7000-8000-00000000000a", "0190ffff-0000-7000-8000-00000000000b");
        household_with_member(&conn, household, person);
        let rows = [
            (
                household,
                "household.ration_card_type",
                "\"bpl\"",
                "survey",
                "2026-11-30 10:15:00.123456789+00:00",
            ),
            (person, "person.is_pregnant", "true", "screening", "2026-12-01 00:00:00+00:00"),
            (person, "person.age_at_marriage", "null", "document", "not a time"),
            // About a member no longer recorded: read by nothing, and not kept.
            (
                "0190ffff-0000-7000-8000-00000000000c",
                "person.is_pregnant",
                "true",
                "survey",
                "2026-12-01 00:00:00+00:00",
            ),
        ];
        for (subject, name, value, source, at) in rows {
            conn.execute(
                "INSERT INTO fact (subject_id, household_id, name, value, source, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![subject, household, name, value, source, at],
            )
            .unwrap();
        }
        run(&mut conn, crate::LOCAL_MIGRATIONS).unwrap();
        let read = |conn: &Connection| -> Vec<(String, String, String, String, i64)> {
            conn.prepare("SELECT subject_id, name, value, source, recorded_at FROM fact ORDER BY name")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        let fact = |s: &str, n: &str, v: &str, src: &str, ms: i64| {
            (s.to_owned(), n.to_owned(), v.to_owned(), src.to_owned(), ms)
        };
        assert_eq!(
            read(&conn),
            vec![
                fact(household, "household.ration_card_type", "\"bpl\"", "survey", 1_796_033_700_123),
                fact(person, "person.age_at_marriage", "null", "document", 0),
                fact(person, "person.is_pregnant", "true", "screening", 1_796_083_200_000),
            ]
        );
        // Migration 0030 keys them by the subject's 16 bytes and the name's number; the view
        // `fact` read above gives them back as text.
        let keys: Vec<(String, i64, i64)> = conn
            .prepare("SELECT typeof(subject), length(subject), typeof(name) = 'integer' FROM fact_row")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keys, vec![("blob".to_owned(), 16, 1); 3]);
        // Migration 0033 keeps the source as a number; the view gives the word back (above).
        let sources: Vec<i64> = conn
            .prepare("SELECT source FROM fact_row ORDER BY source")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(sources, [0, 1, 2], "screening, survey, document");
        // The household's row goes, its member's with it (the foreign key cascades), and both
        // rows' facts with them.
        conn.execute("DELETE FROM household WHERE id = ?1", [household]).unwrap();
        assert!(read(&conn).is_empty(), "the household's facts and its member's go with their rows");
    }
}
