//! `survey-bench`: the survey on a block-sized store (issue 17): opening a household, saving one
//! answer of its survey, searching the register by name, finishing a survey of six members,
//! the survey of a household of a hundred, and the store's size per person before and after the
//! acknowledged changes are pruned, best and median of several runs.
//!
//! The store is built the way a laptop's fills: the demo generator's families are registered
//! as a facilitator registers them (every field a change that travels), then each household is
//! surveyed through the survey's real path (draft started, every shown question answered, draft
//! saved, survey finished). Numbers and the command are in docs/benchmarks.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use chrono::NaiveDate;
use clap::Parser;
use samanvaya_bench::fill::{answer_all, fill_survey};
use samanvaya_bench::{timed, timed_after};
use samanvaya_core::survey::baseline;
use samanvaya_core::{DB_FILE_NAME, Enrollment, HouseholdQuery, ImportedHousehold, Moment, Secret, Store};
use samanvaya_domain::change::Source;
use samanvaya_domain::{Household, HouseholdId, Person, PersonId, Relation, Sex};
use samanvaya_forms::Answers;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 50_000)]
    households: usize,
    /// How many of them are surveyed while the store is built (all when not given).
    #[arg(long)]
    surveyed: Option<usize>,
    /// The store to use (built on the first run, reused after).
    #[arg(long)]
    store: Option<PathBuf>,
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Leave out the store's size and the pruning of its acknowledged changes.
    #[arg(long)]
    no_size: bool,
    /// After pruning, compact the file (VACUUM) and measure it again: this needs free disk of
    /// about twice the compacted size.
    #[arg(long)]
    vacuum: bool,
    /// Also time what the name search would take with a larger page cache and as one scan of the
    /// members' search keys, with and without a covering index (made on this store for the
    /// measurement and dropped after): figures for choosing a faster search, not the app's.
    #[arg(long)]
    search_experiments: bool,
    /// Write the survey form and the draft of the household of a hundred members, as the survey
    /// screen receives them, into this folder (`form.json`, `draft.json`) for `ui/bench/roster.ts`.
    #[arg(long, value_name = "DIR")]
    write_roster: Option<PathBuf>,
}

const PIN: &str = "482916";

/// The rare name: only the household of a hundred members has it, so searching for it finds
/// one household after reading every member's search key.
const RARE_HI: &str = "भगीरथ";
const RARE_EN: &str = "bhagirath";

fn all() -> HouseholdQuery {
    search("", u32::MAX)
}

fn search(text: &str, limit: u32) -> HouseholdQuery {
    HouseholdQuery { village_id: None, search: text.into(), limit, offset: 0, hamlet_id: None, filter: None }
}

/// A household of a hundred members (the survey's roster allows up to a hundred), every one
/// named with the rare name; registered beside the others.
fn hundred(
    village: samanvaya_domain::LocationId,
    hamlet: Option<samanvaya_domain::LocationId>,
    at: Moment,
) -> Household {
    let members = (0..100u32)
        .map(|i| {
            let (relation, sex) = match i {
                0 => (Relation::Head, Sex::Male),
                1 => (Relation::Spouse, Sex::Female),
                _ if i % 2 == 0 => (Relation::Son, Sex::Male),
                _ => (Relation::Daughter, Sex::Female),
            };
            Person {
                id: PersonId(uuid::Uuid::now_v7()),
                name: format!("{RARE_HI} {}", i + 1),
                relation,
                sex,
                birth_date: NaiveDate::from_ymd_opt(1950 + (i % 60) as i32, 1 + i % 12, 1 + i % 28),
                birth_date_estimated: i % 4 == 0,
                left: None,
            }
        })
        .collect();
    Household {
        id: HouseholdId(uuid::Uuid::now_v7()),
        number: None,
        village_id: village,
        hamlet_id: hamlet,
        address: "वार्ड नं. 1".into(),
        phone: String::new(),
        members,
        created_at: at.utc,
        updated_at: at.utc,
        consent: None,
    }
}

/// Builds the store in an empty folder: the demo generator's families (made in a demo store of
/// their own, since a demo store records no changes) registered here with their changes, the
/// household of a hundred, then `surveyed` households surveyed one by one as the app does.
fn build(store: &mut Store, args: &Args) -> Result<()> {
    let started = Instant::now();
    let demo_dir = tempfile::tempdir()?;
    let (mut demo, _) = Store::create(demo_dir.path(), "demo", &Secret::new(PIN))?;
    samanvaya_demo::fill_households(&mut demo, 1, args.households, |done| {
        if done % 10_000 == 0 {
            eprintln!("  families generated: {done}");
        }
    })?;
    let overview = demo.village_overview()?;
    let at = store.now()?;
    // Enrolled with a block that is never reached: the store then takes household numbers from
    // a server's lease, and its acknowledged changes may be pruned, as a real laptop's.
    let mut places = overview.above.clone();
    places.push(overview.village.clone());
    store.save_enrollment(
        &Enrollment {
            url: "https://block.invalid".into(),
            server_id: uuid::Uuid::now_v7(),
            role: "laptop".into(),
            secret: "benchmark".into(),
            certificate: None,
            enrolled_at: at.utc,
        },
        &[("household".into(), 1, args.households as i64 + 10_000)],
        &places,
    )?;
    store.add_places(&overview.hamlets, &[])?;
    let ids: Vec<HouseholdId> = demo.households(&all())?.items.iter().map(|s| s.id).collect();
    for (k, chunk) in ids.chunks(1_000).enumerate() {
        let batch = chunk
            .iter()
            .map(|id| {
                let mut household = demo.household(*id)?;
                household.number = None;
                Ok(ImportedHousehold { household, facts: vec![], receiving: vec![], source: Source::Survey })
            })
            .collect::<Result<Vec<_>>>()?;
        store.import(batch, at)?;
        if (k + 1) % 10 == 0 {
            eprintln!("  households registered: {}", (k + 1) * 1_000);
        }
    }
    drop(demo);
    let big = hundred(overview.village.id, overview.hamlets.first().map(|h| h.id), at);
    store.import(
        vec![ImportedHousehold { household: big, facts: vec![], receiving: vec![], source: Source::Survey }],
        at,
    )?;
    println!("store: {} households registered in {:.1?}", ids.len() + 1, started.elapsed());

    let form = baseline()?;
    let surveyed = args.surveyed.unwrap_or(ids.len()).min(ids.len());
    let started = Instant::now();
    for (k, id) in ids.iter().take(surveyed).enumerate() {
        let at = store.now()?;
        fill_survey(store, form, *id, k as u64, at)?;
        store.finish_survey(*id, at)?;
        if (k + 1) % 1_000 == 0 {
            let rate = (k + 1) as f64 / started.elapsed().as_secs_f64();
            eprintln!("  households surveyed: {} ({rate:.0} a second)", k + 1);
        }
    }
    println!("store: {surveyed} households surveyed (draft, answers, finish) in {:.1?}", started.elapsed());
    Ok(())
}

/// One row of the table printed at the end.
struct Row {
    what: String,
    best: Duration,
    median: Duration,
}

fn row(rows: &mut Vec<Row>, what: impl Into<String>, (best, median): (Duration, Duration)) {
    let what = what.into();
    eprintln!("  {what}: best {best:.2?}, median {median:.2?}");
    rows.push(Row { what, best, median });
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = args
        .store
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("samanvaya-survey-bench-{}", args.households)));
    let secret = Secret::new(std::env::var("SAMANVAYA_PIN").unwrap_or_else(|_| PIN.into()));
    let (mut store, _) = Store::open_or_create(&dir, "Benchmark", &secret)
        .with_context(|| format!("cannot open {}", dir.display()))?;
    if store.household_count()? == 0 {
        build(&mut store, &args)?;
    }
    let form = baseline()?;
    let at = store.now()?;
    let today = at.today;
    let summaries = store.households(&all())?.items;
    let persons: i64 = store.connection().query_row("SELECT count(*) FROM person", [], |r| r.get(0))?;
    println!("store: {} households, {persons} persons, {} runs each", summaries.len(), args.runs);
    let big = summaries
        .iter()
        .find(|s| s.member_count == 100)
        .map(|s| s.id)
        .context("the store has no household of a hundred members")?;
    // Households of six present members, each used once by one measurement's run.
    let sixes: Vec<HouseholdId> = summaries.iter().filter(|s| s.member_count == 6).map(|s| s.id).collect();
    let runs = args.runs.max(1);
    ensure!(sixes.len() >= 4 * runs, "only {} households of six members", sixes.len());
    let spread: Vec<HouseholdId> =
        (0..runs).map(|r| summaries[(2 * r + 1) * summaries.len() / (2 * runs)].id).collect();
    let mut rows = Vec::new();

    // Opening a household from the register opens its form: `get_household` (`Store::household`).
    let (best, median, done) =
        timed_after(runs, &mut store, |_, r| spread[r], |s, id| s.household(id).map(|_| ()));
    done?;
    row(
        &mut rows,
        "open a household: its record (`get_household`, the register's row clicked)",
        (best, median),
    );
    let (best, median, done) = timed_after(
        runs,
        &mut store,
        |_, r| spread[r],
        |s, id| s.household_eligibility(id, today).map(|_| ()),
    );
    done?;
    row(&mut rows, "open a household's schemes (`household_eligibility`)", (best, median));
    // Opening its survey starts a draft filled from the record; a second opening resumes it.
    let (best, median, done) = timed_after(
        runs,
        &mut store,
        |s, r| s.discard_survey(sixes[r]).map(|()| sixes[r]),
        |s, id| id.and_then(|id| s.start_survey(id, at)).map(|_| ()),
    );
    done?;
    row(&mut rows, "open a six-member household's survey, new draft (`survey_start`)", (best, median));
    let (best, median, done) =
        timed_after(runs, &mut store, |_, r| sixes[r], |s, id| s.start_survey(id, at).map(|_| ()));
    done?;
    row(&mut rows, "open a six-member household's survey, draft resumed (`survey_start`)", (best, median));
    for id in &sixes[..runs] {
        store.discard_survey(*id)?;
    }

    // Saving one answer: the draft has every shown question answered; one answer changes.
    let (best, median, done) = timed_after(
        runs,
        &mut store,
        |s, r| -> Result<(HouseholdId, Answers)> {
            let id = sixes[runs + r];
            let mut answers = fill_survey(s, form, id, 1_000 + r as u64, at)?;
            let income = if answers.values.get("income").map(String::as_str) == Some("45000") {
                "50000"
            } else {
                "45000"
            };
            answers.values.insert("income".into(), income.into());
            Ok((id, answers))
        },
        |s, prepared| -> Result<()> {
            let (id, answers) = prepared?;
            s.save_survey(id, &answers, at)?;
            Ok(())
        },
    );
    done?;
    row(&mut rows, "save one answer of a six-member household's survey (`survey_save`)", (best, median));
    // Finishing those same surveys, each ready to finish.
    let (best, median, done) =
        timed_after(runs, &mut store, |_, r| sixes[runs + r], |s, id| s.finish_survey(id, at).map(|_| ()));
    done?;
    row(&mut rows, "finish a six-member household's survey (`survey_finish`)", (best, median));

    // The household of a hundred members: its survey opened, one answer saved, finished.
    let (best, median, done) = timed_after(
        runs,
        &mut store,
        |s, _| s.discard_survey(big),
        |s, discarded| discarded.and_then(|()| s.start_survey(big, at)).map(|_| ()),
    );
    done?;
    row(&mut rows, "open the survey of a hundred members, new draft (`survey_start`)", (best, median));
    let mut answers = store.start_survey(big, at)?.answers;
    let state = answer_all(form, &mut answers, 7, today)?;
    let (best, median, done) = timed_after(
        runs,
        &mut store,
        |_, r| {
            let mut a = answers.clone();
            a.values.insert("income".into(), (40_000 + r * 1_000).to_string());
            a
        },
        |s, a| s.save_survey(big, &a, at).map(|_| ()),
    );
    done?;
    row(&mut rows, "save one answer of the survey of a hundred members (`survey_save`)", (best, median));
    if let Some(out) = &args.write_roster {
        std::fs::create_dir_all(out)?;
        let draft = serde_json::json!({
            "household_id": big,
            "answers": answers,
            "state": samanvaya_forms::view::state(&state),
        });
        std::fs::write(out.join("form.json"), serde_json::to_vec(&samanvaya_forms::view::form(form))?)?;
        std::fs::write(out.join("draft.json"), serde_json::to_vec(&draft)?)?;
        println!("roster: the form and the hundred members' draft written to {}", out.display());
    }
    let (best, median, done) = timed_after(
        runs,
        &mut store,
        |s, r| fill_survey(s, form, big, 2_000 + r as u64, at).map(|_| ()),
        |s, filled| filled.and_then(|()| s.finish_survey(big, at).map(|_| ()).map_err(Into::into)),
    );
    done?;
    row(&mut rows, "finish the survey of a hundred members (`survey_finish`)", (best, median));

    // Searching the register by name, as its search box does: the first page of 50 and the count.
    for text in ["सुनीता", "sunita", "देवी", "devi", RARE_HI, RARE_EN] {
        let (best, median, page) = timed(runs, || store.households(&search(text, 50)));
        let page = page?;
        row(
            &mut rows,
            format!("search \"{text}\" ({} households match, {} listed)", page.total, page.items.len()),
            (best, median),
        );
    }

    // The same searches just after a write to the register, when the copy of the name keys the
    // search scans first reads again the households touched since it last looked. The write is
    // one member's name key changed by SQL in another run's household, which fires the same
    // trigger as the app's writes (local migration 0021), so that only the search is timed.
    for text in ["sunita", "devi", RARE_EN] {
        let (best, median, page) = timed_after(
            runs,
            &mut store,
            |s, r| {
                s.connection().execute(
                    "UPDATE person SET name_key = name_key || 'q'
                     WHERE id = (SELECT id FROM person WHERE household_id = ?1 ORDER BY position LIMIT 1)",
                    [spread[r].to_string()],
                )
            },
            |s, written| {
                written.map_err(anyhow::Error::from).and_then(|_| Ok(s.households(&search(text, 50))?))
            },
        );
        let page = page?;
        row(
            &mut rows,
            format!("search \"{text}\" just after a member was renamed ({} match)", page.total),
            (best, median),
        );
    }
    // A store just opened: the copy of the name keys read whole, either by its first search or,
    // as the app does at unlock, on a second connection beside the window before any search.
    // Timed by hand: the store opened for each run must be opened and closed outside the time.
    let mut cold = Vec::with_capacity(runs);
    let mut read = Vec::with_capacity(runs);
    let mut after = Vec::with_capacity(runs);
    let mut matched = 0;
    for _ in 0..runs {
        let (opened, _) = Store::open_or_create(&dir, "Benchmark", &secret)?;
        let start = Instant::now();
        matched = opened.households(&search("sunita", 50))?.total;
        cold.push(start.elapsed());
        drop(opened);
        let (opened, _) = Store::open_or_create(&dir, "Benchmark", &secret)?;
        let beside = opened.second_connection()?;
        let start = Instant::now();
        beside.read_register_names()?;
        read.push(start.elapsed());
        let start = Instant::now();
        opened.households(&search("sunita", 50))?;
        after.push(start.elapsed());
        drop((beside, opened));
    }
    for (times, what) in [
        (
            &mut cold,
            format!("the first search \"sunita\" of a store just opened ({matched} match; every key read)"),
        ),
        (&mut read, "reading the copy of the name keys at unlock, on a second connection".to_owned()),
        (&mut after, "the first search \"sunita\" after the copy was read at unlock".to_owned()),
    ] {
        times.sort();
        row(&mut rows, what, (times[0], times[times.len() / 2]));
    }
    // A name search combined with one of the register's filters is answered by the SQL statement
    // alone, as every search was before the copy in memory.
    for text in ["sunita", "devi"] {
        let mut q = search(text, 50);
        q.filter = Some(samanvaya_core::RegisterFilter::Widow);
        let (best, median, page) = timed(runs, || store.households(&q));
        row(
            &mut rows,
            format!("search \"{text}\" among the households with a widow ({} match; SQL)", page?.total),
            (best, median),
        );
    }

    if args.search_experiments {
        search_experiments(&store, runs, &mut rows)?;
    }

    println!();
    println!("| what | best of {runs} | median |");
    println!("|---|---|---|");
    for r in &rows {
        println!("| {} | {:.2} ms | {:.2} ms |", r.what, ms(r.best), ms(r.median));
    }
    if !args.no_size {
        println!();
        sizes(&mut store, persons, args.vacuum)?;
    }
    Ok(())
}

/// The name search's cost taken apart, for choosing how to make it faster. Each figure says
/// what it changed; the store is left as it was.
fn search_experiments(store: &Store, runs: usize, rows: &mut Vec<Row>) -> Result<()> {
    let conn = store.connection();
    let cache: i64 = conn.query_row("SELECT cache_size FROM pragma_cache_size()", [], |r| r.get(0))?;
    // The register's search with more page cache than SQLite's default 2 MB: a search reads
    // every member's page, and each page read from the file is decrypted, unless the cache holds
    // it from the search before.
    for mb in [64, 256] {
        conn.execute_batch(&format!("PRAGMA cache_size = -{}", mb * 1024))?;
        for text in ["sunita", RARE_EN] {
            store.households(&search(text, 50))?;
            let (best, median, page) = timed(runs, || store.households(&search(text, 50)));
            row(
                rows,
                format!("experiment: search \"{text}\" with a {mb} MB page cache ({} match)", page?.total),
                (best, median),
            );
        }
    }
    conn.execute_batch(&format!("PRAGMA cache_size = {cache}"))?;
    // The search's first statement (the count) alone, as `household::list` writes it for a
    // search with no village, hamlet or filter, then with `instr` in place of `LIKE`.
    let count = |test: &str, key: &str| -> Result<i64> {
        let sql = format!(
            "SELECT count(*) FROM household h WHERE EXISTS (SELECT 1 FROM person p WHERE p.household_id = h.id AND {test})"
        );
        Ok(conn.query_row(&sql, [key], |r| r.get(0))?)
    };
    // A pass over the members' search keys alone, counting the households that match.
    let scan = |from: &str, test: &str, key: &str| -> Result<i64> {
        let sql = format!("SELECT count(*) FROM (SELECT DISTINCT household_id FROM {from} WHERE {test})");
        Ok(conn.query_row(&sql, [key], |r| r.get(0))?)
    };
    let like = "p.name_key LIKE '%' || ?1 || '%'";
    let instr = "instr(p.name_key, ?1) > 0";
    for text in ["sunita", RARE_EN] {
        let key = samanvaya_domain::name_key::name_key(text);
        let (best, median, n) = timed(runs, || count(like, &key));
        row(rows, format!("experiment: \"{text}\", the count statement alone ({})", n?), (best, median));
        let (best, median, n) = timed(runs, || count(instr, &key));
        row(
            rows,
            format!("experiment: \"{text}\", the count statement with instr() ({})", n?),
            (best, median),
        );
        let (best, median, n) = timed(runs, || scan("person p", like, &key));
        row(rows, format!("experiment: \"{text}\", one pass over person with LIKE ({})", n?), (best, median));
        let (best, median, n) = timed(runs, || scan("person p", instr, &key));
        row(
            rows,
            format!("experiment: \"{text}\", one pass over person with instr() ({})", n?),
            (best, median),
        );
    }
    conn.execute_batch("CREATE INDEX bench_person_name_key ON person(name_key, household_id)")?;
    for text in ["sunita", RARE_EN] {
        let key = samanvaya_domain::name_key::name_key(text);
        let from = "person p INDEXED BY bench_person_name_key";
        let (best, median, n) = timed(runs, || scan(from, instr, &key));
        row(
            rows,
            format!(
                "experiment: \"{text}\", one pass with instr() over an index of (name_key, household_id) ({})",
                n?
            ),
            (best, median),
        );
    }
    conn.execute_batch("DROP INDEX bench_person_name_key")?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The store's size, whole and by table (SQLite's `dbstat`), after a checkpoint has emptied the
/// write-ahead log into the database file.
struct Size {
    file: u64,
    wal: u64,
    page_size: i64,
    pages: i64,
    free: i64,
    /// Each table with the bytes of its own pages and of its indexes' pages, and its rows.
    tables: Vec<(String, i64, i64, i64)>,
    /// Each index (SQLite's own for a primary key or a UNIQUE constraint included) with its
    /// table and the bytes of its pages.
    indexes: Vec<(String, String, i64)>,
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

fn measure(store: &Store) -> Result<Size> {
    let conn = store.connection();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let db = store.data_dir().join(DB_FILE_NAME);
    let wal = store.data_dir().join(format!("{DB_FILE_NAME}-wal"));
    // Through the pragma functions: SQLCipher answers the `PRAGMA page_size` statement itself,
    // with its own cipher page size as text.
    let pragma = |name: &str| -> Result<i64> {
        Ok(conn
            .query_row(&format!("SELECT CAST({name} AS INTEGER) FROM pragma_{name}()"), [], |r| r.get(0))?)
    };
    let (page_size, pages, free) = (pragma("page_size")?, pragma("page_count")?, pragma("freelist_count")?);
    // Which table each index belongs to, and each table's rows.
    let mut owner = std::collections::BTreeMap::new();
    let mut stmt =
        conn.prepare("SELECT name, tbl_name, type FROM sqlite_master WHERE type IN ('table', 'index')")?;
    let objects = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    for (name, table, _) in &objects {
        owner.insert(name.clone(), table.clone());
    }
    let mut tables: std::collections::BTreeMap<String, (i64, i64, i64)> = std::collections::BTreeMap::new();
    for (name, _, kind) in &objects {
        if kind == "table" {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{name}\""), [], |r| r.get(0))?;
            tables.entry(name.clone()).or_default().2 = n;
        }
    }
    let mut indexes = Vec::new();
    let mut stmt = conn.prepare("SELECT name, pgsize FROM dbstat WHERE aggregate = TRUE")?;
    let stats = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for stat in stats {
        let (name, bytes) = stat?;
        let table = owner.get(&name).cloned().unwrap_or_else(|| name.clone());
        let entry = tables.entry(table.clone()).or_default();
        if table == name {
            entry.0 += bytes;
        } else {
            entry.1 += bytes;
            indexes.push((table, name, bytes));
        }
    }
    let mut tables: Vec<(String, i64, i64, i64)> =
        tables.into_iter().map(|(name, (own, index, rows))| (name, own, index, rows)).collect();
    tables.sort_by_key(|t| -(t.1 + t.2));
    indexes.sort_by_key(|i| -i.2);
    Ok(Size { file: file_len(&db), wal: file_len(&wal), page_size, pages, free, tables, indexes })
}

fn print_size(what: &str, size: &Size, persons: i64) {
    let live = (size.pages - size.free) * size.page_size;
    println!(
        "{what}: file {:.1} MB + WAL {:.1} MB = {:.0} bytes per person; pages in use {:.1} MB ({:.0} bytes per person), free {:.1} MB",
        size.file as f64 / 1e6,
        size.wal as f64 / 1e6,
        (size.file + size.wal) as f64 / persons as f64,
        live as f64 / 1e6,
        live as f64 / persons as f64,
        (size.free * size.page_size) as f64 / 1e6,
    );
    println!();
    println!(
        "| table (over 0.1% of the pages in use) | rows | table MB | its indexes MB | bytes per person (table + indexes) |"
    );
    println!("|---|---|---|---|---|");
    for (name, own, index, rows) in size.tables.iter().filter(|t| (t.1 + t.2) * 1_000 > live) {
        println!(
            "| {name} | {rows} | {:.1} | {:.1} | {:.0} |",
            *own as f64 / 1e6,
            *index as f64 / 1e6,
            (own + index) as f64 / persons as f64
        );
    }
    println!();
    let big: Vec<String> = size
        .indexes
        .iter()
        .filter(|i| i.2 * 100 > live)
        .map(|i| format!("{} on {} {:.1} MB", i.1, i.0, i.2 as f64 / 1e6))
        .collect();
    println!("indexes over 1% of the pages in use: {}", big.join("; "));
    println!();
}

/// What the values of each column of `table` take, per person: the bytes of its text and blobs
/// (an integer counted as 8 bytes, its most), before SQLite's row and page overhead.
fn columns(store: &Store, table: &str, persons: i64) -> Result<()> {
    let conn = store.connection();
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let names = stmt.query_map([table], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    let sums = names
        .iter()
        .map(|c| {
            format!(
                "coalesce(sum(CASE typeof(\"{c}\") WHEN 'integer' THEN 8 WHEN 'real' THEN 8 WHEN 'null' THEN 0 \
                 ELSE length(CAST(\"{c}\" AS BLOB)) END), 0)"
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let bytes: Vec<i64> = conn.query_row(&format!("SELECT {sums} FROM \"{table}\""), [], |r| {
        (0..names.len()).map(|i| r.get(i)).collect()
    })?;
    let per = |b: i64| b as f64 / persons as f64;
    let parts: Vec<String> = names.iter().zip(&bytes).map(|(n, b)| format!("{n} {:.0}", per(*b))).collect();
    println!(
        "{table}, bytes of values per person: {} (in all {:.0})",
        parts.join(", "),
        per(bytes.iter().sum())
    );
    Ok(())
}

/// What the change log holds, by kind of change: rows and bytes of the change's JSON.
fn change_kinds(store: &Store) -> Result<()> {
    let conn = store.connection();
    let mut stmt = conn.prepare(
        "SELECT kind, count(*), sum(length(change)), sum(length(hlc)) FROM change_log GROUP BY kind ORDER BY 3 DESC",
    )?;
    println!("| change kind | changes | bytes of JSON | of which the clock column |");
    println!("|---|---|---|---|");
    for k in stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
    })? {
        let (kind, n, bytes, hlc) = k?;
        println!("| {kind} | {n} | {:.1} MB | {:.1} MB |", bytes as f64 / 1e6, hlc as f64 / 1e6);
    }
    println!();
    Ok(())
}

/// The store's size as it is, then after the server acknowledged every change and the app
/// pruned them as it does after a sync 30 days on, and with `vacuum` after compacting the file.
/// The pruning is done on the store itself (a copy would need its size again in free disk), so
/// a run that reuses the store measures it pruned.
fn sizes(store: &mut Store, persons: i64, vacuum: bool) -> Result<()> {
    let start = Instant::now();
    let size = measure(store)?;
    print_size("store as measured", &size, persons);
    change_kinds(store)?;
    for table in ["change_log", "fact_row", "field_clock", "audit", "submission", "receiving_row"] {
        columns(store, table, persons)?;
    }
    println!();
    eprintln!("  measured in {:.1?}", start.elapsed());

    let last: i64 = store.connection().query_row(
        "SELECT coalesce(max(device_seq), 0) FROM change_log WHERE origin = 'local'",
        [],
        |r| r.get(0),
    )?;
    // What the sync does when the block acknowledges a push, then its pruning of changes
    // acknowledged more than 30 days before (`prune_old_acked`, called after every sync).
    store.sync_acked(last, &samanvaya_core::Told::default(), &[])?;
    let later = store.now()?.utc + chrono::Duration::days(samanvaya_core::KEEP_ACKED_DAYS + 1);
    let start = Instant::now();
    let removed = store.prune_old_acked(later)?;
    println!("pruning: {removed} acknowledged changes removed in {:.1?}", start.elapsed());
    let size = measure(store)?;
    print_size("after pruning (the file keeps the pages freed, for SQLite to reuse)", &size, persons);
    if vacuum {
        let start = Instant::now();
        store.connection().execute_batch("VACUUM")?;
        println!("compacting (VACUUM) took {:.1?}", start.elapsed());
        let size = measure(store)?;
        print_size("after pruning and VACUUM", &size, persons);
    }
    Ok(())
}
