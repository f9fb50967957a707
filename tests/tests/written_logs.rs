//! No log names anyone (issue 20): the binaries log to their standard error only (the server, the
//! CLI; the app's few lines too), and the stories keep what each run of a real binary wrote there
//! in `target/<profile>/test-logs/` (`samanvaya_tests::log_dir`). This test runs its own story
//! with the demo village's people (the CLI on the demo store; a real laptop holding some of its
//! households, enrolled with a real block server, syncing, a withdrawal of consent), then scans
//! every log file in that folder, those of the other stories included (cargo runs a package's
//! test binaries in the order of their names, so `consent` and `sync` ran before this one), for
//! the demo village's names, and finds none. `the_scan_finds_a_name_written_to_a_log` shows that
//! the scan fails when a name is there.

use std::path::Path;
use std::process::Command;

use samanvaya_core::HouseholdQuery;
use samanvaya_domain::{Birth, HouseholdInput, PersonInput};
use samanvaya_tests::{binary, log_dir, run_logged, start_server};

const PIN: &str = "482916";

/// Each `(file, name)` where a log file in `dir` contains one of `names`.
fn names_in_logs(dir: &Path, names: &[String]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for n in names.iter().filter(|n| text.contains(n.as_str())) {
            found.push((path.display().to_string(), n.clone()));
        }
    }
    found
}

/// The demo village's names: every member's full name and the village's, in both scripts.
fn demo_names(dir: &Path) -> Vec<String> {
    let store = samanvaya_tests::open(dir).unwrap();
    let page = samanvaya_tests::register(&store);
    let mut names: Vec<String> = page.items.iter().flat_map(|h| h.member_names.clone()).collect();
    for v in store.villages().unwrap() {
        names.extend([v.name_en, v.name_hi]);
    }
    names.sort();
    names.dedup();
    names
}

fn run(args: &[&str], data_dir: &Path) -> std::process::Output {
    let mut cmd = Command::new(binary("samanvaya"));
    cmd.args(args).env("SAMANVAYA_PIN", PIN).env("SAMANVAYA_DATA_DIR", data_dir);
    run_logged("samanvaya", &mut cmd)
}

fn ok(out: std::process::Output) -> String {
    assert!(out.status.success(), "failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_scan_finds_a_name_written_to_a_log() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.log"), "listening\n").unwrap();
    std::fs::write(dir.path().join("b.log"), "applied change of सुनीता देवी (household 4)\n").unwrap();
    let names = vec!["सुनीता देवी".to_owned(), "रीना कुमारी".to_owned()];
    let found = names_in_logs(dir.path(), &names);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].0.ends_with("b.log") && found[0].1 == "सुनीता देवी");
}

#[test]
fn no_log_written_during_the_suite_names_anyone_of_the_demo_village() {
    // The CLI over the demo store.
    let demo = tempfile::tempdir().unwrap();
    ok(run(&["demo"], demo.path()));
    ok(run(&["households", "list"], demo.path()));
    ok(run(&["eligibility", "--all"], demo.path()));
    ok(run(&["audit", "verify"], demo.path()));
    let names = demo_names(demo.path());
    assert!(names.len() > 300, "the demo village's people: {}", names.len());
    // A demo store refuses to enroll or sync: its refusals are logged too.
    assert!(!run(&["sync", "--timeout", "5"], demo.path()).status.success());

    // A real laptop holding twenty of the demo village's households, with a real block.
    let block_dir = tempfile::tempdir().unwrap();
    let laptop = tempfile::tempdir().unwrap();
    let b = block_dir.path().to_str().unwrap();
    let block = start_server(&["--role", "block", "--data-dir", b]);
    let mut cmd = Command::new(binary("samanvaya-server"));
    cmd.args(["--role", "block", "--data-dir", b, "enroll-code", "--village", "Bakraur"]);
    let code = String::from_utf8(run_logged("samanvaya-server", &mut cmd).stdout).unwrap();
    samanvaya_tests::serve_a_village(&mut samanvaya_tests::open(laptop.path()).unwrap()).unwrap();
    // A wrong code first (refused, with a sentence on stderr), then the real one.
    assert!(!run(&["enroll", &block.url, "AAAA-BBBB-CCCC"], laptop.path()).status.success());
    ok(run(&["enroll", &block.url, code.trim()], laptop.path()));
    // Numbered from the block's lease, since the laptop is enrolled.
    {
        let demo_store = samanvaya_tests::open(demo.path()).unwrap();
        let mut store = samanvaya_tests::open(laptop.path()).unwrap();
        let village = store.villages().unwrap()[0].id;
        let page = demo_store
            .households(&HouseholdQuery {
                village_id: None,
                search: String::new(),
                limit: 20,
                offset: 0,
                hamlet_id: None,
                filter: None,
            })
            .unwrap();
        for summary in page.items {
            let h = demo_store.household(summary.id).unwrap();
            let members = h
                .members
                .iter()
                .map(|p| PersonInput {
                    id: None,
                    name: p.name.clone(),
                    relation: p.relation,
                    sex: p.sex,
                    birth: p.birth_date.map_or(Birth::Unknown, |date| Birth::Date { date }),
                    left: p.left,
                })
                .collect();
            let input = HouseholdInput {
                id: None,
                village_id: village,
                hamlet_id: None,
                consent: Some(samanvaya_domain::ConsentInput { respondent: 0 }),
                address: h.address.clone(),
                phone: String::new(),
                members,
            };
            store.save_household(input, store.now().unwrap()).unwrap();
        }
    }
    ok(run(&["sync", "--timeout", "20"], laptop.path()));
    let head = samanvaya_tests::open(laptop.path()).unwrap().households(&HouseholdQuery {
        village_id: None,
        search: String::new(),
        limit: 1,
        offset: 0,
        hamlet_id: None,
        filter: None,
    });
    let first = head.unwrap().items.remove(0);
    let number = first.number.unwrap().to_string();
    ok(run(
        &["consent", "withdraw", "--household", &number, "--member", &first.member_names[0]],
        laptop.path(),
    ));
    // A member name that is not there is refused without repeating it.
    assert!(
        !run(&["consent", "withdraw", "--household", &number, "--member", "Sahpur"], laptop.path())
            .status
            .success()
    );
    ok(run(&["sync", "--timeout", "20"], laptop.path()));
    ok(run(&["sync", "--status"], laptop.path()));
    drop(block);

    let logs = log_dir();
    let files = std::fs::read_dir(&logs).unwrap().count();
    assert!(files >= 12, "this story's own logs are in {} ({files} files)", logs.display());
    let found = names_in_logs(&logs, &names);
    assert_eq!(found, Vec::<(String, String)>::new(), "log files name people of the demo village");
}
