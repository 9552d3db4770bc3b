//! `steppewatch articles list` and `steppewatch search`.

use super::{ArticleListArgs, CliError, CliResult, load_config, open_store, output};
use crate::store::articles::{ArticleFilter, ArticleView};
use std::path::Path;

pub fn list(path: &Path, args: &ArticleListArgs) -> CliResult {
    let config = load_config(path)?;
    let store = open_store(&config)?;
    let now = chrono::Utc::now();
    let filter = ArticleFilter {
        country: args.country.as_ref().map(|c| c.to_uppercase()),
        region: args.region.clone(),
        topic: args.topic.clone(),
        watchlist: args.watchlist.clone(),
        feed: args.feed.clone(),
        story: args.story,
        source_country: args.source_country.as_ref().map(|c| c.to_uppercase()),
        since: args
            .since
            .as_deref()
            .map(|s| output::parse_since(s, now))
            .transpose()?,
        limit: args.limit,
        ..Default::default()
    };
    let articles = store
        .list_articles(&filter)
        .map_err(|e| CliError::Runtime(e.into()))?;
    if args.json {
        return output::json_lines(&articles);
    }
    for a in &articles {
        print_article(a, None);
    }
    Ok(())
}

pub fn search(path: &Path, query: &str, limit: usize, json: bool) -> CliResult {
    let config = load_config(path)?;
    let store = open_store(&config)?;
    let hits = store
        .search(query, limit)
        .map_err(|e| CliError::Runtime(e.into()))?;
    if json {
        return output::json_lines(hits.iter().map(|h| {
            let mut v = serde_json::to_value(&h.article).unwrap_or_default();
            v["snippet"] = serde_json::Value::String(h.snippet.clone());
            v
        }));
    }
    if hits.is_empty() {
        output::line("no articles found");
    }
    for h in &hits {
        print_article(&h.article, Some(&h.snippet));
    }
    Ok(())
}

fn print_article(a: &ArticleView, snippet: Option<&str>) {
    let date = a.published.get(..10).unwrap_or(&a.published);
    output::line(&format!("{:>6}  {}  {}", a.id, date, a.title));
    let mut tags: Vec<String> = a.countries.clone();
    tags.extend(a.regions.iter().cloned());
    tags.extend(a.topics.iter().map(|t| format!("#{t}")));
    tags.extend(a.watchlists.iter().map(|w| format!("@{w}")));
    output::line(&format!("        {}  [{}]", a.feed, tags.join(" ")));
    if let Some(s) = snippet {
        output::line(&format!("        {s}"));
    }
    if !a.url.is_empty() {
        output::line(&format!("        {}", a.url));
    }
}
