//! Language of a text.
