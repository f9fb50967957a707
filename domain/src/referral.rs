//! Referrals: a person or household linked to a scheme, a service or a grievance, followed from
//! "identified" to "benefit received", and escalated from the village to the block and the
//! district when the village cannot solve it.
//!
//! A referral's state is never stored as the truth: it is the fold of its events, in the order of
//! their hybrid logical clock readings. Events may be made on the laptop and at the block server
//! (the sync issue), each place appending to its own copy; when they meet, [`replay`] puts them in
//! one order that every machine agrees on and applies them one by one. An event that no longer
//! fits the story at its place in that order (the block sanctioned a case the village had
//! withdrawn a minute later) is kept in the history, marked as not applied with the reason, so
//! nothing anyone recorded is lost and the state is the same everywhere.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::clock::Hlc;

/// Where a case is being handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Level {
    Village,
    Block,
    District,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Village, Level::Block, Level::District];

    /// The level a case escalates to, or `None` at the district, the highest.
    pub fn above(self) -> Option<Level> {
        match self {
            Level::Village => Some(Level::Block),
            Level::Block => Some(Level::District),
            Level::District => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Village => "village",
            Level::Block => "block",
            Level::District => "district",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// How far a case has come. The first six are the road to the benefit, in order; the last two
/// close a case without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Stage {
    Identified,
    DocumentsPending,
    Submitted,
    UnderProcess,
    Sanctioned,
    Received,
    Rejected,
    Withdrawn,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Identified,
        Stage::DocumentsPending,
        Stage::Submitted,
        Stage::UnderProcess,
        Stage::Sanctioned,
        Stage::Received,
        Stage::Rejected,
        Stage::Withdrawn,
    ];

    /// Whether the case still needs work.
    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Received | Stage::Rejected | Stage::Withdrawn)
    }

    /// How far along the road to the benefit the stage is (0 to 5); `None` for a closed case
    /// that did not get it.
    pub fn step(self) -> Option<u8> {
        match self {
            Stage::Identified => Some(0),
            Stage::DocumentsPending => Some(1),
            Stage::Submitted => Some(2),
            Stage::UnderProcess => Some(3),
            Stage::Sanctioned => Some(4),
            Stage::Received => Some(5),
            Stage::Rejected | Stage::Withdrawn => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Identified => "identified",
            Stage::DocumentsPending => "documents_pending",
            Stage::Submitted => "submitted",
            Stage::UnderProcess => "under_process",
            Stage::Sanctioned => "sanctioned",
            Stage::Received => "received",
            Stage::Rejected => "rejected",
            Stage::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The stage in Hindi, as the case screen names it: the words a refusal and a Hindi
    /// spreadsheet say, so that what she reads there is what she saw on the screen.
    pub fn hindi(self) -> &'static str {
        match self {
            Stage::Identified => "पहचाना गया",
            Stage::DocumentsPending => "कागज़ बाक़ी",
            Stage::Submitted => "कार्यालय में जमा",
            Stage::UnderProcess => "कार्रवाई जारी",
            Stage::Sanctioned => "स्वीकृत",
            Stage::Received => "लाभ मिला",
            Stage::Rejected => "अस्वीकृत",
            Stage::Withdrawn => "वापस लिया",
        }
    }
}

/// Where one document of the checklist stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum DocumentStatus {
    /// The person has it.
    Have,
    /// The person does not have it yet.
    Missing,
    /// It was missing and has been obtained since.
    Obtained,
}

/// What a referral is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
#[ts(export)]
pub enum Need {
    /// A scheme of the catalogue, by its code.
    Scheme { code: String },
    /// A service outside the catalogue (a certificate, a health visit, a safety concern), by its
    /// kind in `schema/referrals/`.
    Service { kind: String },
    /// A complaint about a service, by its kind in `schema/referrals/`.
    Grievance { kind: String, description: String },
}

impl Need {
    /// The scheme code or the kind: what the village view groups referrals by.
    pub fn code(&self) -> &str {
        match self {
            Need::Scheme { code } => code,
            Need::Service { kind } | Need::Grievance { kind, .. } => kind,
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Need::Scheme { .. } => "scheme",
            Need::Service { .. } => "service",
            Need::Grievance { .. } => "grievance",
        }
    }
}

/// One document of a referral's checklist, in both languages, as the slip prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ChecklistItem {
    pub en: String,
    pub hi: String,
    pub status: DocumentStatus,
}

/// What someone did to a case. Every action is one event of the case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
#[ts(export)]
pub enum Action {
    /// Some documents must be found before the application can go in.
    DocumentsPending,
    /// The application was handed in at the office.
    Submit,
    /// The office has taken it up (verification, a hearing, a field visit).
    Process,
    /// The office approved it.
    Sanction,
    /// The benefit arrived.
    Receive {
        #[ts(type = "string")]
        on: NaiveDate,
        #[ts(type = "number | null")]
        amount_inr: Option<i64>,
    },
    Reject {
        reason: String,
    },
    Withdraw {
        reason: String,
    },
    /// The case goes to the level above, which must act by `due_on` (its service level).
    Escalate {
        reason: String,
        #[ts(type = "string")]
        due_on: NaiveDate,
    },
    /// A closed case is opened again, at the stage "identified", due by `due_on`.
    Reopen {
        reason: String,
        #[ts(type = "string")]
        due_on: NaiveDate,
    },
    /// One document of the checklist changed (its place in the list).
    Document {
        index: u32,
        status: DocumentStatus,
    },
    /// The facilitator plans to visit the person about the case on a day.
    PlanVisit {
        #[ts(type = "string")]
        on: NaiveDate,
    },
    Note {
        text: String,
    },
}

impl Action {
    /// The free text the action carries (a reason, a note), which the case's history shows.
    pub fn text(&self) -> Option<&str> {
        match self {
            Action::Reject { reason }
            | Action::Withdraw { reason }
            | Action::Escalate { reason, .. }
            | Action::Reopen { reason, .. } => Some(reason),
            Action::Note { text } => Some(text),
            _ => None,
        }
    }

    /// The action's name, as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            Action::DocumentsPending => "documents_pending",
            Action::Submit => "submit",
            Action::Process => "process",
            Action::Sanction => "sanction",
            Action::Receive { .. } => "receive",
            Action::Reject { .. } => "reject",
            Action::Withdraw { .. } => "withdraw",
            Action::Escalate { .. } => "escalate",
            Action::Reopen { .. } => "reopen",
            Action::Document { .. } => "document",
            Action::PlanVisit { .. } => "plan_visit",
            Action::Note { .. } => "note",
        }
    }

    /// Every action's name, in the order the case screen offers them.
    pub const NAMES: [&'static str; 12] = [
        "documents_pending",
        "submit",
        "process",
        "sanction",
        "receive",
        "reject",
        "withdraw",
        "escalate",
        "reopen",
        "document",
        "plan_visit",
        "note",
    ];

    fn reason(&self) -> Option<&str> {
        match self {
            Action::Reject { reason }
            | Action::Withdraw { reason }
            | Action::Escalate { reason, .. }
            | Action::Reopen { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// Where a case stands: the fold of its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Case {
    pub stage: Stage,
    pub level: Level,
    /// The day by which the level handling the case should have acted.
    #[ts(type = "string")]
    pub due_on: NaiveDate,
    /// The checklist, in the order it was made.
    pub documents: Vec<DocumentStatus>,
    #[ts(type = "string | null")]
    pub next_visit: Option<NaiveDate>,
    /// When the case entered its stage (or its level): what the village view's ageing counts.
    #[ts(type = "string")]
    pub since: DateTime<Utc>,
    /// The furthest step on the road to the benefit the case ever reached (see [`Stage::step`]).
    pub furthest: u8,
    /// Why the case was rejected, withdrawn, escalated or reopened, the last of these.
    pub reason: Option<String>,
    #[ts(type = "string | null")]
    pub received_on: Option<NaiveDate>,
    #[ts(type = "number | null")]
    pub amount_inr: Option<i64>,
}

impl Case {
    /// A new case at the village, "identified", with its checklist.
    pub fn new(level: Level, due_on: NaiveDate, documents: Vec<DocumentStatus>, at: DateTime<Utc>) -> Case {
        let stage = if documents.contains(&DocumentStatus::Missing) {
            Stage::DocumentsPending
        } else {
            Stage::Identified
        };
        Case {
            stage,
            level,
            due_on,
            documents,
            next_visit: None,
            since: at,
            furthest: stage.step().unwrap_or(0),
            reason: None,
            received_on: None,
            amount_inr: None,
        }
    }

    /// Whether the case is open and past its due day on `today`.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.stage.is_open() && today > self.due_on
    }

    /// The actions that may be taken now, by name, in [`Action::NAMES`] order.
    pub fn allowed(&self) -> Vec<&'static str> {
        Action::NAMES.into_iter().filter(|name| self.refusal(name).is_none()).collect()
    }

    /// Why action `name` may not be taken now, or `None` when it may.
    fn refusal(&self, name: &str) -> Option<Why> {
        use Stage::*;
        let open = self.stage.is_open();
        match name {
            "note" => None,
            "document" | "plan_visit" if open => None,
            "document" | "plan_visit" => Some(Why::Closed),
            "escalate" if open && self.level.above().is_none() => Some(Why::AtTop),
            "escalate" if open => None,
            "reopen" if matches!(self.stage, Rejected | Withdrawn) => None,
            "withdraw" if open && self.stage != Sanctioned => None,
            _ => {
                let ok = matches!(
                    (self.stage, name),
                    (Identified, "documents_pending")
                        | (Identified | DocumentsPending, "submit")
                        | (Submitted, "process")
                        | (Submitted | UnderProcess, "sanction")
                        | (Submitted | UnderProcess | Sanctioned, "receive")
                        | (Submitted | UnderProcess, "reject")
                );
                if ok { None } else { Some(Why::NotFrom) }
            }
        }
    }

    /// The case after `action`, taken at `at`, or why it may not be taken.
    pub fn apply(&self, action: &Action, at: DateTime<Utc>) -> Result<Case, Refused> {
        let refuse = |why| Refused {
            stage: self.stage,
            level: self.level,
            action: action.name(),
            why,
            allowed: self.allowed(),
        };
        if let Some(why) = self.refusal(action.name()) {
            return Err(refuse(why));
        }
        if action.reason().is_some_and(|r| r.trim().is_empty()) {
            return Err(refuse(Why::NoReason));
        }
        let mut next = self.clone();
        let move_to = |stage: Stage, next: &mut Case| {
            next.stage = stage;
            next.since = at;
            if let Some(step) = stage.step() {
                next.furthest = next.furthest.max(step);
            }
        };
        match action {
            Action::DocumentsPending => move_to(Stage::DocumentsPending, &mut next),
            Action::Submit => move_to(Stage::Submitted, &mut next),
            Action::Process => move_to(Stage::UnderProcess, &mut next),
            Action::Sanction => move_to(Stage::Sanctioned, &mut next),
            Action::Receive { on, amount_inr } => {
                if amount_inr.is_some_and(|a| a < 0) {
                    return Err(refuse(Why::NegativeAmount));
                }
                move_to(Stage::Received, &mut next);
                next.received_on = Some(*on);
                next.amount_inr = *amount_inr;
                next.next_visit = None;
            }
            Action::Reject { reason } | Action::Withdraw { reason } => {
                let stage =
                    if matches!(action, Action::Reject { .. }) { Stage::Rejected } else { Stage::Withdrawn };
                move_to(stage, &mut next);
                next.reason = Some(reason.trim().to_owned());
                next.next_visit = None;
            }
            Action::Escalate { reason, due_on } => {
                // Checked by `refusal`: only a case below the district gets here.
                next.level = self.level.above().unwrap_or(self.level);
                next.since = at;
                next.due_on = *due_on;
                next.reason = Some(reason.trim().to_owned());
            }
            Action::Reopen { reason, due_on } => {
                move_to(Stage::Identified, &mut next);
                next.due_on = *due_on;
                next.reason = Some(reason.trim().to_owned());
            }
            Action::Document { index, status } => {
                let Some(slot) = next.documents.get_mut(*index as usize) else {
                    return Err(refuse(Why::NoSuchDocument { count: self.documents.len() }));
                };
                *slot = *status;
            }
            Action::PlanVisit { on } => next.next_visit = Some(*on),
            Action::Note { .. } => {}
        }
        Ok(next)
    }
}

/// Why an action was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The action does not follow from the case's stage.
    NotFrom,
    /// The case is closed; reopen it first.
    Closed,
    /// The case is at the district already.
    AtTop,
    /// Rejecting, withdrawing, escalating and reopening need a reason.
    NoReason,
    NegativeAmount,
    NoSuchDocument {
        count: usize,
    },
}

/// An action refused, with what is allowed instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.sentence())]
pub struct Refused {
    pub stage: Stage,
    pub level: Level,
    pub action: &'static str,
    pub why: Why,
    pub allowed: Vec<&'static str>,
}

/// An action's name in Hindi, as the case screen's button says it (an action not in
/// [`Action::NAMES`] is said as its name).
fn action_hindi(name: &str) -> &str {
    match name {
        "documents_pending" => "कागज़ अभी चाहिए",
        "submit" => "कार्यालय में जमा किया",
        "process" => "कार्यालय ने कार्रवाई शुरू की",
        "sanction" => "स्वीकृत हुआ",
        "receive" => "लाभ मिल गया",
        "reject" => "अस्वीकृत हुआ",
        "withdraw" => "वापस लें",
        "escalate" => "अगले स्तर पर भेजें",
        "reopen" => "फिर से खोलें",
        "document" => "कागज़ की स्थिति बदलें",
        "plan_visit" => "मुलाक़ात का दिन",
        "note" => "टिप्पणी जोड़ें",
        other => other,
    }
}

impl Refused {
    /// The refusal in Hindi: the screen says it in her language, with the stage and the steps
    /// allowed named as its buttons name them.
    pub fn sentence_hi(&self) -> String {
        let stage = self.stage.hindi();
        let allowed =
            self.allowed.iter().map(|a| format!("\"{}\"", action_hindi(a))).collect::<Vec<_>>().join(", ");
        let action = action_hindi(self.action);
        match &self.why {
            Why::NotFrom => {
                format!(
                    "जो मामला \"{stage}\" है, उस पर \"{action}\" नहीं हो सकता; अभी ये कदम हो सकते हैं: {allowed}"
                )
            }
            Why::Closed if self.allowed.contains(&"reopen") => {
                format!("मामला \"{stage}\" है और बंद है; पहले उसे फिर से खोलें (अभी ये कदम हो सकते हैं: {allowed})")
            }
            Why::Closed => format!("मामला \"{stage}\" है और बंद है (अभी ये कदम हो सकते हैं: {allowed})"),
            Why::AtTop => "मामला पहले से ज़िला स्तर पर है, जो सबसे ऊँचा स्तर है; अब उसकी पैरवी वहीं करें".to_owned(),
            Why::NoReason => format!("\"{action}\" के लिए कुछ शब्दों में कारण लिखें"),
            Why::NegativeAmount => "मिली राशि शून्य से कम नहीं हो सकती".to_owned(),
            Why::NoSuchDocument { count: 1 } => "कागज़ों की सूची में 1 कागज़ है; वही चुनें".to_owned(),
            Why::NoSuchDocument { count } => {
                format!("कागज़ों की सूची में {count} कागज़ हैं; उनमें से एक चुनें")
            }
        }
    }

    fn sentence(&self) -> String {
        let stage = self.stage.as_str().replace('_', " ");
        let allowed = self.allowed.join(", ");
        match &self.why {
            Why::NotFrom => format!(
                "a case that is {stage} cannot take \"{}\"; allowed now: {allowed}",
                self.action.replace('_', " ")
            ),
            Why::Closed if self.allowed.contains(&"reopen") => {
                format!("the case is {stage} and closed; reopen it first (allowed now: {allowed})")
            }
            Why::Closed => format!("the case is {stage} and closed (allowed now: {allowed})"),
            Why::AtTop => "the case is at the district already, the highest level; \
                           follow it up there or close it"
                .to_owned(),
            Why::NoReason => format!("say why, in a few words, to {}", self.action.replace('_', " ")),
            Why::NegativeAmount => "the amount received cannot be below zero".to_owned(),
            Why::NoSuchDocument { count } => {
                format!("the checklist has {count} documents; choose one of them")
            }
        }
    }
}

/// One step taken on a case, as the screen, the CLI and an office at the block or district ask
/// for it: an [`Action`] without the due day of an escalation or a reopening, which comes from the
/// service levels (`samanvaya_eligibility::referral::ReferralKinds::action`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "action", rename_all = "snake_case")]
#[ts(export)]
pub enum Step {
    DocumentsPending,
    Submit,
    Process,
    Sanction,
    Receive {
        #[ts(type = "string")]
        on: NaiveDate,
        #[ts(type = "number | null")]
        amount_inr: Option<i64>,
    },
    Reject {
        reason: String,
    },
    Withdraw {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Document {
        index: u32,
        status: DocumentStatus,
    },
    PlanVisit {
        #[ts(type = "string")]
        on: NaiveDate,
    },
    Note {
        text: String,
    },
}

/// One event of a case's history, wherever it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    /// The clock reading of the change that carried the event: its place in the story.
    pub hlc: Hlc,
    pub at: DateTime<Utc>,
    /// The account that acted.
    pub by: String,
    /// The laptop or server where it was recorded.
    pub device: Uuid,
    /// The catalogue that judged eligibility when the event was recorded.
    pub catalogue: String,
    pub action: Action,
}

/// One event as the history shows it: applied, or kept with the reason it no longer fits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub event: Event,
    pub refused: Option<Refused>,
}

/// Applies `events` to `opened` in clock order, the same order on every machine, keeping those
/// that no longer fit with their reason.
pub fn replay(opened: &Case, mut events: Vec<Event>) -> (Case, Vec<Entry>) {
    events.sort_by(|a, b| a.hlc.cmp(&b.hlc).then(a.id.cmp(&b.id)));
    let mut case = opened.clone();
    let mut entries = Vec::with_capacity(events.len());
    for event in events {
        match case.apply(&event.action, event.at) {
            Ok(next) => {
                case = next;
                entries.push(Entry { event, refused: None });
            }
            Err(refused) => entries.push(Entry { event, refused: Some(refused) }),
        }
    }
    (case, entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 10, minute, 0).unwrap()
    }

    fn case(stage: Stage, level: Level) -> Case {
        Case { stage, level, ..Case::new(level, day(31), vec![DocumentStatus::Have], at(0)) }
    }

    fn action(name: &str) -> Action {
        let reason = "office asked for it".to_owned();
        match name {
            "documents_pending" => Action::DocumentsPending,
            "submit" => Action::Submit,
            "process" => Action::Process,
            "sanction" => Action::Sanction,
            "receive" => Action::Receive { on: day(20), amount_inr: Some(400) },
            "reject" => Action::Reject { reason },
            "withdraw" => Action::Withdraw { reason },
            "escalate" => Action::Escalate { reason, due_on: day(28) },
            "reopen" => Action::Reopen { reason, due_on: day(30) },
            "document" => Action::Document { index: 0, status: DocumentStatus::Obtained },
            "plan_visit" => Action::PlanVisit { on: day(5) },
            "note" => Action::Note { text: "met her at the ration shop".to_owned() },
            other => panic!("no action {other}"),
        }
    }

    /// Every stage and action: `+` allowed, `.` refused. Columns follow [`Action::NAMES`]:
    /// documents_pending submit process sanction receive reject withdraw escalate reopen
    /// document plan_visit note. The level is the village, so escalation is allowed while open.
    const TABLE: [(Stage, &str); 8] = [
        (Stage::Identified, "++....++.+++"),
        (Stage::DocumentsPending, ".+....++.+++"),
        (Stage::Submitted, "..++++++.+++"),
        (Stage::UnderProcess, "...+++++.+++"),
        (Stage::Sanctioned, "....+..+.+++"),
        (Stage::Received, "...........+"),
        (Stage::Rejected, "........+..+"),
        (Stage::Withdrawn, "........+..+"),
    ];

    #[test]
    fn every_transition_is_allowed_or_refused_as_the_table_says() {
        for (stage, row) in TABLE {
            let from = case(stage, Level::Village);
            assert_eq!(row.len(), Action::NAMES.len(), "{stage:?}");
            for (name, mark) in Action::NAMES.into_iter().zip(row.chars()) {
                let result = from.apply(&action(name), at(5));
                assert_eq!(result.is_ok(), mark == '+', "{stage:?} then {name}: {result:?}");
                assert_eq!(from.allowed().contains(&name), mark == '+', "{stage:?} allows {name}");
                if let Err(refused) = result {
                    // A refusal says what is allowed instead, and names the action refused.
                    assert_eq!(refused.allowed, from.allowed());
                    assert!(!refused.to_string().is_empty());
                    // Its Hindi names the stage and the steps as the screen does, no English.
                    let hindi = refused.sentence_hi();
                    assert!(
                        !hindi.chars().any(|c| c.is_ascii_alphabetic()),
                        "{stage:?} then {name}: {hindi}"
                    );
                }
            }
        }
    }

    #[test]
    fn each_action_moves_the_case_where_it_should() {
        let moves = [
            (Stage::Identified, "documents_pending", Stage::DocumentsPending),
            (Stage::Identified, "submit", Stage::Submitted),
            (Stage::DocumentsPending, "submit", Stage::Submitted),
            (Stage::Submitted, "process", Stage::UnderProcess),
            (Stage::Submitted, "sanction", Stage::Sanctioned),
            (Stage::UnderProcess, "sanction", Stage::Sanctioned),
            (Stage::Submitted, "receive", Stage::Received),
            (Stage::Sanctioned, "receive", Stage::Received),
            (Stage::UnderProcess, "reject", Stage::Rejected),
            (Stage::Identified, "withdraw", Stage::Withdrawn),
            (Stage::Rejected, "reopen", Stage::Identified),
            (Stage::Withdrawn, "reopen", Stage::Identified),
            (Stage::Submitted, "escalate", Stage::Submitted),
            (Stage::Submitted, "document", Stage::Submitted),
            (Stage::Submitted, "plan_visit", Stage::Submitted),
        ];
        for (from, name, to) in moves {
            let next = case(from, Level::Village).apply(&action(name), at(5)).unwrap();
            assert_eq!(next.stage, to, "{from:?} then {name}");
        }
        let received = case(Stage::Sanctioned, Level::Village).apply(&action("receive"), at(5)).unwrap();
        assert_eq!(
            (received.received_on, received.amount_inr, received.furthest),
            (Some(day(20)), Some(400), 5)
        );
        let rejected = case(Stage::Submitted, Level::Village).apply(&action("reject"), at(5)).unwrap();
        assert_eq!(rejected.reason.as_deref(), Some("office asked for it"));
        assert_eq!(rejected.since, at(5));
    }

    #[test]
    fn escalation_climbs_one_level_with_a_new_due_day_and_stops_at_the_district() {
        let village = case(Stage::Submitted, Level::Village);
        let block = village.apply(&action("escalate"), at(5)).unwrap();
        assert_eq!((block.level, block.due_on, block.stage), (Level::Block, day(28), Stage::Submitted));
        let district = block.apply(&action("escalate"), at(6)).unwrap();
        assert_eq!(district.level, Level::District);
        let refused = district.apply(&action("escalate"), at(7)).unwrap_err();
        assert_eq!(refused.why, Why::AtTop);
        assert!(!district.allowed().contains(&"escalate"));
    }

    /// The Hindi a refusal names stages and steps with is the case screen's own: read from the
    /// interface's Hindi catalogue, so that a label changed there and not here fails.
    #[test]
    fn the_hindi_names_are_the_case_screens() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/i18n/hi.ts");
        let catalogue = std::fs::read_to_string(path).unwrap();
        let said = |key: &str| {
            let start = format!("  {key}: \"");
            let line = catalogue.lines().find(|l| l.starts_with(&start)).unwrap_or_else(|| panic!("{key}"));
            line[start.len()..].trim_end_matches(',').trim_end_matches('"').to_owned()
        };
        for stage in Stage::ALL {
            assert_eq!(stage.hindi(), said(&format!("stage_{}", stage.as_str())), "{stage:?}");
        }
        // The moves of the case, named by the screen's `move_` buttons; the last three are its
        // checklist, visit and note, which have labels of their own.
        for name in &Action::NAMES[..9] {
            assert_eq!(action_hindi(name), said(&format!("move_{name}")), "{name}");
        }
        assert_eq!(action_hindi("note"), said("referralNote"));
        assert_eq!(action_hindi("plan_visit"), said("referralPlanVisit"));
    }

    #[test]
    fn a_refusal_in_hindi_names_the_stage_and_the_steps_allowed_as_the_screen_does() {
        let rejected = case(Stage::Rejected, Level::Village);
        let refused = rejected.apply(&action("document"), at(5)).unwrap_err();
        assert_eq!(refused.why, Why::Closed);
        assert_eq!(
            refused.sentence_hi(),
            "मामला \"अस्वीकृत\" है और बंद है; पहले उसे फिर से खोलें (अभी ये कदम हो सकते हैं: \"फिर से खोलें\", \"टिप्पणी जोड़ें\")"
        );
        // A case that got its benefit cannot be reopened: the sentence does not send her to.
        let received = case(Stage::Received, Level::Village).apply(&action("document"), at(5)).unwrap_err();
        assert_eq!(
            received.sentence_hi(),
            "मामला \"लाभ मिला\" है और बंद है (अभी ये कदम हो सकते हैं: \"टिप्पणी जोड़ें\")"
        );
        assert!(!received.to_string().contains("reopen"), "{received}");
        let blank =
            case(Stage::Submitted, Level::Village).apply(&Action::Reject { reason: " ".into() }, at(5));
        assert_eq!(blank.unwrap_err().sentence_hi(), "\"अस्वीकृत हुआ\" के लिए कुछ शब्दों में कारण लिखें");
    }

    #[test]
    fn reasons_are_needed_and_the_checklist_is_bounded() {
        let open = case(Stage::Submitted, Level::Village);
        for blank in [
            Action::Reject { reason: "  ".into() },
            Action::Withdraw { reason: String::new() },
            Action::Escalate { reason: String::new(), due_on: day(9) },
        ] {
            assert_eq!(open.apply(&blank, at(5)).unwrap_err().why, Why::NoReason, "{blank:?}");
        }
        let far = Action::Document { index: 3, status: DocumentStatus::Obtained };
        assert_eq!(open.apply(&far, at(5)).unwrap_err().why, Why::NoSuchDocument { count: 1 });
        let negative = Action::Receive { on: day(2), amount_inr: Some(-1) };
        assert_eq!(open.apply(&negative, at(5)).unwrap_err().why, Why::NegativeAmount);
    }

    #[test]
    fn a_new_case_with_a_missing_document_starts_as_documents_pending() {
        let c =
            Case::new(Level::Village, day(31), vec![DocumentStatus::Have, DocumentStatus::Missing], at(0));
        assert_eq!((c.stage, c.furthest), (Stage::DocumentsPending, 1));
        assert!(!c.is_overdue(day(31)) && c.is_overdue(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
    }

    fn event(wall_ms: i64, node: u128, action: Action) -> Event {
        Event {
            id: Uuid::from_u128(wall_ms as u128 * 10 + node),
            hlc: Hlc { wall_ms, counter: 0, node: Uuid::from_u128(node) },
            at: at((wall_ms / 60_000) as u32),
            by: format!("device {node}"),
            device: Uuid::from_u128(node),
            catalogue: "test".to_owned(),
            action,
        }
    }

    #[test]
    fn events_from_two_places_make_one_story_in_clock_order_whatever_order_they_arrive_in() {
        let opened = case(Stage::Identified, Level::Village);
        // The village submitted and then, a minute later, withdrew the case; the block, which had
        // not yet heard of the withdrawal, sanctioned it in between and again after.
        let village = [event(60_000, 1, action("submit")), event(180_000, 1, action("withdraw"))];
        let block = [event(120_000, 2, action("process")), event(240_000, 2, action("sanction"))];
        let mut arrivals = [
            [&village[..], &block[..]].concat(),
            [&block[..], &village[..]].concat(),
            vec![block[1].clone(), village[1].clone(), block[0].clone(), village[0].clone()],
        ];
        let (first_case, first_story) = replay(&opened, arrivals[0].clone());
        for events in arrivals.iter_mut() {
            let (c, story) = replay(&opened, events.clone());
            assert_eq!(c, first_case);
            assert_eq!(story, first_story);
        }
        let order: Vec<&str> = first_story.iter().map(|e| e.event.action.name()).collect();
        assert_eq!(order, ["submit", "process", "withdraw", "sanction"]);
        // The sanction came after the withdrawal: kept, but not applied, with why.
        assert!(first_story[..3].iter().all(|e| e.refused.is_none()));
        assert_eq!(first_story[3].refused.as_ref().map(|r| r.why.clone()), Some(Why::NotFrom));
        assert_eq!(first_case.stage, Stage::Withdrawn);
        // Equal wall times are ordered by the device, the same everywhere.
        let tie = [event(60_000, 2, action("submit")), event(60_000, 1, action("withdraw"))];
        let (c, story) = replay(&opened, tie.to_vec());
        assert_eq!(story[0].event.device, Uuid::from_u128(1));
        assert_eq!(c.stage, Stage::Withdrawn);
        assert!(story[1].refused.is_some());
    }
}
