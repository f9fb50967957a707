//! Column-wise evaluation of the whole catalogue over a whole population, for the village,
//! block and district tallies.
//!
//! The per-subject path ([`crate::assess`]) walks each rule for one person and can explain it;
//! this path evaluates each criterion once over a column of the population into two bitsets,
//! "known true" and "known false" (what is in neither is unknown), and combines them with
//! Kleene's logic a word (64 subjects) at a time. It allocates per criterion, never per person,
//! and builds no explanations: the missing facts of one subject are found on demand through the
//! per-subject path. Both paths must agree; `rules/tests/bulk.rs` checks that they do.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use crate::catalogue::Catalogue;
use crate::compile::{Num, Rule, Slot};
use crate::expr::{Aggregate, CmpOp};
use crate::facts::{HouseholdFacts, days_from_date};
use crate::vocabulary::{FactId, Scope, Unit, Vocabulary};

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

    fn zip(&self, other: &Bits, f: impl Fn(u64, u64) -> u64) -> Bits {
        let mut b = Bits {
            words: self.words.iter().zip(&other.words).map(|(a, b)| f(*a, *b)).collect(),
            len: self.len,
        };
        b.trim();
        b
    }
}

/// One fact over all subjects: the values (anything where unknown) and which are known.
#[derive(Debug, Clone)]
pub struct Column {
    pub values: Vec<i64>,
    pub known: Bits,
}

impl Column {
    pub fn unknown(len: usize) -> Column {
        Column { values: vec![0; len], known: Bits::zeros(len) }
    }

    pub fn put(&mut self, i: usize, v: Option<i64>) {
        if let Some(v) = v {
            self.values[i] = v;
            self.known.set(i);
        }
    }
}

/// A population held as columns: persons grouped by household, households in order.
#[derive(Debug, Clone)]
pub struct Population {
    /// The household of each person; a household's persons are contiguous.
    pub household_of: Vec<u32>,
    /// Household `h`'s persons are `person_start[h]..person_start[h + 1]`.
    pub person_start: Vec<u32>,
    pub person: Vec<Column>,
    pub household: Vec<Column>,
    /// For each scheme code, the persons and the households already receiving it.
    pub receiving: HashMap<String, (Bits, Bits)>,
}

impl Population {
    /// Room for `persons` in `households`, every fact unknown and no household filled in yet.
    pub fn empty(vocab: &Vocabulary, persons: usize, households: usize) -> Population {
        Population {
            household_of: Vec::with_capacity(persons),
            person_start: Vec::with_capacity(households + 1),
            person: (0..vocab.width(Scope::Person)).map(|_| Column::unknown(persons)).collect(),
            household: (0..vocab.width(Scope::Household)).map(|_| Column::unknown(households)).collect(),
            receiving: HashMap::new(),
        }
    }

    pub fn persons(&self) -> usize {
        self.household_of.len()
    }

    pub fn households(&self) -> usize {
        self.person_start.len() - 1
    }

    /// Columns from households read one by one (the per-subject format).
    pub fn from_households(vocab: &Vocabulary, households: &[HouseholdFacts]) -> Population {
        let persons: usize = households.iter().map(|h| h.members.len()).sum();
        let mut pop = Population::empty(vocab, persons, households.len());
        let mut p = 0;
        for (h, hh) in households.iter().enumerate() {
            pop.person_start.push(p as u32);
            for (slot, v) in hh.values.iter().enumerate() {
                pop.household[slot].put(h, *v);
            }
            for code in &hh.receiving {
                pop.receiving_entry(code, persons, households.len()).1.set(h);
            }
            for m in &hh.members {
                pop.household_of.push(h as u32);
                for (slot, v) in m.values.iter().enumerate() {
                    pop.person[slot].put(p, *v);
                }
                for code in &m.receiving {
                    pop.receiving_entry(code, persons, households.len()).0.set(p);
                }
                p += 1;
            }
        }
        pop.person_start.push(p as u32);
        pop
    }

    pub fn receiving_entry(&mut self, code: &str, persons: usize, households: usize) -> &mut (Bits, Bits) {
        self.receiving
            .entry(code.to_owned())
            .or_insert_with(|| (Bits::zeros(persons), Bits::zeros(households)))
    }
}

/// Outcome counts of one scheme over the population's subjects (persons or households).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub scheme: usize,
    /// Eligible and counted here (not under an earlier scheme of the same exclusive group).
    pub eligible: u64,
    /// Eligible, but counted under an earlier scheme of the same exclusive group.
    pub alternative: u64,
    pub already_receiving: u64,
    pub undetermined: u64,
    pub not_eligible: u64,
}

/// A three-valued column: who is known true, who known false.
#[derive(Debug, Clone)]
struct Tri {
    t: Bits,
    f: Bits,
}

/// Intervals per subject, for numbers that are not plain columns (counts over members).
struct Intervals {
    lo: Vec<i64>,
    hi: Vec<i64>,
}

struct Evaluator<'a> {
    pop: &'a Population,
    as_of: NaiveDate,
    /// Criteria shared by several schemes (the state check, an age bound) are evaluated once.
    rules: HashMap<(String, Scope), Tri>,
    /// Derived columns (ages) by the base fact's scope and slot, and whether in months.
    derived: HashMap<(Scope, usize, Unit), Column>,
    /// Household facts seen from each person, by household slot.
    gathered: HashMap<usize, Column>,
    /// The columns of bounded facts with their implied "no" filled in, by scope and slot.
    filled: HashMap<(Scope, usize), Column>,
}

/// Decides every scheme in force on `as_of` for every subject of `pop`, and counts the outcomes.
pub fn tally(cat: &Catalogue, pop: &Population, as_of: NaiveDate) -> Vec<Tally> {
    let mut ev = Evaluator::new(cat, pop, as_of);
    let decided: Vec<Option<Decided>> = cat.schemes.iter().map(|s| ev.decide(cat, s, as_of)).collect();
    // Within each exclusive group, who is already counted as eligible under an earlier scheme.
    let mut counted: Vec<Option<Bits>> = cat.groups.iter().map(|_| None).collect();
    let mut alternative = vec![0u64; cat.schemes.len()];
    let mut eligible_here: Vec<Option<Bits>> = cat.schemes.iter().map(|_| None).collect();
    for (g, group) in cat.groups.iter().enumerate() {
        for &i in &group.members {
            let Some(d) = &decided[i] else { continue };
            let eligible = d.eligible();
            let taken = counted[g].get_or_insert_with(|| Bits::zeros(eligible.len()));
            alternative[i] = eligible.zip(taken, |e, t| e & t).count();
            eligible_here[i] = Some(eligible.zip(taken, |e, t| e & !t));
            taken.or_assign(&eligible);
        }
    }
    let mut out = Vec::new();
    for (i, d) in decided.iter().enumerate() {
        let Some(d) = d else { continue };
        let all_eligible = d.eligible().count();
        let eligible = eligible_here[i].as_ref().map_or(all_eligible, Bits::count);
        let not_eligible = d.not_eligible().count();
        let already_receiving = d.receiving.count();
        out.push(Tally {
            scheme: i,
            eligible,
            alternative: alternative[i],
            already_receiving,
            not_eligible,
            undetermined: d.all_true.len() as u64 - all_eligible - not_eligible - already_receiving,
        });
    }
    out
}

/// One scheme decided over every subject of its level.
struct Decided {
    /// Every criterion known true.
    all_true: Bits,
    /// Some criterion known false.
    any_false: Bits,
    /// Already receiving the scheme, whatever the criteria say.
    receiving: Bits,
    /// Receiving another scheme of the same exclusive group, which rules this one out.
    blocked: Bits,
}

impl Decided {
    fn eligible(&self) -> Bits {
        self.all_true.zip(&self.receiving, |t, r| t & !r).zip(&self.blocked, |e, b| e & !b)
    }

    fn not_eligible(&self) -> Bits {
        self.any_false.zip(&self.blocked, |f, b| f | b).zip(&self.receiving, |n, r| n & !r)
    }

    fn undetermined(&self) -> Bits {
        let decided = self.eligible().zip(&self.not_eligible(), |e, n| e | n);
        let decided = decided.zip(&self.receiving, |d, r| d | r);
        Bits::ones(decided.len()).zip(&decided, |o, d| o & !d)
    }
}

impl<'a> Evaluator<'a> {
    /// An evaluator over `pop`, with every unknown bounded fact set to "no" where its bound is
    /// false (as the `bounds` module's `fill` does for one household).
    fn new(cat: &Catalogue, pop: &'a Population, as_of: NaiveDate) -> Self {
        let mut ev = Evaluator {
            pop,
            as_of,
            rules: HashMap::new(),
            derived: HashMap::new(),
            gathered: HashMap::new(),
            filled: HashMap::new(),
        };
        let mut filled = HashMap::new();
        for (fact, rule) in &cat.bounds {
            let def = cat.vocab.get(*fact);
            let outside = ev.eval(rule, def.scope).f;
            let mut col = match def.scope {
                Scope::Person => pop.person[def.slot].clone(),
                Scope::Household => pop.household[def.slot].clone(),
            };
            for i in 0..col.values.len() {
                if outside.get(i) && !col.known.get(i) {
                    col.put(i, Some(0));
                }
            }
            filled.insert((def.scope, def.slot), col);
        }
        ev.filled = filled;
        // Results cached while filling read the unfilled columns; start afresh.
        ev.rules.clear();
        ev.gathered.clear();
        ev
    }

    /// `scheme` over every subject, or `None` when no version is in force on `as_of`.
    fn decide(
        &mut self,
        cat: &Catalogue,
        scheme: &crate::catalogue::Scheme,
        as_of: NaiveDate,
    ) -> Option<Decided> {
        let version = scheme.version_on(as_of)?;
        let level = scheme.unit;
        let n = self.len(level);
        let mut all_true = Bits::ones(n);
        let mut any_false = Bits::zeros(n);
        for c in &version.criteria {
            let tri = self.cached(&c.rule, level);
            all_true.and_assign(&tri.t);
            any_false.or_assign(&tri.f);
        }
        let receiving_of = |code: &str| match (self.pop.receiving.get(code), level) {
            (Some((p, _)), Scope::Person) => p.clone(),
            (Some((_, h)), Scope::Household) => h.clone(),
            (None, _) => Bits::zeros(n),
        };
        let receiving = receiving_of(&scheme.code);
        let mut blocked = Bits::zeros(n);
        if let Some(g) = scheme.group {
            let index = cat.schemes.iter().position(|s| s.code == scheme.code).unwrap_or(usize::MAX);
            for other in crate::group::ruling_out(&cat.groups[g], index) {
                blocked.or_assign(&receiving_of(&cat.schemes[other].code));
            }
            blocked = blocked.zip(&receiving, |b, r| b & !r);
        }
        Some(Decided { all_true, any_false, receiving, blocked })
    }
}

/// How many undetermined decisions of the whole population wait on each fact, counted as the
/// per-subject path counts them: a fact once per (subject, scheme) decision, under the fact the
/// facilitator is asked (a date of birth for an age). The per-subject path finds the same
/// unknowns one subject at a time ([`crate::eval::Subject::unknowns`]); this follows the same
/// recursion over bitsets. Sorted by count, most first, then by fact id.
pub fn missing(cat: &Catalogue, pop: &Population, as_of: NaiveDate) -> Vec<(FactId, u64)> {
    let mut ev = Evaluator::new(cat, pop, as_of);
    let mut counts: HashMap<FactId, u64> = HashMap::new();
    for scheme in &cat.schemes {
        let Some(d) = ev.decide(cat, scheme, as_of) else { continue };
        let Some(version) = scheme.version_on(as_of) else { continue };
        let level = scheme.unit;
        let undetermined = d.undetermined();
        let mut noted = Vec::new();
        for c in &version.criteria {
            ev.noted(&c.rule, level, &undetermined, &mut noted);
        }
        let mut by_fact: HashMap<FactId, Bits> = HashMap::new();
        for (slot, bits) in noted {
            let asked = cat.vocab.get(slot.fact).asked_as();
            match by_fact.get_mut(&asked) {
                Some(acc) => acc.or_assign(&bits),
                None => {
                    by_fact.insert(asked, bits);
                }
            }
        }
        for (fact, bits) in by_fact {
            *counts.entry(fact).or_default() += bits.count();
        }
    }
    let mut out: Vec<(FactId, u64)> = counts.into_iter().filter(|(_, c)| *c > 0).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

impl Evaluator<'_> {
    /// The unknown facts behind `rule` for the subjects of `mask` (at `level`) for whom the rule
    /// is unknown, each with the subjects (at `level`) for whom it is unknown.
    fn noted(&mut self, rule: &Rule, level: Scope, mask: &Bits, out: &mut Vec<(Slot, Bits)>) {
        let tri = self.cached(rule, level);
        let decided = tri.t.zip(&tri.f, |t, f| t | f);
        let m = mask.zip(&decided, |m, d| m & !d);
        if m.count() == 0 {
            return;
        }
        match rule {
            Rule::Const(_) => {}
            Rule::Fact(s) | Rule::Contains(s, _) => self.note_slot(*s, level, &m, out),
            Rule::Not(x) => self.noted(x, level, &m, out),
            Rule::And(xs) | Rule::Or(xs) => xs.iter().for_each(|x| self.noted(x, level, &m, out)),
            Rule::Cmp(_, a, b) => {
                self.noted_num(a, level, &m, out);
                self.noted_num(b, level, &m, out);
            }
            Rule::In(a, _) => self.noted_num(a, level, &m, out),
            Rule::Members(_, inner, complete) => {
                if let Some(s) = complete {
                    self.note_slot(*s, level, &m, out);
                }
                self.noted_members(inner, level, &m, out)
            }
        }
    }

    fn noted_num(&mut self, n: &Num, level: Scope, m: &Bits, out: &mut Vec<(Slot, Bits)>) {
        match n {
            Num::Const(_) => {}
            Num::Fact(s) | Num::Derived(_, s) => self.note_slot(*s, level, m, out),
            Num::Count(inner, complete) => {
                if let Some(s) = complete {
                    self.note_slot(*s, level, m, out);
                }
                self.noted_members(inner, level, m, out)
            }
        }
    }

    fn note_slot(&mut self, s: Slot, level: Scope, m: &Bits, out: &mut Vec<(Slot, Bits)>) {
        let unknown = m.zip(&self.column(s, level).known, |m, k| m & !k);
        if unknown.count() > 0 {
            out.push((s, unknown));
        }
    }

    /// A rule over each member: every member of a household in `m` is looked at, and a fact
    /// noted for any member counts for the household (or for each person of `m` in it).
    fn noted_members(&mut self, inner: &Rule, level: Scope, m: &Bits, out: &mut Vec<(Slot, Bits)>) {
        let households = match level {
            Scope::Household => m.clone(),
            Scope::Person => self.any_member(m),
        };
        let persons = self.spread(&households);
        let mut inner_out = Vec::new();
        self.noted(inner, Scope::Person, &persons, &mut inner_out);
        for (slot, bits) in inner_out {
            let hh = self.any_member(&bits);
            let back = match level {
                Scope::Household => hh,
                Scope::Person => self.spread(&hh).zip(m, |a, b| a & b),
            };
            out.push((slot, back));
        }
    }

    /// The households with at least one person in `persons`.
    fn any_member(&self, persons: &Bits) -> Bits {
        let mut out = Bits::zeros(self.pop.households());
        for (p, h) in self.pop.household_of.iter().enumerate() {
            if persons.get(p) {
                out.set(*h as usize);
            }
        }
        out
    }
}

impl Bits {
    fn and_assign(&mut self, other: &Bits) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a &= b);
    }

    fn or_assign(&mut self, other: &Bits) {
        self.words.iter_mut().zip(&other.words).for_each(|(a, b)| *a |= b);
    }

    /// One bit per value, set where `test` holds: 64 values to a word, a loop the compiler unrolls.
    fn from_test(values: &[i64], test: impl Fn(i64) -> bool) -> Bits {
        let words = values
            .chunks(64)
            .map(|chunk| chunk.iter().enumerate().fold(0u64, |w, (j, v)| w | (u64::from(test(*v)) << j)))
            .collect();
        Bits { words, len: values.len() }
    }
}

/// Known-true where `hit` and known, known-false where known and not `hit`.
fn known_split(hit: &Bits, known: &Bits) -> Tri {
    let t = hit.zip(known, |h, k| h & k);
    let f = known.zip(hit, |k, h| k & !h);
    Tri { t, f }
}

impl<'a> Evaluator<'a> {
    fn len(&self, level: Scope) -> usize {
        match level {
            Scope::Person => self.pop.persons(),
            Scope::Household => self.pop.households(),
        }
    }

    fn cached(&mut self, rule: &Rule, level: Scope) -> Tri {
        let key = (format!("{rule:?}"), level);
        if let Some(t) = self.rules.get(&key) {
            return t.clone();
        }
        let t = self.eval(rule, level);
        self.rules.insert(key, t.clone());
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

    fn eval(&mut self, rule: &Rule, level: Scope) -> Tri {
        match rule {
            Rule::Const(b) => self.constant(*b, level),
            Rule::Fact(s) => {
                let col = self.column(*s, level);
                known_split(&Bits::from_test(&col.values, |v| v != 0), &col.known)
            }
            Rule::Not(x) => {
                let inner = self.eval(x, level);
                Tri { t: inner.f, f: inner.t }
            }
            Rule::And(xs) | Rule::Or(xs) => {
                let and = matches!(rule, Rule::And(_));
                let mut acc = self.constant(and, level);
                for x in xs {
                    let v = self.eval(x, level);
                    if and {
                        acc.t.and_assign(&v.t);
                        acc.f.or_assign(&v.f);
                    } else {
                        acc.t.or_assign(&v.t);
                        acc.f.and_assign(&v.f);
                    }
                }
                acc
            }
            Rule::Cmp(op, a, b) => match (a, b) {
                // A count is an interval, not a column: [0, 1] < 2 is decided although unknown.
                (Num::Count(..), _) | (_, Num::Count(..)) => {
                    let (x, y) = (self.intervals(a, level), self.intervals(b, level));
                    compare_intervals(&x, &y, *op)
                }
                (Num::Const(c), other) => {
                    let col = self.num_column(other, level);
                    compare_const(col, flip(*op), *c)
                }
                (other, Num::Const(c)) => {
                    let col = self.num_column(other, level);
                    compare_const(col, *op, *c)
                }
                _ => {
                    let (x, y) = (self.intervals(a, level), self.intervals(b, level));
                    compare_intervals(&x, &y, *op)
                }
            },
            Rule::In(a, codes) => {
                let col = self.num_column(a, level);
                // Enum codes are small: a bitmask of the listed codes makes the test one shift.
                let mask = codes.iter().filter(|c| (0..64).contains(*c)).fold(0u64, |m, c| m | 1 << c);
                known_split(
                    &Bits::from_test(&col.values, |v| (0..64).contains(&v) && mask >> v & 1 == 1),
                    &col.known,
                )
            }
            Rule::Contains(s, bit) => {
                let col = self.column(*s, level);
                known_split(&Bits::from_test(&col.values, |v| v & bit != 0), &col.known)
            }
            Rule::Members(agg, inner, complete) => {
                let per_person = self.eval(inner, Scope::Person);
                let mut hh = self.reduce(&per_person, *agg);
                // As in the per-subject path: where the list of members is not known to be
                // complete, an unlisted member could still meet (any) or fail (all) the condition.
                if let Some(open) = self.incomplete(*complete) {
                    match agg {
                        Aggregate::Any => hh.f = hh.f.zip(&open, |f, o| f & !o),
                        Aggregate::All | Aggregate::Count => hh.t = hh.t.zip(&open, |t, o| t & !o),
                    }
                }
                match level {
                    Scope::Household => hh,
                    Scope::Person => Tri { t: self.spread(&hh.t), f: self.spread(&hh.f) },
                }
            }
        }
    }

    /// The households whose list of members is not known to be complete, or `None` when the
    /// vocabulary has no such fact (every list counts as complete).
    fn incomplete(&mut self, complete: Option<Slot>) -> Option<Bits> {
        let s = complete?;
        let col = self.column(s, Scope::Household);
        let listed = Bits::from_test(&col.values, |v| v != 0).zip(&col.known, |v, k| v & k);
        Some(Bits::ones(listed.len()).zip(&listed, |o, l| o & !l))
    }

    /// Any/all over each household's members.
    fn reduce(&self, per_person: &Tri, agg: Aggregate) -> Tri {
        let n = self.pop.households();
        let (mut t, mut f) = (Bits::zeros(n), Bits::zeros(n));
        for h in 0..n {
            let (start, end) = (self.pop.person_start[h] as usize, self.pop.person_start[h + 1] as usize);
            let (mut any_t, mut all_t, mut any_f, mut all_f) = (false, true, false, true);
            for p in start..end {
                let (pt, pf) = (per_person.t.get(p), per_person.f.get(p));
                any_t |= pt;
                all_t &= pt;
                any_f |= pf;
                all_f &= pf;
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

    /// A household-level set as a person-level one: each person takes their household's bit.
    fn spread(&self, hh: &Bits) -> Bits {
        let mut out = Bits::zeros(self.pop.persons());
        for (p, h) in self.pop.household_of.iter().enumerate() {
            if hh.get(*h as usize) {
                out.set(p);
            }
        }
        out
    }

    /// The column of a fact at `level`, borrowed; a household fact seen from its persons is
    /// gathered once and kept.
    fn column(&mut self, s: Slot, level: Scope) -> &Column {
        let pop = self.pop;
        let filled = &self.filled;
        let own = |scope: Scope| match filled.get(&(scope, s.index)) {
            Some(col) => col,
            None if scope == Scope::Person => &pop.person[s.index],
            None => &pop.household[s.index],
        };
        match (s.scope, level) {
            (Scope::Person, _) => own(Scope::Person),
            (Scope::Household, Scope::Household) => own(Scope::Household),
            (Scope::Household, Scope::Person) => self.gathered.entry(s.index).or_insert_with(|| {
                let src = own(Scope::Household);
                let mut col = Column::unknown(pop.persons());
                for (p, h) in pop.household_of.iter().enumerate() {
                    let h = *h as usize;
                    col.values[p] = src.values[h];
                    if src.known.get(h) {
                        col.known.set(p);
                    }
                }
                col
            }),
        }
    }

    /// A number as a plain column: a fact, or a fact derived at the evaluation date (kept).
    fn num_column(&mut self, n: &Num, level: Scope) -> &Column {
        match n {
            Num::Fact(s) => self.column(*s, level),
            Num::Derived(d, s) => {
                let key = (s.scope, s.index, d.unit());
                if !self.derived.contains_key(&key) {
                    let as_of = self.as_of;
                    let col = derive(self.column(*s, level), as_of, d.unit());
                    self.derived.insert(key, col);
                }
                &self.derived[&key]
            }
            Num::Const(_) | Num::Count(..) => unreachable!("constants and counts are compared as intervals"),
        }
    }

    fn intervals(&mut self, n: &Num, level: Scope) -> Intervals {
        match n {
            Num::Const(c) => Intervals { lo: vec![*c; self.len(level)], hi: vec![*c; self.len(level)] },
            Num::Count(inner, complete) => {
                let per_person = self.eval(inner, Scope::Person);
                let hh = self.pop.households();
                let open = self.incomplete(*complete);
                let (mut lo, mut hi) = (vec![0i64; hh], vec![0i64; hh]);
                for h in 0..hh {
                    for p in self.pop.person_start[h] as usize..self.pop.person_start[h + 1] as usize {
                        if per_person.t.get(p) {
                            lo[h] += 1;
                            hi[h] += 1;
                        } else if !per_person.f.get(p) {
                            hi[h] += 1;
                        }
                    }
                    // Unlisted members could add to the count without bound.
                    if open.as_ref().is_some_and(|o| o.get(h)) {
                        hi[h] = i64::MAX;
                    }
                }
                match level {
                    Scope::Household => Intervals { lo, hi },
                    Scope::Person => Intervals {
                        lo: self.pop.household_of.iter().map(|h| lo[*h as usize]).collect(),
                        hi: self.pop.household_of.iter().map(|h| hi[*h as usize]).collect(),
                    },
                }
            }
            Num::Fact(_) | Num::Derived(..) => {
                let col = self.num_column(n, level);
                let (lo, hi) = col
                    .values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| if col.known.get(i) { (*v, *v) } else { (i64::MIN, i64::MAX) })
                    .unzip();
                Intervals { lo, hi }
            }
        }
    }
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

/// The hot loop: a column against a constant, 64 subjects per word, one loop per operator so
/// that each is a straight comparison the compiler can vectorise.
fn compare_const(col: &Column, op: CmpOp, c: i64) -> Tri {
    let v = &col.values;
    let hit = match op {
        CmpOp::Eq => Bits::from_test(v, |x| x == c),
        CmpOp::Ne => Bits::from_test(v, |x| x != c),
        CmpOp::Lt => Bits::from_test(v, |x| x < c),
        CmpOp::Le => Bits::from_test(v, |x| x <= c),
        CmpOp::Gt => Bits::from_test(v, |x| x > c),
        CmpOp::Ge => Bits::from_test(v, |x| x >= c),
    };
    known_split(&hit, &col.known)
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

/// Completed years (or months) from each date of `base` to `as_of`, by integer civil-date
/// arithmetic so that a million birthdays take milliseconds.
fn derive(base: &Column, as_of: NaiveDate, unit: Unit) -> Column {
    let (ay, am, ad) = (i64::from(as_of.year()), i64::from(as_of.month()), i64::from(as_of.day()));
    let as_of_days = days_from_date(as_of);
    let mut out = Column::unknown(base.values.len());
    for (i, days) in base.values.iter().enumerate() {
        if !base.known.get(i) || *days > as_of_days {
            continue;
        }
        if unit == Unit::Days {
            out.put(i, Some(as_of_days - days));
            continue;
        }
        let (y, m, d) = civil_from_days(*days);
        let mut total = (ay - y) * 12 + (am - m);
        if ad < d {
            total -= 1;
        }
        out.put(i, Some(if unit == Unit::Months { total } else { total.div_euclid(12) }));
    }
    out
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::date_from_days;

    #[test]
    fn civil_dates_match_chrono() {
        for days in (-30_000..40_000).step_by(7) {
            let d = date_from_days(days);
            assert_eq!(
                civil_from_days(days),
                (i64::from(d.year()), i64::from(d.month()), i64::from(d.day()))
            );
        }
    }

    #[test]
    fn bitsets_keep_their_tail_clear() {
        let ones = Bits::ones(70);
        assert_eq!(ones.count(), 70);
        let none = ones.zip(&Bits::zeros(70), |a, b| !a | b);
        assert_eq!(none.count(), 0);
        assert_eq!(Bits::zeros(70).zip(&Bits::zeros(70), |a, _| !a).count(), 70);
    }
}
