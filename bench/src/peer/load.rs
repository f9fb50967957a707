//! The peer's two CSV files read into a population, streamed in step: each household's row,
//! then its persons' rows, which the generator writes together and in the households' order.
//! Nothing but the population is kept, so the peak memory of loading is the population's.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::{Context, Result, bail};
use samanvaya_rules::Scope;
use samanvaya_rules::bulk::Population;
use samanvaya_rules::vocabulary::Vocabulary;

use super::mapping::{Mapping, Target, targets};

/// A CSV file read a line at a time. The peer's files hold no quoted cells (no value has a
/// comma or a quote); a quote is refused rather than misread.
struct Rows {
    reader: BufReader<File>,
    line: Vec<u8>,
    name: String,
    number: usize,
}

impl Rows {
    fn open(path: &Path) -> Result<(Rows, Vec<String>)> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut rows = Rows {
            reader: BufReader::with_capacity(1 << 20, file),
            line: Vec::new(),
            name: path.display().to_string(),
            number: 0,
        };
        if !rows.advance()? {
            bail!("{} is empty", rows.name);
        }
        let header = rows.cells().iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
        Ok((rows, header))
    }

    /// Moves to the next row; false at the end.
    fn advance(&mut self) -> Result<bool> {
        self.line.clear();
        if self.reader.read_until(b'\n', &mut self.line)? == 0 {
            return Ok(false);
        }
        self.number += 1;
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        if self.line.contains(&b'"') {
            bail!("{} line {}: quoted cells are not read here", self.name, self.number);
        }
        Ok(true)
    }

    /// The current row's cells.
    fn cells(&self) -> Vec<&[u8]> {
        self.line.split(|b| *b == b',').collect()
    }
}

fn key(cell: Option<&&[u8]>, what: &str) -> Result<u64> {
    let cell = cell.with_context(|| format!("a row has no {what}"))?;
    std::str::from_utf8(cell)
        .ok()
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("{what} is not a number"))
}

/// Both files of `dir` into columns of `vocab`'s facts, as `mapping` says.
pub fn population(vocab: &Vocabulary, mapping: &Mapping, dir: &Path) -> Result<Population> {
    let (mut hh_rows, hh_header) = Rows::open(&dir.join(&mapping.households.file))?;
    let (mut p_rows, p_header) = Rows::open(&dir.join(&mapping.persons.file))?;
    let column = |header: &[String], name: &str| {
        header.iter().position(|h| h == name).with_context(|| format!("no column {name}"))
    };
    let hh_key = column(&hh_header, &mapping.households.key)?;
    let p_household = column(&p_header, &mapping.persons.household)?;
    let hh_names: Vec<&str> = hh_header.iter().map(String::as_str).collect();
    let p_names: Vec<&str> = p_header.iter().map(String::as_str).collect();
    let hh_targets = targets(vocab, Scope::Household, &mapping.household, &hh_names, mapping.as_of)?;
    let p_targets = targets(vocab, Scope::Person, &mapping.person, &p_names, mapping.as_of)?;

    let mut pop = Population::build(vocab);
    // A household's values wait until its persons are counted: the builder takes the size first.
    let mut household: Vec<(usize, Option<i64>)> = Vec::new();
    let mut members: Vec<Vec<(usize, Option<i64>)>> = Vec::new();
    let mut current: Option<u64> = None;
    let read = |targets: &[Target], cells: &[&[u8]], rows: &Rows| -> Result<Vec<(usize, Option<i64>)>> {
        targets
            .iter()
            .map(|t| {
                let cell = cells.get(t.column).copied().unwrap_or_default();
                let v = t
                    .reading
                    .read(cell)
                    .map_err(|e| anyhow::anyhow!("{} line {}: {e}", rows.name, rows.number))?;
                Ok((t.slot, v))
            })
            .collect()
    };
    let flush = |pop: &mut samanvaya_rules::bulk::Builder,
                 household: &[(usize, Option<i64>)],
                 members: &mut Vec<Vec<(usize, Option<i64>)>>| {
        pop.household(members.len());
        for (slot, v) in household {
            pop.household_fact(*slot, *v);
        }
        for (m, facts) in members.iter().enumerate() {
            for (slot, v) in facts {
                pop.member_fact(m, *slot, *v);
            }
        }
        members.clear();
    };
    while p_rows.advance()? {
        let cells = p_rows.cells();
        let id = key(cells.get(p_household), &mapping.persons.household)?;
        if current != Some(id) {
            if current.is_some() {
                flush(&mut pop, &household, &mut members);
            }
            // The households before this one with no persons, then this one's row.
            loop {
                if !hh_rows.advance()? {
                    bail!(
                        "person of household {id} after the last household, or not in the households' order"
                    );
                }
                let row = hh_rows.cells();
                let hid = key(row.get(hh_key), &mapping.households.key)?;
                household = read(&hh_targets, &row, &hh_rows)?;
                if hid == id {
                    break;
                }
                flush(&mut pop, &household, &mut members);
            }
            current = Some(id);
        }
        members.push(read(&p_targets, &cells, &p_rows)?);
    }
    if current.is_some() {
        flush(&mut pop, &household, &mut members);
    }
    while hh_rows.advance()? {
        household = read(&hh_targets, &hh_rows.cells(), &hh_rows)?;
        flush(&mut pop, &household, &mut members);
    }
    Ok(pop.finish())
}
