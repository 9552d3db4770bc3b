//! A compact prefix tree of folded patterns, walked from every position where a
//! term may start instead of running an automaton over every byte.
//!
//! A term whose first character is a (non-CJK) word character only counts at a
//! word start ([`super`] module docs), and the other terms start with a boundary
//! character (CJK or punctuation). So every hit starts where the previous or the
//! current character is a boundary character, and walking the tree from those
//! positions finds exactly the occurrences an Aho-Corasick automaton would report
//! for the entries that can use them, without failure links. The tree is
//! path-compressed (one node per branch or pattern end, its edge a run of bytes),
//! which for the gazetteer's ~34,000 patterns is about 53,000 nodes of 16 bytes
//! plus their 320 KB of edge labels, built from the sorted patterns with no
//! temporary structure larger than that. The ~1,400 nodes with more than
//! [`BITMAP_CHILDREN`] children also get a 40-byte bitmap of their children's
//! first bytes (about 58 KB), so that the walk finds the next node there with
//! one load instead of a scan or a binary search, which were a fifth of its time.

use crate::text::is_boundary_char;

/// No node or no pattern.
const NONE: u32 = u32::MAX;

/// Children of a node up to which the walk finds the next one by a scan
/// rather than a binary search (nodes without a bitmap).
const LINEAR_CHILDREN: usize = 8;

/// Nodes with more children than this get a [`ChildBitmap`]: in the gazetteer
/// about 1,400 nodes (58 KB), the wide ones near the root and after the lead
/// byte of a Cyrillic letter, which most walks pass through.
const BITMAP_CHILDREN: usize = 4;

/// `Node::bitmap` of a node without one.
const NO_BITMAP: u16 = u16::MAX;

/// Longest edge label of one node, so that its length fits the top byte of
/// `Node::label`; longer runs are split into several nodes.
const MAX_LABEL: usize = u8::MAX as usize;

/// Bits of `Node::label` that hold the label's start.
const LABEL_START_BITS: u32 = 24;

/// One node: the edge that leads to it, the pattern that ends on it, its children.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// Start of the edge label in `WordTrie::labels` (low 24 bits) and its
    /// length (high 8 bits), packed to keep the node at 16 bytes.
    label: u32,
    /// Index of the pattern ending here, or `NONE`.
    pattern: u32,
    /// First child in `WordTrie::nodes`; the children are contiguous and sorted
    /// by the first byte of their labels.
    first: u32,
    children: u16,
    /// Index in `WordTrie::bitmaps`, or `NO_BITMAP`.
    bitmap: u16,
}

const _: () = assert!(size_of::<Node>() == 16);

impl Node {
    fn label_range(self) -> std::ops::Range<usize> {
        let start = (self.label & ((1 << LABEL_START_BITS) - 1)) as usize;
        start..start + (self.label >> LABEL_START_BITS) as usize
    }
}

/// The first bytes of a wide node's children as a set of bits, with the number
/// of children before each 64-bit word: a child's index is that count plus the
/// bits set below its own in its word.
#[derive(Debug, Clone, Copy)]
struct ChildBitmap {
    bits: [u64; 4],
    before: [u8; 4],
}

impl ChildBitmap {
    fn new(firsts: &[u8]) -> ChildBitmap {
        let mut bits = [0u64; 4];
        for &b in firsts {
            bits[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        let mut before = [0u8; 4];
        for w in 1..4 {
            // At most 255 children precede the last word (a node has at most 256).
            before[w] = before[w - 1] + bits[w - 1].count_ones() as u8;
        }
        ChildBitmap { bits, before }
    }

    /// The index among the node's children of the one whose label starts with `b`.
    fn child(&self, b: u8) -> Option<u32> {
        let w = usize::from(b >> 6);
        let bit = 1u64 << (b & 63);
        let word = self.bits[w];
        (word & bit != 0).then(|| u32::from(self.before[w]) + (word & (bit - 1)).count_ones())
    }
}

/// Patterns in a path-compressed prefix tree; see the module docs.
#[derive(Debug, Clone)]
pub struct WordTrie {
    labels: Box<[u8]>,
    /// The first byte of each node's label, so that finding a child reads one
    /// contiguous run of bytes.
    firsts: Box<[u8]>,
    /// `nodes[0]` is the root (an empty label).
    nodes: Box<[Node]>,
    /// The children of nodes with more than [`BITMAP_CHILDREN`] of them.
    bitmaps: Box<[ChildBitmap]>,
    /// The root's child for each first byte, or `NONE`.
    root: Box<[u32; 256]>,
}

/// A subtree still to be built: the node, its patterns `lo..hi` (sorted, all
/// sharing their first `depth` bytes) and that depth.
struct Pending {
    node: u32,
    lo: usize,
    hi: usize,
    depth: usize,
}

impl WordTrie {
    /// Builds the tree of `patterns`, which must be sorted, distinct and non-empty;
    /// a hit reports a pattern by its index in `patterns`.
    ///
    /// # Panics
    /// Patterns not sorted or empty, or more than `u32::MAX` bytes of labels.
    pub fn new(patterns: &[&str]) -> WordTrie {
        WordTrie::with_bitmaps_above(patterns, BITMAP_CHILDREN)
    }

    /// [`WordTrie::new`], giving nodes with more than `wide` children a bitmap
    /// (`usize::MAX`: none, to test the scan and search against the bitmaps).
    fn with_bitmaps_above(patterns: &[&str], wide: usize) -> WordTrie {
        assert!(
            patterns.windows(2).all(|w| w[0] < w[1]) && patterns.iter().all(|p| !p.is_empty()),
            "trie patterns are sorted, distinct and non-empty"
        );
        let mut labels = Vec::new();
        let mut nodes = vec![Node {
            label: 0,
            pattern: NONE,
            first: 0,
            children: 0,
            bitmap: NO_BITMAP,
        }];
        let mut todo = vec![Pending {
            node: 0,
            lo: 0,
            hi: patterns.len(),
            depth: 0,
        }];
        while let Some(p) = todo.pop() {
            let first = nodes.len();
            let mut i = p.lo;
            if nodes[p.node as usize].pattern != NONE {
                i += 1; // the node's own pattern, which ends at `depth`
            }
            while i < p.hi {
                let byte = patterns[i].as_bytes()[p.depth];
                let end = i + patterns[i..p.hi].partition_point(|q| q.as_bytes()[p.depth] <= byte);
                let shared = common_prefix(patterns[i], patterns[end - 1]);
                let len = (shared - p.depth).min(MAX_LABEL);
                let depth = p.depth + len;
                let label = u32::try_from(labels.len())
                    .ok()
                    .filter(|&l| l < 1 << LABEL_START_BITS)
                    .expect("labels fit 24-bit offsets")
                    | (len as u32) << LABEL_START_BITS;
                labels.extend_from_slice(&patterns[i].as_bytes()[p.depth..depth]);
                let pattern = if patterns[i].len() == depth {
                    i as u32
                } else {
                    NONE
                };
                todo.push(Pending {
                    node: nodes.len() as u32,
                    lo: i,
                    hi: end,
                    depth,
                });
                nodes.push(Node {
                    label,
                    pattern,
                    first: 0,
                    children: 0,
                    bitmap: NO_BITMAP,
                });
                i = end;
            }
            let children =
                u16::try_from(nodes.len() - first).expect("at most 256 children per node");
            let parent = &mut nodes[p.node as usize];
            parent.first = first as u32;
            parent.children = children;
        }
        let firsts: Box<[u8]> = nodes
            .iter()
            .map(|n| labels.get(n.label_range().start).copied().unwrap_or(0))
            .collect();
        let bitmaps = add_bitmaps(&mut nodes, &firsts, wide);
        let mut root = Box::new([NONE; 256]);
        let r = nodes[0];
        for c in r.first..r.first + u32::from(r.children) {
            root[usize::from(firsts[c as usize])] = c;
        }
        WordTrie {
            labels: labels.into_boxed_slice(),
            firsts,
            nodes: nodes.into_boxed_slice(),
            bitmaps,
            root,
        }
    }

    /// Calls `f(pattern, start, end)` for every occurrence of a pattern in `text`
    /// that starts where the previous or the current character is a boundary
    /// character, in order of start, then end.
    pub fn for_each(&self, text: &str, mut f: impl FnMut(usize, usize, usize)) {
        let bytes = text.as_bytes();
        let mut after_boundary = true;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            // The common cases first, without decoding: `is_boundary_char` for
            // ASCII and the Russian alphabet (U+0410..U+044F, lead byte D0 or D1).
            let (boundary, len) = if b.is_ascii() {
                (!b.is_ascii_alphanumeric(), 1)
            } else if russian_letter(b, bytes.get(i + 1).copied()) {
                (false, 2)
            } else {
                let c = text[i..].chars().next().expect("i is on a char boundary");
                (is_boundary_char(Some(c)), c.len_utf8())
            };
            if after_boundary || boundary {
                self.walk(bytes, i, &mut f);
            }
            after_boundary = boundary;
            i += len;
        }
    }

    /// Reports every pattern that is a prefix of `text[start..]`.
    fn walk(&self, text: &[u8], start: usize, f: &mut impl FnMut(usize, usize, usize)) {
        let mut node = self.root[usize::from(text[start])];
        let mut at = start;
        while node != NONE {
            let n = self.nodes[node as usize];
            let label = &self.labels[n.label_range()];
            // Labels are a few bytes: a loop beats a call to memcmp.
            let rest = &text[at..];
            if rest.len() < label.len() || label.iter().zip(rest).any(|(a, b)| a != b) {
                return;
            }
            at += label.len();
            if n.pattern != NONE {
                f(n.pattern as usize, start, at);
            }
            let Some(&next) = text.get(at) else {
                return;
            };
            let firsts = &self.firsts[n.first as usize..][..usize::from(n.children)];
            // Most nodes have a few children, where a scan beats the dependent
            // loads of a binary search; the wide nodes have a bitmap.
            let k = if n.bitmap != NO_BITMAP {
                self.bitmaps[usize::from(n.bitmap)].child(next)
            } else if firsts.len() <= LINEAR_CHILDREN {
                firsts.iter().position(|&b| b == next).map(|k| k as u32)
            } else {
                firsts.binary_search(&next).ok().map(|k| k as u32)
            };
            node = k.map_or(NONE, |k| n.first + k);
        }
    }

    /// Heap memory used, in bytes.
    pub fn memory_usage(&self) -> usize {
        self.labels.len()
            + self.firsts.len()
            + self.nodes.len() * size_of::<Node>()
            + self.bitmaps.len() * size_of::<ChildBitmap>()
            + size_of::<[u32; 256]>()
    }
}

/// Gives each node with more than `wide` children a bitmap of them, while
/// bitmap indices last (the gazetteer needs about 1,400 of 65,535).
fn add_bitmaps(nodes: &mut [Node], firsts: &[u8], wide: usize) -> Box<[ChildBitmap]> {
    let mut bitmaps = Vec::new();
    for n in nodes.iter_mut() {
        let children = usize::from(n.children);
        if children <= wide || bitmaps.len() >= usize::from(NO_BITMAP) {
            continue;
        }
        n.bitmap = bitmaps.len() as u16;
        bitmaps.push(ChildBitmap::new(&firsts[n.first as usize..][..children]));
    }
    bitmaps.into_boxed_slice()
}

/// True when the bytes `lead`, `next` encode a letter of U+0410..U+044F
/// (`А`..`я`): D0 90..D0 BF or D1 80..D1 8F.
fn russian_letter(lead: u8, next: Option<u8>) -> bool {
    match (lead, next) {
        (0xD0, Some(n)) => (0x90..=0xBF).contains(&n),
        (0xD1, Some(n)) => (0x80..=0x8F).contains(&n),
        _ => false,
    }
}

/// Length of the common prefix of `a` and `b`, in bytes.
fn common_prefix(a: &str, b: &str) -> usize {
    a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `(pattern text, start)` the trie reports in `text`.
    fn found(patterns: &[&str], text: &str) -> Vec<(String, usize)> {
        let mut sorted = patterns.to_vec();
        sorted.sort_unstable();
        let trie = WordTrie::new(&sorted);
        let mut out = Vec::new();
        trie.for_each(text, |p, start, end| {
            assert_eq!(&text[start..end], sorted[p]);
            out.push((sorted[p].to_owned(), start));
        });
        out
    }

    #[test]
    fn russian_letters_are_told_from_their_bytes() {
        for c in ('\u{80}'..='\u{7FF}').chain(['\u{800}', '\u{FFFF}']) {
            let mut buf = [0; 4];
            let b = c.encode_utf8(&mut buf).as_bytes();
            let want = ('\u{0410}'..='\u{044F}').contains(&c);
            assert_eq!(russian_letter(b[0], b.get(1).copied()), want, "{c:?}");
            assert!(!want || !is_boundary_char(Some(c)));
        }
        assert!(!russian_letter(0xD0, None));
    }

    #[test]
    fn reports_every_pattern_that_is_a_prefix_at_a_word_start() {
        let got = found(
            &["kaz", "kazakh", "kazakhstan", "kyiv", "astana"],
            "kazakhstan kyiv",
        );
        assert_eq!(
            got,
            [
                ("kaz".to_owned(), 0),
                ("kazakh".to_owned(), 0),
                ("kazakhstan".to_owned(), 0),
                ("kyiv".to_owned(), 11)
            ]
        );
    }

    #[test]
    fn walks_only_where_a_term_may_start() {
        // "stan" inside a word is not a start; after a hyphen-space or CJK it is.
        assert!(found(&["stan"], "kazakhstan").is_empty());
        assert_eq!(found(&["stan"], "kazakh stan").len(), 1);
        assert_eq!(found(&["stan"], "新stan").len(), 1);
        // A pattern that starts with a boundary character is tried inside words too.
        assert_eq!(found(&["新疆", ".kz"], "中国新疆 gov.kz").len(), 2);
    }

    #[test]
    fn shared_prefixes_branch_and_long_labels_split() {
        let long = "a".repeat(70_000);
        let longer = format!("{long}b");
        let pats = ["ab", "abc", "abd", "b", long.as_str(), longer.as_str()];
        let trie = WordTrie::new(&{
            let mut p = pats.to_vec();
            p.sort_unstable();
            p
        });
        assert!(trie.nodes.len() > pats.len());
        let text = format!("abd abc {longer}");
        let got: Vec<(usize, usize)> = found(&pats, &text)
            .into_iter()
            .map(|(p, start)| (start, p.len()))
            .collect();
        assert_eq!(
            got,
            [(0, 2), (0, 3), (4, 2), (4, 3), (8, 70_000), (8, 70_001)]
        );
    }

    /// Every `(pattern, start, end)` a trie built with bitmaps above `wide` children reports.
    fn hits_with_bitmaps(patterns: &[&str], wide: usize, text: &str) -> Vec<(usize, usize, usize)> {
        let trie = WordTrie::with_bitmaps_above(patterns, wide);
        assert_eq!(trie.bitmaps.is_empty(), wide == usize::MAX);
        let mut out = Vec::new();
        trie.for_each(text, |p, start, end| out.push((p, start, end)));
        out
    }

    #[test]
    fn child_bitmaps_find_what_the_scan_and_search_find() {
        // Wide nodes: every byte after "x", every letter after "к" (whose second
        // byte is the last of its word in the bitmap), and bytes of all four words.
        let mut owned: Vec<String> = (b'0'..=b'z')
            .map(|b| format!("x{}", char::from(b)))
            .chain(('а'..='я').map(|c| format!("к{c}")))
            .chain(('а'..='я').map(|c| format!("к{c}н")))
            .chain(['x', 'ÿ', 'ж', '新', '\u{1F600}', '.'].map(|c| format!("q{c}")))
            .collect();
        owned.extend(["x", "к", "q", "kazakh", "新疆"].map(str::to_owned));
        owned.sort_unstable();
        owned.dedup();
        let patterns: Vec<&str> = owned.iter().map(String::as_str).collect();
        let text = "x0 xz xy x x~ кан кя кянн к кё q. qx qÿ qж q新 q\u{1F600} qz 新疆 xq kazakh";
        let plain = hits_with_bitmaps(&patterns, usize::MAX, text);
        assert_eq!(plain.len(), 35, "{plain:?}");
        for wide in [0, 1, 4, 8] {
            assert_eq!(
                hits_with_bitmaps(&patterns, wide, text),
                plain,
                "wide {wide}"
            );
        }
    }

    #[test]
    fn cyrillic_patterns_and_text_end() {
        let got = found(&["казахстан", "казах", "ош"], "в Казахстан ош");
        // Folding is the caller's job: the capitalised word is not "казахстан".
        assert_eq!(got, [("ош".to_owned(), 22)]);
        assert!(found(&["казахстан"], "казахста").is_empty());
    }
}
