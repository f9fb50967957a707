//! `samanvaya import LIST --mapping FILE.toml`: households and their members from a CSV or XLSX
//! list kept elsewhere, one row per member (format in docs/import.md). The file is read here;
//! the checks, the refusal of bad households and the one-transaction write are the store's
//! (`samanvaya_core::list_import`).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use samanvaya_core::{ListMapping, ListOptions, ListReport, Store};
use samanvaya_forms::workbook::Sheet;

pub fn read_list(path: &Path) -> Result<Sheet> {
    Ok(samanvaya_core::list_import::read_list(path)?)
}

pub fn read_mapping(path: &Path) -> Result<ListMapping> {
    Ok(samanvaya_core::list_import::read_mapping(path)?)
}

/// How many households between two plain progress lines when the bar cannot be shown.
const PLAIN_PROGRESS_EVERY: usize = 2_000;

/// Imports the list, with a progress bar on stderr for a long one.
pub fn run(store: &mut Store, list: &Path, mapping: &Path, dry_run: bool) -> Result<ListReport> {
    let mapping = read_mapping(mapping)?;
    let sheet = read_list(list)?;
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("importing [{bar:40}] {pos}/{len} households ({elapsed})")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    // Outside a terminal (a script, a log) the bar is hidden; a big list then says how far it
    // got in plain lines, so that a long import is not taken for a hung one.
    let mut said = 0;
    let report = store.import_list(&sheet, &mapping, ListOptions { dry_run }, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        if bar.is_hidden()
            && total >= PLAIN_PROGRESS_EVERY
            && (done >= said + PLAIN_PROGRESS_EVERY || done == total)
        {
            said = done;
            eprintln!("  {done} of {total} households written");
        }
    })?;
    bar.finish_and_clear();
    Ok(report)
}

/// The report in words: the counts, then every bad row with what to fix.
pub fn table(list: &Path, r: &ListReport) -> String {
    let mut out = String::new();
    let verb = if r.dry_run { "would import" } else { "imported" };
    let _ = writeln!(
        out,
        "{}: {} rows; {verb} {} households ({} members); {} already imported before, skipped; {} refused",
        list.display(),
        r.rows,
        r.imported,
        r.members,
        r.already,
        r.refused
    );
    for p in &r.problems {
        let _ = writeln!(out, "  row {}: {}", p.row, p.reason);
    }
    out
}

/// Fails the command when some households were refused, so that a script notices; what was
/// good is written by then and the sentence says how to finish.
pub fn check(r: &ListReport) -> Result<()> {
    if r.refused > 0 || !r.problems.is_empty() {
        bail!(
            "the list has {} bad row(s): nothing of their households was written; correct the rows listed and import the list again (households imported already are skipped)",
            r.problems.len()
        );
    }
    Ok(())
}
