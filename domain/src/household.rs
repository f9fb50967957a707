//! A household and its members, and the checks a household must pass before it is saved.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::{HouseholdId, LocationId, PersonId};
use crate::person::{Birth, MAX_AGE_YEARS, Person, PersonInput, Relation};

/// The longest name the form accepts, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest address the form accepts, in characters.
pub const MAX_ADDRESS_CHARS: usize = 300;
/// More members than this in one household is almost certainly a mistake in the form.
pub const MAX_MEMBERS: usize = 40;

/// A household as stored, with its members in order (the head first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Household {
    pub id: HouseholdId,
    /// The human-readable household number, once one was taken from a number lease.
    #[ts(type = "number | null")]
    pub number: Option<i64>,
    pub village_id: LocationId,
    pub hamlet_id: Option<LocationId>,
    pub address: String,
    /// A mobile number to reach the family (ten digits), or empty.
    pub phone: String,
    pub members: Vec<Person>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The family's consent to what is recorded of it; `None` for a household taken from a
    /// list and never visited yet, whose facts cannot be asked until it is recorded.
    pub consent: Option<Consent>,
}

/// The family's consent, as stored: who agreed, the account that asked, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Consent {
    /// The member who agreed; `None` when a survey's consent question recorded it.
    pub respondent: Option<PersonId>,
    pub taken_by: String,
    pub taken_at: DateTime<Utc>,
}

/// The consent the form records with a household: the member who agreed, by their place in
/// the form's list (members have no id before their first save).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct ConsentInput {
    pub respondent: u32,
}

/// The youngest age at which a member may agree for the family.
pub const CONSENT_MIN_AGE: u32 = 18;

impl Household {
    /// The household as it lives today: without the members who died or moved away. Eligibility,
    /// counts and the village's tallies read this; the record keeps everyone.
    pub fn present(&self) -> Household {
        let mut h = self.clone();
        h.members.retain(|p| p.left.is_none());
        h
    }
}

/// One line of the household list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HouseholdSummary {
    pub id: HouseholdId,
    #[ts(type = "number | null")]
    pub number: Option<i64>,
    pub hamlet_id: Option<LocationId>,
    pub head_name: String,
    pub member_count: u32,
    pub women_count: u32,
    /// Names of all members in household order, so a search hit on any member can be shown.
    pub member_names: Vec<String>,
}

/// A household as the form sends it: `id` is absent for a new household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HouseholdInput {
    pub id: Option<HouseholdId>,
    pub village_id: LocationId,
    pub hamlet_id: Option<LocationId>,
    pub address: String,
    /// A mobile number to reach the family, as typed (spaces, +91 and Devanagari digits allowed);
    /// empty when the family has none.
    #[serde(default)]
    pub phone: String,
    pub members: Vec<PersonInput>,
    /// The family's consent, taken at this visit; absent when it is on record already (a
    /// household's first save, and the first edit of one taken from a list, need it).
    #[serde(default)]
    pub consent: Option<ConsentInput>,
}

/// Why a field was refused; the interface turns the code into a sentence in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FieldErrorCode {
    Required,
    TooLong,
    NoMembers,
    TooManyMembers,
    HeadMustBeFirst,
    OnlyOneHead,
    BirthInFuture,
    AgeTooHigh,
    UnknownVillage,
    UnknownHamlet,
    /// A fact name that is not in the vocabulary, or that cannot be answered directly.
    UnknownFact,
    /// A value of the wrong type or outside the fact's allowed values.
    InvalidValue,
    /// A phone number that is not a ten-digit Indian mobile number.
    InvalidPhone,
    /// A member marked as died or moved away on a day still to come.
    LeftInFuture,
    /// A member marked as died or moved away before the day they were born.
    LeftBeforeBirth,
    /// The head marked as died or moved away: another member must become the head first.
    HeadLeft,
    /// A whole Aadhaar number written in a free-text field: the app never keeps one.
    AadhaarNumber,
    /// Nothing of the family is recorded before someone in it agrees.
    ConsentRequired,
    /// The member named as agreeing is not in the list, no longer lives there, or is under 18.
    ConsentRespondent,
}

/// One refused field; `field` is a path such as `members.1.name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FieldError {
    pub field: String,
    pub code: FieldErrorCode,
}

/// Every problem with a household input, so the form can show them all at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the household has {} field error(s): {}", .0.len(), summary(.0))]
pub struct ValidationError(pub Vec<FieldError>);

fn summary(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{} {:?}", e.field, e.code)).collect::<Vec<_>>().join(", ")
}

impl Household {
    /// The household as the form shows it for editing, each member as [`Person::as_input`] does.
    pub fn as_input(&self, today: NaiveDate) -> HouseholdInput {
        HouseholdInput {
            id: Some(self.id),
            village_id: self.village_id,
            hamlet_id: self.hamlet_id,
            address: self.address.clone(),
            phone: self.phone.clone(),
            members: self.members.iter().map(|p| p.as_input(today)).collect(),
            consent: None,
        }
    }
}

impl HouseholdInput {
    /// Trims the text fields, then checks the whole input against what the form allows on `today`.
    pub fn validate(mut self, today: NaiveDate) -> Result<Self, ValidationError> {
        let mut errors = Vec::new();
        let mut refuse = |field: String, code| errors.push(FieldError { field, code });

        // A control character (NUL, a tab, a line break from a damaged list) is never meant in a
        // name or an address, and a district on PostgreSQL cannot keep a NUL at all: each
        // becomes a space, so the record travels (the server refuses a change holding a NUL).
        self.address = without_controls(&self.address).trim().to_owned();
        match normalise_phone(&self.phone) {
            Some(phone) => self.phone = phone,
            None => refuse("phone".into(), FieldErrorCode::InvalidPhone),
        }
        if self.address.chars().count() > MAX_ADDRESS_CHARS {
            refuse("address".into(), FieldErrorCode::TooLong);
        }
        if crate::aadhaar::holds_aadhaar(&self.address) {
            refuse("address".into(), FieldErrorCode::AadhaarNumber);
        }
        if self.members.is_empty() {
            refuse("members".into(), FieldErrorCode::NoMembers);
        }
        if self.members.len() > MAX_MEMBERS {
            refuse("members".into(), FieldErrorCode::TooManyMembers);
        }
        for (i, member) in self.members.iter_mut().enumerate() {
            member.name = without_controls(&member.name).split_whitespace().collect::<Vec<_>>().join(" ");
            if member.name.is_empty() {
                refuse(format!("members.{i}.name"), FieldErrorCode::Required);
            } else if member.name.chars().count() > MAX_NAME_CHARS {
                refuse(format!("members.{i}.name"), FieldErrorCode::TooLong);
            } else if crate::aadhaar::holds_aadhaar(&member.name) {
                refuse(format!("members.{i}.name"), FieldErrorCode::AadhaarNumber);
            }
            let is_head = member.relation == Relation::Head;
            if i == 0 && !is_head {
                refuse(format!("members.{i}.relation"), FieldErrorCode::HeadMustBeFirst);
            } else if i > 0 && is_head {
                refuse(format!("members.{i}.relation"), FieldErrorCode::OnlyOneHead);
            }
            match member.birth {
                Birth::Date { date } if date > today => {
                    refuse(format!("members.{i}.birth"), FieldErrorCode::BirthInFuture);
                }
                Birth::Date { date } if crate::person::age_on(date, today) > Some(MAX_AGE_YEARS) => {
                    refuse(format!("members.{i}.birth"), FieldErrorCode::AgeTooHigh);
                }
                Birth::Age { years } if years > MAX_AGE_YEARS => {
                    refuse(format!("members.{i}.birth"), FieldErrorCode::AgeTooHigh);
                }
                _ => {}
            }
            if let Some(left) = member.left {
                if is_head {
                    refuse(format!("members.{i}.left"), FieldErrorCode::HeadLeft);
                } else if left.on > today {
                    refuse(format!("members.{i}.left"), FieldErrorCode::LeftInFuture);
                } else if matches!(member.birth, Birth::Date { date } if left.on < date) {
                    refuse(format!("members.{i}.left"), FieldErrorCode::LeftBeforeBirth);
                }
            }
        }
        // With no member at all, "no members" says it; who agreed is asked once there are some.
        if let Some(consent) = self.consent.filter(|_| !self.members.is_empty()) {
            let agrees = self.members.get(consent.respondent as usize).is_some_and(|m| {
                let age = match m.birth {
                    Birth::Date { date } => crate::person::age_on(date, today),
                    Birth::Age { years } => Some(years),
                    Birth::Unknown => None,
                };
                // An unknown age is taken on the facilitator's word: she sees the person.
                m.left.is_none() && age.is_none_or(|a| a >= CONSENT_MIN_AGE)
            });
            if !agrees {
                refuse("consent".into(), FieldErrorCode::ConsentRespondent);
            }
        }
        if errors.is_empty() { Ok(self) } else { Err(ValidationError(errors)) }
    }
}

/// `text` with each control character a space.
fn without_controls(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A mobile number as stored: its ten digits, from what was typed ("98765 43210", "+91-9876543210",
/// "०९८७६५४३२१०"); empty stays empty; `None` when it is not an Indian mobile number.
pub fn normalise_phone(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '\u{0966}'..='\u{096F}' => char::from_digit(c as u32 - 0x0966, 10),
            ' ' | '-' | '+' | '(' | ')' => None,
            _ => Some('x'),
        })
        .collect();
    if digits.is_empty() {
        return Some(String::new());
    }
    let ten = digits
        .strip_prefix("91")
        .filter(|d| d.len() == 10)
        .or_else(|| digits.strip_prefix('0').filter(|d| d.len() == 10))
        .unwrap_or(&digits);
    (ten.len() == 10 && ten.chars().all(|c| c.is_ascii_digit()) && matches!(ten.as_bytes()[0], b'6'..=b'9'))
        .then(|| ten.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::person::Sex;
    use uuid::Uuid;

    fn member(name: &str, relation: Relation, birth: Birth) -> PersonInput {
        PersonInput { id: None, name: name.into(), relation, sex: Sex::Female, birth, left: None }
    }

    fn input(members: Vec<PersonInput>) -> HouseholdInput {
        HouseholdInput {
            id: None,
            village_id: LocationId(Uuid::nil()),
            hamlet_id: None,
            address: "  वार्ड 4  ".into(),
            phone: String::new(),
            members,
            consent: Some(ConsentInput { respondent: 0 }),
        }
    }

    #[test]
    fn consent_is_given_by_a_grown_up_member_who_lives_there() {
        let today: NaiveDate = "2026-11-23".parse().unwrap();
        let away = Some(crate::person::Departure {
            reason: crate::person::LeftReason::MovedAway,
            on: "2026-01-01".parse().unwrap(),
        });
        let family = || {
            vec![
                member("सुनीता देवी", Relation::Head, Birth::Unknown),
                member("रवि", Relation::Son, Birth::Age { years: 17 }),
                member("गीता", Relation::Daughter, Birth::Age { years: 18 }),
                PersonInput { left: away, ..member("मोहन", Relation::Son, Birth::Age { years: 30 }) },
            ]
        };
        // (the respondent's place in the list, whether she may agree for the family)
        let cases = [(0, true), (1, false), (2, true), (3, false), (4, false)];
        for (respondent, agrees) in cases {
            let mut typed = input(family());
            typed.consent = Some(ConsentInput { respondent });
            let want =
                if agrees { vec![] } else { vec![("consent".to_owned(), FieldErrorCode::ConsentRespondent)] };
            assert_eq!(codes(typed.validate(today)), want, "respondent {respondent}");
        }
    }

    #[test]
    fn a_control_character_in_a_name_or_the_address_becomes_a_space() {
        let mut typed = input(vec![member("सुनीता\u{0}देवी\t", Relation::Head, Birth::Unknown)]);
        typed.address = "वार्ड 4\u{0}\r\nपूरब टोला\u{7}".into();
        let kept = typed.validate("2026-11-23".parse().unwrap()).unwrap();
        assert_eq!(kept.members[0].name, "सुनीता देवी");
        assert_eq!(kept.address, "वार्ड 4   पूरब टोला");
    }

    #[test]
    fn a_phone_number_is_kept_as_its_ten_digits_or_refused() {
        let cases = [
            ("", Some("")),
            ("98765 43210", Some("9876543210")),
            ("+91-98765-43210", Some("9876543210")),
            ("०९८७६५४३२१०", Some("9876543210")),
            ("12345 67890", None),
            ("98765", None),
            ("98765 4321x", None),
        ];
        for (typed, want) in cases {
            assert_eq!(normalise_phone(typed).as_deref(), want, "{typed:?}");
        }
        let mut bad = input(vec![member("सुनीता देवी", Relation::Head, Birth::Unknown)]);
        bad.phone = "12345".into();
        assert_eq!(
            codes(bad.validate("2026-11-23".parse().unwrap())),
            vec![("phone".into(), FieldErrorCode::InvalidPhone)]
        );
    }

    #[test]
    fn a_whole_aadhaar_number_in_the_address_is_refused() {
        let mut typed = input(vec![member("सुनीता देवी", Relation::Head, Birth::Unknown)]);
        typed.address = "वार्ड 4, आधार २३४५६७८९०१२४".into();
        assert_eq!(
            codes(typed.validate("2026-11-23".parse().unwrap())),
            vec![("address".into(), FieldErrorCode::AadhaarNumber)]
        );
    }

    fn codes(result: Result<HouseholdInput, ValidationError>) -> Vec<(String, FieldErrorCode)> {
        match result {
            Ok(_) => vec![],
            Err(ValidationError(errors)) => errors.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    #[test]
    fn validation_reports_every_problem_by_field() {
        let today: NaiveDate = "2026-11-23".parse().unwrap();
        let future = Birth::Date { date: "2027-01-01".parse().unwrap() };
        // (members of the input, the refused fields expected)
        type Case = (Vec<PersonInput>, Vec<(&'static str, FieldErrorCode)>);
        let cases: Vec<Case> = vec![
            (vec![], vec![("members", FieldErrorCode::NoMembers)]),
            (vec![member("सुनीता देवी", Relation::Head, Birth::Unknown)], vec![]),
            (
                vec![member("  ", Relation::Head, Birth::Age { years: 30 })],
                vec![("members.0.name", FieldErrorCode::Required)],
            ),
            (
                vec![member("Ram", Relation::Son, Birth::Unknown)],
                vec![("members.0.relation", FieldErrorCode::HeadMustBeFirst)],
            ),
            (
                vec![
                    member("Ram", Relation::Head, Birth::Age { years: 121 }),
                    member("Sita", Relation::Head, future),
                ],
                vec![
                    ("members.0.birth", FieldErrorCode::AgeTooHigh),
                    ("members.1.relation", FieldErrorCode::OnlyOneHead),
                    ("members.1.birth", FieldErrorCode::BirthInFuture),
                ],
            ),
            (
                vec![member(&"क".repeat(MAX_NAME_CHARS + 1), Relation::Head, Birth::Unknown)],
                vec![("members.0.name", FieldErrorCode::TooLong)],
            ),
            (
                vec![member("सुनीता देवी 2345 6789 0124", Relation::Head, Birth::Unknown)],
                vec![("members.0.name", FieldErrorCode::AadhaarNumber)],
            ),
        ];
        for (members, want) in cases {
            let got = codes(input(members.clone()).validate(today));
            let want: Vec<_> = want.into_iter().map(|(f, c)| (f.to_owned(), c)).collect();
            assert_eq!(got, want, "members: {members:?}");
        }
    }

    #[test]
    fn validation_tidies_whitespace() {
        let today: NaiveDate = "2026-11-23".parse().unwrap();
        let ok =
            input(vec![member("  सुनीता   देवी ", Relation::Head, Birth::Unknown)]).validate(today).unwrap();
        assert_eq!(ok.members[0].name, "सुनीता देवी");
        assert_eq!(ok.address, "वार्ड 4");
    }
}
