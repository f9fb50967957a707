//! The four decisions the engine makes about a scheme for a subject.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Eligible,
    NotEligible,
    Undetermined,
    AlreadyReceiving,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "eligible" => Some(Outcome::Eligible),
            "not_eligible" => Some(Outcome::NotEligible),
            "undetermined" => Some(Outcome::Undetermined),
            "already_receiving" => Some(Outcome::AlreadyReceiving),
            _ => None,
        }
    }
}
