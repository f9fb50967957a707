//! What a referral can be for, where it goes and by when: the kinds of `schema/referrals/`
//! (services outside the catalogue and grievances, with their offices and checklists) and the
//! service levels, beside the catalogue's schemes. The laptop and the block server read the same
//! file, so a due day moved by an escalation at the block is the one the village would compute.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use samanvaya_domain::referral::{Action, Case, Level, Need, Step};
use samanvaya_rules::Catalogue;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::view::Bilingual;

/// The days a level has before a case is overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct DueDays {
    pub village: u32,
    pub block: u32,
    pub district: u32,
}

impl DueDays {
    fn at(self, level: Level) -> u32 {
        match level {
            Level::Village => self.village,
            Level::Block => self.block,
            Level::District => self.district,
        }
    }
}

/// A service or grievance kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReferralKind {
    pub code: String,
    pub name: Bilingual,
    /// Where the case goes at the village level.
    pub office: Bilingual,
    #[serde(default)]
    pub documents: Vec<Bilingual>,
    /// This kind's own service level, when it differs from its type's.
    #[serde(default)]
    pub due_days: Option<DueDays>,
}

/// `schema/referrals/kinds.toml`, read and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(deny_unknown_fields)]
#[ts(export)]
pub struct ReferralKinds {
    /// The service level of each type of referral: `scheme`, `service`, `grievance`.
    pub due_days: BTreeMap<String, DueDays>,
    /// The office of the block and of the district, where escalated cases go.
    pub office: BTreeMap<String, Bilingual>,
    pub service: Vec<ReferralKind>,
    pub grievance: Vec<ReferralKind>,
}

/// The kinds file does not load or does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("schema/referrals/kinds.toml: {0}")]
pub struct KindsError(pub String);

/// The need names nothing this build knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no {what} \"{code}\" in this version's catalogue or referral kinds")]
pub struct UnknownNeed {
    pub what: &'static str,
    pub code: String,
}

impl ReferralKinds {
    /// Reads and checks the kinds file's text.
    pub fn parse(text: &str) -> Result<ReferralKinds, KindsError> {
        let kinds: ReferralKinds = toml::from_str(text).map_err(|e| KindsError(e.to_string()))?;
        for needed in ["scheme", "service", "grievance"] {
            if !kinds.due_days.contains_key(needed) {
                return Err(KindsError(format!("[due_days] has no `{needed}`; add one for each type")));
            }
        }
        for level in ["block", "district"] {
            if !kinds.office.contains_key(level) {
                return Err(KindsError(format!(
                    "[office.{level}] is missing: escalated cases need an office"
                )));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for k in kinds.service.iter().chain(&kinds.grievance) {
            if !seen.insert(k.code.as_str()) {
                return Err(KindsError(format!(
                    "the code \"{}\" is used twice; codes must be unique",
                    k.code
                )));
            }
            let texts = std::iter::once(&k.name).chain(std::iter::once(&k.office)).chain(&k.documents);
            if texts.into_iter().any(|t| t.en.trim().is_empty() || t.hi.trim().is_empty()) {
                return Err(KindsError(format!(
                    "\"{}\" has a text without English or Hindi; give both",
                    k.code
                )));
            }
        }
        Ok(kinds)
    }

    fn kind(&self, need: &Need) -> Result<Option<&ReferralKind>, UnknownNeed> {
        let (list, what) = match need {
            Need::Scheme { .. } => return Ok(None),
            Need::Service { .. } => (&self.service, "service"),
            Need::Grievance { .. } => (&self.grievance, "grievance kind"),
        };
        list.iter()
            .find(|k| k.code == need.code())
            .map(Some)
            .ok_or_else(|| UnknownNeed { what, code: need.code().to_owned() })
    }

    /// Checks that `need` names a scheme of `cat` or a kind of this file.
    pub fn check(&self, cat: &Catalogue, need: &Need) -> Result<(), UnknownNeed> {
        if let Need::Scheme { code } = need
            && cat.scheme(code).is_none()
        {
            return Err(UnknownNeed { what: "scheme", code: code.clone() });
        }
        self.kind(need).map(|_| ())
    }

    /// The action a `step` on `case` (for `need`) is on `today`: an escalation is due by the
    /// level above's service level, a reopening by the case's own. An escalation from the
    /// district keeps the district's level here, and `Case::apply` refuses it with its reason.
    pub fn action(&self, step: Step, case: &Case, need: &Need, today: NaiveDate) -> Action {
        match step {
            Step::DocumentsPending => Action::DocumentsPending,
            Step::Submit => Action::Submit,
            Step::Process => Action::Process,
            Step::Sanction => Action::Sanction,
            Step::Receive { on, amount_inr } => Action::Receive { on, amount_inr },
            Step::Reject { reason } => Action::Reject { reason },
            Step::Withdraw { reason } => Action::Withdraw { reason },
            Step::Escalate { reason } => {
                let level = case.level.above().unwrap_or(case.level);
                Action::Escalate { reason, due_on: self.due_on(need, level, today) }
            }
            Step::Reopen { reason } => {
                Action::Reopen { reason, due_on: self.due_on(need, case.level, today) }
            }
            Step::Document { index, status } => Action::Document { index, status },
            Step::PlanVisit { on } => Action::PlanVisit { on },
            Step::Note { text } => Action::Note { text },
        }
    }

    /// The day a case of `need` reaching `level` on `from` is due.
    pub fn due_on(&self, need: &Need, level: Level, from: NaiveDate) -> NaiveDate {
        let own = self.kind(need).ok().flatten().and_then(|k| k.due_days);
        let days = own.or_else(|| self.due_days.get(need.type_name()).copied()).map_or(30, |d| d.at(level));
        from + Days::new(u64::from(days))
    }

    /// What the referral is for, in both languages.
    pub fn name(&self, cat: &Catalogue, need: &Need) -> Result<Bilingual, UnknownNeed> {
        match need {
            Need::Scheme { code } => cat
                .scheme(code)
                .map(|s| (&s.name).into())
                .ok_or_else(|| UnknownNeed { what: "scheme", code: code.clone() }),
            _ => Ok(self.kind(need)?.map(|k| k.name.clone()).unwrap_or_else(|| unreachable_name(need))),
        }
    }

    /// The office a case of `need` goes to at `level`.
    pub fn office(&self, cat: &Catalogue, need: &Need, level: Level) -> Result<Bilingual, UnknownNeed> {
        if level != Level::Village
            && let Some(office) = self.office.get(level.as_str())
        {
            return Ok(office.clone());
        }
        match need {
            Need::Scheme { code } => cat
                .scheme(code)
                .map(|s| (&s.department).into())
                .ok_or_else(|| UnknownNeed { what: "scheme", code: code.clone() }),
            _ => Ok(self.kind(need)?.map(|k| k.office.clone()).unwrap_or_else(|| unreachable_name(need))),
        }
    }

    /// The documents to carry: the scheme's list in the catalogue, or the kind's.
    pub fn documents(&self, cat: &Catalogue, need: &Need) -> Result<Vec<Bilingual>, UnknownNeed> {
        match need {
            Need::Scheme { code } => cat
                .scheme(code)
                .map(|s| s.documents.iter().map(Into::into).collect())
                .ok_or_else(|| UnknownNeed { what: "scheme", code: code.clone() }),
            _ => Ok(self.kind(need)?.map(|k| k.documents.clone()).unwrap_or_default()),
        }
    }
}

/// `kind` returns a kind for every need that is not a scheme; this is never shown.
fn unreachable_name(need: &Need) -> Bilingual {
    Bilingual { en: need.code().to_owned(), hi: need.code().to_owned() }
}

/// The kinds built into this version, loaded once per process.
pub fn embedded() -> Result<&'static ReferralKinds, KindsError> {
    static KINDS: OnceLock<Result<ReferralKinds, KindsError>> = OnceLock::new();
    KINDS
        .get_or_init(|| ReferralKinds::parse(samanvaya_schema::REFERRAL_KINDS))
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> &'static ReferralKinds {
        embedded().unwrap()
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn the_shipped_kinds_load_and_every_type_has_a_service_level() {
        let k = kinds();
        assert!(k.service.iter().any(|s| s.code == "birth_certificate"));
        assert!(k.grievance.iter().any(|s| s.code == "pension_not_paid"));
    }

    #[test]
    fn due_days_come_from_the_kind_or_its_type_and_the_level() {
        let k = kinds();
        let scheme = Need::Scheme { code: "NSAP_IGNWPS".into() };
        assert_eq!(k.due_on(&scheme, Level::Village, day(12, 1)), day(12, 31));
        assert_eq!(k.due_on(&scheme, Level::Block, day(12, 1)), day(12, 22));
        let safety = Need::Service { kind: "safety_concern".into() };
        assert_eq!(k.due_on(&safety, Level::Village, day(12, 1)), day(12, 3));
    }

    #[test]
    fn a_scheme_referral_takes_its_checklist_and_office_from_the_catalogue() {
        let cat = crate::embedded().unwrap();
        let k = kinds();
        let scheme = Need::Scheme { code: "NSAP_IGNWPS".into() };
        let docs = k.documents(cat, &scheme).unwrap();
        assert_eq!(docs.len(), cat.scheme("NSAP_IGNWPS").unwrap().documents.len());
        assert!(!docs.is_empty());
        assert_eq!(k.office(cat, &scheme, Level::Block).unwrap().en, "Block Development Office (BDO)");
        let unknown = Need::Scheme { code: "NO_SUCH".into() };
        assert_eq!(k.check(cat, &unknown).unwrap_err().what, "scheme");
        let grievance = Need::Grievance { kind: "nope".into(), description: String::new() };
        assert!(k.check(cat, &grievance).is_err());
    }

    #[test]
    fn a_broken_kinds_file_is_refused_with_what_to_fix() {
        let text = samanvaya_schema::REFERRAL_KINDS;
        let twice = format!(
            "{text}\n[[grievance]]\ncode = \"other\"\nname = {{ en = \"x\", hi = \"y\" }}\noffice = {{ en = \"x\", hi = \"y\" }}\n"
        );
        assert!(ReferralKinds::parse(&twice).unwrap_err().0.contains("used twice"));
        let no_hindi = text.replacen("hi = \"जन्म प्रमाण पत्र\"", "hi = \"\"", 1);
        assert!(ReferralKinds::parse(&no_hindi).unwrap_err().0.contains("English or Hindi"));
        let no_level = text.replacen("grievance = { village", "complaint = { village", 1);
        assert!(ReferralKinds::parse(&no_level).unwrap_err().0.contains("grievance"));
    }
}
