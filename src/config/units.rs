//! Durations ("15m", "2h", "1h30m") and byte sizes ("10MiB") as written in the file,
//! and their formatting back for `steppewatch check`.
//!
//! Errors are plain sentences so validation can prefix them with `file:line:`.

use std::time::Duration;

/// Duration units, longest suffix first so "ms" is tried before "m".
const DURATION_UNITS: [(&str, u64); 6] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Size units, case-sensitive: `KB` is 1000 bytes and `KiB` 1024, as operators expect.
const SIZE_UNITS: [(&str, u64); 9] = [
    ("B", 1),
    ("KB", 1_000),
    ("KiB", 1 << 10),
    ("MB", 1_000_000),
    ("MiB", 1 << 20),
    ("GB", 1_000_000_000),
    ("GiB", 1 << 30),
    ("TB", 1_000_000_000_000),
    ("TiB", 1 << 40),
];

/// Parses "500ms", "30s", "15m", "2h", "3d", "1w" or a sequence of them ("1h30m").
///
/// # Errors
/// A sentence naming the text and the accepted units.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "`{text}` is not a duration; write a number and a unit, such as \"500ms\", \"30s\", \"15m\", \"2h\" or \"3d\""
        )
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total_ms: u64 = 0;
    while !rest.is_empty() {
        let (number, after) = split_number(rest).ok_or_else(bad)?;
        let unit_len = after
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(after.len());
        let unit = after[..unit_len].trim();
        let scale = DURATION_UNITS
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, scale)| *scale)
            .ok_or_else(bad)?;
        let part = number
            .checked_mul(scale)
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        total_ms = total_ms
            .checked_add(part)
            .ok_or_else(|| format!("`{text}` is too long a duration"))?;
        rest = after[unit_len..].trim_start();
    }
    Ok(Duration::from_millis(total_ms))
}

/// Parses "100B", "512KiB", "10MiB", "1GB"; a bare number is bytes.
///
/// # Errors
/// A sentence naming the text and the accepted units.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "`{text}` is not a size; write a number and a unit, such as \"512KiB\", \"10MiB\" or \"1GB\""
        )
    };
    let (number, unit) = split_number(text.trim()).ok_or_else(bad)?;
    let unit = unit.trim();
    if unit.is_empty() {
        return Ok(number);
    }
    let scale = SIZE_UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, scale)| *scale)
        .ok_or_else(bad)?;
    number
        .checked_mul(scale)
        .ok_or_else(|| format!("`{text}` is too large a size"))
}

/// Splits leading ASCII digits off `text`: ("15", "m") for "15m".
fn split_number(text: &str) -> Option<(u64, &str)> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number = text[..end].parse().ok()?;
    Some((number, &text[end..]))
}

/// Formats a duration the way the file writes it: "15m", "1h30m", "500ms", "0s".
pub fn format_duration(duration: Duration) -> String {
    let mut ms = duration.as_millis();
    if ms == 0 {
        return "0s".to_owned();
    }
    let mut out = String::new();
    for (name, scale) in DURATION_UNITS.iter().rev().filter(|(name, _)| *name != "w") {
        let scale = u128::from(*scale);
        if ms >= scale {
            out.push_str(&format!("{}{name}", ms / scale));
            ms %= scale;
        }
    }
    out
}

/// Formats a size with the largest binary unit that divides it exactly: "10MiB", "1500B".
pub fn format_size(bytes: u64) -> String {
    let binary = [
        ("TiB", 1u64 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (name, scale) in binary {
        if bytes >= scale && bytes.is_multiple_of(scale) {
            return format!("{}{name}", bytes / scale);
        }
    }
    format!("{bytes}B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        let cases = [
            ("500ms", 500),
            ("1s", 1_000),
            ("15m", 900_000),
            ("2h", 7_200_000),
            ("3d", 259_200_000),
            ("1w", 604_800_000),
            ("1h30m", 5_400_000),
            ("1m 30s", 90_000),
            (" 0s ", 0),
        ];
        for (text, ms) in cases {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_millis(ms)),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_durations_are_refused_with_a_sentence() {
        for text in [
            "",
            "15",
            "m",
            "15 minutes",
            "1.5h",
            "-5s",
            "15M",
            "5s5",
            "99999999999999999999s",
        ] {
            let err = parse_duration(text).expect_err(text);
            assert!(err.contains(&format!("`{text}`")), "{err}");
        }
    }

    #[test]
    fn sizes_parse() {
        let cases = [
            ("100B", 100),
            ("512KiB", 524_288),
            ("10MiB", 10_485_760),
            ("1GB", 1_000_000_000),
            ("2KB", 2_000),
            ("1GiB", 1_073_741_824),
            ("4096", 4096),
            ("10 MiB", 10_485_760),
        ];
        for (text, bytes) in cases {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn bad_sizes_are_refused_with_a_sentence() {
        for text in [
            "",
            "MiB",
            "10mib",
            "10 megabytes",
            "1.5MiB",
            "-1B",
            "99999999999TiB",
        ] {
            let err = parse_size(text).expect_err(text);
            assert!(err.contains(&format!("`{text}`")), "{err}");
        }
    }

    #[test]
    fn formatting_round_trips() {
        for text in ["500ms", "1s", "15m", "1h30m", "3d", "1d2h3m4s5ms", "0s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap()), text);
        }
        for text in ["100B", "512KiB", "10MiB", "1GiB", "1500B"] {
            assert_eq!(format_size(parse_size(text).unwrap()), text);
        }
    }
}
