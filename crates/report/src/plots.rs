//! The charts, drawn as SVG documents with plotters and the [`crate::draw`] toolkit.
//!
//! Loss axes are log10 axes: values are plotted as `log10(loss)` on a linear axis whose ticks
//! are labelled `1e-5`, `1e-4`, …. Losses below the display floor ([`crate::display_floor`],
//! `1e-8` for the default threshold; exact zeros included) are rounding noise: they are drawn
//! at the floor with a ▼ marker, the axis or colour bar then starts at the floor and labels it
//! `≤ 1e-8`, and the footer says so. Negative or non-finite losses have no place on such an
//! axis and are left out of the lines (a heatmap cell shows them as "diverged").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::analysis::{
    Series, Varying, capitalised, decoded_title, fmt_p, has_tree, is_diverged, loss_word,
    loss_word_of_answers, row_name, series_of, short_labels,
};
use crate::draw::{
    Area, Axis, BarStyle, FONT, GRID, GRID_LIGHT, LEGEND_WIDTH, MISSING, MUTED, Mark, PLOT_HEIGHT,
    PLOT_WIDTH, categorical, chart_frame, colour_bar_with, floor_marker, fmt_bound, fmt_loss,
    fmt_loss_digits, hatch, is_dark, legend, lighten, nice_ticks, outline, svg_document,
    text_style, thin_ticks, viridis,
};
use crate::schema::{
    Aggregate, Criterion, CurveRow, MinHiddenRow, PassRule, RunRow, SummaryRow, decoding_instances,
    relative_word,
};
use crate::text::{WIDER_FAILS_NOTE, falling_note};
use crate::{NOISE_FLOOR, display_floor};

/// The stem prefixes of this module's charts: a chart in `plots/` with one of them that the
/// last build did not draw is stale.
pub(crate) const KINDS: [&str; 7] = [
    "heatmap_",
    "loss_vs_hidden_",
    "decoded_vs_hidden_",
    "loss_vs_inv_p_",
    "min_hidden_",
    "compare_",
    "curves_",
];

/// One chart: where it goes and its SVG markup.
#[derive(Debug, Clone)]
pub struct Plot {
    /// File stem inside `plots/` (`.svg` and `.png` are added).
    pub stem: String,
    /// Human title, also used as the figure caption.
    pub title: String,
    /// The series it shows, or `None` for a chart comparing series.
    pub series: Option<Series>,
    /// The SVG document.
    pub svg: String,
}

pub(crate) const DIVERGED: RGBColor = RGBColor(150, 150, 150);
/// Passing cells and curves (orange).
const PASS: RGBColor = RGBColor(255, 127, 14);
/// Failing curves beside passing ones (blue, [`categorical`]`(0)`).
const FAILS: RGBColor = RGBColor(0, 114, 178);

/// How far up viridis the screen charts' depths go (the figures for a paper stop lower, short
/// of its pale yellow, which fades on paper).
const DEPTH_END: f64 = 0.88;

/// An ordinal colour for the `i`-th of `n` depths (dark = shallow, light = deep): viridis from
/// its dark end up to `end`.
pub(crate) fn depth_colour(i: usize, n: usize, end: f64) -> RGBColor {
    viridis(end * i as f64 / (n.max(2) - 1) as f64)
}

/// A log10 axis: its range, major (decade) and minor (2..9 × decade) ticks, and, for a loss
/// axis with values below the display floor, that floor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogAxis {
    pub lo: f64,
    pub hi: f64,
    pub major: Vec<f64>,
    minor: Vec<f64>,
    /// The display floor (value, log10) when some value lies below it and is drawn at it: the
    /// axis then starts at the floor and its lowest tick reads `≤ floor`.
    pub floor: Option<(f64, f64)>,
}

/// Where a loss sits on a log axis with a display floor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Shown {
    /// log10 of the loss, or of the floor when the loss is below it.
    pub log: f64,
    /// The loss is below the floor (rounding noise) and drawn at it.
    pub floored: bool,
}

/// Where `v` sits on a log loss axis whose display floor is `floor`: a loss below the floor
/// (exact zeros included) at the floor; negative or non-finite losses nowhere.
pub(crate) fn shown(v: f64, floor: f64) -> Option<Shown> {
    if !(v.is_finite() && v >= 0.0) {
        None
    } else if v < floor {
        Some(Shown {
            log: floor.log10(),
            floored: true,
        })
    } else {
        Some(Shown {
            log: v.log10(),
            floored: false,
        })
    }
}

impl LogAxis {
    /// An axis for losses whose display floor is `floor` ([`crate::display_floor`]): losses
    /// below it count as the floor ([`shown`]), and when there are any the axis starts at the
    /// floor, with a tick there.
    pub(crate) fn losses(values: impl IntoIterator<Item = f64>, floor: f64) -> LogAxis {
        let mut floored = false;
        let logs: Vec<f64> = values
            .into_iter()
            .filter_map(|v| shown(v, floor))
            .map(|s| {
                floored |= s.floored;
                s.log
            })
            .collect();
        LogAxis::build(&logs, floored.then_some((floor, floor.log10())))
    }

    /// An axis for positive values (1/p); others are left out.
    fn positive(values: impl IntoIterator<Item = f64>) -> LogAxis {
        let logs: Vec<f64> = values
            .into_iter()
            .filter(|v| v.is_finite() && *v > 0.0)
            .map(f64::log10)
            .collect();
        LogAxis::build(&logs, None)
    }

    fn build(logs: &[f64], floor: Option<(f64, f64)>) -> LogAxis {
        let (mut lo, mut hi) = if logs.is_empty() {
            (-6.0, 0.0)
        } else {
            let min = logs.iter().copied().fold(f64::INFINITY, f64::min);
            let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (min.floor(), max.ceil())
        };
        if hi - lo < 1.0 {
            hi = lo + 1.0;
        }
        let step = ((hi - lo) / 8.0).ceil().max(1.0);
        lo = (lo / step).floor() * step;
        hi = lo + ((hi - lo) / step).ceil() * step;
        let decades: Vec<f64> = (0..)
            .map(|k| lo + k as f64 * step)
            .take_while(|v| *v <= hi + 1e-9)
            .collect();
        let mut minor: Vec<f64> = if step == 1.0 && hi - lo <= 7.0 {
            decades
                .iter()
                .filter(|e| **e < hi)
                .flat_map(|e| (2..10).map(move |k| e + (k as f64).log10()))
                .collect()
        } else {
            Vec::new()
        };
        let Some((_, f)) = floor else {
            return LogAxis {
                lo,
                hi,
                major: decades,
                minor,
                floor: None,
            };
        };
        // From the floor up: its own tick, then the decades far enough above it that their
        // labels do not collide with its label.
        let mut major = vec![f];
        major.extend(decades.into_iter().filter(|d| *d > f + 0.3 * step));
        minor.retain(|m| *m > f + 1e-9);
        LogAxis {
            lo: f,
            hi,
            major,
            minor,
            floor,
        }
    }

    /// The bottom of a line chart's y range: a little below the floor when there is one, so
    /// that the ▼ markers drawn at it stay clear of the x axis.
    pub(crate) fn bottom(&self) -> f64 {
        match self.floor {
            Some(_) => self.lo - 0.035 * (self.hi - self.lo),
            None => self.lo,
        }
    }

    /// The chart coordinate: [`LogAxis::bottom`]..hi, the major ticks labelled, the minor ones
    /// as light lines.
    fn coord(&self) -> Axis {
        Axis::new(self.bottom(), self.hi, self.major.clone()).with_light(self.minor.clone())
    }

    /// A tick label: `1e-5` for a decade, `≤ 1e-8` at the floor.
    pub(crate) fn label(&self, v: &f64) -> String {
        match self.floor {
            Some((floor, f)) if (v - f).abs() < 1e-9 => format!("≤ {}", fmt_bound(floor)),
            _ => format!("1e{}", v.round() as i64),
        }
    }

    pub(crate) fn fraction(&self, log_value: f64) -> f64 {
        (log_value - self.lo) / (self.hi - self.lo)
    }
}

/// The footer phrase for a chart with losses drawn at the floor.
fn floor_note(floor: f64) -> String {
    let f = fmt_bound(floor);
    let factor = fmt_bound(NOISE_FLOOR);
    format!("Losses below {f} ({factor} × threshold) are rounding noise and drawn at {f}")
}

/// Sideways pixel shift of the `i`-th of `n` series' ▼ markers at the floor, so that series
/// which all sit at the floor at one n_hidden stay visible side by side: 4 to 10 pixels
/// apart, together within 80 % of `unit_px`, the pixels between neighbouring n_hidden.
fn dodge(i: usize, n: usize, unit_px: i32) -> i32 {
    dodge_within(i, n, unit_px, 10.0)
}

/// [`dodge`] with at most `widest` pixels between neighbours (a figure drawn at another
/// scale has larger markers).
pub(crate) fn dodge_within(i: usize, n: usize, unit_px: i32, widest: f64) -> i32 {
    let n = n.max(1) as f64;
    let spacing = (0.8 * f64::from(unit_px) / n).clamp(4.0, widest.max(4.0));
    ((i as f64 - (n - 1.0) / 2.0) * spacing).round() as i32
}

/// Pixels between neighbouring n_hidden (one x unit) on `chart`.
fn unit_px(chart: &LogChart) -> i32 {
    let y = chart.y_range().start;
    chart.backend_coord(&(1.0, y)).0 - chart.backend_coord(&(0.0, y)).0
}

/// How one line series is drawn on a log chart.
#[derive(Debug, Clone, Copy)]
struct LineLook {
    colour: RGBColor,
    width: u32,
    dashed: bool,
    /// Filled markers (circles, ▼ at the floor) instead of hollow ones.
    filled: bool,
    /// Circle radius.
    radius: u32,
    /// Sideways pixel shift of the ▼ markers at the floor ([`dodge`]).
    dx: i32,
}

/// Draws a line through `points` (x, where the loss sits), a circle at every point above the
/// floor and a ▼ at every point drawn at it ([`floor_marker`]).
fn draw_line(chart: &mut LogChart, points: &[(f64, Shown)], look: LineLook) -> Result<()> {
    let line: Vec<(f64, f64)> = points.iter().map(|(x, s)| (*x, s.log)).collect();
    let style = look.colour.stroke_width(look.width);
    if look.dashed {
        chart.draw_series(DashedLineSeries::new(line, 7, 5, style))?;
    } else {
        chart.draw_series(LineSeries::new(line, style))?;
    }
    let circle = if look.filled {
        look.colour.filled()
    } else {
        look.colour.stroke_width(1)
    };
    chart.draw_series(
        points
            .iter()
            .filter(|(_, s)| !s.floored)
            .map(|(x, s)| Circle::new((*x, s.log), look.radius, circle)),
    )?;
    chart.draw_series(
        points
            .iter()
            .filter(|(_, s)| s.floored)
            .map(|(x, s)| floor_marker((*x, s.log), look.dx, look.colour, look.filled)),
    )?;
    Ok(())
}

/// The legend entry of the ▼ marker; `hollow_is_min`: the chart also draws the min over
/// instances, whose ▼ are hollow.
fn floor_entry(floor: f64, hollow_is_min: bool) -> (String, Mark) {
    let mut text = format!(
        "below {}: rounding noise,\ndrawn at the floor",
        fmt_bound(floor)
    );
    if hollow_is_min {
        text.push_str("\n(hollow: the min)");
    }
    (
        text,
        Mark::Floor {
            colour: MUTED,
            filled: true,
        },
    )
}

fn line_mark(colour: RGBColor) -> Mark {
    Mark::Line {
        colour,
        width: 2,
        dashed: false,
        marker: true,
    }
}

/// The legend entry of the dashed threshold line.
fn threshold_entry(threshold: f64) -> (String, Mark) {
    let mark = Mark::Line {
        colour: BLACK,
        width: 2,
        dashed: true,
        marker: false,
    };
    (format!("threshold {}", fmt_loss(threshold)), mark)
}

/// Whether `text` in the chart font at `size` is at most `width` pixels wide.
fn fits_in(text: &str, size: u32, width: u32) -> bool {
    crate::draw::ensure_font().is_ok()
        && (FONT, size)
            .into_font()
            .box_size(text)
            .is_ok_and(|(w, _)| w <= width)
}

/// Room for legend text beside a chart: [`LEGEND_WIDTH`] less the mark column.
const LEGEND_TEXT_WIDTH: u32 = LEGEND_WIDTH - 54;

/// `label` with `, ` turned into line breaks where a line would not fit in a legend, measured
/// with the chart font (a data set's label is long: `sparse F=20, p=0.01, importance 0.9^i`).
fn fit_legend(label: &str) -> String {
    wrap_at_commas(label, |line| fits_in(line, 15, LEGEND_TEXT_WIDTH)).join("\n")
}

/// `label` broken into lines after its `, ` where a line would not `fit` (the comma stays at
/// the end of the line); a part that does not fit alone keeps a line of its own.
pub(crate) fn wrap_at_commas(label: &str, fits: impl Fn(&str) -> bool) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in label.split(", ") {
        match lines.last_mut() {
            Some(line) if fits(&format!("{line}, {part}")) => {
                line.push_str(", ");
                line.push_str(part);
            }
            Some(line) => {
                line.push(',');
                lines.push(part.to_owned());
            }
            None => lines.push(part.to_owned()),
        }
    }
    lines
}

/// Legend labels of `series` ([`short_labels`]), wrapped to the legend.
fn legend_labels(series: &[Series]) -> Vec<String> {
    short_labels(series).iter().map(|l| fit_legend(l)).collect()
}

/// What a chart of the `headline` aggregate of a loss called `word` ([`loss_word`]) shows:
/// `mean exact loss over instances`, `eval loss summed over instances`; without
/// `over_instances` (a short axis label), `mean exact loss`, `summed eval loss`.
pub(crate) fn aggregate_loss(headline: Aggregate, word: &str, over_instances: bool) -> String {
    match (headline, over_instances) {
        (Aggregate::Sum, true) => format!("{word} summed over instances"),
        (Aggregate::Sum, false) => format!("summed {word}"),
        (a, true) => format!("{a} {word} over instances"),
        (a, false) => format!("{a} {word}"),
    }
}

/// Whether some but not all of `row`'s instances diverged: its `headline` loss is still shown
/// (marked †), but only the min over instances may pass.
pub(crate) fn partly_diverged(row: &SummaryRow, headline: Aggregate, floor: f64) -> bool {
    row.n_diverged > 0 && shown(row.aggregate(headline), floor).is_some()
}

/// Every chart of a run. The `rule`'s aggregate is what the heatmaps, loss-vs-n_hidden charts
/// (solid line) and comparison charts show; the rule decides the heatmaps' ✓ marks and the
/// training curves' picks. The min-n_hidden charts come headline first: by the loss threshold,
/// the rule's aggregate, then the min's, then every instance decoding; by decoding, the
/// rule's instances decoding, then the best one's (when the rule needs every instance), then
/// the loss threshold under the rule's aggregate.
///
/// A series whose instances differ in feature probability gets the loss-vs-1/p chart instead
/// of the heatmap and loss-vs-n_hidden chart, and stays out of the min-hidden and comparison
/// charts: their statistics across instances would mix data sets.
pub(crate) fn all_plots(
    summary: &[SummaryRow],
    min_hidden_rows: &[MinHiddenRow],
    runs: &[RunRow],
    curves: Option<&[CurveRow]>,
    rule: PassRule,
) -> Result<Vec<Plot>> {
    let (threshold, headline) = (rule.threshold, rule.aggregate);
    let mut plots = Vec::new();
    let series = series_of(summary);

    // Tree series by depth, then series without a tree by n_features: different x axes.
    for tree in [true, false] {
        let rows: Vec<&MinHiddenRow> = min_hidden_rows
            .iter()
            .filter(|r| has_tree(r.depth) == tree && !Series::of_min_hidden(r).per_instance_p())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let decodes = rows.iter().any(|r| r.min_n_hidden_decoded.is_some());
        // (aggregate, by decoding)
        let bars: Vec<(Aggregate, bool)> = match rule.criterion {
            Criterion::Loss => {
                let mut bars = vec![(headline, false)];
                if headline != Aggregate::Min {
                    bars.push((Aggregate::Min, false));
                }
                if decodes {
                    bars.push((Aggregate::Mean, true));
                }
                bars
            }
            Criterion::Decoded => {
                let mut bars = vec![(headline, true)];
                if headline.needs_every_instance() {
                    bars.push((Aggregate::Min, true));
                }
                bars.push((headline, false));
                bars
            }
        };
        for (aggregate, decoded) in bars {
            plots.push(min_hidden_bars(&rows, tree, aggregate, threshold, decoded)?);
        }
    }
    let mut groups: BTreeMap<(bool, u32, String, crate::schema::Seeds), Vec<Series>> =
        BTreeMap::new();
    for s in series.iter().filter(|s| !s.per_instance_p()) {
        groups
            .entry(s.comparison_key())
            .or_default()
            .push(s.clone());
    }
    for members in groups.values().filter(|m| m.len() > 1) {
        plots.push(comparison(summary, members, threshold, headline)?);
    }

    let curve_index = curves.map(CurveIndex::new);
    for s in &series {
        let rows: Vec<&SummaryRow> = summary
            .iter()
            .filter(|r| Series::of_summary(r) == *s)
            .collect();
        let ids: BTreeSet<&str> = rows.iter().map(|r| r.config_id.as_str()).collect();
        let series_runs: Vec<&RunRow> = runs
            .iter()
            .filter(|r| ids.contains(r.config_id.as_str()))
            .collect();
        if s.per_instance_p() {
            plots.push(loss_vs_inverse_p(s, &series_runs, rule)?);
        } else {
            plots.push(heatmap(s, &rows, rule)?);
            plots.push(loss_vs_hidden(s, &rows, threshold, headline)?);
            if rows.iter().any(|r| r.decoded_max.is_some()) {
                plots.push(decoded_vs_hidden(s, &rows)?);
            }
        }
        if let Some(index) = &curve_index
            && let Some(plot) = training_curves(s, &rows, &series_runs, index, rule)?
        {
            plots.push(plot);
        }
    }
    Ok(plots)
}

pub(crate) fn distinct<T: Ord + Copy>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    values
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// 1. The `headline` aggregate of the eval loss (mean by default) by row (depth, or n_features
///    without a tree) and `n_hidden` (columns), log colour scale; ✓ where the config passes
///    the `rule` ([`PassRule::passes`]), † where some instances diverged.
fn heatmap(series: &Series, rows: &[&SummaryRow], rule: PassRule) -> Result<Plot> {
    let (threshold, headline) = (rule.threshold, rule.aggregate);
    let tree = series.data.is_none();
    let word = loss_word(rows.iter().copied());
    let title = format!(
        "{} by {} and n_hidden — {}",
        capitalised(word),
        if tree { "depth" } else { "n_features" },
        series.label()
    );
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let cells: HashMap<(u32, u32), &SummaryRow> = rows
        .iter()
        .map(|r| ((r.row_key(), r.n_hidden), *r))
        .collect();
    let n_features: HashMap<u32, u32> = rows.iter().map(|r| (r.row_key(), r.n_features)).collect();
    let value = |r: &SummaryRow| r.aggregate(headline);
    let floor = display_floor(threshold);
    let scale = LogAxis::losses(rows.iter().map(|r| value(r)), floor);
    let colour_of = |s: Shown| viridis(scale.fraction(s.log));
    let (nx, ny) = (hiddens.len(), depths.len());
    let some_diverged = |r: &SummaryRow| partly_diverged(r, headline, floor);

    let pass = match rule.criterion {
        Criterion::Loss => format!("below the threshold {}", fmt_loss(threshold)),
        Criterion::Decoded => format!(
            "{} decodes every possible sample",
            decoding_instances(headline)
        ),
    };
    let mut footer = format!(
        "Cell: {}.  ✓ + orange outline: {pass}.  — : not run.",
        aggregate_loss(headline, word, true),
    );
    if rows.iter().any(|r| some_diverged(r)) {
        footer.push_str(&format!(
            "  †: some diverged{}.",
            if headline.needs_every_instance() {
                " (no ✓)"
            } else {
                ""
            }
        ));
    }
    if scale.floor.is_some() {
        footer.push_str(&format!(
            "\n{}; cells read ≤{}.",
            floor_note(floor),
            fmt_bound(floor)
        ));
    }

    // Each cell's fill, text and ink, its loss with `digits` significant figures. With many
    // columns a number may not fit its cell: the cell then keeps its marks only (`dropped`).
    let font = if nx > 10 { 12 } else { 15 };
    let room = (PLOT_WIDTH - HEATMAP_BAR - HEATMAP_Y_LABELS - 60) / nx as u32;
    let cell_texts = |digits: usize| {
        let mut dropped = false;
        let mut texts: HashMap<(u32, u32), (RGBColor, String, RGBColor)> = HashMap::new();
        for (depth, n_hidden) in depths
            .iter()
            .flat_map(|d| hiddens.iter().map(move |h| (d, h)))
        {
            let cell = match cells.get(&(*depth, *n_hidden)) {
                None => (MISSING, "—".to_owned(), MUTED),
                Some(r) => match shown(value(r), floor) {
                    // The sum is NaN with one diverged instance: say how many.
                    None if r.n_diverged < r.n_instances => {
                        let text = format!("{}/{} diverged", r.n_diverged, r.n_instances);
                        let short = format!("{}/{}", r.n_diverged, r.n_instances);
                        (
                            DIVERGED,
                            fit_cell(text, short, font, room, &mut dropped),
                            WHITE,
                        )
                    }
                    None => (DIVERGED, "diverged".to_owned(), WHITE),
                    Some(at) => {
                        let c = colour_of(at);
                        let mark = if rule.passes(r) { "✓" } else { "" };
                        let dagger = if some_diverged(r) { "†" } else { "" };
                        let ink = if is_dark(c) { WHITE } else { BLACK };
                        let number = if at.floored {
                            format!("≤{}", fmt_bound(floor))
                        } else {
                            fmt_loss_digits(value(r), threshold, digits)
                        };
                        let full = [mark, &number, dagger]
                            .iter()
                            .filter(|t| !t.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(" ");
                        let marks = format!("{mark}{dagger}");
                        (c, fit_cell(full, marks, font, room, &mut dropped), ink)
                    }
                },
            };
            texts.insert((*depth, *n_hidden), cell);
        }
        (texts, dropped)
    };
    // Numbers read alike in every cell: three figures where all fit, else two; those that
    // still do not fit are left out, and the footer says so.
    let (mut texts, mut dropped) = cell_texts(3);
    if dropped {
        (texts, dropped) = cell_texts(2);
    }
    if dropped {
        footer.push_str(
            "\nNumbers too wide for their cells are left out: read the colour bar, or summary.csv.",
        );
    }

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (main, bar) = chart_frame(root, &title, Some(&footer), HEATMAP_BAR)?;

        let y_labels: Vec<String> = depths
            .iter()
            .map(|d| {
                if tree {
                    format!("{d} ({})", n_features[d])
                } else {
                    d.to_string()
                }
            })
            .collect();
        let x_fmt = |v: &f64| {
            let i = v.round() as usize;
            hiddens.get(i).map(u32::to_string).unwrap_or_default()
        };
        // Depth 1 is the top row, like a table.
        let row_of = |i: usize| (ny - 1 - i) as f64;
        let y_fmt = |v: &f64| {
            let r = v.round() as usize;
            y_labels
                .get(ny - 1 - r.min(ny - 1))
                .cloned()
                .unwrap_or_default()
        };
        let mut chart = ChartBuilder::on(&main)
            .margin(10)
            .x_label_area_size(60)
            .y_label_area_size(HEATMAP_Y_LABELS)
            .build_cartesian_2d(
                Axis::new(-0.5, nx as f64 - 0.5, (0..nx).map(|i| i as f64).collect()),
                Axis::new(-0.5, ny as f64 - 0.5, (0..ny).map(|i| i as f64).collect()),
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("n_hidden (hidden width)")
            .y_desc(if tree {
                "depth (n_features)"
            } else {
                "n_features"
            })
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 19))
            .draw()?;

        for (i, depth) in depths.iter().enumerate() {
            let y = row_of(i);
            for (j, n_hidden) in hiddens.iter().enumerate() {
                let x = j as f64;
                let rect = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
                let (fill, text, ink) = texts[&(*depth, *n_hidden)].clone();
                chart.draw_series(std::iter::once(Rectangle::new(rect, fill.filled())))?;
                chart.draw_series(std::iter::once(outline(rect, WHITE.stroke_width(2))))?;
                chart.draw_series(std::iter::once(Text::new(
                    text,
                    (x, y),
                    text_style(font, ink, HPos::Center, VPos::Center),
                )))?;
            }
        }
        // Outlines last, so no neighbouring cell paints over them.
        for (i, depth) in depths.iter().enumerate() {
            for (j, n_hidden) in hiddens.iter().enumerate() {
                if cells
                    .get(&(*depth, *n_hidden))
                    .is_some_and(|r| rule.passes(r))
                {
                    let (x, y) = (j as f64, row_of(i));
                    chart.draw_series(std::iter::once(outline(
                        [(x - 0.45, y - 0.45), (x + 0.45, y + 0.45)],
                        PASS.stroke_width(4),
                    )))?;
                }
            }
        }

        loss_colour_bar(
            &bar,
            &scale,
            &format!("{word} ({headline} over instances, log scale)"),
            &BarStyle::default(),
            // Under the decoded criterion the outlines follow decoding, not this threshold.
            (rule.criterion == Criterion::Loss).then_some((threshold, PASS.stroke_width(4))),
        )
    })?;
    Ok(Plot {
        stem: format!("heatmap_{}", series.slug()),
        title,
        series: Some(series.clone()),
        svg,
    })
}

/// Width of the heatmap's colour-bar column, and of its y-label area.
const HEATMAP_BAR: u32 = 190;
const HEATMAP_Y_LABELS: u32 = 110;

/// `text` if it fits in `room` pixels at `size`, else `short` (and `dropped` is set).
fn fit_cell(text: String, short: String, size: u32, room: u32, dropped: &mut bool) -> String {
    if fits_in(&text, size, room.saturating_sub(4)) {
        text
    } else {
        *dropped = true;
        short
    }
}

/// A heatmap's log colour scale, sized by `style`, with a `threshold` (when the cells' checks
/// follow it) a line across it in its style.
pub(crate) fn loss_colour_bar(
    area: &Area,
    scale: &LogAxis,
    label: &str,
    style: &BarStyle,
    threshold: Option<(f64, ShapeStyle)>,
) -> Result<()> {
    let mut chart = colour_bar_with(
        area,
        Axis::new(scale.lo, scale.hi, scale.major.clone()),
        label,
        &|v| scale.label(v),
        |y| viridis(scale.fraction(y)),
        style,
    )?;
    if let Some((threshold, line)) = threshold {
        let t = threshold.log10();
        if (scale.lo..=scale.hi).contains(&t) {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, t), (1.0, t)],
                line,
            )))?;
        }
    }
    Ok(())
}

/// 2. Eval loss vs `n_hidden`, one line per row (depth, or n_features without a tree): the
///    `headline` aggregate (solid) and min over instances (dashed; not drawn twice when the
///    headline is the min).
fn loss_vs_hidden(
    series: &Series,
    rows: &[&SummaryRow],
    threshold: f64,
    headline: Aggregate,
) -> Result<Plot> {
    let word = loss_word(rows.iter().copied());
    let title = format!("{} vs n_hidden — {}", capitalised(word), series.label());
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let with_min = headline != Aggregate::Min;
    let floor = display_floor(threshold);
    let axis = LogAxis::losses(
        rows.iter()
            .flat_map(|r| [r.aggregate(headline), r.min])
            .chain(std::iter::once(threshold)),
        floor,
    );
    let (x0, x1) = x_span(&hiddens);
    let footer = axis.floor.map(|_| {
        format!(
            "{} (▼; each line's ▼ is shifted sideways to stay visible).",
            floor_note(floor)
        )
    });

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, footer.as_deref(), LEGEND_WIDTH)?;
        let y_label = |v: &f64| axis.label(v);
        let mut chart = hidden_chart(
            &plot,
            &hiddens,
            axis.coord(),
            &format!("{word} (log scale)"),
            &y_label,
        )?;
        draw_threshold(&mut chart, x0, x1, threshold)?;

        let mut entries = Vec::new();
        for (i, depth) in depths.iter().enumerate() {
            let colour = depth_colour(i, depths.len(), DEPTH_END);
            let of_depth: Vec<&&SummaryRow> =
                rows.iter().filter(|r| r.row_key() == *depth).collect();
            let points = |a: Aggregate| -> Vec<(f64, Shown)> {
                of_depth
                    .iter()
                    .filter_map(|r| shown(r.aggregate(a), floor).map(|y| (r.n_hidden as f64, y)))
                    .collect()
            };
            let dx = dodge(i, depths.len(), unit_px(&chart));
            if with_min {
                let look = LineLook {
                    colour,
                    width: 1,
                    dashed: true,
                    filled: false,
                    radius: 3,
                    dx,
                };
                draw_line(&mut chart, &points(Aggregate::Min), look)?;
            }
            let look = LineLook {
                colour,
                width: 2,
                dashed: false,
                filled: true,
                radius: 4,
                dx,
            };
            draw_line(&mut chart, &points(headline), look)?;
            if let Some(r) = of_depth.first() {
                entries.push((r.row_label(), line_mark(colour)));
            }
        }
        entries.push((
            format!("{headline} over instances"),
            Mark::Line {
                colour: MUTED,
                width: 2,
                dashed: false,
                marker: true,
            },
        ));
        if with_min {
            entries.push((
                "min over instances".to_owned(),
                Mark::Line {
                    colour: MUTED,
                    width: 1,
                    dashed: true,
                    marker: false,
                },
            ));
        }
        if axis.floor.is_some() {
            entries.push(floor_entry(floor, with_min));
        }
        entries.push(threshold_entry(threshold));
        legend(&side, "Legend", &entries)?;
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("loss_vs_hidden_{}", series.slug()),
        title,
        series: Some(series.clone()),
        svg,
    })
}

/// A chart with the tested widths on x and `y_axis` on y (with its description and tick
/// labels), its grid drawn.
fn hidden_chart<'a, 'b>(
    plot: &'a Area<'b>,
    hiddens: &[u32],
    y_axis: Axis,
    y_desc: &str,
    y_label: &dyn Fn(&f64) -> String,
) -> Result<LogChart<'a, 'b>> {
    let (margin, y_area, size) = (12, 80, 17);
    let plot_w = plot.dim_in_pixel().0.saturating_sub(2 * margin + y_area);
    let mut chart = ChartBuilder::on(plot)
        .margin(margin)
        .x_label_area_size(60)
        .y_label_area_size(y_area)
        .build_cartesian_2d(width_axis(hiddens, plot_w, size), y_axis)?;
    chart
        .configure_mesh()
        .x_desc("n_hidden (hidden width)")
        .y_desc(y_desc)
        .x_label_formatter(&|v| format!("{}", v.round() as i64))
        .y_label_formatter(y_label)
        .label_style((FONT, size))
        .axis_desc_style((FONT, 19))
        .bold_line_style(GRID)
        .light_line_style(GRID_LIGHT)
        .draw()?;
    Ok(chart)
}

/// The x axis of the tested widths `hiddens` on a plot `plot_w` pixels wide, labelled in
/// `size` px text: every width where the labels fit, else the round ones ([`thin_ticks`]), so
/// that `1 2 … 10` beside `12 … 32` never run together; the others keep a light grid line.
fn width_axis(hiddens: &[u32], plot_w: u32, size: u32) -> Axis {
    let (x0, x1) = x_span(hiddens);
    let ticks: Vec<(f64, u32)> = hiddens.iter().map(|h| (f64::from(*h), *h)).collect();
    let widest = (hiddens.iter())
        .filter_map(|h| (FONT, size).into_font().box_size(&h.to_string()).ok())
        .map(|b| b.0)
        .max()
        .unwrap_or(0);
    let unit = f64::from(plot_w) / (x1 - x0);
    let kept = thin_ticks(&ticks, unit, f64::from(widest + size / 3));
    let light = (ticks.iter())
        .filter(|t| !kept.contains(t))
        .map(|t| t.0)
        .collect();
    Axis::new(x0, x1, kept.iter().map(|t| t.0).collect()).with_light(light)
}

/// What sets the series of a comparison chart apart, for its title: `structure`,
/// `importance`, `structure and importance` (`data set` without a tree). Branching, magnitude
/// and seed are the chart's own.
fn compared_by(members: &[Series], tree: bool) -> String {
    let v = Varying::of(members);
    let structure = if tree { "structure" } else { "data set" };
    let parts: Vec<&str> = [(v.structure, structure), (v.importance, "importance")]
        .into_iter()
        .filter(|p| p.0)
        .map(|p| p.1)
        .collect();
    if parts.is_empty() {
        structure.to_owned()
    } else {
        parts.join(" and ")
    }
}

/// For a series with exact evaluation: the fraction of possible samples decoded vs n_hidden, a
/// line per depth, solid for every instance (the smallest fraction), dashed for the best.
fn decoded_vs_hidden(series: &Series, rows: &[&SummaryRow]) -> Result<Plot> {
    let title = format!("Samples decoded vs n_hidden — {}", series.label());
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let footer = "A sample is decoded when every output is within 0.5 of it; 1 means the \
                  instance stores every path of the tree. Diverged instances are left out.";
    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, Some(footer), LEGEND_WIDTH)?;
        let fraction = Axis::new(-0.03, 1.03, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        let y_label = |v: &f64| format!("{v:.2}");
        let y_desc = "fraction of possible samples decoded";
        let mut chart = hidden_chart(&plot, &hiddens, fraction, y_desc, &y_label)?;
        let mut entries = Vec::new();
        for (i, depth) in depths.iter().enumerate() {
            let colour = depth_colour(i, depths.len(), DEPTH_END);
            let of_depth: Vec<&&SummaryRow> =
                rows.iter().filter(|r| r.row_key() == *depth).collect();
            // A linear fraction in `Shown::log`: `draw_line` only places it, and nothing floors.
            let points = |pick: fn(&SummaryRow) -> Option<f64>| -> Vec<(f64, Shown)> {
                (of_depth.iter())
                    .filter_map(|r| {
                        pick(r)
                            .filter(|v| v.is_finite())
                            .map(|v| (r.n_hidden as f64, v))
                    })
                    .map(|(x, v)| {
                        (
                            x,
                            Shown {
                                log: v,
                                floored: false,
                            },
                        )
                    })
                    .collect()
            };
            let look = |width, dashed, filled, radius| LineLook {
                colour,
                width,
                dashed,
                filled,
                radius,
                dx: 0,
            };
            draw_line(
                &mut chart,
                &points(|r| r.decoded_max),
                look(1, true, false, 3),
            )?;
            draw_line(
                &mut chart,
                &points(|r| r.decoded_min),
                look(2, false, true, 4),
            )?;
            if let Some(r) = of_depth.first() {
                entries.push((r.row_label(), line_mark(colour)));
            }
        }
        entries.push((
            "every instance".to_owned(),
            Mark::Line {
                colour: MUTED,
                width: 2,
                dashed: false,
                marker: true,
            },
        ));
        entries.push((
            "best instance".to_owned(),
            Mark::Line {
                colour: MUTED,
                width: 1,
                dashed: true,
                marker: false,
            },
        ));
        legend(&side, "Legend", &entries)?;
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("decoded_vs_hidden_{}", series.slug()),
        title,
        series: Some(series.clone()),
        svg,
    })
}

/// 6. For a series whose instances differ in feature probability p = 1 − S: eval loss vs
///    1/(1−S), both on log axes, one point per instance and one line per `n_hidden`.
fn loss_vs_inverse_p(series: &Series, runs: &[&RunRow], rule: PassRule) -> Result<Plot> {
    let threshold = rule.threshold;
    let word = rule.relative("eval loss");
    let title = format!("{} vs 1/(1−S) — {}", capitalised(&word), series.label());
    let hiddens = distinct(runs.iter().map(|r| r.n_hidden));
    let inverse_p = |r: &RunRow| 1.0 / r.feature_probability;
    let floor = display_floor(threshold);
    let x_axis = LogAxis::positive(runs.iter().map(|r| inverse_p(r)));
    let y_axis = LogAxis::losses(
        runs.iter()
            .filter(|r| !is_diverged(r))
            .map(|r| r.eval_loss)
            .chain(std::iter::once(threshold)),
        floor,
    );
    let mut footer =
        "One point per instance: x = 1/p with p = 1 − S its mean feature probability. \
                  Diverged instances are left out."
            .to_owned();
    if y_axis.floor.is_some() {
        footer.push_str(&format!("\n{} (▼).", floor_note(floor)));
    }

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, Some(&footer), LEGEND_WIDTH)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(x_axis.coord(), y_axis.coord())?;
        chart
            .configure_mesh()
            .x_desc("1/(1−S) = 1/p (log scale)")
            .y_desc(format!("{word} (log scale)"))
            .x_label_formatter(&|v| fmt_p(10f64.powf(*v)))
            .y_label_formatter(&|v| y_axis.label(v))
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 19))
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .draw()?;
        draw_threshold(&mut chart, x_axis.lo, x_axis.hi, threshold)?;

        let mut entries = Vec::new();
        for (i, n_hidden) in hiddens.iter().enumerate() {
            let colour = depth_colour(i, hiddens.len(), DEPTH_END);
            let mut points: Vec<(f64, Shown)> = runs
                .iter()
                .filter(|r| r.n_hidden == *n_hidden && !is_diverged(r))
                .filter(|r| inverse_p(r).is_finite() && inverse_p(r) > 0.0)
                .filter_map(|r| Some((inverse_p(r).log10(), shown(r.eval_loss, floor)?)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let look = LineLook {
                colour,
                width: 2,
                dashed: false,
                filled: true,
                radius: 4,
                dx: dodge(i, hiddens.len(), 80),
            };
            draw_line(&mut chart, &points, look)?;
            entries.push((format!("n_hidden = {n_hidden}"), line_mark(colour)));
        }
        if y_axis.floor.is_some() {
            entries.push(floor_entry(floor, false));
        }
        entries.push(threshold_entry(threshold));
        legend(&side, "Legend", &entries)?;
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("loss_vs_inv_p_{}", series.slug()),
        title,
        series: Some(series.clone()),
        svg,
    })
}

pub(crate) fn x_span(hiddens: &[u32]) -> (f64, f64) {
    match (hiddens.first(), hiddens.last()) {
        (Some(a), Some(b)) => (*a as f64 - 0.5, *b as f64 + 0.5),
        _ => (0.0, 1.0),
    }
}

type LogChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

fn draw_threshold(chart: &mut LogChart, x0: f64, x1: f64, threshold: f64) -> Result<()> {
    let t = threshold.log10();
    chart.draw_series(DashedLineSeries::new(
        vec![(x0, t), (x1, t)],
        10,
        6,
        BLACK.stroke_width(2),
    ))?;
    Ok(())
}

/// 3. Smallest `n_hidden` reaching the threshold, bars per depth, one bar per series; for
///    series without a tree (`tree` false), bars per n_features, side by side only with the
///    series that share it.
fn min_hidden_bars(
    rows: &[&MinHiddenRow],
    tree: bool,
    aggregate: Aggregate,
    threshold: f64,
    decoded: bool,
) -> Result<Plot> {
    // By the loss threshold, or (`decoded`) by decoding every possible sample.
    let width = |r: &MinHiddenRow| {
        if decoded {
            r.min_n_hidden_decoded.flatten()
        } else {
            r.min_n_hidden
        }
    };
    let (mut title, y_desc) = match decoded {
        true => {
            let mut title = decoded_title(aggregate);
            title[..1].make_ascii_uppercase();
            (title, "min n_hidden (every sample decoded)".to_owned())
        }
        false => (
            format!(
                "Smallest n_hidden with {aggregate} {} < {} (over instances)",
                loss_word_of_answers(rows.iter().copied().filter(|r| r.aggregate == aggregate)),
                fmt_loss(threshold)
            ),
            format!(
                "min n_hidden ({aggregate} {} < {})",
                relative_word(rows.first().is_some_and(|r| r.relative), "loss"),
                fmt_loss(threshold)
            ),
        ),
    };
    if !tree {
        title.push_str(", features without a tree");
    }
    let rows: Vec<&MinHiddenRow> = rows
        .iter()
        .copied()
        .filter(|r| r.aggregate == aggregate)
        .collect();
    let series = distinct_series(rows.iter().map(|r| Series::of_min_hidden(r)));
    let labels = legend_labels(&series);
    // x: a tree's depths where they are; n_features (often 5, 20, 100) evenly spaced.
    let keys = distinct(
        rows.iter()
            .map(|r| if tree { r.depth } else { r.n_features }),
    );
    let key_of = |r: &MinHiddenRow| if tree { r.depth } else { r.n_features };
    let x_of = |key: u32| {
        if tree {
            key as f64
        } else {
            keys.iter().position(|k| *k == key).unwrap_or(0) as f64
        }
    };
    let ticks: Vec<(f64, String)> = keys.iter().map(|k| (x_of(*k), k.to_string())).collect();
    // Bar slots per x: every series for a tree (a gap where one lacks the depth), only those
    // present otherwise (each such series has one n_features).
    let mut slots: BTreeMap<u32, Vec<Series>> = BTreeMap::new();
    for r in &rows {
        let entry = slots.entry(key_of(r)).or_default();
        if tree {
            entry.clone_from(&series);
        } else {
            entry.push(Series::of_min_hidden(r));
        }
    }
    // Series without exact evaluation keep their slot and colour, as in the loss charts, but
    // have no decoded bar.
    let drawn: Vec<&MinHiddenRow> = rows
        .iter()
        .copied()
        .filter(|r| !decoded || r.min_n_hidden_decoded.is_some())
        .collect();
    // `none` is hatched above the widest tested, at max_tested + 1.
    let height = |r: &MinHiddenRow| width(r).unwrap_or(r.max_tested + 1);
    let hatched = drawn.iter().any(|r| width(r).is_none());
    let bound = drawn.iter().any(|r| r.is_bound(width(r)));
    let falling = drawn.iter().any(|r| r.falling(decoded));
    let wider_fails = drawn.iter().any(|r| r.wider_fails(decoded));
    let footer: Vec<String> = (falling.then(|| falling_note(">max", false)).into_iter())
        .chain(wider_fails.then(|| WIDER_FAILS_NOTE.to_owned()))
        .collect();
    let footer = (!footer.is_empty()).then(|| footer.join("\n"));
    let y_axis = bar_axis(drawn.iter().map(|r| height(r)).max().unwrap_or(1));
    let (dx0, dx1) = match (ticks.first(), ticks.last()) {
        (Some(a), Some(b)) => (a.0 - 0.5, b.0 + 0.5),
        _ => (0.0, 1.0),
    };

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, footer.as_deref(), LEGEND_WIDTH)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(dx0, dx1, ticks.iter().map(|t| t.0).collect()),
                y_axis,
            )?;
        let x_fmt = |v: &f64| {
            ticks
                .iter()
                .find(|t| (t.0 - v).abs() < 0.25)
                .map(|t| t.1.clone())
                .unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc(if tree { "depth" } else { "n_features" })
            .y_desc(y_desc.as_str())
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&|v| format!("{}", v.round() as i64))
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 19))
            .bold_line_style(GRID)
            .draw()?;

        let ns = slots.values().map(Vec::len).max().unwrap_or(1).max(1) as f64;
        let slot = 0.8 / ns;
        let base = chart.plotting_area().get_base_pixel();
        let pixel_area = chart.plotting_area().strip_coord_spec();
        for row in &drawn {
            let this = Series::of_min_hidden(row);
            let colour = categorical(series.iter().position(|s| *s == this).unwrap_or(0));
            let here = &slots[&key_of(row)];
            // Centred: fewer bars than slots at this x (only without a tree).
            let i = here.iter().position(|s| *s == this).unwrap_or(0) as f64
                + (ns - here.len() as f64) / 2.0;
            let xa = x_of(key_of(row)) - 0.4 + slot * (i + 0.1);
            let xb = xa + slot * 0.8;
            let xc = (xa + xb) / 2.0;
            // `none` is labelled as what it means: `>10`; a bound as in the tables: `≤2`.
            let mut label = match width(row) {
                Some(n) => row.width_label(Some(n)),
                None => format!(">{}", row.max_tested),
            };
            label.push_str(&row.marks(decoded));
            let top = f64::from(height(row));
            let rect = [(xa, 0.0), (xb, top)];
            if width(row).is_some() {
                // A bound is light: the answer may lie below it.
                let fill = if row.is_bound(width(row)) {
                    lighten(colour, BOUND_LIGHTEN)
                } else {
                    colour
                };
                chart.draw_series(std::iter::once(Rectangle::new(rect, fill.filled())))?;
            } else {
                chart.draw_series(std::iter::once(Rectangle::new(rect, MISSING.filled())))?;
                let (p0, p1) = (chart.backend_coord(&rect[0]), chart.backend_coord(&rect[1]));
                hatch(
                    &pixel_area,
                    (p0.0 - base.0, p0.1 - base.1),
                    (p1.0 - base.0, p1.1 - base.1),
                    colour,
                )?;
            }
            chart.draw_series(std::iter::once(Rectangle::new(
                rect,
                colour.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                label,
                (xc, top + 0.08),
                text_style(
                    if ns > 4.0 { 12 } else { 15 },
                    BLACK,
                    HPos::Center,
                    VPos::Bottom,
                ),
            )))?;
        }

        let mut entries: Vec<(String, Mark)> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                (
                    l.clone(),
                    Mark::Patch {
                        colour: categorical(i),
                        hatched: false,
                    },
                )
            })
            .collect();
        if bound {
            entries.push((
                "≤n (light): the narrowest\nwidth tested (none\nnarrower tried)".to_owned(),
                Mark::patch(lighten(MUTED, BOUND_LIGHTEN)),
            ));
        }
        if hatched {
            entries.push((
                ">max: no width reaches it;\nbar at max tested + 1".to_owned(),
                Mark::Patch {
                    colour: MUTED,
                    hatched: true,
                },
            ));
        }
        legend(&side, "Series", &entries)?;
        Ok(())
    })?;
    let kind = if decoded { "decoded_" } else { "" };
    Ok(Plot {
        stem: if tree {
            format!("min_hidden_{kind}{aggregate}")
        } else {
            format!("min_hidden_sparse_{kind}{aggregate}")
        },
        title,
        series: None,
        svg,
    })
}

/// How much lighter than its series' colour a bar that is only an upper bound (`≤2`) is.
const BOUND_LIGHTEN: f64 = 0.6;

/// The y axis of a bar chart whose tallest bar is `tallest`: from 0 to a little above it, room
/// for the bar's label, with ticks on whole numbers only (bars are widths).
fn bar_axis(tallest: u32) -> Axis {
    let hi = f64::from(tallest) * 1.08 + 0.3;
    let ticks = nice_ticks(0.0, hi, 8)
        .into_iter()
        .filter(|t| t.fract() == 0.0)
        .collect();
    Axis::new(0.0, hi, ticks)
}

/// The distinct series of `all`, in their order (the experiment file's).
fn distinct_series(all: impl IntoIterator<Item = Series>) -> Vec<Series> {
    crate::analysis::in_order_of_appearance(all)
}

/// Grid of `n` panels: (rows, columns).
fn grid(n: usize) -> (usize, usize) {
    let cols = n.clamp(1, 3);
    (n.div_ceil(cols).max(1), cols)
}

/// 4. The `headline` aggregate of the eval loss (mean by default) vs `n_hidden`, one panel per
///    row (depth, or n_features without a tree), one line per series.
fn comparison(
    summary: &[SummaryRow],
    members: &[Series],
    threshold: f64,
    headline: Aggregate,
) -> Result<Plot> {
    let first = &members[0];
    let tree = first.data.is_none();
    let what = headline.title();
    let word = loss_word(
        summary
            .iter()
            .filter(|r| members.contains(&Series::of_summary(r))),
    );
    let by = compared_by(members, tree);
    let (title, stem) = if tree {
        (
            format!(
                "{what} {word} vs n_hidden by {by} — b={}, {}, {}",
                first.branching,
                first.magnitude,
                first.seed.label()
            ),
            format!(
                "b{}_{}_seed{}",
                first.branching, first.magnitude, first.seed
            ),
        )
    } else {
        (
            format!(
                "{what} {word} vs n_hidden by {by} — features without a tree, {}, {}",
                first.magnitude,
                first.seed.label()
            ),
            format!("sparse_{}_seed{}", first.magnitude, first.seed),
        )
    };
    let labels = legend_labels(members);
    let rows: Vec<&SummaryRow> = summary
        .iter()
        .filter(|r| members.contains(&Series::of_summary(r)))
        .collect();
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let floor = display_floor(threshold);
    let axis = LogAxis::losses(
        rows.iter()
            .map(|r| r.aggregate(headline))
            .chain(std::iter::once(threshold)),
        floor,
    );
    let footer = axis.floor.map(|_| {
        format!(
            "{} (▼; each series' ▼ is shifted sideways, so equal values stay visible).",
            floor_note(floor)
        )
    });
    let (_, columns) = grid(depths.len());

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, footer.as_deref(), LEGEND_WIDTH)?;
        let panels = plot.split_evenly(grid(depths.len()));
        for (k, (panel, depth)) in panels.iter().zip(&depths).enumerate() {
            let of_depth: Vec<&&SummaryRow> =
                rows.iter().filter(|r| r.row_key() == *depth).collect();
            let hiddens = distinct(of_depth.iter().map(|r| r.n_hidden));
            let (x0, x1) = x_span(&hiddens);
            let caption = of_depth.first().map_or(String::new(), |r| r.row_label());
            let (margin, y_area, size) = (6, 72, 14);
            let plot_w = panel.dim_in_pixel().0.saturating_sub(2 * margin + y_area);
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, (FONT, 17))
                .margin(margin)
                .x_label_area_size(40)
                .y_label_area_size(y_area)
                .build_cartesian_2d(
                    width_axis(&hiddens, plot_w, size),
                    Axis::new(axis.bottom(), axis.hi, axis.major.clone()),
                )?;
            // The y axis is shared: named once per row of panels.
            let y_desc = if k % columns == 0 {
                format!("{headline} {word} (log scale)")
            } else {
                String::new()
            };
            chart
                .configure_mesh()
                .x_desc("n_hidden")
                .y_desc(y_desc)
                .x_label_formatter(&|v| format!("{}", v.round() as i64))
                .y_label_formatter(&|v| axis.label(v))
                .label_style((FONT, size))
                .axis_desc_style((FONT, 15))
                .bold_line_style(GRID)
                .light_line_style(GRID_LIGHT)
                .draw()?;
            draw_threshold(&mut chart, x0, x1, threshold)?;
            let unit = unit_px(&chart);
            for (i, s) in members.iter().enumerate() {
                let points: Vec<(f64, Shown)> = of_depth
                    .iter()
                    .filter(|r| Series::of_summary(r) == *s)
                    .filter_map(|r| {
                        shown(r.aggregate(headline), floor).map(|y| (r.n_hidden as f64, y))
                    })
                    .collect();
                let look = LineLook {
                    colour: categorical(i),
                    width: 2,
                    dashed: false,
                    filled: true,
                    radius: 3,
                    dx: dodge(i, members.len(), unit),
                };
                draw_line(&mut chart, &points, look)?;
            }
        }
        let mut entries: Vec<(String, Mark)> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), line_mark(categorical(i))))
            .collect();
        if axis.floor.is_some() {
            entries.push(floor_entry(floor, false));
        }
        entries.push(threshold_entry(threshold));
        legend(&side, &format!("{what} {word} (log)"), &entries)?;
        Ok(())
    })?;
    Ok(Plot {
        stem: format!("compare_{}", crate::draw::sanitize(&stem)),
        title,
        series: None,
        svg,
    })
}

/// (step, loss) points per instance, sorted by step.
type Instances = BTreeMap<u32, Vec<(u64, f64)>>;

/// Curves grouped by config and instance, sorted by step.
struct CurveIndex<'a> {
    by_config: HashMap<&'a str, Instances>,
}

impl<'a> CurveIndex<'a> {
    fn new(rows: &'a [CurveRow]) -> Self {
        let mut by_config: HashMap<&str, Instances> = HashMap::new();
        for r in rows {
            by_config
                .entry(&r.config_id)
                .or_default()
                .entry(r.instance)
                .or_default()
                .push((r.step, r.loss));
        }
        for instances in by_config.values_mut() {
            for points in instances.values_mut() {
                points.sort_by_key(|p| p.0);
            }
        }
        CurveIndex { by_config }
    }
}

/// Why the training-curves figure shows a config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum CurveRole {
    /// The next narrower n_hidden than the smallest that passes: it fails.
    JustBelow,
    /// No n_hidden of the row passes: the widest tested.
    WidestFailing,
    /// The smallest n_hidden that passes: the width at the threshold.
    Passes,
    /// A series whose instances differ in p has no pass rule: the widest tested.
    Widest,
}

impl CurveRole {
    fn colour(self) -> RGBColor {
        match self {
            CurveRole::Passes => PASS,
            CurveRole::JustBelow | CurveRole::WidestFailing => FAILS,
            CurveRole::Widest => MUTED,
        }
    }
}

/// The configs the training-curves figure shows for the `rows` of one depth (or n_features):
/// the smallest n_hidden that passes the `rule` ([`PassRule::passes`]) and the next narrower
/// one, which fails; or the widest tested when none passes. Narrowest first.
fn curve_picks<'r>(rows: &[&'r SummaryRow], rule: PassRule) -> Vec<(CurveRole, &'r SummaryRow)> {
    let mut sorted = rows.to_vec();
    sorted.sort_by_key(|r| r.n_hidden);
    match sorted.iter().position(|r| rule.passes(r)) {
        Some(0) => vec![(CurveRole::Passes, sorted[0])],
        Some(k) => vec![
            (CurveRole::JustBelow, sorted[k - 1]),
            (CurveRole::Passes, sorted[k]),
        ],
        None => sorted
            .last()
            .map(|r| vec![(CurveRole::WidestFailing, *r)])
            .unwrap_or_default(),
    }
}

/// 5. Train loss vs step, one panel per row (depth, or n_features without a tree), one line
///    per instance: the width at the threshold, i.e. the smallest n_hidden that passes the
///    `rule` next to the next narrower one, which fails (or the widest tested when none
///    passes) ([`curve_picks`]). A series whose instances differ in p has no pass rule: it
///    shows the widest config, its instances coloured and labelled with their p.
fn training_curves(
    series: &Series,
    rows: &[&SummaryRow],
    runs: &[&RunRow],
    index: &CurveIndex,
    rule: PassRule,
) -> Result<Option<Plot>> {
    let threshold = rule.threshold;
    let per_p = series.per_instance_p();
    let mut by_row: BTreeMap<u32, Vec<&SummaryRow>> = BTreeMap::new();
    for r in rows {
        by_row.entry(r.row_key()).or_default().push(r);
    }
    // Per panel: the configs shown, narrowest first, with their curves.
    let mut panels_data: Vec<Vec<(CurveRole, &SummaryRow, &Instances)>> = Vec::new();
    for of_row in by_row.values() {
        let picks = if per_p {
            of_row
                .iter()
                .filter(|r| index.by_config.contains_key(r.config_id.as_str()))
                .max_by_key(|r| r.n_hidden)
                .map(|r| vec![(CurveRole::Widest, *r)])
                .unwrap_or_default()
        } else {
            curve_picks(of_row, rule)
        };
        let shown: Vec<_> = picks
            .into_iter()
            .filter_map(|(role, r)| {
                let curves = index.by_config.get(r.config_id.as_str())?;
                Some((role, r, curves))
            })
            .collect();
        if !shown.is_empty() {
            panels_data.push(shown);
        }
    }
    if panels_data.is_empty() {
        return Ok(None);
    }
    let train_loss = rule.relative("train loss");
    let title = format!("Training curves ({train_loss}) — {}", series.label());
    let all = || {
        panels_data
            .iter()
            .flatten()
            .flat_map(|(_, _, i)| i.values().flatten())
    };
    let floor = display_floor(threshold);
    let axis = LogAxis::losses(all().map(|p| p.1).chain(std::iter::once(threshold)), floor);
    // Steps run 0..steps − 1: the axis ends at `steps`, a round number with a tick.
    let max_step = (all().map(|p| p.0).max().unwrap_or(1).max(1) + 1) as f64;
    let n_instances = panels_data
        .iter()
        .flatten()
        .map(|(_, _, i)| i.len())
        .max()
        .unwrap_or(0);
    // Instance k's p, from the first config shown (the configs of a series share the data).
    let p_of: BTreeMap<u32, f64> = match (per_p, panels_data.first()) {
        (true, Some(first)) => runs
            .iter()
            .filter(|r| r.config_id == first[0].1.config_id)
            .map(|r| (r.instance, r.feature_probability))
            .collect(),
        _ => BTreeMap::new(),
    };
    let row_word = if series.data.is_none() {
        "depth"
    } else {
        "n_features"
    };
    let first_line = format!(
        "{} before each logged step's update; one line per instance.",
        capitalised(&train_loss)
    );
    let mut footer = if per_p {
        first_line
    } else {
        format!(
            "{first_line}\nPer {row_word}: the smallest n_hidden that passes ({}: ✓) and the \
             next narrower one, or the widest tested if none passes.",
            rule.describe()
        )
    };
    if axis.floor.is_some() {
        footer.push_str(&format!("\n{}.", floor_note(floor)));
    }
    let (_, columns) = grid(panels_data.len());

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, Some(&footer), LEGEND_WIDTH)?;
        let panels = plot.split_evenly(grid(panels_data.len()));
        for (k, (panel, shown)) in panels.iter().zip(&panels_data).enumerate() {
            let first = shown[0].1;
            let widths: Vec<String> = shown
                .iter()
                .map(|(role, r, _)| match role {
                    CurveRole::Passes => format!("{} ✓", r.n_hidden),
                    CurveRole::JustBelow | CurveRole::WidestFailing => format!("{} ✗", r.n_hidden),
                    CurveRole::Widest => r.n_hidden.to_string(),
                })
                .collect();
            let caption = format!(
                "{}: n_hidden {}",
                row_name(first.depth, first.n_features),
                widths.join(", ")
            );
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, (FONT, 16))
                .margin(6)
                .x_label_area_size(40)
                .y_label_area_size(72)
                .build_cartesian_2d(
                    Axis::new(0.0, max_step, nice_ticks(0.0, max_step, 4)),
                    Axis::new(axis.bottom(), axis.hi, axis.major.clone()),
                )?;
            // The y axis is shared: named once per row of panels.
            let y_desc = if k % columns == 0 {
                format!("{train_loss} (log scale)")
            } else {
                String::new()
            };
            chart
                .configure_mesh()
                .x_desc("step")
                .y_desc(y_desc)
                .x_label_formatter(&fmt_step)
                .y_label_formatter(&|v| axis.label(v))
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 15))
                .bold_line_style(GRID)
                .draw()?;
            draw_threshold(&mut chart, 0.0, max_step, threshold)?;
            for (role, _, instances) in shown {
                for (i, points) in instances.values().enumerate() {
                    let line: Vec<(f64, f64)> = points
                        .iter()
                        .filter_map(|(s, l)| shown_log(*l, floor).map(|y| (*s as f64, y)))
                        .collect();
                    let colour = if per_p { categorical(i) } else { role.colour() };
                    chart.draw_series(LineSeries::new(line, colour.stroke_width(2)))?;
                }
            }
        }
        let line = |colour| Mark::Line {
            colour,
            width: 2,
            dashed: false,
            marker: false,
        };
        let mut entries: Vec<(String, Mark)> = Vec::new();
        if per_p {
            entries.extend((0..n_instances).map(|k| {
                let p = p_of
                    .get(&(k as u32))
                    .map_or(String::new(), |p| format!(" (p={})", fmt_p(*p)));
                (format!("instance {k}{p}"), line(categorical(k)))
            }));
        } else {
            let roles: BTreeSet<CurveRole> = panels_data
                .iter()
                .flatten()
                .map(|(role, _, _)| *role)
                .collect();
            if roles.contains(&CurveRole::Passes) {
                entries.push((
                    format!("smallest n_hidden that\npasses ({}) ✓", rule.short()),
                    line(PASS),
                ));
            }
            let below = roles.contains(&CurveRole::JustBelow);
            let widest = roles.contains(&CurveRole::WidestFailing);
            let failing = match (below, widest) {
                (true, true) => {
                    Some("next narrower n_hidden (fails),\nor the widest tested if\nnone passes")
                }
                (true, false) => Some("next narrower n_hidden\n(fails)"),
                (false, true) => Some("widest n_hidden tested\n(none passes)"),
                (false, false) => None,
            };
            if let Some(text) = failing {
                entries.push((text.to_owned(), line(FAILS)));
            }
        }
        entries.push(threshold_entry(threshold));
        let heading = if per_p {
            "Widest n_hidden".to_owned()
        } else {
            format!("Per {row_word}")
        };
        legend(&side, &heading, &entries)?;
        Ok(())
    })?;
    Ok(Some(Plot {
        stem: format!("curves_{}", series.slug()),
        title,
        series: Some(series.clone()),
        svg,
    }))
}

/// log10 of a loss as [`shown`] places it.
fn shown_log(v: f64, floor: f64) -> Option<f64> {
    shown(v, floor).map(|s| s.log)
}

fn fmt_step(v: &f64) -> String {
    let v = v.round();
    if v >= 10_000.0 && (v / 1000.0).fract() == 0.0 {
        format!("{}k", v / 1000.0)
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use resvg::usvg;

    pub(crate) fn run(
        depth: u32,
        n_hidden: u32,
        structure: &str,
        instance: u32,
        eval_loss: f64,
    ) -> RunRow {
        RunRow {
            config_id: format!("d{depth}-h{n_hidden}-b2-{structure}-binary-s0"),
            group: format!("d{depth}-b2-{structure}-binary"),
            structure: structure.into(),
            ..RunRow::seed_example(depth, n_hidden, instance, eval_loss)
        }
    }

    /// Two instances per config, both with `loss`.
    pub(crate) fn config(depth: u32, n_hidden: u32, structure: &str, loss: f64) -> [RunRow; 2] {
        [0, 1].map(|i| run(depth, n_hidden, structure, i, loss))
    }

    use crate::schema::test_rule as rule;

    /// The summary of `runs` and its charts at threshold 1e-5 with headline `aggregate`.
    fn charts(runs: &[RunRow], aggregate: Aggregate) -> (Vec<SummaryRow>, Vec<Plot>) {
        charts_by(runs, rule(Criterion::Loss, aggregate))
    }

    /// The summary of `runs` and its charts under `rule`.
    fn charts_by(runs: &[RunRow], rule: PassRule) -> (Vec<SummaryRow>, Vec<Plot>) {
        let summary = crate::summarize(runs);
        let min_rows = crate::min_hidden(&summary, rule.threshold);
        let plots = all_plots(&summary, &min_rows, runs, None, rule).unwrap();
        (summary, plots)
    }

    /// The texts of an SVG document, in order.
    pub(crate) fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().trim().to_owned())
            .collect()
    }

    /// Every text's box as the PNG renders it (SVG user units), and the canvas size.
    pub(crate) fn text_boxes(svg: &str) -> (usvg::Size, Vec<(String, usvg::Rect)>) {
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
        let tree = crate::draw::parse_svg(svg).unwrap();
        let mut out = Vec::new();
        walk(tree.root(), &mut out);
        (tree.size(), out)
    }

    /// The polygons of an SVG document: their points, parsed.
    pub(crate) fn polygons(svg: &str) -> Vec<Vec<(f64, f64)>> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("polygon"))
            .map(|n| {
                n.attribute("points")
                    .unwrap()
                    .split_whitespace()
                    .map(|p| {
                        let (x, y) = p.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect()
            })
            .collect()
    }

    fn plot<'a>(plots: &'a [Plot], prefix: &str) -> &'a Plot {
        plots
            .iter()
            .find(|p| p.stem.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} chart"))
    }

    #[test]
    fn log_axis_spans_whole_decades() {
        let a = LogAxis::positive([3e-6, 2e-2, -1.0, f64::NAN, 0.0]);
        assert_eq!((a.lo, a.hi), (-6.0, -1.0));
        assert_eq!(a.major, vec![-6.0, -5.0, -4.0, -3.0, -2.0, -1.0]);
        assert_eq!(a.minor.len(), 5 * 8);
        assert_eq!(a.label(&-5.0), "1e-5");
        assert_eq!(a.floor, None);
        assert_eq!(a.bottom(), a.lo);
        let flat = LogAxis::positive([1e-5]);
        assert_eq!((flat.lo, flat.hi), (-5.0, -4.0));
        let wide = LogAxis::positive([1e-20, 1.0]);
        assert!(wide.major.len() <= 11 && wide.minor.is_empty());
        // Losses all above the floor: the same axis, no floor.
        assert_eq!(LogAxis::losses([3e-6, 2e-2, -1.0, f64::NAN], 1e-8), a);
    }

    #[test]
    fn losses_below_the_floor_sit_at_it() {
        let floor = crate::display_floor(1e-5);
        assert_eq!(floor, 1e-8);
        // Rounding noise and exact zeros: at the floor, and marked so.
        for v in [0.0, 1e-25, 9.9e-9] {
            assert_eq!(
                shown(v, floor),
                Some(Shown {
                    log: floor.log10(),
                    floored: true
                }),
                "{v:e}"
            );
        }
        assert_eq!(shown(1e-8, floor).map(|s| s.floored), Some(false));
        assert_eq!(shown(3e-6, floor).map(|s| s.log), Some(3e-6f64.log10()));
        for v in [-1e-9, f64::NAN, f64::INFINITY] {
            assert_eq!(shown(v, floor), None);
        }

        // The axis starts at the floor, whose tick says `≤ 1e-8`; nothing below it.
        let a = LogAxis::losses([3e-6, 1e-25, 0.0, 2e-2], floor);
        assert_eq!(a.floor, Some((floor, floor.log10())));
        assert_eq!((a.lo, a.hi), (-8.0, -1.0));
        assert_eq!(
            a.major,
            vec![-8.0, -7.0, -6.0, -5.0, -4.0, -3.0, -2.0, -1.0]
        );
        assert_eq!(a.label(&-8.0), "≤ 1e-8");
        assert_eq!(a.label(&-7.0), "1e-7");
        assert!(a.minor.iter().all(|m| *m > -8.0));
        assert!(a.bottom() < a.lo && a.lo - a.bottom() < 0.5);

        // A floor between decades: its own tick, and no decade label crowding it.
        let odd = LogAxis::losses([0.0, 1e-3], 3e-8);
        assert!((odd.lo - 3e-8f64.log10()).abs() < 1e-12);
        assert_eq!(odd.label(&odd.major[0]), "≤ 3e-8");
        assert_eq!(odd.major[1], -7.0);
        assert!(odd.major.windows(2).all(|w| w[1] - w[0] >= 0.3));
    }

    #[test]
    fn floored_series_are_shifted_apart() {
        assert_eq!(dodge(0, 1, 70), 0);
        let three: Vec<i32> = (0..3).map(|i| dodge(i, 3, 70)).collect();
        assert_eq!(three, vec![-10, 0, 10]);
        // Narrow panels: closer, but never closer than 4 pixels.
        let narrow: Vec<i32> = (0..3).map(|i| dodge(i, 3, 10)).collect();
        assert_eq!(narrow, vec![-4, 0, 4]);
        let six: BTreeSet<i32> = (0..6).map(|i| dodge(i, 6, 70)).collect();
        assert_eq!(six.len(), 6);
        assert!(six.iter().max().unwrap() - six.iter().min().unwrap() <= 56);
    }

    /// Two structures solved to rounding noise at depth 1: both series sit at the floor of the
    /// comparison chart, each with a ▼ of its own, side by side; the axis stops at the floor.
    #[test]
    fn comparison_shows_every_series_at_the_floor() {
        let mut runs = Vec::new();
        runs.extend(config(1, 2, "tree", 0.0));
        runs.extend(config(1, 2, "independent", 1e-25));
        runs.extend(config(2, 2, "tree", 3e-3));
        runs.extend(config(2, 2, "independent", 5e-3));
        runs.extend(config(2, 3, "tree", 1e-16));
        runs.extend(config(2, 3, "independent", 2e-6));
        let (summary, plots) = charts(&runs, Aggregate::Mean);
        let compare = plot(&plots, "compare_");

        let t = texts(&compare.svg);
        assert!(t.iter().any(|s| s == "≤ 1e-8"), "{t:?}");
        assert!(
            !t.iter().any(|s| s.starts_with("1e-2") && s.len() > 4),
            "{t:?}"
        );
        assert!(t.iter().any(|s| s == "mean eval loss (log scale)"), "{t:?}");
        assert!(
            t.iter()
                .any(|s| s.starts_with("Losses below 1e-8 (1e-3 × threshold) are rounding noise")),
            "{t:?}"
        );
        // ▼ markers: depth 1 has both series at the floor, depth 2 one (n_hidden 3, tree); plus
        // the legend's. The two at depth 1 are side by side, not on top of each other.
        let markers = polygons(&compare.svg);
        assert_eq!(markers.len(), 3 + 1);
        let centre = |p: &[(f64, f64)]| p.iter().map(|q| q.0).sum::<f64>() / p.len() as f64;
        let lowest = |p: &[(f64, f64)]| p.iter().map(|q| q.1).fold(f64::MIN, f64::max);
        let (a, b) = (&markers[0], &markers[1]);
        assert!((centre(a) - centre(b)).abs() >= 6.0, "{a:?} {b:?}");
        assert_eq!(lowest(a), lowest(b));
        // The CSV numbers stay exact: the summary keeps the zero.
        assert!(summary.iter().any(|r| r.mean == 0.0));
        assert!(summary.iter().any(|r| r.mean == 1e-25));
    }

    /// Widths 1–10 and 12–32 on one linear axis: the tick labels of the comparison and loss
    /// charts never run together (`12345678910`), the widest width is labelled, and the
    /// comparison's title names what differs between its series.
    #[test]
    fn width_ticks_never_overlap_and_comparisons_name_what_differs() {
        let widths: Vec<u32> = (1..=10).chain([12, 14, 16, 20, 24, 32]).collect();
        let series = |structure: &str, importance: &str| -> Vec<RunRow> {
            let mut runs = Vec::new();
            for depth in 1..=3 {
                for h in &widths {
                    let loss = 10f64.powf(-f64::from(*h) / f64::from(depth));
                    runs.extend(config(depth, *h, structure, loss).map(|r| RunRow {
                        config_id: format!("{}-i{importance}", r.config_id),
                        group: format!("{}-i{importance}", r.group),
                        importance: importance.into(),
                        ..r
                    }));
                }
            }
            runs
        };
        let charts_of = |parts: &[(&str, &str)]| -> Vec<Plot> {
            let runs: Vec<RunRow> = parts.iter().flat_map(|(s, i)| series(s, i)).collect();
            charts(&runs, Aggregate::Mean).1
        };
        let plots = charts_of(&[("tree", "1"), ("tree", "0.5^(level-1)")]);
        let compare = plot(&plots, "compare_");
        assert!(
            compare.title.contains(" by importance — "),
            "{}",
            compare.title
        );
        for chart in [compare, plot(&plots, "loss_vs_hidden_")] {
            let (_, boxes) = text_boxes(&chart.svg);
            let ticks: Vec<&(String, usvg::Rect)> = (boxes.iter())
                .filter(|(s, _)| s.parse::<u32>().is_ok())
                .collect();
            assert!(ticks.len() >= 4, "{}: {ticks:?}", chart.stem);
            assert!(
                ticks.iter().any(|(s, _)| s == "32"),
                "{}: {ticks:?}",
                chart.stem
            );
            for (i, (s, a)) in ticks.iter().enumerate() {
                for (t, b) in &ticks[i + 1..] {
                    let overlap = a.left() < b.right()
                        && b.left() < a.right()
                        && a.top() < b.bottom()
                        && b.top() < a.bottom();
                    assert!(!overlap, "{}: {s:?} {a:?} overlaps {t:?} {b:?}", chart.stem);
                }
            }
        }
        let title = |parts: &[(&str, &str)]| plot(&charts_of(parts), "compare_").title.clone();
        let structures = title(&[("tree", "1"), ("independent", "1")]);
        assert!(structures.contains(" by structure — "), "{structures}");
        let both = title(&[("tree", "1"), ("independent", "0.9^i")]);
        assert!(both.contains(" by structure and importance — "), "{both}");
    }

    /// With the sum as headline, one diverged instance makes the cell NaN: it says how many of
    /// its instances diverged, unlike a cell whose instances all did.
    #[test]
    fn heatmap_cells_of_partly_diverged_sums_count_the_diverged() {
        let mut runs = Vec::new();
        runs.extend(config(2, 2, "tree", 1e-3));
        runs.extend(config(2, 3, "tree", 1e-3));
        runs.extend(config(2, 4, "tree", 1e-3));
        let diverge = |r: &mut RunRow| {
            r.eval_loss = f64::NAN;
            r.diverged = true;
        };
        diverge(&mut runs[2]);
        diverge(&mut runs[4]);
        diverge(&mut runs[5]);
        let (_, plots) = charts(&runs, Aggregate::Sum);
        let t = texts(&plot(&plots, "heatmap_").svg);
        for want in ["2.00e-3", "1/2 diverged", "diverged"] {
            assert!(t.iter().any(|s| s == want), "{want} not in {t:?}");
        }
    }

    /// The heatmap's colour scale starts at the floor, not at the noise; floored cells read
    /// `≤1e-8`, cells near the threshold show on which side of it they are.
    #[test]
    fn heatmap_scale_starts_at_the_floor() {
        let mut runs = Vec::new();
        runs.extend(config(1, 2, "tree", 0.0));
        runs.extend(config(2, 2, "tree", 1.04e-5));
        runs.extend(config(2, 3, "tree", 9.96e-6));
        runs.extend(config(2, 4, "tree", 1e-21));
        let (_, plots) = charts(&runs, Aggregate::Mean);
        let heatmap = plot(&plots, "heatmap_");
        let t = texts(&heatmap.svg);
        for want in ["✓ ≤1e-8", "1.04e-5", "✓ 9.96e-6", "≤ 1e-8"] {
            assert!(t.iter().any(|s| s == want), "{want} not in {t:?}");
        }
        // No tick of the colour bar below the floor.
        assert!(!t.iter().any(|s| s == "1e-21" || s == "1e-9"), "{t:?}");
        assert!(t.iter().any(|s| s.contains("rounding noise")), "{t:?}");

        // Without losses below the floor: no floor tick, no note.
        let runs: Vec<RunRow> = config(2, 3, "tree", 2e-6).into_iter().collect();
        let (_, plots) = charts(&runs, Aggregate::Mean);
        let t = texts(&plot(&plots, "heatmap_").svg);
        assert!(
            !t.iter()
                .any(|s| s.contains('≤') || s.contains("rounding noise")),
            "{t:?}"
        );
    }

    #[test]
    fn curves_show_the_width_at_the_threshold() {
        let t = 1e-5;
        let mut runs = Vec::new();
        // Depth 2: 2 fails, 3 passes, 4 passes -> 2 and 3.
        runs.extend(config(2, 2, "tree", 1e-3));
        runs.extend(config(2, 3, "tree", 1e-7));
        runs.extend(config(2, 4, "tree", 1e-9));
        // Depth 3: nothing passes -> the widest, 4.
        runs.extend(config(3, 2, "tree", 1e-2));
        runs.extend(config(3, 4, "tree", 2e-5));
        runs.extend(config(3, 3, "tree", 1e-3));
        // Depth 1: the narrowest passes -> only it.
        runs.extend(config(1, 2, "tree", 0.0));
        let summary = crate::summarize(&runs);
        let of_depth =
            |d: u32| -> Vec<&SummaryRow> { summary.iter().filter(|r| r.depth == d).collect() };
        let picks = |d: u32| -> Vec<(CurveRole, u32)> {
            curve_picks(&of_depth(d), rule(Criterion::Loss, Aggregate::Mean))
                .into_iter()
                .map(|(role, r)| (role, r.n_hidden))
                .collect()
        };
        assert_eq!(
            picks(2),
            vec![(CurveRole::JustBelow, 2), (CurveRole::Passes, 3)]
        );
        assert_eq!(picks(3), vec![(CurveRole::WidestFailing, 4)]);
        assert_eq!(picks(1), vec![(CurveRole::Passes, 2)]);

        // The pass rule is the headline's: a diverged instance fails the mean, not the min.
        let mut runs = Vec::new();
        runs.extend(config(2, 2, "tree", 1e-3));
        let mut three = config(2, 3, "tree", 1e-7);
        three[1].diverged = true;
        three[1].eval_loss = f64::NAN;
        runs.extend(three);
        runs.extend(config(2, 4, "tree", 1e-7));
        let summary = crate::summarize(&runs);
        let rows: Vec<&SummaryRow> = summary.iter().collect();
        let widths = |a: Aggregate| -> Vec<u32> {
            curve_picks(&rows, rule(Criterion::Loss, a))
                .iter()
                .map(|(_, r)| r.n_hidden)
                .collect()
        };
        assert_eq!(widths(Aggregate::Mean), vec![3, 4]);
        assert_eq!(widths(Aggregate::Min), vec![2, 3]);

        // The chart: captions name both widths, the legend says which is which.
        let curves: Vec<CurveRow> = runs
            .iter()
            .flat_map(|r| {
                (0..3).map(move |k| CurveRow {
                    config_id: r.config_id.clone(),
                    instance: r.instance,
                    step: 100 * k,
                    loss: if k == 2 { 0.0 } else { 1e-2 },
                })
            })
            .collect();
        let min_rows = crate::min_hidden(&summary, t);
        let plots = all_plots(
            &summary,
            &min_rows,
            &runs,
            Some(&curves),
            rule(Criterion::Loss, Aggregate::Mean),
        )
        .unwrap();
        let text = texts(&plot(&plots, "curves_").svg);
        for want in [
            "depth 2: n_hidden 3 ✗, 4 ✓",
            "smallest n_hidden that",
            "passes (mean < 1.0e-5) ✓",
            "next narrower n_hidden",
            "train loss (log scale)",
            "≤ 1e-8",
        ] {
            assert!(text.iter().any(|s| s == want), "{want} not in {text:?}");
        }
    }

    #[test]
    fn step_labels() {
        assert_eq!(fmt_step(&20000.0), "20k");
    }

    /// Series with exact evaluation get a decoded-vs-n_hidden chart: a fraction axis from 0 to
    /// 1, a line per depth; series without get none.
    #[test]
    fn decoded_chart_only_with_exact_evaluation() {
        let exact = |depth, n_hidden, instance, decoded| RunRow {
            exact_loss: Some(1e-3),
            decoded: Some(decoded),
            ..run(depth, n_hidden, "tree0.5", instance, 1e-3)
        };
        let runs = [
            exact(1, 2, 0, 1.0),
            exact(1, 2, 1, 1.0),
            exact(2, 2, 0, 0.5),
            exact(2, 2, 1, 0.75),
            exact(2, 3, 0, 1.0),
            exact(2, 3, 1, 1.0),
        ];
        let (_, plots) = charts(&runs, Aggregate::Mean);
        let t = texts(&plot(&plots, "decoded_vs_hidden_").svg);
        for expected in [
            "depth 1 (n_features 2)",
            "depth 2 (n_features 6)",
            "every instance",
            "best instance",
            "0.00",
            "1.00",
            "fraction of possible samples decoded",
        ] {
            assert!(t.iter().any(|s| s == expected), "{expected}: {t:?}");
        }
        // The widths at which every instance decodes, as bars beside the loss threshold's.
        let bars = plot(&plots, "min_hidden_decoded_mean");
        assert_eq!(
            bars.title,
            "Smallest n_hidden at which every instance decodes every possible sample"
        );
        let t = texts(&bars.svg);
        assert!(
            t.iter().any(|s| s == "min n_hidden (every sample decoded)"),
            "{t:?}"
        );
        let (_, plots) = charts(&config(2, 2, "tree0.5", 1e-3), Aggregate::Mean);
        assert!(
            !plots
                .iter()
                .any(|p| p.stem.starts_with("decoded_vs_hidden_")
                    || p.stem.starts_with("min_hidden_decoded"))
        );
    }

    /// By decoding, the heatmap marks the configs whose instances decode every sample, not
    /// those below the loss threshold; the decoded bars come first; the training curves pick
    /// the width at which decoding starts.
    #[test]
    fn the_decoding_criterion_decides_the_marks_bars_and_curves() {
        // Width 2 passes the loss (1e-7) but one instance decodes half; width 3 decodes all.
        let exact = |n_hidden, instance, decoded| RunRow {
            exact_loss: Some(1e-7),
            decoded: Some(decoded),
            ..run(2, n_hidden, "tree0.5", instance, 1e-7)
        };
        let runs = [
            exact(2, 0, 1.0),
            exact(2, 1, 0.5),
            exact(3, 0, 1.0),
            exact(3, 1, 1.0),
        ];
        let marked = |plots: &[Plot]| -> Vec<String> {
            texts(&plot(plots, "heatmap_").svg)
                .into_iter()
                .filter(|s| s.starts_with('✓'))
                .collect()
        };
        let (_, by_loss) = charts(&runs, Aggregate::Mean);
        assert_eq!(marked(&by_loss).len(), 2, "both widths pass the loss");
        // Exact evaluation names its loss so.
        assert!(
            plot(&by_loss, "heatmap_")
                .title
                .starts_with("Exact loss by depth")
        );
        let t = texts(&plot(&by_loss, "loss_vs_hidden_").svg);
        assert!(t.iter().any(|s| s == "exact loss (log scale)"), "{t:?}");
        let (summary, by_decoding) = charts_by(&runs, rule(Criterion::Decoded, Aggregate::Mean));
        assert_eq!(marked(&by_decoding).len(), 1, "only width 3 decodes");
        // The colour bar's threshold line (two points, the outlines' width) shows only where the
        // outlines follow that threshold: losses on both sides of it put it on the bar.
        let spread: Vec<RunRow> = (runs.iter().cloned())
            .map(|r| match r.n_hidden {
                2 => RunRow {
                    exact_loss: Some(1e-3),
                    ..r
                },
                _ => r,
            })
            .collect();
        let bar_lines = |plots: &[Plot]| {
            let svg = &plot(plots, "heatmap_").svg;
            (svg.split("<polyline").skip(1))
                .filter(|p| p.contains("stroke-width=\"4\"") && p.matches(',').count() == 2)
                .count()
        };
        let by = |criterion| charts_by(&spread, rule(criterion, Aggregate::Mean)).1;
        assert_eq!(bar_lines(&by(Criterion::Loss)), 1);
        assert_eq!(bar_lines(&by(Criterion::Decoded)), 0);
        let footer = texts(&plot(&by_decoding, "heatmap_").svg);
        assert!(
            footer
                .iter()
                .any(|s| s
                    .contains("✓ + orange outline: every instance decodes every possible sample")),
            "{footer:?}"
        );
        let stems: Vec<&str> = by_decoding
            .iter()
            .filter(|p| p.stem.starts_with("min_hidden"))
            .map(|p| p.stem.as_str())
            .collect();
        assert_eq!(
            stems,
            [
                "min_hidden_decoded_mean",
                "min_hidden_decoded_min",
                "min_hidden_mean"
            ]
        );
        // The best instance decodes at width 2 already.
        let (_, best) = charts_by(&runs, rule(Criterion::Decoded, Aggregate::Min));
        assert_eq!(marked(&best).len(), 2);
        let rows: Vec<&SummaryRow> = summary.iter().collect();
        let picks: Vec<(CurveRole, u32)> =
            curve_picks(&rows, rule(Criterion::Decoded, Aggregate::Mean))
                .into_iter()
                .map(|(role, r)| (role, r.n_hidden))
                .collect();
        assert_eq!(picks, [(CurveRole::JustBelow, 2), (CurveRole::Passes, 3)]);
    }

    /// With many columns the numbers do not fit their cells: the marks stay, the footer says.
    #[test]
    fn a_wide_heatmap_keeps_its_marks_and_drops_numbers_that_do_not_fit() {
        let narrow: Vec<RunRow> = (2..=4).flat_map(|h| config(5, h, "tree", 1e-7)).collect();
        let (_, plots) = charts(&narrow, Aggregate::Mean);
        let t = texts(&plot(&plots, "heatmap_").svg);
        assert!(t.iter().any(|s| s == "✓ 1.00e-7"), "{t:?}");
        assert!(!t.iter().any(|s| s.contains("too wide")), "{t:?}");

        let wide: Vec<RunRow> = (2..=22)
            .flat_map(|h| config(5, h, "tree", if h < 10 { 1.234e-3 } else { 1e-7 }))
            .collect();
        let (_, plots) = charts(&wide, Aggregate::Mean);
        let t = texts(&plot(&plots, "heatmap_").svg);
        assert_eq!(t.iter().filter(|s| *s == "✓").count(), 13, "{t:?}");
        assert!(
            !t.iter()
                .any(|s| s.contains('.') && s.parse::<f64>().is_ok()),
            "{t:?}"
        );
        assert!(
            t.iter()
                .any(|s| s.starts_with("Numbers too wide for their cells")),
            "{t:?}"
        );
    }

    /// The mean's min-n_hidden bars of `runs` at threshold 1e-5 (by decoding when
    /// `decoded`), each answer row first changed by `edit`.
    fn bars(runs: &[RunRow], decoded: bool, edit: impl Fn(&mut MinHiddenRow)) -> Plot {
        let mut rows = crate::min_hidden(&crate::summarize(runs), 1e-5);
        rows.iter_mut().for_each(edit);
        let rows: Vec<&MinHiddenRow> = rows.iter().collect();
        min_hidden_bars(&rows, true, Aggregate::Mean, 1e-5, decoded).unwrap()
    }

    /// Depth 2 tested at n_hidden 2..=`widest`, passing from 5 on.
    fn passes_at_five(widest: u32) -> Vec<RunRow> {
        (2..=widest)
            .flat_map(|h| config(2, h, "tree", if h < 5 { 1e-3 } else { 1e-7 }))
            .collect()
    }

    /// An answer that more steps may lower reads `5↓` as in the tables, and the footer says
    /// what `↓` means in one line; without one, no `↓` anywhere.
    #[test]
    fn bars_mark_answers_that_more_steps_may_lower() {
        let runs = passes_at_five(6);
        let plain = texts(&bars(&runs, false, |_| {}).svg);
        assert!(plain.iter().any(|s| s == "5"), "{plain:?}");
        assert!(!plain.iter().any(|s| s.contains('↓')), "{plain:?}");

        let t = texts(&bars(&runs, false, |r| r.still_falling = Some(1)).svg);
        assert!(t.iter().any(|s| s == "5↓"), "{t:?}");
        let note = falling_note(">max", false);
        assert!(t.contains(&note), "{t:?}");
        assert!(note.starts_with("↓: a narrower width (any tested one, for >max) was still"));
        assert!(fits_in(&note, 14, PLOT_WIDTH - 16), "{note}");

        // Decoded bars follow `still_falling_decoded`, not the loss's.
        let decoded = |loss: u32, decoded: u32| {
            let chart = bars(&runs, true, |r| {
                r.min_n_hidden_decoded = Some(r.min_n_hidden);
                r.still_falling = Some(loss);
                r.still_falling_decoded = Some(decoded);
            });
            texts(&chart.svg)
        };
        assert!(!decoded(1, 0).iter().any(|s| s.contains('↓')));
        assert!(decoded(0, 1).iter().any(|s| s == "5↓"));

        // A wider width failing again: `↑` after `↓`, and a second footer line.
        assert!(!t.iter().any(|s| s.contains('↑')), "{t:?}");
        let t = texts(
            &bars(&runs, false, |r| {
                r.still_falling = Some(1);
                r.wider_failing = Some(1);
            })
            .svg,
        );
        assert!(t.iter().any(|s| s == "5↓↑"), "{t:?}");
        assert!(
            t.contains(&note) && t.contains(&WIDER_FAILS_NOTE.to_owned()),
            "{t:?}"
        );
        assert!(fits_in(WIDER_FAILS_NOTE, 14, PLOT_WIDTH - 16));
    }

    /// The y axis ends a little above the tallest bar drawn, not at the widest width tested;
    /// a hatched `none` bar (at max tested + 1) counts, and its legend entry shows only then.
    #[test]
    fn bars_fit_the_y_axis_and_explain_hatching_only_when_drawn() {
        let numbers =
            |t: &[String]| -> Vec<u32> { t.iter().filter_map(|s| s.parse().ok()).collect() };
        let t = texts(&bars(&passes_at_five(12), false, |_| {}).svg);
        // The x axis has depth 2; the y axis 0..=5, not up to the widest tested, 12.
        assert_eq!(numbers(&t).into_iter().max(), Some(5), "{t:?}");
        assert!(!t.iter().any(|s| s.starts_with(">max")), "{t:?}");

        let mut runs = passes_at_five(12);
        runs.extend((2..=9).flat_map(|h| config(3, h, "tree", 1e-3)));
        let t = texts(&bars(&runs, false, |_| {}).svg);
        assert!(t.iter().any(|s| s == ">9"), "{t:?}");
        assert!(t.iter().any(|s| s == ">max: no width reaches it;"), "{t:?}");
        assert_eq!(numbers(&t).into_iter().max(), Some(10), "{t:?}");

        for tallest in [1, 2, 5, 10, 13, 21, 64, 130] {
            let axis = bar_axis(tallest);
            let top = f64::from(tallest);
            assert!(axis.hi > top + 0.3 && axis.hi < 1.1 * top + 0.5, "{axis:?}");
            assert!(axis.bold.iter().all(|t| t.fract() == 0.0), "{axis:?}");
            assert!(axis.bold.len() >= 2 && axis.bold.len() <= 11, "{axis:?}");
            assert!(axis.bold.last().is_some_and(|t| *t > 0.6 * top), "{axis:?}");
        }
    }

    /// An answer that is only an upper bound (the narrowest width tested passes) reads `≤2`,
    /// is drawn lighter than a real answer, and the legend says why; only when there is one.
    #[test]
    fn bars_show_upper_bounds_as_such() {
        let light = |svg: &str| {
            let bound = lighten(categorical(0), BOUND_LIGHTEN);
            let hex = format!("#{:02X}{:02X}{:02X}", bound.0, bound.1, bound.2);
            let doc = roxmltree::Document::parse(svg).unwrap();
            doc.descendants()
                .filter(|n| n.has_tag_name("rect"))
                .any(|n| n.attribute("fill") == Some(hex.as_str()))
        };
        let runs: Vec<RunRow> = (2..=4).flat_map(|h| config(1, h, "tree", 0.0)).collect();
        let chart = bars(&runs, false, |_| {});
        let t = texts(&chart.svg);
        assert!(t.iter().any(|s| s == "≤2"), "{t:?}");
        assert!(t.iter().any(|s| s.starts_with("≤n (light)")), "{t:?}");
        assert!(light(&chart.svg));

        let chart = bars(&passes_at_five(6), false, |_| {});
        let t = texts(&chart.svg);
        assert!(!t.iter().any(|s| s.contains('≤')), "{t:?}");
        assert!(!light(&chart.svg));
    }

    /// A heatmap names its series as the loss-vs-n_hidden chart does, seed included, so that
    /// the heatmaps of two seeds tell apart.
    #[test]
    fn heatmap_titles_name_the_seed() {
        let with_seed = |seed: u64| -> Vec<RunRow> {
            (config(2, 3, "tree", 1e-3).into_iter())
                .map(|r| RunRow {
                    seed: seed.into(),
                    ..r
                })
                .collect()
        };
        let title = |seed: u64, prefix: &str| {
            let (_, plots) = charts(&with_seed(seed), Aggregate::Mean);
            plot(&plots, prefix).title.clone()
        };
        let series = |title: &str| title.split_once(" — ").unwrap().1.to_owned();
        let heatmap = title(7, "heatmap_");
        assert!(heatmap.ends_with(", seed 7"), "{heatmap}");
        assert_eq!(series(&heatmap), series(&title(7, "loss_vs_hidden_")));
        assert_ne!(heatmap, title(8, "heatmap_"));
    }

    /// Every cell's number has three significant figures, passing or not, where they fit;
    /// where three do not fit every cell, two in every cell rather than a mix.
    #[test]
    fn heatmap_numbers_read_alike() {
        let figures = |widest: u32| -> (BTreeSet<usize>, Vec<String>) {
            let runs: Vec<RunRow> = (2..=widest)
                .flat_map(|h| config(2, h, "tree", if h % 2 == 0 { 7.4e-5 } else { 6.333e-6 }))
                .collect();
            let (_, plots) = charts(&runs, Aggregate::Mean);
            let t = texts(&plot(&plots, "heatmap_").svg);
            let numbers = (t.iter())
                .map(|s| s.trim_start_matches("✓ "))
                .filter(|s| s.contains('.') && s.parse::<f64>().is_ok())
                .map(|s| s.split('e').next().unwrap().replace('.', "").len())
                .collect();
            (numbers, t)
        };
        let (numbers, t) = figures(3);
        assert_eq!(numbers, BTreeSet::from([3]), "{t:?}");
        assert!(t.iter().any(|s| s == "7.40e-5"), "{t:?}");
        assert!(t.iter().any(|s| s == "✓ 6.33e-6"), "{t:?}");
        assert_eq!(figures(12).0, BTreeSet::from([3]));
        // 12 columns: `✓ 6.33e-6` would not fit, `✓ 6.3e-6` does, and so every cell has two.
        let (numbers, t) = figures(13);
        assert_eq!(numbers, BTreeSet::from([2]), "{t:?}");
        assert!(t.iter().any(|s| s == "✓ 6.3e-6"), "{t:?}");
        assert!(
            !t.iter().any(|s| s.starts_with("Numbers too wide")),
            "{t:?}"
        );
    }
}
