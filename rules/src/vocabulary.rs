//! The fact vocabulary: every fact a rule may read, with its type, its allowed values and its
//! question in English and Hindi. It is data (`schema/facts/*.toml`), checked when loaded.

use std::collections::HashMap;

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Lines, line_of};

/// Whose fact it is: one per household member, or one per household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Person,
    Household,
}

/// The type of a fact's value. Every value is stored as one `i64` so that the engine can keep
/// facts in flat rows and columns: booleans as 0/1, enums as the index of the value, sets as a
/// bitmask of value indexes, dates as days since 1970-01-01, decimals in thousandths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactType {
    Bool,
    Int,
    Money,
    Decimal,
    Date,
    Enum(Vec<String>),
    Set(Vec<String>),
}

impl FactType {
    pub fn name(&self) -> &'static str {
        match self {
            FactType::Bool => "bool",
            FactType::Int => "int",
            FactType::Money => "money",
            FactType::Decimal => "decimal",
            FactType::Date => "date",
            FactType::Enum(_) => "enum",
            FactType::Set(_) => "set",
        }
    }

    pub fn values(&self) -> &[String] {
        match self {
            FactType::Enum(v) | FactType::Set(v) => v,
            _ => &[],
        }
    }
}

/// A fact computed from another at the evaluation date, such as age from the date of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Derivation {
    YearsSince(FactId),
    MonthsSince(FactId),
    DaysSince(FactId),
}

/// The unit a derived fact counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Years,
    Months,
    Days,
}

impl Derivation {
    /// The date fact it is derived from.
    pub fn base(self) -> FactId {
        match self {
            Derivation::YearsSince(b) | Derivation::MonthsSince(b) | Derivation::DaysSince(b) => b,
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Derivation::YearsSince(_) => Unit::Years,
            Derivation::MonthsSince(_) => Unit::Months,
            Derivation::DaysSince(_) => Unit::Days,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactId(pub u16);

#[derive(Debug, Clone)]
pub struct FactDef {
    pub id: FactId,
    /// `person.age_years`, `household.bpl_status`, …
    pub name: String,
    pub scope: Scope,
    /// Index of this fact's slot within its scope's row.
    pub slot: usize,
    pub ty: FactType,
    pub en: String,
    pub hi: String,
    /// The question the facilitator reads to the family, in each language; empty for a derived
    /// fact, which is never asked.
    pub ask_en: String,
    pub ask_hi: String,
    pub values_en: Vec<String>,
    pub values_hi: Vec<String>,
    pub derived: Option<Derivation>,
    /// For a yes/no fact: who it can be true of, as a criterion (`person.sex == female and …`).
    /// Outside it the answer is implied "no" and never asked; the `bounds` module compiles it.
    pub only_if: Option<OnlyIf>,
    /// Personal data the law and the women it is about want kept close (caste, religion,
    /// disability, income, HIV): left out of exports unless asked for, and then audited.
    pub sensitive: bool,
}

/// The text of a fact's `only_if` and where it was written, compiled once the vocabulary is whole.
#[derive(Debug, Clone)]
pub struct OnlyIf {
    pub text: String,
    pub file: String,
    pub line: usize,
}

impl FactDef {
    /// The fact a facilitator is asked for when this one is missing (the date of birth for an age).
    pub fn asked_as(&self) -> FactId {
        match self.derived {
            Some(d) => d.base(),
            None => self.id,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    facts: Vec<FactDef>,
    by_name: HashMap<String, FactId>,
    slots: [usize; 2],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    fact: Vec<toml::Spanned<RawFact>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFact {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    en: String,
    hi: String,
    #[serde(default)]
    ask_en: Option<String>,
    #[serde(default)]
    ask_hi: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    values_en: Vec<String>,
    #[serde(default)]
    values_hi: Vec<String>,
    #[serde(default)]
    derived: Option<String>,
    #[serde(default)]
    only_if: Option<String>,
    #[serde(default)]
    sensitive: bool,
    /// Free text for the reader of the file: where the fact comes from, how to ask it.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

impl Vocabulary {
    /// Loads the vocabulary from its files, reporting every problem with file and line.
    pub fn load(files: &[(&str, &str)]) -> Result<Vocabulary, Vec<Diagnostic>> {
        let mut vocab = Vocabulary::default();
        let mut errors = Vec::new();
        let mut pending_derived = Vec::new();
        for (path, text) in files {
            let raw: RawFile = match toml::from_str(text) {
                Ok(r) => r,
                Err(e) => {
                    let line = e.span().map_or(0, |s| line_of(text, s.start));
                    errors.push(Diagnostic::new(path, line, e.message(), "fix the TOML syntax"));
                    continue;
                }
            };
            let lines = Lines::new(text);
            for spanned in raw.fact {
                let line = lines.of(spanned.span().start);
                let f = spanned.into_inner();
                let err = |msg: String, hint: &str| Diagnostic::new(path, line, msg, hint);
                let scope = match f.name.split_once('.') {
                    Some(("person", rest)) if !rest.is_empty() => Scope::Person,
                    Some(("household", rest)) if !rest.is_empty() => Scope::Household,
                    _ => {
                        errors.push(err(
                            format!("fact name {:?} must start with person. or household.", f.name),
                            "name it like person.age_years or household.bpl_status",
                        ));
                        continue;
                    }
                };
                if vocab.by_name.contains_key(&f.name) {
                    errors.push(err(format!("fact {} is defined twice", f.name), "keep one definition"));
                    continue;
                }
                let ty = match f.ty.as_str() {
                    "bool" => FactType::Bool,
                    "int" => FactType::Int,
                    "money" => FactType::Money,
                    "decimal" => FactType::Decimal,
                    "date" => FactType::Date,
                    "enum" | "set" => {
                        if f.values.is_empty() {
                            errors.push(err(
                                format!("{} has no values", f.name),
                                "list them in values = [...]",
                            ));
                            continue;
                        }
                        if f.ty == "set" && f.values.len() > 63 {
                            errors.push(err(format!("{} has more than 63 values", f.name), "split the set"));
                            continue;
                        }
                        if f.values_en.len() != f.values.len() || f.values_hi.len() != f.values.len() {
                            errors.push(err(
                                format!(
                                    "{} needs an English and a Hindi label for each of its {} values",
                                    f.name,
                                    f.values.len()
                                ),
                                "add values_en = [...] and values_hi = [...] in the same order as values",
                            ));
                            continue;
                        }
                        if f.ty == "enum" { FactType::Enum(f.values) } else { FactType::Set(f.values) }
                    }
                    other => {
                        errors.push(err(
                            format!("{} has unknown type {other:?}", f.name),
                            "use bool, int, money, decimal, date, enum or set",
                        ));
                        continue;
                    }
                };
                if f.en.trim().is_empty() || f.hi.trim().is_empty() {
                    errors.push(err(
                        format!("{} is missing its English or Hindi label", f.name),
                        "fill both en and hi",
                    ));
                }
                // A fact that is asked is asked as a question, in both languages; a derived fact
                // is worked out, never asked, so a question there would be a mistake.
                let is_question =
                    |q: &Option<String>| q.as_deref().is_some_and(|q| q.trim_end().ends_with('?'));
                match (&f.derived, &f.ask_en, &f.ask_hi) {
                    (Some(_), None, None) => {}
                    (Some(_), _, _) => errors.push(err(
                        format!("{} is derived and never asked, but has a question", f.name),
                        "remove ask_en and ask_hi",
                    )),
                    (None, en, hi) if is_question(en) && is_question(hi) => {}
                    (None, _, _) => errors.push(err(
                        format!("{} needs the question the facilitator asks, in English and Hindi, each ending with ?", f.name),
                        "add ask_en = \"Do they have a bank account?\" and ask_hi = \"क्या उनके पास बैंक खाता है?\"",
                    )),
                }
                let id = FactId(vocab.facts.len() as u16);
                let scope_index = scope as usize;
                let slot = vocab.slots[scope_index];
                vocab.slots[scope_index] += 1;
                if let Some(d) = f.derived {
                    pending_derived.push((id, d, path.to_string(), line));
                }
                vocab.by_name.insert(f.name.clone(), id);
                vocab.facts.push(FactDef {
                    id,
                    name: f.name,
                    scope,
                    slot,
                    ty,
                    en: f.en,
                    hi: f.hi,
                    ask_en: f.ask_en.unwrap_or_default(),
                    ask_hi: f.ask_hi.unwrap_or_default(),
                    values_en: f.values_en,
                    values_hi: f.values_hi,
                    derived: None,
                    only_if: f.only_if.map(|text| OnlyIf { text, file: path.to_string(), line }),
                    sensitive: f.sensitive,
                });
            }
        }
        for (id, text, path, line) in pending_derived {
            let parsed = text.split_once(':').and_then(|(how, from)| {
                let from = vocab.id(from.trim())?;
                let ok = vocab.get(from).ty == FactType::Date;
                match how.trim() {
                    "years_since" if ok => Some(Derivation::YearsSince(from)),
                    "months_since" if ok => Some(Derivation::MonthsSince(from)),
                    "days_since" if ok => Some(Derivation::DaysSince(from)),
                    _ => None,
                }
            });
            match parsed {
                Some(d) => vocab.facts[id.0 as usize].derived = Some(d),
                None => errors.push(Diagnostic::new(
                    &path,
                    line,
                    format!("cannot read derived = {text:?}"),
                    "write years_since:, months_since: or days_since: and a date fact, e.g. years_since:person.date_of_birth",
                )),
            }
        }
        if errors.is_empty() { Ok(vocab) } else { Err(errors) }
    }

    pub fn id(&self, name: &str) -> Option<FactId> {
        self.by_name.get(name).copied()
    }

    /// Whether fact `id` is sensitive, or worked out from one that is (an age from a date of
    /// birth would be, were the date sensitive).
    pub fn is_sensitive(&self, id: FactId) -> bool {
        let def = self.get(id);
        def.sensitive || def.derived.is_some_and(|d| self.get(d.base()).sensitive)
    }

    pub fn get(&self, id: FactId) -> &FactDef {
        &self.facts[id.0 as usize]
    }

    pub fn facts(&self) -> &[FactDef] {
        &self.facts
    }

    /// How many value slots a row of `scope` has.
    pub fn width(&self, scope: Scope) -> usize {
        self.slots[scope as usize]
    }

    /// The fact name closest to a misspelt `name`, for "did you mean" hints: the smallest edit
    /// distance, if it is small enough to be a typing mistake rather than another fact.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        crate::diagnostic::closest(name, self.facts.iter().map(|f| f.name.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(fact: &str) -> Result<Vocabulary, Vec<Diagnostic>> {
        let base = "[[fact]]\nname = \"person.date_of_birth\"\ntype = \"date\"\nen = \"Date of birth\"\nhi = \"जन्म तिथि\"\nask_en = \"When were they born?\"\nask_hi = \"उनका जन्म कब हुआ?\"\n\n";
        Vocabulary::load(&[("facts.toml", &format!("{base}{fact}"))])
    }

    /// Every asked fact is asked as a question in both languages; a derived one never is.
    #[test]
    fn a_fact_is_asked_as_a_question_in_both_languages() {
        let cases = [
            (
                "asked, with both questions",
                "ask_en = \"Are they widowed?\"\nask_hi = \"क्या वे विधवा हैं?\"\n",
                None,
            ),
            ("no question", "", Some("needs the question")),
            ("Hindi missing", "ask_en = \"Are they widowed?\"\n", Some("needs the question")),
            (
                "a statement, not a question",
                "ask_en = \"Widowed\"\nask_hi = \"विधवा है\"\n",
                Some("ending with ?"),
            ),
            (
                "derived, yet asked",
                "derived = \"years_since:person.date_of_birth\"\nask_en = \"How old?\"\nask_hi = \"उम्र?\"\n",
                Some("derived and never asked"),
            ),
            ("derived, not asked", "derived = \"years_since:person.date_of_birth\"\n", None),
        ];
        for (name, extra, want) in cases {
            let ty = if extra.contains("derived") { "int" } else { "bool" };
            let fact =
                format!("[[fact]]\nname = \"person.x\"\ntype = \"{ty}\"\nen = \"X\"\nhi = \"क\"\n{extra}");
            match (load(&fact), want) {
                (Ok(_), None) => {}
                (Err(e), Some(words)) => {
                    assert!(e.iter().any(|d| d.to_string().contains(words)), "{name}: {e:?}");
                    assert!(e.iter().all(|d| d.line == 9), "{name}: the fact's line: {e:?}");
                }
                (got, _) => panic!(
                    "{name}: unexpected {:?}",
                    got.map(|_| ()).map_err(|e| e.iter().map(ToString::to_string).collect::<Vec<_>>())
                ),
            }
        }
    }
}
