//! The current state the server derives from the changes it stores: households, members, facts,
//! benefits received, survey submissions and referrals. Mutable fields merge one by one: the
//! write with the later clock reading wins, whatever order the changes arrive in, so every
//! server ends with the same state from the same changes. An identity field (name, relation,
//! sex, birth) written on two devices that had not seen each other's write goes to the review
//! queue with both values. Referrals are replayed from their events with the laptop's own
//! state machine (`samanvaya_domain::referral::replay`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use samanvaya_domain::Hlc;
use samanvaya_domain::change::{
    ChangeBody, HouseholdField, MemberField, ReferralChange, ReferralEventChange,
};
use samanvaya_domain::referral::{Case, Entry, Event, replay};
use samanvaya_sync_protocol::Outcome;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, Value, args};

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
pub fn apply(db: &mut dyn Db, body: &ChangeBody, hlc: Hlc, d: Delivery<'_>) -> Result<Outcome, ServerError> {
    match body {
        // A withdrawal is applied even for a household the server never received (recorded and
        // withdrawn before any sync): its tombstone erases whatever of it arrives later.
        ChangeBody::ConsentWithdrawn(w) => {
            crate::consent::erase(db, w, d.seq)?;
            return Ok(Outcome::Applied);
        }
        // What is left of an erased change applies nothing.
        ChangeBody::Redacted(_) => return Ok(Outcome::Applied),
        _ => {}
    }
    let hid = body.household_id().to_string();
    let known = db.query_opt("SELECT 1 FROM household WHERE id = ?1", args![&hid])?.is_some();
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
                db.execute(
                    "INSERT INTO household (id, village_id, home, created_at) VALUES (?1, ?2, ?3, ?4)",
                    args![&hid, c.village_id.0, d.sender, c.created_at],
                )?;
            }
            let mut clocks: Clocks = serde_json::from_str(
                &db.query_one("SELECT clocks FROM household WHERE id = ?1", args![&hid])?.text(0)?,
            )?;
            let mut changed = Vec::new();
            for f in &c.fields {
                let (name, value): (&str, Value) = match f {
                    HouseholdField::Number(n) => ("number", n.map(i64::from).into()),
                    HouseholdField::HamletId(h) => ("hamlet_id", h.map(|h| h.0).into()),
                    HouseholdField::Address(a) => ("address", a.into()),
                    HouseholdField::Phone(p) => ("phone", p.into()),
                };
                if clocks.get(name).is_some_and(|old| old.hlc >= hlc) {
                    continue;
                }
                changed.push((name, value));
                clocks.insert(name.to_owned(), w);
            }
            write_row(db, "household", &hid, changed, &clocks)?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Member(c) => {
            let mid = c.id.0.to_string();
            db.execute(
                "INSERT INTO member (id, household_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                args![&mid, &hid],
            )?;
            let (mut clocks, current): (Clocks, BTreeMap<String, serde_json::Value>) = {
                let sql = format!("SELECT clocks, {} FROM member WHERE id = ?1", IDENTITY_FIELDS.join(", "));
                let row = db.query_one(&sql, args![&mid])?;
                let mut current = BTreeMap::new();
                for (i, field) in IDENTITY_FIELDS.iter().enumerate() {
                    current.insert((*field).to_owned(), sql_json(&row.value(i + 1)));
                }
                (serde_json::from_str(&row.text(0)?)?, current)
            };
            let mut outcome = Outcome::Applied;
            let mut changed = Vec::new();
            for f in &c.fields {
                let (name, value): (&str, Value) = match f {
                    MemberField::Position(p) => ("position", i64::from(*p).into()),
                    MemberField::Name(n) => ("name", n.into()),
                    MemberField::Relation(r) => ("relation", word(r)?.into()),
                    MemberField::Sex(s) => ("sex", word(s)?.into()),
                    MemberField::BirthDate(b) => ("birth_date", (*b).into()),
                    MemberField::BirthDateEstimated(e) => ("birth_date_estimated", (*e).into()),
                    MemberField::Left(l) => ("left_household", l.as_ref().map(to_json).transpose()?.into()),
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
                        db.execute(
                            "INSERT INTO review (household_id, member_id, field, kept, other, created_at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                            args![
                                &hid,
                                &mid,
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
                changed.push((name, value));
                clocks.insert(name.to_owned(), w);
            }
            write_row(db, "member", &mid, changed, &clocks)?;
            Ok(outcome)
        }
        ChangeBody::MemberRemoved(c) => {
            db.execute("UPDATE member SET removed = 1 WHERE id = ?1", args![c.id.0])?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Fact(c) => {
            let sql = "SELECT hlc FROM fact WHERE subject_id = ?1 AND name = ?2";
            if !newer(db, sql, &c.subject_id, &c.name, hlc)? {
                return Ok(Outcome::Applied);
            }
            db.execute(
                "INSERT INTO fact (household_id, subject_id, name, value, source, hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (subject_id, name) DO UPDATE SET household_id = excluded.household_id,
                     value = excluded.value, source = excluded.source, hlc = excluded.hlc",
                args![
                    &hid,
                    &c.subject_id,
                    &c.name,
                    c.value.as_ref().map(ToString::to_string),
                    c.source.as_str(),
                    to_json(&hlc)?
                ],
            )?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Receiving(c) => {
            let sql = "SELECT hlc FROM receiving WHERE subject_id = ?1 AND scheme = ?2";
            if !newer(db, sql, &c.subject_id, &c.scheme, hlc)? {
                return Ok(Outcome::Applied);
            }
            db.execute(
                "INSERT INTO receiving (household_id, subject_id, scheme, receiving, hlc)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (subject_id, scheme) DO UPDATE SET household_id = excluded.household_id,
                     receiving = excluded.receiving, hlc = excluded.hlc",
                args![&hid, &c.subject_id, &c.scheme, c.receiving, to_json(&hlc)?],
            )?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Submission(c) => {
            // Submissions never change: two surveys of one household are two submissions.
            db.execute(
                "INSERT INTO submission (id, household_id, form_id, form_version, submitted_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                args![c.id, &hid, &c.form_id, &c.form_version, c.submitted_at, to_json(c)?],
            )?;
            Ok(Outcome::Applied)
        }
        ChangeBody::Referral(c) => {
            db.execute(
                "INSERT INTO referral (id, number, household_id, subject_id, need, level, stage, due_on, opened)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'identified', ?7, ?8) ON CONFLICT DO NOTHING",
                args![
                    c.id,
                    &c.number,
                    &hid,
                    &c.subject_id,
                    to_json(&c.need)?,
                    c.level.as_str(),
                    c.due_on,
                    to_json(c)?
                ],
            )?;
            refresh_referral(db, c.id)?;
            Ok(Outcome::Applied)
        }
        ChangeBody::ReferralEvent(c) => {
            db.execute(
                "INSERT INTO referral_event (id, referral_id, hlc, device, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO NOTHING",
                args![c.id, c.referral_id, to_json(&hlc)?, hlc.node, to_json(c)?],
            )?;
            refresh_referral(db, c.referral_id)
        }
        ChangeBody::ConsentWithdrawn(_) | ChangeBody::Redacted(_) => Ok(Outcome::Applied),
    }
}

/// Writes the fields that won (column and value) and the row's clocks in one statement: a change
/// of six fields was seven round trips to PostgreSQL before (docs/benchmarks.md, "Sync").
fn write_row(
    db: &mut dyn Db,
    table: &str,
    id: &str,
    changed: Vec<(&str, Value)>,
    clocks: &Clocks,
) -> Result<(), ServerError> {
    let n = changed.len();
    let mut sets: Vec<String> =
        changed.iter().enumerate().map(|(i, (name, _))| format!("{name} = ?{}", i + 1)).collect();
    sets.push(format!("clocks = ?{}", n + 1));
    let mut params: Vec<Value> = changed.into_iter().map(|(_, v)| v).collect();
    params.push(to_json(clocks)?.into());
    params.push(id.to_owned().into());
    db.execute(&format!("UPDATE {table} SET {} WHERE id = ?{}", sets.join(", "), n + 2), &params)?;
    Ok(())
}

/// Whether `hlc` is later than the stored write that `sql` finds for the two keys (or nothing
/// is stored yet): an older write arriving late is stored in the change log and changes nothing.
fn newer(db: &mut dyn Db, sql: &str, a: &str, b: &str, hlc: Hlc) -> Result<bool, ServerError> {
    match db.query_opt(sql, args![a, b])? {
        Some(old) => Ok(serde_json::from_str::<Hlc>(&old.text(0)?)? < hlc),
        None => Ok(true),
    }
}

/// A value as its snake_case word (a relation, a sex), the way it travels.
fn word<T: Serialize>(v: &T) -> Result<String, ServerError> {
    Ok(serde_json::to_value(v)?.as_str().unwrap_or_default().to_owned())
}

fn sql_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => serde_json::json!(i),
        Value::Text(t) => serde_json::json!(t),
    }
}

/// A referral's opening and its events replayed, by id; `None` while only events have arrived.
fn replayed(db: &mut dyn Db, id: &str) -> Result<Option<(ReferralChange, Case, Vec<Entry>)>, ServerError> {
    let Some(opened) = db.query_opt("SELECT opened FROM referral WHERE id = ?1", args![id])? else {
        return Ok(None);
    };
    let opened: ReferralChange = serde_json::from_str(&opened.text(0)?)?;
    let start = Case::new(
        opened.level,
        opened.due_on,
        opened.documents.iter().map(|d| d.status).collect(),
        opened.created_at,
    );
    let events: Vec<Event> = db
        .query("SELECT hlc, body FROM referral_event WHERE referral_id = ?1", args![id])?
        .iter()
        .map(|row| {
            let hlc: Hlc = serde_json::from_str(&row.text(0)?)?;
            let e: ReferralEventChange = serde_json::from_str(&row.text(1)?)?;
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
fn refresh_referral(db: &mut dyn Db, id: Uuid) -> Result<Outcome, ServerError> {
    let Some((_, case, entries)) = replayed(db, &id.to_string())? else { return Ok(Outcome::Applied) };
    for entry in &entries {
        db.execute(
            "UPDATE referral_event SET applied = ?1 WHERE id = ?2",
            args![entry.refused.is_none(), entry.event.id],
        )?;
    }
    db.execute(
        "UPDATE referral SET stage = ?1, level = ?2, due_on = ?3 WHERE id = ?4",
        args![case.stage.as_str(), case.level.as_str(), case.due_on, id],
    )?;
    Ok(Outcome::Applied)
}

/// A referral's opening and current state by its number, for the server's own steps and for
/// the console.
pub fn referral_case(db: &mut dyn Db, number: &str) -> Result<Option<(ReferralChange, Case)>, ServerError> {
    let Some(id) = db.query_opt("SELECT id FROM referral WHERE number = ?1", args![number])? else {
        return Ok(None);
    };
    Ok(replayed(db, &id.text(0)?)?.map(|(opened, case, _)| (opened, case)))
}
