//! The criterion language: one readable condition per line of a scheme file, such as
//! `person.age_years >= min_age` or `count(members, person.age_years >= 16 and person.age_years <= 59) == 0`.
//!
//! Grammar (lowest precedence first):
//! ```text
//! expr    = and ("or" and)*
//! and     = unary ("and" unary)*
//! unary   = "not" unary | compare
//! compare = atom (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "contains") atom)?
//! atom    = number | date | "true" | "false" | name | "(" expr ")" | "[" atom ("," atom)* "]"
//!         | ("any" | "all" | "count") "(" "members" "," expr ")"
//! ```
//! A name is a fact (`person.x`, `household.x`), a parameter of the scheme version, or an
//! enum value; the type checker decides which.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Aggregate {
    Any,
    All,
    Count,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Bool(bool),
    Int(i64),
    /// A decimal literal in thousandths.
    Decimal(i64),
    /// Days since 1970-01-01.
    Date(i64),
    Name(String),
    List(Vec<Node>),
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp(CmpOp, Box<Node>, Box<Node>),
    In(Box<Node>, Box<Node>),
    Contains(Box<Node>, Box<Node>),
    Members(Aggregate, Box<Node>),
}

/// An expression with the column (1-based, in characters) where it starts, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub expr: Expr,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub col: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(String),
    Date(i64),
    Ident(String),
    Op(&'static str),
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            // A date is written YYYY-MM-DD.
            if i - start == 4 && chars.get(i) == Some(&'-') && i + 6 <= chars.len() {
                let text: String = chars[start..i + 6].iter().collect();
                if let Ok(d) = NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
                    let days = (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days();
                    out.push((Tok::Date(days), col));
                    i += 6;
                    continue;
                }
                return Err(ParseError { col, message: format!("{text:?} is not a date") });
            }
            out.push((Tok::Num(chars[start..i].iter().filter(|c| **c != '_').collect()), col));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push((Tok::Ident(chars[start..i].iter().collect()), col));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = ["==", "!=", "<=", ">="].into_iter().find(|o| *o == two);
            if let Some(op) = op {
                out.push((Tok::Op(op), col));
                i += 2;
                continue;
            }
            let op = match c {
                '<' => "<",
                '>' => ">",
                '(' => "(",
                ')' => ")",
                '[' => "[",
                ']' => "]",
                ',' => ",",
                '=' => {
                    return Err(ParseError { col, message: "a single = is not a comparison".into() });
                }
                _ => {
                    return Err(ParseError { col, message: format!("unexpected character {c:?}") });
                }
            };
            out.push((Tok::Op(op), col));
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    end_col: usize,
}

pub fn parse(src: &str) -> Result<Node, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser { toks, pos: 0, end_col: src.chars().count() + 1 };
    let node = p.or()?;
    if let Some((t, col)) = p.toks.get(p.pos) {
        return Err(ParseError {
            col: *col,
            message: format!("unexpected {} after a complete condition", show(t)),
        });
    }
    Ok(node)
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Num(n) => n.clone(),
        Tok::Date(_) => "date".into(),
        Tok::Ident(s) => s.clone(),
        Tok::Op(o) => (*o).into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn col(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end_col, |(_, c)| *c)
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn op(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, op: &str) -> Result<(), ParseError> {
        if self.op(op) {
            Ok(())
        } else {
            Err(ParseError { col: self.col(), message: format!("expected {op:?}") })
        }
    }

    fn or(&mut self) -> Result<Node, ParseError> {
        let col = self.col();
        let mut items = vec![self.and()?];
        while self.keyword("or") {
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Node { expr: Expr::Or(items), col }
        })
    }

    fn and(&mut self) -> Result<Node, ParseError> {
        let col = self.col();
        let mut items = vec![self.unary()?];
        while self.keyword("and") {
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Node { expr: Expr::And(items), col }
        })
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        let col = self.col();
        if self.keyword("not") {
            return Ok(Node { expr: Expr::Not(Box::new(self.unary()?)), col });
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Node, ParseError> {
        let col = self.col();
        let left = self.atom()?;
        let ops = [
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
        ];
        for (sym, op) in ops {
            if self.op(sym) {
                let right = self.atom()?;
                return Ok(Node { expr: Expr::Cmp(op, Box::new(left), Box::new(right)), col });
            }
        }
        if self.keyword("in") {
            let right = self.atom()?;
            return Ok(Node { expr: Expr::In(Box::new(left), Box::new(right)), col });
        }
        if self.keyword("contains") {
            let right = self.atom()?;
            return Ok(Node { expr: Expr::Contains(Box::new(left), Box::new(right)), col });
        }
        Ok(left)
    }

    fn atom(&mut self) -> Result<Node, ParseError> {
        let col = self.col();
        let Some((tok, _)) = self.toks.get(self.pos).cloned() else {
            return Err(ParseError { col, message: "the condition ends too early".into() });
        };
        self.pos += 1;
        let expr = match tok {
            Tok::Num(n) => {
                if let Some((whole, frac)) = n.split_once('.') {
                    let frac3: String = format!("{frac:0<3}").chars().take(3).collect();
                    match (whole.parse::<i64>(), frac3.parse::<i64>(), frac.len() <= 3) {
                        (Ok(w), Ok(f), true) => Expr::Decimal(w * 1000 + f),
                        _ => {
                            return Err(ParseError {
                                col,
                                message: format!("{n:?} is not a number with at most 3 decimals"),
                            });
                        }
                    }
                } else {
                    Expr::Int(
                        n.parse()
                            .map_err(|_| ParseError { col, message: format!("{n:?} is not a number") })?,
                    )
                }
            }
            Tok::Date(d) => Expr::Date(d),
            Tok::Op("(") => {
                let inner = self.or()?;
                self.expect(")")?;
                return Ok(inner);
            }
            Tok::Op("[") => {
                let mut items = vec![self.atom()?];
                while self.op(",") {
                    items.push(self.atom()?);
                }
                self.expect("]")?;
                Expr::List(items)
            }
            Tok::Ident(w) if w == "true" => Expr::Bool(true),
            Tok::Ident(w) if w == "false" => Expr::Bool(false),
            Tok::Ident(w) if matches!(w.as_str(), "any" | "all" | "count") && self.op("(") => {
                let agg = match w.as_str() {
                    "any" => Aggregate::Any,
                    "all" => Aggregate::All,
                    _ => Aggregate::Count,
                };
                if !self.keyword("members") {
                    return Err(ParseError {
                        col: self.col(),
                        message: format!("{w}( must be followed by members,"),
                    });
                }
                self.expect(",")?;
                let inner = self.or()?;
                self.expect(")")?;
                Expr::Members(agg, Box::new(inner))
            }
            Tok::Ident(w) if matches!(w.as_str(), "and" | "or" | "not" | "in" | "contains") => {
                return Err(ParseError { col, message: format!("{w:?} cannot start a value") });
            }
            Tok::Ident(w) => Expr::Name(w),
            Tok::Op(o) => {
                return Err(ParseError { col, message: format!("unexpected {o:?}") });
            }
        };
        Ok(Node { expr, col })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(n: &Node) -> String {
        match &n.expr {
            Expr::Bool(b) => b.to_string(),
            Expr::Int(i) => i.to_string(),
            Expr::Decimal(d) => format!("{d}m"),
            Expr::Date(d) => format!("d{d}"),
            Expr::Name(s) => s.clone(),
            Expr::List(v) => format!("[{}]", v.iter().map(shape).collect::<Vec<_>>().join(",")),
            Expr::Not(x) => format!("(not {})", shape(x)),
            Expr::And(v) => format!("({})", v.iter().map(shape).collect::<Vec<_>>().join(" and ")),
            Expr::Or(v) => format!("({})", v.iter().map(shape).collect::<Vec<_>>().join(" or ")),
            Expr::Cmp(op, a, b) => format!("({} {} {})", shape(a), op.symbol(), shape(b)),
            Expr::In(a, b) => format!("({} in {})", shape(a), shape(b)),
            Expr::Contains(a, b) => format!("({} contains {})", shape(a), shape(b)),
            Expr::Members(agg, x) => format!("{agg:?}({})", shape(x)),
        }
    }

    #[test]
    fn parses_the_criterion_language() {
        let cases = [
            ("person.age_years >= 60", "(person.age_years >= 60)"),
            ("a and b or c and not d", "((a and b) or (c and (not d)))"),
            ("not (a or b)", "(not (a or b))"),
            ("person.caste in [sc, st]", "(person.caste in [sc,st])"),
            ("household.land <= 2.5", "(household.land <= 2500m)"),
            ("person.dob < 2000-01-01", "(person.dob < d10957)"),
            ("count(members, person.age_years >= 16) == 0", "(Count((person.age_years >= 16)) == 0)"),
            ("any(members, person.sex == female)", "Any((person.sex == female))"),
            ("person.docs contains aadhaar", "(person.docs contains aadhaar)"),
            ("household.income <= 1_20_000", "(household.income <= 120000)"),
        ];
        for (src, want) in cases {
            assert_eq!(shape(&parse(src).unwrap()), want, "{src}");
        }
    }

    #[test]
    fn reports_the_column_of_a_mistake() {
        let cases = [
            ("person.age_years = 60", 18, "single ="),
            ("person.age_years >=", 20, "ends too early"),
            ("a b", 3, "unexpected b"),
            ("count(person.x)", 7, "members"),
            ("x < 2024-13-01", 5, "not a date"),
            ("(a and b", 9, "expected \")\""),
        ];
        for (src, col, msg) in cases {
            let e = parse(src).unwrap_err();
            assert_eq!(e.col, col, "{src}: {e:?}");
            assert!(e.message.contains(msg), "{src}: {e:?}");
        }
    }
}
