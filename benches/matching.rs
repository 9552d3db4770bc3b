//! Watchlist matching throughput: 10, 1,000 and 10,000 terms over a few MB of
//! generated English and Russian news text, cut into articles as the daemon sees them.
//!
//! Run: `cargo bench --bench matching -- --warm-up-time 1 --measurement-time 3`.
//! Throughput counts the original bytes of title and body. The target is at least
//! 100 MB/s on one core with 10,000 terms.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use steppewatch::config::WatchlistConfig;
use steppewatch::matcher::{Context, WatchlistSet};
use steppewatch::model::{ArticleText, Tags};
use steppewatch::terms::{TermKind, TermSetBuilder};
use steppewatch::text::fold;

/// Size of the generated text: large enough to leave the CPU caches.
const TEXT_BYTES: usize = 4 << 20;
/// Typical size of an article's text.
const ARTICLE_BYTES: usize = 3_000;
const TERMS_PER_WATCHLIST: usize = 10;

#[rustfmt::skip]
const ENGLISH: &[&str] = &[
    "the", "of", "and", "to", "in", "a", "on", "for", "with", "said", "is", "was", "by", "at",
    "from", "that", "will", "has", "president", "government", "minister", "trade", "border",
    "railway", "crossing", "freight", "transit", "cargo", "energy", "gas", "oil", "pipeline",
    "water", "river", "agreement", "talks", "visit", "delegation", "investment", "billion",
    "million", "tonnes", "percent", "year", "region", "cooperation", "project", "construction",
    "exports", "imports", "market", "prices", "wheat", "cotton", "coal", "uranium", "copper",
    "gold", "mining", "company", "bank", "loan", "development", "security", "meeting", "summit",
    "parliament", "election", "court", "rights", "journalists", "police", "officials", "ministry",
    "national", "international", "new", "first", "second", "third", "increase", "growth",
    "economy", "tourism", "tourists", "flights", "airport", "station", "terminal", "logistics",
    "corridor", "route", "container", "trucks", "customs", "checkpoint", "dry", "port",
];

#[rustfmt::skip]
const RUSSIAN: &[&str] = &[
    "и", "в", "на", "с", "по", "что", "для", "не", "из", "о", "как", "также", "президент",
    "правительство", "министр", "торговли", "граница", "границы", "железной", "дороги", "переход",
    "грузов", "транзит", "энергетики", "газа", "нефти", "трубопровод", "воды", "реки",
    "соглашение", "переговоры", "визит", "делегация", "инвестиции", "миллиардов", "миллионов",
    "тонн", "процентов", "года", "региона", "сотрудничества", "проекта", "строительства",
    "экспорт", "импорт", "рынка", "цены", "пшеницы", "хлопка", "угля", "урана", "меди", "золота",
    "компании", "банка", "кредит", "развития", "безопасности", "встречи", "саммита", "парламента",
    "выборов", "суда", "прав", "журналистов", "полиции", "чиновники", "министерства",
    "национальный", "международный", "новый", "первый", "второй", "третий", "рост", "экономики",
    "туризма", "туристов", "рейсов", "аэропорта", "станции", "терминала", "логистики", "коридора",
    "маршрута", "контейнеров", "грузовиков", "таможни", "пункта", "порт", "ёмкость",
];

#[rustfmt::skip]
const NAMES: &[&str] = &[
    "Kazakhstan", "Uzbekistan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "China", "Russia",
    "Tokayev", "Mirziyoyev", "Japarov", "Rahmon", "Almaty", "Astana", "Tashkent", "Bishkek",
    "Dushanbe", "Ashgabat", "Xinjiang", "Urumqi", "Khorgos", "Dostyk", "Caspian", "Aktau",
    "Fergana", "Samarkand", "Osh", "Казахстан", "Узбекистан", "Кыргызстан", "Таджикистан",
    "Китай", "Россия", "Токаев", "Мирзиёев", "Алматы", "Астана", "Ташкент", "Бишкек", "Душанбе",
    "Синьцзян", "Урумчи", "Хоргос", "Каспийского", "Актау", "Ферганской", "Самарканд",
];

/// A small deterministic generator, so every run measures the same text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// One sentence of 8 to 24 words, in English or Russian, with a name now and then.
fn sentence(rng: &mut Rng, words: &[&str], out: &mut String) {
    let n = 8 + rng.next() % 17;
    for i in 0..n {
        let word = if rng.chance(6) {
            rng.pick(NAMES)
        } else {
            rng.pick(words)
        };
        if i == 0 {
            let mut chars = word.chars();
            out.extend(chars.next().into_iter().flat_map(char::to_uppercase));
            out.push_str(chars.as_str());
        } else {
            out.push_str(word);
        }
        out.push_str(if i + 1 == n {
            ". "
        } else if rng.chance(8) {
            ", "
        } else {
            " "
        });
    }
}

/// Articles (title, body) adding up to about `TEXT_BYTES`.
fn articles(rng: &mut Rng) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut total = 0;
    while total < TEXT_BYTES {
        let words = if rng.chance(50) { ENGLISH } else { RUSSIAN };
        let mut title = String::new();
        sentence(rng, words, &mut title);
        let mut body = String::new();
        while body.len() < ARTICLE_BYTES {
            sentence(rng, words, &mut body);
            if rng.chance(25) {
                body.push_str("\n\n");
            }
        }
        total += title.len() + body.len();
        out.push((title, body));
    }
    out
}

/// A made-up proper name in Latin or Cyrillic letters, like most watch terms.
fn made_up_name(rng: &mut Rng) -> String {
    const LATIN: &[&str] = &[
        "ka", "zh", "ar", "bek", "tau", "sul", "ny", "qo", "mir", "dan", "ur", "os", "gul", "tem",
    ];
    const CYRILLIC: &[&str] = &[
        "ка", "жа", "ар", "бек", "тау", "сул", "ны", "қо", "мир", "дан", "ур", "ос", "гүл", "тем",
    ];
    let syllables = if rng.chance(50) { LATIN } else { CYRILLIC };
    let n = 2 + rng.next() % 3;
    (0..n).map(|_| rng.pick(syllables)).collect()
}

/// Watchlists with `terms` terms in all, 10 to a watchlist: made-up names (like
/// most watch terms, they rarely occur), some phrases and some prefixes, and
/// `real` of the names that do occur in the text.
fn watchlists(rng: &mut Rng, terms: usize, real: usize) -> Vec<WatchlistConfig> {
    let mut all: Vec<String> = (0..terms)
        .map(|i| {
            if i < real {
                return NAMES[i % NAMES.len()].to_owned();
            }
            let mut term = made_up_name(rng);
            if rng.chance(10) {
                term = format!("{term} {}", made_up_name(rng));
            }
            if rng.chance(10) {
                term.push('*');
            }
            term
        })
        .collect();
    // Spread the real names over the watchlists rather than bunching them in one.
    if real > TERMS_PER_WATCHLIST {
        for i in 0..real {
            let j = (i * terms / real + i % TERMS_PER_WATCHLIST) % terms;
            all.swap(i, j);
        }
    }
    let mut lists = Vec::new();
    while !all.is_empty() {
        let any = all.split_off(all.len().saturating_sub(TERMS_PER_WATCHLIST));
        let name = format!("w{}", lists.len());
        lists.push(WatchlistConfig {
            name,
            any,
            ..WatchlistConfig::default()
        });
    }
    lists
}

/// CPU time of the benchmark thread, so that "MB/s on one core" means that on a
/// machine shared with other work. Read from `/proc/thread-self/stat` (user plus
/// system time, in clock ticks of 10 ms: criterion's samples are long enough);
/// wall time where that file does not exist.
struct ThreadCpuTime {
    wall: WallTime,
}

/// Linux reports times in `/proc` in USER_HZ ticks, 100 per second on every
/// mainstream architecture.
const TICK: Duration = Duration::from_millis(10);

fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at field 3.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<u32>().ok()? + fields.get(12)?.parse::<u32>().ok()?;
    Some(TICK * ticks)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = (Option<Duration>, Instant);
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        (thread_cpu_time(), Instant::now())
    }

    fn end(&self, (cpu, wall): Self::Intermediate) -> Duration {
        match (cpu, thread_cpu_time()) {
            (Some(a), Some(b)) => b - a,
            _ => wall.elapsed(),
        }
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, d: &Duration) -> f64 {
        d.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

fn cpu_time() -> Criterion<ThreadCpuTime> {
    Criterion::default().with_measurement(ThreadCpuTime { wall: WallTime })
}

/// Matches `articles` against `set` once; returns how many watchlists matched.
fn match_all(set: &WatchlistSet, articles: &[(String, String)], tags: &Tags) -> usize {
    let ctx = Context {
        feed: "bench",
        tags,
    };
    let mut matched = 0;
    for (title, body) in articles {
        let text = ArticleText {
            title,
            summary: "",
            body,
        };
        matched += set.match_article(text, ctx).len();
    }
    matched
}

fn bench(c: &mut Criterion<ThreadCpuTime>) {
    let mut rng = Rng(0x5eed_cafe_f00d);
    let articles = articles(&mut rng);
    let bytes: usize = articles.iter().map(|(t, b)| t.len() + b.len()).sum();
    let tags = Tags {
        countries: vec!["KZ".into()],
        ..Tags::default()
    };
    let mut group = c.benchmark_group("matching");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(10);

    group.bench_function("fold only", |b| {
        b.iter(|| {
            for (title, body) in &articles {
                black_box(fold(title));
                black_box(fold(body));
            }
        })
    });

    // The same ten names that occur in the text in every set, so that the matches
    // found stay the same and only the number of terms grows.
    let sets = [(10, 10), (1_000, 10), (10_000, 10), (10_000, 100)];
    for (terms, real) in sets {
        let lists = watchlists(&mut rng, terms, real);
        let started = Instant::now();
        let set = WatchlistSet::compile(&lists).expect("generated watchlists compile");
        let compiled = started.elapsed();
        let matched = match_all(&set, &articles, &tags);
        let name = if real == 10 {
            "match_article"
        } else {
            "match_article, 100 names"
        };
        eprintln!(
            "{name}/{terms}: {} watchlists compiled in {compiled:.0?}, {:.1} matches per article",
            lists.len(),
            matched as f64 / articles.len() as f64
        );
        group.bench_with_input(BenchmarkId::new(name, terms), &set, |b, set| {
            b.iter(|| black_box(match_all(set, &articles, &tags)))
        });
    }

    // The automaton alone over folded text, for the breakdown.
    let mut builder = TermSetBuilder::new();
    let lists = watchlists(&mut rng, 10_000, 10);
    for (i, term) in lists.iter().flat_map(|w| &w.any).enumerate() {
        let term = term.trim_end_matches('*');
        builder
            .add(term, TermKind::Word, i as u32)
            .expect("generated terms are valid");
    }
    let set = builder.build().expect("generated terms compile");
    eprintln!(
        "automaton of 10000 terms: {} MB",
        set.memory_usage() / 1_000_000
    );
    let folded: Vec<_> = articles.iter().map(|(t, b)| (fold(t), fold(b))).collect();
    group.bench_function("automaton only/10000", |b| {
        b.iter(|| {
            let mut hits = 0;
            for (t, body) in &folded {
                set.for_each_hit(&t.text, |_| hits += 1);
                set.for_each_hit(&body.text, |_| hits += 1);
            }
            black_box(hits)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = cpu_time();
    targets = bench
}
criterion_main!(benches);
