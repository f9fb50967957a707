//! Evaluates a parsed expression the way ODK Collect and Enketo do, so that a form behaves the
//! same here as where its authors tested it: answers are text, an empty answer compares as
//! empty text, relational operators compare numbers, and dates compare and subtract as days.

use chrono::NaiveDate;

use crate::expr::{BinaryOp, Expr, Function};

/// A value during evaluation.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date")
}

impl Value {
    /// The XPath `number()` of the value: a date is its day count since 1970, text that is a
    /// date (answers are stored as text) too, and text that is not a number is NaN.
    pub fn number(&self) -> f64 {
        match self {
            Value::Number(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            Value::Date(d) => (*d - epoch()).num_days() as f64,
            Value::Text(s) => {
                let s = s.trim();
                if let Ok(n) = s.parse::<f64>() {
                    n
                } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    (d - epoch()).num_days() as f64
                } else {
                    f64::NAN
                }
            }
        }
    }

    /// The XPath `string()` of the value; whole numbers are written without a decimal point.
    pub fn text(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
            Value::Number(n) if n.is_nan() => "NaN".into(),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Value::Number(n) => n.to_string(),
        }
    }

    /// The XPath `boolean()` of the value: non-empty text, a non-zero number.
    pub fn truth(&self) -> bool {
        match self {
            Value::Text(s) => !s.is_empty(),
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
            Value::Date(_) => true,
        }
    }
}

/// What an expression can see: the answers around it, the day, the repeat it stands in.
pub trait Context {
    /// The answer of question `name`, seen from where the expression stands (inside a repeat
    /// instance, a sibling's answer in the same instance).
    fn answer(&self, name: &str) -> Value;
    /// The answer of the question the expression belongs to.
    fn current(&self) -> Value;
    /// A column of the choice being filtered (only in a `choice_filter`).
    fn column(&self, name: &str) -> Value;
    /// The position, counted from 1, of the repeat instance the expression stands in.
    fn position(&self) -> Option<usize>;
    /// `indexed-repeat(${name}, ${repeat}, index)`.
    fn indexed(&self, name: &str, index: usize) -> Value;
    /// How many instances repeat `name` has.
    fn count(&self, name: &str) -> usize;
    /// The day the survey is filled, passed in: the engine reads no clock.
    fn today(&self) -> NaiveDate;
}

/// Evaluates `e` in `cx`.
pub fn eval(e: &Expr, cx: &dyn Context) -> Value {
    match e {
        Expr::Number(n) => Value::Number(*n),
        Expr::Text(s) => Value::Text(s.clone()),
        Expr::Ref(r) => cx.answer(r),
        Expr::Current => cx.current(),
        Expr::Column(c) => cx.column(c),
        Expr::Negate(e) => Value::Number(-eval(e, cx).number()),
        Expr::Binary(op, a, b) => binary(*op, a, b, cx),
        Expr::Call(f, args) => call(*f, args, cx),
    }
}

fn binary(op: BinaryOp, a: &Expr, b: &Expr, cx: &dyn Context) -> Value {
    // `and` and `or` do not evaluate their right side when the left decides, as in XPath.
    match op {
        BinaryOp::Or => return Value::Bool(eval(a, cx).truth() || eval(b, cx).truth()),
        BinaryOp::And => return Value::Bool(eval(a, cx).truth() && eval(b, cx).truth()),
        _ => {}
    }
    let (x, y) = (eval(a, cx), eval(b, cx));
    let num = |f: fn(f64, f64) -> f64| Value::Number(f(x.number(), y.number()));
    match op {
        BinaryOp::Eq => Value::Bool(equal(&x, &y)),
        BinaryOp::Ne => Value::Bool(!equal(&x, &y)),
        BinaryOp::Lt => Value::Bool(x.number() < y.number()),
        BinaryOp::Le => Value::Bool(x.number() <= y.number()),
        BinaryOp::Gt => Value::Bool(x.number() > y.number()),
        BinaryOp::Ge => Value::Bool(x.number() >= y.number()),
        BinaryOp::Add => num(|p, q| p + q),
        BinaryOp::Sub => num(|p, q| p - q),
        BinaryOp::Mul => num(|p, q| p * q),
        BinaryOp::Div => num(|p, q| p / q),
        BinaryOp::Mod => num(|p, q| p % q),
        BinaryOp::Or | BinaryOp::And => unreachable!("handled above"),
    }
}

/// XPath 1.0 equality: booleans compare as booleans, then numbers (a date is a number) as
/// numbers, and otherwise the texts.
fn equal(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Bool(_), _) | (_, Value::Bool(_)) => x.truth() == y.truth(),
        (Value::Number(_) | Value::Date(_), _) | (_, Value::Number(_) | Value::Date(_)) => {
            x.number() == y.number()
        }
        _ => x.text() == y.text(),
    }
}

fn call(f: Function, args: &[Expr], cx: &dyn Context) -> Value {
    let arg = |i: usize| eval(&args[i], cx);
    match f {
        Function::Selected => {
            let wanted = arg(1).text();
            let wanted = wanted.trim();
            Value::Bool(arg(0).text().split_whitespace().any(|s| s == wanted))
        }
        Function::CountSelected => Value::Number(arg(0).text().split_whitespace().count() as f64),
        Function::StringLength => Value::Number(arg(0).text().chars().count() as f64),
        Function::If => {
            if arg(0).truth() {
                arg(1)
            } else {
                arg(2)
            }
        }
        Function::Today => Value::Date(cx.today()),
        Function::Int => Value::Number(arg(0).number().trunc()),
        Function::Concat => Value::Text(args.iter().map(|a| eval(a, cx).text()).collect()),
        Function::Coalesce => {
            let first = arg(0);
            if first.text().is_empty() { arg(1) } else { first }
        }
        Function::Position => cx.position().map_or(Value::Number(f64::NAN), |p| Value::Number(p as f64)),
        Function::IndexedRepeat => {
            let Expr::Ref(name) = &args[0] else { return Value::Text(String::new()) };
            let index = arg(2).number();
            if index.is_nan() || index < 1.0 {
                return Value::Text(String::new());
            }
            cx.indexed(name, index as usize)
        }
        Function::Count => match &args[0] {
            Expr::Ref(name) => Value::Number(cx.count(name) as f64),
            _ => Value::Number(f64::NAN),
        },
        Function::Not => Value::Bool(!arg(0).truth()),
        Function::True => Value::Bool(true),
        Function::False => Value::Bool(false),
        Function::Number => Value::Number(arg(0).number()),
        Function::String => Value::Text(arg(0).text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    struct Answers(Vec<(&'static str, &'static str)>);

    impl Context for Answers {
        fn answer(&self, name: &str) -> Value {
            let v = self.0.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v);
            Value::Text(v.to_owned())
        }
        fn current(&self) -> Value {
            self.answer(".")
        }
        fn column(&self, name: &str) -> Value {
            self.answer(name)
        }
        fn position(&self) -> Option<usize> {
            Some(2)
        }
        fn indexed(&self, name: &str, index: usize) -> Value {
            Value::Text(format!("{name}#{index}"))
        }
        fn count(&self, _: &str) -> usize {
            4
        }
        fn today(&self) -> NaiveDate {
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        }
    }

    fn run(expr: &str, answers: &[(&'static str, &'static str)]) -> Value {
        eval(&parse(expr).unwrap(), &Answers(answers.to_vec()))
    }

    #[test]
    fn cases() {
        let cx = [
            ("age", "34"),
            ("dob", "1990-05-01"),
            ("docs", "aadhaar ration_card"),
            ("empty", ""),
            ("name", "सीता"),
            (".", "12"),
        ];
        let cases: &[(&str, Value)] = &[
            ("${age} > 18", Value::Bool(true)),
            ("${age} = 34", Value::Bool(true)),
            ("${age} = '34'", Value::Bool(true)),
            ("${empty} = ''", Value::Bool(true)),
            ("${empty} > 5", Value::Bool(false)),
            ("${empty} < 5", Value::Bool(false)),
            ("${missing} != ''", Value::Bool(false)),
            ("selected(${docs}, 'aadhaar')", Value::Bool(true)),
            ("selected(${docs}, 'aadhar')", Value::Bool(false)),
            ("count-selected(${docs})", Value::Number(2.0)),
            ("string-length(${name})", Value::Number(4.0)),
            ("int((today() - ${dob}) div 365.25)", Value::Number(36.0)),
            ("${dob} < today()", Value::Bool(true)),
            ("if(${age} >= 60, 'old', 'young')", Value::Text("young".into())),
            ("concat(${name}, '-', ${age})", Value::Text("सीता-34".into())),
            ("coalesce(${empty}, ${age})", Value::Text("34".into())),
            ("position(..)", Value::Number(2.0)),
            ("indexed-repeat(${name}, ${members}, 1 + 1)", Value::Text("name#2".into())),
            ("count(${members})", Value::Number(4.0)),
            (". >= 0 and . <= 100", Value::Bool(true)),
            ("not(${empty})", Value::Bool(true)),
            ("-${age} + 40", Value::Number(6.0)),
            ("7 mod 3", Value::Number(1.0)),
            ("number('x')", Value::Number(f64::NAN)),
            ("true() = 'anything'", Value::Bool(true)),
        ];
        for (expr, want) in cases {
            let got = run(expr, &cx);
            let same = match (&got, want) {
                (Value::Number(a), Value::Number(b)) if a.is_nan() && b.is_nan() => true,
                _ => got == *want,
            };
            assert!(same, "{expr}: got {got:?}, want {want:?}");
        }
    }

    #[test]
    fn numbers_are_written_the_xpath_way() {
        assert_eq!(Value::Number(3.0).text(), "3");
        assert_eq!(Value::Number(2.5).text(), "2.5");
        assert_eq!(Value::Number(f64::NAN).text(), "NaN");
    }
}
