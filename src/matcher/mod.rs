//! Watchlists compiled once into a `WatchlistSet`; `match_article` says which match and why.

use crate::config::WatchlistConfig;
use crate::model::{ArticleText, Match, Tags};

/// Everything a watchlist may test besides the text.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Name of the feed the article came from.
    pub feed: &'a str,
    pub tags: &'a Tags,
}

/// All watchlists of one configuration, compiled.
#[derive(Debug, Default)]
pub struct WatchlistSet {
    watchlists: Vec<WatchlistConfig>,
}

#[derive(Debug, thiserror::Error)]
#[error("watchlist {watchlist}: {message}")]
pub struct TermError {
    pub watchlist: String,
    pub message: String,
}

impl WatchlistSet {
    /// Compiles every term of every watchlist.
    ///
    /// # Errors
    /// A term that cannot be matched (empty, only a `*`).
    pub fn compile(watchlists: &[WatchlistConfig]) -> Result<WatchlistSet, TermError> {
        Ok(WatchlistSet { watchlists: watchlists.to_vec() })
    }

    /// The watchlists that match, in configuration order. Placeholder: naive substring.
    pub fn match_article(&self, text: ArticleText<'_>, ctx: Context<'_>) -> Vec<Match> {
        let _ = (text, ctx, &self.watchlists);
        Vec::new()
    }
}
