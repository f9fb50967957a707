//! Storing a list of arriving changes (a pushed batch, a page pulled from the district, a step
//! taken here) in the caller's transaction, with each change's outcome. Which were stored before
//! is asked once for the whole list. Consecutive households, members, facts, benefits and
//! submissions form a run, stored and merged set-wise (one `INSERT` of their change rows, the
//! merge in memory in `merge.rs`); a change of another kind is applied on its own by
//! `single::store_one`, once the run before it is written, so it sees everything that came
//! before it exactly as when each change was applied alone.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use samanvaya_domain::Hlc;
use samanvaya_domain::change::{Change as Typed, ChangeBody};
use samanvaya_sync_protocol::{Origin, Outcome};
use uuid::Uuid;

use crate::block_village::BlockScope;
use crate::clock_cap::capped;
use crate::error::ServerError;
use crate::many::{self, Kind};
use crate::merge::{Rows, merged_here};
use crate::single::{Arrival, outcome_word, remains, store_one, unsupported};
use crate::sql::{Db, Value, args};
use crate::state::Delivery;
use crate::store;

/// Which of a list of origins are stored here (`many.rs` says why `CROSS JOIN`). The number is
/// cast so that PostgreSQL reads a `VALUES` list of parameters as numbers, not text.
const STORED: &str = "SELECT c.origin_device, c.origin_seq FROM (VALUES {rows}) AS v
     CROSS JOIN change c WHERE c.origin_device = v.column1 AND c.origin_seq = v.column2";
const STORED_ROW: &str = "(?, CAST(? AS BIGINT))";

/// The newest number stored of each of a list of devices (`NULL` for a device with none here),
/// read backwards from the index of origins: one probe per device.
const NEWEST: &str =
    "SELECT v.column1, (SELECT max(c.origin_seq) FROM change c WHERE c.origin_device = v.column1)
     FROM (VALUES {rows}) AS v";
const NEWEST_ROW: &str = "(?)";

/// One arriving change: where it was made, when it was first recorded, and whether the caller
/// already knows it is stored here (at or below the device's acknowledged seq, or made here).
pub struct Incoming<'a> {
    pub origin: Origin,
    pub recorded_at: DateTime<Utc>,
    pub change: &'a Typed,
    pub known: bool,
    /// What the server that forwards it says its maker had seen (`Change::seen_at_sender`).
    pub seen_at_sender: Option<&'a BTreeMap<String, Hlc>>,
}

/// Who delivers the changes: the device or server (`self` for a step taken here), how far it
/// had pulled, and for a laptop the villages it serves (a change about a household elsewhere
/// is refused, and kept only as what is left of it); `None` for a block or the district. A
/// block forwarding to its district is held to its villages there (`block`); the district,
/// sending down to its block, and a change made here, may send any.
pub struct Sender<'a> {
    pub via: &'a str,
    pub pulled_through: i64,
    pub served: Option<HashSet<String>>,
    pub block: Option<BlockScope>,
}

impl<'a> Sender<'a> {
    /// A sender held to no villages: this server itself, or the district sending down.
    pub fn any(via: &'a str) -> Sender<'a> {
        Sender { via, pulled_through: i64::MAX, served: None, block: None }
    }

    /// Whether the village of each household it names is asked.
    fn scoped(&self) -> bool {
        self.served.is_some() || self.block.is_some()
    }

    /// Why this sender may not send a change of kind `kind` that names a record of household
    /// `other` beside its own (`named.rs`; `village`, that household's, where known already),
    /// or `None`. A laptop may name none. A block is held to its villages: it may name a
    /// record of another household of them (its laptops were judged at the block, and the two
    /// stores may differ after a restore), and a push naming one elsewhere is refused whole.
    fn naming(
        &self,
        db: &mut dyn Db,
        other: Option<String>,
        village: Option<String>,
        kind: &str,
    ) -> Result<Option<String>, ServerError> {
        let Some(other) = other else { return Ok(None) };
        if self.served.is_some() {
            return Ok(Some(crate::named::reason(kind)));
        }
        let Some(block) = &self.block else { return Ok(None) };
        let village = match village {
            Some(village) => Some(village),
            None => db
                .query_opt("SELECT village_id FROM household WHERE id = ?1", args![&other])?
                .map(|r| r.text(0))
                .transpose()?,
        };
        match village {
            Some(village) if !block.serves(&village) => match block.taken_from_it(&village) {
                Some(reason) => Ok(Some(reason)),
                None => Err(block.foreign(db, &village)?),
            },
            _ => Ok(None),
        }
    }
}

/// Why a laptop's change about a household of a village it does not serve is refused.
const OUTSIDE: &str = "the household is in a village this laptop was not enrolled for";

impl Sender<'_> {
    /// Why this sender may not send a change about household `hid`, in `village` as held here
    /// or made earlier in the list (`None`: neither), or `None`. A household not held here of
    /// which a change was refused so (its record, earlier in the run, `refused`, or any change
    /// of it in a push before) takes its members, facts and referrals with it: kept whole as
    /// changes about a household not known here, they would keep a family of a village the
    /// laptop was never given. Were the village given to the laptop later, its changes about
    /// that household would still be refused: its record, refused, was never stored here.
    fn refusal(
        &self,
        db: &mut dyn Db,
        hid: &str,
        village: Option<String>,
        refused: &HashSet<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServerError> {
        if let Some(block) = &self.block {
            // A change about a household not known here waits for it, and is judged when it
            // arrives (`waiting.rs`).
            return match village {
                Some(village) => block.refusal(db, &village, now),
                None => Ok(None),
            };
        }
        let Some(served) = self.served.as_ref() else { return Ok(None) };
        let outside = match village {
            Some(village) => !served.contains(&village),
            None => {
                refused.contains(hid)
                    || db
                        .query_opt(
                            "SELECT 1 FROM change WHERE household_id = ?1 AND outcome = ?2 LIMIT 1",
                            args![hid, outcome_word(&Outcome::Rejected { reason: OUTSIDE.to_owned() })],
                        )?
                        .is_some()
            }
        };
        Ok(outside.then(|| OUTSIDE.to_owned()))
    }
}

/// Stores `items` in order and returns each one's outcome: `Duplicate` for a change stored
/// before (or earlier in the list). The caller owns the transaction.
pub fn store_all(
    db: &mut dyn Db,
    server: Uuid,
    sender: &Sender<'_>,
    items: &[Incoming<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<Outcome>, ServerError> {
    // A change numbered past the newest its device has stored here is new, and is not looked
    // up: a fresh push's lookups found nothing, one probe per change, a twelfth of PostgreSQL's
    // time in a district's ingest (docs/benchmarks.md). Only a change at or below it (a push
    // sent again, two blocks forwarding one laptop) is looked up by its origin.
    let devices: Vec<Vec<Value>> = items
        .iter()
        .filter(|i| !i.known)
        .map(|i| i.origin.device)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|d| vec![d.into()])
        .collect();
    let mut newest: HashMap<Uuid, i64> = HashMap::new();
    for row in many::run(db, NEWEST, NEWEST_ROW, &devices, Kind::Lookup)? {
        if let Some(n) = row.opt_int(1)? {
            newest.insert(row.uuid(0)?, n);
        }
    }
    let asked: Vec<Vec<Value>> = items
        .iter()
        .filter(|i| !i.known && newest.get(&i.origin.device).is_some_and(|n| i.origin.seq <= *n))
        .map(|i| vec![i.origin.device.into(), i.origin.seq.into()])
        .collect();
    let mut stored: HashSet<Origin> = many::run(db, STORED, STORED_ROW, &asked, Kind::Lookup)?
        .iter()
        .map(|r| Ok(Origin { device: r.uuid(0)?, seq: r.int(1)? }))
        .collect::<Result<_, ServerError>>()?;
    // A block brings new changes only of its own laptops (`block_village.rs`); one it sends
    // again after another block (a village that moved) passes for the one held, as before.
    if let Some(block) = &sender.block {
        let new: BTreeSet<Uuid> = items
            .iter()
            .filter(|i| !i.known && !stored.contains(&i.origin))
            .map(|i| i.origin.device)
            .collect();
        block.own_laptops(db, &new, now)?;
    }

    let mut outcomes: Vec<Option<Outcome>> = vec![None; items.len()];
    let mut run = Vec::new();
    let mut waits = Waits::default();
    for (i, item) in items.iter().enumerate() {
        if item.known {
            outcomes[i] = Some(Outcome::Duplicate);
            continue;
        }
        let body = &item.change.body;
        if merged_here(body) {
            run.push(i);
        } else {
            store_run(db, server, sender, items, &run, &mut stored, &mut outcomes, now)?;
            run.clear();
            outcomes[i] = Some(store_single(db, server, sender, &items[i], &mut stored, now)?);
        }
        // What waited for a household is applied as soon as its record is, as when each change
        // is stored alone: applied at the end of the batch, a removal of a member whose creation
        // waited, later in the batch, removed nothing, and her creation then stood.
        if waits.may_wait_for(db, body)? {
            store_run(db, server, sender, items, &run, &mut stored, &mut outcomes, now)?;
            run.clear();
            let arrived = outcomes[i].as_ref().is_some_and(crate::waiting::arrives);
            if arrived {
                let hid = BTreeSet::from([body.household_id().to_string()]);
                let record = matches!(body, ChangeBody::Household(_));
                crate::waiting::release(db, server, &hid, record, now)?;
            }
        }
    }
    store_run(db, server, sender, items, &run, &mut stored, &mut outcomes, now)?;
    // The record of a household withdrawn whole before it was ever held here, erased on arrival:
    // its row is kept now, for the withdrawal to reach the village's laptops.
    for (item, outcome) in items.iter().zip(&outcomes) {
        if let (ChangeBody::Household(c), Some(Outcome::Rejected { reason })) = (&item.change.body, outcome)
            && reason == crate::consent::ERASED_ON_ARRIVAL
        {
            crate::consent::withdrawn_household_arrived(db, server, c, sender.via, now)?;
        }
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| ServerError::Invalid("a change of the batch was left without an outcome".into()))
        })
        .collect()
}

/// What a list of changes being stored may have left waiting for a household
/// (`waiting.rs`): a change of it before its record in the list, or any change waiting here
/// before the list (asked once, at the first record; none but after a block's restore).
#[derive(Default)]
struct Waits {
    before: Option<bool>,
    /// Households a change of the list named before their record.
    early: HashSet<String>,
    /// Households whose record (or withdrawal) the list brought.
    recorded: HashSet<String>,
}

impl Waits {
    /// Notes `body`, just stored, and says whether it brings a household's record (or its
    /// withdrawal) for which changes may wait.
    fn may_wait_for(&mut self, db: &mut dyn Db, body: &ChangeBody) -> Result<bool, ServerError> {
        let hid = body.household_id().to_string();
        if !crate::waiting::brings(body) {
            if !self.recorded.contains(&hid) {
                self.early.insert(hid);
            }
            return Ok(false);
        }
        self.recorded.insert(hid.clone());
        if self.early.contains(&hid) {
            return Ok(true);
        }
        if self.before.is_none() {
            self.before = Some(crate::waiting::any(db)?);
        }
        Ok(self.before == Some(true))
    }
}

/// A change of a kind applied on its own (a withdrawal, a referral, a step, a member removed).
fn store_single(
    db: &mut dyn Db,
    server: Uuid,
    sender: &Sender<'_>,
    item: &Incoming<'_>,
    stored: &mut HashSet<Origin>,
    now: DateTime<Utc>,
) -> Result<Outcome, ServerError> {
    if stored.contains(&item.origin) {
        return Ok(Outcome::Duplicate);
    }
    let mut refusal = None;
    if sender.scoped() {
        let hid = item.change.body.household_id().to_string();
        let village = db
            .query_opt("SELECT village_id FROM household WHERE id = ?1", args![&hid])?
            .map(|r| r.text(0))
            .transpose()?;
        refusal = match sender.refusal(db, &hid, village, &HashSet::new(), now)? {
            Some(reason) => Some(reason),
            None => {
                let other = crate::named::elsewhere(db, &item.change.body, &hid)?;
                sender.naming(db, other, None, item.change.body.kind())?
            }
        };
    }
    // What a district's database cannot keep is refused here too, as in a run: a referral or a
    // withdrawal holding a NUL, or a referral's number longer than an index holds, failed a
    // PostgreSQL district's whole push at every round (found by a review).
    if refusal.is_none() {
        refusal = unkeepable(item.change)?;
    }
    stored.insert(item.origin);
    let arrival = Arrival {
        origin: item.origin,
        via: sender.via,
        pulled_through: sender.pulled_through,
        recorded_at: item.recorded_at,
    };
    store_one(db, server, arrival, item.change.clone(), refusal, now)
}

/// Stores a run of changes merged set-wise (`run` indexes `items`): decides which are stored
/// (those not seen before) and what is kept of each (a change about an erased person, or
/// about a household outside the sender's villages, is kept as what is left of it), inserts
/// their change rows in one statement to number them, merges them in order, and writes the
/// rows and the server's clock.
#[allow(clippy::too_many_arguments)]
fn store_run(
    db: &mut dyn Db,
    server: Uuid,
    sender: &Sender<'_>,
    items: &[Incoming<'_>],
    run: &[usize],
    stored: &mut HashSet<Origin>,
    outcomes: &mut [Option<Outcome>],
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    // A block forwarding again what it forwarded before (its answer was lost) sends a run the
    // server holds already: nothing to read or write for it.
    if run.iter().all(|&i| stored.contains(&items[i].origin)) {
        for &i in run {
            outcomes[i] = Some(Outcome::Duplicate);
        }
        return Ok(());
    }
    let mut rows = Rows::load(db, run.iter().map(|&i| &items[i].change.body))?;
    let mut clock = store::clock(db, server)?;
    // The villages of households made by earlier changes of the run, for the scope of later ones.
    let mut made: HashMap<String, String> = HashMap::new();
    // The households whose own record the run refused, for the scope of later changes.
    let mut refused: HashSet<String> = HashSet::new();
    // The households of members made by earlier changes of the run, for what later ones name.
    let mut made_members: HashMap<String, String> = HashMap::new();
    let mut kept = Vec::new();
    for &i in run {
        let item = &items[i];
        if stored.contains(&item.origin) {
            outcomes[i] = Some(Outcome::Duplicate);
            continue;
        }
        let body = &item.change.body;
        let hid = body.household_id().to_string();
        // The village held here decides, not the one a household's record names: a laptop
        // naming its own village for a household held in another may not edit it.
        // A household keeps the village it was made in (`merge.rs`), so a record of one made
        // earlier in the run is judged by that village too, not by the one it names.
        let village = rows.village(&hid).or_else(|| made.get(&hid).cloned()).or_else(|| match body {
            ChangeBody::Household(c) => Some(c.village_id.0.to_string()),
            _ => None,
        });
        // Refused, it is kept as what is left of it (`single::remains`); erased on arrival, as
        // what is left of it after the erasure. Neither is applied.
        let mut refusal = sender.refusal(db, &hid, village, &refused, now)?;
        // The body's text as its row keeps it, made once here for a change not refused already:
        // it also shows a text the district's database could not keep.
        let whole = match refusal {
            Some(_) => None,
            None => Some(crate::stored_change::body_text(item.change)?),
        };
        if whole.as_deref().is_some_and(holds_nul) {
            refusal = Some(NUL_TEXT.to_owned());
        }
        if refusal.is_none() && key_too_long(body) {
            refusal = Some(LONG_KEY.to_owned());
        }
        if refusal.is_some() && matches!(body, ChangeBody::Household(_)) {
            refused.insert(hid.clone());
        }
        if refusal.is_none() && sender.scoped() {
            let other = named_elsewhere(db, &rows, &made_members, body, &hid)?;
            let village = other.as_deref().and_then(|o| rows.village(o).or_else(|| made.get(o).cloned()));
            refusal = sender.naming(db, other, village, body.kind())?;
        }
        let (mut change, not_applied, text) = match refusal {
            Some(reason) => (remains(item.change), Some(reason), None),
            None => match crate::consent::arriving(rows.erased(&hid), item.change) {
                Some((change, redacted)) => {
                    (change, redacted.then(|| crate::consent::ERASED_ON_ARRIVAL.to_owned()), None)
                }
                None => (item.change.clone(), None, whole),
            },
        };
        let applied = not_applied.is_none();
        change.hlc = capped(change.hlc, now, clock);
        clock = clock.observe(change.hlc, now.timestamp_millis());
        if let ChangeBody::Household(c) = &change.body
            && applied
            && change.is_supported()
            && rows.village(&hid).is_none()
        {
            made.entry(hid.clone()).or_insert_with(|| c.village_id.0.to_string());
        }
        if let ChangeBody::Member(c) = &change.body
            && applied
            && rows.member_household(&c.id.0.to_string()).is_none()
        {
            made_members.entry(c.id.0.to_string()).or_insert_with(|| hid.clone());
        }
        if applied && change.is_supported() && !merged_here(&change.body) {
            return Err(ServerError::Invalid(format!(
                "a {} change kept of a {} cannot be merged in a run",
                change.body.kind(),
                body.kind()
            )));
        }
        stored.insert(item.origin);
        kept.push((i, change, not_applied, text));
    }

    if kept.is_empty() {
        return Ok(());
    }
    let received: Value = now.into();
    let change_rows = kept
        .iter_mut()
        .map(|(i, change, _, text)| {
            let item = &items[*i];
            Ok(vec![
                item.origin.device.into(),
                item.origin.seq.into(),
                sender.via.into(),
                change.body.kind().into(),
                i64::from(change.version).into(),
                crate::stored_change::hlc_text(&change.hlc)?.into(),
                change.body.household_id().to_string().into(),
                match text.take() {
                    Some(text) => text,
                    None => crate::stored_change::body_text(change)?,
                }
                .into(),
                item.recorded_at.into(),
                received.clone(),
            ])
        })
        .collect::<Result<Vec<Vec<Value>>, ServerError>>()?;
    let numbers: HashMap<(String, i64), i64> = many::write(
        db,
        "INSERT INTO change (origin_device, origin_seq, via, kind, version, hlc, household_id, change,
                             recorded_at, received_at, outcome)
         SELECT * FROM (VALUES {rows}) AS v WHERE v.column1 IS NOT NULL
         RETURNING origin_device, origin_seq, seq",
        "(?, CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT), ?, ?, ?, ?, ?, 'applied')",
        change_rows,
    )?
    .iter()
    .map(|r| Ok(((r.text(0)?, r.int(1)?), r.int(2)?)))
    .collect::<Result<_, ServerError>>()?;

    for (i, change, not_applied, _) in kept {
        let origin = items[i].origin;
        let seq = *numbers.get(&(origin.device.to_string(), origin.seq)).ok_or_else(|| {
            ServerError::Invalid(format!("the change {}/{} was not numbered", origin.device, origin.seq))
        })?;
        let outcome = if let Some(reason) = not_applied {
            Outcome::Rejected { reason }
        } else if change.is_supported() {
            // A server's word is taken for what it merged; a laptop's is not.
            let seen = if sender.served.is_none() { items[i].seen_at_sender } else { None };
            let d = Delivery { seq, sender: sender.via, pulled_through: sender.pulled_through, now, seen };
            let outcome = rows.apply(&change.body, change.hlc, d)?;
            if let Some(seen) = rows.take_seen() {
                db.execute("UPDATE change SET seen = ?1 WHERE seq = ?2", args![seen, seq])?;
            }
            outcome
        } else {
            unsupported(&change)
        };
        let (outcome, word) = crate::waiting::held(db, seq, origin, &change.body, outcome)?;
        if word != "applied" {
            db.execute("UPDATE change SET outcome = ?1 WHERE seq = ?2", args![word, seq])?;
        }
        outcomes[i] = Some(outcome);
    }
    rows.write(db)?;
    db.execute("UPDATE identity SET clock = ?1 WHERE id = 1", args![serde_json::to_string(&clock)?])?;
    Ok(())
}

/// Why a change holding the character NUL in a text is refused. SQLite keeps such a text,
/// PostgreSQL refuses it: a block on SQLite took the change and forwarded it, and its district
/// on PostgreSQL failed the whole push at every round, so nothing the block forwarded after it
/// ever arrived (found by a review). Refused at every server alike, it is refused where it is
/// first pushed, and nothing behind it waits.
const NUL_TEXT: &str = "a text of this change holds the character NUL, which a district's database cannot keep; type the record's names and address again on the laptop and save it";

/// The longest name or subject a fact or a receiving may have: the vocabulary's names are
/// tens of bytes and a subject is an id, and PostgreSQL cannot index a key of more than about
/// 2.7 KB, so a longer one would fail a district's whole push at every round, as a NUL did.
const MAX_KEY_BYTES: usize = 256;

/// Why a fact or a receiving with a longer key is refused, alone, where it is first pushed.
const LONG_KEY: &str = "the name, number or subject of this fact, scheme or referral is longer than 256 bytes, longer than any the app writes; update the app on the laptop";

/// Whether a fact's or a receiving's key (its subject and its name or scheme), or a referral's
/// number or subject, is longer than [`MAX_KEY_BYTES`].
fn key_too_long(body: &ChangeBody) -> bool {
    let long = |t: &str| t.len() > MAX_KEY_BYTES;
    match body {
        ChangeBody::Fact(f) => long(&f.subject_id) || long(&f.name),
        ChangeBody::Receiving(r) => long(&r.subject_id) || long(&r.scheme),
        ChangeBody::Referral(r) => long(&r.number) || long(&r.subject_id),
        _ => false,
    }
}

/// Why a change applied on its own (`store_single`) cannot be kept by every server alike, if
/// it cannot: the same refusals a run makes.
fn unkeepable(change: &Typed) -> Result<Option<String>, ServerError> {
    if holds_nul(&crate::stored_change::body_text(change)?) {
        return Ok(Some(NUL_TEXT.to_owned()));
    }
    Ok(key_too_long(&change.body).then(|| LONG_KEY.to_owned()))
}

/// Whether a body's JSON text holds the character NUL, which JSON writes as `\u0000` (a
/// backslash typed before `u0000` is written as two, and is not taken for one).
fn holds_nul(text: &str) -> bool {
    text.match_indices("\\u0000")
        .any(|(at, _)| text[..at].bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 0)
}

/// The other household, if any, of a change merged set-wise: the one in which the member it
/// changes, or the subject of its fact or benefit, is held here (or was made earlier in the
/// run), or its subject itself (`named.rs`).
fn named_elsewhere(
    db: &mut dyn Db,
    rows: &Rows,
    made_members: &HashMap<String, String>,
    body: &ChangeBody,
    hid: &str,
) -> Result<Option<String>, ServerError> {
    let id = match body {
        ChangeBody::Member(c) => c.id.0.to_string(),
        other => match crate::named::subject(other) {
            Some(s) if s != hid => s.to_owned(),
            _ => return Ok(None),
        },
    };
    Ok(match made_members.get(&id).cloned().or_else(|| rows.member_household(&id)) {
        Some(held) => (held != hid).then_some(held),
        None => (crate::named::subject(body).is_some() && crate::named::another_household(db, &id, hid)?)
            .then_some(id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SQLite store holding 20,000 changes of 200 laptops.
    fn twenty_thousand_changes() -> (tempfile::TempDir, crate::sqlite::Sqlite) {
        let dir = tempfile::tempdir().unwrap();
        let mut db = crate::sqlite::Sqlite::open(dir.path()).unwrap();
        db.execute(
            "INSERT INTO change (origin_device, origin_seq, via, kind, version, hlc, household_id, change,
                                 recorded_at, received_at, outcome)
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             SELECT 'laptop ' || (i % 200), i, 'block', 'fact', 1, '', '', '', '', '', 'applied' FROM n",
            &[],
        )
        .unwrap();
        (dir, db)
    }

    /// The newest number of each device is read from the index of origins, one probe each, not
    /// by reading a device's changes.
    #[test]
    fn the_newest_number_of_each_device_is_read_from_the_index_on_sqlite() {
        let (_dir, mut db) = twenty_thousand_changes();
        let sql = NEWEST.replace("{rows}", "(?1), (?2)");
        let plan = db.query(&format!("EXPLAIN QUERY PLAN {sql}"), args!["laptop 7", "laptop 8"]).unwrap();
        let plan: Vec<String> = plan.iter().map(|r| r.text(3).unwrap()).collect();
        assert!(plan.iter().any(|step| step.starts_with("SEARCH c USING COVERING INDEX")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.starts_with("SCAN c")), "{plan:?}");
        let newest: Vec<Option<i64>> = db
            .query(&sql, args!["laptop 7", "laptop 999"])
            .unwrap()
            .iter()
            .map(|r| r.opt_int(1).unwrap())
            .collect();
        assert_eq!(newest, vec![Some(19807), None]);
    }

    /// SQLite, asked for 256 origins among 20,000 stored changes with a plain `JOIN`, scanned
    /// the whole table; the lookup must go through the index of origins.
    #[test]
    fn many_origins_are_looked_up_in_the_index_on_sqlite() {
        let (_dir, mut db) = twenty_thousand_changes();
        let rows: Vec<String> = (0..256).map(|_| STORED_ROW.to_owned()).collect();
        let mut n = 0;
        let numbered: String = rows
            .join(", ")
            .chars()
            .flat_map(|c| {
                if c == '?' {
                    n += 1;
                    format!("?{n}").chars().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect();
        let params: Vec<Value> =
            (0..256).flat_map(|i| [Value::Text(format!("laptop {i}")), Value::Int(i)]).collect();
        let plan = db
            .query(&format!("EXPLAIN QUERY PLAN {}", STORED.replace("{rows}", &numbered)), &params)
            .unwrap();
        let plan: Vec<String> = plan.iter().map(|r| r.text(3).unwrap()).collect();
        assert!(plan.iter().any(|step| step.starts_with("SEARCH c USING COVERING INDEX")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.starts_with("SCAN c")), "{plan:?}");
    }
}
