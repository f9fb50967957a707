//! A text in both interface languages: the leaf every module that writes for people shares.

use serde::{Deserialize, Serialize};

/// A text in both interface languages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    pub hi: String,
}
