#!/usr/bin/env bash
# Checks systemd/steppewatch.service the way CI does:
#   1. `systemd-analyze verify` reports nothing. verify insists that every
#      Exec*= binary exists, and /usr/bin/steppewatch is not installed on a
#      build machine, so the unit is verified as a copy whose /usr/bin/steppewatch
#      points at the freshly built binary; every other line is checked as shipped.
#   2. `systemd-analyze security --offline=true` rates the exposure at most
#      $MAX_EXPOSURE (10 = unprotected, 0 = fully locked down; we need the network,
#      which costs about 1.0 by itself).
# Needs systemd-analyze (Debian: the `systemd` package) but no running systemd.
set -euo pipefail
cd "$(dirname "$0")/.."
UNIT=systemd/steppewatch.service
MAX_EXPOSURE=${MAX_EXPOSURE:-1.5}
BIN=${STEPPEWATCH_BIN:-$PWD/target/debug/steppewatch}

if ! command -v systemd-analyze >/dev/null; then
    echo "check-unit: systemd-analyze not found (apt-get install systemd)" >&2
    exit 1
fi
[ -x "$BIN" ] || cargo build --quiet --bin steppewatch

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s#/usr/bin/steppewatch#$BIN#g" "$UNIT" >"$tmp/steppewatch.service"

echo "== systemd-analyze verify $UNIT"
# verify prints problems but does not always exit non-zero for them; any output fails.
out=$(systemd-analyze verify --man=no "$tmp/steppewatch.service" 2>&1) || true
if [ -n "$out" ]; then
    echo "$out" >&2
    exit 1
fi
echo "ok"

echo "== systemd-analyze security --offline=true $UNIT"
report=$(systemd-analyze security --offline=true "$UNIT" 2>&1) || true
level=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for steppewatch.service: \([0-9.]*\).*/\1/p')
if [ -z "$level" ]; then
    echo "$report" >&2
    echo "check-unit: no exposure level in the report" >&2
    exit 1
fi
printf '%s\n' "$report" | grep '✗' || true
echo "exposure $level (at most $MAX_EXPOSURE)"
awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }'
