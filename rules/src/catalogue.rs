//! The scheme catalogue: one TOML file per scheme (`schema/schemes/`), loaded and checked
//! against the fact vocabulary. Every problem is reported with its file, line and a hint.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::compile::{self, Param, Rule};
use crate::diagnostic::{Diagnostic, Lines, line_of};
use crate::facts::days_from_date;
use crate::toml_values::toml_date;
use crate::vocabulary::{FactId, Scope, Vocabulary};

pub use crate::text::Text;

/// The household fact naming the state, whose values are the `state` of state schemes.
pub const STATE_FACT: &str = "household.state";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Central,
    State,
}

/// An entitlement is screened for; a service is open to everyone in its group and is shown as
/// a referral point, never as something a person "qualifies" for by means test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Entitlement,
    Service,
}

/// How far the catalogue's criteria were checked against public sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Verified,
    Secondary,
    Partial,
    Unverified,
}

#[derive(Debug, Clone)]
pub struct Criterion {
    /// The condition as written in the file.
    pub when: String,
    /// What it means, with parameter values filled in.
    pub text: Text,
    pub rule: Rule,
    pub facts: Vec<FactId>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Version {
    pub valid_from: NaiveDate,
    /// The last day this version is in force (inclusive); `None` while it still is.
    pub valid_to: Option<NaiveDate>,
    pub source: String,
    pub params: Vec<(String, Param)>,
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone)]
pub struct Scheme {
    pub code: String,
    pub file: String,
    pub name: Text,
    pub department: Text,
    pub level: Level,
    /// The state a state scheme belongs to (`bihar`, `delhi`).
    pub state: Option<String>,
    pub unit: Scope,
    pub kind: Kind,
    pub verification: Verification,
    pub benefit: Text,
    pub documents: Vec<Text>,
    pub where_to_apply: Text,
    pub source: String,
    pub note: Option<String>,
    pub versions: Vec<Version>,
    pub cases: Vec<crate::case::Case>,
    /// The exclusive group the scheme belongs to (an index into `Catalogue::groups`), if any.
    pub group: Option<usize>,
}

impl Scheme {
    /// The version in force on `on`, if any.
    pub fn version_on(&self, on: NaiveDate) -> Option<&Version> {
        self.versions.iter().find(|v| v.valid_from <= on && v.valid_to.is_none_or(|to| on <= to))
    }
}

/// An exclusive group of schemes (`schema/groups/`, loaded by the `group` module): alternatives of
/// which a subject gets one.
#[derive(Debug, Clone)]
pub struct Group {
    pub code: String,
    pub file: String,
    pub name: Text,
    /// The rule as a sentence, e.g. "A person gets only one social-security pension".
    pub rule: Text,
    pub unit: Scope,
    /// Indexes into the catalogue's schemes, in order of preference.
    pub members: Vec<usize>,
    /// When true, the order goes from the better benefit to the lesser, and a subject may move
    /// up: receiving a scheme rules out only those after it (a priority-household card holder
    /// may still be moved to Antyodaya). When false, receiving any member rules out the others.
    pub upgrade: bool,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    pub vocab: Vocabulary,
    pub schemes: Vec<Scheme>,
    pub groups: Vec<Group>,
    /// Who each bounded yes/no fact can be true of (see the `bounds` module).
    pub bounds: Vec<(FactId, Rule)>,
}

impl Catalogue {
    pub fn scheme(&self, code: &str) -> Option<&Scheme> {
        self.schemes.iter().find(|s| s.code == code)
    }

    /// A household in the documented JSON format (docs/eligibility-facts.md), its facts checked
    /// against the vocabulary and its `receiving` codes against the schemes; every mistake is
    /// reported at once.
    pub fn read_household(
        &self,
        doc: &serde_json::Value,
    ) -> Result<crate::facts::HouseholdFacts, Vec<crate::facts::FactError>> {
        let facts = crate::facts::HouseholdFacts::from_json(&self.vocab, doc)?;
        let errors = self.check_receiving(&facts);
        if errors.is_empty() { Ok(facts) } else { Err(errors) }
    }

    /// Every `receiving` code of `facts` that is not a scheme of the catalogue: an unknown code
    /// would leave a pensioner shown as eligible for the pension she already draws.
    pub fn check_receiving(&self, facts: &crate::facts::HouseholdFacts) -> Vec<crate::facts::FactError> {
        let subjects = std::iter::once(("household".to_owned(), &facts.receiving))
            .chain(facts.members.iter().enumerate().map(|(i, m)| (format!("members[{i}]"), &m.receiving)));
        let mut errors = Vec::new();
        for (path, codes) in subjects {
            for code in codes.iter().filter(|c| self.scheme(c).is_none()) {
                let hint =
                    match crate::diagnostic::closest(code, self.schemes.iter().map(|s| s.code.as_str())) {
                        Some(near) => format!("; did you mean {near}?"),
                        None => "; use the codes of schema/schemes/".into(),
                    };
                errors.push(crate::facts::FactError {
                    path: format!("{path}.receiving"),
                    message: format!("{code} is not a scheme of the catalogue{hint}"),
                });
            }
        }
        errors
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScheme {
    code: String,
    unit: String,
    level: Level,
    #[serde(default)]
    state: Option<String>,
    kind: Kind,
    verification: Verification,
    source: String,
    #[serde(default)]
    note: Option<String>,
    name: Text,
    department: Text,
    benefit: Text,
    where_to_apply: Text,
    #[serde(default)]
    documents: Vec<Text>,
    version: Vec<toml::Spanned<RawVersion>>,
    #[serde(default)]
    case: Vec<toml::Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVersion {
    valid_from: toml::Value,
    #[serde(default)]
    valid_to: Option<toml::Value>,
    source: String,
    #[serde(default)]
    params: toml::Table,
    criterion: Vec<toml::Spanned<RawCriterion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    when: toml::Spanned<String>,
    en: String,
    hi: String,
}

/// Loads every scheme file against `vocab`; returns all problems rather than the first. The
/// catalogue has no groups yet: the crate's `load` adds them.
pub fn load(vocab: Vocabulary, files: &[(&str, &str)]) -> Result<Catalogue, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut schemes: Vec<Scheme> = Vec::new();
    for (path, text) in files {
        match load_scheme(&vocab, path, text) {
            Ok(s) => {
                if let Some(other) = schemes.iter().find(|o| o.code == s.code) {
                    errors.push(Diagnostic::new(
                        path,
                        1,
                        format!("scheme code {} is also used by {}", s.code, other.file),
                        "give each scheme its own code",
                    ));
                }
                schemes.push(s);
            }
            Err(mut e) => errors.append(&mut e),
        }
    }
    schemes.sort_by(|a, b| a.code.cmp(&b.code));
    if errors.is_empty() {
        Ok(Catalogue { vocab, schemes, groups: Vec::new(), bounds: Vec::new() })
    } else {
        Err(errors)
    }
}

fn load_scheme(vocab: &Vocabulary, path: &str, text: &str) -> Result<Scheme, Vec<Diagnostic>> {
    let raw: RawScheme = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        vec![Diagnostic::new(
            path,
            line,
            e.message().trim(),
            "see docs/catalogue.md for the scheme file format",
        )]
    })?;
    let lines = Lines::new(text);
    let mut errors = Vec::new();
    let mut err = |line: usize, msg: String, hint: &str| errors.push(Diagnostic::new(path, line, msg, hint));
    let unit = match raw.unit.as_str() {
        "person" => Scope::Person,
        "household" => Scope::Household,
        other => {
            err(
                1,
                format!("unit {other:?} is neither person nor household"),
                "write unit = \"person\" or \"household\"",
            );
            Scope::Person
        }
    };
    if raw.level == Level::State && raw.state.is_none() {
        err(
            1,
            format!("state scheme {} does not say which state", raw.code),
            "add state = \"bihar\" or \"delhi\"",
        );
    }
    for (what, t) in [
        ("name", &raw.name),
        ("department", &raw.department),
        ("benefit", &raw.benefit),
        ("where_to_apply", &raw.where_to_apply),
    ]
    .into_iter()
    .chain(raw.documents.iter().map(|d| ("documents", d)))
    {
        if t.en.trim().is_empty() || t.hi.trim().is_empty() {
            err(1, format!("{what} is missing its English or Hindi text"), "fill both en and hi");
        }
    }

    let mut versions: Vec<Version> = Vec::new();
    for spanned in &raw.version {
        let vline = lines.of(spanned.span().start);
        let v = spanned.get_ref();
        let Some(valid_from) = toml_date(&v.valid_from) else {
            err(vline, "valid_from is not a date".into(), "write valid_from = 2011-04-01");
            continue;
        };
        let valid_to = match &v.valid_to {
            None => None,
            Some(x) => match toml_date(x) {
                Some(d) => Some(d),
                None => {
                    err(
                        vline,
                        "valid_to is not a date".into(),
                        "write valid_to = 2025-06-30, the last day in force",
                    );
                    continue;
                }
            },
        };
        let mut params = HashMap::new();
        let mut ordered = Vec::new();
        for (k, value) in &v.params {
            let p = match value {
                toml::Value::Integer(i) => Param::Int(*i),
                toml::Value::Float(f) => Param::Decimal((f * 1000.0).round() as i64),
                toml::Value::Boolean(b) => Param::Bool(*b),
                toml::Value::Datetime(_) => Param::Date(days_from_date(toml_date(value).unwrap_or_default())),
                toml::Value::String(s) => Param::Word(s.clone()),
                _ => {
                    err(
                        vline,
                        format!("parameter {k} must be a number, date, yes/no or word"),
                        "write e.g. min_age = 60",
                    );
                    continue;
                }
            };
            params.insert(k.clone(), p.clone());
            ordered.push((k.clone(), p));
        }
        let cx = compile::Context { vocab, params: &params, unit };
        let mut criteria = Vec::new();
        for c in &v.criterion {
            let cline = lines.of(c.span().start);
            let c = c.get_ref();
            let when_line = lines.of(c.when.span().start);
            let when = c.when.get_ref();
            match compile::criterion(when, &cx) {
                Ok((rule, facts)) => {
                    if c.en.trim().is_empty() || c.hi.trim().is_empty() {
                        err(
                            cline,
                            format!("criterion {when:?} is missing its English or Hindi text"),
                            "fill both en and hi",
                        );
                    }
                    let fill = |s: &str, hindi: bool| {
                        ordered.iter().fold(s.to_owned(), |acc, (k, p)| {
                            // An amount of rupees reads as lakhs where it is round.
                            let t = match p {
                                Param::Int(n) if k.ends_with("_inr") => crate::words::rupees(*n),
                                _ => p.display(),
                            };
                            acc.replace(&format!("{{{k}}}"), if hindi { &t.hi } else { &t.en })
                        })
                    };
                    criteria.push(Criterion {
                        when: when.clone(),
                        text: Text { en: fill(&c.en, false), hi: fill(&c.hi, true) },
                        rule,
                        facts,
                        line: when_line,
                    });
                }
                Err((message, hint)) => err(when_line, message, &hint),
            }
        }
        versions.push(Version { valid_from, valid_to, source: v.source.clone(), params: ordered, criteria });
    }
    versions.sort_by_key(|v| v.valid_from);
    for pair in versions.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        match a.valid_to {
            None => err(
                1,
                format!(
                    "the version from {} has no valid_to but a later version starts {}",
                    a.valid_from, b.valid_from
                ),
                "end the earlier version the day before the later one starts",
            ),
            Some(to) if to >= b.valid_from => err(
                1,
                format!("versions overlap: one runs to {to}, the next starts {}", b.valid_from),
                "end the earlier version the day before the later one starts",
            ),
            Some(to) if to.succ_opt() != Some(b.valid_from) => err(
                1,
                format!("gap between versions: one ends {to}, the next starts {}", b.valid_from),
                "if the scheme was closed in between, say so in note and keep the dates contiguous, or close the gap",
            ),
            _ => {}
        }
    }
    if let Some(v) = versions.iter().find(|v| v.valid_to.is_some_and(|to| to < v.valid_from)) {
        err(
            1,
            format!(
                "a version ends ({}) before it starts ({})",
                v.valid_to.unwrap_or_default(),
                v.valid_from
            ),
            "swap the dates",
        );
    }
    if versions.is_empty() && raw.version.is_empty() {
        err(1, "the scheme has no [[version]]".into(), "add at least one version with its criteria");
    }

    let mut scheme = Scheme {
        code: raw.code,
        file: path.to_owned(),
        name: raw.name,
        department: raw.department,
        level: raw.level,
        state: raw.state,
        unit,
        kind: raw.kind,
        verification: raw.verification,
        benefit: raw.benefit,
        documents: raw.documents,
        where_to_apply: raw.where_to_apply,
        source: raw.source,
        note: raw.note,
        versions,
        cases: Vec::new(),
        group: None,
    };
    for c in &raw.case {
        let line = lines.of(c.span().start);
        match crate::case::Case::read(vocab, scheme.unit, c.get_ref(), line) {
            Ok(case) => scheme.cases.push(case),
            Err(msg) => err(line, msg, "see docs/catalogue.md for the case format"),
        }
    }
    if errors.is_empty() { Ok(scheme) } else { Err(errors) }
}
