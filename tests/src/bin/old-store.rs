//! Writes a store as an older version of the app left it, for the tests of the first opening
//! after an update: in the clear (before encryption), at local migration `--at`, with
//! `--facts N` screening answers so that bringing it up to date takes a while.
//!
//!     old-store DATA_DIR [--at 28] [--facts 0]
//!
//! The facts go into the `fact` table as migrations 0026 to 0029 left it (0026 dropped its
//! household column, 0030 turned it into `fact_row` behind a view), so `--facts` needs `--at`
//! between 26 and 29. Their subjects are no household's or person's: the store is there to be
//! slow to upgrade, and the later migrations carry such rows as any other (migration 0027, which
//! removed them once, has run by then).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, params};

/// The versions whose `fact` table takes the rows as written here.
const FACT_TABLE: std::ops::RangeInclusive<usize> = 26..=29;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir: PathBuf = args.next().context("usage: old-store DATA_DIR [--at N] [--facts N]")?.into();
    let (mut at, mut facts) = (28usize, 0u64);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a number"))?;
        match flag.as_str() {
            "--at" => at = value.parse()?,
            "--facts" => facts = value.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    let all = samanvaya_schema::LOCAL_MIGRATIONS;
    if at == 0 || at >= all.len() {
        bail!("--at must be between 1 and {}: a store older than this version", all.len() - 1);
    }
    if facts > 0 && !FACT_TABLE.contains(&at) {
        bail!("--facts needs --at between {} and {}", FACT_TABLE.start(), FACT_TABLE.end());
    }
    std::fs::create_dir_all(&dir)?;
    let mut conn = Connection::open(dir.join(samanvaya_core::DB_FILE_NAME))?;
    samanvaya_schema::migrate::run(&mut conn, &all[..at])?;
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare(
            "INSERT INTO fact (subject_id, name, value, source, recorded_at) VALUES (?1, ?2, ?3, 'survey', ?4)",
        )?;
        let names =
            ["person.marital_status", "person.occupation", "person.disability", "household.bpl_status"];
        for n in 0..facts {
            let subject =
                uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(n / 4));
            let name = names[(n % 4) as usize];
            insert.execute(params![
                subject.to_string(),
                name,
                format!("\"value {n}\""),
                1_764_547_200_000i64
            ])?;
        }
    }
    tx.commit()?;
    println!("a store at migration {at} of {} with {facts} facts in {}", all.len(), dir.display());
    Ok(())
}
