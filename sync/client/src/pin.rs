//! Which server certificate a device trusts. A block server makes its own certificate at first
//! start, so no authority vouches for it; instead the device pins the certificate it saw at
//! enrollment (the enrollment itself is bound to that certificate, `samanvaya_sync_protocol::code`)
//! and from then on refuses any other. Names and validity dates are not checked: the pin says
//! exactly which certificate is the server's, and a village laptop's clock can be years off.

use std::sync::{Arc, Mutex, PoisonError};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use samanvaya_sync_protocol::parcel::hex;

/// The fingerprint of a certificate: SHA-256 of its DER bytes, as hex (what
/// `openssl x509 -fingerprint -sha256` shows, without the colons).
pub fn fingerprint(der: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, der).as_ref())
}

/// The crypto every TLS connection of ours uses, client and server.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A verifier that accepts exactly the pinned certificate (or the server's announced next one),
/// or, with no pin yet (enrollment), any certificate, remembering what it saw either way.
#[derive(Debug)]
pub struct Pin {
    pinned: Option<String>,
    /// The certificate the server said it will present next (`SessionReply::next_certificate`).
    next: Option<String>,
    seen: Mutex<Option<String>>,
    provider: Arc<CryptoProvider>,
}

impl Pin {
    pub fn new(pinned: Option<&str>) -> Arc<Pin> {
        Pin::with_next(pinned, None)
    }

    /// A pin that also accepts `next`, the certificate the server announced it will switch to.
    pub fn with_next(pinned: Option<&str>, next: Option<&str>) -> Arc<Pin> {
        Arc::new(Pin {
            pinned: pinned.map(str::to_owned),
            next: next.map(str::to_owned),
            seen: Mutex::new(None),
            provider: provider(),
        })
    }

    /// The certificate pinned at enrollment.
    pub fn pinned(&self) -> Option<&str> {
        self.pinned.as_deref()
    }

    /// The announced next certificate this pin accepts.
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }

    /// The fingerprint of the last certificate a server presented.
    pub fn seen(&self) -> Option<String> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether the last certificate seen was neither the pinned one nor the announced next.
    pub fn mismatched(&self) -> bool {
        matches!((&self.pinned, self.seen()), (Some(p), Some(s)) if *p != s && self.next.as_ref() != Some(&s))
    }

    /// A TLS client configuration that trusts through this pin.
    pub fn client_config(self: &Arc<Pin>) -> Result<ClientConfig, rustls::Error> {
        Ok(ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(self.clone())
            .with_no_client_auth())
    }
}

impl ServerCertVerifier for Pin {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity.as_ref());
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(seen.clone());
        match &self.pinned {
            Some(pinned) if *pinned != seen && self.next.as_ref() != Some(&seen) => {
                Err(rustls::Error::General(format!(
                    "the server presented certificate {seen}, not the pinned {pinned}"
                )))
            }
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
