//! `steppewatch run [--once]`: the daemon.

use super::{CliError, CliResult};
use crate::engine::Engine;
use std::path::Path;
use tokio_util::sync::CancellationToken;

pub fn run(path: &Path, once: bool) -> CliResult {
    crate::memory::tune_malloc();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    runtime.block_on(async {
        // Signals first: a SIGTERM while the configuration and tagger load
        // (systemd stopping a starting service) then ends start-up cleanly.
        let shutdown = CancellationToken::new();
        let signalled = crate::daemon::termination();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            signalled.await;
            trigger.cancel();
        });
        let engine = Engine::load(path)?;
        for warning in &engine.config.warnings {
            tracing::warn!(path = %path.display(), "{warning}");
        }
        if shutdown.is_cancelled() {
            return Ok(());
        }
        crate::daemon::run(path, engine, once, shutdown)
            .await
            .map_err(CliError::from)
    })
}
