//! Feed bytes -> items: `parser::parse` under every Content-Type it treats
//! differently, and `parser::parse_html_list` with the guessed selectors.
//!
//! Beyond "no panic": parsing is deterministic (the same bytes give the same
//! item identities, which is what keeps a re-polled feed from turning into new
//! articles), and every identity is a 64-digit hex hash.

#![no_main]

use libfuzzer_sys::fuzz_target;
use steppewatch::parser::{self, HtmlSelectors};

/// Content-Type headers the parser reacts to: none, plain types, and
/// charsets that change how the bytes are decoded.
const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some("application/rss+xml"),
    Some("application/atom+xml; charset=utf-8"),
    Some("application/feed+json"),
    Some("text/xml; charset=windows-1251"),
    Some("application/xml; charset=koi8-r"),
    Some("text/xml; charset=utf-16"),
    Some("text/html; charset=utf-8"),
];

const BASE: &str = "https://news.example.kz/rss/";

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    let first = parser::parse(body, content_type, BASE);
    if let Ok(feed) = &first {
        let again = parser::parse(body, content_type, BASE).expect("second parse succeeds too");
        let ids: Vec<&str> = feed.items.iter().map(|i| i.identity.as_str()).collect();
        let ids_again: Vec<&str> = again.items.iter().map(|i| i.identity.as_str()).collect();
        assert_eq!(ids, ids_again, "identity is deterministic");
        for id in ids {
            assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
    if selector & 0x80 != 0 {
        let html = String::from_utf8_lossy(body);
        let _ = parser::parse_html_list(&html, BASE, &HtmlSelectors::default());
    }
});
