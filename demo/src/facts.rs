//! Facts of the demo village, so that eligibility on the demo store shows real outcomes: values
//! in proportions plausible for rural Gaya, consistent with each family's make-up, and a
//! realistic share left unknown (as after a first visit, before the full survey).

use serde_json::{Value, json};

use super::Dice;
use samanvaya_domain::{Person, Relation, Sex};

/// One recorded fact: whose (`None` = the household), its full name and value.
pub type DemoFact = (Option<usize>, &'static str, Value);
/// One scheme already received: by whom (`None` = the household), and its code.
pub type DemoReceiving = (Option<usize>, &'static str);

/// Picks one of `choices` with the given weights.
fn weighted<T: Copy>(dice: &mut Dice, choices: &[(T, u32)]) -> T {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut roll = dice.range(1, total);
    for (c, w) in choices {
        if roll <= *w {
            return *c;
        }
        roll -= w;
    }
    choices[0].0
}

/// Caste category as commonly associated with a surname in Gaya, for a realistic village mix.
fn caste_of(surname: &str, muslim: bool) -> &'static str {
    match surname {
        _ if muslim => "ebc",
        "पासवान" | "राम" | "रविदास" | "मांझी" | "भुइयां" => {
            "sc"
        }
        "यादव" | "कुशवाहा" | "महतो" | "कुमार" | "प्रसाद" | "चौधरी" => {
            "obc"
        }
        "साव" | "मंडल" | "चौहान" | "ठाकुर" => "ebc",
        _ => "general",
    }
}

pub fn household(
    dice: &mut Dice,
    members: &[Person],
    ages: &[u32],
    surname: &str,
    muslim: bool,
) -> (Vec<DemoFact>, Vec<DemoReceiving>) {
    let mut f: Vec<DemoFact> = Vec::new();
    let mut r: Vec<DemoReceiving> = Vec::new();
    let know = |dice: &mut Dice, percent: u32| dice.chance(percent);

    let card = weighted(dice, &[("aay", 8), ("phh", 62), ("state_non_nfsa", 2), ("none", 28)]);
    if know(dice, 90) {
        f.push((None, "household.ration_card_type", json!(card)));
    }
    match card {
        "phh" if dice.chance(95) => r.push((None, "NFSA_PHH")),
        "aay" if dice.chance(95) => r.push((None, "NFSA_AAY")),
        _ => {}
    }
    let bpl = card == "aay" || (card == "phh" && dice.chance(70)) || dice.chance(20);
    if know(dice, 75) {
        f.push((None, "household.bpl_status", json!(if bpl { "bpl" } else { "apl" })));
    }
    let income = if bpl { dice.range(24, 96) } else { dice.range(60, 300) } * 1000;
    if know(dice, 55) {
        f.push((None, "household.annual_income_inr", json!(income)));
    }
    if know(dice, 40) {
        f.push((None, "household.max_member_monthly_income_inr", json!(income / 12 / 1000 * 1000)));
    }
    let (small, medium, large) = (dice.range(1, 10), dice.range(10, 30), dice.range(30, 60));
    let land_tenths = weighted(dice, &[(0, 45), (small, 35), (medium, 15), (large, 5)]);
    if know(dice, 70) {
        f.push((None, "household.land_owned_acres", json!(f64::from(land_tenths) / 10.0)));
    }
    if know(dice, 75) {
        f.push((None, "household.owns_cultivable_land", json!(land_tenths > 0)));
    }
    let house = weighted(dice, &[("kucha", 25), ("semi_pucca", 35), ("pucca", 38), ("homeless", 2)]);
    if know(dice, 90) {
        f.push((None, "household.house_type", json!(house)));
    }
    if know(dice, 40) {
        f.push((None, "household.on_pmayg_wait_list", json!(house != "pucca" && dice.chance(45))));
    }
    if know(dice, 90) {
        f.push((None, "household.has_toilet", json!(dice.chance(70))));
    }
    let lpg = dice.chance(65);
    if know(dice, 90) {
        f.push((None, "household.has_lpg_connection", json!(lpg)));
    }
    if lpg && bpl && dice.chance(70) {
        r.push((None, "PMUY"));
    }
    let job_card = dice.chance(50);
    if know(dice, 80) {
        f.push((None, "household.has_mgnrega_job_card", json!(job_card)));
    }
    if job_card {
        r.push((None, "MGNREGA_JOB_CARD"));
    }
    for (name, known, yes) in [
        ("household.owns_four_wheeler", 85, 4),
        ("household.any_member_govt_employee", 85, 3),
        ("household.any_member_income_tax_payer", 80, 3),
        ("household.breadwinner_died_recently", 90, 1),
        ("household.member_died_recently", 90, 1),
    ] {
        if know(dice, known) {
            f.push((None, name, json!(dice.chance(yes))));
        }
    }
    if know(dice, 80) {
        f.push((None, "household.owns_two_wheeler", json!(dice.chance(25))));
    }
    if land_tenths > 0 && know(dice, 60) {
        f.push((None, "household.land_in_members_name_on_2019_02_01", json!(dice.chance(90))));
    }
    if know(dice, 40) {
        f.push((
            None,
            "household.lacks_assured_subsistence",
            json!(card == "aay" || (bpl && dice.chance(20))),
        ));
    }
    let in_secc = bpl && dice.chance(60);
    if know(dice, 50) {
        f.push((None, "household.in_secc_or_pmjay_list", json!(in_secc)));
    }
    if in_secc && dice.chance(45) {
        r.push((None, "AB_PMJAY"));
    }
    let caste = caste_of(surname, muslim);
    if know(dice, 30) {
        let mut d = Vec::new();
        if caste == "sc" {
            d.push("d5_sc_st");
        }
        if land_tenths == 0 && dice.chance(60) {
            d.push("d7_landless_manual_labour");
        }
        if house == "kucha" && dice.chance(50) {
            d.push("d1_one_room_kucha");
        }
        f.push((None, "household.secc_deprivations", json!(d)));
    }

    let caste_known = dice.chance(85);
    // Daughters of the head, eldest first, give each girl's place among the family's daughters.
    let mut daughters: Vec<usize> =
        (0..members.len()).filter(|i| members[*i].relation == Relation::Daughter).collect();
    daughters.sort_by_key(|i| std::cmp::Reverse(ages[*i]));
    let head_widowed_woman = members[0].sex == Sex::Female;
    let spouse_present = members.iter().any(|m| m.relation == Relation::Spouse);
    for (i, (p, &age)) in members.iter().zip(ages).enumerate() {
        let me = Some(i);
        let woman = p.sex == Sex::Female;
        let adult = age >= 18;
        let married = match p.relation {
            Relation::Head if woman => {
                if dice.chance(75) {
                    "widowed"
                } else {
                    "married"
                }
            }
            Relation::Head | Relation::Spouse | Relation::DaughterInLaw => "married",
            Relation::Mother | Relation::Father => {
                if dice.chance(70) {
                    "widowed"
                } else {
                    "married"
                }
            }
            Relation::Son if adult && age >= 22 => "married",
            _ if adult && dice.chance(40) => "married",
            _ => "never_married",
        };
        if know(dice, 92) {
            f.push((me, "person.marital_status", json!(married)));
        }
        if caste_known {
            f.push((me, "person.caste_category", json!(caste)));
        }
        if know(dice, 95) {
            f.push((me, "person.religion", json!(if muslim { "muslim" } else { "hindu" })));
        }
        let disability = if dice.chance(4) { dice.range(40, 90) } else { 0 };
        if know(dice, 85) {
            f.push((me, "person.disability_percent", json!(disability)));
            f.push((me, "person.has_disability", json!(disability > 0)));
        }
        if let Some(order) = daughters.iter().position(|d| *d == i)
            && know(dice, 80)
        {
            f.push((me, "person.birth_order_among_girls", json!(order + 1)));
        }
        if age < 18 && matches!(p.relation, Relation::Son | Relation::Daughter) && know(dice, 80) {
            let status = if head_widowed_woman || !spouse_present { "one_dead" } else { "both_alive" };
            f.push((me, "person.parents_status", json!(status)));
        }
        for (name, known) in [
            ("person.is_pvtg", 80),
            ("person.is_registered_professional", 80),
            ("person.holds_constitutional_or_elected_post", 85),
            ("person.child_or_parent_has_hiv_leprosy", 60),
        ] {
            if know(dice, known) {
                f.push((me, name, json!(false)));
            }
        }
        if disability > 0 && know(dice, 70) {
            f.push((me, "person.has_disability_certificate", json!(dice.chance(50))));
        }
        if know(dice, 92) {
            f.push((me, "person.has_aadhaar", json!(dice.chance(96))));
        }
        // Bank accounts are asked of everyone from 10 years (minors' accounts exist).
        let bank = if adult { dice.chance(82) } else { dice.chance(25) };
        if age >= 10 && know(dice, 85) {
            f.push((me, "person.has_bank_account", json!(bank)));
        }
        if bank && dice.chance(50) {
            r.push((me, "PMJDY"));
        }
        // The survey asks about pregnancy only of married women aged 15–49; for everyone else
        // its skip logic records the answer as "no", and so does the demo.
        if woman && married == "married" && (15..=49).contains(&age) {
            let pregnant = dice.chance(8);
            if know(dice, 60) {
                f.push((me, "person.is_pregnant", json!(pregnant)));
            }
            if pregnant && know(dice, 70) {
                f.push((me, "person.current_pregnancy_order", json!(dice.range(1, 4))));
            }
            if know(dice, 50) {
                f.push((me, "person.is_lactating", json!(!pregnant && dice.chance(12))));
            }
            if know(dice, 70) {
                f.push((me, "person.living_children_count", json!(dice.range(0, 4))));
            }
        } else {
            f.push((me, "person.is_pregnant", json!(false)));
            f.push((me, "person.is_lactating", json!(false)));
        }
        if (18..=65).contains(&age) {
            let occupation = if woman {
                weighted(
                    dice,
                    &[
                        ("homemaker", 45),
                        ("agricultural_labour", 25),
                        ("casual_labour", 8),
                        ("home_based_worker", 10),
                        ("domestic_worker", 5),
                        ("aww_awh_asha", 2),
                        ("self_employed_nonfarm", 5),
                    ],
                )
            } else {
                weighted(
                    dice,
                    &[
                        ("casual_labour", 28),
                        ("agricultural_labour", 22),
                        ("cultivator", 15),
                        ("construction_worker", 10),
                        ("self_employed_nonfarm", 7),
                        ("salaried_private_informal", 9),
                        ("street_vendor", 4),
                        ("salaried_govt", 2),
                        ("unemployed", 3),
                    ],
                )
            };
            if know(dice, 75) {
                f.push((me, "person.occupation", json!(occupation)));
            }
            if occupation == "construction_worker" {
                if know(dice, 50) {
                    f.push((me, "person.construction_days_last_12m", json!(dice.range(40, 250))));
                }
            } else if occupation != "casual_labour" {
                // Only construction and casual workers are asked for their construction days.
                f.push((me, "person.construction_days_last_12m", json!(0)));
            }
            if know(dice, 50) && occupation != "homemaker" {
                f.push((me, "person.monthly_income_inr", json!(dice.range(3, 15) * 1000)));
            }
            if know(dice, 85) {
                f.push((me, "person.is_govt_employee", json!(occupation == "salaried_govt")));
                // Whoever has not retired has not retired from a government job; a retired
                // member's past employer is left for the survey to ask.
                if occupation != "retired" {
                    f.push((me, "person.is_retired_govt_employee", json!(false)));
                }
            }
            if know(dice, 60) {
                f.push((
                    me,
                    "person.is_epfo_esic_nps_member",
                    json!(occupation == "salaried_govt" || dice.chance(5)),
                ));
            }
            if woman && age <= 60 && know(dice, 70) {
                f.push((me, "person.is_shg_member", json!(dice.chance(45))));
            }
            if know(dice, 70) {
                f.push((me, "person.has_mobile", json!(dice.chance(70))));
            }
        }
        if adult {
            if know(dice, 80) {
                f.push((me, "person.is_income_tax_payer", json!(dice.chance(2))));
            }
            if know(dice, 60) {
                f.push((me, "person.was_ever_income_tax_payer", json!(dice.chance(3))));
            }
            if know(dice, if age >= 60 { 85 } else { 70 }) {
                f.push((me, "person.receives_govt_pension", json!(age >= 60 && dice.chance(5))));
            }
            if know(dice, 60) {
                let years = if p.relation == Relation::DaughterInLaw {
                    age.saturating_sub(dice.range(17, 22))
                } else {
                    age
                };
                f.push((me, "person.years_resident_in_state", json!(years)));
            }
            if know(dice, 70) {
                f.push((me, "person.is_domicile", json!(dice.chance(97))));
            }
        }
        // Schooling is asked of everyone aged 5 to 24; older members are recorded as not enrolled.
        if (5..=24).contains(&age) {
            let enrolled = if age <= 18 { dice.chance(85) } else { dice.chance(30) };
            if know(dice, 85) {
                f.push((me, "person.school_enrolled", json!(enrolled)));
            }
            if enrolled && know(dice, 80) {
                f.push((me, "person.current_class", json!((age.saturating_sub(5)).clamp(1, 15))));
            }
            if enrolled && know(dice, 75) {
                let school = if dice.chance(75) { "govt" } else { "private_recognised" };
                f.push((me, "person.school_type", json!(school)));
            }
            if enrolled && know(dice, 60) {
                f.push((me, "person.school_attendance_percent", json!(dice.range(55, 98))));
            }
            if age < 18 && know(dice, 90) {
                f.push((me, "person.occupation", json!(if enrolled { "student" } else { "none" })));
            }
        } else if age > 24 {
            f.push((me, "person.school_enrolled", json!(false)));
        }
        if age > 65 && know(dice, 75) {
            f.push((me, "person.occupation", json!(if dice.chance(70) { "none" } else { "cultivator" })));
        }
        // Education is asked of everyone over 14; the class 10 result only of those who reached it.
        if age >= 15 && know(dice, 85) {
            let level = weighted(
                dice,
                &[
                    ("none", 30),
                    ("literate_no_schooling", 8),
                    ("primary", 14),
                    ("upper_primary", 16),
                    ("secondary", 15),
                    ("higher_secondary", 10),
                    ("graduate", 7),
                ],
            );
            f.push((me, "person.education_level", json!(level)));
            f.push((me, "person.class12_passed", json!(matches!(level, "higher_secondary" | "graduate"))));
            f.push((me, "person.is_graduate", json!(level == "graduate")));
            if matches!(level, "none" | "literate_no_schooling" | "primary" | "upper_primary") {
                f.push((me, "person.class10_division", json!("not_passed")));
            } else if know(dice, 60) {
                let division = weighted(dice, &[("first", 30), ("second", 50), ("third", 20)]);
                f.push((me, "person.class10_division", json!(division)));
            }
        }
        if age < 18 && know(dice, 60) {
            f.push((me, "person.birth_registered", json!(dice.chance(80))));
        }
        if age < 5 {
            f.push((me, "person.occupation", json!("none")));
        }
        if age < 6 && dice.chance(40) {
            r.push((me, "ICDS_SNP"));
        }
        let pensions_before = r.len();
        if age >= 60 {
            if bpl && dice.chance(50) {
                r.push((me, "NSAP_IGNOAPS"));
            } else if !bpl && dice.chance(55) {
                r.push((me, "BR_MVPY"));
            }
        } else if woman && married == "widowed" && age >= 40 && bpl && dice.chance(40) {
            r.push((me, "NSAP_IGNWPS"));
        }
        if adult && know(dice, if age >= 60 { 90 } else { 75 }) {
            f.push((me, "person.receives_social_security_pension", json!(r.len() > pensions_before)));
        }
    }
    // Most first visits list everyone; some leave open whether a member working away was missed.
    if know(dice, 88) {
        f.push((None, "household.all_members_listed", json!(true)));
    }
    (f, r)
}
