//! The household register as a spreadsheet: three tables (households, their members, and what is
//! known of them as facts), in Hindi or English, as CSV or an `.xlsx` workbook (`crate::sheet`).
//! Values are written in words of the chosen language (a relation, a yes, a ration card type)
//! with the vocabulary's code beside each fact, so the sheet reads well and still sorts and
//! filters by code. It names people: only an account that may do village work may take it away,
//! and every export is in the audit log.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use samanvaya_domain::{Household, HouseholdId};
use samanvaya_eligibility::record::{relation_value, sex_value};
use samanvaya_rules::Catalogue;
use samanvaya_rules::vocabulary::FactType;

use crate::error::StoreError;
use crate::setting::Language;
use crate::sheet::{Cell, SheetFormat, Table};
use crate::store::Store;
use crate::{fact, household, location};

/// The name the register is saved under when none is given: `households-2026-12-01.xlsx`.
pub fn register_file_name(today: NaiveDate, format: SheetFormat) -> String {
    format!("households-{today}.{}", format.extension())
}

/// Says `en` or `hi`, as the sheet's language is.
struct Words(bool);

impl Words {
    fn say(&self, en: &str, hi: &str) -> String {
        if self.0 { hi.to_owned() } else { en.to_owned() }
    }
}

/// The label of `value` of the enum fact `fact` in the sheet's language, or the value itself.
fn value_label(cat: &Catalogue, fact: &str, value: &str, w: &Words) -> String {
    let Some(def) = cat.vocab.id(fact).map(|id| cat.vocab.get(id)) else { return value.to_owned() };
    let (FactType::Enum(values) | FactType::Set(values)) = &def.ty else { return value.to_owned() };
    let labels = if w.0 { &def.values_hi } else { &def.values_en };
    values
        .iter()
        .position(|v| v == value)
        .and_then(|i| labels.get(i))
        .cloned()
        .unwrap_or_else(|| value.to_owned())
}

/// A fact's stored value (JSON) in words: yes or no, an enum's label, a set's labels, a number.
fn fact_value(cat: &Catalogue, fact: &str, json: &str, w: &Words) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::Null) => w.say("not known", "पता नहीं"),
        Ok(serde_json::Value::Bool(true)) => w.say("yes", "हाँ"),
        Ok(serde_json::Value::Bool(false)) => w.say("no", "नहीं"),
        Ok(serde_json::Value::String(s)) => value_label(cat, fact, &s, w),
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), |s| value_label(cat, fact, s, w)))
            .collect::<Vec<_>>()
            .join(", "),
        Ok(other) => other.to_string(),
        Err(_) => json.to_owned(),
    }
}

impl Store {
    /// The register's three tables on `today` (a member's age is counted to it), with the
    /// sensitive facts or without them, and how many sensitive values were left out.
    fn register_tables(
        &self,
        language: Language,
        today: NaiveDate,
        sensitive: bool,
    ) -> Result<([Table; 3], usize), StoreError> {
        let cat = self.rules()?.catalogue;
        let w = Words(language == Language::Hi);
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM household ORDER BY number, id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut hamlets: HashMap<String, String> = HashMap::new();
        let (mut homes, mut people, mut facts) = (Vec::new(), Vec::new(), Vec::new());
        let mut left_out = 0;
        for id in ids {
            let hid: HouseholdId =
                id.parse().map_err(|_| StoreError::Corrupt(format!("household id {id}")))?;
            let Some(h) = household::get(&self.conn, hid)? else { continue };
            let number = h.number.map_or(Cell::Empty, |n| Cell::Number(n as f64));
            let hamlet = match h.hamlet_id {
                Some(l) => match hamlets.get(&l.to_string()) {
                    Some(name) => name.clone(),
                    None => {
                        let name = location::get(&self.conn, l)?
                            .map(|p| if w.0 { p.name_hi } else { p.name_en })
                            .unwrap_or_default();
                        hamlets.insert(l.to_string(), name.clone());
                        name
                    }
                },
                None => String::new(),
            };
            homes.push(vec![
                number.clone(),
                Cell::Text(hamlet),
                Cell::Text(h.address.clone()),
                Cell::Text(h.phone.clone()),
                Cell::Number(h.present().members.len() as f64),
                Cell::Text(h.created_at.date_naive().to_string()),
            ]);
            people.extend(member_rows(cat, &h, &number, &w, today));
            for f in fact::for_household(&self.conn, &id)? {
                let def = cat.vocab.id(&f.name).map(|fid| cat.vocab.get(fid));
                if !sensitive && def.is_some_and(|d| d.sensitive) {
                    left_out += 1;
                    continue;
                }
                let whose = if f.subject_id == id {
                    w.say("household", "परिवार")
                } else {
                    h.members
                        .iter()
                        .find(|m| m.id.to_string() == f.subject_id)
                        .map(|m| m.name.clone())
                        .unwrap_or_default()
                };
                let label =
                    def.map_or_else(|| f.name.clone(), |d| if w.0 { d.hi.clone() } else { d.en.clone() });
                facts.push(vec![
                    number.clone(),
                    Cell::Text(whose),
                    Cell::Text(label),
                    Cell::Text(fact_value(cat, &f.name, &f.value, &w)),
                    Cell::Text(f.name.clone()),
                    Cell::Text(f.value.clone()),
                ]);
            }
        }
        Ok((
            [
                Table {
                    title: w.say("Households", "परिवार"),
                    headers: vec![
                        w.say("number", "परिवार नंबर"),
                        w.say("hamlet", "टोला"),
                        w.say("address", "पता"),
                        w.say("phone", "मोबाइल"),
                        w.say("members living there", "साथ रहने वाले सदस्य"),
                        w.say("recorded on", "दर्ज करने की तारीख"),
                    ],
                    rows: homes,
                },
                Table {
                    title: w.say("Members", "सदस्य"),
                    headers: vec![
                        w.say("household number", "परिवार नंबर"),
                        w.say("member", "सदस्य क्रम"),
                        w.say("name", "नाम"),
                        w.say("relation to the head", "मुखिया से रिश्ता"),
                        w.say("sex", "लिंग"),
                        w.say("date of birth", "जन्म तिथि"),
                        w.say("date worked out from a stated age", "बताई उम्र से अनुमानित"),
                        w.say("age", "उम्र"),
                        w.say("left the household", "परिवार छोड़ा"),
                    ],
                    rows: people,
                },
                Table {
                    title: w.say("Facts", "जानकारियाँ"),
                    headers: vec![
                        w.say("household number", "परिवार नंबर"),
                        w.say("whose", "किसकी"),
                        w.say("fact", "जानकारी"),
                        w.say("value", "जवाब"),
                        w.say("fact code", "जानकारी कोड"),
                        w.say("value code", "जवाब कोड"),
                    ],
                    rows: facts,
                },
            ],
            left_out,
        ))
    }

    /// Writes the household register as `dir/name` in `format`, whole or not at all, and
    /// records the export in the audit log. It names people and what is known of them, so an
    /// account that may only read (the Samiti's) cannot take it away. The vocabulary's sensitive
    /// facts (caste, religion, disability, income, HIV) are left out unless `sensitive` is asked
    /// for, which only a supervisor may, and which the audit log records as a reveal.
    pub fn save_register(
        &self,
        dir: &Path,
        name: &str,
        format: SheetFormat,
        language: Language,
        today: NaiveDate,
        sensitive: bool,
    ) -> Result<PathBuf, StoreError> {
        self.require_write("export the household register")?;
        if sensitive && !self.who().role.may_export_sensitive() {
            return Err(StoreError::NotAllowed {
                role: self.who().role.as_str(),
                action: "export the sensitive facts (caste, religion, disability, income); a supervisor may",
            });
        }
        let (tables, left_out) = self.register_tables(language, today, sensitive)?;
        let saved = match format {
            SheetFormat::Csv => crate::export::save_csv(dir, name, &crate::sheet::csv(&tables))?,
            SheetFormat::Xlsx => {
                let bytes = crate::sheet::xlsx(&tables).map_err(|e| StoreError::Export {
                    path: dir.join(name).display().to_string(),
                    source: std::io::Error::other(e),
                })?;
                crate::export::save(dir, name, &bytes)?
            }
        };
        if sensitive {
            self.audit("reveal:register", &format!("{name}, with the sensitive facts"))?;
        } else {
            self.audit("export:register", &format!("{name}, {left_out} sensitive value(s) left out"))?;
        }
        Ok(saved)
    }
}

/// One row per member, those who left included (with when and why), in the household's order.
fn member_rows(cat: &Catalogue, h: &Household, number: &Cell, w: &Words, today: NaiveDate) -> Vec<Vec<Cell>> {
    h.members
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let left = p.left.map_or_else(String::new, |d| format!("{} ({})", d.reason.as_str(), d.on));
            vec![
                number.clone(),
                Cell::Number((i + 1) as f64),
                Cell::Text(p.name.clone()),
                Cell::Text(value_label(cat, "person.relation_to_head", relation_value(p.relation), w)),
                Cell::Text(value_label(cat, "person.sex", sex_value(p.sex), w)),
                p.birth_date.map_or(Cell::Empty, |d| Cell::Text(d.to_string())),
                Cell::Text(if p.birth_date_estimated {
                    w.say("yes", "हाँ")
                } else {
                    w.say("no", "नहीं")
                }),
                p.age_on(today).map_or(Cell::Empty, |a| Cell::Number(f64::from(a))),
                Cell::Text(left),
            ]
        })
        .collect()
}
