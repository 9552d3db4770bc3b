//! Configuration: the file as written (`raw`), validated and compiled into `Config`.
//!
//! `Config` is immutable once built; the daemon holds it in an `Arc` and swaps
//! the whole thing on a good reload, so a rejected edit never half-applies.

pub mod raw;
pub mod secret;
pub mod units;
pub mod validate;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use secret::Secret;

/// Default configuration path when neither `--config` nor `STEPPEWATCH_CONFIG` is given.
pub const DEFAULT_PATH: &str = "/etc/steppewatch/steppewatch.toml";

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was read from.
    pub path: PathBuf,
    pub storage: Storage,
    pub poll: Poll,
    pub fetch: Fetch,
    pub http: Http,
    pub alerts: Alerts,
    /// Extra topic keywords: topic name -> terms, added to the built-in lists.
    pub topics: BTreeMap<String, Vec<String>>,
    pub feeds: Vec<FeedConfig>,
    pub watchlists: Vec<WatchlistConfig>,
    pub webhooks: Vec<WebhookConfig>,
}

#[derive(Debug, Clone)]
pub struct Storage {
    /// Database file. When the file does not say, `/var/lib/steppewatch/steppewatch.db`
    /// if that directory is writable, else `$XDG_STATE_HOME/steppewatch/steppewatch.db`.
    pub path: PathBuf,
    /// Articles older than this are pruned; `None` keeps everything.
    pub keep: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Poll {
    /// Default per-feed interval.
    pub interval: Duration,
    /// Feeds fetched at once.
    pub concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct Fetch {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body: u64,
    pub per_host: usize,
    /// Allow loopback/private/link-local destinations (tests, intranet feeds).
    pub allow_private: bool,
    pub user_agent: String,
}

#[derive(Debug, Clone)]
pub struct Http {
    /// `None` when `listen = ""` turns the server off.
    pub listen: Option<SocketAddr>,
    pub token: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct Alerts {
    /// Delays between delivery attempts, before jitter.
    pub retry: Vec<Duration>,
    /// Age after which an undelivered alert becomes `failed`.
    pub give_up: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub url: String,
    /// Display name; `None` means "use the feed's own title".
    pub name: Option<String>,
    pub interval: Option<Duration>,
    pub full_text: bool,
    /// Country the outlet publishes from (ISO alpha-2); stored as `source_country`.
    pub country: Option<String>,
}

impl FeedConfig {
    /// The configured name, or the URL when none was given.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.url)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct WatchlistConfig {
    pub name: String,
    pub any: Vec<String>,
    pub all: Vec<String>,
    pub none: Vec<String>,
    pub countries: Vec<String>,
    pub topics: Vec<String>,
    pub feeds: Vec<String>,
    pub webhooks: Vec<String>,
    /// Also match Latin terms in Cyrillic text and the reverse.
    pub translit: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Json,
    Slack,
    Discord,
    Telegram,
    Ntfy,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub name: String,
    pub url: String,
    pub format: WebhookFormat,
    pub secret: Option<Secret>,
    /// Telegram chat id (format = "telegram").
    pub chat_id: Option<String>,
}

/// Every problem found in a configuration file, one `file:line: sentence` each.
#[derive(Debug, thiserror::Error)]
#[error("{}", .problems.join("\n"))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Config {
    /// Reads and validates the file at `path`.
    ///
    /// # Errors
    /// Every problem found, each naming the file and line.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            problems: vec![format!("{}: unable to read configuration: {e}", path.display())],
        })?;
        Config::from_toml(&text, path)
    }

    /// Validates configuration text; `path` is used in messages and to resolve relative paths.
    ///
    /// # Errors
    /// Every problem found, each naming the file and line.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        validate::validate(text, path)
    }

    /// The interval of one feed: its own, else `[poll] interval`.
    pub fn feed_interval(&self, feed: &FeedConfig) -> Duration {
        feed.interval.unwrap_or(self.poll.interval)
    }
}
