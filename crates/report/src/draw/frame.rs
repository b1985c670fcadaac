//! The frame around a chart: canvas, title, footer, legend column, colour bar.

use anyhow::Result;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::ComposedElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::colour::{INK, INK_FILL, MISSING};
use super::raster::{FONT, ensure_font};

/// A drawing area of an SVG chart.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Width of the legend column [`side_column`] usually splits off, in pixels.
pub const LEGEND_WIDTH: u32 = 250;

/// An SVG document of `width × height` pixels on white, drawn by `draw`, with the embedded
/// font registered for text layout.
pub fn svg_document(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Area) -> Result<()>,
) -> Result<String> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(svg)
}

/// Text of `size` pixels in the chart font, anchored at (`h`, `v`).
pub fn text_style(size: u32, colour: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    (FONT, size).into_font().color(&colour).pos(Pos::new(h, v))
}

/// Draws the chart title (26 px, centred; smaller, down to 14 px, when it would not fit the
/// width: a series label with importance and data set is long); returns the area below it.
pub fn titled<'a>(root: &Area<'a>, title: &str) -> Result<Area<'a>> {
    let room = root.dim_in_pixel().0.saturating_sub(24);
    let fits = |size: u32| ((FONT, size).into_font().box_size(title)).is_ok_and(|(w, _)| w <= room);
    let size = (14..=26).rev().find(|&s| fits(s)).unwrap_or(14);
    Ok(root.titled(title, (FONT, size).into_font().color(&BLACK))?)
}

/// Draws `text` as a muted 14 px note along the bottom of `area`, one line per `\n`;
/// returns the area above it.
pub fn with_footer<'a>(area: &Area<'a>, text: &str) -> Result<Area<'a>> {
    const LINE: u32 = 19;
    let lines = text.lines().count().max(1) as u32;
    let h = area.dim_in_pixel().1;
    let (main, foot) = area.split_vertically(h.saturating_sub(32 + LINE * (lines - 1)));
    for (k, line) in text.lines().enumerate() {
        foot.draw(&Text::new(
            line.to_owned(),
            (16, 14 + (LINE * k as u32) as i32),
            text_style(14, super::MUTED, HPos::Left, VPos::Center),
        ))?;
    }
    Ok(main)
}

/// The usual frame of a chart: the title ([`titled`]), an optional footer note
/// ([`with_footer`]) and a column of `side` pixels on the right for a legend or colour bar
/// ([`side_column`]). Returns (chart area, side column).
pub fn chart_frame<'a>(
    root: &Area<'a>,
    title: &str,
    footer: Option<&str>,
    side: u32,
) -> Result<(Area<'a>, Area<'a>)> {
    let area = titled(root, title)?;
    let area = match footer {
        Some(text) => with_footer(&area, text)?,
        None => area,
    };
    Ok(side_column(&area, side))
}

/// Splits `area` into the chart and a column of `width` pixels on its right (for a legend or
/// a colour bar), so that the legend never hides data.
pub fn side_column<'a>(area: &Area<'a>, width: u32) -> (Area<'a>, Area<'a>) {
    let w = area.dim_in_pixel().0;
    area.split_horizontally(w.saturating_sub(width))
}

/// A rectangle's outline as a closed path (SVG rectangles ignore the stroke width).
pub fn outline(rect: [(f64, f64); 2], style: ShapeStyle) -> PathElement<(f64, f64)> {
    let [(x0, y0), (x1, y1)] = rect;
    PathElement::new(
        vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
        style,
    )
}

/// Diagonal hatching inside the pixel rectangle `(x0, y0)..(x1, y1)` of `area`.
pub fn hatch(
    area: &Area,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    colour: RGBColor,
) -> Result<()> {
    const SPACING: i32 = 8;
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    // Lines x + y = c, running from lower left to upper right.
    let mut c = x0 + y0 + SPACING / 2;
    while c < x1 + y1 {
        let xa = x0.max(c - y1);
        let xb = x1.min(c - y0);
        if xa < xb {
            area.draw(&PathElement::new(
                vec![(xa, c - xa), (xb, c - xb)],
                colour.stroke_width(2),
            ))?;
        }
        c += SPACING;
    }
    Ok(())
}

/// What a legend entry shows next to its text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mark {
    /// A line of some width, maybe dashed, maybe with a dot in its middle.
    Line {
        /// Line colour.
        colour: RGBColor,
        /// Stroke width in pixels.
        width: u32,
        /// Dashed instead of solid.
        dashed: bool,
        /// A dot in the middle, like a line series' markers.
        marker: bool,
    },
    /// A filled square with an outline, maybe hatched on grey (like a "no data" bar).
    Patch {
        /// Fill (or hatching) colour.
        colour: RGBColor,
        /// Hatched instead of filled.
        hatched: bool,
    },
    /// A dot, like one point of a scatter.
    Dot(RGBColor),
    /// A downward triangle, like [`floor_marker`]: a value drawn at a display floor.
    Floor {
        /// Fill (or outline) colour.
        colour: RGBColor,
        /// Filled instead of a white inside.
        filled: bool,
    },
    /// A small upright box plot in [`INK`] on [`INK_FILL`]: whiskers, box and median line.
    BoxPlot,
}

impl Mark {
    /// A filled square of `colour`.
    pub fn patch(colour: RGBColor) -> Mark {
        Mark::Patch {
            colour,
            hatched: false,
        }
    }

    /// A solid line of `width` pixels, no dot.
    pub fn line(colour: RGBColor, width: u32) -> Mark {
        Mark::Line {
            colour,
            width,
            dashed: false,
            marker: false,
        }
    }

    fn draw(&self, area: &Area, y: i32) -> Result<()> {
        match *self {
            Mark::Line {
                colour,
                width,
                dashed,
                marker,
            } => {
                let style = colour.stroke_width(width);
                if dashed {
                    area.draw(&plotters::element::DashedPathElement::new(
                        vec![(10, y), (44, y)],
                        6,
                        4,
                        style,
                    ))?;
                } else {
                    area.draw(&PathElement::new(vec![(10, y), (44, y)], style))?;
                }
                if marker {
                    area.draw(&Circle::new((27, y), 4, colour.filled()))?;
                }
            }
            Mark::Patch { colour, hatched } => {
                let (a, b) = ((12, y - 9), (42, y + 9));
                if hatched {
                    area.draw(&Rectangle::new([a, b], MISSING.filled()))?;
                    hatch(area, a, b, colour)?;
                } else {
                    area.draw(&Rectangle::new([a, b], colour.filled()))?;
                }
                area.draw(&Rectangle::new([a, b], colour.stroke_width(1)))?;
            }
            Mark::Dot(colour) => {
                area.draw(&Circle::new((27, y), 4, colour.filled()))?;
            }
            Mark::Floor { colour, filled } => {
                area.draw(&floor_marker((27, y), 0, colour, filled))?;
            }
            Mark::BoxPlot => {
                // 22 px tall, within an entry's 28 px row.
                for (from, to) in [(y - 11, y - 5), (y + 5, y + 11)] {
                    area.draw(&PathElement::new(vec![(27, from), (27, to)], INK))?;
                }
                for end in [y - 11, y + 11] {
                    area.draw(&PathElement::new(vec![(23, end), (31, end)], INK))?;
                }
                area.draw(&Rectangle::new(
                    [(20, y - 5), (34, y + 5)],
                    INK_FILL.filled(),
                ))?;
                let ring = vec![
                    (20, y - 5),
                    (34, y - 5),
                    (34, y + 5),
                    (20, y + 5),
                    (20, y - 5),
                ];
                area.draw(&PathElement::new(ring, INK))?;
                area.draw(&PathElement::new(
                    vec![(20, y), (34, y)],
                    INK.stroke_width(2),
                ))?;
            }
        }
        Ok(())
    }
}

/// What [`floor_marker`] returns: a triangle in pixels around a point of the chart.
pub type FloorMarker<C, DB> = ComposedElement<C, DB, Polygon<(i32, i32)>, PathElement<(i32, i32)>>;

/// A downward triangle (▼) at `at`, shifted `dx` pixels sideways: the marker of a value that
/// is drawn at a display floor because it lies below it (see [`crate::NOISE_FLOOR`]). Filled
/// with `colour`, or white inside a `colour` outline when `filled` is false. Its centre sits on
/// `at`, its tip points down: the true value is at or below the mark.
///
/// Several series at the floor stay visible side by side when each gets its own `dx`.
pub fn floor_marker<C, DB: DrawingBackend>(
    at: C,
    dx: i32,
    colour: RGBColor,
    filled: bool,
) -> FloorMarker<C, DB> {
    let corners = vec![(dx - 5, -4), (dx + 5, -4), (dx, 5)];
    let fill = if filled { colour } else { WHITE };
    let mut ring = corners.clone();
    ring.push(corners[0]);
    EmptyElement::at(at)
        + Polygon::new(corners, fill.filled())
        + PathElement::new(ring, colour.stroke_width(if filled { 1 } else { 2 }))
}

/// A legend at the top of `area` (a column beside the chart, see [`side_column`]): a heading
/// and one entry per line; a `\n` in an entry's text continues it on a second line. Returns
/// the pixel row below the legend, for [`legend_at`].
pub fn legend(area: &Area, heading: &str, entries: &[(String, Mark)]) -> Result<i32> {
    legend_at(area, 24, heading, entries)
}

/// [`legend`] with its heading at pixel row `y` of `area`.
pub fn legend_at(area: &Area, y: i32, heading: &str, entries: &[(String, Mark)]) -> Result<i32> {
    let mut y = y;
    area.draw(&Text::new(
        heading.to_owned(),
        (8, y),
        text_style(17, BLACK, HPos::Left, VPos::Center),
    ))?;
    y += 30;
    for (label, mark) in entries {
        mark.draw(area, y)?;
        for (k, line) in label.lines().enumerate() {
            area.draw(&Text::new(
                line.to_owned(),
                (52, y + 21 * k as i32),
                text_style(15, BLACK, HPos::Left, VPos::Center),
            ))?;
        }
        y += 28 + 21 * (label.lines().count().max(1) as i32 - 1);
    }
    Ok(y + 6)
}

/// The chart a [`colour_bar`] draws into, for marks on the scale (a threshold line, say).
pub type ColourBar<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, Axis>>;

/// The sizes of a [`colour_bar_with`], in pixels; plotters font sizes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarStyle {
    /// Margins around the bar: top, bottom, left, right.
    pub margin: [u32; 4],
    /// Width of the area right of the bar, for tick labels and the description.
    pub label_area: u32,
    /// Font size of the tick labels.
    pub tick_font: f64,
    /// Font size of the description.
    pub label_font: f64,
    /// Length of the tick marks; `None`: plotters' own.
    pub tick_mark: Option<u32>,
    /// Width of the bar's outline.
    pub outline: u32,
}

impl Default for BarStyle {
    /// The report's charts' colour bar.
    fn default() -> Self {
        BarStyle {
            margin: [12, 64, 10, 12],
            label_area: 86,
            tick_font: 16.0,
            label_font: 17.0,
            tick_mark: None,
            outline: 1,
        }
    }
}

/// A vertical colour bar filling `area` (a column beside the chart): values along `axis`,
/// coloured by `colour(value)`, ticks labelled by `tick_label` on the right, `label` along
/// its side. Returns the bar's chart, x in 0..1 and y in `axis`'s units.
pub fn colour_bar<'a, 'b>(
    area: &'a Area<'b>,
    axis: Axis,
    label: &str,
    tick_label: &dyn Fn(&f64) -> String,
    colour: impl Fn(f64) -> RGBColor,
) -> Result<ColourBar<'a, 'b>> {
    colour_bar_with(area, axis, label, tick_label, colour, &BarStyle::default())
}

/// [`colour_bar`] with the sizes of `style`.
pub fn colour_bar_with<'a, 'b>(
    area: &'a Area<'b>,
    axis: Axis,
    label: &str,
    tick_label: &dyn Fn(&f64) -> String,
    colour: impl Fn(f64) -> RGBColor,
    style: &BarStyle,
) -> Result<ColourBar<'a, 'b>> {
    const STEPS: usize = 200;
    let (lo, hi) = (axis.lo, axis.hi);
    let [top, bottom, left, right] = style.margin;
    let mut chart = ChartBuilder::on(area)
        .margin_top(top)
        .margin_bottom(bottom)
        .margin_left(left)
        .margin_right(right)
        .right_y_label_area_size(style.label_area)
        .build_cartesian_2d(0.0..1.0, axis)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .disable_x_axis()
        .y_desc(label)
        .y_label_formatter(tick_label)
        .label_style((FONT, style.tick_font))
        .axis_desc_style((FONT, style.label_font))
        .axis_style(BLACK.stroke_width(style.outline));
    if let Some(size) = style.tick_mark {
        mesh.set_all_tick_mark_size(size);
    }
    mesh.draw()?;
    // Each step reaches half a step into the next, which paints over it: no seams between
    // steps when a browser antialiases their edges.
    let h = (hi - lo) / STEPS as f64;
    chart.draw_series((0..STEPS).map(|k| {
        let y = lo + k as f64 * h;
        Rectangle::new(
            [(0.0, y), (1.0, (y + 1.5 * h).min(hi))],
            colour(y + h / 2.0).filled(),
        )
    }))?;
    chart.draw_series(std::iter::once(Rectangle::new(
        [(0.0, lo), (1.0, hi)],
        BLACK.stroke_width(style.outline),
    )))?;
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The font size of the first text element of `svg`, and its text.
    fn first_text(svg: &str) -> (f64, String) {
        let doc = roxmltree::Document::parse(svg).unwrap();
        let text = doc.descendants().find(|n| n.has_tag_name("text")).unwrap();
        let size = text.attribute("font-size").unwrap().trim_end_matches("px");
        (
            size.parse().unwrap(),
            text.text().unwrap_or("").trim().to_owned(),
        )
    }

    #[test]
    fn titles_shrink_to_fit_the_width() {
        let draw =
            |title: &str| svg_document(1000, 700, |root| titled(root, title).map(drop)).unwrap();
        // The SVG's font-size is in its own unit: compare with the full-size title's.
        let (full, _) = first_text(&draw("Short title"));
        let long = "Relative eval loss by depth and n_hidden — tree (stop_prob 0.3), b=3, \
                    importance 0.5^(level-1), uniform, seed 0";
        let (size, text) = first_text(&draw(long));
        assert_eq!(text, long);
        let px = (size / full * 26.0).round() as u32;
        assert!((14..26).contains(&px), "{px}");
        ensure_font().unwrap();
        let (w, _) = (FONT, px).into_font().box_size(long).unwrap();
        assert!(w <= 1000 - 24, "{w}");
    }

    /// The box plot mark draws whiskers, box and median in ink, all within the marks' column
    /// (left of the text at x = 52) and its entry's 28 px row, whose centre is at y = 54.
    #[test]
    fn a_box_plot_mark_stays_in_its_legend_row() {
        let entries = [("box plot\nsecond line".to_owned(), Mark::BoxPlot)];
        let svg =
            svg_document(250, 200, |root| legend(root, "Legend", &entries).map(drop)).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        let (ink, fill) = (hex(INK), hex(INK_FILL));
        let mut points: Vec<(f64, f64)> = Vec::new();
        let (mut lines, mut boxes) = (0, 0);
        for n in doc.descendants() {
            let num = |name: &str| -> f64 { n.attribute(name).unwrap().parse().unwrap() };
            if n.has_tag_name("polyline") && n.attribute("stroke") == Some(ink.as_str()) {
                lines += 1;
                for p in n.attribute("points").unwrap().split_whitespace() {
                    let (x, y) = p.split_once(',').unwrap();
                    points.push((x.parse().unwrap(), y.parse().unwrap()));
                }
            } else if n.has_tag_name("rect") && n.attribute("fill") == Some(fill.as_str()) {
                boxes += 1;
                let (x, y) = (num("x"), num("y"));
                points.extend([(x, y), (x + num("width"), y + num("height"))]);
            }
        }
        // Two whiskers, two caps, the box's outline and the median; one filled box.
        assert_eq!((lines, boxes), (6, 1));
        for (x, y) in points {
            assert!(
                (10.0..=44.0).contains(&x) && (40.0..=68.0).contains(&y),
                "({x}, {y})"
            );
        }
    }
}
