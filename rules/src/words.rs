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

/// An amount of rupees as a person reads it: round lakhs and crores in words ("2.5 lakh",
/// "2.5 लाख"), smaller or uneven amounts with Indian digit grouping ("72,000", "1,23,456").
/// Without the rupee sign: the sentence around it says "Rs" or "₹".
pub fn rupees(n: i64) -> Text {
    let same = |s: String| Text { en: s.clone(), hi: s };
    let in_words = |unit: i64, en: &str, hi: &str| {
        // At most three decimals, so that a round number of thousands reads exactly.
        let whole = n / unit;
        let frac = (n % unit) * 1000 / unit;
        let number = if frac == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{:03}", frac).trim_end_matches('0').to_owned()
        };
        Text { en: format!("{number} {en}"), hi: format!("{number} {hi}") }
    };
    match n {
        _ if n >= 10_000_000 && n % 10_000 == 0 => in_words(10_000_000, "crore", "करोड़"),
        _ if n >= 100_000 && n % 1_000 == 0 => in_words(100_000, "lakh", "लाख"),
        _ => same(group_digits(n)),
    }
}

/// Indian digit grouping (1,20,000), as amounts are written in scheme documents.
pub fn group_digits(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let sign = if n < 0 { "-" } else { "" };
    if s.len() <= 3 {
        return format!("{sign}{s}");
    }
    let (head, last3) = s.split_at(s.len() - 3);
    let mut groups = Vec::new();
    let mut rest = head;
    while rest.len() > 2 {
        let (a, b) = rest.split_at(rest.len() - 2);
        groups.push(b);
        rest = a;
    }
    groups.push(rest);
    groups.reverse();
    format!("{sign}{},{last3}", groups.join(","))
}

/// Whether `text` writes a round amount of a lakh or more in digits ("1,20,000", "500000"),
/// which a display sentence must say in words.
pub fn has_lakh_in_digits(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !(b[i - 1].is_ascii_digit() || b[i - 1] == b'.')) {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_digit() || (b[i] == b',' && b.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            let digits: String = text[start..i].chars().filter(char::is_ascii_digit).collect();
            // A decimal number (2.5) is not an amount in digits.
            let decimal = b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
            if let Ok(v) = digits.parse::<i64>()
                && !decimal
                && v >= 100_000
                && v % 1_000 == 0
            {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
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

    #[test]
    fn round_lakhs_and_crores_read_as_words() {
        let cases = [
            (72_000, "72,000", "72,000"),
            (100_000, "1 lakh", "1 लाख"),
            (120_000, "1.2 lakh", "1.2 लाख"),
            (250_000, "2.5 lakh", "2.5 लाख"),
            (125_000, "1.25 lakh", "1.25 लाख"),
            (123_456, "1,23,456", "1,23,456"),
            (500_000, "5 lakh", "5 लाख"),
            (10_000_000, "1 crore", "1 करोड़"),
            (25_000_000, "2.5 crore", "2.5 करोड़"),
        ];
        for (n, en, hi) in cases {
            assert_eq!(rupees(n), Text { en: en.into(), hi: hi.into() }, "{n}");
        }
        assert!(has_lakh_in_digits("income up to Rs 1,20,000 a year"));
        assert!(has_lakh_in_digits("₹500000"));
        assert!(!has_lakh_in_digits("income up to Rs 1.2 lakh; 72,000; 1,23,456; year 2019"));
        assert!(!has_lakh_in_digits("helpline 1800-11-1979"));
    }
}
