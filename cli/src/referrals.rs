//! `samanvaya referrals`: open, list, show, move and print referrals from a terminal, for
//! scripts, trainers and tests. Glue over `Store`'s referral API.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Subcommand, ValueEnum};
use samanvaya_core::referral::{
    NewReferral, ReferralDetail, ReferralFilter, ReferralQuery, ReferralSummary, SheetFormat, Step,
};
use samanvaya_core::{HouseholdQuery, Store};
use samanvaya_domain::referral::{DocumentStatus, Level, Need, Stage};
use samanvaya_eligibility::review::Lang;

#[derive(Subcommand)]
pub enum ReferralsCommand {
    /// Refer a person (or the household) for a scheme, a service or a grievance.
    Open {
        /// The household's number.
        #[arg(long)]
        household: i64,
        /// The member's name as recorded; the household itself when absent.
        #[arg(long)]
        member: Option<String>,
        /// A scheme's code (`samanvaya catalogue review --format csv` lists them).
        #[arg(long, group = "need")]
        scheme: Option<String>,
        /// A service kind of schema/referrals/kinds.toml (birth_certificate, health_visit, …).
        #[arg(long, group = "need")]
        service: Option<String>,
        /// A grievance kind of schema/referrals/kinds.toml, with --description.
        #[arg(long, group = "need")]
        grievance: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
        #[arg(long, default_value = "")]
        notes: String,
    },
    /// Referrals, newest first.
    List {
        /// Only the cases that still need work.
        #[arg(long)]
        open: bool,
        /// Only the cases at this stage (identified, documents_pending, submitted,
        /// under_process, sanctioned, received, rejected, withdrawn).
        #[arg(long, value_parser = parse_stage)]
        stage: Option<Stage>,
        /// Only the cases at this level (village, block, district).
        #[arg(long, value_parser = parse_level)]
        level: Option<Level>,
        /// Only the cases for this scheme code or service or grievance kind.
        #[arg(long = "for", value_name = "CODE")]
        need: Option<String>,
        /// Only open cases past their due day.
        #[arg(long)]
        overdue: bool,
        /// Part of a name (either script) or a referral number.
        #[arg(long, default_value = "")]
        search: String,
        /// With a filter, a page of 100 cases starts after this many.
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, value_enum, default_value_t = crate::Format::Table)]
        format: crate::Format,
    },
    /// One referral with its checklist and its story.
    Show {
        /// The referral's number (L-3, R-1042) or id.
        referral: String,
        #[arg(long, value_enum, default_value_t = crate::Format::Table)]
        format: crate::Format,
    },
    /// Take a step on a case: documents-pending, submit, process, sanction, receive, reject,
    /// withdraw, escalate, reopen, document, plan-visit, note.
    Transition {
        referral: String,
        #[arg(value_enum)]
        action: StepArg,
        /// Why (reject, withdraw, escalate, reopen), or the note's text.
        #[arg(long, default_value = "")]
        reason: String,
        /// The day the benefit arrived (receive) or of the visit (plan-visit); today when absent.
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: Option<chrono::NaiveDate>,
        /// The amount received, in rupees.
        #[arg(long)]
        amount: Option<i64>,
        /// The document's place in the checklist, from 1 (document).
        #[arg(long)]
        document: Option<u32>,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
    },
    /// The slip to print, as a self-contained HTML page.
    Slip {
        referral: String,
        #[arg(long, value_enum, default_value_t = crate::SheetLang::Hi)]
        lang: crate::SheetLang,
        /// Write it to this file instead of printing it.
        #[arg(long, value_name = "FILE.html")]
        out: Option<PathBuf>,
    },
    /// The to-do list: overdue cases, visits this week, missing documents, cases at the block.
    Todo {
        #[arg(long, value_enum, default_value_t = crate::Format::Table)]
        format: crate::Format,
    },
    /// Per scheme: eligible, referred, submitted, sanctioned, received; and how long open cases
    /// wait.
    Funnel {
        /// table or json on the terminal; csv or xlsx for a spreadsheet (xlsx needs --out).
        #[arg(long, value_enum, default_value_t = FunnelFormat::Table)]
        format: FunnelFormat,
        /// Save it in this file (written whole or not at all); with no --format, .xlsx gives a
        /// workbook and any other name CSV.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = crate::SheetLang::Hi)]
        lang: crate::SheetLang,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StepArg {
    DocumentsPending,
    Submit,
    Process,
    Sanction,
    Receive,
    Reject,
    Withdraw,
    Escalate,
    Reopen,
    Document,
    PlanVisit,
    Note,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FunnelFormat {
    Table,
    Json,
    Csv,
    Xlsx,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StatusArg {
    Have,
    Missing,
    Obtained,
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::parse(s).ok_or_else(|| {
        let all: Vec<&str> = Stage::ALL.iter().map(|s| s.as_str()).collect();
        format!("no stage \"{s}\"; one of {}", all.join(", "))
    })
}

fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| format!("no level \"{s}\"; one of village, block, district"))
}

fn json(v: &serde_json::Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}

fn row(s: &ReferralSummary) -> String {
    format!(
        "{:<8} {:<24} {:<28} {:<18} {:<9} {}{}\n",
        s.number,
        s.person,
        s.need_name.en,
        s.stage.as_str(),
        s.level.as_str(),
        s.due_on,
        if s.overdue { "  OVERDUE" } else { "" }
    )
}

fn table(list: &[ReferralSummary]) -> String {
    let mut out =
        format!("{:<8} {:<24} {:<28} {:<18} {:<9} {}\n", "NUMBER", "PERSON", "FOR", "STAGE", "LEVEL", "DUE");
    out.extend(list.iter().map(row));
    out
}

fn detail_table(d: &ReferralDetail) -> String {
    let mut out = table(std::slice::from_ref(&d.summary));
    out += &format!("office: {}\ndocuments:\n", d.office.en);
    for (i, doc) in d.documents.iter().enumerate() {
        out += &format!("  {}. {} ({:?})\n", i + 1, doc.en, doc.status);
    }
    out += &format!("allowed now: {}\nstory:\n", d.allowed.join(", "));
    for e in &d.timeline {
        let note = e.not_applied.as_deref().map(|w| format!("  (not applied: {w})")).unwrap_or_default();
        out += &format!("  {} {} by {}{note}\n", e.at.format("%Y-%m-%d %H:%M"), e.action.name(), e.by);
    }
    out
}

pub fn run(store: &mut Store, command: ReferralsCommand) -> Result<String> {
    let at = store.now()?;
    match command {
        ReferralsCommand::Open { household, member, scheme, service, grievance, description, notes } => {
            let page = store.households(&HouseholdQuery {
                village_id: None,
                search: household.to_string(),
                limit: 50,
                offset: 0,
                hamlet_id: None,
                filter: None,
            })?;
            let h = page.items.iter().find(|h| h.number == Some(household)).with_context(|| {
                format!("no household numbered {household}; `samanvaya households list` shows them")
            })?;
            let h = store.household(h.id)?;
            let member_id = match member {
                None => None,
                Some(name) => Some(
                    h.members.iter().find(|p| p.name == name.trim()).map(|p| p.id).with_context(|| {
                        let names: Vec<&str> = h.members.iter().map(|p| p.name.as_str()).collect();
                        format!(
                            "no member \"{name}\" in household {household}; its members are: {}",
                            names.join(", ")
                        )
                    })?,
                ),
            };
            let need = match (scheme, service, grievance) {
                (Some(code), _, _) => Need::Scheme { code },
                (_, Some(kind), _) => Need::Service { kind },
                (_, _, Some(kind)) => Need::Grievance { kind, description },
                _ => bail!("say what the referral is for: --scheme CODE, --service KIND or --grievance KIND"),
            };
            let d = store.open_referral(
                &NewReferral { household_id: h.id, member_id, need, documents: vec![], notes },
                at,
            )?;
            Ok(detail_table(&d))
        }
        ReferralsCommand::List { open, stage, level, need, overdue, search, offset, format } => {
            if stage.is_some()
                || level.is_some()
                || need.is_some()
                || overdue
                || !search.is_empty()
                || offset > 0
            {
                if open {
                    bail!("--open lists every open case; with a filter, use --stage or --overdue instead");
                }
                let filter =
                    ReferralFilter { stage, level, need_code: need, overdue_only: overdue, search, offset };
                let page = store.referral_list(&filter, at.today)?;
                return match format {
                    crate::Format::Json => json(&serde_json::to_value(&page)?),
                    crate::Format::Table => {
                        let first = if page.items.is_empty() { 0 } else { page.offset + 1 };
                        let last = page.offset as usize + page.items.len();
                        Ok(table(&page.items) + &format!("{first}-{last} of {}\n", page.total))
                    }
                };
            }
            let list = store.referrals(&ReferralQuery { household_id: None, open_only: open }, at.today)?;
            match format {
                crate::Format::Json => json(&serde_json::to_value(&list)?),
                crate::Format::Table => Ok(table(&list)),
            }
        }
        ReferralsCommand::Show { referral, format } => {
            let d = store.referral(store.find_referral(&referral)?, at.today)?;
            match format {
                crate::Format::Json => json(&serde_json::to_value(&d)?),
                crate::Format::Table => Ok(detail_table(&d)),
            }
        }
        ReferralsCommand::Transition { referral, action, reason, on, amount, document, status } => {
            let id = store.find_referral(&referral)?;
            let step = match action {
                StepArg::DocumentsPending => Step::DocumentsPending,
                StepArg::Submit => Step::Submit,
                StepArg::Process => Step::Process,
                StepArg::Sanction => Step::Sanction,
                StepArg::Receive => Step::Receive { on: on.unwrap_or(at.today), amount_inr: amount },
                StepArg::Reject => Step::Reject { reason },
                StepArg::Withdraw => Step::Withdraw { reason },
                StepArg::Escalate => Step::Escalate { reason },
                StepArg::Reopen => Step::Reopen { reason },
                StepArg::Document => {
                    let (Some(n), Some(status)) = (document, status) else {
                        bail!(
                            "say which document and where it stands: --document N --status have|missing|obtained"
                        );
                    };
                    let status = match status {
                        StatusArg::Have => DocumentStatus::Have,
                        StatusArg::Missing => DocumentStatus::Missing,
                        StatusArg::Obtained => DocumentStatus::Obtained,
                    };
                    Step::Document { index: n.saturating_sub(1), status }
                }
                StepArg::PlanVisit => {
                    Step::PlanVisit { on: on.context("say the day of the visit: --on YYYY-MM-DD")? }
                }
                StepArg::Note => Step::Note { text: reason },
            };
            Ok(detail_table(&store.act_on_referral(id, &step, at)?))
        }
        ReferralsCommand::Slip { referral, lang, out } => {
            let slip = store.referral_slip(store.find_referral(&referral)?, at.today)?;
            let lang: Lang = lang.into();
            let page = samanvaya_eligibility::slip::page(&slip, lang);
            match out {
                Some(path) => {
                    std::fs::write(&path, page)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    store.audit("export:slip", &slip.number)?;
                    Ok(format!("saved {}\n", path.display()))
                }
                None => Ok(page),
            }
        }
        ReferralsCommand::Todo { format } => {
            let todo = store.todo(at.today)?;
            match format {
                crate::Format::Json => json(&serde_json::to_value(&todo)?),
                crate::Format::Table => Ok(format!(
                    "overdue ({}):\n{}visits this week ({}):\n{}missing documents ({}):\n{}at the block or district ({}):\n{}",
                    todo.overdue_count,
                    todo.overdue.iter().map(row).collect::<String>(),
                    todo.visits_count,
                    todo.visits.iter().map(row).collect::<String>(),
                    todo.missing_documents_count,
                    todo.missing_documents.iter().map(row).collect::<String>(),
                    todo.waiting_count,
                    todo.waiting.iter().map(row).collect::<String>(),
                )),
            }
        }
        ReferralsCommand::Funnel { format, out, lang } => {
            let language = match lang {
                crate::SheetLang::Hi => samanvaya_core::Language::Hi,
                crate::SheetLang::En => samanvaya_core::Language::En,
            };
            let sheet = match (format, &out) {
                (FunnelFormat::Csv, _) => Some(SheetFormat::Csv),
                (FunnelFormat::Xlsx, _) => Some(SheetFormat::Xlsx),
                (_, Some(path)) if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) => {
                    Some(SheetFormat::Xlsx)
                }
                (_, Some(_)) => Some(SheetFormat::Csv),
                (_, None) => None,
            };
            match (sheet, out) {
                (Some(sheet), Some(path)) => {
                    let (dir, name) = crate::worklist::split(&path)?;
                    let saved = store.save_referral_funnel(&dir, &name, sheet, language, at.today)?;
                    return Ok(format!("saved {}\n", saved.display()));
                }
                (Some(SheetFormat::Csv), None) => return Ok(store.referral_funnel(at.today)?.csv(language)),
                (Some(SheetFormat::Xlsx), None) => {
                    bail!("a workbook is not for the terminal: give --out FILE.xlsx")
                }
                (None, _) => {}
            }
            let funnel = store.referral_funnel(at.today)?;
            if format == FunnelFormat::Json {
                return json(&serde_json::to_value(&funnel)?);
            }
            let count = |n: Option<u32>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
            let mut out = format!(
                "{:<24} {:>8} {:>8} {:>9} {:>10} {:>8} {:>8} {:>5}\n",
                "FOR", "ELIGIBLE", "REFERRED", "SUBMITTED", "SANCTIONED", "RECEIVED", "REJECTED", "OPEN"
            );
            for r in &funnel.rows {
                out += &format!(
                    "{:<24} {:>8} {:>8} {:>9} {:>10} {:>8} {:>8} {:>5}\n",
                    r.code,
                    count(r.eligible),
                    r.referred,
                    r.submitted,
                    r.sanctioned,
                    r.received,
                    r.rejected,
                    r.open
                );
            }
            Ok(out)
        }
    }
}
