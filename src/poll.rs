//! One feed's poll as named steps; the only place that knows the stage order:
//!
//! `fetch -> parse -> extract -> [skip unchanged] -> lang, tag, match -> store.ingest[insert -> outbox] -> record -> wake notifier`
//!
//! The pure stages run before the store is locked, at most
//! [`PollContext::cpu`] feeds at once. Prepared polls queue for the writer;
//! whichever poll gets the writer's turn ([`PollContext::writer`]) stores
//! every queued poll (up to [`MAX_GROUP_FEEDS`]) in one group transaction,
//! each feed in its own savepoint (`store::group`), and answers each with its
//! own summary. Feeds parsed, prepared or queued at once are bounded by the
//! size of their bodies ([`MAX_UNSTORED_BYTES`]), so fetched feeds wait
//! unparsed while the writer is behind.

use crate::config::{FeedConfig, FeedKind};
use crate::engine::Engine;
use crate::fetcher::{Conditional, FetchError, FetchOutcome, Fetched, Fetcher};
use crate::matcher::Context;
use crate::metrics::events;
use crate::model::{Article, ArticleText, Item, Match, ParsedFeed};
use crate::scheduler::{self, Plan};
use crate::store::Store;
use crate::store::feeds::{FeedRow, FeedStatus, FetchRecord};
use crate::store::group::{Group, Writes};
use crate::story::{self, Fingerprint};
use crate::text::{self, Folded};
use chrono::{DateTime, Utc};
use futures_util::FutureExt as _;
use std::collections::{HashSet, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, SemaphorePermit, oneshot};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// What every poll shares. The engine is read once per poll, so a reload
/// applies from the next poll on.
pub struct PollContext {
    /// The single writer connection; std Mutex because it is only held inside
    /// `spawn_blocking`, never across an await.
    pub store: Arc<Mutex<Store>>,
    pub fetcher: Fetcher,
    /// Woken after a commit that queued alerts.
    pub alerts_wake: Arc<Notify>,
    /// Cancelled at shutdown. A poll still on the network is abandoned then
    /// (nothing of it is written yet, and the feed is polled again next
    /// start); one that reached the store runs to its commit.
    pub shutdown: CancellationToken,
    /// Polls parsing or preparing at once ([`cpu_slots`]): more than the
    /// cores only interleave, and each extra thread costs its own malloc arena.
    pub cpu: Arc<Semaphore>,
    /// One permit: the poll whose turn it is to store (the queued polls, as
    /// one group). The others wait here asynchronously rather than on the
    /// store's lock in a blocking thread.
    pub writer: Arc<Semaphore>,
    /// Body bytes of the feeds being parsed, prepared or waiting to be
    /// stored, one permit per KiB ([`MAX_UNSTORED_BYTES`]).
    pub unstored: Semaphore,
    /// Polls ready to store, in arrival order.
    queue: Mutex<VecDeque<Job>>,
}

impl PollContext {
    /// A context with [`cpu_slots`] CPU slots and one writer turn.
    pub fn new(
        store: Arc<Mutex<Store>>,
        fetcher: Fetcher,
        alerts_wake: Arc<Notify>,
        shutdown: CancellationToken,
    ) -> PollContext {
        PollContext {
            store,
            fetcher,
            alerts_wake,
            shutdown,
            cpu: Arc::new(Semaphore::new(cpu_slots())),
            writer: Arc::new(Semaphore::new(1)),
            unstored: Semaphore::new(UNSTORED_KIB),
            queue: Mutex::new(VecDeque::new()),
        }
    }
}

/// Feeds parsed or prepared at once: one per core but the writer's. The
/// writer (one feed's store transaction at a time) is what a cold run waits
/// for, and it is slowed by every extra thread competing for its core; the
/// pure stages take under half the writer's time, so the other cores keep
/// it supplied.
pub fn cpu_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// Most feeds stored in one group transaction. Each commit waits for the
/// disk (`synchronous = FULL`, about 4 ms here); the cold ingest bench's 200
/// feeds took 200 commits (304 fsyncs in all, by `strace -c`), now about 25
/// (73 fsyncs), and its wall time fell from 7.6 to 6.6 s on the loaded
/// 2-core machine (medians of 3 alternating rounds of 3). Larger groups save
/// little more and make each poll of a group wait for the group's last feed.
pub const MAX_GROUP_FEEDS: usize = 8;

/// Most articles in one group transaction, so that a few very large feeds do
/// not make one long transaction (readers' WAL grows, every poll in it waits).
pub const MAX_GROUP_ARTICLES: usize = 800;

/// Most body bytes of fetched feeds being parsed, prepared or queued for
/// the writer at once; a feed's parsed items, prepared articles and story
/// fingerprints take about as much memory as its body. A fetched feed waits
/// for room before it is parsed, so when the writer (the slower stage) falls
/// behind, the feeds behind it wait as raw bodies (at most `[poll]
/// concurrency` of them) instead of as parsed and prepared data. A body larger
/// than the whole budget waits until nothing else is unstored.
///
/// 1 MiB is about a group ([`MAX_GROUP_FEEDS`]) of the cold ingest bench's
/// 120 KB feeds, split between the group being stored and the feeds being
/// prepared for the next. Cold bench peak RSS (thin LTO, one malloc arena):
/// 37.5 MiB with 1.5 MiB, 33.9 MiB with 1 MiB, 33.0 MiB with 768 KiB, with no
/// CPU time difference beyond the noise (4.1-4.6 s).
pub const MAX_UNSTORED_BYTES: usize = 1024 * 1024;

/// [`MAX_UNSTORED_BYTES`] in the KiB permits of [`PollContext::unstored`].
const UNSTORED_KIB: usize = MAX_UNSTORED_BYTES / 1024;

/// The result of one poll, for logs and `run --once`.
#[derive(Debug, Clone, Default)]
pub struct PollSummary {
    pub new: usize,
    pub updated: usize,
    pub alerts: usize,
    /// Items that went through language detection, tagging and matching:
    /// the new and changed ones, not those stored unchanged before.
    pub prepared: usize,
    pub error: Option<String>,
}

/// Most article pages fetched in one poll: the first poll of a teaser-only
/// feed fetches one page per item, and a feed of hundreds of items must not
/// turn into hundreds of requests to one small server at once.
pub const MAX_PAGES_PER_POLL: usize = 60;

/// What the network and parsing stages produced for one poll.
enum Fetch {
    NotModified(Option<Duration>),
    Parsed(Box<Fetched>, ParsedFeed),
    /// The fetch or the parse failed.
    Failed(FetchError),
    Unparsable(String),
}

/// Polls one feed and records the outcome; never returns an error, because a
/// feed's failure ends that feed's poll only.
#[tracing::instrument(skip_all, fields(feed = %feed.name))]
pub async fn poll_feed(
    ctx: &PollContext,
    engine: Arc<Engine>,
    feed: FeedRow,
    cfg: FeedConfig,
) -> PollSummary {
    let started = std::time::Instant::now();
    let name = feed.name.clone();
    // A panic anywhere in fetch, parse or extraction ends this feed's poll
    // only, as an error recorded on the feed.
    let work = AssertUnwindSafe(fetch_and_parse(ctx, &feed, &cfg)).catch_unwind();
    let fetched = tokio::select! {
        fetched = work => fetched.unwrap_or_else(|panic| (Fetch::Unparsable(internal_error(&*panic)), None)),
        () = ctx.shutdown.cancelled() => {
            info!("poll abandoned at shutdown before anything was stored");
            return PollSummary::default();
        }
    };
    // `_unstored` is held until this poll is stored.
    let (fetched, _unstored) = fetched;
    let now = Utc::now();
    let (fetched, prepared) = prepare_off_lock(ctx, &engine, &feed, fetched, now).await;
    let (reply, answer) = oneshot::channel();
    let job = Job {
        engine,
        feed,
        cfg,
        fetched,
        prepared,
        now,
        reply,
    };
    let summary = store_in_group(ctx, job, answer).await;
    if summary.alerts > 0 {
        ctx.alerts_wake.notify_one();
    }
    let elapsed = started.elapsed();
    match &summary.error {
        None => events::feed_polled(&name, summary.new, summary.updated, summary.alerts, elapsed),
        Some(error) => events::feed_poll_failed(&name, error, elapsed),
    }
    summary
}

/// Fetch, parse, and complete teasers with their article pages. A fetched
/// body waits for its room in [`PollContext::unstored`] before it is parsed;
/// the permit comes back with the parsed feed, to be held until it is stored.
async fn fetch_and_parse<'c>(
    ctx: &'c PollContext,
    feed: &FeedRow,
    cfg: &FeedConfig,
) -> (Fetch, Option<SemaphorePermit<'c>>) {
    let conditional = Conditional {
        etag: feed.etag.clone(),
        last_modified: feed.last_modified.clone(),
    };
    let body = match ctx.fetcher.fetch(&feed.current_url, &conditional).await {
        Ok(FetchOutcome::NotModified { max_age }) => return (Fetch::NotModified(max_age), None),
        Ok(FetchOutcome::Fetched(body)) => body,
        Err(e) => return (Fetch::Failed(e), None),
    };
    let unstored = room_for(&ctx.unstored, body.body.len()).await;
    (
        parse_and_complete(ctx, feed, cfg, body).await,
        Some(unstored),
    )
}

/// Waits for `bytes` (in KiB permits, at least one, at most all of them) of
/// the unstored budget. The semaphore is never closed.
async fn room_for(unstored: &Semaphore, bytes: usize) -> SemaphorePermit<'_> {
    let kib = bytes.div_ceil(1024).clamp(1, UNSTORED_KIB);
    let kib = u32::try_from(kib).unwrap_or(u32::MAX);
    unstored
        .acquire_many(kib)
        .await
        .expect("the unstored budget is never closed")
}

/// Parses a fetched body and completes teasers with their article pages.
async fn parse_and_complete(
    ctx: &PollContext,
    feed: &FeedRow,
    cfg: &FeedConfig,
    body: Fetched,
) -> Fetch {
    let (body, parsed) = {
        let cfg = cfg.clone();
        let _slot = ctx.cpu.acquire().await;
        let parsed = tokio::task::spawn_blocking(move || {
            let parsed = parse(&cfg, &body);
            (body, parsed)
        })
        .await;
        match parsed {
            // The raw bytes are not needed after parsing; only the response's
            // metadata is, for the fetch record.
            Ok((body, Ok(parsed))) => (
                Fetched {
                    body: Vec::new(),
                    ..body
                },
                parsed,
            ),
            Ok((_, Err(e))) => return Fetch::Unparsable(e),
            Err(e) => return Fetch::Unparsable(format!("parser failed: {e}")),
        }
    };
    let parsed = complete_text(ctx, feed, cfg, parsed).await;
    Fetch::Parsed(Box::new(body), parsed)
}

/// Runs the pure stages of a parsed feed on a blocking thread, without the
/// store's lock, skipping the items stored before with the same text.
async fn prepare_off_lock(
    ctx: &PollContext,
    engine: &Arc<Engine>,
    feed: &FeedRow,
    fetched: Fetch,
    now: DateTime<Utc>,
) -> (Fetch, Option<Prepared>) {
    if !matches!(fetched, Fetch::Parsed(..)) {
        return (fetched, None);
    }
    // A feed that never stored anything has no items to skip (and a feed
    // whose first poll stored but was not recorded only costs a full prepare).
    let (fetched, unchanged) = if feed.last_success.is_some() {
        let (store, feed_id) = (ctx.store.clone(), feed.id);
        with_parsed(fetched, move |parsed| {
            let parsed = &*parsed;
            let store = store.lock().unwrap_or_else(|p| p.into_inner());
            store
                .unchanged_items(feed_id, &item_texts(parsed))
                .unwrap_or_else(|e| {
                    warn!(error = %e, "unable to read the stored items; preparing them all");
                    HashSet::new()
                })
        })
        .await
    } else {
        (fetched, None)
    };
    let unchanged = unchanged.unwrap_or_default();
    let _slot = ctx.cpu.acquire().await;
    let (engine, feed) = (engine.clone(), feed.clone());
    with_parsed(fetched, move |parsed| {
        prepare(&engine, &feed, parsed, &unchanged, now)
    })
    .await
}

/// Runs `f` over the parsed feed on a blocking thread; `None` when there is
/// no parsed feed.
async fn with_parsed<T: Send + 'static>(
    mut fetched: Fetch,
    f: impl FnOnce(&mut ParsedFeed) -> T + Send + 'static,
) -> (Fetch, Option<T>) {
    tokio::task::spawn_blocking(move || {
        let out = match &mut fetched {
            Fetch::Parsed(_, parsed) => Some(f(parsed)),
            _ => None,
        };
        (fetched, out)
    })
    .await
    .unwrap_or_else(|e| (Fetch::Unparsable(format!("poll task failed: {e}")), None))
}

/// Each item's identity and text, as [`Store::unchanged_items`] takes them.
fn item_texts(parsed: &ParsedFeed) -> Vec<(&str, ArticleText<'_>)> {
    parsed
        .items
        .iter()
        .map(|i| {
            let text = ArticleText {
                title: &i.title,
                summary: &i.summary,
                body: &i.body,
            };
            (i.identity.as_str(), text)
        })
        .collect()
}

/// Bytes to items: a feed document, or a news list page with CSS selectors.
fn parse(cfg: &FeedConfig, body: &Fetched) -> Result<ParsedFeed, String> {
    let result = match cfg.kind {
        FeedKind::Feed => {
            // The store keeps plain text only, so no sanitised HTML copy.
            crate::parser::parse_text(&body.body, body.content_type.as_deref(), &body.final_url)
        }
        FeedKind::Html => {
            let html = String::from_utf8_lossy(&body.body);
            let selectors = cfg.selectors.clone().unwrap_or_default();
            crate::parser::parse_html_list(&html, &body.final_url, &selectors)
        }
    };
    result.map_err(|e| format!("unable to parse feed: {e}"))
}

/// Replaces the text of new items that are teasers (or of every new item when
/// the feed says `full_text = true`) with the main text of their article page.
/// A page that cannot be fetched or extracted keeps the feed's text.
async fn complete_text(
    ctx: &PollContext,
    feed: &FeedRow,
    cfg: &FeedConfig,
    mut parsed: ParsedFeed,
) -> ParsedFeed {
    let wanted: Vec<usize> = parsed
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| i.url.is_some())
        .filter(|(_, i)| cfg.full_text || crate::extractor::is_teaser(&i.summary, &i.body))
        .map(|(n, _)| n)
        .collect();
    if wanted.is_empty() {
        return parsed;
    }
    let known = {
        let store = ctx.store.clone();
        let feed_id = feed.id;
        let ids: Vec<String> = wanted
            .iter()
            .map(|&n| parsed.items[n].identity.clone())
            .collect();
        tokio::task::spawn_blocking(move || {
            let store = store.lock().unwrap_or_else(|p| p.into_inner());
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            store.known_identities(feed_id, &refs).unwrap_or_default()
        })
        .await
        .unwrap_or_default()
    };
    // Items already stored got their page text when they were new; their
    // feed text is only a teaser, which must not overwrite the page text as
    // an "edit", so they leave this poll.
    let fresh: Vec<usize> = wanted
        .iter()
        .copied()
        .filter(|&n| !known.contains(&parsed.items[n].identity))
        .take(MAX_PAGES_PER_POLL)
        .collect();
    // The fetcher's per-host limit keeps this polite; join them all at once.
    let pages = futures_util::future::join_all(fresh.iter().map(|&n| {
        let url = parsed.items[n].url.clone().unwrap_or_default();
        async move { (n, ctx.fetcher.fetch_page(&url).await) }
    }))
    .await;
    for (n, page) in pages {
        let item = &mut parsed.items[n];
        match page {
            Ok(page) => apply_page(item, &page),
            Err(e) => {
                warn!(url = item.url.as_deref().unwrap_or(""), error = %e, "article page not fetched; keeping the feed's text")
            }
        }
    }
    parsed.items.retain(|i| !known.contains(&i.identity));
    parsed
}

/// The page's main text replaces the item's body; its canonical link wins.
fn apply_page(item: &mut Item, page: &Fetched) {
    let html = String::from_utf8_lossy(&page.body);
    match crate::extractor::extract_article(&html, &page.final_url) {
        Ok(extracted) => {
            if extracted.text.len() > item.body.len() {
                item.body = extracted.text;
                item.body_html = Some(extracted.html);
            }
            if let Some(canonical) = extracted.canonical {
                item.url = Some(canonical);
            }
        }
        Err(e) => {
            warn!(url = %page.final_url, error = %e, "no article text extracted; keeping the feed's text")
        }
    }
}

/// A parsed feed's articles after the pure stages, ready to store.
struct Ready {
    articles: Vec<Article>,
    /// The watchlist matches of each article, by position; `None` for an
    /// item that was stored before with the same text, which went through
    /// no stage (no language, tags or matches: the store writes nothing for it).
    matches: Vec<Option<Vec<Match>>>,
    /// The story fingerprint (`story::fingerprint`) of each article that went
    /// through the stages, by position, so that storing a new article under
    /// the lock is lookups and inserts; `None` where `matches` is.
    fingerprints: Vec<Option<Fingerprint>>,
}

impl Ready {
    /// Items that went through the stages.
    fn prepared(&self) -> usize {
        self.matches.iter().filter(|m| m.is_some()).count()
    }
}

/// The articles of a parsed feed, or why the pure stages could not make them.
type Prepared = Result<Ready, String>;

/// The pure stages for every item (URL normalisation, language, tags,
/// watchlist matches, story fingerprint) but those in `unchanged`, which keep only what the
/// store compares (identity, URL, text). Runs on a blocking thread before
/// the store is locked, so that several feeds' items are processed at once
/// while one feed stores; a panic in a stage becomes this feed's error.
///
/// The items' text moves into the articles (the items keep their identity,
/// link and dates, which the fetch record reads): a queued poll holds its
/// text once, not twice.
fn prepare(
    engine: &Engine,
    feed: &FeedRow,
    parsed: &mut ParsedFeed,
    unchanged: &HashSet<String>,
    now: DateTime<Utc>,
) -> Prepared {
    let name = feed_name(feed, parsed);
    let skip: Vec<bool> = {
        let skip = skippable(parsed, unchanged);
        let skip = |i: &Item| skip.contains(i.identity.as_str());
        parsed.items.iter().map(skip).collect()
    };
    std::panic::catch_unwind(AssertUnwindSafe(|| {
        let mut ready = Ready {
            articles: Vec::with_capacity(parsed.items.len()),
            matches: Vec::with_capacity(parsed.items.len()),
            fingerprints: Vec::with_capacity(parsed.items.len()),
        };
        for (item, skip) in parsed.items.iter_mut().zip(skip) {
            let mut article = take_article(feed.id, &name, item, now);
            let (matches, fingerprint) = (!skip)
                .then(|| {
                    // Folded once for tags, matches and fingerprint.
                    let folded = text::fold_article(article.text());
                    let matches = analyse_folded(engine, &mut article, &folded);
                    (matches, story::fingerprint_folded(article.text(), &folded))
                })
                .unzip();
            ready.articles.push(article);
            ready.matches.push(matches);
            ready.fingerprints.push(fingerprint);
        }
        ready
    }))
    .map_err(|panic| internal_error(&*panic))
}

/// The unchanged items that may skip the stages: those whose identity occurs
/// once in the poll (with two items of one identity, the first may change the
/// stored text the second was compared with).
fn skippable<'a>(parsed: &'a ParsedFeed, unchanged: &HashSet<String>) -> HashSet<&'a str> {
    let mut seen = HashSet::new();
    let mut twice = HashSet::new();
    for item in &parsed.items {
        if !seen.insert(item.identity.as_str()) {
            twice.insert(item.identity.as_str());
        }
    }
    seen.retain(|id| unchanged.contains(*id) && !twice.contains(id));
    seen
}

/// One poll ready to store, queued for the writer.
struct Job {
    engine: Arc<Engine>,
    feed: FeedRow,
    cfg: FeedConfig,
    fetched: Fetch,
    prepared: Option<Prepared>,
    now: DateTime<Utc>,
    /// The poll's own summary, sent once its group committed.
    reply: oneshot::Sender<PollSummary>,
}

impl Job {
    /// Articles to store: what a group is bounded by.
    fn articles(&self) -> usize {
        match &self.prepared {
            Some(Ok(ready)) => ready.articles.len(),
            _ => 0,
        }
    }
}

/// Queues the poll for the writer and waits for its summary. Whichever
/// waiting poll gets the writer's turn stores the queued polls as one group
/// (its own among them, or ahead of it) on a blocking thread; a poll stored
/// by another's turn returns as soon as its answer arrives.
async fn store_in_group(
    ctx: &PollContext,
    job: Job,
    mut answer: oneshot::Receiver<PollSummary>,
) -> PollSummary {
    lock(&ctx.queue).push_back(job);
    loop {
        let turn = tokio::select! {
            biased;
            summary = &mut answer => return answered(summary.ok()),
            turn = ctx.writer.clone().acquire_owned() => turn,
        };
        // Stored by the group that held the turn just before?
        match answer.try_recv() {
            Ok(summary) => return summary,
            Err(oneshot::error::TryRecvError::Closed) => return answered(None),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let group = take_group(&ctx.queue);
        let store = ctx.store.clone();
        // A panic outside the feeds' own guards drops the group's replies,
        // which answers its polls with an error.
        let _ = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            settle_group(&mut lock(&store), group);
            // The group's feeds, articles and SQLite's spilled pages are
            // freed now; hand their pages back before the next group grows
            // the heap again (cold bench peak: see MAX_UNSTORED_BYTES).
            crate::memory::release_free();
        })
        .await;
    }
}

/// The summary a poll got, or the error when its group's task died.
fn answered(summary: Option<PollSummary>) -> PollSummary {
    summary.unwrap_or_else(|| PollSummary {
        error: Some("poll task failed: the writer stopped before storing this poll".into()),
        ..Default::default()
    })
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The oldest queued polls, up to [`MAX_GROUP_FEEDS`] and
/// [`MAX_GROUP_ARTICLES`] (at least one poll).
fn take_group(queue: &Mutex<VecDeque<Job>>) -> Vec<Job> {
    let mut queue = lock(queue);
    let mut group: Vec<Job> = Vec::new();
    let mut articles = 0;
    while let Some(next) = queue.front() {
        let full = group.len() >= MAX_GROUP_FEEDS
            || (!group.is_empty() && articles + next.articles() > MAX_GROUP_ARTICLES);
        if full {
            break;
        }
        articles += next.articles();
        group.extend(queue.pop_front());
    }
    group
}

/// Stores the polls of `jobs` in one transaction and answers each. When the
/// group as a whole fails (SQLite rolled it back on an I/O error, a full disk
/// or the busy timeout), each poll is tried again in a transaction of its own,
/// so that one feed's trouble stays that feed's.
fn settle_group(store: &mut Store, mut jobs: Vec<Job>) {
    match settle_together(store, &mut jobs) {
        Ok(summaries) => {
            for (job, summary) in jobs.into_iter().zip(summaries) {
                let _ = job.reply.send(summary);
            }
        }
        Err(e) if jobs.len() > 1 => {
            warn!(error = %e, feeds = jobs.len(), "group commit failed; storing its feeds one by one");
            for job in jobs {
                settle_group(store, vec![job]);
            }
        }
        Err(e) => {
            let job = jobs.pop().expect("one job");
            let _ = job.reply.send(PollSummary {
                error: Some(format!("unable to store the poll: {e}")),
                ..Default::default()
            });
        }
    }
}

/// One group transaction over `jobs`: each poll's articles, fetch record and
/// health event commit together (a crash keeps all of a poll or none of it).
/// The commit does not wait for the disk: the delivery worker makes alerts
/// durable before it sends them (see [`Store::begin_group`]). Each fsync of
/// the log was a wait of 4-5 ms for the writer, 66 of them in the cold ingest
/// benchmark; the checkpoint thread's syncs now make the polls durable.
fn settle_together(
    store: &mut Store,
    jobs: &mut [Job],
) -> Result<Vec<PollSummary>, crate::store::StoreError> {
    let mut group = store.begin_group(false)?;
    group.prefetch_bands(ready_fingerprints(jobs))?;
    let mut summaries = Vec::with_capacity(jobs.len());
    for job in jobs.iter_mut() {
        let _span = tracing::info_span!("poll_feed", feed = %job.feed.name).entered();
        // A panic past the feed's savepoint (recording its fetch) costs that
        // feed's poll only, not the group's.
        let settled = std::panic::catch_unwind(AssertUnwindSafe(|| settle(&mut group, job)));
        summaries.push(settled.unwrap_or_else(|panic| PollSummary {
            error: Some(internal_error(&*panic)),
            ..Default::default()
        }));
        if group.is_aborted() {
            break;
        }
    }
    group.commit()?;
    Ok(summaries)
}

/// The story fingerprints of the articles that `jobs` already prepared.
fn ready_fingerprints(jobs: &[Job]) -> impl Iterator<Item = &Fingerprint> {
    jobs.iter()
        .filter_map(|j| j.prepared.as_ref()?.as_ref().ok())
        .flat_map(|ready| ready.fingerprints.iter().flatten())
}

/// Everything after the network and the pure stages for one poll of a
/// group: its articles in a savepoint, then its fetch record and health event.
fn settle(group: &mut Group<'_>, job: &mut Job) -> PollSummary {
    let Job {
        engine,
        feed,
        cfg,
        fetched,
        prepared,
        now,
        ..
    } = job;
    let (engine, now) = (&**engine, *now);
    let plan = plan(engine, cfg);
    let (record, mut summary) = match fetched {
        Fetch::NotModified(max_age) => (not_modified(&plan, *max_age, now), PollSummary::default()),
        Fetch::Parsed(body, parsed) => {
            let prepared =
                prepared.get_or_insert_with(|| prepare(engine, feed, parsed, &HashSet::new(), now));
            let parsed = &*parsed;
            let stored = match prepared {
                Ok(ready) => guarded_ingest(group, engine, feed, ready, now),
                Err(error) => Err(error.clone()),
            };
            match stored {
                Ok(summary) => (success(feed, &plan, body, parsed, &summary, now), summary),
                Err(error) => failure(feed, &plan, None, None, error, now),
            }
        }
        Fetch::Unparsable(error) => failure(feed, &plan, None, None, error.clone(), now),
        Fetch::Failed(e) => {
            let (status, retry) = match e {
                FetchError::Status { code, retry_after } => (Some(*code), *retry_after),
                FetchError::Gone => (Some(410), None),
                _ => (None, None),
            };
            let gone = matches!(e, FetchError::Gone);
            let (mut record, summary) = failure(feed, &plan, status, retry, e.to_string(), now);
            if gone {
                record.status = FeedStatus::Gone;
            }
            (record, summary)
        }
    };
    let writes = group.writes();
    if let Err(e) = writes.record_fetch(feed.id, &record) {
        warn!(error = %e, "unable to record the fetch state");
    }
    summary.alerts += report_health(writes, engine, feed, &record, now);
    summary
}

/// The health event a status change calls for, once per change, not per poll.
fn health_change(before: &str, after: FeedStatus) -> Option<&'static str> {
    match after {
        FeedStatus::Failing | FeedStatus::Gone if !matches!(before, "failing" | "gone") => {
            Some("feed.failing")
        }
        FeedStatus::Quiet if before != "quiet" => Some("feed.quiet"),
        FeedStatus::Ok if matches!(before, "failing" | "quiet") => Some("feed.recovered"),
        _ => None,
    }
}

/// Queues a health event for `[alerts] health_webhooks` when the feed's
/// status changed in a way users care about. Returns the alerts queued.
fn report_health(
    writes: Writes<'_>,
    engine: &Engine,
    feed: &FeedRow,
    record: &FetchRecord,
    now: DateTime<Utc>,
) -> usize {
    let Some(kind) = health_change(&feed.status, record.status) else {
        return 0;
    };
    warn!(
        event = kind,
        status = record.status.as_str(),
        "feed health changed"
    );
    let payload = crate::outbox::health_event(
        kind,
        &feed.name,
        &feed.current_url,
        record.error.as_deref(),
        now,
    );
    let mut queued = 0;
    for webhook in &engine.config.alerts.health_webhooks {
        match writes.enqueue_health_event(webhook, &payload, now) {
            Ok(_) => queued += 1,
            Err(e) => warn!(webhook = %webhook, error = %e, "unable to queue a health event"),
        }
    }
    queued
}

/// [`ingest`] in the feed's own savepoint of the group, with a database
/// error or a panic in a stage (a bug that some item triggers) turned into
/// this feed's error: the savepoint rolled back (as the panic unwound), so
/// the feed shows failing and the other feeds of the group are stored.
fn guarded_ingest(
    group: &mut Group<'_>,
    engine: &Engine,
    feed: &FeedRow,
    ready: &mut Ready,
    now: DateTime<Utc>,
) -> Result<PollSummary, String> {
    let stored = std::panic::catch_unwind(AssertUnwindSafe(|| {
        group.isolated(|writes| ingest(writes, engine, feed, ready, now))
    }));
    match stored {
        Ok(Ok(result)) => result.map_err(|e| e.to_string()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(panic) => Err(internal_error(&*panic)),
    }
}

/// The feed's error text for a caught panic.
fn internal_error(panic: &(dyn std::any::Any + Send)) -> String {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("unknown panic");
    format!("internal error while processing the feed (panic: {message})")
}

/// Test-only fault: with `STEPPEWATCH_TEST_PANIC_FEED=<feed name>` set, storing
/// that feed's articles panics inside the store transaction, so the end-to-end
/// tests can show that a panic costs only that feed's poll. Debug builds only.
#[cfg(debug_assertions)]
fn test_panic(feed: &str) {
    if std::env::var("STEPPEWATCH_TEST_PANIC_FEED").is_ok_and(|f| f == feed) {
        panic!("test panic while processing feed {feed}");
    }
}

#[cfg(not(debug_assertions))]
fn test_panic(_feed: &str) {}

/// Stores the articles of one poll. The store asks for the matches of the
/// new and changed articles only, and gets those computed off the lock.
/// `ready` is left as it was prepared (the matches are copied, not taken),
/// so that a group that failed as a whole can store it again alone.
fn ingest(
    writes: Writes<'_>,
    engine: &Engine,
    feed: &FeedRow,
    ready: &mut Ready,
    now: DateTime<Utc>,
) -> Result<PollSummary, crate::store::StoreError> {
    recheck_skipped(writes, engine, feed.id, ready);
    let prepared = ready.prepared();
    let Ready {
        articles,
        matches,
        fingerprints,
    } = ready;
    let mut matcher = |a: &Article| {
        test_panic(&feed.name);
        articles
            .iter()
            .position(|x| std::ptr::eq(x, a))
            .and_then(|n| matches[n].clone())
            .unwrap_or_else(|| match_article(engine, a))
    };
    let report = writes.ingest(articles, fingerprints, &mut matcher, now)?;
    Ok(PollSummary {
        new: report.new.len(),
        updated: report.updated.len(),
        alerts: report.alerts,
        prepared,
        error: None,
    })
}

/// Puts the items skipped as unchanged through the stages after all when
/// they no longer are stored with that text (retention deleted them, or
/// another poll changed them, after they were compared): the store must
/// never see an article without its language and tags. Runs with the store
/// locked, so nothing changes between this check and the ingest.
fn recheck_skipped(writes: Writes<'_>, engine: &Engine, feed_id: i64, ready: &mut Ready) {
    let skipped: Vec<usize> = (0..ready.matches.len())
        .filter(|&n| ready.matches[n].is_none())
        .collect();
    if skipped.is_empty() {
        return;
    }
    let items: Vec<(&str, ArticleText<'_>)> = skipped
        .iter()
        .map(|&n| {
            (
                ready.articles[n].identity.as_str(),
                ready.articles[n].text(),
            )
        })
        .collect();
    let still = writes.unchanged_items(feed_id, &items).unwrap_or_default();
    for n in skipped {
        if !still.contains(&ready.articles[n].identity) {
            ready.matches[n] = Some(analyse(engine, &mut ready.articles[n]));
        }
    }
}

/// The feed's display name: as stored (configured name or earlier title), else the
/// feed's own title.
fn feed_name(feed: &FeedRow, parsed: &ParsedFeed) -> String {
    if feed.name != feed.url {
        return feed.name.clone();
    }
    parsed
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| feed.name.clone())
}

/// One item through the pure stages: URL normalisation, language, tags.
pub fn to_article(
    engine: &Engine,
    feed_id: i64,
    feed: &str,
    item: &Item,
    now: DateTime<Utc>,
) -> Article {
    let mut article = take_article(feed_id, feed, &mut item.clone(), now);
    analyse(engine, &mut article);
    article
}

/// An item as an article before language detection and tagging: what the
/// store compares to find it unchanged. The item's text (title, summary,
/// body, HTML) moves into the article, leaving the item empty of it.
fn take_article(feed_id: i64, feed: &str, item: &mut Item, now: DateTime<Utc>) -> Article {
    let url = item
        .url
        .as_deref()
        .and_then(|u| crate::urlnorm::normalize(u, None))
        .unwrap_or_default();
    let published = item
        .published
        .or(item.updated)
        .map(|p| crate::parser::clamp_published(p, now))
        .unwrap_or(now);
    item.body_html = None;
    Article {
        feed_id,
        feed: feed.to_string(),
        identity: item.identity.clone(),
        url,
        title: std::mem::take(&mut item.title),
        summary: std::mem::take(&mut item.summary),
        body: std::mem::take(&mut item.body),
        lang: None,
        published,
        fetched: now,
        tags: Default::default(),
    }
}

/// Language, tags, then the watchlist matches, which read the tags.
fn analyse(engine: &Engine, article: &mut Article) -> Vec<Match> {
    let folded = text::fold_article(article.text());
    analyse_folded(engine, article, &folded)
}

/// [`analyse`] given the article's fields folded ([`text::fold_article`]).
fn analyse_folded(engine: &Engine, article: &mut Article, folded: &[Folded; 3]) -> Vec<Match> {
    article.lang = crate::lang::detect_article(article.text());
    article.tags = engine.tagger.tag_folded(article.text(), folded);
    let ctx = Context {
        feed: &article.feed,
        tags: &article.tags,
    };
    engine.watchlists.match_folded(article.text(), folded, ctx)
}

fn match_article(engine: &Engine, a: &Article) -> Vec<Match> {
    engine.watchlists.match_article(
        a.text(),
        Context {
            feed: &a.feed,
            tags: &a.tags,
        },
    )
}

fn plan(engine: &Engine, cfg: &FeedConfig) -> Plan {
    let poll = &engine.config.poll;
    Plan::new(
        engine.config.feed_interval(cfg),
        cfg.interval.is_some(),
        poll.min_interval,
        poll.max_interval,
    )
}

fn next(wait: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    let wait = scheduler::jitter(wait, rand::random::<f64>());
    now + chrono::Duration::from_std(wait).unwrap_or_else(|_| chrono::Duration::days(1))
}

fn not_modified(plan: &Plan, max_age: Option<Duration>, now: DateTime<Utc>) -> FetchRecord {
    FetchRecord {
        at: now,
        status: FeedStatus::NotModified,
        http_status: Some(304),
        error: None,
        etag: None,
        last_modified: None,
        new_url: None,
        title: None,
        next_poll: next(plan.after_success(None, max_age), now),
        retry_after: None,
        consecutive_failures: 0,
        new_items: 0,
    }
}

fn success(
    feed: &FeedRow,
    plan: &Plan,
    body: &Fetched,
    parsed: &ParsedFeed,
    summary: &PollSummary,
    now: DateTime<Utc>,
) -> FetchRecord {
    let published: Vec<DateTime<Utc>> = parsed
        .items
        .iter()
        .filter_map(|i| i.published.or(i.updated))
        .collect();
    let cadence = scheduler::cadence(&published);
    let hint = match (parsed.ttl_secs.map(Duration::from_secs), body.max_age) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let quiet = scheduler::is_quiet(published.iter().max().copied(), cadence, now);
    if let Some(new_url) = &body.permanent_redirect {
        info!(from = %feed.current_url, to = %new_url, "feed moved permanently; using the new URL");
    }
    FetchRecord {
        at: now,
        status: if quiet {
            FeedStatus::Quiet
        } else {
            FeedStatus::Ok
        },
        http_status: Some(body.status),
        error: None,
        etag: body.etag.clone(),
        last_modified: body.last_modified.clone(),
        new_url: body.permanent_redirect.clone(),
        title: parsed.title.clone(),
        next_poll: next(plan.after_success(cadence, hint), now),
        retry_after: None,
        consecutive_failures: 0,
        new_items: summary.new,
    }
}

fn failure(
    feed: &FeedRow,
    plan: &Plan,
    http_status: Option<u16>,
    retry_after: Option<Duration>,
    error: String,
    now: DateTime<Utc>,
) -> (FetchRecord, PollSummary) {
    let failures = feed.consecutive_failures + 1;
    let mut wait = plan.after_failure(failures);
    let mut retry_at = None;
    if let Some(r) = retry_after {
        let r = scheduler::retry_after(r);
        wait = wait.max(r);
        retry_at = Some(now + chrono::Duration::from_std(r).unwrap_or_default());
    }
    let status = if failures >= scheduler::FAILING_AFTER {
        FeedStatus::Failing
    } else {
        FeedStatus::Error
    };
    let record = FetchRecord {
        at: now,
        status,
        http_status,
        error: Some(error.clone()),
        etag: None,
        last_modified: None,
        new_url: None,
        title: None,
        next_poll: retry_at
            .unwrap_or_else(|| next(wait, now))
            .max(next(wait, now)),
        retry_after: retry_at,
        consecutive_failures: failures,
        new_items: 0,
    };
    (
        record,
        PollSummary {
            error: Some(error),
            ..Default::default()
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use axum::extract::State;
    use axum::http::header;
    use axum::response::IntoResponse;

    const WATCHLISTS: &str = r#"
[[watchlist]]
name = "xinjiang"
any = ["Urumqi", "Kashgar"]
webhooks = ["ops", "chat"]

[[watchlist]]
name = "railway"
any = ["Khorgos"]
webhooks = ["ops"]

[[webhook]]
name = "ops"
url = "https://hooks.example.org/ops"

[[webhook]]
name = "chat"
url = "https://hooks.example.org/chat"
"#;

    const KHORGOS: &str = "Kazakhstan opened a second railway crossing at Khorgos, doubling the capacity of the route to the east.";
    const URUMQI: &str = "A new flight connects Almaty with Urumqi three times a week from the spring, the airline said on Monday.";
    const NOTHING: &str = "The central bank kept its base rate unchanged and said that inflation slowed for the third month in a row.";
    const KHORGOS_KASHGAR: &str = "Kazakhstan opened a second railway crossing at Khorgos; trains go on to Kashgar, doubling the capacity of the route.";

    /// Makes an item's text a full article rather than a teaser, so that the
    /// poller fetches no page for it.
    const FILLER: &str = "The report was published on the ministry's website together with \
        the figures for the previous year. Officials said that the work would continue through \
        the winter and that more details would follow after the meeting of the government \
        commission. Analysts expect the numbers to be revised in the coming weeks, as more \
        regional offices send their data. The next review is planned for the end of the quarter, \
        when the budget for the following year is discussed by the parliament and the cabinet.";

    /// An RSS document of items (guid, text), served without ETag or Last-Modified.
    fn rss(items: &[(&str, &str)]) -> String {
        let items: String = items
            .iter()
            .map(|(guid, text)| {
                format!(
                    "<item><guid>{guid}</guid><link>https://news.example.org/{guid}</link>\
                     <title>News {guid}</title><description>{text} {FILLER}</description>\
                     <pubDate>Sun, 29 Nov 2026 06:00:00 GMT</pubDate></item>"
                )
            })
            .collect();
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Test</title>\
             <link>https://news.example.org/</link>{items}</channel></rss>"
        )
    }

    async fn serve_feed(body: Arc<Mutex<String>>) -> String {
        async fn feed(State(body): State<Arc<Mutex<String>>>) -> axum::response::Response {
            let body = body.lock().unwrap().clone();
            ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
        }
        let app = axum::Router::new()
            .route("/feed.xml", axum::routing::get(feed))
            .with_state(body);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/feed.xml")
    }

    fn engine(dir: &std::path::Path, url: &str) -> Arc<Engine> {
        let toml = format!(
            "[storage]\npath = \"{}\"\n\n[fetch]\nallow_private = true\n\n[[feed]]\nurl = \"{url}\"\n{WATCHLISTS}",
            dir.join("test.db").display()
        );
        let config = Config::from_toml(&toml, &dir.join("test.toml")).expect("valid configuration");
        Arc::new(Engine::build(config).expect("engine"))
    }

    fn context(engine: &Engine) -> PollContext {
        let store = Store::open(&engine.config.storage.path).unwrap();
        PollContext::new(
            Arc::new(Mutex::new(store)),
            Fetcher::new(&engine.config.fetch).unwrap(),
            Arc::new(Notify::new()),
            CancellationToken::new(),
        )
    }

    /// An engine over `sections` (feeds, fetch settings) and [`WATCHLISTS`],
    /// with a database in a temporary directory, a poll context and the
    /// feeds' rows.
    fn with_feeds(sections: &str) -> (tempfile::TempDir, Arc<Engine>, PollContext, Vec<FeedRow>) {
        let dir = tempfile::tempdir().unwrap();
        let toml = format!(
            "[storage]\npath = \"{}\"\n\n{sections}{WATCHLISTS}",
            dir.path().join("test.db").display()
        );
        let config = Config::from_toml(&toml, &dir.path().join("test.toml")).unwrap();
        let engine = Arc::new(Engine::build(config).unwrap());
        let ctx = context(&engine);
        let rows = lock(&ctx.store)
            .sync_feeds(&engine.config.feeds, Utc::now())
            .unwrap();
        (dir, engine, ctx, rows)
    }

    /// The feed's row as the scheduler reads it before each poll.
    fn row(ctx: &PollContext, engine: &Engine) -> (FeedRow, FeedConfig) {
        let mut store = ctx.store.lock().unwrap();
        let rows = store.sync_feeds(&engine.config.feeds, Utc::now()).unwrap();
        (rows[0].clone(), engine.config.feeds[0].clone())
    }

    async fn poll(ctx: &PollContext, engine: &Arc<Engine>) -> PollSummary {
        let (feed, cfg) = row(ctx, engine);
        let summary = poll_feed(ctx, engine.clone(), feed, cfg).await;
        assert_eq!(summary.error, None);
        summary
    }

    #[tokio::test]
    async fn issue10_a_repoll_of_an_unchanged_feed_prepares_nothing_and_an_edit_alerts_only_new_watchlists()
     {
        let dir = tempfile::tempdir().unwrap();
        let body = Arc::new(Mutex::new(rss(&[
            ("a", KHORGOS),
            ("b", URUMQI),
            ("c", NOTHING),
        ])));
        let url = serve_feed(body.clone()).await;
        let engine = engine(dir.path(), &url);
        let ctx = context(&engine);

        let first = poll(&ctx, &engine).await;
        assert_eq!((first.new, first.prepared), (3, 3));
        assert_eq!(first.alerts, 3, "railway to ops, xinjiang to ops and chat");

        // The server has no ETag: the same 200 again.
        let again = poll(&ctx, &engine).await;
        assert_eq!(
            (again.new, again.updated, again.prepared, again.alerts),
            (0, 0, 0, 0)
        );

        // An edit of one item: only it is prepared, and only the watchlist
        // it newly matches alerts.
        *body.lock().unwrap() = rss(&[("a", KHORGOS_KASHGAR), ("b", URUMQI), ("c", NOTHING)]);
        let edited = poll(&ctx, &engine).await;
        assert_eq!((edited.new, edited.updated, edited.prepared), (0, 1, 1));
        assert_eq!(
            edited.alerts, 2,
            "xinjiang to ops and chat; railway matched before"
        );

        let store = ctx.store.lock().unwrap();
        let listed = store.list_articles(&Default::default()).unwrap();
        assert_eq!(listed.len(), 3);
        assert!(listed.iter().all(|a| a.lang.as_deref() == Some("en")));
    }

    #[tokio::test]
    async fn issue10_an_item_skipped_as_unchanged_but_changed_before_the_ingest_is_prepared_then() {
        let dir = tempfile::tempdir().unwrap();
        let body = Arc::new(Mutex::new(rss(&[("a", NOTHING)])));
        let url = serve_feed(body.clone()).await;
        let engine = engine(dir.path(), &url);
        let ctx = context(&engine);
        poll(&ctx, &engine).await;

        // The poller compared the item while it was stored with this text...
        let (feed, _) = row(&ctx, &engine);
        let mut parsed_v2 = crate::parser::parse(
            rss(&[("a", URUMQI)]).as_bytes(),
            Some("application/rss+xml"),
            &url,
        )
        .unwrap();
        let unchanged: HashSet<String> = [parsed_v2.items[0].identity.clone()].into();
        let mut ready = prepare(&engine, &feed, &mut parsed_v2, &unchanged, Utc::now()).unwrap();
        assert_eq!(ready.prepared(), 0, "skipped as unchanged");
        // ...but the store holds another text by the time it ingests.
        let mut store = ctx.store.lock().unwrap();
        let mut group = store.begin_group(true).unwrap();
        let summary = guarded_ingest(&mut group, &engine, &feed, &mut ready, Utc::now()).unwrap();
        group.commit().unwrap();
        assert_eq!((summary.updated, summary.prepared), (1, 1));
        assert_eq!(summary.alerts, 2, "the new text matches xinjiang");
        let listed = store.list_articles(&Default::default()).unwrap();
        assert_eq!(listed[0].lang.as_deref(), Some("en"));
        assert_eq!(listed[0].watchlists, vec!["xinjiang".to_string()]);
    }

    /// Three feeds' polls as the writer finds them queued: fetched, parsed
    /// and prepared, each with its reply channel.
    fn queued(
        engine: &Arc<Engine>,
        rows: &[FeedRow],
        docs: &[String],
    ) -> (Vec<Job>, Vec<oneshot::Receiver<PollSummary>>) {
        let now = Utc::now();
        let mut jobs = Vec::new();
        let mut answers = Vec::new();
        for (n, (row, doc)) in rows.iter().zip(docs).enumerate() {
            let url = format!("https://news.example.org/{n}.xml");
            let mut parsed =
                crate::parser::parse(doc.as_bytes(), Some("application/rss+xml"), &url).unwrap();
            let body = Fetched {
                body: Vec::new(),
                content_type: None,
                etag: Some(format!("\"v{n}\"")),
                last_modified: None,
                final_url: url,
                permanent_redirect: None,
                max_age: None,
                status: 200,
            };
            let prepared = prepare(engine, row, &mut parsed, &HashSet::new(), now);
            let (reply, answer) = oneshot::channel();
            jobs.push(Job {
                engine: engine.clone(),
                feed: row.clone(),
                cfg: engine.config.feeds[n].clone(),
                fetched: Fetch::Parsed(Box::new(body), parsed),
                prepared: Some(prepared),
                now,
                reply,
            });
            answers.push(answer);
        }
        (jobs, answers)
    }

    #[tokio::test]
    async fn issue10_a_group_stores_every_feed_but_the_failing_one_with_its_fetch_record() {
        let (_dir, engine, ctx, rows) = with_feeds(
            "[[feed]]\nurl = \"https://a.example.org/feed\"\n\n\
             [[feed]]\nurl = \"https://b.example.org/feed\"\n\n[[feed]]\nurl = \"https://c.example.org/feed\"\n",
        );
        let docs = [
            rss(&[("a1", KHORGOS), ("a2", NOTHING)]),
            rss(&[("b1", URUMQI), ("b2", NOTHING)]),
            rss(&[("c1", KHORGOS_KASHGAR)]),
        ];
        let (mut jobs, mut answers) = queued(&engine, &rows, &docs);
        // Feed b's second article names a feed that does not exist: its first
        // article is written, then the foreign key fails; the savepoint must
        // take the first one back too.
        if let Some(Ok(ready)) = &mut jobs[1].prepared {
            ready.articles[1].feed_id = 999;
            ready.articles[1].url = "https://elsewhere.example.org/b2".into();
        }
        settle_group(&mut lock(&ctx.store), jobs);

        let summaries: Vec<PollSummary> =
            answers.iter_mut().map(|a| a.try_recv().unwrap()).collect();
        assert_eq!(
            (summaries[0].new, summaries[0].alerts, &summaries[0].error),
            (2, 1, &None)
        );
        assert_eq!(
            (summaries[2].new, summaries[2].alerts, &summaries[2].error),
            (1, 3, &None)
        );
        assert_eq!(summaries[1].new, 0);
        assert!(
            summaries[1]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("FOREIGN KEY")),
            "{:?}",
            summaries[1].error
        );

        let store = lock(&ctx.store);
        let mut titles: Vec<String> = store
            .list_articles(&Default::default())
            .unwrap()
            .into_iter()
            .map(|a| a.title)
            .collect();
        titles.sort();
        assert_eq!(titles, ["News a1", "News a2", "News c1"]);
        // Each feed's fetch record committed with its articles (or its error).
        let feeds = store.list_feeds(None).unwrap();
        let state: Vec<(Option<&str>, &str)> = feeds
            .iter()
            .map(|f| (f.etag.as_deref(), f.status.as_str()))
            .collect();
        assert_eq!(
            state,
            [
                (Some("\"v0\""), "ok"),
                (None, "error"),
                (Some("\"v2\""), "ok")
            ]
        );
        assert!(
            feeds[1]
                .last_error
                .as_deref()
                .is_some_and(|e| e.contains("FOREIGN KEY"))
        );
    }

    #[tokio::test]
    async fn issue10_a_group_takes_the_oldest_polls_within_its_bounds() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path(), "https://a.example.org/feed");
        let ctx = context(&engine);
        let rows = lock(&ctx.store)
            .sync_feeds(&engine.config.feeds, Utc::now())
            .unwrap();
        let row = rows[0].clone();
        let (mut jobs, _answers) = queued(&engine, &[row], &[rss(&[("a", NOTHING)])]);
        let job = jobs.pop().unwrap();
        let mut queue = VecDeque::new();
        for _ in 0..MAX_GROUP_FEEDS + 3 {
            let (reply, _) = oneshot::channel();
            queue.push_back(Job {
                engine: engine.clone(),
                feed: job.feed.clone(),
                cfg: job.cfg.clone(),
                fetched: Fetch::NotModified(None),
                prepared: None,
                now: job.now,
                reply,
            });
        }
        let queue = Mutex::new(queue);
        assert_eq!(take_group(&queue).len(), MAX_GROUP_FEEDS);
        assert_eq!(take_group(&queue).len(), 3);
        assert!(take_group(&queue).is_empty());
    }

    #[tokio::test]
    async fn issue10_a_body_waits_unparsed_while_the_unstored_budget_is_full() {
        // Two feeds whose bodies are each over half the budget: while the
        // writer is held, the first is parsed and queued, the second is
        // fetched but waits for room; once the writer runs both are stored.
        let text = FILLER.repeat(4);
        let items = |feed: &str| -> Vec<(String, &str)> {
            let n = MAX_UNSTORED_BYTES * 55 / 100 / (text.len() + FILLER.len());
            (0..n)
                .map(|i| (format!("{feed}{i}"), text.as_str()))
                .collect()
        };
        let doc = |feed| {
            let items = items(feed);
            let items: Vec<(&str, &str)> = items.iter().map(|(g, t)| (g.as_str(), *t)).collect();
            rss(&items)
        };
        let (a, b) = (doc("a"), doc("b"));
        assert!(a.len() > MAX_UNSTORED_BYTES / 2 && a.len() < MAX_UNSTORED_BYTES);
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let app = {
            let (a, b, requests) = (a.clone(), b.clone(), requests.clone());
            let serve = move |body: String, requests: Arc<std::sync::atomic::AtomicUsize>| {
                move || async move {
                    requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
                }
            };
            axum::Router::new()
                .route("/a.xml", axum::routing::get(serve(a, requests.clone())))
                .route("/b.xml", axum::routing::get(serve(b, requests)))
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let (_dir, engine, ctx, rows) = with_feeds(&format!(
            "[fetch]\nallow_private = true\n\n\
             [[feed]]\nurl = \"http://{addr}/a.xml\"\n\n[[feed]]\nurl = \"http://{addr}/b.xml\"\n",
        ));
        let writer = ctx.writer.clone().acquire_owned().await.unwrap();
        let polls = rows
            .iter()
            .zip(&engine.config.feeds)
            .map(|(row, cfg)| poll_feed(&ctx, engine.clone(), row.clone(), cfg.clone()));
        let polls = futures_util::future::join_all(polls);
        let watch = async {
            while requests.load(std::sync::atomic::Ordering::SeqCst) < 2
                || lock(&ctx.queue).is_empty()
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Both bodies fetched, one poll queued: the other must still be
            // waiting for room, however long the writer is held.
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(lock(&ctx.queue).len(), 1, "the second feed waits unparsed");
            assert!(ctx.unstored.available_permits() < a.len() / 1024);
            drop(writer);
        };
        let (summaries, ()) = tokio::join!(polls, watch);
        let expected = items("a").len();
        for summary in summaries {
            assert_eq!(summary.error, None);
            assert_eq!(summary.new, expected);
        }
        assert_eq!(
            ctx.unstored.available_permits(),
            UNSTORED_KIB,
            "all room back"
        );
    }

    #[tokio::test]
    async fn issue10_a_body_larger_than_the_budget_takes_all_of_it_and_an_empty_one_a_kib() {
        let budget = Semaphore::new(UNSTORED_KIB);
        let huge = room_for(&budget, 10 * MAX_UNSTORED_BYTES).await;
        assert_eq!(budget.available_permits(), 0);
        drop(huge);
        let empty = room_for(&budget, 0).await;
        assert_eq!(budget.available_permits(), UNSTORED_KIB - 1);
        drop(empty);
        let body = room_for(&budget, 1025).await;
        assert_eq!(budget.available_permits(), UNSTORED_KIB - 2);
        drop(body);
    }
}
