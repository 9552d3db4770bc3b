//! `steppewatch alerts list` and `alerts retry`.

use super::{CliError, CliResult, load_config, open_store, output};
use std::path::Path;

pub fn list(path: &Path, status: Option<&str>, limit: usize, json: bool) -> CliResult {
    let config = load_config(path)?;
    let store = open_store(&config)?;
    let status = status
        .map(str::parse)
        .transpose()
        .map_err(|e: String| CliError::Usage(e))?;
    let rows = store
        .list_alerts(status, limit)
        .map_err(|e| CliError::Runtime(e.into()))?;
    if json {
        return output::json_lines(&rows);
    }
    output::line(&format!(
        "{:>6} {:<9} {:>3} {:<16} {:<16} {:<18} {}",
        "ID", "STATUS", "TRY", "CREATED", "NEXT", "WATCHLIST", "ARTICLE / ERROR"
    ));
    for a in &rows {
        output::line(&format!(
            "{:>6} {:<9} {:>3} {:<16} {:<16} {:<18} {}",
            a.id,
            a.status,
            a.attempts,
            output::when(Some(a.created)),
            output::when(a.next_attempt),
            output::clip(&format!("{} → {}", a.watchlist, a.webhook), 18),
            output::clip(a.last_error.as_deref().unwrap_or(&a.title), 70),
        ));
    }
    Ok(())
}

pub fn retry(path: &Path, id: Option<i64>, failed: bool) -> CliResult {
    let config = load_config(path)?;
    let mut store = open_store(&config)?;
    let count = match (id, failed) {
        (Some(id), _) => store.requeue(id).map_err(|e| CliError::Runtime(e.into()))?,
        (None, true) => store
            .requeue_failed()
            .map_err(|e| CliError::Runtime(e.into()))?,
        (None, false) => {
            return Err(CliError::Usage(
                "alerts retry needs an alert ID or --failed".into(),
            ));
        }
    };
    output::line(&format!("{count} alert(s) queued for delivery"));
    Ok(())
}
