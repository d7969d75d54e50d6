//! A minimal SVG writer: elements appended as text, numbers with one
//! decimal, text escaped. Hand-written rather than a plotting crate so the
//! bytes depend on nothing but the data (the staleness test compares them).

use std::fmt::Write;

/// An SVG document being built.
#[derive(Debug)]
pub struct Svg {
    width: f64,
    height: f64,
    body: String,
}

/// Where text sits relative to its anchor point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Left-aligned.
    Start,
    /// Centred.
    Middle,
    /// Right-aligned.
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// A number with one decimal, never "-0.0", so output is byte-stable.
#[must_use]
pub fn num(x: f64) -> String {
    let s = format!("{x:.1}");
    if s == "-0.0" {
        "0.0".to_string()
    } else {
        s
    }
}

/// Escapes text for XML content and attribute values.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl Svg {
    /// An empty document of the given size in pixels.
    #[must_use]
    pub fn new(width: f64, height: f64) -> Svg {
        Svg {
            width,
            height,
            body: String::new(),
        }
    }

    /// A rectangle; `style` is a `style` attribute's content.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, style: &str) {
        let _ = writeln!(
            self.body,
            r#"<rect x="{}" y="{}" width="{}" height="{}" style="{}"/>"#,
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0)),
            escape(style)
        );
    }

    /// A straight line.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), style: &str) {
        let _ = writeln!(
            self.body,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" style="{}"/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            escape(style)
        );
    }

    /// An open polyline through `points`; nothing when fewer than two.
    pub fn polyline(&mut self, points: &[(f64, f64)], style: &str) {
        if points.len() < 2 {
            return;
        }
        let pts: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{},{}", num(*x), num(*y)))
            .collect();
        let _ = writeln!(
            self.body,
            r#"<polyline points="{}" style="fill:none;{}"/>"#,
            pts.join(" "),
            escape(style)
        );
    }

    /// A circle.
    pub fn circle(&mut self, (x, y): (f64, f64), r: f64, style: &str) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{}" cy="{}" r="{}" style="{}"/>"#,
            num(x),
            num(y),
            num(r),
            escape(style)
        );
    }

    /// A cross (×) of half-size `r`, for dead letters.
    pub fn cross(&mut self, (x, y): (f64, f64), r: f64, style: &str) {
        let _ = writeln!(
            self.body,
            r#"<path d="M{} {}L{} {}M{} {}L{} {}" style="{}"/>"#,
            num(x - r),
            num(y - r),
            num(x + r),
            num(y + r),
            num(x - r),
            num(y + r),
            num(x + r),
            num(y - r),
            escape(style)
        );
    }

    /// Text at (x, y) (baseline), `size` in pixels.
    pub fn text(
        &mut self,
        (x, y): (f64, f64),
        size: f64,
        anchor: Anchor,
        style: &str,
        content: &str,
    ) {
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" text-anchor="{}" style="{}">{}</text>"#,
            num(x),
            num(y),
            num(size),
            anchor.name(),
            escape(style),
            escape(content)
        );
    }

    /// Text rotated −90° about its anchor (a vertical axis label).
    pub fn text_vertical(&mut self, (x, y): (f64, f64), size: f64, content: &str) {
        let _ = writeln!(
            self.body,
            r#"<text x="{}" y="{}" font-size="{}" text-anchor="middle" transform="rotate(-90 {} {})">{}</text>"#,
            num(x),
            num(y),
            num(size),
            num(x),
            num(y),
            escape(content)
        );
    }

    /// The finished document, with a white background and a title for
    /// screen readers.
    #[must_use]
    pub fn finish(self, title: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="Helvetica, Arial, sans-serif">"#,
            w = num(self.width),
            h = num(self.height)
        );
        let _ = writeln!(out, "<title>{}</title>", escape(title));
        let _ = writeln!(
            out,
            r#"<rect x="0" y="0" width="{}" height="{}" style="fill:#ffffff"/>"#,
            num(self.width),
            num(self.height)
        );
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_and_text_is_escaped() {
        assert_eq!(num(-0.04), "0.0");
        assert_eq!(num(2.25), "2.2");
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        let mut svg = Svg::new(10.0, 10.0);
        svg.text((1.0, 2.0), 10.0, Anchor::Start, "", "[0s, 60s)");
        let doc = svg.finish("t");
        assert!(doc.starts_with("<svg "));
        assert!(doc.ends_with("</svg>\n"));
    }
}
