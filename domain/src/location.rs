//! The location hierarchy: state → district → block → gram panchayat → village → hamlet.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::LocationId;

/// A level of the hierarchy, from the widest to the narrowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LocationLevel {
    State,
    District,
    Block,
    GramPanchayat,
    Village,
    Hamlet,
}

impl LocationLevel {
    pub const ALL: [LocationLevel; 6] =
        [Self::State, Self::District, Self::Block, Self::GramPanchayat, Self::Village, Self::Hamlet];

    /// The name stored in the database and sent over the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::District => "district",
            Self::Block => "block",
            Self::GramPanchayat => "gram_panchayat",
            Self::Village => "village",
            Self::Hamlet => "hamlet",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The level a parent of this level must have; `None` for a state, which has no parent.
    pub fn parent(self) -> Option<Self> {
        let i = Self::ALL.iter().position(|l| *l == self)?;
        i.checked_sub(1).map(|p| Self::ALL[p])
    }
}

/// One place, named in English and Hindi.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Location {
    pub id: LocationId,
    pub level: LocationLevel,
    pub parent_id: Option<LocationId>,
    /// The Local Government Directory code, when known.
    pub lgd_code: Option<String>,
    pub name_en: String,
    pub name_hi: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_level_round_trips_and_has_the_level_above_as_parent() {
        assert_eq!(LocationLevel::State.parent(), None);
        for pair in LocationLevel::ALL.windows(2) {
            assert_eq!(pair[1].parent(), Some(pair[0]));
        }
        for level in LocationLevel::ALL {
            assert_eq!(LocationLevel::parse(level.as_str()), Some(level));
        }
        assert_eq!(LocationLevel::parse("tehsil"), None);
    }
}
