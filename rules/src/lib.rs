//! The eligibility engine: decides, for a household and each member, every scheme of the
//! catalogue, as `eligible`, `not_eligible`, `undetermined` (naming the facts that would decide)
//! or `already_receiving`; explains each decision criterion by criterion; and ranks the questions
//! that would settle the most undetermined decisions.
//!
//! This crate is pure: no IO, no clock, no SQLite. The evaluation date is always a parameter, and
//! the catalogue and vocabulary arrive as text from the caller (the `schema` crate embeds them).

pub mod assess;
pub mod bounds;
pub mod bulk;
pub mod case;
pub mod cases;
pub mod catalogue;
pub mod compile;
pub mod diagnostic;
pub mod eval;
pub mod expr;
pub mod facts;
pub mod group;
pub mod outcome;
pub mod synthetic;
pub mod text;
pub mod toml_values;
pub mod truth;
pub mod vocabulary;
pub mod vulnerability;
pub mod words;

pub use assess::{
    Check, CheckValue, Finding, Missing, Outcome, Question, ask_next, assess, assess_bounded, explain,
};
pub use catalogue::{Catalogue, Scheme, Text};
pub use diagnostic::Diagnostic;
pub use facts::HouseholdFacts;
pub use truth::Truth;
pub use vocabulary::{FactId, Scope, Vocabulary};

/// Loads the vocabulary, the catalogue and its exclusive groups from their files' texts, as
/// `(path, text)` pairs.
pub fn load(
    fact_files: &[(&str, &str)],
    scheme_files: &[(&str, &str)],
    group_files: &[(&str, &str)],
) -> Result<Catalogue, Vec<Diagnostic>> {
    let vocab = Vocabulary::load(fact_files)?;
    let mut cat = catalogue::load(vocab, scheme_files)?;
    cat.bounds = bounds::compile(&cat.vocab)?;
    cat.groups = group::load(&cat.schemes, group_files)?;
    for (g, group) in cat.groups.iter().enumerate() {
        for &i in &group.members {
            cat.schemes[i].group = Some(g);
        }
    }
    Ok(cat)
}
