//! Figures for a paper: the answer, the loss curves and the heatmap, redrawn at the size of one
//! column of a two-column paper, into `figures/` beside `plots/`.
//!
//! The report's charts are screen pictures: 1000 × 700 px with 11–19 px text and a title and a
//! footer inside; shrunk to a 3.3-inch column their text is about 3 pt. These figures are drawn
//! at their print size instead, 3.25 × 2.4 in: 8 pt tick labels and legend text, 9 pt axis
//! labels, 7 pt marks (`↓`, `↑`) beside answers and a crowded legend (its floor), about 1 pt
//! lines and 4–5 pt markers, in DejaVu Sans like every chart. They have no title and no
//! footer, so the caption goes in the paper; the axis labels say what is drawn (`mean exact
//! loss`, `min n_hidden (mean loss < 1e-5)`). Series take Okabe–Ito colours (dotted past the
//! eighth, [`series_look`]); depths, which are ordered, viridis without its pale yellow end,
//! and every series or depth a marker shape of its own so that lines stay apart in greyscale.
//! Legends name series by what differs between them, in short ([`compact_labels`]).
//!
//! | file | what it shows |
//! | --- | --- |
//! | `min_hidden` | the headline answer ([`crate::ReportOptions::rule`]) vs depth, a line per tree series; a bound (`≤2`) a hollow marker; `none` an upward arrow in one band above every width, labelled `none`, reached by a dashed line; `↓` / `↑` beside an answer that more steps may lower / that a wider width fails above; with pooled seeds each seed's own answers a thin light line under its pooled series' |
//! | `min_hidden_vs_features` | the same answers vs n_features on a log scale (ticks at powers of 2), where the tree series differ in branching: trees of the same size but another shape side by side |
//! | `loss_vs_hidden_<series>` | the headline aggregate's loss vs n_hidden, a line per depth, log axis down to the display floor, broken where a loss diverged; the threshold dashed when the checks follow the loss |
//! | `heatmap_<series>` | the same loss by depth (and n_features) × n_hidden on one log viridis scale for all the run's heatmaps, a check mark where the config passes, `†` where instances diverged; its columns labelled as categories (all, or every k-th), never as a scale |
//!
//! Series without a tree stay out of `min_hidden` (their x axis would be n_features, not
//! depth), and series whose instances differ in p out of all three, as from the report's
//! headline.
//!
//! `figures/.tmh-figures` lists the stems this module wrote: a later build removes the listed
//! ones it no longer draws, and never a file it did not write.
//!
//! # Units
//!
//! plotters places every element on whole pixels, and at 1/100 in a 1 pt line could only be
//! 0.72 or 1.44 pt wide, so a figure is drawn at 400 dpi (1300 × 960 px). Its SVG root then
//! reads `width="3.25in" height="2.4in" viewBox="0 0 325 240"` (1/100 in) and one
//! `scale(0.25)` group maps the drawing onto that viewBox, so that LaTeX, Inkscape and
//! browsers agree on the size. The PNG is rendered from the SVG at 300 dpi (975 × 720 px).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::analysis::{
    Series, capitalised, compact_labels, group_in_order, has_tree, in_order_of_appearance,
    loss_word, row_name, series_of,
};
use crate::display_floor;
use crate::draw::{
    self, Area, Axis, BarStyle, CATEGORICAL, FONT, GRID, GRID_LIGHT, MISSING, MUTED, categorical,
    fmt_bound, is_dark, is_safe_stem, lighten, nice_ticks, side_column, svg_document, thin_ticks,
    viridis,
};
use crate::plots::{
    DIVERGED, LogAxis, Plot, aggregate_loss, depth_colour, distinct, dodge_within, loss_colour_bar,
    partly_diverged, shown, wrap_at_commas, x_span,
};
use crate::schema::{Criterion, MinHiddenRow, PassRule, SummaryRow, write_atomic};

/// The folder of the figures, inside the run folder.
pub(crate) const DIR: &str = "figures";

/// The list, inside `figures/`, of the stems this module wrote last, one a line.
const MANIFEST: &str = ".tmh-figures";

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
/// The smallest text: marks beside markers, and a crowded legend.
const SMALL_PT: f64 = 7.0;

/// Lines of data (≈ 1.1 pt).
const LINE: u32 = 6;
/// Hollow markers' outline, the threshold, the axes (≈ 0.7 pt).
const THIN: u32 = 4;
/// Marker radius (≈ 4.3 pt across).
const RADIUS: i32 = 12;
/// How far the widest marker (the star) reaches from its centre.
const REACH: i32 = 3 * RADIUS / 2;
/// Tick marks; plotters puts the labels twice as far from the axis.
const TICK: u32 = 10;
const MARGIN: u32 = 20;
const GAP: u32 = 14;

/// How far up viridis the depths go: its pale yellow end fades on paper.
const DEPTH_END: f64 = 0.85;

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

/// The threshold a figure draws: the rule's, unless its checks follow decoding instead.
fn drawn_threshold(rule: PassRule) -> Option<f64> {
    (rule.criterion == Criterion::Loss).then_some(rule.threshold)
}

/// The figures of a run: the answer by depth (tree series), and per series the loss chart and
/// the heatmap, all under `rule`, the report's headline. The heatmaps share one colour scale,
/// so that they can be compared.
pub(crate) fn figures(
    summary: &[SummaryRow],
    min_rows: &[MinHiddenRow],
    rule: PassRule,
) -> Result<Vec<Plot>> {
    draw::ensure_font()?;
    let mut out: Vec<Plot> = (min_hidden_figure(min_rows, rule)?.into_iter())
        .chain(min_hidden_vs_features_figure(min_rows, rule)?)
        .collect();
    let series: Vec<(Series, Vec<&SummaryRow>)> = (series_of(summary).into_iter())
        .filter(|s| !s.per_instance_p())
        .map(|s| {
            let rows = summary
                .iter()
                .filter(|r| Series::of_summary(r) == s)
                .collect();
            (s, rows)
        })
        .collect();
    let scale = LogAxis::losses(
        (series.iter().flat_map(|s| &s.1)).map(|r| r.aggregate(rule.aggregate)),
        display_floor(rule.threshold),
    );
    for (s, rows) in &series {
        out.push(loss_figure(s, rows, rule)?);
        out.push(heatmap_figure(s, rows, rule, &scale)?);
    }
    Ok(out)
}

/// Writes `figures` into `dir` (SVG and a 300 dpi PNG each, atomically) and removes the
/// figures there that an earlier build wrote (the manifest lists them) but this one did not;
/// a file this module did not write stays. Returns the paths written.
pub(crate) fn write(dir: &Path, figures: &[Plot]) -> Result<Vec<PathBuf>> {
    let charts: Vec<(&str, &str)> = figures
        .iter()
        .map(|f| (f.stem.as_str(), f.svg.as_str()))
        .collect();
    let now: BTreeSet<&str> = charts.iter().map(|c| c.0).collect();
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let before = read_manifest(dir)?;
    // Listed before they are written, so that a build stopped halfway leaves none unlisted.
    let both: BTreeSet<&str> = before
        .iter()
        .map(String::as_str)
        .chain(now.clone())
        .collect();
    write_manifest(dir, &both)?;
    let files = draw::write_charts_with(dir, &charts, &png)?;
    for stem in before.iter().filter(|s| !now.contains(s.as_str())) {
        for ext in ["svg", "png"] {
            let path = dir.join(format!("{stem}.{ext}"));
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("removing {}", path.display()));
                }
                _ => {}
            }
        }
    }
    write_manifest(dir, &now)?;
    Ok(files)
}

/// The stems the manifest in `dir` lists; none without one. A line that is not a plain file
/// stem is ignored, so an edited manifest cannot reach outside `dir`.
fn read_manifest(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join(MANIFEST);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((text.lines())
            .filter(|l| is_safe_stem(l))
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_manifest(dir: &Path, stems: &BTreeSet<&str>) -> Result<()> {
    let text: String = stems.iter().map(|s| format!("{s}\n")).collect();
    write_atomic(&dir.join(MANIFEST), text.as_bytes())
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

/// A marker shape: each series (or depth) has its own, so lines stay apart in greyscale; the
/// arrow is `none`'s, whatever the series.
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
    /// An upward arrow: more than any width tested.
    Arrow,
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
            // Head, then shaft, within the star's reach.
            Shape::Arrow => [
                (0.0, -1.5),
                (1.1, -0.15),
                (0.35, -0.15),
                (0.35, 1.4),
                (-0.35, 1.4),
                (-0.35, -0.15),
                (-1.1, -0.15),
            ]
            .iter()
            .map(|(x, y)| (x * r, y * r))
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

/// Draws a marker of radius `r` centred on pixel `at` of `area`: filled with `colour`, or
/// white inside a `colour` outline (`filled` false: hollow).
fn marker(
    area: &Area,
    at: (i32, i32),
    (shape, r): (Shape, i32),
    colour: RGBColor,
    filled: bool,
) -> Result<()> {
    let fill = if filled { colour } else { WHITE };
    let outline = colour.stroke_width(if filled { 2 } else { THIN });
    match shape.corners(f64::from(r)) {
        None => {
            area.draw(&Circle::new(at, r, fill.filled()))?;
            area.draw(&Circle::new(at, r, outline))?;
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

/// How a line is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dash {
    Solid,
    /// Long dashes: the threshold, and a line on its way to `none`.
    Dashed,
    /// Short dashes: a series past the palette's colours, which it shares with an earlier one.
    Dotted,
}

/// Draws a line through the pixels `points` of `area`.
fn line(area: &Area, points: Vec<(i32, i32)>, style: ShapeStyle, dash: Dash) -> Result<()> {
    match dash {
        Dash::Solid => area.draw(&PathElement::new(points, style))?,
        Dash::Dashed => area.draw(&DashedPathElement::new(points, 22, 14, style))?,
        Dash::Dotted => area.draw(&DashedPathElement::new(points, 8, 10, style))?,
    }
    Ok(())
}

/// How a series' line is drawn: its colour, marker shape and dash.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Look {
    colour: RGBColor,
    shape: Shape,
    dash: Dash,
}

/// How the `i`-th series of a figure is drawn. Okabe–Ito has eight colours: past them a
/// colour comes again, but dotted and with the shapes turned by one a round, so that no two of
/// the first 64 series look alike (and none does so silently: the legend shows the dots).
fn series_look(i: usize) -> Look {
    let round = i / CATEGORICAL;
    Look {
        colour: categorical(i),
        shape: shape(i + round),
        dash: if round % 2 == 1 {
            Dash::Dotted
        } else {
            Dash::Solid
        },
    }
}

// --- Legend ------------------------------------------------------------------------------

/// A legend entry: a sample line and marker (none for a heading such as `depth`) and text,
/// and a shorter text for a crowded legend.
#[derive(Debug, Clone)]
struct Key {
    sample: Option<Sample>,
    text: String,
    short: Option<String>,
}

impl Key {
    fn new(sample: Option<Sample>, text: &str) -> Key {
        Key {
            sample,
            text: text.to_owned(),
            short: None,
        }
    }

    /// An entry whose sample is a marker in grey: what a kind of marker means.
    fn marker(shape: Shape, filled: bool, text: &str, short: &str) -> Key {
        let sample = Sample {
            colour: MUTED,
            line: None,
            marker: Some((shape, filled)),
        };
        Key {
            short: Some(short.to_owned()),
            ..Key::new(Some(sample), text)
        }
    }
}

/// What a legend entry shows before its text.
#[derive(Debug, Clone, Copy)]
struct Sample {
    colour: RGBColor,
    /// A line and its width.
    line: Option<(Dash, u32)>,
    /// A marker, filled or not.
    marker: Option<(Shape, bool)>,
}

impl Sample {
    /// A series' sample: its line and filled marker.
    fn of(look: Look) -> Sample {
        Sample {
            colour: look.colour,
            line: Some((look.dash, LINE)),
            marker: Some((look.shape, true)),
        }
    }
}

/// Length of a legend sample, and the space after it and between entries.
const SAMPLE: u32 = 64;
const KEY_GAP: u32 = 40;
/// The most of a figure's height that its legend may take: past it, smaller text and shorter
/// labels.
const LEGEND_CAP: u32 = HEIGHT * 3 / 10;

/// Height of a legend row of text at `pt`.
fn key_row(pt: f64) -> u32 {
    (px(pt) * 1.35).round() as u32
}

/// A legend laid out: its text size, each entry's lines and top-left corner, its height.
struct Layout {
    pt: f64,
    placed: Vec<(Vec<String>, (u32, u32))>,
    height: u32,
}

/// Lays `keys` out within `width` pixels, the first way that fits [`LEGEND_CAP`]: the full
/// texts at 8 pt, then at 7 pt, then the short texts at 8 and 7 pt, then the short texts cut
/// to a third of the width, which is kept whatever its height. No two entries ever read the
/// same ([`cut_apart`]).
fn fit_legend(keys: &[Key], width: u32) -> Layout {
    let full: Vec<&str> = keys.iter().map(|k| k.text.as_str()).collect();
    let short: Vec<&str> = (keys.iter())
        .map(|k| k.short.as_deref().unwrap_or(&k.text))
        .collect();
    for texts in [&full, &short] {
        for pt in [TICK_PT, SMALL_PT] {
            let texts = cut_apart(texts, pt, &vec![u32::MAX; keys.len()]);
            let layout = layout_keys(keys, &texts, pt, width, false);
            if layout.height <= LEGEND_CAP {
                return layout;
            }
        }
    }
    let rooms: Vec<u32> = (keys.iter())
        .map(|k| (width / 3).saturating_sub(lead(k) + KEY_GAP))
        .collect();
    let cut = cut_apart(&short, SMALL_PT, &rooms);
    layout_keys(keys, &cut, SMALL_PT, width, true)
}

/// The room an entry's sample takes before its text.
fn lead(key: &Key) -> u32 {
    if key.sample.is_some() {
        SAMPLE + GAP
    } else {
        0
    }
}

/// Each of `texts` within its room (pixels at `pt`), none reading like another: cut short
/// with `…` at its end; where that makes entries alike (`b=3, imp…`), they keep their ends
/// instead (`…imp 1, s2`), which is where a compact label tells series apart; entries still
/// alike (or alike in full) are numbered.
fn cut_apart(texts: &[&str], pt: f64, rooms: &[u32]) -> Vec<String> {
    let mut out: Vec<String> = (texts.iter().zip(rooms))
        .map(|(t, room)| ellipsized(t, pt, *room))
        .collect();
    for i in alike(&out) {
        out[i] = ellipsized_front(texts[i], pt, rooms[i]);
    }
    for i in alike(&out) {
        let tag = format!(" #{}", i + 1);
        let room = rooms[i].saturating_sub(text_size(&tag, pt).0);
        out[i] = format!("{}{tag}", ellipsized(texts[i], pt, room));
    }
    out
}

/// The indices of `texts` that read like another one of them.
fn alike(texts: &[String]) -> Vec<usize> {
    (0..texts.len())
        .filter(|&i| (texts.iter().enumerate()).any(|(j, t)| j != i && *t == texts[i]))
        .collect()
}

/// Lays `keys` (their `texts` at `pt`) out left to right in rows `width` pixels wide: an
/// entry too wide for a row is broken after its commas, unless its text was `cut` to one line.
fn layout_keys(keys: &[Key], texts: &[String], pt: f64, width: u32, cut: bool) -> Layout {
    let (mut x, mut y, mut row_h) = (0, 0, 0);
    let mut placed = Vec::new();
    for (key, text) in keys.iter().zip(texts) {
        let lead = lead(key);
        let lines = if cut {
            vec![text.clone()]
        } else {
            let room = width.saturating_sub(lead);
            wrap_at_commas(text, |l| text_size(l, pt).0 <= room)
        };
        let w = lead + (lines.iter().map(|l| text_size(l, pt).0).max()).unwrap_or(0);
        if x > 0 && x + w > width {
            (x, y, row_h) = (0, y + row_h, 0);
        }
        row_h = row_h.max(key_row(pt) * lines.len() as u32);
        placed.push((lines, (x, y)));
        x += w + KEY_GAP;
    }
    Layout {
        pt,
        placed,
        height: y + row_h,
    }
}

/// `text`, or as much of it as fits in `room` pixels at `pt` followed by `…`.
fn ellipsized(text: &str, pt: f64, room: u32) -> String {
    let mut cut = text.to_owned();
    if text_size(&cut, pt).0 <= room {
        return cut;
    }
    while cut.pop().is_some() {
        let shorter = format!("{}…", cut.trim_end());
        if text_size(&shorter, pt).0 <= room {
            return shorter;
        }
    }
    "…".to_owned()
}

/// `text`, or `…` followed by as much of its end as fits in `room` pixels at `pt`.
fn ellipsized_front(text: &str, pt: f64, room: u32) -> String {
    if text_size(text, pt).0 <= room {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    for start in 1..chars.len() {
        let tail: String = chars[start..].iter().collect();
        let shorter = format!("…{}", tail.trim_start());
        if text_size(&shorter, pt).0 <= room {
            return shorter;
        }
    }
    "…".to_owned()
}

/// Draws `keys` across the top of `root`; returns the area below them (all of `root` when
/// there are none).
fn legend<'a>(root: &Area<'a>, keys: &[Key]) -> Result<Area<'a>> {
    if keys.is_empty() {
        return Ok(root.clone());
    }
    let (w, _) = root.dim_in_pixel();
    let layout = fit_legend(keys, w - 2 * MARGIN);
    let (top, rest) = root.split_vertically(MARGIN + layout.height);
    let row = key_row(layout.pt) as i32;
    for (key, (lines, (x, y))) in keys.iter().zip(layout.placed) {
        let (x, y) = ((x + MARGIN) as i32, (y + MARGIN) as i32);
        let mut tx = x;
        if let Some(s) = key.sample {
            let mid = (x + SAMPLE as i32 / 2, y + row / 2);
            if let Some((dash, width)) = s.line {
                let ends = vec![(x, mid.1), (x + SAMPLE as i32, mid.1)];
                line(&top, ends, s.colour.stroke_width(width), dash)?;
            }
            if let Some((shape, filled)) = s.marker {
                marker(&top, mid, (shape, RADIUS), s.colour, filled)?;
            }
            tx += (SAMPLE + GAP) as i32;
        }
        for (k, l) in lines.iter().enumerate() {
            top.draw(&Text::new(
                l.clone(),
                (tx, y + row * k as i32 + row / 2),
                text(layout.pt, HPos::Left, VPos::Center),
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
    /// The x ticks name categories (a heatmap's columns), not points on a scale.
    x_categorical: bool,
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
    let plot_h = h.saturating_sub(top_margin() + MARGIN + x_area());
    let y_desc = desc_lines(&frame.y_desc, plot_h);
    let y_area = label_line() * y_desc.len() as u32 + GAP + y_tick_w + 2 * TICK;
    let plot_w = w.saturating_sub(2 * MARGIN + y_area);
    let unit = f64::from(plot_w) / (frame.x.1 - frame.x.0);
    let (x_ticks, x_pt) = if frame.x_categorical {
        column_ticks(&frame.x_ticks, unit)
    } else {
        let room = x_tick_room(&frame.x_ticks, TICK_PT, GAP);
        (thin_ticks(&frame.x_ticks, unit, room), TICK_PT)
    };
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
        .x_label_style(font(x_pt))
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

/// The pixels from one x tick label's centre to the next that keep the labels of `ticks` at
/// `pt` apart: the widest one's width and `gap`.
fn x_tick_room(ticks: &[(f64, u32)], pt: f64, gap: u32) -> f64 {
    let widest = (ticks.iter().map(|t| text_size(&t.1.to_string(), pt).0)).max();
    f64::from(widest.unwrap_or(0) + gap)
}

/// The columns of a categorical axis `unit` pixels apart to label, and the text size: every
/// column where the labels fit at 8 pt, or else at 7 pt; else every k-th column from the
/// first, at 8 pt. Never the round ones ([`thin_ticks`]), which would read as a linear scale
/// (`5, 10, 20` under columns `…, 10, 12, 14, 16, 20`).
fn column_ticks(ticks: &[(f64, u32)], unit: f64) -> (Vec<(f64, u32)>, f64) {
    // Half the usual gap: each label sits under its own cell.
    let gap = GAP / 2;
    for pt in [TICK_PT, SMALL_PT] {
        if unit >= x_tick_room(ticks, pt, gap) {
            return (ticks.to_vec(), pt);
        }
    }
    let k = (x_tick_room(ticks, TICK_PT, gap) / unit).ceil().max(1.0) as usize;
    (ticks.iter().copied().step_by(k).collect(), TICK_PT)
}

/// The pixel of chart coordinate (`x`, `y`) on the root canvas.
fn at(chart: &Chart, x: f64, y: f64) -> (i32, i32) {
    chart.backend_coord(&(x, y))
}

/// The pixel columns a marker centred at `x` may take so that it stays inside the plot.
fn inside(chart: &Chart, x: i32) -> i32 {
    let xs = chart.plotting_area().get_pixel_range().0;
    x.clamp(xs.start + REACH, xs.end - REACH)
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

    /// The width drawn; `None` for `none`, which is drawn in a band above every width.
    pub(crate) fn width(self) -> Option<u32> {
        match self {
            Answer::Width(n) | Answer::Bound(n) => Some(n),
            Answer::None { .. } => None,
        }
    }

    /// Its marker, for a series drawn with `shape`: that shape filled (an answer) or hollow (a
    /// bound), or a filled arrow up (`none`).
    fn glyph(self, shape: Shape) -> (Shape, bool) {
        match self {
            Answer::Width(_) => (shape, true),
            Answer::Bound(_) => (shape, false),
            Answer::None { .. } => (Shape::Arrow, true),
        }
    }
}

/// One point of the answer figure: a series' answer at one depth, and the marks the tables
/// print after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Point {
    pub depth: u32,
    pub n_features: u32,
    pub answer: Answer,
    /// `↓`, `↑`, both or none ([`MinHiddenRow::marks`]).
    pub marks: String,
}

/// The min-n_hidden figure's points: the answers under `rule` by depth, per tree series. Rows
/// of other aggregates, series without a tree and series whose instances differ in p are left
/// out, as from the report's headline.
/// Series come in the rows' order (the experiment file's).
pub(crate) fn answer_points(rows: &[MinHiddenRow], rule: PassRule) -> SeriesPoints {
    let decoded = rule.criterion == Criterion::Decoded;
    let shown = (rows.iter())
        .filter(|r| r.aggregate == rule.aggregate && has_tree(r.depth))
        .filter(|r| !Series::of_min_hidden(r).per_instance_p());
    let mut out: SeriesPoints = (group_in_order(shown, |r| Series::of_min_hidden(r)).into_iter())
        .map(|(series, rows)| {
            let points = (rows.into_iter())
                .filter_map(|r| {
                    Answer::of(r, rule).map(|answer| Point {
                        depth: r.depth,
                        n_features: r.n_features,
                        answer,
                        marks: r.marks(decoded),
                    })
                })
                .collect();
            (series, points)
        })
        .filter(|(_, points): &(Series, Vec<Point>)| !points.is_empty())
        .collect();
    out.iter_mut().for_each(|(_, v)| v.sort_by_key(|p| p.depth));
    out
}

/// The answer points of each series, in order ([`answer_points`]).
pub(crate) type SeriesPoints = Vec<(Series, Vec<Point>)>;

/// What the y axis of the answer says: `min n_hidden (mean loss < 1e-5)`, `min n_hidden (all
/// decode)`.
fn answer_desc(rule: PassRule) -> String {
    match rule.criterion {
        Criterion::Loss => format!(
            "min n_hidden ({} < {})",
            aggregate_loss(rule.aggregate, rule.loss_name(), false),
            fmt_bound(rule.threshold)
        ),
        Criterion::Decoded => format!("min n_hidden ({})", rule.short()),
    }
}

/// The answer's y axis: whole widths from just below `lo` to just above `hi`, and with `none`
/// answers one level for them all in a band above, its tick labelled `none`: no width can be
/// drawn there, and `none`s at different depths read alike.
struct AnswerAxis {
    axis: Axis,
    /// The level of `none`, and the bottom of its band.
    none: Option<(f64, f64)>,
}

impl AnswerAxis {
    fn new(lo: u32, hi: u32, with_none: bool) -> AnswerAxis {
        let (lo, top) = ((f64::from(lo) - 0.6).max(0.0), f64::from(hi) + 0.6);
        let mut ticks: Vec<f64> = (nice_ticks(lo, top, 6).into_iter())
            .filter(|t| t.fract() == 0.0)
            .collect();
        if !with_none {
            return AnswerAxis {
                axis: Axis::new(lo, top, ticks),
                none: None,
            };
        }
        // At least an eighth of the axis above the widths, so that `none` stands apart.
        let gap = (0.15 * (top - lo)).max(1.0);
        let level = top + gap;
        ticks.push(level);
        AnswerAxis {
            axis: Axis::new(lo, level + gap / 2.0, ticks),
            none: Some((level, top + gap / 2.0)),
        }
    }

    /// Where `answer` is drawn.
    fn level(&self, answer: Answer) -> f64 {
        match (answer.width(), self.none) {
            (Some(n), _) => f64::from(n),
            (None, Some((level, _))) => level,
            (None, None) => self.axis.hi,
        }
    }

    fn label(&self, v: &f64) -> String {
        match self.none {
            Some((level, _)) if (v - level).abs() < 1e-9 => "none".to_owned(),
            _ => (v.round() as u32).to_string(),
        }
    }
}

/// For each series of `answers`, the index of the pooled series it is one seed of, or `None`
/// for a series of its own: with `analysis.pool_seeds`, `min_hidden.csv` keeps each seed's
/// own answers after the pooled ones.
fn pooled_in(answers: &SeriesPoints) -> Vec<Option<usize>> {
    (answers.iter())
        .map(|(s, _)| {
            let [seed] = s.seed.as_slice() else {
                return None;
            };
            answers.iter().position(|(p, _)| {
                let alike = Series {
                    seed: p.seed.clone(),
                    ..s.clone()
                };
                p.seed.is_pooled() && p.seed.as_slice().contains(seed) && alike == *p
            })
        })
        .collect()
}

/// How much lighter than its pooled series a seed's own line is.
const SEED_LIGHT: f64 = 0.55;

/// How the answer figure draws one series.
#[derive(Debug, Clone, Copy)]
struct Drawn {
    look: Look,
    /// Its place among the lines of their own, for the sideways shift.
    place: usize,
    /// One seed of a pooled series: thin and light, under it.
    seed_of_pool: bool,
}

/// How the answer figure draws each series of `answers`, and the legend entries that name
/// them. A pooled series' seeds take its look and place. Series of their own that differ in
/// their seed among other things (seeds apart, `analysis.pool_seeds = false`) take a colour
/// for what they share but the seed and a marker for the seed, so that the legend reads
/// `imp 1`, `imp 0.5^(l−1)`, `s0`, `s1`, `s2` rather than every combination; other series a
/// look each ([`series_look`]), named by what differs ([`compact_labels`]).
fn answer_lines(answers: &SeriesPoints) -> (Vec<Drawn>, Vec<Key>) {
    let pooled = pooled_in(answers);
    let own: Vec<usize> = (0..answers.len())
        .filter(|i| pooled[*i].is_none())
        .collect();
    let series: Vec<&Series> = own.iter().map(|i| &answers[*i].0).collect();
    let unseeded = |s: &Series| Series {
        seed: 0.into(),
        ..s.clone()
    };
    let groups = in_order_of_appearance(series.iter().map(|s| unseeded(s)));
    let seeds = distinct(series.iter().map(|s| &s.seed));
    let by_seed = seeds.len() > 1
        && groups.len() < series.len()
        && groups.len() <= CATEGORICAL
        && seeds.len() <= SHAPES.len();
    let mut keys = Vec::new();
    let looks: Vec<Look> = if by_seed {
        if groups.len() > 1 {
            for (g, label) in compact_labels(&groups).iter().enumerate() {
                let sample = Sample {
                    colour: categorical(g),
                    line: Some((Dash::Solid, LINE)),
                    marker: None,
                };
                keys.push(Key::new(Some(sample), label));
            }
        }
        for (k, seed) in seeds.iter().enumerate() {
            let text = format!("s{seed}");
            keys.push(Key::marker(shape(k), true, &text, &text));
        }
        (series.iter())
            .map(|s| {
                let g = groups.iter().position(|g| *g == unseeded(s)).unwrap_or(0);
                let k = seeds.iter().position(|k| **k == s.seed).unwrap_or(0);
                Look {
                    colour: categorical(g),
                    shape: shape(k),
                    dash: Dash::Solid,
                }
            })
            .collect()
    } else {
        let looks: Vec<Look> = (0..series.len()).map(series_look).collect();
        if series.len() > 1 {
            let owned: Vec<Series> = series.iter().map(|s| (*s).clone()).collect();
            for (label, look) in compact_labels(&owned).iter().zip(&looks) {
                keys.push(Key::new(Some(Sample::of(*look)), label));
            }
        }
        looks
    };
    let drawn = (pooled.iter().enumerate())
        .map(|(i, p)| {
            let place = own.iter().position(|o| *o == p.unwrap_or(i)).unwrap_or(0);
            Drawn {
                look: looks[place],
                place,
                seed_of_pool: p.is_some(),
            }
        })
        .collect();
    (drawn, keys)
}

/// The legend entries of the answer figure: the series ([`answer_lines`]), one entry for the
/// pooled series' seeds, then what each kind of marker or mark drawn means.
fn answer_keys(answers: &SeriesPoints) -> Vec<Key> {
    let (lines, mut keys) = answer_lines(answers);
    let pooled = (answers.iter().map(|(s, _)| &s.seed)).find(|s| s.is_pooled());
    if let Some(seeds) = pooled.filter(|_| lines.iter().any(|l| l.seed_of_pool)) {
        let sample = Sample {
            colour: lighten(MUTED, SEED_LIGHT),
            line: Some((Dash::Solid, THIN)),
            marker: None,
        };
        let text = format!("thin: each seed alone, thick: seeds {seeds} pooled");
        keys.push(Key {
            short: Some("thin: each seed alone".to_owned()),
            ..Key::new(Some(sample), &text)
        });
    }
    let points = || answers.iter().flat_map(|(_, points)| points);
    if points().any(|p| matches!(p.answer, Answer::Bound(_))) {
        let text = "hollow: at most (narrowest width tested)";
        keys.push(Key::marker(Shape::Circle, false, text, "hollow: at most"));
    }
    if points().any(|p| p.answer.width().is_none()) {
        let text = "none: no tested width passes";
        keys.push(Key::marker(Shape::Arrow, true, text, "none"));
    }
    // Only the series of their own carry marks.
    let marked = || {
        (answers.iter().zip(&lines))
            .filter(|(_, l)| !l.seed_of_pool)
            .flat_map(|((_, points), _)| points)
    };
    for (mark, text) in [('↓', "↓ still learning"), ('↑', "↑ a wider width fails")] {
        if marked().any(|p| p.marks.contains(mark)) {
            keys.push(Key::new(None, text));
        }
    }
    keys
}

/// What the answer figure's x axis is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnswerX {
    /// The tree's depth (`min_hidden`).
    Depth,
    /// Its n_features on a log scale (`min_hidden_vs_features`): trees of other branching
    /// factors side by side by their size.
    Features,
}

impl AnswerX {
    /// Where `p` is drawn along x.
    fn of(self, p: &Point) -> f64 {
        match self {
            AnswerX::Depth => f64::from(p.depth),
            AnswerX::Features => f64::from(p.n_features).log2(),
        }
    }

    /// The x range, ticks (`(coordinate, label)`) and description for `points`, of which
    /// there is at least one.
    fn frame(self, points: &[&Point]) -> ((f64, f64), Vec<(f64, u32)>, &'static str) {
        let at: Vec<f64> = points.iter().map(|p| self.of(p)).collect();
        let (lo, hi) = at
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(*x), hi.max(*x))
            });
        match self {
            AnswerX::Depth => {
                let depths = distinct(points.iter().map(|p| p.depth));
                let ticks = depths.iter().map(|d| (f64::from(*d), *d)).collect();
                ((lo - 0.4, hi + 0.4), ticks, "depth")
            }
            // Powers of two: a doubling of the tree is one step along x.
            AnswerX::Features => {
                let (lo, hi) = (lo - 0.4, hi + 0.4);
                let ticks = (lo.ceil().max(0.0) as u32..=hi.floor() as u32)
                    .map(|k| (f64::from(k), 1u32 << k))
                    .collect();
                ((lo, hi), ticks, "n_features (log scale)")
            }
        }
    }
}

/// 1. The headline answer vs depth, a line per tree series; `None` without tree series.
///
/// With pooled seeds, each seed's own answers are drawn thin and light under their pooled
/// line, at its place and in its colour, and named once in the legend: a reader sees at a
/// glance whether the seeds agree (their lines hide under the pooled one) or where they part,
/// without a legend of every seed and series whose colours run out. Seeds apart share their
/// series' colour and differ in marker ([`answer_lines`]).
fn min_hidden_figure(rows: &[MinHiddenRow], rule: PassRule) -> Result<Option<Plot>> {
    answer_figure(rows, rule, AnswerX::Depth)
}

/// 1b. The headline answer vs n_features (log scale), a line per tree series, where the tree
/// series differ in branching: is it the size of a tree or its shape that sets the width?
/// `None` with one branching factor, where it would be the depth figure relabelled.
fn min_hidden_vs_features_figure(rows: &[MinHiddenRow], rule: PassRule) -> Result<Option<Plot>> {
    let branching = distinct(
        (rows.iter())
            .filter(|r| has_tree(r.depth))
            .map(|r| r.branching),
    );
    if branching.len() < 2 {
        return Ok(None);
    }
    answer_figure(rows, rule, AnswerX::Features)
}

/// The answer figure along `x`: see [`min_hidden_figure`].
fn answer_figure(rows: &[MinHiddenRow], rule: PassRule, x: AnswerX) -> Result<Option<Plot>> {
    let answers = answer_points(rows, rule);
    let points = || answers.iter().flat_map(|(_, points)| points);
    let widths: Vec<u32> = points().filter_map(|p| p.answer.width()).collect();
    let tested: Vec<u32> = (points())
        .filter_map(|p| match p.answer {
            Answer::None { max_tested } => Some(max_tested),
            _ => None,
        })
        .collect();
    // With no width passing anywhere, the widths tested give the axis its scale.
    let span = if widths.is_empty() { &tested } else { &widths };
    let (Some(lo), Some(hi)) = (span.iter().min(), span.iter().max()) else {
        return Ok(None);
    };
    let y = AnswerAxis::new(*lo, *hi, !tested.is_empty());
    let all: Vec<&Point> = points().collect();
    let (x_range, x_ticks, x_desc) = x.frame(&all);
    let keys = answer_keys(&answers);
    let (lines, _) = answer_lines(&answers);
    let y_label = |v: &f64| y.label(v);
    let frame = Frame {
        x: x_range,
        x_ticks,
        x_categorical: false,
        x_desc: x_desc.to_owned(),
        y: y.axis.clone(),
        y_label: &y_label,
        y_desc: answer_desc(rule),
        grid: true,
    };
    let svg = figure_svg(|root| {
        let area = legend(root, &keys)?;
        let chart = axes(&area, &frame)?;
        if let Some((_, band)) = y.none {
            let corners = [
                at(&chart, frame.x.0, y.axis.hi),
                at(&chart, frame.x.1, band),
            ];
            root.draw(&Rectangle::new(corners, GRID_LIGHT.filled()))?;
        }
        let unit = at(&chart, 1.0, 0.0).0 - at(&chart, 0.0, 0.0).0;
        let n = lines.iter().filter(|l| !l.seed_of_pool).count();
        // Sideways shifts keep answers that share an x apart. Every series has every depth;
        // on the n_features scale only trees of one size share an x, and a shift elsewhere
        // would move a point off its size.
        let mut at_x: BTreeMap<u64, usize> = BTreeMap::new();
        for ((_, pts), l) in answers.iter().zip(&lines) {
            if !l.seed_of_pool {
                for p in pts {
                    *at_x.entry(x.of(p).to_bits()).or_default() += 1;
                }
            }
        }
        let shared = |p: &Point| x == AnswerX::Depth || at_x.get(&x.of(p).to_bits()) > Some(&1);
        // A pooled series' seeds first, so that it lies on top.
        let mut order: Vec<usize> = (0..answers.len()).collect();
        order.sort_by_key(|&i| !lines[i].seed_of_pool);
        for i in order {
            let ((_, pts), l) = (&answers[i], lines[i]);
            let (look, seed) = (l.look, l.seed_of_pool);
            let dx = dodge_within(l.place, n, unit, 14.0);
            let pixel = |p: &Point| {
                let (px, py) = at(&chart, x.of(p), y.level(p.answer));
                (px + if shared(p) { dx } else { 0 }, py)
            };
            let (colour, width, radius) = if seed {
                (lighten(look.colour, SEED_LIGHT), THIN, RADIUS * 2 / 3)
            } else {
                (look.colour, LINE, RADIUS)
            };
            for pair in pts.windows(2) {
                let to_none = pair.iter().any(|p| p.answer.width().is_none());
                let dash = if to_none { Dash::Dashed } else { look.dash };
                let ends = vec![pixel(&pair[0]), pixel(&pair[1])];
                line(root, ends, colour.stroke_width(width), dash)?;
            }
            for p in pts {
                let (glyph, filled) = p.answer.glyph(look.shape);
                marker(root, pixel(p), (glyph, radius), colour, filled)?;
                if !seed {
                    answer_marks(root, &chart, pixel(p), &p.marks, colour)?;
                }
            }
        }
        Ok(())
    })?;
    let (stem, by) = match x {
        AnswerX::Depth => ("min_hidden", "depth"),
        AnswerX::Features => ("min_hidden_vs_features", "number of features"),
    };
    Ok(Some(Plot {
        stem: stem.to_owned(),
        title: format!("Smallest n_hidden by {by}: {}", rule.describe()),
        series: None,
        svg,
    }))
}

/// Writes `marks` (`↓`, `↑`) small beside the marker at pixel `at`, above its right shoulder
/// (its left one where the plot ends first).
fn answer_marks(
    root: &Area,
    chart: &Chart,
    at: (i32, i32),
    marks: &str,
    ink: RGBColor,
) -> Result<()> {
    if marks.is_empty() {
        return Ok(());
    }
    let right = chart.plotting_area().get_pixel_range().0.end;
    let (w, _) = text_size(marks, SMALL_PT);
    let (x, h) = if at.0 + REACH + w as i32 <= right {
        (at.0 + REACH, HPos::Left)
    } else {
        (at.0 - REACH, HPos::Right)
    };
    let style = text(SMALL_PT, h, VPos::Bottom).color(&ink);
    root.draw(&Text::new(marks.to_owned(), (x, at.1 - RADIUS / 2), style))?;
    Ok(())
}

// --- 2. Loss vs n_hidden -----------------------------------------------------------------

/// The legend entries of a series' rows: `depth 1 2 3 …` for a tree, else the row's name.
fn depth_keys(rows: &[&SummaryRow], depths: &[u32]) -> Vec<Key> {
    let tree = rows.iter().any(|r| has_tree(r.depth));
    let mut keys: Vec<Key> = Vec::new();
    if tree {
        keys.push(Key::new(None, "depth"));
    }
    for (i, d) in depths.iter().enumerate() {
        let r = rows.iter().find(|r| r.row_key() == *d);
        let sample = Sample {
            colour: depth_colour(i, depths.len(), DEPTH_END),
            line: Some((Dash::Solid, LINE)),
            marker: Some((shape(i), true)),
        };
        let text = match (tree, r) {
            (false, Some(r)) => row_name(r.depth, r.n_features),
            _ => d.to_string(),
        };
        keys.push(Key::new(Some(sample), &text));
    }
    keys
}

/// 2. The headline aggregate's loss vs n_hidden, a line per depth, the threshold dashed when
///    the checks follow the loss.
fn loss_figure(series: &Series, rows: &[&SummaryRow], rule: PassRule) -> Result<Plot> {
    let (threshold, headline) = (drawn_threshold(rule), rule.aggregate);
    let word = loss_word(rows.iter().copied());
    let floor = display_floor(rule.threshold);
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let axis = LogAxis::losses(
        (rows.iter().map(|r| r.aggregate(headline))).chain(threshold),
        floor,
    );
    let mut keys = depth_keys(rows, &depths);
    if threshold.is_some() {
        let sample = Sample {
            colour: BLACK,
            line: Some((Dash::Dashed, THIN)),
            marker: None,
        };
        keys.push(Key::new(Some(sample), "threshold"));
    }
    let y_label = |v: &f64| axis.label(v);
    let frame = Frame {
        x: x_span(&hiddens),
        x_ticks: hiddens.iter().map(|h| (f64::from(*h), *h)).collect(),
        x_categorical: false,
        x_desc: "n_hidden".to_owned(),
        y: Axis::new(axis.bottom(), axis.hi, axis.major.clone()),
        y_label: &y_label,
        y_desc: aggregate_loss(headline, word, false),
        grid: true,
    };
    let svg = figure_svg(|root| {
        let area = legend(root, &keys)?;
        let chart = axes(&area, &frame)?;
        if let Some(t) = threshold {
            let t = t.log10();
            let ends = vec![at(&chart, frame.x.0, t), at(&chart, frame.x.1, t)];
            line(root, ends, BLACK.stroke_width(THIN), Dash::Dashed)?;
        }
        let unit = at(&chart, 1.0, 0.0).0 - at(&chart, 0.0, 0.0).0;
        for (i, depth) in depths.iter().enumerate() {
            let mut of_depth: Vec<&SummaryRow> = (rows.iter().copied())
                .filter(|r| r.row_key() == *depth)
                .collect();
            of_depth.sort_by_key(|r| r.n_hidden);
            // Depths that reach the floor together stay apart: their points there, line and
            // marker alike, are shifted sideways, within the plot.
            let dx = dodge_within(i, depths.len(), unit, f64::from(RADIUS));
            let points: Vec<Option<((i32, i32), bool)>> = (of_depth.iter())
                .map(|r| {
                    let s = shown(r.aggregate(headline), floor)?;
                    let (x, y) = at(&chart, f64::from(r.n_hidden), s.log);
                    let x = if s.floored { inside(&chart, x + dx) } else { x };
                    Some(((x, y), s.floored))
                })
                .collect();
            depth_line(root, &points, i, depth_colour(i, depths.len(), DEPTH_END))?;
        }
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("loss_vs_hidden_{}", series.slug()),
        title: format!(
            "{} vs n_hidden — {}",
            capitalised(&aggregate_loss(headline, word, false)),
            series.label()
        ),
        series: Some(series.clone()),
        svg,
    })
}

/// Draws the `i`-th depth's `points` (pixel, at the floor), `None` where its loss has no place
/// on the axis (a diverged instance's NaN): the line breaks there rather than bridge it. A
/// filled marker at each point above the floor; at the floor a hollow one where the line
/// reaches it (markers all along would pile up).
fn depth_line(
    root: &Area,
    points: &[Option<((i32, i32), bool)>],
    i: usize,
    colour: RGBColor,
) -> Result<()> {
    for piece in points.split(Option::is_none) {
        let pixels: Vec<(i32, i32)> = piece.iter().flatten().map(|p| p.0).collect();
        line(root, pixels, colour.stroke_width(LINE), Dash::Solid)?;
    }
    let mut was_floored = false;
    for p in points {
        let floored = p.is_some_and(|p| p.1);
        if let Some((at, _)) = p
            && !(floored && was_floored)
        {
            marker(root, *at, (shape(i), RADIUS), colour, !floored)?;
        }
        was_floored = floored;
    }
    Ok(())
}

// --- 3. Heatmap --------------------------------------------------------------------------

/// 3. The headline aggregate's loss by depth (rows) × n_hidden (columns) on `scale`, one log
///    viridis scale for every heatmap of the run; a check mark where the config passes
///    `rule`, a dagger where instances diverged (grey: none of its loss is shown).
fn heatmap_figure(
    series: &Series,
    rows: &[&SummaryRow],
    rule: PassRule,
    scale: &LogAxis,
) -> Result<Plot> {
    let headline = rule.aggregate;
    let word = loss_word(rows.iter().copied());
    let floor = display_floor(rule.threshold);
    let tree = series.data.is_none();
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let (nx, ny) = (hiddens.len(), depths.len());

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
        aggregate_loss(headline, word, false),
        aggregate_loss(headline, rule.loss_name(), false),
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

    // A tree's rows name their n_features too, as the screen heatmap's do (`3 (14)`), where
    // those labels leave the cells most of the width.
    let n_features =
        |depth: u32| (rows.iter().find(|r| r.row_key() == depth)).map(|r| r.n_features);
    let row_names: Vec<String> = (depths.iter())
        .map(|d| match n_features(*d) {
            Some(f) if tree => format!("{d} ({f})"),
            _ => d.to_string(),
        })
        .collect();
    let widest = (row_names.iter().map(|l| text_size(l, TICK_PT).0)).max();
    let with_features = tree && widest.unwrap_or(0) <= (WIDTH - column) / 5;
    let y_label = |v: &f64| {
        let i = (ny as f64 - 1.0 - v).round() as usize;
        match (depths.get(i), with_features) {
            (Some(_), true) => row_names[i].clone(),
            (Some(d), false) => d.to_string(),
            (None, _) => String::new(),
        }
    };
    let frame = Frame {
        x: (-0.5, nx as f64 - 0.5),
        x_ticks: (hiddens.iter().enumerate())
            .map(|(j, h)| (j as f64, *h))
            .collect(),
        x_categorical: true,
        x_desc: "n_hidden".to_owned(),
        y: Axis::new(-0.5, ny as f64 - 0.5, (0..ny).map(|i| i as f64).collect()),
        y_label: &y_label,
        y_desc: match (tree, with_features) {
            (true, true) => "depth (n_features)",
            (true, false) => "depth",
            (false, _) => "n_features",
        }
        .to_owned(),
        grid: false,
    };
    let svg = figure_svg(|root| {
        let (main, side) = side_column(root, column);
        let threshold = drawn_threshold(rule).map(|t| (t, BLACK.stroke_width(THIN)));
        loss_colour_bar(&side, scale, &bar_desc, &bar_style, threshold)?;

        let chart = axes(&main, &frame)?;
        // Depth 1 is the top row, like a table.
        let row_y = |i: usize| (ny - 1 - i) as f64;
        for (i, depth) in depths.iter().enumerate() {
            for (j, n_hidden) in hiddens.iter().enumerate() {
                let (x, y) = (j as f64, row_y(i));
                let row = rows
                    .iter()
                    .find(|r| r.row_key() == *depth && r.n_hidden == *n_hidden);
                // Not run: the palest grey, blank; every instance diverged (or the aggregate
                // with them): a darker grey with a dagger.
                let fill = match row.map(|r| shown(r.aggregate(headline), floor)) {
                    None => MISSING,
                    Some(None) => DIVERGED,
                    Some(Some(s)) => viridis(scale.fraction(s.log)),
                };
                let (a, b) = (at(&chart, x - 0.5, y + 0.5), at(&chart, x + 0.5, y - 0.5));
                root.draw(&Rectangle::new([a, b], fill.filled()))?;
                root.draw(&Rectangle::new([a, b], WHITE.stroke_width(3)))?;
                let Some(row) = row else { continue };
                let (ink, cell) = (
                    if is_dark(fill) { WHITE } else { BLACK },
                    (b.0 - a.0).min(b.1 - a.1),
                );
                if rule.passes(row) {
                    check(root, at(&chart, x, y), cell, ink)?;
                }
                if fill == DIVERGED || partly_diverged(row, headline, floor) {
                    dagger(root, a, cell, ink)?;
                }
            }
        }
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("heatmap_{}", series.slug()),
        title: format!(
            "{} by {} and n_hidden — {}",
            capitalised(&aggregate_loss(headline, word, false)),
            if tree { "depth" } else { "n_features" },
            series.label()
        ),
        series: Some(series.clone()),
        svg,
    })
}

/// The stroke width of a mark drawn `s` pixels across.
fn mark_width(s: f64) -> u32 {
    (s / 7.0).round().clamp(2.0, f64::from(LINE)) as u32
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
    line(
        area,
        vec![p(-0.45, 0.0), p(-0.12, 0.35), p(0.5, -0.4)],
        ink.stroke_width(mark_width(s)),
        Dash::Solid,
    )
}

/// A dagger (†, diverged instances) in the upper left corner of the cell whose top-left
/// pixel is `corner`, sized to the cell (`cell` pixels across) like [`check`] and clear of it.
fn dagger(area: &Area, corner: (i32, i32), cell: i32, ink: RGBColor) -> Result<()> {
    let s = f64::from(cell.min(5 * RADIUS));
    let p = |dx: f64, dy: f64| {
        (
            corner.0 + (dx * s).round() as i32,
            corner.1 + (dy * s).round() as i32,
        )
    };
    let style = ink.stroke_width(mark_width(0.5 * s));
    line(area, vec![p(0.28, 0.08), p(0.28, 0.56)], style, Dash::Solid)?;
    line(area, vec![p(0.16, 0.22), p(0.4, 0.22)], style, Dash::Solid)
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::plots::tests::{config, polygons, text_boxes, texts};
    use crate::schema::{Aggregate, RunRow, test_rule as rule};
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

    /// The figures' files: sized in inches on a viewBox of 1/100 in, every text 8 or 9 pt (no
    /// marks and an uncrowded legend here), no title, and the PNG at 300 dpi.
    #[test]
    fn figures_are_one_column_wide_with_print_sized_text() {
        let all = figures_of(&sweep(1..=4, 2..=8), rule(Criterion::Loss, Aggregate::Mean));
        let stems: Vec<&str> = all.iter().map(|f| f.stem.as_str()).collect();
        assert_eq!(
            stems,
            [
                "min_hidden",
                "loss_vs_hidden_tree-s0.5_b2_binary_seed0",
                "heatmap_tree-s0.5_b2_binary_seed0",
                "loss_vs_hidden_independent-s0.5_b2_binary_seed0",
                "heatmap_independent-s0.5_b2_binary_seed0",
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
                // plotters rounds the colour bar's sizes a little.
                let print = [TICK_PT, LABEL_PT].iter().any(|p| (p - pt).abs() < 0.05);
                assert!(print, "{}: {s:?} at {pt} pt", f.stem);
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
                let case = format!("{} at depths {depths:?}, widths {widths:?}", f.stem);
                assert_texts_fit(&f.svg, &case);
            }
        }
    }

    /// No text of `svg` leaves the canvas or overlaps another, as the PNG renders them.
    fn assert_texts_fit(svg: &str, case: &str) {
        let (size, boxes) = text_boxes(svg);
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

    /// The answer figure draws `min_hidden.csv`'s headline answers: the rule's aggregate, by
    /// loss or by decoding, `≤n` as a bound, `none` as such, with the tables' marks.
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
                let series = Series::of_min_hidden(r);
                let (_, points) = answers.iter().find(|(s, _)| *s == series).unwrap();
                let p = (points.iter()).find(|p| p.depth == r.depth).unwrap();
                let case = format!("{rule:?} depth {}", r.depth);
                assert_eq!(p.answer.width(), width, "{case}");
                assert_eq!(
                    matches!(p.answer, Answer::Bound(_)),
                    r.is_bound(width),
                    "{case}"
                );
                assert_eq!(p.marks, r.marks(rule.criterion == Criterion::Decoded));
                seen += 1;
            }
            assert_eq!(seen, 12);
            // The same as the headline (starred) line of the printed answer tables.
            let tables = crate::answers(&rows, &rule).tables;
            for (table, (series, points)) in tables.iter().zip(&answers) {
                let (_, line) = table.lines.iter().find(|l| l.0.ends_with('*')).unwrap();
                let drawn: Vec<String> = (points.iter())
                    .map(|p| {
                        let row = (rows.iter())
                            .find(|r| {
                                r.aggregate == rule.aggregate
                                    && r.depth == p.depth
                                    && Series::of_min_hidden(r) == *series
                            })
                            .unwrap();
                        format!("{}{}", row.width_label(p.answer.width()), p.marks)
                    })
                    .collect();
                let printed: Vec<String> = line.iter().flatten().cloned().collect();
                assert_eq!(drawn, printed, "{rule:?} {}", table.title);
            }
        }
        // By the loss, the tree's depth 1 passes at the narrowest width (a bound), depth 6 of
        // the independent series nowhere; by decoding, one width later.
        let by_loss = answer_points(&rows, rule(Criterion::Loss, Aggregate::Mean));
        let of = |points: &SeriesPoints, tree: bool| -> Vec<(u32, Answer)> {
            let (_, points) = (points.iter())
                .find(|(s, _)| (s.structure == "tree") == tree)
                .unwrap();
            points.iter().map(|p| (p.depth, p.answer)).collect()
        };
        let tree = of(&by_loss, true);
        assert_eq!(tree[0], (1, Answer::Bound(2)));
        assert_eq!(tree[1], (2, Answer::Width(3)));
        let independent = of(&by_loss, false);
        assert_eq!(independent[5], (6, Answer::None { max_tested: 8 }));
        let by_decoding = answer_points(&rows, rule(Criterion::Decoded, Aggregate::Mean));
        assert_eq!(of(&by_decoding, true)[1], (2, Answer::Width(4)));
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
                .iter()
                .all(|(s, _)| s.data.is_none())
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

    /// The runs of `sweep` for one structure only.
    fn only(runs: Vec<RunRow>, structure: &str) -> Vec<RunRow> {
        runs.into_iter()
            .filter(|r| r.structure == structure)
            .collect()
    }

    /// `svg`'s elements named `tag`, each as its attributes.
    fn elements(svg: &str, tag: &str) -> Vec<std::collections::BTreeMap<String, String>> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        (doc.descendants().filter(|n| n.has_tag_name(tag)))
            .map(|n| {
                (n.attributes())
                    .map(|a| (a.name().to_owned(), a.value().to_owned()))
                    .collect()
            })
            .collect()
    }

    /// A polyline: stroke colour, stroke width and points (drawing pixels).
    type Polyline = (String, String, Vec<(f64, f64)>);

    /// The polylines of `svg`.
    fn polylines(svg: &str) -> Vec<Polyline> {
        (elements(svg, "polyline").into_iter())
            .map(|a| {
                let points = (a["points"].split_whitespace())
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                (a["stroke"].clone(), a["stroke-width"].clone(), points)
            })
            .collect()
    }

    fn hex(c: RGBColor) -> String {
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    /// The centre of each marker of `svg` filled with `fill` (drawing pixels): circles, and
    /// polygons other than arrows; arrows (7 corners) apart, by their tips.
    fn markers(svg: &str, fill: &str) -> [Vec<(f64, f64)>; 2] {
        let circles = (elements(svg, "circle").into_iter())
            .filter(|a| a.get("fill").map(String::as_str) == Some(fill))
            .map(|a| (a["cx"].parse().unwrap(), a["cy"].parse().unwrap()));
        let filled: Vec<bool> = (elements(svg, "polygon").iter())
            .map(|a| a["fill"] == fill)
            .collect();
        let mut shapes: Vec<(f64, f64)> = circles.collect();
        let mut arrows = Vec::new();
        for (ring, _) in polygons(svg).into_iter().zip(filled).filter(|p| p.1) {
            let corners = &ring[..ring.len() - 1];
            if corners.len() == 7 {
                arrows.push(corners[0]);
            } else {
                let n = corners.len() as f64;
                let sum = corners
                    .iter()
                    .fold((0.0, 0.0), |s, c| (s.0 + c.0, s.1 + c.1));
                shapes.push((sum.0 / n, sum.1 / n));
            }
        }
        [shapes, arrows]
    }

    /// Every `none` sits at one level, above every width drawn and labelled `none` on the
    /// axis, whatever the widest width tested at its depth: here the independent series tests
    /// up to 2 × depth, so depth 1's `none` (widest 2) lies below depth 3's answer (6).
    #[test]
    fn every_none_is_drawn_in_one_band_above_the_widths() {
        let runs: Vec<RunRow> = (only(sweep(1..=6, 2..=8), "independent").into_iter())
            .filter(|r| r.n_hidden <= 2 * r.depth)
            .collect();
        let all = figures_of(&runs, rule(Criterion::Loss, Aggregate::Mean));
        let svg = &figure(&all, "min_hidden").svg;
        let colour = hex(categorical(0));
        let [widths, arrows] = markers(svg, &colour);
        assert_eq!(arrows.len(), 3, "depths 1, 2 and 6: {arrows:?}");
        assert_eq!(widths.len(), 3, "depths 3 to 5: {widths:?}");
        let level = arrows[0].1 + 1.5 * f64::from(RADIUS);
        assert!(arrows.iter().all(|a| (a.1 - arrows[0].1).abs() < 1.0));
        for w in &widths {
            assert!(w.1 > level + 4.0 * f64::from(RADIUS), "{w:?} vs {level}");
        }
        // The tick at that level reads `none`; every number sits below it.
        let (_, boxes) = text_boxes(svg);
        let centre = |b: &usvg::Rect| 4.0 * (b.top() + b.bottom()) as f64 / 2.0;
        let none = boxes.iter().find(|(s, _)| s == "none").unwrap();
        // (A text's box is its line's, a little above its glyphs.)
        assert!(
            (centre(&none.1) - level).abs() < 16.0,
            "{none:?} vs {level}"
        );
        let numbers: Vec<&(String, usvg::Rect)> = (boxes.iter())
            .filter(|(s, _)| s.parse::<u32>().is_ok())
            .collect();
        assert!(numbers.len() > 4, "{boxes:?}");
        assert!(numbers.iter().all(|(_, b)| b.top() > none.1.bottom()));
        let t = texts(svg);
        assert!(!t.iter().any(|s| s.starts_with('>')), "{t:?}");
        assert!(
            t.iter().any(|s| s == "none: no tested width passes"),
            "{t:?}"
        );
        assert!(!t.iter().any(|s| s.starts_with("hollow")), "{t:?}");
        // The legend's arrow is grey.
        assert_eq!(markers(svg, &hex(MUTED))[1].len(), 1);
        assert_texts_fit(svg, "none band");
    }

    /// An answer is a filled marker, a bound a hollow one, `none` an arrow; the legend says
    /// what the hollow marker and the arrow mean only when they are drawn.
    #[test]
    fn none_and_bounds_are_drawn_apart_from_answers() {
        let circle = Shape::Circle;
        assert_eq!(Answer::Width(3).glyph(circle), (circle, true));
        assert_eq!(Answer::Bound(2).glyph(circle), (circle, false));
        let none = Answer::None { max_tested: 8 };
        assert_eq!(none.glyph(circle), (Shape::Arrow, true));

        let runs = sweep(1..=6, 2..=8);
        let all = figures_of(&runs, rule(Criterion::Loss, Aggregate::Mean));
        let svg = &figure(&all, "min_hidden").svg;
        let t = texts(svg);
        assert!(t.iter().any(|s| s.starts_with("hollow: at most")), "{t:?}");
        assert!(
            t.iter().any(|s| s == "none: no tested width passes"),
            "{t:?}"
        );
        // Hollow markers (white inside) are the bounds and the legend's sample: the tree's
        // depth 1 passes at the narrowest width.
        let [hollow, _] = markers(svg, "#FFFFFF");
        assert_eq!(hollow.len(), 2, "{hollow:?}");

        // Without bounds and `none`, neither legend entry, nor an arrow, nor a `none` tick.
        let runs = only(sweep(2..=3, 2..=8), "tree");
        let all = figures_of(&runs, rule(Criterion::Loss, Aggregate::Mean));
        let svg = &figure(&all, "min_hidden").svg;
        let t = texts(svg);
        assert!(
            !t.iter()
                .any(|s| s.starts_with("none") || s.starts_with("hollow")),
            "{t:?}"
        );
        assert!(markers(svg, &hex(categorical(0)))[1].is_empty());
        assert!(markers(svg, "#FFFFFF")[0].is_empty());
    }

    /// `↓` and `↑` stand beside the answers that carry them, as in the tables, under the
    /// rule's criterion, each explained in the legend only when drawn.
    #[test]
    fn answers_carry_their_marks() {
        let runs = only(sweep(1..=5, 2..=8), "tree");
        let summary = crate::summarize(&runs);
        let mut rows = crate::min_hidden(&summary, 1e-5);
        for r in rows.iter_mut() {
            match r.depth {
                3 => r.still_falling = Some(1),
                4 => r.wider_failing = Some(1),
                5 => r.still_falling_decoded = Some(2),
                _ => {}
            }
        }
        let by_loss = figures(&summary, &rows, rule(Criterion::Loss, Aggregate::Mean)).unwrap();
        let svg = &figure(&by_loss, "min_hidden").svg;
        let t = texts(svg);
        assert_eq!(t.iter().filter(|s| *s == "↓").count(), 1, "{t:?}");
        assert_eq!(t.iter().filter(|s| *s == "↑").count(), 1, "{t:?}");
        assert!(t.iter().any(|s| s == "↓ still learning"), "{t:?}");
        assert!(t.iter().any(|s| s == "↑ a wider width fails"), "{t:?}");
        for (s, pt) in font_sizes(svg) {
            if s == "↓" || s == "↑" {
                assert!((pt - SMALL_PT).abs() < 0.01, "{s} at {pt} pt");
            }
        }
        assert_texts_fit(svg, "marks");
        // Beside their own marker: `↓` (depth 3) left of `↑` (depth 4), above its line.
        let (_, boxes) = text_boxes(svg);
        let down = boxes.iter().find(|b| b.0 == "↓").unwrap().1;
        let up = boxes.iter().find(|b| b.0 == "↑").unwrap().1;
        assert!(down.right() < up.left() && down.bottom() > up.bottom());

        let by_decoding =
            figures(&summary, &rows, rule(Criterion::Decoded, Aggregate::Mean)).unwrap();
        let t = texts(&figure(&by_decoding, "min_hidden").svg);
        assert_eq!(t.iter().filter(|s| *s == "↓").count(), 1, "{t:?}");
        assert!(t.iter().any(|s| s == "↓ still learning"), "{t:?}");
        assert!(!t.iter().any(|s| s.contains('↑')), "{t:?}");
    }

    /// Black horizontal two-point lines right of the main plot: the colour bar's ticks and
    /// the threshold on it.
    fn bar_lines(svg: &str) -> usize {
        (polylines(svg).into_iter())
            .filter(|(stroke, _, p)| {
                stroke == "#000000" && p.len() == 2 && p[0].1 == p[1].1 && p[0].0 > 900.0
            })
            .count()
    }

    /// Under the decoding criterion the checks follow decoding: no threshold line in the loss
    /// figure or on the heatmap's colour bar.
    #[test]
    fn the_threshold_is_drawn_only_when_the_checks_follow_it() {
        let runs = sweep(1..=4, 2..=6);
        let by_loss = figures_of(&runs, rule(Criterion::Loss, Aggregate::Mean));
        let by_decoding = figures_of(&runs, rule(Criterion::Decoded, Aggregate::Mean));
        let t = texts(&figure(&by_loss, "loss_vs_hidden_tree").svg);
        assert!(t.iter().any(|s| s == "threshold"), "{t:?}");
        let t = texts(&figure(&by_decoding, "loss_vs_hidden_tree").svg);
        assert!(!t.iter().any(|s| s == "threshold"), "{t:?}");
        // Dashes: black thin pieces longer than a tick mark, shorter than an axis.
        let dashes = |svg: &str| {
            (polylines(svg).into_iter())
                .filter(|(stroke, width, p)| {
                    let long = (p[p.len() - 1].0 - p[0].0).abs();
                    *stroke == "#000000" && *width == THIN.to_string() && long > 15.0 && long < 30.0
                })
                .count()
        };
        assert!(dashes(&figure(&by_loss, "loss_vs_hidden_tree").svg) > 10);
        assert_eq!(dashes(&figure(&by_decoding, "loss_vs_hidden_tree").svg), 0);
        assert_eq!(
            bar_lines(&figure(&by_loss, "heatmap_tree").svg),
            bar_lines(&figure(&by_decoding, "heatmap_tree").svg) + 1
        );
    }

    /// Two-point lines: a dagger has two, a check mark none (it has three points).
    fn two_point_lines(svg: &str) -> usize {
        polylines(svg).iter().filter(|l| l.2.len() == 2).count()
    }

    /// A diverged loss breaks its line; a heatmap cell with diverged instances has a dagger,
    /// on its colour (some diverged) or on a grey darker than a not-run cell's, which is blank.
    #[test]
    fn diverged_instances_are_marked_and_not_bridged() {
        let clean = only(sweep(1..=3, 2..=6), "tree");
        let diverge = |runs: &[RunRow], depth: u32, h: u32, instances: &[u32]| -> Vec<RunRow> {
            (runs.iter().cloned())
                .map(|r| match r.depth == depth && r.n_hidden == h {
                    true if instances.contains(&r.instance) => RunRow {
                        eval_loss: f64::NAN,
                        exact_loss: None,
                        diverged: true,
                        ..r
                    },
                    _ => r,
                })
                .collect()
        };
        let mean = rule(Criterion::Loss, Aggregate::Mean);
        let heatmap = |runs: &[RunRow]| figure(&figures_of(runs, mean), "heatmap").svg.clone();
        let fills = |svg: &str, c: RGBColor| {
            (elements(svg, "rect").iter())
                .filter(|a| a["fill"] == hex(c))
                .count()
        };
        let base = heatmap(&clean);
        assert_eq!(two_point_lines(&base), two_point_lines(&heatmap(&clean)));
        let missing = fills(&base, MISSING);
        assert_eq!(fills(&base, DIVERGED), 0);

        // Some diverged: the colour of the rest, and a dagger.
        let some = heatmap(&diverge(&clean, 3, 5, &[1]));
        assert_eq!(two_point_lines(&some), two_point_lines(&base) + 2);
        assert_eq!(fills(&some, DIVERGED), 0);
        // All diverged: grey with a dagger (no check), unlike a not-run cell.
        let all_diverged = diverge(&clean, 2, 4, &[0, 1]);
        let all = heatmap(&all_diverged);
        assert_eq!(two_point_lines(&all), two_point_lines(&base) + 2);
        assert_eq!((fills(&all, DIVERGED), fills(&all, MISSING)), (1, missing));
        const { assert!(MISSING.0 - DIVERGED.0 > 60, "apart in greyscale too") };
        // Not run: the pale grey, blank.
        let fewer: Vec<RunRow> = (clean.iter())
            .filter(|r| !(r.depth == 2 && r.n_hidden == 4))
            .cloned()
            .collect();
        let not_run = heatmap(&fewer);
        assert_eq!(fills(&not_run, MISSING), missing + 1);
        assert_eq!(two_point_lines(&not_run), two_point_lines(&base));

        // The loss line of depth 2 breaks at width 4: two pieces, beside its legend sample.
        let all = figures_of(&all_diverged, mean);
        let loss = &figure(&all, "loss_vs_hidden").svg;
        let colour = hex(depth_colour(1, 3, DEPTH_END));
        let pieces: Vec<usize> = (polylines(loss).into_iter())
            .filter(|(stroke, width, _)| *stroke == colour && *width == LINE.to_string())
            .map(|l| l.2.len())
            .collect();
        assert_eq!(pieces, [2, 2, 2], "sample, widths 2-3, widths 5-6");
    }

    /// The heatmaps of a run share one colour scale: from the lowest loss of any series to the
    /// highest.
    #[test]
    fn heatmaps_share_one_colour_scale() {
        let runs: Vec<RunRow> = (sweep(1..=3, 2..=6).into_iter())
            .map(|r| match r.structure.as_str() {
                "independent" => RunRow {
                    eval_loss: r.eval_loss * 1e3,
                    exact_loss: r.exact_loss.map(|l| l * 1e3),
                    ..r
                },
                _ => r,
            })
            .collect();
        let scale = |all: &[Plot], prefix: &str| -> Vec<String> {
            (texts(&figure(all, prefix).svg).into_iter())
                .filter(|s| s.starts_with("1e") || s.starts_with('≤'))
                .collect()
        };
        let mean = rule(Criterion::Loss, Aggregate::Mean);
        let all = figures_of(&runs, mean);
        let tree = scale(&all, "heatmap_tree");
        assert_eq!(tree, scale(&all, "heatmap_independent"));
        // Up to the independent series' losses, above the tree's own.
        let alone = scale(&figures_of(&only(runs, "tree"), mean), "heatmap_tree");
        assert_eq!(tree.last().unwrap(), "1e2");
        assert_eq!(alone.last().unwrap(), "1e-3", "{alone:?}");
    }

    /// Depths at the floor together are shifted apart, the line's end with its marker, and
    /// every marker stays inside the plot.
    #[test]
    fn floor_markers_sit_on_their_lines_inside_the_plot() {
        let runs = only(sweep(1..=6, 2..=7), "tree");
        let all = figures_of(&runs, rule(Criterion::Loss, Aggregate::Mean));
        let svg = &figure(&all, "loss_vs_hidden").svg;
        let lines = polylines(svg);
        let right = (lines.iter())
            .filter(|l| l.0 == "#000000" && l.1 == THIN.to_string())
            .flat_map(|l| l.2.iter().map(|p| p.0))
            .fold(f64::NEG_INFINITY, f64::max);
        let [hollow, _] = markers(svg, "#FFFFFF");
        assert_eq!(hollow.len(), 5, "depths 1 to 5 reach the floor: {hollow:?}");
        let xs: BTreeSet<i64> = hollow.iter().map(|m| m.0.round() as i64).collect();
        assert!(xs.len() > 1, "shifted apart: {hollow:?}");
        for m in &hollow {
            let on_line = (lines.iter().filter(|l| l.1 == LINE.to_string())).any(|l| {
                l.2.iter()
                    .any(|p| (p.0 - m.0).abs() < 1.5 && (p.1 - m.1).abs() < 1.5)
            });
            assert!(on_line, "{m:?} off its line");
            assert!(m.0 + f64::from(REACH) <= right, "{m:?} past {right}");
        }
    }

    /// With eight series the legend stays within its share of the height (shorter labels,
    /// smaller text, never below 7 pt) and no text overlaps or leaves the canvas.
    #[test]
    fn eight_series_keep_the_legend_within_bounds() {
        let runs: Vec<RunRow> = (1..=8)
            .flat_map(|k| {
                (only(sweep(1..=4, 2..=6), "tree").into_iter()).map(move |r| RunRow {
                    config_id: format!("{}-i{k}", r.config_id),
                    group: format!("{}-i{k}", r.group),
                    importance: format!("0.{k}^level"),
                    ..r
                })
            })
            .collect();
        let all = figures_of(&runs, rule(Criterion::Loss, Aggregate::Mean));
        let svg = &figure(&all, "min_hidden").svg;
        let t = texts(svg);
        for k in 1..=8 {
            let label = format!("0.{k}^level");
            assert!(t.iter().any(|s| s.contains(&label)), "{label}: {t:?}");
        }
        assert_texts_fit(svg, "eight series");
        let sizes = font_sizes(svg);
        assert!(
            sizes.iter().all(|(_, pt)| *pt >= SMALL_PT - 0.01),
            "{sizes:?}"
        );
        let (_, boxes) = text_boxes(svg);
        let legend_bottom = (boxes.iter())
            .filter(|(s, _)| s.contains("^level") || s.starts_with("hollow"))
            .map(|(_, b)| f64::from(b.bottom()) * 4.0)
            .fold(0.0, f64::max);
        assert!(
            legend_bottom <= f64::from(MARGIN + LEGEND_CAP),
            "{legend_bottom}"
        );
    }

    /// Labels cut to fit stay apart: by their ends where their starts read alike, else
    /// numbered; identical labels too.
    #[test]
    fn crowded_legends_shorten_their_labels_and_keep_them_apart() {
        draw::ensure_font().unwrap();
        let labels = [
            "no early stopping, imp 1",
            "no early stopping, imp 0.5^(l\u{2212}1)",
            "no early stopping, imp 0.9^i, s1",
            "no early stopping, imp 0.9^i, s2",
            "early stopping on",
            "early stopping on",
            "depth",
        ];
        for room in [120, 200, 300, 2000] {
            let rooms = vec![room; labels.len()];
            let cut = cut_apart(&labels, SMALL_PT, &rooms);
            let distinct: BTreeSet<&String> = cut.iter().collect();
            assert_eq!(distinct.len(), labels.len(), "{room}: {cut:?}");
            for c in &cut {
                assert!(text_size(c, SMALL_PT).0 <= room, "{room}: {c}");
            }
        }
        let cut = cut_apart(&labels[..2], SMALL_PT, &[300, 300]);
        assert!(
            cut[1].starts_with('…') && cut[1].ends_with("(l\u{2212}1)"),
            "{cut:?}"
        );
        let cut = ellipsized("tree (stop_prob 0.5), importance 0.5^level", SMALL_PT, 300);
        assert!(
            cut.ends_with('…') && text_size(&cut, SMALL_PT).0 <= 300,
            "{cut}"
        );
        assert_eq!(ellipsized("depth", SMALL_PT, 300), "depth");
    }

    /// Only the figures this module wrote are removed when no longer drawn: the manifest lists
    /// them, and a user's files beside them with our prefixes stay.
    #[test]
    fn stale_figures_are_removed_and_other_files_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(DIR);
        let all = figures_of(&sweep(1..=2, 2..=3), rule(Criterion::Loss, Aggregate::Mean));
        write(&dir, &all).unwrap();
        let listed = |dir: &Path| std::fs::read_to_string(dir.join(MANIFEST)).unwrap();
        let mut stems: Vec<&str> = all.iter().map(|f| f.stem.as_str()).collect();
        stems.sort();
        assert_eq!(
            listed(&dir),
            stems.iter().map(|s| format!("{s}\n")).collect::<String>()
        );
        let mine = [
            "heatmap_x_v2.png",
            "min_hidden_edited.svg",
            "loss_vs_hidden_old.svg",
        ];
        for f in mine {
            std::fs::write(dir.join(f), "mine").unwrap();
        }
        // Outside the folder: an edited manifest cannot reach it.
        std::fs::write(tmp.path().join("outside.svg"), "mine").unwrap();
        let text = format!("{}../outside\n", listed(&dir));
        std::fs::write(dir.join(MANIFEST), text).unwrap();

        let kept = &all[..3];
        write(&dir, kept).unwrap();
        for f in &all {
            for ext in ["svg", "png"] {
                let path = dir.join(format!("{}.{ext}", f.stem));
                assert_eq!(
                    path.exists(),
                    kept.iter().any(|k| k.stem == f.stem),
                    "{path:?}"
                );
            }
        }
        for f in mine {
            assert!(dir.join(f).exists(), "{f}");
        }
        assert!(tmp.path().join("outside.svg").exists());
        let mut stems: Vec<&str> = kept.iter().map(|f| f.stem.as_str()).collect();
        stems.sort();
        assert_eq!(
            listed(&dir),
            stems.iter().map(|s| format!("{s}\n")).collect::<String>()
        );
    }

    /// The widths of the researcher's grid: 1–10, then 12 to 32 in uneven steps.
    const UNEVEN: [u32; 16] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 20, 24, 32];

    /// The tree runs of `sweep` at the `UNEVEN` widths, for each (branching, importance, seed),
    /// a config of its own each; seed 2 passes one width later than seeds 0 and 1.
    fn grid(branchings: &[u32], importances: &[&str], seeds: &[u64]) -> Vec<RunRow> {
        let base: Vec<RunRow> = (only(sweep(1..=3, 1..=32), "tree").into_iter())
            .filter(|r| UNEVEN.contains(&r.n_hidden))
            .collect();
        let mut runs = Vec::new();
        for b in branchings {
            for importance in importances {
                for seed in seeds {
                    runs.extend(base.iter().map(|r| {
                        let late = *seed == 2 && r.n_hidden == r.depth + 1;
                        let id = format!(
                            "d{}-h{}-b{b}-tree0.5-binary-i{importance}",
                            r.depth, r.n_hidden
                        );
                        RunRow {
                            config_id: format!("{id}-s{seed}"),
                            group: format!("d{}-b{b}-{importance}-s{seed}", r.depth),
                            branching: *b,
                            importance: (*importance).to_owned(),
                            seed: (*seed).into(),
                            exact_loss: if late { Some(1e-3) } else { r.exact_loss },
                            ..r.clone()
                        }
                    }));
                }
            }
        }
        runs
    }

    #[test]
    fn trees_of_several_branching_factors_get_an_answer_by_size() {
        let mut runs = grid(&[2, 3], &["1"], &[0]);
        for r in runs.iter_mut().filter(|r| r.branching == 3) {
            r.n_features = (1..=r.depth).map(|l| 3u32.pow(l)).sum();
        }
        let mean = rule(Criterion::Loss, Aggregate::Mean);
        let drawn = |runs: &[RunRow]| {
            let rows = answer_rows(runs, false);
            figures(&crate::summarize(runs), &rows, mean).unwrap()
        };
        let figures = drawn(&runs);
        let by_size = (figures.iter())
            .find(|f| f.stem == "min_hidden_vs_features")
            .expect("two branching factors: the answer by size");
        let labels = texts(&by_size.svg);
        // 2 to 39 features (b = 2 and 3, depths 1–3): ticks at the powers of two between.
        for tick in [
            "2",
            "4",
            "8",
            "16",
            "32",
            "n_features (log scale)",
            "b=2",
            "b=3",
        ] {
            assert!(labels.iter().any(|l| l == tick), "{tick}: {labels:?}");
        }
        assert!(!labels.iter().any(|l| l == "64" || l == "1"), "{labels:?}");
        // Along x, each answer stands at log2 of its tree's size, not shifted sideways: no
        // two trees here share a size. (Each colour's first marker is its legend entry's.)
        let drawn_at = |colour: usize, sizes: [u32; 3]| {
            let [shapes, _] = markers(&by_size.svg, &hex(categorical(colour)));
            assert_eq!(shapes.len(), 4, "a legend marker and three answers");
            (shapes[1..].iter().map(|p| p.0))
                .zip(sizes)
                .collect::<Vec<_>>()
        };
        let points = [drawn_at(0, [2, 6, 14]), drawn_at(1, [3, 12, 39])].concat();
        let (x0, x1) = (points[0].0, points[1].0);
        let per_doubling = (x1 - x0) / (6f64.log2() - 1.0);
        for (x, n) in &points {
            let expected = x0 + per_doubling * (f64::from(*n).log2() - 1.0);
            assert!(
                (x - expected).abs() < 1.5,
                "{n} features at {x}, not {expected}"
            );
        }
        // One branching factor: the depth figure says it all.
        let one = grid(&[2], &["1"], &[0]);
        assert!(
            drawn(&one)
                .iter()
                .all(|f| f.stem != "min_hidden_vs_features")
        );
    }

    /// `min_hidden.csv`'s rows as the report writes them: with `pool`, the pooled series'
    /// rows, then each seed's own.
    fn answer_rows(runs: &[RunRow], pool: bool) -> Vec<MinHiddenRow> {
        let mut rows = Vec::new();
        if pool {
            let mut pooled = runs.to_vec();
            crate::pool_seeds(&mut pooled, None);
            rows = crate::min_hidden(&crate::summarize(&pooled), 1e-5);
        }
        rows.extend(crate::min_hidden(&crate::summarize(runs), 1e-5));
        rows
    }

    /// The legend texts of an answer figure that name series: all but the marks' entries.
    fn series_keys(svg: &str) -> Vec<String> {
        let others = [
            "hollow",
            "none",
            "↓",
            "↑",
            "thin",
            "thick",
            "min n_hidden",
            "(mean",
            "depth",
        ];
        (texts(svg).into_iter())
            .filter(|s| s.parse::<f64>().is_err() && !others.iter().any(|m| s.starts_with(m)))
            .collect()
    }

    /// 2 importances × 3 seeds apart: a colour per importance and a marker per seed, each
    /// named once in short (`imp 1`, `s0`), none cut short; no two series look alike. Without
    /// the seeds, a legend entry per series says what sets it apart.
    #[test]
    fn legends_name_what_sets_each_series_apart() {
        let mean = rule(Criterion::Loss, Aggregate::Mean);
        let runs = grid(&[2], &["1", "0.5^(level-1)"], &[0, 1, 2]);
        let rows = answer_rows(&runs, false);
        let svg = &min_hidden_figure(&rows, mean).unwrap().unwrap().svg;
        let keys = series_keys(svg);
        assert_eq!(keys, ["imp 1", "imp 0.5^(l\u{2212}1)", "s0", "s1", "s2"]);
        let (lines, _) = answer_lines(&answer_points(&rows, mean));
        assert_eq!(lines.len(), 6);
        for (i, a) in lines.iter().enumerate() {
            for b in &lines[i + 1..] {
                assert_ne!((a.look.colour, a.look.shape), (b.look.colour, b.look.shape));
            }
        }
        assert_texts_fit(svg, "2 importances × 3 seeds");

        let runs = grid(&[2, 3], &["1", "0.5^(level-1)"], &[0]);
        let svg = &min_hidden_figure(&answer_rows(&runs, false), mean)
            .unwrap()
            .unwrap()
            .svg;
        let keys = series_keys(svg);
        let b3 = "b=3, imp 0.5^(l\u{2212}1)";
        assert_eq!(
            keys,
            ["b=2, imp 1", "b=2, imp 0.5^(l\u{2212}1)", "b=3, imp 1", b3]
        );
    }

    /// Pooled seeds: one legend entry per pooled series in colours of their own and one for
    /// every seed's own line, which is drawn thin and light in its pooled series' colour.
    #[test]
    fn each_seed_is_a_thin_line_of_its_pooled_series() {
        let runs = grid(&[3, 4], &["1", "0.5^(level-1)"], &[0, 1, 2]);
        let rows = answer_rows(&runs, true);
        let answers = answer_points(&rows, rule(Criterion::Loss, Aggregate::Mean));
        assert_eq!(answers.len(), 4 + 12);
        let svg = &min_hidden_figure(&rows, rule(Criterion::Loss, Aggregate::Mean))
            .unwrap()
            .unwrap()
            .svg;
        let keys = series_keys(svg);
        assert_eq!(
            keys,
            [
                "b=3, imp 1",
                "b=3, imp 0.5^(l\u{2212}1)",
                "b=4, imp 1",
                "b=4, imp 0.5^(l\u{2212}1)"
            ]
        );
        let t = texts(svg);
        assert_eq!(
            t.iter().filter(|s| s.starts_with("thin")).count(),
            1,
            "{t:?}"
        );
        assert!(t.concat().contains("seeds 0+1+2 pooled"), "{t:?}");
        let lines = polylines(svg);
        let drawn = |colour: RGBColor, width: u32| {
            (lines.iter())
                .filter(|l| l.0 == hex(colour) && l.1 == width.to_string())
                .count()
        };
        for rank in 0..4 {
            let colour = series_look(rank).colour;
            // Its legend sample and two segments over depths 1–3.
            assert_eq!(drawn(colour, LINE), 1 + 2, "series {rank}");
            // Three seeds, two segments each.
            assert_eq!(
                drawn(lighten(colour, SEED_LIGHT), THIN),
                3 * 2,
                "series {rank}"
            );
        }
        // The seeds stand apart where seed 2 needs a width more: light markers off the line.
        assert_texts_fit(svg, "pooled seeds");
    }

    /// Past the palette's eight colours a series keeps its colour's place but is dotted and
    /// has another shape: no two of the first 64 series look alike.
    #[test]
    fn series_past_the_palette_look_different() {
        let looks: Vec<Look> = (0..64).map(series_look).collect();
        for (i, a) in looks.iter().enumerate() {
            for (j, b) in looks.iter().enumerate().skip(i + 1) {
                assert!(
                    (a.colour, a.shape, a.dash) != (b.colour, b.shape, b.dash),
                    "series {i} and {j}"
                );
            }
        }
        assert_eq!(looks[8].colour, looks[0].colour);
        assert_eq!((looks[0].dash, looks[8].dash), (Dash::Solid, Dash::Dotted));
        assert_ne!(looks[8].shape, looks[0].shape);

        // Ten series: ten legend entries, all different.
        let importances: Vec<String> = (1..=10).map(|k| format!("0.{k}^i")).collect();
        let importances: Vec<&str> = importances.iter().map(String::as_str).collect();
        let runs = grid(&[2], &importances, &[0]);
        let svg = &min_hidden_figure(
            &answer_rows(&runs, false),
            rule(Criterion::Loss, Aggregate::Mean),
        )
        .unwrap()
        .unwrap()
        .svg;
        let keys = series_keys(svg);
        let distinct: BTreeSet<&String> = keys.iter().collect();
        assert_eq!((keys.len(), distinct.len()), (10, 10), "{keys:?}");
        assert_texts_fit(svg, "ten series");
    }

    /// The heatmap's columns are categories: every one labelled where the labels fit, else
    /// every k-th from the first (never the round ones of a linear scale); its rows name their
    /// n_features.
    #[test]
    fn heatmap_columns_are_labelled_as_categories() {
        let mean = rule(Criterion::Loss, Aggregate::Mean);
        let columns = |runs: &[RunRow]| -> Vec<u32> {
            let all = figures_of(runs, mean);
            let svg = &figure(&all, "heatmap").svg;
            assert_texts_fit(svg, "heatmap");
            // The only plain numbers: the colour bar reads `1e-3`, the rows `2 (6)`.
            texts(svg).iter().filter_map(|s| s.parse().ok()).collect()
        };
        let few = only(sweep(1..=3, 2..=8), "tree");
        assert_eq!(columns(&few), (2..=8).collect::<Vec<_>>());

        let many = grid(&[2], &["1"], &[0]);
        let labelled = columns(&many);
        let k = UNEVEN.iter().position(|h| *h == labelled[1]).unwrap();
        assert!(k >= 2, "{labelled:?}");
        let every_kth: Vec<u32> = UNEVEN.iter().copied().step_by(k).collect();
        assert_eq!(labelled, every_kth);

        let t = texts(&figure(&figures_of(&few, mean), "heatmap").svg);
        for want in ["1 (2)", "2 (6)", "3 (14)", "depth (n_features)"] {
            assert!(t.iter().any(|s| s == want), "{want}: {t:?}");
        }
    }
}
