//! Sets of subjects, one bit each, 64 subjects to a word: the only shape the column-wise engine
//! combines, so that Kleene's logic over a block of subjects is a few word-wise loops.

/// A set of subjects, one bit each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    pub fn zeros(len: usize) -> Bits {
        Bits { words: vec![0; len.div_ceil(64)], len }
    }

    pub fn ones(len: usize) -> Bits {
        let mut b = Bits { words: vec![u64::MAX; len.div_ceil(64)], len };
        b.trim();
        b
    }

    /// Clears the bits past `len` in the last word, so counts and negations stay exact.
    fn trim(&mut self) {
        if !self.len.is_multiple_of(64)
            && let Some(last) = self.words.last_mut()
        {
            *last &= (1u64 << (self.len % 64)) - 1;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn set(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    pub fn get(&self, i: usize) -> bool {
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    pub fn count(&self) -> u64 {
        self.words.iter().map(|w| u64::from(w.count_ones())).sum()
    }

    /// A set from its words (bits past `len` cleared).
    pub(crate) fn from_words(words: Vec<u64>, len: usize) -> Bits {
        let mut b = Bits { words, len };
        b.trim();
        b
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Grows (with clear bits) or shrinks to `len` subjects, giving back spare capacity: a block
    /// of the population is sized exactly once it is full.
    pub(crate) fn resize(&mut self, len: usize) {
        self.words.resize(len.div_ceil(64), 0);
        self.len = len;
        self.trim();
        self.words.shrink_to_fit();
    }

    /// Sets bit `i`, growing the set first if it is shorter (a column filled as rows arrive).
    pub(crate) fn set_growing(&mut self, i: usize) {
        if i >= self.len {
            self.len = i + 1;
            // Rows arrive in order, so the words grow one at a time, every 64 subjects.
            if i / 64 >= self.words.len() {
                self.words.resize(i / 64 + 1, 0);
            }
        }
        self.set(i);
    }

    /// A new set, word by word from two sets of the same length.
    pub fn zip(&self, other: &Bits, f: impl Fn(u64, u64) -> u64) -> Bits {
        let mut b = Bits {
            words: self.words.iter().zip(&other.words).map(|(a, b)| f(*a, *b)).collect(),
            len: self.len,
        };
        b.trim();
        b
    }

    /// Everyone not in the set.
    pub fn not(&self) -> Bits {
        let mut b = Bits { words: self.words.iter().map(|w| !w).collect(), len: self.len };
        b.trim();
        b
    }

    pub fn and_assign(&mut self, other: &Bits) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= b);
    }

    pub fn or_assign(&mut self, other: &Bits) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a |= b);
    }

    pub fn and_not_assign(&mut self, other: &Bits) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= !b);
    }

    /// One bit per value, set where `test` holds. The loop over a word's 64 values has no branch
    /// and no carried state but the word itself, so the compiler turns it into vector compares.
    pub fn from_test(values: &[i64], test: impl Fn(i64) -> bool) -> Bits {
        let words = values
            .chunks(64)
            .map(|chunk| chunk.iter().enumerate().fold(0u64, |w, (j, v)| w | (u64::from(test(*v)) << j)))
            .collect();
        Bits { words, len: values.len() }
    }

    /// Heap bytes held, for the benchmark's memory account.
    pub fn bytes(&self) -> usize {
        self.words.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitsets_keep_their_tail_clear() {
        let ones = Bits::ones(70);
        assert_eq!(ones.count(), 70);
        let none = ones.zip(&Bits::zeros(70), |a, b| !a | b);
        assert_eq!(none.count(), 0);
        assert_eq!(Bits::zeros(70).zip(&Bits::zeros(70), |a, _| !a).count(), 70);
        assert_eq!(Bits::zeros(70).not().count(), 70);
    }

    #[test]
    fn a_growing_set_is_cut_to_its_length() {
        let mut b = Bits::zeros(0);
        b.set_growing(3);
        b.set_growing(130);
        assert_eq!(b.len(), 131);
        b.resize(100);
        assert_eq!((b.len(), b.count()), (100, 1));
        b.resize(200);
        assert_eq!((b.len(), b.count(), b.not().count()), (200, 1, 199));
    }
}
