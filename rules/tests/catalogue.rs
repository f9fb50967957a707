//! The real catalogue in `schema/`: it loads without a single diagnostic, and every scheme's
//! example cases give the outcome and the missing facts its file expects.

use samanvaya_rules::cases::run_all;

#[test]
fn the_catalogue_loads_and_every_scheme_case_passes() {
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap_or_else(|errors| {
        panic!(
            "the catalogue has errors:\n{}",
            errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
        )
    });
    assert!(!cat.schemes.is_empty());
    for s in &cat.schemes {
        assert!(!s.cases.is_empty(), "{} ships no example cases", s.code);
    }
    let failures = run_all(&cat);
    let report: Vec<String> =
        failures.iter().map(|f| format!("{}:{}: case {:?}: {}", f.file, f.line, f.case, f.problem)).collect();
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), report.join("\n"));
}

#[test]
fn the_readme_counts_the_schemes_by_verification_level() {
    use samanvaya_rules::catalogue::Verification;
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    let count = |v: Verification| cat.schemes.iter().filter(|s| s.verification == v).count();
    let line = format!(
        "Verification of the {} schemes: {} verified, {} secondary, {} partial, {} unverified",
        cat.schemes.len(),
        count(Verification::Verified),
        count(Verification::Secondary),
        count(Verification::Partial),
        count(Verification::Unverified),
    );
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    assert!(readme.replace('\n', " ").contains(&line), "README.md should say: {line}");
}

#[test]
fn no_display_sentence_holds_an_iso_date_or_a_round_lakh_in_digits() {
    use samanvaya_rules::words::{has_iso_date, has_lakh_in_digits};
    use samanvaya_rules::{assess, explain};
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    let mut bad = Vec::new();
    let mut check = |what: String, t: &samanvaya_rules::Text| {
        for s in [&t.en, &t.hi] {
            if has_iso_date(s) {
                bad.push(format!("{what}: {s}"));
            }
            if has_lakh_in_digits(s) {
                bad.push(format!("{what} (a round lakh in digits; write it in words): {s}"));
            }
        }
    };
    for s in &cat.schemes {
        for (what, t) in [
            ("name", &s.name),
            ("department", &s.department),
            ("benefit", &s.benefit),
            ("where", &s.where_to_apply),
        ] {
            check(format!("{} {what}", s.code), t);
        }
        for d in &s.documents {
            check(format!("{} document", s.code), d);
        }
        for v in &s.versions {
            for c in &v.criteria {
                check(format!("{} criterion {}", s.code, c.when), &c.text);
            }
        }
        // The explanations of every example case, with the values they show.
        for case in &s.cases {
            let bounded = samanvaya_rules::bounds::Bounded::new(&cat, &case.facts, case.as_of);
            for f in assess(&cat, &case.facts, case.as_of) {
                for c in explain(&cat, &bounded, f.scheme, f.member).unwrap_or_default() {
                    let sentence =
                        samanvaya_rules::Text { en: c.sentence(false, false), hi: c.sentence(true, false) };
                    check(format!("{} case {:?}", s.code, case.name), &sentence);
                }
            }
        }
    }
    for g in &cat.groups {
        check(format!("group {}", g.code), &g.name);
        check(format!("group {}", g.code), &g.rule);
    }
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "{} display sentence(s) with an ISO date or a round lakh in digits; write them in words:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn no_two_schemes_share_a_display_name() {
    let cat = samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .unwrap();
    for (i, a) in cat.schemes.iter().enumerate() {
        for b in &cat.schemes[i + 1..] {
            assert_ne!(a.name.en, b.name.en, "{} and {} share an English name", a.code, b.code);
            assert_ne!(a.name.hi, b.name.hi, "{} and {} share a Hindi name", a.code, b.code);
        }
    }
}
