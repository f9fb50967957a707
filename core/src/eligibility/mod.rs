//! Eligibility over the store: a household's decisions from its stored record and facts, the
//! village's tallies from the compact profiles, and the facilitator's answers to "ask next"
//! questions. The engine, the record mapping and the views live in `samanvaya-eligibility`; this
//! module reads and writes.

mod answer;
mod vulnerable;

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::TransactionBehavior;
use samanvaya_domain::HouseholdId;
use samanvaya_eligibility::view::{self, Audience, HouseholdEligibility, VillageEligibility};
use samanvaya_eligibility::worklist::{self, Family, Worklist};
use samanvaya_rules::HouseholdFacts;
use samanvaya_rules::vulnerability::Vulnerability;

use crate::error::StoreError;
use crate::store::Store;
use crate::{Moment, location, profile};

pub use answer::FactAnswer;

/// The embedded vulnerability profile, as the store reports its failure.
fn vulnerability() -> Result<&'static Vulnerability, StoreError> {
    samanvaya_eligibility::vulnerability().map_err(|e| StoreError::Catalogue(e.0))
}

impl Store {
    /// One household's facts as the engine reads them, from its record and its stored rows.
    pub fn household_facts(&self, id: HouseholdId) -> Result<HouseholdFacts, StoreError> {
        // The members who live there: the engine's rows line up with the profile's entries.
        let h = self.household(id)?.present();
        let entries = profile::entries(&self.conn, &h)?;
        Ok(samanvaya_eligibility::household::facts(self.rules()?.catalogue, &h, &entries))
    }

    /// Every scheme decided for one household and its members on `as_of`, explained.
    pub fn household_eligibility(
        &self,
        id: HouseholdId,
        as_of: NaiveDate,
    ) -> Result<HouseholdEligibility, StoreError> {
        let mut out = view::household(
            self.rules()?.catalogue,
            vulnerability()?,
            &self.household_facts(id)?,
            as_of,
            self.audience(),
        );
        let hid = id.to_string();
        let asked: Vec<(Option<String>, String)> = crate::fact::asked_unknown(&self.conn, &hid)?
            .into_iter()
            .map(|(subject, name)| (if subject == hid { None } else { Some(subject) }, name))
            .collect();
        view::put_asked_last(&mut out.questions, &asked);
        // Each showing of sensitive values in the explanations to staff is in the audit log, as
        // the profile's is (a Samiti viewer's view hides them and is not a reveal).
        if out.sensitive_shown > 0 {
            self.audit("reveal:eligibility", &format!("{id}, {} sensitive value(s)", out.sensitive_shown))?;
        }
        Ok(out)
    }

    /// What is known of household `id` and each member who lives there, in words, ages counted
    /// to `as_of`; a Samiti viewer is not shown the sensitive facts.
    pub fn household_profile(
        &self,
        id: HouseholdId,
        as_of: NaiveDate,
    ) -> Result<samanvaya_eligibility::known::HouseholdProfile, StoreError> {
        let cat = self.rules()?.catalogue;
        let profile =
            samanvaya_eligibility::known::household(cat, &self.household_facts(id)?, as_of, self.audience());
        // Every showing of a household's sensitive facts to staff is in the audit log (who,
        // when, which household, how many values), as issue 20 asks of each reveal.
        let shown = profile
            .household
            .iter()
            .chain(profile.members.iter().flat_map(|m| &m.facts))
            .filter(|f| cat.vocab.id(&f.fact).is_some_and(|fid| cat.vocab.is_sensitive(fid)))
            .count();
        if shown > 0 {
            self.audit("reveal:household", &format!("{id}, {shown} sensitive value(s)"))?;
        }
        Ok(profile)
    }

    /// Records a screening answer (with its change) and returns the household's new decisions,
    /// decided on the same day the answer was recorded.
    pub fn answer(&mut self, answer: &FactAnswer, at: Moment) -> Result<HouseholdEligibility, StoreError> {
        self.require_write("record an answer")?;
        let cat = self.rules()?.catalogue;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // A screening question is a personal question: asked only of a family whose consent
        // is on record (a household taken from a list has none until its first visit).
        let h = crate::household::get(&tx, answer.household_id)?
            .ok_or_else(|| StoreError::NotFound { what: "household", id: answer.household_id.to_string() })?;
        if h.consent.is_none() {
            return Err(StoreError::NoConsent);
        }
        answer::record(&tx, cat, answer, at)?;
        tx.commit()?;
        self.household_eligibility(answer.household_id, at.today)
    }

    /// The per-scheme tally over every household of the store, from the profiles through the
    /// column-wise engine, calling `progress(done, total)` while the profiles are read.
    pub fn village_eligibility(
        &self,
        as_of: NaiveDate,
        progress: impl FnMut(usize, usize),
    ) -> Result<VillageEligibility, StoreError> {
        let cat = self.rules()?.catalogue;
        let pop = profile::population(&self.conn, cat, progress)?;
        Ok(view::village(cat, &pop, as_of))
    }

    /// How many subjects the engine finds eligible for each scheme on `as_of` and not yet
    /// receiving it, by scheme code: the first column of the referral funnel. The same profiles
    /// and column-wise engine as [`Store::village_eligibility`], without the missing facts; a
    /// subject counted under another scheme of an exclusive group in the village gap is counted
    /// here too, since a case may be opened for either scheme. Read from the tally kept per
    /// slice of households (`core/src/tally.rs`), deciding only the slices changed since the
    /// last drawing that day.
    pub(crate) fn eligible_by_scheme(&self, as_of: NaiveDate) -> Result<HashMap<String, u32>, StoreError> {
        let rules = self.rules()?;
        Ok(crate::tally::whole(&self.conn, rules.catalogue, rules.version, as_of)?
            .into_iter()
            .map(|t| {
                let n = u32::try_from(t.eligible + t.alternative).unwrap_or(u32::MAX);
                (rules.catalogue.schemes[t.scheme].code.clone(), n)
            })
            .collect())
    }

    /// Decides and keeps the day's tally ahead of the funnel's first drawing of the day. The app
    /// calls it on a second connection when the store is unlocked, so that on a block-sized
    /// store that drawing reads kept slices instead of deciding every household (0.25 s).
    pub fn keep_tally(&self, as_of: NaiveDate) -> Result<(), StoreError> {
        self.eligible_by_scheme(as_of).map(|_| ())
    }

    /// The families behind one scheme's tally: every person or household eligible for the
    /// scheme with `code` and not yet receiving it, and every one whose decision waits on an
    /// answer, with the questions to ask. Decided household by household through the explaining
    /// path (a village is a few hundred households), calling `progress(done, total)`.
    pub fn worklist(
        &self,
        code: &str,
        as_of: NaiveDate,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Worklist, StoreError> {
        let cat = self.rules()?.catalogue;
        let scheme = worklist::scheme_index(cat, code)
            .ok_or_else(|| StoreError::NotFound { what: "scheme", id: code.to_owned() })?;
        let mut rows = Vec::new();
        self.each_household(
            |family, facts| rows.extend(worklist::rows(cat, scheme, family, facts, as_of)),
            &mut progress,
        )?;
        worklist::sort(&mut rows);
        Ok(Worklist { as_of, scheme: (&cat.schemes[scheme]).into(), rows })
    }

    /// Calls `visit` with every household of the store in household-number order, as the
    /// worklist names it and with its facts, and `progress(done, total)` every fifty households.
    /// A village is a few hundred households: each is read through the explaining path.
    pub(crate) fn each_household(
        &self,
        mut visit: impl FnMut(&Family, &HouseholdFacts),
        mut progress: impl FnMut(usize, usize),
    ) -> Result<(), StoreError> {
        let cat = self.rules()?.catalogue;
        let ids = self.household_ids()?;
        let mut hamlets: HashMap<_, Option<samanvaya_domain::Location>> = HashMap::new();
        for (done, id) in ids.iter().enumerate() {
            let h = self.household(*id)?.present();
            let hamlet = match h.hamlet_id {
                Some(l) => match hamlets.entry(l) {
                    std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(location::get(&self.conn, l)?).clone()
                    }
                },
                None => None,
            };
            let entries = profile::entries(&self.conn, &h)?;
            let facts = samanvaya_eligibility::household::facts(cat, &h, &entries);
            visit(&Family::of(&h, hamlet.as_ref()), &facts);
            if (done + 1) % 50 == 0 || done + 1 == ids.len() {
                progress(done + 1, ids.len());
            }
        }
        Ok(())
    }

    /// Who the views this store draws are for: a Samiti viewer is not shown the values of the
    /// vocabulary's sensitive facts.
    pub fn audience(&self) -> Audience {
        if self.who().role.may_write() { Audience::Staff } else { Audience::Restricted }
    }

    /// Every household's id, in household-number order.
    fn household_ids(&self) -> Result<Vec<HouseholdId>, StoreError> {
        let ids: Vec<String> = self
            .conn
            .prepare("SELECT id FROM household ORDER BY number, id")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        ids.iter()
            .map(|id| id.parse().map_err(|_| StoreError::Corrupt(format!("household id {id}"))))
            .collect()
    }

    /// The store's whole population as columns, for the benchmark and the server's tallies.
    pub fn population(&self) -> Result<samanvaya_rules::bulk::Population, StoreError> {
        profile::population(&self.conn, self.rules()?.catalogue, |_, _| {})
    }

    /// Every household's facts read one by one from the fact rows: the slow reference path that
    /// tests hold the profiles against.
    pub fn every_household_facts(&self) -> Result<Vec<HouseholdFacts>, StoreError> {
        self.household_ids()?.into_iter().map(|id| self.household_facts(id)).collect()
    }
}
