//! Liveness: the scheduler's heartbeat, the database write probe behind
//! `/healthz`, and the systemd watchdog task that pings only while both hold.
//!
//! The scheduler loop calls [`Health::beat`] every time it wakes (at least every
//! 30 s, its longest sleep). A heartbeat older than [`STUCK_AFTER`] means the
//! loop is wedged: `/healthz` turns 503 and the watchdog stops pinging, so
//! systemd restarts the service (`WatchdogSec=` in the unit).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Heartbeat age after which the scheduler counts as stuck. The loop sleeps
/// at most 30 s between wake-ups (`daemon::MAX_IDLE`) and a wake-up costs a
/// few milliseconds, so four sleeps without a beat cannot be a slow machine.
pub const STUCK_AFTER: Duration = Duration::from_secs(120);

/// How long the write probe waits for the writer's lock. Polls hold it for
/// one short transaction; waiting longer than this means a stuck writer.
const PROBE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The daemon's liveness state, shared by the scheduler (writes), `/healthz`
/// and the watchdog task (read).
#[derive(Debug)]
pub struct Health {
    started: Instant,
    /// Milliseconds since `started` at the last beat; an atomic because the
    /// scheduler writes it every loop and readers must never block it.
    last_beat_ms: AtomicU64,
    stuck_after: Duration,
}

impl Default for Health {
    fn default() -> Health {
        Health::new(STUCK_AFTER)
    }
}

impl Health {
    /// A heartbeat that counts as stuck after `stuck_after` without a beat.
    /// Creation counts as the first beat.
    pub fn new(stuck_after: Duration) -> Health {
        Health {
            started: Instant::now(),
            last_beat_ms: AtomicU64::new(0),
            stuck_after,
        }
    }

    /// Records that the scheduler loop is alive.
    pub fn beat(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_beat_ms.store(ms, Ordering::Relaxed);
    }

    /// Time since the last beat.
    pub fn heartbeat_age(&self) -> Duration {
        let last = Duration::from_millis(self.last_beat_ms.load(Ordering::Relaxed));
        self.started.elapsed().saturating_sub(last)
    }

    /// Ok while the scheduler has beaten within `stuck_after`.
    ///
    /// # Errors
    /// A sentence naming the heartbeat's age.
    pub fn check_scheduler(&self) -> Result<(), String> {
        let age = self.heartbeat_age();
        if age > self.stuck_after {
            return Err(format!(
                "scheduler stuck: no heartbeat for {} s",
                age.as_secs()
            ));
        }
        Ok(())
    }

    /// The whole health verdict: the scheduler is alive and the database at
    /// `db_path` accepts writes. Blocking (opens the database): call it from
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// A sentence saying which of the two failed and why.
    pub fn check(&self, db_path: &Path) -> Result<(), String> {
        self.check_scheduler()?;
        check_database(db_path)
    }
}

/// Ok when the database at `db_path` accepts writes. Blocking: call it from
/// `spawn_blocking`.
///
/// Two checks, because SQLite alone cannot see the first: within one process
/// SQLite reuses the descriptors of closed connections, and descriptors
/// opened before a `chmod` keep their write access, so a file made read-only
/// under a running daemon still takes its probe. `access(2)` asks the kernel
/// about the file as it is now (its mode for our identity, the immutable
/// flag, a read-only mount) without opening it; opening and closing the file
/// here would drop the POSIX locks SQLite holds on it. The SQLite probe then
/// catches a missing file and a writer stuck on the lock.
///
/// # Errors
/// A sentence naming the file and the reason.
pub fn check_database(db_path: &Path) -> Result<(), String> {
    let not_writable =
        |e: &dyn std::fmt::Display| format!("database {} not writable: {e}", db_path.display());
    rustix::fs::access(db_path, rustix::fs::Access::WRITE_OK).map_err(|e| not_writable(&e))?;
    probe_writable(db_path, PROBE_BUSY_TIMEOUT).map_err(|e| not_writable(&e))
}

/// Proves the database accepts writes: opens it without creating it, takes
/// the write lock, makes a change and rolls it back, so nothing is written.
/// A file made read-only, a read-only file system or a writer stuck holding
/// the lock all fail here.
///
/// `BEGIN IMMEDIATE; ROLLBACK` alone is not enough: in WAL mode SQLite grants
/// the write lock on a database it could only open read-only, and refuses only
/// the first page change. The probe's change is a table that never commits.
///
/// This is a probe rather than store SQL: it must never create, migrate or
/// modify the file it checks, which `Store::open` would.
fn probe_writable(db_path: &Path, busy_timeout: Duration) -> Result<(), rusqlite::Error> {
    use rusqlite::{Connection, OpenFlags};
    let conn = Connection::open_with_flags(
        db_path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy_timeout)?;
    probe(&conn)
}

/// The write probe on an open connection; rolls back whatever happens.
fn probe(conn: &rusqlite::Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let changed = conn.execute_batch("CREATE TABLE _steppewatch_health_probe (x)");
    let rolled_back = conn.execute_batch("ROLLBACK");
    changed.and(rolled_back)
}

/// Pings the systemd watchdog at half its interval while the scheduler's
/// heartbeat is fresh; returns at once when no watchdog is configured.
///
/// A stuck scheduler stops the pings (logged once), so systemd restarts the
/// service; a wedged runtime stops this task too, with the same result.
pub async fn watchdog(health: Arc<Health>, shutdown: CancellationToken) {
    let Some(interval) = crate::sdnotify::watchdog_interval() else {
        return;
    };
    tracing::info!(
        interval_ms = interval.as_millis() as u64,
        "systemd watchdog enabled"
    );
    let mut tick = tokio::time::interval(interval / 2);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut withheld = false;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match health.check_scheduler() {
            Ok(()) => {
                withheld = false;
                crate::sdnotify::watchdog();
            }
            Err(e) if !withheld => {
                withheld = true;
                tracing::error!(error = %e, "withholding the watchdog ping; systemd will restart the service");
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_db(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("probe.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x);")
            .unwrap();
        path
    }

    #[test]
    fn fresh_heartbeat_and_writable_database_are_healthy() {
        let dir = tempfile::tempdir().unwrap();
        let db = new_db(dir.path());
        let health = Health::default();
        health.beat();
        assert_eq!(health.check(&db), Ok(()));
    }

    #[test]
    fn stale_heartbeat_is_stuck() {
        let health = Health::new(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(5));
        let err = health.check_scheduler().unwrap_err();
        assert!(err.starts_with("scheduler stuck"), "{err}");
    }

    #[test]
    fn missing_database_is_not_created_and_fails() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("absent.db");
        let err = Health::default().check(&db).unwrap_err();
        assert!(err.contains("not writable"), "{err}");
        assert!(!db.exists());
    }

    #[test]
    fn read_only_wal_database_fails_although_it_grants_the_write_lock() {
        use rusqlite::{Connection, OpenFlags};
        let dir = tempfile::tempdir().unwrap();
        let db = new_db(dir.path());
        // What a connection to a file made read-only gets: SQLite falls back
        // to a read-only open (root would not, so the flag stands in for chmod).
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").unwrap();
        let err = probe(&conn).unwrap_err();
        assert_eq!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::ReadOnly));
        assert!(conn.is_autocommit(), "rolled back");
        let probe_table: i64 = Connection::open(&db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name LIKE '_steppewatch%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(probe_table, 0, "a healthy probe leaves nothing behind");
        assert_eq!(probe_writable(&db, Duration::from_millis(50)), Ok(()));
    }

    #[test]
    fn database_locked_by_a_stuck_writer_fails() {
        let dir = tempfile::tempdir().unwrap();
        let db = new_db(dir.path());
        let holder = rusqlite::Connection::open(&db).unwrap();
        holder
            .execute_batch("BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        let err = probe_writable(&db, Duration::from_millis(50)).unwrap_err();
        assert_eq!(
            err.sqlite_error_code(),
            Some(rusqlite::ErrorCode::DatabaseBusy)
        );
        drop(holder);
        assert!(probe_writable(&db, Duration::from_millis(50)).is_ok());
    }
}
