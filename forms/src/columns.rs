//! What each header of the survey and choices sheets means: a column the engine reads, a
//! translation of one (`label::Hindi (hi)`), or a column it ignores and says so.

use samanvaya_rules::diagnostic::closest;

/// A language of a translated column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Hi,
    /// A language the app does not show (its texts are kept out).
    Other(String),
}

impl Lang {
    /// Reads `English (en)`, `Hindi (hi)`, `hi`, `हिंदी` and the like: a code in brackets wins,
    /// then the language's name.
    pub fn parse(s: &str) -> Lang {
        let s = s.trim();
        let code = match (s.rfind('('), s.rfind(')')) {
            (Some(a), Some(b)) if a < b => s[a + 1..b].trim().to_lowercase(),
            _ => s.to_lowercase(),
        };
        match code.as_str() {
            "en" | "eng" | "english" => Lang::En,
            "hi" | "hin" | "hindi" | "हिंदी" | "हिन्दी" => Lang::Hi,
            _ => Lang::Other(code),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Lang::En => "English",
            Lang::Hi => "Hindi",
            Lang::Other(code) => code,
        }
    }
}

/// The columns a translation can exist for.
pub const TRANSLATED: [&str; 4] = ["label", "hint", "required_message", "constraint_message"];

/// The survey columns the engine reads.
pub const SURVEY: [&str; 16] = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "default",
    "choice_filter",
    "read_only",
    "appearance",
    "repeat_count",
    "fact",
];

/// What a header means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// A column the engine reads, untranslated (or the plain `label`, in the default language).
    Plain(&'static str),
    Translated(&'static str, Lang),
    /// Kept out, with the note for the author (`None`: kept out silently, such as Kobo's
    /// `$kuid`).
    Ignored(Option<String>),
    /// A header that looks like a misspelt column: loading it would silently drop logic.
    Misspelt(&'static str),
}

/// Classifies a header of a sheet whose known columns are `known`.
pub fn classify(header: &str, known: &'static [&'static str]) -> Column {
    let h = header.trim();
    if h.is_empty() || h.starts_with('$') || h.starts_with('_') {
        return Column::Ignored(None);
    }
    if let Some((base, lang)) = h.split_once("::") {
        let base = base.trim();
        if let Some(b) = TRANSLATED.iter().find(|t| **t == base) {
            return Column::Translated(b, Lang::parse(lang));
        }
        if base.starts_with("media") || matches!(base, "image" | "audio" | "video" | "big-image") {
            return Column::Ignored(Some(format!(
                "column '{h}' holds media, which Samanvaya does not show; it is ignored"
            )));
        }
        return Column::Ignored(Some(format!("column '{h}' is not used by Samanvaya; it is ignored")));
    }
    // pyxform accepts a space for the underscore ("list name", "constraint message").
    let normal = h.replace(' ', "_");
    if let Some(k) = known.iter().find(|k| **k == normal) {
        return Column::Plain(k);
    }
    if matches!(normal.as_str(), "image" | "audio" | "video" | "big-image") || normal.starts_with("media") {
        return Column::Ignored(Some(format!(
            "column '{h}' holds media, which Samanvaya does not show; it is ignored"
        )));
    }
    if let Some(near) = closest(&normal, known.iter().copied()).filter(|n| n.len() > 3) {
        return Column::Misspelt(near);
    }
    Column::Ignored(Some(format!("column '{h}' is not used by Samanvaya; it is ignored")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_the_way_authors_write_them() {
        assert_eq!(classify("label::English (en)", &SURVEY), Column::Translated("label", Lang::En));
        assert_eq!(classify("label::हिंदी (hi)", &SURVEY), Column::Translated("label", Lang::Hi));
        assert_eq!(classify("hint::Hindi", &SURVEY), Column::Translated("hint", Lang::Hi));
        assert_eq!(classify("constraint message", &SURVEY), Column::Plain("constraint_message"));
        assert_eq!(classify("$kuid", &SURVEY), Column::Ignored(None));
        assert_eq!(classify("relavant", &SURVEY), Column::Misspelt("relevant"));
        assert!(matches!(classify("media::image::English (en)", &SURVEY), Column::Ignored(Some(_))));
        assert!(matches!(classify("parameters", &SURVEY), Column::Ignored(Some(_))));
    }
}
