//! The demo village: a deterministic, realistic village in Gaya district, Bihar, that fills an
//! empty store so that a new user, a trainer or a test sees real screens from the first start.
//!
//! The same seed always gives the same households, names, ages and ids, so screenshots and tests
//! can rely on it. The place names are real; the village and its people are invented.
//!
//! The demo writes through the store's public API like any other producer of households: it
//! marks the store as a demo store first, so nothing it writes is ever queued to travel.

mod facts;
mod names;

use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use samanvaya_core::{ImportedHousehold, Moment, Store, StoreError};
use samanvaya_domain::change::Source;
use samanvaya_domain::{
    Consent, Household, HouseholdId, Location, LocationId, LocationLevel, Person, PersonId, Relation, Sex,
};
use samanvaya_eligibility::record::Who;
use uuid::Uuid;

/// How many households the demo village has.
pub const HOUSEHOLDS: usize = 300;

/// The day the demo survey "took place"; ages are worked out from it.
fn survey_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 15).expect("valid date")
}

/// What [`fill`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub households: usize,
    pub persons: usize,
}

/// SplitMix64: a tiny, well-known deterministic generator; the demo needs repeatability, not quality.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u32) -> bool {
        self.range(1, 100) <= percent
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.next() as usize % items.len()]
    }

    /// A UUIDv7 whose time is `at` and whose random bits come from the dice.
    fn uuid(&mut self, at: DateTime<Utc>) -> Uuid {
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.next().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis() as u64, &bytes).into_uuid()
    }
}

/// Fills an empty store with the demo village; refuses a store that already has households.
pub fn fill(store: &mut Store, seed: u64) -> Result<DemoSummary, StoreError> {
    fill_households(store, seed, HOUSEHOLDS, |_| {})
}

/// How many households are written per transaction: large enough that a quarter of a million
/// fill in minutes, small enough to show progress.
const BATCH: usize = 1000;

/// Fills an empty store with `households` demo households in the one village (benchmarks use a
/// quarter of a million), calling `progress(done)` after every batch of a thousand.
pub fn fill_households(
    store: &mut Store,
    seed: u64,
    households: usize,
    mut progress: impl FnMut(usize),
) -> Result<DemoSummary, StoreError> {
    store.begin_demo()?;
    let mut dice = Dice(seed);
    let start = Utc.with_ymd_and_hms(2026, 1, 15, 9, 30, 0).single().expect("valid time");
    let (places, village, hamlets) = places(&mut dice, start);
    store.add_places(&places, &[village])?;
    store.grant_demo_numbers(1, 9999.max(households as i64))?;

    let mut persons = 0;
    let mut batch = Vec::with_capacity(BATCH);
    let taken_by = store.who().name.clone();
    for i in 0..households {
        // Surveys happen in daylight: about 12 households a day, spaced through the day.
        let at = start + Duration::days(i as i64 / 12) + Duration::minutes(35 * (i as i64 % 12));
        let family = family(&mut dice, at);
        let (facts, receiving) =
            facts::household(&mut dice, &family.members, &family.ages, family.surname, family.muslim);
        let members = family.members;
        persons += members.len();
        let who = |w: Option<usize>| w.map_or(Who::Household, Who::Member);
        batch.push(ImportedHousehold {
            household: Household {
                id: HouseholdId(dice.uuid(at)),
                number: None,
                village_id: village,
                hamlet_id: Some(hamlets[dice.range(0, hamlets.len() as u32 - 1) as usize]),
                address: format!("वार्ड नं. {}", dice.range(1, 12)),
                phone: String::new(),
                // The demo family agreed at the visit, through its head, as a real one would
                // before its first question.
                consent: Some(Consent {
                    respondent: members.first().map(|p| p.id),
                    taken_by: taken_by.clone(),
                    taken_at: at,
                }),
                members,
                created_at: at,
                updated_at: at,
            },
            facts: facts.into_iter().map(|(w, n, v)| (who(w), n.to_owned(), v)).collect(),
            receiving: receiving.into_iter().map(|(w, c)| (who(w), c.to_owned())).collect(),
            source: Source::Demo,
        });
        if batch.len() == BATCH || i + 1 == households {
            store.import(std::mem::take(&mut batch), Moment::in_india(at))?;
            progress(i + 1);
        }
    }
    Ok(DemoSummary { households, persons })
}

/// Bihar → Gaya → Bodh Gaya → the invented panchayat and village of Sahpur, and four hamlets:
/// the places (parents first), the village, and the hamlets.
fn places(dice: &mut Dice, at: DateTime<Utc>) -> (Vec<Location>, LocationId, Vec<LocationId>) {
    let chain = [
        (LocationLevel::State, Some("10"), "Bihar", "बिहार"),
        (LocationLevel::District, Some("212"), "Gaya", "गया"),
        (LocationLevel::Block, None, "Bodh Gaya", "बोधगया"),
        (LocationLevel::GramPanchayat, None, "Sahpur", "सहपुर"),
        (LocationLevel::Village, None, "Sahpur", "सहपुर"),
    ];
    let mut out = Vec::new();
    let mut parent = None;
    for (level, code, en, hi) in chain {
        let id = LocationId(dice.uuid(at));
        out.push(Location {
            id,
            level,
            parent_id: parent,
            lgd_code: code.map(str::to_owned),
            name_en: en.into(),
            name_hi: hi.into(),
        });
        parent = Some(id);
    }
    let village = parent.expect("the chain ends with the village");
    let mut hamlets = Vec::new();
    for (en, hi) in names::HAMLETS {
        let id = LocationId(dice.uuid(at));
        out.push(Location {
            id,
            level: LocationLevel::Hamlet,
            parent_id: Some(village),
            lgd_code: None,
            name_en: (*en).into(),
            name_hi: (*hi).into(),
        });
        hamlets.push(id);
    }
    (out, village, hamlets)
}

/// One family as a surveyor would find it: a head, usually a spouse, children, sometimes an
/// elderly parent or a married son with his wife and children.
fn family(dice: &mut Dice, at: DateTime<Utc>) -> Family<'static> {
    let muslim = dice.chance(8);
    let surname = if muslim { dice.pick(names::MUSLIM_SURNAMES) } else { dice.pick(names::SURNAMES) };
    let mut f = Family { members: Vec::new(), ages: Vec::new(), muslim, surname, at };
    // About one household in seven is headed by a woman, most often a widow.
    let woman_head = dice.chance(14);
    let head_age = if woman_head { dice.range(28, 82) } else { dice.range(22, 78) };
    let head_sex = if woman_head { Sex::Female } else { Sex::Male };
    f.add(dice, Relation::Head, head_sex, head_age, true);

    // The age of the mother of the head's children, if the head has children: a woman head's own,
    // the wife's, or for a widower what his late wife's would be. Young single men have none.
    let mut mother_age = None;
    if woman_head {
        mother_age = Some(head_age);
    } else if dice.chance(92) {
        let age = head_age.saturating_sub(dice.range(2, 8)).max(18);
        f.add(dice, Relation::Spouse, Sex::Female, age, true);
        mother_age = Some(age);
    } else if head_age >= 30 {
        mother_age = Some(head_age.saturating_sub(4));
    }

    if let Some(mother) = mother_age {
        let oldest = mother.saturating_sub(18).min(30);
        let married_son = head_age >= 48 && oldest >= 22 && dice.chance(55);
        let children = if mother > 45 { dice.range(0, 3) } else { dice.range(1, 4) };
        for _ in 0..children {
            let age = dice.range(0, oldest.max(1));
            let sex = if dice.chance(50) { Sex::Female } else { Sex::Male };
            let relation = if sex == Sex::Female { Relation::Daughter } else { Relation::Son };
            f.add(dice, relation, sex, age, false);
        }
        if married_son {
            let son_age = dice.range(22, oldest.max(22));
            f.add(dice, Relation::Son, Sex::Male, son_age, true);
            let wife_age = son_age.saturating_sub(dice.range(1, 5)).max(18);
            f.add(dice, Relation::DaughterInLaw, Sex::Female, wife_age, true);
            for _ in 0..dice.range(0, 3) {
                let sex = if dice.chance(50) { Sex::Female } else { Sex::Male };
                let relation = if sex == Sex::Female { Relation::Granddaughter } else { Relation::Grandson };
                let age = dice.range(0, wife_age.saturating_sub(18).min(12));
                f.add(dice, relation, sex, age, false);
            }
        }
    }
    let single = f.members.len() == 1;
    if head_age < 55 && dice.chance(if single { 85 } else { 35 }) {
        let age = (head_age + dice.range(20, 28)).min(95);
        let (relation, sex) =
            if dice.chance(75) { (Relation::Mother, Sex::Female) } else { (Relation::Father, Sex::Male) };
        f.add(dice, relation, sex, age, true);
    }
    f
}

/// A family being put together by [`family`].
struct Family<'a> {
    members: Vec<Person>,
    /// Each member's age on the survey day, the same order as `members`.
    ages: Vec<u32>,
    muslim: bool,
    surname: &'a str,
    at: DateTime<Utc>,
}

impl Family<'_> {
    fn add(&mut self, dice: &mut Dice, relation: Relation, sex: Sex, age: u32, married: bool) {
        // Two members of one family are not given the same name.
        let mut name = person_name(dice, sex, married, self.muslim, self.surname);
        while self.members.iter().any(|m| m.name == name) {
            name = person_name(dice, sex, married, self.muslim, self.surname);
        }
        let (birth_date, birth_date_estimated) = birth(dice, age);
        self.ages.push(age);
        self.members.push(Person {
            id: PersonId(dice.uuid(self.at)),
            name,
            relation,
            sex,
            birth_date,
            birth_date_estimated,
            left: None,
        });
    }
}

/// Married women are commonly recorded as "<name> देवी", girls as "<name> कुमारी", men and boys
/// with the family's surname.
fn person_name(dice: &mut Dice, sex: Sex, married: bool, muslim: bool, surname: &str) -> String {
    match (sex, muslim) {
        (Sex::Female, false) => {
            let first = dice.pick(names::WOMEN);
            if married { format!("{first} देवी") } else { format!("{first} कुमारी") }
        }
        (Sex::Female, true) => {
            format!("{} {}", dice.pick(names::MUSLIM_WOMEN), if married { "ख़ातून" } else { "परवीन" })
        }
        (_, false) => format!("{} {surname}", dice.pick(names::MEN)),
        (_, true) => format!("{} {surname}", dice.pick(names::MUSLIM_MEN)),
    }
}

/// Most members know their date of birth from an Aadhaar or ration card; a quarter only know
/// their age, and a few nothing at all: the demo carries the same mix.
fn birth(dice: &mut Dice, age: u32) -> (Option<NaiveDate>, bool) {
    let day = survey_day();
    match dice.range(1, 100) {
        1..=70 => {
            // A day strictly inside the year before the last birthday keeps the age exact.
            let birthday = day.checked_sub_months(Months::new(age * 12));
            (birthday.map(|b| b - Duration::days(i64::from(dice.range(1, 364)))), false)
        }
        71..=95 => (day.checked_sub_months(Months::new(age * 12)), true),
        _ => (None, false),
    }
}
