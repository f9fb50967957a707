//! A household described with a mistake is refused, never half-read: a misspelt key, a fact
//! written with its prefix, an age given where the date of birth is asked, a scheme code that does
//! not exist. One row per mistake: the document, where the error points, and words of its message.

use serde_json::json;

#[test]
fn every_mistake_is_named_with_what_to_write_instead() {
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    let rows: Vec<(serde_json::Value, &str, &str)> = vec![
        (
            json!({"househld": {"bpl_status": "bpl"}, "members": [{}]}),
            "househld",
            "did you mean \"household\"",
        ),
        (json!({"household": {}, "membres": [{}]}), "membres", "did you mean \"members\""),
        (json!({"members": [{"person.sex": "female"}]}), "members[0].person.sex", "write \"sex\""),
        (
            json!({"members": [{"marital_statsu": "widowed"}]}),
            "members[0].marital_statsu",
            "did you mean person.marital_status",
        ),
        (json!({"members": [{"age_years": 67}]}), "members[0].age_years", "give \"date_of_birth\""),
        (
            json!({"members": [{"receiving": ["NSAP_IGNOAP"]}]}),
            "members[0].receiving",
            "NSAP_IGNOAP is not a scheme of the catalogue; did you mean NSAP_IGNOAPS?",
        ),
        (
            json!({"household": {"receiving": ["NO_SUCH_THING_AT_ALL"]}}),
            "household.receiving",
            "not a scheme",
        ),
    ];
    for (doc, path, words) in rows {
        let errors = cat.read_household(&doc).expect_err(&format!("{doc} was accepted"));
        assert!(
            errors.iter().any(|e| e.path == path && e.message.contains(words)),
            "{doc}: expected {path}: …{words}…, got {errors:?}"
        );
    }
    // And a right document is read.
    let ok = json!({"household": {"bpl_status": "bpl"}, "members": [{"sex": "female", "receiving": ["NSAP_IGNWPS"]}]});
    assert!(cat.read_household(&ok).is_ok());
}
