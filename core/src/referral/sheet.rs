//! The village funnel as a spreadsheet for the block office or the Samiti's minutes: the same
//! two tables (the funnel per scheme or kind, then the ageing of open cases) written as CSV or
//! as an `.xlsx` workbook (`crate::sheet`), with headers in the language the facilitator chose.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use samanvaya_eligibility::view::Bilingual;

use super::read::ReferralFunnel;
use crate::error::StoreError;
use crate::setting::Language;
pub use crate::sheet::SheetFormat;
use crate::sheet::{Cell, Table};
use crate::store::Store;

fn tables(f: &ReferralFunnel, language: Language) -> [Table; 2] {
    let hindi = language == Language::Hi;
    let say = |en: &str, hi: &str| if hindi { hi.to_owned() } else { en.to_owned() };
    let pick = |b: &Bilingual| if hindi { b.hi.clone() } else { b.en.clone() };
    let n = |v: u32| Cell::Number(f64::from(v));
    let funnel = Table {
        title: say("Referrals", "रेफ़रल"),
        headers: vec![
            say("code", "कोड"),
            say("for", "किस लिए"),
            say("eligible (not yet receiving)", "पात्र (अभी लाभ नहीं)"),
            say("referred", "रेफ़र किए"),
            say("submitted", "जमा हुए"),
            say("sanctioned", "स्वीकृत"),
            say("received", "लाभ मिला"),
            say("rejected", "अस्वीकृत"),
            say("open", "खुले"),
        ],
        rows: f
            .rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Text(r.code.clone()),
                    Cell::Text(pick(&r.name)),
                    r.eligible.map_or(Cell::Empty, n),
                    n(r.referred),
                    n(r.submitted),
                    n(r.sanctioned),
                    n(r.received),
                    n(r.rejected),
                    n(r.open),
                ]
            })
            .collect(),
    };
    let ageing = Table {
        title: say("Open cases by stage", "खुले मामले, चरण के हिसाब से"),
        headers: vec![
            say("stage", "चरण"),
            say("open cases", "खुले मामले"),
            say("average days", "औसत दिन"),
            say("longest days", "सबसे ज़्यादा दिन"),
            say("over 30 days", "30 दिन से ज़्यादा"),
        ],
        rows: f
            .ageing
            .iter()
            .map(|a| {
                vec![
                    // In English the stage's name as the CLI takes it (`--stage documents_pending`).
                    Cell::Text(if hindi { a.stage.hindi() } else { a.stage.as_str() }.to_owned()),
                    n(a.open),
                    Cell::Number(a.average_days),
                    Cell::Number(a.longest_days as f64),
                    n(a.over_30_days),
                ]
            })
            .collect(),
    };
    [funnel, ageing]
}

impl ReferralFunnel {
    /// The funnel as CSV text (no byte-order mark: [`crate::save_csv`] puts it in front), one
    /// line per scheme or kind, a blank line, then the ageing of open cases.
    pub fn csv(&self, language: Language) -> String {
        crate::sheet::csv(&tables(self, language))
    }

    /// The funnel as an `.xlsx` workbook: one sheet per table, headers in bold and frozen,
    /// counts as numbers.
    pub fn xlsx(&self, language: Language) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        crate::sheet::xlsx(&tables(self, language))
    }
}

/// The name a funnel is saved under when none is given: `referrals-2026-12-01.xlsx`.
pub fn default_name(as_of: NaiveDate, format: SheetFormat) -> String {
    format!("referrals-{as_of}.{}", format.extension())
}

impl Store {
    /// Writes the village funnel on `as_of` as `dir/name` in `format`, whole or not at all, and
    /// records the export in the audit log. Every role may: the funnel counts cases and names
    /// no one, and the Samiti's read-only account is the one that takes it to the meeting.
    pub fn save_referral_funnel(
        &self,
        dir: &Path,
        name: &str,
        format: SheetFormat,
        language: Language,
        as_of: NaiveDate,
    ) -> Result<PathBuf, StoreError> {
        let funnel = self.referral_funnel(as_of)?;
        let saved = match format {
            SheetFormat::Csv => crate::export::save_csv(dir, name, &funnel.csv(language))?,
            SheetFormat::Xlsx => {
                let bytes = funnel.xlsx(language).map_err(|e| StoreError::Export {
                    path: dir.join(name).display().to_string(),
                    source: std::io::Error::other(e),
                })?;
                crate::export::save(dir, name, &bytes)?
            }
        };
        self.audit("export:funnel", name)?;
        Ok(saved)
    }
}

#[cfg(test)]
mod tests {
    use calamine::{Data, DataType, Reader, Xlsx};
    use samanvaya_domain::referral::Stage;

    use super::*;
    use crate::referral::{FunnelRow, StageAge};

    fn funnel() -> ReferralFunnel {
        ReferralFunnel {
            as_of: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            rows: vec![
                FunnelRow {
                    code: "NSAP_IGNWPS".into(),
                    name: Bilingual {
                        en: "Widow pension".into(), hi: "विधवा पेंशन".into()
                    },
                    eligible: Some(12),
                    referred: 5,
                    submitted: 4,
                    sanctioned: 2,
                    received: 1,
                    rejected: 1,
                    open: 3,
                },
                FunnelRow {
                    code: "caste_certificate".into(),
                    name: Bilingual {
                        en: "Caste certificate, \"SC\"".into(), hi: "जाति प्रमाण पत्र".into()
                    },
                    eligible: None,
                    referred: 2,
                    submitted: 0,
                    sanctioned: 0,
                    received: 0,
                    rejected: 0,
                    open: 2,
                },
            ],
            ageing: vec![StageAge {
                stage: Stage::Submitted,
                open: 3,
                average_days: 12.5,
                longest_days: 40,
                over_30_days: 1,
            }],
        }
    }

    #[test]
    fn the_workbook_reads_back_with_the_same_numbers_and_hindi_headers() {
        let bytes = funnel().xlsx(Language::Hi).unwrap();
        let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), vec!["रेफ़रल".to_owned(), "खुले मामले, चरण के हिसाब से".to_owned()]);
        let sheet = book.worksheet_range("रेफ़रल").unwrap();
        let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(rows[0][2], Data::String("पात्र (अभी लाभ नहीं)".into()));
        assert_eq!(rows[1][1], Data::String("विधवा पेंशन".into()));
        let numbers: Vec<f64> = rows[1][2..].iter().map(|d| d.as_f64().unwrap()).collect();
        assert_eq!(numbers, vec![12.0, 5.0, 4.0, 2.0, 1.0, 1.0, 3.0]);
        // A service has no eligibility: its cell is left empty, not written as zero.
        assert_eq!(rows[2][2], Data::Empty);
        assert_eq!(rows[2][3], Data::Float(2.0));
        let ageing = book.worksheet_range("खुले मामले, चरण के हिसाब से").unwrap();
        assert_eq!(ageing.get((1, 0)), Some(&Data::String("कार्यालय में जमा".into())));
        assert_eq!(ageing.get((1, 2)), Some(&Data::Float(12.5)));
    }

    #[test]
    fn the_csv_has_english_headers_quoted_names_and_no_mark_of_its_own() {
        let text = funnel().csv(Language::En);
        assert_eq!(
            text,
            "code,for,eligible (not yet receiving),referred,submitted,sanctioned,received,rejected,open\n\
             NSAP_IGNWPS,Widow pension,12,5,4,2,1,1,3\n\
             caste_certificate,\"Caste certificate, \"\"SC\"\"\",,2,0,0,0,0,2\n\
             \n\
             stage,open cases,average days,longest days,over 30 days\n\
             submitted,3,12.5,40,1\n"
        );
    }
}
