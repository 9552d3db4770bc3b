//! The store: one SQLite file in WAL mode; all SQL lives under this module.
//!
//! One `Store` is one connection. The daemon owns a single writer `Store`
//! (behind a std `Mutex`, used from `spawn_blocking`); readers such as the CLI
//! and the HTTP API open their own.

pub mod alerts;
pub mod articles;
pub mod feeds;
pub mod search;

use std::path::{Path, PathBuf};

/// Schema migrations, applied in order, each in its own transaction.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_alert_delivery.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open { path: PathBuf, source: rusqlite::Error },
    #[error("database {path} has schema version {found}, newer than this steppewatch knows ({known}); refusing to touch it")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("database {path}: migration {version} failed: {message}")]
    Migration { path: PathBuf, version: i64, message: String },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// A connection to the database.
pub struct Store {
    pub(crate) conn: rusqlite::Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    ///
    /// # Errors
    /// The file cannot be opened, a migration fails, or the schema is newer than this binary.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open { path: path.to_path_buf(), source };
        let mut conn = rusqlite::Connection::open(path).map_err(open_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(open_err)?;
        migrate(&mut conn, path)?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Applies the migrations this database lacks, each in its own transaction,
/// tracking progress in `PRAGMA user_version`.
fn migrate(conn: &mut rusqlite::Connection, path: &Path) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > known {
        return Err(StoreError::TooNew { path: path.to_path_buf(), found, known });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let fail = |e: rusqlite::Error| StoreError::Migration {
            path: path.to_path_buf(),
            version,
            message: e.to_string(),
        };
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(sql).map_err(fail)?;
        tx.pragma_update(None, "user_version", version).map_err(fail)?;
        tx.commit().map_err(fail)?;
    }
    Ok(())
}
