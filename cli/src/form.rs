//! `samanvaya form`: check a survey form before a district sends it to the villages, and see
//! the facts a set of answers would record. Neither needs a store.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use samanvaya_forms::{Answers, Form, FormError};

/// Loads `path`, or the shipped baseline survey when there is none.
pub fn load(path: Option<&Path>) -> Result<Form> {
    let catalogue = samanvaya_eligibility::embedded()?;
    let (name, bytes) = match path {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| format!("cannot read the form {}", p.display()))?;
            (p.display().to_string(), bytes)
        }
        None => (samanvaya_schema::BASELINE_FORM.0.to_owned(), samanvaya_schema::BASELINE_FORM.1.to_vec()),
    };
    match samanvaya_forms::load_file(&name, &bytes, catalogue) {
        Ok(form) => Ok(form),
        Err(FormError::Invalid(problems)) => {
            let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
            bail!(
                "{name} was not loaded; fix these {} problem(s) and try again:\n{}",
                problems.len(),
                list.join("\n")
            )
        }
        Err(FormError::Unreadable(e)) => bail!("{name}: {e}"),
    }
}

/// What `form check` prints: the form, its size, and every warning.
pub fn report(form: &Form) -> String {
    let items = form.walk();
    let asked = items.iter().filter(|i| i.kind.is_asked()).count();
    let mapped = items.iter().filter(|i| i.target.is_some()).count();
    let mut out = format!(
        "{} (version {}): {} / {}\n{asked} questions, {mapped} recording facts or household fields; consent asked by '{}', members listed in '{}'.\n",
        form.id,
        form.version,
        form.title.en,
        form.title.hi,
        form.consent.as_deref().unwrap_or("(none)"),
        form.members.as_deref().unwrap_or("(none)"),
    );
    if form.warnings.is_empty() {
        out.push_str("No warnings.\n");
    } else {
        out.push_str(&format!("{} warning(s); the form loads, but check them:\n", form.warnings.len()));
        for w in &form.warnings {
            out.push_str(&format!("  {w}\n"));
        }
    }
    out
}

/// The facts `answers_path` (a JSON of `Answers`) records through `form`, in the eligibility
/// facts format; every answer the form refuses is listed instead.
pub fn facts(form: &Form, answers_path: &Path, today: NaiveDate) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(answers_path)
        .with_context(|| format!("cannot read {}", answers_path.display()))?;
    let answers: Answers = serde_json::from_str(&text).with_context(|| {
        format!("{} is not a set of answers: write {{\"values\": {{\"name\": \"answer\"}}, \"repeats\": {{\"members\": [{{…}}]}}}}", answers_path.display())
    })?;
    let catalogue = samanvaya_eligibility::embedded()?;
    let state = samanvaya_forms::evaluate(form, &answers, today);
    let problems: Vec<String> = state
        .problems()
        .map(|q| {
            let at = match q.slot.instance {
                Some(i) => format!("{} (instance {})", q.slot.name, i + 1),
                None => q.slot.name.clone(),
            };
            format!("  {at}: {}", q.problem.as_ref().map_or("", |p| p.en.as_str()))
        })
        .collect();
    if !problems.is_empty() {
        bail!("the survey cannot be finished; {} answer(s) to fix:\n{}", problems.len(), problems.join("\n"));
    }
    let facts = samanvaya_forms::facts(form, &state, catalogue, today).map_err(|problems| {
        let list: Vec<String> =
            problems.iter().map(|p| format!("  {}: {}", p.slot.name, p.message.en)).collect();
        anyhow::anyhow!("some answers cannot be recorded as facts:\n{}", list.join("\n"))
    })?;
    Ok(facts.to_eligibility_json())
}
