//! A question is never asked where its answer is already implied: a man, a girl of five and a
//! woman of 66 are not asked whether they are pregnant or breastfeeding, and a person whose
//! disability is certified at 0% is not asked whether she has one. One row per member: what is
//! known of her, and whether each bounded question may be asked.

use chrono::NaiveDate;
use samanvaya_rules::{HouseholdFacts, ask_next, assess};
use serde_json::json;

#[test]
fn questions_outside_their_bounds_are_never_asked() {
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    let as_of: NaiveDate = "2026-11-01".parse().unwrap();
    // (member, asked about pregnancy?, asked about a disability?)
    let rows = [
        (json!({"id": "man", "sex": "male", "date_of_birth": "1986-01-01"}), false, true),
        (json!({"id": "girl", "sex": "female", "date_of_birth": "2021-06-01"}), false, true),
        (json!({"id": "elder", "sex": "female", "date_of_birth": "1960-01-01"}), false, true),
        (json!({"id": "young", "sex": "female", "date_of_birth": "1998-01-01"}), true, true),
        (
            json!({"id": "certified0", "sex": "female", "date_of_birth": "1990-01-01", "disability_percent": 0}),
            true,
            false,
        ),
        // Nothing known of her age: the question stays, since she may be of the ages it applies to.
        (json!({"id": "unknown-age", "sex": "female"}), true, true),
    ];
    let members: Vec<serde_json::Value> = rows.iter().map(|r| r.0.clone()).collect();
    let doc = json!({"household": {"state": "bihar", "bpl_status": "bpl"}, "members": members});
    let facts = HouseholdFacts::from_json(&cat.vocab, &doc).unwrap();
    let asked: Vec<(String, String)> = ask_next(&assess(&cat, &facts, as_of))
        .into_iter()
        .filter_map(|q| {
            Some((facts.members[q.missing.member?].id.clone(), cat.vocab.get(q.missing.fact).name.clone()))
        })
        .collect();
    let is_asked = |who: &str, fact: &str| asked.iter().any(|(w, f)| w == who && f == fact);
    for (member, pregnancy, disability) in &rows {
        let who = member["id"].as_str().unwrap();
        assert_eq!(
            is_asked(who, "person.is_pregnant"),
            *pregnancy,
            "{who}: is she asked whether she is pregnant?"
        );
        assert_eq!(is_asked(who, "person.has_disability"), *disability, "{who}: asked about a disability?");
        assert_eq!(
            is_asked(who, "person.last_delivery_date"),
            *pregnancy,
            "{who}: asked when her youngest child was born?"
        );
    }
}
