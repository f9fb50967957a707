//! The block and district server as a library: the axum router, so that tests and the binary
//! build the same thing. It never links the laptop's `core`: what the two share is the wire
//! contract in `samanvaya-sync-protocol`, and the engine with its catalogue and views in
//! `samanvaya-eligibility`.
//!
//! For now it answers the health check that clients and operators use to see which protocol and
//! role a server speaks, and decides one household's eligibility (a block officer screening a
//! walk-in case, with the same decisions and explanations the laptop shows); receiving pushes,
//! storage and the web console arrive with their issues.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use samanvaya_eligibility::view::{self, HouseholdEligibility};
use samanvaya_sync_protocol::{Health, PROTOCOL_VERSION, Role};
use serde::Deserialize;

/// What the server was started as.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    pub role: Role,
}

pub fn router(config: ServerConfig) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/eligibility", post(eligibility))
        .with_state(config)
}

async fn health(State(config): State<ServerConfig>) -> Json<Health> {
    Json(Health { protocol: PROTOCOL_VERSION, role: config.role })
}

/// A request to decide one household: the evaluation day, and the household in the format of
/// docs/eligibility-facts.md.
#[derive(Debug, Deserialize)]
struct EligibilityRequest {
    as_of: NaiveDate,
    household: serde_json::Value,
}

type Refusal = (StatusCode, String);

async fn eligibility(Json(req): Json<EligibilityRequest>) -> Result<Json<HouseholdEligibility>, Refusal> {
    let cat =
        samanvaya_eligibility::embedded().map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
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
    Ok(Json(view::household(cat, &facts, req.as_of)))
}
