//! A search key that lets a name typed in Latin script find the same name written in Devanagari,
//! and the other way round ("Sunita" finds "सुनीता", "लक्ष्मी" finds "Laxmi").
//!
//! Devanagari is first romanised letter by letter; then both scripts go through the same
//! folding, which forgets what Hindi speakers spell in many ways: vowel length (aa/a, ee/i),
//! the vowel "a" altogether (so the unwritten schwa of "Ram"/"राम" or "Bharti"/"भारती" does not
//! matter), w/v, sh/s, ph/f, x/ks, z/j, q/k and doubled letters. The key is only for matching:
//! it over-matches a little on purpose, because a facilitator would rather scan three extra rows
//! than miss the household she is looking for.

/// The search key of a name or of a query; keys are compared with substring search.
pub fn name_key(text: &str) -> String {
    let latin = romanise(text);
    fold(&latin)
}

/// Letter-by-letter romanisation of Devanagari; any other character passes through lowercased.
fn romanise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    // True right after a consonant whose inherent vowel has not yet been written or cancelled.
    let mut pending_a = false;
    for c in text.chars() {
        if let Some(cons) = consonant(c) {
            if pending_a {
                out.push('a');
            }
            out.push_str(cons);
            pending_a = true;
        } else if c == '\u{093C}' {
            // Nukta: फ़ is "f"; the other dotted letters are close enough to their plain ones.
            if out.ends_with("ph") {
                out.truncate(out.len() - 2);
                out.push('f');
            }
        } else if c == '\u{094D}' {
            // Virama cancels the inherent vowel.
            pending_a = false;
        } else if let Some(v) = vowel_sign(c) {
            pending_a = false;
            out.push_str(v);
        } else if let Some(v) = independent_vowel(c) {
            if pending_a {
                out.push('a');
            }
            pending_a = false;
            out.push_str(v);
        } else if matches!(c, '\u{0901}' | '\u{0902}') {
            // Chandrabindu and anusvara sound as a nasal after the vowel.
            if pending_a {
                out.push('a');
            }
            pending_a = false;
            out.push('n');
        } else if c == '\u{0903}' {
            if pending_a {
                out.push('a');
            }
            pending_a = false;
            out.push('h');
        } else {
            // Hindi drops the inherent vowel at the end of a word, so a word boundary drops it.
            pending_a = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn consonant(c: char) -> Option<&'static str> {
    Some(match c {
        'क' => "k",
        'ख' => "kh",
        'ग' => "g",
        'घ' => "gh",
        'ङ' => "n",
        'च' => "ch",
        'छ' => "chh",
        'ज' => "j",
        'झ' => "jh",
        'ञ' => "n",
        'ट' => "t",
        'ठ' => "th",
        'ड' => "d",
        'ढ' => "dh",
        'ण' => "n",
        'त' => "t",
        'थ' => "th",
        'द' => "d",
        'ध' => "dh",
        'न' => "n",
        'प' => "p",
        'फ' => "ph",
        'ब' => "b",
        'भ' => "bh",
        'म' => "m",
        'य' => "y",
        'र' => "r",
        'ल' => "l",
        'ळ' => "l",
        'व' => "v",
        'श' => "sh",
        'ष' => "sh",
        'स' => "s",
        'ह' => "h",
        // Precomposed nukta letters.
        '\u{0958}' => "k",
        '\u{0959}' => "kh",
        '\u{095A}' => "g",
        '\u{095B}' => "j",
        '\u{095C}' => "d",
        '\u{095D}' => "dh",
        '\u{095E}' => "f",
        '\u{095F}' => "y",
        _ => return None,
    })
}

fn vowel_sign(c: char) -> Option<&'static str> {
    Some(match c {
        'ा' => "aa",
        'ि' => "i",
        'ी' => "ii",
        'ु' => "u",
        'ू' => "uu",
        'ृ' => "ri",
        'े' => "e",
        'ै' => "ai",
        'ो' => "o",
        'ौ' => "au",
        'ॅ' => "e",
        'ॉ' => "o",
        _ => return None,
    })
}

fn independent_vowel(c: char) -> Option<&'static str> {
    Some(match c {
        'अ' => "a",
        'आ' => "aa",
        'इ' => "i",
        'ई' => "ii",
        'उ' => "u",
        'ऊ' => "uu",
        'ऋ' => "ri",
        'ए' => "e",
        'ऐ' => "ai",
        'ओ' => "o",
        'औ' => "au",
        'ऑ' => "o",
        _ => return None,
    })
}

/// Folds romanised or typed Latin text onto one spelling per sound group.
fn fold(latin: &str) -> String {
    let lower: String = latin
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_lowercase();
            c.is_ascii_alphanumeric().then_some(c)
        })
        .collect();
    let mut s = lower;
    // Order matters: longer spellings first, so "chh" is not half-rewritten by "ch".
    for (from, to) in [
        ("chh", "ch"),
        ("ee", "i"),
        ("oo", "u"),
        ("ii", "i"),
        ("uu", "u"),
        ("sh", "s"),
        ("ph", "f"),
        ("x", "ks"),
        ("w", "v"),
        ("z", "j"),
        ("q", "k"),
        ("a", ""),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn latin_and_devanagari_spellings_of_a_name_share_a_key() {
        let same = [
            ("Sunita", "सुनीता"),
            ("Sita Devi", "सीता देवी"),
            ("Ram", "राम"),
            ("Rama", "राम"),
            ("Bharti", "भारती"),
            ("Laxmi", "लक्ष्मी"),
            ("Lakshmi", "लक्ष्मी"),
            ("Sangeeta", "संगीता"),
            ("Rameshwar", "रामेश्वर"),
            ("Pappu", "पप्पू"),
            ("Geeta Kumari", "गीता कुमारी"),
            ("Phoolmati", "फूलमती"),
            ("Manju Paswan", "मंजू पासवान"),
            ("Chhotu", "छोटू"),
        ];
        for (latin, deva) in same {
            assert_eq!(name_key(latin), name_key(deva), "{latin} vs {deva}");
        }
    }

    #[test]
    fn different_names_keep_different_keys() {
        let different = [("Sunita", "Sarita"), ("Ram", "Shyam"), ("गीता", "सीता"), ("Manju", "Anju")];
        for (a, b) in different {
            assert_ne!(name_key(a), name_key(b), "{a} vs {b}");
        }
    }

    #[test]
    fn a_partial_query_is_a_substring_of_the_full_key() {
        assert!(name_key("सुनीता देवी").contains(&name_key("sunit")));
        assert!(name_key("Sunita Devi").contains(&name_key("देवी")));
    }
}
