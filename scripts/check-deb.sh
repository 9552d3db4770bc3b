#!/usr/bin/env bash
# Builds the Debian package with cargo-deb and checks what it installs:
# the binary in /usr/bin, the systemd unit, and the default configuration
# registered as a conffile (so an upgrade never overwrites local edits).
# Installs cargo-deb first when it is missing (a few minutes, once).
# Extra arguments go to cargo deb (e.g. --no-build to package the current
# target/release/steppewatch).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deb --version >/dev/null 2>&1; then
    cargo install cargo-deb --locked
fi

# cargo deb prints the paths of what it built: the package and, with
# `dbgsym = true`, the -dbgsym.ddeb holding the debug symbols.
deb=$(cargo deb --locked --fast "$@" 2>&1 | tee /dev/stderr | grep -E '/steppewatch_[^/]*\.deb$' | tail -n 1)
[ -f "$deb" ] || { echo "check-deb: cargo deb printed no package path" >&2; exit 1; }
echo "== dpkg-deb --contents $deb"
contents=$(dpkg-deb --contents "$deb")
printf '%s\n' "$contents"

fail=0
expect() {
    if printf '%s\n' "$contents" | grep -Eq "$1"; then
        echo "ok: $2"
    else
        echo "MISSING: $2" >&2
        fail=1
    fi
}
expect '^-rwxr-xr-x .* \./usr/bin/steppewatch$' "binary /usr/bin/steppewatch"
expect ' \./(usr/)?lib/systemd/system/steppewatch\.service$' "unit lib/systemd/system/steppewatch.service"
expect ' \./etc/steppewatch/steppewatch\.toml$' "configuration /etc/steppewatch/steppewatch.toml"

# The shipped binary is stripped (debug symbols go to the -dbgsym package):
# with line tables it is about five times larger.
size=$(printf '%s\n' "$contents" | awk '$NF == "./usr/bin/steppewatch" { print $3 }')
if [ -n "$size" ] && [ "$size" -lt $((40 * 1024 * 1024)) ]; then
    echo "ok: /usr/bin/steppewatch is $((size / 1024 / 1024)) MiB (stripped)"
else
    echo "TOO LARGE: /usr/bin/steppewatch is ${size:-?} bytes; is it stripped?" >&2
    fail=1
fi

ctrl=$(mktemp -d)
trap 'rm -rf "$ctrl"' EXIT
dpkg-deb --control "$deb" "$ctrl"
if grep -qx '/etc/steppewatch/steppewatch.toml' "$ctrl/conffiles"; then
    echo "ok: /etc/steppewatch/steppewatch.toml is a conffile"
else
    echo "MISSING: /etc/steppewatch/steppewatch.toml in conffiles" >&2
    fail=1
fi
grep -q 'install -d -m 0700 -o root -g root /etc/steppewatch/credentials' "$ctrl/postinst" \
    && echo "ok: postinst creates /etc/steppewatch/credentials" \
    || { echo "MISSING: postinst creating /etc/steppewatch/credentials" >&2; fail=1; }
exit $fail
