//! Publication dates as feeds and pages really write them: RFC 3339 and
//! RFC 822 first, then a tolerant reading of the rest (month names in
//! English, Russian, Kazakh and Uzbek, wrong weekdays, missing zones).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// How far in the future a published date may lie before it is taken to be
/// wrong: a day covers every time zone plus a generous clock skew.
pub const MAX_FUTURE: Duration = Duration::days(1);

/// Parse a date as found in a feed or page. A date without a time zone is
/// taken as UTC; a date without a time as midnight.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| parse_loose(s))
}

/// `published`, unless it lies more than [`MAX_FUTURE`] after `now`: then `now`.
/// Feeds with broken clocks or time zones must not pin an article to the top of every list.
pub fn clamp_published(published: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    if published > now + MAX_FUTURE {
        now
    } else {
        published
    }
}

/// One piece of a date string.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// A run of digits: value and number of digits.
    Num(u32, usize),
    Word(String),
    Punct(char),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(d) = chars.next_if(char::is_ascii_digit) {
                digits.push(d);
            }
            // Longer runs are not date parts; saturate rather than overflow.
            toks.push(Tok::Num(digits.parse().unwrap_or(u32::MAX), digits.len()));
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(l) = chars.next_if(|c| c.is_alphabetic()) {
                word.extend(l.to_lowercase());
            }
            toks.push(Tok::Word(word));
        } else {
            chars.next();
            if !c.is_whitespace() {
                toks.push(Tok::Punct(c));
            }
        }
    }
    toks
}

/// Date parts gathered from the tokens.
#[derive(Debug, Default)]
struct Parts {
    numbers: Vec<(u32, usize)>,
    month_name: Option<u32>,
    time: Option<(u32, u32, u32)>,
    offset_secs: Option<i32>,
    pm: Option<bool>,
    /// Token index just after the time, where a `-0500` offset may follow.
    time_end: Option<usize>,
}

fn parse_loose(s: &str) -> Option<DateTime<Utc>> {
    let parts = gather(&tokenize(s));
    let date = resolve_date(&parts)?;
    let (mut h, m, sec) = parts.time.unwrap_or((0, 0, 0));
    match parts.pm {
        Some(true) if h < 12 => h += 12,
        Some(false) if h == 12 => h = 0,
        _ => {}
    }
    // Some feeds write midnight as 24:00 of the same day.
    if h == 24 {
        h = 0;
    }
    let naive = NaiveDateTime::new(date, NaiveTime::from_hms_opt(h, m, sec.min(59))?);
    let offset = FixedOffset::east_opt(parts.offset_secs.unwrap_or(0))?;
    Some(
        offset
            .from_local_datetime(&naive)
            .single()?
            .with_timezone(&Utc),
    )
}

fn gather(toks: &[Tok]) -> Parts {
    let mut parts = Parts::default();
    let mut i = 0;
    while i < toks.len() {
        i += match &toks[i..] {
            [Tok::Num(h, hl), Tok::Punct(':'), Tok::Num(m, 2), rest @ ..]
                if *hl <= 2 && parts.time.is_none() =>
            {
                let (sec, used) = match rest {
                    [Tok::Punct(':'), Tok::Num(s, 2), ..] => (*s, 5),
                    _ => (0, 3),
                };
                parts.time = Some((*h, *m, sec));
                let used = used + skip_fraction(&toks[i + used..]);
                parts.time_end = Some(i + used);
                used
            }
            // A `-` is a date separator unless it directly follows the time.
            [Tok::Punct(sign @ ('+' | '-')), rest @ ..]
                if parts.offset_secs.is_none()
                    && (parts.time_end == Some(i) || (*sign == '+' && parts.time.is_some())) =>
            {
                match numeric_offset(rest) {
                    Some((secs, used)) => {
                        parts.offset_secs = Some(if *sign == '-' { -secs } else { secs });
                        1 + used
                    }
                    None => 1,
                }
            }
            [Tok::Num(n, len), ..] => {
                parts.numbers.push((*n, *len));
                1
            }
            [Tok::Word(w), ..] => {
                read_word(w, &mut parts);
                1
            }
            _ => 1,
        };
    }
    parts
}

/// Tokens used by a fractional-seconds part (`.123`) right after a time.
fn skip_fraction(toks: &[Tok]) -> usize {
    match toks {
        [Tok::Punct('.' | ','), Tok::Num(..), ..] => 2,
        _ => 0,
    }
}

/// `0300`, `03:00` or `03` after a sign: seconds east and tokens used.
fn numeric_offset(toks: &[Tok]) -> Option<(i32, usize)> {
    let (h, m, used) = match toks {
        [Tok::Num(hm, 4), ..] => (hm / 100, hm % 100, 1),
        [Tok::Num(h, 2), Tok::Punct(':'), Tok::Num(m, 2), ..] => (*h, *m, 3),
        [Tok::Num(h, 1 | 2), ..] => (*h, 0, 1),
        _ => return None,
    };
    (h <= 14 && m < 60).then(|| ((h * 3600 + m * 60) as i32, used))
}

fn read_word(w: &str, parts: &mut Parts) {
    if let Some(m) = month_from_name(w) {
        parts.month_name.get_or_insert(m);
    } else if let Some(off) = zone_offset(w) {
        parts.offset_secs.get_or_insert(off);
    } else if w == "pm" || w == "am" {
        parts.pm = Some(w == "pm");
    }
}

/// Day, month and year from the collected numbers and month name.
fn resolve_date(p: &Parts) -> Option<NaiveDate> {
    let nums = &p.numbers;
    let (y, m, d) = match (p.month_name, nums.as_slice()) {
        (Some(m), [a, b, ..]) if a.1 == 4 => (a.0, m, b.0),
        (Some(m), [a, b, ..]) => (b.0, m, a.0),
        (None, [a, b, c, ..]) if a.1 == 4 => (a.0, b.0, c.0),
        // Day first unless that cannot be (10/19/2023).
        (None, [a, b, c, ..]) if b.0 > 12 && a.0 <= 12 => (c.0, a.0, b.0),
        (None, [a, b, c, ..]) => (c.0, b.0, a.0),
        _ => return None,
    };
    let y = if y < 100 { 2000 + y } else { y };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)
}

/// Month number from a month name or abbreviation (English, Russian in any
/// case form, Kazakh, Uzbek Latin), matched by its distinctive stem.
fn month_from_name(w: &str) -> Option<u32> {
    const STEMS: &[(&str, u32)] = &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
        ("янв", 1),
        ("фев", 2),
        ("мар", 3),
        ("апр", 4),
        ("мая", 5),
        ("май", 5),
        ("июн", 6),
        ("июл", 7),
        ("авг", 8),
        ("сен", 9),
        ("окт", 10),
        ("ноя", 11),
        ("дек", 12),
        ("қаңтар", 1),
        ("ақпан", 2),
        ("наурыз", 3),
        ("сәуір", 4),
        ("мамыр", 5),
        ("маусым", 6),
        ("шілде", 7),
        ("тамыз", 8),
        ("қыркүйек", 9),
        ("қазан", 10),
        ("қараша", 11),
        ("желтоқсан", 12),
        ("yanvar", 1),
        ("fevral", 2),
        ("aprel", 4),
        ("iyun", 6),
        ("iyul", 7),
        ("avgust", 8),
        ("sentabr", 9),
        ("oktabr", 10),
        ("noyabr", 11),
        ("dekabr", 12),
    ];
    if w.chars().count() < 3 {
        return None;
    }
    STEMS
        .iter()
        .find(|(stem, _)| w.starts_with(stem))
        .map(|(_, m)| *m)
}

/// Offsets of zone names seen in Central Asian and international feeds.
fn zone_offset(w: &str) -> Option<i32> {
    let hours = match w {
        "z" | "ut" | "utc" | "gmt" => 0.0,
        "msk" => 3.0,
        "almt" | "qyzt" | "aqtt" | "uzt" | "tjt" | "tmt" | "pkt" => 5.0,
        "kgt" | "bdt" => 6.0,
        "ict" => 7.0,
        "cst" | "est" | "edt" | "cdt" | "mst" | "mdt" | "pst" | "pdt" => return us_zone(w),
        "hkt" | "sgt" | "awst" => 8.0,
        "jst" | "kst" => 9.0,
        "cet" => 1.0,
        "cest" | "eet" => 2.0,
        "eest" | "trt" => 3.0,
        "ist" => 5.5,
        _ => return None,
    };
    Some((hours * 3600.0) as i32)
}

/// RFC 822's North American zones.
fn us_zone(w: &str) -> Option<i32> {
    let hours = match w {
        "edt" => -4,
        "est" | "cdt" => -5,
        "cst" | "mdt" => -6,
        "mst" | "pdt" => -7,
        "pst" => -8,
        _ => return None,
    };
    Some(hours * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    macro_rules! date_case {
        ($name:ident, $input:expr, $expected:expr) => {
            #[test]
            fn $name() {
                assert_eq!(
                    parse_date($input),
                    Some(utc($expected)),
                    "input: {}",
                    $input
                );
            }
        };
    }

    date_case!(rfc3339, "2023-10-19T14:30:00+05:00", "2023-10-19T09:30:00Z");
    date_case!(
        rfc2822,
        "Thu, 19 Oct 2023 14:30:00 +0600",
        "2023-10-19T08:30:00Z"
    );
    date_case!(
        rfc2822_wrong_weekday,
        "Mon, 19 Oct 2023 14:30:00 GMT",
        "2023-10-19T14:30:00Z"
    );
    date_case!(
        long_month_and_weekday,
        "Thursday, 19 October 2023 14:30:00 +0300",
        "2023-10-19T11:30:00Z"
    );
    date_case!(
        russian_abbrev,
        "19 окт 2023 14:30:00 +0300",
        "2023-10-19T11:30:00Z"
    );
    date_case!(
        russian_genitive_no_zone,
        "19 октября 2023, 14:30",
        "2023-10-19T14:30:00Z"
    );
    date_case!(
        russian_weekday_may,
        "Чт, 18 мая 2023 09:05:00 +0600",
        "2023-05-18T03:05:00Z"
    );
    date_case!(kazakh, "19 қазан 2023 10:00", "2023-10-19T10:00:00Z");
    date_case!(uzbek_latin, "19-oktabr 2023 10:00", "2023-10-19T10:00:00Z");
    date_case!(
        iso_without_zone,
        "2023-10-19T14:30:00",
        "2023-10-19T14:30:00Z"
    );
    date_case!(
        iso_space_fraction_offset,
        "2023-10-19 14:30:00.123 +03:00",
        "2023-10-19T11:30:00Z"
    );
    date_case!(date_only, "2023-10-19", "2023-10-19T00:00:00Z");
    date_case!(dotted_day_first, "19.10.2023 14:30", "2023-10-19T14:30:00Z");
    date_case!(us_slashes, "10/19/2023 2:30 PM", "2023-10-19T14:30:00Z");
    date_case!(
        named_zone_msk,
        "19 Oct 2023 14:30 MSK",
        "2023-10-19T11:30:00Z"
    );
    date_case!(
        month_first,
        "October 19, 2023 8:15 am",
        "2023-10-19T08:15:00Z"
    );
    date_case!(time_before_date, "14:30 19-10-2023", "2023-10-19T14:30:00Z");
    date_case!(
        hour_24,
        "Thu, 19 Oct 2023 24:00:00 +0000",
        "2023-10-19T00:00:00Z"
    );

    #[test]
    fn garbage_is_none() {
        for s in [
            "",
            "   ",
            "yesterday",
            "32.13.2023",
            "12345678901234567890",
            "Feb 30 2023",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn future_dates_are_clamped() {
        let now = utc("2024-03-01T12:00:00Z");
        assert_eq!(
            clamp_published(utc("2024-03-02T11:00:00Z"), now),
            utc("2024-03-02T11:00:00Z")
        );
        assert_eq!(clamp_published(utc("2024-03-05T00:00:00Z"), now), now);
        assert_eq!(
            clamp_published(utc("2020-01-01T00:00:00Z"), now),
            utc("2020-01-01T00:00:00Z")
        );
    }
}
