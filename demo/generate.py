#!/usr/bin/env python3
"""Regenerates demo/feeds/*.xml from tests/fixtures/dev-set/articles.json.

The demo feeds are the dev set's labelled articles, split by language into three
feeds in two formats (RSS 2.0 and Atom), so `steppewatch demo` exercises both
parsers, English and Cyrillic tagging, and every dev-set watchlist. Article
links point at demo.steppewatch.example (a reserved name) rather than at the
outlets, because the texts are samples written for the tests, not the
outlets' own articles. Run from the repository root:

    python3 demo/generate.py
"""
import json
from datetime import datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "demo" / "feeds"

FEEDS = [
    # file, format, title, languages
    ("steppe-wire.xml", "rss", "Steppe Wire (demo): Central Asia in English", {"en"}),
    ("caspian-vestnik.xml", "atom", "Каспийский вестник (demo): новости на русском", {"ru"}),
    ("regional-languages.xml", "rss", "Regional languages (demo): Kazakh, Kyrgyz, Tajik, Uzbek, Chinese", {"kk", "ky", "tg", "uz", "zh"}),
]


def link(a):
    slug = "".join(c if c.isalnum() else "-" for c in a["source"].lower()).strip("-")
    return f"https://demo.steppewatch.example/{slug}/{a['id']}"


def html_body(a):
    return "".join(f"<p>{escape(p.strip())}</p>" for p in a["body"].split("\n\n"))


def rss(title, articles):
    items = []
    for a in articles:
        date = format_datetime(datetime.fromisoformat(a["published"].replace("Z", "+00:00")))
        items.append(
            "  <item>\n"
            f"    <title>{escape(a['title'])}</title>\n"
            f"    <link>{link(a)}</link>\n"
            f"    <guid isPermaLink=\"false\">urn:steppewatch:demo:{a['id']}</guid>\n"
            f"    <dc:creator>{escape(a['source'])}</dc:creator>\n"
            f"    <pubDate>{date}</pubDate>\n"
            f"    <description>{escape(a['summary'])}</description>\n"
            f"    <content:encoded><![CDATA[{html_body(a)}]]></content:encoded>\n"
            "  </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"  <title>{escape(title)}</title>\n"
        "  <link>https://demo.steppewatch.example/</link>\n"
        "  <description>Sample feed bundled with steppewatch for `steppewatch demo`.</description>\n"
        "  <ttl>15</ttl>\n"
        + "".join(items)
        + "</channel>\n</rss>\n"
    )


def atom(title, articles):
    entries = []
    for a in articles:
        entries.append(
            "  <entry>\n"
            f"    <title>{escape(a['title'])}</title>\n"
            f"    <id>urn:steppewatch:demo:{a['id']}</id>\n"
            f"    <link rel=\"alternate\" href=\"{link(a)}\"/>\n"
            f"    <author><name>{escape(a['source'])}</name></author>\n"
            f"    <published>{a['published']}</published>\n"
            f"    <updated>{a['published']}</updated>\n"
            f"    <summary>{escape(a['summary'])}</summary>\n"
            f"    <content type=\"html\">{escape(html_body(a))}</content>\n"
            "  </entry>\n"
        )
    updated = max(a["published"] for a in articles)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <title>{escape(title)}</title>\n"
        "  <id>urn:steppewatch:demo:caspian-vestnik</id>\n"
        "  <link rel=\"alternate\" href=\"https://demo.steppewatch.example/\"/>\n"
        f"  <updated>{updated}</updated>\n"
        + "".join(entries)
        + "</feed>\n"
    )


def main():
    articles = json.loads((ROOT / "tests/fixtures/dev-set/articles.json").read_text())
    articles.sort(key=lambda a: a["published"], reverse=True)
    for name, fmt, title, langs in FEEDS:
        chosen = [a for a in articles if a["lang"] in langs]
        text = rss(title, chosen) if fmt == "rss" else atom(title, chosen)
        (OUT / name).write_text(text)
        print(f"{name}: {len(chosen)} items")


if __name__ == "__main__":
    main()
