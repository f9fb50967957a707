//! The field-by-field merge of households, members, facts, benefits received and survey
//! submissions, done in memory over the rows a run of changes touches. [`Rows::load`] reads them
//! with one statement per table, [`Rows::apply`] merges each change in the order it came, by
//! the rules `state.rs` states (the write with the later clock reading wins; an identity field
//! written on two devices that had not seen each other's write goes to review), and
//! [`Rows::write`] writes what changed with one statement per table. On PostgreSQL each
//! statement is a round trip, so a batch costs a few of them instead of several per change.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;

use samanvaya_domain::Hlc;
use samanvaya_domain::PersonId;
use samanvaya_domain::change::{
    ChangeBody, ConsentGiven, FactChange, HouseholdField, MemberField, ReceivingChange,
};
use samanvaya_sync_protocol::Outcome;
use serde::Serialize;

use crate::error::ServerError;
use crate::field_clocks::{FieldClocks, Written};
use crate::many::{self, Kind};
use crate::sql::{Db, Row, Value, args};
use crate::state::Delivery;
use crate::stored_change::hlc_text;

const IDENTITY_FIELDS: [&str; 4] = ["name", "relation", "sex", "birth_date"];

/// A household's columns after its id and clocks, as the upsert writes them.
const HOUSEHOLD_COLUMNS: [&str; 8] =
    ["village_id", "home", "created_at", "number", "hamlet_id", "address", "phone", "consent"];

/// A member's columns after its id and clocks (`removed` is set by its own change, elsewhere).
const MEMBER_COLUMNS: [&str; 8] = [
    "household_id",
    "position",
    "name",
    "relation",
    "sex",
    "birth_date",
    "birth_date_estimated",
    "left_household",
];

/// Whether a change of this kind is merged here. The others (a withdrawal of consent, a
/// member removed, referrals and their steps) are rarer and read more of the store; `state.rs`
/// applies them one at a time, after what came before them is written.
pub fn merged_here(body: &ChangeBody) -> bool {
    matches!(
        body,
        ChangeBody::Household(_)
            | ChangeBody::Member(_)
            | ChangeBody::Fact(_)
            | ChangeBody::Receiving(_)
            | ChangeBody::Submission(_)
    )
}

/// A household or member row: its columns by name, and the clock of each field's last write.
#[derive(Debug, Clone)]
struct Record {
    columns: HashMap<&'static str, Value>,
    clocks: FieldClocks,
}

/// Rows to write, each once, in the order they were first touched.
struct Pending<K> {
    order: Vec<K>,
    rows: HashMap<K, Vec<Value>>,
}

impl<K: Hash + Eq + Clone> Pending<K> {
    fn new() -> Self {
        Pending { order: Vec::new(), rows: HashMap::new() }
    }

    fn put(&mut self, key: K, row: Vec<Value>) {
        if self.rows.insert(key.clone(), row).is_none() {
            self.order.push(key);
        }
    }

    fn into_rows(mut self) -> Vec<Vec<Value>> {
        self.order.iter().filter_map(|k| self.rows.remove(k)).collect()
    }
}

/// The rows a run of changes touches, and what the run wrote to them.
pub struct Rows {
    households: HashMap<String, Record>,
    members: HashMap<String, Record>,
    /// The clock of the stored fact (and benefit received) of each subject and name.
    facts: HashMap<(String, String), Hlc>,
    receiving: HashMap<(String, String), Hlc>,
    /// The erased ids (consent withdrawn) of each household.
    erased: HashMap<String, Vec<String>>,
    /// The members the run's changes name (as the member or a fact's subject) that were removed.
    removed: HashSet<String>,
    /// Of those, the records made one with another, by the record kept (standing, or removed
    /// outright since: what goes to her then is written on her removed rows).
    moved: HashMap<String, String>,
    /// Of those, every record made one with another, whether or not the record kept stands.
    merged_away: HashSet<String>,
    touched_households: Vec<String>,
    touched_members: Vec<String>,
    touched: HashSet<String>,
    fact_rows: Pending<(String, String)>,
    receiving_rows: Pending<(String, String)>,
    submissions: Pending<String>,
    reviews: Vec<Vec<Value>>,
    /// What the maker of the change merged last had seen, as JSON, for its change row.
    seen: Option<String>,
}

fn to_json<T: Serialize>(v: &T) -> Result<String, ServerError> {
    Ok(serde_json::to_string(v)?)
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

/// The record whose facts are `subject`'s: the record kept, for one made one with another.
fn kept_of<'m>(moved: &'m HashMap<String, String>, subject: &'m str) -> &'m str {
    moved.get(subject).map_or(subject, String::as_str)
}

/// Keys for a lookup: one row of values each, each key once.
fn keys<'a>(keys: impl Iterator<Item = Vec<&'a str>>) -> Vec<Vec<Value>> {
    let mut seen = HashSet::new();
    keys.filter(|k| seen.insert(k.clone())).map(|k| k.into_iter().map(Value::from).collect()).collect()
}

/// A household or member row read with its id, clocks and `columns`, in that order.
fn record(row: &Row, columns: &[&'static str]) -> Result<(String, Record), ServerError> {
    let values = columns.iter().enumerate().map(|(i, c)| (*c, row.value(i + 2))).collect();
    Ok((row.text(0)?, Record { columns: values, clocks: FieldClocks::from_text(&row.text(1)?)? }))
}

fn load_records(
    db: &mut dyn Db,
    table: &str,
    columns: &[&'static str],
    ids: &[Vec<Value>],
) -> Result<HashMap<String, Record>, ServerError> {
    let list: Vec<String> = columns.iter().map(|c| format!("t.{c}")).collect();
    let sql = format!(
        "SELECT t.id, t.clocks, {} FROM (VALUES {{rows}}) AS v CROSS JOIN {table} t WHERE t.id = v.column1",
        list.join(", ")
    );
    many::run(db, &sql, "(?)", ids, Kind::Lookup)?.iter().map(|r| record(r, columns)).collect()
}

/// The members with these ids read into `members`, with those removed added to `removed` and
/// those made one with another to `moved` (by the record kept). A removed member's row stays,
/// with her clocks, so that a change made before her removal was seen is known for what it is.
fn load_members(
    db: &mut dyn Db,
    ids: &[Vec<Value>],
    members: &mut HashMap<String, Record>,
    removed: &mut HashSet<String>,
    moved: &mut HashMap<String, String>,
) -> Result<(), ServerError> {
    if ids.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = MEMBER_COLUMNS.iter().map(|c| format!("t.{c}")).collect();
    let sql = format!(
        "SELECT t.id, t.clocks, {}, t.removed, t.merged_into FROM (VALUES {{rows}}) AS v
         CROSS JOIN member t WHERE t.id = v.column1",
        list.join(", ")
    );
    for row in many::run(db, &sql, "(?)", ids, Kind::Lookup)? {
        let (id, record) = record(&row, &MEMBER_COLUMNS)?;
        if row.int(MEMBER_COLUMNS.len() + 2)? != 0 {
            removed.insert(id.clone());
            if let Some(kept) = row.opt_text(MEMBER_COLUMNS.len() + 3)? {
                moved.insert(id.clone(), kept);
            }
        }
        members.insert(id, record);
    }
    Ok(())
}

fn load_clocks(
    db: &mut dyn Db,
    table: &str,
    second: &str,
    keys: &[Vec<Value>],
) -> Result<HashMap<(String, String), Hlc>, ServerError> {
    let sql = format!(
        "SELECT t.subject_id, t.{second}, t.hlc FROM (VALUES {{rows}}) AS v
         CROSS JOIN {table} t WHERE t.subject_id = v.column1 AND t.{second} = v.column2"
    );
    many::run(db, &sql, "(?, ?)", keys, Kind::Lookup)?
        .iter()
        .map(|r| Ok(((r.text(0)?, r.text(1)?), serde_json::from_str(&r.text(2)?)?)))
        .collect()
}

impl Rows {
    /// Reads the rows the changes `bodies` touch: their households (with the ids erased in
    /// them), members, facts and benefits received.
    pub fn load<'a>(
        db: &mut dyn Db,
        bodies: impl Iterator<Item = &'a ChangeBody> + Clone,
    ) -> Result<Rows, ServerError> {
        let hids: Vec<String> = bodies.clone().map(|b| b.household_id().to_string()).collect();
        let hid_keys = keys(hids.iter().map(|h| vec![h.as_str()]));
        let households = load_records(db, "household", &HOUSEHOLD_COLUMNS, &hid_keys)?;
        let mut erased: HashMap<String, Vec<String>> = HashMap::new();
        let sql = "SELECT e.household_id, e.id FROM (VALUES {rows}) AS v CROSS JOIN erased e WHERE e.household_id = v.column1";
        for r in many::run(db, sql, "(?)", &hid_keys, Kind::Lookup)? {
            let ids = erased.entry(r.text(0)?).or_default();
            let id = r.text(1)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        // A fact's or a benefit's subject is a member or the household; looked up among the
        // members all the same, to know whether it is a member removed.
        let mids: Vec<String> = bodies
            .clone()
            .filter_map(|b| match b {
                ChangeBody::Member(c) => Some(c.id.0.to_string()),
                ChangeBody::Fact(c) if c.subject_id != c.household_id.to_string() => {
                    Some(c.subject_id.clone())
                }
                ChangeBody::Receiving(c) if c.subject_id != c.household_id.to_string() => {
                    Some(c.subject_id.clone())
                }
                _ => None,
            })
            .collect();
        let (mut members, mut removed, mut moved) = (HashMap::new(), HashSet::new(), HashMap::new());
        load_members(
            db,
            &keys(mids.iter().map(|m| vec![m.as_str()])),
            &mut members,
            &mut removed,
            &mut moved,
        )?;
        // The records kept of those made one with another: a fact of the record that went is
        // merged into theirs, onto her removed rows where the record kept was removed outright
        // since, for a later merge of it as any answer about a member removed (`apply`).
        let kept: Vec<String> = moved.values().filter(|k| !members.contains_key(*k)).cloned().collect();
        load_members(
            db,
            &keys(kept.iter().map(|k| vec![k.as_str()])),
            &mut members,
            &mut removed,
            &mut moved,
        )?;
        let merged_away: HashSet<String> = moved.keys().cloned().collect();
        // A record kept that was itself made one with a third is not pointed at: each merge
        // points the records made one with it at the third (`state.rs`).
        moved.retain(|_, kept| !merged_away.contains(kept));
        let subject = |s| kept_of(&moved, s);
        let fact_keys = keys(bodies.clone().filter_map(|b| match b {
            ChangeBody::Fact(c) => Some(vec![subject(&c.subject_id), c.name.as_str()]),
            _ => None,
        }));
        let facts =
            if fact_keys.is_empty() { HashMap::new() } else { load_clocks(db, "fact", "name", &fact_keys)? };
        let receiving_keys = keys(bodies.filter_map(|b| match b {
            ChangeBody::Receiving(c) => Some(vec![subject(&c.subject_id), c.scheme.as_str()]),
            _ => None,
        }));
        let receiving = if receiving_keys.is_empty() {
            HashMap::new()
        } else {
            load_clocks(db, "receiving", "scheme", &receiving_keys)?
        };
        Ok(Rows {
            households,
            members,
            facts,
            receiving,
            erased,
            removed,
            moved,
            merged_away,
            touched_households: Vec::new(),
            touched_members: Vec::new(),
            touched: HashSet::new(),
            fact_rows: Pending::new(),
            receiving_rows: Pending::new(),
            submissions: Pending::new(),
            reviews: Vec::new(),
            seen: None,
        })
    }

    /// The ids erased in household `hid` (its own, its members', its referrals').
    pub fn erased(&self, hid: &str) -> &[String] {
        self.erased.get(hid).map_or(&[], Vec::as_slice)
    }

    /// The village of household `hid`, if it is stored or was made by an earlier change.
    pub fn village(&self, hid: &str) -> Option<String> {
        match self.households.get(hid)?.columns.get("village_id") {
            Some(Value::Text(v)) => Some(v.clone()),
            _ => None,
        }
    }

    /// The household of member `id`, if she is stored or was made by an earlier change.
    pub fn member_household(&self, id: &str) -> Option<String> {
        match self.members.get(id)?.columns.get("household_id") {
            Some(Value::Text(h)) => Some(h.clone()),
            _ => None,
        }
    }

    fn touch(&mut self, table: &str, id: &str) {
        if self.touched.insert(format!("{table}:{id}")) {
            match table {
                "household" => self.touched_households.push(id.to_owned()),
                _ => self.touched_members.push(id.to_owned()),
            }
        }
    }

    /// The identity fields' writes the maker of the change merged last had seen (by field, as
    /// JSON), where there were any: its change row keeps them.
    pub fn take_seen(&mut self) -> Option<String> {
        self.seen.take()
    }

    /// Merges one stored change (of a kind [`merged_here`]) into the rows.
    pub fn apply(&mut self, body: &ChangeBody, hlc: Hlc, d: Delivery<'_>) -> Result<Outcome, ServerError> {
        let hid = body.household_id().to_string();
        let known = self.households.contains_key(&hid);
        if !known && !matches!(body, ChangeBody::Household(_)) {
            // It waits for its household's record (`waiting.rs`): a block restored from a backup
            // gets the record again from the laptop that made it, after another's change about it.
            return Ok(crate::waiting::not_known(&hid, body.kind()));
        }
        // A change to a member removed (by a supervisor's merge or removal) that was made before
        // its device saw the removal: applied, it would write a member the feed has removed, and
        // every laptop that pulls it would bring her back. It is kept as received, but for
        // what a merge of her record would take (below).
        let subject = match body {
            ChangeBody::Member(c) => Some(c.id.0.to_string()),
            ChangeBody::Fact(c) => Some(c.subject_id.clone()),
            ChangeBody::Receiving(c) => Some(c.subject_id.clone()),
            _ => None,
        };
        if let Some(id) = subject.filter(|id| self.removed.contains(id)) {
            // A fact or a benefit of a record made one with another, recorded on a laptop that had
            // not seen the merge (a survey there, say), is the woman's all the same: it is merged
            // into the record kept, the later clock winning, as the merge's arrival merged the
            // facts the record already had (`state.rs`); onto her removed rows where the record
            // kept was removed outright since (below), for a later merge of it, as the laptops
            // set it aside. Refused, the laptop that recorded it kept it on the record kept's
            // set-aside answers, and a later merge of that record took it there only.
            if let Some(kept) = self.moved.get(&id).cloned() {
                let body = match body {
                    ChangeBody::Fact(c) => {
                        Some(ChangeBody::Fact(FactChange { subject_id: kept, ..c.clone() }))
                    }
                    ChangeBody::Receiving(c) => {
                        Some(ChangeBody::Receiving(ReceivingChange { subject_id: kept, ..c.clone() }))
                    }
                    // So is her departure (a death, a move) recorded there: of the member's
                    // fields only it goes to the record kept, whose identity the merge chose
                    // (`state.rs` takes it the same way when the merge arrives after it).
                    // One the merge's maker saw is not the record kept's: her own stands
                    // against it (`MemberRemoved::departure_seen`); it is kept as received.
                    ChangeBody::Member(c) => {
                        let seen =
                            self.members.get(&id).and_then(|r| r.clocks.get(crate::state::DEPARTURE_SEEN));
                        if seen.is_some_and(|s| hlc <= s.hlc) {
                            None
                        } else {
                            kept.parse::<PersonId>()
                                .ok()
                                .and_then(|k| c.departure_for(k))
                                .map(ChangeBody::Member)
                        }
                    }
                    _ => None,
                };
                if let Some(body) = body {
                    return self.apply(&body, hlc, d);
                }
            }
            // Of a record removed outright, an answer, a benefit or her departure is written on
            // her removed rows, where nothing shows it but a merge of her record made elsewhere
            // takes it (`state.rs`), as the laptops set it aside (`removed_member.rs`). Refused,
            // the block's record kept lacked an answer the laptop that made it held, once a
            // merge arrived after it.
            if !self.merged_away.contains(&id) {
                let own = match body {
                    ChangeBody::Member(c) => c.departure_for(c.id).map(ChangeBody::Member),
                    ChangeBody::Fact(_) | ChangeBody::Receiving(_) => Some(body.clone()),
                    _ => None,
                };
                if let Some(own) = own {
                    return self.merge_one(&own, hlc, d, &hid, known);
                }
            }
            return Ok(Outcome::Rejected {
                reason: format!(
                    "member {id} was removed from household {hid} before this {} arrived; it is kept as received and not applied",
                    body.kind()
                ),
            });
        }
        self.merge_one(body, hlc, d, &hid, known)
    }

    /// Merges one change into the rows, its household `hid` (`known` if stored before).
    fn merge_one(
        &mut self,
        body: &ChangeBody,
        hlc: Hlc,
        d: Delivery<'_>,
        hid: &str,
        known: bool,
    ) -> Result<Outcome, ServerError> {
        let hid = hid.to_owned();
        let w = Written { hlc, seq: d.seq };
        match body {
            ChangeBody::Household(c) => {
                if !known {
                    let columns = HashMap::from([
                        ("village_id", Value::from(c.village_id.0)),
                        ("home", d.sender.into()),
                        ("created_at", c.created_at.into()),
                        ("number", Value::Null),
                        ("hamlet_id", Value::Null),
                        ("address", "".into()),
                        ("phone", "".into()),
                        ("consent", Value::Null),
                    ]);
                    self.households.insert(hid.clone(), Record { columns, clocks: FieldClocks::new() });
                }
                self.touch("household", &hid);
                let row = self.households.get_mut(&hid).expect("the household was just made or read");
                for f in &c.fields {
                    let (name, value): (&'static str, Value) = match f {
                        HouseholdField::Number(n) => ("number", n.map(i64::from).into()),
                        HouseholdField::HamletId(h) => ("hamlet_id", h.map(|h| h.0).into()),
                        HouseholdField::Address(a) => ("address", a.into()),
                        HouseholdField::Phone(p) => ("phone", p.into()),
                        HouseholdField::Consent(c) => ("consent", to_json(c)?.into()),
                    };
                    if row.clocks.get(name).is_some_and(|old| old.hlc >= hlc) {
                        continue;
                    }
                    row.columns.insert(name, value);
                    row.clocks.insert(name.to_owned(), w);
                }
                Ok(Outcome::Applied)
            }
            ChangeBody::Member(c) => {
                let mid = c.id.0.to_string();
                self.members.entry(mid.clone()).or_insert_with(|| Record {
                    columns: HashMap::from([
                        ("household_id", Value::from(hid.as_str())),
                        ("position", Value::Int(0)),
                        ("name", "".into()),
                        ("relation", Value::Null),
                        ("sex", Value::Null),
                        ("birth_date", Value::Null),
                        ("birth_date_estimated", Value::Int(0)),
                        ("left_household", Value::Null),
                    ]),
                    clocks: FieldClocks::new(),
                });
                self.touch("member", &mid);
                let row = self.members.get_mut(&mid).expect("the member was just made or read");
                // The identity fields as they stood before this change, for the review queue.
                let current: BTreeMap<&str, serde_json::Value> = IDENTITY_FIELDS
                    .iter()
                    .map(|f| (*f, row.columns.get(f).map_or(serde_json::Value::Null, sql_json)))
                    .collect();
                let mut outcome = Outcome::Applied;
                let mut seen = BTreeMap::new();
                for f in &c.fields {
                    let (name, value): (&'static str, Value) = match f {
                        MemberField::Position(p) => ("position", i64::from(*p).into()),
                        MemberField::Name(n) => ("name", n.into()),
                        MemberField::Relation(r) => ("relation", word(r)?.into()),
                        MemberField::Sex(s) => ("sex", word(s)?.into()),
                        MemberField::BirthDate(b) => ("birth_date", (*b).into()),
                        MemberField::BirthDateEstimated(e) => ("birth_date_estimated", (*e).into()),
                        MemberField::Left(l) => {
                            ("left_household", l.as_ref().map(to_json).transpose()?.into())
                        }
                    };
                    let old = row.clocks.get(name).copied();
                    // Whether the change's maker had the write standing here: pulled from here,
                    // or, says the server forwarding it, merged against that same write there.
                    let had = |old: &Written| {
                        old.seq <= d.pulled_through || d.seen.is_some_and(|s| s.get(name) == Some(&old.hlc))
                    };
                    if let Some(old) = old
                        && IDENTITY_FIELDS.contains(&name)
                        && old.hlc.node != hlc.node
                        && had(&old)
                    {
                        seen.insert(name.to_owned(), old.hlc);
                    }
                    if let Some(old) = old
                        && IDENTITY_FIELDS.contains(&name)
                        && old.hlc.node != hlc.node
                        && !had(&old)
                    {
                        let incoming = sql_json(&value);
                        let standing = current.get(name).cloned().unwrap_or(serde_json::Value::Null);
                        if incoming != standing {
                            let (kept, other) = if old.hlc >= hlc {
                                ((standing, old.hlc.node), (incoming, hlc.node))
                            } else {
                                ((incoming, hlc.node), (standing, old.hlc.node))
                            };
                            self.reviews.push(vec![
                                hid.as_str().into(),
                                mid.as_str().into(),
                                name.into(),
                                to_json(&serde_json::json!({"value": kept.0, "device": kept.1}))?.into(),
                                to_json(&serde_json::json!({"value": other.0, "device": other.1}))?.into(),
                                d.now.into(),
                            ]);
                            outcome = Outcome::Conflict { field: name.to_owned() };
                        }
                    }
                    if old.is_some_and(|old| old.hlc >= hlc) {
                        continue;
                    }
                    row.columns.insert(name, value);
                    row.clocks.insert(name.to_owned(), w);
                }
                // Kept with the change, so that forwarded it tells the district what its maker
                // had seen (`Change::seen_at_sender`).
                if !seen.is_empty() {
                    self.seen = Some(to_json(&seen)?);
                }
                Ok(outcome)
            }
            ChangeBody::Fact(c) => {
                let key = (c.subject_id.clone(), c.name.clone());
                // An older write arriving late is stored in the change log and changes nothing.
                if self.facts.get(&key).is_some_and(|old| *old >= hlc) {
                    return Ok(Outcome::Applied);
                }
                self.facts.insert(key.clone(), hlc);
                let value = c.value.as_ref().map(ToString::to_string);
                let row = args![&hid, &c.subject_id, &c.name, value, c.source.as_str(), hlc_text(&hlc)?];
                self.fact_rows.put(key, row.to_vec());
                Ok(Outcome::Applied)
            }
            ChangeBody::Receiving(c) => {
                let key = (c.subject_id.clone(), c.scheme.clone());
                if self.receiving.get(&key).is_some_and(|old| *old >= hlc) {
                    return Ok(Outcome::Applied);
                }
                self.receiving.insert(key.clone(), hlc);
                let row = args![&hid, &c.subject_id, &c.scheme, c.receiving, hlc_text(&hlc)?];
                self.receiving_rows.put(key, row.to_vec());
                Ok(Outcome::Applied)
            }
            ChangeBody::Submission(c) => {
                // Submissions never change: two surveys of one household are two submissions,
                // and the first stored under an id stays.
                let id = c.id.to_string();
                if !self.submissions.rows.contains_key(&id) {
                    let row = args![&id, &hid, &c.form_id, &c.form_version, c.submitted_at, to_json(c)?];
                    self.submissions.put(id, row.to_vec());
                }
                // A survey that asked the family's consent puts it on record where none is, as
                // on the laptops; with no clock of its own, a consent given at a visit (the
                // household's `consent` field) replaces it whenever it arrives.
                let row = self.households.get_mut(&hid).expect("a known household is loaded");
                if c.consent == Some(true) && matches!(row.columns.get("consent"), None | Some(Value::Null)) {
                    let given = ConsentGiven {
                        respondent: None,
                        taken_by: c.submitted_by.clone(),
                        taken_at: c.submitted_at,
                    };
                    row.columns.insert("consent", to_json(&given)?.into());
                    self.touch("household", &hid);
                }
                Ok(Outcome::Applied)
            }
            other => Err(ServerError::Invalid(format!(
                "a {} change is applied one at a time (state.rs), not merged in a run",
                other.kind()
            ))),
        }
    }

    /// Writes what the run changed: households before their members, then facts, benefits
    /// received, submissions and the review queue, one statement per table (on SQLite, per 256
    /// rows; PostgreSQL takes them all as arrays, `many.rs`). The numbers are cast in the rows
    /// so that PostgreSQL reads the parameters as numbers.
    pub fn write(mut self, db: &mut dyn Db) -> Result<(), ServerError> {
        let households = take_rows(&mut self.households, &self.touched_households, &HOUSEHOLD_COLUMNS)?;
        many::write(
            db,
            "INSERT INTO household (id, clocks, village_id, home, created_at, number, hamlet_id, address, phone,
                                   consent)
             SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL
             ON CONFLICT (id) DO UPDATE SET number = excluded.number, hamlet_id = excluded.hamlet_id,
                 address = excluded.address, phone = excluded.phone, clocks = excluded.clocks,
                 consent = excluded.consent",
            "(?, ?, ?, ?, ?, CAST(? AS BIGINT), ?, ?, ?, ?)",
            households,
        )?;
        let members = take_rows(&mut self.members, &self.touched_members, &MEMBER_COLUMNS)?;
        many::write(
            db,
            "INSERT INTO member (id, clocks, household_id, position, name, relation, sex, birth_date,
                                 birth_date_estimated, left_household)
             SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, name = excluded.name,
                 relation = excluded.relation, sex = excluded.sex, birth_date = excluded.birth_date,
                 birth_date_estimated = excluded.birth_date_estimated,
                 left_household = excluded.left_household, clocks = excluded.clocks",
            "(?, ?, ?, CAST(? AS BIGINT), ?, ?, ?, ?, CAST(? AS BIGINT), ?)",
            members,
        )?;
        many::write(
            db,
            "INSERT INTO fact (household_id, subject_id, name, value, source, hlc)
             SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL
             ON CONFLICT (subject_id, name) DO UPDATE SET household_id = excluded.household_id,
                 value = excluded.value, source = excluded.source, hlc = excluded.hlc",
            "(?, ?, ?, ?, ?, ?)",
            self.fact_rows.into_rows(),
        )?;
        many::write(
            db,
            "INSERT INTO receiving (household_id, subject_id, scheme, receiving, hlc)
             SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL
             ON CONFLICT (subject_id, scheme) DO UPDATE SET household_id = excluded.household_id,
                 receiving = excluded.receiving, hlc = excluded.hlc",
            "(?, ?, ?, CAST(? AS BIGINT), ?)",
            self.receiving_rows.into_rows(),
        )?;
        many::write(
            db,
            "INSERT INTO submission (id, household_id, form_id, form_version, submitted_at, body)
             SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL ON CONFLICT DO NOTHING",
            "(?, ?, ?, ?, ?, ?)",
            self.submissions.into_rows(),
        )?;
        many::write(
            db,
            "INSERT INTO review (household_id, member_id, field, kept, other, created_at)
             SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL",
            "(?, ?, ?, ?, ?, ?)",
            self.reviews,
        )?;
        Ok(())
    }
}

/// The touched rows of a table, each as id, clocks and `columns`.
fn take_rows(
    records: &mut HashMap<String, Record>,
    touched: &[String],
    columns: &[&'static str],
) -> Result<Vec<Vec<Value>>, ServerError> {
    touched
        .iter()
        .filter_map(|id| records.remove(id).map(|r| (id, r)))
        .map(|(id, mut r)| {
            let mut row = vec![Value::from(id.as_str()), r.clocks.to_text()?.into()];
            row.extend(columns.iter().map(|c| r.columns.remove(c).unwrap_or(Value::Null)));
            Ok(row)
        })
        .collect()
}
