//! Aadhaar numbers are never stored: the app keeps at most whether a person has one
//! (`person.has_aadhaar`). A full number typed into a free-text field (an address, a name, a
//! survey's note) would sit in the store, the backups and the sync files of the block and the
//! district, where a leaked number can be misused; so the free texts of a household (its members'
//! names, its address, from the form or an imported list) and a survey's text answers are checked
//! for one and refused with what to write instead. A referral's notes are not checked yet. A number is recognised as UIDAI issues them: twelve
//! digits (in groups of four or not, ASCII or Devanagari), the first not 0 or 1, the last a
//! Verhoeff check digit, which a phone number, a date or a household number almost never
//! passes by chance.

/// Whether `text` holds something that reads as a whole Aadhaar number.
pub fn holds_aadhaar(text: &str) -> bool {
    // Runs of digit groups, the groups parted by separators ("Ward 2 2345 6789 0124" is one run
    // of four groups).
    let mut runs: Vec<Vec<Vec<u8>>> = vec![vec![]];
    let mut group: Vec<u8> = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(d) = digit(c) {
            group.push(d);
            continue;
        }
        let run = runs.last_mut().expect("never empty");
        if !group.is_empty() {
            run.push(std::mem::take(&mut group));
        }
        // Spaces, hyphens, dashes or dots between groups, one or several, keep them together.
        let separator = |c: char| c.is_whitespace() || matches!(c, '-' | '–' | '—' | '.');
        if separator(c) && !run.is_empty() {
            while chars.peek().is_some_and(|n| separator(*n)) {
                chars.next();
            }
            if chars.peek().is_some_and(|n| digit(*n).is_some()) {
                continue;
            }
        }
        if !run.is_empty() {
            runs.push(Vec::new());
        }
    }
    if !group.is_empty() {
        runs.last_mut().expect("never empty").push(group);
    }
    // Twelve digits in one group, or in three groups of four as the card prints them; other
    // splits (a ward's number before a phone number) would be a false alarm one time in ten.
    runs.iter().any(|run| {
        run.iter().any(|g| is_aadhaar(g))
            || run.windows(3).any(|w| w.iter().all(|g| g.len() == 4) && is_aadhaar(&w.concat()))
    })
}

fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '०'..='९' => Some((c as u32 - '०' as u32) as u8),
        _ => None,
    }
}

fn is_aadhaar(digits: &[u8]) -> bool {
    digits.len() == 12 && digits[0] >= 2 && verhoeff_valid(digits)
}

/// The Verhoeff check over `digits`, its last digit the check digit.
fn verhoeff_valid(digits: &[u8]) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, d) in digits.iter().rev().enumerate() {
        c = D[c as usize][P[i % 8][*d as usize] as usize];
    }
    c == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_with_its_check_digit_is_found_however_it_is_written() {
        // 2345 6789 0124: twelve digits whose last is the Verhoeff check digit of the others
        // (a made-up number, as UIDAI's own examples are).
        for text in [
            "234567890124",
            "2345 6789 0124",
            "2345-6789-0124",
            "आधार २३४५ ६७८९ ०१२४ है",
            "Ward 4, near the school, 234567890124",
            "Ward 2 2345-6789-0124",
            "2345  6789 0124",
            "2345 – 6789 – 0124",
            "2345.6789.0124",
        ] {
            assert!(holds_aadhaar(text), "{text}");
        }
    }

    #[test]
    fn other_numbers_are_not_taken_for_one() {
        for text in [
            "234567890125",          // the wrong check digit
            "134567890124",          // no Aadhaar starts with 0 or 1
            "98765 43210",           // a mobile number
            "2345678901245",         // thirteen digits
            "23456789012",           // eleven
            "234 5678 90124",        // not as the card groups it
            "Household 115, Ward 4", // short numbers
            "",
        ] {
            assert!(!holds_aadhaar(text), "{text}");
        }
    }
}
