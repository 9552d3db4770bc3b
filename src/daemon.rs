//! Starts and joins the daemon's tasks: the feed scheduler, the alert
//! notifier, configuration reload (SIGHUP and file changes) and shutdown.
//!
//! Shutdown is one `CancellationToken`. Poll tasks are tracked and are never
//! cancelled mid-transaction: a poll still waiting on the network is
//! abandoned (nothing of it is written yet), one that reached the store runs
//! to its commit, and the daemon waits for them up to `SHUTDOWN_DEADLINE`.
//!
//! systemd is told `READY=1` once the database is open and every task has
//! started, `RELOADING=1` around a SIGHUP reload and `STOPPING=1` at
//! shutdown; the watchdog task pings while the scheduler's heartbeat is fresh.

use crate::config::Config;
use crate::engine::Engine;
use crate::fetcher::Fetcher;
use crate::health::Health;
use crate::metrics::events;
use crate::poll::{self, PollContext, PollSummary};
use crate::sdnotify;
use crate::store::Store;
use crate::store::feeds::FeedRow;
use anyhow::Context as _;
use chrono::Utc;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{error, info, warn};

/// How long shutdown waits for polls and deliveries in flight.
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(20);

/// Longest the scheduler sleeps without looking again, so that a clock jump
/// or a missed wake-up costs at most this much.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// How long `run --once` waits for due alerts to be delivered.
pub const ONCE_DELIVERY_WAIT: Duration = Duration::from_secs(30);

/// Opens the configured database, creating its directory when needed.
///
/// # Errors
/// The directory cannot be created or the database cannot be opened.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    let path = &config.storage.path;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("unable to create {}", dir.display()))?;
    }
    Ok(Store::open(path)?)
}

/// Everything the tasks share.
struct Shared {
    config_path: PathBuf,
    poll: PollContext,
    engine: watch::Sender<Arc<Engine>>,
    /// Wakes the scheduler early: a reload or a finished poll.
    reschedule: Notify,
    /// The scheduler's heartbeat, read by `/healthz` and the watchdog task.
    health: Arc<Health>,
}

/// Runs the daemon until `shutdown` resolves (or, with `once`, until every feed
/// was polled once and due alerts were delivered).
///
/// # Errors
/// Start-up failures: the database, the HTTP client. Failures of single feeds
/// or deliveries are logged and never end the daemon.
pub async fn run(
    config_path: &Path,
    engine: Engine,
    once: bool,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let config = engine.config.clone();
    let mut store = open_store(&config)?;
    info!(database = %store.path().display(), "database open");
    if let Err(e) = store.checkpoint_in_background() {
        warn!(error = %e, "WAL checkpoints stay in the writer's commits");
    }
    let fetcher = Fetcher::new(&config.fetch).context("unable to build the HTTP client")?;
    let shared = Arc::new(Shared {
        config_path: config_path.to_path_buf(),
        poll: PollContext::new(
            Arc::new(Mutex::new(store)),
            fetcher,
            Arc::new(Notify::new()),
            shutdown.clone(),
        ),
        engine: watch::Sender::new(Arc::new(engine)),
        reschedule: Notify::new(),
        health: Arc::new(Health::default()),
    });
    if once {
        return run_once(&shared).await;
    }
    let http = bind_http(&config).await?;
    let tracker = TaskTracker::new();
    if let Some(listener) = http {
        tracker.spawn(serve_http(listener, shared.clone(), shutdown.clone()));
    }
    tracker.spawn(reload_on_sighup(shared.clone(), shutdown.clone()));
    if config.reload.watch_file {
        tracker.spawn(reload_on_change(shared.clone(), shutdown.clone()));
    }
    tracker.spawn(notifier_task(shared.clone(), shutdown.clone()));
    tracker.spawn(schedule(shared.clone(), shutdown.clone(), tracker.clone()));
    tracker.spawn(retention(shared.clone(), shutdown.clone()));
    sdnotify::status(&format!(
        "watching {} feeds, {} watchlists",
        config.feeds.len(),
        config.watchlists.len()
    ));
    sdnotify::ready();
    // Pings start only after READY=1: systemd's watchdog runs from readiness.
    tracker.spawn(crate::health::watchdog(
        shared.health.clone(),
        shutdown.clone(),
    ));
    shutdown.cancelled().await;
    sdnotify::stopping();
    info!("shutting down");
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_DEADLINE, tracker.wait())
        .await
        .is_err()
    {
        warn!(
            deadline_s = SHUTDOWN_DEADLINE.as_secs(),
            "tasks still running at the shutdown deadline"
        );
    }
    info!("stopped");
    Ok(())
}

/// Binds `[http] listen` before systemd is told the daemon is ready, so a
/// port in use or a public address without a token stops start-up with a
/// clear error instead of a daemon without its API.
///
/// # Errors
/// A public address without `[http] token` (a configuration error), or the bind fails.
async fn bind_http(config: &Config) -> anyhow::Result<Option<tokio::net::TcpListener>> {
    let Some(listen) = config.http.listen else {
        return Ok(None);
    };
    crate::http::check_bind(listen, config.http.token.as_ref()).map_err(|problem| {
        crate::config::ConfigError {
            problems: vec![format!("{}: {problem}", config.path.display())],
        }
    })?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("unable to listen on {listen} ([http] listen)"))?;
    Ok(Some(listener))
}

/// Serves the API, the page, `/healthz` and `/metrics` until shutdown.
async fn serve_http(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    let config = shared.engine.borrow().config.clone();
    let Ok(listen) = listener.local_addr() else {
        return;
    };
    let state = crate::http::AppState::new(
        config.storage.path.clone(),
        shared.engine.subscribe(),
        config.http.token.clone(),
        config.http.hosts.clone(),
        listen,
    )
    .with_health(shared.health.clone());
    if let Err(e) = crate::http::serve(listener, state, shutdown.cancelled_owned()).await {
        error!(error = %e, "HTTP server failed");
    }
}

/// `run --once`: every feed that may be polled now, once, then due alerts.
async fn run_once(shared: &Arc<Shared>) -> anyhow::Result<()> {
    let engine = shared.engine.borrow().clone();
    let feeds = sync_feeds(shared, &engine).await?;
    let now = Utc::now();
    let limit = Arc::new(Semaphore::new(engine.config.poll.concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for (row, cfg) in feeds {
        if !pollable_now(&row, now) {
            info!(feed = %row.name, status = %row.status, "feed skipped: gone or asked us to wait");
            continue;
        }
        let (shared, engine, limit) = (shared.clone(), engine.clone(), limit.clone());
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            // Boxed: the poll's state (about 4 KB) is allocated once it may
            // run, not for each of the 200 tasks waiting for a permit.
            Box::pin(poll::poll_feed(&shared.poll, engine, row, cfg)).await
        });
    }
    let mut total = PollSummary::default();
    while let Some(done) = tasks.join_next().await {
        if let Ok(s) = done {
            total.new += s.new;
            total.alerts += s.alerts;
        }
    }
    info!(
        new = total.new,
        alerts = total.alerts,
        "all feeds polled once"
    );
    let report =
        crate::notifier::drain(&shared.poll.store, &engine.config, ONCE_DELIVERY_WAIT).await;
    info!(?report, "due alerts delivered");
    Ok(())
}

/// True unless the feed is gone or a Retry-After still holds.
fn pollable_now(row: &FeedRow, now: chrono::DateTime<Utc>) -> bool {
    row.status != "gone" && row.retry_after.is_none_or(|t| t <= now)
}

/// Writes the configured feeds to the store and pairs each row with its configuration.
async fn sync_feeds(
    shared: &Arc<Shared>,
    engine: &Engine,
) -> anyhow::Result<Vec<(FeedRow, crate::config::FeedConfig)>> {
    let store = shared.poll.store.clone();
    let feeds = engine.config.feeds.clone();
    tokio::task::spawn_blocking(move || {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        let rows = store.sync_feeds(&feeds, Utc::now())?;
        Ok(rows.into_iter().zip(feeds).collect())
    })
    .await?
}

/// The scheduler loop: polls each feed when due, at most `[poll] concurrency`
/// at once, one poll per feed at a time.
async fn schedule(shared: Arc<Shared>, shutdown: CancellationToken, tracker: TaskTracker) {
    // Survives reloads: a feed whose poll is still running must not get a
    // second poll at once because the configuration changed meanwhile.
    let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
    let mut limit = Arc::new(Semaphore::new(
        shared.engine.borrow().config.poll.concurrency,
    ));
    let mut engine_rx = shared.engine.subscribe();
    let mut idle_trim = crate::memory::IdleTrim::default();
    loop {
        shared.health.beat();
        if engine_rx.has_changed().unwrap_or(false) {
            let engine = engine_rx.borrow_and_update().clone();
            limit = Arc::new(Semaphore::new(engine.config.poll.concurrency)); // old tasks keep their permits
        }
        let engine = engine_rx.borrow().clone();
        let wait = match sync_feeds(&shared, &engine).await {
            Ok(feeds) => start_due(&shared, &engine, feeds, &in_flight, &limit, &tracker),
            Err(e) => {
                error!(error = %e, "unable to read feeds from the database");
                MAX_IDLE
            }
        };
        let busy = !in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty();
        idle_trim.pass(busy, wait, || {
            // Not waiting for the writer: if something holds it, this is no idle moment.
            if let Ok(store) = shared.poll.store.try_lock()
                && let Err(e) = store.release_memory()
            {
                warn!(error = %e, "unable to release the database cache");
            }
        });
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = shared.reschedule.notified() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// Starts a poll for every due feed not already in flight; returns how long to
/// sleep until the next one is due.
fn start_due(
    shared: &Arc<Shared>,
    engine: &Arc<Engine>,
    feeds: Vec<(FeedRow, crate::config::FeedConfig)>,
    in_flight: &Arc<Mutex<HashSet<i64>>>,
    limit: &Arc<Semaphore>,
    tracker: &TaskTracker,
) -> Duration {
    let now = Utc::now();
    let mut wait = MAX_IDLE;
    for (row, cfg) in feeds {
        let due = row.next_poll.is_none_or(|t| t <= now) && pollable_now(&row, now);
        if !due {
            if let Some(t) = row.next_poll.filter(|_| row.status != "gone") {
                wait = wait.min((t - now).to_std().unwrap_or_default());
            }
            continue;
        }
        if !in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(row.id)
        {
            continue;
        }
        let (shared, engine, limit, in_flight) = (
            shared.clone(),
            engine.clone(),
            limit.clone(),
            in_flight.clone(),
        );
        tracker.spawn(async move {
            let id = row.id;
            if let Ok(_permit) = limit.acquire_owned().await {
                // Boxed, so that a waiting task does not hold the poll's state.
                Box::pin(poll::poll_feed(&shared.poll, engine, row, cfg)).await;
            }
            in_flight
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            shared.reschedule.notify_one();
        });
    }
    wait.max(Duration::from_millis(50))
}

/// Re-reads the configuration; a valid one replaces the running one, an
/// invalid one is refused and logged, and the running one stays.
pub fn reload(shared_engine: &watch::Sender<Arc<Engine>>, path: &Path) -> bool {
    match Engine::load(path) {
        Ok(engine) => {
            let feeds = engine.config.feeds.len();
            let watchlists = engine.config.watchlists.len();
            shared_engine.send_replace(Arc::new(engine));
            events::config_reloaded(&path.display().to_string(), feeds, watchlists);
            true
        }
        Err(e) => {
            events::config_refused(&path.display().to_string(), &e.problems.join("; "));
            false
        }
    }
}

async fn reload_on_sighup(shared: Arc<Shared>, shutdown: CancellationToken) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        error!("unable to listen for SIGHUP; reload by restart only");
        return;
    };
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = hup.recv() => {
                info!("SIGHUP received");
                sdnotify::reloading();
                if reload(&shared.engine, &shared.config_path) {
                    shared.reschedule.notify_one();
                }
                sdnotify::ready();
            }
        }
    }
}

/// How often old articles are pruned when `[storage] keep` is set.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Articles deleted per transaction while pruning, so a poll waits at most
/// for one small batch.
const PRUNE_BATCH: usize = 500;

/// Prunes articles older than `[storage] keep`, at start and then hourly.
async fn retention(shared: Arc<Shared>, shutdown: CancellationToken) {
    loop {
        let keep = shared.engine.borrow().config.storage.keep;
        if let Some(keep) = keep.and_then(|k| chrono::Duration::from_std(k).ok()) {
            let store = shared.poll.store.clone();
            let pruned = tokio::task::spawn_blocking(move || {
                let now = Utc::now();
                let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
                store.prune(now - keep, now, PRUNE_BATCH)
            })
            .await;
            match pruned {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => info!(articles = n, "old articles pruned"),
                Ok(Err(e)) => warn!(error = %e, "pruning failed; will retry"),
                Err(e) => warn!(error = %e, "pruning task failed; will retry"),
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
        }
    }
}

/// How long the file must be still before a change is read: editors write in
/// several steps (truncate, write, rename), and reading in between would see a
/// half-written file.
const SETTLE: Duration = Duration::from_millis(300);

/// Reloads when the configuration file changes. Watches the directory, since
/// editors often replace the file by renaming a new one over it.
async fn reload_on_change(shared: Arc<Shared>, shutdown: CancellationToken) {
    use notify::{RecursiveMode, Watcher};
    let path = shared.config_path.clone();
    let (Some(dir), Some(name)) = (
        path.parent().map(Path::to_path_buf),
        path.file_name().map(|n| n.to_os_string()),
    ) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && event
                .paths
                .iter()
                .any(|p| p.file_name() == Some(name.as_os_str()))
            && !matches!(event.kind, notify::EventKind::Access(_))
        {
            let _ = tx.send(());
        }
    });
    let mut watcher = match watcher {
        Ok(w) => w,
        Err(e) => {
            warn!(error = %e, "unable to watch the configuration file; reload with SIGHUP");
            return;
        }
    };
    if let Err(e) = watcher.watch(&dir, RecursiveMode::NonRecursive) {
        warn!(error = %e, dir = %dir.display(), "unable to watch the configuration directory; reload with SIGHUP");
        return;
    }
    let mut last = std::fs::read(&path).ok();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            got = rx.recv() => if got.is_none() { return },
        }
        // Let the edit settle, and fold the burst of events it made into one.
        tokio::time::sleep(SETTLE).await;
        while rx.try_recv().is_ok() {}
        let now = std::fs::read(&path).ok();
        if now.is_none() || now == last {
            continue;
        }
        last = now;
        info!(path = %path.display(), "configuration file changed");
        if reload(&shared.engine, &path) {
            shared.reschedule.notify_one();
        }
    }
}

async fn notifier_task(shared: Arc<Shared>, shutdown: CancellationToken) {
    crate::notifier::run(
        shared.poll.store.clone(),
        shared.engine.subscribe(),
        shared.poll.alerts_wake.clone(),
        shutdown,
    )
    .await;
}

/// Resolves at SIGTERM or SIGINT. The handlers are installed by this call,
/// not when the future is first polled, so a signal that arrives while the
/// daemon is still starting (building the tagger takes a moment) is seen
/// instead of killing the process. Call it inside the runtime.
pub fn termination() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    async move {
        tokio::select! {
            _ = term.recv() => info!("SIGTERM received"),
            _ = int.recv() => info!("SIGINT received"),
        }
    }
}
