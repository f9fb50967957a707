//! The village's register of cases, one page at a time: filtered by stage, level, scheme or
//! kind, overdue or not, and searched by a person's name (in either script) or a referral
//! number. A village with thousands of cases gets a page and the count of all that match, so the
//! screen never draws more than it can keep fluid.

use chrono::NaiveDate;
use samanvaya_domain::name_key::name_key;
use samanvaya_domain::referral::{Level, Need, Stage};
use samanvaya_eligibility::view::Bilingual;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::read::{ReferralSummary, summaries};
use super::{catalogue, kinds};
use crate::error::StoreError;
use crate::store::Store;

/// How many cases one page of the list holds.
pub const LIST_PAGE: u32 = 100;

/// Which cases the list shows; an absent filter lets every case through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
#[ts(export)]
pub struct ReferralFilter {
    pub stage: Option<Stage>,
    pub level: Option<Level>,
    /// A scheme's code, or a service's or grievance's kind.
    pub need_code: Option<String>,
    /// Only open cases past their due day.
    #[serde(default)]
    pub overdue_only: bool,
    /// Part of a person's name, in Latin or Devanagari letters, or a referral number ("L-12",
    /// or "12").
    #[serde(default)]
    pub search: String,
    /// How many matching cases to skip: the page starts after them.
    #[serde(default)]
    pub offset: u32,
}

/// A scheme or kind that has cases, for the list's filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct NeedChoice {
    pub code: String,
    pub name: Bilingual,
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct ReferralPage {
    /// The page's cases, the newest recorded on this laptop first.
    pub items: Vec<ReferralSummary>,
    /// How many cases match the filter, on every page.
    pub total: u32,
    pub offset: u32,
    pub page_size: u32,
    /// Every scheme or kind with at least one case, for the filter's choices.
    pub needs: Vec<NeedChoice>,
}

/// A search on the number or on the name shown (the member's, or the head's for a household
/// case), through the person `p` joined to the case: the query as typed, its digits, its name key.
const SEARCH: &str = "(r.number = ? COLLATE NOCASE
        OR r.number LIKE '%-' || ?
        OR (?3 <> '' AND coalesce(p.name_key,
                (SELECT name_key FROM person WHERE household_id = r.household_id ORDER BY position LIMIT 1))
              LIKE '%' || ?3 || '%'))";

impl Store {
    /// One page of the cases that pass `filter`, with how many pass it in all.
    pub fn referral_list(
        &self,
        filter: &ReferralFilter,
        today: NaiveDate,
    ) -> Result<ReferralPage, StoreError> {
        let search = filter.search.trim();
        let key = name_key(search);
        // "12" finds L-12 and R-12; a number typed whole ("l-12") finds that one.
        let digits = (!search.is_empty() && search.chars().all(|c| c.is_ascii_digit())).then_some(search);
        // A query of punctuation alone has no key and no number: it filters nothing.
        let searching = !search.is_empty() && (!key.is_empty() || digits.is_some());
        // Only the filters chosen are in the query, so that SQLite can count through an index
        // (every case, a scheme's, the overdue ones) instead of reading every case's row.
        let (stage, level) = (filter.stage.map(Stage::as_str), filter.level.map(Level::as_str));
        let mut conditions: Vec<&str> = Vec::new();
        let mut args: Vec<&dyn rusqlite::ToSql> = Vec::new();
        if let Some(stage) = &stage {
            conditions.push("r.stage = ?");
            args.push(stage);
        }
        if let Some(level) = &level {
            conditions.push("r.level = ?");
            args.push(level);
        }
        if let Some(code) = &filter.need_code {
            conditions.push("r.need_code = ?");
            args.push(code);
        }
        if filter.overdue_only {
            conditions.push("r.is_open = 1 AND r.due_on < ?");
            args.push(&today);
        }
        let search_sql;
        let from = if searching {
            // The name key is parameter 3 of the search; numbered from where the search starts.
            search_sql = SEARCH.replace("?3", &format!("?{}", args.len() + 3));
            conditions.push(&search_sql);
            args.extend([&search as &dyn rusqlite::ToSql, &digits, &key]);
            "referral r LEFT JOIN person p ON p.id = r.subject_id"
        } else {
            "referral r"
        };
        let filter_sql =
            if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
        let total: i64 = self
            .conn
            .prepare_cached(&format!("SELECT count(*) FROM {from} {filter_sql}"))?
            .query_row(&args[..], |r| r.get(0))?;
        // The page's rows are chosen in the table's own order (newest recorded first, with no
        // sort), and only they are read whole: sorting every matching case with all its columns
        // took a second at 100,000 cases.
        let (limit, offset) = (i64::from(LIST_PAGE), i64::from(filter.offset));
        let (l, o) = (args.len() + 1, args.len() + 2);
        args.extend([&limit as &dyn rusqlite::ToSql, &offset]);
        let items = summaries(
            &self.conn,
            "",
            &format!(
                "WHERE r.rowid IN (SELECT r.rowid FROM {from} {filter_sql}
                                   ORDER BY r.rowid DESC LIMIT ?{l} OFFSET ?{o})
                 ORDER BY r.rowid DESC"
            ),
            &args,
            today,
        )?;
        Ok(ReferralPage {
            items,
            total: u32::try_from(total).unwrap_or(u32::MAX),
            offset: filter.offset,
            page_size: LIST_PAGE,
            needs: self.needs_with_cases()?,
        })
    }

    /// The schemes and kinds that have cases, named, schemes first; read from the need index.
    fn needs_with_cases(&self) -> Result<Vec<NeedChoice>, StoreError> {
        let (cat, kinds) = (catalogue(&self.conn)?, kinds()?);
        let codes: Vec<String> = self
            .conn
            .prepare_cached("SELECT DISTINCT need_code FROM referral")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut out: Vec<(bool, NeedChoice)> = codes
            .into_iter()
            .map(|code| {
                // The code alone names the need: scheme codes and kinds do not overlap.
                let scheme = Need::Scheme { code: code.clone() };
                let service = Need::Service { kind: code.clone() };
                let grievance = Need::Grievance { kind: code.clone(), description: String::new() };
                let name = [&scheme, &service, &grievance]
                    .into_iter()
                    .find_map(|n| kinds.name(cat, n).ok())
                    .unwrap_or_else(|| Bilingual { en: code.clone(), hi: code.clone() });
                (cat.scheme(&code).is_none(), NeedChoice { code, name })
            })
            .collect();
        out.sort_by(|a, b| (a.0, &a.1.name.en).cmp(&(b.0, &b.1.name.en)));
        Ok(out.into_iter().map(|(_, n)| n).collect())
    }
}
