//! Helpers for end-to-end tests: a feed server, a webhook receiver and the real
//! binary with a temporary configuration and database.

#![allow(dead_code)]

pub mod daemon;
pub mod feed_server;
pub mod feeds;
pub mod webhook_peer;

#[allow(unused_imports)]
pub use daemon::{Daemon, Env};
pub use feed_server::{FeedServer, Reply};
#[allow(unused_imports)]
pub use webhook_peer::WebhookPeer;

/// Path of a file under tests/fixtures.
pub fn fixture(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Contents of a file under tests/fixtures.
pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}
