//! The eligibility engine: decides, for a person or household and a scheme, whether they qualify.
//!
//! This crate is pure: no IO, no clock, no SQLite. The evaluation date is always a parameter.
//! It starts with the three-valued logic every rule is built on; the scheme catalogue and the
//! evaluator arrive with the eligibility issue and are built on [`Truth`].

pub mod truth;

pub use truth::Truth;
