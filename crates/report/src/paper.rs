//! Figures for a paper: the answer, the loss curves and the heatmap, redrawn at the size of one
//! column of a two-column paper, into `figures/` beside `plots/`.
//!
//! The report's charts are screen pictures: 1000 × 700 px with 11–19 px text and a title and a
//! footer inside; shrunk to a 3.3-inch column their text is about 3 pt. These figures are drawn
//! at their print size instead, 3.25 × 2.4 in: 8 pt tick labels and legend text, 9 pt axis
//! labels, about 1 pt lines and 4–5 pt markers, in DejaVu Sans like every chart. They have no
//! title and no footer, so the caption goes in the paper; the axis labels say what is drawn
//! (`mean exact loss`, `min n_hidden (mean loss < 1e-5)`). Series take Okabe–Ito colours;
//! depths, which are ordered, viridis without its pale yellow end, and every series or depth a
//! marker shape of its own so that lines stay apart in greyscale.
//!
//! | file | what it shows |
//! | --- | --- |
//! | `min_hidden` | the headline answer ([`crate::ReportOptions::rule`]) vs depth, a line per tree series; `none` an open marker with a `^` at `max_tested + 1`, whose tick reads `>max`; a bound (`≤2`) a hollow marker |
//! | `loss_vs_hidden_<series>` | the headline aggregate's loss vs n_hidden, a line per depth, log axis down to the display floor, the threshold dashed |
//! | `heatmap_<series>` | the same loss by depth × n_hidden, log viridis scale, a check mark where the config passes |
//!
//! Series without a tree stay out of `min_hidden` (their x axis would be n_features, not
//! depth), and series whose instances differ in p out of all three, as from the report's
//! headline.
//!
//! # Units
//!
//! plotters places every element on whole pixels, and at 1/100 in a 1 pt line could only be
//! 0.72 or 1.44 pt wide, so a figure is drawn at 400 dpi (1300 × 960 px). Its SVG root then
//! reads `width="3.25in" height="2.4in" viewBox="0 0 325 240"` (1/100 in) and one
//! `scale(0.25)` group maps the drawing onto that viewBox, so that LaTeX, Inkscape and
//! browsers agree on the size. The PNG is rendered from the SVG at 300 dpi (975 × 720 px).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Result;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::analysis::{
    Series, capitalised, has_tree, loss_word, row_name, series_of, short_labels,
};
use crate::display_floor;
use crate::draw::{
    self, Area, Axis, BarStyle, FONT, GRID, MISSING, MUTED, colour_bar_with, fmt_bound, is_dark,
    nice_ticks, okabe_ito, side_column, svg_document, viridis,
};
use crate::plots::{
    DIVERGED, LogAxis, Plot, distinct, dodge_within, shown, wrap_at_commas, x_span,
};
use crate::schema::{Aggregate, Criterion, MinHiddenRow, PassRule, SummaryRow};

/// The folder of the figures, inside the run folder.
pub(crate) const DIR: &str = "figures";

/// The stem prefixes of the figures: one in `figures/` that the last build did not draw is
/// stale.
pub(crate) const KINDS: [&str; 3] = ["min_hidden", "loss_vs_hidden_", "heatmap_"];

/// Drawing pixels per inch (see the module docs).
const DPI: f64 = 400.0;
/// The canvas, 3.25 × 2.4 in, in drawing pixels.
const WIDTH: u32 = 1300;
const HEIGHT: u32 = 960;
/// The SVG root's size and viewBox (1/100 in).
const ROOT: &str = r#"<svg width="3.25in" height="2.4in" viewBox="0 0 325 240" xmlns="http://www.w3.org/2000/svg">"#;
/// The PNG's resolution.
const PNG_DPI: f64 = 300.0;

/// Tick labels and legend text.
const TICK_PT: f64 = 8.0;
/// Axis labels.
const LABEL_PT: f64 = 9.0;

/// Lines of data (≈ 1.1 pt).
const LINE: u32 = 6;
/// Hollow markers' outline, the threshold, the axes (≈ 0.7 pt).
const THIN: u32 = 4;
/// Marker radius (≈ 4.3 pt across).
const RADIUS: i32 = 12;
/// Tick marks; plotters puts the labels twice as far from the axis.
const TICK: u32 = 10;
const MARGIN: u32 = 20;
const GAP: u32 = 14;

/// Room above a plot or colour bar: half a tick label sticks out above the top tick.
fn top_margin() -> u32 {
    MARGIN + (px(TICK_PT) / 2.0).round() as u32
}

/// `pt` points in drawing pixels.
fn px(pt: f64) -> f64 {
    pt * DPI / 72.0
}

/// The chart font at `pt` points. plotters writes a `font-size` of its size / 1.24.
fn font(pt: f64) -> FontDesc<'static> {
    (FONT, px(pt) * 1.24).into_font()
}

fn text(pt: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    font(pt).color(&BLACK).pos(Pos::new(h, v))
}

/// Width and height of `s` at `pt` points, in drawing pixels (plotters' measure, which is a
/// little wider than the text drawn).
fn text_size(s: &str, pt: f64) -> (u32, u32) {
    font(pt).box_size(s).unwrap_or((0, 0))
}

/// Height of a line of axis-label text.
fn label_line() -> u32 {
    (px(LABEL_PT) * 1.2).round() as u32
}

/// Height of the area below a plot: tick labels and the x axis label.
fn x_area() -> u32 {
    px(TICK_PT).round() as u32 + 2 * TICK + GAP + label_line()
}

/// The figures of a run: the answer by depth (tree series), and per series the loss chart and
/// the heatmap, all under `rule`, the report's headline.
pub(crate) fn figures(
    summary: &[SummaryRow],
    min_rows: &[MinHiddenRow],
    rule: PassRule,
) -> Result<Vec<Plot>> {
    draw::ensure_font()?;
    let mut out: Vec<Plot> = min_hidden_figure(min_rows, rule)?.into_iter().collect();
    for s in series_of(summary).iter().filter(|s| !s.per_instance_p()) {
        let rows: Vec<&SummaryRow> = summary
            .iter()
            .filter(|r| Series::of_summary(r) == *s)
            .collect();
        out.push(loss_figure(s, &rows, rule)?);
        out.push(heatmap_figure(s, &rows, rule)?);
    }
    Ok(out)
}

/// Writes `figures` into `dir` (SVG and a 300 dpi PNG each, atomically) and removes the
/// figures there that this build did not draw; returns the paths written.
pub(crate) fn write(dir: &Path, figures: &[Plot]) -> Result<Vec<PathBuf>> {
    let charts: Vec<(&str, &str)> = figures
        .iter()
        .map(|f| (f.stem.as_str(), f.svg.as_str()))
        .collect();
    let files = draw::write_charts_with(dir, &charts, &png)?;
    let keep: HashSet<&str> = charts.iter().map(|c| c.0).collect();
    draw::remove_stale_charts(dir, |stem| KINDS.iter().any(|k| stem.starts_with(k)), &keep)?;
    Ok(files)
}

/// A figure's PNG: its SVG at 300 dpi (the SVG's size is in inches, 96 CSS pixels each).
pub(crate) fn png(svg: &str) -> Result<Vec<u8>> {
    draw::svg_to_png_scaled(svg, (PNG_DPI / 96.0) as f32)
}

/// The labels of the series that the min-n_hidden figure leaves out: those without a tree
/// (per-instance p ones are out of every headline anyway).
pub(crate) fn left_out(min_rows: &[MinHiddenRow]) -> Vec<String> {
    let mut out: Vec<Series> = min_rows
        .iter()
        .filter(|r| !has_tree(r.depth))
        .map(Series::of_min_hidden)
        .filter(|s| !s.per_instance_p())
        .collect();
    out.sort();
    out.dedup();
    out.iter().map(Series::label).collect()
}

/// A figure's SVG: drawn by `draw` on the 400 dpi canvas, its root in inches (module docs).
fn figure_svg(draw: impl FnOnce(&Area) -> Result<()>) -> Result<String> {
    let svg = svg_document(WIDTH, HEIGHT, draw)?;
    let open = svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1));
    let close = svg.rfind("</svg>");
    let (Some(open), Some(close)) = (open, close) else {
        anyhow::bail!("plotters wrote an SVG without a root element");
    };
    // Drawing pixels to viewBox units (1/100 in).
    let scale = 100.0 / DPI;
    Ok(format!(
        "{ROOT}\n<g transform=\"scale({scale})\">{}</g>\n</svg>\n",
        &svg[open..close]
    ))
}

// --- Marks -------------------------------------------------------------------------------

/// A marker shape: each series (or depth) has its own, so lines stay apart in greyscale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Circle,
    Square,
    Triangle,
    Diamond,
    TriangleDown,
    Pentagon,
    Hexagon,
    Star,
}

const SHAPES: [Shape; 8] = [
    Shape::Circle,
    Shape::Square,
    Shape::Triangle,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Pentagon,
    Shape::Hexagon,
    Shape::Star,
];

/// The shape of the `i`-th series or depth.
fn shape(i: usize) -> Shape {
    SHAPES[i % SHAPES.len()]
}

impl Shape {
    /// Corners around (0, 0), sized to weigh about as much as a circle of radius `r`; `None`
    /// for the circle.
    fn corners(self, r: f64) -> Option<Vec<(i32, i32)>> {
        let ngon = |n: usize, radius: f64, start: f64| -> Vec<(f64, f64)> {
            (0..n)
                .map(|k| {
                    let a = (start + 360.0 * k as f64 / n as f64).to_radians();
                    (radius * a.cos(), radius * a.sin())
                })
                .collect()
        };
        let corners = match self {
            Shape::Circle => return None,
            Shape::Square => ngon(4, 1.2 * r, 45.0),
            Shape::Triangle => ngon(3, 1.4 * r, -90.0),
            Shape::Diamond => ngon(4, 1.3 * r, 0.0),
            Shape::TriangleDown => ngon(3, 1.4 * r, 90.0),
            Shape::Pentagon => ngon(5, 1.15 * r, -90.0),
            Shape::Hexagon => ngon(6, 1.1 * r, 0.0),
            Shape::Star => (0..10)
                .map(|k| {
                    let radius = if k % 2 == 0 { 1.5 * r } else { 0.62 * r };
                    let a = (-90.0 + 36.0 * k as f64).to_radians();
                    (radius * a.cos(), radius * a.sin())
                })
                .collect(),
        };
        Some(
            corners
                .into_iter()
                .map(|(x, y)| (x.round() as i32, y.round() as i32))
                .collect(),
        )
    }
}

/// Draws a marker centred on pixel `at` of `area`: filled with `colour`, or white inside a
/// `colour` outline (`filled` false: hollow).
fn marker(area: &Area, at: (i32, i32), shape: Shape, colour: RGBColor, filled: bool) -> Result<()> {
    let fill = if filled { colour } else { WHITE };
    let outline = colour.stroke_width(if filled { 2 } else { THIN });
    match shape.corners(f64::from(RADIUS)) {
        None => {
            area.draw(&Circle::new(at, RADIUS, fill.filled()))?;
            area.draw(&Circle::new(at, RADIUS, outline))?;
        }
        Some(corners) => {
            let ring: Vec<(i32, i32)> = corners
                .iter()
                .chain(corners.first())
                .map(|(x, y)| (at.0 + x, at.1 + y))
                .collect();
            area.draw(&Polygon::new(ring.clone(), fill.filled()))?;
            area.draw(&PathElement::new(ring, outline))?;
        }
    }
    Ok(())
}

/// Draws a line through the pixels `points` of `area`.
fn line(area: &Area, points: Vec<(i32, i32)>, style: ShapeStyle, dashed: bool) -> Result<()> {
    if dashed {
        area.draw(&DashedPathElement::new(points, 22, 14, style))?;
    } else {
        area.draw(&PathElement::new(points, style))?;
    }
    Ok(())
}

// --- Legend ------------------------------------------------------------------------------

/// A legend entry: a sample line and marker (none for a heading such as `depth`) and text.
#[derive(Debug, Clone)]
struct Key {
    sample: Option<Sample>,
    text: String,
}

/// What a legend entry shows before its text.
#[derive(Debug, Clone, Copy)]
struct Sample {
    colour: RGBColor,
    /// A line, dashed or not.
    line: Option<bool>,
    /// A marker, filled or not.
    marker: Option<(Shape, bool)>,
}

/// Length of a legend sample, and the space after it and between entries.
const SAMPLE: u32 = 64;
const KEY_GAP: u32 = 40;

/// Height of a legend row.
fn key_row() -> u32 {
    (px(TICK_PT) * 1.35).round() as u32
}

/// A legend entry's place: its text's lines and its top-left corner.
type Placed = (Vec<String>, (u32, u32));

/// Lays `keys` out left to right in rows `width` pixels wide, an entry too wide for a row
/// broken after its commas: where each goes, and the legend's height.
fn layout_keys(keys: &[Key], width: u32) -> (Vec<Placed>, u32) {
    let (mut x, mut y, mut row_h) = (0, 0, 0);
    let mut out = Vec::new();
    for key in keys {
        let lead = if key.sample.is_some() {
            SAMPLE + GAP
        } else {
            0
        };
        let room = width.saturating_sub(lead);
        let lines = wrap_at_commas(&key.text, |l| text_size(l, TICK_PT).0 <= room);
        let w = lead
            + lines
                .iter()
                .map(|l| text_size(l, TICK_PT).0)
                .max()
                .unwrap_or(0);
        if x > 0 && x + w > width {
            (x, y, row_h) = (0, y + row_h, 0);
        }
        row_h = row_h.max(key_row() * lines.len() as u32);
        out.push((lines, (x, y)));
        x += w + KEY_GAP;
    }
    (out, y + row_h)
}

/// Draws `keys` across the top of `root`; returns the area below them (all of `root` when
/// there are none).
fn legend<'a>(root: &Area<'a>, keys: &[Key]) -> Result<Area<'a>> {
    if keys.is_empty() {
        return Ok(root.clone());
    }
    let (w, _) = root.dim_in_pixel();
    let (placed, height) = layout_keys(keys, w - 2 * MARGIN);
    let (top, rest) = root.split_vertically(MARGIN + height);
    let row = key_row() as i32;
    for (key, (lines, (x, y))) in keys.iter().zip(placed) {
        let (x, y) = ((x + MARGIN) as i32, (y + MARGIN) as i32);
        let mut tx = x;
        if let Some(s) = key.sample {
            let mid = (x + SAMPLE as i32 / 2, y + row / 2);
            if let Some(dashed) = s.line {
                let ends = vec![(x, mid.1), (x + SAMPLE as i32, mid.1)];
                let width = if dashed { THIN } else { LINE };
                line(&top, ends, s.colour.stroke_width(width), dashed)?;
            }
            if let Some((shape, filled)) = s.marker {
                marker(&top, mid, shape, s.colour, filled)?;
            }
            tx += (SAMPLE + GAP) as i32;
        }
        for (k, l) in lines.iter().enumerate() {
            top.draw(&Text::new(
                l.clone(),
                (tx, y + row * k as i32 + row / 2),
                text(TICK_PT, HPos::Left, VPos::Center),
            ))?;
        }
    }
    Ok(rest)
}

// --- Axes --------------------------------------------------------------------------------

/// A figure's axes: x has whole-number ticks (`(coordinate, label)`; some go unlabelled where
/// they would crowd), y its own ticks labelled by `y_label`.
struct Frame<'l> {
    x: (f64, f64),
    x_ticks: Vec<(f64, u32)>,
    x_desc: String,
    y: Axis,
    y_label: &'l dyn Fn(&f64) -> String,
    y_desc: String,
    /// Horizontal grid lines at the y ticks.
    grid: bool,
}

type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

/// Draws `frame`'s axes, tick labels and descriptions into `area`; returns the chart.
fn axes<'a, 'b>(area: &'a Area<'b>, frame: &Frame) -> Result<Chart<'a, 'b>> {
    let (w, h) = area.dim_in_pixel();
    let widest = |labels: &mut dyn Iterator<Item = String>| {
        labels.map(|l| text_size(&l, TICK_PT).0).max().unwrap_or(0)
    };
    let y_tick_w = widest(&mut frame.y.bold.iter().map(frame.y_label));
    let x_tick_w = widest(&mut frame.x_ticks.iter().map(|t| t.1.to_string()));
    let plot_h = h.saturating_sub(top_margin() + MARGIN + x_area());
    let y_desc = desc_lines(&frame.y_desc, plot_h);
    let y_area = label_line() * y_desc.len() as u32 + GAP + y_tick_w + 2 * TICK;
    let plot_w = w.saturating_sub(2 * MARGIN + y_area);
    let unit = f64::from(plot_w) / (frame.x.1 - frame.x.0);
    let x_ticks = thin(&frame.x_ticks, unit, f64::from(x_tick_w + GAP));
    let x_axis = Axis::new(frame.x.0, frame.x.1, x_ticks.iter().map(|t| t.0).collect());

    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .margin_top(top_margin())
        .x_label_area_size(x_area())
        .y_label_area_size(y_area)
        .build_cartesian_2d(x_axis, frame.y.clone())?;
    let x_label = |v: &f64| {
        (x_ticks.iter())
            .find(|t| (t.0 - v).abs() < 1e-9)
            .map_or(String::new(), |t| t.1.to_string())
    };
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_label_formatter(&x_label)
        .y_label_formatter(frame.y_label)
        .label_style(font(TICK_PT))
        .axis_style(BLACK.stroke_width(THIN))
        .bold_line_style(GRID.stroke_width(2))
        .set_all_tick_mark_size(TICK);
    if !frame.grid {
        mesh.disable_y_mesh();
    }
    mesh.draw()?;

    // The descriptions, centred on the plot: below it, and left of it reading upwards.
    let (base_x, base_y) = area.get_base_pixel();
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let (cx, cy) = (
        (xr.start + xr.end) / 2 - base_x,
        (yr.start + yr.end) / 2 - base_y,
    );
    area.draw(&Text::new(
        frame.x_desc.clone(),
        (cx, (h - MARGIN) as i32),
        text(LABEL_PT, HPos::Center, VPos::Bottom),
    ))?;
    let upwards = text(LABEL_PT, HPos::Center, VPos::Top).transform(FontTransform::Rotate270);
    for (k, l) in y_desc.iter().enumerate() {
        let x = (MARGIN + label_line() * k as u32) as i32;
        area.draw(&Text::new(l.clone(), (x, cy), upwards.clone()))?;
    }
    Ok(chart)
}

/// `desc` on one line if it fits in `room` pixels at the axis-label size, else on two: before
/// its parenthesis (`min n_hidden` / `(mean loss < 1e-5)`), or at its middle space.
fn desc_lines(desc: &str, room: u32) -> Vec<String> {
    if text_size(desc, LABEL_PT).0 <= room {
        return vec![desc.to_owned()];
    }
    let middle = desc.len() / 2;
    let split = desc
        .find(" (")
        .or_else(|| (desc.match_indices(' ').map(|(i, _)| i)).min_by_key(|i| i.abs_diff(middle)));
    match split {
        Some(i) => vec![desc[..i].to_owned(), desc[i + 1..].to_owned()],
        None => vec![desc.to_owned()],
    }
}

/// The `ticks` (coordinate, whole number) that keep their labels `room` pixels apart at
/// `unit` pixels per coordinate: all of them, or those at multiples of 2, 5, 10, … (every
/// 2nd, 5th, … where fewer than two are multiples).
fn thin(ticks: &[(f64, u32)], unit: f64, room: f64) -> Vec<(f64, u32)> {
    let apart = |kept: &[(f64, u32)]| kept.windows(2).all(|w| (w[1].0 - w[0].0) * unit >= room);
    for step in [1, 2, 5, 10, 20, 50, 100, 200, 500] {
        let mut kept: Vec<(f64, u32)> = ticks.iter().copied().filter(|t| t.1 % step == 0).collect();
        if kept.len() < 2 {
            kept = ticks.iter().copied().step_by(step as usize).collect();
        }
        if apart(&kept) {
            return kept;
        }
    }
    ticks.first().copied().into_iter().collect()
}

/// The pixel of chart coordinate (`x`, `y`) on the root canvas.
fn at(chart: &Chart, x: f64, y: f64) -> (i32, i32) {
    chart.backend_coord(&(x, y))
}

/// What `{aggregate} {word}` reads on an axis: `mean exact loss`, `summed eval loss`.
fn aggregate_loss(headline: Aggregate, word: &str) -> String {
    match headline {
        Aggregate::Sum => format!("summed {word}"),
        a => format!("{a} {word}"),
    }
}

// --- 1. The answer -----------------------------------------------------------------------

/// One series' answer at one depth under the headline rule, as `min_hidden.csv` has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The smallest passing width.
    Width(u32),
    /// The narrowest width tested passes, so the answer is at most this (`≤2`).
    Bound(u32),
    /// No tested width passes; the widest tested is `max_tested`.
    None { max_tested: u32 },
}

impl Answer {
    /// The answer of `row` under `rule`; `None` where the rule decodes and the row has no
    /// exact evaluation.
    fn of(row: &MinHiddenRow, rule: PassRule) -> Option<Answer> {
        let width = match rule.criterion {
            Criterion::Loss => row.min_n_hidden,
            Criterion::Decoded => row.min_n_hidden_decoded?,
        };
        Some(match width {
            Some(n) if row.is_bound(width) => Answer::Bound(n),
            Some(n) => Answer::Width(n),
            None => Answer::None {
                max_tested: row.max_tested,
            },
        })
    }

    /// Where it is drawn: the width, or `max_tested + 1` for `none`.
    fn y(self) -> u32 {
        match self {
            Answer::Width(n) | Answer::Bound(n) => n,
            Answer::None { max_tested } => max_tested + 1,
        }
    }

    /// How it is drawn: (filled marker, a `^` above it, the line to it dashed).
    fn look(self) -> (bool, bool, bool) {
        match self {
            Answer::Width(_) => (true, false, false),
            Answer::Bound(_) => (false, false, false),
            Answer::None { .. } => (false, true, true),
        }
    }
}

/// The min-n_hidden figure's points: the answers under `rule` by depth, per tree series. Rows
/// of other aggregates, series without a tree and series whose instances differ in p are left
/// out, as from the report's headline.
pub(crate) fn answer_points(
    rows: &[MinHiddenRow],
    rule: PassRule,
) -> BTreeMap<Series, Vec<(u32, Answer)>> {
    let mut out: BTreeMap<Series, Vec<(u32, Answer)>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.aggregate == rule.aggregate && has_tree(r.depth))
    {
        let series = Series::of_min_hidden(r);
        if let (false, Some(answer)) = (series.per_instance_p(), Answer::of(r, rule)) {
            out.entry(series).or_default().push((r.depth, answer));
        }
    }
    out.values_mut().for_each(|v| v.sort_by_key(|p| p.0));
    out
}

/// What the y axis of the answer says: `min n_hidden (mean loss < 1e-5)`, `min n_hidden (all
/// decode)`.
fn answer_desc(rule: PassRule) -> String {
    match rule.criterion {
        Criterion::Loss => format!(
            "min n_hidden ({} < {})",
            aggregate_loss(rule.aggregate, rule.loss_name()),
            fmt_bound(rule.threshold)
        ),
        Criterion::Decoded => format!("min n_hidden ({})", rule.short()),
    }
}

/// The answer's y axis: whole widths from just below the lowest answer to just above the
/// highest, and a tick at each `max_tested + 1` where a `none` is drawn (`beyond`); plain
/// ticks closer than a step to those go.
fn answer_axis(lo: u32, hi: u32, beyond: &[u32]) -> Axis {
    let (lo, hi) = ((f64::from(lo) - 0.6).max(0.0), f64::from(hi) + 0.6);
    let plain: Vec<f64> = (nice_ticks(lo, hi, 6).into_iter())
        .filter(|t| t.fract() == 0.0)
        .collect();
    let step = plain.get(1).map_or(1.0, |b| b - plain[0]);
    let mut ticks: Vec<f64> = (plain.into_iter())
        .filter(|t| beyond.iter().all(|b| (t - f64::from(*b)).abs() >= step))
        .chain(beyond.iter().map(|b| f64::from(*b)))
        .collect();
    ticks.sort_by(f64::total_cmp);
    Axis::new(lo, hi, ticks)
}

/// 1. The headline answer vs depth, a line per tree series; `None` without tree series.
fn min_hidden_figure(rows: &[MinHiddenRow], rule: PassRule) -> Result<Option<Plot>> {
    let answers = answer_points(rows, rule);
    let points = || answers.values().flatten();
    let (Some(lo), Some(hi)) = (
        points().map(|p| p.1.y()).min(),
        points().map(|p| p.1.y()).max(),
    ) else {
        return Ok(None);
    };
    let depths = distinct(points().map(|p| p.0));
    let beyond = distinct(points().filter_map(|p| match p.1 {
        Answer::None { max_tested } => Some(max_tested + 1),
        _ => None,
    }));
    let y = answer_axis(lo, hi, &beyond);
    let y_label = |v: &f64| {
        let n = v.round() as u32;
        if beyond.contains(&n) {
            format!(">{}", n - 1)
        } else {
            n.to_string()
        }
    };
    let series: Vec<Series> = answers.keys().cloned().collect();
    let mut keys: Vec<Key> = Vec::new();
    if series.len() > 1 {
        for (i, label) in short_labels(&series).into_iter().enumerate() {
            keys.push(Key {
                sample: Some(Sample {
                    colour: okabe_ito(i),
                    line: Some(false),
                    marker: Some((shape(i), true)),
                }),
                text: label,
            });
        }
    }
    if points().any(|p| matches!(p.1, Answer::Bound(_))) {
        keys.push(Key {
            sample: Some(Sample {
                colour: MUTED,
                line: None,
                marker: Some((Shape::Circle, false)),
            }),
            text: "hollow: at most (narrowest width tested)".to_owned(),
        });
    }
    let frame = Frame {
        x: (
            f64::from(depths[0]) - 0.4,
            f64::from(depths[depths.len() - 1]) + 0.4,
        ),
        x_ticks: depths.iter().map(|d| (f64::from(*d), *d)).collect(),
        x_desc: "depth".to_owned(),
        y,
        y_label: &y_label,
        y_desc: answer_desc(rule),
        grid: true,
    };
    let svg = figure_svg(|root| {
        let area = legend(root, &keys)?;
        let chart = axes(&area, &frame)?;
        let unit = at(&chart, 1.0, 0.0).0 - at(&chart, 0.0, 0.0).0;
        for (i, pts) in answers.values().enumerate() {
            let (colour, dx) = (okabe_ito(i), dodge_within(i, series.len(), unit, 14.0));
            let pixel = |(d, a): &(u32, Answer)| {
                let (x, y) = at(&chart, f64::from(*d), f64::from(a.y()));
                (x + dx, y)
            };
            for pair in pts.windows(2) {
                let dashed = pair.iter().any(|p| p.1.look().2);
                let ends = vec![pixel(&pair[0]), pixel(&pair[1])];
                line(root, ends, colour.stroke_width(LINE), dashed)?;
            }
            for p in pts {
                let (filled, caret, _) = p.1.look();
                let (x, y) = pixel(p);
                marker(root, (x, y), shape(i), colour, filled)?;
                if caret {
                    // `^` above: more than the widest tested.
                    let top = y - 2 * RADIUS - 10;
                    let caret = vec![
                        (x - RADIUS, top + RADIUS),
                        (x, top),
                        (x + RADIUS, top + RADIUS),
                    ];
                    line(root, caret, colour.stroke_width(THIN), false)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Some(Plot {
        stem: "min_hidden".to_owned(),
        title: format!("Smallest n_hidden by depth: {}", rule.describe()),
        series: None,
        svg,
    }))
}

// --- 2. Loss vs n_hidden -----------------------------------------------------------------

/// The colour of the `i`-th of `n` depths: viridis without its pale yellow end.
fn depth_colour(i: usize, n: usize) -> RGBColor {
    viridis(0.85 * i as f64 / (n.max(2) - 1) as f64)
}

/// The legend entries of a series' rows: `depth 1 2 3 …` for a tree, else the row's name.
fn depth_keys(rows: &[&SummaryRow], depths: &[u32]) -> Vec<Key> {
    let tree = rows.iter().any(|r| has_tree(r.depth));
    let mut keys: Vec<Key> = Vec::new();
    if tree {
        keys.push(Key {
            sample: None,
            text: "depth".to_owned(),
        });
    }
    for (i, d) in depths.iter().enumerate() {
        let r = rows.iter().find(|r| r.row_key() == *d);
        keys.push(Key {
            sample: Some(Sample {
                colour: depth_colour(i, depths.len()),
                line: Some(false),
                marker: Some((shape(i), true)),
            }),
            text: match (tree, r) {
                (false, Some(r)) => row_name(r.depth, r.n_features),
                _ => d.to_string(),
            },
        });
    }
    keys
}

/// 2. The headline aggregate's loss vs n_hidden, a line per depth, the threshold dashed.
fn loss_figure(series: &Series, rows: &[&SummaryRow], rule: PassRule) -> Result<Plot> {
    let (threshold, headline) = (rule.threshold, rule.aggregate);
    let word = loss_word(rows.iter().copied());
    let floor = display_floor(threshold);
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let axis = LogAxis::losses(
        (rows.iter().map(|r| r.aggregate(headline))).chain(std::iter::once(threshold)),
        floor,
    );
    let mut keys = depth_keys(rows, &depths);
    keys.push(Key {
        sample: Some(Sample {
            colour: BLACK,
            line: Some(true),
            marker: None,
        }),
        text: "threshold".to_owned(),
    });
    let y_label = |v: &f64| axis.label(v);
    let frame = Frame {
        x: x_span(&hiddens),
        x_ticks: hiddens.iter().map(|h| (f64::from(*h), *h)).collect(),
        x_desc: "n_hidden".to_owned(),
        y: Axis::new(axis.bottom(), axis.hi, axis.major.clone()),
        y_label: &y_label,
        y_desc: aggregate_loss(headline, word),
        grid: true,
    };
    let svg = figure_svg(|root| {
        let area = legend(root, &keys)?;
        let chart = axes(&area, &frame)?;
        let t = threshold.log10();
        let ends = vec![at(&chart, frame.x.0, t), at(&chart, frame.x.1, t)];
        line(root, ends, BLACK.stroke_width(THIN), true)?;
        let unit = at(&chart, 1.0, 0.0).0 - at(&chart, 0.0, 0.0).0;
        for (i, depth) in depths.iter().enumerate() {
            let colour = depth_colour(i, depths.len());
            let points: Vec<((i32, i32), bool)> = (rows.iter())
                .filter(|r| r.row_key() == *depth)
                .filter_map(|r| {
                    let s = shown(r.aggregate(headline), floor)?;
                    Some((at(&chart, f64::from(r.n_hidden), s.log), s.floored))
                })
                .collect();
            line(
                root,
                points.iter().map(|p| p.0).collect(),
                colour.stroke_width(LINE),
                false,
            )?;
            // At the floor a hollow marker where the line reaches it (markers all along would
            // pile up), shifted sideways so that depths reaching it together stay visible.
            let dx = dodge_within(i, depths.len(), unit, f64::from(RADIUS));
            let mut was_floored = false;
            for ((x, y), floored) in points {
                if !floored {
                    marker(root, (x, y), shape(i), colour, true)?;
                } else if !was_floored {
                    marker(root, (x + dx, y), shape(i), colour, false)?;
                }
                was_floored = floored;
            }
        }
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("loss_vs_hidden_{}", series.slug()),
        title: format!(
            "{} vs n_hidden — {}",
            capitalised(&aggregate_loss(headline, word)),
            series.label()
        ),
        series: Some(series.clone()),
        svg,
    })
}

// --- 3. Heatmap --------------------------------------------------------------------------

/// 3. The headline aggregate's loss by depth (rows) × n_hidden (columns), log viridis scale,
///    a check mark where the config passes `rule`.
fn heatmap_figure(series: &Series, rows: &[&SummaryRow], rule: PassRule) -> Result<Plot> {
    let (threshold, headline) = (rule.threshold, rule.aggregate);
    let word = loss_word(rows.iter().copied());
    let floor = display_floor(threshold);
    let tree = series.data.is_none();
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let (nx, ny) = (hiddens.len(), depths.len());
    let scale = LogAxis::losses(rows.iter().map(|r| r.aggregate(headline)), floor);

    // The colour bar's column: bar, ticks, tick labels, description.
    const BAR: u32 = 40;
    let tick_w = (scale.major.iter())
        .map(|v| text_size(&scale.label(v), TICK_PT).0)
        .max()
        .unwrap_or(0);
    let label_area = 2 * TICK + tick_w + GAP + label_line();
    let column = GAP + BAR + label_area + MARGIN;
    let bar_height = HEIGHT - top_margin() - MARGIN - x_area();
    let bar_desc = [
        aggregate_loss(headline, word),
        aggregate_loss(headline, rule.loss_name()),
    ]
    .into_iter()
    .find(|d| text_size(d, LABEL_PT).0 <= bar_height)
    .unwrap_or_else(|| rule.loss_name().to_owned());
    let bar_style = BarStyle {
        margin: [top_margin(), MARGIN + x_area(), GAP, MARGIN],
        label_area,
        tick_font: px(TICK_PT) * 1.24,
        label_font: px(LABEL_PT) * 1.24,
        tick_mark: Some(TICK),
        outline: THIN,
    };

    let y_label = |v: &f64| {
        let i = (ny as f64 - 1.0 - v).round() as usize;
        depths.get(i).map_or(String::new(), u32::to_string)
    };
    let frame = Frame {
        x: (-0.5, nx as f64 - 0.5),
        x_ticks: (hiddens.iter().enumerate())
            .map(|(j, h)| (j as f64, *h))
            .collect(),
        x_desc: "n_hidden".to_owned(),
        y: Axis::new(-0.5, ny as f64 - 0.5, (0..ny).map(|i| i as f64).collect()),
        y_label: &y_label,
        y_desc: if tree { "depth" } else { "n_features" }.to_owned(),
        grid: false,
    };
    let svg = figure_svg(|root| {
        let (main, side) = side_column(root, column);
        let mut bar = colour_bar_with(
            &side,
            Axis::new(scale.lo, scale.hi, scale.major.clone()),
            &bar_desc,
            &|v| scale.label(v),
            |y| viridis(scale.fraction(y)),
            &bar_style,
        )?;
        let t = threshold.log10();
        if (scale.lo..=scale.hi).contains(&t) {
            bar.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, t), (1.0, t)],
                BLACK.stroke_width(THIN),
            )))?;
        }

        let chart = axes(&main, &frame)?;
        // Depth 1 is the top row, like a table.
        let row_y = |i: usize| (ny - 1 - i) as f64;
        for (i, depth) in depths.iter().enumerate() {
            for (j, n_hidden) in hiddens.iter().enumerate() {
                let (x, y) = (j as f64, row_y(i));
                let row = rows
                    .iter()
                    .find(|r| r.row_key() == *depth && r.n_hidden == *n_hidden);
                let fill = match row.map(|r| shown(r.aggregate(headline), floor)) {
                    None => MISSING,
                    Some(None) => DIVERGED,
                    Some(Some(s)) => viridis(scale.fraction(s.log)),
                };
                let (a, b) = (at(&chart, x - 0.5, y + 0.5), at(&chart, x + 0.5, y - 0.5));
                root.draw(&Rectangle::new([a, b], fill.filled()))?;
                root.draw(&Rectangle::new([a, b], WHITE.stroke_width(3)))?;
                if row.is_some_and(|r| rule.passes(r)) {
                    let ink = if is_dark(fill) { WHITE } else { BLACK };
                    check(root, at(&chart, x, y), (b.0 - a.0).min(b.1 - a.1), ink)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("heatmap_{}", series.slug()),
        title: format!(
            "{} by {} and n_hidden — {}",
            capitalised(&aggregate_loss(headline, word)),
            if tree { "depth" } else { "n_features" },
            series.label()
        ),
        series: Some(series.clone()),
        svg,
    })
}

/// A check mark centred on pixel `at`, sized to a cell `cell` pixels across: drawn, not a
/// glyph, so that it fits cells of any width.
fn check(area: &Area, at: (i32, i32), cell: i32, ink: RGBColor) -> Result<()> {
    let s = f64::from(cell.min(4 * RADIUS)) * 0.5;
    let p = |dx: f64, dy: f64| {
        (
            at.0 + (dx * s).round() as i32,
            at.1 + (dy * s).round() as i32,
        )
    };
    let width = (s / 7.0).round().clamp(2.0, f64::from(LINE)) as u32;
    line(
        area,
        vec![p(-0.45, 0.0), p(-0.12, 0.35), p(0.5, -0.4)],
        ink.stroke_width(width),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::{config, texts};
    use crate::schema::{RunRow, test_rule as rule};
    use resvg::usvg;

    /// Depths × widths of a tree and an independent series, two instances each: a width passes
    /// from depth + 1 on (tree) or depth + 3 (independent), deeper ones never within `widths`;
    /// the widest rows of a passing depth are rounding noise, with decoding to match.
    fn sweep(
        depths: std::ops::RangeInclusive<u32>,
        widths: std::ops::RangeInclusive<u32>,
    ) -> Vec<RunRow> {
        let mut runs = Vec::new();
        for (structure, extra) in [("tree0.5", 1), ("independent0.5", 3)] {
            for depth in depths.clone() {
                for h in widths.clone() {
                    let need = depth + extra;
                    let loss = match h.cmp(&need) {
                        std::cmp::Ordering::Less => {
                            10f64.powf(-2.0 - 2.0 * f64::from(h) / f64::from(need))
                        }
                        std::cmp::Ordering::Equal => 3e-7,
                        std::cmp::Ordering::Greater => 1e-12,
                    };
                    runs.extend(config(depth, h, structure, loss).map(|r| RunRow {
                        structure: structure.trim_end_matches("0.5").into(),
                        exact_loss: Some(loss),
                        decoded: Some(if h > need { 1.0 } else { 0.5 }),
                        ..r
                    }));
                }
            }
        }
        runs
    }

    fn figures_of(runs: &[RunRow], rule: PassRule) -> Vec<Plot> {
        let summary = crate::summarize(runs);
        let rows = crate::min_hidden(&summary, rule.threshold);
        figures(&summary, &rows, rule).unwrap()
    }

    fn figure<'a>(figures: &'a [Plot], prefix: &str) -> &'a Plot {
        (figures.iter().find(|f| f.stem.starts_with(prefix)))
            .unwrap_or_else(|| panic!("no {prefix} figure"))
    }

    /// Each text of `svg` and its font size in points, through the scale of its groups.
    fn font_sizes(svg: &str) -> Vec<(String, f64)> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        let scale = |n: roxmltree::Node| -> f64 {
            (n.ancestors().filter_map(|a| a.attribute("transform")))
                .filter_map(|t| {
                    t.strip_prefix("scale(")?
                        .strip_suffix(')')?
                        .parse::<f64>()
                        .ok()
                })
                .product()
        };
        (doc.descendants().filter(|n| n.has_tag_name("text")))
            .map(|n| {
                let size: f64 = n.attribute("font-size").unwrap().parse().unwrap();
                // viewBox units are 1/100 in: 72/100 pt each.
                let pt = size * scale(n) * 0.72;
                (n.text().unwrap_or_default().trim().to_owned(), pt)
            })
            .collect()
    }

    /// Every text's box as the PNG renders it (viewBox units), and the canvas size.
    fn text_boxes(svg: &str) -> (usvg::Size, Vec<(String, usvg::Rect)>) {
        fn walk(group: &usvg::Group, out: &mut Vec<(String, usvg::Rect)>) {
            for node in group.children() {
                match node {
                    usvg::Node::Group(g) => walk(g, out),
                    usvg::Node::Text(t) => {
                        let s: String = t.chunks().iter().map(|c| c.text()).collect();
                        out.push((s.trim().to_owned(), t.abs_bounding_box()));
                    }
                    _ => {}
                }
            }
        }
        let tree = draw::parse_svg(svg).unwrap();
        let mut out = Vec::new();
        walk(tree.root(), &mut out);
        (tree.size(), out)
    }

    /// The figures' files: sized in inches on a viewBox of 1/100 in, every text 8 or 9 pt, no
    /// title, and the PNG at 300 dpi.
    #[test]
    fn figures_are_one_column_wide_with_print_sized_text() {
        let all = figures_of(&sweep(1..=4, 2..=8), rule(Criterion::Loss, Aggregate::Mean));
        let stems: Vec<&str> = all.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "min_hidden",
                "loss_vs_hidden_independent-s0.5_b2_binary_seed0",
                "heatmap_independent-s0.5_b2_binary_seed0",
                "loss_vs_hidden_tree-s0.5_b2_binary_seed0",
                "heatmap_tree-s0.5_b2_binary_seed0",
            ]
        );
        for f in &all {
            let doc = roxmltree::Document::parse(&f.svg).unwrap();
            let root = doc.root_element();
            assert_eq!(root.attribute("width"), Some("3.25in"), "{}", f.stem);
            assert_eq!(root.attribute("height"), Some("2.4in"));
            assert_eq!(root.attribute("viewBox"), Some("0 0 325 240"));
            let sizes = font_sizes(&f.svg);
            assert!(sizes.len() > 5, "{sizes:?}");
            for (s, pt) in &sizes {
                assert!((7.0..=10.0).contains(pt), "{}: {s:?} at {pt} pt", f.stem);
            }
            // Titles and footers are for the report: none here.
            assert!(
                sizes
                    .iter()
                    .all(|(s, _)| !s.contains(" — ") && !s.contains("seed"))
            );
            assert!(sizes.iter().all(|(s, _)| s.len() < 45), "{sizes:?}");

            let png = png(&f.svg).unwrap();
            let reader = ::png::Decoder::new(std::io::Cursor::new(png))
                .read_info()
                .unwrap();
            let info = reader.info();
            assert_eq!((info.width, info.height), (975, 720), "{}", f.stem);
        }
        // Axis labels say what is drawn.
        let t = texts(&figure(&all, "min_hidden").svg);
        assert!(t.iter().any(|s| s.starts_with("min n_hidden")), "{t:?}");
        assert!(t.concat().contains("mean loss < 1e-5"), "{t:?}");
        let t = texts(&figure(&all, "loss_vs_hidden_tree").svg);
        for want in [
            "mean exact loss",
            "n_hidden",
            "depth",
            "threshold",
            "≤ 1e-8",
        ] {
            assert!(t.iter().any(|s| s == want), "{want}: {t:?}");
        }
    }

    /// No text leaves the canvas or overlaps another, from a few configs to depths 1..8 and
    /// widths 2..32, as the PNG renders them.
    #[test]
    fn every_text_fits_and_none_overlap() {
        for (depths, widths) in [
            (1..=1, 2..=2),
            (1..=3, 2..=4),
            (1..=6, 2..=10),
            (1..=8, 2..=32),
        ] {
            for f in figures_of(
                &sweep(depths.clone(), widths.clone()),
                rule(Criterion::Loss, Aggregate::Mean),
            ) {
                let (size, boxes) = text_boxes(&f.svg);
                let case = format!("{} at depths {depths:?}, widths {widths:?}", f.stem);
                assert!(!boxes.is_empty(), "{case}");
                for (s, b) in &boxes {
                    let inside = b.left() >= 0.0
                        && b.top() >= 0.0
                        && b.right() <= size.width()
                        && b.bottom() <= size.height();
                    assert!(inside, "{case}: {s:?} at {b:?} leaves {size:?}");
                }
                for (i, (s, a)) in boxes.iter().enumerate() {
                    for (t, b) in &boxes[i + 1..] {
                        let overlap = a.left() < b.right() - 0.2
                            && b.left() < a.right() - 0.2
                            && a.top() < b.bottom() - 0.2
                            && b.top() < a.bottom() - 0.2;
                        assert!(!overlap, "{case}: {s:?} {a:?} overlaps {t:?} {b:?}");
                    }
                }
            }
        }
    }

    /// The answer figure draws `min_hidden.csv`'s headline answers: the rule's aggregate, by
    /// loss or by decoding, `≤n` as a bound and `none` at max_tested + 1.
    #[test]
    fn the_answers_are_min_hidden_csv_under_the_headline_rule() {
        let runs = sweep(1..=6, 2..=8);
        let summary = crate::summarize(&runs);
        let rows = crate::min_hidden(&summary, 1e-5);
        for rule in [
            rule(Criterion::Loss, Aggregate::Mean),
            rule(Criterion::Loss, Aggregate::Min),
            rule(Criterion::Decoded, Aggregate::Mean),
        ] {
            let answers = answer_points(&rows, rule);
            assert_eq!(answers.len(), 2);
            let mut seen = 0;
            for r in rows.iter().filter(|r| r.aggregate == rule.aggregate) {
                let width = match rule.criterion {
                    Criterion::Loss => r.min_n_hidden,
                    Criterion::Decoded => r.min_n_hidden_decoded.unwrap(),
                };
                let (_, answer) = answers[&Series::of_min_hidden(r)]
                    .iter()
                    .find(|p| p.0 == r.depth)
                    .copied()
                    .unwrap();
                let drawn = match answer {
                    Answer::Width(n) => n.to_string(),
                    Answer::Bound(n) => format!("≤{n}"),
                    Answer::None { max_tested } => {
                        assert_eq!(answer.y(), max_tested + 1);
                        "none".to_owned()
                    }
                };
                assert_eq!(drawn, r.width_label(width), "{rule:?} depth {}", r.depth);
                seen += 1;
            }
            assert_eq!(seen, 12);
            // The same as the headline (starred) line of the printed answer tables.
            for (table, (_, points)) in crate::answers(&rows, &rule).tables.iter().zip(&answers) {
                let (_, line) = table.lines.iter().find(|l| l.0.ends_with('*')).unwrap();
                let drawn: Vec<String> = (points.iter())
                    .map(|(_, a)| match a {
                        Answer::Width(n) => n.to_string(),
                        Answer::Bound(n) => format!("≤{n}"),
                        Answer::None { .. } => "none".to_owned(),
                    })
                    .collect();
                let printed: Vec<String> = (line.iter().flatten())
                    .map(|s| s.trim_end_matches(['↓', '↑']).to_owned())
                    .collect();
                assert_eq!(drawn, printed, "{rule:?} {}", table.title);
            }
        }
        // By the loss, the tree's depth 1 passes at the narrowest width (a bound), depth 6 of
        // the independent series nowhere; by decoding, one width later.
        let by_loss = answer_points(&rows, rule(Criterion::Loss, Aggregate::Mean));
        let tree = by_loss
            .iter()
            .find(|(s, _)| s.structure == "tree")
            .unwrap()
            .1;
        assert_eq!(tree[0], (1, Answer::Bound(2)));
        assert_eq!(tree[1], (2, Answer::Width(3)));
        let independent = by_loss
            .iter()
            .find(|(s, _)| s.structure != "tree")
            .unwrap()
            .1;
        assert_eq!(independent[5], (6, Answer::None { max_tested: 8 }));
        let by_decoding = answer_points(&rows, rule(Criterion::Decoded, Aggregate::Mean));
        let tree = by_decoding
            .iter()
            .find(|(s, _)| s.structure == "tree")
            .unwrap()
            .1;
        assert_eq!(tree[1], (2, Answer::Width(4)));
    }

    /// Series without a tree or with per-instance p are not in the answer figure (the former
    /// named for the page), though they keep their loss figure and heatmap.
    #[test]
    fn series_without_a_tree_stay_out_of_the_answer() {
        let sparse = |n_hidden: u32, instance: u32, p: f64| RunRow {
            config_id: format!("f5-h{n_hidden}-p{p}"),
            group: format!("f5-p{p}"),
            depth: 0,
            branching: 0,
            structure: "sparse".into(),
            stop_prob: 0.0,
            magnitude: "uniform".into(),
            feature_probability: if p > 0.0 {
                p
            } else {
                0.1 * f64::from(instance + 1)
            },
            n_features: 5,
            ..RunRow::seed_example(
                1,
                n_hidden,
                instance,
                if n_hidden > 2 { 1e-9 } else { 1e-3 },
            )
        };
        let mut runs = sweep(1..=2, 2..=3);
        runs.extend((2..=3).flat_map(|h| [sparse(h, 0, 0.01), sparse(h, 1, 0.01)]));
        runs.extend((2..=3).flat_map(|h| [sparse(h, 0, -1.0), sparse(h, 1, -1.0)]));
        let summary = crate::summarize(&runs);
        let rows = crate::min_hidden(&summary, 1e-5);
        let headline = rule(Criterion::Loss, Aggregate::Mean);
        assert!(
            answer_points(&rows, headline)
                .keys()
                .all(|s| s.data.is_none())
        );
        assert_eq!(left_out(&rows), ["sparse F=5, p=0.01, uniform, seed 0"]);
        let all = figures(&summary, &rows, headline).unwrap();
        let stems: Vec<&str> = all.iter().map(|f| f.stem.as_str()).collect();
        assert!(
            stems.contains(&"loss_vs_hidden_sparse_F5_p0.01_uniform_seed0"),
            "{stems:?}"
        );
        assert!(!stems.iter().any(|s| s.contains("0.1-0.2")), "{stems:?}");
        let t = texts(&figure(&all, "heatmap_sparse").svg);
        assert!(t.iter().any(|s| s == "n_features"), "{t:?}");
    }

    /// A real answer is a filled marker, a bound a hollow one, `none` a hollow one with a `^`
    /// reached by a dashed line, at a tick that reads `>max`.
    #[test]
    fn none_and_bounds_are_drawn_apart_from_answers() {
        let looks = [
            Answer::Width(3),
            Answer::Bound(2),
            Answer::None { max_tested: 8 },
        ]
        .map(Answer::look);
        assert!(looks[0] != looks[1] && looks[1] != looks[2] && looks[0] != looks[2]);
        assert!(looks[0].0 && !looks[1].0 && !looks[2].0);

        let all = figures_of(&sweep(1..=6, 2..=8), rule(Criterion::Loss, Aggregate::Mean));
        let svg = &figure(&all, "min_hidden").svg;
        let t = texts(svg);
        assert!(t.iter().any(|s| s == ">8"), "{t:?}");
        assert!(
            !t.iter().any(|s| s == "8" || s == "9"),
            "no plain tick beside >8: {t:?}"
        );
        assert!(t.iter().any(|s| s.starts_with("hollow: at most")), "{t:?}");
        // Hollow markers: white inside an outline of the series' colour.
        let doc = roxmltree::Document::parse(svg).unwrap();
        let white = (doc.descendants())
            .filter(|n| n.attribute("fill") == Some("#FFFFFF"))
            .count();
        assert!(white > 2, "{white}");

        // Without bounds and `none`, neither the legend entry nor a `>` tick.
        let runs: Vec<RunRow> = sweep(2..=3, 2..=8)
            .into_iter()
            .filter(|r| r.structure == "tree")
            .collect();
        let all = figures_of(&runs, rule(Criterion::Loss, Aggregate::Mean));
        let t = texts(&figure(&all, "min_hidden").svg);
        assert!(
            !t.iter()
                .any(|s| s.starts_with('>') || s.starts_with("hollow")),
            "{t:?}"
        );
    }

    #[test]
    fn crowded_ticks_keep_round_labels() {
        let ticks: Vec<(f64, u32)> = (2..=32).map(|h| (f64::from(h), h)).collect();
        assert_eq!(thin(&ticks, 100.0, 60.0), ticks);
        let kept: Vec<u32> = thin(&ticks, 30.0, 60.0).iter().map(|t| t.1).collect();
        assert_eq!(kept, (1..=16).map(|k| 2 * k).collect::<Vec<_>>());
        let kept: Vec<u32> = thin(&ticks, 12.0, 60.0).iter().map(|t| t.1).collect();
        assert_eq!(kept, [5, 10, 15, 20, 25, 30]);
    }
}
