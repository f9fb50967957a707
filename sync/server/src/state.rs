//! The current state the server derives from the changes it stores: households, members, facts,
//! benefits received, survey submissions and referrals. Mutable fields merge one by one: the
//! write with the later clock reading wins, whatever order the changes arrive in, so every
//! server ends with the same state from the same changes. An identity field (name, relation,
//! sex, birth) written on two devices that had not seen each other's write goes to the review
//! queue with both values. Referrals are replayed from their events with the laptop's own
//! state machine (`samanvaya_domain::referral::replay`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::Hlc;
use samanvaya_domain::change::{
    ChangeBody, HouseholdField, MemberField, ReferralChange, ReferralEventChange,
};
use samanvaya_domain::referral::{Case, Entry, Event, replay};
use samanvaya_sync_protocol::Outcome;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ServerError;

/// The last write of one field: its clock reading, and the server's number for the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Written {
    hlc: Hlc,
    seq: i64,
}

type Clocks = BTreeMap<String, Written>;

/// Who delivered a change and what they had seen: a write already on the server that is newer
/// than `pulled_through`, from another device, was not seen by the sender.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub seq: i64,
    pub sender: &'a str,
    pub pulled_through: i64,
    pub now: DateTime<Utc>,
}

const IDENTITY_FIELDS: [&str; 4] = ["name", "relation", "sex", "birth_date"];

fn to_json<T: Serialize>(v: &T) -> Result<String, ServerError> {
    Ok(serde_json::to_string(v)?)
}

/// Applies one stored change to the current state.
pub fn apply(
    conn: &Connection,
    body: &ChangeBody,
    hlc: Hlc,
    d: Delivery<'_>,
) -> Result<Outcome, ServerError> {
    let hid = body.household_id().to_string();
    let known: bool = conn
        .prepare_cached("SELECT 1 FROM household WHERE id = ?1")?
        .query_row([&hid], |_| Ok(()))
        .optional()?
        .is_some();
    if !known && !matches!(body, ChangeBody::Household(_)) {
        return Ok(Outcome::Rejected {
            reason: format!(
                "household {hid} is not known here; its record must travel before its {}",
                body.kind()
            ),
        });
    }
    let w = Written { hlc, seq: d.seq };
    match body {
        ChangeBody::Household(c) => {
            if !known {
                conn.prepare_cached(
                    "INSERT INTO household (id, village_id, home, created_at) VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![
                    hid,
                    c.village_id.0.to_string(),
                    d.sender,
                    c.created_at
                ])?;
            }
            let mut clocks: Clocks = serde_json::from_str(&conn.query_row(
                "SELECT clocks FROM household WHERE id = ?1",
                [&hid],
                |r| r.get::<_, String>(0),
            )?)?;
            for f in &c.fields {
                let (name, sql, value): (&str, &str, rusqlite::types::Value) = match f {
                    HouseholdField::Number(n) => {
                        ("number", "number", n.map_or(rusqlite::types::Value::Null, Into::into))
                    }
                    HouseholdField::HamletId(h) => (
                        "hamlet_id",
                        "hamlet_id",
                        h.map_or(rusqlite::types::Value::Null, |h| h.0.to_string().into()),
                    ),
                    HouseholdField::Address(a) => ("address", "address", a.clone().into()),
                    HouseholdField::Phone(p) => ("phone", "phone", p.clone().into()),
                };
                if clocks.get(name).is_some_and(|old| old.hlc >= hlc) {
                    continue;
                }
                conn.execute(&format!("UPDATE household SET {sql} = ?1 WHERE id = ?2"), params![value, hid])?;
                clocks.insert(name.to_owned(), w);
            }
            conn.execute("UPDATE household SET clocks = ?1 WHERE id = ?2", params![to_json(&clocks)?, hid])?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Member(c) => {
            let mid = c.id.0.to_string();
            conn.prepare_cached("INSERT OR IGNORE INTO member (id, household_id) VALUES (?1, ?2)")?
                .execute(params![mid, hid])?;
            let (mut clocks, current): (Clocks, BTreeMap<String, serde_json::Value>) = {
                let (clocks, name, relation, sex, birth): (
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                ) = conn.query_row(
                    "SELECT clocks, name, relation, sex, birth_date FROM member WHERE id = ?1",
                    [&mid],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?;
                let mut current = BTreeMap::new();
                current.insert("name".to_owned(), serde_json::json!(name));
                current.insert("relation".to_owned(), serde_json::json!(relation));
                current.insert("sex".to_owned(), serde_json::json!(sex));
                current.insert("birth_date".to_owned(), serde_json::json!(birth));
                (serde_json::from_str(&clocks)?, current)
            };
            let mut outcome = Outcome::Applied;
            for f in &c.fields {
                let (name, value): (&str, rusqlite::types::Value) = match f {
                    MemberField::Position(p) => ("position", i64::from(*p).into()),
                    MemberField::Name(n) => ("name", n.clone().into()),
                    MemberField::Relation(r) => ("relation", word(r)?.into()),
                    MemberField::Sex(s) => ("sex", word(s)?.into()),
                    MemberField::BirthDate(b) => {
                        ("birth_date", b.map_or(rusqlite::types::Value::Null, |b| b.to_string().into()))
                    }
                    MemberField::BirthDateEstimated(e) => ("birth_date_estimated", i64::from(*e).into()),
                    MemberField::Left(l) => (
                        "left_household",
                        l.as_ref()
                            .map_or(Ok(rusqlite::types::Value::Null), |l| to_json(l).map(Into::into))?,
                    ),
                };
                let old = clocks.get(name).copied();
                if let Some(old) = old
                    && IDENTITY_FIELDS.contains(&name)
                    && old.hlc.node != hlc.node
                    && old.seq > d.pulled_through
                {
                    let incoming = sql_json(&value);
                    let standing = current.get(name).cloned().unwrap_or(serde_json::Value::Null);
                    if incoming != standing {
                        let (kept, other) = if old.hlc >= hlc {
                            ((standing, old.hlc.node), (incoming, hlc.node))
                        } else {
                            ((incoming, hlc.node), (standing, old.hlc.node))
                        };
                        conn.execute(
                            "INSERT INTO review (household_id, member_id, field, kept, other, created_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            params![
                                hid,
                                mid,
                                name,
                                to_json(&serde_json::json!({"value": kept.0, "device": kept.1}))?,
                                to_json(&serde_json::json!({"value": other.0, "device": other.1}))?,
                                d.now
                            ],
                        )?;
                        outcome = Outcome::Conflict { field: name.to_owned() };
                    }
                }
                if old.is_some_and(|old| old.hlc >= hlc) {
                    continue;
                }
                conn.execute(&format!("UPDATE member SET {name} = ?1 WHERE id = ?2"), params![value, mid])?;
                clocks.insert(name.to_owned(), w);
            }
            conn.execute("UPDATE member SET clocks = ?1 WHERE id = ?2", params![to_json(&clocks)?, mid])?;
            Ok(outcome)
        }
        ChangeBody::MemberRemoved(c) => {
            conn.execute("UPDATE member SET removed = 1 WHERE id = ?1", [c.id.0.to_string()])?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Fact(c) => {
            let sql = "SELECT hlc FROM fact WHERE subject_id = ?1 AND name = ?2";
            if !newer(conn, sql, &c.subject_id, &c.name, hlc)? {
                return Ok(Outcome::Applied);
            }
            conn.execute(
                "INSERT OR REPLACE INTO fact (household_id, subject_id, name, value, source, hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    hid,
                    c.subject_id,
                    c.name,
                    c.value.as_ref().map(ToString::to_string),
                    c.source.as_str(),
                    to_json(&hlc)?
                ],
            )?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Receiving(c) => {
            let sql = "SELECT hlc FROM receiving WHERE subject_id = ?1 AND scheme = ?2";
            if !newer(conn, sql, &c.subject_id, &c.scheme, hlc)? {
                return Ok(Outcome::Applied);
            }
            conn.execute(
                "INSERT OR REPLACE INTO receiving (household_id, subject_id, scheme, receiving, hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![hid, c.subject_id, c.scheme, c.receiving, to_json(&hlc)?],
            )?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Submission(c) => {
            // Submissions never change: two surveys of one household are two submissions.
            conn.execute(
                "INSERT OR IGNORE INTO submission (id, household_id, form_id, form_version, submitted_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![c.id.to_string(), hid, c.form_id, c.form_version, c.submitted_at, to_json(c)?],
            )?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Referral(c) => {
            conn.execute(
                "INSERT OR IGNORE INTO referral (id, number, household_id, subject_id, need, level, stage, due_on, opened)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'identified', ?7, ?8)",
                params![
                    c.id.to_string(),
                    c.number,
                    hid,
                    c.subject_id,
                    to_json(&c.need)?,
                    c.level.as_str(),
                    c.due_on,
                    to_json(c)?
                ],
            )?;
            refresh_referral(conn, c.id)?;
            Ok(Outcome::Applied)
        }
        ChangeBody::ReferralEvent(c) => {
            conn.execute(
                "INSERT OR IGNORE INTO referral_event (id, referral_id, hlc, device, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![c.id.to_string(), c.referral_id.to_string(), to_json(&hlc)?, hlc.node.to_string(), to_json(c)?],
            )?;
            refresh_referral(conn, c.referral_id)
        }
    }
}

/// Whether `hlc` is later than the stored write that `sql` finds for the two keys (or nothing
/// is stored yet): an older write arriving late is stored in the change log and changes nothing.
fn newer(conn: &Connection, sql: &str, a: &str, b: &str, hlc: Hlc) -> Result<bool, ServerError> {
    let old: Option<String> = conn.prepare_cached(sql)?.query_row(params![a, b], |r| r.get(0)).optional()?;
    match old {
        Some(old) => Ok(serde_json::from_str::<Hlc>(&old)? < hlc),
        None => Ok(true),
    }
}

/// A value as its snake_case word (a relation, a sex), the way it travels.
fn word<T: Serialize>(v: &T) -> Result<String, ServerError> {
    Ok(serde_json::to_value(v)?.as_str().unwrap_or_default().to_owned())
}

fn sql_json(v: &rusqlite::types::Value) -> serde_json::Value {
    match v {
        rusqlite::types::Value::Null => serde_json::Value::Null,
        rusqlite::types::Value::Integer(i) => serde_json::json!(i),
        rusqlite::types::Value::Real(r) => serde_json::json!(r),
        rusqlite::types::Value::Text(t) => serde_json::json!(t),
        rusqlite::types::Value::Blob(_) => serde_json::Value::Null,
    }
}

/// A referral's opening and its events replayed, by id; `None` while only events have arrived.
fn replayed(conn: &Connection, id: &str) -> Result<Option<(ReferralChange, Case, Vec<Entry>)>, ServerError> {
    let opened: Option<String> = conn
        .prepare_cached("SELECT opened FROM referral WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let Some(opened) = opened else { return Ok(None) };
    let opened: ReferralChange = serde_json::from_str(&opened)?;
    let start = Case::new(
        opened.level,
        opened.due_on,
        opened.documents.iter().map(|d| d.status).collect(),
        opened.created_at,
    );
    let mut stmt = conn.prepare_cached("SELECT hlc, body FROM referral_event WHERE referral_id = ?1")?;
    let events: Vec<Event> = stmt
        .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
        .map(|row| {
            let (hlc, body) = row?;
            let hlc: Hlc = serde_json::from_str(&hlc)?;
            let e: ReferralEventChange = serde_json::from_str(&body)?;
            Ok(Event {
                id: e.id,
                hlc,
                at: e.at,
                by: e.by,
                device: hlc.node,
                catalogue: e.catalogue,
                action: e.action,
            })
        })
        .collect::<Result<_, ServerError>>()?;
    let (case, entries) = replay(&start, events);
    Ok(Some((opened, case, entries)))
}

/// Replays a referral and writes its state. An event that no longer fits is kept, marked not
/// applied, exactly as the laptop shows it; an event that arrives before its referral waits for
/// the opening to replay it.
fn refresh_referral(conn: &Connection, id: Uuid) -> Result<Outcome, ServerError> {
    let Some((_, case, entries)) = replayed(conn, &id.to_string())? else { return Ok(Outcome::Applied) };
    for entry in &entries {
        conn.prepare_cached("UPDATE referral_event SET applied = ?1 WHERE id = ?2")?
            .execute(params![entry.refused.is_none(), entry.event.id.to_string()])?;
    }
    conn.execute(
        "UPDATE referral SET stage = ?1, level = ?2, due_on = ?3 WHERE id = ?4",
        params![case.stage.as_str(), case.level.as_str(), case.due_on, id.to_string()],
    )?;
    Ok(Outcome::Applied)
}

/// A referral's opening and current state by its number, for the server's own steps and for
/// the console.
pub fn referral_case(conn: &Connection, number: &str) -> Result<Option<(ReferralChange, Case)>, ServerError> {
    let id: Option<String> =
        conn.query_row("SELECT id FROM referral WHERE number = ?1", [number], |r| r.get(0)).optional()?;
    let Some(id) = id else { return Ok(None) };
    Ok(replayed(conn, &id)?.map(|(opened, case, _)| (opened, case)))
}
