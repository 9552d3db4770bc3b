//! HTTP fetching: one shared reqwest client, conditional GET, redirects checked
//! hop by hop, time and size caps, per-host limits and the address guard; every
//! response becomes one of a closed set of outcomes or errors.

mod guard;
mod headers;
#[cfg(test)]
mod tests;

pub use guard::{Guard, check_url, guarded_client_builder, is_public_ip};
pub use headers::MAX_SERVER_HINT;

use crate::config;
use reqwest::header::{
    ACCEPT, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION,
};
use reqwest::{Response, StatusCode};
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

/// Sent unless the configuration names another: who we are and where to complain.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "steppewatch/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/steppewatch/steppewatch)"
);

/// Number of per-host semaphores kept before idle ones are dropped, so a daemon
/// that has seen many hosts (article pages, discovery) does not grow forever.
const HOST_LIMITS_PRUNE_AT: usize = 1024;

/// How long a connection waits in the pool for another article page of its
/// site (a poll's pages are fetched in a burst), far shorter than any poll
/// interval, so connections do not idle between rounds. Each pooled
/// connection keeps its read buffer, which grows to about 400 KB on
/// feed-sized bodies: with reqwest's default of 90 s, a round over 50 hosts
/// held about 9 MB of them (heaptrack, docs/performance.md).
const POOL_IDLE: Duration = Duration::from_secs(5);

/// Idle connections kept per host for feed fetches: none. A feed is fetched
/// once per interval and its siblings on the same site at their own jittered
/// times, so a kept connection is rarely reused; each one idle in the pool
/// still holds hyper's grown read buffer (256-400 KB after a feed-sized
/// body), and hyper reads into a fresh one while it watches the idle
/// connection for a close. On the cold ingest bench (50 sites, 4 feeds each)
/// that was 9 MB of a 29 MB peak heap with a 5 s idle time (heaptrack).
/// Article pages, fetched by the dozen from one site in a burst, keep
/// [`POOL_IDLE`].
const FEED_POOL_IDLE_PER_HOST: usize = 0;

/// What we ask for when fetching a feed; servers that negotiate pick a feed format.
const FEED_ACCEPT: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
     application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";

/// What we ask for when fetching an article page.
const PAGE_ACCEPT: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";

/// What a fetch is for: it picks the Accept header and the connection pool.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Feed,
    Page,
}

/// Validators from the previous fetch of the same URL, sent as
/// If-None-Match / If-Modified-Since.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetch that succeeded at the HTTP level.
#[derive(Debug, Clone)]
pub enum FetchOutcome {
    /// 304: the stored copy is current; nothing to parse.
    NotModified {
        max_age: Option<Duration>,
    },
    Fetched(Fetched),
}

/// A 2xx response read to the end.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The raw body: content-encoding (gzip, br) removed, charset untouched, so the
    /// parser can honour a BOM or XML prolog.
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The URL that answered, after redirects.
    pub final_url: String,
    /// Set to `final_url` when it was reached through redirects that were all
    /// permanent (301/308), so the stored feed URL should change.
    pub permanent_redirect: Option<String>,
    /// Freshness from Cache-Control, a hint for the next poll.
    pub max_age: Option<Duration>,
    pub status: u16,
}

/// Why a fetch failed. A closed set: the scheduler decides back-off from the
/// variant, and `feeds list` shows the Display text.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("request timed out")]
    Timeout,
    #[error("unable to connect: {0}")]
    Connect(String),
    #[error("http status {code}{}", retry_suffix(.retry_after))]
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    #[error("http status 410: gone")]
    Gone,
    #[error("response body larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("blocked: {reason}")]
    Blocked { reason: String },
    #[error("too many redirects")]
    TooManyRedirects,
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    #[error("unable to read response body: {0}")]
    Body(String),
}

fn retry_suffix(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|d| format!(" (retry after {}s)", d.as_secs()))
        .unwrap_or_default()
}

impl FetchError {
    /// Whether trying again later may succeed without anything changing on our
    /// side: timeouts, connection failures, 408/429 and 5xx, broken bodies.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout | FetchError::Connect(_) | FetchError::Body(_) => true,
            FetchError::Status { code, .. } => *code == 408 || *code == 429 || *code >= 500,
            FetchError::Gone
            | FetchError::TooLarge { .. }
            | FetchError::Blocked { .. }
            | FetchError::TooManyRedirects
            | FetchError::InvalidUrl(_) => false,
        }
    }

    /// The server's Retry-After, when it sent one with a 429 or 503.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The HTTP client shared by all feed tasks; cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

struct Inner {
    /// For feeds: no idle connections kept ([`FEED_POOL_IDLE_PER_HOST`]).
    feeds: reqwest::Client,
    /// For article pages: idle connections kept [`POOL_IDLE`].
    pages: reqwest::Client,
    guard: Guard,
    hosts: HostLimits,
    /// Network time allowed for one fetch, all redirect hops and the body included.
    timeout: Duration,
    max_body: u64,
    max_redirects: usize,
}

/// Options beyond `[fetch]`; see [`Fetcher::builder`].
#[derive(Debug, Clone)]
pub struct FetcherBuilder {
    cfg: config::Fetch,
    max_redirects: usize,
    allowed: Vec<IpAddr>,
}

impl FetcherBuilder {
    /// Redirects followed before `TooManyRedirects`, instead of `[fetch] max_redirects`.
    pub fn max_redirects(mut self, max: usize) -> FetcherBuilder {
        self.max_redirects = max;
        self
    }

    /// Addresses treated as public although they are not (tests, a known intranet host).
    pub fn allow_addrs(mut self, addrs: impl IntoIterator<Item = IpAddr>) -> FetcherBuilder {
        self.allowed.extend(addrs);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// `Connect` when the TLS stack cannot be set up.
    pub fn build(self) -> Result<Fetcher, FetchError> {
        let cfg = &self.cfg;
        let user_agent = if cfg.user_agent.trim().is_empty() {
            DEFAULT_USER_AGENT
        } else {
            cfg.user_agent.as_str()
        };
        let client = |idle_per_host| {
            guarded_client_builder(cfg.allow_private, &self.allowed)
                .user_agent(user_agent)
                .connect_timeout(cfg.connect_timeout)
                .pool_idle_timeout(POOL_IDLE)
                .pool_max_idle_per_host(idle_per_host)
                .gzip(true)
                .brotli(true)
                .build()
                .map_err(|e| {
                    FetchError::Connect(format!(
                        "unable to build the HTTP client: {}",
                        error_chain(&e)
                    ))
                })
        };
        let inner = Inner {
            feeds: client(FEED_POOL_IDLE_PER_HOST)?,
            pages: client(usize::MAX)?,
            guard: Guard::new(cfg.allow_private, self.allowed),
            hosts: HostLimits::new(cfg.per_host),
            timeout: cfg.timeout,
            max_body: cfg.max_body,
            max_redirects: self.max_redirects,
        };
        Ok(Fetcher {
            inner: Arc::new(inner),
        })
    }
}

impl Fetcher {
    /// A fetcher for `[fetch]` with default options.
    ///
    /// # Errors
    /// `Connect` when the TLS stack cannot be set up.
    pub fn new(cfg: &config::Fetch) -> Result<Fetcher, FetchError> {
        Fetcher::builder(cfg).build()
    }

    pub fn builder(cfg: &config::Fetch) -> FetcherBuilder {
        FetcherBuilder {
            cfg: cfg.clone(),
            max_redirects: cfg.max_redirects,
            allowed: cfg.allow_addrs.clone(),
        }
    }

    /// Fetches a feed, sending the validators in `cond`.
    ///
    /// # Errors
    /// Every failure as a [`FetchError`]: 410 is `Gone`, 429/503 carry Retry-After,
    /// a body over `max_body` (before or after decompression) is `TooLarge`, a
    /// refused destination on any hop is `Blocked`.
    pub async fn fetch(&self, url: &str, cond: &Conditional) -> Result<FetchOutcome, FetchError> {
        let url = Url::parse(url).map_err(|e| FetchError::InvalidUrl(format!("{url}: {e}")))?;
        self.follow(url, cond, Kind::Feed).await
    }

    /// Fetches an article page under the same rules, without validators.
    ///
    /// # Errors
    /// As [`Fetcher::fetch`].
    pub async fn fetch_page(&self, url: &str) -> Result<Fetched, FetchError> {
        let url = Url::parse(url).map_err(|e| FetchError::InvalidUrl(format!("{url}: {e}")))?;
        match self
            .follow(url, &Conditional::default(), Kind::Page)
            .await?
        {
            FetchOutcome::Fetched(fetched) => Ok(fetched),
            // Only possible from a server that ignores HTTP: we sent no validators.
            FetchOutcome::NotModified { .. } => Err(FetchError::Status {
                code: 304,
                retry_after: None,
            }),
        }
    }

    /// Sends the request and follows redirects, checking every hop's URL with the
    /// guard before anything is sent to it.
    async fn follow(
        &self,
        mut url: Url,
        cond: &Conditional,
        kind: Kind,
    ) -> Result<FetchOutcome, FetchError> {
        let inner = &self.inner;
        let mut budget = Budget {
            left: inner.timeout,
        };
        let mut all_permanent = true;
        for hop in 0..=inner.max_redirects {
            inner.guard.check_url(&url)?;
            // Held until this hop's response (and, on the last hop, its body) is done.
            let permit = inner.hosts.acquire(&url).await;
            let response = budget.spend(self.send(&url, cond, kind)).await?;
            let Some(next) = redirect_target(&url, &response)? else {
                let moved = (hop > 0 && all_permanent).then(|| url.to_string());
                let outcome = budget.spend(self.finish(response, moved)).await;
                drop(permit);
                return outcome;
            };
            all_permanent &= matches!(
                response.status(),
                StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
            );
            url = next;
        }
        Err(FetchError::TooManyRedirects)
    }

    async fn send(
        &self,
        url: &Url,
        cond: &Conditional,
        kind: Kind,
    ) -> Result<Response, FetchError> {
        let (client, accept) = match kind {
            Kind::Feed => (&self.inner.feeds, FEED_ACCEPT),
            Kind::Page => (&self.inner.pages, PAGE_ACCEPT),
        };
        let mut request = client.get(url.clone()).header(ACCEPT, accept);
        if let Some(etag) = &cond.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(last_modified) = &cond.last_modified {
            request = request.header(IF_MODIFIED_SINCE, last_modified);
        }
        request.send().await.map_err(from_reqwest)
    }

    /// Turns the final response into an outcome, reading the body within the cap.
    async fn finish(
        &self,
        response: Response,
        moved: Option<String>,
    ) -> Result<FetchOutcome, FetchError> {
        let code = response.status().as_u16();
        let headers = response.headers();
        match code {
            304 => {
                return Ok(FetchOutcome::NotModified {
                    max_age: headers::max_age(headers),
                });
            }
            410 => return Err(FetchError::Gone),
            429 | 503 => {
                return Err(FetchError::Status {
                    code,
                    retry_after: headers::retry_after(headers, SystemTime::now()),
                });
            }
            _ if !response.status().is_success() => {
                return Err(FetchError::Status {
                    code,
                    retry_after: None,
                });
            }
            _ => {}
        }
        let text = |name| headers::text(headers, name).map(str::to_owned);
        let mut fetched = Fetched {
            body: Vec::new(),
            content_type: text(&CONTENT_TYPE),
            etag: text(&ETAG),
            last_modified: text(&LAST_MODIFIED),
            final_url: response.url().to_string(),
            permanent_redirect: moved,
            max_age: headers::max_age(headers),
            status: code,
        };
        fetched.body = read_capped(response, self.inner.max_body).await?;
        Ok(FetchOutcome::Fetched(fetched))
    }
}

/// The next URL when `response` is a redirect with a Location, else `None`.
fn redirect_target(from: &Url, response: &Response) -> Result<Option<Url>, FetchError> {
    let redirect = matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308);
    let Some(location) = redirect
        .then(|| headers::text(response.headers(), &LOCATION))
        .flatten()
    else {
        return Ok(None);
    };
    let next = from
        .join(location)
        .map_err(|e| FetchError::InvalidUrl(format!("redirect to {location}: {e}")))?;
    Ok(Some(next))
}

/// Reads the body, refusing a declared length over `limit` before reading and
/// stopping as soon as the (decompressed) bytes pass it, so neither a huge body
/// nor a gzip bomb is ever held in memory.
async fn read_capped(mut response: Response, limit: u64) -> Result<Vec<u8>, FetchError> {
    // With content-encoding, reqwest reports no length: the declared one is the compressed size.
    let declared = response.content_length();
    if declared.is_some_and(|len| len > limit) {
        return Err(FetchError::TooLarge { limit });
    }
    let capacity = declared.unwrap_or(0).min(limit).min(1 << 20);
    let mut body = Vec::with_capacity(capacity as usize);
    while let Some(chunk) = response.chunk().await.map_err(from_reqwest)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The network time one fetch may spend, across redirect hops and the body.
/// Time spent waiting for a per-host slot is not counted: a feed queued behind
/// its siblings on a slow host has not been failed by the server yet.
struct Budget {
    left: Duration,
}

impl Budget {
    async fn spend<T>(
        &mut self,
        work: impl Future<Output = Result<T, FetchError>>,
    ) -> Result<T, FetchError> {
        let started = Instant::now();
        let result = tokio::time::timeout(self.left, work).await;
        self.left = self.left.saturating_sub(started.elapsed());
        result.unwrap_or(Err(FetchError::Timeout))
    }
}

/// At most `per_host` requests in flight to one host name (port ignored: two
/// ports are usually one machine). Small news sites in the region sit behind
/// slow links; thirty feeds from one outlet must not arrive as thirty parallel
/// requests. A permit is held from sending the request until the body is read.
struct HostLimits {
    per_host: usize,
    /// std Mutex: held only to look up or insert a semaphore, never across an await.
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl HostLimits {
    fn new(per_host: usize) -> HostLimits {
        HostLimits {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    async fn acquire(&self, url: &Url) -> OwnedSemaphorePermit {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            if hosts.len() >= HOST_LIMITS_PRUNE_AT {
                // A semaphore only this map refers to has no holder and no waiter.
                hosts.retain(|_, s| Arc::strong_count(s) > 1);
            }
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        semaphore
            .acquire_owned()
            .await
            .expect("host semaphores are never closed")
    }
}

/// Maps reqwest's error, recognising the guard's refusal inside a connect error.
fn from_reqwest(e: reqwest::Error) -> FetchError {
    if let Some(blocked) = find_source::<guard::BlockedAddress>(&e) {
        return FetchError::Blocked {
            reason: blocked.to_string(),
        };
    }
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    let body = e.is_body() || e.is_decode();
    let message = error_chain(&e.without_url());
    if body {
        FetchError::Body(message)
    } else {
        FetchError::Connect(message)
    }
}

fn find_source<'a, E: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut current = Some(e);
    while let Some(err) = current {
        if let Some(found) = err.downcast_ref::<E>() {
            return Some(found);
        }
        current = err.source();
    }
    None
}

/// An error and its causes as one line, skipping causes already in the text.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}
