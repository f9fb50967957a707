//! The demo village: a deterministic, realistic village in Gaya district, Bihar, that fills an
//! empty store so that a new user, a trainer or a test sees real screens from the first start.
//!
//! The same seed always gives the same households, names, ages and ids, so screenshots and tests
//! can rely on it. The place names are real; the village and its people are invented.

mod facts;
mod names;

use chrono::{DateTime, Duration, Months, NaiveDate, TimeZone, Utc};
use rusqlite::{Connection, TransactionBehavior};
use samanvaya_domain::{
    Household, HouseholdId, Location, LocationId, LocationLevel, Person, PersonId, Relation, Sex,
};
use uuid::Uuid;

use crate::error::StoreError;
use crate::{centre, fact, household, location, number_lease, outbox};

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
pub fn fill(conn: &mut Connection, seed: u64) -> Result<DemoSummary, StoreError> {
    fill_households(conn, seed, HOUSEHOLDS, |_| {})
}

/// Fills an empty store with `households` demo households in the one village (benchmarks use a
/// quarter of a million), calling `progress(done)` every thousand households.
pub fn fill_households(
    conn: &mut Connection,
    seed: u64,
    households: usize,
    mut progress: impl FnMut(usize),
) -> Result<DemoSummary, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing = household::count(&tx, None)?;
    if existing > 0 {
        return Err(StoreError::NotEmpty { households: existing });
    }
    let mut dice = Dice(seed);
    let start = Utc.with_ymd_and_hms(2026, 1, 15, 9, 30, 0).single().expect("valid time");
    let (village, hamlets) = places(&tx, &mut dice, start)?;
    centre::add_village(&tx, village)?;
    number_lease::grant(&tx, number_lease::HOUSEHOLD, 1, 9999.max(households as i64), "demo")?;

    let mut persons = 0;
    for i in 0..households {
        // Surveys happen in daylight: about 12 households a day, spaced through the day.
        let at = start + Duration::days(i as i64 / 12) + Duration::minutes(35 * (i as i64 % 12));
        let family = family(&mut dice, at);
        let (facts, receiving) =
            facts::household(&mut dice, &family.members, &family.ages, family.surname, family.muslim);
        let members = family.members;
        persons += members.len();
        let h = Household {
            id: HouseholdId(dice.uuid(at)),
            number: number_lease::take(&tx, number_lease::HOUSEHOLD)?,
            village_id: village,
            hamlet_id: Some(hamlets[dice.range(0, hamlets.len() as u32 - 1) as usize]),
            address: format!("वार्ड नं. {}", dice.range(1, 12)),
            members,
            created_at: at,
            updated_at: at,
        };
        household::write(&tx, &h, at)?;
        write_facts(&tx, &h, &facts, &receiving, at)?;
        if (i + 1) % 1000 == 0 {
            progress(i + 1);
        }
    }
    tx.commit()?;
    Ok(DemoSummary { households, persons })
}

/// Records the demo facts of one household, with one outbox row that carries them all.
fn write_facts(
    conn: &Connection,
    h: &Household,
    facts: &[facts::DemoFact],
    receiving: &[facts::DemoReceiving],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let hid = h.id.to_string();
    let subject = |who: Option<usize>| who.map_or_else(|| hid.clone(), |i| h.members[i].id.to_string());
    for (who, name, value) in facts {
        fact::set(conn, &hid, &subject(*who), name, &value.to_string(), "demo", at)?;
    }
    for (who, code) in receiving {
        fact::add_receiving(conn, &hid, &subject(*who), code, "demo", at)?;
    }
    let payload = serde_json::json!({
        "household_id": hid,
        "facts": facts.iter().map(|(w, n, v)| serde_json::json!({"subject_id": subject(*w), "name": n, "value": v})).collect::<Vec<_>>(),
        "receiving": receiving.iter().map(|(w, c)| serde_json::json!({"subject_id": subject(*w), "scheme": c})).collect::<Vec<_>>(),
    });
    outbox::append(conn, "facts", &hid, "seed", &payload, at)?;
    crate::profile::refresh(conn, h)?;
    Ok(())
}

/// Bihar → Gaya → Bodh Gaya → the invented panchayat and village of Sahpur, and four hamlets.
fn places(
    conn: &Connection,
    dice: &mut Dice,
    at: DateTime<Utc>,
) -> Result<(LocationId, Vec<LocationId>), StoreError> {
    let chain = [
        (LocationLevel::State, Some("10"), "Bihar", "बिहार"),
        (LocationLevel::District, Some("212"), "Gaya", "गया"),
        (LocationLevel::Block, None, "Bodh Gaya", "बोधगया"),
        (LocationLevel::GramPanchayat, None, "Sahpur", "सहपुर"),
        (LocationLevel::Village, None, "Sahpur", "सहपुर"),
    ];
    let mut parent = None;
    for (level, code, en, hi) in chain {
        let id = LocationId(dice.uuid(at));
        location::insert(
            conn,
            &Location {
                id,
                level,
                parent_id: parent,
                lgd_code: code.map(str::to_owned),
                name_en: en.into(),
                name_hi: hi.into(),
            },
        )?;
        parent = Some(id);
    }
    let village = parent.expect("the chain ends with the village");
    let mut hamlets = Vec::new();
    for (en, hi) in names::HAMLETS {
        let id = LocationId(dice.uuid(at));
        location::insert(
            conn,
            &Location {
                id,
                level: LocationLevel::Hamlet,
                parent_id: Some(village),
                lgd_code: None,
                name_en: (*en).into(),
                name_hi: (*hi).into(),
            },
        )?;
        hamlets.push(id);
    }
    Ok((village, hamlets))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_deterministic_and_realistic() {
        let mut a = Connection::open_in_memory().unwrap();
        let mut b = Connection::open_in_memory().unwrap();
        for conn in [&mut a, &mut b] {
            crate::migrate::run(conn, samanvaya_schema::LOCAL_MIGRATIONS).unwrap();
        }
        let sa = fill(&mut a, 7).unwrap();
        let sb = fill(&mut b, 7).unwrap();
        assert_eq!(sa, sb);
        assert_eq!(sa.households, 300);
        assert!((1_250..=1_550).contains(&sa.persons), "{} persons", sa.persons);
        let dump = |c: &Connection| -> Vec<(String, String, Option<String>)> {
            let mut s = c.prepare("SELECT id, name, birth_date FROM person ORDER BY id").unwrap();
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
        };
        assert_eq!(dump(&a), dump(&b));
        assert!(matches!(fill(&mut a, 7), Err(StoreError::NotEmpty { households: 300 })));
    }
}
