//! Tagging throughput: the dev-set articles tagged one after another on one core.
//!
//! `cargo bench --bench tagging` reports bytes per second of article text
//! (title + summary + body); building the tagger is measured separately, and so
//! are the other per-article stages of ingest over the same text: folding alone
//! and the story fingerprint, and the writer's near-duplicate check (a stored
//! candidate re-shingled with `story::comparable`, then `Fingerprint::similarity`).

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use steppewatch::model::ArticleText;
use steppewatch::story;
use steppewatch::tagger::Tagger;
use steppewatch::text::{fold, fold_article};

#[derive(serde::Deserialize)]
struct Article {
    title: String,
    summary: String,
    body: String,
}

fn articles() -> Vec<Article> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/dev-set/articles.json"
    );
    let json = std::fs::read_to_string(path).expect("dev set is in the repository");
    serde_json::from_str(&json).expect("dev set parses")
}

fn text(a: &Article) -> ArticleText<'_> {
    ArticleText {
        title: &a.title,
        summary: &a.summary,
        body: &a.body,
    }
}

fn tagging(c: &mut Criterion) {
    let tagger = Tagger::new(&BTreeMap::new());
    let articles = articles();
    let bytes: usize = articles
        .iter()
        .map(|a| a.title.len() + a.summary.len() + a.body.len())
        .sum();
    let mut group = c.benchmark_group("tagging");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("dev_set", |b| {
        b.iter(|| {
            for a in &articles {
                black_box(tagger.tag(black_box(text(a))));
            }
        })
    });
    group.bench_function("fold_only", |b| {
        b.iter(|| {
            for a in &articles {
                for field in [&a.title, &a.summary, &a.body] {
                    black_box(fold(black_box(field)));
                }
            }
        })
    });
    group.bench_function("fingerprint", |b| {
        b.iter(|| {
            for a in &articles {
                black_box(story::fingerprint(black_box(text(a))));
            }
        })
    });
    group.bench_function("fold_article", |b| {
        b.iter(|| {
            for a in &articles {
                black_box(fold_article(black_box(text(a))));
            }
        })
    });
    let folded: Vec<_> = articles.iter().map(|a| fold_article(text(a))).collect();
    group.bench_function("fingerprint_folded", |b| {
        b.iter(|| {
            for (a, f) in articles.iter().zip(&folded) {
                black_box(story::fingerprint_folded(black_box(text(a)), f));
            }
        })
    });
    group.bench_function("tag_folded", |b| {
        b.iter(|| {
            for (a, f) in articles.iter().zip(&folded) {
                black_box(tagger.tag_folded(black_box(text(a)), f));
            }
        })
    });
    // Each article checked against its neighbour, as the writer checks a candidate.
    let prints: Vec<_> = articles
        .iter()
        .map(|a| story::fingerprint(text(a)))
        .collect();
    group.bench_function("comparable_similarity", |b| {
        b.iter(|| {
            for (a, p) in articles.iter().zip(prints.iter().cycle().skip(1)) {
                let theirs = story::comparable(black_box(text(a)));
                black_box(p.similarity(&theirs));
            }
        })
    });
    group.finish();
    let mut build = c.benchmark_group("tagger_build");
    build.sample_size(10);
    build.bench_function("new", |b| {
        b.iter(|| black_box(Tagger::new(&BTreeMap::new())))
    });
    build.finish();
}

criterion_group!(benches, tagging);
criterion_main!(benches);
