//! A loaded form: every question with its logic parsed, its labels in both interface languages
//! and what it records. A `Form` only exists whole and checked (see `load`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use samanvaya_rules::Text;
use samanvaya_rules::vocabulary::FactId;
use serde::Serialize;

use crate::expr::Expr;

/// A survey form, checked whole.
#[derive(Debug, Clone)]
pub struct Form {
    /// `form_id` of the settings sheet: submissions name the form they answered.
    pub id: String,
    /// `version` of the settings sheet, or a digest of the form when it has none.
    pub version: String,
    pub title: Text,
    /// The questions in the order of the survey sheet, groups and repeats holding theirs.
    pub items: Vec<Item>,
    pub lists: BTreeMap<String, ChoiceList>,
    /// Where every named item sits: its enclosing groups and repeat.
    pub places: HashMap<String, Place>,
    /// The question that records the respondent's consent, when the form has one.
    pub consent: Option<String>,
    /// The repeat that lists the household's members, when the form has one.
    pub members: Option<String>,
    /// What loaded but deserves the author's attention: fallbacks, ignored columns.
    pub warnings: Vec<Problem>,
}

/// Where an item sits in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    /// The names of the groups and repeat around it, outermost first.
    pub parents: Vec<String>,
    /// The repeat around it, if any (repeats do not nest).
    pub repeat: Option<String>,
    /// Its position in the survey sheet's order, for "comes before" checks.
    pub order: usize,
}

/// One row of the survey sheet (a group or repeat holding the rows up to its end).
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub kind: Kind,
    pub label: Option<Text>,
    pub hint: Option<Text>,
    pub required: Option<Expr>,
    pub required_message: Option<Text>,
    pub relevant: Option<Expr>,
    pub constraint: Option<Expr>,
    pub constraint_message: Option<Text>,
    pub calculation: Option<Expr>,
    pub default: Option<String>,
    pub choice_filter: Option<Expr>,
    pub read_only: bool,
    pub appearance: Option<String>,
    pub repeat_count: Option<Expr>,
    /// The `fact` cell as written: what the answer records beyond the submission.
    pub maps_to: Option<String>,
    /// `maps_to` checked against the fact vocabulary: a fact, a stated age, a field of the
    /// household record.
    pub target: Option<Target>,
    /// The survey sheet's row number, for messages.
    pub row: usize,
    pub children: Vec<Item>,
}

/// The type of a survey row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Kind {
    Text,
    Integer,
    Decimal,
    Date,
    SelectOne {
        list: String,
        other: bool,
    },
    SelectMultiple {
        list: String,
        other: bool,
    },
    Note,
    Calculate,
    Acknowledge,
    Geopoint,
    Group,
    Repeat,
    /// Filled by the app, never asked: when the survey started or ended, the day, the device,
    /// the user. Kobo's forms carry them on every form.
    Meta {
        meta: Meta,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Meta {
    Start,
    End,
    Today,
    DeviceId,
    Username,
}

impl Kind {
    /// Whether the row takes an answer from the person filling the form.
    pub fn is_asked(&self) -> bool {
        !matches!(self, Kind::Note | Kind::Calculate | Kind::Group | Kind::Repeat | Kind::Meta { .. })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Integer => "integer",
            Kind::Decimal => "decimal",
            Kind::Date => "date",
            Kind::SelectOne { .. } => "select_one",
            Kind::SelectMultiple { .. } => "select_multiple",
            Kind::Note => "note",
            Kind::Calculate => "calculate",
            Kind::Acknowledge => "acknowledge",
            Kind::Geopoint => "geopoint",
            Kind::Group => "group",
            Kind::Repeat => "repeat",
            Kind::Meta { .. } => "metadata",
        }
    }
}

/// What an answer records beyond the submission itself, declared in the survey sheet's `fact`
/// column and checked against the fact vocabulary when the form loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A fact of the vocabulary, of the household outside the member roster or of the member
    /// inside it.
    Fact(FactId),
    /// An age in years stated instead of a date of birth: recorded as the estimated date
    /// (the fact is the date the age is derived from).
    StatedAge(FactId),
    /// The codes of schemes already received.
    Receiving,
    /// A multiple choice whose choices each stand for a yes/no fact (the `fact` column of the
    /// choices sheet): a ticked choice records yes, an unticked one no, as for the documents
    /// a person holds.
    ByChoice,
    Record(RecordField),
}

/// A field of the household record rather than a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordField {
    /// On a repeat: each instance is a member of the household.
    Members,
    /// The member's name, inside the member roster.
    MemberName,
    /// The respondent's consent: nothing personal is asked or kept without it.
    Consent,
    /// The hamlet (tola) the household lives in.
    Hamlet,
    /// The household's phone number.
    Phone,
}

impl RecordField {
    pub const ALL: [(&'static str, RecordField); 5] = [
        ("record.members", RecordField::Members),
        ("record.member_name", RecordField::MemberName),
        ("record.consent", RecordField::Consent),
        ("record.hamlet", RecordField::Hamlet),
        ("record.phone", RecordField::Phone),
    ];
}

#[derive(Debug, Clone)]
pub struct ChoiceList {
    pub name: String,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub name: String,
    pub label: Text,
    /// The other columns of the choices sheet (for `choice_filter`), by header.
    pub columns: BTreeMap<String, String>,
}

/// A problem found in a form, at the sheet, row and column the author sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub sheet: String,
    /// The spreadsheet row (or the markdown line); 0 when the problem is the sheet itself.
    pub row: usize,
    /// The column letters and header, such as "F (relevant)"; empty for a whole row.
    pub column: String,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} sheet", self.sheet)?;
        if self.row > 0 {
            write!(f, ", row {}", self.row)?;
        }
        if !self.column.is_empty() {
            write!(f, ", column {}", self.column)?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl Form {
    /// The item named `name`, wherever it sits.
    pub fn item(&self, name: &str) -> Option<&Item> {
        fn find<'a>(items: &'a [Item], name: &str) -> Option<&'a Item> {
            items.iter().find_map(|i| if i.name == name { Some(i) } else { find(&i.children, name) })
        }
        find(&self.items, name)
    }

    /// Every item in the order of the survey sheet, groups before their children.
    pub fn walk(&self) -> Vec<&Item> {
        fn go<'a>(items: &'a [Item], out: &mut Vec<&'a Item>) {
            for i in items {
                out.push(i);
                go(&i.children, out);
            }
        }
        let mut out = Vec::new();
        go(&self.items, &mut out);
        out
    }
}
