//! The referral funnel's "eligible" column is kept per slice of 1,024 households
//! (`core/src/tally.rs`). On a store of two and a half slices it must always say what the village
//! gap decides from every profile at once: when first drawn, when drawn again from the kept
//! counts, after an answer changes one household, on another day, and after a catalogue change.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use samanvaya_core::eligibility::FactAnswer;
use samanvaya_core::{Moment, Secret, Store};
use samanvaya_domain::{HouseholdId, PersonId};
use serde_json::json;

/// Per scheme, the people (or households) the gap finds eligible and not yet receiving it,
/// counted under any scheme of their exclusive group: what the funnel's column must say.
fn gap(store: &Store, day: NaiveDate) -> BTreeMap<String, u32> {
    let village = store.village_eligibility(day, |_, _| {}).unwrap();
    village
        .tallies
        .iter()
        .map(|t| (t.scheme.code.clone(), t.eligible + t.alternative))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn funnel(store: &Store, day: NaiveDate) -> BTreeMap<String, u32> {
    let funnel = store.referral_funnel(day).unwrap();
    funnel.rows.iter().filter_map(|r| Some((r.code.clone(), r.eligible?))).filter(|(_, n)| *n > 0).collect()
}

/// The slices kept, with the day each was decided on.
fn slices(store: &Store) -> Vec<(i64, String)> {
    store
        .connection()
        .prepare("SELECT slice, as_of FROM tally_slice ORDER BY slice")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn the_kept_tally_is_the_whole_tally_and_a_change_drops_only_its_slice() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _code) = Store::create(dir.path(), "Test", &Secret::new("482916")).unwrap();
    samanvaya_demo::fill_households(&mut store, 1, 2_600, |_| {}).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap();
    let day = now.date_naive();

    // First drawn: every slice decided and kept, and the column is the gap's.
    let whole = gap(&store, day);
    assert!(whole.len() > 5, "the demo households are eligible for several schemes: {whole:?}");
    assert_eq!(funnel(&store, day), whole);
    let day_text = day.to_string();
    assert_eq!(slices(&store), [(0, day_text.clone()), (1, day_text.clone()), (2, day_text.clone())]);

    // Drawn again, the kept counts are read as they are: a doctored slice shows through, which
    // is how this test knows the slices are read and not decided again.
    let conn = store.connection();
    conn.execute("UPDATE tally_slice SET counts = '[]' WHERE slice = 0", []).unwrap();
    assert_ne!(funnel(&store, day), whole, "slice 0's kept counts were read");
    conn.execute("DELETE FROM tally_slice WHERE slice = 0", []).unwrap();
    assert_eq!(funnel(&store, day), whole, "a missing slice is decided again");

    // An answer about a household of the middle slice that changes who is eligible: that slice
    // alone is dropped, and the column follows the gap.
    let middle: Vec<HouseholdId> = conn
        .prepare("SELECT household_id FROM profile WHERE rowid BETWEEN 1024 AND 2047 ORDER BY rowid")
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|id| id.unwrap().parse().unwrap())
        .collect();
    assert_eq!(middle.len(), 1024);
    let mut changed = None;
    for hid in middle {
        let e = store.household_eligibility(hid, day).unwrap();
        let Some(q) = e.questions.iter().find(|q| q.member_id.is_some() && q.input.kind == "bool") else {
            continue;
        };
        let answer = FactAnswer {
            household_id: hid,
            member_id: q.member_id.as_ref().map(|m| m.parse::<PersonId>().unwrap()),
            fact: q.fact.clone(),
            value: json!(true),
        };
        store.answer(&answer, Moment::in_india(now)).unwrap();
        assert_eq!(slices(&store).iter().map(|s| s.0).collect::<Vec<_>>(), [0, 2], "only slice 1 dropped");
        let after = gap(&store, day);
        if after != whole {
            changed = Some(after);
            break;
        }
        // The answer settled nothing the column counts: draw, so the slice is kept again.
        assert_eq!(funnel(&store, day), whole);
    }
    let after = changed.expect("some answer in the middle slice makes someone eligible");
    assert_eq!(funnel(&store, day), after);
    assert_eq!(slices(&store).len(), 3);

    // Another day decides every slice again, since ages move overnight.
    let later = NaiveDate::from_ymd_opt(2031, 6, 1).unwrap();
    assert_eq!(funnel(&store, later), gap(&store, later));
    assert!(slices(&store).iter().all(|(_, d)| d == "2031-06-01"), "{:?}", slices(&store));

    // Counts kept under another catalogue are never read.
    let conn = store.connection();
    conn.execute("UPDATE tally_slice SET catalogue = 'an older catalogue', counts = '[]'", []).unwrap();
    assert_eq!(funnel(&store, later), gap(&store, later));
}
