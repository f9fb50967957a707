//! The vocabulary that the village laptop and the block and district servers must agree on.
//!
//! Everything here is pure: no IO, no clock, no randomness. Functions that depend on the date take
//! it as a parameter, and new ids are made by the caller, so every rule here is testable as data.

pub mod aadhaar;
pub mod audit;
pub mod change;
pub mod clock;
pub mod consent;
pub mod household;
pub mod ids;
pub mod location;
pub mod name_key;
pub mod person;
pub mod referral;
pub mod restore;

pub use clock::{Hlc, Moment};
pub use household::{
    Consent, ConsentInput, FieldError, Household, HouseholdInput, HouseholdSummary, ValidationError,
};
pub use ids::{HouseholdId, LocationId, PersonId};
pub use location::{Location, LocationLevel};
pub use person::{Birth, Departure, LeftReason, Person, PersonInput, Relation, Sex};
