//! A linear axis with explicit ticks, and number formats for labels.

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

/// A linear f64 axis whose ticks are given explicitly: `bold` ticks are labelled and get bold
/// grid lines, `light` ticks only light grid lines.
///
/// plotters' own `with_key_points` cannot be combined with custom label formatters on f64
/// axes, hence this small coordinate type. Labels default to [`fmt_num`]; charts usually set
/// their own with `x_label_formatter` / `y_label_formatter`.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Start of the range.
    pub lo: f64,
    /// End of the range.
    pub hi: f64,
    /// Labelled ticks.
    pub bold: Vec<f64>,
    /// Unlabelled ticks (light grid lines only).
    pub light: Vec<f64>,
}

impl Axis {
    /// `lo..hi` with labelled ticks `bold` and no light ones.
    pub fn new(lo: f64, hi: f64, bold: Vec<f64>) -> Axis {
        Axis {
            lo,
            hi,
            bold,
            light: Vec::new(),
        }
    }

    /// `lo..hi` with about `n` round labelled ticks ([`nice_ticks`]).
    pub fn nice(lo: f64, hi: f64, n: usize) -> Axis {
        Axis::new(lo, hi, nice_ticks(lo, hi, n))
    }

    /// This axis with the light ticks `light`.
    pub fn with_light(self, light: Vec<f64>) -> Axis {
        Axis { light, ..self }
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let f = (value - self.lo) / (self.hi - self.lo);
        limit.0 + (f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format(value: &f64) -> String {
        fmt_num(*value)
    }
}

/// Round ticks (steps of 1, 2, 2.5 or 5 × 10^k) inside `lo..=hi`, about `n` of them; just
/// `[lo]` when the range is empty or not finite.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite() && hi > lo) {
        return vec![lo];
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.999)
        .unwrap_or(raw);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A short number for a tick label: `0.25`, `-1`, `1.5e-3`.
pub fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".to_owned();
    }
    let a = v.abs();
    if !(1e-3..1e4).contains(&a) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A loss with two significant digits: `3.2e-5`; `NaN` and `inf` spelled out.
pub fn fmt_loss(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else {
        format!("{v:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_and_numbers() {
        assert_eq!(
            nice_ticks(-1.0, 1.0, 8),
            vec![-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(nice_ticks(0.0, 3.3, 4), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            nice_ticks(0.0, 1000.0, 4),
            vec![0.0, 250.0, 500.0, 750.0, 1000.0]
        );
        assert_eq!(nice_ticks(1.0, 1.0, 4), vec![1.0]);
        assert_eq!(fmt_num(0.25), "0.25");
        assert_eq!(fmt_num(-1.0), "-1");
        assert_eq!(fmt_num(2e-5), "2.0e-5");
        assert_eq!(fmt_loss(3.21e-5), "3.2e-5");
        assert_eq!(fmt_loss(f64::NAN), "NaN");
        assert_eq!(fmt_loss(f64::INFINITY), "inf");
    }
}
