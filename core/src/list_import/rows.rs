//! A household list's rows, one per member, grouped by the household key into households, each
//! checked whole: a household with one bad row is refused whole (never half-imported), with
//! every bad row's number and the reason in words that say what to fix. Pure: the caller gives
//! the village's hamlets and the day.

use std::collections::HashMap;

use chrono::NaiveDate;
use samanvaya_domain::household::{FieldErrorCode, HouseholdInput};
use samanvaya_domain::person::{Birth, PersonInput, Relation, Sex};
use samanvaya_domain::{Location, LocationId, ValidationError};
use samanvaya_eligibility::record::Who;
use samanvaya_forms::workbook::{Row, Sheet};
use samanvaya_rules::Vocabulary;
use samanvaya_rules::vocabulary::FactType;
use serde_json::Value;

use super::mapping::{ListMapping, Resolved, ResolvedFact};

/// One bad row (or, for a problem of the whole household, its first row) and what to fix, in
/// English (the CLI's report) and in Hindi (the import screen's, in the facilitator's language).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct RowProblem {
    #[ts(type = "number")]
    pub row: usize,
    pub reason: String,
    pub reason_hi: String,
}

/// A reason in English and in Hindi.
type Said = (String, String);

fn problem(row: usize, (reason, reason_hi): Said) -> RowProblem {
    RowProblem { row, reason, reason_hi }
}

/// A household read from the list and checked, ready to be written.
#[derive(Debug, Clone)]
pub struct ListHousehold {
    /// The list's household key, as written in it.
    pub key: String,
    /// The row of each member, in the order of `input.members` (the head first).
    pub rows: Vec<usize>,
    pub input: HouseholdInput,
    pub facts: Vec<(Who, String, Value)>,
}

/// What the list holds: the households that passed every check, the problems of the others.
#[derive(Debug, Clone, Default)]
pub struct Read {
    pub households: Vec<ListHousehold>,
    pub problems: Vec<RowProblem>,
    /// Households refused because of a problem on one of their rows.
    pub refused: usize,
}

/// Reads every row of `sheet` into households of `village`.
pub fn read(
    sheet: &Sheet,
    mapping: &ListMapping,
    columns: &Resolved,
    vocab: &Vocabulary,
    village: LocationId,
    hamlets: &[Location],
    today: NaiveDate,
) -> Read {
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<&Row>> = HashMap::new();
    let mut out = Read::default();
    for row in sheet.rows.iter().filter(|r| !r.is_empty()) {
        let key = cell(row, columns.household);
        if key.is_empty() {
            let column = &mapping.columns.household;
            out.problems.push(problem(
                row.number,
                (
                    format!(
                        "the household key (column '{column}') is empty; write the key of the household this member belongs to"
                    ),
                    format!("परिवार की कुंजी (कॉलम '{column}') खाली है; यह सदस्य जिस परिवार का है, उसकी कुंजी लिखें"),
                ),
            ));
            continue;
        }
        groups
            .entry(key.to_owned())
            .or_insert_with(|| {
                order.push(key.to_owned());
                Vec::new()
            })
            .push(row);
    }
    let reader = Reader { mapping, columns, vocab, village, hamlets, today };
    for key in order {
        match reader.household(&key, &groups[&key]) {
            Ok(h) => out.households.push(h),
            Err(mut problems) => {
                out.refused += 1;
                out.problems.append(&mut problems);
            }
        }
    }
    out.problems.sort_by_key(|p| p.row);
    out
}

/// A member read from one row: the row's number, the member, and the member's facts.
type RowMember = (usize, PersonInput, Vec<(String, Value)>);

fn cell(row: &Row, index: usize) -> &str {
    row.cells.get(index).map_or("", |c| c.trim())
}

struct Reader<'a> {
    mapping: &'a ListMapping,
    columns: &'a Resolved,
    vocab: &'a Vocabulary,
    village: LocationId,
    hamlets: &'a [Location],
    today: NaiveDate,
}

impl Reader<'_> {
    fn household(&self, key: &str, rows: &[&Row]) -> Result<ListHousehold, Vec<RowProblem>> {
        let mut problems: Vec<RowProblem> = Vec::new();
        let first = rows[0].number;
        let c = self.columns;
        let (hamlet_row, hamlet_name) = shared(rows, c.hamlet, ("hamlet", "टोला"), &mut problems);
        let (address_row, address) = shared(rows, c.address, ("address", "पता"), &mut problems);
        let (phone_row, phone) = shared(rows, c.phone, ("phone number", "फ़ोन नंबर"), &mut problems);
        let mut household_facts = Vec::new();
        for f in &self.columns.facts {
            if self.vocab.get(f.fact).scope == samanvaya_rules::vocabulary::Scope::Household {
                let what = format!("'{}'", f.column);
                let (at, text) = shared(rows, Some(f.index), (&what, &what), &mut problems);
                household_facts.push((f, at, text));
            }
        }
        let hamlet_id = if hamlet_name.is_empty() {
            None
        } else {
            let wanted = hamlet_name.to_lowercase();
            let found =
                self.hamlets.iter().find(|h| h.name_en.to_lowercase() == wanted || h.name_hi == hamlet_name);
            if found.is_none() {
                let known: Vec<&str> = self.hamlets.iter().map(|h| h.name_en.as_str()).collect();
                let (known, known_hi) = if known.is_empty() {
                    (
                        "(the village has no hamlets: leave it empty)".to_owned(),
                        "(इस गाँव में कोई टोला नहीं है: खाली छोड़ें)".to_owned(),
                    )
                } else {
                    let hi: Vec<&str> = self.hamlets.iter().map(|h| h.name_hi.as_str()).collect();
                    (known.join(", "), hi.join(", "))
                };
                problems.push(problem(
                    hamlet_row,
                    (
                        format!("'{hamlet_name}' is not a hamlet of this village; write one of: {known}"),
                        format!("'{hamlet_name}' इस गाँव का टोला नहीं है; इनमें से एक लिखें: {known_hi}"),
                    ),
                ));
            }
            found.map(|h| h.id)
        };

        let mut members: Vec<RowMember> = Vec::new();
        for row in rows {
            let n = row.number;
            let relation = self.relation(cell(row, c.relation));
            let sex = self.sex(cell(row, c.sex));
            let birth = self.birth(row);
            let mut facts = Vec::new();
            let mut fact_problems = Vec::new();
            for f in &c.facts {
                if self.vocab.get(f.fact).scope == samanvaya_rules::vocabulary::Scope::Person {
                    match self.fact_value(f, cell(row, f.index)) {
                        Ok(Some(v)) => facts.push((self.vocab.get(f.fact).name.clone(), v)),
                        Ok(None) => {}
                        Err(reason) => fact_problems.push(reason),
                    }
                }
            }
            problems.extend(fact_problems.into_iter().map(|said| problem(n, said)));
            match (relation, sex, birth) {
                (Ok(relation), Ok(sex), Ok(birth)) => {
                    let name = cell(row, c.name).to_owned();
                    members.push((
                        n,
                        PersonInput { id: None, name, relation, sex, birth, left: None },
                        facts,
                    ));
                }
                (relation, sex, birth) => {
                    let reasons = [relation.err(), sex.err(), birth.err()].into_iter().flatten();
                    problems.extend(reasons.map(|said| problem(n, said)));
                }
            }
        }
        let mut facts: Vec<(Who, String, Value)> = Vec::new();
        for (f, at, text) in household_facts {
            match self.fact_value(f, &text) {
                Ok(Some(v)) => facts.push((Who::Household, self.vocab.get(f.fact).name.clone(), v)),
                Ok(None) => {}
                Err(said) => problems.push(problem(at, said)),
            }
        }
        // No head is said at once with the other problems, unless a row whose relation could
        // not be read may be the head.
        let heads = members.iter().filter(|(_, m, _)| m.relation == Relation::Head).count();
        if heads == 0 && members.len() == rows.len() {
            let numbers: Vec<String> = rows.iter().map(|r| r.number.to_string()).collect();
            let numbers = numbers.join(", ");
            problems.push(problem(
                first,
                (
                    format!(
                        "the household '{key}' (rows {numbers}) has no head; write the relation head on the row of its head"
                    ),
                    format!(
                        "परिवार '{key}' (पंक्तियाँ {numbers}) में कोई मुखिया नहीं है; मुखिया की पंक्ति में संबंध head लिखें"
                    ),
                ),
            ));
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.row);
            return Err(problems);
        }
        // The head goes first, wherever the list wrote her; validation refuses a second head.
        if let Some(i) = members.iter().position(|(_, m, _)| m.relation == Relation::Head) {
            let head = members.remove(i);
            members.insert(0, head);
        }
        let input = HouseholdInput {
            id: None,
            village_id: self.village,
            hamlet_id,
            address,
            phone,
            members: members.iter().map(|(_, m, _)| m.clone()).collect(),
            consent: None,
        };
        let member_rows: Vec<usize> = members.iter().map(|(n, _, _)| *n).collect();
        let input = input.validate(self.today).map_err(|ValidationError(errors)| {
            errors
                .into_iter()
                .map(|e| {
                    let row = match e.field.as_str() {
                        "phone" => phone_row,
                        "address" => address_row,
                        field => field
                            .strip_prefix("members.")
                            .and_then(|rest| rest.split('.').next())
                            .and_then(|i| i.parse::<usize>().ok())
                            .and_then(|i| member_rows.get(i).copied())
                            .unwrap_or(first),
                    };
                    problem(row, self.field_reason(&e.field, e.code))
                })
                .collect::<Vec<_>>()
        })?;
        for (i, (_, _, member_facts)) in members.into_iter().enumerate() {
            facts.extend(member_facts.into_iter().map(|(name, v)| (Who::Member(i), name, v)));
        }
        Ok(ListHousehold { key: key.to_owned(), rows: member_rows, input, facts })
    }

    fn relation(&self, text: &str) -> Result<Relation, Said> {
        let ours = mapped(&self.mapping.relation, text).unwrap_or(text);
        Relation::parse(&ours.to_lowercase().replace([' ', '-'], "_")).ok_or_else(|| {
            let column = &self.mapping.columns.relation;
            if text.is_empty() {
                (
                    format!("the relation (column '{column}') is empty; write the member's relation to the head"),
                    format!("संबंध (कॉलम '{column}') खाली है; मुखिया से सदस्य का संबंध लिखें"),
                )
            } else {
                let all = Relation::ALL.map(|r| r.as_str()).join(", ");
                (
                    format!(
                        "'{text}' is not a relation the app knows; write one of {all}, or map the word under [relation] in the mapping file"
                    ),
                    format!(
                        "'{text}' ऐसा संबंध नहीं जिसे ऐप जानता है; इनमें से एक लिखें: {all}, या मैपिंग फ़ाइल में [relation] के नीचे इस शब्द का अर्थ लिखें"
                    ),
                )
            }
        })
    }

    fn sex(&self, text: &str) -> Result<Sex, Said> {
        let ours = mapped(&self.mapping.sex, text).unwrap_or(text);
        Sex::parse(&ours.to_lowercase()).ok_or_else(|| {
            let column = &self.mapping.columns.sex;
            (
                format!(
                    "'{text}' is not a sex the app knows (column '{column}'); write female, male or other, or map the word under [sex] in the mapping file"
                ),
                format!(
                    "'{text}' (कॉलम '{column}') ऐसा लिंग नहीं जिसे ऐप जानता है; female, male या other लिखें, या मैपिंग फ़ाइल में [sex] के नीचे इस शब्द का अर्थ लिखें"
                ),
            )
        })
    }

    fn birth(&self, row: &Row) -> Result<Birth, Said> {
        let date = self.columns.birth_date.map_or("", |i| cell(row, i));
        let age = self.columns.age.map_or("", |i| cell(row, i));
        if !date.is_empty() {
            return parse_date(date).map(|date| Birth::Date { date }).ok_or_else(|| {
                (
                    format!("'{date}' is not a date; write the date of birth as YYYY-MM-DD or DD-MM-YYYY (for example 1984-03-15 or 15-03-1984)"),
                    format!("'{date}' तारीख नहीं है; जन्म की तारीख YYYY-MM-DD या DD-MM-YYYY में लिखें (जैसे 1984-03-15 या 15-03-1984)"),
                )
            });
        }
        if !age.is_empty() {
            return age.parse::<u32>().map(|years| Birth::Age { years }).map_err(|_| {
                (
                    format!("'{age}' is not an age; write the age in whole years (for example 42)"),
                    format!("'{age}' उम्र नहीं है; उम्र पूरे वर्षों में लिखें (जैसे 42)"),
                )
            });
        }
        Ok(Birth::Unknown)
    }

    /// The JSON value of one fact cell, checked against the vocabulary; `None` for an empty
    /// cell, which leaves the fact unknown (never false or zero).
    fn fact_value(&self, f: &ResolvedFact, text: &str) -> Result<Option<Value>, Said> {
        if text.is_empty() {
            return Ok(None);
        }
        let def = self.vocab.get(f.fact);
        let word = mapped(&f.values, text).unwrap_or(text);
        let value = match &def.ty {
            FactType::Bool => match word.to_lowercase().as_str() {
                "yes" | "y" | "true" | "1" | "हाँ" | "हां" => Some(Value::Bool(true)),
                "no" | "n" | "false" | "0" | "नहीं" => Some(Value::Bool(false)),
                _ => None,
            },
            FactType::Int | FactType::Money => {
                word.replace([',', ' '], "").parse::<i64>().ok().map(Value::from)
            }
            FactType::Decimal => word.replace([',', ' '], "").parse::<f64>().ok().map(Value::from),
            FactType::Date => parse_date(word).map(|d| Value::String(d.to_string())),
            FactType::Enum(values) => choice(values, &def.values_en, &def.values_hi, word).map(Value::String),
            FactType::Set(values) => word
                .split([';', ','])
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(|w| choice(values, &def.values_en, &def.values_hi, mapped(&f.values, w).unwrap_or(w)))
                .collect::<Option<Vec<String>>>()
                .map(|v| Value::Array(v.into_iter().map(Value::String).collect())),
        };
        let value = value.filter(|v| samanvaya_rules::facts::parse_value(&def.ty, v).is_ok());
        value.map(Some).ok_or_else(|| {
            let (expected, expected_hi) = match &def.ty {
                FactType::Bool => ("yes or no".to_owned(), "हाँ या नहीं (yes या no)".to_owned()),
                FactType::Int | FactType::Money => ("a whole number".to_owned(), "एक पूरी संख्या".to_owned()),
                FactType::Decimal => ("a number".to_owned(), "एक संख्या".to_owned()),
                FactType::Date => (
                    "a date (YYYY-MM-DD or DD-MM-YYYY)".to_owned(),
                    "एक तारीख (YYYY-MM-DD या DD-MM-YYYY)".to_owned(),
                ),
                FactType::Enum(v) => (format!("one of {}", v.join(", ")), format!("इनमें से एक: {}", v.join(", "))),
                FactType::Set(v) => (
                    format!("some of {} separated by ;", v.join(", ")),
                    format!("इनमें से कुछ, ; से अलग करके: {}", v.join(", ")),
                ),
            };
            (
                format!(
                    "'{text}' in column '{}' is not a value of {}; write {expected}, or map the word under values of this column in the mapping file",
                    f.column, def.name
                ),
                format!(
                    "कॉलम '{}' में '{text}' {} का मान नहीं है; {expected_hi} लिखें, या मैपिंग फ़ाइल में इस कॉलम के values के नीचे इस शब्द का अर्थ लिखें",
                    f.column, def.name
                ),
            )
        })
    }

    fn field_reason(&self, field: &str, code: FieldErrorCode) -> Said {
        let c = &self.mapping.columns;
        let said = |en: &str, hi: &str| (en.to_owned(), hi.to_owned());
        match code {
            FieldErrorCode::Required => (
                format!("the name (column '{}') is empty; write the member's name", c.name),
                format!("नाम (कॉलम '{}') खाली है; सदस्य का नाम लिखें", c.name),
            ),
            FieldErrorCode::TooLong if field == "address" => said(
                "the address is longer than 300 characters; shorten it",
                "पता 300 अक्षरों से लंबा है; छोटा करें",
            ),
            FieldErrorCode::TooLong => {
                said("the name is longer than 100 characters; shorten it", "नाम 100 अक्षरों से लंबा है; छोटा करें")
            }
            FieldErrorCode::TooManyMembers => said(
                "the household has more than 40 members; check that its rows share the right household key",
                "परिवार में 40 से ज़्यादा सदस्य हैं; जाँचें कि इसकी पंक्तियों में परिवार की सही कुंजी लिखी है",
            ),
            FieldErrorCode::OnlyOneHead => said(
                "a second head in one household; give this member their relation to the head",
                "एक परिवार में दूसरा मुखिया; इस सदस्य का मुखिया से संबंध लिखें",
            ),
            FieldErrorCode::BirthInFuture => {
                said("the date of birth is after today; correct it", "जन्म की तारीख आज के बाद की है; ठीक करें")
            }
            FieldErrorCode::AgeTooHigh => {
                said("the age is above 120 years; correct it", "उम्र 120 वर्ष से ज़्यादा है; ठीक करें")
            }
            FieldErrorCode::InvalidPhone => said(
                "the phone number is not a ten-digit Indian mobile number; correct it or leave it empty",
                "फ़ोन नंबर दस अंकों का भारतीय मोबाइल नंबर नहीं है; ठीक करें या खाली छोड़ें",
            ),
            FieldErrorCode::AadhaarNumber => said(
                "a whole Aadhaar number is written here, and the app never keeps one; remove it from the list",
                "यहाँ पूरा आधार नंबर लिखा है, और ऐप आधार नंबर कभी नहीं रखता; इसे सूची से हटा दें",
            ),
            other => {
                (format!("{field} is refused ({other:?})"), format!("{field} स्वीकार नहीं हुआ ({other:?})"))
            }
        }
    }
}

/// The one value of a household column over the household's rows (repeated on every member's
/// row or written once); two different values are a mistake to show, not to choose between.
fn shared(
    rows: &[&Row],
    index: Option<usize>,
    (what, what_hi): (&str, &str),
    problems: &mut Vec<RowProblem>,
) -> (usize, String) {
    let Some(index) = index else { return (rows[0].number, String::new()) };
    let mut value: Option<(usize, &str)> = None;
    for row in rows {
        let v = cell(row, index);
        match value {
            _ if v.is_empty() => {}
            None => value = Some((row.number, v)),
            Some((at, seen)) if seen != v => problems.push(problem(
                row.number,
                (
                    format!(
                        "the {what} is '{v}' here but '{seen}' on row {at} of the same household; write the same {what} on both rows, or leave one empty"
                    ),
                    format!(
                        "यहाँ {what_hi} '{v}' है, पर इसी परिवार की पंक्ति {at} में '{seen}'; दोनों पंक्तियों में एक ही {what_hi} लिखें, या एक खाली छोड़ें"
                    ),
                ),
            )),
            Some(_) => {}
        }
    }
    value.map_or((rows[0].number, String::new()), |(at, v)| (at, v.to_owned()))
}

/// The mapping file's word for `text`, compared without case and surrounding spaces.
fn mapped<'a>(table: &'a std::collections::BTreeMap<String, String>, text: &str) -> Option<&'a str> {
    let wanted = text.trim().to_lowercase();
    table.iter().find(|(k, _)| k.trim().to_lowercase() == wanted).map(|(_, v)| v.as_str())
}

/// A value name of an enum or set fact from its name, its English label or its Hindi label.
fn choice(values: &[String], en: &[String], hi: &[String], word: &str) -> Option<String> {
    let wanted = word.trim().to_lowercase();
    let at = values
        .iter()
        .position(|v| v.to_lowercase() == wanted)
        .or_else(|| en.iter().position(|v| v.to_lowercase() == wanted))
        .or_else(|| hi.iter().position(|v| v.trim() == word.trim()))?;
    values.get(at).cloned()
}

/// A date as lists write it: ISO `YYYY-MM-DD` (also what a spreadsheet's date cell gives), or
/// the Indian day-first `DD-MM-YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`. Never month-first.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    ["%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
        .filter(|d| chrono::Datelike::year(d) >= 1800)
}
