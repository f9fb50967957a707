//! The village loop over the real binaries on 127.0.0.1: a district server and a block server
//! (each one command), a laptop enrolled with a one-time code, a referral made offline that
//! reaches the district, and its sanction at the district coming back down to the laptop. Every
//! change reaches the district exactly once, and syncing again changes nothing. The story runs
//! twice: with the district on SQLite, and on a real PostgreSQL server (as a district at scale).
//! Every link is HTTPS with the server's certificate pinned at enrollment, and a laptop sends
//! nothing to a server presenting another. A laptop or a block killed in the middle of a sync
//! loses nothing and stores nothing twice once started again. The laptop's audit log goes up
//! through its block to the district whole, each entry once.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use samanvaya_core::referral::{NewReferral, ReferralQuery};
use samanvaya_domain::referral::{Need, Stage};
use samanvaya_domain::{Birth, Relation, Sex};
use samanvaya_tests::{
    ScratchPostgres, binary, member, new_household, scratch_postgres, start_block, start_server,
};

const PIN: &str = "482916";

/// The places above Bakraur, as the block's operator registers the village (`add-village`).
const BAKRAUR_ABOVE: [&str; 8] = [
    "--state",
    "Bihar|बिहार",
    "--district",
    "Gaya|गया",
    "--block",
    "Bodh Gaya|बोधगया",
    "--panchayat",
    "Bakraur|बकरौर",
];

fn run(bin: &str, args: &[&str], data_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(binary(bin));
    cmd.args(args).env("SAMANVAYA_PIN", PIN).env_remove("SAMANVAYA_SERVER_DIR");
    match data_dir {
        Some(d) => cmd.env("SAMANVAYA_DATA_DIR", d),
        None => cmd.env_remove("SAMANVAYA_DATA_DIR"),
    };
    samanvaya_tests::run_logged(bin, &mut cmd)
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn server_cmd(role: &str, dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--role", role, "--data-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    ok(run("samanvaya-server", &all, None))
}

/// Runs an operator's command that must be refused; returns what it said on stderr.
fn server_cmd_refused(role: &str, dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--role", role, "--data-dir", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = run("samanvaya-server", &all, None);
    assert!(!out.status.success(), "not refused: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Waits until `check` holds, for at most 60 seconds.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < Duration::from_secs(60), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The district's store: a folder, and on PostgreSQL a scratch database too.
struct District {
    dir: tempfile::TempDir,
    postgres: Option<ScratchPostgres>,
}

impl District {
    /// `None` when the story is for PostgreSQL and no test server is there.
    fn new(on_postgres: bool) -> Option<District> {
        let postgres = if on_postgres { Some(scratch_postgres()?) } else { None };
        Some(District { dir: tempfile::tempdir().unwrap(), postgres })
    }

    /// The arguments that name this district's store, before any command.
    fn store_args(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![
            "--role".into(),
            "district".into(),
            "--data-dir".into(),
            self.dir.path().to_str().unwrap().into(),
        ];
        if let Some(pg) = &self.postgres {
            args.extend(["--database".into(), pg.url.clone()]);
        }
        args
    }

    fn cmd(&self, args: &[&str]) -> Output {
        let mut all = self.store_args();
        all.extend(args.iter().map(|a| (*a).to_owned()));
        run("samanvaya-server", &all.iter().map(String::as_str).collect::<Vec<_>>(), None)
    }

    /// A count read straight from the district's database.
    fn count(&self, sql: &str) -> i64 {
        self.one(sql)
    }

    /// The one value `sql` reads straight from the district's database.
    fn one<T: rusqlite::types::FromSql + for<'a> postgres::types::FromSql<'a>>(&self, sql: &str) -> T {
        match &self.postgres {
            Some(pg) => {
                let mut client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
                client.query_one(sql, &[]).unwrap().get(0)
            }
            None => {
                let conn = rusqlite::Connection::open(self.dir.path().join("server.sqlite3")).unwrap();
                conn.query_row(sql, [], |r| r.get(0)).unwrap()
            }
        }
    }
}

/// A block server on a folder the test keeps, so that the test can stop it, put back an older
/// copy of the folder (a restore from a backup) and start it again where the village's
/// laptops know it: on the same address, with the same certificate they pinned.
struct RestorableBlock<'a> {
    dir: &'a Path,
    url: String,
}

impl<'a> RestorableBlock<'a> {
    fn start(dir: &'a Path) -> (RestorableBlock<'a>, samanvaya_tests::Running) {
        let block = start_server(&["--role", "block", "--data-dir", dir.to_str().unwrap()]);
        (RestorableBlock { dir, url: block.url.clone() }, block)
    }

    /// The block started again on its folder as it now is.
    fn again(&self) -> samanvaya_tests::Running {
        let listen = self.url.trim_start_matches("https://");
        start_server(&["--role", "block", "--data-dir", self.dir.to_str().unwrap(), "--listen", listen])
    }

    /// Stops the block, copies its folder to `backup` as it stands, and starts it again.
    fn back_up(&self, running: samanvaya_tests::Running, backup: &Path) -> samanvaya_tests::Running {
        drop(running);
        copy_folder(self.dir, backup);
        self.again()
    }

    /// Stops the block, puts back the copy `backup` in place of its folder, and starts it again.
    fn restore(&self, running: samanvaya_tests::Running, backup: &Path) -> samanvaya_tests::Running {
        drop(running);
        std::fs::remove_dir_all(self.dir).unwrap();
        copy_folder(backup, self.dir);
        self.again()
    }

    /// A new laptop of the village Bakraur, enrolled with the block.
    fn enroll(&self, laptop: &Path) {
        let mut store = samanvaya_tests::open(laptop).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
        drop(store);
        let code = server_cmd("block", self.dir, &["enroll-code", "--village", "Bakraur"]);
        ok(run("samanvaya", &["enroll", &self.url, code.trim()], Some(laptop)));
    }
}

/// The block's operator: a command given a folder that does not exist is refused with what to
/// give instead, and makes no empty server there; a code for a village the block has not
/// registered is made, with a note that a new laptop is refused until it is; an empty list
/// says so.
#[test]
fn the_operator_is_told_of_a_mistyped_folder_and_a_village_not_registered() {
    let parent = tempfile::tempdir().unwrap();
    let typo = parent.path().join("blok");
    let refused =
        run("samanvaya-server", &["--role", "block", "--data-dir", typo.to_str().unwrap(), "devices"], None);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("there is no folder"), "{refused:?}");
    assert!(!typo.exists(), "no server was set up in the mistyped folder");

    let block = tempfile::tempdir().unwrap();
    let args = ["--role", "block", "--data-dir", block.path().to_str().unwrap()];
    let listed = run("samanvaya-server", &[&args[..], &["devices"]].concat(), None);
    assert!(listed.status.success() && listed.stdout.is_empty());
    assert!(String::from_utf8_lossy(&listed.stderr).contains("no device is enrolled here yet"), "{listed:?}");
    let code = run("samanvaya-server", &[&args[..], &["enroll-code", "--village", "Bakrour"]].concat(), None);
    assert!(code.status.success(), "{code:?}");
    assert!(!String::from_utf8_lossy(&code.stdout).trim().is_empty(), "the code is printed");
    let note = String::from_utf8_lossy(&code.stderr);
    assert!(note.contains("no village named Bakrour is registered here (known: none yet)"), "{note}");
    server_cmd(
        "block",
        block.path(),
        &[&["add-village"][..], &BAKRAUR_ABOVE, &["--village", "Bakraur|बकरौर"]].concat(),
    );
    let known =
        run("samanvaya-server", &[&args[..], &["enroll-code", "--village", "bakraur"]].concat(), None);
    assert!(known.status.success() && !String::from_utf8_lossy(&known.stderr).contains("note:"), "{known:?}");
}

#[test]
fn a_referral_made_offline_reaches_the_district_and_its_sanction_comes_back() {
    village_loop(false);
}

#[test]
fn the_same_story_with_the_district_on_postgresql() {
    village_loop(true);
}

fn village_loop(on_postgres: bool) {
    let Some(dist) = District::new(on_postgres) else { return };
    let block_dir = tempfile::tempdir().unwrap();
    let laptop_dir = tempfile::tempdir().unwrap();

    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let block_code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &block_code);
    let village_code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);

    // The laptop: a real store serving Bakraur, enrolled with the block's code.
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    // A wrong code is refused with a sentence, and nothing is kept.
    let wrong = run("samanvaya", &["enroll", &block.url, "AAAA-BBBB-CCCC"], Some(laptop_dir.path()));
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("not known to the server"), "{wrong:?}");
    let enrolled =
        ok(run("samanvaya", &["enroll", &block.url, village_code.trim()], Some(laptop_dir.path())));
    assert!(enrolled.contains("referral numbers 1 to"), "{enrolled}");
    // A code enrolls one device only.
    let again = run("samanvaya", &["enroll", &block.url, village_code.trim()], Some(laptop_dir.path()));
    assert!(!again.status.success());

    // Offline: a widow is surveyed and referred for the pension. Its number is the block's.
    let (household, number) = {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let input = new_household(
            village,
            vec![member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 })],
        );
        let h = store.save_household(input, store.now().unwrap()).unwrap();
        assert_eq!(h.number, Some(1), "the household's number comes from the block's lease");
        let opened = store
            .open_referral(
                &NewReferral {
                    household_id: h.id,
                    member_id: Some(h.members[0].id),
                    need: Need::Scheme { code: "NSAP_IGNWPS".into() },
                    documents: vec![],
                    notes: String::new(),
                },
                store.now().unwrap(),
            )
            .unwrap();
        assert_eq!(
            opened.summary.number, "R-1",
            "an enrolled laptop numbers referrals from the block's lease"
        );
        (h.id, opened.summary.number)
    };

    let sent = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(sent.contains("waiting to send: 0"), "{sent}");
    let laptop_changes = {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        store.queued_after(0, 10_000).unwrap().len() as i64
    };
    assert!(laptop_changes >= 3, "the household, its member and the referral travel");

    // The block forwards to the district by itself; the district holds the referral.
    eventually("the referral at the district", || ok(dist.cmd(&["referrals"])).contains(&number));
    // The application goes in at the district office, is taken up, and is sanctioned.
    for step in ["submit", "process", "sanction"] {
        ok(dist.cmd(&["step", &number, step, "--by", "DSWO Gaya"]));
    }
    let listed = ok(dist.cmd(&["referrals"]));
    assert!(listed.contains("sanctioned"), "{listed}");
    // A step that does not fit is refused with what is allowed.
    let refused = dist.cmd(&["step", &number, "submit", "--by", "DSWO Gaya"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("allowed now"), "{refused:?}");

    // The block pulls it down; the laptop's next sync brings it to the screen.
    eventually("the sanction at the block", || {
        server_cmd("block", block_dir.path(), &["referrals"]).contains("sanctioned")
    });
    // The block's operator sees how forwarding stands: nothing left to go up, a round through.
    eventually("the block's status with nothing left to forward", || {
        let status = server_cmd("block", block_dir.path(), &["status"]);
        status.contains(&format!("district: {}", district.url))
            && status.contains("0 change(s) waiting to go up")
            && status.contains("last round that went through: ")
            && status.contains("no error since the last round")
    });
    let received = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(received.contains("received 3"), "the three steps come down: {received}");
    {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let list = store
            .referrals(
                &ReferralQuery { household_id: Some(household), open_only: false },
                store.now().unwrap().today,
            )
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].stage, Stage::Sanctioned, "the district's decision is on the laptop");
        assert_eq!(store.queued_changes().unwrap(), 0, "nothing pulled is queued to travel back");
    }

    // Syncing again sends and receives nothing.
    let quiet = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    // The laptop's audit log travelled with the sync: the block holds every entry written before
    // that last sync finished, chained as on the laptop.
    let device = samanvaya_tests::open(laptop_dir.path()).unwrap().device_id().unwrap().to_string();
    let held = server_cmd("block", block_dir.path(), &["audit", "--device", &device]);
    let laptop_log = samanvaya_tests::open(laptop_dir.path()).unwrap().audit_after(0, 100_000).unwrap();
    assert!(held.lines().count() >= 5, "{held}");
    for (line, entry) in held.lines().zip(&laptop_log) {
        assert!(line.starts_with(&format!("{}\t{}\t", entry.seq, entry.at)), "{line} against {entry:?}");
        assert!(line.ends_with(&format!("\t{}\t{}", entry.action, entry.detail)), "{line} against {entry:?}");
    }
    assert!(!held.contains("कमला"), "the log names records by id, never a person: {held}");
    assert!(quiet.contains("sent 0 change(s)") && quiet.contains("received 0"), "{quiet}");
    // The block forwarded everything, and said so: the panel shows it all at the district.
    for level in ["block", "district"] {
        let line = format!("reached the {level}: {laptop_changes} change(s)");
        assert!(quiet.contains(&line), "{line} in {quiet}");
    }

    // Exactly once at the district: every change of the laptop, and the district's own step.
    let device = {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        store.device_id().unwrap().to_string()
    };
    eventually("every laptop change at the district", || {
        dist.count(&format!("SELECT count(*) FROM change WHERE origin_device = '{device}'")) == laptop_changes
    });
    assert_eq!(
        dist.count(
            "SELECT count(*) FROM (SELECT origin_device, origin_seq FROM change GROUP BY 1, 2) AS once"
        ),
        dist.count("SELECT count(*) FROM change"),
    );

    // A second laptop for the same village, new and empty: enrollment gives it the village (the
    // same record the first laptop serves), and its first sync brings the first laptop's work.
    let second_dir = tempfile::tempdir().unwrap();
    drop(samanvaya_tests::open(second_dir.path()).unwrap());
    let second_code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "bakraur"]);
    ok(run("samanvaya", &["enroll", &block.url, second_code.trim()], Some(second_dir.path())));
    let got = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(second_dir.path())));
    assert!(got.contains(&format!("received {}", laptop_changes + 3)), "{got}");
    let second = samanvaya_tests::open(second_dir.path()).unwrap();
    let villages = second.villages().unwrap();
    assert_eq!(villages.len(), 1);
    assert_eq!(villages[0].name_hi, "बकरौर", "the village's record is the first laptop's");
    let theirs = second.household(household).unwrap();
    assert_eq!(theirs.members[0].name, "कमला देवी");
    let list = second
        .referrals(&ReferralQuery { household_id: None, open_only: false }, second.now().unwrap().today)
        .unwrap();
    assert_eq!((list[0].number.as_str(), list[0].stage), ("R-1", Stage::Sanctioned));
    // Its own numbers come from another lease: the two laptops never hand out the same one.
    assert_ne!(second.numbers_left().unwrap(), vec![]);
    // It says at each session the last number of the newest lease it holds of each kind, the
    // block's newest (granted to it, enrolled last), so a lease whose answer was lost is granted
    // again instead of another.
    let newest: Vec<(String, i64)> = rusqlite::Connection::open(block_dir.path().join("server.sqlite3"))
        .unwrap()
        .prepare("SELECT kind, max(last) FROM lease GROUP BY kind ORDER BY kind")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(second.leases_through().unwrap(), newest);
    drop(block);
    drop(district);
}

#[test]
fn a_laptops_audit_log_reaches_the_district_through_its_block_whole_and_each_entry_once() {
    audit_log_to_the_district(false);
}

#[test]
fn the_same_audit_log_story_with_the_district_on_postgresql() {
    audit_log_to_the_district(true);
}

/// A household of one named woman saved on the laptop in `dir`.
fn survey_one(dir: &Path, name: &str) {
    let mut store = samanvaya_tests::open(dir).unwrap();
    let village = store.villages().unwrap()[0].id;
    let input =
        new_household(village, vec![member(name, Relation::Head, Sex::Female, Birth::Age { years: 41 })]);
    store.save_household(input, store.now().unwrap()).unwrap();
}

/// How many audit entries of `device` the block's log says it forwarded to the district.
fn forwarded_in_log(block: &samanvaya_tests::Running, device: &str) -> Vec<usize> {
    let suffix = format!(" audit log entries of laptop {device} to the district");
    std::fs::read_to_string(&block.log)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("forwarded ")?.strip_suffix(&suffix)?.parse().ok())
        .collect()
}

fn audit_log_to_the_district(on_postgres: bool) {
    let Some(dist) = District::new(on_postgres) else { return };
    let (block_dir, laptop_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let block_code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &block_code);
    let village_code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    ok(run("samanvaya", &["enroll", &block.url, village_code.trim()], Some(laptop_dir.path())));
    let device = samanvaya_tests::open(laptop_dir.path()).unwrap().device_id().unwrap().to_string();

    // The district's copy of the laptop's log equals the laptop's whole log, entry by entry
    // (the hashes too, read from its database), and names no one.
    let the_same_at_the_district = |names: &[&str]| -> usize {
        let log = samanvaya_tests::open(laptop_dir.path()).unwrap().audit_after(0, 100_000).unwrap();
        eventually("the laptop's whole audit log at the district", || {
            ok(dist.cmd(&["audit", "--device", &device])).lines().count() == log.len()
        });
        let held = ok(dist.cmd(&["audit", "--device", &device]));
        for (line, e) in held.lines().zip(&log) {
            assert_eq!(line, format!("{}\t{}\t{}\t{}\t{}", e.seq, e.at, e.who, e.action, e.detail));
        }
        let hashes: Vec<String> = log
            .iter()
            .map(|e| {
                format!("({}, '{}')", e.seq, e.hash.iter().map(|b| format!("{b:02x}")).collect::<String>())
            })
            .collect();
        let same = format!(
            "SELECT count(*) FROM device_audit WHERE device_id = '{device}' AND (seq, hash) IN (VALUES {})",
            hashes.join(", ")
        );
        assert_eq!(dist.count(&same), log.len() as i64, "every entry's hash is the laptop's");
        for name in names {
            assert!(!held.contains(name), "the log names records by id, never a person: {held}");
        }
        log.len()
    };

    survey_one(laptop_dir.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    let first = the_same_at_the_district(&["कमला"]);
    assert!(first >= 3, "the enrollment and the household's changes are in the log");
    let listed = ok(dist.cmd(&["audit"]));
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&format!("{device}\ta laptop of Bodh Gaya block\t{first} entries"))),
        "the district lists the laptop's log under its block: {listed}"
    );
    eventually("the block's word that it forwarded them", || {
        forwarded_in_log(&block, &device).iter().sum::<usize>() == first
    });
    let rounds = forwarded_in_log(&block, &device).len();

    // More work and a second sync: only the new entries go up, and each of them once.
    survey_one(laptop_dir.path(), "सीता कुमारी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    let second = the_same_at_the_district(&["कमला", "सीता"]);
    assert!(second > first, "the second household's changes are in the log");
    eventually("the block's word that it forwarded the new ones", || {
        forwarded_in_log(&block, &device)[rounds..].iter().sum::<usize>() == second - first
    });
    assert_eq!(
        forwarded_in_log(&block, &device).iter().sum::<usize>(),
        second,
        "no entry was forwarded twice"
    );
    assert_eq!(
        dist.count(&format!("SELECT count(*) FROM device_audit WHERE device_id = '{device}'")),
        second as i64
    );

    // The block office is reinstalled as a new device: the district's operator hands the
    // laptop's log over to it with the command, and the district lists it under the new block.
    let block_ids = |listed: &str| -> Vec<String> {
        listed
            .lines()
            .filter(|l| l.contains("\tblock\t"))
            .filter_map(|l| l.split('\t').next())
            .map(str::to_owned)
            .collect()
    };
    let before = block_ids(&ok(dist.cmd(&["devices"])));
    let new_block_dir = tempfile::tempdir().unwrap();
    let new_code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let new_block = start_block(new_block_dir.path(), &district.url, &new_code);
    let after = block_ids(&ok(dist.cmd(&["devices"])));
    let new_id =
        after.into_iter().find(|id| !before.contains(id)).expect("the new block is enrolled at the district");
    let handed = ok(dist.cmd(&["hand-over-audit", "--laptop", &device, "--to", &new_id]));
    assert!(
        handed.contains(&format!("the audit log of laptop {device} now comes through block {new_id}")),
        "{handed}"
    );
    let via = |block: &str| {
        dist.count(&format!(
            "SELECT count(*) FROM forwarded_audit WHERE device_id = '{device}' AND via = '{block}'"
        ))
    };
    assert_eq!(via(&new_id), 1, "the new block forwards the log from now on");
    assert_eq!(
        dist.count(&format!("SELECT count(*) FROM device_audit WHERE device_id = '{device}'")),
        second as i64,
        "every entry held stays"
    );
    // The laptop's village goes to the new block too, beside the old one, which keeps it.
    let village: String = dist.one("SELECT village_id FROM household LIMIT 1");
    let assigned = ok(dist.cmd(&["assign-village", "--village", &village, "--to", &new_id]));
    assert!(assigned.contains(&format!("village {village} now comes through block {new_id}")), "{assigned}");
    let holders = dist.count(&format!("SELECT count(*) FROM block_village WHERE village_id = '{village}'"));
    assert_eq!(holders, 2, "both blocks forward the village");
    // Its cursor in the district's feed is past the village's households: told to read the feed
    // again, it holds them all at its next rounds.
    let at_the_district = dist.count("SELECT count(*) FROM household");
    let at_the_new_block = || {
        let conn = rusqlite::Connection::open(new_block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT count(*) FROM household", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    eventually("the village's households at the new block", || at_the_new_block() == at_the_district);
    let again = ok(dist.cmd(&["assign-village", "--village", &village, "--to", &new_id]));
    assert!(again.contains("already comes through block"), "{again}");
    let wrong = dist.cmd(&["assign-village", "--village", &village, "--to", &device]);
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a block enrolled here"), "{wrong:?}");
    // A mistaken id is refused with what to do, and changes nothing.
    let wrong = dist.cmd(&["hand-over-audit", "--laptop", &device, "--to", &device]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("is not a block enrolled here"), "{wrong:?}");
    // The old block's next forwarding of that log is refused: its log says so, and the district
    // holds no more of it than before.
    survey_one(laptop_dir.path(), "गीता देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    eventually("the old block told that the log is no longer its to forward", || {
        std::fs::read_to_string(&block.log).unwrap().contains(&format!(
            "the audit log of laptop {device} reaches this district through block {new_id}, not this one"
        ))
    });
    assert_eq!(
        dist.count(&format!("SELECT count(*) FROM device_audit WHERE device_id = '{device}'")),
        second as i64
    );
    drop(new_block);
    drop(block);
    drop(district);
}

/// A laptop restored from a backup its block had outrun (the old laptop logged and synced after
/// the backup): the restored laptop's log since the backup goes up as a branch of the log, and
/// the block forwards it to the district under the laptop, entry by entry, beside the old
/// laptop's log, which the district keeps as the old laptop wrote it.
#[test]
fn a_restored_laptops_audit_branch_reaches_the_district_through_its_block() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, old_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (restored_dir, stick) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let block_code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &block_code);
    let village_code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    samanvaya_tests::serve_a_village(&mut samanvaya_tests::open(old_dir.path()).unwrap()).unwrap();
    ok(run("samanvaya", &["enroll", &block.url, village_code.trim()], Some(old_dir.path())));
    survey_one(old_dir.path(), "कमला देवी");
    let backup = stick.path().join("laptop.backup");
    samanvaya_tests::open(old_dir.path()).unwrap().backup(&backup).unwrap();
    survey_one(old_dir.path(), "सुनीता कुमारी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(old_dir.path())));

    drop(
        samanvaya_core::Store::restore(&backup, restored_dir.path(), None, &samanvaya_core::Secret::new(PIN))
            .unwrap(),
    );
    survey_one(restored_dir.path(), "रीना देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(restored_dir.path())));
    let (device, fork, since_restore, old_log) = {
        let restored = samanvaya_tests::open(restored_dir.path()).unwrap();
        let fork = restored.audit_fork().unwrap().expect("the restored laptop writes on a branch");
        let since = restored.audit_after(fork.from_seq, 100_000).unwrap();
        let old_log = samanvaya_tests::open(old_dir.path()).unwrap().audit_after(0, 100_000).unwrap();
        (restored.device_id().unwrap().to_string(), fork, since, old_log)
    };
    let branch = fork.id.to_string();
    eventually("the restored laptop's branch at the district", || {
        ok(dist.cmd(&["audit", "--device", &branch])).lines().count() == since_restore.len()
    });
    let line = |e: &samanvaya_domain::audit::AuditEntry| {
        format!("{}\t{}\t{}\t{}\t{}", e.seq, e.at, e.who, e.action, e.detail)
    };
    let held = ok(dist.cmd(&["audit", "--device", &branch]));
    assert_eq!(
        held.lines().map(str::to_owned).collect::<Vec<_>>(),
        since_restore.iter().map(line).collect::<Vec<_>>()
    );
    let main = ok(dist.cmd(&["audit", "--device", &device]));
    assert!(
        main.lines().count() as i64 > fork.from_seq,
        "the old laptop's entries after the backup stay: {main}"
    );
    for (l, e) in main.lines().zip(&old_log) {
        assert_eq!(l, line(e), "the old laptop's log as it wrote it");
    }
    let listed = ok(dist.cmd(&["audit"]));
    let named = format!(
        "{branch}\ta laptop of Bodh Gaya block, restored: the log of {device} after its entry {}",
        fork.from_seq
    );
    assert!(listed.lines().any(|l| l.starts_with(&named)), "{named} in {listed}");
    drop(block);
    drop(district);
}

/// A block server on 127.0.0.1 in a folder of its own, and a laptop serving Bakraur enrolled
/// with it (the block's folder, the running block, the laptop's folder).
fn block_and_laptop() -> (tempfile::TempDir, samanvaya_tests::Running, tempfile::TempDir) {
    let (block_dir, laptop_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let block = start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap()]);
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(laptop_dir.path())));
    (block_dir, block, laptop_dir)
}

#[test]
fn with_no_network_a_laptop_sends_its_work_on_a_usb_stick_and_a_second_import_changes_nothing() {
    let (block_dir, block, laptop_dir) = block_and_laptop();
    let stick = tempfile::tempdir().unwrap();
    // Weeks without a network: two households surveyed.
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        for name in ["सीता देवी", "गीता देवी"] {
            let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 41 });
            store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
        }
    }
    let waiting = samanvaya_tests::open(laptop_dir.path()).unwrap().queued_changes().unwrap();
    assert!(waiting > 0);
    let file = stick.path().join("bakraur.samanvaya-sync");
    let wrote = ok(run("samanvaya", &["export-sync", file.to_str().unwrap()], Some(laptop_dir.path())));
    assert!(wrote.contains(&format!("wrote {waiting} change(s)")), "{wrote}");
    assert!(
        wrote.contains("samanvaya-server import ") && wrote.contains(" --answer "),
        "the answer asked for: {wrote}"
    );
    // A stick passes through many hands: nothing of the village can be read from the file.
    let bytes = std::fs::read(&file).unwrap();
    for name in ["सीता देवी", "गीता देवी"] {
        assert!(!bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{name} is readable in the file");
    }
    let body = &bytes[bytes.windows(2).position(|w| w == b"\n\n").unwrap() + 2..];
    assert!(zstd::bulk::decompress(body, 64 << 20).is_err(), "the file unpacks without the laptop's key");

    // At the block office.
    let f = file.to_str().unwrap();
    let first = server_cmd("block", block_dir.path(), &["import", f]);
    assert!(first.contains(&format!("{waiting} new change(s), 0 already here")), "{first}");
    assert!(
        first.contains("no answer written for the laptop") && first.contains("export-feed --device "),
        "{first}"
    );
    let second = server_cmd("block", block_dir.path(), &["import", f]);
    assert!(second.contains(&format!("0 new change(s), {waiting} already here")), "{second}");
    // The block's import of a file expected to be refused, as the operator runs it.
    let import = |file: &Path| {
        let dir = block_dir.path().to_str().unwrap();
        run(
            "samanvaya-server",
            &["--role", "block", "--data-dir", dir, "import", file.to_str().unwrap()],
            None,
        )
    };
    // A file larger than any a laptop or a block writes is refused before it is read.
    let huge = stick.path().join("huge.samanvaya-sync");
    std::fs::File::create(&huge).unwrap().set_len(100 << 20).unwrap();
    let refused = import(&huge);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("larger than 64 MB"), "{refused:?}");
    let huge_answer = stick.path().join("huge.samanvaya-feed");
    std::fs::File::create(&huge_answer).unwrap().set_len(100 << 20).unwrap();
    let refused = run("samanvaya", &["import-feed", huge_answer.to_str().unwrap()], Some(laptop_dir.path()));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("larger than 64 MB"), "{refused:?}");
    // A file changed on the way is refused whole, and nothing of it is stored.
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    let changed = stick.path().join("changed.samanvaya-sync");
    std::fs::write(&changed, bytes).unwrap();
    let refused = import(&changed);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("changed or damaged"), "{refused:?}");

    // When the network comes back, nothing is sent twice: the block already holds it all.
    let online = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(online.contains("sent 0 change(s)"), "{online}");
    let block_db = block_dir.path().join("server.sqlite3");
    let conn = rusqlite::Connection::open(block_db).unwrap();
    let stored: i64 = conn.query_row("SELECT count(*) FROM change", [], |r| r.get(0)).unwrap();
    assert_eq!(stored, waiting);
    drop(block);
}

/// A village with no network at all sends its audit log on the stick with its changes: the block
/// checks it link by link and keeps each entry once, its answer says how far it holds the log, and
/// the next file carries only what came after.
#[test]
fn a_village_with_no_network_sends_its_audit_log_on_the_stick_each_entry_once() {
    let (block_dir, block, laptop_dir) = block_and_laptop();
    let stick = tempfile::tempdir().unwrap();
    let add = |name: &str| {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 41 });
        store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
    };
    let laptop_log = || {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        store.audit_after(0, 100_000).unwrap().iter().map(|e| (e.seq, e.action.clone())).collect::<Vec<_>>()
    };
    let device = samanvaya_tests::open(laptop_dir.path()).unwrap().device_id().unwrap().to_string();
    let block_log = || {
        server_cmd("block", block_dir.path(), &["audit", "--device", &device])
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[0].parse::<i64>().unwrap(), f[3].to_owned())
            })
            .collect::<Vec<_>>()
    };
    let round = |n: usize| -> String {
        let (up, down) = (stick.path().join(format!("up-{n}")), stick.path().join(format!("down-{n}")));
        ok(run("samanvaya", &["export-sync", up.to_str().unwrap()], Some(laptop_dir.path())));
        let imported = server_cmd(
            "block",
            block_dir.path(),
            &["import", up.to_str().unwrap(), "--answer", down.to_str().unwrap()],
        );
        ok(run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(laptop_dir.path())));
        imported
    };

    add("सीता देवी");
    let before = laptop_log();
    assert!(before.len() > 2, "the laptop logged its work: {before:?}");
    let first = round(1);
    // The file was written after the entries above and logged as an export: that entry comes next time.
    assert!(first.contains(&format!("held here through entry {}", before.last().unwrap().0)), "{first}");
    assert_eq!(block_log(), before, "the block holds the log as the laptop wrote it");
    // The answer said so: the next file starts after it.
    let known = samanvaya_tests::open(laptop_dir.path()).unwrap().audit_held_through().unwrap();
    assert_eq!(known, before.last().unwrap().0);

    add("गीता देवी");
    let second = round(2);
    let after = laptop_log();
    let held = block_log();
    assert!(held.len() > before.len(), "the second file carried the later entries: {second}");
    assert_eq!(held, after[..held.len()], "the block's copy is the laptop's log, each entry once");
    assert!(second.contains(&format!("held here through entry {}", held.last().unwrap().0)), "{second}");
    // When the network comes, the online sync sends only the rest, and the logs agree.
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    let (now_laptop, now_block) = (laptop_log(), block_log());
    assert_eq!(now_block, now_laptop[..now_block.len()]);
    assert!(now_block.len() + 2 >= now_laptop.len(), "all but the sync's own last entries are there");
    // A block restored from a backup that lost only audit entries (files of audit entries
    // alone are common: every export and every pulled change logs) shows it in nothing else:
    // here the laptop's word of what the block holds moved on by hand, as the block's answer
    // before its restore would have moved it. The file starts right after that word: taken for
    // entries the block lost, not for an edit, and after the answer the next file sends them.
    add("मीना देवी");
    samanvaya_tests::open(laptop_dir.path())
        .unwrap()
        .connection()
        .execute("UPDATE sync_link SET audit_held = audit_held + 2", [])
        .unwrap();
    let mark = samanvaya_tests::open(laptop_dir.path()).unwrap().audit_held_through().unwrap();
    add("कमला देवी");
    let lost = round(3);
    assert!(
        lost.contains(&format!("held here only through entry {}", mark - 2))
            && lost.contains(&format!("start at entry {}", mark + 1)),
        "{lost}"
    );
    let sent = round(4);
    let (now_laptop, now_block) = (laptop_log(), block_log());
    assert_eq!(now_block, now_laptop[..now_block.len()], "each entry once: {sent}");
    assert!(now_block.len() > mark as usize, "the entries after the word sent again: {sent}");
    // Entries taken out of the laptop's log before they were sent (here by hand, past the
    // log's guard): the file starts further on than the laptop's word of what the block
    // holds, and is refused as a log changed on the laptop, not taken for entries a restored
    // block lost, which left it sending the rest, never kept, file after file, with nobody told.
    add("रीता देवी");
    samanvaya_tests::open(laptop_dir.path())
        .unwrap()
        .connection()
        .execute_batch(
            "DROP TRIGGER audit_append_only_delete;
             DELETE FROM audit WHERE seq IN (SELECT seq FROM audit WHERE seq > (SELECT audit_held FROM sync_link) ORDER BY seq LIMIT 2);
             CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
             BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
        )
        .unwrap();
    let up = stick.path().join("up-gap");
    ok(run("samanvaya", &["export-sync", up.to_str().unwrap()], Some(laptop_dir.path())));
    let dir = block_dir.path().to_str().unwrap();
    let gap = run(
        "samanvaya-server",
        &["--role", "block", "--data-dir", dir, "import", up.to_str().unwrap()],
        None,
    );
    let (said, warned) = (String::from_utf8_lossy(&gap.stdout), String::from_utf8_lossy(&gap.stderr));
    assert!(gap.status.success() && !said.contains("held here only through"), "{said}");
    assert!(warned.contains("changed after it was written"), "{warned}");
    assert_eq!(block_log(), now_block, "nothing of the file's entries kept");
    drop(block);
}

/// A facilitator who forgot her PIN and lost the code shown at set-up calls the block office:
/// the laptop gave its block a second recovery code at its first sync, and the operator reads it
/// out. Once kept, it is not sent again; a revoked laptop's code is not given out.
#[test]
fn the_block_reads_out_a_recovery_code_that_opens_the_laptop_when_the_pin_is_forgotten() {
    let (block_dir, block, laptop_dir) = block_and_laptop();
    let device = samanvaya_tests::open(laptop_dir.path()).unwrap().device_id().unwrap().to_string();
    let read_out = |device: &str| {
        let dir = block_dir.path().to_str().unwrap();
        run(
            "samanvaya-server",
            &["--role", "block", "--data-dir", dir, "recovery-code", "--device", device],
            None,
        )
    };
    let early = read_out(&device);
    assert!(String::from_utf8_lossy(&early.stderr).contains("has not sent a recovery code yet"), "{early:?}");

    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    let code = ok(read_out(&device)).trim().to_owned();
    assert_eq!(code.chars().filter(char::is_ascii_alphanumeric).count(), 20, "{code}");
    let keyring = std::fs::read_to_string(laptop_dir.path().join(samanvaya_core::KEYRING_FILE)).unwrap();
    assert!(!keyring.contains(&code), "the code itself is never kept on the laptop");
    // A second sync sends none: the block keeps the first.
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert_eq!(ok(read_out(&device)).trim(), code);

    // Read out over the phone, typed in lower case with spaces: a new PIN, and the data is there.
    let typed = samanvaya_core::Secret::new(code.to_lowercase().replace('-', " "));
    let new_pin = samanvaya_core::Secret::new("613824");
    let store = samanvaya_core::Store::recover(laptop_dir.path(), None, &typed, &new_pin).unwrap();
    assert_eq!(store.villages().unwrap().len(), 1);
    drop(store);
    assert!(samanvaya_core::Store::unlock(laptop_dir.path(), None, &new_pin).is_ok(), "the new PIN opens it");
    let wrong = samanvaya_core::Secret::new("ABCD EFGH JKMN PQRS TUVW");
    assert!(samanvaya_core::Store::recover(laptop_dir.path(), None, &wrong, &new_pin).is_err());
    // Read out, the code is no longer a secret: it opens the laptop once, and its next sync gives
    // the block another.
    assert!(samanvaya_core::Store::recover(laptop_dir.path(), None, &typed, &new_pin).is_err(), "used up");
    let mut cmd = std::process::Command::new(binary("samanvaya"));
    cmd.args(["sync", "--timeout", "20"])
        .env("SAMANVAYA_PIN", "613824")
        .env("SAMANVAYA_DATA_DIR", laptop_dir.path());
    ok(samanvaya_tests::run_logged("samanvaya", &mut cmd));
    let next = ok(read_out(&device)).trim().to_owned();
    assert_ne!(next, code, "a new code after the first was used");

    // A lost laptop is revoked: its code is not read out to whoever holds it.
    server_cmd("block", block_dir.path(), &["revoke", &device]);
    let refused = read_out(&device);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("was revoked"), "{refused:?}");
    // The block office's record: each reading-out of the code, when and by which account; the
    // refused ones gave nothing out and are not there.
    let dir = block_dir.path().to_str().unwrap();
    let history = ok(run(
        "samanvaya-server",
        &["--role", "block", "--data-dir", dir, "recovery-code", "--device", &device, "--history"],
        None,
    ));
    let reads: Vec<&str> = history.lines().collect();
    assert_eq!(reads.len(), 3, "{history}");
    assert!(
        reads.iter().all(|r| r.contains("\tread by ") && !r.contains(&code) && !r.contains(&next)),
        "{history}"
    );
    drop(block);
}

/// A Samiti viewer's account reads the village at a meeting; it does not carry the village off
/// the laptop on a stick, apply the block's files or enroll the laptop. The facilitator's file is
/// written in the audit log as an export.
#[test]
fn a_samiti_viewer_writes_no_sync_file_and_the_facilitators_is_audited() {
    let (block_dir, block, _) = block_and_laptop();
    let (laptop_dir, stick) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (store, code) = samanvaya_core::Store::open_or_create(
        laptop_dir.path(),
        "Test facilitator",
        &samanvaya_core::Secret::new(PIN),
    )
    .unwrap();
    let code = code.expect("a new store's recovery code");
    let viewer_pin = samanvaya_core::Secret::new("519372");
    store.add_account(&code, "Samiti", samanvaya_core::Role::SamitiViewer, &viewer_pin).unwrap();
    let mut store = store;
    samanvaya_tests::serve_a_village(&mut store).unwrap();
    drop(store);
    let viewer = samanvaya_core::Store::unlock(laptop_dir.path(), Some("samiti"), &viewer_pin).unwrap();
    let refused = viewer.check_enrollable().unwrap_err();
    assert!(matches!(refused, samanvaya_core::StoreError::NotAllowed { .. }), "{refused}");
    drop(viewer);
    let url = block.url.clone();
    let code_for = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    ok(run(
        "samanvaya",
        &["--account", "Test facilitator", "enroll", &url, code_for.trim()],
        Some(laptop_dir.path()),
    ));

    let mut viewer = samanvaya_core::Store::unlock(laptop_dir.path(), Some("samiti"), &viewer_pin).unwrap();
    let file = stick.path().join("bakraur.samanvaya-sync");
    let refused = samanvaya_sync_laptop::export_file(&mut viewer, &file).unwrap_err();
    assert!(refused.to_string().contains("samiti"), "{refused}");
    assert!(!file.exists(), "no file written");
    let refused = samanvaya_sync_laptop::import_feed(&mut viewer, b"anything").unwrap_err();
    assert!(refused.to_string().contains("samiti"), "{refused}");
    drop(viewer);

    let mut facilitator = samanvaya_core::Store::unlock(
        laptop_dir.path(),
        Some("Test facilitator"),
        &samanvaya_core::Secret::new(PIN),
    )
    .unwrap();
    // A stick that fills up while the file is written (its half file standing for /dev/full)
    // keeps no half file, nor the file, nor an export in the log.
    let half = file.with_extension("partial");
    std::os::unix::fs::symlink("/dev/full", &half).unwrap();
    let full = samanvaya_sync_laptop::export_file(&mut facilitator, &file).unwrap_err();
    assert!(full.to_string().contains("bakraur"), "{full}");
    assert!(half.symlink_metadata().is_err() && !file.exists(), "no half file left on the stick");
    let wrote = samanvaya_sync_laptop::export_file(&mut facilitator, &file).unwrap();
    assert!(file.exists());
    let log = facilitator.audit_after(0, 100_000).unwrap();
    let exports: Vec<_> = log.iter().filter(|e| e.action == "export:sync").collect();
    assert_eq!(exports.len(), 1, "one export in the audit log");
    assert_eq!(
        exports[0].detail,
        format!("{} changes, {} carried again", wrote.changes, wrote.carried_again)
    );
    drop(block);
}

/// A new laptop, its store empty, is enrolled for a village the block office registered: it
/// receives the village with the places above it, and numbers from the block.
#[test]
fn a_new_laptop_receives_the_village_the_block_office_registered() {
    let block_dir = tempfile::tempdir().unwrap();
    let laptop_dir = tempfile::tempdir().unwrap();
    let block = start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap()]);
    let places = BAKRAUR_ABOVE;
    let mut add = vec!["add-village"];
    add.extend_from_slice(&places);
    add.extend_from_slice(&["--village", "Bakraur|बकरौर"]);
    let added = server_cmd("block", block_dir.path(), &add);
    assert!(added.contains("Bakraur (बकरौर) is registered"), "{added}");
    // A second village of the panchayat sits under the same panchayat; a name twice is refused.
    add.pop();
    add.push("Sujata|सुजाता");
    server_cmd("block", block_dir.path(), &add);
    let again = run(
        "samanvaya-server",
        &[
            &["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "add-village"][..],
            &places,
            &["--village", "bakraur|बकरौर"],
        ]
        .concat(),
        None,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already"), "{again:?}");
    let missing_hindi = run(
        "samanvaya-server",
        &[
            &["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "add-village"][..],
            &places,
            &["--village", "Mocharim"],
        ]
        .concat(),
        None,
    );
    assert!(
        String::from_utf8_lossy(&missing_hindi.stderr).contains("English and Hindi"),
        "{missing_hindi:?}"
    );

    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    let enrolled = ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(laptop_dir.path())));
    assert!(enrolled.contains("household numbers 1 to"), "{enrolled}");
    let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
    let villages = store.villages().unwrap();
    assert_eq!(villages.len(), 1);
    assert_eq!((villages[0].name_en.as_str(), villages[0].name_hi.as_str()), ("Bakraur", "बकरौर"));
    let path: Vec<String> =
        store.place_path(villages[0].id).unwrap().into_iter().map(|p| p.name_hi).collect();
    assert_eq!(path, ["बिहार", "गया", "बोधगया", "बकरौर", "बकरौर"]);
    drop(block);
}

/// The laptop pins the block's certificate at enrollment. Another server answering at the
/// block's address (someone in the middle, or a block reinstalled without its backup) is refused
/// before anything is sent; the real block, back at its address, takes the work as before.
#[test]
fn a_laptop_sends_nothing_to_a_server_presenting_another_certificate() {
    let block_dir = tempfile::tempdir().unwrap();
    let impostor_dir = tempfile::tempdir().unwrap();
    let laptop_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let block_args =
        ["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "--listen", &listen];
    let block = start_server(&block_args);
    assert!(block.url.starts_with("https://"), "a server speaks TLS unless told otherwise");
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    // Plain HTTP to another computer would carry the village's data in the clear.
    let plain = run("samanvaya", &["enroll", "http://192.0.2.7:8740", code.trim()], Some(laptop_dir.path()));
    assert!(!plain.status.success());
    assert!(String::from_utf8_lossy(&plain.stderr).contains("https://"), "{plain:?}");
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(laptop_dir.path())));
    let pinned = samanvaya_tests::open(laptop_dir.path()).unwrap().enrollment().unwrap().unwrap().certificate;
    assert_eq!(pinned, block.certificate, "the laptop keeps the certificate the block presents");
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member("सीता देवी", Relation::Head, Sex::Female, Birth::Age { years: 41 });
        store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
    }
    drop(block);

    let impostor_args =
        ["--role", "block", "--data-dir", impostor_dir.path().to_str().unwrap(), "--listen", &listen];
    let impostor = start_server(&impostor_args);
    assert_ne!(impostor.certificate, pinned);
    let refused = run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path()));
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("another certificate") && said.contains("intercepting"), "{said}");
    let conn = rusqlite::Connection::open(impostor_dir.path().join("server.sqlite3")).unwrap();
    let received: i64 = conn.query_row("SELECT count(*) FROM change", [], |r| r.get(0)).unwrap();
    assert_eq!(received, 0, "nothing reached the impostor");
    drop(impostor);

    let block = start_server(&block_args);
    let synced = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(!synced.contains("sent 0 change(s)"), "{synced}");
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let stored: i64 = conn.query_row("SELECT count(*) FROM change", [], |r| r.get(0)).unwrap();
    assert!(stored > 0);
    drop(block);
}

/// HTTPS, as in the field, through a link that loses half of the requests: the proxy cannot
/// read them, so it loses them by TLS record (stalled, cut, or their answer lost); the laptop
/// retries until everything is at the block, once.
#[test]
fn over_https_a_link_that_loses_requests_loses_nothing_and_doubles_nothing() {
    use samanvaya_tests::proxy::{Faults, Proxy};
    let (block_dir, laptop_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let block = start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap()]);
    let link = Proxy::start(block.url.trim_start_matches("https://"));
    let url = link.url.replacen("http://", "https://", 1);
    let waiting = a_laptop_with_households(laptop_dir.path(), block_dir.path(), &url, 60);
    link.set(Faults { loss_percent: 50, seed: 4, ..Faults::default() });
    let mut runs = 0;
    loop {
        runs += 1;
        let out = run("samanvaya", &["sync", "--timeout", "2"], Some(laptop_dir.path()));
        let said = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && said.contains("waiting to send: 0") {
            break;
        }
        assert!(runs < 20, "the day did not get through in 20 syncs: {said}");
    }
    let f = link.injected();
    eprintln!("{runs} sync(s) through {f:?}");
    assert!(f.requests > 5, "the proxy found the requests in the TLS records: {f:?}");
    assert!(f.stalled + f.cut + f.lost_answers > 0, "and lost some: {f:?}");
    assert!(stored_whole(block_dir.path(), waiting), "every change at the block once");
    drop(block);
}

#[test]
fn a_link_that_loses_answers_and_damages_pushes_loses_nothing_and_doubles_nothing() {
    use samanvaya_tests::proxy::{Faults, Proxy};
    let block_dir = tempfile::tempdir().unwrap();
    let laptop_dir = tempfile::tempdir().unwrap();
    // The proxy reads the HTTP it passes to find pushes, so this block speaks it in the clear.
    let block =
        start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "--plain-http"]);
    let link = Proxy::start(block.url.trim_start_matches("http://"));
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    ok(run("samanvaya", &["enroll", &link.url, code.trim()], Some(laptop_dir.path())));
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        for name in ["सीता देवी", "गीता देवी", "रीता देवी"] {
            let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 52 });
            store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
        }
    }
    let stored = || -> i64 {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT count(*) FROM change", [], |r| r.get(0)).unwrap()
    };
    let waiting = samanvaya_tests::open(laptop_dir.path()).unwrap().queued_changes().unwrap();
    // The block stores a push but its answer never arrives; the laptop sends the batch again on
    // a fresh connection and is told it is there already.
    link.set(Faults { lose_push_answers: 1, ..Faults::default() });
    let out = ok(run("samanvaya", &["sync", "--timeout", "5"], Some(laptop_dir.path())));
    assert_eq!(link.injected().lost_answers, 1, "the answer was lost: {out}");
    assert!(out.contains("waiting to send: 0"), "{out}");
    assert!(!out.contains(", 0 already there"), "the batch sent again was found stored: {out}");
    assert_eq!(stored(), waiting, "every change stored once");
    // A push arrives with one bit flipped: refused by its digest, sent again, stored once.
    {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member("मीना देवी", Relation::Head, Sex::Female, Birth::Age { years: 33 });
        store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
    }
    let more = samanvaya_tests::open(laptop_dir.path()).unwrap().queued_changes().unwrap();
    link.set(Faults { corrupt_pushes: 1, ..Faults::default() });
    let out = ok(run("samanvaya", &["sync", "--timeout", "5"], Some(laptop_dir.path())));
    assert_eq!(link.injected().corrupted, 1, "the push was damaged: {out}");
    assert!(out.contains(&format!("sent {more} change(s)")) && out.contains("waiting to send: 0"), "{out}");
    assert_eq!(stored(), waiting + more, "every change stored once");
    // A slow link passes everything too, just later; nothing is left to send.
    link.set(Faults { delay: Duration::from_millis(30), ..Faults::default() });
    let again = ok(run("samanvaya", &["sync", "--timeout", "5"], Some(laptop_dir.path())));
    assert!(again.contains("sent 0 change(s)"), "{again}");
    drop(block);
}

/// An enrollment whose answer is lost on the way (the block enrolled the laptop, the link dropped
/// before the laptop heard) is sent again with the same code and answered again: the laptop
/// enrolls once, with the first answer's numbers. When every sending's answer is lost the
/// command fails, and the facilitator running it again with the same code enrolls the laptop,
/// no range of numbers wasted. Once the laptop has synced, the code enrolls nobody else.
#[test]
fn an_enrollment_whose_answer_was_lost_is_answered_again_for_the_same_code() {
    use samanvaya_tests::proxy::{Faults, Proxy};
    let block_dir = tempfile::tempdir().unwrap();
    // The proxy reads the HTTP it passes to find enrollments, so this block speaks it in the clear.
    let block =
        start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "--plain-http"]);
    let link = Proxy::start(block.url.trim_start_matches("http://"));
    let laptop = || {
        let dir = tempfile::tempdir().unwrap();
        let mut store = samanvaya_tests::open(dir.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
        dir
    };
    let at_block = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };

    let first = laptop();
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    link.set(Faults { lose_enroll_answers: 1, ..Faults::default() });
    let out = ok(run("samanvaya", &["enroll", &link.url, code.trim()], Some(first.path())));
    assert_eq!(link.injected().lost_answers, 1, "the first answer was lost: {out}");
    assert!(out.contains("household numbers 1 to 1000"), "the first answer's numbers: {out}");

    let second = laptop();
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    link.set(Faults { lose_enroll_answers: 3, ..Faults::default() });
    let failed = run("samanvaya", &["enroll", &link.url, code.trim()], Some(second.path()));
    assert!(!failed.status.success(), "every answer was lost: {failed:?}");
    let said = String::from_utf8_lossy(&failed.stderr);
    assert!(said.contains("run the same command again with the same code"), "{said}");
    assert_eq!(link.injected().lost_answers, 4, "three sendings, each answer lost");
    let newest_secret = || -> String {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT secret_hash FROM device ORDER BY enrolled_at DESC LIMIT 1", [], |r| r.get(0))
            .unwrap()
    };
    let sent_first = newest_secret();
    let out = ok(run("samanvaya", &["enroll", &link.url, code.trim()], Some(second.path())));
    assert_eq!(newest_secret(), sent_first, "the second run sent the secret the first drew and kept");
    assert!(out.contains("household numbers 1001 to 2000"), "the numbers granted the first time: {out}");
    assert_eq!(at_block("SELECT count(*) FROM device"), 2);
    assert_eq!(at_block("SELECT count(*) FROM lease WHERE kind = 'household'"), 2, "no range wasted");

    for dir in [&first, &second] {
        let mut store = samanvaya_tests::open(dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member("सीता देवी", Relation::Head, Sex::Female, Birth::Age { years: 52 });
        store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
        drop(store);
        let out = ok(run("samanvaya", &["sync", "--timeout", "5"], Some(dir.path())));
        assert!(out.contains("waiting to send: 0"), "{out}");
    }
    let third = laptop();
    let refused = run("samanvaya", &["enroll", &link.url, code.trim()], Some(third.path()));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("used already"), "{refused:?}");
    drop(block);
}

/// A laptop with `n` households of three people each, enrolled (through `link`) with a fresh
/// block: enough changes for several pushes. Returns how many changes wait to be sent.
fn a_laptop_with_households(laptop: &Path, block: &Path, link: &str, n: usize) -> i64 {
    let code = server_cmd("block", block, &["enroll-code", "--village", "Bakraur"]);
    a_laptop_enrolled_with_households(laptop, &code, link, n)
}

/// As [`a_laptop_with_households`], with the block's enrollment `code` made already.
fn a_laptop_enrolled_with_households(laptop: &Path, code: &str, link: &str, n: usize) -> i64 {
    {
        let mut store = samanvaya_tests::open(laptop).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    ok(run("samanvaya", &["enroll", link, code.trim()], Some(laptop)));
    let mut store = samanvaya_tests::open(laptop).unwrap();
    let village = store.villages().unwrap()[0].id;
    for i in 0..n {
        let family = vec![
            member(&format!("सुनीता देवी {i}"), Relation::Head, Sex::Female, Birth::Age { years: 40 }),
            member(&format!("रामू {i}"), Relation::Spouse, Sex::Male, Birth::Age { years: 44 }),
            member(&format!("पूजा {i}"), Relation::Daughter, Sex::Female, Birth::Age { years: 12 }),
        ];
        store.save_household(new_household(village, family), store.now().unwrap()).unwrap();
    }
    store.queued_changes().unwrap()
}

/// How many changes the block has stored, read from its SQLite file.
fn stored_at(block: &Path) -> i64 {
    let conn = rusqlite::Connection::open(block.join("server.sqlite3")).unwrap();
    conn.query_row("SELECT count(*) FROM change", [], |r| r.get(0)).unwrap()
}

/// Whether the block holds the laptop's changes as one unbroken run of its sequence numbers,
/// `waiting` long: none lost on the way, none stored twice.
fn stored_whole(block: &Path, waiting: i64) -> bool {
    stored_in_runs(block, waiting, 1)
}

/// Whether the block holds the laptop's changes, `waiting` of them, each once, as `runs`
/// unbroken runs of its sequence numbers: a laptop restored from a backup numbers its new work
/// in a run of its own, far past the old laptop's (`core/src/restored.rs`).
fn stored_in_runs(block: &Path, waiting: i64, runs: usize) -> bool {
    let conn = rusqlite::Connection::open(block.join("server.sqlite3")).unwrap();
    let seqs: Vec<i64> = conn
        .prepare("SELECT origin_seq FROM change ORDER BY origin_seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let breaks = seqs.windows(2).filter(|w| w[1] != w[0] + 1).count();
    seqs.len() as i64 == waiting && breaks + 1 == runs
}

/// After a sync that said `out`: nothing waits on the laptop, and the block holds all `waiting`
/// of its changes as one unbroken run, none lost, none twice.
fn all_sent(out: &str, block: &Path, waiting: i64) {
    assert!(out.contains("waiting to send: 0"), "{out}");
    assert_eq!(stored_at(block), waiting, "every change stored: {out}");
    assert!(stored_whole(block, waiting), "one unbroken run of the laptop's changes");
}

/// A block over plain HTTP (the proxy reads the HTTP it passes to find pushes and sessions),
/// and a laptop enrolled with it through a fault-injecting proxy, with `households` waiting to
/// be sent.
struct Proxied {
    block_dir: tempfile::TempDir,
    laptop_dir: tempfile::TempDir,
    block: samanvaya_tests::Running,
    link: samanvaya_tests::proxy::Proxy,
    waiting: i64,
}

fn a_laptop_behind_a_proxy(households: usize) -> Proxied {
    let (block_dir, laptop_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let block =
        start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "--plain-http"]);
    let link = samanvaya_tests::proxy::Proxy::start(block.url.trim_start_matches("http://"));
    let waiting = a_laptop_with_households(laptop_dir.path(), block_dir.path(), &link.url, households);
    Proxied { block_dir, laptop_dir, block, link, waiting }
}

#[test]
fn a_laptop_killed_in_the_middle_of_a_sync_sends_the_rest_once_when_started_again() {
    use samanvaya_tests::proxy::Faults;
    let Proxied { block_dir, laptop_dir, block, link, waiting } = a_laptop_behind_a_proxy(400);
    // A slow link, so that the sync is still sending when the laptop dies: the delay is the
    // link's latency, which pushes in a row do not add up, so it is the rate that keeps it slow.
    link.set(Faults { delay: Duration::from_millis(150), bytes_per_second: 16_000, ..Faults::default() });
    let mut sync = Command::new(binary("samanvaya"))
        .args(["sync", "--timeout", "10"])
        .env("SAMANVAYA_PIN", PIN)
        .env("SAMANVAYA_DATA_DIR", laptop_dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(samanvaya_tests::log_file("samanvaya")).unwrap())
        .spawn()
        .unwrap();
    eventually("a first push stored", || stored_at(block_dir.path()) > 0);
    // The power goes: no chance to finish a batch, write a cursor or close the store.
    sync.kill().unwrap();
    sync.wait().unwrap();
    let before = stored_at(block_dir.path());
    assert!(before < waiting, "killed before the last push: {before} of {waiting} stored");
    // Started again on a good link, the laptop sends what is left, and nothing twice.
    link.set(Faults::default());
    let out = ok(run("samanvaya", &["sync", "--timeout", "10"], Some(laptop_dir.path())));
    all_sent(&out, block_dir.path(), waiting);
    drop(block);
}

#[test]
fn a_block_killed_in_the_middle_of_a_sync_loses_nothing_and_stores_nothing_twice() {
    use samanvaya_tests::proxy::{Faults, Proxy};
    let (block_dir, laptop_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let block_args = ["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "--plain-http"];
    let mut block = start_server(&block_args);
    let address = block.url.trim_start_matches("http://").to_owned();
    let link = Proxy::start(&address);
    let waiting = a_laptop_with_households(laptop_dir.path(), block_dir.path(), &link.url, 400);
    // A slow link (the rate keeps it so), so that batches are still arriving when the block dies.
    link.set(Faults { delay: Duration::from_millis(150), bytes_per_second: 16_000, ..Faults::default() });
    let mut sync = Command::new(binary("samanvaya"));
    sync.args(["sync", "--timeout", "3"])
        .env("SAMANVAYA_PIN", PIN)
        .env("SAMANVAYA_DATA_DIR", laptop_dir.path());
    let sync = std::thread::spawn(move || sync.output().unwrap());
    eventually("a first push stored", || stored_at(block_dir.path()) > 0);
    // The block's power goes while batches are arriving.
    block.child.kill().unwrap();
    block.child.wait().unwrap();
    let out = sync.join().unwrap();
    std::fs::write(samanvaya_tests::log_file("samanvaya"), &out.stderr).unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let before = stored_at(block_dir.path());
    assert!(before < waiting, "killed before the last push: {before} of {waiting} stored; {said}");
    assert!(
        !out.status.success() && said.contains("the server cannot be reached"),
        "the laptop says it could not finish: {said}"
    );
    // The block comes back on the same address; the laptop sends the rest, once each.
    let mut again = block_args.to_vec();
    again.extend(["--listen", address.as_str()]);
    let block = start_server(&again);
    link.set(Faults::default());
    let out = ok(run("samanvaya", &["sync", "--timeout", "10"], Some(laptop_dir.path())));
    all_sent(&out, block_dir.path(), waiting);
    drop(block);
}

#[test]
fn a_2g_link_that_stalls_and_cuts_pushes_still_delivers_everything_once() {
    use samanvaya_tests::proxy::Faults;
    let Proxied { block_dir, laptop_dir, block, link, waiting } = a_laptop_behind_a_proxy(40);
    // 50 kbit/s each way; a push stalls for good, and the next two are cut a few bytes into
    // their bodies: those are the same push sent again on fresh connections at half and three
    // quarters of its wait. The laptop gives up on the three at the timeout, and sends the
    // batch again.
    link.set(Faults { bytes_per_second: 6_250, stall_pushes: 1, cut_pushes: 2, ..Faults::default() });
    let out = ok(run("samanvaya", &["sync", "--timeout", "4", "--verbose"], Some(laptop_dir.path())));
    let injected = link.injected();
    assert_eq!((injected.stalled, injected.cut), (1, 2), "the faults happened: {out}");
    all_sent(&out, block_dir.path(), waiting);
    // `--verbose` lists every exchange in order: the session, the stalled push given up after
    // its 4 seconds (its second and third sendings cut), then pushes answered with what they
    // carried, and says how many sendings went beside the first ones.
    let trace: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with(char::is_numeric)).collect();
    assert!(trace[0].contains(". session: answered in "), "{out}");
    assert!(trace[1].contains(". push: failed after 4.") && trace[1].contains("within 4 seconds"), "{out}");
    assert!(trace[2].contains(". push ") && trace[2].contains(" KB: answered in "), "{out}");
    // At least the stalled push went three times (another slow request on this link may have
    // gone again too).
    let beside: u32 = out
        .lines()
        .find_map(|l| {
            l.trim().strip_suffix(
                " sending(s) beside them on fresh connections, for those not answered in half their wait",
            )
        })
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(beside >= 2, "{out}");
    assert!(trace.iter().any(|l| l.contains(". pull")), "{out}");
    drop(block);
}

/// The first request of a sync is its session, and on 2G its connection can stall as a push's
/// does: sent again beside it on a fresh connection after half its wait, the session is answered
/// then, not after the whole wait and a retry.
#[test]
fn a_session_that_stalls_goes_again_beside_it() {
    use samanvaya_tests::proxy::Faults;
    let Proxied { block_dir, laptop_dir, block, link, waiting } = a_laptop_behind_a_proxy(3);
    link.set(Faults { stall_sessions: 1, ..Faults::default() });
    let out = ok(run("samanvaya", &["sync", "--timeout", "6", "--verbose"], Some(laptop_dir.path())));
    assert_eq!(link.injected().stalled, 1, "the session stalled: {out}");
    all_sent(&out, block_dir.path(), waiting);
    // Answered by the second sending, three seconds (half the wait) after the first: not a
    // failure after six and a retry.
    let trace: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with(char::is_numeric)).collect();
    assert!(trace[0].contains(". session: answered in 3."), "{out}");
    assert!(trace[1].contains(". push "), "{out}");
    assert!(out.contains(" 1 sending(s) beside them on fresh connections"), "{out}");
    drop(block);
}

/// A block over plain HTTP (so that the proxy can find the push whose answer it loses), reached
/// through a fault-injecting proxy by two laptops holding one household.
struct Behind {
    block_dir: tempfile::TempDir,
    a_dir: tempfile::TempDir,
    b_dir: tempfile::TempDir,
    block: samanvaya_tests::Running,
    link: samanvaya_tests::proxy::Proxy,
    hid: samanvaya_domain::HouseholdId,
}

fn two_laptops_behind_a_proxy() -> Behind {
    let (block_dir, a_dir, b_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let block =
        start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap(), "--plain-http"]);
    let link = samanvaya_tests::proxy::Proxy::start(block.url.trim_start_matches("http://"));
    let hid = two_laptops_with_one_household(block_dir.path(), &link.url, a_dir.path(), b_dir.path());
    Behind { block_dir, a_dir, b_dir, block, link, hid }
}

/// Two laptops rename the head of one household unseen of each other: B's rename reaches the
/// block first, and A's goes up for review. The answer to A's push is lost and that sync gives
/// up; A's next sync is told at its session what became of the rename, and its panel counts
/// the review once, however often it syncs after.
#[test]
fn a_review_whose_answer_was_lost_is_counted_once_at_the_next_sync() {
    review_answer_lost(false);
}

/// The same when A goes on by USB stick: the block's answer on the stick says it, and the same
/// answer applied again counts nothing more.
#[test]
fn a_review_whose_answer_was_lost_is_counted_once_from_the_blocks_answer_on_the_stick() {
    review_answer_lost(true);
}

fn review_answer_lost(by_stick: bool) {
    use samanvaya_tests::proxy::Faults;
    let Behind { block_dir, a_dir, b_dir, block: _block, link, hid } = two_laptops_behind_a_proxy();
    let rename = |dir: &Path, name: &str| {
        let mut store = samanvaya_tests::open(dir).unwrap();
        let h = store.household(hid).unwrap();
        let address = h.address.clone();
        store.save_household(edited(&h, &address, name), store.now().unwrap()).unwrap();
    };
    rename(a_dir.path(), "कमला");
    rename(b_dir.path(), "कमला देवी राम");
    ok(run("samanvaya", &["sync", "--timeout", "10"], Some(b_dir.path())));
    let conflicts = |dir: &Path| samanvaya_tests::open(dir).unwrap().sync_status().unwrap().conflicts;

    link.set(Faults { lose_push_answers: 1, stall_pushes: 50, ..Faults::default() });
    let gave_up = run("samanvaya", &["sync", "--timeout", "2"], Some(a_dir.path()));
    assert!(!gave_up.status.success(), "{gave_up:?}");
    assert_eq!(link.injected().lost_answers, 1);
    link.set(Faults::default());
    assert_eq!(conflicts(a_dir.path()), 0, "the lost answer told nothing");
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let reviews: i64 = conn.query_row("SELECT count(*) FROM review", [], |r| r.get(0)).unwrap();
    assert_eq!(reviews, 1, "the block put the name up for review");

    if by_stick {
        let stick = tempfile::tempdir().unwrap();
        let (up, down) = (stick.path().join("up"), stick.path().join("down"));
        ok(run("samanvaya", &["export-sync", up.to_str().unwrap()], Some(a_dir.path())));
        let answer = ["import", up.to_str().unwrap(), "--answer", down.to_str().unwrap()];
        server_cmd("block", block_dir.path(), &answer);
        for _ in 0..2 {
            ok(run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(a_dir.path())));
            assert_eq!(conflicts(a_dir.path()), 1, "told by the block's answer, once");
        }
        return;
    }
    for _ in 0..2 {
        ok(run("samanvaya", &["sync", "--timeout", "10"], Some(a_dir.path())));
        assert_eq!(conflicts(a_dir.path()), 1, "told at the session after, once");
    }
}

/// An edit of a household as the form sends it: its address and its first member's name,
/// everything else as it is.
fn edited(h: &samanvaya_domain::Household, address: &str, name: &str) -> samanvaya_domain::HouseholdInput {
    let mut input = h.as_input(chrono::Utc::now().date_naive());
    input.address = address.into();
    input.members[0].name = name.into();
    input
}

/// Laptop A serves the village and records a household; laptop B, new and empty, enrolls for the
/// same village with the block at `url` and receives it.
fn two_laptops_with_one_household(
    block: &Path,
    url: &str,
    a: &Path,
    b: &Path,
) -> samanvaya_domain::HouseholdId {
    let hid = {
        let mut a = samanvaya_tests::open(a).unwrap();
        samanvaya_tests::serve_a_village(&mut a).unwrap();
        let village = a.villages().unwrap()[0].id;
        let head = member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 61 });
        a.save_household(new_household(village, vec![head]), a.now().unwrap()).unwrap().id
    };
    drop(samanvaya_tests::open(b).unwrap());
    for laptop in [a, b] {
        let code = server_cmd("block", block, &["enroll-code", "--village", "Bakraur"]);
        ok(run("samanvaya", &["enroll", url, code.trim()], Some(laptop)));
        ok(run("samanvaya", &["sync", "--timeout", "10"], Some(laptop)));
    }
    hid
}

/// A laptop whose clock runs a day ahead edits an address. The block caps its reading (a clock
/// set ahead must not win every merge), and tells the laptop which reading it kept: the laptop
/// keeps the same, so a later edit from another laptop, which the block takes, wins on the fast
/// laptop too. Keeping its own reading, the fast laptop held on to its address for a day against
/// every later edit, while the block and the village's other laptops showed the later one.
#[test]
fn a_laptop_whose_clock_runs_a_day_ahead_takes_a_later_edit_the_block_took() {
    fast_laptop_story(FastSync::Online);
}

/// The same when the answer to the fast laptop's push is lost and that sync gives up: its next
/// session says which readings were kept.
#[test]
fn a_fast_laptop_whose_push_answer_was_lost_learns_the_kept_reading_at_its_next_session() {
    fast_laptop_story(FastSync::AnswerLost);
}

/// The same for a fast laptop that syncs by USB stick: the block's answer on the stick says
/// which readings were kept.
#[test]
fn a_fast_laptop_synced_by_stick_learns_the_kept_reading_from_the_blocks_answer() {
    fast_laptop_story(FastSync::Stick);
}

#[derive(Clone, Copy, PartialEq)]
enum FastSync {
    Online,
    AnswerLost,
    Stick,
}

fn fast_laptop_story(how: FastSync) {
    use samanvaya_tests::proxy::Faults;
    let Behind { block_dir, a_dir, b_dir, block, link, hid } = two_laptops_behind_a_proxy();
    let sync = |dir: &Path| ok(run("samanvaya", &["sync", "--timeout", "10"], Some(dir)));

    let edit = |dir: &Path, address: &str, ahead: chrono::Duration| {
        let mut store = samanvaya_tests::open(dir).unwrap();
        let h = store.household(hid).unwrap();
        let at = samanvaya_domain::Moment::in_india(chrono::Utc::now() + ahead);
        store.save_household(edited(&h, address, &h.members[0].name), at).unwrap();
    };
    // A's clock is a day ahead: the block keeps its edit as made ten minutes from now.
    edit(a_dir.path(), "वार्ड 3", chrono::Duration::days(1));
    let stick = tempfile::tempdir().unwrap();
    let by_stick = |n: usize| {
        let (up, down) = (stick.path().join(format!("up-{n}")), stick.path().join(format!("down-{n}")));
        ok(run("samanvaya", &["export-sync", up.to_str().unwrap()], Some(a_dir.path())));
        server_cmd(
            "block",
            block_dir.path(),
            &["import", up.to_str().unwrap(), "--answer", down.to_str().unwrap()],
        );
        ok(run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(a_dir.path())));
    };
    if how == FastSync::AnswerLost {
        // The block stores the push, its answer is lost, and every push after it stalls: the
        // sync gives up, not knowing the push arrived.
        link.set(Faults { lose_push_answers: 1, stall_pushes: 50, ..Faults::default() });
        let gave_up = run("samanvaya", &["sync", "--timeout", "2"], Some(a_dir.path()));
        assert!(!gave_up.status.success(), "{gave_up:?}");
        assert_eq!(link.injected().lost_answers, 1);
        link.set(Faults::default());
        let store = samanvaya_tests::open(a_dir.path()).unwrap();
        assert!(store.sync_status().unwrap().waiting > 0, "the laptop does not know its push arrived");
    }
    if how == FastSync::Stick {
        by_stick(1);
    } else {
        sync(a_dir.path());
    }
    // The laptop's log keeps the edit as the block keeps it, so that sent again (to a block
    // restored from a backup without it) it carries the same reading.
    let on_laptop: String = samanvaya_tests::open(a_dir.path())
        .unwrap()
        .connection()
        .query_row(
            "SELECT hlc FROM change_log WHERE origin = 'local' ORDER BY device_seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let device = samanvaya_tests::open(a_dir.path()).unwrap().device_id().unwrap().to_string();
    let at_block: String = rusqlite::Connection::open(block_dir.path().join("server.sqlite3"))
        .unwrap()
        .query_row(
            "SELECT hlc FROM change WHERE origin_device = ?1 ORDER BY origin_seq DESC LIMIT 1",
            [&device],
            |r| r.get(0),
        )
        .unwrap();
    let reading = |text: &str| serde_json::from_str::<samanvaya_domain::Hlc>(text).unwrap();
    assert_eq!(reading(&on_laptop), reading(&at_block), "the edit's reading, on the laptop and at the block");
    // B, which has pulled A's edit, corrects the address with a clock twenty minutes ahead (past
    // the same cap, so the block puts it after A's).
    sync(b_dir.path());
    edit(b_dir.path(), "वार्ड 5", chrono::Duration::minutes(20));
    sync(b_dir.path());
    if how == FastSync::Stick {
        by_stick(2);
    } else {
        sync(a_dir.path());
    }
    let address = |dir: &Path| samanvaya_tests::open(dir).unwrap().household(hid).unwrap().address;
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let at_block: String = conn
        .query_row("SELECT address FROM household WHERE id = ?1", [hid.to_string()], |r| r.get(0))
        .unwrap();
    assert_eq!(at_block, "वार्ड 5", "the block took B's correction");
    assert_eq!(address(b_dir.path()), "वार्ड 5");
    assert_eq!(address(a_dir.path()), "वार्ड 5", "the fast laptop took it too");
    drop(block);
}

/// Two laptops each add a member to one household offline, both in the place after the head.
/// Every store orders a household by the members' shared positions and then by id, so both
/// laptops end with the block's order. Before, each laptop put the member it pulled in that
/// place, ahead of its own: the two laptops showed the family in opposite orders until someone
/// saved it again.
#[test]
fn two_laptops_adding_a_member_offline_end_with_one_order() {
    let (block_dir, a_dir, b_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let block = start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap()]);
    let hid = two_laptops_with_one_household(block_dir.path(), &block.url, a_dir.path(), b_dir.path());
    let add = |dir: &Path, name: &str, relation: Relation| {
        let mut store = samanvaya_tests::open(dir).unwrap();
        let mut input = store.household(hid).unwrap().as_input(chrono::Utc::now().date_naive());
        input.members.push(member(name, relation, Sex::Female, Birth::Age { years: 19 }));
        store.save_household(input, store.now().unwrap()).unwrap();
    };
    let on_laptop = |dir: &Path| -> Vec<String> {
        samanvaya_tests::open(dir)
            .unwrap()
            .household(hid)
            .unwrap()
            .members
            .into_iter()
            .map(|p| p.name)
            .collect()
    };
    let at_block = || -> Vec<String> {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        let mut stmt = conn
            .prepare("SELECT name FROM member WHERE household_id = ?1 AND removed = 0 ORDER BY position, id")
            .unwrap();
        stmt.query_map([hid.to_string()], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    add(b_dir.path(), "गीता कुमारी", Relation::DaughterInLaw);
    add(a_dir.path(), "सीता कुमारी", Relation::Daughter);
    for dir in [a_dir.path(), b_dir.path(), a_dir.path()] {
        ok(run("samanvaya", &["sync", "--timeout", "10"], Some(dir)));
    }
    let order = at_block();
    assert_eq!(order.len(), 3, "{order:?}");
    assert_eq!(order[0], "कमला देवी", "{order:?}");
    assert_eq!(on_laptop(a_dir.path()), order, "A orders the family as the block does");
    assert_eq!(on_laptop(b_dir.path()), order, "B orders the family as the block does");

    // A later edit on A numbers the family one after the other; the servers and B take it.
    let mut a = samanvaya_tests::open(a_dir.path()).unwrap();
    let h = a.household(hid).unwrap();
    a.save_household(edited(&h, "वार्ड 2", "कमला देवी"), a.now().unwrap()).unwrap();
    drop(a);
    for dir in [a_dir.path(), b_dir.path()] {
        ok(run("samanvaya", &["sync", "--timeout", "10"], Some(dir)));
    }
    assert_eq!(at_block(), order);
    assert_eq!(on_laptop(b_dir.path()), order);
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let positions: Vec<i64> = conn
        .prepare("SELECT position FROM member WHERE household_id = ?1 ORDER BY position, id")
        .unwrap()
        .query_map([hid.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(positions, [0, 1, 2], "A's edit sent the place of the member after the two");
    drop(block);
}

/// Two laptops rename a woman one after the other through their block: B pulls A's rename, then
/// corrects it. The block forwards both to the district in one push (here at its restart, its
/// forwarding being hourly), before it pulls from the district again. To the district B's rename
/// then looks made unseen of A's; the block says B had seen it, and the district queues no review,
/// as the block queued none. Before, the district's operator was asked to choose between two
/// names nobody had disputed.
#[test]
fn renames_made_one_after_the_other_reach_the_district_without_a_review() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, a_dir, b_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block_args = |code: Option<&str>| {
        let mut args = vec!["--role", "block", "--data-dir", block_dir.path().to_str().unwrap()];
        args.extend(["--upstream", &district.url, "--sync-every", "3600", "--name", "Bodh Gaya block"]);
        if let Some(code) = code {
            args.extend(["--upstream-code", code]);
        }
        args.into_iter().map(str::to_owned).collect::<Vec<String>>()
    };
    let start = |args: Vec<String>| start_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let block = start(block_args(Some(code.trim())));
    // Its first forwarding, at its start, done before the laptops come.
    eventually("the block's first forwarding", || {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT last_success_at IS NOT NULL FROM upstream", [], |r| r.get(0)).unwrap_or(false)
    });
    let hid = two_laptops_with_one_household(block_dir.path(), &block.url, a_dir.path(), b_dir.path());
    let rename = |dir: &Path, name: &str| {
        let mut store = samanvaya_tests::open(dir).unwrap();
        let h = store.household(hid).unwrap();
        store.save_household(edited(&h, &h.address, name), store.now().unwrap()).unwrap();
    };
    rename(a_dir.path(), "कमला कुमारी");
    ok(run("samanvaya", &["sync", "--timeout", "10"], Some(a_dir.path())));
    ok(run("samanvaya", &["sync", "--timeout", "10"], Some(b_dir.path())));
    rename(b_dir.path(), "कमला देवी राम");
    ok(run("samanvaya", &["sync", "--timeout", "10"], Some(b_dir.path())));
    assert_eq!(server_cmd("block", block_dir.path(), &["reviews"]), "", "none at the block");
    assert_eq!(dist.count("SELECT count(*) FROM member"), 0, "nothing forwarded yet");

    drop(block);
    let _block = start(block_args(None));
    eventually("B's rename at the district", || {
        dist.count("SELECT count(*) FROM member WHERE name = 'कमला देवी राम'") == 1
    });
    assert_eq!(dist.count("SELECT count(*) FROM review"), 0, "{:?}", dist.cmd(&["reviews"]));
}

#[test]
fn two_laptops_editing_one_household_end_equal_with_their_block() {
    let (block_dir, a_dir, b_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let block = start_server(&["--role", "block", "--data-dir", block_dir.path().to_str().unwrap()]);
    let hid = two_laptops_with_one_household(block_dir.path(), &block.url, a_dir.path(), b_dir.path());

    // Offline, both edit the household's address and its head's name; B's edit is the later.
    let edit = |dir: &Path, address: &str, name: &str| {
        let mut store = samanvaya_tests::open(dir).unwrap();
        let h = store.household(hid).unwrap();
        store.save_household(edited(&h, address, name), store.now().unwrap()).unwrap();
    };
    edit(a_dir.path(), "वार्ड 3, पुराना पता", "कमला");
    std::thread::sleep(Duration::from_millis(20));
    edit(b_dir.path(), "वार्ड 5, नया पता", "कमला देवी राम");

    // A syncs first, then B (which pulls A's older edit), then A (which pulls B's newer one).
    for dir in [a_dir.path(), b_dir.path(), a_dir.path()] {
        ok(run("samanvaya", &["sync", "--timeout", "10"], Some(dir)));
    }
    let seen = |dir: &Path| {
        let h = samanvaya_tests::open(dir).unwrap().household(hid).unwrap();
        (h.address, h.members[0].name.clone())
    };
    let want = ("वार्ड 5, नया पता".to_owned(), "कमला देवी राम".to_owned());
    assert_eq!(seen(b_dir.path()), want, "B kept its later edit when A's older one arrived");
    assert_eq!(seen(a_dir.path()), want, "A took B's later edit");
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let at_block: (String, String) = conn
        .query_row(
            "SELECT h.address, m.name FROM household h JOIN member m ON m.household_id = h.id WHERE h.id = ?1",
            [hid.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(at_block, want, "the block keeps the later edit too");
    // The two names were written unseen by each other: the block asks a person to confirm.
    let reviews: i64 = conn.query_row("SELECT count(*) FROM review", [], |r| r.get(0)).unwrap();
    assert_eq!(reviews, 1, "the name goes to review with both values");
    // The block's operator lists it and decides for the older name: it reaches both laptops.
    let listed = server_cmd("block", block_dir.path(), &["reviews"]);
    let line = listed.lines().next().unwrap_or_else(|| panic!("one review listed: {listed}"));
    assert!(line.contains("\tname\tstanding: \"कमला देवी राम\"\tother: \"कमला\""), "{line}");
    let id = line.split('\t').next().unwrap();
    let decided =
        server_cmd("block", block_dir.path(), &["review", id, "--choose", "other", "--by", "BDO office"]);
    assert!(
        decided.contains(&format!("review {id} decided by BDO office: the other value is in place")),
        "{decided}"
    );
    assert_eq!(server_cmd("block", block_dir.path(), &["reviews"]), "", "the queue is empty");
    let again = server_cmd_refused("block", block_dir.path(), &["review", id, "--choose", "kept"]);
    assert!(again.contains("decided already"), "{again}");
    for dir in [a_dir.path(), b_dir.path()] {
        ok(run("samanvaya", &["sync", "--timeout", "10"], Some(dir)));
    }
    let decided = ("वार्ड 5, नया पता".to_owned(), "कमला".to_owned());
    assert_eq!(seen(a_dir.path()), decided, "the block's decision reached A");
    assert_eq!(seen(b_dir.path()), decided, "and B");
    drop(block);
}

/// A copy of the app's scheme files under `dir` (schemes/ and groups/, as a district keeps them),
/// with `edit` applied to the widow pension's file.
fn district_rules(dir: &Path, edit: impl Fn(&str) -> String) {
    for (path, text) in samanvaya_schema::SCHEME_FILES.iter().chain(samanvaya_schema::GROUP_FILES) {
        let rel = path.strip_prefix("schema/").unwrap();
        let out = dir.join(rel);
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        let text = if rel == "schemes/nsap_ignwps.toml" { edit(text) } else { (*text).to_owned() };
        std::fs::write(out, text).unwrap();
    }
}

/// The widow pension's English name as the laptop's store shows it for `household` now.
fn widow_pension_name(laptop: &Path, household: samanvaya_domain::HouseholdId) -> String {
    let store = samanvaya_tests::open(laptop).unwrap();
    let shown = store.household_eligibility(household, store.now().unwrap().today).unwrap();
    shown.schemes.iter().find(|s| s.code == "NSAP_IGNWPS").unwrap().name.en.clone()
}

fn refer(laptop: &Path, household: samanvaya_domain::HouseholdId, code: &str) -> String {
    let mut store = samanvaya_tests::open(laptop).unwrap();
    let h = store.household(household).unwrap();
    store
        .open_referral(
            &NewReferral {
                household_id: h.id,
                member_id: Some(h.members[0].id),
                need: Need::Scheme { code: code.into() },
                documents: vec![],
                notes: String::new(),
            },
            store.now().unwrap(),
        )
        .unwrap()
        .catalogue
}

#[test]
fn the_districts_signed_scheme_rules_reach_the_laptop_and_judge_its_next_referral() {
    let dist = District::new(false).unwrap();
    let (block_dir, laptop_dir, rules_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let block_code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &block_code);
    let village_code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    let household = {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = samanvaya_tests::serve_a_village(&mut store).unwrap();
        let input = new_household(
            village,
            vec![member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 })],
        );
        store.save_household(input, store.now().unwrap()).unwrap().id
    };
    ok(run("samanvaya", &["enroll", &block.url, village_code.trim()], Some(laptop_dir.path())));
    let builtin = widow_pension_name(laptop_dir.path(), household);
    assert_eq!(builtin, "Indira Gandhi National Widow Pension");
    let before = refer(laptop_dir.path(), household, "NSAP_IGNOAPS");
    assert!(before.starts_with("builtin-"), "{before}");

    // A district's rules that do not pass are refused whole, each problem named, nothing kept.
    let rules = rules_dir.path().join("december");
    district_rules(&rules, |t| t.replacen("person.age", "person.age_in_moons", 1));
    let refused = dist.cmd(&["publish-catalogue", rules.to_str().unwrap(), "--label", "Broken"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("schemes/nsap_ignwps.toml") && said.contains("age_in_moons"), "{said}");
    assert_eq!(dist.count("SELECT count(*) FROM catalogue_bundle"), 0);

    // The district publishes its own name for the widow pension; it travels signed, through the
    // block, to the laptop's next sync, and the laptop judges with it at once.
    district_rules(&rules, |t| t.replacen("en = \"Indira Gandhi", "en = \"Gaya district: Indira Gandhi", 1));
    let published =
        ok(dist.cmd(&["publish-catalogue", rules.to_str().unwrap(), "--label", "Gaya rules, December 2026"]));
    assert!(published.contains("published \"Gaya rules, December 2026\""), "{published}");
    let block_holds = || {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT count(*) FROM catalogue_bundle", [], |r| r.get::<_, i64>(0)).unwrap()
    };
    eventually("the district's rules at the block", || block_holds() == 1);
    let synced = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(
        synced.contains("installed the district's scheme rules \"Gaya rules, December 2026\""),
        "{synced}"
    );
    assert!(synced.contains("scheme rules: the district's \"Gaya rules, December 2026\""), "{synced}");
    assert_eq!(
        widow_pension_name(laptop_dir.path(), household),
        "Gaya district: Indira Gandhi National Widow Pension"
    );
    let after = refer(laptop_dir.path(), household, "NSAP_IGNWPS");
    assert!(after.starts_with("district-"), "a referral keeps the rules that judged it: {after}");
    {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let all = store
            .referrals(
                &ReferralQuery { household_id: Some(household), open_only: false },
                store.now().unwrap().today,
            )
            .unwrap();
        let versions: Vec<String> = all
            .iter()
            .map(|r| store.referral(r.id.parse().unwrap(), store.now().unwrap().today).unwrap().catalogue)
            .collect();
        assert!(versions.contains(&before) && versions.contains(&after), "{versions:?}");
    }
    let quiet = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(!quiet.contains("installed the district's"), "the same rules are not fetched twice: {quiet}");

    // On a USB stick: the district's next rules install from the file; a copy with one changed
    // byte and a file signed by another district are refused, and the rules in use stay.
    let stick = rules_dir.path().join("stick");
    std::fs::create_dir_all(&stick).unwrap();
    let january = stick.join("gaya-january.samanvaya-catalogue");
    district_rules(&rules, |t| t.replacen("en = \"Indira Gandhi", "en = \"Gaya, January: Indira Gandhi", 1));
    // With the rules, the district's version of the survey: one that keeps the app's version is
    // refused at the district, naming the form.
    let baseline = include_str!("../../schema/forms/baseline.md");
    std::fs::create_dir_all(rules.join("forms")).unwrap();
    std::fs::write(rules.join("forms/gaya.md"), baseline.replace("Hamlet (tola)", "Tola or ward")).unwrap();
    let refused =
        dist.cmd(&["publish-catalogue", rules.to_str().unwrap(), "--label", "Gaya rules, January 2027"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("forms/gaya.md: version 2026113001"), "{said}");
    std::fs::write(
        rules.join("forms/gaya.md"),
        baseline.replace("Hamlet (tola)", "Tola or ward").replace("2026113001", "2027010101"),
    )
    .unwrap();
    ok(dist.cmd(&[
        "publish-catalogue",
        rules.to_str().unwrap(),
        "--label",
        "Gaya rules, January 2027",
        "--out",
        january.to_str().unwrap(),
    ]));
    let mut damaged = std::fs::read(&january).unwrap();
    let last = damaged.len() - 10;
    damaged[last] ^= 0x01;
    let damaged_file = stick.join("damaged.samanvaya-catalogue");
    std::fs::write(&damaged_file, &damaged).unwrap();
    let out =
        run("samanvaya", &["catalogue", "install", damaged_file.to_str().unwrap()], Some(laptop_dir.path()));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("signature does not hold"), "{out:?}");

    let other = tempfile::tempdir().unwrap();
    let forged = stick.join("other-district.samanvaya-catalogue");
    server_cmd(
        "district",
        other.path(),
        &[
            "publish-catalogue",
            rules.to_str().unwrap(),
            "--label",
            "Gaya rules",
            "--out",
            forged.to_str().unwrap(),
        ],
    );
    let out = run("samanvaya", &["catalogue", "install", forged.to_str().unwrap()], Some(laptop_dir.path()));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("another district key"), "{out:?}");
    assert_eq!(
        widow_pension_name(laptop_dir.path(), household),
        "Gaya district: Indira Gandhi National Widow Pension",
        "refused files change nothing"
    );

    let installed =
        ok(run("samanvaya", &["catalogue", "install", january.to_str().unwrap()], Some(laptop_dir.path())));
    assert!(
        installed.contains("installed the district's scheme rules \"Gaya rules, January 2027\""),
        "{installed}"
    );
    assert!(installed.contains("a new version of the survey form"), "{installed}");
    let forms = ok(run("samanvaya", &["form", "list"], Some(laptop_dir.path())));
    assert!(forms.lines().any(|l| l.starts_with('*') && l.contains("2027010101")), "{forms}");
    assert_eq!(
        widow_pension_name(laptop_dir.path(), household),
        "Gaya, January: Indira Gandhi National Widow Pension"
    );
    let shown = ok(run("samanvaya", &["catalogue", "in-use"], Some(laptop_dir.path())));
    assert!(shown.contains("Gaya rules, January 2027"), "{shown}");
    // The block offers the same rules at the next sync (or still December's): nothing changes.
    let quiet = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(!quiet.contains("installed the district's"), "{quiet}");
    assert!(quiet.contains("Gaya rules, January 2027"), "{quiet}");

    // The district's next rules reach a laptop that trusts another district's key (its block
    // moved to another district, say): refused whole, and the rest of the sync goes on, its
    // audit log going up after them (a refusal stopped the sync there, before the log and the
    // pruning of what the block acknowledged long ago). The laptop says why at every sync, and
    // does not fetch the same rules again over 2G.
    std::fs::remove_dir_all(rules.join("forms")).unwrap();
    district_rules(&rules, |t| t.replacen("en = \"Indira Gandhi", "en = \"Gaya, February: Indira Gandhi", 1));
    ok(dist.cmd(&["publish-catalogue", rules.to_str().unwrap(), "--label", "Gaya rules, February 2027"]));
    let block_has_february = || {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        let sql = "SELECT count(*) FROM catalogue_bundle WHERE label = 'Gaya rules, February 2027'";
        conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() == 1
    };
    eventually("the district's February rules at the block", block_has_february);
    {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let moved = "UPDATE sync_link SET catalogue_key = 'the key of another district'";
        store.connection().execute(moved, []).unwrap();
    }
    let refused = ok(run("samanvaya", &["sync", "--verbose", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(refused.contains("the district's new scheme rules were not installed"), "{refused}");
    assert!(refused.contains("another district key"), "{refused}");
    let asked: Vec<&str> = refused
        .lines()
        .filter_map(|l| l.split_once(". ").map(|(_, rest)| rest.split([' ', ':']).next().unwrap_or("")))
        .collect();
    let fetched = asked.iter().position(|w| *w == "catalogue");
    let audit = asked.iter().rposition(|w| *w == "audit");
    assert!(fetched.is_some() && audit > fetched, "the audit log goes up after the refusal: {asked:?}");
    let again = ok(run("samanvaya", &["sync", "--verbose", "--timeout", "20"], Some(laptop_dir.path())));
    assert!(again.contains("the district's new scheme rules were not installed"), "{again}");
    assert!(!again.contains(". catalogue"), "the refused rules are not fetched again: {again}");
    let status = samanvaya_tests::open(laptop_dir.path()).unwrap().sync_status().unwrap();
    let said = status.last_error.unwrap_or_default();
    assert!(said.starts_with("catalogue: ") && said.contains("another district key"), "{said}");
    assert_eq!(
        widow_pension_name(laptop_dir.path(), household),
        "Gaya, January: Indira Gandhi National Widow Pension",
        "the rules in use stay"
    );

    // The same at the block: rules it refuses (signed by a key other than the one it trusts)
    // are remembered with why, not fetched again at every round over 2G, and the forwarding
    // goes on (its rounds still go through, and its status says why the rules were not kept).
    let at_block = |sql: &str| -> String {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.execute("UPDATE catalogue_signer SET public_key = 'the key of another district'", []).unwrap();
    }
    district_rules(&rules, |t| t.replacen("en = \"Indira Gandhi", "en = \"Gaya, March: Indira Gandhi", 1));
    ok(dist.cmd(&["publish-catalogue", rules.to_str().unwrap(), "--label", "Gaya rules, March 2027"]));
    eventually("the March rules refused at the block", || {
        at_block("SELECT CAST(count(*) AS TEXT) FROM catalogue_refused") == "1"
    });
    let refused_at = at_block("SELECT refused_at FROM catalogue_refused");
    let went_through = at_block("SELECT last_success_at FROM upstream");
    eventually("another round of the forwarding", || {
        at_block("SELECT last_success_at FROM upstream") > went_through
    });
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(at_block("SELECT refused_at FROM catalogue_refused"), refused_at, "not fetched again");
    let status = server_cmd("block", block_dir.path(), &["status"]);
    assert!(status.contains("the district's scheme rules were not kept"), "{status}");
    assert!(status.contains("another district key"), "{status}");
    let said = std::fs::read_to_string(&block.log).unwrap();
    assert_eq!(said.matches("the district's scheme rules were not kept").count(), 1, "said once: {said}");
    drop(block);
    drop(district);
}

/// A lost laptop (issue 20, item 6): the block office revokes it, and a new laptop enrolled for
/// the same village receives from the block everything the lost one had sent, identical field
/// by field, and goes on with numbers of its own.
#[test]
fn a_lost_laptop_is_revoked_and_a_new_one_gets_the_village_back_from_the_block() {
    let (block_dir, block, lost_dir) = block_and_laptop();
    let new_dir = tempfile::tempdir().unwrap();
    let device = {
        let mut store = samanvaya_tests::open(lost_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        for (i, name) in ["कमला देवी", "सुनीता कुमारी", "रीना देवी"].iter().enumerate()
        {
            let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 40 + 10 * i as u32 });
            let h = store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
            store
                .answer(
                    &samanvaya_core::eligibility::FactAnswer {
                        household_id: h.id,
                        member_id: None,
                        fact: "household.has_toilet".into(),
                        value: serde_json::json!(i % 2 == 0),
                    },
                    store.now().unwrap(),
                )
                .unwrap();
        }
        store.device_id().unwrap().to_string()
    };
    let first = samanvaya_tests::household_ids(&samanvaya_tests::open(lost_dir.path()).unwrap())[0];
    refer(lost_dir.path(), first, "NSAP_IGNOAPS");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(lost_dir.path())));

    // The laptop is lost: the block office revokes it, and it can no longer sync.
    let revoked = server_cmd("block", block_dir.path(), &["revoke", &device]);
    assert!(revoked.contains("can no longer sync"), "{revoked}");
    let refused = run("samanvaya", &["sync", "--timeout", "20"], Some(lost_dir.path()));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("revoked"), "{refused:?}");

    // A new laptop, set up empty and enrolled with a new code, gets the village back.
    drop(samanvaya_tests::open(new_dir.path()).unwrap());
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(new_dir.path())));
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(new_dir.path())));
    let (lost, new) =
        (samanvaya_tests::open(lost_dir.path()).unwrap(), samanvaya_tests::open(new_dir.path()).unwrap());
    let ids = samanvaya_tests::household_ids(&lost);
    assert_eq!(ids.len(), 3);
    assert_eq!(samanvaya_tests::household_ids(&new), ids, "the same households, in the same order");
    for id in &ids {
        // `updated_at` is when this laptop's copy last changed (the pull, on the new laptop).
        let (mut theirs, ours) = (new.household(*id).unwrap(), lost.household(*id).unwrap());
        theirs.updated_at = ours.updated_at;
        assert_eq!(theirs, ours, "household {id}");
        assert_eq!(new.household_facts(*id).unwrap(), lost.household_facts(*id).unwrap(), "facts of {id}");
    }
    let cases = |s: &samanvaya_core::Store| {
        s.referrals(&ReferralQuery { household_id: None, open_only: false }, s.now().unwrap().today)
            .unwrap()
            .into_iter()
            .map(|r| (r.number, r.stage, r.household_id))
            .collect::<Vec<_>>()
    };
    assert_eq!(cases(&new), cases(&lost));
    assert_eq!(cases(&new).len(), 1);

    // The new laptop goes on with numbers of its own: the next household is not one the lost
    // laptop could have handed out.
    drop(lost);
    let mut new = new;
    let village = new.villages().unwrap()[0].id;
    let head = member("गीता देवी", Relation::Head, Sex::Female, Birth::Age { years: 35 });
    let next = new.save_household(new_household(village, vec![head]), new.now().unwrap()).unwrap();
    let taken: Vec<Option<i64>> = ids.iter().map(|id| new.household(*id).unwrap().number).collect();
    assert!(!taken.contains(&next.number), "{:?} against {taken:?}", next.number);
    drop(block);
}

/// A district that moved to a new address is followed there by its block, started again with
/// the new `--upstream`: the certificate the block pinned at enrollment proves it is the same
/// district. A server at an address given later that presents another certificate is refused
/// at every round, and the block says so. Before, the block kept forwarding to the old address
/// and said only that the new one was not used (found by a review).
#[test]
fn a_block_follows_its_district_to_a_new_address_by_the_certificate_it_pinned() {
    let district_dir = tempfile::tempdir().unwrap();
    let block_dir = tempfile::tempdir().unwrap();
    let d = district_dir.path().to_str().unwrap().to_owned();
    let b = block_dir.path().to_str().unwrap().to_owned();
    let district = start_server(&["--role", "district", "--data-dir", &d]);
    let code = server_cmd("district", district_dir.path(), &["enroll-code", "--block", "Bodh Gaya"]);
    let block = start_block(block_dir.path(), &district.url, &code);
    let status = || server_cmd("block", block_dir.path(), &["status"]);
    let last_round =
        |s: &str| s.lines().find(|l| l.starts_with("last round that went through: ")).map(str::to_owned);
    eventually("a first round with the district", || last_round(&status()).is_some());
    drop(block);
    let before = last_round(&status());
    let old_url = district.url.clone();
    drop(district);

    // The district's office moves: the same server (its folder, its certificate), a new address
    // (another of this computer's, so that it differs whatever port the system gives).
    let moved = start_server(&["--role", "district", "--data-dir", &d, "--listen", "127.0.0.2:0"]);
    assert_ne!(moved.url, old_url);
    let block_at = |url: &str| {
        start_server(&["--role", "block", "--data-dir", &b, "--upstream", url, "--sync-every", "1"])
    };
    let block = block_at(&moved.url);
    eventually("a round with the district at its new address", || {
        let s = status();
        s.contains(&format!("district: {}", moved.url))
            && last_round(&s) != before
            && s.contains("no error since")
    });
    let said = std::fs::read_to_string(&block.log).unwrap();
    assert!(said.contains(&format!("now forwards to its district at {}", moved.url)), "{said}");
    drop(block);

    // A plain-HTTP address checks no certificate: it is not followed, and the block says why.
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = start_server(&[
        "--role",
        "district",
        "--data-dir",
        plain_dir.path().to_str().unwrap(),
        "--plain-http",
    ]);
    let block = block_at(&plain.url);
    eventually("the block's word on the plain address", || {
        std::fs::read_to_string(&block.log).unwrap().contains("only an https:// address is followed")
    });
    assert!(status().contains(&format!("district: {}", moved.url)), "{}", status());
    drop(block);
    drop(plain);

    // Another server, with a certificate of its own, at the address the block is given next.
    let other_dir = tempfile::tempdir().unwrap();
    let other = start_server(&["--role", "district", "--data-dir", other_dir.path().to_str().unwrap()]);
    let block = block_at(&other.url);
    eventually("the other server refused by its certificate", || {
        status().contains("the district presents another certificate")
    });
    drop(block);
    drop(other);
    drop(moved);
}

/// A block started with no district says so in its status, and what to do.
#[test]
fn a_block_with_no_district_says_in_its_status_how_to_enroll_it() {
    let (block_dir, block, _laptop_dir) = block_and_laptop();
    let status = server_cmd("block", block_dir.path(), &["status"]);
    assert!(status.starts_with("block server, store on SQLite; 1 device(s) enrolled"), "{status}");
    assert!(
        status.contains("not enrolled with a district") && status.contains("--upstream-code CODE"),
        "{status}"
    );
    drop(block);
}

/// One sync of a laptop at a time: a sync started while another holds the laptop's sync (here
/// the test, holding the lock file as a running sync does) waits for it to end, then runs whole.
/// Two at once each took the other's older acknowledgement for a block restored from a backup
/// (the review's finding).
#[test]
fn a_sync_waits_for_the_one_running_on_the_same_laptop() {
    let (block_dir, block, laptop_dir) = block_and_laptop();
    let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
    let village = store.villages().unwrap()[0].id;
    let head = member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 41 });
    store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
    let waiting = store.queued_changes().unwrap();
    drop(store);
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(laptop_dir.path().join("sync.lock"))
        .unwrap();
    held.lock().unwrap();
    let dir = laptop_dir.path().to_owned();
    let second = std::thread::spawn(move || run("samanvaya", &["sync", "--timeout", "20"], Some(&dir)));
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!second.is_finished(), "the second sync ran beside the first");
    assert_eq!(stored_at(block_dir.path()), 0, "nothing was sent while the first sync ran");
    drop(held);
    let out = ok(second.join().unwrap());
    all_sent(&out, block_dir.path(), waiting);
    // So does applying the block's answer from a stick, and writing a file for it: an answer
    // applied beside a sync took the sync's newer acknowledgement for a block restored from a
    // backup, and the whole feed was read again (found by a review).
    let device = samanvaya_tests::open(laptop_dir.path()).unwrap().device_id().unwrap().to_string();
    let down = laptop_dir.path().join("answer.samanvaya-feed");
    server_cmd("block", block_dir.path(), &["export-feed", "--device", &device, down.to_str().unwrap()]);
    let up = laptop_dir.path().join("up.samanvaya-sync");
    for args in [vec!["import-feed", down.to_str().unwrap()], vec!["export-sync", up.to_str().unwrap()]] {
        let held = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(laptop_dir.path().join("sync.lock"))
            .unwrap();
        held.lock().unwrap();
        let what = args[0];
        let (dir, args) =
            (laptop_dir.path().to_owned(), args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        let second = std::thread::spawn(move || {
            run("samanvaya", &args.iter().map(String::as_str).collect::<Vec<_>>(), Some(&dir))
        });
        std::thread::sleep(std::time::Duration::from_secs(2));
        assert!(!second.is_finished(), "{what} ran beside a sync");
        drop(held);
        ok(second.join().unwrap());
    }
    drop(block);
}

/// Saves a household headed by `name` in the laptop store in `dir`.
fn add_household(dir: &Path, name: &str) {
    let mut store = samanvaya_tests::open(dir).unwrap();
    let village = store.villages().unwrap()[0].id;
    let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 41 });
    store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
}

/// A block and a laptop that saved a household, was backed up to a stick, saved another and
/// synced both: the block, the laptop's folder, the stick and the backup on it, for the stories
/// of that backup restored on a new laptop.
fn backed_up_then_synced()
-> (tempfile::TempDir, samanvaya_tests::Running, tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
    let (block_dir, block, old_dir) = block_and_laptop();
    let stick = tempfile::tempdir().unwrap();
    add_household(old_dir.path(), "कमला देवी");
    let backup = stick.path().join("laptop.backup");
    samanvaya_tests::open(old_dir.path()).unwrap().backup(&backup).unwrap();
    add_household(old_dir.path(), "सुनीता कुमारी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(old_dir.path())));
    (block_dir, block, old_dir, stick, backup)
}

/// A laptop restored from a backup its block has outrun, synced before anything is done on it:
/// the sync brings back the old laptop's work sent after the backup, under the device's own
/// numbers, and the next household saved is numbered after all of it, past the old laptop's
/// run. Before, it took the number after the backup's newest change, which the work brought
/// back held already: the save failed on the log's one-number-one-change rule (the review's
/// finding).
#[test]
fn a_laptop_restored_and_synced_before_any_work_numbers_its_next_change_after_what_came_back() {
    let (block_dir, block, _old_dir, _stick, backup) = backed_up_then_synced();
    let restored_dir = tempfile::tempdir().unwrap();
    let held = stored_at(block_dir.path());

    drop(
        samanvaya_core::Store::restore(&backup, restored_dir.path(), None, &samanvaya_core::Secret::new(PIN))
            .unwrap(),
    );
    let out = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(restored_dir.path())));
    assert_eq!(
        samanvaya_tests::household_ids(&samanvaya_tests::open(restored_dir.path()).unwrap()).len(),
        2,
        "{out}"
    );
    add_household(restored_dir.path(), "रीना देवी");
    let out = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(restored_dir.path())));
    assert!(out.contains("waiting to send: 0"), "{out}");
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let households: i64 = conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0)).unwrap();
    assert_eq!(households, 3, "the household made after the sync reached the block: {out}");
    assert!(stored_in_runs(block_dir.path(), stored_at(block_dir.path()), 2), "the old run and the new");
    assert!(stored_at(block_dir.path()) > held);
    drop(block);
}

/// A laptop restored from a backup its block has outrun: after the backup the old laptop went on
/// working and synced, then broke. What the facilitator does on the restored laptop is numbered
/// far past the old laptop's run (`core/src/restored.rs`), never under the numbers the block
/// holds for the work done after the backup, and reaches the block, once, instead of being
/// taken there for duplicates and dropped; and the old laptop's work sent after the backup
/// comes back to the restored one.
#[test]
fn work_done_after_restoring_an_older_backup_reaches_the_block() {
    let (block_dir, block, old_dir, _stick, backup) = backed_up_then_synced();
    let restored_dir = tempfile::tempdir().unwrap();
    let households = |block: &Path| -> i64 {
        let conn = rusqlite::Connection::open(block.join("server.sqlite3")).unwrap();
        conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(households(block_dir.path()), 2);
    let held = stored_at(block_dir.path());

    // The old laptop breaks; the backup is restored on a new one, where work goes on.
    drop(
        samanvaya_core::Store::restore(&backup, restored_dir.path(), None, &samanvaya_core::Secret::new(PIN))
            .unwrap(),
    );
    add_household(restored_dir.path(), "रीना देवी");
    let made = samanvaya_tests::open(restored_dir.path()).unwrap().queued_changes().unwrap();
    let out = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(restored_dir.path())));
    assert!(out.contains("waiting to send: 0"), "{out}");
    assert_eq!(
        households(block_dir.path()),
        3,
        "the household made after the restore reached the block: {out}"
    );
    // Everything the block holds of the device is two unbroken runs: the old laptop's, and
    // the restored laptop's past it, none of it dropped as a duplicate, none twice.
    assert!(made > 0);
    assert!(stored_in_runs(block_dir.path(), stored_at(block_dir.path()), 2));
    assert!(stored_at(block_dir.path()) > held);
    // And what the old laptop sent after the backup came back to the restored one, which now
    // holds every household, the old laptop's as it left them.
    let (old, restored) =
        (samanvaya_tests::open(old_dir.path()).unwrap(), samanvaya_tests::open(restored_dir.path()).unwrap());
    let old_ids = samanvaya_tests::household_ids(&old);
    let restored_ids = samanvaya_tests::household_ids(&restored);
    assert_eq!(restored_ids.len(), 3, "{out}");
    for id in &old_ids {
        assert!(restored_ids.contains(id), "{id} came back");
        let (mut theirs, ours) = (restored.household(*id).unwrap(), old.household(*id).unwrap());
        theirs.updated_at = ours.updated_at;
        assert_eq!(theirs, ours, "household {id}");
    }
    drop((old, restored));
    // A second sync sends nothing more, and takes nothing twice.
    let again = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(restored_dir.path())));
    assert!(again.contains("waiting to send: 0"), "{again}");
    assert_eq!(households(block_dir.path()), 3);
    assert_eq!(samanvaya_tests::household_ids(&samanvaya_tests::open(restored_dir.path()).unwrap()).len(), 3);
    // The block keeps the old laptop's audit log, which went on past the backup, and beside it
    // the restored laptop's, which grows from the backup's last entry as a branch of its own.
    let verified = ok(run("samanvaya", &["audit", "verify"], Some(restored_dir.path())));
    assert!(!verified.is_empty());
    let (old, restored) =
        (samanvaya_tests::open(old_dir.path()).unwrap(), samanvaya_tests::open(restored_dir.path()).unwrap());
    let device = restored.device_id().unwrap().to_string();
    let fork = restored.audit_fork().unwrap().expect("the restored laptop writes on a branch of the log");
    let listed = server_cmd("block", block_dir.path(), &["audit"]);
    let branch_line = listed.lines().find(|l| l.contains("restored:")).unwrap_or_else(|| panic!("{listed}"));
    assert!(branch_line.starts_with(&format!("{}\t", fork.id)), "{branch_line}");
    assert!(
        branch_line.contains(&format!("the log of {device} after its entry {}", fork.from_seq)),
        "{branch_line}"
    );
    let matches = |held: &str, log: &[samanvaya_domain::audit::AuditEntry]| {
        assert_eq!(held.lines().count(), log.len(), "{held}");
        for (line, entry) in held.lines().zip(log) {
            assert!(line.starts_with(&format!("{}\t{}\t", entry.seq, entry.at)), "{line} against {entry:?}");
            assert!(
                line.ends_with(&format!("\t{}\t{}", entry.action, entry.detail)),
                "{line} against {entry:?}"
            );
        }
    };
    let since_restore: Vec<_> =
        restored.audit_after(0, 100_000).unwrap().into_iter().filter(|e| e.seq > fork.from_seq).collect();
    assert!(since_restore.iter().any(|e| e.action == "audit:branch"), "{since_restore:?}");
    matches(
        &server_cmd("block", block_dir.path(), &["audit", "--device", &fork.id.to_string()]),
        &since_restore,
    );
    // The old laptop's log at the block is as the old laptop wrote it, up to its last sync.
    let main = server_cmd("block", block_dir.path(), &["audit", "--device", &device]);
    let old_log = old.audit_after(0, 100_000).unwrap();
    assert!(main.lines().count() as i64 > fork.from_seq, "the old laptop's entries after the backup stay");
    matches(&main, &old_log[..main.lines().count()]);
    assert_eq!(restored.audit_held_through().unwrap(), since_restore.last().unwrap().seq, "sent whole");
    drop((old, restored));
    drop(block);
}

/// The same when the old laptop's clock ran a day ahead after the backup: the block capped its
/// readings, and the restored laptop's first session lists them by the old laptop's numbers,
/// which the restored laptop's new work had taken. The new work is numbered after them first,
/// so none of it takes a reading kept for the old laptop's work: every change of the device at
/// the block has a reading of its own, and the restored laptop's log holds the readings the
/// block holds.
#[test]
fn a_restored_laptop_takes_no_reading_kept_for_the_old_laptops_work() {
    let (block_dir, block, old_dir) = block_and_laptop();
    let restored_dir = tempfile::tempdir().unwrap();
    let stick = tempfile::tempdir().unwrap();
    let add = |dir: &Path, name: &str, ahead: chrono::Duration| {
        let mut store = samanvaya_tests::open(dir).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 41 });
        let at = samanvaya_domain::Moment::in_india(chrono::Utc::now() + ahead);
        store.save_household(new_household(village, vec![head]), at).unwrap();
    };
    add(old_dir.path(), "कमला देवी", chrono::Duration::zero());
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(old_dir.path())));
    let backup = stick.path().join("laptop.backup");
    samanvaya_tests::open(old_dir.path()).unwrap().backup(&backup).unwrap();
    add(old_dir.path(), "सुनीता कुमारी", chrono::Duration::days(1));
    add(old_dir.path(), "मीना देवी", chrono::Duration::days(1));
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(old_dir.path())));

    drop(
        samanvaya_core::Store::restore(&backup, restored_dir.path(), None, &samanvaya_core::Secret::new(PIN))
            .unwrap(),
    );
    add(restored_dir.path(), "रीना देवी", chrono::Duration::zero());
    add(restored_dir.path(), "गीता देवी", chrono::Duration::zero());
    let out = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(restored_dir.path())));
    assert!(out.contains("waiting to send: 0"), "{out}");

    let device = samanvaya_tests::open(restored_dir.path()).unwrap().device_id().unwrap().to_string();
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let at_block: Vec<(i64, String)> = conn
        .prepare("SELECT origin_seq, hlc FROM change WHERE origin_device = ?1 ORDER BY origin_seq")
        .unwrap()
        .query_map([&device], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // Readings compared as readings: the block keeps them in a shorter text than the laptop.
    let at_block: Vec<(i64, samanvaya_domain::Hlc)> =
        at_block.into_iter().map(|(seq, h)| (seq, serde_json::from_str(&h).unwrap())).collect();
    let readings: std::collections::HashSet<&samanvaya_domain::Hlc> =
        at_block.iter().map(|(_, h)| h).collect();
    assert_eq!(readings.len(), at_block.len(), "two changes of the device share a reading: {at_block:?}");
    // The old laptop's work was capped (a day ahead), and the restored laptop's log keeps each
    // of its own changes with the reading the block keeps.
    let restored = samanvaya_tests::open(restored_dir.path()).unwrap();
    let own: Vec<(i64, String)> = restored
        .connection()
        .prepare("SELECT device_seq, hlc FROM change_log WHERE origin = 'local' ORDER BY device_seq")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(own.len() >= 4, "{own:?}");
    for (seq, hlc) in &own {
        let held = at_block.iter().find(|(s, _)| s == seq).unwrap_or_else(|| panic!("{seq} at the block"));
        let hlc: samanvaya_domain::Hlc = serde_json::from_str(hlc).unwrap();
        assert_eq!(held.1, hlc, "change {seq}: the laptop's reading and the block's");
    }
    drop(restored);
    drop(block);
}

/// A member withdraws consent after the last backup was made; the laptop sends the withdrawal,
/// then breaks, and the backup, which still holds her, is restored on a new laptop. Its first
/// sync takes back the device's own withdrawal from the block (`own_after`) and erases her there
/// too: the restored copy keeps nothing of her but the tombstone.
#[test]
fn a_withdrawal_made_after_the_backup_erases_her_from_the_restored_laptop_at_its_first_sync() {
    const KAMLA: &str = "कमला देवी";
    let (_block_dir, block, old_dir) = block_and_laptop();
    let restored_dir = tempfile::tempdir().unwrap();
    let stick = tempfile::tempdir().unwrap();
    let backup = stick.path().join("laptop.backup");
    let (household, kamla) = {
        let mut store = samanvaya_tests::open(old_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let family = vec![
            member("सुनीता देवी", Relation::Head, Sex::Female, Birth::Age { years: 45 }),
            member(KAMLA, Relation::Daughter, Sex::Female, Birth::Age { years: 19 }),
        ];
        let h = store.save_household(new_household(village, family), store.now().unwrap()).unwrap();
        store.backup(&backup).unwrap();
        let kamla = h.members.iter().find(|m| m.name == KAMLA).unwrap().id;
        store.withdraw_consent(h.id, Some(kamla), store.now().unwrap()).unwrap();
        (h.id, kamla)
    };
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(old_dir.path())));

    drop(
        samanvaya_core::Store::restore(&backup, restored_dir.path(), None, &samanvaya_core::Secret::new(PIN))
            .unwrap(),
    );
    let mentions = |dir: &Path| {
        let store = samanvaya_tests::open(dir).unwrap();
        samanvaya_tests::every_row(store.connection()).into_iter().filter(|r| r.contains(KAMLA)).count()
    };
    assert!(mentions(restored_dir.path()) > 0, "the backup holds her, as it was made before");
    let out = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(restored_dir.path())));
    let restored = samanvaya_tests::open(restored_dir.path()).unwrap();
    let h = restored.household(household).unwrap();
    assert!(h.members.iter().all(|m| m.id != kamla), "her record is gone: {out}");
    assert_eq!(h.members.len(), 1);
    assert_eq!(restored.withdrawals().unwrap(), (0, 1), "her tombstone");
    drop(restored);
    assert_eq!(mentions(restored_dir.path()), 0, "no row of the restored store names her");
    drop(block);
}

/// The way down with no network (issue 19, item 8): the block office answers a laptop's USB stick
/// with what the laptop has not seen (a referral step taken at the block), the laptop applies it
/// once, and the next answer carries nothing it already has.
#[test]
fn with_no_network_the_blocks_decisions_come_back_on_the_stick_once() {
    let (block_dir, block, laptop_dir) = block_and_laptop();
    let stick = tempfile::tempdir().unwrap();
    // The network goes: a widow is registered and referred for the pension, offline.
    let (household, device) = {
        let mut store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member("सीता देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 });
        let h = store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
        (h.id, store.device_id().unwrap().to_string())
    };
    refer(laptop_dir.path(), household, "NSAP_IGNWPS");
    let up = stick.path().join("bakraur.samanvaya-sync");
    ok(run("samanvaya", &["export-sync", up.to_str().unwrap()], Some(laptop_dir.path())));
    server_cmd("block", block_dir.path(), &["import", up.to_str().unwrap()]);
    // At the block office the application is submitted; the answer goes on the same stick.
    let number = ok(run("samanvaya", &["referrals", "list"], Some(laptop_dir.path())));
    let number =
        number.split_whitespace().find(|w| w.starts_with("R-")).expect("a referral number").to_owned();
    server_cmd("block", block_dir.path(), &["step", &number, "submit", "--by", "BDO Bodh Gaya"]);
    let down = stick.path().join("bakraur-answer.samanvaya-feed");
    let wrote =
        server_cmd("block", block_dir.path(), &["export-feed", "--device", &device, down.to_str().unwrap()]);
    assert!(wrote.contains("wrote 1 change(s)"), "the step alone, not the laptop's own work: {wrote}");

    // A copy with one changed byte is refused, and nothing changes.
    let mut bytes = std::fs::read(&down).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x10;
    let changed = stick.path().join("changed.samanvaya-feed");
    std::fs::write(&changed, bytes).unwrap();
    let refused = run("samanvaya", &["import-feed", changed.to_str().unwrap()], Some(laptop_dir.path()));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("changed or damaged"), "{refused:?}");

    // An answer starting past what the laptop has read (the block's word for where it stood was
    // another copy's, or in numbers from before a restore) is refused whole: it would skip what
    // lies between.
    {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        let past = format!(
            "UPDATE device SET usb_pulled_through = (SELECT max(seq) - 1 FROM change) WHERE id = '{device}'"
        );
        conn.execute(&past, []).unwrap();
    }
    // A write that fails at its last step (the name taken by a folder on the stick) leaves no
    // half-named file behind, at the block nor on the laptop.
    let taken = stick.path().join("taken");
    std::fs::create_dir_all(taken.join("x.samanvaya-feed")).unwrap();
    std::fs::create_dir_all(taken.join("x.samanvaya-sync")).unwrap();
    let feed_to = taken.join("x.samanvaya-feed");
    let failed = run(
        "samanvaya-server",
        &[
            "--role",
            "block",
            "--data-dir",
            block_dir.path().to_str().unwrap(),
            "export-feed",
            "--device",
            &device,
            feed_to.to_str().unwrap(),
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&failed.stderr).contains("cannot write"), "{failed:?}");
    let sync_to = taken.join("x.samanvaya-sync");
    let failed = run("samanvaya", &["export-sync", sync_to.to_str().unwrap()], Some(laptop_dir.path()));
    assert!(!failed.status.success(), "{failed:?}");
    let left: Vec<_> = std::fs::read_dir(&taken).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left.len(), 2, "the two folders alone: {left:?}");
    let past = stick.path().join("past.samanvaya-feed");
    server_cmd("block", block_dir.path(), &["export-feed", "--device", &device, past.to_str().unwrap()]);
    let refused = run("samanvaya", &["import-feed", past.to_str().unwrap()], Some(laptop_dir.path()));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("past what this laptop has read"),
        "{refused:?}"
    );

    let waiting = samanvaya_tests::open(laptop_dir.path()).unwrap().sync_status().unwrap().waiting;
    assert!(waiting >= 3, "the household, its member and the referral wait: no network said otherwise");
    // An answer cut short at its last step (the power gone, the disk full: here a trigger
    // refuses the note of the round) keeps nothing of it, where before it kept what came
    // before that step: the work still waits, the feed is read no further, and the same file
    // applied again is kept whole.
    let standing = || {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        (
            store.sync_status().unwrap().waiting,
            store.acked_through().unwrap(),
            store.pulled_through().unwrap(),
        )
    };
    let before = standing();
    let laptop_sql =
        |sql: &str| samanvaya_tests::open(laptop_dir.path()).unwrap().connection().execute(sql, []).unwrap();
    laptop_sql(
        "CREATE TRIGGER cut_short BEFORE UPDATE OF last_success_at ON sync_link
         BEGIN SELECT RAISE(ABORT, 'the disk is full'); END",
    );
    let cut = run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(laptop_dir.path()));
    assert!(
        !cut.status.success() && String::from_utf8_lossy(&cut.stderr).contains("the disk is full"),
        "{cut:?}"
    );
    assert_eq!(standing(), before, "nothing of the answer kept");
    laptop_sql("DROP TRIGGER cut_short");
    let applied = ok(run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(laptop_dir.path())));
    assert!(applied.contains("1 change(s), 1 new here"), "{applied}");
    let stage = |dir: &Path| {
        let store = samanvaya_tests::open(dir).unwrap();
        let list = store
            .referrals(
                &ReferralQuery { household_id: Some(household), open_only: false },
                store.now().unwrap().today,
            )
            .unwrap();
        list[0].stage
    };
    assert_eq!(stage(laptop_dir.path()), Stage::Submitted, "the block's decision is on the laptop");
    let again = ok(run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(laptop_dir.path())));
    assert!(again.contains("0 new here"), "{again}");
    let status = samanvaya_tests::open(laptop_dir.path()).unwrap().sync_status().unwrap();
    assert_eq!(
        status.waiting, 0,
        "the answer says the block holds the laptop's work, and nothing applied is queued"
    );
    assert_eq!(status.reached_block, waiting);

    // A file written for another laptop is refused.
    let other_code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    let other_dir = tempfile::tempdir().unwrap();
    drop(samanvaya_tests::open(other_dir.path()).unwrap());
    ok(run("samanvaya", &["enroll", &block.url, other_code.trim()], Some(other_dir.path())));
    let refused = run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(other_dir.path()));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another laptop"), "{refused:?}");

    // The next round: the laptop's file carries nothing the block holds, and says how far it
    // has pulled, so the answer is empty too.
    let up2 = stick.path().join("bakraur-2.samanvaya-sync");
    let wrote = ok(run("samanvaya", &["export-sync", up2.to_str().unwrap()], Some(laptop_dir.path())));
    assert!(wrote.contains("wrote 0 change(s)"), "{wrote}");
    let down2 = stick.path().join("bakraur-answer-2.samanvaya-feed");
    let answered = server_cmd(
        "block",
        block_dir.path(),
        &["import", up2.to_str().unwrap(), "--answer", down2.to_str().unwrap()],
    );
    assert!(answered.contains("wrote 0 change(s)"), "{answered}");
    drop(block);
}

/// A laptop restored from an older backup where there is no network at all (issue 19, item 8):
/// the old laptop had synced work made after the backup, and pulled another laptop's, before it
/// broke. The restored laptop's first file to the block holds back what was made since the
/// restore (its numbers are the old laptop's), and the block's answer brings back everything the
/// backup lacked, the old laptop's own work included, and settles the restore; the second file
/// then carries the new work, and the device's changes at the block are one unbroken run.
#[test]
fn a_laptop_restored_and_synced_only_by_stick_gets_the_old_laptops_work_back_and_sends_its_own() {
    let (block_dir, block, old_dir) = block_and_laptop();
    let (restored_dir, other_dir, stick) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let add = |dir: &Path, name: &str| {
        let mut store = samanvaya_tests::open(dir).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 41 });
        store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap().id
    };
    let sync = |dir: &Path| ok(run("samanvaya", &["sync", "--timeout", "20"], Some(dir)));
    add(old_dir.path(), "कमला देवी");
    sync(old_dir.path());
    let backup = stick.path().join("laptop.backup");
    samanvaya_tests::open(old_dir.path()).unwrap().backup(&backup).unwrap();
    // After the backup: the old laptop's own work, and another laptop's that it pulls.
    let later = add(old_dir.path(), "सुनीता कुमारी");
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    drop(samanvaya_tests::open(other_dir.path()).unwrap());
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(other_dir.path())));
    let others = add(other_dir.path(), "गीता देवी");
    sync(other_dir.path());
    sync(old_dir.path());
    let device = samanvaya_tests::open(old_dir.path()).unwrap().device_id().unwrap().to_string();
    // An answer the block wrote for the old laptop, left on the stick.
    let old_answer = stick.path().join("old-answer");
    server_cmd(
        "block",
        block_dir.path(),
        &["export-feed", "--device", &device, old_answer.to_str().unwrap()],
    );

    // The old laptop breaks; the backup is restored on a new one, where work goes on offline.
    drop(
        samanvaya_core::Store::restore(&backup, restored_dir.path(), None, &samanvaya_core::Secret::new(PIN))
            .unwrap(),
    );
    let new = add(restored_dir.path(), "रीना देवी");
    // On the restored laptop it is refused, nothing applied: only the answer to the restored
    // laptop's own file says where the block stands now (applied first, the old one would move
    // the pull cursor past the old laptop's work that the real answer brings back).
    let refused = run("samanvaya", &["import-feed", old_answer.to_str().unwrap()], Some(restored_dir.path()));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("before this laptop was restored"),
        "{refused:?}"
    );
    assert!(samanvaya_tests::open(restored_dir.path()).unwrap().restore_unsettled().unwrap());
    let round = |n: usize| {
        let (up, down) = (stick.path().join(format!("up-{n}")), stick.path().join(format!("down-{n}")));
        let wrote = ok(run("samanvaya", &["export-sync", up.to_str().unwrap()], Some(restored_dir.path())));
        let dir = block_dir.path().to_str().unwrap();
        let imported = run(
            "samanvaya-server",
            &[
                "--role",
                "block",
                "--data-dir",
                dir,
                "import",
                up.to_str().unwrap(),
                "--answer",
                down.to_str().unwrap(),
            ],
            None,
        );
        // The old laptop sent audit entries after the backup, which the restored laptop's own
        // do not follow: they are never sent as the device's log and refused; the first file
        // carries none, and the next ones carry them as a branch of the log.
        let said = String::from_utf8_lossy(&imported.stderr);
        assert!(!said.contains("was not kept"), "round {n}: {said}");
        let kept = String::from_utf8_lossy(&imported.stdout).contains("audit log is held");
        assert_eq!(kept, n > 1, "round {n}: {imported:?}");
        ok(imported);
        ok(run("samanvaya", &["import-feed", down.to_str().unwrap()], Some(restored_dir.path())));
        wrote
    };
    let first = round(1);
    assert!(first.contains("wrote 0 change(s)"), "the new work waits for the block's answer: {first}");
    assert!(first.contains("restored from a backup"), "and the laptop says why: {first}");
    let ids = |dir: &Path| samanvaya_tests::household_ids(&samanvaya_tests::open(dir).unwrap());
    let held = ids(restored_dir.path());
    for (id, what) in [
        (later, "the old laptop's work after the backup"),
        (others, "the other laptop's work it had pulled"),
        (new, "the new work"),
    ] {
        assert!(held.contains(&id), "{what} is on the restored laptop");
    }
    let (old, restored) =
        (samanvaya_tests::open(old_dir.path()).unwrap(), samanvaya_tests::open(restored_dir.path()).unwrap());
    let (mut theirs, ours) = (restored.household(later).unwrap(), old.household(later).unwrap());
    theirs.updated_at = ours.updated_at;
    assert_eq!(theirs, ours, "the old laptop's household as it left it");
    // It asks on for the old laptop's run, from the last it holds, and for nothing past it.
    let (asked_after, run_end) = (restored.own_pull_after().unwrap(), restored.own_pull_through().unwrap());
    let run_held: i64 = restored
        .connection()
        .query_row(
            "SELECT max(device_seq) FROM change_log WHERE device_id = (SELECT device_id FROM centre) AND device_seq <= ?1",
            [run_end.unwrap()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(asked_after, Some(run_held), "asked from the last of the old run held");
    drop((old, restored));

    // Work the old laptop made before it broke, in a file found on a stick after the restored
    // laptop's first word reached the block: its changes in the old laptop's run are taken, as
    // that copy's, and nothing else of the file; no answer is written for that copy. Taken as
    // the laptop's, the restored laptop's new work under the same numbers had passed for them;
    // refused whole, the old laptop's work in it was lost.
    let late_work = add(old_dir.path(), "पूजा देवी");
    let late = stick.path().join("old-late");
    ok(run("samanvaya", &["export-sync", late.to_str().unwrap()], Some(old_dir.path())));
    let dir = block_dir.path().to_str().unwrap();
    let late_answer = stick.path().join("old-late-answer");
    let taken = run(
        "samanvaya-server",
        &[
            "--role",
            "block",
            "--data-dir",
            dir,
            "import",
            late.to_str().unwrap(),
            "--answer",
            late_answer.to_str().unwrap(),
        ],
        None,
    );
    let said = String::from_utf8_lossy(&taken.stdout);
    assert!(
        said.contains("written on") && said.contains("before it was restored from its backup"),
        "{taken:?}"
    );
    // With the old laptop's work the block held already, which the file carries again (this
    // block forwards to no district, so none of it is known to have reached one).
    assert!(said.contains("2 change(s) taken, 2 already here, 0 not applied"), "{said}");
    assert!(String::from_utf8_lossy(&taken.stderr).contains("no answer was written"), "{taken:?}");
    assert!(!late_answer.exists(), "that copy syncs as the laptop no more");
    ok(taken);
    // The block's operator reads it in the list of devices, with the command that would take
    // that copy for the laptop.
    let listed = server_cmd("block", block_dir.path(), &["devices"]);
    assert!(listed.contains("a copy from before its restore was refused (keep-copy takes it)"), "{listed}");
    // The old laptop itself, found working, is refused at its session.
    let refused = run("samanvaya", &["sync", "--timeout", "20"], Some(old_dir.path()));
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("from before the laptop was restored"), "{said}");
    // Handed the restored copy's answer from the stick, the old laptop is told the same, and
    // not that it was restored itself (it was not), which sent it to the block office for an
    // answer it is never written again.
    let first_answer = stick.path().join("down-1");
    let refused = run("samanvaya", &["import-feed", first_answer.to_str().unwrap()], Some(old_dir.path()));
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("is for a copy of this laptop restored from its backup"), "{said}");
    assert!(!said.contains("before this laptop was restored"), "{said}");
    // The same backup restored once more, on yet another laptop: the block's answer to the
    // first restored copy, left on the stick, is not this copy's, and is refused, nothing
    // applied. Before, it was taken (it answers a restored laptop), and settled this copy's
    // restore on the other copy's word.
    let again_dir = tempfile::tempdir().unwrap();
    drop(
        samanvaya_core::Store::restore(&backup, again_dir.path(), None, &samanvaya_core::Secret::new(PIN))
            .unwrap(),
    );
    let refused = run("samanvaya", &["import-feed", first_answer.to_str().unwrap()], Some(again_dir.path()));
    assert!(!refused.status.success(), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("before this laptop was restored"),
        "{refused:?}"
    );
    assert!(samanvaya_tests::open(again_dir.path()).unwrap().restore_unsettled().unwrap());

    let second = round(2);
    assert!(!second.contains("wrote 0 change(s)"), "now the new work goes: {second}");
    assert!(ids(restored_dir.path()).contains(&late_work), "the late file's work came back with the old run");
    let third = round(3);
    assert!(third.contains("wrote 0 change(s)"), "and once only: {third}");
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let households: i64 = conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0)).unwrap();
    assert_eq!(households, 5, "the block holds every household once");
    // The old laptop's run, and the restored laptop's past it: each unbroken, each change once.
    let seqs: Vec<i64> = conn
        .prepare("SELECT origin_seq FROM change WHERE origin_device = ?1 ORDER BY origin_seq")
        .unwrap()
        .query_map([&device], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let breaks: Vec<&[i64]> = seqs.windows(2).filter(|w| w[1] != w[0] + 1).collect();
    assert_eq!(breaks.len(), 1, "two unbroken runs: {seqs:?}");
    assert!(breaks[0][1] - breaks[0][0] > samanvaya_domain::restore::RUN_GAP, "{seqs:?}");
    let status = samanvaya_tests::open(restored_dir.path()).unwrap().sync_status().unwrap();
    assert_eq!(status.waiting, 0);
    // The restored laptop's log went on the sticks as a branch, each entry once, beside the old
    // laptop's log, which the block keeps as the old laptop sent it.
    let restored = samanvaya_tests::open(restored_dir.path()).unwrap();
    let fork = restored.audit_fork().unwrap().expect("the restored laptop writes on a branch");
    let branch: Vec<(i64, String)> = conn
        .prepare("SELECT seq, action FROM device_audit WHERE device_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([fork.id.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let since_restore: Vec<(i64, String)> = restored
        .audit_after(fork.from_seq, 100_000)
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, e.action))
        .collect();
    assert!(branch.len() > 1 && branch.len() <= since_restore.len(), "{branch:?}");
    assert_eq!(branch[..], since_restore[..branch.len()], "the branch as the laptop wrote it");
    assert_eq!(restored.audit_held_through().unwrap(), branch.last().unwrap().0);
    drop(restored);

    // The block office takes the old copy for the laptop after all (`keep-copy`: say the
    // restored one was lost too): the list no longer says a copy was refused, the old copy
    // syncs again, and the restored copy's next file is refused whole.
    let keep_copy = |dir: &str| {
        run(
            "samanvaya-server",
            &["--role", "block", "--data-dir", dir, "keep-copy", "--device", &device],
            None,
        )
    };
    let kept = ok(keep_copy(dir));
    assert!(
        kept.contains(&format!("laptop {device}: the copy refused last (its newest restore none)")),
        "{kept}"
    );
    let listed = server_cmd("block", block_dir.path(), &["devices"]);
    assert!(!listed.contains("was refused (keep-copy takes it)"), "{listed}");
    sync(old_dir.path());
    let file = stick.path().join("restored-after-keep-copy");
    ok(run("samanvaya", &["export-sync", file.to_str().unwrap()], Some(restored_dir.path())));
    let import = || {
        run(
            "samanvaya-server",
            &["--role", "block", "--data-dir", dir, "import", file.to_str().unwrap()],
            None,
        )
    };
    let refused = import();
    assert!(!refused.status.success(), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("written on the laptop before it was restored from its backup"), "{said}");
    // The office changes its mind: the copy refused last is now the restored one, which the
    // command takes back, and its file is taken.
    let newest = samanvaya_tests::open(restored_dir.path()).unwrap().restores().unwrap().last().unwrap().id;
    let back = ok(keep_copy(dir));
    assert!(back.contains(&format!("its newest restore {newest}")), "{back}");
    ok(import());
    // With no copy refused since, there is nothing to keep, and nothing changes.
    let again = keep_copy(dir);
    assert!(!again.status.success(), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("there is nothing to keep"), "{again:?}");
    drop(block);
}

/// Replacing the block's certificate on purpose (issue 19): the operator makes a new one, every
/// laptop that syncs learns it and accepts it beside the one it pinned at enrollment, the switch
/// waits for the laptops that have not (or is forced), and after the restart a laptop that knew
/// it syncs on and pins it, while one that never heard of it is refused with the plain sentence.
#[test]
fn a_block_replaces_its_certificate_and_its_laptops_follow_without_enrolling_again() {
    let (block_dir, block, laptop_dir) = block_and_laptop();
    let dir = block_dir.path().to_str().unwrap().to_owned();
    let late_dir = tempfile::tempdir().unwrap();
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    drop(samanvaya_tests::open(late_dir.path()).unwrap());
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(late_dir.path())));
    let old = block.certificate.clone().expect("the block serves HTTPS");
    let switch = |force: bool| {
        let mut args = vec!["--role", "block", "--data-dir", dir.as_str(), "use-new-certificate"];
        if force {
            args.push("--force");
        }
        run("samanvaya-server", &args, None)
    };

    let made = server_cmd("block", block_dir.path(), &["new-certificate"]);
    let new = made.trim().strip_prefix("certificate sha256 ").expect("the new fingerprint").to_owned();
    assert_ne!(new, old);
    let refused = switch(false);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("2 device(s)"), "{refused:?}");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert_eq!(pins(laptop_dir.path()), (Some(old.clone()), Some(new.clone())), "it accepts both now");
    // It says so at its next session (the app syncs every five minutes).
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    let refused = switch(false);
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("1 device(s)"),
        "only the late one: {refused:?}"
    );
    // The operator switches all the same (the late laptop will enroll again) and restarts.
    let switched = switch(true);
    assert!(switched.status.success(), "{switched:?}");
    // Another certificate cannot be made before the restart: devices would keep it in place of
    // the one the server is about to present.
    let early = run("samanvaya-server", &["--role", "block", "--data-dir", &dir, "new-certificate"], None);
    assert!(String::from_utf8_lossy(&early.stderr).contains("restart it first"), "{early:?}");
    let address = block.url.trim_start_matches("https://").to_owned();
    drop(block);
    let block = start_server(&["--role", "block", "--data-dir", &dir, "--listen", &address]);
    assert_eq!(block.certificate.as_deref(), Some(new.as_str()), "the block presents the new certificate");
    // Switched as planned: the operator is not sent to the district for its word.
    let said = std::fs::read_to_string(&block.log).unwrap();
    assert!(!said.contains("vouch-certificate"), "{said}");

    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    assert_eq!(pins(laptop_dir.path()), (Some(new.clone()), None), "it pinned the new one, and only it");
    let late = run("samanvaya", &["sync", "--timeout", "20"], Some(late_dir.path()));
    assert!(!late.status.success());
    assert!(String::from_utf8_lossy(&late.stderr).contains("another certificate"), "{late:?}");
    drop(block);
}

/// A district renews its certificate the same way, and its block follows without enrolling
/// again: the block keeps the announced certificate, says so at its next session, the switch
/// then finds no device without it, and after the district's restart the block pins it alone.
#[test]
fn a_district_replaces_its_certificate_and_its_block_follows_without_enrolling_again() {
    let Some(dist) = District::new(false) else { return };
    let block_dir = tempfile::tempdir().unwrap();
    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let old = district.certificate.clone().expect("the district serves HTTPS");
    let code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &code);
    let upstream = || -> (Option<String>, Option<String>) {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT certificate, next_certificate FROM upstream WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap_or((None, None))
    };
    eventually("the block enrolled with its district", || upstream().0.as_deref() == Some(old.as_str()));

    let made = ok(dist.cmd(&["new-certificate"]));
    let new = made.trim().strip_prefix("certificate sha256 ").expect("the new fingerprint").to_owned();
    eventually("the block keeps the announced certificate", || upstream().1.as_deref() == Some(new.as_str()));
    // The block says so at its next session (every second here); the switch waits for it.
    eventually("the district's switch finds every device ready", || {
        dist.cmd(&["use-new-certificate"]).status.success()
    });
    let address = district.url.trim_start_matches("https://").to_owned();
    drop(district);
    let mut args = dist.store_args();
    args.extend(["--listen".to_owned(), address]);
    let district = start_server(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        district.certificate.as_deref(),
        Some(new.as_str()),
        "the district presents the new certificate"
    );
    eventually("the block pinned the new certificate, and only it", || {
        upstream() == (Some(new.clone()), None)
    });
    drop(block);
    drop(district);
}

/// The certificate a laptop pins and the one it keeps to accept next.
fn pins(laptop: &Path) -> (Option<String>, Option<String>) {
    let store = samanvaya_tests::open(laptop).unwrap();
    store
        .connection()
        .query_row("SELECT certificate, next_certificate FROM sync_link", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
}

#[test]
fn a_block_withdraws_a_new_certificate_before_and_after_the_switch_and_its_laptops_forget_it() {
    let (block_dir, block, laptop_dir) = block_and_laptop();
    let dir = block_dir.path().to_str().unwrap().to_owned();
    let old = block.certificate.clone().expect("the block serves HTTPS");
    let sync = || ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop_dir.path())));
    let fingerprint =
        |out: String| out.trim().strip_prefix("certificate sha256 ").expect("a fingerprint").to_owned();
    let withdraw =
        || run("samanvaya-server", &["--role", "block", "--data-dir", &dir, "withdraw-certificate"], None);

    let refused = withdraw();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing to withdraw"), "{refused:?}");

    // Made, learned by the laptop, then withdrawn: the laptop forgets it at its next sync.
    let first = fingerprint(server_cmd("block", block_dir.path(), &["new-certificate"]));
    sync();
    sync();
    assert_eq!(pins(laptop_dir.path()), (Some(old.clone()), Some(first.clone())));
    let out = ok(withdraw());
    assert!(out.contains(&first), "{out}");
    assert!(!block_dir.path().join("tls/next-key.der").exists(), "the withdrawn key is removed");
    let early =
        run("samanvaya-server", &["--role", "block", "--data-dir", &dir, "use-new-certificate"], None);
    assert!(String::from_utf8_lossy(&early.stderr).contains("no new certificate was made"), "{early:?}");
    sync();
    assert_eq!(pins(laptop_dir.path()), (Some(old.clone()), None), "the laptop forgot it");
    {
        let store = samanvaya_tests::open(laptop_dir.path()).unwrap();
        let audited = store.audit_after(0, 100_000).unwrap();
        let said = audited.iter().filter(|e| e.action == "certificate:announced").map(|e| e.detail.as_str());
        assert_eq!(
            said.collect::<Vec<_>>(),
            [first.as_str(), "withdrawn"],
            "the laptop's audit log says both"
        );
    }

    // Made again (a new one), accepted, switched to, then withdrawn before the restart: the
    // block presents the certificate from before, and the laptop goes on with it.
    let second = fingerprint(server_cmd("block", block_dir.path(), &["new-certificate"]));
    assert_ne!(second, first, "a certificate made after a withdrawal is another one");
    sync();
    sync();
    ok(run("samanvaya-server", &["--role", "block", "--data-dir", &dir, "use-new-certificate"], None));
    let out = withdraw();
    assert!(String::from_utf8_lossy(&out.stderr).contains("back in place"), "{out:?}");
    let address = block.url.trim_start_matches("https://").to_owned();
    drop(block);
    let block = start_server(&["--role", "block", "--data-dir", &dir, "--listen", &address]);
    assert_eq!(block.certificate.as_deref(), Some(old.as_str()), "the certificate from before is presented");
    sync();
    assert_eq!(pins(laptop_dir.path()), (Some(old.clone()), None));
    drop(block);
}

/// What `samanvaya sync --status` says after `key` ("waiting to send", "reached the block").
fn status_number(laptop: &Path, key: &str) -> i64 {
    let status = ok(run("samanvaya", &["sync", "--status"], Some(laptop)));
    let line = status.lines().find_map(|l| l.strip_prefix(&format!("{key}: "))).unwrap_or_else(|| {
        panic!("no {key:?} in {status}");
    });
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// A household of one woman named `name` on laptop `dir`, with a referral for the widow's
/// pension; the referral's number.
fn household_with_a_referral(dir: &Path, name: &str) -> String {
    let mut store = samanvaya_tests::open(dir).unwrap();
    let village = store.villages().unwrap()[0].id;
    let head = member(name, Relation::Head, Sex::Female, Birth::Age { years: 40 });
    let h = store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
    let referral = NewReferral {
        household_id: h.id,
        member_id: Some(h.members[0].id),
        need: Need::Scheme { code: "NSAP_IGNWPS".into() },
        documents: vec![],
        notes: String::new(),
    };
    store.open_referral(&referral, store.now().unwrap()).unwrap().summary.number
}

/// The district's folder lost and put back from `backup` (its server stopped).
fn put_back(dist: &District, backup: &Path) {
    std::fs::remove_dir_all(dist.dir.path()).unwrap();
    copy_folder(backup, dist.dir.path());
}

/// Copies the folder `from` into `to`, subfolders too: a server's data folder as a backup.
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_folder(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The block on folder `dir`, started again at its address `listen` (which the laptops keep
/// from their enrollment), forwarding to the district at `district`.
fn block_again(dir: &Path, listen: &str, district: &str) -> samanvaya_tests::Running {
    block_again_with(dir, listen, district, &[])
}

/// As [`block_again`], with the arguments `more` too (a new enrollment code).
fn block_again_with(dir: &Path, listen: &str, district: &str, more: &[&str]) -> samanvaya_tests::Running {
    let dir = dir.to_str().unwrap();
    let args = [
        "--role",
        "block",
        "--data-dir",
        dir,
        "--listen",
        listen,
        "--upstream",
        district,
        "--sync-every",
        "1",
    ];
    start_server(&[&args[..], more].concat())
}

/// A block restored from a backup numbers its new changes again from where the backup stood:
/// numbers its district already holds, for the work the block forwarded before the restore. The
/// district took them for that work sent again and stored nothing, and the block, told the
/// district held its changes that far, never sent them: laptop B's household, the first thing
/// the restored block stored, never reached the district. The block now counts as forwarded only
/// what the district acknowledged of what it sent, and the district takes a block's change by
/// its origin, whatever its number.
#[test]
fn a_block_restored_from_a_backup_forwards_its_new_work_to_the_district() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, backup) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &code);
    // Started again at the same address, which the laptops keep from their enrollment.
    let listen = block.url.trim_start_matches("https://").to_owned();
    let again = || block_again(block_dir.path(), &listen, &district.url);
    for laptop in [a_dir.path(), b_dir.path()] {
        let mut store = samanvaya_tests::open(laptop).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
        drop(store);
        let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
        ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(laptop)));
    }
    // The block's backup, with both laptops enrolled and nothing surveyed yet.
    drop(block);
    copy_folder(block_dir.path(), backup.path());
    let block = again();
    let add = household_with_a_referral;
    // The block office takes a case up: a change the block makes itself.
    let submitted_at_district = |number: &str| {
        let listed = String::from_utf8_lossy(&dist.cmd(&["referrals"]).stdout).into_owned();
        listed.lines().any(|l| l.starts_with(&format!("{number}\t")) && l.contains("submitted"))
    };
    let forwarded_at = || -> Option<String> {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT last_success_at FROM upstream", [], |r| r.get(0)).unwrap_or(None)
    };
    let of_a = add(a_dir.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(a_dir.path())));
    server_cmd("block", block_dir.path(), &["step", &of_a, "submit", "--by", "BDO Bodh Gaya"]);
    eventually("A's household at the district", || dist.count("SELECT count(*) FROM household") == 1);
    eventually("A's case taken up, at the district", || submitted_at_district(&of_a));

    // The block's folder is lost and restored from the backup.
    drop(block);
    std::fs::remove_dir_all(block_dir.path()).unwrap();
    copy_folder(backup.path(), block_dir.path());
    let before = forwarded_at();
    let block = again();
    eventually("the restored block's first forwarding", || forwarded_at() != before);
    let of_b = add(b_dir.path(), "सुनीता देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(b_dir.path())));
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(a_dir.path())));
    eventually("B's household at the district", || dist.count("SELECT count(*) FROM household") == 2);
    // The restored block numbers its own next change after the one the district holds.
    server_cmd("block", block_dir.path(), &["step", &of_b, "submit", "--by", "BDO Bodh Gaya"]);
    eventually("B's case taken up, at the district", || submitted_at_district(&of_b));
    // Each change once: A's household, sent again by A to the restored block, is not doubled.
    let stored = dist.count("SELECT count(*) FROM change");
    let distinct =
        dist.count("SELECT count(*) FROM (SELECT DISTINCT origin_device, origin_seq FROM change) o");
    assert_eq!(stored, distinct);
    // And A, whose place in the block's feed was past where the backup stood, gets B's household.
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(a_dir.path())));
    let on_a = samanvaya_tests::household_ids(&samanvaya_tests::open(a_dir.path()).unwrap());
    assert_eq!(on_a.len(), 2, "A holds B's household too");
    // The block's own step on A's case, taken after the backup, is held at the district only:
    // the restored block asks it back, and its office sees A's case taken up again, as A does.
    let submitted_at_block = |number: &str| {
        let listed = server_cmd("block", block_dir.path(), &["referrals"]);
        listed.lines().any(|l| l.starts_with(&format!("{number}\t")) && l.contains("submitted"))
    };
    eventually("A's case taken up, at the restored block", || submitted_at_block(&of_a));
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(a_dir.path())));
    let store = samanvaya_tests::open(a_dir.path()).unwrap();
    let query = samanvaya_core::referral::ReferralQuery { household_id: None, open_only: false };
    let list = store.referrals(&query, store.now().unwrap().today).unwrap();
    let case = list.iter().find(|r| r.number == of_a).expect("A's case");
    assert_eq!(format!("{:?}", case.stage), "Submitted");
    drop(block);
}

/// The same for a laptop that reads the block's feed only by USB stick. The restored block
/// numbers a new laptop's household below where the stick's laptop had read; the laptop's next
/// sync file says it read past the block's newest change, and, under the block's own epoch (it
/// has none yet), that shows the restore: the block begins a new epoch, writes its answer from
/// the feed's start and names the epoch in it, and the laptop forgets the block's old numbers
/// before it applies it. Before, the answer started after where the laptop had read and
/// carried nothing, and the laptop never got that household. An answer from before the
/// restore, applied late, is refused; the next round, under the new epoch, starts where the
/// last one ended.
#[test]
fn a_laptop_that_reads_a_restored_blocks_feed_by_stick_reads_it_again_and_misses_nothing() {
    let (block_dir, backup, stick) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let laptops = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let [writer, reader, newcomer] = [0, 1, 2].map(|i| laptops[i].path());
    let (restorable, block) = RestorableBlock::start(block_dir.path());
    let enroll = |laptop: &Path| restorable.enroll(laptop);
    let households = |laptop: &Path| samanvaya_tests::household_ids(&samanvaya_tests::open(laptop).unwrap());
    // One round by stick for the reader; what the block said it wrote.
    let round = |n: usize| stick_round(reader, block_dir.path(), stick.path(), n);
    enroll(writer);
    enroll(reader);
    let block = restorable.back_up(block, backup.path());
    household_with_a_referral(writer, "कमला देवी");
    household_with_a_referral(writer, "विमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(writer)));
    round(1);
    assert_eq!(households(reader).len(), 2);

    // The block's folder is lost and restored from the backup, which holds neither household.
    let _block = restorable.restore(block, backup.path());
    enroll(newcomer);
    // A household alone, with fewer changes than the two the reader read: the restored block's
    // feed ends below where the reader stands.
    {
        let mut store = samanvaya_tests::open(newcomer).unwrap();
        let village = store.villages().unwrap()[0].id;
        let head = member("सुनीता देवी", Relation::Head, Sex::Female, Birth::Age { years: 35 });
        store.save_household(new_household(village, vec![head]), store.now().unwrap()).unwrap();
    }
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(newcomer)));
    // Before any file of the reader's shows the block its restore, the office writes the
    // reader an answer: in the feed's new numbers, under which the reader applied other
    // changes. Refused whole, with what to do (before, the store refused it in a database's
    // words); the round after it mends everything.
    let reader_id = samanvaya_tests::open(reader).unwrap().device_id().unwrap().to_string();
    let early = stick.path().join("down-early");
    server_cmd("block", block_dir.path(), &["export-feed", "--device", &reader_id, early.to_str().unwrap()]);
    let refused = run("samanvaya", &["import-feed", early.to_str().unwrap()], Some(reader));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && said.contains("has not found it out yet"), "{said}");
    assert!(!households(reader).contains(&households(newcomer)[0]), "nothing of it applied");
    round(2);
    let mine = households(newcomer);
    assert!(households(reader).contains(&mine[0]), "the reader holds the newcomer's household");
    // The first answer, left on the stick and applied again now, is in the old numbers: refused.
    let late =
        run("samanvaya", &["import-feed", stick.path().join("down-1").to_str().unwrap()], Some(reader));
    let said = String::from_utf8_lossy(&late.stderr);
    assert!(!late.status.success() && said.contains("before the block's server was restored"), "{said}");
    assert!(round(3).contains("wrote 0 change(s)"), "the next answer starts where the last ended");
}

/// Two laptops that sync by stick alone, and a block restored from a backup that holds where
/// each had read its feed: once the first laptop's file shows the block its restore, the
/// answer the office writes for the second (no file of its own yet) reads the feed again from
/// its start under the new epoch. Where the block kept the second laptop's reading from the
/// backup, in the old numbers, the answer started there, and the laptop refused it as written
/// before the restore; applied, it would have skipped what lay between.
#[test]
fn once_a_laptop_shows_the_block_its_restore_anothers_answer_reads_the_feed_from_its_start() {
    let (block_dir, backup) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sticks = [(); 2].map(|()| tempfile::tempdir().unwrap());
    let laptops = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let [writer, first, second] = [0, 1, 2].map(|i| laptops[i].path());
    let (restorable, block) = RestorableBlock::start(block_dir.path());
    for laptop in [writer, first, second] {
        restorable.enroll(laptop);
    }
    let households = |laptop: &Path| samanvaya_tests::household_ids(&samanvaya_tests::open(laptop).unwrap());
    let round = |laptop: &Path, stick: &Path, n: usize| stick_round(laptop, block_dir.path(), stick, n);
    // Each file says where its laptop had read when it was written: the block knows where
    // both stand after their second round.
    for (n, name) in [(1, "कमला देवी"), (2, "विमला देवी")] {
        household_with_a_referral(writer, name);
        ok(run("samanvaya", &["sync", "--timeout", "20"], Some(writer)));
        round(first, sticks[0].path(), n);
        round(second, sticks[1].path(), n);
    }
    // The backup holds where both had read, in its numbers.
    let block = restorable.back_up(block, backup.path());
    household_with_a_referral(writer, "सीता देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(writer)));
    round(first, sticks[0].path(), 3);
    round(second, sticks[1].path(), 3);
    assert_eq!(households(second).len(), 3);

    let _block = restorable.restore(block, backup.path());
    // The first laptop's file shows the restore: it read past what the block holds.
    round(first, sticks[0].path(), 4);
    let second_id = samanvaya_tests::open(second).unwrap().device_id().unwrap().to_string();
    let answer = sticks[1].path().join("down-after-restore");
    server_cmd("block", block_dir.path(), &["export-feed", "--device", &second_id, answer.to_str().unwrap()]);
    ok(run("samanvaya", &["import-feed", answer.to_str().unwrap()], Some(second)));
    let epoch = |laptop: &Path| samanvaya_tests::open(laptop).unwrap().feed_epoch_held().unwrap();
    assert!(epoch(second).is_some() && epoch(second) == epoch(first), "both read under the new epoch");
    assert_eq!(households(second).len(), 3, "nothing lost");
}

/// `dist`'s server started, on `listen` when given: a district started again where its block
/// knows it.
fn start_district_at(dist: &District, listen: Option<&str>) -> samanvaya_tests::Running {
    let mut args = dist.store_args();
    if let Some(listen) = listen {
        args.extend(["--listen".to_owned(), listen.to_owned()]);
    }
    start_server(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `dist` started, a block enrolled with it in `block_dir`, and a laptop of Bakraur enrolled
/// with the block in `laptop`: the district, the address it listens on, and the block.
fn district_block_and_laptop(
    dist: &District,
    block_dir: &Path,
    laptop: &Path,
) -> (samanvaya_tests::Running, String, samanvaya_tests::Running) {
    let district = start_district_at(dist, None);
    let listen = district.url.trim_start_matches("https://").to_owned();
    let code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir, &district.url, &code);
    {
        let mut store = samanvaya_tests::open(laptop).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    let code = server_cmd("block", block_dir, &["enroll-code", "--village", "Bakraur"]);
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(laptop)));
    (district, listen, block)
}

/// A district restored from a backup numbers the changes it makes itself (a step taken there,
/// a review decided) again from where the backup stood. Its block holds one numbered so
/// already, and took the restored district's next one for it: skipped, it never reached the
/// block or the village. Now the block's session with the district says the highest of the
/// district's own changes it holds, and the restored district numbers its next one after it.
/// And what the block forwarded after the backup, which the restored district lost, the block
/// sends again, from where the district says it holds the block's work; the district's own step
/// taken after the backup, which the block read with the district's seal, the block gives back.
#[test]
fn a_district_restored_from_a_backup_takes_back_its_step_from_its_block_and_numbers_the_next_after_it() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, backup, laptop) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let start_district = |listen: Option<&str>| start_district_at(&dist, listen);
    let (district, listen, _block) = district_block_and_laptop(&dist, block_dir.path(), laptop.path());
    let number = household_with_a_referral(laptop.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    eventually("the case at the district", || dist.count("SELECT count(*) FROM referral") == 1);

    // The district's backup, with the case and none of its own steps.
    drop(district);
    copy_folder(dist.dir.path(), backup.path());
    let district = start_district(Some(&listen));
    let of_district_at_block = || -> i64 {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row(
            "SELECT count(*) FROM change WHERE origin_device = (SELECT server_id FROM upstream)",
            [],
            |r| r.get(0),
        )
        .unwrap()
    };
    let note = |text: &str| ok(dist.cmd(&["step", &number, "note", "--reason", text, "--by", "DM office"]));
    note("papers asked of the bank");
    eventually("the district's first step at the block", || of_district_at_block() == 1);
    // Work the block forwards after the backup, which the restored district loses.
    household_with_a_referral(laptop.path(), "सीता देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    eventually("the second case at the district", || dist.count("SELECT count(*) FROM referral") == 2);

    // The district's folder is lost and restored from the backup; the block's next session
    // with it says what of its own changes the block holds.
    drop(district);
    put_back(&dist, backup.path());
    let sessions = || dist.count("SELECT count(*) FROM session");
    let before = sessions();
    let district = start_district(Some(&listen));
    eventually("the block's session with the restored district", || sessions() > before);
    // The step the restored district lost is given back by the block, which kept the district's
    // seal on it, and the district's operator reads so in its log; before, the district had
    // lost it for good.
    let steps = || dist.count("SELECT count(*) FROM referral_event");
    eventually("the district's lost step given back by its block", || steps() == 1);
    eventually("the district's log saying what came back", || {
        std::fs::read_to_string(&district.log).unwrap().contains("took back 1 of this server's own changes")
    });
    note("the bank has the papers");
    eventually("the restored district's step at the block", || of_district_at_block() == 2);
    eventually("both steps at the district", || steps() == 2);
    // The block sends again what the restored district says it lacks: the second case, which
    // the block had taken for acknowledged and would never have sent again.
    eventually("the lost case forwarded again", || dist.count("SELECT count(*) FROM referral") == 2);
}

/// A district restored from a backup that held all the changes it made itself, but not the
/// block's work forwarded since: the block's session says how far the district had said it
/// holds the block's work, and the restored district, holding less, numbers its feed again,
/// which the block reads again from the start before it pushes. Without the word the restore
/// was found only at the block's pull, after a push that claimed to have read the district's
/// old feed (found by a review).
#[test]
fn a_block_finds_its_district_restored_by_what_the_district_had_said_it_holds() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, backup, laptop) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let start_district = |listen: Option<&str>| start_district_at(&dist, listen);
    let (district, listen, _block) = district_block_and_laptop(&dist, block_dir.path(), laptop.path());
    household_with_a_referral(laptop.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    eventually("the case at the district", || dist.count("SELECT count(*) FROM referral") == 1);
    let epoch_at_block = || -> String {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT coalesce(feed_epoch, '') FROM upstream", [], |r| r.get(0)).unwrap()
    };
    // A district never restored names no epoch of its feed, or its first.
    let first = epoch_at_block();

    drop(district);
    copy_folder(dist.dir.path(), backup.path());
    let district = start_district(Some(&listen));
    household_with_a_referral(laptop.path(), "सीता देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    eventually("the second case at the district", || dist.count("SELECT count(*) FROM referral") == 2);
    // The district's answer kept at the block too: stopped between its commit and its answer,
    // the district never said it held the case, and the block, holding no word for more than
    // the restored district holds, has no restore to find (it sends the case again all the
    // same). The test stopped it so once in a cold run.
    wait_for_the_district_to_hold_all(block_dir.path());

    // The district's folder is put back from the backup, which lacks the second case.
    drop(district);
    put_back(&dist, backup.path());
    let _district = start_district(Some(&listen));
    eventually("the block reading the restored district's feed again", || {
        let now = epoch_at_block();
        !now.is_empty() && now != first
    });
    eventually("the lost case forwarded again", || dist.count("SELECT count(*) FROM referral") == 2);
}

/// Waits until the block on `dir` holds its district's word for all it forwarded.
fn wait_for_the_district_to_hold_all(dir: &Path) {
    eventually("the district's answer for all the block forwarded", || {
        server_cmd("block", dir, &["status"]).contains("; 0 change(s) waiting to go up")
    });
}

/// A district restored from a backup older than its block's enrollment no longer knows the
/// block, and refuses its sessions: the block's status says what to do. Its operator first
/// brings a code from another district server, one set up anew with the district's certificate
/// but a store of its own: the block, refused there as unknown too, asks the server who it is,
/// sends it nothing, and drops the code. Started with a new code from its own district, the
/// block enrolls again under its own identity, forwards again the case the district lost, and
/// the district's step on it comes down to the laptop. Started again with that code still in
/// its command, the block does not send it, and forwards. Before, the code was not used, and
/// only a block set up anew (its work lost) reached the district again.
#[test]
fn a_block_its_restored_district_no_longer_knows_enrolls_again_and_keeps_its_work() {
    let (Some(dist), Some(other)) = (District::new(false), District::new(false)) else { return };
    let (block_dir, backup, laptop) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The district's backup, made before the block enrolled.
    let district = start_district_at(&dist, None);
    let listen = district.url.trim_start_matches("https://").to_owned();
    drop(district);
    copy_folder(dist.dir.path(), backup.path());
    let district = start_district_at(&dist, Some(&listen));
    let code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &code);
    let block_listen = block.url.trim_start_matches("https://").to_owned();
    {
        let mut store = samanvaya_tests::open(laptop.path()).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    let laptop_code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    ok(run("samanvaya", &["enroll", &block.url, laptop_code.trim()], Some(laptop.path())));
    let number = household_with_a_referral(laptop.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    eventually("the case at the district", || dist.count("SELECT count(*) FROM referral") == 1);
    wait_for_the_district_to_hold_all(block_dir.path());

    // The district's folder is lost and put back from the backup, which knows no block.
    drop(district);
    put_back(&dist, backup.path());
    let district = start_district_at(&dist, Some(&listen));
    let not_known = || {
        let status = server_cmd("block", block_dir.path(), &["status"]);
        status.contains("the district does not know this block") && status.contains("--upstream-code CODE")
    };
    eventually("the block's status saying the district does not know it", not_known);
    assert_eq!(dist.count("SELECT count(*) FROM referral"), 0, "the backup holds no case");
    let log_says = |block: &samanvaya_tests::Running, what: &str| {
        eventually(what, || std::fs::read_to_string(&block.log).unwrap().contains(what));
    };

    // A code from another district server with this district's certificate.
    copy_folder(&dist.dir.path().join("tls"), &other.dir.path().join("tls"));
    let other_server = start_district_at(&other, None);
    let other_code = ok(other.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    drop(block);
    let block_with = |url: &str, code: &str| {
        block_again_with(block_dir.path(), &block_listen, url, &["--upstream-code", code.trim()])
    };
    let block = block_with(&other_server.url, &other_code);
    log_says(&block, "is another server");
    log_says(&block, "nothing was sent to it; the code is not tried again, and a new one would not help");
    eventually("the status saying the server is another, with no advice to bring a code", || {
        let status = server_cmd("block", block_dir.path(), &["status"]);
        status.contains("is another server") && !status.contains("--upstream-code CODE")
    });
    assert_eq!(other.count("SELECT count(*) FROM device"), 0, "nothing registered at the other server");
    assert_eq!(
        other.count("SELECT count(*) FROM enrollment_code WHERE used_by IS NULL"),
        1,
        "its code unspent"
    );

    // A new code from the restored district, and the block started with it at the district's
    // address, where its laptops know it.
    drop(block);
    let code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = block_with(&district.url, &code);
    log_says(&block, "this block is enrolled again with its district");
    eventually("the lost case forwarded again", || dist.count("SELECT count(*) FROM referral") == 1);
    let block_id: String = rusqlite::Connection::open(block_dir.path().join("server.sqlite3"))
        .unwrap()
        .query_row("SELECT device_id FROM identity", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dist.count("SELECT count(*) FROM device WHERE kind = 'block'"), 1, "one block");
    assert_eq!(
        dist.one::<String>("SELECT id FROM device WHERE kind = 'block'"),
        block_id,
        "the block enrolled again under its own identity"
    );
    ok(dist.cmd(&["step", &number, "submit", "--by", "DSWO Gaya"]));
    eventually("the district's step at the block", || {
        server_cmd("block", block_dir.path(), &["referrals"]).contains("submitted")
    });
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    {
        let store = samanvaya_tests::open(laptop.path()).unwrap();
        let list = store
            .referrals(&ReferralQuery { household_id: None, open_only: false }, store.now().unwrap().today)
            .unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].stage, Stage::Submitted, "the district's step is on the laptop");
    }

    // Started again with a code in its command, one not spent: while the district knows the
    // block, the code is kept and never sent.
    drop(block);
    let unspent = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = block_with(&district.url, &unspent);
    let log = std::fs::read_to_string(&block.log).unwrap();
    assert!(
        log.contains("--upstream-code is used only if the district says it no longer knows this block"),
        "{log}"
    );
    ok(dist.cmd(&["step", &number, "process", "--by", "DSWO Gaya"]));
    eventually("the next step at the block", || {
        server_cmd("block", block_dir.path(), &["referrals"]).contains("under_process")
    });
    assert_eq!(
        dist.count("SELECT count(*) FROM enrollment_code WHERE used_by IS NULL"),
        1,
        "the code unsent"
    );
}

/// A district that lost its certificate (its `tls` folder) but not its records presents a new
/// one, which its block refuses at every round: the block's status says so, with what to ask
/// for. A code made for this block (`enroll-code --again`; a plain code is refused to a block
/// that has synced, as the conformance case shows) is not sent while the block has not been
/// told the district's new certificate; told it (`--upstream-new-certificate`), the block
/// enrolls again, pins it, and forwards the work it held back. Before, the block had to be set
/// up anew.
#[test]
fn a_block_enrolls_again_with_a_code_made_for_it_after_its_district_lost_its_certificate() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (district, listen, block) = district_block_and_laptop(&dist, block_dir.path(), laptop.path());
    household_with_a_referral(laptop.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    eventually("the case at the district", || dist.count("SELECT count(*) FROM referral") == 1);

    // The district's certificate is lost; it makes a new one at its next start.
    drop(district);
    std::fs::remove_dir_all(dist.dir.path().join("tls")).unwrap();
    let district = start_district_at(&dist, Some(&listen));
    let block_id: String = rusqlite::Connection::open(block_dir.path().join("server.sqlite3"))
        .unwrap()
        .query_row("SELECT device_id FROM identity", [], |r| r.get(0))
        .unwrap();
    eventually("the block's status saying the certificate changed, and what to ask for", || {
        let status = server_cmd("block", block_dir.path(), &["status"]);
        status.contains("presents another certificate") && status.contains(&format!("--again {block_id}"))
    });
    household_with_a_referral(laptop.path(), "सीता देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));

    let block_listen = block.url.trim_start_matches("https://").to_owned();
    let log_says = |block: &samanvaya_tests::Running, what: &str| {
        eventually(what, || std::fs::read_to_string(&block.log).unwrap().contains(what));
    };
    let block_with = |code: &str, certificate: Option<&str>| {
        let mut more = vec!["--upstream-code", code.trim()];
        more.extend(certificate.map(|c| ["--upstream-new-certificate", c]).into_iter().flatten());
        block_again_with(block_dir.path(), &block_listen, &district.url, &more)
    };
    // A code made for this block, without the district's new certificate: not sent to a
    // server presenting one the block does not know.
    drop(block);
    let code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya block", "--again", &block_id]));
    let block = block_with(&code, None);
    // Two rounds met the certificate: the first's decision on the code was taken.
    eventually("two rounds refused for the certificate", || {
        std::fs::read_to_string(&block.log).unwrap().matches("--upstream-new-certificate FINGERPRINT").count()
            >= 2
    });
    assert_eq!(
        dist.count("SELECT count(*) FROM enrollment_code WHERE used_by IS NULL"),
        1,
        "the code unsent"
    );
    // With the new certificate as the district's start printed it.
    drop(block);
    let fingerprint = district.certificate.clone().expect("the district speaks TLS");
    let block = block_with(&code, Some(&fingerprint));
    log_says(&block, "this block is enrolled again with its district");
    eventually("the case held back forwarded", || dist.count("SELECT count(*) FROM referral") == 2);
    assert_eq!(dist.count("SELECT count(*) FROM device WHERE kind = 'block'"), 1, "one block");
    assert_eq!(
        dist.one::<String>("SELECT id FROM device WHERE kind = 'block'"),
        block_id,
        "under its own identity"
    );
    let pinned: String = rusqlite::Connection::open(block_dir.path().join("server.sqlite3"))
        .unwrap()
        .query_row("SELECT certificate FROM upstream", [], |r| r.get(0))
        .unwrap();
    assert_eq!(pinned, fingerprint, "the district's new certificate pinned");
}

/// A laptop that only reads the block's feed, after the block is restored from a backup older
/// than where it had read: the restored block numbers a new laptop's household where the lost
/// ones stood, below the reader's place. The reader's next pull, after the newest change the
/// block holds, tells the block it was restored; the block names a new feed epoch, and the
/// reader reads the feed again from its start in the same sync. Before, it never got that
/// household, having sent nothing that would have shown the block less of its work. So with the
/// block's own changes (a case taken up): the reader's session says the highest of them it
/// holds, and the restored block numbers its next one after it, where it numbered it again from
/// the backup and the reader took it for the one it held.
#[test]
fn a_laptop_that_only_read_a_restored_blocks_feed_reads_it_again_and_misses_nothing() {
    let (block_dir, backup) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let laptops = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let [writer, reader, newcomer] = [0, 1, 2].map(|i| laptops[i].path());
    let (restorable, block) = RestorableBlock::start(block_dir.path());
    let enroll = |laptop: &Path| restorable.enroll(laptop);
    let add = household_with_a_referral;
    let take_up = |number: &str| {
        server_cmd("block", block_dir.path(), &["step", number, "submit", "--by", "BDO Bodh Gaya"]);
    };
    let stage_on = |laptop: &Path, number: &str| -> String {
        let store = samanvaya_tests::open(laptop).unwrap();
        let query = samanvaya_core::referral::ReferralQuery { household_id: None, open_only: false };
        let list = store.referrals(&query, store.now().unwrap().today).unwrap();
        let found = list.iter().find(|r| r.number == number).expect("the referral is held");
        format!("{:?}", found.stage)
    };
    let sync = |laptop: &Path| ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop)));
    let households = |laptop: &Path| samanvaya_tests::household_ids(&samanvaya_tests::open(laptop).unwrap());
    enroll(writer);
    enroll(reader);
    let block = restorable.back_up(block, backup.path());
    let of_writer = add(writer, "कमला देवी");
    add(writer, "विमला देवी");
    sync(writer);
    take_up(&of_writer);
    sync(reader);
    assert_eq!(households(reader).len(), 2);
    assert_eq!(stage_on(reader, &of_writer), "Submitted");

    // The block's folder is lost and restored from the backup, which holds neither household.
    let block = restorable.restore(block, backup.path());
    enroll(newcomer);
    let of_newcomer = add(newcomer, "सुनीता देवी");
    sync(newcomer);
    sync(reader);
    let mine = households(newcomer);
    assert!(households(reader).contains(&mine[0]), "the reader holds the newcomer's household");
    // The restored block takes the newcomer's case up: the reader gets that step too.
    take_up(&of_newcomer);
    sync(reader);
    assert_eq!(stage_on(reader, &of_newcomer), "Submitted");
    // The block is started again before the writer comes back. The writer read the feed under
    // no epoch and says so: what it shows is the restore found already, so the block makes no
    // new epoch, and the reader does not read the whole feed again (a new one was made at each
    // start such a laptop first came to).
    let epoch_at_block = || -> Option<String> {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row("SELECT feed_epoch FROM identity WHERE id = 1", [], |r| r.get(0)).unwrap()
    };
    let found = epoch_at_block();
    assert!(found.is_some(), "the reader showed the restore");
    drop(block);
    let block = restorable.again();
    // The writer sends again what the block lost; the reader holds each household once.
    sync(writer);
    assert_eq!(epoch_at_block(), found, "no new epoch for the restore found already");
    sync(reader);
    let mut held = households(reader);
    held.sort();
    held.dedup();
    assert_eq!((households(reader).len(), held.len()), (3, 3));
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let at_block: i64 = conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0)).unwrap();
    assert_eq!(at_block, 3);
    drop(block);
}

/// A block restored from a backup, whose feed another laptop has pushed past a reader's cursor
/// before the reader comes back: the reader's cursor is no longer past the newest change, so it
/// alone shows nothing, and the reader skipped what the block had numbered between the backup
/// and its cursor. The block's answer said which change the cursor stands on, the reader says it
/// back, the block holds another there, and the reader reads the feed again.
#[test]
fn a_reader_whose_place_a_restored_block_numbered_past_misses_nothing() {
    reader_past_whose_place_a_restored_block_numbered(|reader, _, _| {
        ok(run("samanvaya", &["sync", "--timeout", "20"], Some(reader)));
    });
}

/// The same by stick: only the change its cursor stands on, which its sync file names
/// (`Parcel::pulled_origin`), shows the restore, and the block writes its answer from the feed's
/// start. Before, the answer started at the reader's cursor, and the reader never got what the
/// block had numbered below it.
#[test]
fn a_stick_reader_whose_place_a_restored_block_numbered_past_misses_nothing() {
    let stick = tempfile::tempdir().unwrap();
    reader_past_whose_place_a_restored_block_numbered(|reader, block, round| {
        stick_round(reader, block, stick.path(), round);
    });
}

/// A laptop that syncs with its block by USB stick alone, enrolled, and a backup of the block
/// taken just after: `story` gets the block, its running server, the backup's folder, the
/// laptop's folder and the stick's `n`th round (what the block's import said).
fn a_stick_laptop_and_a_backup_of_its_block(
    story: impl FnOnce(&RestorableBlock, samanvaya_tests::Running, &Path, &Path, &dyn Fn(usize) -> String),
) {
    let [block_dir, backup, stick, laptop] = [(); 4].map(|()| tempfile::tempdir().unwrap());
    let (restorable, block) = RestorableBlock::start(block_dir.path());
    restorable.enroll(laptop.path());
    let block = restorable.back_up(block, backup.path());
    let round = |n: usize| stick_round(laptop.path(), block_dir.path(), stick.path(), n);
    story(&restorable, block, backup.path(), laptop.path(), &round);
}

/// One round by USB stick, the `n`th: the laptop writes its file, the block imports it and
/// writes its answer, the laptop applies the answer. What the block's import said.
fn stick_round(laptop: &Path, block: &Path, stick: &Path, n: usize) -> String {
    let (up, down) = (stick.join(format!("up-{n}")), stick.join(format!("down-{n}")));
    ok(run("samanvaya", &["export-sync", up.to_str().unwrap()], Some(laptop)));
    let (up, down) = (up.to_str().unwrap(), down.to_str().unwrap());
    let said = server_cmd("block", block, &["import", up, "--answer", down]);
    ok(run("samanvaya", &["import-feed", down], Some(laptop)));
    said
}

/// A laptop that syncs only by stick, whose work the block lost to a restore from a backup: its
/// next file, written before it hears of the restore, carries again what the block held and had
/// not forwarded (this block forwards to no district), and the block takes the lost household
/// with the new one at once. Before, the file carried only what the block had not said it held:
/// the block kept nothing of it and asked for the rest, and a laptop that broke before the
/// answer came left that household held nowhere (seed 709 of the simulation). Its audit log
/// goes as before: the answer to its latest file says the block holds less of it, and the next
/// file sends it from there. Before that, the laptop never moved its mark back on a stick's
/// word, and the block refused every later file's log as not following on from what it held.
/// The file that finds the restore is not refused as a log changed on the laptop either: the
/// block says it lost the entries and that the next file sends them.
#[test]
fn a_stick_laptops_work_a_restored_block_lost_is_sent_again_by_stick() {
    a_stick_laptop_and_a_backup_of_its_block(|restorable, block, backup, laptop, round| {
        let at_block = || -> i64 {
            let conn = rusqlite::Connection::open(restorable.dir.join("server.sqlite3")).unwrap();
            conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0)).unwrap()
        };
        // The laptop's audit entries the block holds, and the last of them.
        let audit_at_block = || -> (i64, i64) {
            let conn = rusqlite::Connection::open(restorable.dir.join("server.sqlite3")).unwrap();
            conn.query_row("SELECT count(*), coalesce(max(seq), 0) FROM device_audit", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap()
        };
        household_with_a_referral(laptop, "कमला देवी");
        round(1);
        assert_eq!(at_block(), 1);
        let (sent_first, _) = audit_at_block();
        assert!(sent_first > 0, "the first file carried the log");

        let _block = restorable.restore(block, backup);
        household_with_a_referral(laptop, "विमला देवी");
        let said = round(2);
        assert!(said.contains(", 0 already here"), "the restored block held none of it: {said}");
        assert_eq!(at_block(), 2, "the household the block lost, carried again, and the new one");
        // The file's log starts where the block's last answer said it held it: not an edit
        // on the laptop, but entries the restored block lost, which the next file sends.
        assert!(
            said.contains(&format!(
                "held here only through entry 0, and the file's entries start at entry {}",
                sent_first + 1
            )),
            "{said}"
        );
        assert_eq!(audit_at_block(), (0, 0), "nothing of the log past the gap kept");
        assert_eq!(status_number(laptop, "waiting to send"), 0);
        let said = round(3);
        assert!(said.contains("0 new change(s)"), "each once: {said}");
        let (held, last) = audit_at_block();
        assert!(last > sent_first, "the log the block lost, sent again, and what came after: {last}");
        assert_eq!(held, last, "from its first entry, each once");
    });
}

/// A laptop that syncs only by stick carries again, in each file, its changes the block holds
/// that have not reached the district (a block restored from an older backup loses them, and the
/// laptop may break before it hears so), until the block's answer says the district holds
/// them: the answer says how far, as a session does, and the panel counts them as reached.
/// Then the block is restored from a backup older than all of it: it reads back from the
/// district what it had forwarded, and the laptop's next file, which starts after what the
/// district holds, is taken whole before the laptop hears of the restore (before, the block
/// kept out a file starting past what it held of the laptop's own numbers).
#[test]
fn a_stick_laptop_carries_again_what_has_not_reached_the_district_until_the_answer_says_it_has() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, laptop_dir, stick, backup) = [(); 4].map(|()| tempfile::tempdir().unwrap()).into();
    let district = start_server(&dist.store_args().iter().map(String::as_str).collect::<Vec<_>>());
    let block_code = ok(dist.cmd(&["enroll-code", "--block", "Bodh Gaya"]));
    let block = start_block(block_dir.path(), &district.url, &block_code);
    let listen = block.url.trim_start_matches("https://").to_owned();
    let start_again = || block_again(block_dir.path(), &listen, &district.url);
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    let (laptop, stick) = (laptop_dir.path(), stick.path());
    {
        let mut store = samanvaya_tests::open(laptop).unwrap();
        samanvaya_tests::serve_a_village(&mut store).unwrap();
    }
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(laptop)));
    // The block's backup, with the laptop enrolled and nothing of its work.
    drop(block);
    copy_folder(block_dir.path(), backup.path());
    let block = start_again();
    let device = samanvaya_tests::open(laptop).unwrap().device_id().unwrap().to_string();
    household_with_a_referral(laptop, "कमला देवी");
    let made = status_number(laptop, "waiting to send");
    assert!(made >= 3, "the household, its member and the referral");

    // The first round: the block's answer is written before it forwards anything.
    let file = |name: &str| stick.join(name).to_str().unwrap().to_owned();
    ok(run("samanvaya", &["export-sync", &file("up-1")], Some(laptop)));
    server_cmd("block", block_dir.path(), &["import", &file("up-1"), "--answer", &file("down-1")]);
    ok(run("samanvaya", &["import-feed", &file("down-1")], Some(laptop)));
    assert_eq!(status_number(laptop, "waiting to send"), 0);
    assert_eq!(status_number(laptop, "reached the district"), 0);
    let again = ok(run("samanvaya", &["export-sync", &file("up-2")], Some(laptop)));
    assert!(again.contains("wrote 0 change(s)"), "{again}");
    assert!(
        again.contains(&format!("with {made} change(s) made here that the block holds and has not said")),
        "{again}"
    );
    let taken = server_cmd("block", block_dir.path(), &["import", &file("up-2")]);
    assert!(taken.contains(&format!("0 new change(s), {made} already here")), "{taken}");

    // The block forwards; its next answer says the district holds them, and the file after it
    // carries nothing again.
    eventually("the laptop's changes at the district", || {
        dist.count(&format!("SELECT count(*) FROM change WHERE origin_device = '{device}'")) == made
    });
    server_cmd("block", block_dir.path(), &["export-feed", "--device", &device, &file("down-2")]);
    ok(run("samanvaya", &["import-feed", &file("down-2")], Some(laptop)));
    assert_eq!(status_number(laptop, "reached the district"), made);
    // The first answer, applied again late, says an older word: it is not taken.
    ok(run("samanvaya", &["import-feed", &file("down-1")], Some(laptop)));
    assert_eq!(status_number(laptop, "reached the district"), made);
    let after = ok(run("samanvaya", &["export-sync", &file("up-3")], Some(laptop)));
    assert!(after.contains("wrote 0 change(s)") && !after.contains("carried again"), "{after}");

    // The block's folder is lost and restored from the backup; it reads back what it forwarded.
    drop(block);
    std::fs::remove_dir_all(block_dir.path()).unwrap();
    copy_folder(backup.path(), block_dir.path());
    let block = start_again();
    let at_block = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row(sql, [&device], |r| r.get(0)).unwrap()
    };
    eventually("the laptop's work read back from the district", || {
        at_block("SELECT count(*) FROM change WHERE origin_device = ?1") == made
    });
    household_with_a_referral(laptop, "विमला देवी");
    let more = status_number(laptop, "waiting to send");
    let wrote = ok(run("samanvaya", &["export-sync", &file("up-4")], Some(laptop)));
    assert!(
        wrote.contains(&format!("wrote {more} change(s)")) && !wrote.contains("carried again"),
        "{wrote}"
    );
    let taken = server_cmd("block", block_dir.path(), &["import", &file("up-4")]);
    assert!(taken.contains(&format!("{more} new change(s)")) && !taken.contains("not kept"), "{taken}");
    assert_eq!(at_block("SELECT count(*) FROM change WHERE origin_device = ?1"), made + more);
    assert_eq!(at_block("SELECT acked_through FROM device WHERE id = ?1"), made + more);
    eventually("the new work at the district", || {
        dist.count(&format!("SELECT count(*) FROM change WHERE origin_device = '{device}'")) == made + more
    });
    drop((block, district));
}

/// The two stories above: a writer's household read by the reader; the block restored from a
/// backup that holds not that household, and a newcomer's three households (more changes than
/// the reader read) numbered there before the reader comes back. `read` brings the reader the
/// block's feed (the reader's folder, the block's, the round), and the reader must then hold
/// each of the newcomer's households.
fn reader_past_whose_place_a_restored_block_numbered(read: impl Fn(&Path, &Path, usize)) {
    let (block_dir, backup) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let laptops = [(); 3].map(|()| tempfile::tempdir().unwrap());
    let [writer, reader, newcomer] = [0, 1, 2].map(|i| laptops[i].path());
    let (restorable, block) = RestorableBlock::start(block_dir.path());
    let households = |laptop: &Path| samanvaya_tests::household_ids(&samanvaya_tests::open(laptop).unwrap());
    restorable.enroll(writer);
    restorable.enroll(reader);
    let block = restorable.back_up(block, backup.path());
    household_with_a_referral(writer, "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(writer)));
    read(reader, block_dir.path(), 1);
    assert_eq!(households(reader).len(), 1);

    let block = restorable.restore(block, backup.path());
    restorable.enroll(newcomer);
    for name in ["सुनीता देवी", "गीता देवी", "रीता देवी"]
    {
        household_with_a_referral(newcomer, name);
    }
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(newcomer)));
    read(reader, block_dir.path(), 2);
    let held = households(reader);
    for theirs in households(newcomer) {
        assert!(held.contains(&theirs), "the reader holds each of the newcomer's households");
    }
    drop(block);
}

/// Syncs `laptop` with a server whose disk is full: the sync stops, says the server's sentence,
/// and the laptop keeps the error in its panel's words (the app translates the code, in Hindi
/// or English).
fn a_sync_stopped_by_a_full_disk(laptop: &Path) {
    let out = run("samanvaya", &["sync", "--timeout", "10"], Some(laptop));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "the sync cannot finish on a full disk: {said}");
    assert!(
        said.contains("the server's disk is full") && said.contains("nothing of this request was kept"),
        "{said}"
    );
    let status = ok(run("samanvaya", &["sync", "--status"], Some(laptop)));
    assert!(status.contains("last error: server_disk_full: "), "{status}");
}

#[test]
fn a_full_disk_at_the_block_keeps_the_work_on_the_laptop_until_space_is_freed_then_sends_it_once() {
    use samanvaya_tests::small_disk::{self, SmallDisk};
    assert!(
        small_disk::available(),
        "this story runs the block on a small disk of its own, in a user and mount namespace \
         (`unshare --user --map-root-user --mount`); this machine does not allow one"
    );
    let laptop_dir = tempfile::tempdir().unwrap();
    // The block's data folder is a disk of 16 MB of its own.
    let disk = SmallDisk::start(16 << 20, &["--role", "block", "--plain-http"]);
    let code = ok(disk.operator("block", &["enroll-code", "--village", "Bakraur"]));
    let waiting = a_laptop_enrolled_with_households(laptop_dir.path(), &code, &disk.server.url, 400);
    // Old files take the disk up to 2 MB: room for the first push of the three (of 384 KB of
    // JSON each), not for all of them (1.5 MB to 3 MB all leave the disk full in the middle of
    // the sync; 4 MB holds everything).
    disk.fill(2 << 20);

    a_sync_stopped_by_a_full_disk(laptop_dir.path());
    // Nothing half-written: the block's store is whole, it holds an unbroken run of the laptop's
    // changes from the first, and exactly what it acknowledged; the rest waits on the laptop.
    let copy = disk.snapshot();
    let stored = stored_at(copy.path());
    assert!(stored > 0 && stored < waiting, "the disk filled in the middle: {stored} of {waiting} stored");
    assert!(stored_whole(copy.path(), stored), "one unbroken run, nothing half-written");
    let conn = rusqlite::Connection::open(copy.path().join(small_disk::SQLITE_FILE)).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    assert_eq!(status_number(laptop_dir.path(), "reached the block"), stored, "acknowledged = stored");
    assert_eq!(status_number(laptop_dir.path(), "waiting to send"), waiting - stored);
    // The operator reads what to do in the block's log, once for each refused push: the laptop
    // took the full disk for a passing failure and tried again twice (as `--timeout` allows).
    let log = std::fs::read_to_string(&disk.server.log).unwrap();
    assert_eq!(log.matches("Free space on that disk").count(), 3, "{log}");

    // The block office deletes the old files; the same server, not restarted, takes the rest.
    disk.free();
    let out = ok(run("samanvaya", &["sync", "--timeout", "10"], Some(laptop_dir.path())));
    let copy = disk.snapshot();
    all_sent(&out, copy.path(), waiting);
    assert!(out.contains(&format!("sent {} change(s)", waiting - stored)), "each change sent once: {out}");
}

/// A block on a PostgreSQL of small disks, and a laptop enrolled with it holding 400 households
/// not yet sent (`waiting` changes).
struct OnPostgres {
    block_dir: tempfile::TempDir,
    laptop_dir: tempfile::TempDir,
    block: samanvaya_tests::Running,
    waiting: i64,
}

fn a_block_on(pg: &samanvaya_tests::small_disk::SmallPostgres) -> OnPostgres {
    let (block_dir, laptop_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = block_dir.path().to_str().unwrap();
    let block = start_server(&["--role", "block", "--data-dir", dir, "--plain-http", "--database", &pg.url]);
    let code = server_cmd(
        "block",
        block_dir.path(),
        &["--database", &pg.url, "enroll-code", "--village", "Bakraur"],
    );
    let waiting = a_laptop_enrolled_with_households(laptop_dir.path(), &code, &block.url, 400);
    OnPostgres { block_dir, laptop_dir, block, waiting }
}

/// How many of the laptops' changes the block on `pg` holds, how many distinct numbers, and the
/// highest: an unbroken run from the first holds the same three.
fn laptops_changes_held(pg: &samanvaya_tests::small_disk::SmallPostgres) -> (i64, i64, i64) {
    let mut db = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let row = db
        .query_one(
            "SELECT count(*), count(DISTINCT origin_seq), coalesce(max(origin_seq), 0) FROM change
             WHERE origin_device <> (SELECT device_id FROM identity WHERE id = 1)",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1), row.get(2))
}

/// The same on PostgreSQL, as a district or a state keeps its store: the server's database on a
/// disk of its own that really fills (`small_disk::SmallPostgres`, a tmpfs in a user and mount
/// namespace). PostgreSQL refuses a table that cannot grow with "could not extend file" (its
/// `disk_full`), and the server answers it as SQLite's full disk: 507, nothing of the push
/// kept, the laptop keeps the rest; once room is made, the same server takes it, each change
/// once.
#[test]
fn a_full_disk_under_postgresql_keeps_the_work_on_the_laptop_until_space_is_freed_then_sends_it_once() {
    use samanvaya_tests::small_disk::{self, SmallPostgres};
    assert!(
        small_disk::available(),
        "this story runs PostgreSQL on a small disk of its own, in a user and mount namespace"
    );
    let Some(pg) = SmallPostgres::start(160 << 20) else { return };
    let OnPostgres { block_dir: _block_dir, laptop_dir, block, waiting } = a_block_on(&pg);
    let stored = || laptops_changes_held(&pg);
    // Room for the first push of the three, not for all of them (1.5 to 3 MB left did the
    // same here; 1 MB stored nothing, 3.5 MB everything).
    pg.fill(1 << 21);

    a_sync_stopped_by_a_full_disk(laptop_dir.path());
    // Nothing half-written: an unbroken run of the laptop's changes from the first, exactly what
    // the block acknowledged; the rest waits on the laptop.
    let (count, distinct, last) = stored();
    assert!(
        count > 0 && count < waiting,
        "the disk filled in the middle: {count} of {waiting} stored: {}",
        pg.log()
    );
    assert_eq!((distinct, last), (count, count), "one unbroken run, nothing half-written");
    assert_eq!(status_number(laptop_dir.path(), "reached the block"), count, "acknowledged = stored");
    assert_eq!(status_number(laptop_dir.path(), "waiting to send"), waiting - count);
    let log = std::fs::read_to_string(&block.log).unwrap();
    assert!(log.contains("Free space on that disk"), "the operator is told what to do: {log}");
    assert!(log.contains("could not extend file"), "in PostgreSQL's own words: {log}");

    pg.free();
    let out = ok(run("samanvaya", &["sync", "--timeout", "10"], Some(laptop_dir.path())));
    assert!(out.contains("waiting to send: 0"), "{out}");
    assert_eq!(stored(), (waiting, waiting, waiting), "every change stored, each once: {out}");
    assert!(out.contains(&format!("sent {} change(s)", waiting - count)), "each change sent once: {out}");
}

/// PostgreSQL's own write-ahead log on a disk that fills (`SmallPostgres::with_small_log`): a
/// push that needs a new segment of the log makes PostgreSQL stop (a PANIC: it cannot go on
/// without its log), and it cannot start again by itself, since its recovery writes to the log
/// too. The server answers the push that met it as a full disk, nothing of it kept, and says in
/// its log that PostgreSQL stopped and must be started once space is freed; while PostgreSQL is
/// down the laptop is told to try later, and keeps its work. Once the administrator has freed
/// space and started PostgreSQL, the same server, not restarted, takes the rest, each change
/// once, what was committed before the stop kept.
#[test]
fn a_disk_too_full_for_postgresqls_log_stops_it_and_the_work_waits_on_the_laptop_until_it_runs_again() {
    use samanvaya_tests::small_disk::{self, SmallPostgres};
    assert!(
        small_disk::available(),
        "this story runs PostgreSQL on small disks of its own, in a user and mount namespace"
    );
    let Some(mut pg) = SmallPostgres::with_small_log(160 << 20, 32 << 20) else { return };
    let OnPostgres { block_dir: _block_dir, laptop_dir, block, waiting } = a_block_on(&pg);
    // Room for a megabyte of log: the first pushes of the sync, not all of them.
    pg.fill_log(1 << 20);
    // The push that needed a new segment of the log was answered as a full disk; PostgreSQL
    // stopped under it, and the laptop's tries after it were told the database is not running.
    let out = run("samanvaya", &["sync", "--timeout", "10"], Some(laptop_dir.path()));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "the sync cannot finish: {said}");
    assert!(said.contains("the server's database is not running just now"), "{said}");
    assert!(!pg.running(), "PostgreSQL stopped, its log full: {}", pg.log());
    assert!(pg.log().contains("PANIC:  could not write to file \"pg_wal/"), "{}", pg.log());
    // The server's log says to start PostgreSQL again; why it stopped, in PostgreSQL's words,
    // when the push's own process of PostgreSQL met the full disk (its log writer, working
    // beside it, sometimes meets it first, and then PostgreSQL's log alone says why).
    let log = std::fs::read_to_string(&block.log).unwrap();
    assert!(log.contains("PostgreSQL does not answer") && log.contains("start PostgreSQL"), "{log}");
    if log.contains("PANIC 53100") {
        assert!(
            log.contains("PostgreSQL stopped: the disk holding its write-ahead log")
                && log.contains("PANIC 53100: could not write to file \"pg_wal/"),
            "the operator is told what happened, in PostgreSQL's words too: {log}"
        );
    }

    // While PostgreSQL is down the laptop is told to try later; nothing of its work goes.
    let acked = status_number(laptop_dir.path(), "reached the block");
    let out = run("samanvaya", &["sync", "--timeout", "10"], Some(laptop_dir.path()));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "no sync without PostgreSQL: {said}");
    assert_eq!(status_number(laptop_dir.path(), "reached the block"), acked, "{said}");
    assert_eq!(status_number(laptop_dir.path(), "waiting to send"), waiting - acked);

    // The administrator frees space and starts PostgreSQL: it recovers what was committed.
    pg.free_log();
    pg.start_again();
    let (count, distinct, last) = laptops_changes_held(&pg);
    assert!(count >= acked && count < waiting, "{count} stored, {acked} acknowledged of {waiting}");
    assert_eq!((distinct, last), (count, count), "one unbroken run, nothing half-written");

    let out = ok(run("samanvaya", &["sync", "--timeout", "10"], Some(laptop_dir.path())));
    assert!(out.contains("waiting to send: 0"), "{out}");
    assert_eq!(
        laptops_changes_held(&pg),
        (waiting, waiting, waiting),
        "every change stored, each once: {out}"
    );
}

/// A block office takes a case up after the block's last backup; a laptop reads the step; the
/// block's folder is lost before it forwarded anything, and restored from the backup. The
/// laptop holds the step alone. At its next sync it says so, the block asks the step back,
/// the laptop gives it back with the seal the block's feed gave it, and the block's office
/// sees the case taken up again. Before, the step was lost to the block and the district for
/// good. The laptop's household and referral, which the backup lacked too, reach the block in
/// the same sync, after the step it gave back, which waits for them.
#[test]
fn a_step_the_restored_block_lost_is_given_back_by_the_laptop_that_read_it() {
    let (dir, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (block, running) = RestorableBlock::start(dir.path());
    block.enroll(laptop.path());
    let backup = tempfile::tempdir().unwrap();
    let running = block.back_up(running, backup.path());
    let number = household_with_a_referral(laptop.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    server_cmd("block", dir.path(), &["step", &number, "submit", "--by", "BDO Bodh Gaya"]);
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    let submitted_at_block = || {
        let listed = server_cmd("block", dir.path(), &["referrals"]);
        listed.lines().any(|l| l.starts_with(&format!("{number}\t")) && l.contains("submitted"))
    };
    assert!(submitted_at_block());

    let running = block.restore(running, backup.path());
    assert!(!submitted_at_block(), "the restored block lost the step");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    assert!(submitted_at_block(), "the step given back, after the case it is about");
    // Given back once: the next sync asks nothing.
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    let conn = rusqlite::Connection::open(dir.path().join("server.sqlite3")).unwrap();
    let steps: i64 = conn
        .query_row("SELECT count(*) FROM change WHERE kind = 'referral_event'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(steps, 1);
    drop(running);
}

/// A block's key is stolen (a copy of its `tls` folder taken): its operator makes its certificate
/// anew and reads the new fingerprint to the district's operator, who vouches for it
/// (`vouch-certificate`). The laptop, which trusts the district's key from the scheme rules it
/// installed, meets the new certificate at its next sync, reads the district's statement from
/// the block, pins the new certificate and syncs on, with no code typed; the work it made
/// meanwhile reaches the block. A server presenting the stolen key is refused by it from then on.
/// Before, every laptop of the block had to enroll again with a code read out over the phone.
#[test]
fn a_laptop_follows_its_blocks_new_certificate_the_district_vouched_for_without_a_code() {
    let Some(dist) = District::new(false) else { return };
    let (block_dir, laptop, lost, rules_dir, stolen, thief) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (district, _, block) = district_block_and_laptop(&dist, block_dir.path(), laptop.path());
    let rules = rules_dir.path().join("rules");
    district_rules(&rules, str::to_owned);
    ok(dist.cmd(&["publish-catalogue", rules.to_str().unwrap(), "--label", "Gaya rules, December 2026"]));
    let at_block = |sql: &str| -> i64 {
        let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
        conn.query_row(sql, [], |r| r.get(0)).unwrap()
    };
    eventually("the district's rules at the block", || {
        at_block("SELECT count(*) FROM catalogue_bundle") == 1
    });
    let synced = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    assert!(synced.contains("installed the district's scheme rules"), "{synced}");
    // A second laptop of the village, which installs the rules too and is lost later.
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(lost.path())));
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(lost.path())));
    let lost_id = samanvaya_tests::open(lost.path()).unwrap().device_id().unwrap().to_string();
    let block_id: String = dist.one("SELECT id FROM device WHERE kind = 'block'");
    let old = block.certificate.clone().unwrap();
    let vouch = |fingerprint: &str| {
        dist.cmd(&["vouch-certificate", "--block", &block_id, "--certificate", fingerprint])
    };
    let refused = vouch(&old);
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && said.contains("no other certificate"), "{said}");

    // The key is stolen; the block's operator makes the certificate anew.
    copy_folder(&block_dir.path().join("tls"), stolen.path());
    let listen = block.url.trim_start_matches("https://").to_owned();
    drop(block);
    std::fs::remove_dir_all(block_dir.path().join("tls")).unwrap();
    let block_again = || {
        start_server(&[
            "--role",
            "block",
            "--data-dir",
            block_dir.path().to_str().unwrap(),
            "--listen",
            &listen,
            "--upstream",
            &district.url,
            "--sync-every",
            "1",
        ])
    };
    let block = block_again();
    let new = block.certificate.clone().unwrap();
    assert_ne!(new, old);
    // Its operator is told, at the start and in `status`, the district's command word for word.
    let command = format!("vouch-certificate --block {block_id} --certificate {new}");
    let said = std::fs::read_to_string(&block.log).unwrap();
    assert!(said.contains(&command), "{said}");
    let status = || server_cmd("block", block_dir.path(), &["status"]);
    assert!(status().contains(&command), "{}", status());
    let refused = run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path()));
    assert!(!refused.status.success(), "the district has not vouched yet");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another certificate"), "{refused:?}");
    let number = household_with_a_referral(laptop.path(), "कमला देवी");

    // The block said its new certificate at its session with the district; the district's
    // operator vouches for the one read from the block's start line, and no other.
    eventually("the block's new certificate said at the district", || {
        dist.one::<Option<String>>(&format!("SELECT certificates FROM device WHERE id = '{block_id}'"))
            .is_some_and(|c| c.ends_with(&new))
    });
    let mistyped = vouch(&"0".repeat(64));
    let said = String::from_utf8_lossy(&mistyped.stderr);
    assert!(!mistyped.status.success() && said.contains("read the fingerprint again"), "{said}");
    let vouched = ok(vouch(&format!("certificate sha256 {new}")));
    assert!(vouched.contains(&format!("in place of {old}")), "{vouched}");
    eventually("the district's statement at the block", || {
        at_block("SELECT count(*) FROM certificate_vouch") == 1
    });
    assert!(!status().contains("vouch-certificate"), "the district vouched: {}", status());

    let synced = ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    assert!(!synced.contains("sent 0 change(s)"), "the work made meanwhile goes: {synced}");
    assert!(
        synced.contains(&format!("a new certificate ({new}), which the district vouched for")),
        "{synced}"
    );
    {
        let store = samanvaya_tests::open(laptop.path()).unwrap();
        assert_eq!(store.enrollment().unwrap().unwrap().certificate.as_deref(), Some(new.as_str()));
        let log = store.audit_after(0, 100_000).unwrap();
        let followed: Vec<_> = log.iter().filter(|e| e.action == "certificate:vouched").collect();
        assert_eq!(followed.len(), 1, "following the new certificate is in the laptop's audit log");
        assert_eq!(followed[0].detail, new);
    }
    assert_eq!(at_block(&format!("SELECT count(*) FROM referral WHERE number = '{number}'")), 1);

    // The lost laptop, revoked meanwhile, follows the new certificate too (the statement is
    // open to anyone), and is then refused: the command says both.
    server_cmd("block", block_dir.path(), &["revoke", &lost_id]);
    let refused = run("samanvaya", &["sync", "--timeout", "20"], Some(lost.path()));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains(&format!("a new certificate ({new}), which the district vouched for")), "{said}");
    assert!(said.contains("revoked"), "{said}");

    // The thief's server, with the old key and a copy of the block's folder as it is now (the
    // district's statement in it, served as the block serves it), on the block's address: the
    // laptop sends it nothing, the statement moving no laptop back to the key it replaced.
    drop(block);
    copy_folder(block_dir.path(), thief.path());
    let copied = at_block("SELECT count(*) FROM change");
    std::fs::remove_dir_all(thief.path().join("tls")).unwrap();
    copy_folder(stolen.path(), &thief.path().join("tls"));
    let impostor =
        start_server(&["--role", "block", "--data-dir", thief.path().to_str().unwrap(), "--listen", &listen]);
    assert_eq!(impostor.certificate.as_deref(), Some(old.as_str()));
    household_with_a_referral(laptop.path(), "सीता देवी");
    let refused = run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path()));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another certificate"), "{refused:?}");
    let conn = rusqlite::Connection::open(thief.path().join("server.sqlite3")).unwrap();
    let held = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(held("SELECT count(*) FROM certificate_vouch"), 1, "the thief serves the statement");
    assert_eq!(
        held("SELECT count(*) FROM change"),
        copied,
        "nothing more was sent to the server with the stolen key"
    );
}

/// A block whose store was copied to a new computer without its `tls` folder presents a new
/// certificate, which its laptop refuses at every sync, sending nothing. A plain new code is
/// refused to the laptop, with the remedy named; the block's operator makes a code for that
/// laptop (`enroll-code --village VILLAGE --again LAPTOP-ID`, refused under a village the laptop
/// does not serve), and the laptop enrolls again with it (`samanvaya enroll-again CODE`): it
/// keeps everything it holds, pins the new certificate, and the case it made meanwhile reaches
/// the block. Before, the laptop had to be set up anew.
#[test]
fn a_laptop_enrolls_again_with_a_code_made_for_it_after_its_block_lost_its_certificate() {
    let (dir, laptop) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (block, running) = RestorableBlock::start(dir.path());
    block.enroll(laptop.path());
    household_with_a_referral(laptop.path(), "कमला देवी");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));

    drop(running);
    std::fs::remove_dir_all(dir.path().join("tls")).unwrap();
    let _running = block.again();
    let number = household_with_a_referral(laptop.path(), "सीता देवी");
    let refused = run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path()));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("certificate"), "{refused:?}");
    let device = samanvaya_tests::open(laptop.path()).unwrap().device_id().unwrap().to_string();

    let plain = server_cmd("block", dir.path(), &["enroll-code", "--village", "Bakraur"]);
    let said = run("samanvaya", &["enroll-again", plain.trim()], Some(laptop.path()));
    assert!(!said.status.success());
    let said = String::from_utf8_lossy(&said.stderr).into_owned();
    assert!(said.contains(&format!("--again {device}")), "the remedy named: {said}");
    let wrong = server_cmd_refused(
        "block",
        dir.path(),
        &["enroll-code", "--village", "Sherghati", "--again", &device],
    );
    assert!(wrong.contains("serves \"Bakraur\""), "{wrong}");

    let code = server_cmd("block", dir.path(), &["enroll-code", "--village", "bakraur", "--again", &device]);
    let again = ok(run("samanvaya", &["enroll-again", code.trim()], Some(laptop.path())));
    assert!(again.contains("keeping everything this laptop holds"), "{again}");
    // Run a second time before any sync (its first answer was lost, or she typed it twice):
    // answered again with the same leases, which the laptop keeps once.
    let left = || samanvaya_tests::open(laptop.path()).unwrap().numbers_left().unwrap();
    let before = left();
    ok(run("samanvaya", &["enroll-again", code.trim()], Some(laptop.path())));
    assert_eq!(left(), before, "the same ranges, not twice");
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    let said = run("samanvaya", &["enroll-again", code.trim()], Some(laptop.path()));
    assert!(String::from_utf8_lossy(&said.stderr).contains("used already"), "once it has synced: {said:?}");
    // The sheet for every laptop of the village (the block's key stolen and replaced): a line
    // for this laptop, whose code enrolls it again.
    let sheet = server_cmd("block", dir.path(), &["enroll-code", "--village", "बकरौर", "--again-every"]);
    let line: Vec<&str> = sheet.trim().split('\t').collect();
    assert_eq!((line.len(), line[0]), (3, device.as_str()), "{sheet}");
    ok(run("samanvaya", &["enroll-again", line[2]], Some(laptop.path())));
    ok(run("samanvaya", &["sync", "--timeout", "20"], Some(laptop.path())));
    let listed = server_cmd("block", dir.path(), &["referrals"]);
    assert!(
        listed.lines().any(|l| l.starts_with(&format!("{number}\t"))),
        "the case made meanwhile: {listed}"
    );
    let status = ok(run("samanvaya", &["sync", "--status"], Some(laptop.path())));
    assert!(status.contains("waiting to send: 0"), "{status}");
}

/// The same by USB stick: a laptop that never meets the network read a step the block took
/// after its backup. Its next file says the newest of the block's own changes it holds; the
/// restored block, lacking it, asks back in its answer everything after what its backup held,
/// and the laptop's file after that gives the step back with the block's seal. Before, a
/// laptop syncing by stick alone kept such a step for good.
#[test]
fn a_step_the_restored_block_lost_is_given_back_on_the_stick_by_the_laptop_that_read_it() {
    a_stick_laptop_and_a_backup_of_its_block(|restorable, block, backup, laptop, round| {
        let number = household_with_a_referral(laptop, "कमला देवी");
        round(1);
        server_cmd("block", restorable.dir, &["step", &number, "submit", "--by", "BDO Bodh Gaya"]);
        round(2);
        let submitted_at_block = || {
            let listed = server_cmd("block", restorable.dir, &["referrals"]);
            listed.lines().any(|l| l.starts_with(&format!("{number}\t")) && l.contains("submitted"))
        };
        assert!(submitted_at_block());

        let _block = restorable.restore(block, backup);
        assert!(!submitted_at_block(), "the restored block lost the step");
        // The first file finds the restore: its answer asks the laptop's work again and the step.
        let said = round(3);
        assert!(!said.contains("taken back"), "nothing given back before it is asked: {said}");
        let said = round(4);
        assert!(said.contains("1 change(s) this server made and lost"), "{said}");
        assert!(submitted_at_block(), "the step given back, with the case it is about");
        // Given back once: the answer asks nothing more, and the next file carries nothing back.
        let asked = samanvaya_tests::open(laptop).unwrap().stick_wanted_back().unwrap();
        assert_eq!(asked, None, "the answer to the file that gave the step back asks nothing more");
        let said = round(5);
        assert!(!said.contains("taken back"), "{said}");
        let conn = rusqlite::Connection::open(restorable.dir.join("server.sqlite3")).unwrap();
        let steps: i64 = conn
            .query_row("SELECT count(*) FROM change WHERE kind = 'referral_event'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(steps, 1);
    });
}

/// A step the restored block cannot take back is refused once and not asked for again: here its
/// seal was changed on the laptop, as a block restored from a backup older than its seal key
/// would find every seal made before. The laptop's file gives it back once; the answers after
/// ask nothing, and the files after carry nothing back. Before, every answer asked it again and
/// every file carried it, for good.
#[test]
fn a_step_the_restored_block_refuses_is_not_asked_back_again_on_the_stick() {
    a_stick_laptop_and_a_backup_of_its_block(|restorable, block, backup, laptop, round| {
        let number = household_with_a_referral(laptop, "कमला देवी");
        round(1);
        server_cmd("block", restorable.dir, &["step", &number, "submit", "--by", "BDO Bodh Gaya"]);
        round(2);
        let _block = restorable.restore(block, backup);
        let store = samanvaya_tests::open(laptop).unwrap();
        let changed = store
            .connection()
            .execute(
                "UPDATE change_log SET seal = CASE WHEN substr(seal, 1, 2) = '00' THEN 'ff' ELSE '00' END || substr(seal, 3)
                 WHERE seal IS NOT NULL",
                [],
            )
            .unwrap();
        assert_eq!(changed, 1, "the block's one step read by the laptop, with its seal");
        drop(store);
        round(3);
        let said = round(4);
        assert!(
            said.contains(
                "0 change(s) this server made and lost to a restore from a backup taken back, 1 refused"
            ),
            "{said}"
        );
        for n in 5..=6 {
            let said = round(n);
            assert!(!said.contains("made and lost"), "asked back once, given back once: {said}");
        }
    });
}

/// A block and a laptop both restored from backups, with the real binaries (seed 43 of the
/// simulation): after both backups the old laptop surveyed a household, sent it, and another
/// laptop of the village read it; then the block's folder was lost and put back from its backup,
/// and the old laptop broke and its backup was restored on a new one. The restored laptop
/// numbers its new work past the old laptop's run, so the other laptop, which holds the old
/// household under the old laptop's numbers, takes the new household too; and the block asks
/// that other laptop back the old household it lost, which then reaches the restored laptop.
/// Before, the new household took the old one's numbers: the other laptop took it for the one it
/// held and dropped it, and the old household was at the other laptop alone.
#[test]
fn a_block_and_a_laptop_both_restored_lose_neither_the_old_laptops_work_nor_the_new() {
    let (block_dir, block, old_dir) = block_and_laptop();
    let (peer_dir, block_backup, stick) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    samanvaya_tests::serve_a_village(&mut samanvaya_tests::open(peer_dir.path()).unwrap()).unwrap();
    let code = server_cmd("block", block_dir.path(), &["enroll-code", "--village", "Bakraur"]);
    ok(run("samanvaya", &["enroll", &block.url, code.trim()], Some(peer_dir.path())));
    let sync = |dir: &Path| ok(run("samanvaya", &["sync", "--timeout", "20"], Some(dir)));
    let households = |dir: &Path| samanvaya_tests::household_ids(&samanvaya_tests::open(dir).unwrap());
    add_household(old_dir.path(), "कमला देवी");
    sync(old_dir.path());
    // Both backups: the laptop's on a stick, the block's folder copied while it is stopped.
    let laptop_backup = stick.path().join("laptop.backup");
    samanvaya_tests::open(old_dir.path()).unwrap().backup(&laptop_backup).unwrap();
    let listen = block.url.trim_start_matches("https://").to_owned();
    let dir = block_dir.path().to_str().unwrap().to_owned();
    let again = || start_server(&["--role", "block", "--data-dir", &dir, "--listen", &listen]);
    drop(block);
    copy_folder(block_dir.path(), block_backup.path());
    let block = again();
    // The old laptop's household after both backups, sent, and read by the other laptop.
    add_household(old_dir.path(), "सुनीता कुमारी");
    sync(old_dir.path());
    sync(peer_dir.path());
    let old_work = households(old_dir.path());
    assert_eq!(households(peer_dir.path()), old_work);
    // The block's folder is lost and put back from its backup; the old laptop breaks, and its
    // backup is restored on a new one, where work goes on.
    drop(block);
    std::fs::remove_dir_all(block_dir.path()).unwrap();
    copy_folder(block_backup.path(), block_dir.path());
    let block = again();
    let restored_dir = tempfile::tempdir().unwrap();
    drop(
        samanvaya_core::Store::restore(
            &laptop_backup,
            restored_dir.path(),
            None,
            &samanvaya_core::Secret::new(PIN),
        )
        .unwrap(),
    );
    sync(restored_dir.path());
    add_household(restored_dir.path(), "रीना देवी");
    sync(restored_dir.path());
    // The other laptop gives back what the block lost, and takes the new household.
    sync(peer_dir.path());
    sync(restored_dir.path());
    sync(peer_dir.path());
    let all = households(restored_dir.path());
    assert_eq!(all.len(), 3, "the restored laptop holds the old laptop's two households and its new one");
    assert!(old_work.iter().all(|h| all.contains(h)), "the old laptop's work came back to it");
    assert_eq!(households(peer_dir.path()), all, "the other laptop holds the new household too");
    let conn = rusqlite::Connection::open(block_dir.path().join("server.sqlite3")).unwrap();
    let at_block: i64 = conn.query_row("SELECT count(*) FROM household", [], |r| r.get(0)).unwrap();
    assert_eq!(at_block, 3, "the block holds every household once");
    drop(block);
}
