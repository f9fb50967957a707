//! Filling the baseline survey as a facilitator does: every question the form shows answered
//! with a plausible value picked from a seed (the same answers on every run), the draft saved,
//! ready to finish. `survey-bench` and a day's work (`day.rs`) share it.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use anyhow::{Result, bail, ensure};
use chrono::{Days, NaiveDate};
use samanvaya_core::{Moment, Store};
use samanvaya_domain::HouseholdId;
use samanvaya_forms::answer::{QuestionState, Slot};
use samanvaya_forms::{Answers, Form, Kind, State, evaluate};

/// A number from `seed` and a question's place, the same on every run, to pick its answer.
fn dice(seed: u64, slot: &Slot) -> u64 {
    let mut h = DefaultHasher::new();
    (seed, &slot.name, slot.instance).hash(&mut h);
    h.finish()
}

/// The answer a facilitator might give to question `item` at `slot`, or `None` when it is one
/// the record already answered (a member's birth is the record's).
fn pick(
    form: &Form,
    item: &samanvaya_forms::Item,
    q: &QuestionState,
    answers: &Answers,
    seed: u64,
    today: NaiveDate,
) -> Option<String> {
    let slot = &q.slot;
    let n = dice(seed, slot);
    let member = |name: &str| -> Option<&String> {
        let roster = form.members.as_ref()?;
        answers.repeats.get(roster)?.get(slot.instance?)?.get(name)
    };
    let fixed = match slot.name.as_str() {
        "consent" | "all_listed" => Some("yes".to_owned()),
        // The record gives a member's date of birth or an estimated age: the survey says which.
        "dob_known" => Some(if member("dob").is_some() { "yes" } else { "no" }.to_owned()),
        "age" => Some((20 + n % 40).to_string()),
        "dob" => Some("1990-06-15".to_owned()),
        "phone" => Some(format!("9{:09}", n % 1_000_000_000)),
        "aadhaar_last4" => Some(format!("{:04}", n % 10_000)),
        "income" => Some((30_000 + (n % 20) * 5_000).to_string()),
        "children_alive" => Some((n % 5).to_string()),
        "disability_pct" => Some((40 + n % 50).to_string()),
        "land_acres" => Some(format!("{}.5", n % 3)),
        "last_delivery" => Some((today - Days::new(60 + n % 100)).to_string()),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    match &item.kind {
        Kind::SelectOne { list, .. } | Kind::SelectMultiple { list, .. } => {
            // A filtered list offers only the choices that pass its filter.
            let names: Vec<&str> = match &q.choices {
                Some(passing) => passing.iter().map(String::as_str).collect(),
                None => form.lists.get(list)?.choices.iter().map(|c| c.name.as_str()).collect(),
            };
            (!names.is_empty()).then(|| names[(n % names.len() as u64) as usize].to_owned())
        }
        Kind::Integer => Some((n % 5).to_string()),
        Kind::Decimal => Some("1.5".to_owned()),
        Kind::Date => Some((today - Days::new(365 + n % 3_000)).to_string()),
        Kind::Text => Some("ठीक".to_owned()),
        Kind::Geopoint => Some("24.75 84.99".to_owned()),
        Kind::Acknowledge => Some("OK".to_owned()),
        _ => None,
    }
}

fn set(form: &Form, answers: &mut Answers, slot: &Slot, value: String) {
    let repeat = form.places.get(&slot.name).and_then(|p| p.repeat.clone());
    match (slot.instance, repeat) {
        (Some(i), Some(r)) => {
            let list = answers.repeats.entry(r).or_default();
            while list.len() <= i {
                list.push(Default::default());
            }
            list[i].insert(slot.name.clone(), value);
        }
        _ => {
            answers.values.insert(slot.name.clone(), value);
        }
    }
}

/// Answers every question the survey shows that is still empty, as a facilitator fills the form
/// (a shown question reveals others, so the logic is worked out again until none is left), and
/// returns the logic's verdict, which has nothing left to fix.
pub fn answer_all(form: &Form, answers: &mut Answers, seed: u64, today: NaiveDate) -> Result<State> {
    for _ in 0..10 {
        let state = evaluate(form, answers, today);
        let mut answered = false;
        for q in state.questions.iter().filter(|q| q.relevant && q.value.is_empty()) {
            let Some(item) = form.item(&q.slot.name).filter(|i| i.kind.is_asked()) else { continue };
            if let Some(v) = pick(form, item, q, answers, seed, today) {
                set(form, answers, &q.slot, v);
                answered = true;
            }
        }
        if !answered {
            let left: Vec<String> = state
                .problems()
                .map(|q| format!("{}@{:?} = {:?}: {:?}", q.slot.name, q.slot.instance, q.value, q.problem))
                .collect();
            ensure!(left.is_empty(), "the generated answers leave problems: {left:?}");
            return Ok(state);
        }
    }
    bail!("the survey kept showing new questions after ten rounds of answers")
}

/// Starts household `id`'s survey, answers every shown question and saves the draft: the survey
/// ready to finish.
pub fn fill_survey(
    store: &mut Store,
    form: &Form,
    id: HouseholdId,
    seed: u64,
    at: Moment,
) -> Result<Answers> {
    let mut answers = store.start_survey(id, at)?.answers;
    answer_all(form, &mut answers, seed, at.today)?;
    store.save_survey(id, &answers, at)?;
    Ok(answers)
}
