//! Opening the encrypted store from the command line: the PIN comes from `SAMANVAYA_PIN` (for
//! scripts and tests) or is asked at the terminal without being shown. A new data folder is set
//! up with that PIN, and its recovery code is printed once, on the error stream, so that it never
//! ends up in a file the output was piped to.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, Result, bail};
use samanvaya_core::{Folder, Secret, Store};

/// The environment variable a script sets the PIN or passphrase in.
pub const PIN_ENV: &str = "SAMANVAYA_PIN";

/// The store in `dir`, unlocked for `account` (the only one when `None`), or set up for a new
/// account called `account` (or "facilitator").
pub fn open(dir: &Path, account: Option<&str>) -> Result<Store> {
    let folder = Store::folder(dir).with_context(|| format!("cannot open the store in {}", dir.display()))?;
    let fresh = matches!(folder, Folder::New | Folder::Plain);
    let secret = match std::env::var(PIN_ENV) {
        Ok(pin) if !pin.is_empty() => Secret::new(pin),
        _ if std::io::stdin().is_terminal() => ask(fresh)?,
        _ => bail!(
            "this store is encrypted: set {PIN_ENV} to its PIN, or run the command at a terminal to be asked"
        ),
    };
    if !fresh {
        return Store::unlock(dir, account, &secret)
            .with_context(|| format!("cannot unlock the store in {}", dir.display()));
    }
    let name = account.unwrap_or("facilitator");
    let (store, code) = Store::create(dir, name, &secret)
        .with_context(|| format!("cannot set up the store in {}", dir.display()))?;
    eprintln!(
        "Set up {} for account \"{name}\".\nRecovery code (write it down and keep it safe; it is shown only now): {}",
        dir.display(),
        code.expose()
    );
    Ok(store)
}

/// Restores the backup at `file` into the empty folder `dir`, with the PIN of its account.
pub fn restore(file: &Path, dir: &Path, account: Option<&str>) -> Result<Store> {
    let secret = match std::env::var(PIN_ENV) {
        Ok(pin) if !pin.is_empty() => Secret::new(pin),
        _ if std::io::stdin().is_terminal() => {
            Secret::new(rpassword::prompt_password("PIN of the backup's account: ")?)
        }
        _ => bail!(
            "set {PIN_ENV} to the PIN of the backup's account, or run the command at a terminal to be asked"
        ),
    };
    Store::restore(file, dir, account, &secret)
        .with_context(|| format!("cannot restore {} into {}", file.display(), dir.display()))
}

/// A secret from the environment variable `var`, or asked at the terminal with `prompt`.
pub fn secret_from(var: &str, prompt: &str) -> Result<Secret> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(Secret::new(v)),
        _ if std::io::stdin().is_terminal() => Ok(Secret::new(rpassword::prompt_password(prompt)?)),
        _ => bail!("set {var}, or run the command at a terminal to be asked"),
    }
}

fn ask(fresh: bool) -> Result<Secret> {
    let first = rpassword::prompt_password(if fresh {
        "Choose a PIN (6 digits or more) or a passphrase: "
    } else {
        "PIN: "
    })?;
    if fresh {
        let again = rpassword::prompt_password("The same again: ")?;
        if again != first {
            bail!("the two entries differ; nothing was set up");
        }
    }
    Ok(Secret::new(first))
}
