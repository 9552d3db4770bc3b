//! `steppewatch run [--once]`: the daemon.

use super::{CliError, CliResult};
use crate::engine::Engine;
use std::path::Path;
use tokio_util::sync::CancellationToken;

pub fn run(path: &Path, once: bool) -> CliResult {
    let engine = Engine::load(path)?;
    for warning in &engine.config.warnings {
        tracing::warn!(path = %path.display(), "{warning}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    runtime.block_on(async {
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            crate::daemon::termination().await;
            trigger.cancel();
        });
        crate::daemon::run(path, engine, once, shutdown).await
    })?;
    Ok(())
}
