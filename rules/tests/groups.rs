//! Exclusive groups decide as the guidelines say: a person eligible for two pensions is shown
//! both as alternatives and counted once, under the group's first; receiving one rules the others
//! out. One row per household: its facts, then for each scheme of interest the expected outcome
//! and the scheme it is counted under (when it is an alternative).

use chrono::NaiveDate;
use samanvaya_rules::bulk::{Population, tally};
use samanvaya_rules::{HouseholdFacts, Outcome, assess};
use serde_json::json;

type Expect = (&'static str, Outcome, Option<&'static str>);

#[test]
fn alternatives_are_shown_and_counted_once() {
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    let as_of: NaiveDate = "2026-01-15".parse().unwrap();
    let widow = |extra: serde_json::Value| {
        let mut p = json!({"id": "1", "name": "शांति देवी", "sex": "female", "marital_status": "widowed",
            "date_of_birth": "1960-06-01", "receives_govt_pension": false, "receives_social_security_pension": false});
        p.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        p
    };
    // A widow heading a BPL family with no means of living: Antyodaya's own example.
    let ration = |extra: serde_json::Value| {
        let mut h = json!({"state": "bihar", "bpl_status": "bpl", "lacks_assured_subsistence": true, "ration_card_type": "none",
            "any_member_income_tax_payer": false, "any_member_govt_employee": false, "all_members_listed": true});
        h.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json!({"household": h, "members": [widow(json!({"relation_to_head": "head"}))]})
    };
    let rows: Vec<(&str, serde_json::Value, Vec<Expect>)> = vec![
        (
            "a BPL widow of 65 in Bihar: widow pension first, the old-age pensions are its alternatives",
            json!({"household": {"state": "bihar", "bpl_status": "bpl"}, "members": [widow(json!({}))]}),
            vec![
                ("NSAP_IGNWPS", Outcome::Eligible, None),
                ("NSAP_IGNOAPS", Outcome::Eligible, Some("NSAP_IGNWPS")),
                ("BR_MVPY", Outcome::Eligible, Some("NSAP_IGNWPS")),
            ],
        ),
        (
            "the same widow already on the widow pension: no second pension",
            json!({"household": {"state": "bihar", "bpl_status": "bpl"},
                   "members": [widow(json!({"receiving": ["NSAP_IGNWPS"]}))]}),
            vec![
                ("NSAP_IGNWPS", Outcome::AlreadyReceiving, None),
                ("NSAP_IGNOAPS", Outcome::NotEligible, None),
                ("BR_MVPY", Outcome::NotEligible, None),
                ("BR_LBSSPY", Outcome::NotEligible, None),
            ],
        ),
        (
            "a Bihar family whose earner died: RPLY, with the NSAP's benefit as its alternative",
            json!({"household": {"state": "bihar", "bpl_status": "bpl", "breadwinner_died_recently": true,
                                 "breadwinner_age_at_death": 42},
                   "members": [widow(json!({"date_of_birth": "1985-01-01"}))]}),
            vec![("BR_RPLY", Outcome::Eligible, None), ("NSAP_NFBS", Outcome::Eligible, Some("BR_RPLY"))],
        ),
        (
            "a destitute BPL family in Bihar: Antyodaya, with the priority card as its alternative",
            ration(json!({})),
            vec![("NFSA_AAY", Outcome::Eligible, None), ("NFSA_PHH", Outcome::Eligible, Some("NFSA_AAY"))],
        ),
        (
            "the same family holding a priority card: still eligible to move up to Antyodaya",
            ration(json!({"ration_card_type": "phh", "receiving": ["NFSA_PHH"]})),
            vec![("NFSA_AAY", Outcome::Eligible, None), ("NFSA_PHH", Outcome::AlreadyReceiving, None)],
        ),
        (
            "the same family holding an Antyodaya card: no second card",
            ration(json!({"ration_card_type": "aay", "receiving": ["NFSA_AAY"]})),
            vec![("NFSA_AAY", Outcome::AlreadyReceiving, None), ("NFSA_PHH", Outcome::NotEligible, None)],
        ),
    ];
    let mut households = Vec::new();
    for (what, doc, expect) in rows {
        let facts = HouseholdFacts::from_json(&cat.vocab, &doc).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let findings = assess(&cat, &facts, as_of);
        for (code, outcome, counted_under) in expect {
            let i = cat.schemes.iter().position(|s| s.code == code).unwrap();
            let f = findings
                .iter()
                .find(|f| f.scheme == i && f.member.is_none_or(|m| m == 0))
                .unwrap_or_else(|| panic!("{what}: no finding for {code}"));
            assert_eq!(f.outcome, outcome, "{what}: {code}");
            assert_eq!(
                f.counted_under.map(|c| cat.schemes[c].code.as_str()),
                counted_under,
                "{what}: {code}"
            );
            if outcome == Outcome::NotEligible {
                assert!(
                    f.blocked_by.is_some(),
                    "{what}: {code} is refused because of the scheme already received"
                );
            }
        }
        households.push(facts);
    }
    // The village tally counts the first widow once among the eligible: under the widow pension.
    let pop = Population::from_households(&cat.vocab, &households[..1]);
    let tallies = tally(&cat, &pop, as_of);
    let of = |code: &str| tallies.iter().find(|t| cat.schemes[t.scheme].code == code).unwrap();
    assert_eq!((of("NSAP_IGNWPS").eligible, of("NSAP_IGNWPS").alternative), (1, 0));
    assert_eq!((of("NSAP_IGNOAPS").eligible, of("NSAP_IGNOAPS").alternative), (0, 1));
    assert_eq!((of("BR_MVPY").eligible, of("BR_MVPY").alternative), (0, 1));
    // The destitute family and its two variants: counted once for a card, under Antyodaya; the
    // one holding a priority card is counted as eligible to move up.
    let pop = Population::from_households(&cat.vocab, &households[3..6]);
    let tallies = tally(&cat, &pop, as_of);
    let of = |code: &str| tallies.iter().find(|t| cat.schemes[t.scheme].code == code).unwrap();
    assert_eq!((of("NFSA_AAY").eligible, of("NFSA_AAY").already_receiving), (2, 1));
    assert_eq!(
        (of("NFSA_PHH").eligible, of("NFSA_PHH").alternative, of("NFSA_PHH").already_receiving),
        (0, 1, 1)
    );
}
