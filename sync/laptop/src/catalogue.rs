//! Installing a district's catalogue bundle on the laptop: the signature checked here, the rules
//! and the trusted key in the store (`samanvaya_core::Store::install_catalogue`). A bundle comes
//! either with a sync, from the block the laptop pinned at enrollment, or on a USB stick.

use samanvaya_core::{Installed, StoreError, VerifiedBundle};
use samanvaya_sync_protocol::bundle::{self, BundleError};

use crate::LaptopSyncError;
use samanvaya_core::Store;

/// A bundle file read and its signature checked, against `trusted` when the laptop has a key.
fn verified(file: &[u8], trusted: Option<&str>) -> Result<VerifiedBundle, BundleError> {
    let signed = bundle::open(file, trusted)?;
    let pairs = |files: Vec<bundle::BundleFile>| files.into_iter().map(|f| (f.path, f.text)).collect();
    let forms = signed
        .bundle
        .forms
        .iter()
        .map(|f| f.bytes().map(|b| (f.file_name.clone(), b)).ok_or(BundleError::BadSignature))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(VerifiedBundle {
        forms,
        digest: signed.digest,
        label: signed.bundle.label,
        made_at: signed.bundle.made_at,
        signer: signed.key,
        file: file.to_vec(),
        schemes: pairs(signed.bundle.schemes),
        groups: pairs(signed.bundle.groups),
    })
}

/// Installs a bundle the block offered in a sync. The block is the one pinned at enrollment, so
/// a laptop that trusts no district key yet learns it from this first bundle.
pub(crate) fn install_fetched(store: &mut Store, file: &[u8]) -> Result<Installed, LaptopSyncError> {
    let trusted = store.catalogue_signer()?;
    let bundle = verified(file, trusted.as_deref())?;
    let at = store.now()?.utc;
    Ok(store.install_catalogue(&bundle, at)?)
}

/// Installs a bundle file brought on a USB stick. Only a laptop that already trusts its district's
/// key (learned at a sync) takes one: a stick is not a channel a key can be learned from.
pub fn install_file(store: &mut Store, file: &[u8]) -> Result<Installed, LaptopSyncError> {
    let Some(trusted) = store.catalogue_signer()? else {
        return Err(StoreError::Bundle(
            "this laptop does not know its district's key yet: it learns it at the first sync with its block after enrollment. Sync once, then install the file".into(),
        )
        .into());
    };
    let bundle = verified(file, Some(&trusted))?;
    let at = store.now()?.utc;
    Ok(store.install_catalogue(&bundle, at)?)
}
