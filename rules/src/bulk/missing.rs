//! The facts an undetermined decision waits on, found over bitsets by the same recursion the
//! per-subject path follows one subject at a time ([`crate::eval::Subject::unknowns`]).

use super::bits::Bits;
use super::eval::Evaluator;
use crate::compile::{Num, Rule, Slot};
use crate::vocabulary::Scope;

impl<'a> Evaluator<'a> {
    /// The unknown facts behind `rule` for the subjects of `mask` (at `level`) for whom the rule
    /// is unknown, each with the subjects (at `level`) for whom it is unknown.
    pub(crate) fn noted(&mut self, rule: &'a Rule, level: Scope, mask: &Bits, out: &mut Vec<(Slot, Bits)>) {
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

    fn noted_num(&mut self, n: &'a Num, level: Scope, m: &Bits, out: &mut Vec<(Slot, Bits)>) {
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
        let unknown = m.zip(&self.known_at(s, level), |m, k| m & !k);
        if unknown.count() > 0 {
            out.push((s, unknown));
        }
    }

    /// A rule over each member: every member of a household in `m` is looked at, and a fact
    /// noted for any member counts for the household (or for each person of `m` in it).
    fn noted_members(&mut self, inner: &'a Rule, level: Scope, m: &Bits, out: &mut Vec<(Slot, Bits)>) {
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
}
