//! Dates as a person reads them in a sentence: "25 April 2018", "25 अप्रैल 2018", never the
//! ISO form a machine writes.

use chrono::{Datelike, NaiveDate};

use crate::text::Text;

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_HI: [&str; 12] =
    ["जनवरी", "फ़रवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर", "अक्टूबर", "नवंबर", "दिसंबर"];

/// `d` in words, in English and Hindi.
pub fn date(d: NaiveDate) -> Text {
    let m = d.month0() as usize;
    Text {
        en: format!("{} {} {}", d.day(), MONTHS_EN[m], d.year()),
        hi: format!("{} {} {}", d.day(), MONTHS_HI[m], d.year()),
    }
}

/// Whether `text` holds a date in the machine's ISO form (2018-04-25), which a display sentence
/// must not.
pub fn has_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    (0..b.len().saturating_sub(9)).any(|at| {
        let shape = (0..10).all(|i| if i == 4 || i == 7 { b[at + i] == b'-' } else { digit(at + i) });
        // A phone number such as 1800-11-1979 has the shape inside a longer run of digits.
        shape && (at == 0 || !digit(at - 1)) && !digit(at + 10)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_words_in_both_languages() {
        let d = NaiveDate::from_ymd_opt(2018, 4, 25).unwrap();
        assert_eq!(date(d), Text { en: "25 April 2018".into(), hi: "25 अप्रैल 2018".into() });
        assert!(has_iso_date("on or after 2018-04-25"));
        assert!(!has_iso_date("on or after 25 April 2018; Rs 1,20,000"));
        assert!(has_iso_date("2018-04-25"));
        assert!(!has_iso_date("helpline 1800-11-1979"));
    }
}
