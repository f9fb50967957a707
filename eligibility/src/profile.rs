//! The compact household profile: everything [`crate::record::entries`] lists for a household,
//! in a few hundred bytes, so that a block or district reads a whole population in one pass
//! instead of tens of millions of fact rows. The store keeps one per household; this module only
//! encodes and decodes, and the caller supplies the term table (text ↔ code).
//!
//! Encoding: a sequence of entries `who, name, kind, payload`, where `who` is one byte (0 the
//! household, k+1 member k), `name` the term code of the fact name (0 for a scheme received),
//! `kind` one byte, and the payload a varint: a zigzag number for `INT`, `MILLI` (thousandths)
//! and `DATE` (days since 1970), a term code for `WORD` and `RECEIVING`, a count then term codes
//! for `WORDS`. Words are stored as text terms, not as the vocabulary's indexes, so a profile
//! stays readable when the vocabulary gains values.

use samanvaya_rules::vocabulary::FactType;

use crate::record::{Entry, Value, Who};

pub const FALSE: u8 = 0;
pub const TRUE: u8 = 1;
pub const INT: u8 = 2;
pub const MILLI: u8 = 3;
pub const DATE: u8 = 4;
pub const WORD: u8 = 5;
pub const WORDS: u8 = 6;
pub const RECEIVING: u8 = 7;

/// The most members a profile can name: `who` is one byte and 0 is the household.
pub const MAX_MEMBERS: usize = 254;

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

/// Encodes `entries`, asking `term` for the code of each fact name, word and scheme code (the
/// store adds a text it has not seen to its term table). Members past [`MAX_MEMBERS`] are left
/// out, which the household form's own limit keeps from happening.
pub fn encode<E>(entries: &[Entry], mut term: impl FnMut(&str) -> Result<u64, E>) -> Result<Vec<u8>, E> {
    let mut buf = Vec::with_capacity(16 * entries.len());
    let who_byte = |who: Who| match who {
        Who::Household => Some(0u8),
        Who::Member(i) if i < MAX_MEMBERS => Some(i as u8 + 1),
        Who::Member(_) => None,
    };
    for e in entries {
        match e {
            Entry::Fact { who, name, value } => {
                let Some(who) = who_byte(*who) else { continue };
                buf.push(who);
                put_varint(&mut buf, term(name)?);
                match value {
                    Value::Bool(b) => buf.push(if *b { TRUE } else { FALSE }),
                    Value::Int(v) | Value::Milli(v) | Value::Date(v) => {
                        buf.push(match value {
                            Value::Int(_) => INT,
                            Value::Milli(_) => MILLI,
                            _ => DATE,
                        });
                        put_varint(&mut buf, zigzag(*v));
                    }
                    Value::Word(w) => {
                        buf.push(WORD);
                        put_varint(&mut buf, term(w)?);
                    }
                    Value::Words(ws) => {
                        buf.push(WORDS);
                        put_varint(&mut buf, ws.len() as u64);
                        for w in ws {
                            put_varint(&mut buf, term(w)?);
                        }
                    }
                }
            }
            Entry::Receiving { who, scheme } => {
                let Some(who) = who_byte(*who) else { continue };
                buf.push(who);
                put_varint(&mut buf, 0);
                buf.push(RECEIVING);
                put_varint(&mut buf, term(scheme)?);
            }
        }
    }
    Ok(buf)
}

/// A number-kind entry's value as the vocabulary type `ty` reads it, or `None` when the stored
/// shape does not fit the type (an older catalogue wrote it): such a value stays unknown.
pub fn typed(kind: u8, number: i64, ty: &FactType) -> Option<i64> {
    match (kind, ty) {
        (FALSE, FactType::Bool) => Some(0),
        (TRUE, FactType::Bool) => Some(1),
        (INT, FactType::Int | FactType::Money) => Some(number),
        (INT, FactType::Decimal) => Some(number * 1000),
        (MILLI, FactType::Decimal) => Some(number),
        (MILLI, FactType::Int | FactType::Money) => Some(number / 1000),
        (DATE, FactType::Date) => Some(number),
        _ => None,
    }
}

/// An entry value as the vocabulary type `ty` reads it (words by their index among the fact's
/// values, a set as a bit mask), or `None` when it does not fit.
pub fn value_for(value: &Value, ty: &FactType) -> Option<i64> {
    match (value, ty) {
        (Value::Bool(b), _) => typed(if *b { TRUE } else { FALSE }, 0, ty),
        (Value::Int(v), _) => typed(INT, *v, ty),
        (Value::Milli(v), _) => typed(MILLI, *v, ty),
        (Value::Date(v), _) => typed(DATE, *v, ty),
        (Value::Word(w), FactType::Enum(values)) => values.iter().position(|v| v == w).map(|i| i as i64),
        (Value::Words(ws), FactType::Set(values)) => {
            Some(ws.iter().filter_map(|w| values.iter().position(|v| v == w)).fold(0i64, |m, i| m | (1 << i)))
        }
        _ => None,
    }
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
