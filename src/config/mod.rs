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

/// The built-in topics of SPEC; `[topics]` may extend them or define more.
pub const TOPICS: [&str; 15] = [
    "trade",
    "energy",
    "transport",
    "agriculture",
    "water",
    "tourism",
    "security",
    "politics",
    "economy",
    "mining",
    "culture",
    "human-rights",
    "environment",
    "health",
    "technology",
];

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
    pub reload: Reload,
    /// Extra topic keywords: topic name -> terms, added to the built-in lists.
    pub topics: BTreeMap<String, Vec<String>>,
    pub feeds: Vec<FeedConfig>,
    pub watchlists: Vec<WatchlistConfig>,
    pub webhooks: Vec<WebhookConfig>,
    /// Things that are allowed but probably unintended, one `file:line: sentence` each.
    pub warnings: Vec<String>,
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
    /// Adaptive polling never polls a feed more often than this.
    pub min_interval: Duration,
    /// Adaptive polling never waits longer than this between polls of a feed.
    pub max_interval: Duration,
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
    /// Redirects followed per request before giving up.
    pub max_redirects: usize,
    /// Addresses allowed even with `allow_private = false` (an intranet feed server).
    pub allow_addrs: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone)]
pub struct Http {
    /// `None` when `listen = ""` turns the server off.
    pub listen: Option<SocketAddr>,
    pub token: Option<Secret>,
    /// Extra `Host` names accepted besides the listen address and localhost
    /// (DNS-rebinding guard when the server sits behind a proxy).
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Alerts {
    /// Delays between delivery attempts, before jitter.
    pub retry: Vec<Duration>,
    /// Age after which an undelivered alert becomes `failed`.
    pub give_up: Duration,
    /// Webhooks told when a feed starts failing or recovers.
    pub health_webhooks: Vec<String>,
    /// Alerts per watchlist per `flood_window` before further matches go into a digest;
    /// 0 turns flood control off.
    pub flood_max: usize,
    pub flood_window: Duration,
}

impl Default for Alerts {
    /// The defaults of SPEC: the Standard Webhooks example schedule (about
    /// 75 h in all), give up after 3 days, 20 messages per hour per watchlist.
    fn default() -> Alerts {
        let secs = Duration::from_secs;
        Alerts {
            retry: [5, 300, 1800, 7200, 18000, 36000, 36000, 50400, 72000, 86400]
                .into_iter()
                .map(secs)
                .collect(),
            give_up: secs(3 * 86400),
            flood_max: 20,
            flood_window: secs(3600),
            health_webhooks: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Reload {
    /// Re-read the configuration when the file changes (besides SIGHUP).
    pub watch_file: bool,
}

/// What a feed URL serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedKind {
    /// RSS, Atom or JSON Feed.
    #[default]
    Feed,
    /// An HTML page scraped with CSS selectors.
    Html,
}

/// CSS selectors for `kind = "html"`; `None` fields fall back to the scraper's guesses.
pub use crate::parser::HtmlSelectors;

/// Whether a watchlist alerts once per article or once per story (the same story
/// republished by several outlets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MatchPer {
    #[default]
    Article,
    Story,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedConfig {
    pub url: String,
    /// Display name; `None` means "use the feed's own title".
    pub name: Option<String>,
    pub interval: Option<Duration>,
    pub full_text: bool,
    /// Country the outlet publishes from (ISO alpha-2); stored as `source_country`.
    pub country: Option<String>,
    pub kind: FeedKind,
    /// Only for `kind = Html`.
    pub selectors: Option<HtmlSelectors>,
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
    pub per: MatchPer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    Json,
    Slack,
    Discord,
    Telegram,
    Ntfy,
}

impl WebhookFormat {
    /// Every format, in the order the documentation lists them.
    pub const ALL: [WebhookFormat; 5] = [
        WebhookFormat::Json,
        WebhookFormat::Slack,
        WebhookFormat::Discord,
        WebhookFormat::Telegram,
        WebhookFormat::Ntfy,
    ];

    /// The name used in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Json => "json",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Discord => "discord",
            WebhookFormat::Telegram => "telegram",
            WebhookFormat::Ntfy => "ntfy",
        }
    }

    /// The format named `name` in the configuration file.
    pub fn from_name(name: &str) -> Option<WebhookFormat> {
        WebhookFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl std::fmt::Display for WebhookFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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

impl AsRef<Config> for Config {
    /// Lets tasks that only need the configuration take any published state
    /// holding one (see `notifier::run`).
    fn as_ref(&self) -> &Config {
        self
    }
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
            problems: vec![format!(
                "{}: unable to read configuration: {e}",
                path.display()
            )],
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

    /// What `steppewatch check` prints for a valid file: where things are, what is
    /// watched and where alerts go. Never prints secret values.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        use units::{format_duration, format_size};
        let mut out = String::new();
        let _ = writeln!(out, "configuration: {} (valid)", self.path.display());
        let _ = writeln!(out, "database: {}", self.storage.path.display());
        let _ = writeln!(
            out,
            "feeds: {} (default interval {}, {} at once, max body {})",
            self.feeds.len(),
            format_duration(self.poll.interval),
            self.poll.concurrency,
            format_size(self.fetch.max_body)
        );
        let _ = writeln!(out, "watchlists: {}", self.watchlists.len());
        for list in &self.watchlists {
            let terms = list.any.len() + list.all.len() + list.none.len();
            let to = if list.webhooks.is_empty() {
                "no webhooks".to_owned()
            } else {
                list.webhooks.join(", ")
            };
            let _ = writeln!(
                out,
                "  {}: {terms} terms (any {}, all {}, none {}) -> {to}",
                list.name,
                list.any.len(),
                list.all.len(),
                list.none.len()
            );
        }
        let _ = writeln!(out, "webhooks: {}", self.webhooks.len());
        for hook in &self.webhooks {
            let signed = if hook.secret.is_some() {
                ", signed"
            } else {
                ""
            };
            let _ = writeln!(out, "  {} ({}{signed})", hook.name, hook.format);
        }
        match self.http.listen {
            Some(addr) => {
                let _ = writeln!(out, "http: {addr}");
            }
            None => out.push_str("http: off\n"),
        }
        for warning in &self.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        out
    }
}
