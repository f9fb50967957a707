//! A programme officer's mistakes in a scheme file are caught when the catalogue loads, each
//! with the file, the line and a hint. One table row per mistake: the scheme text, then the line
//! and the words the diagnostic must carry.

use samanvaya_rules::Diagnostic;

const FACTS: &str = r#"
[[fact]]
name = "person.date_of_birth"
type = "date"
en = "Date of birth"
hi = "जन्म तिथि"
ask_en = "When were they born?"
ask_hi = "उनका जन्म कब हुआ?"

[[fact]]
name = "person.age_years"
type = "int"
derived = "years_since:person.date_of_birth"
en = "Age"
hi = "आयु"

[[fact]]
name = "person.sex"
type = "enum"
values = ["female", "male"]
values_en = ["Female", "Male"]
values_hi = ["महिला", "पुरुष"]
en = "Sex"
hi = "लिंग"
ask_en = "Are they a woman or a man?"
ask_hi = "वे महिला हैं या पुरुष?"

[[fact]]
name = "household.bpl_status"
type = "enum"
values = ["bpl", "apl"]
values_en = ["BPL", "APL"]
values_hi = ["BPL", "APL"]
en = "BPL"
hi = "BPL"
ask_en = "Is the family on the BPL list?"
ask_hi = "क्या परिवार BPL सूची में है?"
"#;

/// A valid scheme file with `versions` in place of its versions.
fn scheme(versions: &str) -> String {
    format!(
        r#"code = "TEST"
unit = "person"
level = "central"
kind = "entitlement"
verification = "verified"
source = "test"
name = {{ en = "Test", hi = "परीक्षण" }}
department = {{ en = "D", hi = "वि" }}
benefit = {{ en = "B", hi = "ला" }}
where_to_apply = {{ en = "W", hi = "क" }}
{versions}"#
    )
}

fn version(from: &str, to: Option<&str>, when: &str) -> String {
    let to = to.map(|t| format!("valid_to = {t}\n")).unwrap_or_default();
    format!(
        "[[version]]\nvalid_from = {from}\n{to}source = \"s\"\nparams = {{ min_age = 60 }}\n  [[version.criterion]]\n  when = \"{when}\"\n  en = \"E\"\n  hi = \"ह\"\n"
    )
}

fn load(text: &str) -> Vec<Diagnostic> {
    match samanvaya_rules::load(&[("facts.toml", FACTS)], &[("schemes/test.toml", text)], &[]) {
        Ok(_) => vec![],
        Err(d) => d,
    }
}

#[test]
fn every_mistake_is_reported_with_its_line_and_a_hint() {
    // (scheme text, expected line, words in the message, words in the hint)
    let cases: Vec<(String, usize, &str, &str)> = vec![
        (
            scheme(&version("2020-01-01", None, "person.age_yeras >= 60")),
            16,
            "unknown fact person.age_yeras",
            "did you mean person.age_years",
        ),
        (
            scheme(&version("2020-01-01", None, "person.sex >= female")),
            16,
            "cannot order enum values",
            "use == or !=",
        ),
        (
            scheme(&version("2020-01-01", None, "person.sex == woman")),
            16,
            "\"woman\" is not a value of person.sex",
            "female, male",
        ),
        (
            scheme(&version("2020-01-01", None, "person.age_years >= max_age")),
            16,
            "neither a fact nor a parameter",
            "params",
        ),
        (scheme(&version("2020-01-01", None, "person.age_years = 60")), 16, "single =", "criterion language"),
        (
            scheme(&version("2020-01-01", None, "person.age_years >= 2020-01-01")),
            16,
            "cannot compare a whole number with a date",
            "same type",
        ),
        (
            format!(
                "{}{}",
                scheme(&version("2020-01-01", Some("2021-06-30"), "person.age_years >= 60")),
                version("2021-06-01", None, "person.age_years >= 60")
            ),
            1,
            "versions overlap",
            "day before",
        ),
        (
            format!(
                "{}{}",
                scheme(&version("2020-01-01", Some("2021-05-30"), "person.age_years >= 60")),
                version("2021-06-01", None, "person.age_years >= 60")
            ),
            1,
            "gap between versions",
            "contiguous",
        ),
        (
            scheme(&version("2020-01-01", None, "person.age_years >= 60").replace("hi = \"ह\"", "hi = \"\"")),
            15,
            "missing its English or Hindi text",
            "fill both",
        ),
        (
            scheme(&version("2020-01-01", None, "person.age_years >= 60"))
                .replace("hi = \"परीक्षण\"", "hi = \"\""),
            1,
            "name is missing its English or Hindi text",
            "fill both",
        ),
        (
            scheme(&version("2020-01-01", None, "person.age_years >= 60"))
                .replace("unit = \"person\"", "unit = \"household\""),
            16,
            "is a person's fact, but this scheme decides for a household",
            "any(members",
        ),
        (
            scheme(
                "[[version]]\nvalid_from = \"someday\"\nsource = \"s\"\n  [[version.criterion]]\n  when = \"true\"\n  en = \"E\"\n  hi = \"ह\"\n",
            ),
            11,
            "valid_from is not a date",
            "2011-04-01",
        ),
        (
            scheme(&version("2020-01-01", None, "person.age_years >= 60"))
                .replace("kind = \"entitlement\"", "kind = \"gift\""),
            4,
            "unknown variant",
            "format",
        ),
    ];
    for (text, line, message, hint) in cases {
        let found = load(&text);
        assert!(
            found.iter().any(|d| d.file == "schemes/test.toml"
                && d.line == line
                && d.message.contains(message)
                && d.hint.contains(hint)),
            "expected line {line}: {message:?} / hint {hint:?}; got {found:#?}\nin:\n{text}"
        );
    }
}

#[test]
fn a_valid_file_loads_clean() {
    assert_eq!(load(&scheme(&version("2020-01-01", None, "person.age_years >= min_age"))), vec![]);
}

/// A scheme file like [`scheme`], with its own code and unit.
fn scheme_coded(code: &str, unit: &str) -> String {
    scheme(&version("2020-01-01", None, "person.age_years >= 60"))
        .replace("code = \"TEST\"", &format!("code = \"{code}\""))
        .replace("unit = \"person\"", &format!("unit = \"{unit}\""))
        .replace(
            "person.age_years >= 60",
            if unit == "person" { "person.age_years >= 60" } else { "household.bpl_status == bpl" },
        )
}

fn group(code: &str, members: &str) -> String {
    format!(
        "code = \"{code}\"\nsource = \"s\"\nmembers = [{members}]\nname = {{ en = \"G\", hi = \"स\" }}\nrule = {{ en = \"One\", hi = \"एक\" }}\n"
    )
}

#[test]
fn a_group_that_names_the_wrong_schemes_is_refused_with_a_hint() {
    let schemes = [
        ("schemes/a.toml", scheme_coded("OLD_AGE", "person")),
        ("schemes/b.toml", scheme_coded("WIDOW", "person")),
        ("schemes/c.toml", scheme_coded("DEATH", "household")),
    ];
    let schemes: Vec<(&str, &str)> = schemes.iter().map(|(p, t)| (*p, t.as_str())).collect();
    // (group files, words in one message, words in its hint)
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        (
            vec![group("g", r#""OLD_AGE", "WIDOWW""#)],
            "names WIDOWW, which is not a scheme",
            "did you mean WIDOW",
        ),
        (vec![group("g", r#""OLD_AGE""#)], "at least two schemes", "alternatives"),
        (
            vec![group("g", r#""OLD_AGE", "DEATH""#)],
            "mixes schemes decided per person and per household",
            "same subject",
        ),
        (vec![group("g", r#""OLD_AGE", "WIDOW", "OLD_AGE""#)], "OLD_AGE is listed twice", "once"),
        (
            vec![group("g", r#""OLD_AGE", "WIDOW""#), group("h", r#""WIDOW", "OLD_AGE""#)],
            "is also in group g",
            "one group at most",
        ),
        (
            vec![group("g", r#""OLD_AGE", "WIDOW""#).replace("hi = \"एक\"", "hi = \"\"")],
            "rule is missing",
            "both en and hi",
        ),
    ];
    for (groups, message, hint) in cases {
        let files: Vec<(String, String)> =
            groups.iter().enumerate().map(|(i, g)| (format!("groups/{i}.toml"), g.clone())).collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let Err(diags) = samanvaya_rules::load(&[("facts.toml", FACTS)], &schemes, &files) else {
            panic!("{groups:?} loaded")
        };
        assert!(
            diags.iter().any(|d| d.message.contains(message)
                && d.hint.contains(hint)
                && d.file.starts_with("groups/")),
            "{message:?} / {hint:?} not among {diags:?}"
        );
    }
    // And a right group loads, its schemes knowing their group.
    let ok = group("g", r#""WIDOW", "OLD_AGE""#);
    let cat = samanvaya_rules::load(&[("facts.toml", FACTS)], &schemes, &[("groups/g.toml", &ok)]).unwrap();
    let widow = cat.scheme("WIDOW").unwrap();
    assert_eq!(widow.group, Some(0));
    assert_eq!(cat.groups[0].members.len(), 2);
}
