//! Load-time problems in the catalogue or vocabulary, with the file, line and a hint to fix them.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: usize,
    pub message: String,
    pub hint: String,
}

impl Diagnostic {
    pub fn new(file: &str, line: usize, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Diagnostic { file: file.to_owned(), line, message: message.into(), hint: hint.into() }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {} (hint: {})", self.file, self.line, self.message, self.hint)
    }
}

/// The 1-based line of byte offset `at` in `text`, for a file with one place to report; a file
/// with many uses [`Lines`].
pub fn line_of(text: &str, at: usize) -> usize {
    Lines::new(text).of(at)
}

/// Where each line of a file starts. A scheme file names a line for each of its criteria and
/// parameters, and counting newlines from the top for each made loading the catalogue quadratic
/// in a file's length; a binary search over the starts is not.
pub struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(text: &str) -> Self {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1);
        Lines { starts: std::iter::once(0).chain(newlines).collect() }
    }

    /// The 1-based line holding byte offset `at`; an offset past the end is on the last line.
    pub fn of(&self, at: usize) -> usize {
        self.starts.partition_point(|&start| start <= at)
    }
}

/// The candidate closest to a misspelt `name`, for "did you mean" hints: the smallest edit
/// distance, if it is small enough to be a typing mistake rather than another name.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates.map(|c| (edit_distance(c, name), c)).filter(|(d, _)| *d <= 3).min().map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_offset_is_on_the_line_its_newlines_before_it_say() {
        for text in ["", "\n", "a", "a\nb", "a\n\nb\n", "\n\nschemes = 1\n[[version]]\nx"] {
            let lines = Lines::new(text);
            for at in 0..=text.len() + 2 {
                let counted = text[..at.min(text.len())].matches('\n').count() + 1;
                assert_eq!(lines.of(at), counted, "offset {at} of {text:?}");
            }
        }
    }
}
