//! The short excerpt shown with a match: original text around the first
//! occurrence, cut at word boundaries, the match marked as `[...]`.

use std::ops::Range;

use crate::text;

/// Target length of a snippet in characters, the match included: about two lines
/// of a chat message, enough to see why an article matched.
pub const SNIPPET_CHARS: usize = 160;

/// Marks a cut end of a snippet (as in SPEC's alert example).
const ELLIPSIS: &str = "...";

/// About [`SNIPPET_CHARS`] of `text` around `hit` (byte range, on char boundaries),
/// whitespace runs shown as one space, `...` where the text was cut, and the
/// match wrapped in `[` `]`: `... in Urumqi, capital of the [Xinjiang] Uyghur ...`.
pub fn snippet(text: &str, hit: Range<usize>) -> String {
    let matched = &text[hit.clone()];
    let room = SNIPPET_CHARS.saturating_sub(matched.chars().count());
    let before = &text[..hit.start];
    let after = &text[hit.end..];
    // Share the room evenly; a side that runs out of text gives the rest to the other.
    // Counting stops at `room` so a long body costs no more than a short one.
    let before_len = before.chars().rev().take(room).count();
    let after_len = after.chars().take(room).count();
    let left = (room / 2)
        .max(room.saturating_sub(after_len))
        .min(before_len);
    let right = (room - left).min(after_len);
    let (left_text, left_cut) = tail(before, left);
    let (right_text, right_cut) = head(after, right);

    let mut out = String::with_capacity(SNIPPET_CHARS * 2);
    if left_cut {
        out.push_str(ELLIPSIS);
        out.push(' ');
    }
    push_collapsed(&mut out, left_text.trim_start());
    out.push('[');
    push_collapsed(&mut out, matched);
    out.push(']');
    push_collapsed(&mut out, right_text.trim_end());
    if right_cut {
        out.push(' ');
        out.push_str(ELLIPSIS);
    }
    out
}

/// The last `n` chars of `s`, shortened to start at a word; true when text was cut.
fn tail(s: &str, n: usize) -> (&str, bool) {
    let mut start = match n.checked_sub(1) {
        None => s.len(),
        Some(k) => s.char_indices().rev().nth(k).map_or(0, |(i, _)| i),
    };
    // A cut inside a word drops that word's end.
    while in_word(s, start) {
        start += s[start..].chars().next().map_or(0, char::len_utf8);
    }
    let piece = &s[start..];
    (piece, !s[..start].trim().is_empty())
}

/// The first `n` chars of `s`, shortened to end at a word; true when text was cut.
fn head(s: &str, n: usize) -> (&str, bool) {
    let mut end = s.char_indices().nth(n).map_or(s.len(), |(i, _)| i);
    while in_word(s, end) {
        end -= s[..end].chars().next_back().map_or(0, char::len_utf8);
    }
    (&s[..end], !s[end..].trim().is_empty())
}

/// True when byte `i` of `s` is between two letters of one word (CJK characters
/// are words of their own, so a cut next to one is clean).
fn in_word(s: &str, i: usize) -> bool {
    !text::boundary_before(s, i) && !text::boundary_after(s, i)
}

/// Appends `s` with every whitespace run shown as one space.
fn push_collapsed(out: &mut String, s: &str) {
    let mut pieces = s.split(char::is_whitespace);
    if let Some(first) = pieces.next() {
        out.push_str(first);
    }
    let mut pending_space = false;
    for piece in pieces {
        pending_space = true;
        if !piece.is_empty() {
            out.push(' ');
            out.push_str(piece);
            pending_space = false;
        }
    }
    if pending_space {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn around(text: &str, word: &str) -> String {
        let start = text.find(word).unwrap();
        snippet(text, start..start + word.len())
    }

    #[test]
    fn whitespace_runs_become_one_space() {
        let mut out = String::new();
        push_collapsed(&mut out, " a \n\n b\u{a0}c  ");
        assert_eq!(out, " a b c ");
    }

    #[test]
    fn short_text_is_whole_and_marked() {
        assert_eq!(
            around("Talks in Urumqi today.", "Urumqi"),
            "Talks in [Urumqi] today."
        );
        assert_eq!(around("Xinjiang", "Xinjiang"), "[Xinjiang]");
    }

    #[test]
    fn long_text_is_cut_at_words_with_ellipses() {
        let filler = "lorem ipsum dolor sit amet ".repeat(20);
        let text = format!("{filler}in Urumqi, capital of the Xinjiang Uyghur region {filler}");
        let s = around(&text, "Xinjiang");
        assert!(s.starts_with("... ") && s.ends_with(" ..."), "{s}");
        assert!(
            s.contains("in Urumqi, capital of the [Xinjiang] Uyghur region"),
            "{s}"
        );
        let inner = &s[4..s.len() - 4];
        // Whole words only at both cuts.
        for w in inner.split(' ').filter(|w| !w.contains('[')) {
            assert!(
                [
                    "lorem", "ipsum", "dolor", "sit", "amet", "in", "Urumqi,", "capital", "of",
                    "the", "Uyghur", "region"
                ]
                .contains(&w),
                "{w:?} in {s}"
            );
        }
        let n = s.chars().count();
        assert!((120..=175).contains(&n), "{n}: {s}");
    }

    #[test]
    fn room_moves_to_the_side_that_has_text() {
        let text = format!("Xinjiang {}", "word ".repeat(100));
        let s = around(&text, "Xinjiang");
        assert!(s.starts_with("[Xinjiang] word"), "{s}");
        assert!(s.chars().count() > 140, "{s}");
    }

    #[test]
    fn whitespace_is_collapsed_and_cyrillic_is_cut_on_chars() {
        let text = format!("{}\n\nв  Синьцзяне\nпрошли", "Слово ".repeat(60));
        let start = text.find("Синьцзяне").unwrap();
        let s = snippet(&text, start..start + "Синьцзяне".len());
        assert!(s.ends_with("в [Синьцзяне] прошли"), "{s}");
        assert!(s.starts_with("... Слово"), "{s}");
    }

    #[test]
    fn cjk_context_is_cut_between_characters() {
        let text = format!(
            "{}新疆{}",
            "中国西部的".repeat(30),
            "维吾尔自治区".repeat(30)
        );
        let start = text.find("新疆").unwrap();
        let s = snippet(&text, start..start + "新疆".len());
        assert!(s.contains("的[新疆]维吾尔"), "{s}");
        assert!(s.starts_with("... ") && s.ends_with(" ..."), "{s}");
    }
}
