//! The block and district server as a library: the axum router, so that tests and the binary
//! build the same thing. It never links the laptop's `core`: what the two share is the wire
//! contract in `samanvaya-sync-protocol` (and later the `domain` and `rules` crates).
//!
//! For now it answers the health check that clients and operators use to see which protocol and
//! role a server speaks; receiving pushes, storage and the web console arrive with their issues.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use samanvaya_sync_protocol::{Health, PROTOCOL_VERSION, Role};

/// What the server was started as.
#[derive(Debug, Clone, Copy)]
pub struct ServerConfig {
    pub role: Role,
}

pub fn router(config: ServerConfig) -> Router {
    Router::new().route("/v1/health", get(health)).with_state(config)
}

async fn health(State(config): State<ServerConfig>) -> Json<Health> {
    Json(Health { protocol: PROTOCOL_VERSION, role: config.role })
}
