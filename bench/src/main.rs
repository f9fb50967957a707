//! `eligibility-bench`: measures the eligibility engine on a deterministic synthetic population
//! (by default 1,000,000 persons in 250,000 households) against the full catalogue:
//! the column-wise evaluation alone, one household through the explaining per-subject path,
//! and end-to-end from a SQLite store. Run it in release mode; docs/benchmarks.md has the numbers.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::Parser;
use samanvaya_bench::timed;
use samanvaya_core::Store;
use samanvaya_rules::bulk::tally;
use samanvaya_rules::{Scope, assess_bounded, explain, synthetic};

#[derive(Parser)]
#[command(about = "Benchmark of the eligibility engine")]
struct Args {
    #[arg(long, default_value_t = 250_000)]
    households: usize,
    #[arg(long, default_value_t = 1_000_000)]
    persons: usize,
    /// Repetitions of each timed step; the best and the median are reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A data folder for the end-to-end run: filled with demo households if empty, reused after.
    #[arg(long)]
    store: Option<PathBuf>,
    #[arg(long, default_value = "2026-11-23")]
    as_of: NaiveDate,
    /// Measure only the engine (for profiling); no store is built or read.
    #[arg(long)]
    skip_store: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let cat = samanvaya_eligibility::embedded()?;
    let in_force: Vec<_> = cat.schemes.iter().filter(|s| s.version_on(args.as_of).is_some()).collect();
    let person_schemes = in_force.iter().filter(|s| s.unit == Scope::Person).count();
    let household_schemes = in_force.len() - person_schemes;
    let criteria: usize =
        in_force.iter().map(|s| s.version_on(args.as_of).map_or(0, |v| v.criteria.len())).sum();
    println!(
        "catalogue: {} schemes in force on {} ({person_schemes} per person, {household_schemes} per household), {criteria} criteria",
        in_force.len(),
        args.as_of
    );

    let start = Instant::now();
    let pop = synthetic::population(&cat.vocab, args.households, args.persons, 7);
    println!(
        "synthetic population: {} persons in {} households, built in {:.2?}",
        pop.persons(),
        pop.households(),
        start.elapsed()
    );
    println!("  its columns hold {:.1} MB", pop.bytes() as f64 / 1e6);
    let pairs = (pop.persons() * person_schemes + pop.households() * household_schemes) as f64;
    let persons_x_schemes = (pop.persons() * in_force.len()) as f64;
    let mut tallies = Vec::new();
    // One thread, then every core rayon finds: the village view runs on the second.
    let threads = rayon::current_num_threads();
    for t in [1, threads] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build()?;
        let (best, median, out) = pool.install(|| timed(args.runs, || tally(cat, &pop, args.as_of)));
        tallies = out;
        println!(
            "evaluation alone (column-wise, three-valued), {t} thread(s): best {best:.2?}, median {median:.2?}"
        );
        println!(
            "  {:.0} million subject × scheme decisions per second; {:.0} million persons × schemes per second",
            pairs / best.as_secs_f64() / 1e6,
            persons_x_schemes / best.as_secs_f64() / 1e6
        );
        if threads == 1 {
            break;
        }
    }
    let undetermined: u64 = tallies.iter().map(|t| t.undetermined).sum();
    println!("  undetermined share: {:.1}%", 100.0 * undetermined as f64 / pairs);
    // The village view also counts which facts the undetermined decisions wait on.
    let (best, median, missing) = timed(args.runs, || samanvaya_rules::bulk::missing(cat, &pop, args.as_of));
    println!(
        "missing facts of every undetermined decision (column-wise): best {best:.2?}, median {median:.2?} ({} facts)",
        missing.len()
    );

    let sample = synthetic::households(&cat.vocab, 200, 7, 11);
    let (best, median, _) = timed(args.runs, || {
        for h in &sample {
            // As the household screen does: the bounds are applied once, then every decision explained.
            let bounded = samanvaya_rules::bounds::Bounded::new(cat, h, args.as_of);
            for f in assess_bounded(cat, &bounded) {
                std::hint::black_box(explain(cat, &bounded, f.scheme, f.member));
            }
        }
    });
    println!(
        "one household, every scheme decided and explained (per-subject path): best {:.0} µs, median {:.0} µs",
        best.as_secs_f64() * 1e6 / sample.len() as f64,
        median.as_secs_f64() * 1e6 / sample.len() as f64
    );

    if args.skip_store {
        return Ok(());
    }
    let dir = match &args.store {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!("samanvaya-bench-{}", args.households)),
    };
    // The benchmark's own store, set up with SAMANVAYA_PIN (or a fixed PIN) the first time.
    let pin = std::env::var("SAMANVAYA_PIN").unwrap_or_else(|_| "482916".into());
    let (mut store, _) = Store::open_or_create(&dir, "Benchmark", &samanvaya_core::Secret::new(pin))
        .with_context(|| format!("cannot open {}", dir.display()))?;
    if store.household_count()? == 0 {
        let start = Instant::now();
        let s = samanvaya_demo::fill_households(&mut store, 1, args.households, |done| {
            if done % 50_000 == 0 {
                eprintln!("  filled {done} households");
            }
        })?;
        println!(
            "store: filled {} households, {} persons in {} in {:.1?}",
            s.households,
            s.persons,
            dir.display(),
            start.elapsed()
        );
    }
    let runs = args.runs.min(3);
    let (best, median, stored) = timed(runs, || store.population());
    let stored = stored?;
    let (ebest, emedian, _) = timed(runs, || tally(cat, &stored, args.as_of));
    println!(
        "end-to-end from the store ({} persons): read best {best:.2?} (median {median:.2?}) + evaluate best {ebest:.2?} (median {emedian:.2?}) = {:.2?}",
        stored.persons(),
        best + ebest
    );
    let (vbest, vmedian, _) = timed(runs, || store.village_eligibility(args.as_of, |_, _| {}));
    println!(
        "the village view from the store (read, tally, missing facts): best {vbest:.2?} (median {vmedian:.2?})"
    );
    Ok(())
}
