//! `samanvaya`: the village store from a terminal, for trainers, support staff and scripts.

mod consent;
mod district_form;
mod eligibility;
mod facts_file;
mod form;
mod households;
mod import;
mod referrals;
mod sync;
mod unlock;
mod worklist;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use samanvaya_core::{DATA_DIR_ENV, Moment, default_data_dir};

#[derive(Parser)]
#[command(name = "samanvaya", version, about = "Samanvaya's village store from the command line")]
struct Cli {
    /// The data folder holding the store; defaults to the per-user data folder.
    #[arg(long, global = true, env = DATA_DIR_ENV, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The account to unlock the store as (needed when the laptop has several); the PIN comes
    /// from SAMANVAYA_PIN or is asked at the terminal.
    #[arg(long, global = true, env = "SAMANVAYA_ACCOUNT", value_name = "NAME")]
    account: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fill an empty store with the demo village (300 households in Gaya, Bihar).
    Demo {
        /// Another seed gives another, equally deterministic village.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// More households than the demo village's 300, in the same village: for trainers who
        /// want to see a block-sized village, and for tests and benchmarks of large stores.
        #[arg(long, default_value_t = samanvaya_demo::HOUSEHOLDS)]
        households: usize,
    },
    /// Decide every scheme of the catalogue for one household or the whole store.
    Eligibility {
        #[command(flatten)]
        target: EligibilityTarget,
        /// The evaluation date (YYYY-MM-DD); today when absent.
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<chrono::NaiveDate>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The scheme catalogue: the review sheet of the one built into this version, which rules
    /// the laptop judges with, and installing the district's rules from a file.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Households of the centre's village.
    Households {
        #[command(subcommand)]
        command: HouseholdsCommand,
    },
    /// The audit log: who did what on this laptop, chained so that an edited entry is found.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The accounts that may open this laptop's store.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Imports households and their members from a CSV or XLSX list, one row per member, read
    /// through a column-mapping file (docs/import.md). Households with a bad row are refused
    /// whole and reported by row; the others are written in one transaction; households whose
    /// key was imported before are skipped, so a corrected list can be imported again.
    Import {
        /// The list: a .xlsx workbook (its first sheet) or a CSV file in UTF-8.
        #[arg(value_name = "LIST")]
        list: PathBuf,
        /// The column-mapping file (TOML); docs/examples/import-mapping.toml is one.
        #[arg(long, value_name = "FILE.toml")]
        mapping: PathBuf,
        /// Check the list and report what would be imported, writing nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Writes a one-file encrypted backup of the store (it opens with the same PIN), checks it
    /// after writing, and replaces an older backup of the same name only then.
    Backup {
        /// The backup file, or a folder (a USB stick) to write `samanvaya-backup-DATE.backup` in.
        #[arg(long, value_name = "PATH")]
        to: PathBuf,
    },
    /// Restores a backup into an empty data folder (a new laptop), with the PIN of its account.
    Restore {
        #[arg(value_name = "BACKUP")]
        file: PathBuf,
    },
    /// Survey forms (XLSForm): check one, or see the facts a set of answers records.
    Form {
        #[command(subcommand)]
        command: FormCommand,
    },
    /// Enrolls this laptop with its block server, with a one-time code from the block office.
    Enroll {
        /// The block server's address (https://HOST:PORT).
        url: String,
        code: String,
        /// The name the block sees for this laptop.
        #[arg(long, default_value = "village centre laptop")]
        name: String,
    },
    /// Enrolls this laptop again with its block, with a code the block office made for it
    /// (`enroll-code --village VILLAGE --again LAPTOP-ID`): for a block that presents another
    /// certificate because it lost its own. The laptop keeps everything it holds.
    EnrollAgain { code: String },
    /// Sends what waits to the block server and receives what was decided there.
    Sync {
        /// Only say where sync stands.
        #[arg(long)]
        status: bool,
        /// Give up on a request after this many seconds (default: patient, for 2G).
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
        /// Also list every request: what it carried, how long it took, why it failed.
        #[arg(long)]
        verbose: bool,
    },
    /// Saves the household register (households, members, facts) as a workbook or CSV, in
    /// Hindi or English, written whole or not at all. It names people: a Samiti viewer may not.
    Export {
        /// The file: a name ending in .xlsx gives a workbook, any other CSV.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        #[arg(long, value_enum, default_value_t = SheetLang::Hi)]
        lang: SheetLang,
        /// Also the sensitive facts (caste, religion, disability, income, HIV), left out
        /// otherwise: a supervisor's account only, recorded in the audit log.
        #[arg(long)]
        with_sensitive: bool,
    },
    /// Writes what waits to be sent to a file, for a USB stick to the block office when there is
    /// no network (the block imports it with `samanvaya-server import FILE`).
    ExportSync { file: std::path::PathBuf },
    /// Applies the block's answer brought on a USB stick (`samanvaya-server export-feed`, or
    /// `import --answer`): referral decisions and the village's changes from elsewhere. Applying
    /// the same file again changes nothing.
    ImportFeed { file: std::path::PathBuf },
    /// Consent: record that a household, or one of its members, withdrew it. What was recorded
    /// of them is erased on this laptop and, through sync, at the block and the district.
    Consent {
        #[command(subcommand)]
        command: ConsentCommand,
    },
    /// Referrals: open one, list, show, take a step, print the slip, the to-do list, the funnel.
    Referrals {
        #[command(subcommand)]
        command: referrals::ReferralsCommand,
    },
    /// The village's households on the vulnerability profile, most vulnerable first, as CSV
    /// (category, household, head, hamlet, reasons, what to ask).
    Vulnerability {
        #[command(flatten)]
        sheet: VillageSheet,
    },
    /// The families behind one scheme's village tally: eligible and not yet receiving, then
    /// not yet decided with the questions to ask; for the Samiti's meeting and the next visits.
    Worklist {
        /// The scheme's code, as `samanvaya catalogue review --format csv` lists them.
        #[arg(long, value_name = "CODE")]
        scheme: String,
        /// Only the families of this hamlet (its English or Hindi name).
        #[arg(long)]
        hamlet: Option<String>,
        #[command(flatten)]
        sheet: VillageSheet,
    },
}

/// How a village list is written: its language, where, and on which day it is decided.
#[derive(clap::Args)]
struct VillageSheet {
    #[arg(long, value_enum, default_value_t = SheetLang::Hi)]
    lang: SheetLang,
    /// Write the CSV to this file (with the mark spreadsheets need to read Hindi) instead of
    /// printing it.
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
    /// The evaluation date (YYYY-MM-DD); today when absent.
    #[arg(long, value_name = "YYYY-MM-DD")]
    as_of: Option<chrono::NaiveDate>,
}

impl VillageSheet {
    /// The list's day: the one asked for, or the store's today.
    fn day(&self, store: &samanvaya_core::Store) -> Result<chrono::NaiveDate> {
        Ok(match self.as_of {
            Some(day) => day,
            None => store.now()?.today,
        })
    }

    /// Prints `text`, or saves it as the CSV file asked for and records the export as `action`.
    fn write(&self, store: &samanvaya_core::Store, action: &str, detail: &str, text: &str) -> Result<()> {
        match &self.out {
            Some(path) => {
                let (dir, name) = worklist::split(path)?;
                let saved = samanvaya_core::save_csv(&dir, &name, text)?;
                store.audit(action, detail)?;
                eprintln!("saved {}", saved.display());
                Ok(())
            }
            None => emit(text),
        }
    }
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct EligibilityTarget {
    /// A household described in the documented fact format (docs/eligibility-facts.md).
    #[arg(long, value_name = "FILE.json")]
    facts: Option<PathBuf>,
    /// Every household of the store, with a per-scheme summary.
    #[arg(long)]
    all: bool,
}

#[derive(Subcommand)]
enum FormCommand {
    /// Loads a form as the app would and reports every problem with its sheet, row and column
    /// (exit code 1), or the form and its warnings. Without FILE, the shipped baseline survey.
    Check {
        #[arg(value_name = "FILE.xlsx")]
        file: Option<PathBuf>,
    },
    /// The facts a set of answers records through the form, in the format
    /// `samanvaya eligibility --facts` reads (docs/eligibility-facts.md).
    Facts {
        /// The answers as JSON: {"values": {...}, "repeats": {"members": [{...}]}}.
        #[arg(long, value_name = "FILE.json")]
        answers: PathBuf,
        /// The form; the shipped baseline survey when absent.
        #[arg(long, value_name = "FILE.xlsx")]
        form: Option<PathBuf>,
        /// The survey's day (YYYY-MM-DD); today when absent.
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Installs a district's version of the survey on this laptop (checked first, refused with
    /// every problem): new surveys start on it, surveys in progress finish on their own.
    Install {
        #[arg(value_name = "FILE.xlsx")]
        file: PathBuf,
    },
    /// The survey forms on this laptop: the built-in one and every installed version, with the
    /// one new surveys start on.
    List,
}

#[derive(Subcommand)]
enum ConsentCommand {
    /// Records that a grown-up member of the household agreed, for the family, to what is
    /// recorded of it: asked at the first visit of a household taken from a list, before its
    /// first screening answer.
    Record {
        /// The household's number.
        #[arg(long, value_name = "N")]
        household: i64,
        /// The member who agreed (her name as the household list shows it).
        #[arg(long, value_name = "NAME")]
        member: String,
    },
    /// Erases what was recorded of the household (or of one member) and keeps only a record of
    /// the withdrawal: the day and who recorded it. Backups already written keep their copy.
    Withdraw {
        /// The household's number.
        #[arg(long, value_name = "N")]
        household: i64,
        /// Only this member (her name as the household list shows it); the whole household when
        /// absent.
        #[arg(long, value_name = "NAME")]
        member: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Checks every entry against the one before; reports the first broken link (exit code 1).
    Verify,
    /// Lists the entries (number, time, who, what, which record), oldest first: all, or those
    /// whose action starts with --action (`export:`, `reveal:`, `recovery:` …), the newest --last.
    List {
        #[arg(long, default_value = "")]
        action: String,
        #[arg(long)]
        last: Option<usize>,
    },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Adds an account with its own PIN (from SAMANVAYA_NEW_PIN, or asked); proven by the
    /// laptop's recovery code (from SAMANVAYA_RECOVERY_CODE, or asked).
    Add {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Changes this account's PIN (the new one from SAMANVAYA_NEW_PIN, or asked); the data is
    /// not re-encrypted, only its key wrapped again.
    Pin,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Facilitator,
    Supervisor,
    SamitiViewer,
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Every scheme's rules, dates, sources and verification level as a sheet a programme
    /// officer can read, mark and sign (least verified schemes first); printed to stdout.
    Review {
        #[arg(long, value_enum, default_value_t = SheetLang::Hi)]
        lang: SheetLang,
        #[arg(long, value_enum, default_value_t = SheetFormat::Html)]
        format: SheetFormat,
    },
    /// Which scheme rules this laptop judges with: the built-in ones or the district's.
    InUse,
    /// Installs the district's scheme rules from a file (`samanvaya-server publish-catalogue
    /// --out`) carried on a USB stick; its signature must be the district key the laptop learned
    /// at a sync.
    Install {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

impl From<SheetLang> for samanvaya_eligibility::review::Lang {
    fn from(l: SheetLang) -> Self {
        match l {
            SheetLang::Hi => Self::Hi,
            SheetLang::En => Self::En,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum SheetLang {
    Hi,
    En,
}

#[derive(Clone, Copy, ValueEnum)]
enum SheetFormat {
    Html,
    Csv,
}

#[derive(Subcommand)]
enum HouseholdsCommand {
    /// List households, optionally those with a member whose name matches.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// A member's name in Devanagari or Latin script, or a household number.
        #[arg(long, default_value = "")]
        search: String,
        /// At most this many households (all when absent).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Makes two records of one person in a household one (a supervisor's correction): the
    /// record kept takes the facts, schemes received and date of birth it lacks from the other,
    /// which is removed. Members are given by their place in the household, as the app and
    /// `households list --format json` show them (1 for the first).
    MergeMembers {
        /// The household's number.
        #[arg(long, value_name = "N")]
        household: i64,
        /// The member whose record is kept.
        #[arg(long, value_name = "PLACE")]
        keep: usize,
        /// The member recorded a second time, whose record goes.
        #[arg(long, value_name = "PLACE")]
        remove: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Table,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // A facts file needs no store: it can be evaluated anywhere, even without a data folder.
    if let Command::Eligibility { target: EligibilityTarget { facts: Some(path), .. }, as_of, format } =
        &cli.command
    {
        // No store, so no centre time zone: the day in India.
        let as_of = as_of.unwrap_or_else(|| Moment::in_india(chrono::Utc::now()).today);
        let result = facts_file::decide(path, as_of)?;
        match format {
            Format::Json => emit(&(serde_json::to_string_pretty(&result)? + "\n"))?,
            Format::Table => emit(&eligibility::household_table(&result))?,
        }
        return Ok(());
    }
    // Nor do survey forms: they are checked before any village sees them.
    if let Command::Form { command } = &cli.command {
        match command {
            FormCommand::Check { file } => return emit(&form::report(&form::load(file.as_deref())?)),
            FormCommand::Facts { answers, form: path, as_of } => {
                let today = as_of.unwrap_or_else(|| Moment::in_india(chrono::Utc::now()).today);
                let facts = form::facts(&form::load(path.as_deref())?, answers, today)?;
                return emit(&(serde_json::to_string_pretty(&facts)? + "\n"));
            }
            // Installing and listing change or read this laptop's store, opened below.
            FormCommand::Install { .. } | FormCommand::List => {}
        }
    }
    // The review sheet needs no store either: it is the catalogue built into this binary.
    if let Command::Catalogue { command: CatalogueCommand::Review { lang, format } } = &cli.command {
        use samanvaya_eligibility::review::{self, Lang};
        let cat = samanvaya_eligibility::embedded()?;
        let lang: Lang = (*lang).into();
        let sheet = match format {
            SheetFormat::Html => review::html(cat, lang),
            SheetFormat::Csv => review::csv(cat, lang),
        };
        return emit(&sheet);
    }
    let data_dir = cli
        .data_dir
        .or_else(default_data_dir)
        .context("no data folder: pass --data-dir DIR or set SAMANVAYA_DATA_DIR")?;
    if let Command::Restore { file } = &cli.command {
        let store = unlock::restore(file, &data_dir, cli.account.as_deref())?;
        println!("Restored {} households into {}", store.household_count()?, data_dir.display());
        return Ok(());
    }
    let mut store = unlock::open(&data_dir, cli.account.as_deref())?;
    match cli.command {
        Command::Demo { seed, households } => {
            let summary = samanvaya_demo::fill_households(&mut store, seed, households, |done| {
                if done % 10_000 == 0 {
                    eprintln!("  {done} households written");
                }
            })?;
            emit(&format!(
                "Filled the demo village: {} households, {} persons, in {}\n",
                summary.households,
                summary.persons,
                data_dir.display()
            ))?;
        }
        Command::Import { list, mapping, dry_run, format } => {
            let report = import::run(&mut store, &list, &mapping, dry_run)?;
            match format {
                Format::Json => emit(&(serde_json::to_string_pretty(&report)? + "\n"))?,
                Format::Table => emit(&import::table(&list, &report))?,
            }
            import::check(&report)?;
        }
        Command::Households { command: HouseholdsCommand::List { format, search, limit } } => {
            let page = households::list(&store, &search, limit)?;
            match format {
                Format::Json => emit(&(serde_json::to_string_pretty(&page)? + "\n"))?,
                Format::Table => emit(&households::table(&page))?,
            }
        }
        Command::Households { command: HouseholdsCommand::MergeMembers { household, keep, remove } } => {
            emit(&households::merge_members(&mut store, household, keep, remove)?)?
        }
        Command::Catalogue { command: CatalogueCommand::InUse } => {
            emit(&sync::catalogue_text(&store.catalogue_in_use()?))?
        }
        Command::Catalogue { command: CatalogueCommand::Install { file } } => {
            emit(&sync::run_catalogue_install(&mut store, &file)?)?
        }
        Command::Catalogue { .. } => unreachable!("answered before the store is opened"),
        Command::Form { command: FormCommand::Install { file } } => {
            emit(&district_form::install(&mut store, &file)?)?
        }
        Command::Form { command: FormCommand::List } => emit(&district_form::list(&store.forms()?))?,
        Command::Form { .. } => unreachable!("answered before the store is opened"),
        Command::Restore { .. } => unreachable!("answered before the store is opened"),
        Command::Audit { command: AuditCommand::List { action, last } } => {
            let entries = store.read_audit()?;
            let mut chosen: Vec<_> = entries.iter().filter(|e| e.action.starts_with(&action)).collect();
            if let Some(n) = last {
                chosen = chosen.split_off(chosen.len().saturating_sub(n));
            }
            for e in chosen {
                println!("{}\t{}\t{}\t{}\t{}", e.seq, e.at, e.who, e.action, e.detail);
            }
        }
        Command::Audit { command: AuditCommand::Verify } => match store.verify_audit()? {
            samanvaya_core::Verdict::Intact(n) => println!("The audit log is intact: {n} entries."),
            samanvaya_core::Verdict::Broken { from, to } if to <= from + 1 => {
                anyhow::bail!(
                    "the audit log is broken at entry {to}: it or the entry before it was changed or removed"
                )
            }
            samanvaya_core::Verdict::Broken { from, to } => {
                anyhow::bail!(
                    "the audit log is broken between entries {from} and {to}: one of them was changed, added or removed"
                )
            }
        },
        Command::Accounts { command: AccountsCommand::Pin } => {
            let old = unlock::secret_from(unlock::PIN_ENV, "The current PIN: ")?;
            let new = unlock::secret_from("SAMANVAYA_NEW_PIN", "The new PIN: ")?;
            store.change_secret(&old, &new).context("the PIN was not changed")?;
            println!("The PIN of {} is changed.", store.who().name);
        }
        Command::Accounts { command: AccountsCommand::Add { name, role } } => {
            let role = match role {
                RoleArg::Facilitator => samanvaya_core::Role::Facilitator,
                RoleArg::Supervisor => samanvaya_core::Role::Supervisor,
                RoleArg::SamitiViewer => samanvaya_core::Role::SamitiViewer,
            };
            let code = unlock::secret_from("SAMANVAYA_RECOVERY_CODE", "The laptop's recovery code: ")?;
            let pin = unlock::secret_from("SAMANVAYA_NEW_PIN", "The new account's PIN: ")?;
            store.add_account(&code, &name, role, &pin).context("the account was not added")?;
            println!("Added {name} ({})", role.as_str());
        }
        Command::Backup { to } => {
            let dest = if to.is_dir() {
                to.join(format!("samanvaya-backup-{}.backup", store.now()?.today))
            } else {
                to
            };
            let info =
                store.backup(&dest).with_context(|| format!("the backup to {} failed", dest.display()))?;
            println!(
                "Backed up {} households to {} ({} KB), checked after writing",
                info.households,
                info.path.display(),
                info.bytes / 1024
            );
        }
        Command::Worklist { scheme, hamlet, sheet } => {
            let text =
                worklist::csv(&store, &scheme, hamlet.as_deref(), sheet.lang.into(), sheet.day(&store)?)?;
            sheet.write(&store, "export:worklist", &scheme, &text)?;
        }
        Command::Vulnerability { sheet } => {
            let list = store.vulnerability_list(sheet.day(&store)?, |_, _| {})?;
            let text = samanvaya_eligibility::vulnerability::csv(&list, sheet.lang.into(), None);
            sheet.write(&store, "export:vulnerability", &format!("{} rows", list.rows.len()), &text)?;
        }
        Command::Consent { command: ConsentCommand::Record { household, member } } => {
            emit(&consent::record(&mut store, household, &member)?)?;
        }
        Command::Consent { command: ConsentCommand::Withdraw { household, member } } => {
            emit(&consent::withdraw(&mut store, household, member.as_deref())?)?;
        }
        Command::Referrals { command } => emit(&referrals::run(&mut store, command)?)?,
        Command::Enroll { url, code, name } => emit(&sync::run_enroll(&mut store, &url, &code, &name)?)?,
        // The block keeps the name it recorded for this laptop: none is given.
        Command::EnrollAgain { code } => {
            emit(&sync::run_enroll_again(&mut store, &code, "village centre laptop")?)?
        }
        Command::Sync { status, timeout, verbose } => {
            emit(&sync::run_sync(&mut store, status, timeout, verbose)?)?
        }
        Command::ExportSync { file } => emit(&sync::run_export(&mut store, &file)?)?,
        Command::ImportFeed { file } => emit(&sync::run_import_feed(&mut store, &file)?)?,
        Command::Export { out, lang, with_sensitive } => {
            let format = if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
                samanvaya_core::SheetFormat::Xlsx
            } else {
                samanvaya_core::SheetFormat::Csv
            };
            let language = match lang {
                SheetLang::Hi => samanvaya_core::Language::Hi,
                SheetLang::En => samanvaya_core::Language::En,
            };
            let (dir, name) = worklist::split(&out)?;
            let saved =
                store.save_register(&dir, &name, format, language, store.now()?.today, with_sensitive)?;
            emit(&format!("saved {}\n", saved.display()))?;
        }
        Command::Eligibility { as_of, format, .. } => {
            let as_of = match as_of {
                Some(day) => day,
                None => store.now()?.today,
            };
            let result = eligibility::whole_store(&store, as_of)?;
            match format {
                Format::Json => emit(&(serde_json::to_string_pretty(&result)? + "\n"))?,
                Format::Table => emit(&eligibility::village_table(&result))?,
            }
        }
    }
    Ok(())
}

/// Writes `text` to standard output. A reader that stops early (`| head -1`) closes the pipe;
/// that ends the command quietly rather than with a panic.
fn emit(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}
