//! Kleene's strong three-valued logic: a fact may be known true, known false, or unknown.
//!
//! An unknown fact is never treated as false or zero (the flaw of engines that default missing
//! inputs), yet a known fact still decides whenever it can: `False AND Unknown` is `False`,
//! so a 30-year-old is not eligible for an old-age pension whatever her unknown income.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    False,
    Unknown,
    True,
}

impl Truth {
    pub fn and(self, other: Truth) -> Truth {
        // Ordered False < Unknown < True, conjunction is the minimum.
        self.min_by_rank(other)
    }

    pub fn or(self, other: Truth) -> Truth {
        if self.rank() >= other.rank() { self } else { other }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Truth {
        match self {
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
            Truth::True => Truth::False,
        }
    }

    /// All of `values` hold; `True` for none, as in logic.
    pub fn all(values: impl IntoIterator<Item = Truth>) -> Truth {
        values.into_iter().fold(Truth::True, Truth::and)
    }

    /// Any of `values` holds; `False` for none.
    pub fn any(values: impl IntoIterator<Item = Truth>) -> Truth {
        values.into_iter().fold(Truth::False, Truth::or)
    }

    fn rank(self) -> u8 {
        match self {
            Truth::False => 0,
            Truth::Unknown => 1,
            Truth::True => 2,
        }
    }

    fn min_by_rank(self, other: Truth) -> Truth {
        if self.rank() <= other.rank() { self } else { other }
    }
}

impl From<bool> for Truth {
    fn from(b: bool) -> Truth {
        if b { Truth::True } else { Truth::False }
    }
}

impl From<Option<bool>> for Truth {
    fn from(b: Option<bool>) -> Truth {
        b.map_or(Truth::Unknown, Truth::from)
    }
}

#[cfg(test)]
mod tests {
    use super::Truth::{self, False as F, True as T, Unknown as U};

    #[test]
    fn kleene_truth_tables() {
        // (a, b, a AND b, a OR b)
        let table = [(T, T, T, T), (T, U, U, T), (T, F, F, T), (U, U, U, U), (U, F, F, U), (F, F, F, F)];
        for (a, b, and, or) in table {
            assert_eq!(a.and(b), and, "{a:?} and {b:?}");
            assert_eq!(b.and(a), and, "{b:?} and {a:?}");
            assert_eq!(a.or(b), or, "{a:?} or {b:?}");
            assert_eq!(b.or(a), or, "{b:?} or {a:?}");
        }
        assert_eq!([T, F, U].map(Truth::not), [F, T, U]);
    }

    #[test]
    fn a_known_false_decides_despite_unknowns() {
        assert_eq!(Truth::all([U, F, U]), F);
        assert_eq!(Truth::any([U, T, U]), T);
        assert_eq!(Truth::all([T, U]), U);
        assert_eq!(Truth::all([]), T);
        assert_eq!(Truth::any([]), F);
        assert_eq!(Truth::from(None), U);
    }
}
