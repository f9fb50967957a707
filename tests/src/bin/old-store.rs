//! Writes a store as an older version of the app left it, for the tests of the first opening
//! after an update: in the clear (before encryption), a number of migrations behind this
//! version, with `--facts N` screening answers so that bringing it up to date takes a while.
//!
//!     old-store DATA_DIR [--behind 5] [--facts 0]
//!
//! The facts are written into the `fact` table as it was before local migration 0030 made it
//! compact, so `--facts` needs the store to be at least four migrations behind.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, params};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let dir: PathBuf = args.next().context("usage: old-store DATA_DIR [--behind N] [--facts N]")?.into();
    let (mut behind, mut facts) = (5usize, 0u64);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a number"))?;
        match flag.as_str() {
            "--behind" => behind = value.parse()?,
            "--facts" => facts = value.parse()?,
            other => bail!("unknown option {other}"),
        }
    }
    let all = samanvaya_schema::LOCAL_MIGRATIONS;
    if behind == 0 || behind >= all.len() {
        bail!("--behind must be between 1 and {}", all.len() - 1);
    }
    let version = all.len() - behind;
    // 0030 turned the `fact` table into `fact_row`.
    if facts > 0 && version >= 30 {
        bail!("--facts needs a store from before migration 30: --behind {} or more", all.len() - 29);
    }
    std::fs::create_dir_all(&dir)?;
    let mut conn = Connection::open(dir.join(samanvaya_core::DB_FILE_NAME))?;
    samanvaya_schema::migrate::run(&mut conn, &all[..version])?;
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
    println!("a store at migration {version} of {} with {facts} facts in {}", all.len(), dir.display());
    Ok(())
}
