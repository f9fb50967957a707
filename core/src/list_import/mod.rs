//! Importing a household list kept elsewhere (a CSV file or a spreadsheet, one row per member)
//! through a column-mapping file (`docs/import.md`). `mapping` reads the mapping file and checks
//! it against the list's header and the fact vocabulary; `rows` groups the rows into households
//! and checks each whole; this module writes the households that passed, in one transaction,
//! through the same path as every other import (`import::write`).
//!
//! The import's promises: a household with one bad row is refused whole and reported with every
//! bad row's number and reason, the good households are written together or not at all (a
//! power cut leaves the store as it was), and a household whose list key was imported before is
//! skipped, so that importing a corrected list again adds only the households that were refused
//! the first time.

pub mod file;
pub mod mapping;
pub mod rows;

use blake2::{Blake2s256, Digest};
use rusqlite::TransactionBehavior;
use samanvaya_domain::change::Source;
use samanvaya_domain::{Household, HouseholdId, Location, Person, PersonId};
use samanvaya_eligibility::view::Bilingual;
use samanvaya_forms::workbook::Sheet;
use serde::Serialize;
use uuid::Uuid;

use crate::error::StoreError;
use crate::import::{ImportedHousehold, write};
use crate::store::Store;
use crate::{audit, centre, location, setting};

pub use file::{ImportFiles, import_files, read_list, read_mapping};
pub use mapping::{ListMapping, MappingError};
pub use rows::RowProblem;

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ListReport {
    /// The list's rows that hold anything, one per member.
    #[ts(type = "number")]
    pub rows: usize,
    /// Households written (for a dry run: that would be written).
    #[ts(type = "number")]
    pub imported: usize,
    #[ts(type = "number")]
    pub members: usize,
    /// Households whose list key was imported into this village before: skipped.
    #[ts(type = "number")]
    pub already: usize,
    /// Households refused because one of their rows is bad; nothing of them is written.
    #[ts(type = "number")]
    pub refused: usize,
    /// Every bad row, by row number, with what to fix.
    pub problems: Vec<RowProblem>,
    pub dry_run: bool,
}

/// How the import goes: `dry_run` checks everything and writes nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListOptions {
    pub dry_run: bool,
}

impl Store {
    /// Imports the households of `sheet` as `mapping` reads them. Refuses the whole list when
    /// the mapping does not fit it (a missing column, an unknown fact), on a demo store (its
    /// households are invented and never travel, so a real list would be stranded in it) and to
    /// an account that may only read. `progress` hears (households written, households to write).
    pub fn import_list(
        &mut self,
        sheet: &Sheet,
        mapping: &ListMapping,
        options: ListOptions,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<ListReport, StoreError> {
        self.require_write("import households")?;
        if self.is_demo()? {
            return Err(StoreError::DemoImport);
        }
        let at = self.now()?;
        let cat = samanvaya_eligibility::embedded().map_err(|e| StoreError::Catalogue(e.0))?;
        let village = village(&self.conn, mapping.village.as_deref())?;
        let columns = mapping::resolve(mapping, sheet, &cat.vocab)
            .map_err(|problems| StoreError::ListRefused { problems })?;
        let hamlets = location::children(&self.conn, village.id)?;
        let read = rows::read(sheet, mapping, &columns, &cat.vocab, village.id, &hamlets, at.today);

        let mut report = ListReport {
            rows: sheet.rows.iter().filter(|r| !r.is_empty()).count(),
            refused: read.refused,
            problems: read.problems,
            dry_run: options.dry_run,
            ..ListReport::default()
        };
        // A dry run only reads, so it does not take the write lock from the window meanwhile.
        let behavior =
            if options.dry_run { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
        let tx = self.conn.transaction_with_behavior(behavior)?;
        let mut fresh = Vec::with_capacity(read.households.len());
        for h in read.households {
            let digest = key_digest(&village, &h.key);
            if setting::imported_household(&tx, &digest)?.is_some() {
                report.already += 1;
            } else {
                fresh.push((digest, h));
            }
        }
        let total = fresh.len();
        for (done, (digest, h)) in fresh.into_iter().enumerate() {
            report.imported += 1;
            report.members += h.input.members.len();
            if options.dry_run {
                continue;
            }
            let household = household_of(h.input, at.utc, at.today);
            let written = write(
                &tx,
                cat,
                ImportedHousehold {
                    household,
                    facts: h.facts,
                    receiving: Vec::new(),
                    source: Source::Document,
                },
                at,
            )?;
            setting::mark_imported(&tx, &digest, &written.id.to_string())?;
            progress(done + 1, total);
        }
        if options.dry_run {
            return Ok(report);
        }
        audit::append(
            &tx,
            "import:list",
            &format!(
                "{} households, {} members imported; {} already imported; {} refused",
                report.imported, report.members, report.already, report.refused
            ),
            at.utc,
        )?;
        tx.commit()?;
        Ok(report)
    }
}

/// The village the list's households belong to: the one named (in English or Hindi), or the
/// centre's only village.
fn village(conn: &rusqlite::Connection, named: Option<&str>) -> Result<Location, StoreError> {
    let villages = centre::villages(conn)?;
    let names = || villages.iter().map(|v| v.name_en.clone()).collect::<Vec<_>>().join(", ");
    match named.map(str::trim) {
        Some(name) => {
            let found = villages.iter().find(|v| v.name_en.eq_ignore_ascii_case(name) || v.name_hi == name);
            found.cloned().ok_or_else(|| StoreError::ListRefused {
                problems: vec![Bilingual {
                    en: format!(
                        "the mapping file names the village '{name}', which this centre does not serve; write one of: {}",
                        names()
                    ),
                    hi: format!(
                        "मैपिंग फ़ाइल में गाँव '{name}' लिखा है, जो इस केंद्र का गाँव नहीं है; इनमें से एक लिखें: {}",
                        names()
                    ),
                }],
            })
        }
        None => match villages.as_slice() {
            [] => Err(StoreError::NoVillage),
            [one] => Ok(one.clone()),
            _ => Err(StoreError::ListRefused {
                problems: vec![Bilingual {
                    en: format!(
                        "this centre serves several villages ({}); write village = \"NAME\" at the top of the mapping file",
                        names()
                    ),
                    hi: format!(
                        "यह केंद्र कई गाँवों का है ({}); मैपिंग फ़ाइल में सबसे ऊपर village = \"NAME\" लिखें",
                        names()
                    ),
                }],
            }),
        },
    }
}

/// A digest of the village and the list's household key: what the store remembers of an
/// imported household, so the key itself (a ration card number, say) is never kept in the clear.
fn key_digest(village: &Location, key: &str) -> String {
    let mut h = Blake2s256::new();
    h.update(village.id.0.as_bytes());
    h.update([0]);
    h.update(key.trim().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The household to store from a checked input: new ids, and a stated age kept as an estimated
/// date of birth, as the household form does.
fn household_of(
    input: samanvaya_domain::HouseholdInput,
    now: chrono::DateTime<chrono::Utc>,
    today: chrono::NaiveDate,
) -> Household {
    let members = input
        .members
        .into_iter()
        .map(|m| {
            let (birth_date, birth_date_estimated) = m.birth.resolve(today);
            Person {
                id: PersonId(Uuid::now_v7()),
                name: m.name,
                relation: m.relation,
                sex: m.sex,
                birth_date,
                birth_date_estimated,
                left: None,
            }
        })
        .collect();
    Household {
        id: HouseholdId(Uuid::now_v7()),
        number: None,
        village_id: input.village_id,
        hamlet_id: input.hamlet_id,
        address: input.address,
        phone: input.phone,
        members,
        created_at: now,
        updated_at: now,
        // A list is not a visit: the family is asked at the first one.
        consent: None,
    }
}
