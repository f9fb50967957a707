//! One household's entries as the engine's rows, for the per-household explaining path.

use samanvaya_domain::Household;
use samanvaya_rules::{Catalogue, HouseholdFacts, Scope};

use crate::profile::value_for;
use crate::record::{Entry, Who};

/// The engine's rows for `h` from its [`crate::record::entries`]. A fact the vocabulary no
/// longer has, or whose stored shape no longer fits its type, is kept in the store but not read.
pub fn facts(cat: &Catalogue, h: &Household, entries: &[Entry]) -> HouseholdFacts {
    let mut out = HouseholdFacts::unknown(&cat.vocab, h.members.len());
    for (m, p) in out.members.iter_mut().zip(&h.members) {
        m.id = p.id.to_string();
        m.name = p.name.clone();
    }
    for e in entries {
        match e {
            Entry::Fact { who, name, value } => {
                let Some(id) = cat.vocab.id(name) else { continue };
                let def = cat.vocab.get(id);
                let row = match (who, def.scope) {
                    _ if def.derived.is_some() => continue,
                    (Who::Household, Scope::Household) => &mut out.values,
                    (Who::Member(i), Scope::Person) => &mut out.members[*i].values,
                    _ => continue,
                };
                row[def.slot] = value_for(value, &def.ty);
            }
            Entry::Receiving { who: Who::Household, scheme } => out.receiving.push(scheme.clone()),
            Entry::Receiving { who: Who::Member(i), scheme } => {
                out.members[*i].receiving.push(scheme.clone())
            }
        }
    }
    out
}
