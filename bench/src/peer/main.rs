//! `peer-bench`: the engine on the peer benchmark's population (../shared/bench/openfisca), read
//! from its CSV files through `bench/peer-mapping.toml`, timed the way the peer times OpenFisca
//! (load = CSV to columns ready to decide; compute = the decisions), with the peak memory of two
//! consecutive loads. Given the line that `bench_openfisca.py` printed on the same data, it prints
//! one side-by-side table. `scripts/bench-vs-openfisca` runs both.

mod load;
mod mapping;
mod memory;
mod openfisca;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Parser;
use samanvaya_bench::timed;
use samanvaya_rules::Catalogue;
use samanvaya_rules::bulk::{Population, tally_schemes};

use mapping::Mapping;
use openfisca::OpenFisca;

#[derive(Parser)]
#[command(about = "The eligibility engine on the OpenFisca peer benchmark's CSV population")]
struct Args {
    /// The folder with households.csv and persons.csv (gen_population.py --out).
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/peer-mapping.toml"))]
    mapping: PathBuf,
    /// Repetitions of each timed step; the best and the median are reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// A file holding the JSON line of `bench_openfisca.py --data` on the same folder.
    #[arg(long)]
    openfisca: Option<PathBuf>,
    /// Also print each matching scheme's counts (eligible, undetermined, not eligible).
    #[arg(long)]
    counts: bool,
}

/// One row of the table: what was decided, how, and how fast.
struct Row {
    what: String,
    load: Option<(f64, f64)>,
    compute: (f64, f64),
    /// Persons × schemes (or rules) per second, from the best compute time.
    rate: f64,
    peak_mb: Option<f64>,
}

fn decide_with(
    threads: usize,
    cat: &Catalogue,
    pop: &Population,
    as_of: chrono::NaiveDate,
    which: &[usize],
    runs: usize,
) -> Result<(Duration, Duration)> {
    let pool =
        rayon::ThreadPoolBuilder::new().num_threads(threads).build().context("cannot start threads")?;
    let (best, median, tallies) = pool.install(|| timed(runs, || tally_schemes(cat, pop, as_of, which)));
    anyhow::ensure!(tallies.len() == which.len(), "a scheme of the selection is not in force on {as_of}");
    Ok((best, median))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let cat = samanvaya_eligibility::embedded()?;
    let mapping = Mapping::read(&args.mapping)?;
    let as_of = mapping.as_of;
    let all: Vec<usize> =
        (0..cat.schemes.len()).filter(|i| cat.schemes[*i].version_on(as_of).is_some()).collect();
    let matching: Vec<usize> = mapping
        .matching
        .iter()
        .map(|code| {
            cat.schemes.iter().position(|s| &s.code == code).with_context(|| format!("no scheme {code}"))
        })
        .collect::<Result<_>>()?;
    let of = match &args.openfisca {
        Some(path) => Some(OpenFisca::parse(
            &std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
        )?),
        None => None,
    };

    // Memory first, in a fresh process: each of two loads, decided in full, then freed.
    let before = memory::resident_mb();
    let mut peaks = Vec::new();
    let mut bytes = 0;
    for _ in 0..2 {
        let reset = memory::reset_peak();
        let pop = load::population(&cat.vocab, &mapping, &args.data)?;
        std::hint::black_box(tally_schemes(cat, &pop, as_of, &all));
        bytes = pop.bytes();
        drop(pop);
        peaks.push(memory::peak_mb().filter(|_| reset));
    }

    let (lbest, lmedian, pop) = timed(args.runs, || load::population(&cat.vocab, &mapping, &args.data));
    let pop = pop?;
    let (persons, households) = (pop.persons(), pop.households());
    let threads = rayon::current_num_threads();
    let mut rows = Vec::new();
    if let Some(of) = &of {
        anyhow::ensure!(
            of.persons as usize == persons && of.households as usize == households,
            "OpenFisca ran on {} persons in {} households, this on {persons} in {households}",
            of.persons,
            of.households
        );
        rows.push(Row {
            what: "OpenFisca 46, its 12 rules (two-valued)".into(),
            load: Some((of.load_s.min, of.load_s.median)),
            compute: (of.compute_s.min, of.compute_s.median),
            rate: persons as f64 * 12.0 / of.compute_s.min,
            peak_mb: Some(of.peak_rss_mb),
        });
    }
    let secs = |d: Duration| d.as_secs_f64();
    for (name, which, rules) in [
        (format!("Samanvaya, the {} matching schemes", matching.len()), &matching, 12),
        (format!("Samanvaya, the whole catalogue ({} schemes)", all.len()), &all, all.len()),
    ] {
        for t in [1, threads] {
            let (best, median) = decide_with(t, cat, &pop, as_of, which, args.runs)?;
            rows.push(Row {
                what: format!("{name}, three-valued, {t} thread{}", if t == 1 { "" } else { "s" }),
                load: Some((secs(lbest), secs(lmedian))),
                compute: (secs(best), secs(median)),
                rate: persons as f64 * rules as f64 / secs(best),
                peak_mb: None,
            });
            if threads == 1 {
                break;
            }
        }
    }

    println!(
        "{persons} persons in {households} households ({}), decided on {as_of}; times in seconds, best / median of {} runs",
        args.data.display(),
        args.runs
    );
    println!();
    println!(
        "| engine and rules | load s | compute s | persons × schemes / s (best) | × OpenFisca's rate | peak RSS MB |"
    );
    println!("|---|---|---|---|---|---|");
    let base = of.as_ref().map(|o| persons as f64 * 12.0 / o.compute_s.min);
    let ours_peak =
        peaks.iter().flatten().copied().fold(None, |m: Option<f64>, p| Some(m.map_or(p, |m| m.max(p))));
    for r in &rows {
        let load = r.load.map_or("–".into(), |(b, m)| format!("{b:.3} / {m:.3}"));
        let ratio = base.map_or("–".into(), |b| format!("{:.1}", r.rate / b));
        let peak = r.peak_mb.or(ours_peak).map_or("–".into(), |p| format!("{p:.0}"));
        println!(
            "| {} | {load} | {:.4} / {:.4} | {:.0} M | {ratio} | {peak} |",
            r.what,
            r.compute.0,
            r.compute.1,
            r.rate / 1e6
        );
    }
    println!();
    if let Some(of) = &of {
        println!(
            "load: OpenFisca's load (CSV parse {:.3} s of it) ÷ ours = {:.1} (best of each)",
            of.csv_s.min,
            of.load_s.min / secs(lbest)
        );
    }
    if args.counts {
        println!();
        println!("| scheme | level | eligible | alternative | undetermined | not eligible |");
        println!("|---|---|---|---|---|---|");
        for t in tally_schemes(cat, &pop, as_of, &matching) {
            let s = &cat.schemes[t.scheme];
            println!(
                "| {} | {:?} | {} | {} | {} | {} |",
                s.code, s.unit, t.eligible, t.alternative, t.undetermined, t.not_eligible
            );
        }
        println!();
    }
    let fmt = |p: Option<f64>| p.map_or("not measured".into(), |p| format!("{p:.0} MB"));
    println!(
        "memory: the population's columns hold {:.1} MB; resident before loading {}; peak of the first load + whole-catalogue decision {}, of the second (after the first was freed) {}",
        bytes as f64 / 1e6,
        fmt(before),
        fmt(peaks.first().copied().flatten()),
        fmt(peaks.get(1).copied().flatten())
    );
    Ok(())
}
