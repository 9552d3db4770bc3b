//! WAL checkpoints of the daemon's writer, on a thread of their own.
//!
//! A checkpoint copies the pages of the write-ahead log back into the
//! database file, then syncs the log and the file. By default SQLite runs one
//! inside the commit that takes the log past 1,000 pages, on the committing
//! connection's thread: the daemon's single writer then stops storing polls
//! for the copy and both fsyncs. In the cold ingest benchmark that was 14
//! checkpoints, with about 0.2 s of the writer's time waiting for the disk
//! (`strace -f -y -T -e trace=fsync`), while the writer is what the run
//! waits for.
//!
//! [`Checkpointer`] replaces that hook on the writer's connection: a commit
//! that takes the log past [`WAL_PAGES`] only wakes a thread with a
//! connection of its own, which runs a `PASSIVE` checkpoint. A passive
//! checkpoint never waits for the writer or for readers, and the writer keeps
//! appending meanwhile; the log restarts from its beginning at the first write
//! after a checkpoint has copied all of it. Should the thread fall far behind
//! (the log past [`WAL_PAGES_INLINE`]), the writer checkpoints inline again,
//! so the log stays bounded whatever happens to the thread.

use super::{BUSY_TIMEOUT, StoreError};
use rusqlite::{Connection, ffi};
use std::ffi::{c_char, c_int, c_void};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use tracing::debug;

/// Log pages after which a commit wakes the checkpoint thread: SQLite's own
/// default for checkpoints in the commit (16 MiB with 16 KiB pages).
pub const WAL_PAGES: c_int = 1000;

/// Log pages after which the writer checkpoints inside its commit after all,
/// because the thread has not kept up.
pub const WAL_PAGES_INLINE: c_int = 4 * WAL_PAGES;

/// The checkpoint thread of one writer connection. Stop it with
/// [`Checkpointer::stop`] before that connection closes.
pub(super) struct Checkpointer {
    /// The commit hook's context points into this; it lives until `stop`.
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    due: bool,
    stop: bool,
    /// Checkpoints the thread has run, for tests and logs.
    done: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Checkpointer {
    /// Opens a second connection to `path` for the thread, starts it, and
    /// hooks the commits of `writer` (which must be a connection to `path`).
    ///
    /// # Errors
    /// The second connection cannot be opened or the thread cannot start; the
    /// writer is then left as it was.
    pub(super) fn start(writer: &Connection, path: &Path) -> Result<Checkpointer, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let own = Connection::open(path).map_err(open_err)?;
        own.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("checkpoint".into())
            .spawn({
                let shared = shared.clone();
                move || run(&own, &shared)
            })
            .map_err(StoreError::Checkpointer)?;
        // SAFETY: the handle is live for the borrow of `writer`; the context
        // is the `Shared` that `self.shared` keeps alive, and `stop` removes
        // the hook before that reference is dropped.
        unsafe {
            ffi::sqlite3_wal_hook(
                writer.handle(),
                Some(on_commit),
                Arc::as_ptr(&shared).cast_mut().cast(),
            );
        }
        Ok(Checkpointer {
            shared,
            thread: Some(thread),
        })
    }

    /// Checkpoints the thread has run so far.
    pub(super) fn done(&self) -> u64 {
        self.shared.lock().done
    }

    /// Unhooks `writer` (SQLite's default, a checkpoint in the commit after
    /// [`WAL_PAGES`], applies again) and ends the thread, closing its
    /// connection, so that the writer's own close is the last one and leaves
    /// no log behind.
    pub(super) fn stop(mut self, writer: &Connection) {
        // Setting the pragma installs SQLite's own hook in place of ours.
        if let Err(e) = writer.pragma_update(None, "wal_autocheckpoint", WAL_PAGES) {
            debug!(error = %e, "unable to restore the WAL autocheckpoint");
        }
        self.shared.lock().stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        debug!(checkpoints = self.done(), "checkpoint thread stopped");
    }
}

/// The writer's WAL hook, called after each commit with the log's size in
/// pages. Returns `SQLITE_OK` whatever happens: the commit has happened.
unsafe extern "C" fn on_commit(
    context: *mut c_void,
    db: *mut ffi::sqlite3,
    name: *const c_char,
    pages: c_int,
) -> c_int {
    if pages >= WAL_PAGES_INLINE {
        // SAFETY: SQLite passes its live handle and the database's name.
        unsafe {
            ffi::sqlite3_wal_checkpoint_v2(
                db,
                name,
                ffi::SQLITE_CHECKPOINT_PASSIVE,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
        }
    } else if pages >= WAL_PAGES {
        // SAFETY: the context is the `Shared` registered by `start`, alive
        // until `stop` removes this hook.
        let shared = unsafe { &*context.cast::<Shared>() };
        shared.lock().due = true;
        shared.wake.notify_one();
    }
    ffi::SQLITE_OK
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let mut state = shared.lock();
            while !state.due && !state.stop {
                state = shared.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            if state.stop {
                return;
            }
            state.due = false;
        }
        let result = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
        });
        match result {
            Ok((log, copied)) => debug!(log, copied, "WAL checkpoint"),
            Err(e) => debug!(error = %e, "WAL checkpoint failed; the next commit retries"),
        }
        shared.lock().done += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testutil;
    use std::time::{Duration, Instant};

    /// Commits `pages` rows of almost a 16 KiB page each in one transaction.
    fn write_pages(conn: &Connection, pages: c_int) {
        conn.execute_batch(&format!(
            "CREATE TABLE IF NOT EXISTS filler(b BLOB);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {pages})
             INSERT INTO filler SELECT randomblob(16000) FROM n;"
        ))
        .unwrap();
    }

    /// Pages of the database file itself: they reach it only by checkpoints.
    fn file_pages(dir: &Path) -> u64 {
        std::fs::metadata(dir.join("test.db")).unwrap().len() / 16384
    }

    fn count(conn: &Connection) -> c_int {
        conn.query_row("SELECT count(*) FROM filler", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_commit_past_the_threshold_is_checkpointed_by_the_thread() {
        let (dir, mut store) = testutil::open();
        store.checkpoint_in_background().unwrap();
        write_pages(&store.conn, 100);
        write_pages(&store.conn, WAL_PAGES);
        let checkpointer = store.checkpointer.as_ref().unwrap();
        let started = Instant::now();
        while checkpointer.done() == 0 {
            assert!(started.elapsed() < Duration::from_secs(20), "no checkpoint");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(file_pages(dir.path()) > WAL_PAGES as u64 + 100);
        assert_eq!(count(&store.conn), WAL_PAGES + 100);
    }

    #[test]
    fn the_writer_checkpoints_in_its_commit_when_the_log_outgrows_the_thread() {
        let (dir, mut store) = testutil::open();
        store.checkpoint_in_background().unwrap();
        write_pages(&store.conn, WAL_PAGES_INLINE);
        // Copied by the time the commit returned, and not by the thread.
        assert!(file_pages(dir.path()) > WAL_PAGES_INLINE as u64);
        assert_eq!(store.checkpointer.as_ref().unwrap().done(), 0);
    }

    #[test]
    fn dropping_the_store_ends_the_thread_and_the_last_close_removes_the_log() {
        let (dir, mut store) = testutil::open();
        store.checkpoint_in_background().unwrap();
        store.checkpoint_in_background().unwrap();
        write_pages(&store.conn, 10);
        let wal = dir.path().join("test.db-wal");
        assert!(wal.exists());
        drop(store);
        assert!(!wal.exists(), "the writer's close was not the last one");
        let reopened = crate::store::Store::open(&dir.path().join("test.db")).unwrap();
        assert_eq!(count(&reopened.conn), 10);
    }
}
