//! The village's referrals seen whole, on real stores: the funnel starts from who the engine
//! finds eligible (the same count as the village gap, before and after a benefit arrives), its
//! export reads back in a spreadsheet with the same numbers, and the list of cases filters by
//! stage, level, scheme or kind, overdue, and finds a Devanagari name typed in Latin letters.

use calamine::{Data, DataType, Reader, Xlsx};
use chrono::Duration;
use samanvaya_core::referral::{NewReferral, ReferralFilter, SheetFormat, Step};
use samanvaya_core::{Language, Moment, Store};
use samanvaya_domain::referral::{Level, Need, Stage};
use samanvaya_domain::{Birth, Relation, Sex};
use samanvaya_eligibility::view::OutcomeKind;
use samanvaya_tests::member;

/// The demo village (300 households), unlocked.
fn demo() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = samanvaya_tests::open(dir.path()).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    (dir, store)
}

#[test]
fn the_funnel_starts_from_who_is_eligible_and_reads_back_from_the_workbook() {
    let (dir, mut store) = demo();
    let at = store.now().unwrap();
    let gap = store.village_eligibility(at.today, |_, _| {}).unwrap();
    let funnel = store.referral_funnel(at.today).unwrap();
    // No case yet: a row for every scheme with someone eligible, with the gap view's count
    // (those it counts under another scheme of an exclusive group included).
    let mut want: Vec<(String, u32)> = gap
        .tallies
        .iter()
        .map(|t| (t.scheme.code.clone(), t.eligible + t.alternative))
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut got: Vec<(String, u32)> =
        funnel.rows.iter().map(|r| (r.code.clone(), r.eligible.unwrap())).collect();
    want.sort();
    got.sort();
    assert!(want.len() > 3, "the demo village has people eligible for several schemes: {want:?}");
    assert_eq!(got, want);
    assert!(funnel.rows.iter().all(|r| r.referred == 0));

    // One eligible woman referred for the old-age pension, who then receives it.
    const SCHEME: &str = "NSAP_IGNOAPS";
    let before = funnel.rows.iter().find(|r| r.code == SCHEME).unwrap().eligible.unwrap();
    let list = store.worklist(SCHEME, at.today, |_, _| {}).unwrap();
    let row =
        list.rows.iter().find(|r| r.outcome == OutcomeKind::Eligible && r.counted_under.is_none()).unwrap();
    let case = store
        .open_referral(
            &NewReferral {
                household_id: row.household_id.parse().unwrap(),
                member_id: Some(row.member_id.as_ref().unwrap().parse().unwrap()),
                need: Need::Scheme { code: SCHEME.into() },
                documents: vec![],
                notes: String::new(),
            },
            at,
        )
        .unwrap();
    let id = case.summary.id.parse().unwrap();
    let referred = store.referral_funnel(at.today).unwrap();
    let r = referred.rows.iter().find(|r| r.code == SCHEME).unwrap();
    assert_eq!((r.eligible, r.referred, r.received), (Some(before), 1, 0), "referred, still eligible");
    assert_eq!(referred.rows[0].code, SCHEME, "schemes with cases come first");
    for step in [Step::Submit, Step::Sanction, Step::Receive { on: at.today, amount_inr: Some(400) }] {
        store.act_on_referral(id, &step, at).unwrap();
    }
    let paid = store.referral_funnel(at.today).unwrap();
    let r = paid.rows.iter().find(|r| r.code == SCHEME).unwrap();
    // She receives it now: the engine no longer counts her among those still to reach.
    assert_eq!(
        (r.eligible, r.referred, r.submitted, r.sanctioned, r.received),
        (Some(before - 1), 1, 1, 1, 1)
    );

    // The workbook, in Hindi, holds the same numbers.
    let out = dir.path().join("exports");
    let name = samanvaya_core::referral::funnel_file_name(at.today, SheetFormat::Xlsx);
    let path = store.save_referral_funnel(&out, &name, SheetFormat::Xlsx, Language::Hi, at.today).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let sheet = book.worksheet_range("रेफ़रल").unwrap();
    let rows: Vec<&[Data]> = sheet.rows().collect();
    assert_eq!(rows[0][2], Data::String("पात्र (अभी लाभ नहीं)".into()));
    assert_eq!(rows.len(), paid.rows.len() + 1, "a header and one line per row");
    let line = rows.iter().find(|l| l[0] == Data::String(SCHEME.into())).unwrap();
    let numbers: Vec<f64> = line[2..].iter().map(|d| d.as_f64().unwrap()).collect();
    assert_eq!(numbers, vec![f64::from(before - 1), 1.0, 1.0, 1.0, 1.0, 0.0, 0.0]);
    let names: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from(&name)], "no partial file left beside it");

    // The CSV, in English, once, with one byte-order mark.
    let csv =
        store.save_referral_funnel(&out, "funnel.csv", SheetFormat::Csv, Language::En, at.today).unwrap();
    let text = std::fs::read_to_string(csv).unwrap();
    assert!(text.starts_with("\u{feff}code,for,eligible (not yet receiving),referred"), "{text}");
    assert!(!text[3..].contains('\u{feff}'));
    let want = format!("{SCHEME},{},{},1,1,1,1,0,0\n", r.name.en, before - 1);
    assert!(text.contains(&want), "{want} in {text}");
}

#[test]
fn the_list_filters_cases_and_finds_a_devanagari_name_typed_in_latin() {
    let (_dir, mut store, h) = samanvaya_tests::family_of(vec![
        member("कमला देवी", Relation::Head, Sex::Female, Birth::Age { years: 64 }),
        member("सुनीता", Relation::DaughterInLaw, Sex::Female, Birth::Age { years: 34 }),
    ]);
    let at = store.now().unwrap();
    let open = |store: &mut Store, who: usize, need: Need| {
        let new = NewReferral {
            household_id: h.id,
            member_id: Some(h.members[who].id),
            need,
            documents: vec![],
            notes: String::new(),
        };
        store.open_referral(&new, at).unwrap().summary
    };
    let pension = open(&mut store, 0, Need::Scheme { code: "NSAP_IGNWPS".into() });
    let certificate = open(&mut store, 1, Need::Service { kind: "caste_certificate".into() });
    let safety = open(&mut store, 1, Need::Service { kind: "safety_concern".into() });
    let id = pension.id.parse().unwrap();
    store.act_on_referral(id, &Step::Escalate { reason: "No answer at the panchayat".into() }, at).unwrap();

    let numbers = |filter: ReferralFilter, day| {
        let page = store.referral_list(&filter, day).unwrap();
        assert_eq!(page.total as usize, page.items.len(), "one page holds them all");
        page.items.into_iter().map(|s| s.number).collect::<Vec<_>>()
    };
    let all = ReferralFilter::default();
    assert_eq!(
        numbers(all.clone(), at.today),
        [safety.number.as_str(), certificate.number.as_str(), pension.number.as_str()]
    );
    let at_block = ReferralFilter { level: Some(Level::Block), ..all.clone() };
    assert_eq!(numbers(at_block, at.today), [pension.number.as_str()]);
    // Escalating moves a case up a level and leaves its stage: both still wait for documents.
    let pending = ReferralFilter { stage: Some(Stage::DocumentsPending), ..all.clone() };
    assert_eq!(numbers(pending, at.today), [certificate.number.as_str(), pension.number.as_str()]);
    let identified = ReferralFilter { stage: Some(Stage::Identified), ..all.clone() };
    assert_eq!(numbers(identified, at.today), [safety.number.as_str()], "a safety concern has no checklist");
    let certificates = ReferralFilter { need_code: Some("caste_certificate".into()), ..all.clone() };
    assert_eq!(numbers(certificates, at.today), [certificate.number.as_str()]);
    // Three days on, only the safety concern (due in two) is past its day.
    let overdue = ReferralFilter { overdue_only: true, ..all.clone() };
    assert!(numbers(overdue.clone(), at.today).is_empty());
    assert_eq!(numbers(overdue, at.today + Duration::days(3)), [safety.number.as_str()]);
    // Her name in Latin letters, a part of it, and a referral's number whole or by its digits.
    let search = |s: &str| ReferralFilter { search: s.into(), ..all.clone() };
    assert_eq!(numbers(search("Kamla"), at.today), [pension.number.as_str()]);
    assert_eq!(numbers(search("suni"), at.today), [safety.number.as_str(), certificate.number.as_str()]);
    assert_eq!(numbers(search(&certificate.number.to_lowercase()), at.today), [certificate.number.as_str()]);
    let digits = certificate.number.split('-').nth(1).unwrap();
    assert_eq!(numbers(search(digits), at.today), [certificate.number.as_str()]);
    assert!(numbers(search("Ramesh"), at.today).is_empty());
    // Punctuation alone is no search at all.
    assert_eq!(numbers(search("--"), at.today).len(), 3);

    let page = store.referral_list(&all, at.today).unwrap();
    let mut codes: Vec<&str> = page.needs.iter().map(|n| n.code.as_str()).collect();
    codes.sort_unstable();
    assert_eq!(codes, ["NSAP_IGNWPS", "caste_certificate", "safety_concern"]);
    assert_eq!(page.needs[0].code, "NSAP_IGNWPS", "schemes first in the filter's choices");
}

#[test]
fn a_long_list_comes_a_page_at_a_time_with_the_count_of_all() {
    let (_dir, mut store, h) = samanvaya_tests::family_of(vec![member(
        "रीता",
        Relation::Head,
        Sex::Female,
        Birth::Age { years: 30 },
    )]);
    let at: Moment = store.now().unwrap();
    // One person, many kinds of cases: every service and grievance kind there is, twice over in
    // time (each closed before the next is opened), to pass one page.
    let kinds = samanvaya_eligibility::referral::embedded().unwrap();
    let needs: Vec<Need> = kinds
        .service
        .iter()
        .map(|k| Need::Service { kind: k.code.clone() })
        .chain(
            kinds.grievance.iter().map(|k| Need::Grievance { kind: k.code.clone(), description: "x".into() }),
        )
        .collect();
    let mut opened = 0;
    while opened < 130 {
        for need in &needs {
            let new = NewReferral {
                household_id: h.id,
                member_id: Some(h.members[0].id),
                need: need.clone(),
                documents: vec![],
                notes: String::new(),
            };
            let case = store.open_referral(&new, at).unwrap();
            store
                .act_on_referral(
                    case.summary.id.parse().unwrap(),
                    &Step::Withdraw { reason: "test".into() },
                    at,
                )
                .unwrap();
            opened += 1;
        }
    }
    let first = store.referral_list(&ReferralFilter::default(), at.today).unwrap();
    assert_eq!((first.items.len(), first.total), (100, opened));
    let rest = store.referral_list(&ReferralFilter { offset: 100, ..Default::default() }, at.today).unwrap();
    assert_eq!(rest.items.len() as u32, opened - 100);
    assert!(rest.items.iter().all(|r| first.items.iter().all(|f| f.id != r.id)), "pages do not overlap");
}
