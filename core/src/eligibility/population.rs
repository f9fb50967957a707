//! The whole store as columns for the bulk path ([`samanvaya_rules::bulk`]): one pass over the
//! persons and one over the facts, both in household order, with no per-person allocation.

use std::collections::HashMap;

use rusqlite::Connection;
use samanvaya_domain::{Relation, Sex};
use samanvaya_rules::Catalogue;
use samanvaya_rules::bulk::{Column, Population};
use samanvaya_rules::facts::days_from_date;
use samanvaya_rules::vocabulary::{FactType, Scope};

use crate::error::StoreError;

/// How a stored fact name lands in a column: its scope, slot and type.
struct Target<'a> {
    scope: Scope,
    slot: usize,
    ty: &'a FactType,
}

/// Reads a stored JSON value without a JSON parser: the values are small and of known type.
fn decode(ty: &FactType, text: &str) -> Option<i64> {
    let unquote = |t: &str| t.strip_prefix('"').and_then(|t| t.strip_suffix('"')).map(str::to_owned);
    match ty {
        FactType::Bool => match text {
            "true" => Some(1),
            "false" => Some(0),
            _ => None,
        },
        FactType::Int | FactType::Money => text.parse().ok(),
        FactType::Decimal => text.parse::<f64>().ok().map(|f| (f * 1000.0).round() as i64),
        FactType::Date => unquote(text)?.parse().ok().map(days_from_date),
        FactType::Enum(values) => {
            let v = unquote(text)?;
            values.iter().position(|x| *x == v).map(|i| i as i64)
        }
        FactType::Set(values) => {
            let inner = text.strip_prefix('[')?.strip_suffix(']')?;
            let mut mask = 0i64;
            for item in inner.split(',').filter(|s| !s.trim().is_empty()) {
                let v = unquote(item.trim())?;
                mask |= 1 << values.iter().position(|x| *x == v)?;
            }
            Some(mask)
        }
    }
}

/// Every household and person of the store, as columns of the catalogue's vocabulary.
pub fn population(conn: &Connection, cat: &Catalogue) -> Result<Population, StoreError> {
    let vocab = &cat.vocab;
    let persons: usize = conn.query_row("SELECT count(*) FROM person", [], |r| r.get::<_, i64>(0))? as usize;
    let households: usize =
        conn.query_row("SELECT count(*) FROM household", [], |r| r.get::<_, i64>(0))? as usize;
    let mut pop = Population {
        household_of: Vec::with_capacity(persons),
        person_start: Vec::with_capacity(households + 1),
        person: (0..vocab.width(Scope::Person)).map(|_| Column::unknown(persons)).collect(),
        household: (0..vocab.width(Scope::Household)).map(|_| Column::unknown(households)).collect(),
        receiving: HashMap::new(),
    };
    let slot = |name: &str| vocab.id(name).map(|id| vocab.get(id).slot);
    let (dob, sex, relation) =
        (slot(super::DATE_OF_BIRTH), slot("person.sex"), slot("person.relation_to_head"));
    let (state_slot, rural_slot) = (slot("household.state"), slot("household.rural_urban"));

    // Subject ids to their row, household by household: a household id maps to its index.
    let mut index: HashMap<String, (Scope, usize)> = HashMap::with_capacity(persons + households);
    let mut stmt = conn.prepare(
        "SELECT p.household_id, h.village_id, p.id, p.birth_date, p.sex, p.relation
         FROM person p JOIN household h ON h.id = p.household_id
         ORDER BY p.household_id, p.position",
    )?;
    // The state of each village, looked up once per village.
    let mut states: HashMap<String, Option<i64>> = HashMap::new();
    let code = |name: &str, value: &str| {
        let id = vocab.id(name)?;
        decode(&vocab.get(id).ty, &format!("\"{value}\""))
    };
    let mut rows = stmt.query([])?;
    let mut last: Option<String> = None;
    let mut p = 0usize;
    while let Some(r) = rows.next()? {
        let hid: String = r.get(0)?;
        if last.as_deref() != Some(hid.as_str()) {
            let h = pop.person_start.len();
            pop.person_start.push(p as u32);
            let village: String = r.get(1)?;
            let state = match states.get(&village) {
                Some(s) => *s,
                None => {
                    let id =
                        village.parse().map_err(|_| StoreError::Corrupt(format!("village id {village}")))?;
                    let s = code("household.state", super::load::state_of(conn, id)?);
                    states.insert(village, s);
                    s
                }
            };
            if let Some(slot) = state_slot {
                pop.household[slot].put(h, state);
            }
            if let Some(slot) = rural_slot {
                pop.household[slot].put(h, code("household.rural_urban", super::load::RURAL));
            }
            index.insert(hid.clone(), (Scope::Household, h));
            last = Some(hid);
        }
        pop.household_of.push((pop.person_start.len() - 1) as u32);
        index.insert(r.get(2)?, (Scope::Person, p));
        if let (Some(s), Some(d)) = (dob, r.get::<_, Option<chrono::NaiveDate>>(3)?) {
            pop.person[s].put(p, Some(days_from_date(d)));
        }
        if let (Some(s), Some(sex)) =
            (sex, Sex::parse(r.get_ref(4)?.as_str().map_err(rusqlite::Error::from)?))
        {
            pop.person[s].put(p, code("person.sex", super::load::sex_value(sex)));
        }
        if let (Some(s), Some(rel)) =
            (relation, Relation::parse(r.get_ref(5)?.as_str().map_err(rusqlite::Error::from)?))
        {
            pop.person[s].put(p, code("person.relation_to_head", super::load::relation_value(rel)));
        }
        p += 1;
    }
    pop.person_start.push(p as u32);

    let targets: HashMap<&str, Target<'_>> = vocab
        .facts()
        .iter()
        .filter(|d| d.derived.is_none())
        .map(|d| (d.name.as_str(), Target { scope: d.scope, slot: d.slot, ty: &d.ty }))
        .collect();
    let mut facts = conn.prepare("SELECT subject_id, name, value FROM fact")?;
    let mut rows = facts.query([])?;
    while let Some(r) = rows.next()? {
        let subject = r.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        let name = r.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        let (Some(&(scope, row)), Some(t)) = (index.get(subject), targets.get(name)) else {
            continue;
        };
        if scope != t.scope {
            continue;
        }
        let value = decode(t.ty, r.get_ref(2)?.as_str().map_err(rusqlite::Error::from)?);
        match scope {
            Scope::Person => pop.person[t.slot].put(row, value),
            Scope::Household => pop.household[t.slot].put(row, value),
        }
    }
    let mut receiving = conn.prepare("SELECT subject_id, scheme_code FROM receiving")?;
    let mut rows = receiving.query([])?;
    while let Some(r) = rows.next()? {
        let subject: String = r.get(0)?;
        let code: String = r.get(1)?;
        if let Some(&(scope, row)) = index.get(&subject) {
            let entry = pop.receiving_entry(&code, persons, households);
            match scope {
                Scope::Person => entry.0.set(row),
                Scope::Household => entry.1.set(row),
            }
        }
    }
    Ok(pop)
}
