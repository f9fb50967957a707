//! The `term` and `profile` tables: each household's current facts in a few hundred bytes, so
//! that a block or district reads a whole population in one pass instead of tens of millions of
//! fact rows. `profile` is derived: `refresh` rewrites a household's profile from its person
//! record and its `fact` and `receiving` rows, in the caller's transaction, after every change.
//!
//! Encoding of `doc`: a sequence of entries `who, name, kind, payload`, where `who` is one byte
//! (0 the household, k+1 member k), `name` the term code of the fact name (0 for a scheme
//! received), `kind` one byte, and the payload a varint: a zigzag number for `INT`, `MILLI`
//! (thousandths) and `DATE` (days since 1970), a term code for `WORD` and `RECEIVING`, a count
//! then term codes for `WORDS`. Words are stored as text terms, not as the vocabulary's indexes,
//! so a profile stays readable when the vocabulary gains values.

use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::Household;
use samanvaya_rules::facts::days_from_date;

use crate::fact;

pub const FALSE: u8 = 0;
pub const TRUE: u8 = 1;
pub const INT: u8 = 2;
pub const MILLI: u8 = 3;
pub const DATE: u8 = 4;
pub const WORD: u8 = 5;
pub const WORDS: u8 = 6;
pub const RECEIVING: u8 = 7;

/// The code of `text` in the term table, adding it when new.
fn term(conn: &Connection, text: &str) -> rusqlite::Result<u64> {
    if let Some(code) = conn
        .prepare_cached("SELECT code FROM term WHERE text = ?1")?
        .query_row([text], |r| r.get::<_, i64>(0))
        .optional()?
    {
        return Ok(code as u64);
    }
    conn.prepare_cached("INSERT INTO term (text) VALUES (?1)")?.execute([text])?;
    Ok(conn.last_insert_rowid() as u64)
}

pub fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

pub fn get_varint(doc: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *doc.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

pub fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

struct Doc<'c> {
    conn: &'c Connection,
    buf: Vec<u8>,
}

impl Doc<'_> {
    fn entry(&mut self, who: u8, name: &str, kind: u8) -> rusqlite::Result<()> {
        let code = if name.is_empty() { 0 } else { term(self.conn, name)? };
        self.buf.push(who);
        put_varint(&mut self.buf, code);
        self.buf.push(kind);
        Ok(())
    }

    fn number(&mut self, who: u8, name: &str, kind: u8, v: i64) -> rusqlite::Result<()> {
        self.entry(who, name, kind)?;
        put_varint(&mut self.buf, zigzag(v));
        Ok(())
    }

    fn word(&mut self, who: u8, name: &str, kind: u8, word: &str) -> rusqlite::Result<()> {
        self.entry(who, name, kind)?;
        let code = term(self.conn, word)?;
        put_varint(&mut self.buf, code);
        Ok(())
    }

    /// A stored JSON value, typed by its shape: the vocabulary decides its meaning when read.
    fn json(&mut self, who: u8, name: &str, value: &serde_json::Value) -> rusqlite::Result<()> {
        use serde_json::Value;
        match value {
            Value::Bool(b) => self.entry(who, name, if *b { TRUE } else { FALSE }),
            Value::Number(n) => match n.as_i64() {
                Some(i) => self.number(who, name, INT, i),
                None => self.number(who, name, MILLI, (n.as_f64().unwrap_or(0.0) * 1000.0).round() as i64),
            },
            Value::String(s) => match s.parse::<chrono::NaiveDate>() {
                Ok(d) => self.number(who, name, DATE, days_from_date(d)),
                Err(_) => self.word(who, name, WORD, s),
            },
            Value::Array(items) => {
                let words: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                self.entry(who, name, WORDS)?;
                put_varint(&mut self.buf, words.len() as u64);
                for w in words {
                    let code = term(self.conn, w)?;
                    put_varint(&mut self.buf, code);
                }
                Ok(())
            }
            Value::Null | Value::Object(_) => Ok(()),
        }
    }
}

/// Rewrites the profile of `h` (as just written) from its record and its stored facts.
pub fn refresh(conn: &Connection, h: &Household) -> rusqlite::Result<()> {
    let hid = h.id.to_string();
    let mut doc = Doc { conn, buf: Vec::with_capacity(512) };
    let who_of = |subject: &str| -> Option<u8> {
        if subject == hid {
            return Some(0);
        }
        h.members.iter().position(|p| p.id.to_string() == subject).map(|i| i as u8 + 1)
    };
    doc.word(0, "household.state", WORD, crate::eligibility::state_of(conn, h.village_id)?)?;
    doc.word(0, "household.rural_urban", WORD, crate::eligibility::RURAL)?;
    for (i, p) in h.members.iter().enumerate() {
        let who = i as u8 + 1;
        if let Some(b) = p.birth_date {
            doc.number(who, crate::eligibility::DATE_OF_BIRTH, DATE, days_from_date(b))?;
        }
        doc.word(who, "person.sex", WORD, crate::eligibility::sex_value(p.sex))?;
        doc.word(who, "person.relation_to_head", WORD, crate::eligibility::relation_value(p.relation))?;
    }
    for f in fact::for_household(conn, &hid)? {
        let (Some(who), Ok(value)) = (who_of(&f.subject_id), serde_json::from_str(&f.value)) else {
            continue;
        };
        doc.json(who, &f.name, &value)?;
    }
    for (subject, code) in fact::receiving_for_household(conn, &hid)? {
        if let Some(who) = who_of(&subject) {
            doc.word(who, "", RECEIVING, &code)?;
        }
    }
    conn.prepare_cached(
        "INSERT INTO profile (household_id, members, doc) VALUES (?1, ?2, ?3)
         ON CONFLICT (household_id) DO UPDATE SET members = excluded.members, doc = excluded.doc",
    )?
    .execute(params![hid, h.members.len() as i64, doc.buf])?;
    Ok(())
}

/// Writes the profiles a store opened before they existed is missing (once, on open).
pub fn backfill(conn: &mut Connection) -> Result<(), crate::StoreError> {
    let missing: Vec<String> = conn
        .prepare("SELECT id FROM household WHERE id NOT IN (SELECT household_id FROM profile)")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if missing.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for id in missing {
        let id = id.parse().map_err(|_| crate::StoreError::Corrupt(format!("household id {id}")))?;
        if let Some(h) = crate::household::get(&tx, id)? {
            refresh(&tx, &h)?;
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0i64, 1, -1, 63, -64, 127, 128, 20_415, -14_600, i64::MAX, i64::MIN] {
            let mut buf = Vec::new();
            put_varint(&mut buf, zigzag(v));
            let mut at = 0;
            assert_eq!(get_varint(&buf, &mut at).map(unzigzag), Some(v));
            assert_eq!(at, buf.len());
        }
    }
}
