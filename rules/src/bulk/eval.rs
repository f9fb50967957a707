//! One block of the population decided criterion by criterion, into "known true" and "known
//! false" bitsets (what is in neither is unknown), with Kleene's logic a word at a time.
//!
//! Three things keep the work near the physical limit of a few bitset operations per criterion:
//! yes/no and enum facts are already bitsets (a test is a copy or an OR of value bitsets); a
//! number is compared with each distinct threshold once, every operator being written as "at
//! least k" (an age as a date of birth on or before one day, see [`super::age`]); and a rule or
//! sub-rule met again, in another scheme or in the same one, is taken from a cache keyed by its
//! structure. A rule that reads only household facts is decided once per household and spread
//! to the persons, never evaluated person by person.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::age;
use super::bits::Bits;
use super::population::{Block, Column, Population, Shape};
use crate::catalogue::Catalogue;
use crate::compile::{Num, Rule, Slot};
use crate::expr::{Aggregate, CmpOp};
use crate::facts::days_from_date;
use crate::vocabulary::Scope;

/// A three-valued column: who is known true, who known false.
#[derive(Debug, Clone)]
pub(crate) struct Tri {
    pub t: Bits,
    pub f: Bits,
}

/// Intervals per subject, for numbers that are not plain columns (counts over members).
struct Intervals {
    lo: Vec<i64>,
    hi: Vec<i64>,
}

/// The block's columns, with the implied "no" of bounded yes/no facts filled in.
struct View<'a> {
    pop: &'a Population,
    block: &'a Block,
    filled: HashMap<(Scope, usize), Column>,
}

impl View<'_> {
    fn column(&self, s: Slot) -> Option<&Column> {
        self.filled.get(&(s.scope, s.index)).or_else(|| self.block.column(s.scope, s.index))
    }

    fn len(&self, level: Scope) -> usize {
        match level {
            Scope::Person => self.block.persons(),
            Scope::Household => self.block.households(),
        }
    }

    /// Who is known, at the fact's own scope (nobody when the block does not carry the fact).
    fn known(&self, s: Slot) -> Bits {
        self.column(s).map_or_else(|| Bits::zeros(self.len(s.scope)), |c| c.known().clone())
    }

    /// A household-level set as a person-level one: each person takes their household's bit,
    /// 64 persons to a word.
    fn spread(&self, hh: &Bits) -> Bits {
        let words = hh.words();
        let of = &self.block.household_of;
        let out = of
            .chunks(64)
            .map(|chunk| {
                chunk
                    .iter()
                    .enumerate()
                    .fold(0u64, |w, (j, h)| w | (words[*h as usize / 64] >> (*h % 64) & 1) << j)
            })
            .collect();
        Bits::from_words(out, of.len())
    }

    /// The households with at least one person in `persons`.
    fn any_member(&self, persons: &Bits) -> Bits {
        let mut out = Bits::zeros(self.block.households());
        for (p, h) in self.block.household_of.iter().enumerate() {
            if persons.get(p) {
                out.set(*h as usize);
            }
        }
        out
    }

    /// Every subject's value of a fact at `level` (a household's seen from each of its persons),
    /// with who is known.
    fn values_at(&self, s: Slot, level: Scope) -> (Vec<i64>, Bits) {
        let n = self.len(s.scope);
        let (values, known) = match self.column(s) {
            Some(c) => (c.values(self.pop.shape(s.scope, s.index)), c.known().clone()),
            None => (vec![0; n], Bits::zeros(n)),
        };
        match (s.scope, level) {
            (Scope::Household, Scope::Person) => {
                let of = &self.block.household_of;
                (of.iter().map(|h| values[*h as usize]).collect(), self.spread(&known))
            }
            _ => (values, known),
        }
    }
}

pub(crate) struct Evaluator<'a> {
    view: View<'a>,
    as_of: NaiveDate,
    as_of_days: i64,
    /// Rules already decided, by structure and level: criteria shared by several schemes (the
    /// state check, an age bound) are decided once per block.
    rules: HashMap<(&'a Rule, Scope), Tri>,
    /// A number column at least a threshold, by the fact's scope and slot and the threshold.
    at_least: HashMap<(Scope, usize, i64), Bits>,
}

/// Whether `rule` reads household facts only (a count or an "any member" counts as a household
/// fact), so that it can be decided per household and spread to the persons.
fn household_only(rule: &Rule) -> bool {
    let num = |n: &Num| match n {
        Num::Const(_) | Num::Count(..) => true,
        Num::Fact(s) | Num::Derived(_, s) => s.scope == Scope::Household,
    };
    match rule {
        Rule::Const(_) | Rule::Members(..) => true,
        Rule::Fact(s) | Rule::Contains(s, _) => s.scope == Scope::Household,
        Rule::Not(x) => household_only(x),
        Rule::And(xs) | Rule::Or(xs) => xs.iter().all(household_only),
        Rule::Cmp(_, a, b) => num(a) && num(b),
        Rule::In(a, _) => num(a),
    }
}

/// Known-true where `hit` and known, known-false where known and not `hit`.
fn known_split(hit: &Bits, known: &Bits) -> Tri {
    Tri { t: hit.zip(known, |h, k| h & k), f: known.zip(hit, |k, h| k & !h) }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

impl<'a> Evaluator<'a> {
    /// An evaluator over one block, with every unknown bounded fact set to "no" where its bound
    /// is false (as the `bounds` module does for one household).
    pub(crate) fn new(cat: &'a Catalogue, pop: &'a Population, block: &'a Block, as_of: NaiveDate) -> Self {
        let mut ev = Evaluator {
            view: View { pop, block, filled: HashMap::new() },
            as_of,
            as_of_days: days_from_date(as_of),
            rules: HashMap::new(),
            at_least: HashMap::new(),
        };
        let mut filled = HashMap::new();
        for (fact, rule) in &cat.bounds {
            let def = cat.vocab.get(*fact);
            let outside = ev.eval(rule, def.scope).f;
            let shape = pop.shape(def.scope, def.slot);
            let mut col = block
                .column(def.scope, def.slot)
                .cloned()
                .unwrap_or_else(|| Column::unknown(shape, outside.len()));
            col.fill_zero(&outside);
            filled.insert((def.scope, def.slot), col);
        }
        ev.view.filled = filled;
        // Results cached while filling read the unfilled columns; start afresh.
        ev.rules.clear();
        ev.at_least.clear();
        ev
    }

    pub(crate) fn len(&self, level: Scope) -> usize {
        self.view.len(level)
    }

    pub(crate) fn block(&self) -> &'a Block {
        self.view.block
    }

    pub(crate) fn spread(&self, hh: &Bits) -> Bits {
        self.view.spread(hh)
    }

    pub(crate) fn any_member(&self, persons: &Bits) -> Bits {
        self.view.any_member(persons)
    }

    /// Who is known for fact `s`, at `level`.
    pub(crate) fn known_at(&self, s: Slot, level: Scope) -> Bits {
        let known = self.view.known(s);
        match (s.scope, level) {
            (Scope::Household, Scope::Person) => self.spread(&known),
            _ => known,
        }
    }

    /// `rule` at `level`, from the cache when met before in this block.
    pub(crate) fn cached(&mut self, rule: &'a Rule, level: Scope) -> Tri {
        if let Some(t) = self.rules.get(&(rule, level)) {
            return t.clone();
        }
        let t = self.eval(rule, level);
        self.rules.insert((rule, level), t.clone());
        t
    }

    fn constant(&self, b: bool, level: Scope) -> Tri {
        let n = self.len(level);
        if b {
            Tri { t: Bits::ones(n), f: Bits::zeros(n) }
        } else {
            Tri { t: Bits::zeros(n), f: Bits::ones(n) }
        }
    }

    fn unknown(&self, level: Scope) -> Tri {
        let n = self.len(level);
        Tri { t: Bits::zeros(n), f: Bits::zeros(n) }
    }

    fn eval(&mut self, rule: &'a Rule, level: Scope) -> Tri {
        if level == Scope::Person && !matches!(rule, Rule::Const(_)) && household_only(rule) {
            let hh = self.cached(rule, Scope::Household);
            return Tri { t: self.spread(&hh.t), f: self.spread(&hh.f) };
        }
        match rule {
            Rule::Const(b) => self.constant(*b, level),
            Rule::Fact(s) => self.flag(*s, level),
            Rule::Not(x) => {
                let inner = self.cached(x, level);
                Tri { t: inner.f, f: inner.t }
            }
            Rule::And(xs) | Rule::Or(xs) => self.combine(matches!(rule, Rule::And(_)), xs, level),
            Rule::Cmp(op, a, b) => match (a, b) {
                (Num::Fact(_) | Num::Derived(..), Num::Const(c)) => self.compare(*op, a, *c, level),
                (Num::Const(c), Num::Fact(_) | Num::Derived(..)) => self.compare(flip(*op), b, *c, level),
                _ => {
                    let (x, y) = (self.intervals(a, level), self.intervals(b, level));
                    compare_intervals(&x, &y, *op)
                }
            },
            Rule::In(a, codes) => self.one_of(a, codes, level),
            Rule::Contains(s, bit) => self.contains(*s, *bit, level),
            Rule::Members(agg, inner, complete) => {
                let per_person = self.cached(inner, Scope::Person);
                let mut hh = self.reduce(&per_person, *agg);
                // As in the per-subject path: where the list of members is not known to be
                // complete, an unlisted member could still meet (any) or fail (all) the condition.
                if let Some(open) = self.incomplete(*complete) {
                    match agg {
                        Aggregate::Any => hh.f.and_not_assign(&open),
                        Aggregate::All | Aggregate::Count => hh.t.and_not_assign(&open),
                    }
                }
                hh
            }
        }
    }

    /// Kleene's and/or over `xs`. At person level, the parts that read household facts only are
    /// combined per household first and spread once.
    fn combine(&mut self, and: bool, xs: &'a [Rule], level: Scope) -> Tri {
        let fold = |acc: &mut Tri, v: &Tri| {
            if and {
                acc.t.and_assign(&v.t);
                acc.f.or_assign(&v.f);
            } else {
                acc.t.or_assign(&v.t);
                acc.f.and_assign(&v.f);
            }
        };
        let mut acc = self.constant(and, level);
        let split = level == Scope::Person && xs.iter().filter(|x| household_only(x)).count() > 1;
        if split {
            let mut hh = self.constant(and, Scope::Household);
            for x in xs.iter().filter(|x| household_only(x)) {
                fold(&mut hh, &self.cached(x, Scope::Household));
            }
            fold(&mut acc, &Tri { t: self.spread(&hh.t), f: self.spread(&hh.f) });
        }
        for x in xs.iter().filter(|x| !split || !household_only(x)) {
            fold(&mut acc, &self.cached(x, level));
        }
        acc
    }

    /// A yes/no fact read as a condition.
    fn flag(&mut self, s: Slot, level: Scope) -> Tri {
        if s.scope != level {
            return self.unknown(level);
        }
        match self.view.column(s) {
            None => self.unknown(level),
            Some(Column::Flag { known, yes }) => known_split(yes, known),
            Some(c) => {
                let values = c.values(self.view.pop.shape(s.scope, s.index));
                known_split(&Bits::from_test(&values, |v| v != 0), c.known())
            }
        }
    }

    /// Where the number column of `s` is at least `k` (known or not); `None` is beyond every
    /// number. Each threshold of each column is compared once per block.
    fn at_least(&mut self, s: Slot, k: Option<i64>) -> Bits {
        let n = self.len(s.scope);
        let Some(k) = k else { return Bits::zeros(n) };
        if let Some(b) = self.at_least.get(&(s.scope, s.index, k)) {
            return b.clone();
        }
        let bits = match self.view.column(s) {
            None => Bits::zeros(n),
            Some(Column::Number { values, .. }) => Bits::from_test(values, |v| v >= k),
            Some(c) => Bits::from_test(&c.values(self.view.pop.shape(s.scope, s.index)), |v| v >= k),
        };
        self.at_least.insert((s.scope, s.index, k), bits.clone());
        bits
    }

    /// Where the number `x` (a fact, or a span derived from a date) is at least `k`, and who has
    /// it known; `None` when the span is too far out for a threshold day.
    fn number_at_least(&mut self, x: &Num, k: Option<i64>) -> Option<(Bits, Bits)> {
        match x {
            Num::Fact(s) => Some((self.at_least(*s, k), self.view.known(*s))),
            Num::Derived(d, s) => {
                // A span is known where the date is known and not after the evaluation date, and
                // at least k where the date is on or before the threshold day.
                let future = self.at_least(*s, self.as_of_days.checked_add(1));
                let known = self.view.known(*s).zip(&future, |k, f| k & !f);
                let hit = match k {
                    None => Bits::zeros(known.len()),
                    Some(k) => {
                        let last = age::at_least_from(self.as_of, d.unit(), k)?;
                        self.at_least(*s, last.checked_add(1)).not()
                    }
                };
                Some((hit, known))
            }
            Num::Const(_) | Num::Count(..) => None,
        }
    }

    /// `x op c`, with every operator written as "at least" over the column.
    fn compare(&mut self, op: CmpOp, x: &'a Num, c: i64, level: Scope) -> Tri {
        let s = match x {
            Num::Fact(s) | Num::Derived(_, s) => *s,
            Num::Const(_) | Num::Count(..) => unreachable!("only facts reach the threshold path"),
        };
        if s.scope != level {
            return self.unknown(level);
        }
        // An enum compared for equality is its value's bitset.
        if let (Num::Fact(_), CmpOp::Eq | CmpOp::Ne, Shape::Choice(_)) =
            (x, op, self.view.pop.shape(s.scope, s.index))
        {
            let tri = self.one_of(x, &[c], level);
            return if op == CmpOp::Eq { tri } else { Tri { t: tri.f, f: tri.t } };
        }
        let thresholds = |k: i64| (Some(k), k.checked_add(1));
        let (lo, hi) = thresholds(c);
        let answer = (|| {
            let (hit, negate) = match op {
                CmpOp::Ge => (self.number_at_least(x, lo)?.0, false),
                CmpOp::Gt => (self.number_at_least(x, hi)?.0, false),
                CmpOp::Lt => (self.number_at_least(x, lo)?.0, true),
                CmpOp::Le => (self.number_at_least(x, hi)?.0, true),
                CmpOp::Eq | CmpOp::Ne => {
                    let above = self.number_at_least(x, hi)?.0;
                    (self.number_at_least(x, lo)?.0.zip(&above, |a, b| a & !b), op == CmpOp::Ne)
                }
            };
            let known = self.number_at_least(x, None)?.1;
            Some(if negate { known_split(&hit.not(), &known) } else { known_split(&hit, &known) })
        })();
        answer.unwrap_or_else(|| {
            let n = self.len(level);
            let (a, b) = (self.intervals(x, level), Intervals { lo: vec![c; n], hi: vec![c; n] });
            compare_intervals(&a, &b, op)
        })
    }

    /// `x in [codes]`: an enum's value bitsets joined, or the values tested one by one.
    fn one_of(&mut self, x: &'a Num, codes: &[i64], level: Scope) -> Tri {
        if let Num::Fact(s) = x
            && let Some(Column::Words { known, has }) = self.view.column(*s)
            && matches!(self.view.pop.shape(s.scope, s.index), Shape::Choice(_))
        {
            if s.scope != level {
                return self.unknown(level);
            }
            let mut hit = Bits::zeros(known.len());
            for c in codes {
                if let Some(b) = usize::try_from(*c).ok().and_then(|c| has.get(c)) {
                    hit.or_assign(b);
                }
            }
            return known_split(&hit, known);
        }
        // Enum codes are small: a bitmask of the listed codes makes the test one shift.
        let mask = codes.iter().filter(|c| (0..64).contains(*c)).fold(0u64, |m, c| m | 1 << c);
        let (values, known) = self.plain(x, level);
        known_split(&Bits::from_test(&values, |v| (0..64).contains(&v) && mask >> v & 1 == 1), &known)
    }

    /// A number per subject with who has it known: a fact, a span derived from a date, or an
    /// interval that is one number (a constant; a count once every member is known).
    fn plain(&mut self, x: &'a Num, level: Scope) -> (Vec<i64>, Bits) {
        match x {
            Num::Fact(s) => self.view.values_at(*s, level),
            Num::Derived(d, s) => {
                let (values, known) = self.view.values_at(*s, level);
                let rows: Vec<Option<i64>> =
                    values.iter().enumerate().map(|(i, v)| known.get(i).then_some(*v)).collect();
                let spans = age::derive(&rows, self.as_of, d.unit());
                let known =
                    Bits::from_test(&spans.iter().map(|v| i64::from(v.is_some())).collect::<Vec<_>>(), |k| {
                        k == 1
                    });
                (spans.into_iter().map(|v| v.unwrap_or(0)).collect(), known)
            }
            Num::Const(_) | Num::Count(..) => {
                let iv = self.intervals(x, level);
                let exact: Vec<i64> = iv.lo.iter().zip(&iv.hi).map(|(l, h)| i64::from(l == h)).collect();
                (iv.lo, Bits::from_test(&exact, |e| e == 1))
            }
        }
    }

    /// `s contains` the values of the mask `bit`: a set's value bitsets joined.
    fn contains(&mut self, s: Slot, bit: i64, level: Scope) -> Tri {
        if s.scope != level {
            return self.unknown(level);
        }
        match self.view.column(s) {
            None => self.unknown(level),
            Some(Column::Words { known, has })
                if matches!(self.view.pop.shape(s.scope, s.index), Shape::Set(_)) =>
            {
                let mut hit = Bits::zeros(known.len());
                for (k, b) in has.iter().enumerate().take(63) {
                    if bit >> k & 1 == 1 {
                        hit.or_assign(b);
                    }
                }
                known_split(&hit, known)
            }
            Some(c) => {
                let values = c.values(self.view.pop.shape(s.scope, s.index));
                known_split(&Bits::from_test(&values, |v| v & bit != 0), c.known())
            }
        }
    }

    /// The households whose list of members is not known to be complete, or `None` when the
    /// vocabulary has no such fact (every list counts as complete).
    fn incomplete(&mut self, complete: Option<Slot>) -> Option<Bits> {
        let s = complete?;
        let listed = self.flag(s, Scope::Household).t;
        Some(listed.not())
    }

    /// Any/all over each household's members, a household's members read a word at a time.
    fn reduce(&self, per_person: &Tri, agg: Aggregate) -> Tri {
        let block = self.view.block;
        let n = block.households();
        let (mut t, mut f) = (Bits::zeros(n), Bits::zeros(n));
        for h in 0..n {
            let (start, end) = (block.person_start[h] as usize, block.person_start[h + 1] as usize);
            let (mut any_t, mut all_t, mut any_f, mut all_f) = (false, true, false, true);
            let mut at = start;
            while at < end {
                let len = (end - at).min(64);
                let full = if len == 64 { u64::MAX } else { (1u64 << len) - 1 };
                let (pt, pf) = (span(per_person.t.words(), at, len), span(per_person.f.words(), at, len));
                any_t |= pt != 0;
                all_t &= pt == full;
                any_f |= pf != 0;
                all_f &= pf == full;
                at += len;
            }
            let (is_t, is_f) = match agg {
                Aggregate::Any => (any_t, all_f),
                Aggregate::All | Aggregate::Count => (all_t, any_f),
            };
            if is_t {
                t.set(h);
            }
            if is_f {
                f.set(h);
            }
        }
        Tri { t, f }
    }

    /// A number per subject as an interval: exact where known, unbounded where unknown, and
    /// for a count over members, from the members known to meet the condition to those who might.
    fn intervals(&mut self, n: &'a Num, level: Scope) -> Intervals {
        let len = self.len(level);
        match n {
            Num::Const(c) => Intervals { lo: vec![*c; len], hi: vec![*c; len] },
            Num::Count(inner, complete) => {
                let per_person = self.cached(inner, Scope::Person);
                let block = self.view.block;
                let hh = block.households();
                let open = self.incomplete(*complete);
                let (mut lo, mut hi) = (vec![0i64; hh], vec![0i64; hh]);
                for h in 0..hh {
                    let (mut at, end) = (block.person_start[h] as usize, block.person_start[h + 1] as usize);
                    while at < end {
                        let len = (end - at).min(64);
                        let full = if len == 64 { u64::MAX } else { (1u64 << len) - 1 };
                        lo[h] += i64::from(span(per_person.t.words(), at, len).count_ones());
                        hi[h] += i64::from((!span(per_person.f.words(), at, len) & full).count_ones());
                        at += len;
                    }
                    // Unlisted members could add to the count without bound.
                    if open.as_ref().is_some_and(|o| o.get(h)) {
                        hi[h] = i64::MAX;
                    }
                }
                match level {
                    Scope::Household => Intervals { lo, hi },
                    Scope::Person => Intervals {
                        lo: block.household_of.iter().map(|h| lo[*h as usize]).collect(),
                        hi: block.household_of.iter().map(|h| hi[*h as usize]).collect(),
                    },
                }
            }
            Num::Fact(_) | Num::Derived(..) => {
                let (values, known) = self.plain(n, level);
                let (lo, hi) = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| if known.get(i) { (*v, *v) } else { (i64::MIN, i64::MAX) })
                    .unzip();
                Intervals { lo, hi }
            }
        }
    }
}

/// The `len` (at most 64) bits of `words` from bit `at`, in the low bits of one word.
fn span(words: &[u64], at: usize, len: usize) -> u64 {
    let (w, o) = (at / 64, at % 64);
    let mut bits = words[w] >> o;
    if o != 0 && o + len > 64 {
        bits |= words[w + 1] << (64 - o);
    }
    if len == 64 { bits } else { bits & ((1u64 << len) - 1) }
}

fn compare_intervals(x: &Intervals, y: &Intervals, op: CmpOp) -> Tri {
    let n = x.lo.len();
    let (mut t, mut f) = (Bits::zeros(n), Bits::zeros(n));
    for i in 0..n {
        let (alo, ahi, blo, bhi) = (x.lo[i], x.hi[i], y.lo[i], y.hi[i]);
        let (is_t, is_f) = match op {
            CmpOp::Eq => (alo == ahi && blo == bhi && alo == blo, ahi < blo || bhi < alo),
            CmpOp::Ne => (ahi < blo || bhi < alo, alo == ahi && blo == bhi && alo == blo),
            CmpOp::Lt => (ahi < blo, alo >= bhi),
            CmpOp::Le => (ahi <= blo, alo > bhi),
            CmpOp::Gt => (alo > bhi, ahi <= blo),
            CmpOp::Ge => (alo >= bhi, ahi < blo),
        };
        if is_t {
            t.set(i);
        }
        if is_f {
            f.set(i);
        }
    }
    Tri { t, f }
}
