//! Referrals in the store: opening one (a number from a lease, the checklist from the catalogue,
//! a due day from the service level), recording what happens to it as events, and reading it
//! back. The `referral_event` rows are the record; the `referral` row's stage, level, due day and
//! the rest are derived from them by [`replay`] in the same transaction as every event, so the
//! to-do list and the village funnel read one indexed table.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use samanvaya_domain::change::{ChangeBody, ReceivingChange, ReferralChange, ReferralEventChange, Source};
use samanvaya_domain::household::FieldErrorCode;
use samanvaya_domain::referral::{Action, Case, ChecklistItem, DocumentStatus, Event, Level, Need, replay};
// The step a screen or the CLI asks for lives in `domain`, shared with the servers.
pub use samanvaya_domain::referral::Step;
use samanvaya_domain::{FieldError, Hlc, HouseholdId, Moment, PersonId, ValidationError};
use samanvaya_eligibility::referral::ReferralKinds;
use serde::Deserialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::Store;
use crate::{centre, change_log, fact, household, number_lease, profile};

mod list;
mod read;
mod sheet;

pub use list::{NeedChoice, ReferralFilter, ReferralPage};
pub use read::{
    FunnelRow, ReferralDetail, ReferralFunnel, ReferralQuery, ReferralSummary, StageAge, TimelineEntry, Todo,
};
pub use sheet::{SheetFormat, default_name as funnel_file_name};

/// What the facilitator asks for when she refers someone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct NewReferral {
    pub household_id: HouseholdId,
    /// The member referred; `None` refers the household (a household scheme).
    pub member_id: Option<PersonId>,
    pub need: Need,
    /// Where each document of the checklist stands, in the checklist's order; missing when the
    /// list is shorter (nobody has looked yet).
    #[serde(default)]
    pub documents: Vec<DocumentStatus>,
    #[serde(default)]
    pub notes: String,
}

fn kinds() -> Result<&'static ReferralKinds, StoreError> {
    samanvaya_eligibility::referral::embedded().map_err(|e| StoreError::Catalogue(e.to_string()))
}

/// The catalogue in use in the store on `conn` (the district's bundle, or the built-in one).
fn catalogue(conn: &Connection) -> Result<&'static samanvaya_rules::Catalogue, StoreError> {
    Ok(crate::catalogue::rules(conn)?.catalogue)
}

fn json_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

impl Store {
    /// Opens a referral and returns it. Refused when the same person already has an open case
    /// for the same need (the existing number is named), or when the need is unknown.
    pub fn open_referral(&mut self, new: &NewReferral, at: Moment) -> Result<ReferralDetail, StoreError> {
        self.require_write("open a referral")?;
        let by = self.who().name.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = open(&tx, new, &by, at)?;
        tx.commit()?;
        self.referral(id, at.today)
    }

    /// Opens every referral of `news` in one transaction: all or none (the household's "refer all
    /// eligible" after the facilitator saw the list).
    pub fn open_referrals(&mut self, news: &[NewReferral], at: Moment) -> Result<Vec<Uuid>, StoreError> {
        self.require_write("open a referral")?;
        let by = self.who().name.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids = news.iter().map(|n| open(&tx, n, &by, at)).collect::<Result<Vec<_>, _>>()?;
        tx.commit()?;
        Ok(ids)
    }

    /// Takes `step` on referral `id` and returns it; refused, with what is allowed, when the
    /// step does not fit the case.
    pub fn act_on_referral(
        &mut self,
        id: Uuid,
        step: &Step,
        at: Moment,
    ) -> Result<ReferralDetail, StoreError> {
        self.require_write("act on a referral")?;
        let by = self.who().name.clone();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        act(&tx, id, step, &by, at)?;
        tx.commit()?;
        self.referral(id, at.today)
    }
}

/// The referral number's text for a number of a lease granted by `granted_by`: a demo or local
/// lease says so on the slip, since the sync issue replaces it with the block's numbers.
fn number_text(n: i64, granted_by: &str) -> String {
    match granted_by {
        "demo" => format!("D-{n}"),
        "local" => format!("L-{n}"),
        _ => format!("R-{n}"),
    }
}

/// The next referral number. A laptop that has no lease from a block yet (a demo, or not yet
/// enrolled) takes a local one, marked as such.
fn take_number(conn: &Connection) -> Result<String, StoreError> {
    if let Some((n, by)) = number_lease::take_with_grantor(conn, number_lease::REFERRAL)? {
        return Ok(number_text(n, &by));
    }
    let grantor = if centre::is_demo(conn)? { "demo" } else { "local" };
    let first: i64 = conn.query_row(
        "SELECT coalesce(max(last), 0) + 1 FROM number_lease WHERE kind = 'referral' AND granted_by = ?1",
        [grantor],
        |r| r.get(0),
    )?;
    number_lease::grant(conn, number_lease::REFERRAL, first, first + 9_999, grantor)?;
    let (n, by) = number_lease::take_with_grantor(conn, number_lease::REFERRAL)?
        .ok_or_else(|| StoreError::Corrupt("a referral lease just granted is empty".into()))?;
    Ok(number_text(n, &by))
}

fn open(conn: &Connection, new: &NewReferral, by: &str, at: Moment) -> Result<Uuid, StoreError> {
    let (cat, kinds) = (catalogue(conn)?, kinds()?);
    kinds.check(cat, &new.need).map_err(|e| StoreError::UnknownNeed(e.to_string()))?;
    if let Need::Grievance { description, .. } = &new.need
        && description.trim().is_empty()
    {
        // A complaint without what happened cannot be followed up at the office.
        return Err(StoreError::Invalid(ValidationError(vec![FieldError {
            field: "need.description".into(),
            code: FieldErrorCode::Required,
        }])));
    }
    // The notes and a complaint's account travel to the block and the district and are
    // printed on the slip: an Aadhaar number in them would be kept whole everywhere.
    let description = match &new.need {
        Need::Grievance { description, .. } => description.as_str(),
        _ => "",
    };
    refuse_aadhaar(&[("notes", &new.notes), ("need.description", description)])?;
    let h = household::get(conn, new.household_id)?
        .ok_or_else(|| StoreError::NotFound { what: "household", id: new.household_id.to_string() })?;
    // A referral carries what the family said to the block and the district: not before the
    // family agreed.
    if h.consent.is_none() {
        return Err(StoreError::NoConsent);
    }
    let subject = match new.member_id {
        Some(m) if h.members.iter().any(|p| p.id == m) => m.to_string(),
        Some(m) => return Err(StoreError::NotFound { what: "member of this household", id: m.to_string() }),
        None => h.id.to_string(),
    };
    if let Some(number) = open_case_of(conn, &subject, new.need.code())? {
        return Err(StoreError::AlreadyReferred { number });
    }
    let documents: Vec<ChecklistItem> = kinds
        .documents(cat, &new.need)
        .map_err(|e| StoreError::UnknownNeed(e.to_string()))?
        .into_iter()
        .enumerate()
        .map(|(i, d)| ChecklistItem {
            en: d.en,
            hi: d.hi,
            status: new.documents.get(i).copied().unwrap_or(DocumentStatus::Missing),
        })
        .collect();
    let office =
        kinds.office(cat, &new.need, Level::Village).map_err(|e| StoreError::UnknownNeed(e.to_string()))?;
    let change = ReferralChange {
        id: Uuid::now_v7(),
        number: take_number(conn)?,
        household_id: h.id,
        subject_id: subject,
        need: new.need.clone(),
        level: Level::Village,
        office: office.en,
        documents,
        due_on: kinds.due_on(&new.need, Level::Village, at.today),
        notes: new.notes.trim().to_owned(),
        created_by: by.to_owned(),
        created_at: at.utc,
        catalogue: crate::catalogue::rules(conn)?.version.to_owned(),
    };
    put(conn, &change)?;
    change_log::record(conn, ChangeBody::Referral(change.clone()), at)?;
    Ok(change.id)
}

/// The number of `subject`'s open referral for `code`, if there is one.
fn open_case_of(conn: &Connection, subject: &str, code: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT number FROM referral WHERE subject_id = ?1 AND need_code = ?2 AND is_open = 1",
    )?
    .query_row(params![subject, code], |r| r.get(0))
    .optional()
}

/// Writes a referral's opening row (made here, or pulled from a server) with its derived state.
pub(crate) fn put(conn: &Connection, c: &ReferralChange) -> Result<(), StoreError> {
    let opened = Case::new(c.level, c.due_on, c.documents.iter().map(|d| d.status).collect(), c.created_at);
    conn.prepare_cached(
        "INSERT INTO referral (id, number, household_id, subject_id, need, need_type, need_code, office,
                               documents, notes, opened_level, opened_due_on, created_by, created_at,
                               catalogue, stage, level, due_on, next_visit, since, furthest, is_open,
                               missing_docs, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 'identified', ?11, ?12, NULL, ?14, 0, 1, 0, '{}')
         ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        c.id.to_string(),
        c.number,
        c.household_id.to_string(),
        c.subject_id,
        serde_json::to_string(&c.need).map_err(json_err)?,
        c.need.type_name(),
        c.need.code(),
        c.office,
        serde_json::to_string(&c.documents).map_err(json_err)?,
        c.notes,
        c.level.as_str(),
        c.due_on,
        c.created_by,
        c.created_at,
        c.catalogue,
    ])?;
    derive(conn, c.id, &opened)?;
    Ok(())
}

/// The case as it was opened.
fn opened(conn: &Connection, id: Uuid) -> Result<Case, StoreError> {
    let row: Option<(String, NaiveDate, String, DateTime<Utc>)> = conn
        .prepare_cached(
            "SELECT opened_level, opened_due_on, documents, created_at FROM referral WHERE id = ?1",
        )?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .optional()?;
    let (level, due_on, docs, created) =
        row.ok_or_else(|| StoreError::NotFound { what: "referral", id: id.to_string() })?;
    let docs: Vec<ChecklistItem> = from_json(&docs)?;
    let level = Level::parse(&level)
        .ok_or_else(|| StoreError::Corrupt(format!("referral {id} has level {level}")))?;
    Ok(Case::new(level, due_on, docs.iter().map(|d| d.status).collect(), created))
}

/// The referral's events, in no particular order ([`replay`] orders them).
pub(crate) fn events(conn: &Connection, id: Uuid) -> rusqlite::Result<Vec<Event>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, hlc, at, by, device_id, catalogue, action FROM referral_event WHERE referral_id = ?1",
    )?;
    stmt.query_map([id.to_string()], |r| {
        let (eid, hlc, device, action): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(4)?, r.get(6)?);
        Ok(Event {
            id: eid.parse().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
            })?,
            hlc: from_json(&hlc)?,
            at: r.get(2)?,
            by: r.get(3)?,
            device: device.parse().map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
            })?,
            catalogue: r.get(5)?,
            action: from_json(&action)?,
        })
    })?
    .collect()
}

/// Rewrites the referral's derived columns from its events.
fn derive(conn: &Connection, id: Uuid, opened: &Case) -> Result<Case, StoreError> {
    let (case, _) = replay(opened, events(conn, id)?);
    let missing = case.documents.iter().filter(|d| **d == DocumentStatus::Missing).count() as i64;
    conn.prepare_cached(
        "UPDATE referral SET stage = ?2, level = ?3, due_on = ?4, next_visit = ?5, since = ?6, furthest = ?7,
                             is_open = ?8, missing_docs = ?9, state = ?10
         WHERE id = ?1",
    )?
    .execute(params![
        id.to_string(),
        case.stage.as_str(),
        case.level.as_str(),
        case.due_on,
        case.next_visit,
        case.since,
        case.furthest,
        case.stage.is_open(),
        missing,
        serde_json::to_string(&case).map_err(json_err)?,
    ])?;
    Ok(case)
}

/// Adds one event (made here, or pulled) unless it is there already, and derives the state again.
pub(crate) fn put_event(conn: &Connection, c: &ReferralEventChange, hlc: Hlc) -> Result<Case, StoreError> {
    let opened = opened(conn, c.referral_id)?;
    conn.prepare_cached(
        "INSERT INTO referral_event (id, referral_id, hlc, at, by, device_id, catalogue, action)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        c.id.to_string(),
        c.referral_id.to_string(),
        serde_json::to_string(&hlc).map_err(json_err)?,
        c.at,
        c.by,
        hlc.node.to_string(),
        c.catalogue,
        serde_json::to_string(&c.action).map_err(json_err)?,
    ])?;
    derive(conn, c.referral_id, &opened)
}

struct Opened {
    household_id: HouseholdId,
    subject_id: String,
    need: Need,
}

fn opened_facts(conn: &Connection, id: Uuid) -> Result<Opened, StoreError> {
    let row: Option<(String, String, String)> = conn
        .prepare_cached("SELECT household_id, subject_id, need FROM referral WHERE id = ?1")?
        .query_row([id.to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let (h, subject_id, need) =
        row.ok_or_else(|| StoreError::NotFound { what: "referral", id: id.to_string() })?;
    Ok(Opened {
        household_id: h
            .parse()
            .map(HouseholdId)
            .map_err(|_| StoreError::Corrupt(format!("referral {id} has household {h}")))?,
        subject_id,
        need: from_json(&need)?,
    })
}

fn act(conn: &Connection, id: Uuid, step: &Step, by: &str, at: Moment) -> Result<(), StoreError> {
    let o = opened_facts(conn, id)?;
    let (case, _) = replay(&opened(conn, id)?, events(conn, id)?);
    let action = kinds()?.action(step.clone(), &case, &o.need, at.today);
    // Checked before anything is written: a refused step leaves no trace but the error.
    case.apply(&action, at.utc)?;
    let field = if matches!(action, Action::Note { .. }) { "text" } else { "reason" };
    refuse_aadhaar(&[(field, action.text().unwrap_or_default())])?;
    let change = ReferralEventChange {
        id: Uuid::now_v7(),
        referral_id: id,
        household_id: o.household_id,
        at: at.utc,
        by: by.to_owned(),
        catalogue: crate::catalogue::rules(conn)?.version.to_owned(),
        action: action.clone(),
    };
    let hlc = change_log::record(conn, ChangeBody::ReferralEvent(change.clone()), at)?;
    put_event(conn, &change, hlc)?;
    if let (Action::Receive { .. }, Need::Scheme { code }) = (&action, &o.need) {
        record_receiving(conn, &o, code, at)?;
    }
    Ok(())
}

/// Refuses free text holding a whole Aadhaar number, each such field named, as the household
/// form does: the app never keeps one.
fn refuse_aadhaar(texts: &[(&str, &str)]) -> Result<(), StoreError> {
    let errors: Vec<FieldError> = texts
        .iter()
        .filter(|(_, text)| samanvaya_domain::aadhaar::holds_aadhaar(text))
        .map(|(field, _)| FieldError { field: (*field).into(), code: FieldErrorCode::AadhaarNumber })
        .collect();
    if errors.is_empty() { Ok(()) } else { Err(StoreError::Invalid(ValidationError(errors))) }
}

/// A benefit received through a referral: the person is recorded as receiving the scheme, so
/// eligibility and the village view count it ("already receiving").
fn record_receiving(conn: &Connection, o: &Opened, code: &str, at: Moment) -> Result<(), StoreError> {
    let hid = o.household_id.to_string();
    let already = fact::receiving_for_household(conn, &hid)?
        .into_iter()
        .any(|r| r.subject_id == o.subject_id && r.scheme == code);
    if already {
        return Ok(());
    }
    // The facilitator records a benefit as received once she has seen it (the passbook, the
    // card): a document, as the source says.
    let change = ReceivingChange {
        household_id: o.household_id,
        subject_id: o.subject_id.clone(),
        scheme: code.to_owned(),
        receiving: true,
        source: Source::Document,
    };
    let body = ChangeBody::Receiving(change);
    // Her record removed by a supervisor on another laptop, pulled here since her case was
    // opened: the benefit is set aside with what else was recorded of her, as a benefit pulled
    // for her would be (a merge of her record takes it there), not kept for a person no
    // household shows.
    if !crate::removed_member::put(conn, &body)? {
        fact::add_receiving(conn, &o.subject_id, code, Source::Document.as_str(), at.utc)?;
    }
    change_log::record(conn, body, at)?;
    if let Some(h) = household::get(conn, o.household_id)? {
        profile::refresh(conn, &h)?;
    }
    Ok(())
}
