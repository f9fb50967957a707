//! The server's TLS identity and listener. A block is a computer in a block office with no
//! domain name and no certificate authority, so the server makes its own certificate at first
//! start and keeps it in its data folder; devices pin it at enrollment
//! (`samanvaya_sync_client::pin`). Handshakes run beside the accept loop, each with a deadline,
//! so that one laptop on a stalling 2G link never holds up the others.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use samanvaya_sync_client::pin;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::error::ServerError;
use crate::limits::{Bounded, Idle};

/// How long a device may take over the TLS handshake.
const HANDSHAKE_SECS: u64 = 30;

/// The certificate and key files, in the server's data folder.
const CERTIFICATE: &str = "tls/certificate.der";
const KEY: &str = "tls/key.der";
/// The certificate made to switch to (`samanvaya-server new-certificate`), and its key.
const NEXT_CERTIFICATE: &str = "tls/next-certificate.der";
const NEXT_KEY: &str = "tls/next-key.der";
/// The certificate and key used before the last switch, kept to go back to by hand.
const PREVIOUS_CERTIFICATE: &str = "tls/previous-certificate.der";
const PREVIOUS_KEY: &str = "tls/previous-key.der";

/// Makes the certificate this server will switch to, beside the one it presents, or gives back
/// the one made before; returns its fingerprint. Devices learn it at their sessions and accept it
/// from then on; the server presents it after [`use_next`] and a restart.
pub fn make_next(dir: &Path) -> Result<String, ServerError> {
    let (cert_path, key_path) = (dir.join(NEXT_CERTIFICATE), dir.join(NEXT_KEY));
    let cert = if cert_path.exists() && key_path.exists() {
        read(&cert_path)?
    } else {
        make(&cert_path, &key_path)?.0
    };
    Ok(pin::fingerprint(&cert))
}

/// The fingerprint of the certificate made to switch to, if there is one.
pub fn next_fingerprint(dir: &Path) -> Result<Option<String>, ServerError> {
    let (cert_path, key_path) = (dir.join(NEXT_CERTIFICATE), dir.join(NEXT_KEY));
    if !(cert_path.exists() && key_path.exists()) {
        return Ok(None);
    }
    Ok(Some(pin::fingerprint(&read(&cert_path)?)))
}

/// Makes the certificate made by [`make_next`] the one the server presents from its next start,
/// keeping a copy of the one before as `tls/previous-*`. Each new file replaces the old one by a
/// single rename, the key first: a stop between the two leaves a key and a certificate that do
/// not match, which the next start refuses with what to do, never a folder without either.
pub fn use_next(dir: &Path) -> Result<String, ServerError> {
    let fingerprint = next_fingerprint(dir)?.ok_or_else(|| {
        ServerError::Invalid(
            "no new certificate was made: run `samanvaya-server new-certificate` first".into(),
        )
    })?;
    let moved = |from: &str, to: &str| {
        std::fs::rename(dir.join(from), dir.join(to)).map_err(|e| {
            ServerError::Invalid(format!("cannot move {from} to {to} in {}: {e}", dir.display()))
        })
    };
    write_whole(&dir.join(PREVIOUS_KEY), &read(&dir.join(KEY))?)?;
    write_whole(&dir.join(PREVIOUS_CERTIFICATE), &read(&dir.join(CERTIFICATE))?)?;
    moved(NEXT_KEY, KEY)?;
    moved(NEXT_CERTIFICATE, CERTIFICATE)?;
    Ok(fingerprint)
}

/// What [`withdraw`] took back.
#[derive(Debug, PartialEq, Eq)]
pub enum Withdrawn {
    /// The certificate made to switch to, not yet put in place: its files are removed.
    Made,
    /// The certificate put in place by [`use_next`] before the server presented it: the one
    /// before is back in place, and the new one is removed.
    Switched,
    /// The folder holds no such certificate (a withdrawal stopped after its files went).
    Nothing,
}

/// Takes back the certificate `announced` (its fingerprint), made by [`make_next`] and perhaps
/// already put in place by [`use_next`], as long as the server has not presented it: its key
/// is removed, never kept, since a withdrawal is most often for a key that should not have
/// been made. After [`use_next`] the pair from before comes back one rename per file, the key
/// first, so a stop in the middle leaves a pair the next start refuses with what to do.
pub fn withdraw(dir: &Path, announced: &str) -> Result<Withdrawn, ServerError> {
    let removed = |file: &str| {
        std::fs::remove_file(dir.join(file)).or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Ok(()),
            _ => Err(ServerError::Invalid(format!("cannot remove {file} in {}: {e}", dir.display()))),
        })
    };
    if next_fingerprint(dir)?.as_deref() == Some(announced) {
        removed(NEXT_KEY)?;
        removed(NEXT_CERTIFICATE)?;
        return Ok(Withdrawn::Made);
    }
    // A switch stopped between its two renames: the new key is in place, the certificate is
    // still the old one (the new one still waits as next-certificate.der), and the copies of
    // the old pair are beside them. The old key goes back; the new pair goes.
    let next_cert = dir.join(NEXT_CERTIFICATE);
    if next_cert.exists()
        && !dir.join(NEXT_KEY).exists()
        && pin::fingerprint(&read(&next_cert)?) == announced
        && dir.join(PREVIOUS_KEY).exists()
    {
        std::fs::rename(dir.join(PREVIOUS_KEY), dir.join(KEY)).map_err(|e| {
            ServerError::Invalid(format!("cannot move {PREVIOUS_KEY} to {KEY} in {}: {e}", dir.display()))
        })?;
        removed(NEXT_CERTIFICATE)?;
        removed(PREVIOUS_CERTIFICATE)?;
        return Ok(Withdrawn::Made);
    }
    let current = dir.join(CERTIFICATE);
    if current.exists() && pin::fingerprint(&read(&current)?) == announced {
        // A withdrawal stopped between its two renames: the key from before is back in place,
        // its certificate not yet.
        if dir.join(PREVIOUS_CERTIFICATE).exists()
            && !dir.join(PREVIOUS_KEY).exists()
            && dir.join(KEY).exists()
        {
            std::fs::rename(dir.join(PREVIOUS_CERTIFICATE), &current).map_err(|e| {
                ServerError::Invalid(format!(
                    "cannot move {PREVIOUS_CERTIFICATE} to {CERTIFICATE} in {}: {e}",
                    dir.display()
                ))
            })?;
            return Ok(Withdrawn::Switched);
        }
        if !(dir.join(PREVIOUS_CERTIFICATE).exists() && dir.join(PREVIOUS_KEY).exists()) {
            return Err(ServerError::Invalid(format!(
                "certificate {announced} is in place in {} but the pair from before it (previous-certificate.der, previous-key.der) is not: restore them from the server's backup to go back, or start the server to finish the switch",
                dir.join("tls").display()
            )));
        }
        let moved = |from: &str, to: &str| {
            std::fs::rename(dir.join(from), dir.join(to)).map_err(|e| {
                ServerError::Invalid(format!("cannot move {from} to {to} in {}: {e}", dir.display()))
            })
        };
        moved(PREVIOUS_KEY, KEY)?;
        moved(PREVIOUS_CERTIFICATE, CERTIFICATE)?;
        return Ok(Withdrawn::Switched);
    }
    Ok(Withdrawn::Nothing)
}

/// The certificate this server presents, with its key.
pub struct Identity {
    /// What devices pin: SHA-256 of the certificate, as hex.
    pub fingerprint: String,
    /// The fingerprint of the certificate a switch left beside it (`use_next`), if the folder
    /// keeps one: what tells a switch made as planned from a folder made anew.
    pub previous: Option<String>,
    config: Arc<ServerConfig>,
}

impl Identity {
    /// The identity kept in `dir`, made there on the first start. Half of one (a certificate
    /// without its key, or the other way round) is refused rather than replaced: replacing it
    /// would lock out every enrolled device.
    pub fn load_or_make(dir: &Path) -> Result<Identity, ServerError> {
        let (cert_path, key_path) = (dir.join(CERTIFICATE), dir.join(KEY));
        let (cert, key) = match (cert_path.exists(), key_path.exists()) {
            (true, true) => (read(&cert_path)?, read(&key_path)?),
            // A folder that held a certificate once (a switch left its copies) is never given a
            // new one silently: every device would be locked out.
            (false, false)
                if [NEXT_CERTIFICATE, NEXT_KEY, PREVIOUS_CERTIFICATE, PREVIOUS_KEY]
                    .iter()
                    .any(|f| dir.join(f).exists()) =>
            {
                return Err(ServerError::Invalid(format!(
                    "{} holds no certificate but the copies a certificate switch leaves: move previous-certificate.der and previous-key.der back to certificate.der and key.der (or restore the folder from the server's backup)",
                    dir.join("tls").display()
                )));
            }
            (false, false) => make(&cert_path, &key_path)?,
            _ => {
                return Err(ServerError::Invalid(format!(
                    "{} holds half of the server's TLS identity (its certificate or its key is missing): restore both files from the server's backup. Removing both makes a new certificate, and every enrolled device must then enroll again",
                    dir.join("tls").display()
                )));
            }
        };
        let fingerprint = pin::fingerprint(&cert);
        let config = ServerConfig::builder_with_provider(pin::provider())
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth().with_single_cert(
                    vec![CertificateDer::from(cert)],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key)),
                )
            })
            .map_err(|e| {
                ServerError::Invalid(format!(
                    "the TLS certificate or key in {} cannot be used ({e}): restore both from the server's backup (after a stopped certificate switch, previous-certificate.der and previous-key.der are the pair from before)",
                    dir.join("tls").display()
                ))
            })?;
        let previous_path = dir.join(PREVIOUS_CERTIFICATE);
        let previous = match previous_path.exists() {
            true => Some(pin::fingerprint(&read(&previous_path)?)),
            false => None,
        };
        Ok(Identity { fingerprint, previous, config: Arc::new(config) })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|e| ServerError::Invalid(format!("cannot read {}: {e}", path.display())))
}

/// Makes a self-signed certificate and writes the key (readable by the server's user only),
/// then the certificate, each completely or not at all.
fn make(cert_path: &Path, key_path: &Path) -> Result<(Vec<u8>, Vec<u8>), ServerError> {
    // The names are for people reading the certificate; devices check the pin, not the name.
    let made =
        rcgen::generate_simple_self_signed(vec!["samanvaya-server".to_owned(), "localhost".to_owned()])
            .map_err(|e| ServerError::Invalid(format!("cannot make the server's TLS certificate: {e}")))?;
    let (cert, key) = (made.cert.der().to_vec(), made.signing_key.serialize_der());
    write_whole(key_path, &key)?;
    write_whole(cert_path, &cert)?;
    Ok((cert, key))
}

pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), ServerError> {
    let failed = |e: std::io::Error| ServerError::Invalid(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let partial = PathBuf::from(format!("{}.partial", path.display()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&partial).map_err(failed)?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(failed)?;
    std::fs::rename(&partial, path).map_err(failed)
}

/// A listener that hands axum connections once their TLS handshake is done.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<Idle<TcpStream>>, SocketAddr)>,
    addr: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp`; must be called inside the server's runtime. The bounds of
    /// `tcp` hold from before the handshake: a device that never finishes one holds its room
    /// among the open connections for the handshake's deadline at most.
    pub fn new(mut tcp: Bounded, identity: &Identity) -> std::io::Result<TlsListener> {
        let addr = axum::serve::Listener::local_addr(&tcp)?;
        let acceptor = TlsAcceptor::from(identity.config.clone());
        let (send, ready) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = tcp.next().await;
                let (acceptor, send) = (acceptor.clone(), send.clone());
                tokio::spawn(async move {
                    let shake =
                        tokio::time::timeout(Duration::from_secs(HANDSHAKE_SECS), acceptor.accept(stream));
                    // A failed or abandoned handshake is the device's problem to retry; the
                    // server has nothing to keep of it.
                    if let Ok(Ok(tls)) = shake.await {
                        let _ = send.send((tls, peer)).await;
                    }
                });
            }
        });
        Ok(TlsListener { ready, addr })
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TlsListener>>
    for crate::limits::Peer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, TlsListener>) -> crate::limits::Peer {
        crate::limits::Peer(*stream.remote_addr())
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<Idle<TcpStream>>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accept loop never ends while the runtime runs; if it has, nothing more comes.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_make(dir.path()).unwrap();
        assert_eq!(first.fingerprint.len(), 64);
        let again = Identity::load_or_make(dir.path()).unwrap();
        assert_eq!(again.fingerprint, first.fingerprint, "a restart presents the same certificate");
    }

    #[test]
    fn a_switch_presents_the_next_certificate_and_a_stop_in_it_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_make(dir.path()).unwrap();
        let next = make_next(dir.path()).unwrap();
        assert_ne!(next, first.fingerprint);
        assert_eq!(make_next(dir.path()).unwrap(), next, "made once, then given back");
        assert_eq!(use_next(dir.path()).unwrap(), next);
        assert_eq!(first.previous, None, "a folder made anew keeps no certificate from before");
        let switched = Identity::load_or_make(dir.path()).unwrap();
        assert_eq!(switched.fingerprint, next, "presented from the next start");
        assert_eq!(
            switched.previous.as_deref(),
            Some(first.fingerprint.as_str()),
            "the one before, beside it"
        );
        assert_eq!(next_fingerprint(dir.path()).unwrap(), None);
        let previous = std::fs::read(dir.path().join(PREVIOUS_CERTIFICATE)).unwrap();
        assert_eq!(pin::fingerprint(&previous), first.fingerprint, "the one before is kept");

        // A stop between the two renames of a later switch: a new key beside the old certificate.
        make_next(dir.path()).unwrap();
        std::fs::rename(dir.path().join(NEXT_KEY), dir.path().join(KEY)).unwrap();
        let err = Identity::load_or_make(dir.path()).err().expect("a key of another certificate is refused");
        assert!(err.to_string().contains("previous-certificate.der"), "{err}");
        // And a folder left with only the copies is never given a new certificate silently.
        std::fs::remove_file(dir.path().join(KEY)).unwrap();
        std::fs::remove_file(dir.path().join(CERTIFICATE)).unwrap();
        let err = Identity::load_or_make(dir.path()).err().expect("refused");
        assert!(err.to_string().contains("move previous-certificate.der"), "{err}");
        assert!(!dir.path().join(CERTIFICATE).exists());
    }

    #[test]
    fn a_withdrawn_certificate_is_removed_and_after_a_switch_the_one_before_comes_back() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_make(dir.path()).unwrap().fingerprint;
        let made = make_next(dir.path()).unwrap();
        assert_eq!(withdraw(dir.path(), &made).unwrap(), Withdrawn::Made);
        assert_eq!(next_fingerprint(dir.path()).unwrap(), None, "its key is gone");
        assert_eq!(Identity::load_or_make(dir.path()).unwrap().fingerprint, first);

        let again = make_next(dir.path()).unwrap();
        assert_ne!(again, made, "a certificate made after a withdrawal is a new one");
        use_next(dir.path()).unwrap();
        assert_eq!(withdraw(dir.path(), &again).unwrap(), Withdrawn::Switched);
        assert_eq!(
            Identity::load_or_make(dir.path()).unwrap().fingerprint,
            first,
            "the certificate from before the switch is presented again"
        );
        assert!(!dir.path().join(PREVIOUS_KEY).exists());
        assert_eq!(
            withdraw(dir.path(), &again).unwrap(),
            Withdrawn::Nothing,
            "a second withdrawal finds nothing"
        );
        let err = withdraw(dir.path(), &first).unwrap_err().to_string();
        assert!(err.contains("previous-certificate.der"), "no pair to go back to: {err}");

        // A withdrawal stopped between its two renames is finished by running it again.
        let third = make_next(dir.path()).unwrap();
        use_next(dir.path()).unwrap();
        std::fs::rename(dir.path().join(PREVIOUS_KEY), dir.path().join(KEY)).unwrap();
        assert!(Identity::load_or_make(dir.path()).is_err(), "a key beside another certificate is refused");
        assert_eq!(withdraw(dir.path(), &third).unwrap(), Withdrawn::Switched);
        assert_eq!(Identity::load_or_make(dir.path()).unwrap().fingerprint, first);

        // And a switch stopped between its own renames (the new key in place, the certificate
        // not yet) is taken back too, the old key back beside the old certificate.
        let fourth = make_next(dir.path()).unwrap();
        write_whole(&dir.path().join(PREVIOUS_KEY), &read(&dir.path().join(KEY)).unwrap()).unwrap();
        write_whole(&dir.path().join(PREVIOUS_CERTIFICATE), &read(&dir.path().join(CERTIFICATE)).unwrap())
            .unwrap();
        std::fs::rename(dir.path().join(NEXT_KEY), dir.path().join(KEY)).unwrap();
        assert!(Identity::load_or_make(dir.path()).is_err(), "the stopped switch is refused at start");
        assert_eq!(withdraw(dir.path(), &fourth).unwrap(), Withdrawn::Made);
        assert_eq!(Identity::load_or_make(dir.path()).unwrap().fingerprint, first);
        assert_eq!(next_fingerprint(dir.path()).unwrap(), None);
        assert!(!dir.path().join(NEXT_CERTIFICATE).exists());
    }

    #[test]
    fn half_an_identity_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let made = Identity::load_or_make(dir.path()).unwrap();
        std::fs::remove_file(dir.path().join(KEY)).unwrap();
        let err = Identity::load_or_make(dir.path()).err().expect("a missing key is refused");
        assert!(err.to_string().contains("restore both files"), "{err}");
        assert!(!dir.path().join(KEY).exists(), "no new key was made beside the old certificate");
        assert_eq!(pin::fingerprint(&std::fs::read(dir.path().join(CERTIFICATE)).unwrap()), made.fingerprint);
    }

    #[test]
    fn a_damaged_key_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        Identity::load_or_make(dir.path()).unwrap();
        std::fs::write(dir.path().join(KEY), b"not a key").unwrap();
        let err = Identity::load_or_make(dir.path()).err().expect("a damaged key is refused");
        assert!(err.to_string().contains("restore both from the server's backup"), "{err}");
    }
}
