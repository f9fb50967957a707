//! Household profiles read into columns for the bulk engine ([`samanvaya_rules::bulk`]): one pass
//! over the profiles, never over fact rows, with no per-person allocation. Words and fact names
//! arrive as term codes, translated through tables built once.

use samanvaya_rules::Catalogue;
use samanvaya_rules::bulk::{Builder, Population};
use samanvaya_rules::vocabulary::{FactType, Scope};

use crate::profile::{self, get_varint, unzigzag};

/// A profile that ends in the middle of an entry: the stored copy is damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("household profile {0} is cut short")]
pub struct CutShort(pub usize);

/// Where a fact name's values land: its scope, slot, type and id.
struct Target<'a> {
    scope: Scope,
    slot: usize,
    ty: &'a FactType,
    fact: usize,
}

/// Builds a [`Population`] from profiles added one household at a time.
pub struct PopulationReader<'c> {
    terms: Vec<String>,
    targets: Vec<Option<Target<'c>>>,
    /// For each enum or set fact, each term's index among the fact's values (-1 when not one).
    words: Vec<Vec<i64>>,
    pop: Builder,
    households: usize,
}

impl<'c> PopulationReader<'c> {
    /// A reader for `households` households with `persons` persons in all, whose profiles use
    /// the term table `terms` (index = code; code 0 is unused). The counts are not needed any
    /// more (columns grow as facts arrive) and are kept for the callers' sake.
    pub fn new(cat: &'c Catalogue, terms: Vec<String>, households: usize, persons: usize) -> Self {
        let _ = (households, persons);
        let vocab = &cat.vocab;
        let targets = terms
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
        let words = vocab
            .facts()
            .iter()
            .map(|def| match &def.ty {
                FactType::Enum(values) | FactType::Set(values) => terms
                    .iter()
                    .map(|t| values.iter().position(|v| v == t).map_or(-1, |i| i as i64))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let pop = Population::build(vocab);
        PopulationReader { terms, targets, words, pop, households: 0 }
    }

    /// Adds the next household: its member count and its profile.
    pub fn add(&mut self, members: usize, doc: &[u8]) -> Result<(), CutShort> {
        let pop = &mut self.pop;
        let h = self.households;
        self.households += 1;
        pop.household(members);
        let corrupt = || CutShort(h);
        let mut at = 0;
        while at < doc.len() {
            let who = doc[at] as usize;
            at += 1;
            let name = get_varint(doc, &mut at).ok_or_else(corrupt)? as usize;
            let kind = *doc.get(at).ok_or_else(corrupt)?;
            at += 1;
            let (scope, member) =
                if who == 0 { (Scope::Household, None) } else { (Scope::Person, Some(who - 1)) };
            let target = self.targets.get(name).and_then(Option::as_ref);
            // Read the payload first, so that an entry the vocabulary does not know is skipped whole.
            let (number, mask) = match kind {
                profile::FALSE | profile::TRUE => (0, 0),
                profile::WORDS => {
                    let n = get_varint(doc, &mut at).ok_or_else(corrupt)?;
                    let mut mask = 0i64;
                    for _ in 0..n {
                        let w = get_varint(doc, &mut at).ok_or_else(corrupt)? as usize;
                        if let Some(t) = target
                            && let Some(&i) = self.words[t.fact].get(w)
                            && i >= 0
                        {
                            mask |= 1 << i;
                        }
                    }
                    (0, mask)
                }
                _ => (get_varint(doc, &mut at).ok_or_else(corrupt)?, 0),
            };
            if kind == profile::RECEIVING {
                let code = self.terms.get(number as usize).ok_or_else(corrupt)?;
                pop.receiving(code, member);
                continue;
            }
            let Some(t) = target else { continue };
            if t.scope != scope {
                continue;
            }
            let value = match (kind, t.ty) {
                (profile::WORD, FactType::Enum(_)) => {
                    self.words[t.fact].get(number as usize).copied().filter(|i| *i >= 0)
                }
                (profile::WORDS, FactType::Set(_)) => Some(mask),
                (profile::WORD | profile::WORDS, _) => None,
                (profile::FALSE | profile::TRUE, _) => profile::typed(kind, 0, t.ty),
                _ => profile::typed(kind, unzigzag(number), t.ty),
            };
            match member {
                Some(m) => pop.member_fact(m, t.slot, value),
                None => pop.household_fact(t.slot, value),
            }
        }
        Ok(())
    }

    /// The population, once every household has been added.
    pub fn finish(self) -> Population {
        self.pop.finish()
    }
}
