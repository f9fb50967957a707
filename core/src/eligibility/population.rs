//! The whole store as columns for the bulk path ([`samanvaya_rules::bulk`]): one pass over the
//! compact household profiles (`crate::profile`), never over the fact rows, with no per-person
//! allocation. Words and fact names arrive as term codes, translated through tables built once.

use rusqlite::Connection;
use samanvaya_rules::Catalogue;
use samanvaya_rules::bulk::Population;
use samanvaya_rules::vocabulary::{FactType, Scope};

use crate::error::StoreError;
use crate::profile::{self, get_varint, unzigzag};

/// Where a fact name's values land: its scope, slot, type and id.
struct Target<'a> {
    scope: Scope,
    slot: usize,
    ty: &'a FactType,
    fact: usize,
}

/// Every household and person of the store, as columns of the catalogue's vocabulary.
pub fn population(conn: &Connection, cat: &Catalogue) -> Result<Population, StoreError> {
    let vocab = &cat.vocab;
    let (households, persons): (i64, Option<i64>) =
        conn.query_row("SELECT count(*), sum(members) FROM profile", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (households, persons) = (households as usize, persons.unwrap_or(0) as usize);

    let mut terms: Vec<String> = vec![String::new()];
    for row in conn
        .prepare("SELECT code, text FROM term")?
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?)))?
    {
        let (code, text) = row?;
        if terms.len() <= code as usize {
            terms.resize(code as usize + 1, String::new());
        }
        terms[code as usize] = text;
    }
    let targets: Vec<Option<Target<'_>>> = terms
        .iter()
        .map(|t| {
            let id = vocab.id(t)?;
            let def = vocab.get(id);
            def.derived.is_none().then_some(Target {
                scope: def.scope,
                slot: def.slot,
                ty: &def.ty,
                fact: id.0 as usize,
            })
        })
        .collect();
    // For each enum or set fact, each term's index among the fact's values (-1 when not one).
    let words: Vec<Vec<i64>> = vocab
        .facts()
        .iter()
        .map(|def| match &def.ty {
            FactType::Enum(values) | FactType::Set(values) => {
                terms.iter().map(|t| values.iter().position(|v| v == t).map_or(-1, |i| i as i64)).collect()
            }
            _ => Vec::new(),
        })
        .collect();

    let mut pop = Population::empty(vocab, persons, households);
    let mut stmt = conn.prepare("SELECT members, doc FROM profile")?;
    let mut rows = stmt.query([])?;
    let corrupt = |h: usize| StoreError::Corrupt(format!("household profile {h} is cut short"));
    while let Some(r) = rows.next()? {
        let h = pop.person_start.len();
        let base = pop.household_of.len();
        let members: i64 = r.get(0)?;
        pop.person_start.push(base as u32);
        pop.household_of.extend(std::iter::repeat_n(h as u32, members as usize));
        let doc = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        let mut at = 0;
        while at < doc.len() {
            let who = doc[at] as usize;
            at += 1;
            let name = get_varint(doc, &mut at).ok_or_else(|| corrupt(h))? as usize;
            let kind = *doc.get(at).ok_or_else(|| corrupt(h))?;
            at += 1;
            let (scope, row) = if who == 0 { (Scope::Household, h) } else { (Scope::Person, base + who - 1) };
            // Read the payload first, so that an entry the vocabulary does not know is skipped whole.
            let (number, mask) = match kind {
                profile::FALSE => (0, 0),
                profile::TRUE => (1, 0),
                profile::WORDS => {
                    let n = get_varint(doc, &mut at).ok_or_else(|| corrupt(h))?;
                    let mut mask = 0i64;
                    for _ in 0..n {
                        let w = get_varint(doc, &mut at).ok_or_else(|| corrupt(h))? as usize;
                        if let Some(t) = targets.get(name).and_then(Option::as_ref)
                            && let Some(&i) = words[t.fact].get(w)
                            && i >= 0
                        {
                            mask |= 1 << i;
                        }
                    }
                    (0, mask)
                }
                _ => (get_varint(doc, &mut at).ok_or_else(|| corrupt(h))? as i64, 0),
            };
            if kind == profile::RECEIVING {
                let code = terms.get(number as usize).ok_or_else(|| corrupt(h))?;
                let entry = pop.receiving_entry(code, persons, households);
                match scope {
                    Scope::Person => entry.0.set(row),
                    Scope::Household => entry.1.set(row),
                }
                continue;
            }
            let Some(t) = targets.get(name).and_then(Option::as_ref) else { continue };
            if t.scope != scope {
                continue;
            }
            let value = match (kind, t.ty) {
                (profile::FALSE | profile::TRUE, FactType::Bool) => Some(number),
                (profile::INT, FactType::Int | FactType::Money) => Some(unzigzag(number as u64)),
                (profile::INT, FactType::Decimal) => Some(unzigzag(number as u64) * 1000),
                (profile::MILLI, FactType::Decimal) => Some(unzigzag(number as u64)),
                (profile::MILLI, FactType::Int | FactType::Money) => Some(unzigzag(number as u64) / 1000),
                (profile::DATE, FactType::Date) => Some(unzigzag(number as u64)),
                (profile::WORD, FactType::Enum(_)) => {
                    words[t.fact].get(number as usize).copied().filter(|i| *i >= 0)
                }
                (profile::WORDS, FactType::Set(_)) => Some(mask),
                _ => None,
            };
            match scope {
                Scope::Person => pop.person[t.slot].put(row, value),
                Scope::Household => pop.household[t.slot].put(row, value),
            }
        }
    }
    pop.person_start.push(pop.household_of.len() as u32);
    Ok(pop)
}
