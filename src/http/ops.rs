//! `/healthz` (is the scheduler alive and the database writable?) and
//! `/metrics` (Prometheus text).
//!
//! `/healthz` is public so a load balancer or systemd probe needs no token; it
//! says "ok" or which check failed, never the details. `/metrics` sits behind
//! the token like the API.

use super::{ApiError, AppState};
use crate::store::stats::Totals;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::fmt::Write as _;

/// The Prometheus text exposition format, version 0.0.4.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn health_router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

pub fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// 200 "ok" when the scheduler's heartbeat is fresh and the database accepts
/// a write (see [`crate::health`]); 503 naming which of the two failed. The
/// details (file, SQLite's error) go to the log only, since this is public.
async fn healthz(State(state): State<AppState>) -> Response {
    let (health, path) = (state.health.clone(), state.db_path.clone());
    let verdict = tokio::task::spawn_blocking(move || {
        if let Some(health) = &health {
            health
                .check_scheduler()
                .map_err(|e| ("scheduler stuck", e))?;
        }
        crate::health::check_database(&path).map_err(|e| ("database not writable", e))
    })
    .await
    .unwrap_or_else(|e| Err(("health check failed", e.to_string())));
    match verdict {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err((what, detail)) => {
            tracing::error!(error = %detail, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("unhealthy: {what}\n"),
            )
                .into_response()
        }
    }
}

/// The database totals, then the process's own counters ([`crate::metrics`]).
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let totals = state.with_store(|store| store.totals()).await?;
    let body = render_metrics(&totals) + &crate::metrics::global().render();
    Ok(([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], body).into_response())
}

/// Prometheus text for the store totals. Add a metric with one more `gauge` call.
pub fn render_metrics(totals: &Totals) -> String {
    let by_status = |rows: &[(String, u64)]| -> Vec<Sample> {
        rows.iter()
            .map(|(s, n)| (vec![("status", s.clone())], *n))
            .collect()
    };
    let mut out = Metrics::default();
    let version = vec![("version", env!("CARGO_PKG_VERSION").to_string())];
    out.gauge(
        "steppewatch_build_info",
        "Build of the running steppewatch.",
        &[(version, 1)],
    );
    out.gauge(
        "steppewatch_articles",
        "Articles stored.",
        &[(vec![], totals.articles)],
    );
    out.gauge(
        "steppewatch_alerts",
        "Alerts in the outbox by status.",
        &by_status(&totals.alerts),
    );
    out.gauge(
        "steppewatch_feeds",
        "Configured feeds by health status.",
        &by_status(&totals.feeds),
    );
    out.text
}

/// One sample: its labels and value.
type Sample = (Vec<(&'static str, String)>, u64);

/// Writes metric families in the Prometheus text format.
#[derive(Default)]
struct Metrics {
    text: String,
}

impl Metrics {
    fn gauge(&mut self, name: &str, help: &str, samples: &[Sample]) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, value) in samples {
            let labels: Vec<String> = labels
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                .collect();
            let labels = if labels.is_empty() {
                String::new()
            } else {
                format!("{{{}}}", labels.join(","))
            };
            let _ = writeln!(self.text, "{name}{labels} {value}");
        }
    }
}

/// Label values escape backslash, double quote and newline.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_text_has_help_type_and_labelled_samples() {
        let totals = Totals {
            articles: 42,
            alerts: vec![("delivered".into(), 3), ("pending".into(), 1)],
            feeds: vec![("ok".into(), 15)],
        };
        let text = render_metrics(&totals);
        assert!(
            text.contains("# TYPE steppewatch_articles gauge\nsteppewatch_articles 42\n"),
            "{text}"
        );
        assert!(
            text.contains("steppewatch_alerts{status=\"delivered\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("steppewatch_alerts{status=\"pending\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("steppewatch_feeds{status=\"ok\"} 15\n"),
            "{text}"
        );
        assert!(text.contains(&format!(
            "steppewatch_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )));
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
