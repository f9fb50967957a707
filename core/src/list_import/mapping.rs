//! The column-mapping file of a household list (TOML, `docs/import.md`): which column of the
//! list holds the household key, the hamlet, the member's name and so on, the list's own words
//! for relations and sexes, and the optional columns that record facts of the vocabulary. It is
//! checked against the list's header row and the vocabulary before any row is read, so a wrong
//! mapping refuses the whole file instead of reporting every row.

use std::collections::BTreeMap;

use samanvaya_eligibility::record;
use samanvaya_eligibility::view::Bilingual;
use samanvaya_forms::workbook::Sheet;
use samanvaya_rules::Vocabulary;
use samanvaya_rules::vocabulary::FactId;
use serde::Deserialize;

/// The mapping file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListMapping {
    /// The village the households belong to (its English or Hindi name); needed only when the
    /// centre serves several villages.
    #[serde(default)]
    pub village: Option<String>,
    pub columns: Columns,
    /// The list's words for relations, mapped to the app's (`head`, `spouse`, `son`…).
    #[serde(default)]
    pub relation: BTreeMap<String, String>,
    /// The list's words for sexes, mapped to `female`, `male` or `other`.
    #[serde(default)]
    pub sex: BTreeMap<String, String>,
    #[serde(default, rename = "fact")]
    pub facts: Vec<FactColumn>,
}

/// The columns of the record itself; the first four are required.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub household: String,
    pub name: String,
    pub relation: String,
    pub sex: String,
    #[serde(default)]
    pub hamlet: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub birth_date: Option<String>,
    #[serde(default)]
    pub age: Option<String>,
}

/// A column whose cells are values of one fact of the vocabulary.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactColumn {
    pub column: String,
    pub fact: String,
    /// The list's words for the fact's values, mapped to the vocabulary's value names.
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// The mapping file is not TOML of the documented shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the mapping file is not valid: {0}; see docs/import.md for its format")]
pub struct MappingError(pub String);

impl ListMapping {
    pub fn parse(text: &str) -> Result<ListMapping, MappingError> {
        toml::from_str(text).map_err(|e| MappingError(e.to_string().trim().to_owned()))
    }
}

/// The mapping checked against one list: column indexes, and each fact column's fact.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub household: usize,
    pub name: usize,
    pub relation: usize,
    pub sex: usize,
    pub hamlet: Option<usize>,
    pub address: Option<usize>,
    pub phone: Option<usize>,
    pub birth_date: Option<usize>,
    pub age: Option<usize>,
    pub facts: Vec<ResolvedFact>,
}

#[derive(Debug, Clone)]
pub struct ResolvedFact {
    pub index: usize,
    /// The column's name as the mapping wrote it, for the reasons shown.
    pub column: String,
    pub fact: FactId,
    pub values: BTreeMap<String, String>,
}

/// Facts that the record itself carries (`eligibility::record`): a column for them would give
/// the same fact twice.
const RECORD_FACTS: [(&str, &str, &str); 5] = [
    (
        record::DATE_OF_BIRTH,
        "map the column as birth_date under [columns]",
        "कॉलम को [columns] में birth_date लिखें",
    ),
    (record::SEX, "map the column as sex under [columns]", "कॉलम को [columns] में sex लिखें"),
    (
        record::RELATION_TO_HEAD,
        "map the column as relation under [columns]",
        "कॉलम को [columns] में relation लिखें",
    ),
    (record::STATE, "it comes from the village", "यह गाँव से आता है"),
    (record::RURAL_URBAN, "it comes from the village", "यह गाँव से आता है"),
];

/// Finds every mapped column in the list's header and every fact in the vocabulary, or returns
/// every problem at once, each in English (the CLI's report) and in Hindi (the import screen's):
/// what to correct in the mapping file, in the words of whoever reads it.
pub fn resolve(mapping: &ListMapping, sheet: &Sheet, vocab: &Vocabulary) -> Result<Resolved, Vec<Bilingual>> {
    let mut problems = Vec::new();
    // Each Hindi name stands before "के लिए", so in the form that takes it (सदस्य के नाम, टोले).
    let mut find = |what: (&str, &str), column: &str| find_column(sheet, what, column, &mut problems);
    let c = &mapping.columns;
    let household = find(("the household key", "परिवार की पहचान"), &c.household);
    let name = find(("the member's name", "सदस्य के नाम"), &c.name);
    let relation = find(("the relation to the head", "मुखिया से रिश्ते"), &c.relation);
    let sex = find(("the sex", "लिंग"), &c.sex);
    let hamlet = c.hamlet.as_deref().map(|h| find(("the hamlet", "टोले"), h));
    let address = c.address.as_deref().map(|h| find(("the address", "पते"), h));
    let phone = c.phone.as_deref().map(|h| find(("the phone number", "फ़ोन नंबर"), h));
    let birth_date = c.birth_date.as_deref().map(|h| find(("the date of birth", "जन्म तिथि"), h));
    let age = c.age.as_deref().map(|h| find(("the age", "उम्र"), h));
    let mut facts = Vec::new();
    for f in &mapping.facts {
        let what = (format!("the fact {}", f.fact), format!("तथ्य {}", f.fact));
        let index = find_column(sheet, (&what.0, &what.1), &f.column, &mut problems);
        match fact_problem(&f.fact, vocab) {
            Ok(fact) => {
                facts.push(ResolvedFact { index, column: f.column.clone(), fact, values: f.values.clone() })
            }
            Err(reason) => problems.push(Bilingual {
                en: format!("the column '{}': {}", f.column, reason.en),
                hi: format!("कॉलम '{}': {}", f.column, reason.hi),
            }),
        }
    }
    for (word, ours) in &mapping.relation {
        if samanvaya_domain::Relation::parse(ours).is_none() {
            let all = samanvaya_domain::Relation::ALL.map(|r| r.as_str()).join(", ");
            problems.push(Bilingual {
                en: format!(
                    "[relation] maps '{word}' to '{ours}', which is not a relation; use one of: {all}"
                ),
                hi: format!(
                    "[relation] में '{word}' को '{ours}' लिखा है, जो कोई रिश्ता नहीं है; इनमें से एक लिखें: {all}"
                ),
            });
        }
    }
    for (word, ours) in &mapping.sex {
        if samanvaya_domain::Sex::parse(ours).is_none() {
            problems.push(Bilingual {
                en: format!("[sex] maps '{word}' to '{ours}'; use female, male or other"),
                hi: format!("[sex] में '{word}' को '{ours}' लिखा है; female, male या other लिखें"),
            });
        }
    }
    if problems.is_empty() {
        Ok(Resolved { household, name, relation, sex, hamlet, address, phone, birth_date, age, facts })
    } else {
        Err(problems)
    }
}

/// The index of the header `column` (compared without case), or a problem saying which columns
/// the list has; `usize::MAX` then, which is never used since the mapping is refused.
fn find_column(
    sheet: &Sheet,
    (what, what_hi): (&str, &str),
    column: &str,
    problems: &mut Vec<Bilingual>,
) -> usize {
    let wanted = column.trim().to_lowercase();
    sheet.headers.iter().position(|h| *h == wanted).unwrap_or_else(|| {
        let known: Vec<&str> = sheet.headers.iter().filter(|h| !h.is_empty()).map(String::as_str).collect();
        let known = known.join(", ");
        problems.push(Bilingual {
            en: format!(
                "the mapping names the column '{column}' for {what}, but the list has no such column (its columns are: {known}); correct the column's name in the mapping file or in the list's first row"
            ),
            hi: format!(
                "मैपिंग फ़ाइल में {what_hi} के लिए कॉलम '{column}' लिखा है, पर सूची में ऐसा कोई कॉलम नहीं है (उसके कॉलम हैं: {known}); मैपिंग फ़ाइल में या सूची की पहली पंक्ति में कॉलम का नाम ठीक करें"
            ),
        });
        usize::MAX
    })
}

/// Whether a column may record `name`: a fact of the vocabulary that is asked, not derived, and
/// not one the record carries. The same rules as the survey's `fact` column (`forms::mapping`).
fn fact_problem(name: &str, vocab: &Vocabulary) -> Result<FactId, Bilingual> {
    if let Some((_, hint, hint_hi)) = RECORD_FACTS.iter().find(|(n, _, _)| *n == name) {
        return Err(Bilingual {
            en: format!("{name} is part of the household record: {hint}"),
            hi: format!("{name} परिवार के रिकॉर्ड का हिस्सा है: {hint_hi}"),
        });
    }
    let Some(id) = vocab.id(name) else {
        let suggested = vocab.suggest(name);
        let hint = suggested.map_or(String::new(), |s| format!("; did you mean '{s}'?"));
        let hint_hi = suggested.map_or(String::new(), |s| format!("; क्या आपका मतलब '{s}' था?"));
        return Err(Bilingual {
            en: format!("'{name}' is not a fact of the vocabulary (schema/facts/){hint}"),
            hi: format!("'{name}' शब्दावली (schema/facts/) का कोई तथ्य नहीं है{hint_hi}"),
        });
    };
    let def = vocab.get(id);
    if def.derived.is_some() {
        let base = &vocab.get(def.asked_as()).name;
        let (hint, hint_hi) = if base == record::DATE_OF_BIRTH {
            (
                "; map the column as age (in years) or birth_date under [columns]",
                "; कॉलम को [columns] में age (साल में) या birth_date लिखें",
            )
        } else {
            ("", "")
        };
        return Err(Bilingual {
            en: format!("{name} is worked out from {base} and cannot be recorded{hint}"),
            hi: format!("{name} {base} से निकाला जाता है और दर्ज नहीं किया जा सकता{hint_hi}"),
        });
    }
    Ok(id)
}
