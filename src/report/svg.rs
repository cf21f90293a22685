//! Charts as inline SVG, so a report draws with no script and no network: lines, bands
//! and areas over shared axes, with labelled ticks and a legend.

use std::fmt::Write as _;

use maud::{Markup, html};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 24.0;
const BOTTOM: f64 = 24.0;

enum Layer {
    Line(Vec<(f64, f64)>),
    /// Filled between `y = 0` and the points.
    Area(Vec<(f64, f64)>),
    /// Filled between a lower and an upper line over the same x.
    Band(Vec<(f64, f64)>, Vec<(f64, f64)>),
}

struct Drawn {
    label: String,
    colour: &'static str,
    layer: Layer,
}

/// A chart being built: layers drawn in the order added, axes fitted to all of them.
#[derive(Default)]
pub struct Chart {
    layers: Vec<Drawn>,
}

impl Chart {
    pub fn line(mut self, label: &str, colour: &'static str, points: Vec<(f64, f64)>) -> Self {
        self.push(label, colour, Layer::Line(points));
        self
    }

    pub fn area(mut self, label: &str, colour: &'static str, points: Vec<(f64, f64)>) -> Self {
        self.push(label, colour, Layer::Area(points));
        self
    }

    pub fn band(mut self, label: &str, colour: &'static str, lower: Vec<(f64, f64)>, upper: Vec<(f64, f64)>) -> Self {
        self.push(label, colour, Layer::Band(lower, upper));
        self
    }

    fn push(&mut self, label: &str, colour: &'static str, layer: Layer) {
        self.layers.push(Drawn {
            label: label.to_owned(),
            colour,
            layer,
        });
    }

    fn bounds(&self) -> Option<((f64, f64), (f64, f64))> {
        let mut x = (f64::INFINITY, f64::NEG_INFINITY);
        let mut y = (f64::INFINITY, f64::NEG_INFINITY);
        let mut take = |points: &[(f64, f64)]| {
            for &(px, py) in points.iter().filter(|(px, py)| px.is_finite() && py.is_finite()) {
                x = (x.0.min(px), x.1.max(px));
                y = (y.0.min(py), y.1.max(py));
            }
        };
        for d in &self.layers {
            match &d.layer {
                Layer::Line(p) => take(p),
                Layer::Area(p) => {
                    take(p);
                    take(&[(p.first()?.0, 0.0)]);
                }
                Layer::Band(lo, hi) => {
                    take(lo);
                    take(hi);
                }
            }
        }
        if !(x.0 <= x.1 && y.0 <= y.1) {
            return None;
        }
        // a flat series still gets an axis of some height
        if y.0 == y.1 {
            let pad = if y.0 == 0.0 { 1.0 } else { y.0.abs() * 0.05 };
            y = (y.0 - pad, y.1 + pad);
        }
        if x.0 == x.1 {
            x = (x.0 - 1.0, x.1 + 1.0);
        }
        Some((x, y))
    }

    /// The chart as an `<svg>` with element id `id`; `x_tick` and `y_tick` label the axes.
    pub fn render(&self, id: &str, x_tick: &dyn Fn(f64) -> String, y_tick: &dyn Fn(f64) -> String) -> Markup {
        let Some(((x0, x1), (y0, y1))) = self.bounds() else {
            return html! { p.empty { "nothing to draw" } };
        };
        let ticks = nice_ticks(y0, y1, 5);
        let (y0, y1) = (y0.min(ticks[0]), y1.max(*ticks.last().expect("at least two ticks")));
        let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * (WIDTH - LEFT - RIGHT);
        let py = |y: f64| TOP + (y1 - y) / (y1 - y0) * (HEIGHT - TOP - BOTTOM);
        let path = |points: &[(f64, f64)]| {
            let mut s = String::with_capacity(points.len() * 12);
            for &(x, y) in points {
                let _ = write!(s, "{:.1},{:.1} ", px(x), py(y));
            }
            s
        };
        let x_ticks: Vec<f64> = (0..5).map(|i| x0 + (x1 - x0) * f64::from(i) / 4.0).collect();
        html! {
            svg id=(id) viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" xmlns="http://www.w3.org/2000/svg" {
                rect x=(LEFT) y=(TOP) width=(WIDTH - LEFT - RIGHT) height=(HEIGHT - TOP - BOTTOM) fill="#fff" stroke="#ddd" {}
                @for &t in &ticks {
                    line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(format!("{:.1}", py(t))) y2=(format!("{:.1}", py(t))) stroke="#eee" {}
                    text x=(LEFT - 6.0) y=(format!("{:.1}", py(t) + 4.0)) text-anchor="end" { (y_tick(t)) }
                }
                @for (i, &t) in x_ticks.iter().enumerate() {
                    text x=(format!("{:.1}", px(t))) y=(HEIGHT - 6.0)
                        text-anchor=(match i { 0 => "start", 4 => "end", _ => "middle" }) { (x_tick(t)) }
                }
                @for d in &self.layers {
                    @match &d.layer {
                        Layer::Line(p) => polyline points=(path(p)) fill="none" stroke=(d.colour) stroke-width="1.5" {},
                        Layer::Area(p) => polygon points=(format!("{:.1},{:.1} {}{:.1},{:.1}",
                            px(p.first().map_or(x0, |f| f.0)), py(0.0), path(p), px(p.last().map_or(x1, |l| l.0)), py(0.0)))
                            fill=(d.colour) fill-opacity="0.5" stroke=(d.colour) {},
                        Layer::Band(lo, hi) => polygon points=({
                            let mut upper_back = hi.clone();
                            upper_back.reverse();
                            path(lo) + &path(&upper_back)
                        }) fill=(d.colour) fill-opacity="0.25" stroke="none" {},
                    }
                }
                @for (i, d) in self.layers.iter().enumerate() {
                    rect x=(LEFT + 8.0 + 180.0 * i as f64) y="6" width="12" height="10" fill=(d.colour) {}
                    text x=(LEFT + 24.0 + 180.0 * i as f64) y="15" { (d.label) }
                }
            }
        }
    }
}

/// Evenly spaced round values (1, 2 or 5 times a power of ten apart) covering `[lo, hi]`.
fn nice_ticks(lo: f64, hi: f64, about: usize) -> Vec<f64> {
    let raw = (hi - lo) / about as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last.max(first + 1)).map(|k| k as f64 * step).collect()
}

/// At most `2 * buckets` of `points`: each bucket's lowest and highest, in their order, so
/// the drawn line keeps every extreme (a drawdown's bottom is never sampled away).
pub fn envelope(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let size = points.len().div_ceil(buckets.max(1)).max(1);
    if size <= 2 {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(2 * buckets + 1);
    for chunk in points.chunks(size) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        out.push(chunk[lo.min(hi)]);
        if lo != hi {
            out.push(chunk[lo.max(hi)]);
        }
    }
    // the last point is where the line ends, whatever its bucket's extremes
    if let Some(&last) = points.last()
        && out.last() != Some(&last)
    {
        out.push(last);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_keeps_every_extreme_and_the_end() {
        let points: Vec<(f64, f64)> = (0..10_000)
            .map(|i| (f64::from(i), (f64::from(i) * 0.01).sin()))
            .collect();
        let mut spiked = points.clone();
        spiked[4321].1 = -5.0;
        spiked[777].1 = 5.0;
        let drawn = envelope(&spiked, 100);
        assert!(drawn.len() <= 201);
        assert!(drawn.contains(&spiked[4321]) && drawn.contains(&spiked[777]));
        assert_eq!(drawn.last(), spiked.last());
        assert!(drawn.windows(2).all(|w| w[0].0 < w[1].0), "in time order");
        assert_eq!(
            envelope(&points[..150], 100),
            points[..150].to_vec(),
            "short series kept whole"
        );
    }

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        let shown: Vec<String> = nice_ticks(0.0, 1.0, 5).iter().map(|t| format!("{t:.3}")).collect();
        assert_eq!(shown, ["0.000", "0.200", "0.400", "0.600", "0.800", "1.000"]);
        let t = nice_ticks(-0.37, 0.12, 5);
        assert!(t[0] <= -0.37 && *t.last().unwrap() >= 0.12);
        assert_eq!(nice_ticks(950.0, 1210.0, 5).first(), Some(&900.0));
    }

    #[test]
    fn a_chart_without_points_says_so() {
        let svg = Chart::default()
            .line("x", "#000", vec![])
            .render("c", &|x| x.to_string(), &|y| y.to_string());
        assert!(svg.into_string().contains("nothing to draw"));
    }
}
