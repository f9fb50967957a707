//! The `household` table: reading, listing and searching households, and writing one household
//! with its members and its changes.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use samanvaya_domain::change::{
    ChangeBody, ConsentGiven, HouseholdChange, HouseholdField, MemberChange, MemberField, MemberRemoved,
};
use samanvaya_domain::name_key::name_key;
use samanvaya_domain::{
    Consent, Household, HouseholdId, HouseholdSummary, LocationId, Moment, Person, PersonId,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::{change_log, person, sql};

/// Which households to list: those of a village, optionally matching a search, one page at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HouseholdQuery {
    pub village_id: Option<LocationId>,
    /// A member's name in Devanagari or Latin script, or a household number.
    pub search: String,
    pub limit: u32,
    pub offset: u32,
    /// Only the households of this hamlet.
    #[serde(default)]
    pub hamlet_id: Option<LocationId>,
    /// Only the households this says, from what is recorded of them.
    #[serde(default)]
    pub filter: Option<RegisterFilter>,
}

/// The register's filters: the households a facilitator looks for first. Each reads the facts
/// recorded of the members who live there (a survey's, a screening's or a document's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum RegisterFilter {
    /// A woman recorded as pregnant.
    Pregnant,
    /// A woman recorded as widowed.
    Widow,
    /// Someone recorded with a disability (or a disability percentage above 0).
    Disability,
    /// The household recorded as holding no ration card.
    NoRationCard,
    /// No survey finished for the household yet.
    NotSurveyed,
    /// The household's last survey finished more than a year ago.
    SurveyOverAYearOld,
    /// The family's consent is not on record (a household from a list, never visited yet):
    /// the first visits to make.
    NoConsent,
}

impl RegisterFilter {
    /// The filter as a condition on `h`, the household; `?7` is the day a year before today.
    fn sql(self) -> String {
        match self {
            RegisterFilter::Pregnant => {
                member_fact("", &format!("{} AND f.value = 'true'", named("person.is_pregnant")))
            }
            RegisterFilter::Widow => member_fact(
                "AND p.sex = 'female'",
                &format!("{} AND f.value = '\"widowed\"'", named("person.marital_status")),
            ),
            RegisterFilter::Disability => member_fact(
                "",
                &format!(
                    "(({} AND f.value = 'true') OR ({} AND CAST(f.value AS INTEGER) > 0))",
                    named("person.has_disability"),
                    named("person.disability_percent")
                ),
            ),
            RegisterFilter::NoRationCard => format!(
                "EXISTS (SELECT 1 FROM fact_row f WHERE {} AND {} AND f.value = '\"none\"')",
                crate::fact::of_subject("f", "h.id"),
                named("household.ration_card_type")
            ),
            RegisterFilter::NotSurveyed => {
                "NOT EXISTS (SELECT 1 FROM submission s WHERE s.household_id = h.id)".to_owned()
            }
            RegisterFilter::NoConsent => "h.consent_taken_at IS NULL".to_owned(),
            RegisterFilter::SurveyOverAYearOld => {
                "(SELECT max(substr(s.submitted_at, 1, 10)) FROM submission s WHERE s.household_id = h.id) < ?7"
                    .to_owned()
            }
        }
    }
}

/// Some member of `h` still living there (and matching `member`, more conditions on `p`) has a
/// fact `f` that meets `fact`.
fn member_fact(member: &str, fact: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM person p JOIN fact_row f ON {}
                 WHERE p.household_id = h.id AND p.left_reason IS NULL {member} AND {fact})",
        crate::fact::of_subject("f", "p.id")
    )
}

/// The fact `f` is the one named `name`: its number looked up once, so that each member's fact is
/// found through the table's key (subject, name).
fn named(name: &str) -> String {
    format!("f.name = (SELECT id FROM fact_name WHERE name = '{name}')")
}

/// One page of the household list, with the number of all matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HouseholdPage {
    pub total: u32,
    pub items: Vec<HouseholdSummary>,
}

pub fn get(conn: &Connection, id: HouseholdId) -> rusqlite::Result<Option<Household>> {
    let row = conn
        .query_row(
            "SELECT number, village_id, hamlet_id, address, created_at, updated_at, phone,
                    consent_respondent, consent_taken_by, consent_taken_at
             FROM household WHERE id = ?1",
            [id.to_string()],
            |r| {
                let taken: Option<(String, _)> = match (r.get(8)?, r.get(9)?) {
                    (Some(by), Some(at)) => Some((by, at)),
                    _ => None,
                };
                Ok(Household {
                    id,
                    number: r.get(0)?,
                    village_id: sql::id(r, 1)?,
                    hamlet_id: sql::opt_id(r, 2)?,
                    address: r.get(3)?,
                    phone: r.get(6)?,
                    members: Vec::new(),
                    created_at: r.get(4)?,
                    updated_at: r.get(5)?,
                    consent: match taken {
                        Some((taken_by, taken_at)) => {
                            Some(Consent { respondent: sql::opt_id(r, 7)?, taken_by, taken_at })
                        }
                        None => None,
                    },
                })
            },
        )
        .optional()?;
    let Some(mut household) = row else {
        return Ok(None);
    };
    household.members = person::for_household(conn, id)?;
    Ok(Some(household))
}

/// Writes `h` and its members, records the changes from `before` (the household as stored, or
/// `None` when new) field by field, and rewrites its profile; the caller owns the transaction.
pub fn write(
    conn: &Connection,
    before: Option<&Household>,
    h: &Household,
    at: Moment,
) -> rusqlite::Result<()> {
    write_merging(conn, before, h, at, None)
}

/// A record removed because it was made one with another: (the record removed, the record kept,
/// the reading of the removed record's departure as this laptop held it, `MemberRemoved::departure_seen`).
pub type Merged = (PersonId, PersonId, Option<samanvaya_domain::Hlc>);

/// As [`write`], where the member removed in `merged` was made one with the member kept: her
/// removal travels saying so (`MemberRemoved::merged_into`).
pub fn write_merging(
    conn: &Connection,
    before: Option<&Household>,
    h: &Household,
    at: Moment,
    merged: Option<Merged>,
) -> rusqlite::Result<()> {
    record_merging(conn, before, h, at, merged)?;
    put(conn, h)?;
    person::share_order(conn, h.id)
}

/// Records the changes from `before` to `h`; the caller writes the rows in the same transaction.
pub fn record_changes(
    conn: &Connection,
    before: Option<&Household>,
    h: &Household,
    at: Moment,
) -> rusqlite::Result<()> {
    record_merging(conn, before, h, at, None)
}

fn record_merging(
    conn: &Connection,
    before: Option<&Household>,
    h: &Household,
    at: Moment,
    merged: Option<Merged>,
) -> rusqlite::Result<()> {
    let shared = person::shared_positions(conn, h.id)?;
    let mut bodies = changes(before, h, &shared);
    for body in &mut bodies {
        if let (ChangeBody::MemberRemoved(r), Some((gone, kept, seen))) = (body, merged)
            && r.id == gone
        {
            r.merged_into = Some(kept);
            r.departure_seen = seen;
        }
    }
    change_log::record_each(conn, bodies, at)
}

/// Writes `h` and its members and rewrites its profile, recording no change: for changes pulled
/// from a server, which are recorded as such by the caller.
pub fn put(conn: &Connection, h: &Household) -> rusqlite::Result<()> {
    put_rows(conn, h)?;
    crate::profile::refresh(conn, h)
}

/// Writes `h` and its members only; the caller rewrites the profile once everything of the
/// household is written.
pub fn put_rows(conn: &Connection, h: &Household) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO household (id, village_id, hamlet_id, number, address, created_at, updated_at, phone,
                                consent_respondent, consent_taken_by, consent_taken_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET
             village_id = excluded.village_id, hamlet_id = excluded.hamlet_id,
             number = excluded.number, address = excluded.address, updated_at = excluded.updated_at,
             phone = excluded.phone, consent_respondent = excluded.consent_respondent,
             consent_taken_by = excluded.consent_taken_by, consent_taken_at = excluded.consent_taken_at",
    )?
    .execute(params![
        h.id.to_string(),
        h.village_id.to_string(),
        h.hamlet_id.map(|x| x.to_string()),
        h.number,
        h.address,
        h.created_at,
        h.updated_at,
        h.phone,
        h.consent.as_ref().and_then(|c| c.respondent).map(|p| p.to_string()),
        h.consent.as_ref().map(|c| &c.taken_by),
        h.consent.as_ref().map(|c| c.taken_at),
    ])?;
    person::replace_all(conn, h.id, &h.members)
}

/// Whether a household with this id is stored.
pub fn exists(conn: &Connection, id: HouseholdId) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM household WHERE id = ?1")?
        .query_row([id.to_string()], |_| Ok(()))
        .optional()
        .map(|r| r.is_some())
}

/// The changes that turn `before` into `after`: only the fields that differ, every field of what
/// is new, and the members that left.
pub fn changes(
    before: Option<&Household>,
    after: &Household,
    shared: &HashMap<PersonId, i64>,
) -> Vec<ChangeBody> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    if before.is_none_or(|b| b.number != after.number) {
        fields.push(HouseholdField::Number(after.number));
    }
    if before.is_none_or(|b| b.hamlet_id != after.hamlet_id) {
        fields.push(HouseholdField::HamletId(after.hamlet_id));
    }
    if before.is_none_or(|b| b.address != after.address) {
        fields.push(HouseholdField::Address(after.address.clone()));
    }
    if before.is_none_or(|b| b.phone != after.phone) {
        fields.push(HouseholdField::Phone(after.phone.clone()));
    }
    // Consent is only ever given or given again here; a withdrawal travels as its own change.
    if let Some(c) = &after.consent
        && before.is_none_or(|b| b.consent.as_ref() != Some(c))
    {
        fields.push(HouseholdField::Consent(ConsentGiven {
            respondent: c.respondent,
            taken_by: c.taken_by.clone(),
            taken_at: c.taken_at,
        }));
    }
    if !fields.is_empty() || before.is_some_and(|b| b.village_id != after.village_id) {
        out.push(ChangeBody::Household(HouseholdChange {
            id: after.id,
            village_id: after.village_id,
            created_at: after.created_at,
            fields,
        }));
    }
    let old: &[Person] = before.map_or(&[], |b| &b.members);
    for (i, p) in after.members.iter().enumerate() {
        let prev = old.iter().find(|o| o.id == p.id);
        let mut fields = Vec::new();
        let differs = |f: &dyn Fn(&Person) -> bool| prev.is_none_or(f);
        // A position goes wherever the shared one is not the member's place here: a member
        // added or moved, and after two laptops' members took one place, every member after it,
        // so that the servers and the other laptops order the household as this one does.
        if prev.is_none() || shared.get(&p.id) != Some(&(i as i64)) {
            fields.push(MemberField::Position(i as u32));
        }
        if differs(&|o| o.name != p.name) {
            fields.push(MemberField::Name(p.name.clone()));
        }
        if differs(&|o| o.relation != p.relation) {
            fields.push(MemberField::Relation(p.relation));
        }
        if differs(&|o| o.sex != p.sex) {
            fields.push(MemberField::Sex(p.sex));
        }
        if differs(&|o| o.birth_date != p.birth_date) {
            fields.push(MemberField::BirthDate(p.birth_date));
        }
        if differs(&|o| o.birth_date_estimated != p.birth_date_estimated) {
            fields.push(MemberField::BirthDateEstimated(p.birth_date_estimated));
        }
        // A member who lives in the household sends no `left` field when first added, so that a
        // new member's change still reads the same as before the field existed.
        if prev.map_or(p.left.is_some(), |o| o.left != p.left) {
            fields.push(MemberField::Left(p.left));
        }
        if !fields.is_empty() {
            out.push(ChangeBody::Member(MemberChange { id: p.id, household_id: after.id, fields }));
        }
    }
    for o in old {
        if !after.members.iter().any(|p| p.id == o.id) {
            out.push(ChangeBody::MemberRemoved(MemberRemoved {
                id: o.id,
                household_id: after.id,
                merged_into: None,
                departure_seen: None,
            }));
        }
    }
    out
}

pub fn count(conn: &Connection, village: Option<LocationId>) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT count(*) FROM household WHERE ?1 IS NULL OR village_id = ?1",
        [village.map(|v| v.to_string())],
        |r| r.get(0),
    )
}

/// The columns of a register row, read from a household `h`: its id, number and hamlet, how many
/// members live there, how many of them are women, and their names in household order.
const SUMMARY_COLUMNS: &str = "h.id, h.number, h.hamlet_id,
    (SELECT count(*) FROM person p WHERE p.household_id = h.id AND p.left_reason IS NULL),
    (SELECT count(*) FROM person p
       WHERE p.household_id = h.id AND p.sex = 'female' AND p.left_reason IS NULL),
    (SELECT group_concat(p.name, char(31) ORDER BY p.position)
       FROM person p WHERE p.household_id = h.id AND p.left_reason IS NULL)";

/// A register row from [`SUMMARY_COLUMNS`], read from column `at` on.
fn summary(r: &rusqlite::Row, at: usize) -> rusqlite::Result<HouseholdSummary> {
    let names: Option<String> = r.get(at + 5)?;
    let member_names: Vec<String> = names.unwrap_or_default().split('\u{1f}').map(str::to_owned).collect();
    Ok(HouseholdSummary {
        id: sql::id(r, at)?,
        number: r.get(at + 1)?,
        hamlet_id: sql::opt_id(r, at + 2)?,
        head_name: member_names.first().cloned().unwrap_or_default(),
        member_count: r.get(at + 3)?,
        women_count: r.get(at + 4)?,
        member_names,
    })
}

/// The register rows of the households `ids`, in that order (the name search's page, chosen in
/// memory by `name_search`).
pub(crate) fn summaries(conn: &Connection, ids: &[&str]) -> rusqlite::Result<Vec<HouseholdSummary>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {SUMMARY_COLUMNS} FROM household h WHERE h.id = ?1"))?;
    ids.iter().map(|id| stmt.query_row([id], |r| summary(r, 0))).collect()
}

/// Households matching `q`, ordered by household number (unnumbered last, newest first, then by
/// id, so that `name_search` keeps the very same order).
///
/// A search matches a household when any member's name contains the query, compared through the
/// script-independent name key so that Latin and Devanagari spellings find each other, or when
/// the query is the household's number.
/// One page of the households that pass `q` on `today` (a survey "over a year old" is counted to
/// it).
pub fn list(
    conn: &Connection,
    q: &HouseholdQuery,
    today: chrono::NaiveDate,
) -> rusqlite::Result<HouseholdPage> {
    let search = q.search.trim();
    let key = name_key(search);
    let number: Option<i64> = search.parse().ok();
    // An empty key (a query of punctuation only) would match everything; treat it as no search.
    let filtering = !search.is_empty() && (!key.is_empty() || number.is_some());
    // A name search reads the index of name keys alone (migration 0018), once, as an
    // uncorrelated subquery; the households are then walked in order and each checked against
    // its result. Starting from the matching households instead was measured slower (88 ms for
    // a rare name without an index hint; 411 ms for a common one with it: docs/benchmarks.md).
    let filter = format!(
        "(?1 IS NULL OR h.village_id = ?1)
         AND (?2 = 0
              OR (?3 <> '' AND h.id IN (SELECT p.household_id FROM person p
                                           WHERE instr(p.name_key, ?3) > 0))
              OR (?4 IS NOT NULL AND h.number = ?4))
         AND (?8 IS NULL OR h.hamlet_id = ?8)
         AND ({})",
        q.filter.map_or_else(|| "1".to_owned(), RegisterFilter::sql)
    );
    let village = q.village_id.map(|v| v.to_string());
    let hamlet = q.hamlet_id.map(|v| v.to_string());
    let year_ago = (today - chrono::Days::new(365)).to_string();
    // A number is never part of a name: a numeric query looks up the number alone.
    let key = if number.is_some() { String::new() } else { key };
    // Every statement names the same numbered parameters, so that each filter may use ?7 and ?8.
    let args = params![village, filtering, key, number, q.limit, q.offset, year_ago, hamlet];
    // The page is chosen first, with the number of households that pass counted over the same
    // rows before LIMIT (a window count); only then are the page's members read, for its 50
    // rows rather than for every household that passes.
    let mut stmt = conn.prepare_cached(&format!(
        "WITH page AS (
           SELECT h.id, h.number, h.hamlet_id, h.created_at, count(*) OVER () AS total
           FROM household h
           WHERE {filter}
           ORDER BY h.number IS NULL, h.number, h.created_at DESC, h.id
           LIMIT ?5 OFFSET ?6)
         SELECT h.total, {SUMMARY_COLUMNS}
         FROM page h
         ORDER BY h.number IS NULL, h.number, h.created_at DESC, h.id"
    ))?;
    let mut total: Option<u32> = None;
    let items = stmt
        .query_map(args, |r| {
            total = Some(r.get(0)?);
            summary(r, 1)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // A page past the end has no row to carry the count: count apart then.
    let total = match total {
        Some(n) => n,
        None => conn.query_row(
            &format!("SELECT count(*) FROM household h WHERE {filter} AND ?5 IS NOT NULL AND ?6 IS NOT NULL"),
            args,
            |r| r.get(0),
        )?,
    };
    Ok(HouseholdPage { total, items })
}
