//! Bounded robustness runs over the inputs that come from outside the program: the catalogue
//! (scheme and fact files), a household facts file, the sync wire form and a backup file. Each
//! real input is mutated a few hundred ways, deterministically (flipped, dropped, repeated and
//! inserted bytes); every mutation must be refused or accepted, never panic.
//!
//! It runs in every `cargo test`, beside the coverage-guided fuzzing of `scripts/fuzz` (libFuzzer
//! on the stable toolchain, in `fuzz/`), and replays the inputs that fuzzing found
//! (`fuzz/regressions/`).

use std::panic::{AssertUnwindSafe, catch_unwind};

/// A small deterministic generator (xorshift), so that a failure repeats.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `input`: a few edits of the kinds a damaged or hostile file shows.
fn mutate(input: &[u8], dice: &mut Dice) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + dice.below(4) {
        if out.is_empty() {
            out.push(b'{');
        }
        let at = dice.below(out.len());
        match dice.below(5) {
            0 => out[at] ^= 1 << dice.below(8),
            1 => {
                let end = (at + 1 + dice.below(16)).min(out.len());
                out.drain(at..end);
            }
            2 => {
                let end = (at + 1 + dice.below(32)).min(out.len());
                let piece = out[at..end].to_vec();
                out.splice(at..at, piece);
            }
            3 => out.insert(at, [b'"', b'{', b'}', b'[', b']', b'=', b'\n', 0xff, b'9'][dice.below(9)]),
            _ => out.truncate(at),
        }
    }
    out
}

/// Runs `f` on `runs` mutations of `input` and reports every one that panicked.
fn survive(name: &str, input: &[u8], runs: usize, f: impl Fn(&[u8])) {
    let mut dice = Dice(0x5eed_0000 + input.len() as u64);
    let mut panics = Vec::new();
    for i in 0..runs {
        let m = mutate(input, &mut dice);
        if catch_unwind(AssertUnwindSafe(|| f(&m))).is_err() {
            panics
                .push(format!("{name} mutation {i}: {:?}", String::from_utf8_lossy(&m[..m.len().min(200)])));
        }
    }
    assert!(panics.is_empty(), "{} input(s) made it panic:\n{}", panics.len(), panics.join("\n"));
}

/// Loads the app's catalogue with `bytes` as the PM-KISAN scheme file, as the fuzz target
/// `catalogue` does.
fn load_with_pm_kisan(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let mut files: Vec<(&str, &str)> = samanvaya_schema::SCHEME_FILES
        .iter()
        .filter(|(p, _)| !p.ends_with("pm_kisan.toml"))
        .copied()
        .collect();
    files.push(("schemes/pm_kisan.toml", &text));
    let _ = samanvaya_rules::load(samanvaya_schema::FACT_FILES, &files, samanvaya_schema::GROUP_FILES);
}

#[test]
fn the_catalogue_loader_refuses_damaged_files_without_panicking() {
    let scheme = samanvaya_schema::SCHEME_FILES.iter().find(|(p, _)| p.ends_with("pm_kisan.toml")).unwrap();
    survive("scheme file", scheme.1.as_bytes(), 200, load_with_pm_kisan);
    let facts = samanvaya_schema::FACT_FILES[0];
    survive("fact file", facts.1.as_bytes(), 100, |bytes| {
        let text = String::from_utf8_lossy(bytes);
        let mut files: Vec<(&str, &str)> = samanvaya_schema::FACT_FILES[1..].to_vec();
        files.push((facts.0, &text));
        let _ = samanvaya_rules::load(&files, samanvaya_schema::SCHEME_FILES, samanvaya_schema::GROUP_FILES);
    });
}

#[test]
fn the_facts_reader_and_the_wire_decoder_refuse_damaged_input_without_panicking() {
    let cat = samanvaya_eligibility::embedded().unwrap();
    let example =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/examples/household.json")).unwrap();
    survive("facts file", &example, 400, |bytes| {
        if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(bytes) {
            let _ = samanvaya_rules::HouseholdFacts::from_json(&cat.vocab, &doc);
        }
    });
    for kind in ["household", "member", "member_left", "fact", "receiving"] {
        let path = format!("{}/../sync/protocol/tests/golden/{kind}.json", env!("CARGO_MANIFEST_DIR"));
        let golden = std::fs::read(path).unwrap();
        survive(kind, &golden, 200, |bytes| {
            if let Ok(c) = serde_json::from_slice::<samanvaya_sync_protocol::Change>(bytes) {
                let _ = c.change.is_supported();
            }
        });
    }
    // A sync file from a USB stick, made of the same changes: every mutation is refused (the
    // cipher authenticates the header too), none panics.
    use samanvaya_sync_protocol::parcel;
    let changes = ["household", "member", "fact"]
        .iter()
        .map(|kind| {
            let path = format!("{}/../sync/protocol/tests/golden/{kind}.json", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
        })
        .collect::<Vec<samanvaya_sync_protocol::Change>>();
    let key = parcel::secret_digest("the laptop's secret");
    let file = parcel::Parcel {
        protocol: samanvaya_sync_protocol::PROTOCOL_VERSION,
        device: changes[0].origin.device,
        made_at: changes[0].recorded_at,
        pulled_through: 0,
        changes,
        own_after: None,
        own_through: None,
        audit: Vec::new(),
        audit_fork: None,
        audit_after: None,
        acked_here: None,
        feed_epoch: None,
        pulled_origin: None,
        server_own_through: None,
        given_back: Vec::new(),
        restores: Vec::new(),
    };
    let sealed = parcel::seal(&file, &key).unwrap();
    assert_eq!(parcel::open(&sealed, &key).unwrap(), file);
    survive("sync file", &sealed, 300, |bytes| {
        let _ = parcel::device_of(bytes);
        assert!(bytes == sealed.as_slice() || parcel::open(bytes, &key).is_err(), "a changed file opened");
    });
}

#[test]
fn a_damaged_backup_is_refused_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(&dir.path().join("store")).unwrap();
    samanvaya_tests::serve_a_village(&mut store).unwrap();
    let file = dir.path().join("b.backup");
    store.backup(&file).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    // Only the header and keyring are read before the PIN is checked; mutate those.
    let head = bytes.len().min(4096);
    let n = std::sync::atomic::AtomicUsize::new(0);
    survive("backup", &bytes[..head], 40, |m| {
        let i = n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let damaged = dir.path().join(format!("d{i}.backup"));
        let mut all = m.to_vec();
        all.extend_from_slice(&bytes[head..]);
        std::fs::write(&damaged, all).unwrap();
        let target = dir.path().join(format!("t{i}"));
        let _ =
            samanvaya_core::Store::restore(&damaged, &target, None, &samanvaya_core::Secret::new("135790"));
    });
}

/// The XLSForm loader (issue 17) meets a damaged or hostile form file: the baseline survey as
/// pyxform's markdown tables (the same form as the `.xlsx`, in text, so that mutations reach the
/// types, the columns and the expressions), and the `.xlsx` itself (a zip of XML). A form that
/// still loads is then worked out on no answers and laid out for the screen, as the survey does
/// when it opens, so its expressions are evaluated too.
#[test]
fn the_form_loader_refuses_damaged_forms_without_panicking() {
    let cat = samanvaya_eligibility::embedded().unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let work_out = |form: &samanvaya_forms::Form| {
        let _ = samanvaya_forms::evaluate(form, &samanvaya_forms::Answers::default(), today);
        let _ = samanvaya_forms::view::form(form);
    };
    let markdown =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/forms/baseline.md")).unwrap();
    survive("baseline.md", &markdown, 300, |bytes| {
        if let Ok(form) = samanvaya_forms::load_file("baseline.md", bytes, cat) {
            work_out(&form);
        }
    });
    survive("baseline.xlsx", samanvaya_schema::BASELINE_FORM.1, 150, |bytes| {
        if let Ok(form) = samanvaya_forms::load_file("baseline.xlsx", bytes, cat) {
            work_out(&form);
        }
    });
    // The forms as shipped load, so the runs above start from forms that reach past the reader.
    for (name, bytes) in
        [("baseline.md", markdown.as_slice()), ("baseline.xlsx", samanvaya_schema::BASELINE_FORM.1)]
    {
        let form = samanvaya_forms::load_file(name, bytes, cat).unwrap_or_else(|e| panic!("{name}: {e}"));
        work_out(&form);
    }
}

/// Every input `scripts/fuzz` once crashed on, kept under `fuzz/regressions/TARGET/` after its
/// cause was fixed, read again by what the target calls: each must be refused or accepted.
#[test]
fn what_the_fuzzer_once_crashed_on_is_refused_without_panicking() {
    let cat = samanvaya_eligibility::embedded().unwrap();
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/regressions");
    let mut replayed = 0;
    for target in ["catalogue", "facts", "form_md", "form_xlsx", "wire"] {
        let Ok(files) = std::fs::read_dir(format!("{root}/{target}")) else { continue };
        for file in files {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = path.display().to_string();
            let outcome = catch_unwind(AssertUnwindSafe(|| match target {
                "form_md" => drop(samanvaya_forms::load_file("form.md", &bytes, cat)),
                "form_xlsx" => {
                    assert!(samanvaya_forms::load_file("form.xlsx", &bytes, cat).is_err(), "{name} loads");
                    assert!(
                        samanvaya_forms::table::read_xlsx_table(&bytes).is_err(),
                        "{name} reads as a list"
                    );
                }
                "facts" => {
                    if let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                        let _ = samanvaya_rules::HouseholdFacts::from_json(&cat.vocab, &doc);
                    }
                }
                "wire" => drop(serde_json::from_slice::<samanvaya_sync_protocol::PushBatch>(&bytes)),
                _ => load_with_pm_kisan(&bytes),
            }));
            assert!(outcome.is_ok(), "{name} panicked");
            replayed += 1;
        }
    }
    assert!(replayed >= 1, "the kept regression inputs were found under {root}");
}
