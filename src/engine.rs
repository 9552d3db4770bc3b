//! The compiled configuration: the validated `Config` with its tagger and
//! watchlist automaton, built once and swapped whole on a good reload.

use crate::config::{Config, ConfigError};
use crate::matcher::{Context, WatchlistSet};
use crate::model::{ArticleText, Match, Tags};
use crate::tagger::Tagger;
use std::path::Path;
use std::sync::Arc;

/// Everything the pure stages need, compiled from one configuration.
#[derive(Debug)]
pub struct Engine {
    pub config: Arc<Config>,
    pub tagger: Tagger,
    pub watchlists: WatchlistSet,
}

impl Engine {
    /// Compiles a validated configuration.
    ///
    /// # Errors
    /// A watchlist term that cannot be compiled, reported like a configuration problem.
    pub fn build(config: Config) -> Result<Engine, ConfigError> {
        let watchlists = WatchlistSet::compile(&config.watchlists).map_err(|e| ConfigError {
            problems: vec![format!("{}: {e}", config.path.display())],
        })?;
        let tagger = Tagger::new(&config.topics);
        let mut config = config;
        for term in tagger.skipped_terms() {
            let warning = format!(
                "{}: topic keyword {term:?} cannot be matched and is skipped",
                config.path.display()
            );
            config.warnings.push(warning);
        }
        // Building the automata allocates several times what they keep.
        crate::memory::release_free();
        Ok(Engine {
            config: Arc::new(config),
            tagger,
            watchlists,
        })
    }

    /// Reads, validates and compiles the file at `path`.
    ///
    /// # Errors
    /// Every problem found in the file.
    pub fn load(path: &Path) -> Result<Engine, ConfigError> {
        Engine::build(Config::load(path)?)
    }

    /// Tags a text and runs the watchlists over it, as the daemon does for an article.
    pub fn analyse(&self, text: ArticleText<'_>, feed: &str) -> (Tags, Vec<Match>) {
        let tags = self.tagger.tag(text);
        let matches = self
            .watchlists
            .match_article(text, Context { feed, tags: &tags });
        (tags, matches)
    }
}

impl AsRef<Config> for Engine {
    fn as_ref(&self) -> &Config {
        &self.config
    }
}
