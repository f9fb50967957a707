//! What the survey screen is sent: the form's questions to draw, and the logic's verdict on the
//! answers to show. Their own types, exported to TypeScript, so that the screen's contract does
//! not move when the engine's internals do.

use std::collections::BTreeMap;

use samanvaya_rules::Text;
use serde::Serialize;
use ts_rs::TS;

use crate::answer::State;
use crate::definition::{Form, Item, Kind};

/// A text in both interface languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SurveyText {
    pub en: String,
    pub hi: String,
}

impl From<&Text> for SurveyText {
    fn from(t: &Text) -> Self {
        SurveyText { en: t.en.clone(), hi: t.hi.clone() }
    }
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SurveyForm {
    pub id: String,
    pub version: String,
    pub title: SurveyText,
    pub items: Vec<SurveyItem>,
    pub lists: BTreeMap<String, Vec<SurveyChoice>>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SurveyItem {
    pub name: String,
    /// The XLSForm type: text, integer, decimal, date, select_one, select_multiple, note,
    /// calculate, acknowledge, geopoint, group, repeat, metadata.
    pub kind: String,
    /// The choice list of a select.
    pub list: Option<String>,
    /// Whether a select offers "other".
    pub other: bool,
    pub label: Option<SurveyText>,
    pub hint: Option<SurveyText>,
    pub appearance: Option<String>,
    pub read_only: bool,
    /// For a repeat: whether the form sets its number of instances (else the user adds them).
    pub counted: bool,
    /// The fact (or record field) the answer records, as the form's `fact` column says.
    pub fact: Option<String>,
    pub children: Vec<SurveyItem>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SurveyChoice {
    pub name: String,
    pub label: SurveyText,
}

/// The logic's verdict on one question (one instance of it in a repeat).
#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SurveyQuestion {
    pub name: String,
    pub instance: Option<u32>,
    pub relevant: bool,
    pub required: bool,
    pub value: String,
    pub choices: Option<Vec<String>>,
    pub problem: Option<SurveyText>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[ts(export)]
pub struct SurveyState {
    pub questions: Vec<SurveyQuestion>,
    pub instances: BTreeMap<String, u32>,
    /// How many shown questions stop the survey from being finished.
    pub problems: u32,
}

fn item(i: &Item) -> SurveyItem {
    let (list, other) = match &i.kind {
        Kind::SelectOne { list, other } | Kind::SelectMultiple { list, other } => {
            (Some(list.clone()), *other)
        }
        _ => (None, false),
    };
    SurveyItem {
        name: i.name.clone(),
        kind: i.kind.name().to_owned(),
        list,
        other,
        label: i.label.as_ref().map(SurveyText::from),
        hint: i.hint.as_ref().map(SurveyText::from),
        appearance: i.appearance.clone(),
        read_only: i.read_only,
        counted: i.repeat_count.is_some(),
        fact: i.maps_to.clone(),
        children: i.children.iter().map(item).collect(),
    }
}

/// The form as the screen draws it.
pub fn form(f: &Form) -> SurveyForm {
    SurveyForm {
        id: f.id.clone(),
        version: f.version.clone(),
        title: SurveyText::from(&f.title),
        items: f.items.iter().map(item).collect(),
        lists: f
            .lists
            .values()
            .map(|l| {
                let choices = l
                    .choices
                    .iter()
                    .map(|c| SurveyChoice { name: c.name.clone(), label: SurveyText::from(&c.label) })
                    .collect();
                (l.name.clone(), choices)
            })
            .collect(),
    }
}

/// The logic's verdict as the screen shows it.
pub fn state(s: &State) -> SurveyState {
    SurveyState {
        questions: s
            .questions
            .iter()
            .map(|q| SurveyQuestion {
                name: q.slot.name.clone(),
                instance: q.slot.instance.map(|i| i as u32),
                relevant: q.relevant,
                required: q.required,
                value: q.value.clone(),
                choices: q.choices.clone(),
                problem: q.problem.as_ref().map(SurveyText::from),
            })
            .collect(),
        instances: s.instances.iter().map(|(k, v)| (k.clone(), *v as u32)).collect(),
        problems: s.problems().count() as u32,
    }
}
