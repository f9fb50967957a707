//! A list kept elsewhere (a CSV file, or the first sheet of an `.xlsx` workbook) as one sheet of
//! text cells with the row numbers its author sees, so that the household import reads both
//! alike and can point at the row to fix. The cells are read the way a form's are
//! (`workbook::cell_text`): a date typed in a spreadsheet arrives as `YYYY-MM-DD`.

use std::io::Cursor;

use calamine::{Reader, Xlsx};

use crate::workbook::{NumberedRow, ReadError, Sheet, guarded, numbered_rows, sheet_from};

/// Reads the first sheet of an `.xlsx` file's bytes; the first non-empty row is the header.
pub fn read_xlsx_table(bytes: &[u8]) -> Result<Sheet, ReadError> {
    guarded(|| first_sheet(bytes))
}

fn first_sheet(bytes: &[u8]) -> Result<Sheet, ReadError> {
    let mut xlsx = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        ReadError(format!(
            "this is not a readable .xlsx spreadsheet ({e}); save it from Excel or LibreOffice as .xlsx, or as CSV"
        ))
    })?;
    let Some(name) = xlsx.sheet_names().first().cloned() else {
        return Err(ReadError("the workbook has no sheet".into()));
    };
    let raw = numbered_rows(&mut xlsx, &name)?;
    Ok(sheet_from(&name, raw))
}

/// Reads CSV text (RFC 4180: fields in double quotes may hold commas, doubled quotes and line
/// breaks); a row's number is the line it starts on, as a spreadsheet opening the file numbers
/// it. A byte-order mark, which Excel writes so that Hindi survives, is skipped.
pub fn read_csv(text: &str) -> Result<Sheet, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut raw: Vec<NumberedRow> = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let (mut line, mut row_start) = (1usize, 1usize);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                cell.push(c);
            }
            (false, '"') if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            (false, ',') => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n' | '\r') => {
                cells.push(std::mem::take(&mut cell).trim().to_owned());
                raw.push((row_start, std::mem::take(&mut cells)));
                line += 1;
                row_start = line;
            }
            (false, c) => cell.push(c),
        }
    }
    if quoted {
        return Err(ReadError(format!(
            "the quoted field that starts on line {row_start} is never closed; add the closing \""
        )));
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell.trim().to_owned());
        raw.push((row_start, cells));
    }
    Ok(sheet_from("csv", raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_the_line_they_start_on() {
        let text = "\u{feff}Key,Name,Note\r\nH1,\"Devi, Sunita\",\"two\nlines\"\n\nH2,\"say \"\"hi\"\"\",\n";
        let sheet = read_csv(text).unwrap();
        assert_eq!(sheet.headers, vec!["key", "name", "note"]);
        let rows: Vec<(usize, Vec<&str>)> =
            sheet.rows.iter().map(|r| (r.number, r.cells.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            rows,
            vec![(2, vec!["H1", "Devi, Sunita", "two\nlines"]), (5, vec!["H2", "say \"hi\"", ""])]
        );
        assert!(read_csv("a,\"b\n").is_err());
    }
}
