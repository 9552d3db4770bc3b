//! HTML -> clean plain text for storage and matching.

/// Plain text of an HTML fragment: tags dropped, block elements become line breaks,
/// entities decoded, whitespace collapsed. Placeholder.
pub fn html_to_text(html: &str) -> String {
    html.to_string()
}
