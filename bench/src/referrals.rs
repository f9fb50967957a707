//! `referral-bench`: the facilitator's to-do list, the village funnel and the list of cases on a
//! block-sized store (50,000 demo households, 100,000 referrals in every stage), best and median
//! of several runs.
//! Numbers and the command are in docs/benchmarks.md.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::Days;
use clap::Parser;
use samanvaya_bench::{timed, timed_after};
use samanvaya_core::eligibility::FactAnswer;
use samanvaya_core::referral::{NewReferral, ReferralFilter, ReferralQuery, Step};
use samanvaya_core::{HouseholdQuery, Moment, Store};
use samanvaya_domain::referral::{Need, Stage};

#[derive(Parser)]
struct Args {
    #[arg(long, default_value_t = 50_000)]
    households: usize,
    #[arg(long, default_value_t = 100_000)]
    referrals: usize,
    /// The store to use (filled on the first run, reused after).
    #[arg(long)]
    store: Option<PathBuf>,
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

/// Schemes a person may be referred for; each person gets up to this many referrals.
const SCHEMES: [&str; 6] = ["NSAP_IGNOAPS", "NSAP_IGNWPS", "PMJDY", "PMSBY", "PMJJBY", "APY"];

fn fill(store: &mut Store, args: &Args) -> Result<()> {
    if store.household_count()? == 0 {
        let start = Instant::now();
        samanvaya_demo::fill_households(store, 1, args.households, |_| {})?;
        println!("store: {} demo households in {:.1?}", args.households, start.elapsed());
    }
    let at = store.now()?;
    let have = store.referrals(&ReferralQuery::default(), at.today)?.len();
    if have >= args.referrals {
        return Ok(());
    }
    let start = Instant::now();
    let page = store.households(&HouseholdQuery {
        village_id: None,
        search: String::new(),
        limit: u32::MAX,
        offset: 0,
        hamlet_id: None,
        filter: None,
    })?;
    let mut batch = Vec::new();
    let mut made = have;
    'all: for scheme in SCHEMES {
        for summary in &page.items {
            let h = store.household(summary.id)?;
            for p in &h.members {
                batch.push(NewReferral {
                    household_id: h.id,
                    member_id: Some(p.id),
                    need: Need::Scheme { code: scheme.into() },
                    documents: vec![],
                    notes: String::new(),
                });
                made += 1;
                if made >= args.referrals {
                    break 'all;
                }
            }
            if batch.len() >= 2_000 {
                store.open_referrals(&batch, at)?;
                batch.clear();
            }
        }
    }
    let ids = {
        store.open_referrals(&batch, at)?;
        store.referrals(&ReferralQuery::default(), at.today)?
    };
    println!("store: {} referrals opened in {:.1?}", ids.len(), start.elapsed());
    // Move three in ten along: submitted, then some sanctioned and received, some escalated.
    let start = Instant::now();
    let later = Moment::in_india(at.utc + chrono::Duration::days(3));
    for (k, r) in ids.iter().enumerate().filter(|(k, _)| k % 10 < 3) {
        let id = r.id.parse()?;
        store.act_on_referral(id, &Step::Submit, later)?;
        match k % 10 {
            0 => {
                store.act_on_referral(id, &Step::Sanction, later)?;
                store.act_on_referral(
                    id,
                    &Step::Receive { on: later.today, amount_inr: Some(400) },
                    later,
                )?;
            }
            1 => {
                store.act_on_referral(id, &Step::Escalate { reason: "No decision".into() }, later)?;
            }
            _ => {
                store.act_on_referral(id, &Step::PlanVisit { on: later.today + Days::new(2) }, later)?;
            }
        }
    }
    println!("store: three in ten referrals moved on in {:.1?}", start.elapsed());
    Ok(())
}

/// A yes/no question about a person of a household in the middle of the store: the change made
/// before each drawing of the funnel after a change.
fn answerable(store: &Store, day: chrono::NaiveDate) -> Result<FactAnswer> {
    let page = store.households(&HouseholdQuery {
        village_id: None,
        search: String::new(),
        limit: u32::MAX,
        offset: 0,
        hamlet_id: None,
        filter: None,
    })?;
    for summary in page.items.iter().skip(page.items.len() / 2) {
        let e = store.household_eligibility(summary.id, day)?;
        if let Some(q) = e.questions.iter().find(|q| q.member_id.is_some() && q.input.kind == "bool") {
            return Ok(FactAnswer {
                household_id: summary.id,
                member_id: q.member_id.as_deref().map(str::parse).transpose()?,
                fact: q.fact.clone(),
                value: serde_json::json!(true),
            });
        }
    }
    anyhow::bail!("no household past the middle is asked a yes/no question about a member")
}

fn main() -> Result<()> {
    let args = Args::parse();
    let dir = args.store.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("samanvaya-referral-bench-{}", args.households))
    });
    let pin = std::env::var("SAMANVAYA_PIN").unwrap_or_else(|_| "482916".into());
    let (mut store, _) = Store::open_or_create(&dir, "Benchmark", &samanvaya_core::Secret::new(pin))
        .with_context(|| format!("cannot open {}", dir.display()))?;
    fill(&mut store, &args)?;
    // Forty days on, a third of the open cases are overdue.
    let day = store.now()?.today + Days::new(40);
    let (best, median, todo) = timed(args.runs, || store.todo(day));
    let todo = todo?;
    println!(
        "to-do list ({} overdue, {} visits, {} missing documents, {} at the block): best {best:.1?}, median {median:.1?}",
        todo.overdue_count, todo.visits_count, todo.missing_documents_count, todo.waiting_count
    );
    // The funnel's eligible column is kept per slice of 1,024 households for a day
    // (core/src/tally.rs): the first drawing of a day decides every slice, a drawing after a
    // change decides the changed household's slice, and one with no change reads them all.
    let (best, median, funnel) = timed_after(
        args.runs,
        &mut store,
        |_, run| day + Days::new(1 + run as u64),
        |store, d| store.referral_funnel(d),
    );
    let funnel = funnel?;
    let referred: u32 = funnel.rows.iter().map(|r| r.referred).sum();
    let eligible: u32 = funnel.rows.iter().filter_map(|r| r.eligible).sum();
    println!(
        "village funnel, first drawing of a day ({referred} referrals, {eligible} eligible, {} rows): best {best:.1?}, median {median:.1?}",
        funnel.rows.len()
    );
    // The app keeps the day's tally ahead on a second connection when the store is unlocked:
    // the first drawing of the day then reads what that connection kept.
    let (best, median, funnel) = timed_after(
        args.runs,
        &mut store,
        |store, run| {
            let d = day + Days::new(100 + run as u64);
            store.second_connection().and_then(|second| second.keep_tally(d)).map(|()| d)
        },
        |store, d| d.and_then(|d| store.referral_funnel(d)),
    );
    funnel?;
    println!(
        "village funnel, first drawing of a day once unlocking kept the tally: best {best:.1?}, median {median:.1?}"
    );
    store.referral_funnel(day)?;
    let (best, median, funnel) = timed(args.runs, || store.referral_funnel(day));
    funnel?;
    println!("village funnel, drawn again: best {best:.1?}, median {median:.1?}");
    let changed = answerable(&store, day)?;
    let (best, median, funnel) = timed_after(
        args.runs,
        &mut store,
        |store, run| {
            let answer = FactAnswer { value: serde_json::json!(run % 2 == 0), ..changed.clone() };
            store.answer(&answer, store.now()?)
        },
        |store, answered| answered.and_then(|_| store.referral_funnel(day)),
    );
    funnel?;
    println!(
        "village funnel, drawn after an answer about one household: best {best:.1?}, median {median:.1?}"
    );
    // The eligible column reads every household's profile into columns: that part alone.
    let (best, median, pop) = timed(args.runs, || store.population());
    println!(
        "  of which reading {} households' profiles: best {best:.1?}, median {median:.1?}",
        pop?.households()
    );
    // The list of cases: its first page unfiltered, and filtered as the screen allows.
    let all = ReferralFilter::default();
    let (best, median, page) = timed(args.runs, || store.referral_list(&all, day));
    println!("case list, first page of {}: best {best:.1?}, median {median:.1?}", page?.total);
    for (what, filter) in [
        ("overdue only", ReferralFilter { overdue_only: true, ..ReferralFilter::default() }),
        (
            "one scheme",
            ReferralFilter { need_code: Some("NSAP_IGNOAPS".into()), ..ReferralFilter::default() },
        ),
        ("stage received", ReferralFilter { stage: Some(Stage::Received), ..ReferralFilter::default() }),
        ("search \"devi\"", ReferralFilter { search: "devi".into(), ..ReferralFilter::default() }),
    ] {
        let (best, median, page) = timed(args.runs, || store.referral_list(&filter, day));
        println!("case list, {what} ({} match): best {best:.1?}, median {median:.1?}", page?.total);
    }
    let narrow = ReferralFilter {
        stage: Some(Stage::DocumentsPending),
        overdue_only: true,
        search: "devi".into(),
        ..ReferralFilter::default()
    };
    let (best, median, page) = timed(args.runs, || store.referral_list(&narrow, day));
    println!(
        "case list, documents pending, overdue, \"devi\" ({} match): best {best:.1?}, median {median:.1?}",
        page?.total
    );
    let last = ReferralFilter { offset: 99_900, ..ReferralFilter::default() };
    let (best, median, page) = timed(args.runs, || store.referral_list(&last, day));
    println!(
        "case list, the page at 99,900 ({} on it): best {best:.1?}, median {median:.1?}",
        page?.items.len()
    );
    Ok(())
}
