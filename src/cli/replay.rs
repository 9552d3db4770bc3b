//! `steppewatch replay`: run the watchlists over stored articles.

use super::{CliError, CliResult, open_store, output};
use crate::engine::Engine;
use std::path::Path;

pub fn replay(
    path: &Path,
    since: &str,
    watchlist: Option<&str>,
    dry_run: bool,
    json: bool,
) -> CliResult {
    let engine = Engine::load(path)?;
    if let Some(w) = watchlist
        && !engine.config.watchlists.iter().any(|c| c.name == w)
    {
        return Err(CliError::Usage(format!(
            "no watchlist named {w:?} in {}",
            path.display()
        )));
    }
    let since = output::parse_since(since, chrono::Utc::now())?;
    let mut store = open_store(&engine.config)?;
    let report = crate::replay::replay(&mut store, &engine, since, watchlist, dry_run)
        .map_err(|e| CliError::Runtime(e.into()))?;
    if json {
        return output::json_lines(&report.matches);
    }
    for m in &report.matches {
        output::line(&format!(
            "{:>6}  {:<18} {}",
            m.article_id,
            m.watchlist,
            output::clip(&m.title, 80)
        ));
    }
    let verb = if dry_run { "would match" } else { "matched" };
    output::line(&format!(
        "{} article(s) scanned; {} match(es) {verb}; {} new alert(s) queued",
        report.scanned,
        report.matches.len(),
        report.alerts
    ));
    Ok(())
}
