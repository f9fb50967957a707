//! The baseline survey shipped in `schema/forms/`: it loads without a single warning (every
//! text in both languages, every column used), its markdown and its .xlsx are the same form,
//! and a household surveyed with it gives facts the eligibility engine accepts.

use chrono::NaiveDate;
use samanvaya_forms::{Answers, Form, evaluate, facts, load_file};
use samanvaya_rules::Catalogue;

mod common;
use common::catalogue;

fn baseline(catalogue: &Catalogue) -> Form {
    let (name, bytes) = samanvaya_schema::BASELINE_FORM;
    load_file(name, bytes, catalogue)
        .unwrap_or_else(|e| panic!("the shipped baseline survey does not load: {e}"))
}

/// What a reviewer would compare: every item with its type, labels, logic and mapping.
fn summary(form: &Form) -> Vec<String> {
    let mut out = vec![format!("{} {} {:?}", form.id, form.version, form.title)];
    for i in form.walk() {
        out.push(format!(
            "{} {:?} {:?} {:?} req={:?} rel={:?} con={:?} calc={:?} count={:?} fact={:?}",
            i.name,
            i.kind,
            i.label,
            i.hint,
            i.required,
            i.relevant,
            i.constraint,
            i.calculation,
            i.repeat_count,
            i.maps_to
        ));
    }
    for l in form.lists.values() {
        for c in &l.choices {
            out.push(format!("{} {} {:?} {:?}", l.name, c.name, c.label, c.columns));
        }
    }
    out
}

#[test]
fn the_shipped_xlsx_loads_without_warnings_and_matches_its_markdown() {
    let catalogue = catalogue();
    let xlsx = baseline(&catalogue);
    assert!(xlsx.warnings.is_empty(), "warnings: {:#?}", xlsx.warnings);
    assert_eq!(xlsx.consent.as_deref(), Some("consent"));
    assert_eq!(xlsx.members.as_deref(), Some("members"));
    let md_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/forms/baseline.md");
    let md = load_file("baseline.md", &std::fs::read(md_path).unwrap(), &catalogue).unwrap();
    let (a, b) = (summary(&md), summary(&xlsx));
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x, y,
            "baseline.md and baseline.xlsx differ: run scripts/form-xlsx schema/forms/baseline.md schema/forms/baseline.xlsx"
        );
    }
    assert_eq!(a.len(), b.len(), "baseline.md and baseline.xlsx differ in length");
}

fn member(
    name: &str,
    relation: &str,
    sex: &str,
    more: &[(&str, &str)],
) -> std::collections::BTreeMap<String, String> {
    let mut m: std::collections::BTreeMap<String, String> =
        [("m_name", name), ("relation", relation), ("sex", sex)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    for (k, v) in more {
        m.insert(k.to_string(), v.to_string());
    }
    m
}

#[test]
fn a_household_of_six_gives_facts_the_engine_accepts() {
    let catalogue = catalogue();
    let form = baseline(&catalogue);
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut answers = Answers::default();
    for (k, v) in [
        ("consent", "yes"),
        ("hamlet", "पूर्वी टोला"),
        ("house_type", "kucha"),
        ("water", "handpump_tubewell"),
        ("toilet", "no"),
        ("electricity", "yes"),
        ("fuel", "wood"),
        ("lpg_other", "no"),
        ("ration", "phh"),
        ("bpl", "bpl"),
        ("pmjay_list", "dont_know"),
        ("owns_land", "yes"),
        ("land_acres", "0.5"),
        ("income", "84000"),
        ("hh_receiving", "NFSA_PHH"),
        ("member_count", "6"),
        ("all_listed", "yes"),
    ] {
        answers.values.insert(k.into(), v.into());
    }
    answers.repeats.insert(
        "members".into(),
        vec![
            member(
                "शांति देवी",
                "head",
                "female",
                &[
                    ("dob_known", "no"),
                    ("age", "62"),
                    ("marital", "widowed"),
                    ("caste", "ebc"),
                    ("documents", "aadhaar bank"),
                    ("aadhaar_last4", "0421"),
                    ("m_receiving", "none"),
                ],
            ),
            member(
                "रमेश",
                "son",
                "male",
                &[
                    ("dob_known", "yes"),
                    ("dob", "1988-04-02"),
                    ("marital", "married"),
                    ("occupation", "casual_labour"),
                    ("documents", "aadhaar"),
                ],
            ),
            member(
                "सुनीता",
                "daughter_in_law",
                "female",
                &[
                    ("dob_known", "yes"),
                    ("dob", "1996-01-15"),
                    ("marital", "married"),
                    ("pregnant", "yes"),
                    ("lactating", "no"),
                    ("children_alive", "2"),
                    ("shg", "yes"),
                    ("safety", "no"),
                ],
            ),
            member(
                "पूजा",
                "grandchild",
                "female",
                &[
                    ("dob_known", "yes"),
                    ("dob", "2015-06-01"),
                    ("in_school", "yes"),
                    ("education", "primary"),
                ],
            ),
            member("राजू", "grandchild", "male", &[("dob_known", "no"), ("age", "4")]),
            member(
                "कमला",
                "other_relative",
                "female",
                &[
                    ("dob_known", "no"),
                    ("age", "45"),
                    ("disability", "yes"),
                    ("disability_pct", "60"),
                    ("marital", "deserted"),
                    ("without_support", "yes"),
                ],
            ),
        ],
    );
    let state = evaluate(&form, &answers, today);
    let problems: Vec<String> =
        state.problems().map(|q| format!("{:?}: {}", q.slot, q.problem.as_ref().unwrap().en)).collect();
    assert!(problems.is_empty(), "{problems:#?}");
    // The women's module is asked of the women of 15 and over only.
    assert!(state.get("pregnant", Some(2)).unwrap().relevant);
    assert!(!state.get("pregnant", Some(3)).unwrap().relevant, "a girl of 11 is not asked");
    assert!(!state.get("pregnant", Some(1)).unwrap().relevant, "a man is not asked");
    assert!(!state.get("pregnant", Some(0)).unwrap().relevant, "a woman of 62 is not asked about pregnancy");
    assert!(state.get("shg", Some(0)).unwrap().relevant, "but she is asked about her self-help group");
    let got = facts(&form, &state, &catalogue, today).unwrap();
    assert_eq!(got.consent, Some(true));
    assert_eq!(got.hamlet.as_deref(), Some("पूर्वी टोला"));
    assert_eq!(got.members.len(), 6);
    let json = got.to_eligibility_json();
    assert_eq!(
        json["household"]["has_lpg_connection"],
        serde_json::json!(false),
        "worked out from the fuel and the follow-up"
    );
    assert_eq!(
        json["household"]["in_secc_or_pmjay_list"],
        serde_json::Value::Null,
        "don't know is asked, not known"
    );
    assert_eq!(json["members"][0]["date_of_birth"], "1964-11-30");
    assert_eq!(json["members"][0]["has_aadhaar"], true);
    assert_eq!(json["members"][0]["has_disability_certificate"], false);
    assert_eq!(json["members"][2]["is_pregnant"], true);
    assert!(
        json["members"][0].get("aadhaar_last4").is_none(),
        "the Aadhaar digits stay in the submission, out of the facts"
    );
    samanvaya_rules::HouseholdFacts::from_json(&catalogue.vocab, &json)
        .unwrap_or_else(|e| panic!("the engine refuses the survey's facts: {e:?}\n{json:#}"));
}

#[test]
fn a_refusal_records_nothing() {
    let catalogue = catalogue();
    let form = baseline(&catalogue);
    let today = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let mut answers = Answers::default();
    answers.values.insert("consent".into(), "no".into());
    answers.values.insert("hamlet".into(), "पूर्वी टोला".into());
    answers.values.insert("member_count".into(), "3".into());
    let state = evaluate(&form, &answers, today);
    assert_eq!(state.problems().count(), 0, "nothing else is required after a no");
    assert!(state.get("no_consent", None).unwrap().relevant);
    let got = facts(&form, &state, &catalogue, today).unwrap();
    assert_eq!(got.consent, Some(false));
    assert_eq!((got.hamlet, got.members.len(), got.household.len()), (None, 0, 0));
}
