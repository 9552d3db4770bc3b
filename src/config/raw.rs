//! The configuration file as written: serde structs that refuse unknown keys.
//!
//! Values whose line a later message needs are `Spanned`. Durations, sizes and
//! enumerations stay strings here so that `validate` can report every bad one,
//! instead of serde stopping at the first.
//!
//! [`RawConfig::parse`] deserializes each section and each `[[feed]]`,
//! `[[watchlist]]` and `[[webhook]]` entry on its own, so one broken entry does not
//! hide the problems of the others; an unknown key is reported, dropped and the
//! entry read again, so every unknown key is reported at once.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// A string with its place in the file.
pub type Str = Spanned<String>;

/// Unknown keys reported per entry before giving up on it; a guard against loops.
const MAX_UNKNOWN_KEYS_PER_ENTRY: usize = 64;

/// The whole file. Every section is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub storage: RawStorage,
    #[serde(default)]
    pub poll: RawPoll,
    #[serde(default)]
    pub fetch: RawFetch,
    #[serde(default)]
    pub http: RawHttp,
    #[serde(default)]
    pub alerts: RawAlerts,
    #[serde(default)]
    pub reload: RawReload,
    /// Topic name -> extra keyword terms.
    #[serde(default)]
    pub topics: BTreeMap<Str, Vec<Str>>,
    #[serde(default, rename = "feed")]
    pub feeds: Vec<Spanned<RawFeed>>,
    #[serde(default, rename = "watchlist")]
    pub watchlists: Vec<Spanned<RawWatchlist>>,
    #[serde(default, rename = "webhook")]
    pub webhooks: Vec<Spanned<RawWebhook>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    pub path: Option<Str>,
    pub keep: Option<Str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPoll {
    pub interval: Option<Str>,
    pub concurrency: Option<Spanned<i64>>,
    pub min_interval: Option<Str>,
    pub max_interval: Option<Str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFetch {
    pub timeout: Option<Str>,
    pub connect_timeout: Option<Str>,
    pub max_body: Option<Str>,
    pub per_host: Option<Spanned<i64>>,
    pub allow_private: Option<bool>,
    pub user_agent: Option<Str>,
    pub max_redirects: Option<Spanned<i64>>,
    #[serde(default)]
    pub allow_addrs: Vec<Str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    pub listen: Option<Str>,
    pub token: Option<Str>,
    #[serde(default)]
    pub hosts: Vec<Str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAlerts {
    pub retry: Option<Vec<Str>>,
    pub give_up: Option<Str>,
    #[serde(default)]
    pub health_webhooks: Vec<Str>,
    pub flood_max: Option<Spanned<i64>>,
    pub flood_window: Option<Str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReload {
    pub watch_file: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub url: Str,
    pub name: Option<Str>,
    pub interval: Option<Str>,
    pub full_text: Option<bool>,
    pub country: Option<Str>,
    pub kind: Option<Str>,
    pub selectors: Option<Spanned<RawSelectors>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSelectors {
    pub item: Option<Str>,
    pub link: Option<Str>,
    pub title: Option<Str>,
    pub date: Option<Str>,
    pub summary: Option<Str>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWatchlist {
    pub name: Str,
    #[serde(default)]
    pub any: Vec<Str>,
    #[serde(default)]
    pub all: Vec<Str>,
    #[serde(default)]
    pub none: Vec<Str>,
    #[serde(default)]
    pub countries: Vec<Str>,
    #[serde(default)]
    pub topics: Vec<Str>,
    #[serde(default)]
    pub feeds: Vec<Str>,
    #[serde(default)]
    pub webhooks: Vec<Str>,
    pub translit: Option<bool>,
    pub per: Option<Str>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub name: Str,
    pub url: Str,
    pub format: Option<Str>,
    pub secret: Option<Str>,
    pub chat_id: Option<Spanned<ChatId>>,
}

/// Telegram chat ids are numbers (`-1001234567890`) or channel names (`"@news"`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum ChatId {
    Number(i64),
    Name(String),
}

impl ChatId {
    pub fn into_string(self) -> String {
        match self {
            ChatId::Number(n) => n.to_string(),
            ChatId::Name(s) => s,
        }
    }
}

/// A problem found while reading the file, located by byte range when known.
#[derive(Debug, Clone, PartialEq)]
pub struct RawProblem {
    pub span: Option<Range<usize>>,
    pub message: String,
}

impl RawConfig {
    /// Reads `text` as far as it can, returning what it read and every problem met.
    ///
    /// A TOML syntax error stops reading (the rest of the document cannot be trusted);
    /// a bad section or entry is skipped and the others are still read.
    pub fn parse(text: &str) -> (RawConfig, Vec<RawProblem>) {
        let (root, syntax_errors) = DeTable::parse_recoverable(text);
        if !syntax_errors.is_empty() {
            let problems = syntax_errors.iter().map(problem_from_toml).collect();
            return (RawConfig::default(), problems);
        }
        let mut raw = RawConfig::default();
        let mut problems = Vec::new();
        for (key, value) in root.into_inner() {
            raw.read_section(&key, value, &mut problems);
        }
        (raw, problems)
    }

    fn read_section(
        &mut self,
        key: &Spanned<toml::de::DeString<'_>>,
        value: Spanned<DeValue<'_>>,
        problems: &mut Vec<RawProblem>,
    ) {
        let p = problems;
        match key.get_ref().as_ref() {
            "storage" => self.storage = read(value, p).unwrap_or_default(),
            "poll" => self.poll = read(value, p).unwrap_or_default(),
            "fetch" => self.fetch = read(value, p).unwrap_or_default(),
            "http" => self.http = read(value, p).unwrap_or_default(),
            "alerts" => self.alerts = read(value, p).unwrap_or_default(),
            "reload" => self.reload = read(value, p).unwrap_or_default(),
            "topics" => self.topics = read(value, p).unwrap_or_default(),
            "feed" => self.feeds = read_entries(value, "feed", p),
            "watchlist" => self.watchlists = read_entries(value, "watchlist", p),
            "webhook" => self.webhooks = read_entries(value, "webhook", p),
            other => p.push(RawProblem {
                span: Some(key.span()),
                message: format!(
                    "unknown section `{other}`; the sections are [storage], [poll], [fetch], [http], [alerts], [reload], [topics], [[feed]], [[watchlist]] and [[webhook]]"
                ),
            }),
        }
    }
}

/// Reads each element of an array of tables on its own.
fn read_entries<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    section: &str,
    problems: &mut Vec<RawProblem>,
) -> Vec<Spanned<T>> {
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        problems.push(RawProblem {
            span: Some(span),
            message: format!("`{section}` must be written as [[{section}]] entries"),
        });
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| read(item.clone(), problems))
        .collect()
}

/// Deserializes one section or entry; each unknown key is reported and dropped and
/// the value read again, so all unknown keys are found in one pass.
fn read<T: DeserializeOwned>(
    mut value: Spanned<DeValue<'_>>,
    problems: &mut Vec<RawProblem>,
) -> Option<T> {
    for _ in 0..MAX_UNKNOWN_KEYS_PER_ENTRY {
        let err = match T::deserialize(value.clone().into_deserializer()) {
            Ok(parsed) => return Some(parsed),
            Err(err) => err,
        };
        let mut problem = problem_from_toml(&err);
        if let Some(key) = err.span().and_then(|span| key_of_value_at(&value, &span)) {
            problem.message = format!(
                "{key}: {}",
                problem.message.replacen("invalid type", "wrong type", 1)
            );
        }
        problems.push(problem);
        let unknown = err.message().starts_with("unknown field");
        if !(unknown
            && err
                .span()
                .is_some_and(|span| remove_key_at(&mut value, &span)))
        {
            return None;
        }
    }
    None
}

/// Removes the key whose span is `span`, wherever it is nested. True if found.
fn remove_key_at(value: &mut Spanned<DeValue<'_>>, span: &Range<usize>) -> bool {
    match value.get_mut() {
        DeValue::Table(table) => {
            let found = table.iter().find(|(key, _)| key.span() == *span);
            if let Some(name) = found.map(|(key, _)| key.get_ref().to_string()) {
                table.remove(name.as_str());
                return true;
            }
            table.iter_mut().any(|(_, v)| remove_key_at(v, span))
        }
        DeValue::Array(items) => items.iter_mut().any(|v| remove_key_at(v, span)),
        _ => false,
    }
}

/// The key whose value sits exactly at `span`, wherever it is nested.
fn key_of_value_at(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(table) => table.iter().find_map(|(key, v)| match v.get_ref() {
            DeValue::Table(_) => key_of_value_at(v, span),
            DeValue::Array(items) if items.iter().any(|i| i.get_ref().is_table()) => {
                key_of_value_at(v, span)
            }
            _ => v
                .span()
                .contains(&span.start)
                .then(|| key.get_ref().to_string()),
        }),
        DeValue::Array(items) => items.iter().find_map(|v| key_of_value_at(v, span)),
        _ => None,
    }
}

/// Serde's wording made plainer for people editing a file.
fn problem_from_toml(err: &toml::de::Error) -> RawProblem {
    let message = err.message().trim_end_matches('.').trim().to_owned();
    let message = if let Some(rest) = message.strip_prefix("unknown field") {
        format!("unknown key{rest}")
    } else if let Some(rest) = message.strip_prefix("missing field") {
        format!("missing required key{rest}")
    } else if message.starts_with("data did not match any variant of untagged enum ChatId") {
        "chat_id must be a number or a string".to_owned()
    } else if let Some(at) = message.find("expected struct Raw") {
        format!("{}expected a table", &message[..at])
    } else {
        message
            .replace("expected a sequence", "expected a list")
            .replace("expected a map", "expected a table")
    };
    RawProblem {
        span: err.span(),
        message,
    }
}
