//! A facilitator's day recorded into a real laptop store through `Store`, as the app records it:
//! families registered (the demo generator's, so that they look like a village's), each surveyed
//! with the baseline survey (draft, every shown question answered, finished), and referrals
//! opened with the steps taken on them that day. `sync-bench --day` measures its bytes on the
//! wire; `push-bench` pushes it to a real block through a faulty link.

use std::ops::Range;

use anyhow::{Context, Result, ensure};
use chrono::Days;
use samanvaya_core::referral::{NewReferral, Step};
use samanvaya_core::survey::baseline;
use samanvaya_core::{HouseholdQuery, ImportedHousehold, Secret, Store, VillageOverview};
use samanvaya_domain::change::Source;
use samanvaya_domain::referral::{DocumentStatus, Need};
use samanvaya_domain::{HouseholdId, Location};

use crate::fill::fill_survey;

/// Schemes a facilitator commonly refers people to; each referral takes the next.
const SCHEMES: [&str; 6] = ["NSAP_IGNOAPS", "NSAP_IGNWPS", "PMJDY", "PMSBY", "PMJJBY", "APY"];

/// The PIN of the stores the benchmarks make.
pub const PIN: &str = "482916";

/// Families of a generated village, kept in a demo store of their own (a demo store records no
/// changes, so they are copied into the laptop's store, which does).
pub struct Families {
    pub overview: VillageOverview,
    pub ids: Vec<HouseholdId>,
    demo: Store,
    _dir: tempfile::TempDir,
}

impl Families {
    /// `n` families of the demo generator's village, the same on every run.
    pub fn generate(n: usize) -> Result<Families> {
        Families::generate_from(1, n)
    }

    /// `n` families the demo generator makes from `seed`: others than [`Families::generate`]'s
    /// for any seed but 1.
    pub fn generate_from(seed: u64, n: usize) -> Result<Families> {
        let dir = tempfile::tempdir()?;
        let (mut demo, _) = Store::create(dir.path(), "demo", &Secret::new(PIN))?;
        samanvaya_demo::fill_households(&mut demo, seed, n, |_| {})?;
        let overview = demo.village_overview()?;
        let all = HouseholdQuery {
            village_id: None,
            search: String::new(),
            limit: u32::MAX,
            offset: 0,
            hamlet_id: None,
            filter: None,
        };
        let ids = demo.households(&all)?.items.iter().map(|s| s.id).collect();
        Ok(Families { overview, ids, demo, _dir: dir })
    }

    /// The village with the places above it, state first: what a store serving it holds.
    pub fn places(&self) -> Vec<Location> {
        let mut places = self.overview.above.clone();
        places.push(self.overview.village.clone());
        places
    }

    /// Makes `store` serve the families' village (with its hamlets), as a laptop set up for it.
    pub fn serve(&self, store: &mut Store) -> Result<()> {
        store.add_places(&self.places(), &[self.overview.village.id])?;
        store.add_places(&self.overview.hamlets, &[])?;
        Ok(())
    }
}

/// Where each part of the day sits in the store's change log (the laptop's own sequence numbers).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub registered: Range<i64>,
    pub surveyed: Range<i64>,
    pub referred: Range<i64>,
    pub households: usize,
    pub referrals: usize,
}

/// The last sequence number of the store's change log (nothing of a fresh store is acknowledged).
fn last_seq(store: &Store) -> Result<i64> {
    Ok(store.queued_changes()?)
}

/// Records the day into `store`, which serves the families' village and has acknowledged nothing
/// yet: every family registered, then surveyed, then `referrals` referrals opened (one member
/// each, the schemes in turn) with the steps of the day: every referral's documents looked at
/// when it is opened, every other one handed in at the office and the rest given a visit in two
/// days, and every fourth a missing document marked obtained.
pub fn record(store: &mut Store, families: &Families, referrals: usize) -> Result<Recorded> {
    ensure!(last_seq(store)? == 0, "the day is recorded into a store with nothing waiting");
    let at = store.now()?;
    let batch = families
        .ids
        .iter()
        .map(|id| {
            let mut household = families.demo.household(*id)?;
            // The laptop numbers the household from its own lease.
            household.number = None;
            Ok(ImportedHousehold { household, facts: vec![], receiving: vec![], source: Source::Survey })
        })
        .collect::<Result<Vec<_>>>()?;
    store.import(batch, at)?;
    let registered = 1..last_seq(store)? + 1;

    let form = baseline()?;
    for (k, id) in families.ids.iter().enumerate() {
        let at = store.now()?;
        fill_survey(store, form, *id, k as u64, at)?;
        store.finish_survey(*id, at)?;
    }
    let surveyed = registered.end..last_seq(store)? + 1;

    for k in 0..referrals {
        let at = store.now()?;
        let id = families.ids[k % families.ids.len()];
        let head =
            store.household(id)?.members.first().map(|p| p.id).context("a household without members")?;
        let opened = store.open_referral(
            &NewReferral {
                household_id: id,
                member_id: Some(head),
                need: Need::Scheme { code: SCHEMES[k % SCHEMES.len()].into() },
                documents: vec![DocumentStatus::Have, DocumentStatus::Missing],
                notes: String::new(),
            },
            at,
        )?;
        let rid = opened.summary.id.parse()?;
        if k % 4 == 0 {
            store.act_on_referral(rid, &Step::Document { index: 1, status: DocumentStatus::Obtained }, at)?;
        }
        let step = if k % 2 == 0 { Step::Submit } else { Step::PlanVisit { on: at.today + Days::new(2) } };
        store.act_on_referral(rid, &step, at)?;
    }
    let referred = surveyed.end..last_seq(store)? + 1;
    Ok(Recorded { registered, surveyed, referred, households: families.ids.len(), referrals })
}
