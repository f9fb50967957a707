//! From the store to the engine: a household's record and recorded facts as rows of the
//! vocabulary. Facts kept on the record (birth, sex, relation, the village's state) are mapped
//! here; everything else comes from the `fact` and `receiving` tables.

use std::collections::HashMap;

use rusqlite::Connection;
use samanvaya_domain::{Household, LocationId, LocationLevel, Relation, Sex};
use samanvaya_rules::facts::{MemberFacts, days_from_date, parse_value};
use samanvaya_rules::{Catalogue, HouseholdFacts};

use crate::error::StoreError;
use crate::fact::FactRow;
use crate::{fact, household, location};

/// The vocabulary's `person.relation_to_head` value of a recorded relation.
pub(crate) fn relation_value(r: Relation) -> &'static str {
    match r {
        Relation::Head => "head",
        Relation::Spouse => "spouse",
        Relation::Son => "son",
        Relation::Daughter => "daughter",
        Relation::SonInLaw => "son_in_law",
        Relation::DaughterInLaw => "daughter_in_law",
        Relation::Grandson | Relation::Granddaughter => "grandchild",
        Relation::Father | Relation::Mother => "parent",
        Relation::FatherInLaw | Relation::MotherInLaw => "parent_in_law",
        Relation::Brother | Relation::Sister => "sibling",
        Relation::BrotherInLaw | Relation::SisterInLaw | Relation::OtherRelative => "other_relative",
        Relation::NotRelated => "non_relative",
    }
}

/// The vocabulary's `person.sex` value of a recorded sex.
pub(crate) fn sex_value(s: Sex) -> &'static str {
    match s {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "transgender",
    }
}

/// Sets `name` to the enum value `value`, when both exist in the vocabulary.
fn put(cat: &Catalogue, row: &mut [Option<i64>], name: &str, value: &serde_json::Value) {
    if let Some(id) = cat.vocab.id(name) {
        let def = cat.vocab.get(id);
        if let Ok(v) = parse_value(&def.ty, value) {
            row[def.slot] = v;
        }
    }
}

/// The state a village lies in, as the vocabulary's `household.state` value.
pub(crate) fn state_of(conn: &Connection, village: LocationId) -> rusqlite::Result<&'static str> {
    let path = location::path(conn, village)?;
    let state = path.iter().find(|l| l.level == LocationLevel::State).map(|l| l.name_en.to_lowercase());
    Ok(match state.as_deref() {
        Some("bihar") => "bihar",
        Some("delhi") | Some("nct of delhi") => "delhi",
        _ => "other",
    })
}

/// Every place in the hierarchy today is a village; urban wards arrive with the urban centres.
pub(crate) const RURAL: &str = "rural";

/// Builds the engine's rows for a household from its record and the stored facts.
pub fn assemble(
    cat: &Catalogue,
    h: &Household,
    state: &str,
    facts: &[FactRow],
    receiving: &[(String, String)],
) -> HouseholdFacts {
    let mut out = HouseholdFacts::unknown(&cat.vocab, h.members.len());
    put(cat, &mut out.values, "household.state", &state.into());
    put(cat, &mut out.values, "household.rural_urban", &RURAL.into());
    let index: HashMap<String, usize> =
        h.members.iter().enumerate().map(|(i, p)| (p.id.to_string(), i)).collect();
    for (i, p) in h.members.iter().enumerate() {
        let m = &mut out.members[i];
        m.id = p.id.to_string();
        m.name = p.name.clone();
        if let (Some(id), Some(b)) = (cat.vocab.id(super::DATE_OF_BIRTH), p.birth_date) {
            m.values[cat.vocab.get(id).slot] = Some(days_from_date(b));
        }
        put(cat, &mut m.values, "person.sex", &sex_value(p.sex).into());
        put(cat, &mut m.values, "person.relation_to_head", &relation_value(p.relation).into());
    }
    let hid = h.id.to_string();
    for f in facts {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&f.value) else {
            continue;
        };
        let row: &mut [Option<i64>] = if f.subject_id == hid {
            &mut out.values
        } else if let Some(i) = index.get(&f.subject_id) {
            &mut out.members[*i].values
        } else {
            continue;
        };
        // A fact the vocabulary no longer has (an older catalogue wrote it) is kept but not read.
        put(cat, row, &f.name, &value);
    }
    for (subject, code) in receiving {
        if *subject == hid {
            out.receiving.push(code.clone());
        } else if let Some(i) = index.get(subject) {
            let m: &mut MemberFacts = &mut out.members[*i];
            m.receiving.push(code.clone());
        }
    }
    out
}

pub fn household_facts(
    conn: &Connection,
    cat: &Catalogue,
    h: &Household,
) -> Result<HouseholdFacts, StoreError> {
    let hid = h.id.to_string();
    let facts = fact::for_household(conn, &hid)?;
    let receiving = fact::receiving_for_household(conn, &hid)?;
    Ok(assemble(cat, h, state_of(conn, h.village_id)?, &facts, &receiving))
}

/// Every household of the store with its facts, calling `progress(done, total)` as it goes.
pub fn village_facts(
    conn: &Connection,
    cat: &Catalogue,
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<HouseholdFacts>, StoreError> {
    let mut ids = conn.prepare("SELECT id FROM household ORDER BY number, id")?;
    let ids: Vec<String> = ids.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut facts: HashMap<String, Vec<FactRow>> = HashMap::new();
    for (hid, row) in fact::all(conn)? {
        facts.entry(hid).or_default().push(row);
    }
    let mut receiving: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (hid, subject, code) in fact::all_receiving(conn)? {
        receiving.entry(hid).or_default().push((subject, code));
    }
    let mut states: HashMap<String, &'static str> = HashMap::new();
    let mut out = Vec::with_capacity(ids.len());
    for (done, id) in ids.iter().enumerate() {
        let h =
            household::get(conn, id.parse().map_err(|_| StoreError::Corrupt(format!("household id {id}")))?)?
                .ok_or_else(|| StoreError::Corrupt(format!("household {id} vanished")))?;
        let state = match states.get(&h.village_id.to_string()) {
            Some(s) => *s,
            None => {
                let s = state_of(conn, h.village_id)?;
                states.insert(h.village_id.to_string(), s);
                s
            }
        };
        out.push(assemble(
            cat,
            &h,
            state,
            facts.get(id).map_or(&[][..], Vec::as_slice),
            receiving.get(id).map_or(&[][..], Vec::as_slice),
        ));
        progress(done + 1, ids.len());
    }
    Ok(out)
}
