//! Text folding shared by the tagger and the matcher: NFKC, case, diacritics,
//! apostrophe variants, whitespace/hyphen runs, with a map back to original offsets.

use std::ops::Range;

/// Folded text plus, for every byte of it, the byte offset in the original.
#[derive(Debug, Clone, Default)]
pub struct Folded {
    pub text: String,
    /// `map[i]` is the original byte offset where folded byte `i` came from;
    /// one extra entry at the end holds the original length.
    pub map: Vec<usize>,
}

impl Folded {
    /// The range of the original text that produced `folded` range `r`.
    pub fn original_range(&self, r: Range<usize>) -> Range<usize> {
        self.map[r.start]..self.map[r.end]
    }
}

/// Folds `s` for matching (see module docs). Placeholder until the real folding lands.
pub fn fold(s: &str) -> Folded {
    let text = s.to_lowercase();
    let mut map: Vec<usize> = (0..text.len()).collect();
    map.push(s.len());
    Folded { text, map }
}
