//! One device's link to its server. Each request is small and has its own timeout: on a link
//! that stalls, a fresh short request gets through where one long upload would hang for minutes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use samanvaya_sync_protocol::body::{self, BodyError, Sealed};
use samanvaya_sync_protocol::{
    Applicant, DIGEST_HEADER, EnrollReply, EnrollRequest, GiveBack, GiveBackAck, Health, Origin, OwnAsked,
    PROTOCOL_VERSION, PullReply, PushAck, PushBatch, Refusal, RefusalCode, Restore, SessionReply,
    SessionRequest, code, parcel,
    vouch::{self, VouchReply},
};
use serde::Serialize;

use crate::pin::Pin;
use crate::run::Numbers;
use serde::de::DeserializeOwned;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server refused, with its sentence.
    #[error("{}", .0.message)]
    Refused(Refusal),
    #[error("the server did not answer within {0} seconds")]
    Timeout(u64),
    #[error("the server cannot be reached: {0}")]
    Unreachable(String),
    #[error("the server's answer was damaged or unreadable: {0}")]
    Body(#[from] BodyError),
    /// The server presented another certificate than the one pinned at enrollment.
    #[error(
        "the server presented another certificate ({seen}) than the one this device enrolled with: someone may be intercepting the connection, or the server was reinstalled. Nothing was sent; call the server's operator before syncing again"
    )]
    Certificate { seen: String },
    /// The server's address cannot be used as written.
    #[error("{0}")]
    Address(String),
    #[error("{0}")]
    Local(String),
    /// A district's catalogue bundle that arrived damaged or that this end does not install.
    #[error("{0}")]
    Catalogue(String),
    /// The server asked names itself another than the one this device enrolled with.
    #[error("{0}")]
    OtherServer(String),
}

impl SyncError {
    /// Whether trying again later can succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Timeout(_) | SyncError::Unreachable(_) | SyncError::Body(_) => true,
            SyncError::Refused(r) => {
                // A full disk at the server is freed by its operator, not by this device: the
                // changes wait here and go at a later sync.
                matches!(
                    r.code,
                    RefusalCode::Digest
                        | RefusalCode::Unavailable
                        | RefusalCode::DiskFull
                        | RefusalCode::Expired
                )
            }
            SyncError::Local(_)
            | SyncError::Catalogue(_)
            | SyncError::Certificate { .. }
            | SyncError::Address(_)
            | SyncError::OtherServer(_) => false,
        }
    }

    /// Whether the request went unanswered for its whole timeout (the batch shrinks and the
    /// wait grows for the next try). A connection cut or refused is not: it says nothing about
    /// the size the link can carry.
    pub fn is_timeout(&self) -> bool {
        matches!(self, SyncError::Timeout(_))
    }
}

/// The HTTP client every link uses: TLS through `pin`, no proxy from the environment, short
/// connect timeout.
fn client(pin: &Arc<Pin>) -> Result<reqwest::Client, SyncError> {
    let tls = pin.client_config().map_err(|e| SyncError::Local(format!("TLS could not start: {e}")))?;
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .no_proxy()
        // No request of the protocol is answered elsewhere: a redirect is a server's mistake,
        // or someone on the way sending the device where it did not ask to go.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SyncError::Local(format!("the HTTP client could not start: {e}")))
}

/// A server's address without its trailing slash, and whether it speaks TLS. Plain HTTP is for
/// a server on this same computer only (tests, or a proxy beside it): anywhere else it would
/// carry the village's data readable by anyone on the way.
pub fn server_url(url: &str) -> Result<(String, bool), SyncError> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| {
        SyncError::Address(format!("{url:?} is not a server address ({e}); write it as https://HOST:PORT"))
    })?;
    let base = url.trim().trim_end_matches('/').to_owned();
    match parsed.scheme() {
        "https" => Ok((base, true)),
        "http" if is_loopback(&parsed) => Ok((base, false)),
        "http" => Err(SyncError::Address(format!(
            "{url} is plain http: the village's data would travel unencrypted; write the address with https://"
        ))),
        other => Err(SyncError::Address(format!(
            "{other}:// is not a server address; write it as https://HOST:PORT"
        ))),
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => {
            host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// Runs the request `start` makes, and when it has not answered in half its wait, the same
/// request again beside it, and a third time at three quarters, each given what is left of the
/// wait: the first answer wins (a refusal too), and a request that got no answer waits for the
/// others' (the last failure is said; no further sending starts once every one sent failed).
///
/// On 2G under loss a request's connection can stall: no byte moves, and only the timeout ends
/// it, after three times the time the exchange should take (`plan::Pace`), then a retry, and a
/// timeout doubles the next wait and halves the next batch. A fresh connection usually gets
/// through where the stalled one hangs, as short requests do; sent at half the timeout, the
/// second request cut the day's slowest runs, whose time went to stalls in a row
/// (docs/benchmarks.md, "Hedged requests"). The third is for the stall that takes both: the
/// slowest day left lost three waits to a request whose two connections stalled together
/// ("A third sending"). A request that is merely slow gets more sendings beside it too, which
/// costs bytes on a link that is busy already; half the timeout is one and a half times what
/// the exchange should take, so that is rare.
/// Says too how many sendings went beside the first, and how long after the first the sending
/// that gave the answer began (zero for the first).
pub(crate) async fn hedged<F, Fut, T>(start: F, timeout: Duration) -> (Result<T, SyncError>, u32, Duration)
where
    F: Fn(Duration) -> Fut,
    Fut: std::future::Future<Output = Result<T, SyncError>>,
{
    // A refusal is the server's answer, as final as a success (an expired token renewed, a full
    // disk or a revoked device said); only a request that got no answer waits for the others'.
    let answered = |a: &Result<T, SyncError>| {
        !matches!(a, Err(SyncError::Timeout(_) | SyncError::Unreachable(_) | SyncError::Body(_)))
    };
    let begun = tokio::time::Instant::now();
    let mut later = [timeout / 2, timeout * 3 / 4].into_iter().peekable();
    let mut running = vec![(Duration::ZERO, Box::pin(start(timeout)))];
    let mut beside = 0;
    loop {
        let next = later.peek().copied();
        let wake = tokio::time::sleep_until(begun + next.unwrap_or(timeout));
        let (at, answer) = tokio::select! {
            done = first_of(&mut running) => done,
            () = wake, if next.is_some() => {
                let at = later.next().unwrap_or(timeout);
                running.push((at, Box::pin(start(timeout - at))));
                beside += 1;
                continue;
            }
        };
        // Alone, its answer is the answer, a failure too.
        if beside == 0 || answered(&answer) || running.is_empty() {
            return (answer, beside, at);
        }
    }
}

/// The first of `running` to finish, taken out of it, with when it was sent.
fn first_of<'a, T, Fut: std::future::Future<Output = T> + 'a>(
    running: &'a mut Vec<(Duration, std::pin::Pin<Box<Fut>>)>,
) -> impl std::future::Future<Output = (Duration, T)> + 'a {
    std::future::poll_fn(move |cx| {
        for i in 0..running.len() {
            if let std::task::Poll::Ready(out) = running[i].1.as_mut().poll(cx) {
                let (at, _) = running.remove(i);
                return std::task::Poll::Ready((at, out));
            }
        }
        std::task::Poll::Pending
    })
}

/// `&at_device=…&at_seq=…` for a pull's query: the origin of the change the cursor stands on.
fn at_param(at: Option<Origin>) -> String {
    at.map_or_else(String::new, |o| format!("&at_device={}&at_seq={}", o.device, o.seq))
}

async fn refusal(resp: reqwest::Response) -> SyncError {
    let status = resp.status();
    match resp.json::<Refusal>().await {
        Ok(r) => SyncError::Refused(r),
        Err(_) => SyncError::Unreachable(format!("the server answered {status} without saying why")),
    }
}

fn sent_error(e: &reqwest::Error, pin: &Pin, secs: u64) -> SyncError {
    if pin.mismatched() {
        return SyncError::Certificate { seen: pin.seen().unwrap_or_default() };
    }
    if e.is_timeout() { SyncError::Timeout(secs) } else { SyncError::Unreachable(e.to_string()) }
}

/// What enrolling gave: the server's answer, and the fingerprint of its certificate to pin
/// (none for a plain-HTTP server on this computer).
#[derive(Debug)]
pub struct Enrolled {
    pub reply: EnrollReply,
    pub pin: Option<String>,
}

/// Enrolls a device with a one-time code. Over TLS the device first looks at the server's
/// certificate, then enrolls on a connection pinned to it with the code bound to it, so that
/// the certificate it keeps is the one the server that knows the code presents.
///
/// `seed` is the device's own ([`drawn_seed`]), never sent: every sending carries the secret
/// made of it for the certificate the device sees (`code::device_secret`). The server answers
/// a used code again to the device that used it until that device has shown its secret, and
/// with one secret in each sending, whichever it took last gives the answer the device keeps.
/// A laptop keeps its seed until its first session, so that a second run after a failed one
/// sends the same (a late copy of the first run's request gives the same answer), while what a
/// machine in the middle saw is of no use at the real server.
pub async fn enroll(url: &str, code: &str, applicant: Applicant, seed: &str) -> Result<Enrolled, SyncError> {
    enroll_with(url, code, applicant, seed, None).await
}

/// A seed for a device to enroll with: 32 bytes from the system, as hex.
pub fn drawn_seed() -> Result<String, SyncError> {
    let mut drawn = [0u8; 32];
    getrandom::fill(&mut drawn)
        .map_err(|e| SyncError::Local(format!("no randomness from the system: {e}")))?;
    Ok(parcel::hex(&drawn))
}

/// The district's statements about the certificates of the server at `url`
/// (`samanvaya_sync_protocol::vouch`), with the certificate it presented while answering: asked
/// of a server that presented another certificate than the pinned one, so the connection
/// trusts any, and sends nothing of the device. What is read is checked by the caller against
/// the district's key, and against the certificate this answer came with. Reading stops past the
/// largest answer a block gives, and an answer other than success is not read at all: anyone in
/// the middle could send without end.
pub async fn vouched(url: &str) -> Result<(Vec<String>, Option<String>), SyncError> {
    const SECS: u64 = 30;
    let (base, _) = server_url(url)?;
    let look = Pin::new(None);
    let mut resp = client(&look)?
        .get(format!("{base}/v1/vouch"))
        .timeout(Duration::from_secs(SECS))
        .send()
        .await
        .map_err(|e| sent_error(&e, &look, SECS))?;
    // A block of a version before the statements answers that it has no such request: it has
    // none to give.
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok((Vec::new(), look.seen()));
    }
    // Any other answer is not read: it came over a connection that trusts any certificate.
    if !resp.status().is_success() {
        return Err(SyncError::Unreachable(format!(
            "{base} answered {} where a block gives its district's statements",
            resp.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(piece) = resp.chunk().await.map_err(|e| sent_error(&e, &look, SECS))? {
        body.extend_from_slice(&piece);
        if body.len() > vouch::MAX_REPLY_BYTES {
            return Err(SyncError::Unreachable(format!(
                "{base} sent more than any district's statements about its certificate; nothing of it was used"
            )));
        }
    }
    let reply: VouchReply =
        serde_json::from_slice(&body).map_err(|e| SyncError::Unreachable(e.to_string()))?;
    let mut statements = reply.statements;
    statements.truncate(vouch::MAX_STATEMENTS);
    Ok((statements, look.seen()))
}

/// As [`enroll`], for a device enrolled before with server `known`, which must not name itself
/// otherwise in its health answer (a district names itself there; a block does not, and a
/// laptop's caller compares the id in the reply, under its proof), and present one of the
/// certificates `accepted` where some are given:
/// a block enrolling again with its district gives the pinned one, or a new one its operator
/// read out, since its code may sit in its start command for months and someone on the way may
/// have learnt it. A laptop enrolling again with a code its facilitator just typed gives none:
/// the code's binding and the reply's proof show the server whatever its certificate. A server
/// refused so is not sent the code, so that it learns nothing and registers nothing.
pub async fn enroll_again(
    url: &str,
    code: &str,
    applicant: Applicant,
    known: Uuid,
    accepted: Option<&[&str]>,
    seed: &str,
) -> Result<Enrolled, SyncError> {
    enroll_with(url, code, applicant, seed, Some((known, accepted))).await
}

async fn enroll_with(
    url: &str,
    code: &str,
    applicant: Applicant,
    seed: &str,
    again: Option<(Uuid, Option<&[&str]>)>,
) -> Result<Enrolled, SyncError> {
    const SECS: u64 = 60;
    let (base, tls) = server_url(url)?;
    let seen = if tls || again.is_some() {
        let look = Pin::new(None);
        let resp = client(&look)?
            .get(format!("{base}/v1/health"))
            .timeout(Duration::from_secs(SECS))
            .send()
            .await
            .map_err(|e| sent_error(&e, &look, SECS))?;
        if !resp.status().is_success() {
            return Err(SyncError::Unreachable(format!(
                "{base} answered {} where a Samanvaya server answers; check the address",
                resp.status()
            )));
        }
        let seen = look.seen();
        if let Some((_, Some(accepted))) = again
            && tls
            && !seen.as_deref().is_some_and(|s| accepted.contains(&s))
        {
            return Err(SyncError::Certificate { seen: seen.unwrap_or_default() });
        }
        // Read only to enroll again: a first enrollment took any answer of success here, and
        // a proxy's own page would now refuse it.
        if let Some((known, _)) = again {
            let health: Health = resp.json().await.map_err(|e| {
                SyncError::Unreachable(format!(
                    "{base} did not answer as a Samanvaya server answers ({e}); check the address"
                ))
            })?;
            if let Some(found) = health.server
                && known != found
            {
                return Err(SyncError::OtherServer(format!(
                    "the server at {base} is another server ({found}) than the one this device enrolled with ({known}); nothing was sent to it"
                )));
            }
        }
        seen
    } else {
        None
    };
    let pin = Pin::new(seen.as_deref());
    let fingerprint = seen.as_deref().unwrap_or(code::PLAIN);
    let mut req = EnrollRequest::new(code, fingerprint, applicant);
    req.secret = Some(code::device_secret(seed, fingerprint));
    let http = client(&pin)?;
    let send = |wait: Duration| {
        let (http, req, pin, base) = (&http, &req, &pin, &base);
        async move {
            let resp = http
                .post(format!("{base}/v1/enroll"))
                .timeout(wait)
                .json(req)
                .send()
                .await
                .map_err(|e| sent_error(&e, pin, wait.as_secs()))?;
            if !resp.status().is_success() {
                return Err(refusal(resp).await);
            }
            resp.json::<EnrollReply>().await.map_err(|e| SyncError::Unreachable(e.to_string()))
        }
    };
    // An enrollment over 2G goes as a sync's requests go (sent again beside a stalled one),
    // and is tried again twice after a failure trying again can mend (the link dropped, the
    // answer damaged, the server busy): the answer of a code that reached the server is not
    // lost with the connection, and a facilitator is not sent back to the block office for a
    // new code.
    let mut tries = 1u32;
    let reply = loop {
        let (answer, _, _) = hedged(send, Duration::from_secs(SECS)).await;
        match answer {
            Err(e) if e.is_transient() && tries < ENROLL_TRIES => {
                tokio::time::sleep(Duration::from_secs(2 * u64::from(tries))).await;
                tries += 1;
            }
            answer => break answer?,
        }
    };
    let reply = proven(code, fingerprint, reply)?;
    Ok(Enrolled { reply, pin: seen })
}

/// How many times an enrollment is sent before its failure is said.
const ENROLL_TRIES: u32 = 3;

/// The enrollment `reply`, where it proves the server holds `code` and answered over the
/// certificate whose fingerprint the device saw; refused otherwise. A reply from anyone else
/// is not taken, and nothing of it (the certificate to pin, the secret) is kept. Public so that
/// an enrollment carried in the process (the simulation) checks the reply as this link does.
pub fn proven(code: &str, fingerprint: &str, reply: EnrollReply) -> Result<EnrollReply, SyncError> {
    if code::proves(code, fingerprint, &reply.server.to_string(), &reply.secret, &reply.proof) {
        return Ok(reply);
    }
    Err(SyncError::Refused(Refusal {
        code: RefusalCode::Certificate,
        message: "the server that answered does not hold this enrollment code: something between this device and the server may be intercepting the connection. Nothing was kept; do not enroll over this network, and call the server's operator".to_owned(),
    }))
}

/// An answer read off the link, with the bytes it took on the wire: the sync's pace learns the
/// link's speed from them.
#[derive(Debug)]
pub struct Received<T> {
    pub value: T,
    pub wire_bytes: usize,
}

impl<T: Serialize> Received<T> {
    /// `value` as if it had come sealed, for a server in the same process (the simulation),
    /// which has no wire to count.
    pub fn sealed_as_on_the_wire(value: T) -> Received<T> {
        let wire_bytes = body::seal(&value).map_or(0, |(packed, _)| packed.len());
        Received { value, wire_bytes }
    }
}

/// An enrolled device's link, with its current session.
pub struct Link {
    http: reqwest::Client,
    pin: Arc<Pin>,
    base: String,
    device: Uuid,
    secret: String,
    token: Option<String>,
    /// The numbers the device holds, said when a session starts.
    pub numbers: Numbers,
    /// A recovery code for the block to keep, sent with the session (`with_recovery_code`).
    recovery_code: Option<String>,
    /// How far the laptop knows its changes are held, sent with the session (`with_acked_here`).
    acked_here: Option<i64>,
    /// The highest of the server's own changes the device holds (`with_server_own_through`).
    server_own_through: Option<i64>,
    /// The feed epoch the device read under (`with_feed_epoch_read`).
    feed_epoch_read: Option<String>,
    /// The restores of the laptop's store it descends from (`with_restores`).
    restores: Vec<Restore>,
    /// Where the old laptop's run ends, on a laptop restored from a backup (`with_run_end`).
    run_end: Option<i64>,
    /// The certificates a block has presented to its laptops (`with_certificates`).
    certificates: Vec<String>,
    /// The sendings made beside requests not answered in half their wait ([`hedged`]).
    sent_again: u32,
    /// How long after the first sending the sending that answered the last request began, in
    /// nanoseconds: zero unless a later one answered ([`Link::late_answer`]).
    late: Arc<AtomicU64>,
}

impl Link {
    /// The link to the server at `url`, trusting only the certificate `pin` (from enrollment).
    pub fn new(url: &str, pin: Option<&str>, device: Uuid, secret: &str) -> Result<Link, SyncError> {
        let (base, tls) = server_url(url)?;
        if tls && pin.is_none() {
            return Err(SyncError::Address(format!(
                "no certificate of {base} was kept at enrollment; enroll this device again"
            )));
        }
        let pin = Pin::new(pin);
        Ok(Link {
            http: client(&pin)?,
            pin,
            base,
            device,
            secret: secret.to_owned(),
            token: None,
            numbers: Numbers::default(),
            recovery_code: None,
            acked_here: None,
            server_own_through: None,
            feed_epoch_read: None,
            restores: Vec::new(),
            run_end: None,
            certificates: Vec::new(),
            sent_again: 0,
            late: Arc::new(AtomicU64::new(0)),
        })
    }

    /// How many sendings this link has made beside requests not answered in half their wait
    /// (a second, and a third at three quarters), since it was made.
    pub fn sent_again(&self) -> u32 {
        self.sent_again
    }

    /// Where the link says how long after the first sending the sending that answered its last
    /// request began (zero unless a later one answered), read and cleared by the sync's pace, so
    /// that the link's round trip and rate are learnt from the sending that answered: timed
    /// from the first, an answer to the second made the link look half a wait slower than it
    /// was, and every later wait longer.
    pub fn late_answer(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.late)
    }

    /// The same link, giving the block `code` to keep at the session (a laptop's second
    /// recovery code; the session's answer says whether it keeps it).
    pub fn with_recovery_code(mut self, code: Option<String>) -> Link {
        self.recovery_code = code;
        self
    }

    /// The same link, saying at each session and pull the feed epoch the device read the feed
    /// under (empty for none), so that a server restored from a backup makes no new epoch for a
    /// restore it found already; an epoch learnt during the sync replaces it
    /// ([`Link::read_under`]).
    pub fn with_feed_epoch_read(mut self, epoch: Option<String>) -> Link {
        self.feed_epoch_read = epoch;
        self
    }

    /// The same link, saying at each session the restores of the laptop's store from its
    /// backups that it descends from, so that the block refuses a copy from before them.
    pub fn with_restores(mut self, restores: Vec<Restore>) -> Link {
        self.restores = restores;
        self
    }

    /// The same link, saying at each session where the old laptop's run ends on a laptop
    /// restored from a backup (`SessionRequest::run_end`).
    pub fn with_run_end(mut self, run_end: Option<i64>) -> Link {
        self.run_end = run_end;
        self
    }

    /// The same link, saying at each session the certificates this server has presented to its
    /// own devices, oldest first (a block to its district, `SessionRequest::certificates`).
    pub fn with_certificates(mut self, certificates: Vec<String>) -> Link {
        self.certificates = certificates;
        self
    }

    /// The device reads the feed under `epoch` from now on (`Remote::read_under`); a link that
    /// says no epoch (built without [`Link::with_feed_epoch_read`]) goes on saying none.
    pub fn read_under(&mut self, epoch: &str) {
        if self.feed_epoch_read.is_some() {
            self.feed_epoch_read = Some(epoch.to_owned());
        }
    }

    /// The same link, saying at each session the highest number among the server's own changes
    /// the laptop holds, so that a server restored from a backup numbers its next ones after it.
    pub fn with_server_own_through(mut self, through: Option<i64>) -> Link {
        self.server_own_through = through;
        self
    }

    /// The same link, saying at each session how far the laptop knows its changes are held,
    /// so that the session says back the readings capped since (`SessionReply::capped`).
    pub fn with_acked_here(mut self, acked: i64) -> Link {
        self.acked_here = Some(acked);
        self
    }

    /// The same link, also trusting `next`, the certificate the server announced it will switch
    /// to (kept from an earlier session), and saying so at each session.
    pub fn with_next_certificate(mut self, next: Option<&str>) -> Result<Link, SyncError> {
        if next.is_some() {
            self.pin = Pin::with_next(self.pin.pinned(), next);
            self.http = client(&self.pin)?;
        }
        Ok(self)
    }

    /// The fingerprint of the certificate the server presented on this link, if it was asked
    /// over TLS: once it is the announced next one, the device pins that instead.
    pub fn presented(&self) -> Option<String> {
        self.pin.seen()
    }

    /// Starts a session: a new token, where pushes resume, and any new number leases. One not
    /// answered in half its time is sent again beside it ([`hedged`]): the first session of a
    /// sync is its first request on the link, and a stall there cost the 2G day's slowest run
    /// 30 seconds (a wait of 10 and the doubled one of 20) before anything was pushed. Sent
    /// more than once, a session gives a token each time, of which those not taken expire
    /// unused, and grants no lease twice (`SessionRequest::leases_through`); the rest of it
    /// reads or sets what the other copies read or set alike.
    pub async fn session(&mut self, timeout: Duration) -> Result<SessionReply, SyncError> {
        let req = self.session_request();
        let this = &*self;
        let (answer, again, late) = hedged(|wait| this.session_once(&req, wait), timeout).await;
        self.hedged_as(again, late);
        let reply = answer?;
        self.answered(&reply);
        Ok(reply)
    }

    /// What a session asks, from what the device said it holds.
    fn session_request(&self) -> SessionRequest {
        SessionRequest {
            protocol: PROTOCOL_VERSION,
            device: self.device,
            secret: self.secret.clone(),
            numbers_left: self.numbers.left.clone(),
            leases_through: self.numbers.through.clone(),
            next_certificate: self.pin.next().map(str::to_owned),
            recovery_code: self.recovery_code.clone(),
            acked_here: self.acked_here,
            server_own_through: self.server_own_through,
            feed_epoch_read: self.feed_epoch_read.clone(),
            restores: self.restores.clone(),
            run_end: self.run_end,
            certificates: self.certificates.clone(),
        }
    }

    /// Takes a session's answer: its token for the requests that follow. The numbers were asked
    /// and answered (the caller grants the leases), so a silent renewal later in the sync asks
    /// for none: asked again with what the device held before, the server granted another
    /// range (the one it re-sends for a lost answer is only the one granted when it held as much
    /// of the device's work as now, and a push since moved that), and the renewal's answer,
    /// which nothing reads, skipped it.
    fn answered(&mut self, reply: &SessionReply) {
        self.token = Some(reply.token.clone());
        self.numbers = Numbers::default();
    }

    /// Notes how a request went ([`hedged`]): how many sendings went beside the first, and how
    /// long after the first sending the one that answered began.
    fn hedged_as(&mut self, beside: u32, late: Duration) {
        self.sent_again += beside;
        self.late.store(u64::try_from(late.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// One request of [`Link::session`].
    async fn session_once(&self, req: &SessionRequest, timeout: Duration) -> Result<SessionReply, SyncError> {
        let resp = self
            .http
            .post(format!("{}/v1/session", self.base))
            .timeout(timeout)
            .json(req)
            .send()
            .await
            .map_err(|e| sent_error(&e, &self.pin, timeout.as_secs()))?;
        if !resp.status().is_success() {
            return Err(refusal(resp).await);
        }
        resp.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))
    }

    /// Sends `payload` (sealed already) to `path`, or asks it with no body, and reads the sealed
    /// answer with the bytes it took on the wire. Every request sent this way can be sent again
    /// (the server dedupes a push and an audit batch, and a pull or a piece reads the same), so
    /// one not answered in half its time is sent again beside it ([`hedged`]).
    async fn sealed<T, R: DeserializeOwned>(
        &mut self,
        path: &str,
        payload: Option<&Sealed<'_, T>>,
        timeout: Duration,
    ) -> Result<Received<R>, SyncError> {
        // One silent renewal: an expired token is the normal end of a session, not an error.
        for attempt in 0..2 {
            if self.token.is_none() {
                self.session(timeout).await?;
            }
            let token = self.token.clone().unwrap_or_default();
            let this = &*self;
            let (answer, again, late) = hedged(|wait| this.once(path, payload, &token, wait), timeout).await;
            self.hedged_as(again, late);
            match answer {
                Err(SyncError::Refused(r)) if attempt == 0 && r.code == RefusalCode::Expired => {
                    self.token = None;
                }
                answer => return answer,
            }
        }
        Err(SyncError::Unreachable("the session could not be renewed".into()))
    }

    /// One request of [`Link::sealed`], on a connection of its own when another is busy.
    async fn once<T, R: DeserializeOwned>(
        &self,
        path: &str,
        payload: Option<&Sealed<'_, T>>,
        token: &str,
        timeout: Duration,
    ) -> Result<Received<R>, SyncError> {
        let url = format!("{}{path}", self.base);
        let req = match payload {
            Some(p) => self.http.post(url).header(DIGEST_HEADER, p.digest()).body(p.packed().to_vec()),
            None => self.http.get(url),
        };
        let resp = req
            .bearer_auth(token)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| sent_error(&e, &self.pin, timeout.as_secs()))?;
        if !resp.status().is_success() {
            return Err(refusal(resp).await);
        }
        let digest =
            resp.headers().get(DIGEST_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let bytes = resp.bytes().await.map_err(|e| sent_error(&e, &self.pin, timeout.as_secs()))?;
        Ok(Received { value: body::open(&bytes, &digest)?, wire_bytes: bytes.len() })
    }

    /// Pushes one batch; the answer comes only after the server committed it.
    pub async fn push(
        &mut self,
        batch: &Sealed<'_, PushBatch>,
        timeout: Duration,
    ) -> Result<PushAck, SyncError> {
        Ok(self.sealed("/v1/push", Some(batch), timeout).await?.value)
    }

    /// Gives back the server's own changes this device holds, which the server asked back.
    pub async fn give_back(
        &mut self,
        given: &Sealed<'_, GiveBack>,
        timeout: Duration,
    ) -> Result<GiveBackAck, SyncError> {
        Ok(self.sealed("/v1/give-back", Some(given), timeout).await?.value)
    }

    /// The server's next changes for this device after `after`, whose change there has the
    /// origin `at` as the server said (`PullReply::cursor_origin`).
    pub async fn pull(
        &mut self,
        after: i64,
        at: Option<Origin>,
        timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        let said = format!("{}{}", self.epoch_param(), at_param(at));
        self.sealed::<(), _>(&format!("/v1/pull?after={after}{said}"), None, timeout).await
    }

    /// `&epoch=…` for a pull's query, where the device says one. An epoch is a server's id
    /// (letters, digits and hyphens); anything else from a server is not said back.
    fn epoch_param(&self) -> String {
        match &self.feed_epoch_read {
            Some(e) if e.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => format!("&epoch={e}"),
            _ => String::new(),
        }
    }

    /// The feed with this device's own changes `own` too (`Remote::pull_own_after`).
    pub async fn pull_own_after(
        &mut self,
        after: i64,
        own: OwnAsked,
        at: Option<Origin>,
        timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        let through = own.through.map(|t| format!("&own_through={t}")).unwrap_or_default();
        let said = format!("{through}{}{}", self.epoch_param(), at_param(at));
        self.sealed::<(), _>(&format!("/v1/pull?after={after}&own_after={}{said}", own.after), None, timeout)
            .await
    }

    pub async fn push_audit(
        &mut self,
        batch: &Sealed<'_, samanvaya_sync_protocol::AuditBatch>,
        timeout: Duration,
    ) -> Result<samanvaya_sync_protocol::AuditAck, SyncError> {
        Ok(self.sealed("/v1/audit", Some(batch), timeout).await?.value)
    }

    /// One piece of the catalogue bundle `digest` (hex, so safe in a query string).
    pub async fn catalogue_piece(
        &mut self,
        digest: &str,
        offset: u64,
        timeout: Duration,
    ) -> Result<Received<samanvaya_sync_protocol::bundle::CataloguePiece>, SyncError> {
        if !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SyncError::Local(format!("{digest:?} is not a bundle's digest")));
        }
        self.sealed::<(), _>(&format!("/v1/catalogue?digest={digest}&offset={offset}"), None, timeout).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// The epoch a pull says is the one the device reads under now: an epoch learnt during the
    /// sync replaces the one it began under, an epoch that is not a server's id is not said,
    /// and a link that says none goes on saying none.
    #[test]
    fn a_pull_says_the_epoch_learnt_during_the_sync() {
        let link = || Link::new("http://127.0.0.1:9", None, Uuid::nil(), "secret").unwrap();
        let mut saying = link().with_feed_epoch_read(Some(String::new()));
        assert_eq!(saying.epoch_param(), "&epoch=");
        saying.read_under("01a240a3-f899-71f8-90d4-876aba1226cc");
        assert_eq!(saying.epoch_param(), "&epoch=01a240a3-f899-71f8-90d4-876aba1226cc");
        saying.read_under("x&after=0");
        assert_eq!(saying.epoch_param(), "");
        let mut silent = link();
        silent.read_under("01a240a3-f899-71f8-90d4-876aba1226cc");
        assert_eq!(silent.epoch_param(), "");
    }

    /// What a request of the test gets: an answer, its connection cut, or the server's refusal.
    #[derive(Clone, Copy)]
    enum Got {
        Answer(u32),
        Cut,
        Refused,
    }

    /// A request that never answers (a stalled connection), or gets `got` after `after` ms;
    /// `sent` counts the requests made.
    async fn request(sent: &AtomicU32, plan: &[Option<(u64, Got)>]) -> Result<u32, SyncError> {
        let n = sent.fetch_add(1, Ordering::SeqCst) as usize;
        let Some((after, got)) = plan.get(n).copied().flatten() else { return std::future::pending().await };
        tokio::time::sleep(Duration::from_millis(after)).await;
        match got {
            Got::Answer(v) => Ok(v),
            Got::Cut => Err(SyncError::Unreachable(format!("request {n} was cut"))),
            Got::Refused => Err(SyncError::Refused(Refusal {
                code: RefusalCode::Expired,
                message: format!("request {n}: the session expired"),
            })),
        }
    }

    /// Sendings past the plan stall. The wait is long enough that the times the cases turn on
    /// lie 60 ms or more apart, for a test machine busy with other tests.
    #[tokio::test]
    async fn a_request_not_answered_in_time_goes_again_beside_it_and_the_first_answer_wins() {
        use Got::{Answer, Cut, Refused};
        let timeout = Duration::from_millis(600);
        let run = |plan: Vec<Option<(u64, Got)>>| async move {
            let sent = AtomicU32::new(0);
            let (answer, beside, late) = hedged(|_| request(&sent, &plan), timeout).await;
            let sent = sent.load(Ordering::SeqCst);
            assert_eq!(beside + 1, sent);
            assert!([Duration::ZERO, timeout / 2, timeout * 3 / 4].contains(&late));
            (answer.map_err(|e| e.to_string()), sent, late.as_millis())
        };
        let cut = |n: u32| Err(format!("the server cannot be reached: request {n} was cut"));
        // Answered in time: sent once.
        assert_eq!(run(vec![Some((0, Answer(1)))]).await, (Ok(1), 1, 0));
        // Cut in time: the failure, sent once.
        assert_eq!(run(vec![Some((0, Cut))]).await, (cut(0), 1, 0));
        // Stalled: the second request's answer, which began half the wait after the first.
        assert_eq!(run(vec![None, Some((0, Answer(2)))]).await, (Ok(2), 2, 300));
        // Both stalled: the third's, which began at three quarters of the wait.
        assert_eq!(run(vec![None, None, Some((60, Answer(3)))]).await, (Ok(3), 3, 450));
        // Slow but answering first: its answer, the others left.
        assert_eq!(run(vec![Some((375, Answer(1)))]).await, (Ok(1), 2, 0));
        assert_eq!(run(vec![Some((525, Answer(1)))]).await, (Ok(1), 3, 0));
        // The first cut after the second was sent: the second's answer is waited for.
        assert_eq!(run(vec![Some((540, Cut)), Some((60, Answer(2)))]).await, (Ok(2), 2, 300));
        // The second cut: the first's answer is waited for, the third sent meanwhile.
        assert_eq!(run(vec![Some((540, Answer(1))), Some((0, Cut))]).await, (Ok(1), 3, 0));
        // Both cut before the third was due: the later failure, and no third.
        assert_eq!(run(vec![Some((375, Cut)), Some((0, Cut))]).await, (cut(0), 2, 0));
        // All three cut: the last failure.
        assert_eq!(run(vec![Some((540, Cut)), Some((0, Cut)), Some((15, Cut))]).await, (cut(0), 3, 0));
        // The first slow, the second refused: the refusal is the server's answer, said at once
        // (an expired session is then renewed), not hidden behind the first.
        let refused = run(vec![Some((6_000, Answer(1))), Some((0, Refused))]).await;
        assert_eq!(refused, (Err("request 1: the session expired".to_owned()), 2, 300));
    }

    /// A session answered asks for its numbers once: the renewal of an expired session later in
    /// the same sync asks for none, so no range is granted that nothing receives.
    #[test]
    fn a_renewed_session_asks_for_no_numbers_the_first_was_answered_for() {
        let mut link = Link::new("http://127.0.0.1:9", None, Uuid::nil(), "secret").unwrap();
        link.numbers =
            Numbers { left: vec![("household".into(), 3)], through: vec![("household".into(), 40)] };
        let first = link.session_request();
        assert_eq!(first.numbers_left, vec![("household".to_owned(), 3)]);
        let reply: SessionReply = serde_json::from_value(serde_json::json!({
            "protocol": PROTOCOL_VERSION, "token": "t", "expires_at": "2026-12-01T06:00:00Z",
            "leases": [{"kind": "household", "first": 41, "last": 540}], "acked_through": 0,
        }))
        .unwrap();
        link.answered(&reply);
        let renewal = link.session_request();
        assert!(renewal.numbers_left.is_empty() && renewal.leases_through.is_empty(), "{renewal:?}");
        assert_eq!(link.token.as_deref(), Some("t"));
    }

    /// A server on this computer that answers one request, whatever it asks, with `body` as
    /// JSON: someone in the middle answering an enrollment itself.
    fn answering_once(body: String) -> String {
        answering_once_as("200 OK", "", body)
    }

    /// As [`answering_once`], with the status line `status` and the header lines `headers`.
    fn answering_once_as(status: &str, headers: &str, body: String) -> String {
        use std::io::{Read, Write};
        let (status, headers) = (status.to_owned(), headers.to_owned());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            // The request's head, then as much of its body as the head says.
            loop {
                let n = conn.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got).to_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    if got.len() >= end + 4 + length {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            // A client that stops reading (an answer past its limit) hangs up before the end.
            let _ = conn.write_all(reply.as_bytes());
        });
        url
    }

    /// The district's statements are read from the block as it serves them, none from a block of
    /// a version before them (it has no such request); an answer past the largest a block gives,
    /// another answer than success, and a redirect elsewhere are refused, each read no further.
    #[tokio::test]
    async fn statements_are_read_up_to_their_largest_and_no_other_answer_is_taken() {
        let served = answering_once(r#"{"statements":["SAMANVAYA-VOUCH 1"]}"#.to_owned());
        assert_eq!(vouched(&served).await.unwrap(), (vec!["SAMANVAYA-VOUCH 1".to_owned()], None));
        let older = answering_once_as("404 Not Found", "", String::new());
        assert_eq!(vouched(&older).await.unwrap(), (vec![], None));
        let endless = format!(r#"{{"statements":["{}"]}}"#, "a".repeat(vouch::MAX_REPLY_BYTES));
        let refused = vouched(&answering_once(endless)).await.unwrap_err().to_string();
        assert!(refused.contains("more than any district's statements"), "{refused}");
        let broken = answering_once_as("500 Internal Server Error", "", "x".repeat(1 << 16));
        let refused = vouched(&broken).await.unwrap_err().to_string();
        assert!(refused.contains("answered 500"), "{refused}");
        let elsewhere = answering_once(r#"{"statements":["from elsewhere"]}"#.to_owned());
        let moved =
            answering_once_as("302 Found", &format!("location: {elsewhere}/v1/vouch\r\n"), String::new());
        let refused = vouched(&moved).await.unwrap_err().to_string();
        assert!(refused.contains("answered 302"), "a redirect is not followed: {refused}");
    }

    /// A reply to an enrollment is taken only with the server's proof that it holds the code:
    /// one made without the code (an impostor's) is refused and nothing of it is given back;
    /// the same reply with the proof the server makes is taken.
    #[tokio::test]
    async fn an_enrollment_reply_without_the_servers_proof_of_the_code_is_refused() {
        let code = "ABCD-EFGH-JKMN";
        let server = "01935f2a-7c00-7000-8000-000000000001";
        let secret = "c3".repeat(32);
        let reply = |proof: String| {
            serde_json::json!({
                "protocol": PROTOCOL_VERSION, "server": server, "role": "block",
                "secret": secret, "proof": proof, "leases": [],
            })
            .to_string()
        };
        let applicant = || Applicant {
            device: Uuid::nil(),
            kind: samanvaya_sync_protocol::DeviceKind::Laptop,
            name: "laptop".into(),
            villages: vec![],
        };
        let guessed = code::reply_proof(&code::key("ABCD-EFGH-JKMP"), code::PLAIN, server, &secret);
        let refused = enroll(&answering_once(reply(guessed)), code, applicant(), &secret).await.unwrap_err();
        assert!(
            matches!(&refused, SyncError::Refused(r) if r.code == RefusalCode::Certificate)
                && refused.to_string().contains("does not hold this enrollment code"),
            "{refused}"
        );
        let proved = code::reply_proof(&code::key(code), code::PLAIN, server, &secret);
        let taken = enroll(&answering_once(reply(proved)), code, applicant(), &secret).await.unwrap();
        assert_eq!(taken.reply.secret, secret);
    }

    #[test]
    fn plain_http_is_only_for_a_server_on_this_computer() {
        assert_eq!(server_url("https://10.0.0.7:8740/").unwrap(), ("https://10.0.0.7:8740".to_owned(), true));
        for here in ["http://127.0.0.1:8740", "http://localhost:8740", "http://[::1]:8740"] {
            assert!(!server_url(here).unwrap().1, "{here}");
        }
        for refused in
            ["http://10.0.0.7:8740", "http://block.example:8740", "ftp://10.0.0.7", "10.0.0.7:8740"]
        {
            assert!(matches!(server_url(refused), Err(SyncError::Address(_))), "{refused}");
        }
    }

    #[test]
    fn a_tls_link_needs_the_certificate_kept_at_enrollment() {
        let err = Link::new("https://10.0.0.7:8740", None, Uuid::nil(), "secret").err().expect("refused");
        assert!(err.to_string().contains("enroll this device again"), "{err}");
    }
}
