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

/// One bad row (or, for a problem of the whole household, its first row) and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowProblem {
    pub row: usize,
    pub reason: String,
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
            out.problems.push(RowProblem {
                row: row.number,
                reason: format!(
                    "the household key (column '{}') is empty; write the key of the household this member belongs to",
                    mapping.columns.household
                ),
            });
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
        let (hamlet_row, hamlet_name) = shared(rows, c.hamlet, "hamlet", &mut problems);
        let (address_row, address) = shared(rows, c.address, "address", &mut problems);
        let (phone_row, phone) = shared(rows, c.phone, "phone number", &mut problems);
        let mut household_facts = Vec::new();
        for f in &self.columns.facts {
            if self.vocab.get(f.fact).scope == samanvaya_rules::vocabulary::Scope::Household {
                let (at, text) = shared(rows, Some(f.index), &format!("'{}'", f.column), &mut problems);
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
                let known = if known.is_empty() {
                    "(the village has no hamlets: leave it empty)".to_owned()
                } else {
                    known.join(", ")
                };
                problems.push(RowProblem {
                    row: hamlet_row,
                    reason: format!("'{hamlet_name}' is not a hamlet of this village; write one of: {known}"),
                });
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
            problems.extend(fact_problems.into_iter().map(|reason| RowProblem { row: n, reason }));
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
                    problems.extend(reasons.map(|reason| RowProblem { row: n, reason }));
                }
            }
        }
        let mut facts: Vec<(Who, String, Value)> = Vec::new();
        for (f, at, text) in household_facts {
            match self.fact_value(f, &text) {
                Ok(Some(v)) => facts.push((Who::Household, self.vocab.get(f.fact).name.clone(), v)),
                Ok(None) => {}
                Err(reason) => problems.push(RowProblem { row: at, reason }),
            }
        }
        // No head is said at once with the other problems, unless a row whose relation could
        // not be read may be the head.
        let heads = members.iter().filter(|(_, m, _)| m.relation == Relation::Head).count();
        if heads == 0 && members.len() == rows.len() {
            let numbers: Vec<String> = rows.iter().map(|r| r.number.to_string()).collect();
            problems.push(RowProblem {
                row: first,
                reason: format!(
                    "the household '{key}' (rows {}) has no head; write the relation head on the row of its head",
                    numbers.join(", ")
                ),
            });
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
                    RowProblem { row, reason: self.field_reason(&e.field, e.code) }
                })
                .collect::<Vec<_>>()
        })?;
        for (i, (_, _, member_facts)) in members.into_iter().enumerate() {
            facts.extend(member_facts.into_iter().map(|(name, v)| (Who::Member(i), name, v)));
        }
        Ok(ListHousehold { key: key.to_owned(), rows: member_rows, input, facts })
    }

    fn relation(&self, text: &str) -> Result<Relation, String> {
        let ours = mapped(&self.mapping.relation, text).unwrap_or(text);
        Relation::parse(&ours.to_lowercase().replace([' ', '-'], "_")).ok_or_else(|| {
            if text.is_empty() {
                format!("the relation (column '{}') is empty; write the member's relation to the head", self.mapping.columns.relation)
            } else {
                format!(
                    "'{text}' is not a relation the app knows; write one of {}, or map the word under [relation] in the mapping file",
                    Relation::ALL.map(|r| r.as_str()).join(", ")
                )
            }
        })
    }

    fn sex(&self, text: &str) -> Result<Sex, String> {
        let ours = mapped(&self.mapping.sex, text).unwrap_or(text);
        Sex::parse(&ours.to_lowercase()).ok_or_else(|| {
            format!(
                "'{text}' is not a sex the app knows (column '{}'); write female, male or other, or map the word under [sex] in the mapping file",
                self.mapping.columns.sex
            )
        })
    }

    fn birth(&self, row: &Row) -> Result<Birth, String> {
        let date = self.columns.birth_date.map_or("", |i| cell(row, i));
        let age = self.columns.age.map_or("", |i| cell(row, i));
        if !date.is_empty() {
            return parse_date(date).map(|date| Birth::Date { date }).ok_or_else(|| {
                format!("'{date}' is not a date; write the date of birth as YYYY-MM-DD or DD-MM-YYYY (for example 1984-03-15 or 15-03-1984)")
            });
        }
        if !age.is_empty() {
            return age.parse::<u32>().map(|years| Birth::Age { years }).map_err(|_| {
                format!("'{age}' is not an age; write the age in whole years (for example 42)")
            });
        }
        Ok(Birth::Unknown)
    }

    /// The JSON value of one fact cell, checked against the vocabulary; `None` for an empty
    /// cell, which leaves the fact unknown (never false or zero).
    fn fact_value(&self, f: &ResolvedFact, text: &str) -> Result<Option<Value>, String> {
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
            let expected = match &def.ty {
                FactType::Bool => "yes or no".to_owned(),
                FactType::Int | FactType::Money => "a whole number".to_owned(),
                FactType::Decimal => "a number".to_owned(),
                FactType::Date => "a date (YYYY-MM-DD or DD-MM-YYYY)".to_owned(),
                FactType::Enum(v) => format!("one of {}", v.join(", ")),
                FactType::Set(v) => format!("some of {} separated by ;", v.join(", ")),
            };
            format!(
                "'{text}' in column '{}' is not a value of {}; write {expected}, or map the word under values of this column in the mapping file",
                f.column, def.name
            )
        })
    }

    fn field_reason(&self, field: &str, code: FieldErrorCode) -> String {
        let c = &self.mapping.columns;
        match code {
            FieldErrorCode::Required => {
                format!("the name (column '{}') is empty; write the member's name", c.name)
            }
            FieldErrorCode::TooLong if field == "address" => {
                "the address is longer than 300 characters; shorten it".to_owned()
            }
            FieldErrorCode::TooLong => "the name is longer than 100 characters; shorten it".to_owned(),
            FieldErrorCode::TooManyMembers => {
                "the household has more than 40 members; check that its rows share the right household key"
                    .to_owned()
            }
            FieldErrorCode::OnlyOneHead => {
                "a second head in one household; give this member their relation to the head".to_owned()
            }
            FieldErrorCode::BirthInFuture => "the date of birth is after today; correct it".to_owned(),
            FieldErrorCode::AgeTooHigh => "the age is above 120 years; correct it".to_owned(),
            FieldErrorCode::InvalidPhone => {
                "the phone number is not a ten-digit Indian mobile number; correct it or leave it empty"
                    .to_owned()
            }
            other => format!("{field} is refused ({other:?})"),
        }
    }
}

/// The one value of a household column over the household's rows (repeated on every member's
/// row or written once); two different values are a mistake to show, not to choose between.
fn shared(
    rows: &[&Row],
    index: Option<usize>,
    what: &str,
    problems: &mut Vec<RowProblem>,
) -> (usize, String) {
    let Some(index) = index else { return (rows[0].number, String::new()) };
    let mut value: Option<(usize, &str)> = None;
    for row in rows {
        let v = cell(row, index);
        match value {
            _ if v.is_empty() => {}
            None => value = Some((row.number, v)),
            Some((at, seen)) if seen != v => problems.push(RowProblem {
                row: row.number,
                reason: format!(
                    "the {what} is '{v}' here but '{seen}' on row {at} of the same household; write the same {what} on both rows, or leave one empty"
                ),
            }),
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
