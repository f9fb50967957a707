//! One device's link to its server. Each request is small and has its own timeout: on a link
//! that stalls, a fresh short request gets through where one long upload would hang for minutes.

use std::time::Duration;

use samanvaya_sync_protocol::body::{self, BodyError};
use samanvaya_sync_protocol::{
    DIGEST_HEADER, EnrollReply, EnrollRequest, PROTOCOL_VERSION, PullReply, PushAck, PushBatch, Refusal,
    RefusalCode, SessionReply, SessionRequest,
};
use serde::Serialize;
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
    #[error("{0}")]
    Local(String),
}

impl SyncError {
    /// Whether trying again later can succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Timeout(_) | SyncError::Unreachable(_) | SyncError::Body(_) => true,
            SyncError::Refused(r) => {
                matches!(r.code, RefusalCode::Digest | RefusalCode::Unavailable | RefusalCode::Expired)
            }
            SyncError::Local(_) => false,
        }
    }

    /// Whether the link timed out (the batch size shrinks for the next try).
    pub fn is_timeout(&self) -> bool {
        matches!(self, SyncError::Timeout(_) | SyncError::Unreachable(_))
    }
}

/// The HTTP client every link uses: no proxy from the environment, short connect timeout.
fn client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SyncError::Local(format!("the HTTP client could not start: {e}")))
}

fn base(url: &str) -> String {
    url.trim_end_matches('/').to_owned()
}

async fn refusal(resp: reqwest::Response) -> SyncError {
    let status = resp.status();
    match resp.json::<Refusal>().await {
        Ok(r) => SyncError::Refused(r),
        Err(_) => SyncError::Unreachable(format!("the server answered {status} without saying why")),
    }
}

fn sent_error(e: &reqwest::Error, secs: u64) -> SyncError {
    if e.is_timeout() { SyncError::Timeout(secs) } else { SyncError::Unreachable(e.to_string()) }
}

/// Enrolls a device with a one-time code. Plain JSON: it happens once, by hand.
pub async fn enroll(url: &str, req: &EnrollRequest) -> Result<EnrollReply, SyncError> {
    let resp = client()?
        .post(format!("{}/v1/enroll", base(url)))
        .timeout(Duration::from_secs(60))
        .json(req)
        .send()
        .await
        .map_err(|e| sent_error(&e, 60))?;
    if !resp.status().is_success() {
        return Err(refusal(resp).await);
    }
    resp.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))
}

/// An enrolled device's link, with its current session.
pub struct Link {
    http: reqwest::Client,
    base: String,
    device: Uuid,
    secret: String,
    token: Option<String>,
    /// How many numbers of each kind the device has left, said when a session starts.
    pub numbers_left: Vec<(String, i64)>,
}

impl Link {
    pub fn new(url: &str, device: Uuid, secret: &str) -> Result<Link, SyncError> {
        Ok(Link {
            http: client()?,
            base: base(url),
            device,
            secret: secret.to_owned(),
            token: None,
            numbers_left: Vec::new(),
        })
    }

    /// Starts a session: a new token, where pushes resume, and any new number leases.
    pub async fn session(&mut self, timeout: Duration) -> Result<SessionReply, SyncError> {
        let req = SessionRequest {
            protocol: PROTOCOL_VERSION,
            device: self.device,
            secret: self.secret.clone(),
            numbers_left: self.numbers_left.clone(),
        };
        let resp = self
            .http
            .post(format!("{}/v1/session", self.base))
            .timeout(timeout)
            .json(&req)
            .send()
            .await
            .map_err(|e| sent_error(&e, timeout.as_secs()))?;
        if !resp.status().is_success() {
            return Err(refusal(resp).await);
        }
        let reply: SessionReply = resp.json().await.map_err(|e| SyncError::Unreachable(e.to_string()))?;
        self.token = Some(reply.token.clone());
        Ok(reply)
    }

    async fn sealed<T: Serialize, R: DeserializeOwned>(
        &mut self,
        path: &str,
        payload: Option<&T>,
        timeout: Duration,
    ) -> Result<R, SyncError> {
        // One silent renewal: an expired token is the normal end of a session, not an error.
        for attempt in 0..2 {
            if self.token.is_none() {
                self.session(timeout).await?;
            }
            let token = self.token.clone().unwrap_or_default();
            let url = format!("{}{path}", self.base);
            let req = match payload {
                Some(p) => {
                    let (packed, digest) = body::seal(p)?;
                    self.http.post(url).header(DIGEST_HEADER, digest).body(packed)
                }
                None => self.http.get(url),
            };
            let resp = req
                .bearer_auth(token)
                .timeout(timeout)
                .send()
                .await
                .map_err(|e| sent_error(&e, timeout.as_secs()))?;
            if resp.status().is_success() {
                let digest = resp
                    .headers()
                    .get(DIGEST_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let bytes = resp.bytes().await.map_err(|e| sent_error(&e, timeout.as_secs()))?;
                return Ok(body::open(&bytes, &digest)?);
            }
            let err = refusal(resp).await;
            if attempt == 0 && matches!(&err, SyncError::Refused(r) if r.code == RefusalCode::Expired) {
                self.token = None;
                continue;
            }
            return Err(err);
        }
        Err(SyncError::Unreachable("the session could not be renewed".into()))
    }

    /// Pushes one batch; the answer comes only after the server committed it.
    pub async fn push(&mut self, batch: &PushBatch, timeout: Duration) -> Result<PushAck, SyncError> {
        self.sealed("/v1/push", Some(batch), timeout).await
    }

    /// The server's next changes for this device after `after`.
    pub async fn pull(&mut self, after: i64, timeout: Duration) -> Result<PullReply, SyncError> {
        self.sealed::<(), _>(&format!("/v1/pull?after={after}"), None, timeout).await
    }
}
