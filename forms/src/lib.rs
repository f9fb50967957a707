//! Samanvaya's XLSForm engine. A survey form written the way ODK, KoboToolbox, SurveyCTO and
//! CommCare authors write it is read (`workbook`: `.xlsx`, or pyxform's markdown tables), checked
//! whole into a `Form` (`load`, with `columns` naming what each header means and `mapping`
//! checking the `fact` column against the fact vocabulary), evaluated over the answers as they
//! are typed (`answer`, with `expr` parsing and `eval` evaluating the XPath subset), and turned,
//! once finished, into the facts the eligibility engine reads (`facts`).
//!
//! The crate is pure: it reads bytes it is given, no file, no clock (the survey's day is a
//! parameter), no database.

pub mod answer;
pub mod columns;
pub mod definition;
pub mod eval;
pub mod expr;
pub mod facts;
pub mod load;
pub mod mapping;
pub mod table;
pub mod view;
pub mod workbook;

pub use answer::{Answers, State, evaluate};
pub use definition::{Form, Item, Kind, Problem, Target};
pub use facts::{SurveyFacts, facts};
pub use workbook::{Workbook, read_markdown, read_xlsx};

use samanvaya_rules::Catalogue;

/// Why a form file was not loaded: every problem found, or a file that is not a spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("{0}")]
    Unreadable(#[from] workbook::ReadError),
    #[error("the form has {} problem(s):\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

/// Loads a form file's bytes: `.xlsx`, or `.md` (pyxform's markdown tables). `name` is the
/// file name, which says the format and names a form whose settings sheet gives no form_id.
pub fn load_file(name: &str, bytes: &[u8], catalogue: &Catalogue) -> Result<Form, FormError> {
    let stem = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = stem.rsplit_once('.').unwrap_or((stem, ""));
    let wb = match ext.to_lowercase().as_str() {
        "md" => read_markdown(&String::from_utf8_lossy(bytes)),
        "xlsx" => read_xlsx(bytes)?,
        "xls" => {
            return Err(FormError::Unreadable(workbook::ReadError(
                "this is an old .xls file; open it in Excel or LibreOffice and save it as .xlsx".into(),
            )));
        }
        other => {
            return Err(FormError::Unreadable(workbook::ReadError(format!(
                "'.{other}' is not a form file; give an XLSForm .xlsx (or a pyxform .md)"
            ))));
        }
    };
    load::load(&wb, stem, catalogue).map_err(FormError::Invalid)
}
