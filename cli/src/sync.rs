//! `samanvaya enroll`, `samanvaya enroll-again`, `samanvaya sync` and `samanvaya export-sync`: the laptop's link to its block server from a
//! terminal, for set-up, scripts and tests.

use std::time::Duration;

use anyhow::{Result, bail};
use samanvaya_core::{CatalogueInUse, Installed, Store, SyncStatus};
use samanvaya_sync_client::{Exchange, SyncError, Tuning};
use samanvaya_sync_laptop::{
    LaptopSyncError, block_on, enroll, enroll_again, export_file, import_feed, install_file, sync,
};

/// An enrollment's failure, with what to do when it got no answer: the same code still works
/// for this laptop (the block answers it again until the laptop has synced), and a facilitator
/// is not sent to the block office for another.
fn unanswered(e: LaptopSyncError) -> anyhow::Error {
    match e {
        LaptopSyncError::Sync(SyncError::Timeout(_) | SyncError::Unreachable(_)) => anyhow::anyhow!(
            "{e}\nnothing was changed on this laptop; run the same command again with the same code, which still works for this laptop until it has synced, within the seven days the code lasts"
        ),
        e => e.into(),
    }
}

/// Enrolls the laptop and says what it received.
pub fn run_enroll(store: &mut Store, url: &str, code: &str, name: &str) -> Result<String> {
    let enrolled = block_on(enroll(store, url, code, name))?.map_err(unanswered)?;
    let mut out = format!("enrolled with the {} server at {url}\n", enrolled.role);
    for (kind, first, last) in enrolled.numbers {
        out.push_str(&format!("  {kind} numbers {first} to {last}\n"));
    }
    match enrolled.certificate {
        Some(pin) => out.push_str(&format!(
            "the server's certificate is pinned (sha256 {pin}): this laptop syncs with no other\n"
        )),
        None => out.push_str("plain HTTP to a server on this computer: no certificate to pin\n"),
    }
    // The app syncs at once after enrolling; the command line leaves that to the next command,
    // so a script can enroll with a block that is not started yet, and says so.
    out.push_str(
        "next: `samanvaya sync` sends what waits and brings the village's households from the block\n",
    );
    Ok(out)
}

/// `samanvaya enroll-again CODE`: the block's new certificate pinned with a code made for
/// this laptop, everything it holds kept.
pub fn run_enroll_again(store: &mut Store, code: &str, name: &str) -> Result<String> {
    let enrolled = block_on(enroll_again(store, code, name))?.map_err(unanswered)?;
    let url = store.enrollment()?.map(|e| e.url).unwrap_or_default();
    let mut out = format!(
        "enrolled again with the {} server at {url}, keeping everything this laptop holds
",
        enrolled.role
    );
    if let Some(pin) = enrolled.certificate {
        out.push_str(&format!(
            "its new certificate is pinned (sha256 {pin})
"
        ));
    }
    out.push_str(
        "next: `samanvaya sync` sends what waited
",
    );
    Ok(out)
}

fn status_text(s: &SyncStatus) -> String {
    let mut out = match &s.url {
        Some(url) => format!("enrolled with {url} ({})\n", s.role.as_deref().unwrap_or("block")),
        None if s.demo => "a demo store: it never syncs\n".to_owned(),
        None => "not enrolled: `samanvaya enroll URL CODE` with a code from the block office\n".to_owned(),
    };
    // What the block office asks for to make a code for this very laptop (`enroll-again`).
    out.push_str(&format!("this laptop: {}\n", s.device));
    out.push_str(&format!("waiting to send: {}\n", s.waiting));
    out.push_str(&format!("reached the block: {} change(s)\n", s.reached_block));
    out.push_str(&format!("reached the district: {} change(s)\n", s.reached_district));
    if s.rejected > 0 || s.conflicts > 0 || s.pulled_refused > 0 {
        out.push_str(&format!(
            "not applied at the block: {}; waiting for review there: {}; not applied here: {}\n",
            s.rejected, s.conflicts, s.pulled_refused
        ));
    }
    if let Some(at) = s.last_success_at {
        out.push_str(&format!("last sync: {}\n", at.format("%Y-%m-%d %H:%M UTC")));
    }
    if let Some(e) = &s.last_error {
        out.push_str(&format!("last error: {e}\n"));
    }
    out.push_str(&catalogue_text(&s.rules));
    out
}

/// Which scheme rules the laptop judges with, in one line.
pub fn catalogue_text(c: &CatalogueInUse) -> String {
    match (&c.label, c.made_at) {
        (Some(label), Some(made)) => format!(
            "scheme rules: the district's \"{label}\" of {} ({} schemes, version {})\n",
            made.format("%Y-%m-%d"),
            c.schemes,
            c.version
        ),
        _ => format!(
            "scheme rules: those built into this version ({} schemes, version {})\n",
            c.schemes, c.version
        ),
    }
}

/// Installs the district's rules from a file on a USB stick.
pub fn run_catalogue_install(store: &mut Store, file: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow::anyhow!("cannot read {}: {e}; check the path and the USB stick", file.display())
    })?;
    Ok(match install_file(store, &bytes)? {
        Installed::New { label, schemes, forms } => {
            let mut out = format!(
                "installed the district's scheme rules \"{label}\" ({schemes} schemes): decisions use them from now on\n"
            );
            match forms {
                0 => {}
                1 => out.push_str("and a new version of the survey form: new surveys start on it\n"),
                n => out.push_str(&format!(
                    "and {n} new versions of the survey form: new surveys start on the newest\n"
                )),
            }
            out
        }
        Installed::Already { label } => format!("\"{label}\" is in use already; nothing changed\n"),
        Installed::Older { label, in_use } => {
            format!("\"{label}\" is older than the rules in use (\"{in_use}\"); nothing changed\n")
        }
    })
}

/// One sync (or only the status), with timeouts short enough for a script when asked.
pub fn run_sync(
    store: &mut Store,
    status_only: bool,
    timeout_secs: Option<u64>,
    verbose: bool,
) -> Result<String> {
    if status_only {
        // The device id, which the block office revokes a lost laptop by, and which ends the
        // name of the app's file for the USB stick.
        return Ok(format!(
            "this laptop: device {}\n{}",
            store.device_id()?,
            status_text(&store.sync_status()?)
        ));
    }
    if store.is_demo()? {
        bail!("this is a demo store: its households are invented and never leave the laptop");
    }
    let mut tuning = Tuning::default();
    if let Some(secs) = timeout_secs {
        tuning.request = Duration::from_secs(secs.max(1));
        tuning.retries = 2;
    }
    let report = block_on(sync(store, tuning))??;
    let mut out = String::new();
    if verbose {
        out.push_str(&exchanges_text(&report.exchanges));
        if report.sent_again > 0 {
            out.push_str(&format!(
                "     {} sending(s) beside them on fresh connections, for those not answered in half their wait\n",
                report.sent_again
            ));
        }
    }
    out.push_str(&format!(
        "sent {} change(s) in {} batch(es), {} already there; received {}\n",
        report.pushed, report.batches, report.duplicates, report.pulled
    ));
    if let Some(followed) = &report.certificate_followed {
        out.push_str(&format!(
            "the block presents a new certificate ({followed}), which the district vouched for: this laptop trusts it from now on\n"
        ));
    }
    if let Some(label) = &report.catalogue {
        out.push_str(&format!("installed the district's scheme rules \"{label}\"\n"));
    }
    if let Some(why) = &report.catalogue_refused {
        out.push_str(&format!(
            "the district's new scheme rules were not installed ({why}); decisions still use the rules in use; tell the block office\n"
        ));
    }
    for reason in &report.rejected {
        out.push_str(&format!("  not applied at the block: {reason}\n"));
    }
    if report.conflicts > 0 {
        out.push_str(&format!(
            "  {} change(s) wait for review at the block (both values kept)\n",
            report.conflicts
        ));
    }
    out.push_str(&status_text(&store.sync_status()?));
    Ok(out)
}

/// One line a request, for whoever looks into a slow link: "  3. push 16 KB: answered in 4.2 s".
fn exchanges_text(exchanges: &[Exchange]) -> String {
    let mut out = String::new();
    for (i, e) in exchanges.iter().enumerate() {
        let took = e.took.as_secs_f64();
        match (&e.failure, e.payload) {
            (Some(why), _) => {
                out.push_str(&format!("{:>3}. {}: failed after {took:.1} s: {why}\n", i + 1, e.what))
            }
            (None, Some(p)) if p > 0 => out.push_str(&format!(
                "{:>3}. {} {} KB: answered in {took:.1} s\n",
                i + 1,
                e.what,
                p.div_ceil(1024)
            )),
            (None, _) => out.push_str(&format!("{:>3}. {}: answered in {took:.1} s\n", i + 1, e.what)),
        }
    }
    out
}

/// Writes the waiting changes to a file for the block office.
pub fn run_export(store: &mut Store, file: &std::path::Path) -> Result<String> {
    if store.is_demo()? {
        bail!("this is a demo store: its households are invented and never leave the laptop");
    }
    let done = export_file(store, file)?;
    let mut out = format!(
        "wrote {} change(s) ({} KB) to {}; at the block office: samanvaya-server import {} --answer {}\n",
        done.changes,
        done.bytes.div_ceil(1024),
        file.display(),
        file.display(),
        file.with_extension("samanvaya-feed").display()
    );
    if done.carried_again > 0 {
        out.push_str(&format!(
            "with {} change(s) made here that the block holds and has not said reached the district, carried again in case the block lost them; it takes each once\n",
            done.carried_again
        ));
    }
    if done.held_back > 0 {
        out.push_str(&format!(
            "{} change(s) made since this laptop was restored from a backup wait for the block's answer to this file (samanvaya import-feed); they go on the next one\n",
            done.held_back
        ));
    }
    Ok(out)
}

/// Applies the block's answer from a USB stick.
pub fn run_import_feed(store: &mut Store, file: &std::path::Path) -> Result<String> {
    // Looked at before it is read: a file of gigabytes is not read into memory to be refused.
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if size > samanvaya_sync_laptop::MAX_ANSWER_BYTES as u64 {
        bail!(
            "{} is larger than {} MB, more than any answer from the block; choose the file the block office wrote for this laptop",
            file.display(),
            samanvaya_sync_laptop::MAX_ANSWER_BYTES >> 20
        );
    }
    let bytes = std::fs::read(file).map_err(|e| {
        anyhow::anyhow!("cannot read {}: {e}; check the path and the USB stick", file.display())
    })?;
    let done = import_feed(store, &bytes)?;
    Ok(format!(
        "the block's answer: {} change(s), {} new here, {} here already\n",
        done.changes,
        done.applied,
        done.changes - done.applied
    ))
}
