//! Evaluates compiled rules for one subject with Kleene's three-valued logic.
//!
//! Numbers are evaluated as intervals: a known fact is `[v, v]`, an unknown one is unbounded, and
//! a count over members whose facts are partly unknown lies between the members known to match
//! and those that might. A comparison of intervals is true, false, or unknown, so a known fact
//! still decides whenever it can.

use crate::compile::{Num, Rule, Slot};
use crate::expr::{Aggregate, CmpOp};
use crate::facts::elapsed;
use crate::truth::Truth;
use crate::vocabulary::Scope;

/// The rows a rule reads: the subject person's (for person schemes), the household's, all members'.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    pub person: Option<&'a [Option<i64>]>,
    pub household: &'a [Option<i64>],
    pub members: &'a [&'a [Option<i64>]],
    pub as_of: i64,
}

const UNBOUNDED: (i64, i64) = (i64::MIN, i64::MAX);

impl<'a> Subject<'a> {
    fn get(&self, s: Slot, member: Option<&[Option<i64>]>) -> Option<i64> {
        match s.scope {
            Scope::Household => self.household[s.index],
            Scope::Person => member.or(self.person).and_then(|row| row[s.index]),
        }
    }

    /// Whether the household's list of members is known to be complete.
    fn complete(&self, slot: Option<Slot>) -> Truth {
        match slot {
            None => Truth::True,
            Some(s) => Truth::from(self.household[s.index].map(|v| v != 0)),
        }
    }

    pub fn truth(&self, rule: &Rule) -> Truth {
        self.eval(rule, None)
    }

    fn eval(&self, rule: &Rule, member: Option<&[Option<i64>]>) -> Truth {
        match rule {
            Rule::Const(b) => Truth::from(*b),
            Rule::Fact(s) => Truth::from(self.get(*s, member).map(|v| v != 0)),
            Rule::Not(x) => self.eval(x, member).not(),
            Rule::And(xs) => {
                let mut acc = Truth::True;
                for x in xs {
                    acc = acc.and(self.eval(x, member));
                    if acc == Truth::False {
                        break;
                    }
                }
                acc
            }
            Rule::Or(xs) => {
                let mut acc = Truth::False;
                for x in xs {
                    acc = acc.or(self.eval(x, member));
                    if acc == Truth::True {
                        break;
                    }
                }
                acc
            }
            Rule::Cmp(op, a, b) => compare(*op, self.num(a, member), self.num(b, member)),
            Rule::In(a, codes) => match self.num(a, member) {
                (lo, hi) if lo == hi => Truth::from(codes.contains(&lo)),
                _ => Truth::Unknown,
            },
            Rule::Contains(s, bit) => Truth::from(self.get(*s, member).map(|mask| mask & bit != 0)),
            Rule::Members(agg, inner, complete) => {
                let each = self.members.iter().map(|m| self.eval(inner, Some(m)));
                let listed = match agg {
                    Aggregate::Any => Truth::any(each),
                    Aggregate::All | Aggregate::Count => Truth::all(each),
                };
                // A member missing from the list could be the one who meets the condition (any)
                // or fails it (all): only a list known to be complete settles that side.
                match (agg, listed, self.complete(*complete)) {
                    (_, _, Truth::True) => listed,
                    (Aggregate::Any, Truth::False, _) => Truth::Unknown,
                    (Aggregate::All | Aggregate::Count, Truth::True, _) => Truth::Unknown,
                    _ => listed,
                }
            }
        }
    }

    fn num(&self, n: &Num, member: Option<&[Option<i64>]>) -> (i64, i64) {
        match n {
            Num::Const(c) => (*c, *c),
            Num::Fact(s) => self.get(*s, member).map_or(UNBOUNDED, |v| (v, v)),
            Num::Derived(d, s) => self
                .get(*s, member)
                .and_then(|from| elapsed(from, self.as_of, d.unit()))
                .map_or(UNBOUNDED, |v| (v, v)),
            Num::Count(inner, complete) => {
                let (mut sure, mut maybe) = (0, 0);
                for m in self.members {
                    match self.eval(inner, Some(m)) {
                        Truth::True => sure += 1,
                        Truth::Unknown => maybe += 1,
                        Truth::False => {}
                    }
                }
                // Unlisted members could add to the count without bound.
                if self.complete(*complete) == Truth::True { (sure, sure + maybe) } else { (sure, i64::MAX) }
            }
        }
    }

    /// The facts whose being unknown keeps `rule` from a decision, with the member they belong to
    /// (`None` for the subject person or the household).
    pub fn unknowns(&self, rule: &Rule, out: &mut Vec<(Slot, Option<usize>)>) {
        self.collect(rule, None, out);
    }

    fn collect(&self, rule: &Rule, member: Option<usize>, out: &mut Vec<(Slot, Option<usize>)>) {
        let row = member.map(|i| self.members[i]);
        if self.eval(rule, row) != Truth::Unknown {
            return;
        }
        let mut note = |s: &Slot, out: &mut Vec<(Slot, Option<usize>)>| {
            let who = if s.scope == Scope::Household { None } else { member };
            if self.get(*s, row).is_none() && !out.contains(&(*s, who)) {
                out.push((*s, who));
            }
        };
        match rule {
            Rule::Const(_) => {}
            Rule::Fact(s) | Rule::Contains(s, _) => note(s, out),
            Rule::Not(x) => self.collect(x, member, out),
            Rule::And(xs) | Rule::Or(xs) => xs.iter().for_each(|x| self.collect(x, member, out)),
            Rule::Cmp(_, a, b) => {
                for n in [a, b] {
                    self.collect_num(n, out, &mut note);
                }
            }
            Rule::In(a, _) => self.collect_num(a, out, &mut note),
            Rule::Members(_, inner, complete) => {
                if let Some(s) = complete {
                    note(s, out);
                }
                (0..self.members.len()).for_each(|i| self.collect(inner, Some(i), out))
            }
        }
    }

    fn collect_num(
        &self,
        n: &Num,
        out: &mut Vec<(Slot, Option<usize>)>,
        note: &mut impl FnMut(&Slot, &mut Vec<(Slot, Option<usize>)>),
    ) {
        match n {
            Num::Const(_) => {}
            Num::Fact(s) | Num::Derived(_, s) => note(s, out),
            Num::Count(inner, complete) => {
                if let Some(s) = complete {
                    note(s, out);
                }
                (0..self.members.len()).for_each(|i| self.collect(inner, Some(i), out))
            }
        }
    }
}

fn compare(op: CmpOp, (alo, ahi): (i64, i64), (blo, bhi): (i64, i64)) -> Truth {
    match op {
        CmpOp::Eq => {
            if alo == ahi && blo == bhi && alo == blo {
                Truth::True
            } else if ahi < blo || bhi < alo {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
        CmpOp::Ne => compare(CmpOp::Eq, (alo, ahi), (blo, bhi)).not(),
        CmpOp::Lt => {
            if ahi < blo {
                Truth::True
            } else if alo >= bhi {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
        CmpOp::Le => {
            if ahi <= blo {
                Truth::True
            } else if alo > bhi {
                Truth::False
            } else {
                Truth::Unknown
            }
        }
        CmpOp::Gt => compare(CmpOp::Lt, (blo, bhi), (alo, ahi)),
        CmpOp::Ge => compare(CmpOp::Le, (blo, bhi), (alo, ahi)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_comparisons_decide_when_the_bounds_allow() {
        use Truth::*;
        let cases = [
            (CmpOp::Ge, (62, 62), (60, 60), True),
            (CmpOp::Ge, (59, 59), (60, 60), False),
            (CmpOp::Ge, UNBOUNDED, (60, 60), Unknown),
            (CmpOp::Eq, (0, 2), (0, 0), Unknown),
            (CmpOp::Eq, (1, 3), (0, 0), False),
            (CmpOp::Ge, (1, 3), (1, 1), True),
            (CmpOp::Lt, (1, 3), (4, 4), True),
            (CmpOp::Le, (3, 3), (3, 3), True),
            (CmpOp::Gt, (3, 3), (3, 3), False),
            (CmpOp::Ne, (3, 3), (4, 4), True),
        ];
        for (op, a, b, want) in cases {
            assert_eq!(compare(op, a, b), want, "{a:?} {} {b:?}", op.symbol());
        }
    }
}
