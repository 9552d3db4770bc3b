//! Parser and extractor throughput: a 50-item RSS feed through `parser::parse`
//! and through `parser::parse_text` (what the ingest uses), and an article
//! page through `extractor::extract_article`.
//!
//! Run with `cargo bench --bench parsing`; criterion reports MB/s per case.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use steppewatch::extractor::extract_article;
use steppewatch::parser::{parse, parse_text};

const FEED: &[u8] = include_bytes!("../tests/fixtures/feeds/rss2/kazinform-50.xml");
const PAGE: &str = include_str!("../tests/fixtures/pages/wordpress.html");

fn parsing(c: &mut Criterion) {
    let mut group = c.benchmark_group("parsing");
    group.throughput(Throughput::Bytes(FEED.len() as u64));
    group.bench_function("rss2_50_items", |b| {
        b.iter(|| {
            parse(
                black_box(FEED),
                Some("application/rss+xml; charset=utf-8"),
                "https://www.inform.kz/rss/eng.xml",
            )
            .unwrap()
        })
    });
    group.bench_function("rss2_50_items_text", |b| {
        b.iter(|| {
            parse_text(
                black_box(FEED),
                Some("application/rss+xml; charset=utf-8"),
                "https://www.inform.kz/rss/eng.xml",
            )
            .unwrap()
        })
    });
    group.throughput(Throughput::Bytes(PAGE.len() as u64));
    group.bench_function("extract_article_wordpress", |b| {
        b.iter(|| extract_article(black_box(PAGE), "https://astanatimes.com/2024/10/x/").unwrap())
    });
    group.finish();
}

criterion_group!(benches, parsing);
criterion_main!(benches);
