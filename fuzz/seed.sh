#!/bin/sh
# Seeds fuzz/corpus/<target>/ from the test fixtures (the corpora themselves are
# not committed: libFuzzer grows them, and they are rebuilt from here).
#   parse_feed    every feed fixture, once per Content-Type selector byte
#   extract_html  the article-page fixtures and the feed fixtures
#   html_text     the same, and the HTML bodies of the feed fixtures' items
#   tag_match     dev-set watchlist terms, NUL, then each dev-set article
#   config_toml   the shipped configuration and the dev-set watchlists
set -eu
cd "$(dirname "$0")"
fixtures=../tests/fixtures
mkdir -p corpus/parse_feed corpus/extract_html corpus/html_text corpus/tag_match corpus/config_toml

for f in "$fixtures"/feeds/*/*; do
    case "$f" in *.md) continue ;; esac
    name=$(basename "$(dirname "$f")")-$(basename "$f")
    for sel in 0 1 4 5 6 129; do
        { printf "$(printf '\\%03o' "$sel")"; cat "$f"; } > "corpus/parse_feed/$sel-$name"
    done
    cp "$f" "corpus/extract_html/$name"
done
for f in "$fixtures"/pages/*.html; do
    cp "$f" "corpus/extract_html/$(basename "$f")"
    { printf '\201'; cat "$f"; } > "corpus/parse_feed/129-$(basename "$f")"
done

cp corpus/extract_html/* corpus/html_text/
python3 - "$fixtures/feeds" <<'PY'
import pathlib, sys, xml.etree.ElementTree as ET
out = pathlib.Path("corpus/html_text")
for f in sorted(pathlib.Path(sys.argv[1]).glob("*/*")):
    try:
        root = ET.parse(f).getroot()
    except (ET.ParseError, ValueError):
        continue
    for n, el in enumerate(root.iter()):
        tag = el.tag.rsplit("}", 1)[-1]
        if tag in ("description", "encoded", "content", "summary") and el.text and el.text.strip():
            (out / f"{f.parent.name}-{f.name}-{n}").write_text(el.text)
PY

python3 - "$fixtures/dev-set" <<'PY'
import json, re, sys, pathlib
dev = pathlib.Path(sys.argv[1])
terms = re.findall(r'"([^"]+)"', "\n".join(
    l for l in (dev / "watchlists.toml").read_text().splitlines()
    if l.startswith(("any", "all", "none"))))
articles = json.loads((dev / "articles.json").read_text())
out = pathlib.Path("corpus/tag_match")
for n, a in enumerate(articles):
    spec = ("translit\n" if n % 2 else "") + "\n".join(terms[n % 7::3])
    text = f"{a['title']}\n{a['summary']}\n\n{a['body']}"
    (out / f"dev-{a['id']}").write_bytes(spec.encode() + b"\0" + text.encode())
PY

cp ../config/steppewatch.toml corpus/config_toml/shipped.toml
cp "$fixtures"/dev-set/watchlists.toml corpus/config_toml/dev-watchlists.toml
echo "seeded: $(ls corpus/parse_feed | wc -l) feed, $(ls corpus/extract_html | wc -l) html, $(ls corpus/html_text | wc -l) html text, $(ls corpus/tag_match | wc -l) text, $(ls corpus/config_toml | wc -l) config inputs"
