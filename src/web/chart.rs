//! Bar charts as server-rendered SVG: no chart script (the CSP allows none inline), each
//! bar's value in its `<title>` (shown on hover and read by screen readers), the axis
//! labelled with the scale's top and the first and last periods, and a dashed line at
//! the plan's limit when there is one. Pages put a table of the same figures beside it.

use std::fmt::Write;

/// One bar: its period's label and value.
pub struct Point {
    pub label: String,
    pub value: i64,
}

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 160.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG of `points` (oldest first) titled `title`; `show` formats values; the limit
/// line's hover text is `limit`'s word (`Limit`, `Limite`) and value.
pub fn bars(
    title: &str,
    points: &[Point],
    limit: Option<(i64, &str)>,
    show: impl Fn(i64) -> String,
) -> String {
    let top = points
        .iter()
        .map(|p| p.value)
        .chain(limit.map(|(n, _)| n))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="usage-chart w-full" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        escape(title),
        escape(title)
    );
    // Axis: the scale's top and zero.
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}" stroke="#cbd5e1"/><line x1="{LEFT}" y1="{}" x2="{WIDTH}" y2="{}" stroke="#cbd5e1"/><text x="{}" y="{}" font-size="10" text-anchor="end" fill="#64748b">{}</text><text x="{}" y="{}" font-size="10" text-anchor="end" fill="#64748b">0</text>"##,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM,
        LEFT - 4.0,
        TOP + 8.0,
        escape(&show(top as i64)),
        LEFT - 4.0,
        HEIGHT - BOTTOM,
    );
    if points.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#64748b">No data yet</text>"##,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
    }
    let slot = plot_w / points.len().max(1) as f64;
    let gap = if slot > 4.0 { slot * 0.2 } else { 0.0 };
    for (i, p) in points.iter().enumerate() {
        let h = (p.value.max(0) as f64 / top * plot_h).max(if p.value > 0 { 1.0 } else { 0.0 });
        let x = LEFT + i as f64 * slot + gap / 2.0;
        let y = HEIGHT - BOTTOM - h;
        let _ = write!(
            svg,
            r##"<rect class="usage-bar" x="{x:.2}" y="{y:.2}" width="{:.2}" height="{h:.2}" fill="#4f46e5"><title>{}: {}</title></rect>"##,
            (slot - gap).max(0.5),
            escape(&p.label),
            escape(&show(p.value))
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            svg,
            r##"<text x="{LEFT}" y="{}" font-size="10" fill="#64748b">{}</text><text x="{WIDTH}" y="{}" font-size="10" text-anchor="end" fill="#64748b">{}</text>"##,
            HEIGHT - 6.0,
            escape(&first.label),
            HEIGHT - 6.0,
            escape(&last.label)
        );
    }
    if let Some((limit, word)) = limit {
        let y = HEIGHT - BOTTOM - limit as f64 / top * plot_h;
        let _ = write!(
            svg,
            r##"<line class="usage-limit-line" x1="{LEFT}" y1="{y:.2}" x2="{WIDTH}" y2="{y:.2}" stroke="#dc2626" stroke-dasharray="4 3"><title>{}: {}</title></line>"##,
            escape(word),
            escape(&show(limit))
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: usize) -> Vec<Point> {
        (0..n)
            .map(|i| Point {
                label: format!("day {i}"),
                value: i as i64 * 3,
            })
            .collect()
    }

    #[test]
    fn no_data_one_day_and_400_days() {
        let empty = bars("Page requests", &[], None, |v| v.to_string());
        assert!(empty.starts_with("<svg") && empty.ends_with("</svg>"));
        assert!(empty.contains("No data yet") && !empty.contains("usage-bar"));

        let one = bars(
            "API calls",
            &[Point {
                label: "2026-12-01".into(),
                value: 42,
            }],
            Some((100, "Limit")),
            |v| v.to_string(),
        );
        assert_eq!(one.matches("class=\"usage-bar\"").count(), 1);
        assert!(one.contains("<title>2026-12-01: 42</title>"));
        assert!(one.contains("<title>Limit: 100</title>"));

        let many = bars("Pages", &days(400), None, |v| v.to_string());
        assert_eq!(many.matches("class=\"usage-bar\"").count(), 400);
        assert!(many.contains("<title>day 399: 1197</title>"));
        assert!(!many.contains("NaN") && !many.contains("inf"));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = bars(
            "<x>",
            &[Point {
                label: "a&b".into(),
                value: 1,
            }],
            None,
            |v| v.to_string(),
        );
        assert!(svg.contains("&lt;x&gt;") && svg.contains("a&amp;b"));
    }
}
