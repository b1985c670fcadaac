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

/// The `ticks` (coordinate, whole number) that keep their labels `room` pixels apart at
/// `unit` pixels per coordinate, on a linear axis: all of them, or those at multiples of 2, 5,
/// 10, … (every 2nd, 5th, … where fewer than two are multiples), so that labels never run
/// together (`12345678910`) and the ones kept read as a scale; the first and last ticks too
/// where they keep that room, so that the axis shows its range (`1 5 10 20 32`).
pub fn thin_ticks(ticks: &[(f64, u32)], unit: f64, room: f64) -> Vec<(f64, u32)> {
    let apart = |a: &(f64, u32), b: &(f64, u32)| (b.0 - a.0).abs() * unit >= room;
    for step in [1, 2, 5, 10, 20, 50, 100, 200, 500] {
        let mut kept: Vec<(f64, u32)> = ticks.iter().copied().filter(|t| t.1 % step == 0).collect();
        if kept.len() < 2 {
            kept = ticks.iter().copied().step_by(step as usize).collect();
        }
        if !kept.windows(2).all(|w| apart(&w[0], &w[1])) {
            continue;
        }
        if let (Some(first), Some(head)) = (ticks.first(), kept.first())
            && first != head
            && apart(first, head)
        {
            kept.insert(0, *first);
        }
        if let (Some(last), Some(tail)) = (ticks.last(), kept.last())
            && last != tail
            && apart(tail, last)
        {
            kept.push(*last);
        }
        return kept;
    }
    ticks.first().copied().into_iter().collect()
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
///
/// Next to a threshold, use [`fmt_loss_vs`]: two digits can round a loss onto the threshold's
/// own text.
pub fn fmt_loss(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else {
        format!("{v:.1e}")
    }
}

/// A loss printed beside a pass/fail verdict against `threshold` (strict `<`): three
/// significant digits within a factor 2 of the threshold, two elsewhere, and more where
/// those would round the loss to the other side of the threshold. So `9.96e-6` (passes)
/// and `1.04e-5` (fails) never both print as the threshold's `1.0e-5`, and the printed
/// number is below the threshold exactly when the loss is. `NaN` and `inf` are spelled out;
/// a threshold that is not a positive number gives [`fmt_loss`].
pub fn fmt_loss_vs(v: f64, threshold: f64) -> String {
    let near = (0.5..=2.0).contains(&(v / threshold));
    fmt_loss_digits(v, threshold, if near { 3 } else { 2 })
}

/// A loss with `digits` significant digits (at least one), more where those would round it
/// to the other side of `threshold` (strict `<`), as in [`fmt_loss_vs`]: for numbers that
/// should all read alike, a table's or a heatmap's. `NaN` and `inf` are spelled out; beside
/// a threshold that is not a positive number, just `digits` digits.
pub fn fmt_loss_digits(v: f64, threshold: f64, digits: usize) -> String {
    let sided = v.is_finite() && threshold.is_finite() && threshold > 0.0;
    let mut decimals = digits.max(1) - 1;
    loop {
        let s = format!("{v:.decimals$e}");
        let shown: f64 = s.parse().unwrap_or(v);
        if !sided || (shown < threshold) == (v < threshold) || decimals >= 16 {
            return s;
        }
        decimals += 1;
    }
}

/// A positive bound in short scientific notation, without a `.0`: `1e-8`, `2.5e-8`.
pub fn fmt_bound(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return fmt_num(v);
    }
    format!("{v:.1e}").replace(".0e", "e")
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
        assert_eq!(fmt_bound(1e-8), "1e-8");
        assert_eq!(fmt_bound(2.5e-8), "2.5e-8");
    }

    #[test]
    fn crowded_ticks_keep_round_labels() {
        let ticks: Vec<(f64, u32)> = (2..=32).map(|h| (f64::from(h), h)).collect();
        assert_eq!(thin_ticks(&ticks, 100.0, 60.0), ticks);
        let kept: Vec<u32> = thin_ticks(&ticks, 30.0, 60.0).iter().map(|t| t.1).collect();
        assert_eq!(kept, (1..=16).map(|k| 2 * k).collect::<Vec<_>>());
        let kept: Vec<u32> = thin_ticks(&ticks, 12.0, 60.0).iter().map(|t| t.1).collect();
        assert_eq!(kept, [5, 10, 15, 20, 25, 30]);
        // Tested widths 1–10 and 12–32: never closer than the room, the ends labelled too.
        let tested: Vec<(f64, u32)> = (1..=10)
            .chain([12, 14, 16, 20, 24, 32])
            .map(|h| (f64::from(h), h))
            .collect();
        let kept = thin_ticks(&tested, 7.7, 21.0);
        let labels: Vec<u32> = kept.iter().map(|t| t.1).collect();
        assert_eq!(labels, [1, 5, 10, 20, 32]);
        assert!(kept.windows(2).all(|w| (w[1].0 - w[0].0) * 7.7 >= 21.0));
    }

    /// Beside a threshold the printed loss is on the same side of it as the loss itself.
    #[test]
    fn losses_near_the_threshold_keep_their_side() {
        let t = 1e-5;
        // Two digits would print both as the threshold's own `1.0e-5`.
        assert_eq!(fmt_loss(9.96e-6), fmt_loss(t));
        assert_eq!(fmt_loss(1.04e-5), fmt_loss(t));
        assert_eq!(fmt_loss_vs(9.96e-6, t), "9.96e-6");
        assert_eq!(fmt_loss_vs(1.04e-5, t), "1.04e-5");
        // At the threshold: not below it (strict `<`), and it says so.
        assert_eq!(fmt_loss_vs(1e-5, t), "1.00e-5");
        // Closer still: more digits, until the side is right.
        assert_eq!(fmt_loss_vs(9.999e-6, t), "9.999e-6");
        assert_eq!(fmt_loss_vs(1.0004e-5, t), "1.00e-5");
        // Far from the threshold: two digits, as fmt_loss.
        assert_eq!(fmt_loss_vs(3.21e-7, t), "3.2e-7");
        assert_eq!(fmt_loss_vs(4.56e-3, t), "4.6e-3");
        assert_eq!(fmt_loss_vs(0.0, t), "0.0e0");
        assert_eq!(fmt_loss_vs(f64::NAN, t), "NaN");
        assert_eq!(fmt_loss_vs(f64::INFINITY, t), "inf");
        // A fixed number of digits, far from the threshold too; more only to keep the side.
        assert_eq!(fmt_loss_digits(7.4e-5, t, 3), "7.40e-5");
        assert_eq!(fmt_loss_digits(6.333e-6, t, 3), "6.33e-6");
        assert_eq!(fmt_loss_digits(9.96e-6, t, 2), "9.96e-6");
        assert_eq!(fmt_loss_digits(9.9996e-6, t, 3), "9.9996e-6");
        assert_eq!(fmt_loss_digits(f64::NAN, t, 3), "NaN");
        assert_eq!(fmt_loss_digits(3.21e-7, 0.0, 3), "3.21e-7");
        // The property, over a sweep of values around two thresholds.
        for t in [1e-5, 3e-4] {
            for k in -400..=400 {
                let v = t * (1.0 + f64::from(k) * 2.5e-4);
                let s = fmt_loss_vs(v, t);
                let shown: f64 = s.parse().unwrap();
                assert_eq!(shown < t, v < t, "{v:e} printed {s} against {t:e}");
                assert!(s.len() <= 9, "{s} is too long for a heatmap cell");
            }
        }
    }
}
