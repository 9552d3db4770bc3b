//! steppewatch: a daemon that watches Central Asian news.
//!
//! # Layout
//!
//! One feed's poll runs the stages below in order; `poll` is the only module
//! that knows that order.
//!
//! `scheduler -> fetcher -> parser -> extractor -> tagger -> store[insert -> matcher -> outbox] -> notifier`
//!
//! - [`config`]: the TOML file as written, validated into an immutable `Config`.
//! - [`scheduler`]: decides when each feed is due, with concurrency limits.
//! - [`fetcher`]: HTTP with conditional GET, time and size caps and an address guard.
//! - [`parser`]: feed bytes to items with a deterministic identity.
//! - [`extractor`]: HTML to clean plain text; main-text extraction from article pages.
//! - [`urlnorm`]: one spelling per URL (tracking parameters, canonical links).
//! - [`lang`]: language of an article. [`discover`]: a site's feeds from its home page.
//! - [`text`] and [`terms`]: folding and the multi-term automaton shared by tagger and matcher.
//! - [`tagger`]: countries, regions and topics from a multilingual gazetteer.
//! - [`matcher`]: watchlists compiled once; which match an article and why.
//! - [`story`]: near-duplicate fingerprints that group one story across outlets and scripts.
//! - [`store`]: SQLite; one poll is one transaction that also writes the alert outbox.
//! - [`outbox`]: alert policy without I/O: ids, payloads, retry schedule.
//! - [`notifier`]: delivers due alerts to webhooks.
//! - [`http`]: the JSON API, Atom feeds, the web page, `/healthz` and `/metrics`.
//! - [`daemon`]: starts and stops the tasks; [`cli`]: the command line;
//!   [`demo`]: sample feeds and an alert sink for `steppewatch demo`.
//! - [`health`], [`metrics`], [`sdnotify`]: what an operator sees: `/healthz`,
//!   `/metrics` with the events that log and count, and systemd readiness and watchdog;
//!   [`memory`]: freed heap returned to the kernel when idle.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod demo;
pub mod discover;
pub mod engine;
pub mod extractor;
pub mod fetcher;
pub mod health;
pub mod http;
pub mod lang;
pub mod matcher;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod notifier;
pub mod opml;
pub mod outbox;
pub mod parser;
pub mod poll;
pub mod replay;
pub mod scheduler;
pub mod sdnotify;
pub mod store;
pub mod story;
pub mod tagger;
pub mod telemetry;
pub mod terms;
pub mod text;
pub mod urlnorm;
