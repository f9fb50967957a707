//! The peer's two CSV files read into a population, streamed in step: each household's row,
//! then its persons' rows, which the generator writes together and in the households' order.
//! Nothing but the population and one household's cells is kept, so the peak memory of loading
//! is the population's. The persons' file is cut into one part per thread at household
//! boundaries; each part builds its own blocks, and the parts' blocks are joined in order.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use samanvaya_rules::Scope;
use samanvaya_rules::bulk::{Builder, Population};
use samanvaya_rules::vocabulary::Vocabulary;

use super::mapping::{Mapping, Target, targets};

/// A CSV file read a line at a time, from a byte offset up to another. The peer's files hold no
/// quoted cells (no value has a comma or a quote); a quote is refused rather than misread.
struct Rows {
    reader: BufReader<File>,
    line: Vec<u8>,
    /// Where each cell of the line starts and ends.
    cells: Vec<Range<usize>>,
    name: String,
    /// The offset of the current line, and where to stop.
    at: u64,
    next: u64,
    end: u64,
}

impl Rows {
    fn open(path: &Path, from: u64, end: u64) -> Result<Rows> {
        let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        file.seek(SeekFrom::Start(from))?;
        Ok(Rows {
            reader: BufReader::with_capacity(1 << 18, file),
            line: Vec::new(),
            cells: Vec::new(),
            name: path.display().to_string(),
            at: from,
            next: from,
            end,
        })
    }

    /// Moves to the next row; false at the end of the part.
    fn advance(&mut self) -> Result<bool> {
        self.line.clear();
        self.cells.clear();
        if self.next >= self.end {
            return Ok(false);
        }
        let n = self.reader.read_until(b'\n', &mut self.line)?;
        if n == 0 {
            return Ok(false);
        }
        self.at = self.next;
        self.next += n as u64;
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        if self.line.contains(&b'"') {
            bail!("{} at byte {}: quoted cells are not read here", self.name, self.at);
        }
        let mut start = 0;
        for (i, b) in self.line.iter().enumerate() {
            if *b == b',' {
                self.cells.push(start..i);
                start = i + 1;
            }
        }
        self.cells.push(start..self.line.len());
        Ok(true)
    }

    fn cell(&self, i: usize) -> &[u8] {
        self.cells.get(i).map_or(&[], |r| &self.line[r.clone()])
    }

    fn header(&self) -> Vec<String> {
        (0..self.cells.len()).map(|i| String::from_utf8_lossy(self.cell(i)).into_owned()).collect()
    }

    fn key(&self, i: usize) -> Result<u64> {
        let cell = self.cell(i);
        std::str::from_utf8(cell).ok().and_then(|s| s.parse().ok()).with_context(|| {
            format!(
                "{} at byte {}: the key {:?} is not a number",
                self.name,
                self.at,
                String::from_utf8_lossy(cell)
            )
        })
    }

    /// Appends the values of `targets` in this row to `out`, as (slot, value).
    fn read(&self, targets: &[Target], out: &mut Vec<(usize, Option<i64>)>) -> Result<()> {
        for t in targets {
            let v = t
                .reading
                .read(self.cell(t.column))
                .map_err(|e| anyhow::anyhow!("{} at byte {}: {e}", self.name, self.at))?;
            out.push((t.slot, v));
        }
        Ok(())
    }
}

/// What every part shares: the files, their key columns and the mapped columns.
struct Plan {
    households: PathBuf,
    persons: PathBuf,
    hh_key: usize,
    p_household: usize,
    hh_targets: Vec<Target>,
    p_targets: Vec<Target>,
    /// Where the first data row of each file starts.
    hh_data: u64,
    p_data: u64,
}

/// One part: the persons' rows in `persons`, with the households from `first` (every
/// household of the file when `None`) up to, not including, `stop`.
struct Part {
    persons: Range<u64>,
    first: Option<u64>,
    stop: Option<u64>,
}

/// Both files of `dir` into columns of `vocab`'s facts, as `mapping` says, on every thread.
pub fn population(vocab: &Vocabulary, mapping: &Mapping, dir: &Path) -> Result<Population> {
    population_in_parts(vocab, mapping, dir, rayon::current_num_threads())
}

/// As [`population`], the persons' file cut into `parts` parts.
fn population_in_parts(
    vocab: &Vocabulary,
    mapping: &Mapping,
    dir: &Path,
    parts: usize,
) -> Result<Population> {
    let households = dir.join(&mapping.households.file);
    let persons = dir.join(&mapping.persons.file);
    let mut hh = Rows::open(&households, 0, u64::MAX)?;
    let mut pp = Rows::open(&persons, 0, u64::MAX)?;
    if !hh.advance()? || !pp.advance()? {
        bail!("{} or {} is empty", hh.name, pp.name);
    }
    let (hh_header, p_header) = (hh.header(), pp.header());
    let column = |header: &[String], name: &str| {
        header.iter().position(|h| h == name).with_context(|| format!("no column {name}"))
    };
    let hh_names: Vec<&str> = hh_header.iter().map(String::as_str).collect();
    let p_names: Vec<&str> = p_header.iter().map(String::as_str).collect();
    let plan = Plan {
        hh_key: column(&hh_header, &mapping.households.key)?,
        p_household: column(&p_header, &mapping.persons.household)?,
        hh_targets: targets(vocab, Scope::Household, &mapping.household, &hh_names, mapping.as_of)?,
        p_targets: targets(vocab, Scope::Person, &mapping.person, &p_names, mapping.as_of)?,
        hh_data: hh.next,
        p_data: pp.next,
        households,
        persons,
    };
    let parts = cut(&plan, parts)?;
    let built: Vec<Population> =
        parts.par_iter().map(|part| load_part(vocab, &plan, part)).collect::<Result<_>>()?;
    let mut all = built.into_iter();
    let mut pop = all.next().context("no part")?;
    for part in all {
        pop.append(part);
    }
    Ok(pop)
}

/// Cuts the persons' file into `n` parts of about equal size, each starting at a household's
/// first person.
fn cut(plan: &Plan, n: usize) -> Result<Vec<Part>> {
    let size = std::fs::metadata(&plan.persons)?.len();
    let mut starts: Vec<(u64, u64)> = Vec::new();
    for k in 1..n.max(1) {
        let guess = plan.p_data + (size - plan.p_data) * k as u64 / n as u64;
        let mut rows = Rows::open(&plan.persons, guess, u64::MAX)?;
        // The rest of the line the guess fell into, then the first row of the next household.
        let mut skip = Vec::new();
        let n = rows.reader.read_until(b'\n', &mut skip)? as u64;
        rows.next += n;
        let mut previous = None;
        while rows.advance()? {
            let id = rows.key(plan.p_household)?;
            if previous.is_some_and(|p| p != id) {
                if starts.last().is_none_or(|(at, _)| *at < rows.at) {
                    starts.push((rows.at, id));
                }
                break;
            }
            previous = Some(id);
        }
    }
    let mut parts = Vec::new();
    let mut from = (plan.p_data, None);
    for (at, id) in starts {
        parts.push(Part { persons: from.0..at, first: from.1, stop: Some(id) });
        from = (at, Some(id));
    }
    parts.push(Part { persons: from.0..u64::MAX, first: from.1, stop: None });
    Ok(parts)
}

fn load_part(vocab: &Vocabulary, plan: &Plan, part: &Part) -> Result<Population> {
    let mut hh = Rows::open(&plan.households, plan.hh_data, u64::MAX)?;
    let mut pp = Rows::open(&plan.persons, part.persons.start, part.persons.end)?;
    if let Some(first) = part.first {
        // The households before this part's first belong to the earlier parts.
        loop {
            let at = hh.next;
            if !hh.advance()? {
                bail!("household {first} is not in {}", hh.name);
            }
            if hh.key(plan.hh_key)? >= first {
                hh = Rows::open(&plan.households, at, u64::MAX)?;
                break;
            }
        }
    }
    let mut pop = Population::build(vocab);
    // A household's values wait until its persons are counted: the builder takes the size first.
    let mut household: Vec<(usize, Option<i64>)> = Vec::new();
    let mut members: Vec<(usize, usize, Option<i64>)> = Vec::new();
    let mut row: Vec<(usize, Option<i64>)> = Vec::new();
    let mut size = 0;
    let mut current: Option<u64> = None;
    while pp.advance()? {
        let id = pp.key(plan.p_household)?;
        if current != Some(id) {
            if current.is_some() {
                flush(&mut pop, &household, &mut members, &mut size);
            }
            // The households before this one with no persons, then this one's row.
            loop {
                if !hh.advance()? {
                    bail!(
                        "person of household {id} after the last household, or not in the households' order"
                    );
                }
                let hid = hh.key(plan.hh_key)?;
                household.clear();
                hh.read(&plan.hh_targets, &mut household)?;
                if hid == id {
                    break;
                }
                flush(&mut pop, &household, &mut members, &mut size);
            }
            current = Some(id);
        }
        row.clear();
        pp.read(&plan.p_targets, &mut row)?;
        members.extend(row.iter().map(|(slot, v)| (size, *slot, *v)));
        size += 1;
    }
    if current.is_some() {
        flush(&mut pop, &household, &mut members, &mut size);
    }
    while hh.advance()? {
        if part.stop.is_some_and(|stop| hh.key(plan.hh_key).is_ok_and(|k| k >= stop)) {
            break;
        }
        household.clear();
        hh.read(&plan.hh_targets, &mut household)?;
        flush(&mut pop, &household, &mut members, &mut size);
    }
    Ok(pop.finish())
}

/// Adds one household of `size` persons with its values and its members' values.
fn flush(
    pop: &mut Builder,
    household: &[(usize, Option<i64>)],
    members: &mut Vec<(usize, usize, Option<i64>)>,
    size: &mut usize,
) {
    pop.household(*size);
    for (slot, v) in household {
        pop.household_fact(*slot, *v);
    }
    for (m, slot, v) in members.iter() {
        pop.member_fact(*m, *slot, *v);
    }
    members.clear();
    *size = 0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use samanvaya_rules::bulk::tally;

    /// A small population in the peer's format: households of 0 to 5 persons (one empty in the
    /// middle and one at the end), every kind of cell, some empty.
    fn write_csvs(dir: &Path) -> (usize, usize) {
        let mut hh = String::from(
            "household_id,state,rural_urban,ration_card_type,bpl_status,annual_income_inr,land_owned_acres,house_type,has_toilet,has_lpg_connection\n",
        );
        let mut pp = String::from(
            "person_id,household_id,age,sex,marital_status,relation_to_head,disability_percent,caste_category,is_pregnant,is_lactating,live_births_count,has_bank_account,occupation,is_govt_employee,is_income_tax_payer\n",
        );
        let (mut persons, households) = (0, 41);
        let pick = |i: usize, xs: &[&'static str]| if i % 7 == 3 { "" } else { xs[i % xs.len()] };
        for h in 1..=households {
            let i = h * 13;
            hh.push_str(&format!(
                "{h},{},{},{},{},{},{},{},{},{}\n",
                pick(i, &["bihar", "delhi"]),
                pick(i + 1, &["rural", "urban"]),
                pick(i + 2, &["aay", "phh", "none"]),
                pick(i + 3, &["true", "false"]),
                pick(i + 4, &["90000", "45000", "260000"]),
                pick(i + 5, &["0.0", "1.25", "4.94"]),
                pick(i + 6, &["kucha", "semi_pucca", "pucca"]),
                pick(i + 7, &["true", "false"]),
                pick(i + 8, &["false", "true"]),
            ));
            let size = if h == 20 || h == households { 0 } else { h % 6 };
            for m in 0..size {
                persons += 1;
                let j = persons * 5 + m;
                pp.push_str(&format!(
                    "{persons},{h},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                    pick(j, &["3", "17", "18", "25", "40", "60", "61", "70", "79", "80", "95"]),
                    pick(j + 1, &["female", "male"]),
                    pick(j + 2, &["never_married", "married", "widowed", "divorced", "separated"]),
                    if m == 0 {
                        "head"
                    } else {
                        pick(
                            j + 3,
                            &[
                                "spouse",
                                "son",
                                "daughter",
                                "daughter_in_law",
                                "grandchild",
                                "parent",
                                "sibling",
                                "other",
                            ],
                        )
                    },
                    pick(j + 4, &["0", "40", "80", "100"]),
                    pick(j + 5, &["sc", "st", "obc", "general"]),
                    pick(j + 6, &["false", "true"]),
                    pick(j + 7, &["false", "true"]),
                    pick(j + 8, &["0", "1", "2"]),
                    pick(j + 9, &["true", "false"]),
                    pick(
                        j + 10,
                        &[
                            "none",
                            "student",
                            "cultivator",
                            "agricultural_labourer",
                            "casual_labourer",
                            "salaried",
                            "self_employed",
                            "homemaker",
                            "unemployed",
                            "retired"
                        ]
                    ),
                    pick(j + 11, &["false", "true"]),
                    pick(j + 12, &["false", "true"]),
                ));
            }
        }
        std::fs::write(dir.join("households.csv"), hh).unwrap();
        std::fs::write(dir.join("persons.csv"), pp).unwrap();
        (households, persons)
    }

    #[test]
    fn the_csvs_read_alike_in_any_number_of_parts() {
        let dir = tempfile::tempdir().unwrap();
        let (households, persons) = write_csvs(dir.path());
        let cat = samanvaya_eligibility::embedded().unwrap();
        let mapping =
            Mapping::read(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/peer-mapping.toml"))).unwrap();
        let whole = population_in_parts(&cat.vocab, &mapping, dir.path(), 1).unwrap();
        assert_eq!((whole.households(), whole.persons()), (households, persons));
        let want = tally(cat, &whole, mapping.as_of);
        assert!(want.iter().any(|t| t.eligible > 0 && t.not_eligible > 0));
        let state = cat.vocab.get(cat.vocab.id("household.state").unwrap()).slot;
        for parts in [2, 3, 5, 9] {
            let pop = population_in_parts(&cat.vocab, &mapping, dir.path(), parts).unwrap();
            assert!(pop.blocks().len() > 1, "{parts} parts make several blocks");
            assert_eq!((pop.households(), pop.persons()), (households, persons), "{parts} parts");
            for h in 0..households {
                assert_eq!(
                    pop.household_value(state, h),
                    whole.household_value(state, h),
                    "household {h}, {parts} parts"
                );
            }
            assert_eq!(tally(cat, &pop, mapping.as_of), want, "{parts} parts");
        }
    }

    #[test]
    fn a_cell_that_does_not_read_is_refused_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        write_csvs(dir.path());
        let persons = std::fs::read_to_string(dir.path().join("persons.csv")).unwrap();
        std::fs::write(dir.path().join("persons.csv"), persons.replacen(",female,", ",woman,", 1)).unwrap();
        let cat = samanvaya_eligibility::embedded().unwrap();
        let mapping =
            Mapping::read(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/peer-mapping.toml"))).unwrap();
        let err = population_in_parts(&cat.vocab, &mapping, dir.path(), 1).unwrap_err().to_string();
        assert!(err.contains("persons.csv at byte") && err.contains("woman is not a value"), "{err}");
    }
}
