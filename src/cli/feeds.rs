//! `steppewatch feeds list` and `feeds test URL`.

use super::{CliError, CliResult, load_config, open_store, output};
use crate::fetcher::{Conditional, FetchOutcome, Fetcher};
use crate::model::ParsedFeed;
use std::path::Path;

pub fn list(path: &Path, json: bool) -> CliResult {
    let config = load_config(path)?;
    let mut store = open_store(&config)?;
    let rows = store
        .sync_feeds(&config.feeds, chrono::Utc::now())
        .map_err(|e| CliError::Runtime(e.into()))?;
    if json {
        return output::json_lines(&rows);
    }
    output::line(&format!(
        "{:<28} {:<9} {:>5} {:<16} {:<16} {}",
        "FEED", "STATUS", "HTTP", "LAST POLL", "NEXT POLL", "ERROR"
    ));
    for r in &rows {
        output::line(&format!(
            "{:<28} {:<9} {:>5} {:<16} {:<16} {}",
            output::clip(&r.name, 28),
            r.status,
            r.last_http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            output::when(r.last_polled),
            output::when(r.next_poll),
            r.last_error.as_deref().unwrap_or(""),
        ));
    }
    Ok(())
}

/// Fetches one URL; a feed is parsed and shown, an HTML page is searched for feeds.
pub fn test(path: &Path, url: &str, json: bool) -> CliResult {
    // The configuration is optional here: `feeds test` is for trying URLs before adding them.
    let fetch = match load_config(path) {
        Ok(config) => config.fetch,
        Err(_) => crate::config::Config::from_toml("", path)?.fetch,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Runtime(e.into()))?;
    runtime.block_on(async {
        let fetcher = Fetcher::new(&fetch).map_err(|e| CliError::Runtime(e.into()))?;
        let (feed_url, parsed) = fetch_feed_or_discover(&fetcher, url).await?;
        show(&feed_url, &parsed, json)
    })
}

async fn fetch_parse(
    fetcher: &Fetcher,
    url: &str,
) -> Result<Result<ParsedFeed, (String, String)>, CliError> {
    let outcome = fetcher
        .fetch(url, &Conditional::default())
        .await
        .map_err(|e| CliError::Runtime(anyhow::anyhow!("{url}: {e}")))?;
    let FetchOutcome::Fetched(body) = outcome else {
        return Err(CliError::Runtime(anyhow::anyhow!(
            "{url}: unexpected 304 Not Modified"
        )));
    };
    Ok(
        match crate::parser::parse(&body.body, body.content_type.as_deref(), &body.final_url) {
            Ok(parsed) => Ok(parsed),
            Err(e) => Err((
                String::from_utf8_lossy(&body.body).into_owned(),
                format!("{e}"),
            )),
        },
    )
}

/// The URL as a feed, else the feeds its page links to, else common feed paths.
async fn fetch_feed_or_discover(
    fetcher: &Fetcher,
    url: &str,
) -> Result<(String, ParsedFeed), CliError> {
    let (page, parse_error) = match fetch_parse(fetcher, url).await? {
        Ok(parsed) => return Ok((url.to_string(), parsed)),
        Err(e) => e,
    };
    let mut candidates = crate::discover::discover_feeds(&page, url);
    if let Ok(base) = url::Url::parse(url) {
        candidates.extend(
            crate::discover::COMMON_FEED_PATHS
                .iter()
                .filter_map(|p| base.join(p).ok())
                .map(String::from),
        );
    }
    for candidate in candidates {
        if let Ok(Ok(parsed)) = fetch_parse(fetcher, &candidate).await {
            tracing::info!(page = %url, feed = %candidate, "feed discovered");
            return Ok((candidate, parsed));
        }
    }
    Err(CliError::Runtime(anyhow::anyhow!(
        "{url}: not a feed ({parse_error}) and no feed found on the page"
    )))
}

fn show(url: &str, parsed: &ParsedFeed, json: bool) -> CliResult {
    if json {
        return output::json_lines(parsed.items.iter().map(|i| {
            serde_json::json!({
                "feed": url, "identity": i.identity, "guid": i.guid, "url": i.url, "title": i.title,
                "published": i.published.map(output::rfc3339), "summary": i.summary,
            })
        }));
    }
    output::line(&format!(
        "{} — {} ({} items)",
        url,
        parsed.title.as_deref().unwrap_or("untitled"),
        parsed.items.len()
    ));
    for i in &parsed.items {
        output::line(&format!(
            "{}  {}",
            output::when(i.published),
            output::clip(&i.title, 90)
        ));
        if let Some(link) = &i.url {
            output::line(&format!("                  {link}"));
        }
    }
    Ok(())
}

/// Appends the OPML file's new feeds to the configuration file, as text, so
/// that its comments and layout stay as they were. The result is validated
/// before anything is written, and written by rename, so a failure leaves the
/// file untouched.
pub fn import(path: &Path, opml: &Path, dry_run: bool) -> CliResult {
    let config = load_config(path)?;
    let text = std::fs::read_to_string(opml).map_err(|e| {
        CliError::Runtime(anyhow::anyhow!("unable to read {}: {e}", opml.display()))
    })?;
    let found = crate::opml::parse(&text);
    if found.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: no <outline xmlUrl=...> feeds in it",
            opml.display()
        )));
    }
    let (tables, added) = crate::opml::to_toml(&found, &config.feeds);
    if dry_run || added == 0 {
        if !tables.is_empty() {
            output::line(tables.trim_start());
        }
        output::line(&format!(
            "{added} new feed(s) of {} in {}",
            found.len(),
            opml.display()
        ));
        return Ok(());
    }
    let current = std::fs::read_to_string(path).map_err(|e| {
        CliError::Runtime(anyhow::anyhow!("unable to read {}: {e}", path.display()))
    })?;
    let mut updated = current.clone();
    if !updated.ends_with('\n') {
        updated.push('\n');
    }
    updated.push_str("\n# Imported from ");
    updated.push_str(&opml.display().to_string());
    updated.push_str(&tables);
    crate::config::Config::from_toml(&updated, path)?;
    let temp = path.with_extension("toml.importing");
    std::fs::write(&temp, &updated)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| {
            CliError::Runtime(anyhow::anyhow!("unable to write {}: {e}", path.display()))
        })?;
    output::line(&format!(
        "added {added} feed(s) of {} to {}",
        found.len(),
        path.display()
    ));
    Ok(())
}

pub fn export(path: &Path) -> CliResult {
    let config = load_config(path)?;
    let _ = std::io::Write::write_all(
        &mut std::io::stdout(),
        crate::opml::export(&config.feeds).as_bytes(),
    );
    Ok(())
}
