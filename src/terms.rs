//! One Aho-Corasick automaton over folded text for many terms, with whole-word,
//! prefix and inflection rules checked per hit, not per pattern.
