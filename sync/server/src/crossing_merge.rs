//! Two supervisors, on two laptops that had not seen each other's work, each made the same two
//! records of a woman one, each keeping the other record: the first merge removed record X into
//! Y, the second removes Y into X. Every store applies both removals, and she was gone from her
//! household everywhere, with her referrals on records no one shows.
//!
//! The server that receives the second merge from the laptop that made it settles it: the record
//! the first merge kept (Y, whole at this server: the first merge's changes to it were applied)
//! comes back as a new record, with its fields, facts and benefits, and every record made one
//! with it (Y, X, any other) is made one with the new record. All of it travels as changes this
//! server makes, of kinds every store applies already, so the laptops (which removed both) and
//! the district end with the same one record, and her referrals follow it (`merged_into`). A
//! server that receives the second merge forwarded by a block leaves it to the block, whose
//! changes follow it; a new record would otherwise be made at both.
//!
//! So with one record made one with two different records by two supervisors (X into Y on one
//! laptop, X into Z on another): she is all three. The server that receives the second merge
//! from its laptop makes the record it kept one with the record the first kept (`join`), with
//! a removal every store applies; without it, which record X pointed at depended on the order
//! the merges arrived in at each store, and her facts and referrals went with the first.

use samanvaya_domain::change::{
    ChangeBody, FactChange, MemberChange, MemberField, MemberRemoved, ReceivingChange, Source,
};
use samanvaya_domain::{Hlc, HouseholdId, PersonId};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Db, args};

/// Whether `via`, who delivered a change, is a laptop enrolled here (not a block forwarding it,
/// nor this server itself).
pub fn from_laptop(db: &mut dyn Db, via: &str) -> Result<bool, ServerError> {
    Ok(db.query_opt("SELECT 1 FROM device WHERE id = ?1 AND kind = 'laptop'", args![via])?.is_some())
}

/// Settles the second of two crossing merges in `household`: `first_kept`, the record the first
/// merge kept and the second removed, comes back as a new record. The caller owns the
/// transaction and has applied the second removal.
pub fn settle(
    db: &mut dyn Db,
    household: HouseholdId,
    first_kept: PersonId,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServerError> {
    let device = db.query_one("SELECT device_id FROM identity WHERE id = 1", &[])?.uuid(0)?;
    let kept = first_kept.0.to_string();
    let Some(row) = db.query_opt(
        "SELECT position, name, relation, sex, birth_date, birth_date_estimated, left_household, clocks
         FROM member WHERE id = ?1",
        args![&kept],
    )?
    else {
        // Erased since (her consent withdrawn): nothing of her is to come back.
        return Ok(());
    };
    let word = |text: Option<String>| text.map(serde_json::Value::String);
    let mut fields =
        vec![MemberField::Position(u32::try_from(row.int(0)?).unwrap_or(0)), MemberField::Name(row.text(1)?)];
    if let Some(r) = word(row.opt_text(2)?) {
        fields.push(MemberField::Relation(serde_json::from_value(r)?));
    }
    if let Some(s) = word(row.opt_text(3)?) {
        fields.push(MemberField::Sex(serde_json::from_value(s)?));
    }
    let birth =
        row.opt_text(4)?.map(|d| d.parse()).transpose().map_err(|e| {
            ServerError::Invalid(format!("member {kept}'s stored date of birth is damaged: {e}"))
        })?;
    fields.push(MemberField::BirthDate(birth));
    fields.push(MemberField::BirthDateEstimated(row.int(5)? != 0));
    let left: Option<serde_json::Value> = row.opt_text(6)?.map(|t| serde_json::from_str(&t)).transpose()?;
    let clocks = crate::field_clocks::FieldClocks::from_text(&row.text(7)?)?;
    let left_reading: Option<Hlc> = clocks.get(crate::state::DEPARTURE).map(|w| w.hlc);

    let new = PersonId(Uuid::now_v7());
    let subject = new.0.to_string();
    // Each change with the clock reading it is made at: a copied answer keeps the reading of
    // the answer it copies, so that an answer recorded elsewhere before this settlement but
    // arriving after it (moved to the new record) wins where it is the later, as it would have
    // over the answer copied. With this server's reading, the copy won over every one of them.
    let mut made: Vec<(ChangeBody, Option<Hlc>)> =
        vec![(ChangeBody::Member(MemberChange { id: new, household_id: household, fields }), None)];
    // Her departure is copied the same way, as its own change at the reading it was written
    // with: inside the creation it carried this server's reading, and a death recorded of her
    // before this settlement but arriving after it lost to the copy of her as living. A record
    // never marked as gone sends none, as a member added living does.
    if let Some(reading) = left_reading {
        let left = left.map(serde_json::from_value).transpose()?;
        let fields = vec![MemberField::Left(left)];
        made.push((
            ChangeBody::Member(MemberChange { id: new, household_id: household, fields }),
            Some(reading),
        ));
    }
    for f in db.query(
        "SELECT name, value, source, hlc FROM fact WHERE subject_id = ?1 ORDER BY name",
        args![&kept],
    )? {
        let body = ChangeBody::Fact(FactChange {
            household_id: household,
            subject_id: subject.clone(),
            name: f.text(0)?,
            value: f.opt_text(1)?.map(|v| serde_json::from_str(&v)).transpose()?,
            source: serde_json::from_value(serde_json::Value::String(f.text(2)?))?,
        });
        made.push((body, Some(serde_json::from_str(&f.text(3)?)?)));
    }
    for r in db.query(
        "SELECT scheme, receiving, hlc FROM receiving WHERE subject_id = ?1 ORDER BY scheme",
        args![&kept],
    )? {
        let body = ChangeBody::Receiving(ReceivingChange {
            household_id: household,
            subject_id: subject.clone(),
            scheme: r.text(0)?,
            receiving: r.int(1)? != 0,
            // The server keeps no source with a benefit; it was learnt of her by a survey.
            source: Source::Survey,
        });
        made.push((body, Some(serde_json::from_str(&r.text(2)?)?)));
    }
    // The record itself and every record made one with it go to the new record: the removals
    // move their referrals there at every store.
    let mut merged: Vec<Uuid> = db
        .query("SELECT id FROM member WHERE merged_into = ?1 AND id <> ?1 ORDER BY id", args![&kept])?
        .iter()
        .map(|r| r.uuid(0))
        .collect::<Result<_, _>>()?;
    merged.insert(0, first_kept.0);
    for gone in merged {
        let body = ChangeBody::MemberRemoved(MemberRemoved {
            id: PersonId(gone),
            household_id: household,
            merged_into: Some(new),
            departure_seen: None,
        });
        made.push((body, None));
    }
    for (body, reading) in made {
        crate::ingest::record_in_at(db, device, body, reading, now)?;
    }
    Ok(())
}

/// Makes `second`, the record a second merge of one record kept, one with `first`, the record
/// the first merge of it kept, in `household` (the caller may give them the other way round).
/// The caller owns the transaction and has applied the second merge.
pub fn join(
    db: &mut dyn Db,
    household: HouseholdId,
    second: &str,
    first: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ServerError> {
    let device = db.query_one("SELECT device_id FROM identity WHERE id = 1", &[])?.uuid(0)?;
    let parse = |id: &str| {
        id.parse::<Uuid>()
            .map(PersonId)
            .map_err(|e| ServerError::Invalid(format!("a stored member id {id:?} is damaged: {e}")))
    };
    let body = ChangeBody::MemberRemoved(MemberRemoved {
        id: parse(second)?,
        household_id: household,
        merged_into: Some(parse(first)?),
        departure_seen: None,
    });
    crate::ingest::record_in(db, device, body, now)?;
    Ok(())
}
