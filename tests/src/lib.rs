//! Support for Samanvaya's end-to-end tests. The tests themselves live in `tests/tests/`; the
//! `stress-writer` binary is the child process that the kill-loop test kills mid-write.

use std::path::Path;

pub mod proxy;
pub mod small_disk;

use samanvaya_core::{Secret, Store, StoreError};

/// The PIN every test store is set up with.
pub const TEST_PIN: &str = "482916";

/// Opens the test store in `dir`, setting it up with [`TEST_PIN`] the first time.
pub fn open(dir: &Path) -> Result<Store, StoreError> {
    Ok(Store::open_or_create(dir, "Test facilitator", &Secret::new(TEST_PIN))?.0)
}
use samanvaya_domain::{
    Birth, HouseholdInput, Location, LocationId, LocationLevel, PersonInput, Relation, Sex,
};

/// A new member as the form sends it.
pub fn member(name: &str, relation: Relation, sex: Sex, birth: Birth) -> PersonInput {
    PersonInput { id: None, name: name.into(), relation, sex, birth, left: None }
}

/// A death on a fixed day, as the stories about departures record it.
pub fn died() -> samanvaya_domain::Departure {
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 2).expect("a real day");
    samanvaya_domain::Departure { reason: samanvaya_domain::LeftReason::Died, on }
}

/// One woman with three records, D, R and K, and a departure of D (`dep`) that some merges saw
/// and others did not: the orders the changes arrive in, by story, each laptop's own changes in
/// the order it made them. Across two merges of D: `DR'` made D one with R having seen the
/// departure, `DK` and `RK` made D and then R one with K unseen of it. Through R merged twice:
/// `DR` made D one with R, `RK'` made R one with K having seen the departure on R, `RK3` the
/// same unseen. The laptop's story (`member_left.rs`) and the servers' (`server_conformance.rs`)
/// run the same orders.
pub const DEPARTURE_ACROSS_MERGES: [(&str, &[&str]); 2] = [
    (
        "across two merges of D",
        &[
            "dep DR' DK RK",
            "dep DK DR' RK",
            "dep DK RK DR'",
            "DK dep DR' RK",
            "DK dep RK DR'",
            "DK RK dep DR'",
        ],
    ),
    (
        "through R merged twice",
        &["DR dep RK' RK3", "DR dep RK3 RK'", "RK3 DR dep RK'", "dep RK3 DR RK'", "DR RK3 dep RK'"],
    ),
];

/// A move away on a fixed day, earlier than [`died`]'s.
pub fn moved_away() -> samanvaya_domain::Departure {
    let on = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a real day");
    samanvaya_domain::Departure { reason: samanvaya_domain::LeftReason::MovedAway, on }
}

/// The first page (up to 100) of every household of the laptop, or of those `filter` keeps.
pub fn households_where(filter: Option<samanvaya_core::RegisterFilter>) -> samanvaya_core::HouseholdQuery {
    samanvaya_core::HouseholdQuery {
        village_id: None,
        search: String::new(),
        limit: 100,
        offset: 0,
        hamlet_id: None,
        filter,
    }
}

/// A new household of `village` with `members`, as the form sends it (the family agreed
/// through its head).
pub fn new_household(village: LocationId, members: Vec<PersonInput>) -> HouseholdInput {
    HouseholdInput {
        id: None,
        village_id: village,
        hamlet_id: None,
        consent: Some(samanvaya_domain::ConsentInput { respondent: 0 }),
        address: String::new(),
        phone: String::new(),
        members,
    }
}

/// A new test store serving the test village, with one household of `members` saved in it; the
/// folder goes when the returned `TempDir` does.
pub fn family_of(members: Vec<PersonInput>) -> (tempfile::TempDir, Store, samanvaya_domain::Household) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut store = open(dir.path()).expect("the test store opens");
    let village = serve_a_village(&mut store).expect("the test village is set up");
    let h = store
        .save_household(new_household(village, members), store.now().expect("the clock"))
        .expect("saved");
    (dir, store, h)
}

/// Adds a real (not demo) place chain, Bihar down to one village, to `store` and makes the
/// centre serve the village; returns the village. Ids are fixed so that runs are repeatable.
pub fn serve_a_village(store: &mut Store) -> Result<LocationId, StoreError> {
    let chain = [
        (LocationLevel::State, "Bihar", "बिहार"),
        (LocationLevel::District, "Gaya", "गया"),
        (LocationLevel::Block, "Bodh Gaya", "बोधगया"),
        (LocationLevel::GramPanchayat, "Bakraur", "बकरौर"),
        (LocationLevel::Village, "Bakraur", "बकरौर"),
    ];
    let mut places = Vec::new();
    let mut parent = None;
    for (i, (level, en, hi)) in chain.into_iter().enumerate() {
        let id = LocationId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + i as u128));
        places.push(Location {
            id,
            level,
            parent_id: parent,
            lgd_code: None,
            name_en: en.into(),
            name_hi: hi.into(),
        });
        parent = Some(id);
    }
    let village = parent.expect("the chain ends with a village");
    store.add_places(&places, &[village])?;
    Ok(village)
}

/// Enrolls `store` with a block of a new id that no server answers for (a laptop's sync state
/// without a block to reach), and returns the block's id.
pub fn enrolled_nowhere(store: &mut Store) -> Result<uuid::Uuid, StoreError> {
    let block = uuid::Uuid::now_v7();
    let enrollment = samanvaya_core::Enrollment {
        url: "https://127.0.0.1:1".into(),
        server_id: block,
        role: "block".into(),
        secret: "the laptop's secret".into(),
        certificate: None,
        enrolled_at: store.now()?.utc,
    };
    store.save_enrollment(&enrollment, &[], &[])?;
    Ok(block)
}

/// The whole register of `store`: every household in the register's order, on one page.
pub fn register(store: &Store) -> samanvaya_core::HouseholdPage {
    store
        .households(&samanvaya_core::HouseholdQuery {
            village_id: None,
            search: String::new(),
            limit: u32::MAX,
            offset: 0,
            hamlet_id: None,
            filter: None,
        })
        .expect("the register lists")
}

/// The facts recorded of `who`, as (name, value as JSON), by name.
pub fn facts_of(store: &Store, who: samanvaya_domain::PersonId) -> Vec<(String, String)> {
    store
        .connection()
        .prepare(
            "SELECT n.name, f.value FROM fact_row f JOIN fact_name n ON n.id = f.name
             WHERE f.subject IN (unhex(replace(?1, '-', '')), ?1) ORDER BY n.name",
        )
        .unwrap()
        .query_map([who.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every household of `store`, in the register's order.
pub fn household_ids(store: &Store) -> Vec<samanvaya_domain::HouseholdId> {
    register(store).items.into_iter().map(|h| h.id).collect()
}

/// Every row of every table, in a fixed order, as text: what an encryption, a backup or a
/// restore must keep.
pub fn dump(conn: &rusqlite::Connection) -> Vec<String> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get_ref(i).unwrap())).collect();
                Ok(format!("{t}: {}", cells.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

/// Every row of every table as readable text (`table: cell | cell`), texts and blobs decoded
/// as UTF-8 (a blob that is a zstd frame, such as a submission's packed answers, unpacked
/// first), so that a scan for a name finds it in any column. ([`dump`] shows texts as bytes.)
pub fn every_row(conn: &rusqlite::Connection) -> Vec<String> {
    use rusqlite::types::ValueRef;
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = Vec::new();
    for t in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        ValueRef::Null => "NULL".to_owned(),
                        ValueRef::Integer(v) => v.to_string(),
                        ValueRef::Real(v) => v.to_string(),
                        ValueRef::Text(b) => String::from_utf8_lossy(b).into_owned(),
                        ValueRef::Blob(b) => match zstd::decode_all(b) {
                            Ok(unpacked) => String::from_utf8_lossy(&unpacked).into_owned(),
                            Err(_) => String::from_utf8_lossy(b).into_owned(),
                        },
                    })
                    .collect();
                Ok(format!("{t}: {}", cells.join(" | ")))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

/// A binary of the workspace (`samanvaya`, `samanvaya-server`), from the target folder that holds
/// this test. `cargo test --workspace` builds them: their own crates' tests need them.
pub fn binary(name: &str) -> std::path::PathBuf {
    let path = binary_dir().join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built; run `cargo build -p samanvaya-cli -p samanvaya-server` first",
        path.display()
    );
    path
}

/// The folder where the stories keep the logs of the real binaries they run (each server's and
/// each command's standard error, which is where the binaries log): `target/<profile>/test-logs`.
/// `tests/tests/written_logs.rs` scans every file in it for the demo village's names.
pub fn log_dir() -> std::path::PathBuf {
    let dir = binary_dir().join("test-logs");
    std::fs::create_dir_all(&dir).expect("the log folder can be made");
    dir
}

/// A new log file in [`log_dir`] for one run of `what`.
pub fn log_file(what: &str) -> std::path::PathBuf {
    log_dir().join(format!("{what}-{}.log", uuid::Uuid::now_v7().simple()))
}

/// Runs `cmd`, keeps its standard error in a log file of [`log_dir`] (and shows it on this
/// test's own standard error, so a failing story still says why), and returns its output.
pub fn run_logged(what: &str, cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().expect("the binary runs");
    std::fs::write(log_file(what), &out.stderr).expect("the log is written");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

fn binary_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it runs");
    // target/debug/deps/sync-1234 -> target/debug/
    exe.parent().and_then(Path::parent).expect("the test runs from target/<profile>/deps").to_owned()
}

/// A server process that is killed when the test ends, pass or fail. Its standard error (the
/// server's log) goes to a file of [`log_dir`].
pub struct Running {
    pub child: std::process::Child,
    /// `https://127.0.0.1:PORT` (or `http://` with `--plain-http`).
    pub url: String,
    /// The fingerprint of the certificate the server presents (none over plain HTTP).
    pub certificate: Option<String>,
    /// The server's log (its standard error).
    pub log: std::path::PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `samanvaya-server` with `args` (on a free port of 127.0.0.1 unless they say
/// `--listen`) and waits for its address (and, over HTTPS, its certificate's fingerprint).
pub fn start_server(args: &[&str]) -> Running {
    let mut cmd = std::process::Command::new(binary("samanvaya-server"));
    cmd.args(args).args(if args.contains(&"--listen") { &[][..] } else { &["--listen", "127.0.0.1:0"][..] });
    spawn_server(cmd)
}

/// Starts a block server in `dir`, named "Bodh Gaya block", that forwards to the district at
/// `district` with the enrollment `code` the district made, syncing with it every second.
pub fn start_block(dir: &Path, district: &str, code: &str) -> Running {
    start_server(&[
        "--role",
        "block",
        "--data-dir",
        dir.to_str().expect("a temporary folder's path is UTF-8"),
        "--upstream",
        district,
        "--upstream-code",
        code.trim(),
        "--sync-every",
        "1",
        "--name",
        "Bodh Gaya block",
    ])
}

/// Starts `cmd`, which runs `samanvaya-server` in the end (through `unshare`, say), and waits for
/// its address as [`start_server`] does.
pub fn spawn_server(mut cmd: std::process::Command) -> Running {
    use std::io::BufRead;
    let log = log_file("samanvaya-server");
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("the server's log file"))
        .spawn()
        .expect("samanvaya-server starts");
    let mut out = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("the server prints its address");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    let certificate = url.starts_with("https://").then(|| {
        line.clear();
        out.read_line(&mut line).expect("the server prints its certificate");
        let fingerprint = line.trim().strip_prefix("certificate sha256 ");
        fingerprint.unwrap_or_else(|| panic!("unexpected second line {line:?}")).to_owned()
    });
    Running { url, certificate, child, log }
}

/// The environment variable naming the test PostgreSQL server, as a libpq connection string
/// without a database (`host=/tmp/samanvaya-pg port=5439 user=samanvaya`). `scripts/test` starts
/// that server and sets it.
pub const POSTGRES_ENV: &str = "SAMANVAYA_TEST_POSTGRES";

/// A database of its own on the test PostgreSQL server, dropped when this is.
pub struct ScratchPostgres {
    /// The connection string of the scratch database.
    pub url: String,
    server: String,
    name: String,
}

/// A fresh database on the test PostgreSQL server. Without a server this is `None`, said on
/// stderr, so that `cargo test` on a laptop without PostgreSQL still runs the rest; `scripts/test`
/// sets `SAMANVAYA_REQUIRE_POSTGRES`, and there a missing server fails the test.
pub fn scratch_postgres() -> Option<ScratchPostgres> {
    let Ok(server) = std::env::var(POSTGRES_ENV) else {
        assert!(
            std::env::var_os("SAMANVAYA_REQUIRE_POSTGRES").is_none(),
            "{POSTGRES_ENV} is not set: run the tests with scripts/test, which starts a PostgreSQL server"
        );
        eprintln!("skipped on PostgreSQL: {POSTGRES_ENV} is not set (scripts/test sets it)");
        return None;
    };
    let name = format!("samanvaya_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = postgres::Client::connect(&format!("{server} dbname=postgres"), postgres::NoTls)
        .unwrap_or_else(|e| panic!("the test PostgreSQL server at {server:?} answers: {e}"));
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("a scratch database is created");
    Some(ScratchPostgres { url: format!("{server} dbname={name}"), server, name })
}

impl Drop for ScratchPostgres {
    fn drop(&mut self) {
        // The throwaway server goes with the test run anyway; dropping keeps a developer's
        // long-lived one small.
        if let Ok(mut admin) =
            postgres::Client::connect(&format!("{} dbname=postgres", self.server), postgres::NoTls)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}
