#!/usr/bin/env bash
# Resource use of an idle daemon: a release build with 200 feeds configured,
# served locally (python3 -m http.server over generated copies of the demo
# feeds, ~8 items each), after the first round of polls has finished.
#
# Reports resident memory (VmRSS now, VmHWM = peak) from /proc/PID/status, and
# CPU use between polls from /proc/PID/stat (utime + stime over a window).
# Targets: under 30 MB (28.6 MiB) resident and near 0% CPU.
#
#   scripts/measure-idle.sh              # builds target/release/steppewatch first
#   FEEDS=200 WINDOW=60 scripts/measure-idle.sh
#   STEPPEWATCH_BIN=/usr/bin/steppewatch scripts/measure-idle.sh
set -euo pipefail
cd "$(dirname "$0")/.."
FEEDS=${FEEDS:-200}
WINDOW=${WINDOW:-60}
BIN=${STEPPEWATCH_BIN:-}
if [ -z "$BIN" ]; then
    cargo build --release --locked --quiet --bin steppewatch
    BIN=$PWD/target/release/steppewatch
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
feed_port=$(free_port)
http_port=$(free_port)

# 200 feeds: the demo feeds with ids, links and titles made unique per copy.
mkdir -p "$work/feeds"
python3 - "$work/feeds" "$FEEDS" <<'PY'
import pathlib, re, sys
out, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
src = sorted(pathlib.Path("demo/feeds").glob("*.xml"))
for i in range(n):
    text = src[i % len(src)].read_text()
    text = re.sub(r"urn:steppewatch:demo:", f"urn:steppewatch:idle{i}:", text)
    text = text.replace("https://demo.steppewatch.example/", f"https://demo.steppewatch.example/c{i}/")
    text = re.sub(r"<title>", f"<title>[{i}] ", text)
    (out / f"feed{i}.xml").write_text(text)
PY

cfg=$work/steppewatch.toml
cat >"$cfg" <<TOML
[storage]
path = "$work/steppewatch.db"

[poll]
interval = "30m"
concurrency = 16

[fetch]
allow_private = true

[http]
listen = "127.0.0.1:$http_port"

[reload]
watch_file = true

$(sed -n '/^\[\[watchlist\]\]/,$p' demo/steppewatch.toml | sed '/^\[\[webhook\]\]/,$d' | sed 's/^webhooks = .*/webhooks = []/')
TOML
for i in $(seq 0 $((FEEDS - 1))); do
    printf '\n[[feed]]\nurl = "http://127.0.0.1:%s/feed%s.xml"\nname = "Feed %s"\n' "$feed_port" "$i" "$i" >>"$cfg"
done

(cd "$work/feeds" && exec python3 -m http.server "$feed_port" --bind 127.0.0.1 >/dev/null 2>&1) &
pids+=($!)
sleep 1

"$BIN" --config "$cfg" check >/dev/null
RUST_LOG=info "$BIN" --config "$cfg" run 2>"$work/daemon.log" &
pid=$!
pids+=($pid)

# Wait for the first round: one "feed polled" (or failed) line per feed.
start=$(date +%s.%N)
for _ in $(seq 1 600); do
    done_polls=$(grep -c 'feed poll' "$work/daemon.log" || true)
    [ "$done_polls" -ge "$FEEDS" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/daemon.log" >&2; exit 1; }
    sleep 0.2
done
first_round=$(echo "$(date +%s.%N) - $start" | bc)
articles=$("$BIN" --config "$cfg" articles list --json --limit 100000 | wc -l)
failed=$(grep -c 'feed poll failed' "$work/daemon.log" || true)
sleep 5   # let the last commits and the notifier settle

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks)
s0=$(date +%s.%N)
sleep "$WINDOW"
t1=$(ticks)
s1=$(date +%s.%N)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
anon=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")
file=$(awk '/^RssFile/ {print $2}' "/proc/$pid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status")
cpu=$(echo "scale=3; 100 * ($t1 - $t0) / $hz / ($s1 - $s0)" | bc)
health=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/healthz" 2>/dev/null) || true

printf 'feeds configured        %d (%d polls failed)\n' "$FEEDS" "$failed"
printf 'articles stored         %d\n' "$articles"
printf 'first round of polls    %.1f s\n' "$first_round"
printf 'resident memory idle    %.1f MiB (VmRSS)\n' "$(echo "$rss / 1024" | bc -l)"
printf 'resident memory peak    %.1f MiB (VmHWM)\n' "$(echo "$hwm / 1024" | bc -l)"
printf '  of which heap etc.    %.1f MiB (RssAnon)\n' "$(echo "$anon / 1024" | bc -l)"
printf '  of which file pages   %.1f MiB (RssFile: the binary and libraries, shared and reclaimable)\n' "$(echo "$file / 1024" | bc -l)"
printf 'threads                 %d\n' "$threads"
printf 'CPU between polls       %s%% over %d s (%d ticks)\n' "$cpu" "$WINDOW" "$((t1 - t0))"
printf '/healthz                %s\n' "$health"
