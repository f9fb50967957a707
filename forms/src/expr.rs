//! The XPath subset that XLSForm columns (`relevant`, `constraint`, `calculation`,
//! `choice_filter`, `repeat_count`, `required`) are written in, parsed into a tree once at load.
//!
//! Only what survey authors in this field actually write is accepted: `${name}` references, `.`
//! for the answer being checked, literals, comparisons, `and`/`or`, arithmetic and a short list
//! of functions. Anything else (paths, unions, unknown functions) is refused with the reason, so
//! that a form never loads with logic the engine would silently get wrong.

use std::fmt;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Number(f64),
    Text(String),
    /// `${name}`: another question's answer.
    Ref(String),
    /// `.`: the answer of the question the expression belongs to.
    Current,
    /// A bare name: in a `choice_filter`, a column of the choices sheet.
    Column(String),
    Negate(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// The functions a form may call, each with the number of arguments it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Selected,
    CountSelected,
    StringLength,
    If,
    Today,
    Int,
    Concat,
    Coalesce,
    Position,
    IndexedRepeat,
    Count,
    Not,
    True,
    False,
    Number,
    String,
}

impl Function {
    fn by_name(name: &str) -> Option<Function> {
        Some(match name {
            "selected" => Function::Selected,
            "count-selected" => Function::CountSelected,
            "string-length" => Function::StringLength,
            "if" => Function::If,
            "today" => Function::Today,
            "int" => Function::Int,
            "concat" => Function::Concat,
            "coalesce" => Function::Coalesce,
            "position" => Function::Position,
            "indexed-repeat" => Function::IndexedRepeat,
            "count" => Function::Count,
            "not" => Function::Not,
            "true" => Function::True,
            "false" => Function::False,
            "number" => Function::Number,
            "string" => Function::String,
            _ => return None,
        })
    }

    /// The smallest and largest number of arguments (`None`: any number from the smallest).
    fn arity(self) -> (usize, Option<usize>) {
        match self {
            Function::Today | Function::True | Function::False => (0, Some(0)),
            Function::Position => (1, Some(1)),
            Function::CountSelected
            | Function::StringLength
            | Function::Int
            | Function::Not
            | Function::Number
            | Function::String
            | Function::Count => (1, Some(1)),
            Function::Selected | Function::Coalesce => (2, Some(2)),
            Function::If | Function::IndexedRepeat => (3, Some(3)),
            Function::Concat => (1, None),
        }
    }
}

/// Why an expression was refused, with the character position (counted from 1) it points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    pub at: usize,
    pub reason: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.at, self.reason)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Text(String),
    Ref(String),
    Name(String),
    Dot,
    DotDot,
    Op(&'static str),
    Open,
    Close,
    Comma,
}

/// Parses one expression; `text` is the cell as the author wrote it.
pub fn parse(text: &str) -> Result<Expr, ExprError> {
    let tokens = lex(text)?;
    let mut p = Parser { tokens, pos: 0, end: text.chars().count() + 1 };
    let e = p.or()?;
    if let Some((tok, at)) = p.tokens.get(p.pos) {
        return Err(ExprError {
            at: *at,
            reason: format!("unexpected {} after a complete expression", describe(tok)),
        });
    }
    Ok(e)
}

fn describe(t: &Token) -> String {
    match t {
        Token::Number(n) => format!("number {n}"),
        Token::Text(s) => format!("text '{s}'"),
        Token::Ref(r) => format!("${{{r}}}"),
        Token::Name(n) => format!("'{n}'"),
        Token::Dot => "'.'".into(),
        Token::DotDot => "'..'".into(),
        Token::Op(o) => format!("'{o}'"),
        Token::Open => "'('".into(),
        Token::Close => "')'".into(),
        Token::Comma => "','".into(),
    }
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || c == '.'
}

fn lex(text: &str) -> Result<Vec<(Token, usize)>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        let err = |reason: String| Err(ExprError { at, reason });
        match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '$' => {
                if chars.get(i + 1) != Some(&'{') {
                    return err("'$' must start a reference written ${name}".into());
                }
                let Some(close) = chars[i + 2..].iter().position(|&c| c == '}') else {
                    return err("the reference ${… is not closed with '}'".into());
                };
                let name: String = chars[i + 2..i + 2 + close].iter().collect();
                let name = name.trim().to_owned();
                if name.is_empty() || !name.chars().all(is_name_char) {
                    return err(format!("'{name}' is not a question name"));
                }
                out.push((Token::Ref(name), at));
                i += close + 3;
            }
            '\'' | '"' => {
                let Some(close) = chars[i + 1..].iter().position(|&q| q == c) else {
                    return err(format!("the text starting here is not closed with {c}"));
                };
                out.push((Token::Text(chars[i + 1..i + 1 + close].iter().collect()), at));
                i += close + 2;
            }
            '0'..='9' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                let Ok(n) = s.parse::<f64>() else { return err(format!("'{s}' is not a number")) };
                out.push((Token::Number(n), at));
                continue;
            }
            '.' => {
                if chars.get(i + 1) == Some(&'.') {
                    out.push((Token::DotDot, at));
                    i += 2;
                } else if chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                    let start = i;
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    let s: String = chars[start..i].iter().collect();
                    out.push((Token::Number(s.parse().unwrap_or(0.0)), at));
                    continue;
                } else if chars.get(i + 1) == Some(&'/') {
                    return err(
                        "paths such as ./name are not supported: refer to a question as ${name}".into()
                    );
                } else {
                    out.push((Token::Dot, at));
                    i += 1;
                }
            }
            '/' => return err("XPath paths are not supported: refer to a question as ${name}".into()),
            '|' => return err("the union operator | is not supported".into()),
            '[' | ']' => return err("predicates [...] are not supported: use indexed-repeat()".into()),
            '(' => {
                out.push((Token::Open, at));
                i += 1;
            }
            ')' => {
                out.push((Token::Close, at));
                i += 1;
            }
            ',' => {
                out.push((Token::Comma, at));
                i += 1;
            }
            '=' => {
                out.push((Token::Op("="), at));
                i += 1;
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push((Token::Op("!="), at));
                i += 2;
            }
            '<' | '>' => {
                let two = chars.get(i + 1) == Some(&'=');
                let op = match (c, two) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    ('>', true) => ">=",
                    _ => ">",
                };
                out.push((Token::Op(op), at));
                i += if two { 2 } else { 1 };
            }
            '+' => {
                out.push((Token::Op("+"), at));
                i += 1;
            }
            '-' => {
                out.push((Token::Op("-"), at));
                i += 1;
            }
            '*' => {
                out.push((Token::Op("*"), at));
                i += 1;
            }
            c if is_name_start(c) => {
                let start = i;
                while i < chars.len() && is_name_char(chars[i]) {
                    i += 1;
                }
                // A name never ends in '-' or '.': "a- 1" is the name a minus one.
                while i > start + 1 && matches!(chars[i - 1], '-' | '.') {
                    i -= 1;
                }
                let name: String = chars[start..i].iter().collect();
                out.push((Token::Name(name), at));
                continue;
            }
            _ => return err(format!("the character '{c}' has no meaning in an expression")),
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(_, at)| *at)
    }

    fn error<T>(&self, reason: impl Into<String>) -> Result<T, ExprError> {
        Err(ExprError { at: self.at(), reason: reason.into() })
    }

    /// The binary operator at the cursor, if it is one of `ops`. `and`, `or`, `div` and `mod`
    /// are names in XPath and operators only where an operator can stand.
    fn operator(&self, ops: &[(&str, BinaryOp)]) -> Option<BinaryOp> {
        let word = match self.peek()? {
            Token::Op(o) => *o,
            Token::Name(n) => n.as_str(),
            _ => return None,
        };
        ops.iter().find(|(w, _)| *w == word).map(|(_, op)| *op)
    }

    fn level(
        &mut self,
        ops: &[(&str, BinaryOp)],
        next: fn(&mut Parser) -> Result<Expr, ExprError>,
    ) -> Result<Expr, ExprError> {
        let mut left = next(self)?;
        while let Some(op) = self.operator(ops) {
            self.pos += 1;
            let right = next(self)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        self.level(&[("or", BinaryOp::Or)], Parser::and)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        self.level(&[("and", BinaryOp::And)], Parser::equality)
    }

    fn equality(&mut self) -> Result<Expr, ExprError> {
        self.level(&[("=", BinaryOp::Eq), ("!=", BinaryOp::Ne)], Parser::relational)
    }

    fn relational(&mut self) -> Result<Expr, ExprError> {
        self.level(
            &[("<", BinaryOp::Lt), ("<=", BinaryOp::Le), (">", BinaryOp::Gt), (">=", BinaryOp::Ge)],
            Parser::additive,
        )
    }

    fn additive(&mut self) -> Result<Expr, ExprError> {
        self.level(&[("+", BinaryOp::Add), ("-", BinaryOp::Sub)], Parser::multiplicative)
    }

    fn multiplicative(&mut self) -> Result<Expr, ExprError> {
        self.level(&[("*", BinaryOp::Mul), ("div", BinaryOp::Div), ("mod", BinaryOp::Mod)], Parser::unary)
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if self.peek() == Some(&Token::Op("-")) {
            self.pos += 1;
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, ExprError> {
        let Some((tok, at)) = self.tokens.get(self.pos).cloned() else {
            return self.error("the expression ends where a value was expected");
        };
        self.pos += 1;
        match tok {
            Token::Number(n) => Ok(Expr::Number(n)),
            Token::Text(s) => Ok(Expr::Text(s)),
            Token::Ref(r) => Ok(Expr::Ref(r)),
            Token::Dot => Ok(Expr::Current),
            Token::DotDot => Err(ExprError { at, reason: "'..' is only allowed inside position(..)".into() }),
            Token::Open => {
                let e = self.or()?;
                if self.peek() != Some(&Token::Close) {
                    return self.error("a '(' is not closed with ')'");
                }
                self.pos += 1;
                Ok(e)
            }
            Token::Name(name) if self.peek() == Some(&Token::Open) => {
                self.pos += 1;
                self.call(&name, at)
            }
            Token::Name(name) => Ok(Expr::Column(name)),
            other => Err(ExprError { at, reason: format!("{} cannot start a value", describe(&other)) }),
        }
    }

    fn call(&mut self, name: &str, at: usize) -> Result<Expr, ExprError> {
        let Some(f) = Function::by_name(name) else {
            return Err(ExprError {
                at,
                reason: format!(
                    "the function {name}() is not supported (supported: selected, count-selected, \
                     string-length, if, today, int, concat, coalesce, position, indexed-repeat, \
                     count, not, true, false, number, string)"
                ),
            });
        };
        let mut args = Vec::new();
        if f == Function::Position {
            if self.peek() != Some(&Token::DotDot) {
                return self.error("position() is only supported as position(..), inside a repeat");
            }
            self.pos += 1;
            args.push(Expr::Current);
        } else if self.peek() != Some(&Token::Close) {
            loop {
                args.push(self.or()?);
                match self.peek() {
                    Some(Token::Comma) => self.pos += 1,
                    _ => break,
                }
            }
        }
        if self.peek() != Some(&Token::Close) {
            return self.error(format!("the call to {name}() is not closed with ')'"));
        }
        self.pos += 1;
        let (min, max) = f.arity();
        let n = args.len();
        if n < min || max.is_some_and(|m| n > m) {
            let wanted = match max {
                Some(m) if m == min => format!("{min}"),
                Some(m) => format!("{min} to {m}"),
                None => format!("at least {min}"),
            };
            return Err(ExprError { at, reason: format!("{name}() takes {wanted} argument(s), not {n}") });
        }
        Ok(Expr::Call(f, args))
    }
}

impl Expr {
    /// Every `${name}` the expression reads, in order of appearance.
    pub fn refs(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Ref(r) = e {
                out.push(r.as_str());
            }
        });
        out
    }

    /// Every bare column name the expression reads.
    pub fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Column(c) = e {
                out.push(c.as_str());
            }
        });
        out
    }

    /// Whether the expression calls `f` anywhere.
    pub fn calls(&self, f: Function) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, Expr::Call(g, _) if *g == f));
        found
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Negate(e) => e.visit(f),
            Expr::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.visit(f)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_follows_xpath() {
        let e = parse("${a} + 2 * 3 > 4 and not(${b} = 'x') or .").unwrap();
        let Expr::Binary(BinaryOp::Or, left, right) = e else { panic!("or at the top") };
        assert_eq!(*right, Expr::Current);
        let Expr::Binary(BinaryOp::And, cmp, _) = *left else { panic!("and under or") };
        let Expr::Binary(BinaryOp::Gt, sum, _) = *cmp else { panic!("> under and") };
        let Expr::Binary(BinaryOp::Add, _, product) = *sum else { panic!("+ under >") };
        assert!(matches!(*product, Expr::Binary(BinaryOp::Mul, _, _)));
    }

    #[test]
    fn hyphenated_function_names_are_names_and_minus_is_minus() {
        assert!(matches!(parse("count-selected(${x})").unwrap(), Expr::Call(Function::CountSelected, _)));
        assert!(matches!(parse("${a}-1").unwrap(), Expr::Binary(BinaryOp::Sub, _, _)));
        assert!(matches!(parse("5 div 2").unwrap(), Expr::Binary(BinaryOp::Div, _, _)));
    }

    #[test]
    fn refused_with_the_place_and_the_reason() {
        let e = parse("/data/age > 5").unwrap_err();
        assert_eq!(e.at, 1);
        assert!(e.reason.contains("${name}"));
        let e = parse("format-date(today(), '%Y')").unwrap_err();
        assert!(e.reason.contains("format-date() is not supported"), "{e}");
        let e = parse("if(${a}, 1)").unwrap_err();
        assert!(e.reason.contains("takes 3 argument(s), not 2"), "{e}");
        let e = parse("(${a} > 1").unwrap_err();
        assert!(e.reason.contains("not closed"), "{e}");
        let e = parse("${a} > 1 )").unwrap_err();
        assert_eq!(e.at, 10);
    }
}
