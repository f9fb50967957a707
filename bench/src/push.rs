//! `push-bench`: how long a facilitator's day (50 families surveyed, 20 referrals) takes to reach
//! a real block over a 2G link with loss. Everything is the real thing except the link: a
//! `samanvaya-server` block on 127.0.0.1 with a temporary data folder, a laptop store enrolled
//! with `samanvaya enroll`, the day recorded into it through `Store` (`samanvaya_bench::day`),
//! and `samanvaya sync` run until nothing waits, timed from the first start to the last exit.
//! The link is the fault-injecting proxy of the tests (`samanvaya_tests::proxy`): a rate limit
//! each way, a delay on every chunk, and a share of requests lost (stalled, cut or their answer
//! lost), from a seed. Numbers and the command are in docs/benchmarks.md ("Sync").

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use samanvaya_bench::day::{self, Families, PIN};
use samanvaya_core::{Secret, Store};
use samanvaya_tests::proxy::{Faults, Proxy};

#[derive(Parser)]
struct Args {
    /// Families registered and surveyed in the day.
    #[arg(long, default_value_t = 50)]
    families: usize,
    #[arg(long, default_value_t = 20)]
    referrals: usize,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Bytes a second each way (50 kbit/s is 6,250).
    #[arg(long, default_value_t = 6_250)]
    rate: u32,
    /// The share of requests lost, in percent.
    #[arg(long, default_value_t = 30)]
    loss: u32,
    /// Each way's latency in milliseconds (2G's), which every byte in flight spends at once.
    #[arg(long, default_value_t = 300)]
    delay_ms: u64,
    /// `samanvaya sync --timeout`: each request's timeout in seconds (and two retries instead of
    /// eight). Without it the laptop's defaults, as the app syncs: 30 s and eight retries.
    #[arg(long)]
    timeout: Option<u64>,
    /// The first run's seed for the lost requests; run k uses seed + k.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print every request of each sync (`samanvaya sync --verbose`): where a slow run's time
    /// went.
    #[arg(long)]
    verbose: bool,
    /// HTTPS between the laptop and the block, with the certificate the laptop pinned at
    /// enrollment, as in the field: what TLS costs on the link. The proxy then deals its losses
    /// by TLS record, not by reading the requests.
    #[arg(long)]
    https: bool,
}

/// A binary of the workspace, beside this one in the target folder.
fn binary(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.parent().context("the benchmark's folder")?.join(name);
    ensure!(
        path.exists(),
        "{} is not built: cargo build --release -p samanvaya-cli -p samanvaya-server",
        path.display()
    );
    Ok(path)
}

/// A block server that is killed when dropped.
struct Block {
    child: Child,
    address: String,
    /// The server's standard output, held open while it runs: over HTTPS it prints its
    /// certificate after its address, and a pipe closed before that line killed it (a run's
    /// enrollment then found no server, once in eight runs).
    _output: std::io::BufReader<std::process::ChildStdout>,
}

impl Drop for Block {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a block on `dir`, serving plain HTTP, or HTTPS with the certificate it makes at first
/// start.
fn start_block(dir: &Path, log: &Path, https: bool) -> Result<Block> {
    let mut command = Command::new(binary("samanvaya-server")?);
    command.args(["--role", "block", "--data-dir"]).arg(dir).args(["--listen", "127.0.0.1:0"]);
    if !https {
        command.arg("--plain-http");
    }
    let mut child = command.stdout(Stdio::piped()).stderr(std::fs::File::create(log)?).spawn()?;
    let mut line = String::new();
    let mut output = std::io::BufReader::new(child.stdout.take().context("the server's output")?);
    output.read_line(&mut line)?;
    let address = line
        .trim()
        .strip_prefix(if https { "listening on https://" } else { "listening on http://" })
        .with_context(|| format!("the server said {line:?}"))?
        .to_owned();
    Ok(Block { child, address, _output: output })
}

/// Runs `samanvaya` on the laptop's store; its output, and whether it succeeded.
fn samanvaya(laptop: &Path, args: &[&str]) -> Result<(bool, String)> {
    let out = Command::new(binary("samanvaya")?)
        .args(args)
        .env("SAMANVAYA_PIN", PIN)
        .env("SAMANVAYA_DATA_DIR", laptop)
        .output()?;
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    Ok((out.status.success(), said))
}

/// How many changes the block holds from the laptop, and how many distinct origins: equal when
/// nothing was stored twice.
fn stored(block: &Path) -> Result<(i64, i64)> {
    let conn = rusqlite::Connection::open(block.join("server.sqlite3"))?;
    Ok(conn.query_row(
        "SELECT count(*), count(DISTINCT origin_device || ':' || origin_seq) FROM change",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// One run; returns the seconds from the first `samanvaya sync` to the last.
fn run(args: &Args, families: &Families, k: usize) -> Result<f64> {
    let (block_dir, laptop_dir, logs) = (tempfile::tempdir()?, tempfile::tempdir()?, tempfile::tempdir()?);
    let block = start_block(block_dir.path(), &logs.path().join("block.log"), args.https)?;
    let link = Proxy::start(&block.address);
    // The proxy passes bytes through: over HTTPS the laptop speaks TLS to the block through it.
    let url = if args.https { link.url.replacen("http://", "https://", 1) } else { link.url.clone() };
    let village = &families.overview.village.name_en;
    let code = Command::new(binary("samanvaya-server")?)
        .args(["--role", "block", "--data-dir"])
        .arg(block_dir.path())
        .args(["enroll-code", "--village", village])
        .output()?;
    ensure!(code.status.success(), "no enrollment code: {}", String::from_utf8_lossy(&code.stderr));
    let code = String::from_utf8(code.stdout)?;
    {
        let (mut store, _) = Store::create(laptop_dir.path(), "Facilitator", &Secret::new(PIN))?;
        families.serve(&mut store)?;
    }
    let (ok, said) = samanvaya(laptop_dir.path(), &["enroll", &url, code.trim()])?;
    ensure!(ok, "enrollment failed: {said}");
    let waiting = {
        let (mut store, _) = Store::open_or_create(laptop_dir.path(), "Facilitator", &Secret::new(PIN))?;
        day::record(&mut store, families, args.referrals)?;
        store.queued_changes()?
    };

    link.set(Faults {
        bytes_per_second: args.rate,
        delay: Duration::from_millis(args.delay_ms),
        loss_percent: args.loss,
        seed: args.seed + k as u64,
        ..Faults::default()
    });
    let timeout = args.timeout.map(|t| t.to_string());
    let mut sync = vec!["sync"];
    if let Some(t) = &timeout {
        sync.extend(["--timeout", t.as_str()]);
    }
    if args.verbose {
        sync.push("--verbose");
    }
    let start = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (ok, said) = samanvaya(laptop_dir.path(), &sync)?;
        if args.verbose {
            for line in said.lines().filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())) {
                eprintln!("  {line}");
            }
        }
        if ok && said.contains("waiting to send: 0") {
            break;
        }
        // A sync that gave up is started again at once, as the facilitator would press "sync
        // now" again (the app itself tries every five minutes).
        let last = said.lines().find(|l| l.starts_with("Error:")).or(said.lines().last()).unwrap_or_default();
        eprintln!("  sync {attempts} ended after {:.1?} without sending everything: {last}", start.elapsed());
        if start.elapsed() > Duration::from_secs(1_200) {
            bail!("the day did not get through in 20 minutes");
        }
    }
    let took = start.elapsed().as_secs_f64();
    let f = link.injected();
    ensure!(
        args.loss == 0 || f.requests > 0,
        "the proxy found no request to lose: its losses did not happen"
    );
    let (count, distinct) = stored(block_dir.path())?;
    ensure!(
        count == waiting && distinct == waiting,
        "the block holds {count} ({distinct} distinct) of {waiting}"
    );
    println!(
        "run {k}: {waiting} changes in {took:.1} s, {attempts} sync command(s); requests {}, stalled {}, cut {}, answers lost {}",
        f.requests, f.stalled, f.cut, f.lost_answers
    );
    Ok(took)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let families = Families::generate(args.families)?;
    println!(
        "a day of {} families surveyed and {} referrals, over {}, through {} B/s each way, {} ms latency, {}% of requests lost; sync {}",
        args.families,
        args.referrals,
        if args.https { "HTTPS (the certificate pinned at enrollment)" } else { "plain HTTP" },
        args.rate,
        args.delay_ms,
        args.loss,
        args.timeout
            .map_or("with the app's defaults (30 s, 8 retries)".to_owned(), |t| format!("--timeout {t}"))
    );
    let mut times = Vec::new();
    for k in 0..args.runs.max(1) {
        times.push(run(&args, &families, k)?);
    }
    times.sort_by(f64::total_cmp);
    // Of an even number of runs the median is the mean of the middle two.
    let n = times.len();
    let median = if n % 2 == 0 { (times[n / 2 - 1] + times[n / 2]) / 2.0 } else { times[n / 2] };
    println!("best {:.1} s, median {median:.1} s, worst {:.1} s of {n} runs", times[0], times[n - 1],);
    Ok(())
}
