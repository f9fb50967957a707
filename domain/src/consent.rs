//! Withdrawal of consent, the part the laptop and every server must agree on: which changes of
//! a household hold what a withdrawal erases, and what is left of each.
//!
//! A withdrawal ([`ConsentWithdrawn`]) names a household and, for one member, that member. Each
//! place that holds the household's changes builds an [`Erasure`] from the withdrawal and those
//! changes (they tell the person's names, every spelling she was ever saved under, and her
//! referrals), then passes every stored change through [`Erasure::scrub`]: a change about her
//! is replaced by a [`Redacted`] body, a change that mentions her in free text (a referral's
//! notes, a reason, a survey's answers) is rewritten without the mention, and the rest is kept.
//!
//! A change that arrives after the erasure (from a laptop that had not heard of it) goes
//! through [`late`], which knows only the ids recorded as erased: the names are gone by then,
//! which is the point. So a late change about her, her facts or her referrals is erased on
//! arrival, and her roster entry in a late survey is blanked; a late free-text mention of her
//! name in someone else's record cannot be recognised (docs/security.md says so).

use std::collections::BTreeSet;

use serde_json::Value;
use uuid::Uuid;

use crate::change::{ChangeBody, ConsentWithdrawn, HouseholdField, MemberField, Redacted};
use crate::ids::{HouseholdId, PersonId};

/// What replaces a mention of an erased name in free text.
pub const ERASED_TEXT: &str = "—";

/// The key a survey's roster entry is marked with once its member's answers are erased.
pub const WITHDRAWN_KEY: &str = "_withdrawn";

/// The roster key that names the member an entry stands for (`core::survey::MEMBER_KEY`).
const MEMBER_KEY: &str = "_member";

/// What becomes of one stored change.
#[derive(Debug, Clone, PartialEq)]
pub enum Scrubbed {
    /// Nothing of the erased person in it.
    Keep,
    /// About the erased person or household: only its kind and household are kept.
    Redact,
    /// Mentions the erased person; this is the change without the mention (boxed: most
    /// changes are kept, and the verdict should be small).
    Rewrite(Box<ChangeBody>),
}

impl Scrubbed {
    /// The body to store in place of `body`, or `None` to keep it.
    pub fn apply(self, body: &ChangeBody) -> Option<ChangeBody> {
        match self {
            Scrubbed::Keep => None,
            Scrubbed::Redact => Some(redacted(body)),
            Scrubbed::Rewrite(b) => Some(*b),
        }
    }
}

/// The [`Redacted`] body that stands in for `body`.
pub fn redacted(body: &ChangeBody) -> ChangeBody {
    let referral = match body {
        ChangeBody::Referral(r) => Some(r.id),
        _ => None,
    };
    ChangeBody::Redacted(Redacted {
        household_id: body.household_id(),
        was: body.kind().to_owned(),
        referral,
    })
}

/// One withdrawal, with what a place knew of the person when it applied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    household_id: HouseholdId,
    /// `None`: the whole household.
    person: Option<PersonId>,
    names: Vec<String>,
    referrals: BTreeSet<Uuid>,
}

impl Erasure {
    /// The erasure of `w`, given the household's changes this place holds and the names and
    /// referral ids its own tables know (its current rows may know what no change says, such
    /// as a name imported with the household).
    pub fn new<'a>(
        w: &ConsentWithdrawn,
        changes: impl IntoIterator<Item = &'a ChangeBody>,
        known_names: &[String],
        known_referrals: &[Uuid],
    ) -> Erasure {
        let mut names: BTreeSet<String> =
            known_names.iter().map(|n| n.trim().to_owned()).filter(|n| n.chars().count() >= 2).collect();
        let mut referrals: BTreeSet<Uuid> = known_referrals.iter().copied().collect();
        let person = w.person_id;
        for body in changes {
            if body.household_id() != w.household_id {
                continue;
            }
            match body {
                ChangeBody::Member(c) if person.is_none_or(|p| p == c.id) => {
                    for f in &c.fields {
                        if let MemberField::Name(n) = f
                            && n.trim().chars().count() >= 2
                        {
                            names.insert(n.trim().to_owned());
                        }
                    }
                }
                ChangeBody::Referral(c) if person.is_none_or(|p| c.subject_id == p.to_string()) => {
                    referrals.insert(c.id);
                }
                _ => {}
            }
        }
        // Longest first, so that a full name is replaced before a part of it.
        let mut names: Vec<String> = names.into_iter().collect();
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Erasure { household_id: w.household_id, person, names, referrals }
    }

    /// Every spelling of the erased names found.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The erased person's (or household's) referrals.
    pub fn referrals(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.referrals.iter().copied()
    }

    /// What becomes of `body`, a change stored before the withdrawal.
    pub fn scrub(&self, body: &ChangeBody) -> Scrubbed {
        if body.household_id() != self.household_id
            || matches!(body, ChangeBody::ConsentWithdrawn(_) | ChangeBody::Redacted(_))
        {
            return Scrubbed::Keep;
        }
        let Some(person) = self.person else { return Scrubbed::Redact };
        let me = person.to_string();
        match body {
            ChangeBody::Member(c) if c.id == person => Scrubbed::Redact,
            // A removal holds ids only, and must still travel: erased, the merge of her other
            // record into hers would never reach the stores behind this one, which would keep
            // that record, her other spelling with it.
            ChangeBody::MemberRemoved(_) => Scrubbed::Keep,
            ChangeBody::Fact(c) if c.subject_id == me => Scrubbed::Redact,
            ChangeBody::Receiving(c) if c.subject_id == me => Scrubbed::Redact,
            ChangeBody::Referral(c) if c.subject_id == me || self.referrals.contains(&c.id) => {
                Scrubbed::Redact
            }
            ChangeBody::ReferralEvent(c) if self.referrals.contains(&c.referral_id) => Scrubbed::Redact,
            ChangeBody::Submission(c) => {
                let answers = scrub_answers(&c.answers, &|id| id == me, &self.names);
                if answers == c.answers {
                    return Scrubbed::Keep;
                }
                let mut c = c.clone();
                c.answers = answers;
                Scrubbed::Rewrite(Box::new(ChangeBody::Submission(c)))
            }
            ChangeBody::Referral(c) => match scrub_text(&c.notes, &self.names) {
                Some(notes) => {
                    let mut c = c.clone();
                    c.notes = notes;
                    Scrubbed::Rewrite(Box::new(ChangeBody::Referral(c)))
                }
                None => Scrubbed::Keep,
            },
            ChangeBody::ReferralEvent(c) => {
                let Ok(mut action) = serde_json::to_value(&c.action) else { return Scrubbed::Keep };
                if !scrub_strings(&mut action, &self.names) {
                    return Scrubbed::Keep;
                }
                match serde_json::from_value(action) {
                    Ok(action) => {
                        let mut c = c.clone();
                        c.action = action;
                        Scrubbed::Rewrite(Box::new(ChangeBody::ReferralEvent(c)))
                    }
                    // A reason that no longer reads back as an action is erased whole.
                    Err(_) => Scrubbed::Redact,
                }
            }
            ChangeBody::Household(c) => {
                let mut c = c.clone();
                let mut changed = false;
                for f in &mut c.fields {
                    if let HouseholdField::Address(a) = f
                        && let Some(text) = scrub_text(a, &self.names)
                    {
                        *a = text;
                        changed = true;
                    }
                }
                if changed { Scrubbed::Rewrite(Box::new(ChangeBody::Household(c))) } else { Scrubbed::Keep }
            }
            _ => Scrubbed::Keep,
        }
    }
}

/// What becomes of `body`, a change that arrived after an erasure, given only which ids were
/// erased (`erased(id)`: a household, a member or a referral).
pub fn late(body: &ChangeBody, erased: &dyn Fn(&str) -> bool) -> Scrubbed {
    if matches!(body, ChangeBody::ConsentWithdrawn(_) | ChangeBody::Redacted(_)) {
        return Scrubbed::Keep;
    }
    if erased(&body.household_id().to_string()) {
        return Scrubbed::Redact;
    }
    let about_erased = match body {
        ChangeBody::Member(c) => erased(&c.id.to_string()),
        // Ids only; a merge arriving after her withdrawal erases the record it removes.
        ChangeBody::MemberRemoved(_) => false,
        ChangeBody::Fact(c) => erased(&c.subject_id),
        ChangeBody::Receiving(c) => erased(&c.subject_id),
        ChangeBody::Referral(c) => erased(&c.subject_id) || erased(&c.id.to_string()),
        ChangeBody::ReferralEvent(c) => erased(&c.referral_id.to_string()),
        ChangeBody::Submission(c) => {
            let answers = scrub_answers(&c.answers, erased, &[]);
            if answers == c.answers {
                return Scrubbed::Keep;
            }
            let mut c = c.clone();
            c.answers = answers;
            return Scrubbed::Rewrite(Box::new(ChangeBody::Submission(c)));
        }
        _ => false,
    };
    if about_erased { Scrubbed::Redact } else { Scrubbed::Keep }
}

/// `text` with every mention of `names` replaced by [`ERASED_TEXT`], or `None` when it
/// mentions none of them. `names` longest first.
pub fn scrub_text(text: &str, names: &[String]) -> Option<String> {
    let mut out = text.to_owned();
    for n in names {
        if n.chars().count() >= 2 && out.contains(n.as_str()) {
            out = out.replace(n.as_str(), ERASED_TEXT);
        }
    }
    (out != text).then_some(out)
}

/// Scrubs every string inside `v`; whether any changed.
pub fn scrub_strings(v: &mut Value, names: &[String]) -> bool {
    match v {
        Value::String(s) => match scrub_text(s, names) {
            Some(t) => {
                *s = t;
                true
            }
            None => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |any, i| scrub_strings(i, names) | any),
        Value::Object(map) => map.values_mut().fold(false, |any, i| scrub_strings(i, names) | any),
        _ => false,
    }
}

/// A survey's answers (`{"values": {...}, "repeats": {"roster": [{...}]}}`) without the
/// erased member: her roster entry, found by its member id (`is_erased`) or by an answer that is
/// one of her names, keeps only the mark [`WITHDRAWN_KEY`] (so the roster keeps its count), and
/// every other mention of her names is replaced.
pub fn scrub_answers(answers: &Value, is_erased: &dyn Fn(&str) -> bool, names: &[String]) -> Value {
    let mut out = answers.clone();
    if let Some(Value::Object(repeats)) = out.get_mut("repeats") {
        for list in repeats.values_mut() {
            let Value::Array(entries) = list else { continue };
            for entry in entries.iter_mut() {
                let Value::Object(fields) = entry else { continue };
                let by_id = fields.get(MEMBER_KEY).and_then(Value::as_str).is_some_and(is_erased);
                let by_name = fields
                    .values()
                    .filter_map(Value::as_str)
                    .any(|v| names.iter().any(|n| n.as_str() == v.trim()));
                if by_id || by_name {
                    *entry = serde_json::json!({ WITHDRAWN_KEY: "1" });
                }
            }
        }
    }
    scrub_strings(&mut out, names);
    out
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use serde_json::json;

    use super::*;
    use crate::change::{
        FactChange, HouseholdChange, MemberChange, ReferralChange, ReferralEventChange, Source,
        SubmissionChange,
    };
    use crate::ids::LocationId;
    use crate::referral::{Action, Level, Need};

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(0x0193_5f2a_7c00_7000_8000_0000_0000_0000 + n)
    }

    const H: u128 = 1;
    const KAMLA: u128 = 2;
    const SITA: u128 = 3;

    fn withdrawal(person: Option<u128>) -> ConsentWithdrawn {
        ConsentWithdrawn {
            household_id: HouseholdId(id(H)),
            person_id: person.map(|p| PersonId(id(p))),
            withdrawn_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            recorded_by: "Facilitator".into(),
        }
    }

    fn member(p: u128, name: &str) -> ChangeBody {
        ChangeBody::Member(MemberChange {
            id: PersonId(id(p)),
            household_id: HouseholdId(id(H)),
            fields: vec![MemberField::Name(name.into())],
        })
    }

    fn referral(n: u128, subject: u128, notes: &str) -> ChangeBody {
        ChangeBody::Referral(ReferralChange {
            id: id(n),
            number: format!("R-{n}"),
            household_id: HouseholdId(id(H)),
            subject_id: id(subject).to_string(),
            need: Need::Scheme { code: "NSAP_IGNWPS".into() },
            level: Level::Village,
            office: "Block office".into(),
            documents: vec![],
            due_on: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            notes: notes.into(),
            created_by: "Facilitator".into(),
            created_at: Utc.with_ymd_and_hms(2026, 11, 1, 5, 0, 0).unwrap(),
            catalogue: "c".into(),
        })
    }

    fn event(referral: u128, reason: &str) -> ChangeBody {
        ChangeBody::ReferralEvent(ReferralEventChange {
            id: id(90 + referral),
            referral_id: id(referral),
            household_id: HouseholdId(id(H)),
            at: Utc.with_ymd_and_hms(2026, 11, 2, 5, 0, 0).unwrap(),
            by: "Facilitator".into(),
            catalogue: "c".into(),
            action: Action::Withdraw { reason: reason.into() },
        })
    }

    fn fact(subject: u128) -> ChangeBody {
        ChangeBody::Fact(FactChange {
            household_id: HouseholdId(id(H)),
            subject_id: id(subject).to_string(),
            name: "person.marital_status".into(),
            value: Some(json!("widowed")),
            source: Source::Screening,
        })
    }

    fn survey(answers: Value) -> ChangeBody {
        ChangeBody::Submission(SubmissionChange {
            id: id(70),
            household_id: HouseholdId(id(H)),
            form_id: "baseline".into(),
            form_version: "1".into(),
            answers,
            consent: Some(true),
            submitted_by: "Facilitator".into(),
            submitted_at: Utc.with_ymd_and_hms(2026, 11, 1, 5, 0, 0).unwrap(),
            supersedes: None,
        })
    }

    fn history() -> Vec<ChangeBody> {
        vec![
            ChangeBody::Household(HouseholdChange {
                id: HouseholdId(id(H)),
                village_id: LocationId(id(9)),
                created_at: Utc.with_ymd_and_hms(2026, 11, 1, 5, 0, 0).unwrap(),
                fields: vec![HouseholdField::Address("कमला देवी का घर, वार्ड 4".into())],
            }),
            member(KAMLA, "कमला"),
            member(KAMLA, "कमला देवी"),
            member(SITA, "सीता देवी"),
            fact(KAMLA),
            fact(SITA),
            referral(10, KAMLA, "widow"),
            event(10, "moved"),
            referral(11, SITA, "lives with her mother-in-law कमला देवी"),
            event(11, "कमला देवी says she will not apply"),
        ]
    }

    fn text_of(changes: &[ChangeBody]) -> String {
        serde_json::to_string(changes).unwrap()
    }

    #[test]
    fn a_member_withdrawal_erases_her_changes_and_every_mention_and_keeps_the_others() {
        let all = history();
        let erasure = Erasure::new(&withdrawal(Some(KAMLA)), &all, &[], &[]);
        assert_eq!(erasure.names(), ["कमला देवी", "कमला"], "every spelling, longest first");
        assert_eq!(erasure.referrals().collect::<Vec<_>>(), vec![id(10)]);
        let after: Vec<ChangeBody> =
            all.iter().map(|b| erasure.scrub(b).apply(b).unwrap_or_else(|| b.clone())).collect();
        let text = text_of(&after);
        assert!(!text.contains("कमला"), "no spelling of her name is left: {text}");
        assert!(text.contains("सीता देवी"), "another member's name is kept");
        let kinds: Vec<&str> = after.iter().map(ChangeBody::kind).collect();
        assert_eq!(
            kinds,
            [
                "household",
                "redacted",
                "redacted",
                "member",
                "redacted",
                "fact",
                "redacted",
                "redacted",
                "referral",
                "referral_event"
            ]
        );
        assert_eq!(
            after[1],
            ChangeBody::Redacted(Redacted {
                household_id: HouseholdId(id(H)),
                was: "member".into(),
                referral: None
            })
        );
        // Her name is replaced inside another member's referral and its reason.
        match &after[8] {
            ChangeBody::Referral(r) => assert_eq!(r.notes, "lives with her mother-in-law —"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_household_withdrawal_erases_every_change_of_the_household_only() {
        let mut all = history();
        let mut elsewhere = member(SITA, "सीता देवी");
        if let ChangeBody::Member(m) = &mut elsewhere {
            m.household_id = HouseholdId(id(99));
        }
        all.push(elsewhere.clone());
        let erasure = Erasure::new(&withdrawal(None), &all, &[], &[]);
        for b in &all[..all.len() - 1] {
            assert_eq!(erasure.scrub(b), Scrubbed::Redact, "{b:?}");
        }
        assert_eq!(erasure.scrub(&elsewhere), Scrubbed::Keep, "another household is untouched");
        assert_eq!(erasure.scrub(&ChangeBody::ConsentWithdrawn(withdrawal(None))), Scrubbed::Keep);
    }

    #[test]
    fn a_survey_loses_her_roster_entry_by_id_or_by_name_and_keeps_its_count() {
        let answers = json!({
            "values": {"respondent": "कमला देवी", "village_note": "all well"},
            "repeats": {"members": [
                {"_member": id(KAMLA).to_string(), "name": "कमला देवी", "age": "64"},
                {"_member": id(SITA).to_string(), "name": "सीता देवी", "age": "40"},
                {"name": "कमला", "age": "64"}
            ]}
        });
        let erasure = Erasure::new(&withdrawal(Some(KAMLA)), &history(), &[], &[]);
        let ChangeBody::Submission(after) =
            erasure.scrub(&survey(answers)).apply(&survey(json!({}))).unwrap()
        else {
            panic!("a submission stays a submission")
        };
        assert_eq!(
            after.answers,
            json!({
                "values": {"respondent": "—", "village_note": "all well"},
                "repeats": {"members": [
                    {"_withdrawn": "1"},
                    {"_member": id(SITA).to_string(), "name": "सीता देवी", "age": "40"},
                    {"_withdrawn": "1"}
                ]}
            })
        );
    }

    #[test]
    fn a_late_change_about_an_erased_id_is_erased_on_arrival() {
        let kamla = id(KAMLA).to_string();
        let erased = |x: &str| x == kamla || x == id(10).to_string();
        assert_eq!(late(&member(KAMLA, "कमला देवी"), &erased), Scrubbed::Redact);
        assert_eq!(late(&fact(KAMLA), &erased), Scrubbed::Redact);
        assert_eq!(late(&referral(12, KAMLA, ""), &erased), Scrubbed::Redact);
        assert_eq!(late(&event(10, "x"), &erased), Scrubbed::Redact);
        assert_eq!(late(&member(SITA, "सीता देवी"), &erased), Scrubbed::Keep);
        assert_eq!(late(&fact(SITA), &erased), Scrubbed::Keep);
        let roster = json!({"repeats": {"members": [{"_member": kamla, "name": "कमला देवी"}]}});
        assert!(matches!(late(&survey(roster), &erased), Scrubbed::Rewrite(_)));
        // A whole household erased: everything of it.
        let household = id(H).to_string();
        let gone = |x: &str| x == household;
        assert_eq!(late(&member(SITA, "सीता देवी"), &gone), Scrubbed::Redact);
        assert_eq!(late(&ChangeBody::ConsentWithdrawn(withdrawal(None)), &gone), Scrubbed::Keep);
    }

    #[test]
    fn short_names_and_text_without_them_are_left_alone() {
        assert_eq!(scrub_text("all well", &["कमला".into()]), None);
        assert_eq!(scrub_text("a b", &["a".into()]), None, "a one-letter name would erase too much");
        assert_eq!(scrub_text("कमला देवी आईं", &["कमला देवी".into(), "कमला".into()]).unwrap(), "— आईं");
    }
}
