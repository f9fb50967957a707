//! Reading referrals back: one case with its story, a list, the facilitator's to-do list and
//! the village funnel. Lists read the derived columns of `referral` through its indexes; only one
//! case's screen replays its events.

use chrono::{DateTime, Days, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};
use samanvaya_domain::HouseholdId;
use samanvaya_domain::Moment;
use samanvaya_domain::referral::{Action, Case, ChecklistItem, Level, Need, Stage, replay};
use samanvaya_eligibility::slip::Slip;
use samanvaya_eligibility::view::Bilingual;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::{catalogue, events, from_json, kinds, opened};
use crate::error::StoreError;
use crate::store::Store;

/// How many cases each part of the to-do list shows; the counts say how many there are.
const TODO_LIMIT: usize = 200;

/// One referral as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReferralSummary {
    pub id: String,
    pub number: String,
    pub household_id: HouseholdId,
    #[ts(type = "number | null")]
    pub household_number: Option<i64>,
    /// The member referred; `None` for the household.
    pub member_id: Option<String>,
    /// The member's name, or the head's for a household referral.
    pub person: String,
    pub need: Need,
    pub need_name: Bilingual,
    pub stage: Stage,
    pub level: Level,
    #[ts(type = "string")]
    pub due_on: NaiveDate,
    pub overdue: bool,
    #[ts(type = "string | null")]
    pub next_visit: Option<NaiveDate>,
    pub missing_documents: u32,
    /// Days since the case entered its stage or level.
    #[ts(type = "number")]
    pub days_in_stage: i64,
    /// Why it was rejected, withdrawn, escalated or reopened, the last of these.
    pub reason: Option<String>,
}

/// One event as the case's timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct TimelineEntry {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub by: String,
    /// Whether it was recorded on this laptop (else at the block or district).
    pub here: bool,
    pub action: Action,
    /// Why the event no longer fits the story, when events from two places crossed.
    pub not_applied: Option<String>,
}

/// One case, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReferralDetail {
    pub summary: ReferralSummary,
    pub case: Case,
    /// The office handling the case at its level.
    pub office: Bilingual,
    /// Where to go and how to apply, for the slip.
    pub where_to_go: Bilingual,
    pub documents: Vec<ChecklistItem>,
    pub notes: String,
    pub created_by: String,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    /// The catalogue version that judged eligibility when the case was opened.
    pub catalogue: String,
    /// The actions allowed now, by name.
    pub allowed: Vec<String>,
    /// The case is at the village, open and overdue: the block can help.
    pub suggest_escalation: bool,
    pub timeline: Vec<TimelineEntry>,
}

/// Which referrals a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct ReferralQuery {
    pub household_id: Option<HouseholdId>,
    /// Only the cases that still need work.
    #[serde(default)]
    pub open_only: bool,
}

/// The facilitator's to-do list on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Todo {
    #[ts(type = "string")]
    pub today: NaiveDate,
    /// Open cases past their due day, the longest overdue first.
    pub overdue: Vec<ReferralSummary>,
    pub overdue_count: u32,
    /// Visits planned for the coming week, or missed.
    pub visits: Vec<ReferralSummary>,
    pub visits_count: u32,
    /// Open cases with a document still missing.
    pub missing_documents: Vec<ReferralSummary>,
    pub missing_documents_count: u32,
    /// Open cases at the block or district.
    pub waiting: Vec<ReferralSummary>,
    pub waiting_count: u32,
}

/// One scheme's or kind's road from eligible to received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct FunnelRow {
    pub code: String,
    pub name: Bilingual,
    /// For a scheme: the people (or households, for a household scheme) the engine finds
    /// eligible on the day and not yet receiving it, counting those it counts under another
    /// scheme of the same exclusive group in the village gap. `None` for a service or a
    /// grievance, which no rule decides.
    pub eligible: Option<u32>,
    pub referred: u32,
    pub submitted: u32,
    pub sanctioned: u32,
    pub received: u32,
    pub rejected: u32,
    pub open: u32,
}

/// How long the open cases have been in each stage.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct StageAge {
    pub stage: Stage,
    pub open: u32,
    pub average_days: f64,
    #[ts(type = "number")]
    pub longest_days: i64,
    /// Open for more than 30 days in this stage.
    pub over_30_days: u32,
}

/// The village's referrals: the funnel per scheme and the ageing of open cases.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ReferralFunnel {
    #[ts(type = "string")]
    pub as_of: NaiveDate,
    pub rows: Vec<FunnelRow>,
    pub ageing: Vec<StageAge>,
}

/// The summary columns of referral `r`, read through `index` (an `INDEXED BY …` clause, or
/// nothing), with the household's number and the person's name.
fn summary_select(index: &str) -> String {
    format!(
        "SELECT r.id, r.number, r.household_id, h.number, r.subject_id, r.need, r.stage, r.level, r.due_on,
                r.next_visit, r.missing_docs, r.since, r.state,
                coalesce(p.name, (SELECT name FROM person WHERE household_id = r.household_id ORDER BY position LIMIT 1), '')
         FROM referral r {index}
         CROSS JOIN household h ON h.id = r.household_id
         LEFT JOIN person p ON p.id = r.subject_id"
    )
}

pub(super) fn summaries(
    conn: &Connection,
    index: &str,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
    today: NaiveDate,
) -> Result<Vec<ReferralSummary>, StoreError> {
    let (cat, kinds) = (catalogue(conn)?, kinds()?);
    let mut stmt = conn.prepare_cached(&format!("{} {filter}", summary_select(index)))?;
    let rows = stmt.query_map(args, |r| {
        let household_id: String = r.get(2)?;
        let subject: String = r.get(4)?;
        let need: Need = from_json(&r.get::<_, String>(5)?)?;
        let stage: String = r.get(6)?;
        let level: String = r.get(7)?;
        let due_on: NaiveDate = r.get(8)?;
        let since: DateTime<Utc> = r.get(11)?;
        let state: Case = from_json(&r.get::<_, String>(12)?)?;
        let stage = Stage::parse(&stage).unwrap_or(state.stage);
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            household_id,
            r.get::<_, Option<i64>>(3)?,
            subject,
            need,
            stage,
            Level::parse(&level).unwrap_or(state.level),
            due_on,
            r.get::<_, Option<NaiveDate>>(9)?,
            r.get::<_, i64>(10)?,
            since,
            state.reason,
            r.get::<_, String>(13)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (
            id,
            number,
            hid,
            hnum,
            subject,
            need,
            stage,
            level,
            due_on,
            next_visit,
            missing,
            since,
            reason,
            person,
        ) = row?;
        let household_id = hid
            .parse()
            .map(HouseholdId)
            .map_err(|_| StoreError::Corrupt(format!("referral {id} has household {hid}")))?;
        let need_name = kinds
            .name(cat, &need)
            .unwrap_or_else(|_| Bilingual { en: need.code().into(), hi: need.code().into() });
        out.push(ReferralSummary {
            member_id: (subject != hid).then_some(subject),
            id,
            number,
            household_id,
            household_number: hnum,
            person,
            need,
            need_name,
            stage,
            level,
            due_on,
            overdue: stage.is_open() && today > due_on,
            next_visit,
            missing_documents: u32::try_from(missing).unwrap_or(0),
            days_in_stage: (today - since.date_naive()).num_days().max(0),
            reason,
        });
    }
    Ok(out)
}

fn count(
    conn: &Connection,
    index: &str,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<u32, StoreError> {
    let n: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM referral r {index} {filter}"))?
        .query_row(args, |r| r.get(0))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

impl Store {
    /// Referrals, newest first.
    pub fn referrals(&self, q: &ReferralQuery, today: NaiveDate) -> Result<Vec<ReferralSummary>, StoreError> {
        let order = "ORDER BY r.created_at DESC, r.id DESC";
        match q.household_id {
            // One household's, through its index: the eligibility screen asks at every opening.
            Some(h) => summaries(
                &self.conn,
                "",
                &format!("WHERE r.household_id = ?1 AND (?2 = 0 OR r.is_open = 1) {order}"),
                &[&h.to_string(), &q.open_only],
                today,
            ),
            None => summaries(
                &self.conn,
                "",
                &format!("WHERE (?1 = 0 OR r.is_open = 1) {order}"),
                &[&q.open_only],
                today,
            ),
        }
    }

    /// One referral with its documents, allowed actions and timeline.
    pub fn referral(&self, id: Uuid, today: NaiveDate) -> Result<ReferralDetail, StoreError> {
        let summary = summaries(&self.conn, "", "WHERE r.id = ?1", &[&id.to_string()], today)?
            .pop()
            .ok_or_else(|| StoreError::NotFound { what: "referral", id: id.to_string() })?;
        let (documents, notes, created_by, created_at, catalogue_version): (
            String,
            String,
            String,
            DateTime<Utc>,
            String,
        ) = self.conn.query_row(
            "SELECT documents, notes, created_by, created_at, catalogue FROM referral WHERE id = ?1",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let (case, story) = replay(&opened(&self.conn, id)?, events(&self.conn, id)?);
        let mut documents: Vec<ChecklistItem> = from_json(&documents)?;
        for (d, status) in documents.iter_mut().zip(&case.documents) {
            d.status = *status;
        }
        let (cat, kinds) = (catalogue(&self.conn)?, kinds()?);
        let need = &summary.need;
        let unknown =
            |e: samanvaya_eligibility::referral::UnknownNeed| StoreError::UnknownNeed(e.to_string());
        let office = kinds.office(cat, need, case.level).map_err(unknown)?;
        let where_to_go = match need {
            Need::Scheme { code } => {
                cat.scheme(code).map(|s| (&s.where_to_apply).into()).unwrap_or_else(|| office.clone())
            }
            _ => kinds.office(cat, need, Level::Village).map_err(unknown)?,
        };
        let device = self.device_id()?;
        let allowed: Vec<String> = case.allowed().into_iter().map(str::to_owned).collect();
        Ok(ReferralDetail {
            suggest_escalation: case.level == Level::Village
                && case.is_overdue(today)
                && allowed.iter().any(|a| a == "escalate"),
            timeline: story
                .into_iter()
                .map(|e| TimelineEntry {
                    at: e.event.at,
                    by: e.event.by,
                    here: e.event.device == device,
                    action: e.event.action,
                    not_applied: e.refused.map(|r| r.to_string()),
                })
                .collect(),
            summary,
            case,
            office,
            where_to_go,
            documents,
            notes,
            created_by,
            created_at,
            catalogue: catalogue_version,
            allowed,
        })
    }

    /// The to-do list on `today`: overdue cases, visits due this week, missing documents, and
    /// cases waiting on the block or district.
    pub fn todo(&self, today: NaiveDate) -> Result<Todo, StoreError> {
        let week = today + Days::new(7);
        let limit = TODO_LIMIT as i64;
        // Each part through its own index (migrations 0010 and 0011), named because SQLite,
        // without statistics, would take the plain index on `is_open` and read every open row.
        let part = |index: &str,
                    filter: &str,
                    order: &str,
                    bound: &dyn rusqlite::ToSql|
         -> Result<(Vec<ReferralSummary>, u32), StoreError> {
            let index = format!("INDEXED BY {index}");
            let list = summaries(
                &self.conn,
                &index,
                &format!("{filter} ORDER BY {order} LIMIT ?2"),
                &[bound, &limit],
                today,
            )?;
            Ok((list, count(&self.conn, &index, filter, &[bound])?))
        };
        let (overdue, overdue_count) =
            part("referral_open_due", "WHERE r.is_open = 1 AND r.due_on < ?1", "r.due_on, r.rowid", &today)?;
        let (visits, visits_count) = part(
            "referral_todo_visit",
            "WHERE r.is_open = 1 AND r.next_visit IS NOT NULL AND r.next_visit <= ?1",
            "r.next_visit, r.rowid",
            &week,
        )?;
        // `?1 IS NOT NULL` keeps one parameter list for every part. Cases due on the same day are
        // listed in the index's order: a tie-breaker outside the index would sort every one of
        // them (90,000 rows when a whole village was referred on one day).
        let (missing_documents, missing_documents_count) = part(
            "referral_todo_missing",
            "WHERE r.is_open = 1 AND r.missing_docs > 0 AND ?1 IS NOT NULL",
            "r.due_on",
            &today,
        )?;
        let (waiting, waiting_count) = part(
            "referral_todo_waiting",
            "WHERE r.is_open = 1 AND r.level <> 'village' AND ?1 IS NOT NULL",
            "r.due_on",
            &today,
        )?;
        Ok(Todo {
            today,
            overdue,
            overdue_count,
            visits,
            visits_count,
            missing_documents,
            missing_documents_count,
            waiting,
            waiting_count,
        })
    }

    /// The village's referrals per scheme or kind (eligible → referred → submitted →
    /// sanctioned → received, and rejected) and how long open cases have sat in each stage on
    /// `as_of`. A scheme with eligible people and no referral yet has its row too, after those
    /// with referrals: it is where the Samiti can start.
    pub fn referral_funnel(&self, as_of: NaiveDate) -> Result<ReferralFunnel, StoreError> {
        let (cat, kinds) = (catalogue(&self.conn)?, kinds()?);
        let mut eligible = self.eligible_by_scheme(as_of)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT need_code, need_type, count(*), sum(furthest >= 2), sum(furthest >= 4), sum(stage = 'received'),
                    sum(stage = 'rejected'), sum(is_open)
             FROM referral GROUP BY need_code, need_type ORDER BY count(*) DESC, need_code",
        )?;
        let n = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        let rows = stmt
            .query_map([], |r| {
                // The need from its type and code: enough to name it, and read from the index alone.
                let (code, kind): (String, String) = (r.get(0)?, r.get(1)?);
                let need = match kind.as_str() {
                    "scheme" => Need::Scheme { code },
                    "service" => Need::Service { kind: code },
                    _ => Need::Grievance { kind: code, description: String::new() },
                };
                Ok((
                    r.get::<_, String>(0)?,
                    need,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })?
            .map(|row| {
                let (code, need, referred, submitted, sanctioned, received, rejected, open) = row?;
                let name = kinds
                    .name(cat, &need)
                    .unwrap_or_else(|_| Bilingual { en: code.clone(), hi: code.clone() });
                let eligible = match need {
                    Need::Scheme { .. } => Some(eligible.remove(&code).unwrap_or(0)),
                    _ => None,
                };
                Ok(FunnelRow {
                    code,
                    name,
                    eligible,
                    referred: n(referred),
                    submitted: n(submitted),
                    sanctioned: n(sanctioned),
                    received: n(received),
                    rejected: n(rejected),
                    open: n(open),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // What is left are the schemes nobody has been referred for yet, in catalogue order.
        let rows = rows
            .into_iter()
            .chain(cat.schemes.iter().filter_map(|s| {
                let n = eligible.remove(&s.code).filter(|n| *n > 0)?;
                Some(FunnelRow {
                    code: s.code.clone(),
                    name: (&s.name).into(),
                    eligible: Some(n),
                    referred: 0,
                    submitted: 0,
                    sanctioned: 0,
                    received: 0,
                    rejected: 0,
                    open: 0,
                })
            }))
            .collect();
        let mut stmt = self.conn.prepare_cached(
            "SELECT stage, count(*), avg(julianday(?1) - julianday(substr(since, 1, 10))),
                    max(julianday(?1) - julianday(substr(since, 1, 10))),
                    sum(julianday(?1) - julianday(substr(since, 1, 10)) > 30)
             FROM referral WHERE is_open = 1 GROUP BY stage",
        )?;
        let mut ageing = stmt
            .query_map([as_of], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, f64>(2)?,
                    r.get::<_, f64>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?
            .filter_map(|row| match row {
                Ok((stage, open, avg, max, over)) => Stage::parse(&stage).map(|stage| {
                    Ok(StageAge {
                        stage,
                        open: n(open),
                        average_days: (avg * 10.0).round() / 10.0,
                        longest_days: max as i64,
                        over_30_days: n(over),
                    })
                }),
                Err(e) => Some(Err(StoreError::from(e))),
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        ageing.sort_by_key(|a| a.stage);
        Ok(ReferralFunnel { as_of, rows, ageing })
    }
}

impl Store {
    /// What referral `id`'s slip says, for [`samanvaya_eligibility::slip`] to lay out.
    pub fn referral_slip(&self, id: Uuid, today: NaiveDate) -> Result<Slip, StoreError> {
        let d = self.referral(id, today)?;
        let h = self.household(d.summary.household_id)?;
        let village = crate::location::get(&self.conn, h.village_id)?
            .map(|l| Bilingual { en: l.name_en, hi: l.name_hi })
            .unwrap_or_else(|| Bilingual { en: String::new(), hi: String::new() });
        Ok(Slip {
            provisional: !d.summary.number.starts_with("R-"),
            number: d.summary.number,
            person: d.summary.person,
            household_number: d.summary.household_number,
            village,
            need: d.summary.need_name,
            office: d.office,
            where_to_go: d.where_to_go,
            documents: d.documents,
            facilitator: d.created_by,
            made_on: Moment::at(d.created_at, crate::setting::utc_offset_seconds(&self.conn)?).today,
            due_on: d.summary.due_on,
        })
    }
}

impl Store {
    /// The referral numbered `number` ("L-3", "R-1042"), or with that id.
    pub fn find_referral(&self, number_or_id: &str) -> Result<Uuid, StoreError> {
        let found: Option<String> = self
            .conn
            .query_row(
                "SELECT id FROM referral WHERE number = ?1 COLLATE NOCASE OR id = ?1",
                [number_or_id.trim()],
                |r| r.get(0),
            )
            .optional()?;
        found
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| StoreError::NotFound { what: "referral", id: number_or_id.to_owned() })
    }
}
