#!/bin/sh
# Supply-chain check: licences, bans (duplicate versions, wildcards) and
# sources, as stated in deny.toml. These checks read Cargo.lock and the crate
# sources cargo has already downloaded, so they need no network once
# `cargo fetch` has run. Installs cargo-deny when it is missing.
#
# Usage: scripts/check-deny.sh        (from anywhere in the repository)
set -eu
cd "$(dirname "$0")/.."

if ! command -v cargo-deny >/dev/null 2>&1; then
    echo "check-deny: installing cargo-deny (one-time, a few minutes)" >&2
    cargo install cargo-deny --locked
fi

# Crate sources must be present for the licence check to read their files.
cargo fetch --locked >/dev/null 2>&1 || cargo fetch --locked --offline

exec cargo deny --offline check licenses bans sources
