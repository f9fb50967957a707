//! CSV text as spreadsheets read it: fields quoted only when they must be, and a byte-order mark
//! in front so that a spreadsheet opened on Windows reads Hindi as UTF-8 rather than garbling it.

/// The byte-order mark that tells a spreadsheet the file is UTF-8.
pub const BOM: &str = "\u{feff}";

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}

/// One line of fields, ended by a line break.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields.iter().map(|f| field(f.as_ref())).collect::<Vec<_>>().join(",");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"yes\""), "\"say \"\"yes\"\"\"");
        assert_eq!(line(&["सुनीता", "2, 3"]), "सुनीता,\"2, 3\"\n");
    }
}
