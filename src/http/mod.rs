//! The daemon's HTTP server: JSON API, Atom feeds, the web page, `/healthz`
//! and `/metrics`, behind a Host check, optional token auth and security headers.
//!
//! # Layout
//!
//! - [`api`] serves the JSON endpoints under `/api`.
//! - [`atom`] serves one Atom feed per watchlist.
//! - [`pages`] renders the page at `/` and one page per article.
//! - [`chart`] draws counts per day as inline SVG (pure).
//! - [`ops`] answers `/healthz` and `/metrics`.
//! - [`auth`] checks the bearer token or login cookie and serves `/login`.
//! - [`guard`] refuses unknown Host headers and adds the security headers.
//! - [`error`] defines `ApiError`, the one error type handlers return.
//!
//! Every store call runs in `spawn_blocking` on a connection opened for that
//! request (see [`AppState::with_store`]).

pub mod api;
pub mod atom;
pub mod auth;
pub mod chart;
pub mod error;
pub mod guard;
pub mod ops;
pub mod pages;

#[cfg(test)]
mod browser_tests;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use crate::config::Secret;
use crate::engine::Engine;
use crate::health::Health;
use crate::store::{Store, StoreError};
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;

pub use error::ApiError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database file. Each request opens its own connection: opening a
    /// SQLite file costs well under a millisecond, the page is used by a few
    /// people, and a per-request connection never pins an old WAL snapshot or
    /// holds file handles while idle, so no pool is worth its code.
    pub db_path: PathBuf,
    /// The running configuration, swapped by the daemon on a good reload;
    /// read-only here (watchlists for the page and `/api/watchlists`).
    pub engine: watch::Receiver<Arc<Engine>>,
    /// When set, every request but `/healthz`, `/login` and `/static/` must
    /// carry it (Bearer header or the login cookie).
    pub token: Option<Secret>,
    /// Extra `Host` names accepted besides the bound address and localhost
    /// (`[http] hosts`, for a reverse proxy or a LAN name).
    pub allowed_hosts: Vec<String>,
    /// The address the listener is bound to; [`serve`] sets it from the listener.
    pub listen: SocketAddr,
    /// The daemon's scheduler heartbeat for `/healthz`; `None` checks the
    /// database only (a server without a scheduler, as in tests).
    pub health: Option<Arc<Health>>,
}

impl AppState {
    /// State for a server on `listen`; [`serve`] corrects `listen` to the
    /// listener's real address (so port 0 works).
    pub fn new(
        db_path: PathBuf,
        engine: watch::Receiver<Arc<Engine>>,
        token: Option<Secret>,
        allowed_hosts: Vec<String>,
        listen: SocketAddr,
    ) -> AppState {
        AppState {
            db_path,
            engine,
            token,
            allowed_hosts,
            listen,
            health: None,
        }
    }

    /// Makes `/healthz` also fail when the scheduler's heartbeat is stale.
    pub fn with_health(mut self, health: Arc<Health>) -> AppState {
        self.health = Some(health);
        self
    }

    /// The engine in force now.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.borrow().clone()
    }

    /// Runs `f` on a fresh store connection on the blocking pool.
    ///
    /// # Errors
    /// The database cannot be opened, `f` fails, or the task panics.
    pub async fn with_store<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let path = self.db_path.clone();
        let task = tokio::task::spawn_blocking(move || {
            let store = Store::open(&path)?;
            f(&store)
        });
        task.await
            .map_err(ApiError::from_join)?
            .map_err(ApiError::Store)
    }
}

/// The whole application: one router per area, merged, with the guards.
///
/// Layers run outside-in: security headers on every response (including
/// refusals), then the Host check, then the token check on protected routes.
pub fn router(state: AppState) -> Router {
    let protected = Router::new()
        .merge(api::router())
        .merge(atom::router())
        .merge(pages::router())
        .merge(ops::metrics_router())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ));
    let public = Router::new()
        .merge(ops::health_router())
        .merge(auth::router())
        .merge(pages::static_router());
    protected
        .merge(public)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::check_host,
        ))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
///
/// # Errors
/// The listener's address cannot be read, or accepting fails fatally.
pub async fn serve(
    listener: tokio::net::TcpListener,
    mut state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    state.listen = listener.local_addr()?;
    tracing::info!(listen = %state.listen, auth = state.token.is_some(), "HTTP server listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Refuses a listen address reachable from other machines unless a token is set.
///
/// Loopback addresses (127.0.0.0/8, `::1`, and `::ffff:127.x.y.z`) need no token.
///
/// # Errors
/// A sentence for the operator: the address is not loopback and no (or an empty) token is configured.
pub fn check_bind(listen: SocketAddr, token: Option<&Secret>) -> Result<(), String> {
    if listen.ip().to_canonical().is_loopback() {
        return Ok(());
    }
    match token {
        Some(t) if !t.expose().trim().is_empty() => Ok(()),
        Some(_) => Err(format!(
            "[http] listen = \"{listen}\" is reachable from other machines but [http] token is empty; set a long random token"
        )),
        None => Err(format!(
            "[http] listen = \"{listen}\" is reachable from other machines; set [http] token (for example token = \"env:STEPPEWATCH_HTTP_TOKEN\") or listen on 127.0.0.1"
        )),
    }
}
