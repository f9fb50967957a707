//! A survey being filled: the answers as the person typed them, and what the form's logic makes
//! of them (which questions show, what is calculated, which answers are missing or refused).
//!
//! Answers are kept as text, the way XForms keep them (a multiple choice as its names separated
//! by spaces, a point as "latitude longitude"), so a draft saved after every keystroke is a plain
//! map, and the logic is worked out again from it whenever it changes.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use samanvaya_rules::Text;
use serde::{Deserialize, Serialize};

use crate::definition::{Form, Item, Kind};
use crate::eval::{self, Context, Value};

/// The answers of one survey: outside the repeats by question name, and per repeat one map per
/// instance. A question with no entry was never answered (its default applies); an entry with
/// empty text was cleared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, rename = "SurveyAnswers")]
pub struct Answers {
    #[serde(default)]
    pub values: BTreeMap<String, String>,
    #[serde(default)]
    pub repeats: BTreeMap<String, Vec<BTreeMap<String, String>>>,
}

/// Where an answer sits: a question, and for one inside a repeat the instance (from 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    pub name: String,
    pub instance: Option<usize>,
}

/// Why an answer is not a possible answer of its question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    NotWhole,
    NotNumber,
    NotDate,
    NotChoice(String),
    NotPoint,
    /// A whole Aadhaar number in a text answer: the app never keeps one.
    AadhaarNumber,
}

impl Invalid {
    /// The message for the person filling the form.
    pub fn message(&self) -> Text {
        let t = |en: &str, hi: &str| Text { en: en.into(), hi: hi.into() };
        match self {
            Invalid::NotWhole => t("Write a whole number, such as 4.", "पूरी संख्या लिखें, जैसे 4।"),
            Invalid::NotNumber => t("Write a number, such as 2.5.", "संख्या लिखें, जैसे 2.5।"),
            Invalid::NotDate => t(
                "Write a date as year-month-day, such as 1984-03-21.",
                "तारीख़ साल-महीना-दिन लिखें, जैसे 1984-03-21।",
            ),
            Invalid::NotChoice(c) => Text {
                en: format!("'{c}' is not one of the choices; choose from the list."),
                hi: format!("'{c}' सूची में नहीं है; सूची में से चुनें।"),
            },
            Invalid::NotPoint => t(
                "Write the place as latitude and longitude, such as 25.61 85.14.",
                "जगह अक्षांश और देशांतर में लिखें, जैसे 25.61 85.14।",
            ),
            Invalid::AadhaarNumber => t(
                "This looks like a whole Aadhaar number. The app never keeps one: remove it.",
                "यह पूरा आधार नंबर लगता है। ऐप आधार नंबर कभी नहीं रखता: इसे हटा दें।",
            ),
        }
    }
}

/// Whether `text` is a possible answer of `item` (its type and, for a select, its list).
pub fn check_value(form: &Form, item: &Item, text: &str) -> Result<(), Invalid> {
    let text = text.trim();
    match &item.kind {
        Kind::Integer => text.parse::<i64>().map(|_| ()).map_err(|_| Invalid::NotWhole),
        Kind::Decimal => {
            text.parse::<f64>().ok().filter(|f| f.is_finite()).map(|_| ()).ok_or(Invalid::NotNumber)
        }
        Kind::Date => NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|_| ()).map_err(|_| Invalid::NotDate),
        Kind::SelectOne { list, other } => choice_ok(form, list, *other, text),
        Kind::SelectMultiple { list, other } => {
            text.split_whitespace().try_for_each(|c| choice_ok(form, list, *other, c))
        }
        Kind::Geopoint => {
            let parts: Vec<f64> = text.split_whitespace().filter_map(|p| p.parse().ok()).collect();
            match parts.as_slice() {
                [lat, lon, ..] if (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon) => Ok(()),
                _ => Err(Invalid::NotPoint),
            }
        }
        // A free text is where a whole Aadhaar number would slip in (`samanvaya_domain::aadhaar`).
        Kind::Text if samanvaya_domain::aadhaar::holds_aadhaar(text) => Err(Invalid::AadhaarNumber),
        _ => Ok(()),
    }
}

fn choice_ok(form: &Form, list: &str, other: bool, name: &str) -> Result<(), Invalid> {
    let known = form.lists.get(list).is_some_and(|l| l.choices.iter().any(|c| c.name == name));
    if known || (other && name == "other") { Ok(()) } else { Err(Invalid::NotChoice(name.to_owned())) }
}

/// What the logic makes of one question (one instance of it inside a repeat).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionState {
    pub slot: Slot,
    pub relevant: bool,
    pub required: bool,
    /// The answer that counts: typed, defaulted or calculated; empty when not relevant.
    pub value: String,
    /// For a select with a choice_filter, the choices that pass it.
    pub choices: Option<Vec<String>>,
    /// Why the answer cannot be accepted as it is, when it cannot.
    pub problem: Option<Text>,
}

/// The form's logic over a set of answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct State {
    pub questions: Vec<QuestionState>,
    /// How many instances each repeat has.
    pub instances: BTreeMap<String, usize>,
}

impl State {
    pub fn get(&self, name: &str, instance: Option<usize>) -> Option<&QuestionState> {
        self.questions.iter().find(|q| q.slot.name == name && q.slot.instance == instance)
    }

    /// The questions whose answers stop the survey from being finished.
    pub fn problems(&self) -> impl Iterator<Item = &QuestionState> {
        self.questions.iter().filter(|q| q.relevant && q.problem.is_some())
    }

    /// The answer that counts for `name` (in `instance`), empty when not relevant or unanswered.
    pub fn value(&self, name: &str, instance: Option<usize>) -> &str {
        self.get(name, instance).filter(|q| q.relevant).map_or("", |q| q.value.as_str())
    }
}

/// The values the logic sees while it is worked out.
struct Effective<'a> {
    form: &'a Form,
    today: NaiveDate,
    values: HashMap<String, String>,
    repeats: HashMap<String, Vec<HashMap<String, String>>>,
}

impl Effective<'_> {
    fn get(&self, name: &str, instance: Option<usize>) -> String {
        match (self.form.places.get(name).and_then(|p| p.repeat.as_deref()), instance) {
            (Some(r), Some(i)) => self
                .repeats
                .get(r)
                .and_then(|v| v.get(i))
                .and_then(|m| m.get(name))
                .cloned()
                .unwrap_or_default(),
            (Some(_), None) => String::new(),
            (None, _) => self.values.get(name).cloned().unwrap_or_default(),
        }
    }

    fn set(&mut self, name: &str, instance: Option<usize>, value: String) -> bool {
        let slot = match (self.form.places.get(name).and_then(|p| p.repeat.clone()), instance) {
            (Some(r), Some(i)) => match self.repeats.get_mut(&r).and_then(|v| v.get_mut(i)) {
                Some(m) => m.entry(name.to_owned()).or_default(),
                None => return false,
            },
            (Some(_), None) => return false,
            (None, _) => self.values.entry(name.to_owned()).or_default(),
        };
        let changed = *slot != value;
        *slot = value;
        changed
    }
}

struct Cx<'a> {
    eff: &'a Effective<'a>,
    repeat: Option<&'a str>,
    instance: Option<usize>,
    current: Option<&'a str>,
    choice: Option<&'a crate::definition::Choice>,
}

impl Context for Cx<'_> {
    fn answer(&self, name: &str) -> Value {
        let inside = self.eff.form.places.get(name).and_then(|p| p.repeat.as_deref());
        let instance = if inside.is_some() && inside == self.repeat { self.instance } else { None };
        Value::Text(self.eff.get(name, instance))
    }
    fn current(&self) -> Value {
        Value::Text(self.current.unwrap_or("").to_owned())
    }
    fn column(&self, name: &str) -> Value {
        Value::Text(self.choice.and_then(|c| c.columns.get(name)).cloned().unwrap_or_default())
    }
    fn position(&self) -> Option<usize> {
        self.instance.map(|i| i + 1)
    }
    fn indexed(&self, name: &str, index: usize) -> Value {
        Value::Text(self.eff.get(name, Some(index - 1)))
    }
    fn count(&self, name: &str) -> usize {
        self.eff.repeats.get(name).map_or(0, Vec::len)
    }
    fn today(&self) -> NaiveDate {
        self.eff.today
    }
}

/// The largest number of instances a repeat_count may ask for: a typo such as 60 for 6 should
/// not create thousands of empty members.
pub const MAX_INSTANCES: usize = 200;

/// Works out the form's logic over `answers` on day `today`.
pub fn evaluate(form: &Form, answers: &Answers, today: NaiveDate) -> State {
    let items = form.walk();
    let consent_order = form.consent.as_ref().map(|c| form.places[c].order);
    let mut eff = Effective {
        form,
        today,
        values: HashMap::new(),
        repeats: answers
            .repeats
            .iter()
            .map(|(r, v)| {
                (
                    r.clone(),
                    v.iter().map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).collect(),
                )
            })
            .collect(),
    };
    // Answers start as typed (or defaulted); each pass then blanks what is not relevant and
    // recalculates, until nothing changes. Calculations do not go round in circles (checked at
    // load), so this settles within as many passes as the longest chain of dependencies.
    let stored = |name: &str, instance: Option<usize>, item: &Item| -> String {
        let typed = match (form.places[name].repeat.as_deref(), instance) {
            (Some(r), Some(i)) => answers.repeats.get(r).and_then(|v| v.get(i)).and_then(|m| m.get(name)),
            _ => answers.values.get(name),
        };
        match typed {
            Some(t) => t.trim().to_owned(),
            None => item.default.clone().unwrap_or_default(),
        }
    };
    let mut states: Vec<QuestionState> = Vec::new();
    for _pass in 0..=items.len().min(64) {
        let mut changed = false;
        states.clear();
        let mut relevant_groups: HashMap<(&str, Option<usize>), bool> = HashMap::new();
        for item in &items {
            let place = &form.places[&item.name];
            if item.kind == Kind::Repeat {
                let cx = Cx { eff: &eff, repeat: None, instance: None, current: None, choice: None };
                let parents_ok = place
                    .parents
                    .iter()
                    .all(|p| relevant_groups.get(&(p.as_str(), None)).copied().unwrap_or(true));
                let own = item.relevant.as_ref().is_none_or(|e| eval::eval(e, &cx).truth());
                let gated = consent_order.is_none_or(|c| place.order < c || consent_given(form, &eff));
                let relevant = parents_ok && own && gated;
                let count = match (&item.repeat_count, relevant) {
                    (_, false) => 0,
                    (Some(e), true) => {
                        let n = eval::eval(e, &cx).number();
                        if n.is_finite() && n > 0.0 { (n as usize).min(MAX_INSTANCES) } else { 0 }
                    }
                    (None, true) => answers.repeats.get(&item.name).map_or(0, Vec::len),
                };
                let list = eff.repeats.entry(item.name.clone()).or_default();
                if list.len() != count {
                    list.resize_with(count, HashMap::new);
                    changed = true;
                }
                relevant_groups.insert((item.name.as_str(), None), relevant);
                continue;
            }
            let instances: Vec<Option<usize>> = match place.repeat.as_deref() {
                Some(r) => (0..eff.repeats.get(r).map_or(0, Vec::len)).map(Some).collect(),
                None => vec![None],
            };
            for instance in instances {
                let cx =
                    Cx { eff: &eff, repeat: place.repeat.as_deref(), instance, current: None, choice: None };
                // A group inside the repeat is relevant per instance; the repeat itself and the
                // groups around it are relevant once.
                let parents_ok = place.parents.iter().all(|p| {
                    let p_inside = form.places.get(p).and_then(|pp| pp.repeat.as_deref()).is_some();
                    let key = (p.as_str(), if p_inside { instance } else { None });
                    relevant_groups.get(&key).copied().unwrap_or(true)
                });
                let own = item.relevant.as_ref().is_none_or(|e| eval::eval(e, &cx).truth());
                // Without consent nothing after the consent question is asked or recorded; a
                // note records nothing, so the one that closes a refused survey still shows.
                let exempt = form.consent.as_deref() == Some(item.name.as_str())
                    || matches!(item.kind, Kind::Note | Kind::Meta { .. });
                let gated =
                    exempt || consent_order.is_none_or(|c| place.order < c || consent_given(form, &eff));
                let relevant = parents_ok && own && gated;
                if item.kind == Kind::Group {
                    relevant_groups.insert((item.name.as_str(), instance), relevant);
                    continue;
                }
                let value = if !relevant {
                    String::new()
                } else if let Some(calc) = &item.calculation {
                    eval::eval(calc, &cx).text()
                } else {
                    stored(&item.name, instance, item)
                };
                let required = relevant && item.required.as_ref().is_some_and(|e| eval::eval(e, &cx).truth());
                let choices = match (&item.kind, &item.choice_filter) {
                    (Kind::SelectOne { list, .. } | Kind::SelectMultiple { list, .. }, Some(filter)) => Some(
                        form.lists[list]
                            .choices
                            .iter()
                            .filter(|c| {
                                let cx = Cx {
                                    eff: &eff,
                                    repeat: place.repeat.as_deref(),
                                    instance,
                                    current: None,
                                    choice: Some(c),
                                };
                                eval::eval(filter, &cx).truth()
                            })
                            .map(|c| c.name.clone())
                            .collect::<Vec<_>>(),
                    ),
                    _ => None,
                };
                let problem = if !relevant || !item.kind.is_asked() {
                    None
                } else if value.is_empty() {
                    required.then(|| {
                        item.required_message.clone().unwrap_or_else(|| Text {
                            en: "This question needs an answer.".into(),
                            hi: "इस सवाल का जवाब ज़रूरी है।".into(),
                        })
                    })
                } else if let Err(invalid) = check_value(form, item, &value) {
                    Some(invalid.message())
                } else if let Some(bad) = choices
                    .as_ref()
                    .and_then(|ok| value.split_whitespace().find(|v| !ok.iter().any(|c| c == v)))
                {
                    Some(Invalid::NotChoice(bad.to_owned()).message())
                } else if item.constraint.as_ref().is_some_and(|e| {
                    let cx = Cx {
                        eff: &eff,
                        repeat: place.repeat.as_deref(),
                        instance,
                        current: Some(&value),
                        choice: None,
                    };
                    !eval::eval(e, &cx).truth()
                }) {
                    Some(item.constraint_message.clone().unwrap_or_else(|| Text {
                        en: "This answer is not allowed here; check it.".into(),
                        hi: "यह जवाब यहाँ सही नहीं है; जाँच लें।".into(),
                    }))
                } else {
                    None
                };
                states.push(QuestionState {
                    slot: Slot { name: item.name.clone(), instance },
                    relevant,
                    required,
                    value: value.clone(),
                    choices,
                    problem,
                });
                changed |= eff.set(&item.name, instance, value);
            }
        }
        if !changed {
            break;
        }
    }
    let instances = eff.repeats.iter().map(|(r, v)| (r.clone(), v.len())).collect();
    State { questions: states, instances }
}

/// Whether the consent question has been answered yes (or acknowledged).
fn consent_given(form: &Form, eff: &Effective) -> bool {
    let Some(c) = &form.consent else { return true };
    matches!(eff.get(c, None).to_lowercase().as_str(), "yes" | "ok")
}
