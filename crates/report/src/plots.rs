//! The charts, drawn as SVG documents with plotters and the [`crate::draw`] toolkit.
//!
//! Loss axes are log10 axes: values are plotted as `log10(loss)` on a linear axis whose ticks
//! are labelled `1e-5`, `1e-4`, …. A loss of exactly 0 (a perfect fit, as the seed's depth 1
//! reaches) is drawn at [`ZERO_FLOOR`] and labelled 0; negative or non-finite losses have no place
//! on such an axis and are left out of the lines (a heatmap cell shows them as "diverged").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use crate::analysis::{Series, fmt_p, has_tree, is_diverged, row_name, series_of, short_labels};
use crate::draw::{
    Area, Axis, FONT, GRID, GRID_LIGHT, LEGEND_WIDTH, MISSING, MUTED, Mark, PLOT_HEIGHT,
    PLOT_WIDTH, categorical, chart_frame, colour_bar, fmt_loss, hatch, is_dark, legend, nice_ticks,
    outline, svg_document, text_style, viridis,
};
use crate::schema::{Aggregate, CurveRow, MinHiddenRow, RunRow, SummaryRow};

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

const DIVERGED: RGBColor = RGBColor(150, 150, 150);
const PASS: RGBColor = RGBColor(255, 127, 14);

/// An ordinal colour for the `i`-th of `n` depths (dark = shallow, light = deep).
fn depth_colour(i: usize, n: usize) -> RGBColor {
    viridis(0.88 * i as f64 / (n.max(2) - 1) as f64)
}

/// A log10 loss axis: its range and major (decade) and minor (2..9 × decade) ticks.
struct LogAxis {
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl LogAxis {
    fn new(values: impl IntoIterator<Item = f64>) -> LogAxis {
        let logs: Vec<f64> = values.into_iter().filter_map(log_point).collect();
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
        let major: Vec<f64> = (0..)
            .map(|k| lo + k as f64 * step)
            .take_while(|v| *v <= hi + 1e-9)
            .collect();
        let minor = if step == 1.0 && hi - lo <= 7.0 {
            major
                .iter()
                .filter(|e| **e < hi)
                .flat_map(|e| (2..10).map(move |k| e + (k as f64).log10()))
                .collect()
        } else {
            Vec::new()
        };
        LogAxis {
            lo,
            hi,
            major,
            minor,
        }
    }

    /// The chart coordinate: this range, decades as labelled ticks, minor ticks as light lines.
    fn coord(&self) -> Axis {
        Axis::new(self.lo, self.hi, self.major.clone()).with_light(self.minor.clone())
    }

    fn label(v: &f64) -> String {
        format!("1e{}", v.round() as i64)
    }

    fn fraction(&self, log_value: f64) -> f64 {
        (log_value - self.lo) / (self.hi - self.lo)
    }
}

/// `log10(v)` for a value a log axis can show.
/// Where an exact zero loss sits on a log axis.
pub const ZERO_FLOOR: f64 = 1e-20;

fn log_point(v: f64) -> Option<f64> {
    if v == 0.0 {
        return Some(ZERO_FLOOR.log10());
    }
    (v.is_finite() && v > 0.0).then(|| v.log10())
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

/// Room for legend text beside a chart: [`LEGEND_WIDTH`] less the mark column.
const LEGEND_TEXT_WIDTH: u32 = LEGEND_WIDTH - 54;

/// `label` with `, ` turned into line breaks where a line would not fit in a legend, measured
/// with the chart font (a data set's label is long: `sparse F=20, p=0.01, importance 0.9^i`).
fn fit_legend(label: &str) -> String {
    let font = (FONT, 15).into_font();
    let fits = |line: &str| {
        crate::draw::ensure_font().is_ok()
            && font
                .box_size(line)
                .is_ok_and(|(w, _)| w <= LEGEND_TEXT_WIDTH)
    };
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
    lines.join("\n")
}

/// Legend labels of `series` ([`short_labels`]), wrapped to the legend.
fn legend_labels(series: &[Series]) -> Vec<String> {
    short_labels(series).iter().map(|l| fit_legend(l)).collect()
}

/// `mean eval loss over instances`: what a chart of the `headline` aggregate shows.
fn loss_over_instances(headline: Aggregate) -> String {
    match headline {
        Aggregate::Sum => "eval loss summed over instances".to_owned(),
        a => format!("{a} eval loss over instances"),
    }
}

/// Every chart of a run; `headline` is the aggregate the heatmaps, loss-vs-n_hidden charts
/// (solid line) and comparison charts show, and whose min-n_hidden chart comes first (then the
/// min's, unless the headline is the min).
///
/// A series whose instances differ in feature probability gets the loss-vs-1/p chart instead
/// of the heatmap and loss-vs-n_hidden chart, and stays out of the min-hidden and comparison
/// charts: their statistics across instances would mix data sets.
pub(crate) fn all_plots(
    summary: &[SummaryRow],
    min_hidden_rows: &[MinHiddenRow],
    runs: &[RunRow],
    curves: Option<&[CurveRow]>,
    threshold: f64,
    headline: Aggregate,
) -> Result<Vec<Plot>> {
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
        let mut aggregates = vec![headline];
        if headline != Aggregate::Min {
            aggregates.push(Aggregate::Min);
        }
        for aggregate in aggregates {
            plots.push(min_hidden_bars(&rows, tree, aggregate, threshold)?);
        }
    }
    let mut groups: BTreeMap<(bool, u32, String, u64), Vec<Series>> = BTreeMap::new();
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
            plots.push(loss_vs_inverse_p(s, &series_runs, threshold)?);
        } else {
            plots.push(heatmap(s, &rows, threshold, headline)?);
            plots.push(loss_vs_hidden(s, &rows, threshold, headline)?);
        }
        if let Some(index) = &curve_index
            && let Some(plot) = training_curves(s, &rows, &series_runs, index, threshold)?
        {
            plots.push(plot);
        }
    }
    Ok(plots)
}

fn distinct<T: Ord + Copy>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    values
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// 1. The `headline` aggregate of the eval loss (mean by default) by row (depth, or n_features
///    without a tree) and `n_hidden` (columns), log colour scale; ✓ where the config passes
///    ([`SummaryRow::passes`]), † where some instances diverged.
fn heatmap(
    series: &Series,
    rows: &[&SummaryRow],
    threshold: f64,
    headline: Aggregate,
) -> Result<Plot> {
    let tree = series.data.is_none();
    let title = format!(
        "Eval loss by {} and n_hidden — {}",
        if tree { "depth" } else { "n_features" },
        series.label_without_seed()
    );
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let cells: HashMap<(u32, u32), &SummaryRow> = rows
        .iter()
        .map(|r| ((r.row_key(), r.n_hidden), *r))
        .collect();
    let n_features: HashMap<u32, u32> = rows.iter().map(|r| (r.row_key(), r.n_features)).collect();
    let value = |r: &SummaryRow| r.aggregate(headline);
    let scale = LogAxis::new(rows.iter().map(|r| value(r)));
    let colour_of = |v: f64| viridis(scale.fraction(v.log10()));
    let (nx, ny) = (hiddens.len(), depths.len());
    // † marks a cell with some (not all) instances diverged: shown, but only the min may pass.
    let partly_diverged = |r: &SummaryRow| r.n_diverged > 0 && log_point(value(r)).is_some();

    let mut footer = format!(
        "Cell: {}.  ✓ + orange outline: below the threshold {}.  — : \
         not run.  Exact 0 sits at the bottom of the scale.",
        loss_over_instances(headline),
        fmt_loss(threshold)
    );
    if rows.iter().any(|r| partly_diverged(r)) {
        footer.push_str(&format!(
            "  †: some diverged{}.",
            if headline.needs_every_instance() {
                " (no ✓)"
            } else {
                ""
            }
        ));
    }

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (main, bar) = chart_frame(root, &title, Some(&footer), 190)?;

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
            .y_label_area_size(110)
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

        let font = if nx > 10 { 12 } else { 15 };
        for (i, depth) in depths.iter().enumerate() {
            let y = row_of(i);
            for (j, n_hidden) in hiddens.iter().enumerate() {
                let x = j as f64;
                let rect = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
                let (fill, text, ink) = match cells.get(&(*depth, *n_hidden)) {
                    None => (MISSING, "—".to_owned(), MUTED),
                    Some(r) if log_point(value(r)).is_none() => {
                        (DIVERGED, "diverged".to_owned(), WHITE)
                    }
                    Some(r) => {
                        let v = value(r);
                        let c = colour_of(v.max(ZERO_FLOOR));
                        let mark = if r.passes(headline, threshold) {
                            "✓ "
                        } else {
                            ""
                        };
                        let dagger = if partly_diverged(r) { " †" } else { "" };
                        let ink = if is_dark(c) { WHITE } else { BLACK };
                        let shown = if v == 0.0 {
                            "0".to_owned()
                        } else {
                            fmt_loss(v)
                        };
                        (c, format!("{mark}{shown}{dagger}"), ink)
                    }
                };
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
                    .is_some_and(|r| r.passes(headline, threshold))
                {
                    let (x, y) = (j as f64, row_of(i));
                    chart.draw_series(std::iter::once(outline(
                        [(x - 0.45, y - 0.45), (x + 0.45, y + 0.45)],
                        PASS.stroke_width(4),
                    )))?;
                }
            }
        }

        loss_colour_bar(&bar, &scale, threshold, headline)
    })?;
    Ok(Plot {
        stem: format!("heatmap_{}", series.slug()),
        title,
        series: Some(series.clone()),
        svg,
    })
}

/// The heatmap's log colour scale, with the threshold marked.
fn loss_colour_bar(
    area: &Area,
    scale: &LogAxis,
    threshold: f64,
    headline: Aggregate,
) -> Result<()> {
    let mut chart = colour_bar(
        area,
        Axis::new(scale.lo, scale.hi, scale.major.clone()),
        &format!("eval loss ({headline} over instances, log10)"),
        &LogAxis::label,
        |y| viridis(scale.fraction(y)),
    )?;
    if let Some(t) = log_point(threshold).filter(|t| (scale.lo..=scale.hi).contains(t)) {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, t), (1.0, t)],
            PASS.stroke_width(4),
        )))?;
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
    let title = format!("Eval loss vs n_hidden — {}", series.label());
    let depths = distinct(rows.iter().map(|r| r.row_key()));
    let hiddens = distinct(rows.iter().map(|r| r.n_hidden));
    let with_min = headline != Aggregate::Min;
    let axis = LogAxis::new(
        rows.iter()
            .flat_map(|r| [r.aggregate(headline), r.min])
            .chain(std::iter::once(threshold)),
    );
    let (x0, x1) = x_span(&hiddens);

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, None, LEGEND_WIDTH)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(
                Axis::new(x0, x1, hiddens.iter().map(|h| *h as f64).collect()),
                axis.coord(),
            )?;
        chart
            .configure_mesh()
            .x_desc("n_hidden (hidden width)")
            .y_desc("eval loss (log scale)")
            .x_label_formatter(&|v| format!("{}", v.round() as i64))
            .y_label_formatter(&LogAxis::label)
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 19))
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .draw()?;
        draw_threshold(&mut chart, x0, x1, threshold)?;

        let mut entries = Vec::new();
        for (i, depth) in depths.iter().enumerate() {
            let colour = depth_colour(i, depths.len());
            let of_depth: Vec<&&SummaryRow> =
                rows.iter().filter(|r| r.row_key() == *depth).collect();
            let points = |a: Aggregate| -> Vec<(f64, f64)> {
                of_depth
                    .iter()
                    .filter_map(|r| log_point(r.aggregate(a)).map(|y| (r.n_hidden as f64, y)))
                    .collect()
            };
            if with_min {
                let min_points = points(Aggregate::Min);
                chart.draw_series(DashedLineSeries::new(
                    min_points.clone(),
                    7,
                    5,
                    colour.stroke_width(1),
                ))?;
                chart.draw_series(
                    min_points
                        .iter()
                        .map(|p| Circle::new(*p, 3, colour.stroke_width(1))),
                )?;
            }
            let headline_points = points(headline);
            chart.draw_series(LineSeries::new(
                headline_points.clone(),
                colour.stroke_width(2),
            ))?;
            chart.draw_series(
                headline_points
                    .iter()
                    .map(|p| Circle::new(*p, 4, colour.filled())),
            )?;
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

/// 6. For a series whose instances differ in feature probability p = 1 − S: eval loss vs
///    1/(1−S), both on log axes, one point per instance and one line per `n_hidden`.
fn loss_vs_inverse_p(series: &Series, runs: &[&RunRow], threshold: f64) -> Result<Plot> {
    let title = format!("Eval loss vs 1/(1−S) — {}", series.label());
    let hiddens = distinct(runs.iter().map(|r| r.n_hidden));
    let inverse_p = |r: &RunRow| 1.0 / r.feature_probability;
    let x_axis = LogAxis::new(runs.iter().map(|r| inverse_p(r)));
    let y_axis = LogAxis::new(
        runs.iter()
            .filter(|r| !is_diverged(r))
            .map(|r| r.eval_loss)
            .chain(std::iter::once(threshold)),
    );
    let footer = "One point per instance: x = 1/p with p = 1 − S its mean feature probability. \
                  Diverged instances are left out.";

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, Some(footer), LEGEND_WIDTH)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(80)
            .build_cartesian_2d(x_axis.coord(), y_axis.coord())?;
        chart
            .configure_mesh()
            .x_desc("1/(1−S) = 1/p (log scale)")
            .y_desc("eval loss (log scale)")
            .x_label_formatter(&|v| fmt_p(10f64.powf(*v)))
            .y_label_formatter(&LogAxis::label)
            .label_style((FONT, 17))
            .axis_desc_style((FONT, 19))
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .draw()?;
        draw_threshold(&mut chart, x_axis.lo, x_axis.hi, threshold)?;

        let mut entries = Vec::new();
        for (i, n_hidden) in hiddens.iter().enumerate() {
            let colour = depth_colour(i, hiddens.len());
            let mut points: Vec<(f64, f64)> = runs
                .iter()
                .filter(|r| r.n_hidden == *n_hidden && !is_diverged(r))
                .filter_map(|r| Some((log_point(inverse_p(r))?, log_point(r.eval_loss)?)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?;
            chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, colour.filled())))?;
            entries.push((format!("n_hidden = {n_hidden}"), line_mark(colour)));
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

fn x_span(hiddens: &[u32]) -> (f64, f64) {
    match (hiddens.first(), hiddens.last()) {
        (Some(a), Some(b)) => (*a as f64 - 0.5, *b as f64 + 0.5),
        _ => (0.0, 1.0),
    }
}

type LogChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

fn draw_threshold(chart: &mut LogChart, x0: f64, x1: f64, threshold: f64) -> Result<()> {
    if let Some(t) = log_point(threshold) {
        chart.draw_series(DashedLineSeries::new(
            vec![(x0, t), (x1, t)],
            10,
            6,
            BLACK.stroke_width(2),
        ))?;
    }
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
) -> Result<Plot> {
    let mut title = format!(
        "Smallest n_hidden with {aggregate} eval loss < {} (over instances)",
        fmt_loss(threshold)
    );
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
    let top = rows.iter().map(|r| r.max_tested + 1).max().unwrap_or(1) + 1;
    let y_step = (top as f64 / 12.0).ceil().max(1.0) as u32;
    let (dx0, dx1) = match (ticks.first(), ticks.last()) {
        (Some(a), Some(b)) => (a.0 - 0.5, b.0 + 0.5),
        _ => (0.0, 1.0),
    };

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, None, LEGEND_WIDTH)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(60)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(dx0, dx1, ticks.iter().map(|t| t.0).collect()),
                Axis::new(
                    0.0,
                    top as f64 + 0.5,
                    (0..=top).step_by(y_step as usize).map(f64::from).collect(),
                ),
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
            .y_desc(format!(
                "min n_hidden ({aggregate} loss < {})",
                fmt_loss(threshold)
            ))
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
        for row in &rows {
            let this = Series::of_min_hidden(row);
            let colour = categorical(series.iter().position(|s| *s == this).unwrap_or(0));
            let here = &slots[&key_of(row)];
            // Centred: fewer bars than slots at this x (only without a tree).
            let i = here.iter().position(|s| *s == this).unwrap_or(0) as f64
                + (ns - here.len() as f64) / 2.0;
            let xa = x_of(key_of(row)) - 0.4 + slot * (i + 0.1);
            let xb = xa + slot * 0.8;
            let xc = (xa + xb) / 2.0;
            let (height, label) = match row.min_n_hidden {
                Some(n) => (n as f64, n.to_string()),
                None => (row.max_tested as f64 + 1.0, "none".to_owned()),
            };
            let rect = [(xa, 0.0), (xb, height)];
            if row.min_n_hidden.is_some() {
                chart.draw_series(std::iter::once(Rectangle::new(rect, colour.filled())))?;
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
                (xc, height + 0.08),
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
        entries.push((
            "none: no width reaches it;\nbar at max tested + 1".to_owned(),
            Mark::Patch {
                colour: MUTED,
                hatched: true,
            },
        ));
        legend(&side, "Series", &entries)?;
        Ok(())
    })?;
    Ok(Plot {
        stem: if tree {
            format!("min_hidden_{aggregate}")
        } else {
            format!("min_hidden_sparse_{aggregate}")
        },
        title,
        series: None,
        svg,
    })
}

fn distinct_series(all: impl IntoIterator<Item = Series>) -> Vec<Series> {
    let mut v: Vec<Series> = all.into_iter().collect();
    v.sort();
    v.dedup();
    v
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
    let (title, stem) = if tree {
        (
            format!(
                "{what} eval loss vs n_hidden by structure — b={}, {}, seed {}",
                first.branching, first.magnitude, first.seed
            ),
            format!(
                "b{}_{}_seed{}",
                first.branching, first.magnitude, first.seed
            ),
        )
    } else {
        (
            format!(
                "{what} eval loss vs n_hidden by data set — features without a tree, {}, seed {}",
                first.magnitude, first.seed
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
    let axis = LogAxis::new(
        rows.iter()
            .map(|r| r.aggregate(headline))
            .chain(std::iter::once(threshold)),
    );

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, None, LEGEND_WIDTH)?;
        let panels = plot.split_evenly(grid(depths.len()));
        for (panel, depth) in panels.iter().zip(&depths) {
            let of_depth: Vec<&&SummaryRow> =
                rows.iter().filter(|r| r.row_key() == *depth).collect();
            let hiddens = distinct(of_depth.iter().map(|r| r.n_hidden));
            let (x0, x1) = x_span(&hiddens);
            let caption = of_depth.first().map_or(String::new(), |r| r.row_label());
            let mut chart = ChartBuilder::on(panel)
                .caption(caption, (FONT, 17))
                .margin(6)
                .x_label_area_size(40)
                .y_label_area_size(52)
                .build_cartesian_2d(
                    Axis::new(x0, x1, hiddens.iter().map(|h| *h as f64).collect()),
                    Axis::new(axis.lo, axis.hi, axis.major.clone()),
                )?;
            chart
                .configure_mesh()
                .x_desc("n_hidden")
                .x_label_formatter(&|v| format!("{}", v.round() as i64))
                .y_label_formatter(&LogAxis::label)
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 15))
                .bold_line_style(GRID)
                .draw()?;
            draw_threshold(&mut chart, x0, x1, threshold)?;
            for (i, s) in members.iter().enumerate() {
                let points: Vec<(f64, f64)> = of_depth
                    .iter()
                    .filter(|r| Series::of_summary(r) == *s)
                    .filter_map(|r| {
                        log_point(r.aggregate(headline)).map(|y| (r.n_hidden as f64, y))
                    })
                    .collect();
                let colour = categorical(i);
                chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))?;
                chart.draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
            }
        }
        let mut entries: Vec<(String, Mark)> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| (l.clone(), line_mark(categorical(i))))
            .collect();
        entries.push(threshold_entry(threshold));
        legend(&side, &format!("{what} eval loss (log)"), &entries)?;
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

/// 5. Train loss vs step for the widest config of each row (depth, or n_features without a
///    tree), one line per instance; instances are labelled with their p when it differs.
fn training_curves(
    series: &Series,
    rows: &[&SummaryRow],
    runs: &[&RunRow],
    index: &CurveIndex,
    threshold: f64,
) -> Result<Option<Plot>> {
    let mut picked: BTreeMap<u32, &SummaryRow> = BTreeMap::new();
    for r in rows {
        if !index.by_config.contains_key(r.config_id.as_str()) {
            continue;
        }
        let e = picked.entry(r.row_key()).or_insert(r);
        if r.n_hidden > e.n_hidden {
            *e = r;
        }
    }
    if picked.is_empty() {
        return Ok(None);
    }
    let title = format!("Training curves (train loss) — {}", series.label());
    let curves: Vec<(&SummaryRow, &Instances)> = picked
        .values()
        .map(|r| (*r, &index.by_config[r.config_id.as_str()]))
        .collect();
    let all_losses = curves
        .iter()
        .flat_map(|(_, inst)| inst.values().flatten().map(|p| p.1));
    let axis = LogAxis::new(all_losses.chain(std::iter::once(threshold)));
    let max_step = curves
        .iter()
        .flat_map(|(_, inst)| inst.values().flatten().map(|p| p.0))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let n_instances = curves.iter().map(|(_, i)| i.len()).max().unwrap_or(0);
    // Instance k's p, from the first picked config (the configs of a series share the data).
    let p_of: BTreeMap<u32, f64> = match (series.per_instance_p(), curves.first()) {
        (true, Some((first, _))) => runs
            .iter()
            .filter(|r| r.config_id == first.config_id)
            .map(|r| (r.instance, r.feature_probability))
            .collect(),
        _ => BTreeMap::new(),
    };

    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plot, side) = chart_frame(root, &title, None, LEGEND_WIDTH)?;
        let panels = plot.split_evenly(grid(curves.len()));
        for (panel, (row, instances)) in panels.iter().zip(&curves) {
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!(
                        "{}, n_hidden {}",
                        row_name(row.depth, row.n_features),
                        row.n_hidden
                    ),
                    (FONT, 17),
                )
                .margin(6)
                .x_label_area_size(40)
                .y_label_area_size(52)
                .build_cartesian_2d(
                    Axis::new(0.0, max_step, nice_ticks(0.0, max_step, 4)),
                    Axis::new(axis.lo, axis.hi, axis.major.clone()),
                )?;
            chart
                .configure_mesh()
                .x_desc("step")
                .x_label_formatter(&fmt_step)
                .y_label_formatter(&LogAxis::label)
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 15))
                .bold_line_style(GRID)
                .draw()?;
            draw_threshold(&mut chart, 0.0, max_step, threshold)?;
            for (k, points) in instances.values().enumerate() {
                let line: Vec<(f64, f64)> = points
                    .iter()
                    .filter_map(|(s, l)| log_point(*l).map(|y| (*s as f64, y)))
                    .collect();
                chart.draw_series(LineSeries::new(line, categorical(k).stroke_width(2)))?;
            }
        }
        let mut entries: Vec<(String, Mark)> = (0..n_instances)
            .map(|k| {
                let p = p_of
                    .get(&(k as u32))
                    .map_or(String::new(), |p| format!(" (p={})", fmt_p(*p)));
                (
                    format!("instance {k}{p}"),
                    Mark::Line {
                        colour: categorical(k),
                        width: 2,
                        dashed: false,
                        marker: false,
                    },
                )
            })
            .collect();
        entries.push(threshold_entry(threshold));
        let heading = if series.data.is_none() {
            "Widest n_hidden per depth"
        } else {
            "Widest n_hidden"
        };
        legend(&side, heading, &entries)?;
        Ok(())
    })?;
    Ok(Some(Plot {
        stem: format!("curves_{}", series.slug()),
        title,
        series: Some(series.clone()),
        svg,
    }))
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
mod tests {
    use super::*;

    #[test]
    fn log_axis_spans_whole_decades() {
        let a = LogAxis::new([3e-6, 2e-2, -1.0, f64::NAN]);
        assert_eq!((a.lo, a.hi), (-6.0, -1.0));
        // An exact zero is a perfect fit: it sits at the floor, so the axis reaches down to it.
        assert_eq!(LogAxis::new([3e-6, 0.0]).lo, ZERO_FLOOR.log10());
        assert_eq!(a.major, vec![-6.0, -5.0, -4.0, -3.0, -2.0, -1.0]);
        assert_eq!(a.minor.len(), 5 * 8);
        assert_eq!(LogAxis::label(&-5.0), "1e-5");
        let flat = LogAxis::new([1e-5]);
        assert_eq!((flat.lo, flat.hi), (-5.0, -4.0));
        let wide = LogAxis::new([1e-20, 1.0]);
        assert!(wide.major.len() <= 11 && wide.minor.is_empty());
    }

    #[test]
    fn step_labels() {
        assert_eq!(fmt_step(&20000.0), "20k");
    }
}
