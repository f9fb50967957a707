//! The survey over the store: a draft of a household's survey, saved at every answer and
//! resumed after a power cut or a lock, and its finishing, which in one transaction writes the
//! immutable submission, the household's members and facts it recorded (each fact marked as
//! learnt from the survey), and their changes for the block.
//!
//! The form is the baseline survey built into this version (`schema/forms/`), or a district's
//! version of it installed since (`installed_form.rs`); its logic and its mapping to facts are
//! `samanvaya-forms`, pure; this module reads and writes.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use samanvaya_domain::change::{ChangeBody, FactChange, ReceivingChange, Source, SubmissionChange};
use samanvaya_domain::{Consent, Household, HouseholdId, Moment, Person, PersonId, Relation, Sex};
use samanvaya_eligibility::record::{relation_value, sex_value};
use samanvaya_forms::answer::{Answers, State};
use samanvaya_forms::definition::{RecordField, Target};
use samanvaya_forms::facts::SurveyFacts;
use samanvaya_forms::{Form, evaluate};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::Store;
use crate::{change_log, fact, household, location, profile};

/// The key a roster instance keeps its member's id under: not a question of the form, so the
/// form's logic never sees it, but the submission keeps which member each instance was.
pub const MEMBER_KEY: &str = "_member";

/// The baseline survey built into this version, loaded once per process.
pub fn baseline() -> Result<&'static Form, StoreError> {
    static FORM: OnceLock<Result<Form, String>> = OnceLock::new();
    FORM.get_or_init(|| {
        let catalogue = samanvaya_eligibility::embedded().map_err(|e| e.0)?;
        let (name, bytes) = samanvaya_schema::BASELINE_FORM;
        samanvaya_forms::load_file(name, bytes, catalogue).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| StoreError::Form(e.clone()))
}

/// A survey in progress: its answers as typed and what the form's logic makes of them.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub id: Uuid,
    pub household_id: HouseholdId,
    pub form_id: String,
    pub form_version: String,
    pub answers: Answers,
    pub state: State,
}

/// A finished survey, as its history lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    pub id: Uuid,
    pub form_id: String,
    pub form_version: String,
    pub consent: Option<bool>,
    pub submitted_by: String,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub supersedes: Option<Uuid>,
    pub answers: serde_json::Value,
}

/// What the screen tells the facilitator when a survey is finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct SurveyFinished {
    /// The family said no at the survey's consent question: none of its answers were kept.
    pub refused: bool,
    /// The family's consent is on record all the same (given before this survey), and so is
    /// what was recorded of them then: a refusal of one survey takes back neither. Only a
    /// withdrawal erases it, so the screen says where to record one.
    pub consent_on_record: bool,
}

impl Store {
    /// Finishes household `id`'s survey as [`Store::finish_survey`] does, and says whether the
    /// family refused it and whether their consent stays on record.
    pub fn finish_survey_on_screen(
        &mut self,
        id: HouseholdId,
        at: Moment,
    ) -> Result<SurveyFinished, StoreError> {
        // Read before: a refusal leaves the consent on record as it was, and once the survey is
        // finished nothing may fail that would make the screen say it was not.
        let consent_on_record = self.household(id)?.consent.is_some();
        let submission = self.finish_survey(id, at)?;
        let refused = submission.consent == Some(false);
        Ok(SurveyFinished { refused, consent_on_record: consent_on_record || !refused })
    }

    /// Opens the survey of household `id`: the draft in progress if there is one, else a new
    /// draft with the household's record filled in (each member in the roster, with name,
    /// relation, sex and birth), saved at once.
    pub fn start_survey(&mut self, id: HouseholdId, at: Moment) -> Result<Draft, StoreError> {
        self.require_write("survey a household")?;
        if let Some(draft) = self.survey_draft(id, at)? {
            return Ok(draft);
        }
        // A new survey starts on the newest form a district installed, or the built-in one.
        let form = self.survey_form()?;
        let h = self.household(id)?;
        // A form that asks no consent starts only for a family whose consent is on record, so
        // that no answer is kept even in a draft before it (finishing checks it again).
        if form.consent.is_none() && h.consent.is_none() {
            return Err(StoreError::NoConsent);
        }
        let answers = prefill(&self.conn, form, &h, at)?;
        let draft_id = Uuid::now_v7();
        self.conn.execute(
            "INSERT INTO survey_draft (id, household_id, form_id, form_version, answers, started_by, started_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            params![
                draft_id.to_string(),
                id.to_string(),
                form.id,
                form.version,
                serde_json::to_string(&answers).expect("answers serialize"),
                self.who().name,
                at.utc
            ],
        )?;
        let state = evaluate(form, &answers, at.today);
        Ok(Draft {
            id: draft_id,
            household_id: id,
            form_id: form.id.clone(),
            form_version: form.version.clone(),
            answers,
            state,
        })
    }

    /// The survey of household `id` in progress, if any, worked out on `at`'s day.
    pub fn survey_draft(&self, id: HouseholdId, at: Moment) -> Result<Option<Draft>, StoreError> {
        let row: Option<(String, String, String, String)> = self
            .conn
            .query_row(
                "SELECT id, form_id, form_version, answers FROM survey_draft WHERE household_id = ?1",
                [id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((draft_id, form_id, form_version, answers)) = row else { return Ok(None) };
        let answers: Answers = serde_json::from_str(&answers)
            .map_err(|e| StoreError::Corrupt(format!("survey draft {draft_id}: {e}")))?;
        let draft_id =
            draft_id.parse().map_err(|_| StoreError::Corrupt(format!("survey draft id {draft_id}")))?;
        // A survey is finished on the form it started on, whatever was installed since.
        let form = self.form_named(&form_id, &form_version)?;
        let state = evaluate(form, &answers, at.today);
        Ok(Some(Draft { id: draft_id, household_id: id, form_id, form_version, answers, state }))
    }

    /// Saves the answers of household `id`'s draft as they now stand, and returns what the
    /// form's logic makes of them. Called at every answer, so a power cut loses at most the one
    /// being typed.
    pub fn save_survey(
        &mut self,
        id: HouseholdId,
        answers: &Answers,
        at: Moment,
    ) -> Result<Draft, StoreError> {
        self.require_write("survey a household")?;
        // An answer holding a whole Aadhaar number is never stored, not even in a draft: the
        // form shows it refused (`samanvaya_forms::answer::check_value`) while she corrects it.
        let mut kept = answers.clone();
        let holds = |v: &String| samanvaya_domain::aadhaar::holds_aadhaar(v);
        kept.values.retain(|_, v| !holds(v));
        for instances in kept.repeats.values_mut() {
            for instance in instances.iter_mut() {
                instance.retain(|_, v| !holds(v));
            }
        }
        let text = serde_json::to_string(&kept).expect("answers serialize");
        // The answers are in hand: the row is updated and only its id and form read back, not
        // the answers parsed again.
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "UPDATE survey_draft SET answers = ?2, updated_at = ?3 WHERE household_id = ?1
                 RETURNING id, form_id, form_version",
                params![id.to_string(), text, at.utc],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((draft_id, form_id, form_version)) = row else {
            return Err(StoreError::NotFound {
                what: "survey in progress for household",
                id: id.to_string(),
            });
        };
        let draft_id =
            draft_id.parse().map_err(|_| StoreError::Corrupt(format!("survey draft id {draft_id}")))?;
        let form = self.form_named(&form_id, &form_version)?;
        let state = evaluate(form, answers, at.today);
        Ok(Draft { id: draft_id, household_id: id, form_id, form_version, answers: answers.clone(), state })
    }

    /// Throws away household `id`'s survey in progress (the facilitator started it by mistake).
    pub fn discard_survey(&mut self, id: HouseholdId) -> Result<(), StoreError> {
        self.require_write("survey a household")?;
        self.conn.execute("DELETE FROM survey_draft WHERE household_id = ?1", [id.to_string()])?;
        Ok(())
    }

    /// Finishes household `id`'s survey: refused, with the number of answers to fix, while any
    /// shown question is missing or refused; otherwise one transaction writes the submission,
    /// the members and facts it recorded and their changes, and removes the draft.
    pub fn finish_survey(&mut self, id: HouseholdId, at: Moment) -> Result<Submission, StoreError> {
        self.require_write("survey a household")?;
        let catalogue = samanvaya_eligibility::embedded().map_err(|e| StoreError::Catalogue(e.0))?;
        let draft = self.survey_draft(id, at)?.ok_or_else(|| StoreError::NotFound {
            what: "survey in progress for household",
            id: id.to_string(),
        })?;
        let form = self.form_named(&draft.form_id, &draft.form_version)?;
        let count = draft.state.problems().count();
        if count > 0 {
            return Err(StoreError::SurveyUnfinished { count });
        }
        let recorded = samanvaya_forms::facts(form, &draft.state, catalogue, at.today)
            .map_err(|p| StoreError::SurveyUnfinished { count: p.len() })?;
        let who = self.who().name.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let before = household::get(&tx, id)?
            .ok_or_else(|| StoreError::NotFound { what: "household", id: id.to_string() })?;
        // A form that asks no consent (as a district may install) records nothing of a family
        // whose consent is not on record yet.
        if recorded.consent.is_none() && before.consent.is_none() {
            return Err(StoreError::NoConsent);
        }
        let supersedes: Option<String> = tx
            .query_row(
                "SELECT id FROM submission WHERE household_id = ?1 ORDER BY submitted_at DESC, id DESC LIMIT 1",
                [id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let submission = SubmissionChange {
            id: Uuid::now_v7(),
            household_id: id,
            form_id: draft.form_id.clone(),
            form_version: draft.form_version.clone(),
            answers: counted_answers(form, &draft),
            consent: recorded.consent,
            submitted_by: who,
            submitted_at: at.utc,
            supersedes: supersedes.and_then(|s| s.parse().ok()),
        };
        if recorded.consent != Some(false) {
            let members = member_ids(form, &draft);
            record(&tx, &before, &recorded, &members, &submission.submitted_by, at)?;
        }
        put_submission(&tx, &submission)?;
        change_log::record(&tx, ChangeBody::Submission(submission.clone()), at)?;
        tx.execute("DELETE FROM survey_draft WHERE household_id = ?1", [id.to_string()])?;
        tx.commit()?;
        Ok(Submission {
            id: submission.id,
            form_id: submission.form_id,
            form_version: submission.form_version,
            consent: submission.consent,
            submitted_by: submission.submitted_by,
            submitted_at: submission.submitted_at,
            supersedes: submission.supersedes,
            answers: submission.answers,
        })
    }

    /// The household's finished surveys, newest first.
    pub fn submissions(&self, id: HouseholdId) -> Result<Vec<Submission>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, form_id, form_version, consent, submitted_by, submitted_at, supersedes, answers, packed
             FROM submission WHERE household_id = ?1 ORDER BY submitted_at DESC, id DESC",
        )?;
        let rows = stmt.query_map([id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<bool>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, chrono::DateTime<chrono::Utc>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<Vec<u8>>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                sid,
                form_id,
                form_version,
                consent,
                submitted_by,
                submitted_at,
                supersedes,
                answers,
                packed,
            ) = row?;
            let corrupt = |what: &str| StoreError::Corrupt(format!("submission {sid}: {what}"));
            out.push(Submission {
                id: sid.parse().map_err(|_| corrupt("id"))?,
                form_id,
                form_version,
                consent,
                submitted_by,
                submitted_at,
                supersedes: supersedes.map(|s| s.parse()).transpose().map_err(|_| corrupt("supersedes"))?,
                answers: crate::packed_answers::read(&answers, packed.as_deref())
                    .ok_or_else(|| corrupt("answers"))?,
            });
        }
        Ok(out)
    }
}

/// Writes a submission row, its answers packed; one that is already there (a change pulled
/// twice) is left as is.
pub fn put_submission(conn: &Connection, s: &SubmissionChange) -> Result<(), StoreError> {
    let packed = crate::packed_answers::pack(&s.answers)
        .map_err(|e| StoreError::Corrupt(format!("submission {}: answers not packed: {e}", s.id)))?;
    conn.execute(
        "INSERT INTO submission (id, household_id, form_id, form_version, answers, packed, consent, submitted_by, submitted_at, supersedes)
         VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO NOTHING",
        params![
            s.id.to_string(),
            s.household_id.to_string(),
            s.form_id,
            s.form_version,
            packed,
            s.consent,
            s.submitted_by,
            s.submitted_at,
            s.supersedes.map(|u| u.to_string())
        ],
    )?;
    Ok(())
}

/// The answers that counted, in the shape of `Answers`: shown questions (calculations
/// included) and each roster instance's member.
fn counted_answers(form: &Form, draft: &Draft) -> serde_json::Value {
    let mut values = BTreeMap::new();
    let mut repeats: BTreeMap<String, Vec<BTreeMap<String, String>>> = BTreeMap::new();
    for (r, n) in &draft.state.instances {
        let typed = draft.answers.repeats.get(r);
        let list = (0..*n)
            .map(|i| {
                let mut m = BTreeMap::new();
                if let Some(member) = typed.and_then(|t| t.get(i)).and_then(|m| m.get(MEMBER_KEY)) {
                    m.insert(MEMBER_KEY.to_owned(), member.clone());
                }
                m
            })
            .collect();
        repeats.insert(r.clone(), list);
    }
    for q in draft.state.questions.iter().filter(|q| q.relevant && !q.value.is_empty()) {
        match (q.slot.instance, form.places.get(&q.slot.name).and_then(|p| p.repeat.as_ref())) {
            (Some(i), Some(r)) => {
                if let Some(m) = repeats.get_mut(r).and_then(|l| l.get_mut(i)) {
                    m.insert(q.slot.name.clone(), q.value.clone());
                }
            }
            _ => {
                values.insert(q.slot.name.clone(), q.value.clone());
            }
        }
    }
    serde_json::json!({ "values": values, "repeats": repeats })
}

/// The stored member each roster instance stands for (`None`: a member added by the survey).
fn member_ids(form: &Form, draft: &Draft) -> Vec<Option<PersonId>> {
    let Some(roster) = &form.members else { return Vec::new() };
    let n = draft.state.instances.get(roster).copied().unwrap_or(0);
    let typed = draft.answers.repeats.get(roster);
    (0..n)
        .map(|i| {
            typed
                .and_then(|t| t.get(i))
                .and_then(|m| m.get(MEMBER_KEY))
                .and_then(|s| s.parse().ok())
                .map(PersonId)
        })
        .collect()
}

/// The record's relation for a vocabulary value, keeping the finer relation already recorded
/// when it says the same (a "grandchild" who is recorded as a granddaughter stays one).
fn relation_of(value: &str, sex: Sex, before: Option<Relation>) -> Option<Relation> {
    if let Some(b) = before
        && relation_value(b) == value
    {
        return Some(b);
    }
    let female = sex == Sex::Female;
    Some(match value {
        "head" => Relation::Head,
        "spouse" => Relation::Spouse,
        "son" => Relation::Son,
        "daughter" => Relation::Daughter,
        "son_in_law" => Relation::SonInLaw,
        "daughter_in_law" => Relation::DaughterInLaw,
        "grandchild" if female => Relation::Granddaughter,
        "grandchild" => Relation::Grandson,
        "parent" if female => Relation::Mother,
        "parent" => Relation::Father,
        "parent_in_law" if female => Relation::MotherInLaw,
        "parent_in_law" => Relation::FatherInLaw,
        "sibling" if female => Relation::Sister,
        "sibling" => Relation::Brother,
        "other_relative" => Relation::OtherRelative,
        "non_relative" => Relation::NotRelated,
        _ => return None,
    })
}

fn sex_of(value: &str) -> Option<Sex> {
    [Sex::Female, Sex::Male, Sex::Other].into_iter().find(|s| sex_value(*s) == value)
}

/// The facts kept on the person record rather than as fact rows.
const ON_RECORD: [&str; 3] = ["date_of_birth", "sex", "relation_to_head"];

/// Writes what the survey recorded into household `before`'s record and facts, with changes.
fn record(
    conn: &Connection,
    before: &Household,
    recorded: &SurveyFacts,
    members: &[Option<PersonId>],
    taken_by: &str,
    at: Moment,
) -> Result<(), StoreError> {
    let mut h = before.clone();
    // The survey's own consent question puts the family's consent on record when none was
    // (a household taken from a list, surveyed at its first visit); it names no respondent.
    if recorded.consent == Some(true) && h.consent.is_none() {
        h.consent = Some(Consent { respondent: None, taken_by: taken_by.to_owned(), taken_at: at.utc });
    }
    if let Some(phone) = &recorded.phone {
        h.phone.clone_from(phone);
    }
    if let Some(hamlet) = &recorded.hamlet
        && let Some(found) = location::children(conn, h.village_id)?
            .into_iter()
            .find(|l| l.name_en.eq_ignore_ascii_case(hamlet.trim()) || l.name_hi == hamlet.trim())
    {
        h.hamlet_id = Some(found.id);
    }
    let mut subjects = Vec::with_capacity(recorded.members.len());
    for (i, m) in recorded.members.iter().enumerate() {
        let stored =
            members.get(i).copied().flatten().and_then(|pid| h.members.iter().position(|p| p.id == pid));
        let sex = m.facts.get("sex").and_then(|v| v.as_str()).and_then(sex_of);
        let relation_value = m.facts.get("relation_to_head").and_then(|v| v.as_str());
        let birth = m
            .facts
            .get("date_of_birth")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
            .map(|date| (Some(date), m.birth_estimated));
        let index = match stored {
            Some(idx) => idx,
            None => {
                h.members.push(Person::unnamed(PersonId(Uuid::now_v7())));
                h.members.len() - 1
            }
        };
        let p = &mut h.members[index];
        if let Some(name) = m.name.as_ref().filter(|n| !n.trim().is_empty()) {
            p.name = name.trim().to_owned();
        }
        if let Some(s) = sex {
            p.sex = s;
        }
        if let Some(r) =
            relation_value.and_then(|v| relation_of(v, p.sex, Some(p.relation).filter(|_| stored.is_some())))
        {
            p.relation = r;
        }
        if let Some((date, estimated)) = birth {
            // A stated age that gives back the age already recorded keeps the first estimate, so
            // that surveying again does not move an estimated birthday.
            let same_age = estimated
                && p.birth_date_estimated
                && p.age_on(at.today) == date.and_then(|d| samanvaya_domain::person::age_on(d, at.today));
            if !same_age {
                (p.birth_date, p.birth_date_estimated) = (date, estimated);
            }
        }
        if p.name.is_empty() {
            return Err(StoreError::SurveyUnfinished { count: 1 });
        }
        subjects.push(p.id.to_string());
    }
    h.updated_at = at.utc;
    household::write(conn, Some(before), &h, at)?;

    let hid = h.id.to_string();
    let write_fact =
        |subject: &str, short: &str, value: &serde_json::Value, prefix: &str| -> Result<(), StoreError> {
            let name = format!("{prefix}.{short}");
            let stored = if value.is_null() { "null".to_owned() } else { value.to_string() };
            fact::set(conn, subject, &name, &stored, Source::Survey, at.utc)?;
            let change = FactChange {
                household_id: h.id,
                subject_id: subject.to_owned(),
                name,
                value: (!value.is_null()).then(|| value.clone()),
                source: Source::Survey,
            };
            change_log::record(conn, ChangeBody::Fact(change), at)?;
            Ok(())
        };
    for (short, value) in &recorded.household {
        write_fact(&hid, short, value, "household")?;
    }
    let already: HashSet<(String, String)> =
        fact::receiving_for_household(conn, &hid)?.into_iter().map(|r| (r.subject_id, r.scheme)).collect();
    let receive = |subject: &str, scheme: &str| -> Result<(), StoreError> {
        if already.contains(&(subject.to_owned(), scheme.to_owned())) {
            return Ok(());
        }
        fact::add_receiving(conn, subject, scheme, Source::Survey.as_str(), at.utc)?;
        let change = ReceivingChange {
            household_id: h.id,
            subject_id: subject.to_owned(),
            scheme: scheme.to_owned(),
            receiving: true,
            source: Source::Survey,
        };
        change_log::record(conn, ChangeBody::Receiving(change), at)?;
        Ok(())
    };
    for scheme in &recorded.receiving {
        receive(&hid, scheme)?;
    }
    for (m, subject) in recorded.members.iter().zip(&subjects) {
        for (short, value) in m.facts.iter().filter(|(k, _)| !ON_RECORD.contains(&k.as_str())) {
            write_fact(subject, short, value, "person")?;
        }
        for scheme in &m.receiving {
            receive(subject, scheme)?;
        }
    }
    profile::refresh(conn, &h)?;
    Ok(())
}

/// The survey's first answers from the household's record: each member who lives there in the
/// roster (the roster's size question too), with the answers the form maps to the record.
fn prefill(conn: &Connection, form: &Form, h: &Household, at: Moment) -> Result<Answers, StoreError> {
    let mut answers = Answers::default();
    let present: Vec<&Person> = h.members.iter().filter(|p| p.left.is_none()).collect();
    let Some(roster) = &form.members else { return Ok(answers) };
    let mut instances = Vec::with_capacity(present.len());
    for p in &present {
        let mut m = BTreeMap::new();
        m.insert(MEMBER_KEY.to_owned(), p.id.to_string());
        for item in form.walk() {
            if form.places.get(&item.name).and_then(|pl| pl.repeat.as_ref()) != Some(roster) {
                continue;
            }
            let value = match (item.target, item.maps_to.as_deref()) {
                (Some(Target::Record(RecordField::MemberName)), _) => Some(p.name.clone()),
                (Some(Target::Fact(_)), Some("person.sex")) => Some(sex_value(p.sex).to_owned()),
                (Some(Target::Fact(_)), Some("person.relation_to_head")) => {
                    Some(relation_value(p.relation).to_owned())
                }
                (Some(Target::Fact(_)), Some("person.date_of_birth")) => {
                    p.birth_date.filter(|_| !p.birth_date_estimated).map(|d| d.format("%Y-%m-%d").to_string())
                }
                (Some(Target::StatedAge(_)), _) => p
                    .birth_date
                    .filter(|_| p.birth_date_estimated)
                    .and_then(|_| p.age_on(at.today))
                    .map(|a| a.to_string()),
                _ => None,
            };
            if let Some(v) = value {
                m.insert(item.name.clone(), v);
            }
        }
        instances.push(m);
    }
    answers.repeats.insert(roster.clone(), instances);
    // The question that sizes the roster, when it is a plain ${question}.
    if let Some(samanvaya_forms::expr::Expr::Ref(q)) = form.item(roster).and_then(|r| r.repeat_count.as_ref())
    {
        answers.values.insert(q.clone(), present.len().to_string());
    }
    if let Some(hamlet) = h.hamlet_id.map(|id| location::get(conn, id)).transpose()?.flatten()
        && let Some(item) =
            form.walk().into_iter().find(|i| i.target == Some(Target::Record(RecordField::Hamlet)))
    {
        answers.values.insert(item.name.clone(), hamlet.name_hi);
    }
    if !h.phone.is_empty()
        && let Some(item) =
            form.walk().into_iter().find(|i| i.target == Some(Target::Record(RecordField::Phone)))
    {
        answers.values.insert(item.name.clone(), h.phone.clone());
    }
    Ok(answers)
}

/// The names of the questions of `items` (groups and repeats walked through) whose answer
/// records a fact the vocabulary marks sensitive.
fn sensitive_questions(
    items: &[samanvaya_forms::definition::Item],
    vocab: &samanvaya_rules::Vocabulary,
) -> HashSet<String> {
    let mut out = HashSet::new();
    for item in items {
        if item.maps_to.as_deref().and_then(|f| vocab.id(f)).is_some_and(|id| vocab.is_sensitive(id)) {
            out.insert(item.name.clone());
        }
        out.extend(sensitive_questions(&item.children, vocab));
    }
    out
}

/// How many of `answers`' answers (a submission's, as stored, inside the roster too) are to the
/// questions in `hidden`; with `remove`, they are taken out.
fn hidden_answers(answers: &mut serde_json::Value, hidden: &HashSet<String>, remove: bool) -> usize {
    let mut found = 0;
    let mut visit = |map: &mut serde_json::Value| {
        if let Some(m) = map.as_object_mut() {
            found += m.keys().filter(|k| hidden.contains(*k)).count();
            if remove {
                m.retain(|k, _| !hidden.contains(k));
            }
        }
    };
    if let Some(values) = answers.get_mut("values") {
        visit(values);
    }
    if let Some(repeats) = answers.get_mut("repeats").and_then(|r| r.as_object_mut()) {
        for instances in repeats.values_mut() {
            if let Some(list) = instances.as_array_mut() {
                list.iter_mut().for_each(&mut visit);
            }
        }
    }
    found
}

impl Store {
    /// The household's finished surveys for its history screen, newest first: to an account
    /// that may not see the vocabulary's sensitive facts (the Samiti's), without the answers
    /// that record them.
    /// Staff see every answer, and each showing of sensitive ones is in the audit log
    /// (`reveal:survey`, with how many), as for a household's facts.
    pub fn survey_history(&self, id: HouseholdId) -> Result<Vec<Submission>, StoreError> {
        let mut subs = self.submissions(id)?;
        let restricted = self.audience() == samanvaya_eligibility::view::Audience::Restricted;
        let catalogue = samanvaya_eligibility::embedded().map_err(|e| StoreError::Catalogue(e.0))?;
        let mut shown = 0;
        for s in &mut subs {
            let form = self.form_named(&s.form_id, &s.form_version)?;
            shown += hidden_answers(
                &mut s.answers,
                &sensitive_questions(&form.items, &catalogue.vocab),
                restricted,
            );
        }
        if !restricted && shown > 0 {
            self.audit("reveal:survey", &format!("{id}, {shown} sensitive answer(s)"))?;
        }
        Ok(subs)
    }
}
