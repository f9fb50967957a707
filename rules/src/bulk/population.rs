//! A population held as columns, in blocks of households, with a column only for the facts the
//! data carries.
//!
//! Yes/no facts and enum and set facts are held as bitsets from the start (who is known, who
//! has each value), because the rules only ever ask "is it yes" or "is it one of these values",
//! and those questions are then one word-wise loop. Numbers keep their values. A block holds a
//! fixed number of households with their persons, so that the engine works on bitsets small
//! enough to stay in the processor's cache and can give blocks to several threads; a fact that
//! no subject of a block carries has no column in it, so a population that records a dozen facts
//! pays for a dozen, not for the whole vocabulary.

use std::collections::HashMap;

use super::bits::Bits;
use crate::facts::HouseholdFacts;
use crate::vocabulary::{FactType, Scope, Vocabulary};

/// Households per block. 16,384 households are about 65,000 persons, whose bitsets (8 KB) and
/// number columns (512 KB) stay in the second-level cache while a block is decided; a million
/// persons make 16 blocks, enough to keep two cores evenly busy.
pub const HOUSEHOLDS_PER_BLOCK: usize = 16_384;

/// How a fact's values are held, from its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Flag,
    /// One value of `n`.
    Choice(usize),
    /// Any of `n` values.
    Set(usize),
    Number,
}

impl Shape {
    fn of(ty: &FactType) -> Shape {
        match ty {
            FactType::Bool => Shape::Flag,
            FactType::Enum(v) => Shape::Choice(v.len()),
            FactType::Set(v) => Shape::Set(v.len()),
            FactType::Int | FactType::Money | FactType::Decimal | FactType::Date => Shape::Number,
        }
    }
}

/// One fact over the subjects of a block. Where a subject is not known, the other fields say
/// nothing about it.
#[derive(Debug, Clone)]
pub enum Column {
    /// A yes/no fact: who is known, and who is known to be "yes".
    Flag { known: Bits, yes: Bits },
    /// An enum (one value each) or a set (any number of values each): for each value, who has it.
    Words { known: Bits, has: Vec<Bits> },
    /// A number: its values (0 where unknown).
    Number { known: Bits, values: Vec<i64> },
}

impl Column {
    fn new(shape: Shape) -> Column {
        match shape {
            Shape::Flag => Column::Flag { known: Bits::zeros(0), yes: Bits::zeros(0) },
            Shape::Choice(n) | Shape::Set(n) => {
                Column::Words { known: Bits::zeros(0), has: (0..n).map(|_| Bits::zeros(0)).collect() }
            }
            Shape::Number => Column::Number { known: Bits::zeros(0), values: Vec::new() },
        }
    }

    pub fn known(&self) -> &Bits {
        match self {
            Column::Flag { known, .. } | Column::Words { known, .. } | Column::Number { known, .. } => known,
        }
    }

    /// Records the value `v` of subject `i`, in the row format of [`crate::facts`] (an enum as
    /// its value's index, a set as a mask of them). An enum index outside the values is known but
    /// has none of them, as a comparison with any listed value would find.
    fn put(&mut self, shape: Shape, i: usize, v: i64) {
        match self {
            Column::Flag { known, yes } => {
                known.set_growing(i);
                if v != 0 {
                    yes.set_growing(i);
                }
            }
            Column::Words { known, has } => {
                known.set_growing(i);
                match shape {
                    Shape::Set(_) => {
                        let mut rest = v as u64;
                        while rest != 0 {
                            let k = rest.trailing_zeros() as usize;
                            if let Some(bits) = has.get_mut(k) {
                                bits.set_growing(i);
                            }
                            rest &= rest - 1;
                        }
                    }
                    _ => {
                        if let Some(bits) = usize::try_from(v).ok().and_then(|v| has.get_mut(v)) {
                            bits.set_growing(i);
                        }
                    }
                }
            }
            Column::Number { known, values } => {
                known.set_growing(i);
                if values.len() <= i {
                    values.resize(i, 0);
                    values.push(v);
                } else {
                    values[i] = v;
                }
            }
        }
    }

    /// Subject `i`'s value in the row format (an enum as its value's index, -1 for a known value
    /// outside the list), or `None` when unknown.
    pub fn value(&self, shape: Shape, i: usize) -> Option<i64> {
        if !self.known().get(i) {
            return None;
        }
        Some(match self {
            Column::Flag { yes, .. } => i64::from(yes.get(i)),
            Column::Words { has, .. } => {
                let mask =
                    has.iter().enumerate().filter(|(_, b)| b.get(i)).fold(0i64, |m, (k, _)| m | 1 << k);
                match shape {
                    Shape::Set(_) => mask,
                    _ if mask == 0 => -1,
                    _ => i64::from(mask.trailing_zeros()),
                }
            }
            Column::Number { values, .. } => values[i],
        })
    }

    /// Every subject's value in the row format (0 where unknown), for the rare comparisons that
    /// need numbers: a yes/no or enum fact compared by order, or against another fact.
    pub fn values(&self, shape: Shape) -> Vec<i64> {
        let n = self.known().len();
        match self {
            Column::Number { values, .. } => values.clone(),
            Column::Flag { yes, .. } => (0..n).map(|i| i64::from(yes.get(i))).collect(),
            Column::Words { has, .. } => {
                let mut out = vec![if matches!(shape, Shape::Choice(_)) { -1 } else { 0 }; n];
                for (k, bits) in has.iter().enumerate() {
                    for (i, v) in out.iter_mut().enumerate() {
                        if bits.get(i) {
                            *v = match shape {
                                Shape::Set(_) => *v | 1 << k,
                                _ => k as i64,
                            };
                        }
                    }
                }
                out
            }
        }
    }

    /// Sizes every part to `len` subjects and gives back spare capacity.
    fn seal(&mut self, len: usize) {
        match self {
            Column::Flag { known, yes } => {
                known.resize(len);
                yes.resize(len);
            }
            Column::Words { known, has } => {
                known.resize(len);
                has.iter_mut().for_each(|b| b.resize(len));
            }
            Column::Number { known, values } => {
                known.resize(len);
                values.resize(len, 0);
                values.shrink_to_fit();
            }
        }
    }

    /// Sets the value to 0 ("no", or the first value) where `at` holds and it is unknown: the
    /// implied "no" outside a yes/no fact's bounds.
    pub(crate) fn fill_zero(&mut self, at: &Bits) {
        let newly = at.zip(self.known(), |a, k| a & !k);
        match self {
            Column::Flag { known, .. } => known.or_assign(&newly),
            Column::Words { known, has } => {
                known.or_assign(&newly);
                if let Some(first) = has.first_mut() {
                    first.or_assign(&newly);
                }
            }
            Column::Number { known, .. } => known.or_assign(&newly),
        }
    }

    /// A column of `len` subjects, none known, shaped for `shape`.
    pub(crate) fn unknown(shape: Shape, len: usize) -> Column {
        let mut c = Column::new(shape);
        c.seal(len);
        c
    }

    fn bytes(&self) -> usize {
        match self {
            Column::Flag { known, yes } => known.bytes() + yes.bytes(),
            Column::Words { known, has } => known.bytes() + has.iter().map(Bits::bytes).sum::<usize>(),
            Column::Number { known, values } => known.bytes() + values.capacity() * 8,
        }
    }
}

/// Some consecutive households with their persons, as columns.
#[derive(Debug, Clone, Default)]
pub struct Block {
    /// The household (within the block) of each person; a household's persons are contiguous.
    pub household_of: Vec<u32>,
    /// Household `h`'s persons are `person_start[h]..person_start[h + 1]`.
    pub person_start: Vec<u32>,
    /// By the vocabulary's person slots; `None` where no person of the block has the fact.
    pub person: Vec<Option<Column>>,
    pub household: Vec<Option<Column>>,
    /// For each scheme code, the persons and the households of the block already receiving it.
    pub receiving: HashMap<String, (Bits, Bits)>,
}

impl Block {
    pub fn persons(&self) -> usize {
        self.household_of.len()
    }

    pub fn households(&self) -> usize {
        self.person_start.len() - 1
    }

    pub fn column(&self, scope: Scope, slot: usize) -> Option<&Column> {
        match scope {
            Scope::Person => self.person.get(slot)?.as_ref(),
            Scope::Household => self.household.get(slot)?.as_ref(),
        }
    }

    fn bytes(&self) -> usize {
        let cols = |c: &Vec<Option<Column>>| c.iter().flatten().map(Column::bytes).sum::<usize>();
        self.household_of.capacity() * 4
            + self.person_start.capacity() * 4
            + cols(&self.person)
            + cols(&self.household)
            + self.receiving.values().map(|(p, h)| p.bytes() + h.bytes()).sum::<usize>()
    }
}

/// A population: its households in order, in blocks.
#[derive(Debug, Clone)]
pub struct Population {
    pub(crate) person_shapes: Vec<Shape>,
    pub(crate) household_shapes: Vec<Shape>,
    pub(crate) blocks: Vec<Block>,
}

impl Population {
    /// A builder of a population over `vocab`'s facts, in blocks of [`HOUSEHOLDS_PER_BLOCK`].
    pub fn build(vocab: &Vocabulary) -> Builder {
        Population::build_in_blocks(vocab, HOUSEHOLDS_PER_BLOCK)
    }

    /// As [`Population::build`], in blocks of `households_per_block` (tests use small blocks to
    /// check that the blocks are decided alike whatever their size).
    pub fn build_in_blocks(vocab: &Vocabulary, households_per_block: usize) -> Builder {
        let shapes = |scope: Scope| {
            let mut s = vec![Shape::Number; vocab.width(scope)];
            for def in vocab.facts().iter().filter(|d| d.scope == scope) {
                s[def.slot] = Shape::of(&def.ty);
            }
            s
        };
        Builder {
            pop: Population {
                person_shapes: shapes(Scope::Person),
                household_shapes: shapes(Scope::Household),
                blocks: Vec::new(),
            },
            per_block: households_per_block.max(1),
        }
    }

    /// Columns from households read one by one (the per-subject format).
    pub fn from_households(vocab: &Vocabulary, households: &[HouseholdFacts]) -> Population {
        Population::from_households_in_blocks(vocab, households, HOUSEHOLDS_PER_BLOCK)
    }

    /// As [`Population::from_households`], in blocks of `households_per_block`.
    pub fn from_households_in_blocks(
        vocab: &Vocabulary,
        households: &[HouseholdFacts],
        households_per_block: usize,
    ) -> Population {
        let mut b = Population::build_in_blocks(vocab, households_per_block);
        for hh in households {
            b.household(hh.members.len());
            for (slot, v) in hh.values.iter().enumerate() {
                b.household_fact(slot, *v);
            }
            for code in &hh.receiving {
                b.receiving(code, None);
            }
            for (m, member) in hh.members.iter().enumerate() {
                for (slot, v) in member.values.iter().enumerate() {
                    b.member_fact(m, slot, *v);
                }
                for code in &member.receiving {
                    b.receiving(code, Some(m));
                }
            }
        }
        b.finish()
    }

    pub fn persons(&self) -> usize {
        self.blocks.iter().map(Block::persons).sum()
    }

    pub fn households(&self) -> usize {
        self.blocks.iter().map(Block::households).sum()
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    pub fn shape(&self, scope: Scope, slot: usize) -> Shape {
        match scope {
            Scope::Person => self.person_shapes[slot],
            Scope::Household => self.household_shapes[slot],
        }
    }

    /// Household `h`'s value of the household fact in `slot`, or `None` when unknown.
    pub fn household_value(&self, slot: usize, h: usize) -> Option<i64> {
        let (mut b, mut h) = (0, h);
        while h >= self.blocks.get(b)?.households() {
            h -= self.blocks[b].households();
            b += 1;
        }
        self.blocks[b].column(Scope::Household, slot)?.value(self.household_shapes[slot], h)
    }

    /// Adds `other`'s households after this population's, block for block (a population read in
    /// parts on several threads is joined so; blocks need not be full).
    pub fn append(&mut self, other: Population) {
        assert_eq!(
            (&self.person_shapes, &self.household_shapes),
            (&other.person_shapes, &other.household_shapes),
            "populations of one vocabulary"
        );
        self.blocks.extend(other.blocks);
    }

    /// Heap bytes held by the columns, for the benchmark's memory account.
    pub fn bytes(&self) -> usize {
        self.blocks.iter().map(Block::bytes).sum()
    }
}

/// Adds households one at a time, each followed by its facts, then gives the [`Population`].
pub struct Builder {
    pop: Population,
    per_block: usize,
}

impl Builder {
    /// Starts the next household, of `members` persons.
    pub fn household(&mut self, members: usize) {
        let full = self.pop.blocks.last().is_none_or(|b| b.person_start.len() >= self.per_block);
        if full {
            self.seal_last();
            let block = Block {
                person: vec![None; self.pop.person_shapes.len()],
                household: vec![None; self.pop.household_shapes.len()],
                ..Block::default()
            };
            self.pop.blocks.push(block);
        }
        let block = self.pop.blocks.last_mut().expect("a block was just made");
        let h = block.person_start.len() as u32;
        block.person_start.push(block.household_of.len() as u32);
        block.household_of.extend(std::iter::repeat_n(h, members));
    }

    fn last(&mut self) -> &mut Block {
        self.pop.blocks.last_mut().expect("a household is started before its facts")
    }

    /// Records a fact of the household last started; `None` (unknown) records nothing.
    pub fn household_fact(&mut self, slot: usize, v: Option<i64>) {
        let Some(v) = v else { return };
        let shape = self.pop.household_shapes[slot];
        let block = self.last();
        let h = block.person_start.len() - 1;
        block.household[slot].get_or_insert_with(|| Column::new(shape)).put(shape, h, v);
    }

    /// Records a fact of member `member` (from 0) of the household last started.
    pub fn member_fact(&mut self, member: usize, slot: usize, v: Option<i64>) {
        let Some(v) = v else { return };
        let shape = self.pop.person_shapes[slot];
        let block = self.last();
        let p = *block.person_start.last().expect("a household is started") as usize + member;
        block.person[slot].get_or_insert_with(|| Column::new(shape)).put(shape, p, v);
    }

    /// Records that the household last started (`None`) or one of its members receives `code`.
    pub fn receiving(&mut self, code: &str, member: Option<usize>) {
        let block = self.last();
        let h = block.person_start.len() - 1;
        let base = *block.person_start.last().expect("a household is started") as usize;
        let entry =
            block.receiving.entry(code.to_owned()).or_insert_with(|| (Bits::zeros(0), Bits::zeros(0)));
        match member {
            Some(m) => entry.0.set_growing(base + m),
            None => entry.1.set_growing(h),
        }
    }

    /// Sizes the last block's columns exactly, once its households are all in.
    fn seal_last(&mut self) {
        let Some(block) = self.pop.blocks.last_mut() else { return };
        let (persons, households) = (block.household_of.len(), block.person_start.len());
        block.person.iter_mut().flatten().for_each(|c| c.seal(persons));
        block.household.iter_mut().flatten().for_each(|c| c.seal(households));
        for (p, h) in block.receiving.values_mut() {
            p.resize(persons);
            h.resize(households);
        }
        block.household_of.shrink_to_fit();
        block.person_start.push(persons as u32);
        block.person_start.shrink_to_fit();
    }

    pub fn finish(mut self) -> Population {
        self.seal_last();
        self.pop
    }
}
