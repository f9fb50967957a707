//! The changes that travel: what a laptop tells its block server, and what a server passes up
//! to the district or back down. These are their own types, separate from the screen's types, so
//! that renaming a field on a screen never changes what travels; `sync/protocol/tests/golden/`
//! pins their wire form.
//!
//! Mutable records travel field by field ([`HouseholdField`], [`MemberField`]): an edit sends only
//! the fields it changed, each change stamped with a hybrid logical clock reading, which is what
//! a field-level merge needs. Facts travel in one shape, one fact of one subject per change.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::Hlc;
use crate::ids::{HouseholdId, LocationId, PersonId};
use crate::person::{Departure, Relation, Sex};
use crate::referral::{Action, ChecklistItem, Level, Need};

/// One change, as recorded in the change log and as it travels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The schema version of this kind of change; a receiver refuses a version it does not know.
    pub version: u16,
    pub hlc: Hlc,
    #[serde(flatten)]
    pub body: ChangeBody,
}

/// What changed. The serde tag `kind` names the kind on the wire and in the change log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum ChangeBody {
    Household(HouseholdChange),
    Member(MemberChange),
    MemberRemoved(MemberRemoved),
    Fact(FactChange),
    Receiving(ReceivingChange),
    Submission(SubmissionChange),
    Referral(ReferralChange),
    ReferralEvent(ReferralEventChange),
    /// A person, or a whole household, withdrew consent: every receiver erases what it holds of
    /// them, as the `consent` module of this crate says.
    ConsentWithdrawn(ConsentWithdrawn),
    /// What is left of a change whose body was erased after its person withdrew consent. It
    /// keeps its place in its device's numbering (the origin stays the change's identity), and
    /// applies nothing.
    Redacted(Redacted),
}

/// A household was created, or some of its fields changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdChange {
    pub id: HouseholdId,
    pub village_id: LocationId,
    /// When the household was first recorded; the same in every change of it.
    pub created_at: DateTime<Utc>,
    /// The fields that changed, with their new values (all of them when the household is new).
    pub fields: Vec<HouseholdField>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum HouseholdField {
    Number(Option<i64>),
    HamletId(Option<LocationId>),
    Address(String),
    /// A mobile number's ten digits, or empty.
    Phone(String),
    /// The family agreed to what is recorded of them (version 2 of the household kind).
    Consent(ConsentGiven),
}

/// Who in the family agreed that its details be recorded, the account that asked, and when.
/// It names the respondent by id only, so that it holds nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentGiven {
    /// The member who agreed; `None` when a survey's consent question recorded it.
    pub respondent: Option<PersonId>,
    pub taken_by: String,
    pub taken_at: DateTime<Utc>,
}

/// A member was added, or some of their fields changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberChange {
    pub id: PersonId,
    pub household_id: HouseholdId,
    pub fields: Vec<MemberField>,
}

impl MemberChange {
    /// What of this change, made to a record that was made one with `kept` without its maker
    /// seeing the merge, goes to the record kept: her departure (a death, a move) or return.
    /// Her other fields stay with the record that went, since the merge chose the kept record's
    /// identity. `None` when the change writes no departure.
    pub fn departure_for(&self, kept: PersonId) -> Option<MemberChange> {
        let fields: Vec<MemberField> =
            self.fields.iter().filter(|f| matches!(f, MemberField::Left(_))).cloned().collect();
        (!fields.is_empty()).then_some(MemberChange { id: kept, household_id: self.household_id, fields })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum MemberField {
    /// The member's place in the household's list; 0 is the head.
    Position(u32),
    Name(String),
    Relation(Relation),
    Sex(Sex),
    BirthDate(Option<NaiveDate>),
    BirthDateEstimated(bool),
    /// Died or moved away on a day (version 2 of the member kind), or back in the household.
    Left(Option<Departure>),
}

/// A member is no longer part of the household (and what was recorded of them is forgotten).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRemoved {
    pub id: PersonId,
    pub household_id: HouseholdId,
    /// The member kept when this record was made one with hers (two records of one person, a
    /// supervisor's merge): a referral of this record opened on another laptop before it saw the
    /// merge goes to her at every store. `None` for a removal; older changes have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<PersonId>,
    /// Of a merge: the reading of this record's departure (a death, a move, a return) as the
    /// supervisor's laptop held it when making the merge, `None` where none was written of her.
    /// The record kept takes this record's departure only where it was written later than that,
    /// by someone who had not seen the merge; what the supervisor saw, the record kept's own
    /// departure stands against. Before, the merging laptop wrote the kept record's departure
    /// again with the merge's clock, which undid a death of the kept record recorded elsewhere
    /// before the merge. Older changes have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departure_seen: Option<Hlc>,
}

/// How a fact or a benefit was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Screening,
    Survey,
    Document,
    Demo,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Screening => "screening",
            Source::Survey => "survey",
            Source::Document => "document",
            Source::Demo => "demo",
        }
    }
}

/// One fact of the household or of a member (`subject_id`) was recorded, or cleared (`value`
/// is `None`: "not known").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FactChange {
    pub household_id: HouseholdId,
    /// The household's id for a household fact, else the member's.
    pub subject_id: String,
    /// The fact's full name in the vocabulary of `schema/facts/`.
    pub name: String,
    pub value: Option<serde_json::Value>,
    pub source: Source,
}

/// A subject was found to receive a scheme already (`receiving`), or no longer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivingChange {
    pub household_id: HouseholdId,
    pub subject_id: String,
    pub scheme: String,
    pub receiving: bool,
    pub source: Source,
}

/// A survey was finished: what was answered, by whom, with the respondent's consent. The facts
/// and members it recorded travel as their own changes beside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionChange {
    pub id: uuid::Uuid,
    pub household_id: HouseholdId,
    pub form_id: String,
    pub form_version: String,
    /// The answers that counted (shown questions and calculations), as the form's JSON.
    pub answers: serde_json::Value,
    /// Whether the respondent consented; `None` for a form that asks no consent.
    pub consent: Option<bool>,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    pub supersedes: Option<uuid::Uuid>,
}

/// A referral was opened: who for, what for, where it goes and what to carry. What happens to
/// it later travels as [`ReferralEventChange`]s; this change is never sent twice for one referral.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralChange {
    pub id: uuid::Uuid,
    /// The human-readable number from a number lease ("R-1042"; "L-7" from a local lease).
    pub number: String,
    pub household_id: HouseholdId,
    /// The household's id for a household referral, else the member's.
    pub subject_id: String,
    pub need: Need,
    pub level: Level,
    pub office: String,
    pub documents: Vec<ChecklistItem>,
    pub due_on: NaiveDate,
    pub notes: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The catalogue that judged eligibility (`samanvaya_eligibility::catalogue_version`).
    pub catalogue: String,
}

/// Something was done to a referral. The change's clock reading orders it in the case's story;
/// the reading's node is the device where it was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralEventChange {
    pub id: uuid::Uuid,
    pub referral_id: uuid::Uuid,
    pub household_id: HouseholdId,
    pub at: DateTime<Utc>,
    pub by: String,
    pub catalogue: String,
    pub action: Action,
}

/// Consent withdrawn, for one member (`person_id`) or for the whole household (`None`). It
/// carries no personal data: ids, the day, and the account that recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentWithdrawn {
    pub household_id: HouseholdId,
    pub person_id: Option<PersonId>,
    pub withdrawn_on: NaiveDate,
    /// The account (a facilitator or a supervisor) that recorded the withdrawal.
    pub recorded_by: String,
}

/// An erased change: its kind before erasure and its household, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redacted {
    pub household_id: HouseholdId,
    /// The kind the change had (`member`, `fact`...), so that counts by kind stay explainable.
    pub was: String,
    /// For a referral, its id (an id says nothing of her): a store that never held the
    /// referral, a block restored from a backup taking this from the laptop that erased it,
    /// erases its later steps on arrival too. Absent otherwise, and from older stores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referral: Option<uuid::Uuid>,
}

impl ChangeBody {
    /// The schema version this build writes for the body's kind.
    pub fn current_version(&self) -> u16 {
        match self {
            // Version 2 added the `left` field; a version-1 laptop must refuse it, not drop it.
            ChangeBody::Member(_) => 2,
            // Version 2 added the `consent` field (with protocol version 7, since a version-6
            // peer cannot read the field at all).
            ChangeBody::Household(_) => 2,
            // Version 2 added `departure_seen`: a version-1 store would drop it and take the
            // removed record's departure that the merge's maker saw into the record kept.
            ChangeBody::MemberRemoved(_) => 2,
            ChangeBody::Fact(_)
            | ChangeBody::Receiving(_)
            | ChangeBody::Submission(_)
            | ChangeBody::Referral(_)
            | ChangeBody::ReferralEvent(_)
            | ChangeBody::ConsentWithdrawn(_)
            | ChangeBody::Redacted(_) => 1,
        }
    }

    /// The kind's name, as on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            ChangeBody::Household(_) => "household",
            ChangeBody::Member(_) => "member",
            ChangeBody::MemberRemoved(_) => "member_removed",
            ChangeBody::Fact(_) => "fact",
            ChangeBody::Receiving(_) => "receiving",
            ChangeBody::Submission(_) => "submission",
            ChangeBody::Referral(_) => "referral",
            ChangeBody::ReferralEvent(_) => "referral_event",
            ChangeBody::ConsentWithdrawn(_) => "consent_withdrawn",
            ChangeBody::Redacted(_) => "redacted",
        }
    }

    /// The household the change belongs to: every change travels with its household's village.
    pub fn household_id(&self) -> HouseholdId {
        match self {
            ChangeBody::Household(c) => c.id,
            ChangeBody::Member(c) => c.household_id,
            ChangeBody::MemberRemoved(c) => c.household_id,
            ChangeBody::Fact(c) => c.household_id,
            ChangeBody::Receiving(c) => c.household_id,
            ChangeBody::Submission(c) => c.household_id,
            ChangeBody::Referral(c) => c.household_id,
            ChangeBody::ReferralEvent(c) => c.household_id,
            ChangeBody::ConsentWithdrawn(c) => c.household_id,
            ChangeBody::Redacted(c) => c.household_id,
        }
    }
}

impl Change {
    /// A change of `body` stamped `hlc`, at the version this build writes.
    pub fn new(hlc: Hlc, body: ChangeBody) -> Change {
        Change { version: body.current_version(), hlc, body }
    }

    /// Whether this build can apply the change: a newer kind version is refused, never guessed.
    pub fn is_supported(&self) -> bool {
        self.version >= 1 && self.version <= self.body.current_version()
    }
}
