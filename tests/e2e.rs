//! End-to-end tests: the real binary against local feed servers and webhook
//! receivers on 127.0.0.1, with a real SQLite file.

mod support;

mod alerts;
mod articles;
mod crash;
mod faults;
mod fetching;
mod foundation;
mod service;
mod watchlists;
