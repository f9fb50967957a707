//! Writing households that were put together elsewhere, whole: the demo village today, and
//! surveys filled on another device later. Each household arrives with its ids, members, facts
//! and benefits received; a batch is written in one transaction, so it is saved whole or not at
//! all, and every fact is checked against the vocabulary first.

use rusqlite::TransactionBehavior;
use samanvaya_domain::change::{ChangeBody, FactChange, ReceivingChange, Source};
use samanvaya_domain::household::FieldErrorCode;
use samanvaya_domain::{FieldError, Household, Location, LocationId, Moment, ValidationError};
use samanvaya_eligibility::record::Who;

use crate::error::StoreError;
use crate::store::Store;
use crate::{centre, change_log, fact, household, location, number_lease};

/// One household to import; `household.number` is taken from a number lease when `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedHousehold {
    pub household: Household,
    pub facts: Vec<(Who, String, serde_json::Value)>,
    pub receiving: Vec<(Who, String)>,
    pub source: Source,
}

impl Store {
    /// Marks an empty store as a demo store (its changes never travel); refuses a store that
    /// holds anything.
    pub fn begin_demo(&mut self) -> Result<(), StoreError> {
        self.require_write("set up villages or the demo")?;
        let households = household::count(&self.conn, None)?;
        if households > 0 || !centre::villages(&self.conn)?.is_empty() {
            return Err(StoreError::NotEmpty { households });
        }
        centre::mark_demo(&self.conn)?;
        Ok(())
    }

    /// Adds places to the location hierarchy (parents first), and makes `serves` villages of
    /// this centre.
    pub fn add_places(&mut self, places: &[Location], serves: &[LocationId]) -> Result<(), StoreError> {
        self.require_write("set up villages or the demo")?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for l in places {
            location::insert(&tx, l)?;
        }
        for v in serves {
            centre::add_village(&tx, *v)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Grants a demo store household numbers `first..=last` from a local lease; a real laptop
    /// gets its leases from the block server.
    pub fn grant_demo_numbers(&mut self, first: i64, last: i64) -> Result<(), StoreError> {
        self.require_write("set up villages or the demo")?;
        if !self.is_demo()? {
            return Err(StoreError::NotDemo);
        }
        Ok(number_lease::grant(&self.conn, number_lease::HOUSEHOLD, first, last, "demo")?)
    }

    /// Writes `batch` in one transaction, each household with its changes; returns the
    /// households as written (with their numbers).
    pub fn import(
        &mut self,
        batch: Vec<ImportedHousehold>,
        at: Moment,
    ) -> Result<Vec<Household>, StoreError> {
        self.require_write("import households")?;
        let cat = self.rules()?.catalogue;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batch.len());
        for imported in batch {
            out.push(write(&tx, cat, imported, at)?);
        }
        tx.commit()?;
        Ok(out)
    }
}

/// Writes one household with its facts, benefits and changes inside the caller's transaction;
/// the list import (`list_import`) writes through here too.
pub(crate) fn write(
    tx: &rusqlite::Transaction<'_>,
    cat: &samanvaya_rules::Catalogue,
    imported: ImportedHousehold,
    at: Moment,
) -> Result<Household, StoreError> {
    let ImportedHousehold { mut household, facts, receiving, source } = imported;
    if household::exists(tx, household.id)? {
        return Err(refuse("id", FieldErrorCode::InvalidValue));
    }
    if household.number.is_none() {
        household.number = number_lease::take(tx, number_lease::HOUSEHOLD)?;
    }
    household::put_rows(tx, &household)?;
    household::record_changes(tx, None, &household, at)?;
    let hid = household.id.to_string();
    let subject = |who: Who| -> Result<String, StoreError> {
        match who {
            Who::Household => Ok(hid.clone()),
            Who::Member(i) => household
                .members
                .get(i)
                .map(|p| p.id.to_string())
                .ok_or_else(|| refuse("member", FieldErrorCode::InvalidValue)),
        }
    };
    let mut changes = Vec::with_capacity(facts.len() + receiving.len());
    for (who, name, value) in facts {
        let id = cat.vocab.id(&name).ok_or_else(|| refuse("fact", FieldErrorCode::UnknownFact))?;
        samanvaya_rules::facts::parse_value(&cat.vocab.get(id).ty, &value)
            .map_err(|_| refuse("value", FieldErrorCode::InvalidValue))?;
        let subject_id = subject(who)?;
        fact::set(tx, &subject_id, &name, &value.to_string(), source, household.created_at)?;
        let change = FactChange { household_id: household.id, subject_id, name, value: Some(value), source };
        changes.push(ChangeBody::Fact(change));
    }
    for (who, scheme) in receiving {
        let subject_id = subject(who)?;
        fact::add_receiving(tx, &subject_id, &scheme, source.as_str(), household.created_at)?;
        let change =
            ReceivingChange { household_id: household.id, subject_id, scheme, receiving: true, source };
        changes.push(ChangeBody::Receiving(change));
    }
    change_log::record_each(tx, changes, at)?;
    crate::profile::refresh(tx, &household)?;
    Ok(household)
}

fn refuse(field: &str, code: FieldErrorCode) -> StoreError {
    StoreError::Invalid(ValidationError(vec![FieldError { field: field.into(), code }]))
}
