//! RawConfig -> Config, collecting every problem as `file:line: sentence`.
//!
//! Nothing stops at the first problem: each section is checked with defaults filled in
//! where a value was bad, so one `steppewatch check` shows everything to fix.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;

use super::raw::{
    RawAlerts, RawConfig, RawFeed, RawFetch, RawHttp, RawPoll, RawSelectors, RawWatchlist,
    RawWebhook, Str,
};
use super::units::{parse_duration, parse_size};
use super::{
    Alerts, Config, ConfigError, FeedConfig, FeedKind, Fetch, HtmlSelectors, Http, MatchPer, Poll,
    Reload, Secret, Storage, TOPICS, WatchlistConfig, WebhookConfig, WebhookFormat,
};

/// The shortest interval accepted anywhere; lower would hammer servers and the database.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// Intervals below this are allowed (tests poll fast) but earn a warning: real feeds
/// rarely change that often and small publishers notice.
const WARN_INTERVAL: Duration = Duration::from_secs(60);
/// The system-wide state directory used when it exists and we may write there
/// (systemd `StateDirectory=steppewatch`).
const SYSTEM_STATE_DIR: &str = "/var/lib/steppewatch";
const DB_FILE: &str = "steppewatch.db";
const DEFAULT_LISTEN: &str = "127.0.0.1:8620";
/// The Standard Webhooks example schedule, about 75 hours in all.
const DEFAULT_RETRY: [&str; 10] = [
    "5s", "5m", "30m", "2h", "5h", "10h", "10h", "14h", "20h", "24h",
];

/// Validates configuration text against the process environment.
///
/// # Errors
/// Every problem found, each `{path}:{line}: {sentence}`.
pub fn validate(text: &str, path: &Path) -> Result<Config, ConfigError> {
    validate_with(text, path, &|name| std::env::var(name).ok())
}

/// [`validate`] with the environment (secrets, `XDG_STATE_HOME`, `HOME`,
/// `CREDENTIALS_DIRECTORY`) supplied by the caller.
///
/// # Errors
/// Every problem found, each `{path}:{line}: {sentence}`.
pub fn validate_with(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let (raw, raw_problems) = RawConfig::parse(text);
    let mut checker = Checker {
        text,
        path,
        env,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    for problem in raw_problems {
        checker.push_error(problem.span, problem.message);
    }
    let config = checker.config(raw);
    if checker.problems.is_empty() {
        Ok(Config {
            warnings: checker.finish(checker.warnings.clone()),
            ..config
        })
    } else {
        Err(ConfigError {
            problems: checker.finish(checker.problems.clone()),
        })
    }
}

/// Where the database goes when `[storage] path` is not given: the system state
/// directory when it is writable (running as the service), else the user's state
/// directory, so a plain user on a fresh clone can run the daemon.
pub fn default_storage_path(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    let system = Path::new(SYSTEM_STATE_DIR);
    if is_writable_dir(system) {
        return system.join(DB_FILE);
    }
    let absolute = |dir: String| Some(PathBuf::from(dir)).filter(|p| p.is_absolute());
    let state_home = env("XDG_STATE_HOME").and_then(absolute).or_else(|| {
        env("HOME")
            .and_then(absolute)
            .map(|home| home.join(".local/state"))
    });
    match state_home {
        Some(dir) => dir.join("steppewatch").join(DB_FILE),
        None => PathBuf::from(DB_FILE),
    }
}

/// True if a file can be created in `dir`. Permission bits alone cannot answer this
/// (owner, groups, ACLs, read-only mounts), so try it.
fn is_writable_dir(dir: &Path) -> bool {
    if !dir.is_dir() {
        return false;
    }
    let probe = dir.join(format!(".steppewatch-probe-{}", std::process::id()));
    let created = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .is_ok();
    if created {
        let _ = std::fs::remove_file(&probe);
    }
    created
}

struct Checker<'a> {
    text: &'a str,
    path: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
    /// (byte offset, sentence); sorted into file order at the end.
    problems: Vec<(usize, String)>,
    warnings: Vec<(usize, String)>,
}

impl Checker<'_> {
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push((span.start, message.into()));
    }

    fn push_error(&mut self, span: Option<Range<usize>>, message: String) {
        self.problems.push((span.map_or(0, |s| s.start), message));
    }

    fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.warnings.push((span.start, message.into()));
    }

    /// Sorts by position and renders `file:line: sentence`.
    fn finish(&self, mut items: Vec<(usize, String)>) -> Vec<String> {
        items.sort_by_key(|(offset, _)| *offset);
        items
            .into_iter()
            .map(|(offset, message)| self.located(offset, &message))
            .collect()
    }

    fn located(&self, offset: usize, message: &str) -> String {
        let end = offset.min(self.text.len());
        let line = self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{}:{line}: {message}", self.path.display())
    }

    fn base_dir(&self) -> PathBuf {
        match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let storage = self.storage(raw.storage);
        let poll = self.poll(raw.poll);
        let fetch = self.fetch(raw.fetch);
        let http = self.http(raw.http);
        let alerts = self.alerts(raw.alerts);
        let topics = self.topics(raw.topics);
        let feeds = self.feeds(raw.feeds);
        let webhooks = self.webhooks(raw.webhooks, &fetch);
        let watchlists = self.watchlists(raw.watchlists, &feeds, &webhooks, &topics);
        self.check_health_webhooks(&alerts, &webhooks);
        let alerts = Alerts {
            health_webhooks: alerts
                .health_webhooks
                .into_iter()
                .map(|s| s.into_inner())
                .collect(),
            ..alerts.alerts
        };
        let reload = Reload {
            watch_file: raw.reload.watch_file.unwrap_or(true),
        };
        let topics = topics
            .into_iter()
            .map(|(k, v)| (k.into_inner(), v))
            .collect();
        Config {
            path: self.path.to_path_buf(),
            storage,
            poll,
            fetch,
            http,
            alerts,
            reload,
            topics,
            feeds,
            watchlists,
            webhooks,
            warnings: Vec::new(),
        }
    }

    // ---- values ----

    /// A duration, or `default` when absent or bad (bad ones are reported).
    fn duration(&mut self, key: &str, value: Option<&Str>, default: Duration) -> Duration {
        let Some(value) = value else { return default };
        match parse_duration(value.get_ref()) {
            Ok(d) => d,
            Err(e) => {
                self.error(value.span(), format!("{key}: {e}"));
                default
            }
        }
    }

    /// A polling interval: at least [`MIN_INTERVAL`], a warning below [`WARN_INTERVAL`].
    fn interval(&mut self, key: &str, value: Option<&Str>, default: Duration) -> Duration {
        let parsed = self.duration(key, value, default);
        if let Some(value) = value {
            if parsed < MIN_INTERVAL {
                self.error(
                    value.span(),
                    format!("{key} must be at least 1s, not `{}`", value.get_ref()),
                );
                return default;
            }
            if parsed < WARN_INTERVAL {
                self.warn(
                    value.span(),
                    format!(
                        "{key} of `{}` is below 1m; feeds will be polled very often",
                        value.get_ref()
                    ),
                );
            }
        }
        parsed
    }

    /// A duration that must not be zero.
    fn positive_duration(&mut self, key: &str, value: Option<&Str>, default: Duration) -> Duration {
        let parsed = self.duration(key, value, default);
        match value {
            Some(value) if parsed.is_zero() => {
                self.error(value.span(), format!("{key} must be longer than zero"));
                default
            }
            _ => parsed,
        }
    }

    /// An integer count of at least `min`.
    fn count(
        &mut self,
        key: &str,
        value: Option<&Spanned<i64>>,
        min: i64,
        default: usize,
    ) -> usize {
        let Some(value) = value else { return default };
        match usize::try_from(*value.get_ref()) {
            Ok(n) if *value.get_ref() >= min => n,
            _ => {
                self.error(
                    value.span(),
                    format!("{key} must be at least {min}, not {}", value.get_ref()),
                );
                default
            }
        }
    }

    fn secret(&mut self, key: &str, value: Option<&Str>) -> Option<Secret> {
        let value = value?;
        match Secret::resolve_with(value.get_ref(), &self.base_dir(), self.env) {
            Ok(secret) => Some(secret),
            Err(e) => {
                self.error(value.span(), format!("{key}: {e}"));
                None
            }
        }
    }

    /// An absolute http or https URL, normalised by the `url` crate.
    fn http_url(&mut self, key: &str, value: &Str) -> Option<String> {
        match url::Url::parse(value.get_ref()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url.to_string())
            }
            Ok(url) => {
                self.error(
                    value.span(),
                    format!(
                        "{key} `{}` must use http or https, not {}",
                        value.get_ref(),
                        url.scheme()
                    ),
                );
                None
            }
            Err(e) => {
                self.error(
                    value.span(),
                    format!("{key} `{}` is not an absolute URL ({e})", value.get_ref()),
                );
                None
            }
        }
    }

    fn country(&mut self, value: &Str) -> Option<String> {
        let code = value.get_ref();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            return Some(code.clone());
        }
        self.error(
            value.span(),
            format!("country `{code}` must be a two-letter ISO code in capitals, such as \"KZ\""),
        );
        None
    }

    /// A watch or topic term: not empty and not only `*`.
    fn terms(&mut self, key: &str, values: Vec<Str>) -> Vec<String> {
        let mut terms = Vec::with_capacity(values.len());
        for value in values {
            if value
                .get_ref()
                .trim()
                .trim_end_matches('*')
                .trim()
                .is_empty()
            {
                self.error(
                    value.span(),
                    format!(
                        "{key}: the term `{}` would match everything; give at least one letter",
                        value.get_ref()
                    ),
                );
            } else {
                terms.push(value.into_inner());
            }
        }
        terms
    }

    fn nonempty_name(&mut self, what: &str, name: &Str) -> bool {
        if name.get_ref().trim().is_empty() {
            self.error(name.span(), format!("{what} name must not be empty"));
            return false;
        }
        true
    }

    /// Reports a name seen before; `seen` maps names to nothing but presence.
    fn unique(&mut self, what: &str, seen: &mut HashSet<String>, name: &Str) {
        if !seen.insert(name.get_ref().clone()) {
            self.error(
                name.span(),
                format!("there are two {what}s named `{}`", name.get_ref()),
            );
        }
    }

    // ---- sections ----

    fn storage(&mut self, raw: super::raw::RawStorage) -> Storage {
        let path = match &raw.path {
            Some(p) if p.get_ref().trim().is_empty() => {
                self.error(
                    p.span(),
                    "storage path must not be empty; leave it out for the default",
                );
                default_storage_path(self.env)
            }
            Some(p) => self.base_dir().join(p.get_ref()),
            None => default_storage_path(self.env),
        };
        let keep = raw
            .keep
            .as_ref()
            .and_then(|k| self.strict_duration("keep", k).map(|d| (k, d)));
        if let Some((k, d)) = keep
            && d.is_zero()
        {
            self.error(
                k.span(),
                "keep must be longer than zero; leave it out to keep everything",
            );
        }
        Storage {
            path,
            keep: keep.map(|(_, d)| d).filter(|d| !d.is_zero()),
        }
    }

    fn poll(&mut self, raw: RawPoll) -> Poll {
        let interval = self.interval(
            "interval",
            raw.interval.as_ref(),
            Duration::from_secs(15 * 60),
        );
        let concurrency = self.count("concurrency", raw.concurrency.as_ref(), 1, 16);
        let min_interval = self.interval(
            "min_interval",
            raw.min_interval.as_ref(),
            Duration::from_secs(5 * 60),
        );
        let max_interval = self.interval(
            "max_interval",
            raw.max_interval.as_ref(),
            Duration::from_secs(6 * 3600),
        );
        if min_interval > max_interval {
            let span = raw
                .min_interval
                .as_ref()
                .or(raw.max_interval.as_ref())
                .map_or(0..0, |s| s.span());
            self.error(span, "min_interval must not be longer than max_interval");
        }
        Poll {
            interval,
            concurrency,
            min_interval,
            max_interval,
        }
    }

    fn fetch(&mut self, raw: RawFetch) -> Fetch {
        let timeout =
            self.positive_duration("timeout", raw.timeout.as_ref(), Duration::from_secs(30));
        let connect_timeout = self.positive_duration(
            "connect_timeout",
            raw.connect_timeout.as_ref(),
            Duration::from_secs(10),
        );
        let max_body = match &raw.max_body {
            None => 10 << 20,
            Some(value) => match parse_size(value.get_ref()) {
                Ok(0) => {
                    self.error(value.span(), "max_body must be larger than zero");
                    10 << 20
                }
                Ok(n) => n,
                Err(e) => {
                    self.error(value.span(), format!("max_body: {e}"));
                    10 << 20
                }
            },
        };
        let per_host = self.count("per_host", raw.per_host.as_ref(), 1, 2);
        let max_redirects = self.count("max_redirects", raw.max_redirects.as_ref(), 0, 5);
        let user_agent = match raw.user_agent {
            Some(ua) if ua.get_ref().trim().is_empty() => {
                self.error(
                    ua.span(),
                    "user_agent must not be empty; leave it out for the default",
                );
                default_user_agent()
            }
            Some(ua) => ua.into_inner(),
            None => default_user_agent(),
        };
        let allow_private = raw.allow_private.unwrap_or(false);
        let mut allow_addrs = Vec::new();
        for addr in &raw.allow_addrs {
            match addr.get_ref().parse::<std::net::IpAddr>() {
                Ok(ip) => allow_addrs.push(ip),
                Err(_) => self.error(
                    addr.span(),
                    format!("allow_addrs: {:?} is not an IP address", addr.get_ref()),
                ),
            }
        }
        Fetch {
            allow_addrs,
            timeout,
            connect_timeout,
            max_body,
            per_host,
            allow_private,
            user_agent,
            max_redirects,
        }
    }

    fn http(&mut self, raw: RawHttp) -> Http {
        let listen = match &raw.listen {
            Some(value) if value.get_ref().is_empty() => None,
            Some(value) => match value.get_ref().parse::<SocketAddr>() {
                Ok(addr) => Some(addr),
                Err(_) => {
                    self.error(value.span(), format!("listen `{}` is not an address and port such as \"127.0.0.1:8620\" (\"\" turns the server off)", value.get_ref()));
                    None
                }
            },
            None => DEFAULT_LISTEN.parse().ok(),
        };
        let token = self.secret("token", raw.token.as_ref());
        let hosts = raw.hosts.into_iter().map(|h| h.into_inner()).collect();
        Http {
            listen,
            token,
            hosts,
        }
    }

    fn alerts(&mut self, raw: RawAlerts) -> AlertsDraft {
        let retry = match &raw.retry {
            Some(values) => values
                .iter()
                .filter_map(|v| self.strict_duration("retry", v))
                .collect(),
            None => DEFAULT_RETRY
                .iter()
                .filter_map(|d| parse_duration(d).ok())
                .collect(),
        };
        let give_up = self.positive_duration(
            "give_up",
            raw.give_up.as_ref(),
            Duration::from_secs(3 * 86_400),
        );
        let flood_max = self.count("flood_max", raw.flood_max.as_ref(), 0, 20);
        let flood_window = self.positive_duration(
            "flood_window",
            raw.flood_window.as_ref(),
            Duration::from_secs(3600),
        );
        let alerts = Alerts {
            retry,
            give_up,
            health_webhooks: Vec::new(),
            flood_max,
            flood_window,
        };
        AlertsDraft {
            alerts,
            health_webhooks: raw.health_webhooks,
        }
    }

    fn strict_duration(&mut self, key: &str, value: &Str) -> Option<Duration> {
        match parse_duration(value.get_ref()) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(value.span(), format!("{key}: {e}"));
                None
            }
        }
    }

    fn check_health_webhooks(&mut self, draft: &AlertsDraft, webhooks: &[WebhookConfig]) {
        for name in &draft.health_webhooks {
            if !webhooks.iter().any(|w| w.name == *name.get_ref()) {
                self.error(
                    name.span(),
                    format!(
                        "health_webhooks names `{}`, but no [[webhook]] has that name",
                        name.get_ref()
                    ),
                );
            }
        }
    }

    fn topics(&mut self, raw: BTreeMap<Str, Vec<Str>>) -> BTreeMap<Str, Vec<String>> {
        let mut topics = BTreeMap::new();
        for (name, terms) in raw {
            let valid = !name.get_ref().is_empty()
                && name
                    .get_ref()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                self.error(
                    name.span(),
                    format!(
                        "topic name `{}` must be lowercase letters, digits and hyphens",
                        name.get_ref()
                    ),
                );
            }
            let terms = self.terms(&format!("topics.{}", name.get_ref()), terms);
            topics.insert(name, terms);
        }
        topics
    }

    fn feeds(&mut self, raw: Vec<Spanned<RawFeed>>) -> Vec<FeedConfig> {
        let mut urls: HashMap<String, usize> = HashMap::new();
        let mut names = HashSet::new();
        let mut feeds = Vec::with_capacity(raw.len());
        for feed in raw {
            let feed = feed.into_inner();
            let url_span = feed.url.span();
            let Some(url) = self.http_url("feed url", &feed.url) else {
                continue;
            };
            if urls.insert(url.clone(), url_span.start).is_some() {
                self.error(url_span, format!("feed url `{url}` is listed twice"));
            }
            if let Some(name) = &feed.name
                && self.nonempty_name("feed", name)
            {
                self.unique("feed", &mut names, name);
            }
            feeds.push(self.feed(feed, url));
        }
        feeds
    }

    fn feed(&mut self, feed: RawFeed, url: String) -> FeedConfig {
        let interval = feed
            .interval
            .as_ref()
            .map(|i| self.interval("interval", Some(i), Duration::from_secs(15 * 60)));
        let country = feed.country.as_ref().and_then(|c| self.country(c));
        let kind = match &feed.kind {
            None => FeedKind::Feed,
            Some(k) if k.get_ref() == "feed" => FeedKind::Feed,
            Some(k) if k.get_ref() == "html" => FeedKind::Html,
            Some(k) => {
                self.error(
                    k.span(),
                    format!("kind `{}` must be \"feed\" or \"html\"", k.get_ref()),
                );
                FeedKind::Feed
            }
        };
        let selectors = feed.selectors.map(|s| {
            if kind != FeedKind::Html {
                self.error(
                    s.span(),
                    "selectors only apply to feeds with kind = \"html\"",
                );
            }
            self.selectors(s.into_inner())
        });
        FeedConfig {
            url,
            name: feed.name.map(Spanned::into_inner),
            interval,
            full_text: feed.full_text.unwrap_or(false),
            country,
            kind,
            selectors,
        }
    }

    fn selectors(&mut self, raw: RawSelectors) -> HtmlSelectors {
        let mut one = |key: &str, value: Option<Str>| {
            let value = value?;
            if let Err(e) = scraper::Selector::parse(value.get_ref()) {
                self.error(
                    value.span(),
                    format!(
                        "selectors.{key} `{}` is not a CSS selector ({e})",
                        value.get_ref()
                    ),
                );
            }
            Some(value.into_inner())
        };
        HtmlSelectors {
            item: one("item", raw.item),
            link: one("link", raw.link),
            title: one("title", raw.title),
            date: one("date", raw.date),
            summary: one("summary", raw.summary),
        }
    }

    fn webhooks(&mut self, raw: Vec<Spanned<RawWebhook>>, fetch: &Fetch) -> Vec<WebhookConfig> {
        let mut names = HashSet::new();
        let mut webhooks = Vec::with_capacity(raw.len());
        for hook in raw {
            let span = hook.span();
            let hook = hook.into_inner();
            if self.nonempty_name("webhook", &hook.name) {
                self.unique("webhook", &mut names, &hook.name);
            }
            let url = self.http_url("webhook url", &hook.url);
            // IP literals never reach the fetcher's guarded resolver, so a
            // webhook on one is judged here, once, where the line can be named.
            if let Some(ip) = url.as_deref().and_then(literal_ip)
                && !fetch.allow_private
                && !crate::fetcher::is_public_ip(ip)
                && !fetch.allow_addrs.contains(&ip)
            {
                self.error(
                    hook.url.span(),
                    format!(
                        "webhook url `{}` points at a private address; set [fetch] allow_private = true to allow it",
                        hook.url.get_ref()
                    ),
                );
            }
            let format = match &hook.format {
                None => WebhookFormat::Json,
                Some(f) => WebhookFormat::from_name(f.get_ref()).unwrap_or_else(|| {
                    self.error(
                        f.span(),
                        format!(
                            "format `{}` must be one of json, slack, discord, telegram, ntfy",
                            f.get_ref()
                        ),
                    );
                    WebhookFormat::Json
                }),
            };
            let chat_id = hook.chat_id.map(|c| c.into_inner().into_string());
            if format == WebhookFormat::Telegram && chat_id.is_none() {
                self.error(
                    span,
                    format!(
                        "webhook `{}` has format telegram and needs a chat_id",
                        hook.name.get_ref()
                    ),
                );
            }
            let secret = self.secret("secret", hook.secret.as_ref());
            if let Some(url) = url {
                webhooks.push(WebhookConfig {
                    name: hook.name.into_inner(),
                    url,
                    format,
                    secret,
                    chat_id,
                });
            }
        }
        webhooks
    }

    fn watchlists(
        &mut self,
        raw: Vec<Spanned<RawWatchlist>>,
        feeds: &[FeedConfig],
        webhooks: &[WebhookConfig],
        topics: &BTreeMap<Str, Vec<String>>,
    ) -> Vec<WatchlistConfig> {
        let mut names = HashSet::new();
        let mut lists = Vec::with_capacity(raw.len());
        for list in raw {
            let list = list.into_inner();
            if self.nonempty_name("watchlist", &list.name) {
                self.unique("watchlist", &mut names, &list.name);
            }
            lists.push(self.watchlist(list, feeds, webhooks, topics));
        }
        lists
    }

    fn watchlist(
        &mut self,
        raw: RawWatchlist,
        feeds: &[FeedConfig],
        webhooks: &[WebhookConfig],
        topics: &BTreeMap<Str, Vec<String>>,
    ) -> WatchlistConfig {
        let name = raw.name.get_ref().clone();
        if raw.any.is_empty() && raw.all.is_empty() {
            self.error(
                raw.name.span(),
                format!("watchlist `{name}` needs at least one term in `any` or `all`"),
            );
        }
        for hook in &raw.webhooks {
            if !webhooks.iter().any(|w| w.name == *hook.get_ref()) {
                self.error(hook.span(), format!("watchlist `{name}` sends to webhook `{}`, but no [[webhook]] has that name", hook.get_ref()));
            }
        }
        for feed in &raw.feeds {
            let known = feeds
                .iter()
                .any(|f| f.name.as_deref() == Some(feed.get_ref()) || f.url == *feed.get_ref());
            if !known {
                self.error(
                    feed.span(),
                    format!(
                        "watchlist `{name}` names feed `{}`, but no [[feed]] has that name",
                        feed.get_ref()
                    ),
                );
            }
        }
        for topic in &raw.topics {
            if !TOPICS.contains(&topic.get_ref().as_str())
                && !topics.contains_key(topic.get_ref().as_str())
            {
                self.error(topic.span(), format!("watchlist `{name}` names topic `{}`, which is neither built in nor defined in [topics]", topic.get_ref()));
            }
        }
        let per = match &raw.per {
            None => MatchPer::Article,
            Some(p) if p.get_ref() == "article" => MatchPer::Article,
            Some(p) if p.get_ref() == "story" => MatchPer::Story,
            Some(p) => {
                self.error(
                    p.span(),
                    format!("per `{}` must be \"article\" or \"story\"", p.get_ref()),
                );
                MatchPer::Article
            }
        };
        WatchlistConfig {
            any: self.terms("any", raw.any),
            all: self.terms("all", raw.all),
            none: self.terms("none", raw.none),
            countries: raw
                .countries
                .iter()
                .filter_map(|c| self.country(c))
                .collect(),
            topics: raw.topics.into_iter().map(Spanned::into_inner).collect(),
            feeds: raw.feeds.into_iter().map(Spanned::into_inner).collect(),
            webhooks: raw.webhooks.into_iter().map(Spanned::into_inner).collect(),
            translit: raw.translit.unwrap_or(false),
            per,
            name,
        }
    }
}

/// `[alerts]` before webhook names can be checked against `[[webhook]]`.
struct AlertsDraft {
    alerts: Alerts,
    health_webhooks: Vec<Str>,
}

fn default_user_agent() -> String {
    format!(
        "steppewatch/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

/// The host of `url` when it is an IP literal (the url crate has already
/// normalised numeric spellings such as `127.1` or `0x7f.1`).
fn literal_ip(url: &str) -> Option<std::net::IpAddr> {
    match url::Url::parse(url).ok()?.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn check(text: &str) -> Result<Config, Vec<String>> {
        validate_with(text, Path::new("/etc/sw/c.toml"), &no_env).map_err(|e| e.problems)
    }

    fn problems(text: &str) -> Vec<String> {
        check(text).expect_err("expected problems")
    }

    #[test]
    fn empty_file_gets_the_spec_defaults() {
        let config = check("").unwrap();
        assert_eq!(config.poll.interval, Duration::from_secs(900));
        assert_eq!(config.poll.concurrency, 16);
        assert_eq!(config.poll.min_interval, Duration::from_secs(300));
        assert_eq!(config.poll.max_interval, Duration::from_secs(6 * 3600));
        assert_eq!(config.fetch.timeout, Duration::from_secs(30));
        assert_eq!(config.fetch.connect_timeout, Duration::from_secs(10));
        assert_eq!(config.fetch.max_body, 10 * 1024 * 1024);
        assert_eq!(config.fetch.per_host, 2);
        assert!(!config.fetch.allow_private);
        assert_eq!(config.fetch.max_redirects, 5);
        assert!(
            config.fetch.user_agent.starts_with("steppewatch/"),
            "{}",
            config.fetch.user_agent
        );
        assert_eq!(config.http.listen, Some("127.0.0.1:8620".parse().unwrap()));
        assert!(config.http.token.is_none());
        let retry: Vec<u64> = config.alerts.retry.iter().map(Duration::as_secs).collect();
        assert_eq!(
            retry,
            [5, 300, 1800, 7200, 18000, 36000, 36000, 50400, 72000, 86400]
        );
        assert_eq!(config.alerts.give_up, Duration::from_secs(3 * 86400));
        assert_eq!(config.alerts.flood_max, 20);
        assert_eq!(config.alerts.flood_window, Duration::from_secs(3600));
        assert!(config.reload.watch_file);
        assert_eq!(config.storage.keep, None);
        assert!(
            config.feeds.is_empty() && config.watchlists.is_empty() && config.warnings.is_empty()
        );
    }

    #[test]
    fn spec_example_parses_into_the_documented_values() {
        let text = r#"
[storage]
path = "/var/lib/steppewatch/steppewatch.db"
[poll]
interval = "10m"
concurrency = 4
[fetch]
timeout = "20s"
max_body = "512KiB"
per_host = 1
allow_private = true
[http]
listen = ""
[alerts]
retry = ["1s", "1m"]
give_up = "1d"
[[feed]]
url = "https://astanatimes.com/feed/"
name = "The Astana Times"
interval = "1h"
full_text = true
country = "KZ"
[[watchlist]]
name = "xinjiang"
any = ["Xinjiang", "Синьцзян*", "新疆"]
countries = ["CN"]
topics = ["trade"]
feeds = ["The Astana Times"]
webhooks = ["ops"]
translit = true
per = "story"
[[webhook]]
name = "ops"
url = "https://hooks.example.org/steppewatch"
format = "slack"
secret = "whsec_c2VjcmV0"
"#;
        let config = check(text).unwrap();
        assert_eq!(
            config.storage.path,
            Path::new("/var/lib/steppewatch/steppewatch.db")
        );
        assert_eq!(
            (config.poll.interval, config.poll.concurrency),
            (Duration::from_secs(600), 4)
        );
        assert_eq!(config.fetch.max_body, 512 * 1024);
        assert!(config.fetch.allow_private);
        assert_eq!(config.http.listen, None);
        assert_eq!(
            config.alerts.retry,
            [Duration::from_secs(1), Duration::from_secs(60)]
        );
        let feed = &config.feeds[0];
        assert_eq!(feed.label(), "The Astana Times");
        assert_eq!(config.feed_interval(feed), Duration::from_secs(3600));
        assert_eq!(
            (feed.full_text, feed.country.as_deref(), feed.kind),
            (true, Some("KZ"), FeedKind::Feed)
        );
        let list = &config.watchlists[0];
        assert_eq!(list.any, ["Xinjiang", "Синьцзян*", "新疆"]);
        assert_eq!((list.translit, list.per), (true, MatchPer::Story));
        let hook = &config.webhooks[0];
        assert_eq!(
            (hook.format, hook.secret.as_ref().map(Secret::expose)),
            (WebhookFormat::Slack, Some("whsec_c2VjcmV0"))
        );
    }

    /// See: issue 2, "Must show": one clear line per problem, all at once.
    #[test]
    fn unknown_key_bad_duration_and_missing_webhook_give_three_lines() {
        let text = r#"[poll]
interval = "15 minutes"
colour = "blue"

[[watchlist]]
name = "xinjiang"
any = ["Xinjiang"]
webhooks = ["ops"]
"#;
        let problems = problems(text);
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].starts_with("/etc/sw/c.toml:2: interval: `15 minutes` is not a duration"),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].starts_with("/etc/sw/c.toml:3: unknown key `colour`"),
            "{}",
            problems[1]
        );
        assert_eq!(
            problems[2],
            "/etc/sw/c.toml:8: watchlist `xinjiang` sends to webhook `ops`, but no [[webhook]] has that name"
        );
    }

    /// Each case: a file with one problem, the line it must be reported on, and words
    /// the sentence must contain.
    #[test]
    fn each_problem_is_reported_on_its_line() {
        let feed = "[[feed]]\nurl = \"https://a.example/rss\"\nname = \"A\"\n";
        let hook = "[[webhook]]\nname = \"ops\"\nurl = \"https://h.example/\"\n";
        let list = "[[watchlist]]\nname = \"w\"\nany = [\"x\"]\n";
        let cases: Vec<(String, usize, &str)> = vec![
            ("[poll]\nx = 1\n".into(), 2, "unknown key `x`"),
            ("[pol]\n".into(), 1, "unknown section `pol`"),
            ("[poll]\ninterval = 5\n".into(), 2, "interval: wrong type"),
            ("[poll\n".into(), 1, "unclosed table"),
            (
                "\n[fetch]\ntimeout = \"30\"\n".into(),
                3,
                "timeout: `30` is not a duration",
            ),
            (
                "[fetch]\n\nmax_body = \"10 megs\"\n".into(),
                3,
                "max_body: `10 megs` is not a size",
            ),
            (
                "[fetch]\nmax_body = \"0B\"\n".into(),
                2,
                "max_body must be larger than zero",
            ),
            (
                "[poll]\ninterval = \"500ms\"\n".into(),
                2,
                "interval must be at least 1s",
            ),
            (
                "[poll]\nconcurrency = 0\n".into(),
                2,
                "concurrency must be at least 1, not 0",
            ),
            (
                "[fetch]\nper_host = -1\n".into(),
                2,
                "per_host must be at least 1, not -1",
            ),
            (
                "[poll]\nmin_interval = \"2h\"\nmax_interval = \"1h\"\n".into(),
                2,
                "min_interval must not be longer",
            ),
            (
                "[http]\nlisten = \"localhost\"\n".into(),
                2,
                "listen `localhost` is not an address",
            ),
            (
                "[http]\ntoken = \"env:SW_NOPE\"\n".into(),
                2,
                "token: environment variable SW_NOPE is not set",
            ),
            (
                "[alerts]\nretry = [\"5s\",\n  \"soon\"]\n".into(),
                3,
                "retry: `soon` is not a duration",
            ),
            (
                "[alerts]\nhealth_webhooks = [\"ops\"]\n".into(),
                2,
                "health_webhooks names `ops`",
            ),
            (
                "[[feed]]\nname = \"no url\"\n".into(),
                1,
                "missing required key `url`",
            ),
            (
                "[[feed]]\nurl = \"/relative/rss\"\n".into(),
                2,
                "is not an absolute URL",
            ),
            (
                "[[feed]]\nurl = \"ftp://a.example/rss\"\n".into(),
                2,
                "must use http or https, not ftp",
            ),
            (
                format!("{feed}[[feed]]\nurl = \"https://a.example/rss\"\n"),
                5,
                "listed twice",
            ),
            (
                format!("{feed}[[feed]]\nurl = \"https://b.example/rss\"\nname = \"A\"\n"),
                6,
                "two feeds named `A`",
            ),
            (
                format!("{feed}interval = \"0s\"\n"),
                4,
                "interval must be at least 1s",
            ),
            (
                format!("{feed}country = \"kz\"\n"),
                4,
                "country `kz` must be a two-letter ISO code",
            ),
            (
                format!("{feed}kind = \"page\"\n"),
                4,
                "kind `page` must be \"feed\" or \"html\"",
            ),
            (
                format!("{feed}kind = \"html\"\nselectors = {{ item = \"div[\" }}\n"),
                5,
                "selectors.item `div[` is not a CSS selector",
            ),
            (
                format!("{feed}selectors = {{ item = \"li\" }}\n"),
                4,
                "selectors only apply",
            ),
            (
                format!("{hook}[[webhook]]\nname = \"ops\"\nurl = \"https://i.example/\"\n"),
                5,
                "two webhooks named `ops`",
            ),
            (
                format!("{hook}format = \"teams\"\n"),
                4,
                "format `teams` must be one of json, slack, discord, telegram, ntfy",
            ),
            (
                format!("{hook}format = \"telegram\"\n"),
                1,
                "has format telegram and needs a chat_id",
            ),
            (
                format!("{hook}secret = \"file:no-such-secret\"\n"),
                4,
                "secret: unable to read secret file",
            ),
            (
                "[[webhook]]\nname = \"ops\"\nurl = \"hooks\"\n".into(),
                3,
                "webhook url `hooks` is not an absolute URL",
            ),
            (
                format!("{list}[[watchlist]]\nname = \"w\"\nany = [\"y\"]\n"),
                5,
                "two watchlists named `w`",
            ),
            (
                "[[watchlist]]\nname = \"w\"\nnone = [\"x\"]\n".into(),
                2,
                "needs at least one term in `any` or `all`",
            ),
            (
                format!("{list}all = [\"a\",\n \"*\"]\n"),
                5,
                "the term `*` would match everything",
            ),
            (
                format!("{list}none = [\"\"]\n"),
                4,
                "the term `` would match everything",
            ),
            (
                format!("{list}countries = [\"KZ\", \"Kaz\"]\n"),
                4,
                "country `Kaz`",
            ),
            (
                format!("{list}topics = [\"trade\", \"sport\"]\n"),
                4,
                "names topic `sport`, which is neither built in",
            ),
            (
                format!("{list}feeds = [\"Nope\"]\n"),
                4,
                "names feed `Nope`, but no [[feed]]",
            ),
            (
                format!("{list}per = \"day\"\n"),
                4,
                "per `day` must be \"article\" or \"story\"",
            ),
            (format!("{list}colour = 1\n"), 4, "unknown key `colour`"),
            (
                "[topics]\nTrade = [\"x\"]\n".into(),
                2,
                "topic name `Trade` must be lowercase",
            ),
            (
                "[topics]\nsport = [\"football\", \"*\"]\n".into(),
                2,
                "topics.sport: the term `*`",
            ),
            (
                "[storage]\nkeep = \"forever\"\n".into(),
                2,
                "keep: `forever` is not a duration",
            ),
            (
                "feed = 1\n".into(),
                1,
                "must be written as [[feed]] entries",
            ),
            (
                "[reload]\nwatch_file = \"yes\"\n".into(),
                2,
                "watch_file: wrong type",
            ),
        ];
        for (text, line, words) in cases {
            let problems = problems(&text);
            assert_eq!(problems.len(), 1, "{text}\n{problems:#?}");
            let prefix = format!("/etc/sw/c.toml:{line}: ");
            assert!(
                problems[0].starts_with(&prefix) && problems[0].contains(words),
                "{text}\n{}",
                problems[0]
            );
        }
    }

    #[test]
    fn short_intervals_warn_but_are_accepted() {
        let config = check("[poll]\ninterval = \"1s\"\n[[feed]]\nurl = \"http://127.0.0.1:9/f\"\ninterval = \"30s\"\n").unwrap();
        assert_eq!(config.poll.interval, Duration::from_secs(1));
        assert_eq!(config.warnings.len(), 2, "{:?}", config.warnings);
        assert!(
            config.warnings[0].starts_with("/etc/sw/c.toml:2: interval of `1s` is below 1m"),
            "{:?}",
            config.warnings
        );
        assert!(
            config.warnings[1].starts_with("/etc/sw/c.toml:5: "),
            "{:?}",
            config.warnings
        );
    }

    #[test]
    fn watchlist_may_name_feeds_by_url_and_topics_from_the_file() {
        let text = "[topics]\nsport = [\"football\"]\n[[feed]]\nurl = \"https://a.example/rss\"\n\
                    [[watchlist]]\nname = \"w\"\nall = [\"goal\"]\ntopics = [\"sport\", \"energy\"]\nfeeds = [\"https://a.example/rss\"]\n";
        let config = check(text).unwrap();
        assert_eq!(config.topics["sport"], ["football"]);
        assert_eq!(config.watchlists[0].topics, ["sport", "energy"]);
    }

    #[test]
    fn relative_storage_path_is_beside_the_config_file() {
        let config = check("[storage]\npath = \"data/sw.db\"\nkeep = \"90d\"\n").unwrap();
        assert_eq!(config.storage.path, Path::new("/etc/sw/data/sw.db"));
        assert_eq!(config.storage.keep, Some(Duration::from_secs(90 * 86400)));
    }

    #[test]
    fn default_storage_path_falls_back_to_the_user_state_directory() {
        if is_writable_dir(Path::new(SYSTEM_STATE_DIR)) {
            return; // running where the service directory exists; that is the right answer
        }
        let xdg = |name: &str| match name {
            "XDG_STATE_HOME" => Some("/home/u/.state".to_owned()),
            "HOME" => Some("/home/u".to_owned()),
            _ => None,
        };
        assert_eq!(
            default_storage_path(&xdg),
            Path::new("/home/u/.state/steppewatch/steppewatch.db")
        );
        let home = |name: &str| (name == "HOME").then(|| "/home/u".to_owned());
        assert_eq!(
            default_storage_path(&home),
            Path::new("/home/u/.local/state/steppewatch/steppewatch.db")
        );
        let relative_xdg = |name: &str| (name == "XDG_STATE_HOME").then(|| "state".to_owned());
        assert_eq!(
            default_storage_path(&relative_xdg),
            Path::new("steppewatch.db")
        );
    }

    #[test]
    fn secrets_resolve_and_never_show_in_debug_or_summary() {
        let env = |name: &str| (name == "OPS_SECRET").then(|| "env-secret-0451".to_owned());
        let text = "[http]\ntoken = \"literal-token-7734\"\n[[webhook]]\nname = \"ops\"\nurl = \"https://h.example/\"\n\
                    secret = \"env:OPS_SECRET\"\n[[webhook]]\nname = \"tg\"\nurl = \"https://api.telegram.org/botX/sendMessage\"\n\
                    format = \"telegram\"\nchat_id = -1001234\n";
        let config = validate_with(text, Path::new("c.toml"), &env).unwrap();
        assert_eq!(
            config.webhooks[0].secret.as_ref().unwrap().expose(),
            "env-secret-0451"
        );
        assert_eq!(config.webhooks[1].chat_id.as_deref(), Some("-1001234"));
        let shown = format!("{config:?}\n{config:#?}\n{}", config.summary());
        for secret in ["env-secret-0451", "literal-token-7734"] {
            assert!(!shown.contains(secret), "{secret} leaked");
        }
        assert!(
            config
                .summary()
                .contains("  ops (json, signed)\n  tg (telegram)\n"),
            "{}",
            config.summary()
        );
    }

    #[test]
    fn summary_lists_what_check_promises() {
        let text = "[storage]\npath = \"/tmp/sw.db\"\n[poll]\ninterval = \"30s\"\n[[feed]]\nurl = \"https://a.example/rss\"\n\
                    [[watchlist]]\nname = \"xinjiang\"\nany = [\"Xinjiang\", \"Urumqi\"]\nnone = [\"x\"]\n";
        let summary = check(text).unwrap().summary();
        for line in [
            "configuration: /etc/sw/c.toml (valid)",
            "database: /tmp/sw.db",
            "feeds: 1 ",
            "  xinjiang: 3 terms (any 2, all 0, none 1) -> no webhooks",
            "webhooks: 0",
            "http: 127.0.0.1:8620",
            "warning: /etc/sw/c.toml:4: interval of `30s` is below 1m",
        ] {
            assert!(summary.contains(line), "missing {line:?} in\n{summary}");
        }
    }

    #[test]
    fn shipped_configuration_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/steppewatch.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let config = validate_with(&text, &path, &no_env).unwrap_or_else(|e| panic!("{e}"));
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        assert!(config.feeds.len() >= 18, "{} feeds", config.feeds.len());
        assert!(!config.fetch.allow_private);
        for country in ["KZ", "KG", "TJ", "TM", "UZ", "CN"] {
            assert!(
                config
                    .feeds
                    .iter()
                    .any(|f| f.country.as_deref() == Some(country)),
                "no feed from {country}"
            );
        }
        assert!(
            config
                .feeds
                .iter()
                .all(|f| f.name.is_some() && f.country.is_some())
        );
        let names: Vec<&str> = config.watchlists.iter().map(|w| w.name.as_str()).collect();
        assert!(
            names.contains(&"xinjiang") && names.contains(&"railway-crossing"),
            "{names:?}"
        );
        assert!(
            config.watchlists.iter().all(|w| w.webhooks.is_empty()),
            "the shipped config must alert nowhere"
        );
    }
}
