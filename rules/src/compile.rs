//! Type-checks a parsed criterion against the vocabulary and the version's parameters, and turns
//! it into a [`Rule`] the evaluator runs without looking anything up.

use std::collections::HashMap;

use crate::expr::{Aggregate, CmpOp, Expr, Node};
use crate::text::Text;
use crate::vocabulary::{Derivation, FactId, FactType, Scope, Vocabulary};

/// Where a value lives in the rows the evaluator is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Slot {
    pub fact: FactId,
    pub scope: Scope,
    pub index: usize,
}

/// A compiled condition: evaluates to a [`crate::Truth`].
// Eq and Hash let the column-wise engine recognise a rule met again in another scheme.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Rule {
    Const(bool),
    Fact(Slot),
    Not(Box<Rule>),
    And(Vec<Rule>),
    Or(Vec<Rule>),
    Cmp(CmpOp, Num, Num),
    In(Num, Vec<i64>),
    Contains(Slot, i64),
    /// Any or all of the listed members; the slot, when the vocabulary has one, says whether the
    /// list of members is known to be complete (see [`MEMBERS_COMPLETE`]).
    Members(Aggregate, Box<Rule>, Option<Slot>),
}

/// A compiled number: known exactly, or known to lie within bounds (a count over members whose
/// facts are partly unknown), or unknown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Num {
    Const(i64),
    Fact(Slot),
    Derived(Derivation, Slot),
    /// How many listed members meet a condition; the slot as for [`Rule::Members`].
    Count(Box<Rule>, Option<Slot>),
}

/// A parameter value of a scheme version (an amount, an age bound, a ceiling, a date).
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(i64),
    Decimal(i64),
    Date(i64),
    Bool(bool),
    Word(String),
}

impl Param {
    /// How the parameter reads in a sentence, in English and Hindi (dates in words).
    pub fn display(&self) -> Text {
        let same = |s: String| Text { en: s.clone(), hi: s };
        match self {
            Param::Int(i) => same(crate::words::group_digits(*i)),
            Param::Decimal(m) => same(format_milli(*m)),
            Param::Date(d) => crate::words::date(crate::facts::date_from_days(*d)),
            Param::Bool(b) => same(b.to_string()),
            Param::Word(w) => same(w.clone()),
        }
    }
}

pub fn format_milli(m: i64) -> String {
    let whole = m / 1000;
    let frac = (m % 1000).abs();
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
    }
}

/// The household fact that says every member is listed. While it is not known to be true, a
/// rule over the members cannot rule anyone out by their absence: "no member pays income tax" may
/// be wrong about a husband working away who was never listed. A vocabulary without this fact
/// (a test's) treats every list as complete.
pub const MEMBERS_COMPLETE: &str = "household.all_members_listed";

fn members_complete(vocab: &Vocabulary) -> Option<Slot> {
    let id = vocab.id(MEMBERS_COMPLETE)?;
    let def = vocab.get(id);
    (def.scope == Scope::Household && def.ty == FactType::Bool).then_some(Slot {
        fact: id,
        scope: Scope::Household,
        index: def.slot,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub col: usize,
    pub message: String,
    pub hint: String,
}

fn fail<T>(col: usize, message: impl Into<String>, hint: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError { col, message: message.into(), hint: hint.into() })
}

/// What kind of value an expression gives, for type checking.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Bool,
    /// Int and money compare with each other.
    Whole,
    Decimal,
    Date,
    Enum(FactId),
    Set(FactId),
    /// A bare word, to be read as a value of the enum on the other side of a comparison.
    Word(String),
}

pub struct Context<'a> {
    pub vocab: &'a Vocabulary,
    pub params: &'a HashMap<String, Param>,
    /// Whose eligibility the scheme decides: a person (person facts allowed) or a household.
    pub unit: Scope,
}

/// Parses and compiles one criterion as a file writes it; a problem comes back as the message
/// and the hint of the diagnostic the caller places at the criterion's line.
pub fn criterion(when: &str, cx: &Context<'_>) -> Result<(Rule, Vec<FactId>), (String, String)> {
    let node = crate::expr::parse(when).map_err(|e| {
        (
            format!("in {when:?} at column {}: {}", e.col, e.message),
            "see docs/catalogue.md for the criterion language".to_owned(),
        )
    })?;
    compile(&node, cx).map_err(|e| (format!("in {when:?} at column {}: {}", e.col, e.message), e.hint))
}

/// Compiles one criterion; also returns the facts it reads, in order of appearance.
pub fn compile(node: &Node, cx: &Context<'_>) -> Result<(Rule, Vec<FactId>), CompileError> {
    let mut facts = Vec::new();
    let rule = cond(node, cx, false, &mut facts)?;
    Ok((rule, facts))
}

fn slot(
    name: &str,
    col: usize,
    cx: &Context<'_>,
    in_members: bool,
    facts: &mut Vec<FactId>,
) -> Result<Option<Slot>, CompileError> {
    if !(name.starts_with("person.") || name.starts_with("household.")) {
        return Ok(None);
    }
    let Some(id) = cx.vocab.id(name) else {
        let hint = match cx.vocab.suggest(name) {
            Some(s) => format!("did you mean {s}? Facts are listed in schema/facts/"),
            None => "add the fact to schema/facts/ or use one that is listed there".into(),
        };
        return fail(col, format!("unknown fact {name}"), hint);
    };
    let def = cx.vocab.get(id);
    if def.scope == Scope::Person && cx.unit == Scope::Household && !in_members {
        return fail(
            col,
            format!("{name} is a person's fact, but this scheme decides for a household"),
            "wrap it in any(members, …), all(members, …) or count(members, …)",
        );
    }
    if !facts.contains(&id) {
        facts.push(id);
    }
    Ok(Some(Slot { fact: id, scope: def.scope, index: def.slot }))
}

fn cond(
    node: &Node,
    cx: &Context<'_>,
    in_members: bool,
    facts: &mut Vec<FactId>,
) -> Result<Rule, CompileError> {
    let col = node.col;
    Ok(match &node.expr {
        Expr::Bool(b) => Rule::Const(*b),
        Expr::Not(x) => Rule::Not(Box::new(cond(x, cx, in_members, facts)?)),
        Expr::And(xs) => {
            Rule::And(xs.iter().map(|x| cond(x, cx, in_members, facts)).collect::<Result<_, _>>()?)
        }
        Expr::Or(xs) => {
            Rule::Or(xs.iter().map(|x| cond(x, cx, in_members, facts)).collect::<Result<_, _>>()?)
        }
        Expr::Members(agg, inner) => {
            if in_members {
                return fail(col, "members(…) cannot be nested", "write one any/all/count over members");
            }
            let rule = cond(inner, cx, true, facts)?;
            match agg {
                Aggregate::Count => {
                    return fail(
                        col,
                        "count(members, …) is a number, not a condition",
                        "compare it: count(members, …) >= 1",
                    );
                }
                _ => Rule::Members(*agg, Box::new(rule), members_complete(cx.vocab)),
            }
        }
        Expr::Name(name) => match slot(name, col, cx, in_members, facts)? {
            Some(s) if cx.vocab.get(s.fact).ty == FactType::Bool => Rule::Fact(s),
            Some(s) => {
                let def = cx.vocab.get(s.fact);
                return fail(
                    col,
                    format!("{name} is a {}, not a yes/no fact", def.ty.name()),
                    "compare it with a value, e.g. >= 60 or == bpl",
                );
            }
            None => match cx.params.get(name) {
                Some(Param::Bool(b)) => Rule::Const(*b),
                _ => {
                    return fail(
                        col,
                        format!("{name} is not a yes/no fact or parameter"),
                        "facts start with person. or household.",
                    );
                }
            },
        },
        Expr::Cmp(op, a, b) => {
            let (ka, na) = value(a, cx, in_members, facts)?;
            let (kb, nb) = value(b, cx, in_members, facts)?;
            let (na, nb) = unify(*op, (ka, na, a.col), (kb, nb, b.col), cx)?;
            Rule::Cmp(*op, na, nb)
        }
        Expr::In(a, list) => {
            let (ka, na) = value(a, cx, in_members, facts)?;
            let Expr::List(items) = &list.expr else {
                return fail(
                    list.col,
                    "in must be followed by a list",
                    "write person.caste_category in [sc, st]",
                );
            };
            let Kind::Enum(id) = ka else {
                return fail(a.col, "in works on an enum fact", "compare numbers with <, <=, >, >=");
            };
            let mut codes = Vec::new();
            for item in items {
                let Expr::Name(word) = &item.expr else {
                    return fail(item.col, "a list holds enum values", "write words such as sc, st");
                };
                codes.push(enum_code(id, word, item.col, cx)?);
            }
            Rule::In(na, codes)
        }
        Expr::Contains(set, item) => {
            let Expr::Name(name) = &set.expr else {
                return fail(
                    set.col,
                    "contains works on a set fact",
                    "write person.documents contains aadhaar",
                );
            };
            let Some(s) = slot(name, set.col, cx, in_members, facts)? else {
                return fail(
                    set.col,
                    format!("{name} is not a fact"),
                    "facts start with person. or household.",
                );
            };
            if !matches!(cx.vocab.get(s.fact).ty, FactType::Set(_)) {
                return fail(set.col, format!("{name} is not a set fact"), "use == for an enum fact");
            }
            let Expr::Name(word) = &item.expr else {
                return fail(item.col, "contains takes one value", "write … contains aadhaar");
            };
            let code = enum_code(s.fact, word, item.col, cx)?;
            Rule::Contains(s, 1i64 << code)
        }
        Expr::Int(_) | Expr::Decimal(_) | Expr::Date(_) | Expr::List(_) => {
            return fail(col, "a value alone is not a condition", "compare it with a fact");
        }
    })
}

fn value(
    node: &Node,
    cx: &Context<'_>,
    in_members: bool,
    facts: &mut Vec<FactId>,
) -> Result<(Kind, Num), CompileError> {
    let col = node.col;
    Ok(match &node.expr {
        Expr::Int(i) => (Kind::Whole, Num::Const(*i)),
        Expr::Decimal(m) => (Kind::Decimal, Num::Const(*m)),
        Expr::Date(d) => (Kind::Date, Num::Const(*d)),
        Expr::Bool(b) => (Kind::Bool, Num::Const(i64::from(*b))),
        Expr::Members(Aggregate::Count, inner) => {
            if in_members {
                return fail(col, "members(…) cannot be nested", "write one count over members");
            }
            (Kind::Whole, Num::Count(Box::new(cond(inner, cx, true, facts)?), members_complete(cx.vocab)))
        }
        Expr::Name(name) => match slot(name, col, cx, in_members, facts)? {
            Some(s) => {
                let def = cx.vocab.get(s.fact);
                let kind = match &def.ty {
                    FactType::Bool => Kind::Bool,
                    FactType::Int | FactType::Money => Kind::Whole,
                    FactType::Decimal => Kind::Decimal,
                    FactType::Date => Kind::Date,
                    FactType::Enum(_) => Kind::Enum(s.fact),
                    FactType::Set(_) => Kind::Set(s.fact),
                };
                match def.derived {
                    Some(d) => {
                        let base = d.base();
                        let bdef = cx.vocab.get(base);
                        if !facts.contains(&base) {
                            facts.push(base);
                        }
                        (kind, Num::Derived(d, Slot { fact: base, scope: bdef.scope, index: bdef.slot }))
                    }
                    None => (kind, Num::Fact(s)),
                }
            }
            None => match cx.params.get(name) {
                Some(Param::Int(i)) => (Kind::Whole, Num::Const(*i)),
                Some(Param::Decimal(m)) => (Kind::Decimal, Num::Const(*m)),
                Some(Param::Date(d)) => (Kind::Date, Num::Const(*d)),
                Some(Param::Bool(b)) => (Kind::Bool, Num::Const(i64::from(*b))),
                Some(Param::Word(w)) => (Kind::Word(w.clone()), Num::Const(0)),
                None => (Kind::Word(name.clone()), Num::Const(0)),
            },
        },
        _ => {
            return fail(
                col,
                "expected a fact, a number, a date or a value",
                "see docs/catalogue.md for the criterion language",
            );
        }
    })
}

fn enum_code(id: FactId, word: &str, col: usize, cx: &Context<'_>) -> Result<i64, CompileError> {
    let def = cx.vocab.get(id);
    match def.ty.values().iter().position(|v| v == word) {
        Some(i) => Ok(i as i64),
        None => fail(
            col,
            format!("{word:?} is not a value of {}", def.name),
            format!("use one of: {}", def.ty.values().join(", ")),
        ),
    }
}

fn unify(
    op: CmpOp,
    a: (Kind, Num, usize),
    b: (Kind, Num, usize),
    cx: &Context<'_>,
) -> Result<(Num, Num), CompileError> {
    let ordered = !matches!(op, CmpOp::Eq | CmpOp::Ne);
    match (a.0, b.0) {
        (Kind::Whole, Kind::Whole) | (Kind::Date, Kind::Date) | (Kind::Decimal, Kind::Decimal) => {
            Ok((a.1, b.1))
        }
        // Whole numbers compared with decimals are scaled to thousandths.
        (Kind::Whole, Kind::Decimal) => Ok((scale(&a.1, a.2)?, b.1)),
        (Kind::Decimal, Kind::Whole) => Ok((a.1, scale(&b.1, b.2)?)),
        (Kind::Bool, Kind::Bool) if !ordered => Ok((a.1, b.1)),
        (Kind::Enum(x), Kind::Enum(y)) if x == y && !ordered => Ok((a.1, b.1)),
        (Kind::Enum(id), Kind::Word(w)) if !ordered => Ok((a.1, Num::Const(enum_code(id, &w, b.2, cx)?))),
        (Kind::Word(w), Kind::Enum(id)) if !ordered => Ok((Num::Const(enum_code(id, &w, a.2, cx)?), b.1)),
        (Kind::Enum(_), _) | (_, Kind::Enum(_)) if ordered => {
            fail(a.2, format!("{} cannot order enum values", op.symbol()), "use == or != or in [...]")
        }
        (Kind::Word(w), _) | (_, Kind::Word(w)) => fail(
            a.2,
            format!("{w:?} is neither a fact nor a parameter of this version"),
            "facts start with person. or household.; parameters are listed in the version's params",
        ),
        (x, y) => fail(
            a.2,
            format!("cannot compare {} with {}", kind_name(&x), kind_name(&y)),
            "compare values of the same type",
        ),
    }
}

fn scale(n: &Num, col: usize) -> Result<Num, CompileError> {
    match n {
        Num::Const(i) => Ok(Num::Const(i * 1000)),
        _ => fail(
            col,
            "a whole-number fact cannot be compared with a decimal",
            "write the decimal as a whole number",
        ),
    }
}

fn kind_name(k: &Kind) -> &'static str {
    match k {
        Kind::Bool => "a yes/no value",
        Kind::Whole => "a whole number",
        Kind::Decimal => "a decimal",
        Kind::Date => "a date",
        Kind::Enum(_) => "an enum value",
        Kind::Set(_) => "a set",
        Kind::Word(_) => "a word",
    }
}
