//! A member of a household: who they are to the head, their sex and when they were born.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::ids::PersonId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Sex {
    Female,
    Male,
    Other,
}

impl Sex {
    pub const ALL: [Sex; 3] = [Self::Female, Self::Male, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Relation to the head of the household, as the baseline survey records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Relation {
    Head,
    Spouse,
    Son,
    Daughter,
    SonInLaw,
    DaughterInLaw,
    Grandson,
    Granddaughter,
    Father,
    Mother,
    FatherInLaw,
    MotherInLaw,
    Brother,
    Sister,
    BrotherInLaw,
    SisterInLaw,
    OtherRelative,
    NotRelated,
}

impl Relation {
    pub const ALL: [Relation; 18] = [
        Self::Head,
        Self::Spouse,
        Self::Son,
        Self::Daughter,
        Self::SonInLaw,
        Self::DaughterInLaw,
        Self::Grandson,
        Self::Granddaughter,
        Self::Father,
        Self::Mother,
        Self::FatherInLaw,
        Self::MotherInLaw,
        Self::Brother,
        Self::Sister,
        Self::BrotherInLaw,
        Self::SisterInLaw,
        Self::OtherRelative,
        Self::NotRelated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::Spouse => "spouse",
            Self::Son => "son",
            Self::Daughter => "daughter",
            Self::SonInLaw => "son_in_law",
            Self::DaughterInLaw => "daughter_in_law",
            Self::Grandson => "grandson",
            Self::Granddaughter => "granddaughter",
            Self::Father => "father",
            Self::Mother => "mother",
            Self::FatherInLaw => "father_in_law",
            Self::MotherInLaw => "mother_in_law",
            Self::Brother => "brother",
            Self::Sister => "sister",
            Self::BrotherInLaw => "brother_in_law",
            Self::SisterInLaw => "sister_in_law",
            Self::OtherRelative => "other_relative",
            Self::NotRelated => "not_related",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What the facilitator knows of a birth: the date, only the stated age, or nothing.
///
/// Many people in a village know their age but not their date of birth; the age is kept as an
/// estimated date so that it keeps growing correctly, and is marked as an estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum Birth {
    Date { date: NaiveDate },
    Age { years: u32 },
    Unknown,
}

/// The oldest age the form accepts; anything above is almost certainly a typing mistake.
pub const MAX_AGE_YEARS: u32 = 120;

impl Birth {
    /// The birth date to store and whether it is an estimate, as of the day the answer was given.
    pub fn resolve(self, as_of: NaiveDate) -> (Option<NaiveDate>, bool) {
        match self {
            Self::Date { date } => (Some(date), false),
            Self::Age { years } => (as_of.checked_sub_months(Months::new(years * 12)), true),
            Self::Unknown => (None, false),
        }
    }
}

/// Completed years between `birth` and `on`; `None` when `on` is before `birth`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> Option<u32> {
    if on < birth {
        return None;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Why a member no longer lives in the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum LeftReason {
    Died,
    MovedAway,
}

impl LeftReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LeftReason::Died => "died",
            LeftReason::MovedAway => "moved_away",
        }
    }

    pub fn parse(s: &str) -> Option<LeftReason> {
        match s {
            "died" => Some(LeftReason::Died),
            "moved_away" => Some(LeftReason::MovedAway),
            _ => None,
        }
    }
}

/// A member who died or moved away, and when. The member stays in the household's record with
/// everything recorded of them (a death matters to a widow's pension and a family benefit), but is
/// no longer counted, screened or listed among those who live there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Departure {
    pub reason: LeftReason,
    pub on: NaiveDate,
}

/// A member as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub relation: Relation,
    pub sex: Sex,
    pub birth_date: Option<NaiveDate>,
    /// True when the birth date was worked out from a stated age.
    pub birth_date_estimated: bool,
    /// Set when the member died or moved away; absent for a member who lives in the household.
    #[serde(default)]
    pub left: Option<Departure>,
}

impl Person {
    /// A member known so far only by id, whose fields arrive one by one (from a pulled change or
    /// a survey's roster); nothing of them is guessed but a placeholder relation and sex.
    pub fn unnamed(id: PersonId) -> Person {
        Person {
            id,
            name: String::new(),
            relation: Relation::OtherRelative,
            sex: Sex::Other,
            birth_date: None,
            birth_date_estimated: false,
            left: None,
        }
    }

    pub fn age_on(&self, on: NaiveDate) -> Option<u32> {
        self.birth_date.and_then(|b| age_on(b, on))
    }

    /// The member as the form shows it for editing: a birth date known as a date, an estimated
    /// one as the age on `today`, as it was entered.
    pub fn as_input(&self, today: NaiveDate) -> PersonInput {
        PersonInput {
            id: Some(self.id),
            name: self.name.clone(),
            relation: self.relation,
            sex: self.sex,
            birth: match (self.birth_date, self.age_on(today)) {
                (Some(_), Some(years)) if self.birth_date_estimated => Birth::Age { years },
                (Some(date), _) => Birth::Date { date },
                (None, _) => Birth::Unknown,
            },
            left: self.left,
        }
    }
}

/// A member as the form sends it; `id` is absent for a member added in this edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct PersonInput {
    pub id: Option<PersonId>,
    pub name: String,
    pub relation: Relation,
    pub sex: Sex,
    pub birth: Birth,
    /// The member died or moved away (and when); absent while they live in the household.
    #[serde(default)]
    pub left: Option<Departure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_counts_completed_years() {
        let cases = [
            ("1964-03-10", "2024-03-09", Some(59)),
            ("1964-03-10", "2024-03-10", Some(60)),
            ("2000-02-29", "2021-02-28", Some(20)),
            ("2000-02-29", "2021-03-01", Some(21)),
            ("2024-01-01", "2023-12-31", None),
        ];
        for (birth, on, want) in cases {
            assert_eq!(age_on(d(birth), d(on)), want, "born {birth}, on {on}");
        }
    }

    #[test]
    fn a_stated_age_becomes_an_estimated_date_that_gives_that_age_back() {
        let as_of = d("2026-11-23");
        let (date, estimated) = Birth::Age { years: 62 }.resolve(as_of);
        assert!(estimated);
        assert_eq!(age_on(date.unwrap(), as_of), Some(62));
        assert_eq!(Birth::Unknown.resolve(as_of), (None, false));
        let exact = Birth::Date { date: d("1990-05-01") };
        assert_eq!(exact.resolve(as_of), (Some(d("1990-05-01")), false));
    }

    #[test]
    fn enum_names_round_trip() {
        for r in Relation::ALL {
            assert_eq!(Relation::parse(r.as_str()), Some(r));
        }
        for s in Sex::ALL {
            assert_eq!(Sex::parse(s.as_str()), Some(s));
        }
    }
}
