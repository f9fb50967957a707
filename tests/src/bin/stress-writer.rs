//! Writes households into a store as fast as it can, printing each one's id and member count
//! after its transaction commits, until it is killed. The kill-loop test uses it to prove that
//! a household is never half-written and that nothing committed is lost.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use samanvaya_domain::{Birth, HouseholdInput, PersonInput, Relation, Sex};

fn main() -> Result<()> {
    let dir: PathBuf = std::env::args_os().nth(1).context("usage: stress-writer DATA_DIR")?.into();
    let mut store = samanvaya_tests::open(&dir)?;
    let village = store.villages()?.first().context("the store has no village")?.id;
    let mut stdout = std::io::stdout().lock();
    // Opening now derives the key from the PIN, which takes longer than a write: the test waits
    // for this line before it times most kills, so that they land among the writes.
    writeln!(stdout, "ready")?;
    stdout.flush()?;
    for n in 0u64.. {
        let size = 2 + (n % 4) as usize;
        let members = (0..size)
            .map(|i| PersonInput {
                id: None,
                name: format!("सदस्य {n}-{i}"),
                relation: if i == 0 { Relation::Head } else { Relation::Daughter },
                sex: Sex::Female,
                birth: Birth::Age { years: 20 + i as u32 },
                left: None,
            })
            .collect();
        let input = HouseholdInput {
            id: None,
            village_id: village,
            hamlet_id: None,
            consent: Some(samanvaya_domain::ConsentInput { respondent: 0 }),
            address: String::new(),
            phone: String::new(),
            members,
        };
        let saved = store.save_household(input, store.now()?)?;
        writeln!(stdout, "{} {}", saved.id, saved.members.len())?;
        stdout.flush()?;
    }
    Ok(())
}
