//! The sheets of an XLSForm as rows of text cells, whatever file they came from, so that the
//! loader checks one shape and every error can name the sheet, the row and the column the
//! author sees in their spreadsheet.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// One sheet: its header row and the rows under it, each cell trimmed text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    /// The header cells, lower-cased, in column order.
    pub headers: Vec<String>,
    /// The rows under the header, with their spreadsheet row number (counted from 1).
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

impl Row {
    /// The cell under header `column` of `sheet`, empty when absent.
    pub fn get<'a>(&'a self, sheet: &Sheet, column: &str) -> &'a str {
        sheet.column(column).and_then(|i| self.cells.get(i)).map_or("", String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.cells.iter().all(String::is_empty)
    }
}

impl Sheet {
    /// The index of the header named `column`.
    pub fn column(&self, column: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == column)
    }
}

/// A form's sheets. Sheets other than `survey`, `choices` and `settings` are kept out: authors
/// keep notes and translations-in-progress on extra sheets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workbook {
    pub survey: Option<Sheet>,
    pub choices: Option<Sheet>,
    pub settings: Option<Sheet>,
}

/// A file that is not a readable spreadsheet at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(pub String);

/// The spreadsheet column letters of a 0-based index: 0 is A, 26 is AA.
pub fn column_letters(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

pub(crate) fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_owned(),
        // A whole number typed in a cell (a version such as 2026113001) is read back as a float.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "yes" } else { "no" }.to_owned(),
        // A date typed in a cell is stored as days since Excel's epoch, 30 December 1899.
        Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
            .and_then(|e| e.checked_add_signed(chrono::Duration::days(d.as_f64().floor() as i64)))
            .map_or_else(|| d.to_string(), |t| t.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

/// Which of the three sheets `name` is, whatever its case.
fn role(name: &str) -> Option<&'static str> {
    match name.trim().to_lowercase().as_str() {
        "survey" => Some("survey"),
        "choices" => Some("choices"),
        "settings" => Some("settings"),
        _ => None,
    }
}

fn place(wb: &mut Workbook, sheet: Sheet) {
    match role(&sheet.name) {
        Some("survey") => wb.survey = Some(sheet),
        Some("choices") => wb.choices = Some(sheet),
        Some("settings") => wb.settings = Some(sheet),
        _ => {}
    }
}

/// A row's number and its cells, before the header is known.
pub(crate) type NumberedRow = (usize, Vec<String>);

/// Builds a sheet from raw rows, the first non-empty row being the header.
pub(crate) fn sheet_from(name: &str, raw: Vec<NumberedRow>) -> Sheet {
    let mut rows = raw.into_iter().filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()));
    let Some((_, header)) = rows.next() else {
        return Sheet { name: name.to_owned(), ..Sheet::default() };
    };
    let headers = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let rows = rows.map(|(number, cells)| Row { number, cells }).collect();
    Sheet { name: name.trim().to_lowercase(), headers, rows }
}

/// The rows of the sheet `name` as text cells, each with the row number its author sees: the
/// numbers count the empty rows above the used range, and the cells the empty columns left of it.
pub(crate) fn numbered_rows(
    xlsx: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
) -> Result<Vec<NumberedRow>, ReadError> {
    let range = xlsx
        .worksheet_range(name)
        .map_err(|e| ReadError(format!("the sheet '{name}' cannot be read: {e}")))?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, cells)| {
            let mut texts: Vec<String> = vec![String::new(); first_col];
            texts.extend(cells.iter().map(cell_text));
            (first_row + i + 1, texts)
        })
        .collect())
}

/// Reads the sheets of an `.xlsx` file's bytes.
pub fn read_xlsx(bytes: &[u8]) -> Result<Workbook, ReadError> {
    guarded(|| read_sheets(bytes))
}

/// Reads a spreadsheet from outside the program with calamine, turning a panic inside it into a
/// refusal of the file. calamine 0.38 panics on some damaged sheets (an overflow reading a cell
/// reference, found by `scripts/fuzz` and kept in `fuzz/regressions/form_xlsx/`): a damaged file
/// on a USB stick must be refused with a sentence, not take the window or the CLI down.
pub(crate) fn guarded<T>(read: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(ReadError(
            "this spreadsheet is damaged and cannot be read; open it in Excel or LibreOffice and save it again as .xlsx"
                .into(),
        ))
    })
}

fn read_sheets(bytes: &[u8]) -> Result<Workbook, ReadError> {
    let mut xlsx = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        ReadError(format!(
            "this is not a readable .xlsx spreadsheet ({e}); save it from Excel or LibreOffice as .xlsx"
        ))
    })?;
    let mut wb = Workbook::default();
    for name in xlsx.sheet_names() {
        if role(&name).is_none() {
            continue;
        }
        let raw = numbered_rows(&mut xlsx, &name)?;
        place(&mut wb, sheet_from(&name, raw));
    }
    Ok(wb)
}

/// Reads a form written as pyxform's markdown tables, the format pyxform's own tests use:
///
/// ```text
/// | survey |
/// |        | type    | name | label::English (en) |
/// |        | integer | age  | Age                 |
/// ```
///
/// A line whose first cell is a sheet name starts that sheet; the next line is its header. Row
/// numbers are the file's line numbers, so an error points at the line to fix.
pub fn read_markdown(text: &str) -> Workbook {
    let mut wb = Workbook::default();
    let mut current: Option<(String, Vec<NumberedRow>)> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if !line.starts_with('|') {
            continue;
        }
        let inner = line.trim_start_matches('|').trim_end_matches('|');
        let mut cells: Vec<String> = inner.split('|').map(|c| c.trim().to_owned()).collect();
        let first = cells.remove(0);
        if !first.is_empty() {
            if let Some((name, raw)) = current.take() {
                place(&mut wb, sheet_from(&name, raw));
            }
            current = Some((first, Vec::new()));
            continue;
        }
        if let Some((_, raw)) = current.as_mut() {
            raw.push((i + 1, cells));
        }
    }
    if let Some((name, raw)) = current.take() {
        place(&mut wb, sheet_from(&name, raw));
    }
    wb
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn markdown_sheets_keep_their_line_numbers() {
        let wb = read_markdown(
            "intro text\n| survey |\n| | type | Name |\n| | integer | age |\n\n| | text | who |\n| notes | x |\n",
        );
        let survey = wb.survey.unwrap();
        assert_eq!(survey.headers, ["type", "name"]);
        assert_eq!(survey.rows.len(), 2);
        assert_eq!(survey.rows[1].number, 6);
        assert_eq!(survey.rows[1].get(&survey, "name"), "who");
        assert!(wb.choices.is_none());
    }

    #[test]
    fn a_file_that_is_not_xlsx_is_refused_with_what_to_do() {
        let e = read_xlsx(b"type,name\ninteger,age\n").unwrap_err();
        assert!(e.0.contains("save it from Excel or LibreOffice as .xlsx"), "{e}");
    }
}
