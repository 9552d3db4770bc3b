//! Counts per day drawn as a small inline SVG bar chart, on the server, from
//! plain data (no I/O): one chart per watchlist or country on the page.

use chrono::{Datelike, NaiveDate};
use maud::{Markup, html};

/// Drawing size in SVG user units; the SVG scales to its container's width.
const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 92.0;
/// Top of the plot, leaving room for the peak label.
const PLOT_TOP: f64 = 10.0;
/// The baseline; month labels sit below it.
const BASELINE: f64 = 76.0;

/// One line of the chart grid: what is counted and its counts per day, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Shown as the card's heading, e.g. "xinjiang" or "KZ".
    pub label: String,
    /// Where the heading links (the article list filtered to this series).
    pub href: String,
    pub points: Vec<(NaiveDate, u32)>,
}

/// Figures shown beside a chart: is it rising?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trend {
    pub total: u64,
    /// Mentions in the last 7 days of the series.
    pub last_week: u64,
    /// Mentions in the 7 days before those.
    pub prev_week: u64,
}

impl Series {
    pub fn trend(&self) -> Trend {
        let counts: Vec<u64> = self.points.iter().map(|(_, n)| u64::from(*n)).collect();
        let n = counts.len();
        let last_week = counts[n.saturating_sub(7)..].iter().sum();
        let prev_week = counts[n.saturating_sub(14)..n.saturating_sub(7)]
            .iter()
            .sum();
        Trend {
            total: counts.iter().sum(),
            last_week,
            prev_week,
        }
    }
}

impl Trend {
    /// "▲ 40% vs the week before", "▼ 25% …", "new this week", or "flat".
    pub fn describe(&self) -> String {
        match (self.prev_week, self.last_week) {
            (0, 0) => "none in the last two weeks".to_string(),
            (0, _) => "new this week".to_string(),
            (prev, last) if prev == last => "same as the week before".to_string(),
            (prev, last) => {
                let change = (last as f64 - prev as f64) / prev as f64 * 100.0;
                let arrow = if change > 0.0 { "▲" } else { "▼" };
                format!("{arrow} {:.0}% vs the week before", change.abs())
            }
        }
    }

    /// CSS class for the trend text.
    pub fn class(&self) -> &'static str {
        match self.last_week.cmp(&self.prev_week) {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Less => "down",
            std::cmp::Ordering::Equal => "flat",
        }
    }
}

/// The SVG for one series: a bar per day (hover shows the date and count),
/// a peak gridline and month labels.
pub fn render(series: &Series) -> Markup {
    let points = &series.points;
    let peak = points.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let slot = WIDTH / points.len().max(1) as f64;
    let bar_width = (slot * 0.8).max(0.5);
    let scale = (BASELINE - PLOT_TOP) / f64::from(peak);
    let trend = series.trend();
    let label = format!(
        "{}: {} mentions in {} days, {} in the last 7",
        series.label,
        trend.total,
        points.len(),
        trend.last_week
    );
    html! {
        svg.chart viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-label=(label)
            xmlns="http://www.w3.org/2000/svg" {
            line.grid x1="0" x2=(WIDTH) y1=(PLOT_TOP) y2=(PLOT_TOP) {}
            text.peak x=(WIDTH) y=(PLOT_TOP - 2.0) text-anchor="end" { (peak) }
            @for (i, (day, n)) in points.iter().enumerate() {
                @if day.day() == 1 {
                    line.month x1=(fmt(i as f64 * slot)) x2=(fmt(i as f64 * slot)) y1=(PLOT_TOP) y2=(BASELINE + 3.0) {}
                    text.month x=(fmt(i as f64 * slot + 2.0)) y=(HEIGHT - 4.0) { (day.format("%b")) }
                }
                @if *n > 0 {
                    rect.bar x=(fmt(i as f64 * slot + (slot - bar_width) / 2.0)) y=(fmt(BASELINE - f64::from(*n) * scale))
                        width=(fmt(bar_width)) height=(fmt(f64::from(*n) * scale)) {
                        title { (day.format("%Y-%m-%d")) ": " (n) }
                    }
                }
            }
            line.axis x1="0" x2=(WIDTH) y1=(BASELINE) y2=(BASELINE) {}
        }
    }
}

/// Two decimals are plenty for a 360-unit drawing and keep the markup short.
fn fmt(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(counts: &[u32]) -> Series {
        let start = NaiveDate::from_ymd_opt(2026, 9, 28).unwrap();
        Series {
            label: "KZ <b>".to_string(),
            href: "/?country=KZ".to_string(),
            points: start.iter_days().zip(counts.iter().copied()).collect(),
        }
    }

    #[test]
    fn draws_one_bar_per_nonzero_day_scaled_to_the_peak() {
        let svg = render(&series(&[0, 2, 4, 0])).into_string();
        assert_eq!(svg.matches("<rect").count(), 2);
        // The peak bar spans the whole plot height; the half bar half of it.
        assert!(
            svg.contains(&format!("height=\"{}\"", fmt(BASELINE - PLOT_TOP))),
            "{svg}"
        );
        assert!(
            svg.contains(&format!("height=\"{}\"", fmt((BASELINE - PLOT_TOP) / 2.0))),
            "{svg}"
        );
        assert!(svg.contains("<title>2026-09-30: 4</title>"), "{svg}");
        // October 1st (index 3) starts a month.
        assert!(svg.contains(">Oct</text>"), "{svg}");
        assert!(
            svg.contains("aria-label=\"KZ &lt;b&gt;: 6 mentions in 4 days"),
            "{svg}"
        );
    }

    #[test]
    fn an_empty_series_draws_no_bars() {
        let svg = render(&series(&[0, 0, 0])).into_string();
        assert_eq!(svg.matches("<rect").count(), 0);
        assert!(svg.contains("<svg"));
    }

    #[test]
    fn trend_compares_the_last_week_with_the_one_before() {
        let mut counts = vec![1u32; 7];
        counts.extend([2u32; 7]);
        let trend = series(&counts).trend();
        assert_eq!(
            trend,
            Trend {
                total: 21,
                last_week: 14,
                prev_week: 7
            }
        );
        assert_eq!(trend.describe(), "▲ 100% vs the week before");
        assert_eq!(trend.class(), "up");
        let falling = Trend {
            total: 4,
            last_week: 1,
            prev_week: 4,
        };
        assert_eq!(falling.describe(), "▼ 75% vs the week before");
        assert_eq!(
            Trend {
                total: 3,
                last_week: 3,
                prev_week: 0
            }
            .describe(),
            "new this week"
        );
    }
}
