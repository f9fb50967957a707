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

/// The 1-based line of byte offset `at` in `text`.
pub fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].bytes().filter(|b| *b == b'\n').count() + 1
}
