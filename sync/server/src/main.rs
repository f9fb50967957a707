//! `samanvaya-server`: the block or district server, and the commands its operator runs
//! beside it (enrollment codes, devices, revocation, steps on referrals).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Parser, Subcommand, ValueEnum};
use samanvaya_domain::referral::Step;
use samanvaya_server::limits::{Bounded, Door, Limits};
use samanvaya_server::tls::{Identity, TlsListener};
use samanvaya_server::village::{Names, NewVillage};
use samanvaya_server::vouch::Awaiting;
use samanvaya_server::{ServerConfig, Store, router, upstream};
use samanvaya_sync_client::Tuning;
use samanvaya_sync_protocol::{DeviceKind, Role, code};

#[derive(Parser)]
#[command(name = "samanvaya-server", version, about = "Samanvaya's block and district server")]
struct Args {
    /// Which level this server serves.
    #[arg(long, value_enum, global = true)]
    role: Option<RoleArg>,
    /// The folder that holds the server's database (SQLite) and its other files.
    #[arg(long, global = true, env = "SAMANVAYA_SERVER_DIR")]
    data_dir: Option<PathBuf>,
    /// A PostgreSQL database to keep the store in instead of SQLite, for a district or a state:
    /// postgres://user@host/dbname, or host=… user=… dbname=….
    #[arg(long, global = true, env = "SAMANVAYA_DATABASE")]
    database: Option<String>,
    /// Address to listen on; port 0 picks a free port, which is printed.
    #[arg(long, default_value = "127.0.0.1:8740")]
    listen: String,
    /// Serve plain HTTP instead of HTTPS. Devices accept plain HTTP only from a server on their
    /// own computer: this is for tests and for a TLS proxy in front of the server on one machine.
    #[arg(long)]
    plain_http: bool,
    /// A block's district server, to forward to and pull from.
    #[arg(long)]
    upstream: Option<String>,
    /// The enrollment code the district gave this block: needed on the first start, and again
    /// only if the district no longer knows the block (restored from an older backup), or lost
    /// its certificate (with --upstream-new-certificate).
    #[arg(long)]
    upstream_code: Option<String>,
    /// The district's new certificate, as its operator reads it from the district's start
    /// (`certificate sha256 …`), for a block enrolling again after the district lost its own:
    /// the code is sent only to a district presenting this one, and it is pinned.
    #[arg(long, requires = "upstream_code", value_name = "FINGERPRINT")]
    upstream_new_certificate: Option<String>,
    /// The name the district sees for this block; without it, the name the district gave its
    /// enrollment code.
    #[arg(long, default_value = samanvaya_server::enroll::DEFAULT_BLOCK_NAME)]
    name: String,
    /// How long a device's session token lives, in minutes.
    #[arg(long, default_value_t = 60)]
    session_minutes: i64,
    /// How often a block forwards to its district, in seconds.
    #[arg(long, default_value_t = 60)]
    sync_every: u64,
    /// How long a connection may send and read nothing before it is closed, in seconds.
    #[arg(long, default_value_t = Limits::default().idle.as_secs())]
    idle_seconds: u64,
    /// How long a request's body may take to arrive, in seconds.
    #[arg(long, default_value_t = Limits::default().request.as_secs())]
    request_seconds: u64,
    /// How many requests the server holds at once; the next is told the server is busy, and
    /// its device tries again later.
    #[arg(long, default_value_t = Limits::default().at_once)]
    requests_at_once: usize,
    /// How many requests one device's session may have answered at once, counted once their
    /// bodies have arrived; its next is told the server is answering its other requests.
    #[arg(long, default_value_t = Limits::default().per_device)]
    requests_per_device: usize,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Makes a one-time enrollment code for a village's laptop (at a block) or for a block (at a
    /// district); it is valid for 7 days.
    EnrollCode {
        #[arg(long, conflicts_with = "block")]
        village: Option<String>,
        #[arg(long)]
        block: Option<String>,
        /// A code that enrolls again the device with this id (from `devices`), enrolled here
        /// already, when a new code is refused to it: at a district, with --block, a block (this
        /// district's certificate was lost, or it was put back from a backup); at a block, with
        /// --village, a village laptop (this block's certificate was lost).
        #[arg(long, value_name = "DEVICE", conflicts_with = "again_every")]
        again: Option<uuid::Uuid>,
        /// At a block, with --village: a code for each laptop of the village enrolled here and
        /// not revoked, each made for that laptop as --again makes one, listed with its id and
        /// name: the sheet to read out when every laptop must enroll again (the block's
        /// certificate lost, or its key stolen and replaced).
        #[arg(long)]
        again_every: bool,
    },
    /// Registers a village this block serves, with the places above it, so that a new laptop
    /// enrolled with a code for it receives it. Each place is written "English|हिन्दी".
    AddVillage {
        #[arg(long)]
        state: String,
        #[arg(long)]
        district: String,
        #[arg(long)]
        block: String,
        #[arg(long)]
        panchayat: String,
        #[arg(long)]
        village: String,
    },
    /// How this server stands: at a block, how its forwarding to the district goes (the
    /// district, what is still to go up, the last round that went through, the last error and
    /// what to do).
    Status,
    /// Lists the enrolled devices.
    Devices,
    /// Revokes a device: it can no longer sync.
    Revoke { device: uuid::Uuid },
    /// The devices' audit logs this server holds (each checked link by link when it arrived):
    /// how many entries of each device, or with --device, that device's entries in order. A
    /// district holds the logs its blocks forwarded, under each laptop's device id.
    Audit {
        #[arg(long)]
        device: Option<uuid::Uuid>,
    },
    /// At a district: the audit log of a village laptop, which one block forwards, is forwarded
    /// from now on by the block TO (a block office reinstalled as a new device, or a village
    /// moved to another block).
    HandOverAudit {
        #[arg(long)]
        laptop: uuid::Uuid,
        #[arg(long)]
        to: uuid::Uuid,
    },
    /// At a district: the block TO forwards village VILLAGE's work from now on, beside the block
    /// that has it (a village moved to another block, or a block office reinstalled as a new
    /// device). A village is otherwise the block's that forwarded its first household, and
    /// another block's changes about it are refused.
    AssignVillage {
        #[arg(long)]
        village: uuid::Uuid,
        #[arg(long)]
        to: uuid::Uuid,
    },
    /// At a block: takes the copy of laptop DEVICE refused last, as one from before the
    /// laptop's restore from a backup, for the laptop; the copy that synced as the laptop until
    /// now is refused from then on. For two copies restored from one backup where the laptop's
    /// clock had gone back, and the copy refused is the one left.
    KeepCopy {
        #[arg(long)]
        device: uuid::Uuid,
    },
    /// At a district: block FROM forwards nothing of village VILLAGE any more (a village that
    /// moved, given to its new block with `assign-village`). The last block of a village is kept.
    UnassignVillage {
        #[arg(long)]
        village: uuid::Uuid,
        #[arg(long)]
        from: uuid::Uuid,
    },
    /// Lists the referrals this server holds.
    Referrals,
    /// Lists the reviews no one has decided: a member's name, relation, sex or date of birth
    /// written differently on two devices that had not seen each other's write. The later write
    /// by the clock stands meanwhile.
    Reviews,
    /// Decides review ID: keep the value standing, or put the other in place (a change made
    /// here, which reaches the village's laptops and the district with the next syncs).
    Review {
        id: i64,
        #[arg(long, value_enum)]
        choose: ReviewChoice,
        /// Who decides; the system account that runs the command when absent.
        #[arg(long)]
        by: Option<String>,
    },
    /// Imports a sync file a laptop wrote with `samanvaya export-sync` (from a USB stick);
    /// importing the same file again changes nothing. With --answer, also writes the block's
    /// answer for that laptop (what it has not seen yet) to that file, for the same stick.
    Import {
        file: PathBuf,
        #[arg(long, value_name = "FILE")]
        answer: Option<PathBuf>,
    },
    /// Makes the certificate this server will switch to and announces it to every device at its
    /// next sync; run `use-new-certificate` once all of them accept it.
    NewCertificate,
    /// Switches to the certificate `new-certificate` made, from the server's next start. Refused
    /// while an enrolled device does not yet accept it (it would have to enroll again), unless
    /// --force.
    UseNewCertificate {
        #[arg(long)]
        force: bool,
    },
    /// Prints the recovery code a laptop sent, to read out to its facilitator when she has
    /// forgotten her PIN and lost the code shown at set-up; check who is asking first. Each
    /// reading is recorded (when, and the system account that ran it); --history lists them
    /// instead of printing the code.
    RecoveryCode {
        #[arg(long)]
        device: uuid::Uuid,
        #[arg(long)]
        history: bool,
    },
    /// At a district: vouches that block BLOCK (its id, from `devices`) now presents certificate
    /// FINGERPRINT, as the block's operator reads it from the block's start line after making its
    /// certificate anew (its key stolen, or its `tls` folder lost). Signed with the key of the
    /// district's scheme rules and sent to the block at its next sync: its laptops, which trust
    /// that key, follow the new certificate without a code.
    VouchCertificate {
        #[arg(long)]
        block: uuid::Uuid,
        #[arg(long, value_name = "FINGERPRINT")]
        certificate: String,
    },
    /// Takes back the certificate `new-certificate` made (and `use-new-certificate` put in
    /// place, before the restart that would present it): it is announced no more, its key is
    /// removed, and devices forget it at their next sync.
    WithdrawCertificate,
    /// Writes the block's answer for a laptop with no network to a file for a USB stick: the
    /// decisions and the village's changes it has not seen (`samanvaya import-feed FILE` on it).
    ExportFeed {
        #[arg(long)]
        device: uuid::Uuid,
        file: PathBuf,
    },
    /// Publishes the district's scheme rules: the scheme files under FOLDER/schemes (and exclusive
    /// groups under FOLDER/groups, and the district's versions of the survey under FOLDER/forms),
    /// checked against this version's fact vocabulary, their example cases and the survey's
    /// logic, signed with the district's key and offered to every block and laptop at their next
    /// sync. With --out, also writes the signed file for a USB stick.
    PublishCatalogue {
        folder: PathBuf,
        /// A name people will recognise ("Bihar rules, December 2026").
        #[arg(long)]
        label: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Takes a step on a referral, as the block or district office.
    Step {
        /// The referral's number, as on its slip (R-1042).
        number: String,
        #[arg(value_enum)]
        action: StepArg,
        /// Why (to reject, escalate or reopen), or the note's text.
        #[arg(long, default_value = "")]
        reason: String,
        /// The day the benefit arrived (for `receive`).
        #[arg(long)]
        on: Option<NaiveDate>,
        /// The amount received, in rupees.
        #[arg(long)]
        amount: Option<i64>,
        /// Who takes the step.
        #[arg(long)]
        by: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Block,
    District,
}

#[derive(Clone, Copy, ValueEnum)]
enum StepArg {
    Submit,
    Process,
    Sanction,
    Receive,
    Reject,
    Escalate,
    Reopen,
    Note,
}

fn open(args: &Args) -> Result<Store> {
    let Some(dir) = &args.data_dir else {
        bail!("say where the server keeps its data: --data-dir DIR (or SAMANVAYA_SERVER_DIR)");
    };
    let Some(role) = args.role else { bail!("say which server this is: --role block or --role district") };
    let role = match role {
        RoleArg::Block => Role::Block,
        RoleArg::District => Role::District,
    };
    match &args.database {
        Some(url) => Store::postgres(url, role, Utc::now())
            .context("cannot open the PostgreSQL store; check --database, and that the server is running"),
        None => Store::sqlite(dir, role, Utc::now())
            .with_context(|| format!("cannot open the store in {}", dir.display())),
    }
}

fn run_command(mut store: Store, command: Command, dir: &std::path::Path) -> Result<()> {
    let now = Utc::now();
    match command {
        Command::EnrollCode { village, block, again, again_every } => {
            let (kind, label) = match (village, block, store.role()) {
                (Some(v), None, Role::Block) => (DeviceKind::Laptop, v),
                (None, Some(b), Role::District) => (DeviceKind::Block, b),
                (_, _, Role::Block) => bail!("a block enrolls village laptops: --village NAME"),
                (_, _, Role::District) => bail!("a district enrolls block servers: --block NAME"),
            };
            let label = label.trim().to_owned();
            if again_every {
                if kind != DeviceKind::Laptop {
                    bail!(
                        "--again-every is for a block's village laptops: at a district, give each block its code with --block NAME --again BLOCK-ID"
                    );
                }
                let laptops = store.laptops_of_village(&label)?;
                if laptops.is_empty() {
                    bail!("no laptop of {label} is enrolled here and not revoked (see `devices`)");
                }
                // Each line as its code is made: a failure half-way leaves no code made unseen.
                for (device, name, village) in &laptops {
                    println!("{device}\t{name}\t{}", store.code_for_device(village, *device, now)?);
                }
                eprintln!(
                    "{} code(s), one for each laptop of {label}, each enrolling that laptop again and no other, valid for 7 days, and replacing any code made for it before: read each to its laptop's facilitator by the laptop's id, which the sync panel shows beside \"join again\" (the names may be alike), who enters it there (or `samanvaya enroll-again CODE`)",
                    laptops.len()
                );
                return Ok(());
            }
            let code = match again {
                Some(device) => store.code_for_device(&label, device, now)?,
                None => store.new_code(kind, &label, now)?,
            };
            println!("{code}");
            eprintln!("give this code to {label}; it enrolls one device and is valid for 7 days");
            // A code for a village the block does not know is refused only on the laptop, days
            // later, with advice meant for the facilitator: the operator is told now, by the
            // match a new laptop's enrollment makes.
            if kind == DeviceKind::Laptop && !store.knows_village(&label)? {
                let known = store.village_names()?;
                eprintln!(
                    "note: no village named {label} is registered here (known: {}); a new laptop enrolled with this code is refused until `add-village` registers it. A laptop already set up with this village can use it",
                    if known.is_empty() { "none yet".to_owned() } else { known.join(", ") }
                );
            }
        }
        Command::AddVillage { state, district, block, panchayat, village } => {
            let new = NewVillage {
                above: [
                    Names::parse(&state)?,
                    Names::parse(&district)?,
                    Names::parse(&block)?,
                    Names::parse(&panchayat)?,
                ],
                village: Names::parse(&village)?,
            };
            let added = store.add_village(&new)?;
            println!(
                "{} ({}) is registered: make a code for its laptop with `enroll-code --village {}`",
                added.name_en, added.name_hi, added.name_en
            );
        }
        Command::Status => {
            let role = store.role();
            print_status(&mut store, role)?;
        }
        Command::Devices => {
            let devices = store.devices()?;
            if devices.is_empty() {
                eprintln!("no device is enrolled here yet: make a code with `enroll-code`");
            }
            for d in devices {
                let state = if d.revoked { "revoked" } else { "active" };
                // The copy's refusal tells the laptop's users to call the block office, where
                // this is what the operator reads.
                let copy = if d.copy_refused {
                    "\ta copy from before its restore was refused (keep-copy takes it)"
                } else {
                    ""
                };
                println!(
                    "{}\t{}\t{}\t{}\tacked {}\t{state}{copy}",
                    d.id, d.kind, d.name, d.villages, d.acked_through
                );
            }
        }
        Command::NewCertificate => {
            // After `use-new-certificate` the announced certificate is in place but not yet
            // presented: a second one made now would replace it in the devices' keeping.
            if let Some(announced) = store.announced_certificate()?
                && samanvaya_server::tls::next_fingerprint(dir)?.as_deref() != Some(announced.as_str())
            {
                bail!(
                    "the server switches to certificate {announced} at its next start: restart it first, then make another"
                );
            }
            let next = samanvaya_server::tls::make_next(dir)?;
            store.announce_certificate(Some(&next))?;
            println!("certificate sha256 {next}");
            eprintln!(
                "devices accept this certificate from their next sync; once `samanvaya-server use-new-certificate` finds none left without it, it switches to it"
            );
        }
        Command::UseNewCertificate { force } => {
            let Some(next) = samanvaya_server::tls::next_fingerprint(dir)? else {
                bail!("no new certificate was made: run `samanvaya-server new-certificate` first");
            };
            let missing = store.devices_without(&next)?;
            if !missing.is_empty() && !force {
                bail!(
                    "{} device(s) do not accept the new certificate yet, and would have to enroll again: {}. Wait until they have synced, or revoke them, or give --force",
                    missing.len(),
                    missing.join(", ")
                );
            }
            // It stays announced until the server presents it, after the restart.
            samanvaya_server::tls::use_next(dir)?;
            println!("certificate sha256 {next}");
            eprintln!("the server presents this certificate from its next start: restart it now");
        }
        Command::RecoveryCode { device, history: true } => {
            for (at, by) in store.recovery_code_reads(device)? {
                println!("{at}\tread by {by}");
            }
        }
        Command::RecoveryCode { device, history: false } => {
            // The account that runs the command, as its environment names it ($USER, else
            // $LOGNAME): the block office's own record of who read the code out (the server has
            // no accounts of its own; whoever can set the variable can also run the command).
            let by = std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "unknown".into());
            println!("{}", store.recovery_code(device, &by, Utc::now())?);
            eprintln!(
                "read it out only to the laptop's facilitator; she types it under \"PIN भूल गईं?\" and chooses a new PIN"
            );
        }
        Command::WithdrawCertificate => {
            let Some(announced) = store.announced_certificate()? else {
                bail!("no new certificate is announced: there is nothing to withdraw");
            };
            // The files go first, then the announcement: a stop between them leaves an
            // announcement of a certificate the folder no longer holds, which running this
            // again clears (the files are gone, so `withdraw` finds nothing to do). The other
            // order could leave the withdrawn key to be announced again by `new-certificate`,
            // or presented by a restart to devices told to forget it.
            let withdrawn = samanvaya_server::tls::withdraw(dir, &announced)?;
            store.withdraw_certificate(&announced)?;
            println!("withdrew certificate sha256 {announced}");
            match withdrawn {
                samanvaya_server::tls::Withdrawn::Switched => eprintln!(
                    "the certificate from before the switch is back in place; devices forget the withdrawn one at their next sync"
                ),
                _ => eprintln!("devices forget it at their next sync"),
            }
        }
        Command::Revoke { device } => {
            let name = store.revoke(device, now)?;
            println!("revoked {device} ({name}); it can no longer sync");
        }
        Command::Audit { device: None } => {
            for log in store.audit_logs()? {
                // A district knows a forwarded laptop by the block that brought its log.
                let mut name = match &log.forwarded_by {
                    Some(block) => format!("a laptop of {block}"),
                    None => log.name.clone(),
                };
                // A branch is the log of a laptop restored from a backup, from the backup's
                // last entry on.
                if let Some((device, from)) = log.branch_of {
                    name = format!("{name}, restored: the log of {device} after its entry {from}");
                }
                println!(
                    "{}\t{}\t{} entries\tlast {}",
                    log.device,
                    name,
                    log.entries,
                    log.last_at.as_deref().unwrap_or("-")
                );
            }
        }
        Command::Audit { device: Some(device) } => {
            for e in store.audit_log(device)? {
                println!("{}\t{}\t{}\t{}\t{}", e.seq, e.at, e.who, e.action, e.detail);
            }
        }
        Command::AssignVillage { village, to } => {
            let (block, new) = store.assign_village(village, to, now)?;
            if new {
                println!("village {village} now comes through block {to} ({block}) too");
            } else {
                println!("village {village} already comes through block {to} ({block})");
            }
        }
        Command::UnassignVillage { village, from } => {
            let block = store.unassign_village(village, from, now)?;
            println!(
                "village {village} no longer comes through block {from} ({block}); its changes about it are refused one by one, and the rest of its work goes on"
            );
        }
        Command::KeepCopy { device } => {
            let restores = store.keep_copy(device)?;
            let newest = restores.last().map_or_else(|| "none".to_owned(), |r| r.id.to_string());
            println!(
                "laptop {device}: the copy refused last (its newest restore {newest}) is the laptop now; the copy that synced until now is refused from its next sync"
            );
        }
        Command::HandOverAudit { laptop, to } => {
            let block = store.hand_over_audit(laptop, to)?;
            println!("the audit log of laptop {laptop} now comes through block {to} ({block})");
        }
        Command::Reviews => {
            let reviews = store.open_reviews()?;
            if reviews.is_empty() {
                eprintln!(
                    "no review is waiting: no name, relation, sex or date of birth was written two ways"
                );
            }
            for r in reviews {
                let name = store.member_name(r.member_id.parse()?)?.unwrap_or_default();
                let number = r.number.map_or_else(|| "-".to_owned(), |n| n.to_string());
                println!(
                    "{}\thousehold {number}\t{name}\t{}\tstanding: {}\tother: {}",
                    r.id, r.field, r.kept["value"], r.other["value"]
                );
            }
        }
        Command::Review { id, choose, by } => {
            // As for the recovery code: the account that runs the command, unless named.
            let by = by.or_else(|| std::env::var("USER").ok()).or_else(|| std::env::var("LOGNAME").ok());
            let by = by.unwrap_or_else(|| "unknown".into());
            let choice = match choose {
                ReviewChoice::Kept => samanvaya_server::review::Choice::Kept,
                ReviewChoice::Other => samanvaya_server::review::Choice::Other,
            };
            store.decide_review(id, choice, &by, now)?;
            println!(
                "review {id} decided by {by}: {}",
                match choice {
                    samanvaya_server::review::Choice::Kept => "the value standing stays",
                    samanvaya_server::review::Choice::Other =>
                        "the other value is in place, and goes to the laptops and the district with the next syncs",
                }
            );
        }
        Command::Referrals => {
            let referrals = store.referrals()?;
            if referrals.is_empty() {
                eprintln!("no referral has reached this server yet");
            }
            for (number, stage, level, due) in referrals {
                println!("{number}\t{stage}\t{level}\tdue {due}");
            }
        }
        Command::Import { file, answer } => {
            // Looked at before it is read: a file of gigabytes is not read into memory to be
            // refused.
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            if size > samanvaya_sync_protocol::parcel::MAX_FILE_BYTES as u64 {
                bail!(
                    "{} is larger than {} MB, more than any laptop's sync file; check that it is the file the laptop wrote",
                    file.display(),
                    samanvaya_sync_protocol::parcel::MAX_FILE_BYTES >> 20
                );
            }
            let bytes = std::fs::read(&file).with_context(|| {
                format!("cannot read {}; check the path and the USB stick", file.display())
            })?;
            let done = store.import(&bytes, now)?;
            if let Some(old) = &done.old_copy {
                println!(
                    "this file was written on {}'s laptop before it was restored from its backup, and the restored laptop has synced since: of the old laptop's work after its change {}, {} change(s) taken, {} already here, {} not applied; {} change(s) of the file not taken (the backup's, which the restored laptop sends, or another copy's). The restored laptop gets the work taken at its next sync",
                    done.device_name, old.after, old.taken, old.held, old.rejected, old.not_taken
                );
                if done.taken_back + done.refused_back > 0 {
                    println!(
                        "{} change(s) this server made and lost to a restore from a backup taken back from it, {} refused (not sealed here)",
                        done.taken_back, done.refused_back
                    );
                }
                say_audit(&done);
                eprintln!(
                    "no answer was written: the copy that wrote this file no longer syncs as the laptop; go on with the restored copy. If the copy that wrote it is the one left, `samanvaya-server keep-copy --device {}` takes it for the laptop",
                    done.device.map(|d| d.to_string()).unwrap_or_default()
                );
                return Ok(());
            }
            println!(
                "imported from {}: {} new change(s), {} already here, {} not applied, {} for review",
                done.device_name, done.new, done.already, done.rejected, done.conflicts
            );
            for why in &done.not_applied {
                println!("  {} change(s) not applied: {}", why.count, why.reason);
            }
            if done.conflicts > 0 {
                println!("  `samanvaya-server reviews` lists what waits for review");
            }
            let told: usize = done.not_applied.iter().map(|n| n.count).sum();
            if told < done.rejected {
                println!(
                    "  {} more change(s) not applied, for reasons beyond the {} listed",
                    done.rejected - told,
                    samanvaya_server::import::REASONS_TOLD
                );
            }
            say_audit(&done);
            if done.not_kept > 0 {
                println!(
                    "{} change(s) not kept: the file starts past the laptop's work this server holds (restored from a backup?); the answer tells the laptop to send them again with what is missing",
                    done.not_kept
                );
            }
            if done.taken_back + done.refused_back > 0 {
                println!(
                    "{} change(s) this server made and lost to a restore from a backup taken back, {} refused (not sealed here)",
                    done.taken_back, done.refused_back
                );
            }
            match (answer, done.device) {
                (Some(answer), Some(device)) => write_feed(&mut store, device, &answer)?,
                (None, Some(device)) => println!(
                    "no answer written for the laptop: write it to the same stick with `samanvaya-server --role block --data-dir {} export-feed --device {device} FILE.samanvaya-feed`, or import with --answer FILE next time",
                    dir.display()
                ),
                _ => {}
            }
        }
        Command::ExportFeed { device, file } => write_feed(&mut store, device, &file)?,
        Command::VouchCertificate { block, certificate } => {
            let typed = fingerprint(&certificate, "--certificate", "the block's start")?;
            let key = samanvaya_server::catalogue::signing_key(dir)?;
            let vouched = store.vouch_certificate(block, &typed, &key, now)?;
            println!(
                "vouched for block {block}'s certificate {typed}, in place of {}: the block serves it from its next sync with this district, and its laptops that installed this district's scheme rules follow it at their next sync",
                vouched.replaces.join(", ")
            );
            if !vouched.trusted_by_laptops {
                eprintln!(
                    "no scheme rules were published with this district's key yet (`publish-catalogue`): a laptop trusts the key once it has installed rules signed with it; until then its laptops enroll again with a code (`enroll-code --village … --again-every` at the block)"
                );
            }
        }
        Command::PublishCatalogue { folder, label, out } => {
            let key = samanvaya_server::catalogue::signing_key(dir)?;
            let (kept, file) = store.publish_catalogue(&folder, &label, &key, now)?;
            if let Some(out) = out {
                std::fs::write(&out, &file).with_context(|| {
                    format!("cannot write {}; check the folder and the stick", out.display())
                })?;
                println!("wrote {} ({} bytes) for a USB stick", out.display(), file.len());
            }
            if kept.new {
                println!(
                    "published \"{}\" ({} schemes, {}): blocks and laptops take it at their next sync",
                    kept.label, kept.schemes, kept.digest
                );
            } else {
                println!("\"{}\" was published already; nothing changed", kept.label);
            }
        }
        Command::Step { number, action, reason, on, amount, by } => {
            let step = match action {
                StepArg::Submit => Step::Submit,
                StepArg::Process => Step::Process,
                StepArg::Sanction => Step::Sanction,
                StepArg::Receive => Step::Receive { on: on.unwrap_or(now.date_naive()), amount_inr: amount },
                StepArg::Reject => Step::Reject { reason },
                StepArg::Escalate => Step::Escalate { reason },
                StepArg::Reopen => Step::Reopen { reason },
                StepArg::Note => Step::Note { text: reason },
            };
            let case = store.step(&number, step, &by, now)?;
            println!("{number}: {} at the {}, due {}", case.stage.as_str(), case.level.as_str(), case.due_on);
        }
    }
    Ok(())
}

/// What an import did with the file's audit entries.
/// What `status` prints: at a block, how forwarding to its district stands, with what to do.
/// A moment the store keeps (UTC, to the microsecond) as the operator reads a clock: this
/// computer's own time, to the second, with its offset ("7 Dec 2026, 14:05:09 +05:30"). A
/// reading the store wrote otherwise is shown as it is.
fn local_time(stored: &str) -> String {
    match DateTime::parse_from_rfc3339(stored)
        .or_else(|_| DateTime::parse_from_str(stored, "%Y-%m-%d %H:%M:%S%.f%:z"))
    {
        Ok(at) => at.with_timezone(&chrono::Local).format("%-d %b %Y, %H:%M:%S %:z").to_string(),
        Err(_) => stored.to_owned(),
    }
}

/// What a block's operator is told while the laptops that pinned its earlier certificate refuse
/// the one it presents: what moves them, with the district's command word for word where the
/// district's word would.
fn awaiting_vouch(block: uuid::Uuid, awaiting: &Awaiting) -> String {
    let codes = "A laptop that did not install the district's scheme rules enrolls again with a code from `enroll-code --village VILLAGE --again-every`";
    match awaiting {
        Awaiting::Vouch(presented) => format!(
            "this block presents another certificate than before, which its laptops were not told of: each laptop that pinned the earlier one refuses it. Once this block has synced with its district, ask the district's operator to run `samanvaya-server --role district vouch-certificate --block {block} --certificate {presented}`; the laptops that installed the district's scheme rules then follow it at their next sync. {codes}"
        ),
        Awaiting::Replaced(presented) => format!(
            "this block presents certificate {presented}, which the district's word replaced with a newer one (was an older `tls` folder put back?): the laptops that follow the district's word refuse it, and the district never vouches for it again. Stop the server and put back the newer `tls` folder, or remove the `tls` folder so that a new certificate is made, and ask the district to vouch for that one"
        ),
        Awaiting::Codes(presented) => format!(
            "this block presents another certificate than before ({presented}), which its laptops were not told of: each laptop that pinned the earlier one refuses it. No district's word can move them (this block has no district, or no district's scheme rules, which the laptops would check it against): make a code for each laptop with `enroll-code --village VILLAGE --again-every` and read each facilitator her laptop's line"
        ),
    }
}

fn print_status(store: &mut Store, role: Role) -> Result<()> {
    let devices = store.devices()?;
    let active = devices.iter().filter(|d| !d.revoked).count();
    println!("{} server, store on {}; {active} device(s) enrolled", role.as_str(), store.kind());
    if role != Role::Block {
        return Ok(());
    }
    if let Some(awaiting) = store.certificate_awaiting_vouch()? {
        println!("{}", awaiting_vouch(store.device(), &awaiting));
    }
    let Some(f) = store.forwarding()? else {
        println!(
            "not enrolled with a district: nothing is forwarded. Start the server once with --upstream URL --upstream-code CODE (the code from the district's operator: `samanvaya-server --role district enroll-code --block NAME`)"
        );
        return Ok(());
    };
    println!("district: {}", f.url);
    println!(
        "forwarded: the district holds this block's changes through number {}; {} change(s) waiting to go up",
        f.acked_through, f.waiting
    );
    match &f.last_success_at {
        Some(at) => println!("last round that went through: {}", local_time(at)),
        None => println!("no round has gone through yet"),
    }
    match &f.last_error {
        Some(e) => println!(
            "last error: {e}\nthe server tries again by itself at each round (every minute, or as --sync-every says) while it runs with --upstream {}; if the error stays, tell the district's operator what it says",
            f.url
        ),
        None => println!("no error since the last round that went through"),
    }
    Ok(())
}

fn say_audit(done: &samanvaya_server::import::Imported) {
    if let Some(through) = done.audit_through {
        println!("its audit log is held here through entry {through}");
    }
    if let Some(samanvaya_server::import::AuditShort { held, first }) = done.audit_short {
        println!(
            "its audit log is held here only through entry {held}, and the file's entries start at entry {first}: this server was restored from a backup since its last answer to this laptop. The entries wait on the laptop, which sends its log again from entry {} in its next file, once it has applied this server's answer (--answer, or export-feed)",
            held + 1
        );
    }
    if let Some(why) = &done.audit_refused {
        eprintln!("its audit log was not kept: {why}");
    }
}

/// Writes the block's answer for `device` to `file`, whole or not at all.
fn write_feed(store: &mut Store, device: uuid::Uuid, file: &std::path::Path) -> Result<()> {
    let written = store.export_feed(device, Utc::now())?;
    // On the stick before it takes its name, and the name on the stick before the operator is
    // told it is written: a stick pulled out as soon as the command ends otherwise held a
    // damaged answer, or the older one, and the village waited a trip for nothing (found by a
    // review).
    let partial = file.with_extension("partial");
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&partial)?;
        f.write_all(&written.bytes)?;
        f.sync_all()?;
        std::fs::rename(&partial, file)?;
        // Best effort: not every system opens a folder as a file.
        if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::File::open(folder).and_then(|d| d.sync_all());
        }
        Ok(())
    };
    if let Err(e) = write() {
        // A stick full or pulled out leaves no half file beside the ones the office carries.
        let _ = std::fs::remove_file(&partial);
        return Err(anyhow::Error::from(e)
            .context(format!("cannot write {}; check the USB stick and its free space", file.display())));
    }
    println!(
        "wrote {} change(s) for {} to {}; eject the stick before taking it out; on the laptop: samanvaya import-feed {}",
        written.changes,
        written.device_name,
        file.display(),
        file.display()
    );
    Ok(())
}

/// Which value of a review is right.
#[derive(Clone, Copy, ValueEnum)]
enum ReviewChoice {
    /// The value standing now.
    Kept,
    /// The value that lost by the clock.
    Other,
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    // Only the server's start and the registering of its first village (a block is prepared so
    // before it starts) set a new folder up: any other command given a mistyped folder made an
    // empty server there, listed no device and handed out codes no laptop could use.
    match (&args.command, &args.data_dir) {
        (Some(Command::AddVillage { .. }), Some(dir))
            if !dir.is_dir() && matches!(args.role, Some(RoleArg::Block)) && args.database.is_none() =>
        {
            eprintln!("setting up a new server's folder in {}", dir.display());
        }
        (Some(_), Some(dir)) if !dir.is_dir() => bail!(
            "there is no folder {}: give the folder this server runs with (--data-dir), or start the server there first to set it up",
            dir.display()
        ),
        _ => {}
    }
    // The store is opened before any runtime starts: PostgreSQL's client connects with a
    // runtime of its own, which may not start inside another.
    let mut store = open(&args)?;
    if let Some(command) = args.command.take() {
        // `open` refused to start without the data folder.
        let dir = args.data_dir.clone().unwrap_or_default();
        return run_command(store, command, &dir);
    }
    eprintln!("the store is on {}", store.kind());
    let enrolled = store.upstream()?.is_some();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?
        .block_on(serve(args, store, enrolled))
}

async fn serve(args: Args, mut store: Store, enrolled: bool) -> Result<()> {
    // The data folder is known: `open` refused to start without it. Made here whatever keeps
    // the store: a district on PostgreSQL behind a TLS proxy writes nothing into it, and its
    // operator's commands, refused a folder that does not exist, would have no way in.
    let dir = args.data_dir.clone().unwrap_or_default();
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot make the data folder {}", dir.display()))?;
    let (role, server) = (store.role(), store.device());
    // Listening first: a second server started by mistake on the same folder and address stops
    // here, before it writes that it presents a certificate it never will.
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}; is another server using it?", args.listen))?;
    // The certificate is known before forwarding starts: a block says the certificates it has
    // presented at each session with its district (`vouch.rs`). A switch to the announced one
    // takes effect here too: it is no longer announced.
    let identity = match args.plain_http {
        true => None,
        false => Some(Identity::load_or_make(&dir)?),
    };
    if let Some(identity) = &identity {
        store.certificate_in_use(&identity.fingerprint, identity.previous.as_deref())?;
        if role == Role::Block
            && let Some(awaiting) = store.certificate_awaiting_vouch()?
        {
            eprintln!("{}", awaiting_vouch(server, &awaiting));
        }
    }
    let store = Arc::new(Mutex::new(store));
    if let Some(url) = &args.upstream {
        if role != Role::Block {
            bail!("only a block server has an upstream (its district)");
        }
        // A code given to a block enrolled already is kept for the forwarding, which enrolls
        // the block again with it only when its district refuses it as a device it does not
        // know, or presents the new certificate its operator named (`upstream::run`). Were it
        // sent at the start, a code left in the start command would go to the district at every
        // restart, and keep the laptops waiting while the district was not reached.
        let mut in_hand = None;
        match &args.upstream_code {
            Some(code) if enrolled => {
                eprintln!(
                    "this block is enrolled with its district already: --upstream-code is used only if the district says it no longer knows this block, or presents the certificate --upstream-new-certificate names"
                );
                in_hand = Some(upstream::CodeInHand {
                    code: code.clone(),
                    name: args.name.clone(),
                    new_certificate: args
                        .upstream_new_certificate
                        .as_deref()
                        .map(|typed| fingerprint(typed, "--upstream-new-certificate", "the district's start"))
                        .transpose()?,
                });
            }
            Some(code) => upstream::enroll(&store, url, code, &args.name).await?,
            None => {
                if !enrolled {
                    bail!(
                        "this block is not enrolled with its district yet: add --upstream-code CODE (from `samanvaya-server --role district enroll-code --block NAME`)"
                    );
                }
            }
        }
        // A district that moved to a new address (a new office network, a new name) is followed
        // there: the certificate pinned at enrollment is what proves it is the same district,
        // and a server at the new address presenting another is refused at every round, as at
        // the old one. A block enrolled over plain HTTP on the district's own computer has no
        // certificate to prove it by, and stays at the address it enrolled at.
        let mut held = store.lock().map_err(|_| anyhow::anyhow!("the store's lock is broken"))?;
        let new_url = url.trim_end_matches('/');
        if let Some(stored) = held.upstream()?.filter(|u| u.url != new_url) {
            // Only to an address spoken to over TLS, where the pin is checked: plain HTTP (allowed
            // on this computer) checks no certificate, and would be sent the block's secret.
            let tls = samanvaya_sync_client::link::server_url(new_url);
            if let Err(e) = &tls {
                bail!("--upstream {url} is not an address this block can forward to: {e}");
            }
            if stored.certificate.is_some() && matches!(tls, Ok((_, true))) {
                held.move_upstream(new_url)?;
                eprintln!(
                    "this block now forwards to its district at {new_url} (it was at {}); the district's certificate pinned at enrollment is checked there",
                    stored.url
                );
            } else {
                eprintln!(
                    "this block forwards to {}, where it enrolled with its district, not to {url}: only an https:// address is followed, where the district's certificate pinned at enrollment proves it is the same district (a block enrolled over plain HTTP has none)",
                    stored.url
                );
            }
        }
        drop(held);
        // Forwarding runs on a thread of its own: it is slow on a bad link by design, and must
        // never hold up the laptops' requests.
        let (store, every) = (store.clone(), Duration::from_secs(args.sync_every.max(1)));
        std::thread::spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(upstream::run(store, every, Tuning::default(), in_hand)),
                Err(e) => eprintln!("forwarding to the district could not start: {e}"),
            }
        });
    }
    if args.upstream.is_none() && enrolled {
        eprintln!(
            "this block is enrolled with its district but was started without --upstream: nothing is forwarded until it runs with --upstream URL"
        );
    }
    let addr = listener.local_addr()?;
    let limits = Limits {
        idle: Duration::from_secs(args.idle_seconds.max(1)),
        request: Duration::from_secs(args.request_seconds.max(1)),
        at_once: args.requests_at_once.max(1),
        per_device: args.requests_per_device.max(1),
        ..Limits::default()
    };
    let listener = Bounded::new(listener, limits);
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if args.plain_http {
        // Tests and operators read the server's address from this first line.
        println!("listening on http://{addr}");
        let config = ServerConfig {
            role,
            server,
            store,
            session_minutes: args.session_minutes,
            fingerprint: code::PLAIN.into(),
            door: Door::new(limits),
        };
        axum::serve(
            listener,
            router(config).into_make_service_with_connect_info::<samanvaya_server::limits::Peer>(),
        )
        .with_graceful_shutdown(stop)
        .await?;
        return Ok(());
    }
    let identity = identity.context("a server over TLS has its certificate")?;
    println!("listening on https://{addr}");
    println!("certificate sha256 {}", identity.fingerprint);
    // Laptops (a block's) and blocks (a district's) reach the server over the network: one
    // listening on this computer only is reachable by none of them, which the first line alone
    // does not say. Over plain HTTP it is meant so (a TLS proxy in front, or a test).
    if addr.ip().is_loopback() {
        let who = if role == Role::Block { "the office's laptops" } else { "the blocks" };
        eprintln!(
            "only this computer can reach the server; for {who} start it with --listen 0.0.0.0:{}",
            addr.port()
        );
    }
    let config = ServerConfig {
        role,
        server,
        store,
        session_minutes: args.session_minutes,
        fingerprint: identity.fingerprint.as_str().into(),
        door: Door::new(limits),
    };
    let listener = TlsListener::new(listener, &identity)?;
    axum::serve(
        listener,
        router(config).into_make_service_with_connect_info::<samanvaya_server::limits::Peer>(),
    )
    .with_graceful_shutdown(stop)
    .await?;
    Ok(())
}

/// A certificate's fingerprint as an operator types it for `option` from the start line of the
/// server `whose` (`certificate sha256 …`, the prefix pasted or not, any case): 64 hexadecimal
/// digits.
fn fingerprint(typed: &str, option: &str, whose: &str) -> Result<String> {
    let hex = typed
        .trim()
        .trim_start_matches("certificate")
        .trim()
        .trim_start_matches("sha256")
        .trim()
        .to_lowercase();
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!(
            "{option} {typed:?} is not a certificate's fingerprint: give the 64 letters and digits after `certificate sha256` in {whose}"
        );
    }
    Ok(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprint is taken as the district's start line gives it, pasted whole or not.
    #[test]
    fn a_fingerprint_is_read_as_the_districts_start_prints_it() {
        let hex = "39ff6f701286c4e358cdf4768f2535c85520866fa5abb4258457647629a9b332";
        for typed in [
            hex.to_owned(),
            hex.to_uppercase(),
            format!("certificate sha256 {hex}"),
            format!(" sha256 {hex} "),
        ] {
            assert_eq!(fingerprint(&typed, "--certificate", "x").unwrap(), hex, "{typed}");
        }
        for wrong in [&hex[..63], "sha256", &format!("{hex}0")] {
            assert!(
                fingerprint(wrong, "--certificate", "x")
                    .unwrap_err()
                    .to_string()
                    .contains("is not a certificate's fingerprint"),
                "{wrong}"
            );
        }
    }

    /// The store's UTC reading is said on this computer's clock, to the second, with its offset;
    /// a reading it cannot parse is said as it is.
    #[test]
    fn a_stored_moment_is_said_on_this_computers_clock() {
        let stored = "2026-12-01 03:04:05.000001+00:00";
        let said = local_time(stored);
        let local =
            DateTime::parse_from_rfc3339("2026-12-01T03:04:05Z").unwrap().with_timezone(&chrono::Local);
        assert_eq!(said, local.format("%-d %b %Y, %H:%M:%S %:z").to_string());
        assert!(!said.contains(".000001"), "{said}");
        assert_eq!(local_time("not a time"), "not a time");
    }
}
