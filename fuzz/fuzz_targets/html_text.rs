//! Differential: `extractor::html_to_text` and `html_to_line` with their
//! fast paths (the simple-HTML subset, tagless text) against html5ever.
//!
//! For arbitrary bytes (read as UTF-8, lossily): the simple-HTML fast path
//! either declines or gives exactly html5ever's text, paragraph and one-line;
//! `html_to_text` equals the implementation it replaced (html5ever for any
//! fragment with a tag, tagless text paragraph by paragraph); `html_to_line`
//! is its text on one line; and the text is never longer (in characters)
//! than the input, so a hostile body cannot make a bigger one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use steppewatch::extractor::{self, differential};

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    for one_line in [false, true] {
        if let Some(fast) = differential::fast_path(&html, one_line) {
            assert_eq!(
                fast,
                differential::html5ever(&html, one_line),
                "fast path (one_line: {one_line}) differs from html5ever on {html:?}"
            );
        }
    }
    let text = extractor::html_to_text(&html);
    assert_eq!(
        text,
        differential::old_html_to_text(&html),
        "html_to_text differs from the old path on {html:?}"
    );
    assert!(
        text.chars().count() <= html.chars().count(),
        "text longer than its HTML: {html:?} -> {text:?}"
    );
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        extractor::html_to_line(&html),
        line,
        "html_to_line on {html:?}"
    );
});
