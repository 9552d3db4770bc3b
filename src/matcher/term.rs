//! The watch-term grammar: a term as written in a watchlist, the rule it follows
//! and the forms of it that go into the automaton.

use std::fmt;

use crate::terms::{TermKind, TermSet};

use super::translit;

/// Which list of its watchlist a term comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// One of these must be found.
    Any,
    /// All of these must be found.
    All,
    /// None of these may be found.
    None,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Any => "any",
            Role::All => "all",
            Role::None => "none",
        })
    }
}

/// A term of a watchlist, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchTerm {
    /// The term as the user wrote it, shown in matches.
    pub written: String,
    /// The text to match, without the trailing `*`.
    pub text: String,
    pub kind: TermKind,
}

impl WatchTerm {
    /// Parses a term: a trailing `*` makes it a prefix term; everything else is
    /// matched as a whole word or phrase (see docs/matching.md).
    pub fn parse(written: &str) -> WatchTerm {
        let (text, kind) = TermSet::parse_term(written);
        WatchTerm {
            written: written.to_owned(),
            text,
            kind,
        }
    }

    /// The strings to put in the automaton for this term: its text, then, with
    /// `translit`, its spellings in the other script (Latin for Cyrillic and the reverse).
    pub fn forms(&self, translit: bool) -> Vec<String> {
        let mut forms = vec![self.text.clone()];
        if translit {
            forms.extend(translit::forms(&self.text));
        }
        forms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_star_is_a_prefix() {
        let t = WatchTerm::parse("railway crossing*");
        assert_eq!(
            (t.text.as_str(), t.kind),
            ("railway crossing", TermKind::Prefix)
        );
        assert_eq!(t.written, "railway crossing*");
        let t = WatchTerm::parse("Urumqi");
        assert_eq!((t.text.as_str(), t.kind), ("Urumqi", TermKind::Word));
    }

    #[test]
    fn forms_add_other_script_only_with_translit() {
        let t = WatchTerm::parse("Toshkent");
        assert_eq!(t.forms(false), ["Toshkent"]);
        let forms = t.forms(true);
        assert_eq!(forms[0], "Toshkent");
        assert!(forms.iter().any(|f| f == "тошкент"), "{forms:?}");
    }
}
