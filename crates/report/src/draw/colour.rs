//! Palettes and colour maps.

use plotters::style::RGBColor;

/// Bold grid lines and axis-like rules.
pub const GRID: RGBColor = RGBColor(205, 205, 205);
/// Light (minor) grid lines.
pub const GRID_LIGHT: RGBColor = RGBColor(238, 238, 238);
/// The fill of a cell or bar with no data.
pub const MISSING: RGBColor = RGBColor(236, 236, 236);
/// Secondary text and neutral marks.
pub const MUTED: RGBColor = RGBColor(110, 110, 110);
/// Summary marks drawn beside coloured data: a box plot's outline, median and whiskers. Dark
/// enough to read next to any [`categorical`] colour, neutral so that it names no series.
pub const INK: RGBColor = RGBColor(48, 48, 48);
/// The inside of a box plot's box: light, so that the [`INK`] median line stands out on it.
pub const INK_FILL: RGBColor = RGBColor(222, 222, 222);

/// Okabe–Ito, a categorical palette designed to stay distinct for colour-blind readers and in
/// greyscale print; its yellow, weak on white, comes last.
const OKABE_ITO: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];

/// How many colours [`categorical`] has before it repeats.
pub const CATEGORICAL: usize = OKABE_ITO.len();

/// The `i`-th categorical colour (Okabe–Ito, cycling after 8): every chart and paper figure
/// gives a series the same colour.
pub fn categorical(i: usize) -> RGBColor {
    OKABE_ITO[i % OKABE_ITO.len()]
}

/// Piecewise-linear interpolation through evenly spaced colour stops, `t` in 0..=1 (clamped;
/// NaN counts as 0).
fn interpolate(stops: &[(u8, u8, u8)], t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let x = t * (stops.len() - 1) as f64;
    let k = (x.floor() as usize).min(stops.len() - 2);
    let f = x - k as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (stops[k], stops[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The viridis colour map (perceptually uniform, monotone in lightness), `t` in 0..=1.
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 10] = [
        (0x44, 0x01, 0x54),
        (0x48, 0x28, 0x78),
        (0x3e, 0x49, 0x89),
        (0x31, 0x68, 0x8e),
        (0x26, 0x82, 0x8e),
        (0x1f, 0x9e, 0x89),
        (0x35, 0xb7, 0x79),
        (0x6e, 0xce, 0x58),
        (0xb5, 0xde, 0x2b),
        (0xfd, 0xe7, 0x25),
    ];
    interpolate(&STOPS, t)
}

/// ColorBrewer RdBu (diverging): `t = -1` dark blue, `0` near-white, `+1` dark red.
pub fn diverging(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 11] = [
        (5, 48, 97),
        (33, 102, 172),
        (67, 147, 195),
        (146, 197, 222),
        (209, 229, 240),
        (247, 247, 247),
        (253, 219, 199),
        (244, 165, 130),
        (214, 96, 77),
        (178, 24, 43),
        (103, 0, 31),
    ];
    interpolate(&STOPS, (t + 1.0) / 2.0)
}

/// `c` mixed with white: `amount` 0 keeps it, 1 gives white.
pub fn lighten(c: RGBColor, amount: f64) -> RGBColor {
    let amount = amount.clamp(0.0, 1.0);
    let mix = |v: u8| (f64::from(v) + (255.0 - f64::from(v)) * amount).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// `c` mixed with black: `amount` 0 keeps it, 1 gives black.
pub fn darken(c: RGBColor, amount: f64) -> RGBColor {
    let keep = 1.0 - amount.clamp(0.0, 1.0);
    let mix = |v: u8| (f64::from(v) * keep).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

/// Whether white text reads better than black on `c`.
pub fn is_dark(c: RGBColor) -> bool {
    0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2) <= 140.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::style::{BLACK, WHITE};

    #[test]
    fn colour_maps_have_the_right_ends() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xfd, 0xe7, 0x25));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert!(is_dark(viridis(0.0)) && !is_dark(viridis(1.0)));
        assert_eq!(diverging(0.0), RGBColor(247, 247, 247));
        assert_eq!(diverging(-1.0), RGBColor(5, 48, 97));
        assert_eq!(diverging(1.0), RGBColor(103, 0, 31));
        assert_eq!(lighten(BLACK, 1.0), WHITE);
        assert_eq!(darken(WHITE, 1.0), BLACK);
        assert_eq!(darken(RGBColor(200, 100, 0), 0.5), RGBColor(100, 50, 0));
        assert_eq!(categorical(8), categorical(0));
    }
}
