//! The HTTP routes. Enrollment and sessions are small JSON; pushes and pulls are sealed bodies
//! (`samanvaya_sync_protocol::body`). Every refusal is JSON with a code and a sentence to act on.

use std::sync::{Arc, Mutex};

use crate::enroll::Caller;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use samanvaya_eligibility::view::{self, HouseholdEligibility};
use samanvaya_sync_protocol::{
    DIGEST_HEADER, EnrollRequest, Health, MAX_BODY_BYTES, Origin, PROTOCOL_VERSION, PushBatch, Refusal,
    RefusalCode, Role, SessionRequest, body, vouch::VouchReply,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ServerError;
use crate::feed::Asked;
use crate::limits::{self, Door};
use crate::store::Store;

/// What the server was started as, and its store.
#[derive(Clone)]
pub struct ServerConfig {
    pub role: Role,
    /// The server's identity (`Store::device`), said by `/v1/health`.
    pub server: Uuid,
    pub store: Arc<Mutex<Store>>,
    /// The fingerprint of the certificate this server presents (`code::PLAIN` without TLS):
    /// an enrollment must be bound to it.
    pub fingerprint: Arc<str>,
    /// How long a session token lives.
    pub session_minutes: i64,
    /// What one request may hold of the server.
    pub door: Door,
}

pub fn router(config: ServerConfig) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/eligibility", post(eligibility))
        .route("/v1/enroll", post(enroll))
        .route("/v1/session", post(session))
        .route("/v1/push", post(push))
        .route("/v1/give-back", post(give_back))
        .route("/v1/pull", get(pull))
        .route("/v1/catalogue", get(catalogue))
        .route("/v1/audit", post(audit))
        .route("/v1/vouch", get(vouch))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(config.door.clone(), limits::admit))
        .with_state(config)
}

/// A refusal as an HTTP answer.
struct Refused(Refusal);

impl From<ServerError> for Refused {
    fn from(e: ServerError) -> Refused {
        // Only the operator can free the disk or start PostgreSQL: say so where the operator
        // looks, every time.
        if let Some(words) = e.for_the_operator() {
            eprintln!("{words}: {e}");
        }
        Refused(e.refusal())
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let status = match self.0.code {
            RefusalCode::Protocol => StatusCode::CONFLICT,
            RefusalCode::Code
            | RefusalCode::NotEnrolled
            | RefusalCode::Revoked
            | RefusalCode::Certificate
            | RefusalCode::AuditBroken
            | RefusalCode::AuditForeign
            | RefusalCode::VillageForeign
            | RefusalCode::RestoredElsewhere => StatusCode::FORBIDDEN,
            RefusalCode::Expired => StatusCode::UNAUTHORIZED,
            RefusalCode::Digest | RefusalCode::BadBody => StatusCode::BAD_REQUEST,
            RefusalCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            RefusalCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            RefusalCode::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
        };
        (status, Json(self.0)).into_response()
    }
}

fn refused(code: RefusalCode, message: impl Into<String>) -> Refused {
    Refused(Refusal { code, message: message.into() })
}

/// Runs a store call off the async threads: SQLite blocks. The call holds its room among the
/// server's work for the store until it ends, though its device may have gone meanwhile.
async fn with_store<T: Send + 'static>(
    config: &ServerConfig,
    f: impl FnOnce(&mut Store) -> Result<T, ServerError> + Send + 'static,
) -> Result<T, Refused> {
    let store = config.store.clone();
    let Some(room) = config.door.store_work() else {
        return Err(refused(RefusalCode::Unavailable, limits::BUSY));
    };
    tokio::task::spawn_blocking(move || {
        let _room = room;
        let mut guard = crate::store::take(&store);
        f(&mut guard)
    })
    .await
    .map_err(|e| refused(RefusalCode::Unavailable, format!("the server failed on this request: {e}")))?
    .map_err(Refused::from)
}

/// The session token of a request; which device it belongs to is asked of the store.
fn token(headers: &HeaderMap) -> Result<String, Refused> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .ok_or_else(|| refused(RefusalCode::Expired, "no session token; start a session first"))
}

/// A sealed request body, checked against its digest and read.
fn opened<T: serde::de::DeserializeOwned>(headers: &HeaderMap, raw: &[u8]) -> Result<T, Refused> {
    let digest = headers.get(DIGEST_HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default();
    body::open(raw, digest).map_err(|e| match e {
        body::BodyError::Digest => refused(RefusalCode::Digest, e.to_string()),
        body::BodyError::TooLarge => refused(RefusalCode::TooLarge, e.to_string()),
        other => refused(RefusalCode::BadBody, other.to_string()),
    })
}

fn sealed<T: Serialize>(value: &T) -> Result<Response, Refused> {
    let (packed, digest) = body::seal(value)
        .map_err(|e| refused(RefusalCode::Unavailable, format!("the answer could not be packed: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/zstd"), (DIGEST_HEADER.parse().unwrap(), digest.as_str())],
        packed,
    )
        .into_response())
}

async fn health(State(config): State<ServerConfig>) -> Json<Health> {
    // Only a district names itself: its blocks ask before enrolling again. A block's id would
    // tell anyone on its network the identity to take at a district that lost it.
    let server = (config.role == Role::District).then_some(config.server);
    Json(Health { protocol: PROTOCOL_VERSION, role: config.role, server })
}

/// The district's statements about this server's certificates (`vouch.rs`), to anyone who
/// asks: a laptop that meets the block's new certificate has no session there yet, and checks
/// each statement against the district's key itself.
async fn vouch(State(config): State<ServerConfig>) -> Result<Json<VouchReply>, Refused> {
    let statements = with_store(&config, |s| s.vouched_for_self()).await?;
    Ok(Json(VouchReply { statements }))
}

async fn enroll(
    State(config): State<ServerConfig>,
    Json(req): Json<EnrollRequest>,
) -> Result<Response, Refused> {
    let fingerprint = config.fingerprint.clone();
    let reply = with_store(&config, move |s| s.enroll(&req, &fingerprint, Utc::now())).await?;
    Ok(Json(reply).into_response())
}

async fn session(
    State(config): State<ServerConfig>,
    Json(req): Json<SessionRequest>,
) -> Result<Response, Refused> {
    let minutes = config.session_minutes;
    let reply = with_store(&config, move |s| s.session(&req, minutes, Utc::now())).await?;
    Ok(Json(reply).into_response())
}

/// The device a request's token names, asked before its body is unpacked: a body is
/// decompressed and read only for a device enrolled here, not for anyone who sends a header.
async fn caller(config: &ServerConfig, headers: &HeaderMap) -> Result<Caller, Refused> {
    let token = token(headers)?;
    with_store(config, move |s| s.caller(&token, Utc::now())).await
}

async fn push(
    State(config): State<ServerConfig>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, Refused> {
    let who = caller(&config, &headers).await?;
    let batch: PushBatch = opened(&headers, &raw)?;
    let ack = with_store(&config, move |s| s.push(&who, &batch, Utc::now())).await?;
    sealed(&ack)
}

/// A laptop (or a block, to its district) gives back this server's own changes it holds, which
/// the server, restored from a backup, asked back (`given_back.rs`).
async fn give_back(
    State(config): State<ServerConfig>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, Refused> {
    let who = caller(&config, &headers).await?;
    let given: samanvaya_sync_protocol::GiveBack = opened(&headers, &raw)?;
    let device = who.device;
    let ack = with_store(&config, move |s| s.take_back(&who, &given, Utc::now())).await?;
    // The operator learns from the log that this server was restored and what came back.
    if ack.taken > 0 {
        eprintln!(
            "took back {} of this server's own changes from device {device}, which this server had lost to a restore from a backup",
            ack.taken
        );
    }
    sealed(&ack)
}

#[derive(Deserialize)]
struct PullQuery {
    after: i64,
    /// A laptop restored from an older backup asks for its own changes after this number too.
    #[serde(default)]
    own_after: Option<i64>,
    /// Up to this number (the end of the old laptop's run); none for no end.
    #[serde(default)]
    own_through: Option<i64>,
    /// The feed epoch the device read under, empty for none (`SessionRequest::feed_epoch_read`).
    #[serde(default)]
    epoch: Option<String>,
    /// The origin of the change the device's cursor stands on, as the last pull said
    /// (`PullReply::cursor_origin`).
    #[serde(default)]
    at_device: Option<uuid::Uuid>,
    #[serde(default)]
    at_seq: Option<i64>,
}

async fn pull(
    State(config): State<ServerConfig>,
    headers: HeaderMap,
    Query(q): Query<PullQuery>,
) -> Result<Response, Refused> {
    let token = token(&headers)?;
    let reply = with_store(&config, move |s| {
        let who = s.caller(&token, Utc::now())?;
        let at = q.at_device.zip(q.at_seq).map(|(device, seq)| Origin { device, seq });
        let asked = Asked {
            after: q.after,
            own_after: q.own_after,
            own_through: q.own_through,
            read_under: q.epoch.as_deref(),
            at,
        };
        s.pull_under(&who, asked)
    })
    .await?;
    sealed(&reply)
}

async fn audit(
    State(config): State<ServerConfig>,
    headers: HeaderMap,
    raw: Bytes,
) -> Result<Response, Refused> {
    let who = caller(&config, &headers).await?;
    let batch: samanvaya_sync_protocol::AuditBatch = opened(&headers, &raw)?;
    let ack = with_store(&config, move |s| s.push_audit(&who, &batch, Utc::now())).await?;
    sealed(&ack)
}

#[derive(Deserialize)]
struct PieceQuery {
    digest: String,
    offset: u64,
}

/// One piece of a catalogue bundle the session offered.
async fn catalogue(
    State(config): State<ServerConfig>,
    headers: HeaderMap,
    Query(q): Query<PieceQuery>,
) -> Result<Response, Refused> {
    let token = token(&headers)?;
    let piece = with_store(&config, move |s| {
        s.caller(&token, Utc::now())?;
        s.catalogue_piece(&q.digest, q.offset)
    })
    .await?;
    sealed(&piece)
}

/// A request to decide one household: the evaluation day, and the household in the format of
/// docs/eligibility-facts.md.
#[derive(Debug, Deserialize)]
struct EligibilityRequest {
    as_of: NaiveDate,
    household: serde_json::Value,
}

async fn eligibility(
    Json(req): Json<EligibilityRequest>,
) -> Result<Json<HouseholdEligibility>, (StatusCode, String)> {
    let cat =
        samanvaya_eligibility::embedded().map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let profile = samanvaya_eligibility::vulnerability()
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let facts = cat.read_household(&req.household).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("{} wrong fact(s); see docs/eligibility-facts.md:\n{}", list.len(), list.join("\n")),
        )
    })?;
    if facts.members.is_empty() {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "the household lists no members; add them under \"members\"".into(),
        ));
    }
    Ok(Json(view::household(cat, profile, &facts, req.as_of, view::Audience::Staff)))
}
