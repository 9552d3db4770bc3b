#!/bin/sh
# End-to-end ingest benchmark (benches/ingest.rs): builds the release binary,
# serves 200 generated feeds x 50 items on 127.0.0.1-50, and measures
# `steppewatch run --once` cold and again when every feed answers 304, with
# 1,000 watch terms configured. newsboat is measured side by side when it is
# installed (`apt-get install newsboat`). Needs GNU time (/usr/bin/time).
#
# Usage: scripts/bench-ingest.sh            (BENCH_REPS=3 by default)
#        BENCH_REPS=5 scripts/bench-ingest.sh
# The table is printed and written to target/bench-ingest.md.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then
    echo "bench-ingest: needs GNU time at /usr/bin/time (apt-get install time)" >&2
    exit 1
fi
command -v newsboat >/dev/null 2>&1 ||
    echo "bench-ingest: newsboat not found; measuring steppewatch only" >&2
exec cargo bench --bench ingest
