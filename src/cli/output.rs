//! Printers shared by the subcommands: JSON Lines, plain tables, time arguments.

use super::CliError;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::Serialize;
use std::io::Write;

/// Prints one JSON object per line.
pub fn json_lines<T: Serialize>(items: impl IntoIterator<Item = T>) -> Result<(), CliError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for item in items {
        let line = serde_json::to_string(&item).map_err(|e| CliError::Runtime(e.into()))?;
        if writeln!(out, "{line}").is_err() {
            break; // a closed pipe (`| head`) is not an error worth reporting
        }
    }
    Ok(())
}

/// Prints a line to stdout, ignoring a closed pipe.
pub fn line(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// A time for humans: `2026-10-18 09:00` in UTC, or `-`.
pub fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// RFC 3339 in UTC with a `Z`, as every JSON output writes times.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a `--since` value: a duration back from now (`30d`, `12h`), an RFC 3339
/// time, or a date (`2026-10-01`, midnight UTC).
///
/// # Errors
/// A usage error naming the value.
pub fn parse_since(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, CliError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    let back = crate::config::units::parse_duration(value).map_err(|_| {
        CliError::Usage(format!(
            "--since {value:?} is neither a duration (30d, 12h) nor a time (2026-10-01, 2026-10-01T09:00:00Z)"
        ))
    })?;
    let back = chrono::Duration::from_std(back)
        .map_err(|_| CliError::Usage(format!("--since {value:?} is too far back")))?;
    Ok(now - back)
}

/// Cuts `text` to at most `max` characters, with an ellipsis when cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    s
}
