//! Tables the facilitator takes away as a spreadsheet: laid out once as a list of [`Table`]s and
//! written either as CSV (tables one after the other, a blank line between) or as an `.xlsx`
//! workbook (one sheet per table, headers bold and frozen, numbers as numbers), so the two formats
//! never disagree on a column. The village funnel and the household register use it.

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use samanvaya_eligibility::csv::line;
use serde::Deserialize;
use ts_rs::TS;

/// The file format of an exported table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

impl SheetFormat {
    pub fn extension(self) -> &'static str {
        match self {
            SheetFormat::Csv => "csv",
            SheetFormat::Xlsx => "xlsx",
        }
    }
}

/// One value of a table: counts stay numbers in a workbook, so that a sum or a chart works.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Number(f64),
    /// No value (a service has no eligibility to count, a member no date of birth).
    Empty,
}

impl Cell {
    fn csv(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn width(&self) -> usize {
        match self {
            Cell::Text(s) => s.chars().count(),
            Cell::Number(n) => n.to_string().len(),
            Cell::Empty => 0,
        }
    }
}

/// A titled table: a header line and its rows.
pub(crate) struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The tables as CSV text (no byte-order mark: [`crate::save_csv`] puts it in front).
pub(crate) fn csv(tables: &[Table]) -> String {
    let mut out = String::new();
    for (i, t) in tables.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out += &line(&t.headers);
        for row in &t.rows {
            out += &line(&row.iter().map(Cell::csv).collect::<Vec<_>>());
        }
    }
    out
}

/// The tables as an `.xlsx` workbook: one sheet per table, named by its title.
pub(crate) fn xlsx(tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for t in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(&t.title)?;
        for (c, h) in (0u16..).zip(&t.headers) {
            sheet.write_string_with_format(0, c, h, &bold)?;
            // As wide as the header or the longest value, within reason.
            let longest =
                t.rows.iter().filter_map(|r| r.get(usize::from(c))).map(Cell::width).max().unwrap_or(0);
            sheet.set_column_width(c, (h.chars().count().max(longest).clamp(8, 40) + 2) as f64)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in (1u32..).zip(&t.rows) {
            for (c, cell) in (0u16..).zip(row) {
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s)?,
                    Cell::Number(v) => sheet.write_number(r, c, *v)?,
                    Cell::Empty => continue,
                };
            }
        }
    }
    book.save_to_buffer()
}
