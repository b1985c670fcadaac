//! The geometry charts, drawn as SVG with plotters and the report crate's drawing toolkit
//! ([`report::draw`]), so they look like the report's own charts.

use std::collections::BTreeMap;

use anyhow::{Context, Result, ensure};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use tree_data::{Pairs, TreeSpec};

use report::draw::{
    Area, Axis, FONT, GRID, GRID_LIGHT, INK, INK_FILL, LEGEND_WIDTH, MUTED, Mark, PLOT_HEIGHT,
    PLOT_WIDTH, categorical, chart_frame, colour_bar, darken, diverging, fmt_loss, fmt_num, legend,
    legend_at, lighten, nice_ticks, outline, svg_document, text_style, viridis,
};
use report::{ManifestEntry, fmt_p};

use crate::Solved;
use crate::analyse::{Analysed, InstanceGeo, PairLayout, PairRole};
use crate::hierarchy::{CosineStats, DEAD_NORM, Relation};

/// One chart: its manifest entry (file stem in `plots/`, title, caption, kind, config) and its
/// SVG markup. Stems always start with `geometry_`; kinds are `features2d`, `gram`, `norms`,
/// `cosines` and `dims`.
#[derive(Debug, Clone)]
pub struct Figure {
    /// What `plots/geometry.json` lists for this chart.
    pub entry: ManifestEntry,
    /// The SVG document, [`PLOT_WIDTH`] × [`PLOT_HEIGHT`].
    pub svg: String,
}

/// Level-1 ancestor of `f` (itself at level 1).
pub(crate) fn subtree_of(tree: &TreeSpec, f: usize) -> usize {
    tree.ancestors(f).last().copied().unwrap_or(f)
}

/// How much lighter level `level` is drawn than level 1.
fn level_shade(level: u32, depth: u32) -> f64 {
    if depth <= 1 {
        0.0
    } else {
        0.5 * f64::from(level - 1) / f64::from(depth - 1)
    }
}

fn level_width(level: u32) -> u32 {
    match level {
        0 | 1 => 3,
        2 => 2,
        _ => 1,
    }
}

/// Rows × columns for `n` square panels in a `w × h` area: the layout with the largest side.
fn square_grid(n: usize, w: u32, h: u32) -> (usize, usize) {
    let n = n.max(1);
    (1..=n)
        .map(|cols| (n.div_ceil(cols), cols))
        .max_by(|a, b| {
            let side = |(r, c): (usize, usize)| (w as f64 / c as f64).min(h as f64 / r as f64);
            side(*a).total_cmp(&side(*b)).then(b.0.cmp(&a.0))
        })
        .unwrap_or((1, 1))
}

/// Margins (left, right, top, bottom) that make a chart's plotting region square inside an
/// area of `w × h` with label areas `y_label` (left) and `x_label` (bottom).
fn square_margins(w: u32, h: u32, y_label: u32, x_label: u32, m: u32) -> (u32, u32, u32, u32) {
    let avail_w = w.saturating_sub(y_label + 2 * m);
    let avail_h = h.saturating_sub(x_label + 2 * m);
    let side = avail_w.min(avail_h);
    let (ew, eh) = (avail_w - side, avail_h - side);
    (m + ew / 2, m + ew - ew / 2, m + eh / 2, m + eh - eh / 2)
}

/// Up to `max` instances, the lowest judged losses, in instance order.
fn shown_instances(a: &Analysed, max: usize) -> Vec<&InstanceGeo> {
    let mut by_loss: Vec<&InstanceGeo> = a.instances.iter().collect();
    by_loss.sort_by(|x, y| loss_key(x.judged_loss).total_cmp(&loss_key(y.judged_loss)));
    by_loss.truncate(max);
    by_loss.sort_by_key(|i| i.instance);
    by_loss
}

/// NaN sorts last.
pub(crate) fn loss_key(v: f64) -> f64 {
    if v.is_nan() { f64::INFINITY } else { v }
}

/// How feature `f`'s arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ArrowStyle {
    colour: RGBColor,
    width: u32,
    /// Tree level (0 without a tree): deeper arrows are drawn first.
    level: u32,
    /// A dashed shaft (the second feature of an anticorrelated pair).
    dashed: bool,
}

/// How much lighter the second feature of a correlated pair is drawn.
const SECOND_SHADE: f64 = 0.5;

/// With a tree: colour = the feature's level-1 subtree, lighter and thinner deeper. Without:
/// one hue per correlated pair (the second feature lighter), one hue per anticorrelated pair
/// (the second feature dashed), then one hue per independent feature.
fn feature_style(tree: Option<&TreeSpec>, pairs: Pairs, f: usize) -> ArrowStyle {
    match tree {
        Some(t) => {
            let level = t.level(f);
            let base = categorical(subtree_of(t, f));
            ArrowStyle {
                colour: lighten(base, level_shade(level, t.depth())),
                width: level_width(level),
                level,
                dashed: false,
            }
        }
        None => {
            let (colour, dashed) = match pairs.role(f) {
                PairRole::Correlated { pair, second } => {
                    let c = categorical(pair);
                    (if second { lighten(c, SECOND_SHADE) } else { c }, false)
                }
                PairRole::Anticorrelated { pair, second } => {
                    (categorical(pairs.correlated + pair), second)
                }
                PairRole::Single { index } => (
                    categorical(pairs.correlated + pairs.anticorrelated + index),
                    false,
                ),
            };
            ArrowStyle {
                colour,
                width: 2,
                level: 0,
                dashed,
            }
        }
    }
}

/// Up to `max` instances spread evenly over the feature probabilities, in order of
/// decreasing `p` (increasing sparsity), ties by instance.
fn spread_instances(a: &Analysed, max: usize) -> Vec<&InstanceGeo> {
    let mut by_p: Vec<&InstanceGeo> = a.instances.iter().collect();
    by_p.sort_by(|x, y| {
        y.feature_probability
            .total_cmp(&x.feature_probability)
            .then(x.instance.cmp(&y.instance))
    });
    let n = by_p.len();
    if n <= max {
        return by_p;
    }
    let mut picks: Vec<usize> = (0..max)
        .map(|k| (k as f64 * (n - 1) as f64 / (max - 1).max(1) as f64).round() as usize)
        .collect();
    picks.dedup();
    picks.into_iter().map(|k| by_p[k]).collect()
}

/// What the colours of a 2D chart without a tree mean, for its caption.
fn pair_colour_note(pairs: Pairs) -> String {
    let mut parts = Vec::new();
    if pairs.correlated > 0 {
        parts.push(
            "each correlated pair (2k, 2k+1) shares one hue, its second feature lighter".to_owned(),
        );
    }
    if pairs.anticorrelated > 0 {
        parts.push(
            "each anticorrelated pair shares one hue, its second feature with a dashed shaft"
                .to_owned(),
        );
    }
    if pairs.n_paired() > 0 {
        parts.push("every other feature has a hue of its own".to_owned());
        format!("Colour: {} (hues repeat after 10).", parts.join("; "))
    } else {
        "Colour: one hue per feature (hues repeat after 10).".to_owned()
    }
}

/// The most instances a 2D chart shows.
const MAX_PANELS: usize = 8;

/// The most features whose arrow tips a 2D chart numbers (past this the numbers crowd
/// the panels even after [`place_tip_labels`] has removed the overlapping ones).
const MAX_TIP_LABELS: usize = 40;

/// How many features a 2D chart numbers at their arrow tips: features `0..n`. All of them
/// when there are at most [`MAX_TIP_LABELS`]; otherwise, with a tree, the features of the top
/// levels that fit (breadth-first order puts them first), without one none.
fn tip_labels(tree: Option<&TreeSpec>, f: usize) -> usize {
    if f <= MAX_TIP_LABELS {
        return f;
    }
    tree.map_or(0, |t| {
        (1..=t.depth())
            .map(|l| t.level_range(l).end)
            .take_while(|&end| end <= MAX_TIP_LABELS)
            .last()
            .unwrap_or(0)
    })
}

/// The longest arrow from which a 2D chart stretches its axes to take in the circle of norm 1.
const CIRCLE_MIN_NORM: f64 = 0.5;

/// Half the side of a 2D chart's panels, `r`, and whether they show the dashed circle of
/// norm 1. `r` is 15 % beyond the longest arrow, stretched to at least 1.1 (the circle and a
/// margin) when the longest arrow is at least [`CIRCLE_MIN_NORM`] long or every feature is
/// dead; below that the circle is left out rather than shrink the arrows to under half
/// the panel.
fn panel_extent(max_norm: f64) -> (f64, bool) {
    if max_norm >= CIRCLE_MIN_NORM || max_norm <= DEAD_NORM {
        ((1.15 * max_norm).max(1.1), true)
    } else {
        (1.15 * max_norm, false)
    }
}

/// The 2D chart's footer and the caption's sentence on the numbers at the arrow tips, when
/// features `0..labelled` of `f` are numbered.
fn tip_notes(tree: Option<&TreeSpec>, f: usize, labelled: usize) -> (String, String) {
    let arrow = "Arrow = W_i (column i of W)";
    let order = if tree.is_some() {
        " (breadth-first)"
    } else {
        ""
    };
    let overlap = "left out where it would print over another";
    if labelled == f {
        (
            format!("{arrow}; number = feature index{order}, unless it would overlap another."),
            format!("The number at an arrow's tip is the feature's index{order}, {overlap}."),
        )
    } else if labelled > 0 {
        let levels = tree.map_or(0, |t| t.level(labelled - 1));
        (
            format!(
                "{arrow}; number = feature index{order}, levels 1–{levels} only, unless it \
                 would overlap another."
            ),
            format!(
                "The number at an arrow's tip is the feature's index{order}, for levels \
                 1–{levels} only (features 0–{}: the {f} features are too many to number), \
                 {overlap}.",
                labelled - 1
            ),
        )
    } else {
        (
            format!("{arrow}; tips not numbered ({f} features)."),
            format!("The arrow tips are not numbered: the {f} features are too many."),
        )
    }
}

/// W's columns as arrows, one square panel per instance (n_hidden = 2 only).
pub(crate) fn features_2d(a: &Analysed, stem: String) -> Result<Figure> {
    ensure!(a.config.n_hidden == 2, "a 2D chart needs n_hidden = 2");
    let tree = a.tree.as_ref();
    let pairs = a.pairs();
    let f = a.config.n_features as usize;
    let by_p = a.probabilities_differ();
    let shown = if by_p {
        spread_instances(a, MAX_PANELS)
    } else {
        shown_instances(a, MAX_PANELS)
    };
    let max_norm = shown
        .iter()
        .flat_map(|i| i.features.iter().map(|g| g.norm))
        .fold(0.0f64, f64::max);
    let (r, circle) = panel_extent(max_norm);
    let labelled = tip_labels(tree, f);
    let (footer, tips) = tip_notes(tree, f, labelled);
    let circle_note = if circle {
        " Dashed circle: norm 1."
    } else {
        ""
    };
    let title = format!("Features in 2D — {}", a.config.config_id);
    let mut caption = match tree {
        Some(_) => format!(
            "Columns of W (the feature embeddings) of config {}, one panel per instance, same \
             scale in every panel. Colour: the feature's level-1 subtree; lighter and thinner: \
             deeper levels. {tips}{circle_note} Dead features (norm < 1e-6) are not drawn.",
            a.config.config_id
        ),
        None => format!(
            "Columns of W (the feature embeddings) of config {} ({} features without a tree, {}, \
             importance {}), one panel per instance{}, same scale in every panel. {tips} \
             {}{circle_note} Dead features (norm < 1e-6) are not drawn.",
            a.config.config_id,
            f,
            a.probability_label(),
            a.config.importance,
            if by_p {
                " in order of decreasing feature probability p, titled with its p and loss"
            } else {
                ""
            },
            pair_colour_note(pairs)
        ),
    };
    if a.instances.len() > shown.len() {
        caption.push_str(&format!(
            " {} of {} instances shown ({}).",
            shown.len(),
            a.instances.len(),
            if by_p {
                "spread evenly over p"
            } else {
                "lowest loss"
            }
        ));
    }
    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (plots, side) = chart_frame(root, &title, Some(&footer), 240)?;
        let (pw, ph) = plots.dim_in_pixel();
        let panels = plots.split_evenly(square_grid(shown.len(), pw, ph));
        let look = PanelLook {
            tree,
            pairs,
            f,
            r,
            circle,
            labelled,
            show_p: by_p,
            relative_loss: a.relative_loss,
        };
        for (panel, inst) in panels.iter().zip(&shown) {
            arrow_panel(panel, &look, inst)?;
        }
        arrow_legend(&side, tree, pairs, f, circle)
    })?;
    Ok(Figure {
        entry: ManifestEntry {
            stem,
            title,
            caption,
            kind: "features2d".to_owned(),
            config_id: Some(a.config.config_id.clone()),
        },
        svg,
    })
}

/// What every panel of a 2D chart shares.
struct PanelLook<'a> {
    tree: Option<&'a TreeSpec>,
    pairs: Pairs,
    /// Number of features.
    f: usize,
    /// Half the side of the panel, in units of W.
    r: f64,
    /// Draw the dashed circle of norm 1.
    circle: bool,
    /// Features `0..labelled` are numbered at their tips.
    labelled: usize,
    /// Title the panels with their feature probability.
    show_p: bool,
    /// Title them with the loss divided by the bias-only loss.
    relative_loss: bool,
}

/// A panel title that fits `width` pixels: 15 px, smaller (down to 10 px) when it is long.
fn panel_title_size(text: &str, width: u32) -> u32 {
    // DejaVu Sans averages a little under 0.6 em per character.
    let chars = text.chars().count().max(1) as f64;
    ((f64::from(width) - 8.0) / (0.6 * chars))
        .floor()
        .clamp(10.0, 15.0) as u32
}

fn arrow_panel(panel: &Area, look: &PanelLook, inst: &InstanceGeo) -> Result<()> {
    let PanelLook {
        tree,
        pairs,
        f,
        r,
        circle,
        labelled,
        show_p,
        relative_loss,
    } = *look;
    let (w, _) = panel.dim_in_pixel();
    let loss = if relative_loss {
        format!("rel. loss {}", fmt_loss(inst.judged_loss))
    } else {
        format!("loss {}", fmt_loss(inst.eval_loss))
    };
    let heading = if show_p {
        format!(
            "instance {} · p {} · {loss}",
            inst.instance,
            fmt_p(inst.feature_probability),
        )
    } else {
        format!("instance {} · {loss}", inst.instance)
    };
    let size = panel_title_size(&heading, w);
    panel.draw(&Text::new(
        heading,
        (w as i32 / 2, 12),
        text_style(size, BLACK, HPos::Center, VPos::Center),
    ))?;
    let body = panel.margin(24, 0, 0, 0);
    let (bw, bh) = body.dim_in_pixel();
    let (xl, yl) = (28, 44);
    let (ml, mr, mt, mb) = square_margins(bw, bh, yl, xl, 6);
    let ticks = nice_ticks(-r, r, 4);
    let mut chart = ChartBuilder::on(&body)
        .margin_left(ml)
        .margin_right(mr)
        .margin_top(mt)
        .margin_bottom(mb)
        .x_label_area_size(xl)
        .y_label_area_size(yl)
        .build_cartesian_2d(Axis::new(-r, r, ticks.clone()), Axis::new(-r, r, ticks))?;
    chart
        .configure_mesh()
        .label_style((FONT, 12))
        .x_label_formatter(&|v| fmt_num(*v))
        .y_label_formatter(&|v| fmt_num(*v))
        .bold_line_style(GRID_LIGHT)
        .draw()?;
    // Axes through the origin and the unit circle.
    for seg in [[(-r, 0.0), (r, 0.0)], [(0.0, -r), (0.0, r)]] {
        chart.draw_series(std::iter::once(PathElement::new(
            seg.to_vec(),
            GRID.stroke_width(1),
        )))?;
    }
    if circle {
        let circle: Vec<(f64, f64)> = (0..=120)
            .map(|k| {
                let t = std::f64::consts::TAU * k as f64 / 120.0;
                (t.cos(), t.sin())
            })
            .collect();
        chart.draw_series(DashedLineSeries::new(
            circle,
            4,
            4,
            CIRCLE_COLOUR.stroke_width(1),
        ))?;
    }
    // Deep levels first, so level 1 is drawn on top.
    let mut order: Vec<usize> = (0..f).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(feature_style(tree, pairs, i).level));
    let head = 0.07 * r;
    let mut tips: Vec<TipLabel> = Vec::new();
    for i in order {
        let (x, y) = (f64::from(inst.w[i]), f64::from(inst.w[f + i]));
        let len = x.hypot(y);
        if len < DEAD_NORM {
            continue;
        }
        let style = feature_style(tree, pairs, i);
        let (colour, width) = (style.colour, style.width);
        let (ux, uy) = (x / len, y / len);
        let hl = head.min(0.5 * len);
        let (bx, by) = (x - ux * hl, y - uy * hl);
        let (nx, ny) = (-uy * hl * 0.45, ux * hl * 0.45);
        if style.dashed {
            chart.draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (bx, by)],
                6,
                4,
                colour.stroke_width(width),
            ))?;
        } else {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, 0.0), (bx, by)],
                colour.stroke_width(width),
            )))?;
        }
        chart.draw_series(std::iter::once(Polygon::new(
            vec![(x, y), (bx + nx, by + ny), (bx - nx, by - ny)],
            colour.filled(),
        )))?;
        if i < labelled {
            tips.push(TipLabel {
                feature: i,
                at: (x + ux * 0.07 * r, y + uy * 0.07 * r),
                level: style.level,
                len,
            });
        }
    }
    // Numbers on top of every arrow, none over another.
    let side = f64::from(chart.plotting_area().dim_in_pixel().0);
    for tip in place_tip_labels(tips, side / (2.0 * r)) {
        chart.draw_series(std::iter::once(Text::new(
            tip.feature.to_string(),
            tip.at,
            text_style(TIP_FONT, BLACK, HPos::Center, VPos::Center),
        )))?;
    }
    Ok(())
}

/// Font size of the numbers at the arrow tips, in pixels.
const TIP_FONT: u32 = 12;

/// A feature's number at its arrow's tip, before placing.
#[derive(Debug, Clone, Copy, PartialEq)]
struct TipLabel {
    feature: usize,
    /// Centre, in units of W.
    at: (f64, f64),
    /// Tree level (0 without a tree).
    level: u32,
    /// Length of the arrow.
    len: f64,
}

/// The tip labels that do not print over each other, `scale` pixels per unit of W: placed
/// greedily, shallow levels first, then longer arrows, then lower indices; a label whose box
/// (the digits at [`TIP_FONT`] pixels, plus a pixel all round) overlaps one already placed is
/// left out.
fn place_tip_labels(mut tips: Vec<TipLabel>, scale: f64) -> Vec<TipLabel> {
    tips.sort_by(|a, b| {
        a.level
            .cmp(&b.level)
            .then(b.len.total_cmp(&a.len))
            .then(a.feature.cmp(&b.feature))
    });
    // Half width and half height of a label's box in pixels: DejaVu Sans digits are 0.64 em
    // wide and 0.73 em high. Plotters writes text at about 0.8 of the size asked for, so the
    // width leaves a little room between neighbours.
    let half = |t: &TipLabel| {
        let digits = t.feature.to_string().len() as f64;
        (
            0.5 * (0.64 * f64::from(TIP_FONT) * digits) + 1.0,
            0.5 * f64::from(TIP_FONT) * 0.8 + 1.0,
        )
    };
    let mut placed: Vec<TipLabel> = Vec::new();
    for t in tips {
        let (w, h) = half(&t);
        let clear = placed.iter().all(|p| {
            let (pw, ph) = half(p);
            (t.at.0 - p.at.0).abs() * scale >= w + pw || (t.at.1 - p.at.1).abs() * scale >= h + ph
        });
        if clear {
            placed.push(t);
        }
    }
    placed
}

/// Colour of the dashed circle of norm 1 in a 2D chart.
const CIRCLE_COLOUR: RGBColor = RGBColor(170, 170, 170);

/// The legend of a 2D chart; it lists the dashed circle of norm 1 only when `circle` (the
/// panels draw it).
fn arrow_legend(
    area: &Area,
    tree: Option<&TreeSpec>,
    pairs: Pairs,
    f: usize,
    circle: bool,
) -> Result<()> {
    let circle = circle.then(|| {
        (
            "norm 1".to_owned(),
            Mark::Line {
                colour: CIRCLE_COLOUR,
                width: 1,
                dashed: true,
                marker: false,
            },
        )
    });
    let Some(t) = tree else {
        return pair_legend(area, pairs, f, circle);
    };
    let roots = t.level_range(1);
    let mut subtrees: Vec<(String, Mark)> = roots
        .clone()
        .take(10)
        .map(|s| {
            (
                format!("subtree of feature {s}"),
                Mark::patch(categorical(s)),
            )
        })
        .collect();
    if roots.len() > 10 {
        subtrees.push(("(colours repeat)".to_owned(), Mark::patch(WHITE)));
    }
    let y = legend(area, "Subtree (level 1)", &subtrees)?;
    let mut levels: Vec<(String, Mark)> = (1..=t.depth())
        .map(|l| {
            let range = t.level_range(l);
            (
                format!("level {l} ({}–{})", range.start, range.end - 1),
                Mark::Line {
                    colour: lighten(MUTED, level_shade(l, t.depth())),
                    width: level_width(l),
                    dashed: false,
                    marker: false,
                },
            )
        })
        .collect();
    levels.extend(circle);
    legend_at(area, y + 12, "Level (features)", &levels)?;
    Ok(())
}

/// The legend of a 2D chart without a tree: one entry per pair (at most 8), then the
/// independent features.
fn pair_legend(area: &Area, pairs: Pairs, f: usize, circle: Option<(String, Mark)>) -> Result<()> {
    const MAX_PAIRS: usize = 8;
    let mut entries: Vec<(String, Mark)> = Vec::new();
    for (start, anti) in pairs.blocks().take(MAX_PAIRS) {
        let style = feature_style(None, pairs, start);
        let (kind, second) = if anti {
            ("anticorrelated", "dashed")
        } else {
            ("correlated", "lighter")
        };
        entries.push((
            format!("{start}, {}: {kind}\n({} {second})", start + 1, start + 1),
            Mark::Line {
                colour: style.colour,
                width: 3,
                dashed: false,
                marker: false,
            },
        ));
    }
    let n_pairs = pairs.correlated + pairs.anticorrelated;
    if n_pairs > MAX_PAIRS {
        entries.push((
            format!("… {} more pairs", n_pairs - MAX_PAIRS),
            Mark::patch(WHITE),
        ));
    }
    let singles = f.saturating_sub(pairs.n_paired());
    if singles > 0 {
        let first = pairs.n_paired();
        let range = if singles == 1 {
            format!("{first}")
        } else {
            format!("{first}–{}", f - 1)
        };
        entries.push((
            format!("{range}: independent,\none hue each"),
            Mark::patch(feature_style(None, pairs, first).colour),
        ));
    }
    entries.extend(circle);
    let heading = if pairs.n_paired() == 0 {
        "No tree: colour = feature"
    } else {
        "No tree: colour = pair"
    };
    legend(area, heading, &entries)?;
    Ok(())
}

/// Tick positions and labels along a breadth-first feature axis: level centres `L1, L2, …`
/// with a tree, round feature indices without one. `flip` numbers the axis from the top. A
/// level label closer than `min_gap` features to the previous one is left out, so that the
/// narrow top levels of a deep tree do not print over each other.
fn feature_axis_ticks(
    tree: Option<&TreeSpec>,
    f: usize,
    flip: bool,
    min_gap: f64,
) -> Vec<(f64, String)> {
    let pos = |v: f64| if flip { (f - 1) as f64 - v } else { v };
    match tree {
        Some(t) => {
            let mut last = f64::NEG_INFINITY;
            let mut out = Vec::new();
            for l in 1..=t.depth() {
                let r = t.level_range(l);
                let centre = (r.start + r.end - 1) as f64 / 2.0;
                if centre - last >= min_gap {
                    out.push((pos(centre), format!("L{l}")));
                    last = centre;
                }
            }
            out
        }
        None => nice_ticks(0.0, (f - 1) as f64, 8)
            .into_iter()
            .filter(|v| v.fract() == 0.0)
            .map(|v| (pos(v), format!("{}", v as i64)))
            .collect(),
    }
}

fn label_of(ticks: &[(f64, String)], v: f64) -> String {
    ticks
        .iter()
        .find(|(t, _)| (t - v).abs() < 1e-6)
        .map(|(_, l)| l.clone())
        .unwrap_or_default()
}

/// First feature of every level below the first (where the boundary lines go).
fn level_starts(tree: Option<&TreeSpec>) -> Vec<usize> {
    tree.map_or_else(Vec::new, |t| {
        (2..=t.depth()).map(|l| t.level_range(l).start).collect()
    })
}

/// How the Gram chart marks pairs, for its caption (empty without pairs).
fn pair_box_note(pairs: Pairs) -> String {
    match (pairs.correlated, pairs.anticorrelated) {
        (0, 0) => String::new(),
        (c, 0) => format!(", solid boxes around the {c} correlated pair(s)' 2 × 2 blocks"),
        (0, a) => format!(", dashed boxes around the {a} anticorrelated pair(s)' 2 × 2 blocks"),
        (c, a) => format!(
            ", boxes around the pairs' 2 × 2 blocks (solid: the {c} correlated pair(s), dashed: \
             the {a} anticorrelated one(s))"
        ),
    }
}

/// The Gram matrix `WᵀW` of the best instance as a heatmap with level boundaries.
pub(crate) fn gram_heatmap(a: &Analysed, stem: String, why: &str) -> Result<Figure> {
    let inst = a.best_instance();
    let tree = a.tree.as_ref();
    let f = a.config.n_features as usize;
    let g = (inst.gram.as_ref()).context("the best instance keeps its Gram matrix")?;
    let block = gram_block(f);
    let vmax = g.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let vmax = if vmax > 0.0 { vmax } else { 1.0 };
    let title = format!("WᵀW — {}, instance {}", a.config.config_id, inst.instance);
    let pairs = a.pairs();
    let caption = match tree {
        Some(_) => format!(
            "Gram matrix WᵀW (entry i, j = W_i · W_j; diagonal = ‖W_i‖²) of the lowest-loss \
             instance ({}, {}) of config {}, features in breadth-first tree order, \
             black lines at level boundaries; diverging colour scale centred at 0.{} {why}",
            inst.instance,
            a.loss_text(inst),
            a.config.config_id,
            gram_pooling_note(block)
        ),
        None => format!(
            "Gram matrix WᵀW (entry i, j = W_i · W_j; diagonal = ‖W_i‖²) of the lowest-loss \
             instance ({}, p = {}, {}) of config {} ({} features without a tree), \
             features in index order{}; diverging colour scale centred at 0.{} {why}",
            inst.instance,
            fmt_p(inst.feature_probability),
            a.loss_text(inst),
            a.config.config_id,
            f,
            pair_box_note(pairs),
            gram_pooling_note(block)
        ),
    };
    let footer = match (tree, pairs.n_paired() == 0) {
        (Some(_), _) => "Rows i and columns j are features in breadth-first order; L = tree level.",
        (None, true) => "Rows i and columns j are features in index order.",
        (None, false) => {
            "Rows i and columns j are features in index order; boxes: pairs (dashed: \
             anticorrelated)."
        }
    };
    let footer = match block {
        1 => footer.to_owned(),
        k => format!("{footer} Cells: {k} × {k} blocks, each its entry of largest magnitude."),
    };
    // Labels need about 25 px across and 17 px up of a square of about 560 px.
    let x_ticks = feature_axis_ticks(tree, f, false, 0.045 * f as f64);
    let y_ticks = feature_axis_ticks(tree, f, true, 0.03 * f as f64);
    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (main, bar) = colour_bar_frame(root, &title, &footer)?;
        let (mw, mh) = main.dim_in_pixel();
        let (xl, yl) = (56, 70);
        let (ml, mr, mt, mb) = square_margins(mw, mh, yl, xl, 10);
        let span = (-0.5, f as f64 - 0.5);
        let mut chart = ChartBuilder::on(&main)
            .margin_left(ml)
            .margin_right(mr)
            .margin_top(mt)
            .margin_bottom(mb)
            .x_label_area_size(xl)
            .y_label_area_size(yl)
            .build_cartesian_2d(
                Axis::new(span.0, span.1, x_ticks.iter().map(|t| t.0).collect()),
                Axis::new(span.0, span.1, y_ticks.iter().map(|t| t.0).collect()),
            )?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("feature j")
            .y_desc("feature i")
            .x_label_formatter(&|v| label_of(&x_ticks, *v))
            .y_label_formatter(&|v| label_of(&y_ticks, *v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()?;
        // Cells overlap by a hair so that no seams show between them. Row i lies at
        // y = f − 1 − i, so a block of rows i0..i1 spans y from f − i1 − 0.5 to f − i0 − 0.5.
        let (pooled, n) = (g.pooled(block), f.div_ceil(block));
        let edges = |b: usize| (b * block, ((b + 1) * block).min(f));
        let pad = 0.02 * block as f64;
        chart.draw_series((0..n * n).map(|c| {
            let ((i0, i1), (j0, j1)) = (edges(c / n), edges(c % n));
            let (x0, x1) = (j0 as f64 - 0.5 - pad, j1 as f64 - 0.5 + pad);
            let (y0, y1) = ((f - i1) as f64 - 0.5 - pad, (f - i0) as f64 - 0.5 + pad);
            Rectangle::new([(x0, y0), (x1, y1)], diverging(pooled[c] / vmax).filled())
        }))?;
        let line = if f > 60 { 1 } else { 2 };
        for s in level_starts(tree) {
            let x = s as f64 - 0.5;
            let y = (f - s) as f64 - 0.5;
            chart.draw_series([
                PathElement::new(vec![(x, span.0), (x, span.1)], BLACK.stroke_width(line)),
                PathElement::new(vec![(span.0, y), (span.1, y)], BLACK.stroke_width(line)),
            ])?;
        }
        for (start, anti) in pairs.blocks() {
            // Rows start and start + 1 are drawn at y = f − 1 − start and one below.
            let (x0, x1) = (start as f64 - 0.5, start as f64 + 1.5);
            let (y0, y1) = ((f - 2 - start) as f64 - 0.5, (f - 1 - start) as f64 + 0.5);
            let corners = vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
            if anti {
                chart.draw_series(DashedLineSeries::new(corners, 5, 3, BLACK.stroke_width(2)))?;
            } else {
                chart.draw_series(std::iter::once(PathElement::new(
                    corners,
                    BLACK.stroke_width(2),
                )))?;
            }
        }
        chart.draw_series(std::iter::once(outline(
            [(span.0, span.0), (span.1, span.1)],
            BLACK.stroke_width(1),
        )))?;
        colour_bar(
            &bar,
            Axis::nice(-vmax, vmax, 8),
            "W_i · W_j",
            &|v| fmt_num(*v),
            |v| diverging(v / vmax),
        )?;
        Ok(())
    })?;
    Ok(Figure {
        entry: ManifestEntry {
            stem,
            title,
            caption,
            kind: "gram".to_owned(),
            config_id: Some(a.config.config_id.clone()),
        },
        svg,
    })
}

/// Most cells a side of the Gram chart draws. Past it each cell shows a block of entries
/// ([`Gram::pooled`]): a chart about 560 px wide cannot show more, 510 features drew a 22 MB
/// SVG cell by cell, and 2046 features passed the SVG renderer's node limit.
const GRAM_MAX_CELLS: usize = 128;

/// The side of the blocks the Gram chart of `f` features pools (1: every entry its own cell).
fn gram_block(f: usize) -> usize {
    f.div_ceil(GRAM_MAX_CELLS).max(1)
}

/// Of the sorted whole-number `ticks` on an axis of `unit` pixels per feature: the first, the
/// last, and from the right every one whose label keeps clear of its kept neighbours' (about
/// 9.5 px a digit at the axis' font, 8 px apart). A deep tree's first levels are a few
/// features wide, and their start labels (`0 2 6 14 30 62`) would run together, while the
/// wide last levels keep theirs.
fn spaced_ticks(ticks: &[f64], unit: f64) -> Vec<f64> {
    let (Some(&first), Some(&last)) = (ticks.first(), ticks.last()) else {
        return Vec::new();
    };
    let width = |t: f64| 9.5 * format!("{}", t.round() as i64).len() as f64;
    let clear = |a: f64, b: f64| (b - a) * unit >= (width(a) + width(b)) / 2.0 + 8.0;
    let mut kept = vec![last];
    for &t in ticks.iter().rev().skip(1) {
        if clear(t, kept[kept.len() - 1]) && clear(first, t) {
            kept.push(t);
        }
    }
    if first < last {
        kept.push(first);
    }
    kept.reverse();
    kept
}

/// The Gram caption's sentence on pooled cells, or nothing.
fn gram_pooling_note(block: usize) -> String {
    match block {
        1 => String::new(),
        k => format!(
            " Each cell shows a {k} × {k} block of entries by its entry of largest magnitude, \
             sign kept (the matrix has more entries than the chart has room for)."
        ),
    }
}

/// Width of the colour-bar column of the Gram and norm charts, in pixels.
const BAR_COLUMN: u32 = 190;
/// The blank strip at the right of [`BAR_COLUMN`]: the colour bar draws its rotated title at
/// the right edge of its area, which without the strip sits a dozen pixels from the edge of
/// the image and reads as cut off.
const BAR_RIGHT_PAD: u32 = 24;

/// [`chart_frame`] with a colour-bar column of [`BAR_COLUMN`] pixels, less a blank strip of
/// [`BAR_RIGHT_PAD`] at its right; returns (chart area, colour-bar area).
fn colour_bar_frame<'a>(
    root: &Area<'a>,
    title: &str,
    footer: &str,
) -> Result<(Area<'a>, Area<'a>)> {
    let (main, column) = chart_frame(root, title, Some(footer), BAR_COLUMN)?;
    Ok((main, column.margin(0, 0, 0, BAR_RIGHT_PAD)))
}

/// Background of a correlated pair's bars.
const CORR_SHADE: RGBColor = RGBColor(222, 233, 245);
/// Background of an anticorrelated pair's bars.
const ANTI_SHADE: RGBColor = RGBColor(250, 228, 208);

/// Feature norms of the best instance as bars coloured by superposition.
pub(crate) fn norm_bars(a: &Analysed, stem: String, why: &str) -> Result<Figure> {
    let inst = a.best_instance();
    let tree = a.tree.as_ref();
    let f = a.config.n_features as usize;
    let max_norm = inst.features.iter().fold(0.0f64, |m, g| m.max(g.norm));
    let top = if max_norm > 0.0 { 1.15 * max_norm } else { 1.0 };
    let max_sup = inst
        .features
        .iter()
        .fold(0.0f64, |m, g| m.max(g.superposition));
    let sup_top = if max_sup > 0.0 { max_sup } else { 1.0 };
    let title = format!(
        "Feature norms by superposition — {}, instance {}",
        a.config.config_id, inst.instance
    );
    let pairs = a.pairs();
    let caption = match tree {
        Some(_) => format!(
            "Norm ‖W_i‖ of every feature of the lowest-loss instance ({}, {}) of config \
             {}, in breadth-first order (dashed lines: level boundaries); colour: superposition \
             Σ_{{j≠i}} (Ŵ_i · W_j)², 0 for a feature alone in its direction. {why}",
            inst.instance,
            a.loss_text(inst),
            a.config.config_id
        ),
        None => format!(
            "Norm ‖W_i‖ of every feature of the lowest-loss instance ({}, p = {}, {}) \
             of config {} ({} features without a tree), in index order{}; colour: \
             superposition Σ_{{j≠i}} (Ŵ_i · W_j)², 0 for a feature alone in its direction. {why}",
            inst.instance,
            fmt_p(inst.feature_probability),
            a.loss_text(inst),
            a.config.config_id,
            f,
            match (pairs.correlated, pairs.anticorrelated) {
                (0, 0) => "",
                _ => {
                    " (shaded behind the bars: correlated pairs blue, anticorrelated pairs \
                     orange)"
                }
            }
        ),
    };
    let footer = if tree.is_some() {
        "L = tree level; a bar's colour is its feature's superposition."
    } else {
        "A bar's colour is its feature's superposition."
    };
    // The chart spans about 720 px.
    let px_per_feature = 720.0 / f as f64;
    let x_ticks: Vec<f64> = if f <= 24 {
        (0..f).map(|i| i as f64).collect()
    } else if tree.is_none() {
        nice_ticks(0.0, (f - 1) as f64, 10)
            .into_iter()
            .filter(|v| v.fract() == 0.0)
            .collect()
    } else {
        let mut t: Vec<f64> = std::iter::once(0)
            .chain(level_starts(tree))
            .map(|s| s as f64)
            .collect();
        t.push((f - 1) as f64);
        t.dedup();
        spaced_ticks(&t, px_per_feature)
    };
    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (main, bar) = colour_bar_frame(root, &title, footer)?;
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .x_label_area_size(56)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(-0.5, f as f64 - 0.5, x_ticks),
                Axis::nice(0.0, top, 6),
            )?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .x_desc(if tree.is_some() {
                "feature i (breadth-first)"
            } else {
                "feature i"
            })
            .y_desc("‖W_i‖")
            .x_label_formatter(&|v| format!("{}", v.round() as i64))
            .y_label_formatter(&|v| fmt_num(*v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()?;
        for (start, anti) in pairs.blocks() {
            let x = start as f64;
            let shade = if anti { ANTI_SHADE } else { CORR_SHADE };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - 0.5, 0.0), (x + 1.5, top)],
                shade.filled(),
            )))?;
            if f <= 40 {
                chart.draw_series(std::iter::once(Text::new(
                    if anti { "anti" } else { "corr" },
                    (x + 0.5, top * 0.985),
                    text_style(13, MUTED, HPos::Center, VPos::Top),
                )))?;
            }
        }
        chart.draw_series(inst.features.iter().enumerate().map(|(i, g)| {
            let x = i as f64;
            Rectangle::new(
                [(x - 0.4, 0.0), (x + 0.4, g.norm)],
                viridis(g.superposition / sup_top).filled(),
            )
        }))?;
        for s in level_starts(tree) {
            let x = s as f64 - 0.5;
            chart.draw_series(DashedLineSeries::new(
                vec![(x, 0.0), (x, top)],
                6,
                4,
                BLACK.stroke_width(1),
            ))?;
        }
        if let Some(t) = tree {
            // Level names over the levels wide enough to hold them (about 9 px a character),
            // so that a deep tree's first, narrow levels carry none rather than a jumble.
            for l in 1..=t.depth() {
                let (r, name) = (t.level_range(l), format!("L{l}"));
                if (r.len() as f64) * px_per_feature < 9.0 * name.len() as f64 + 4.0 {
                    continue;
                }
                chart.draw_series(std::iter::once(Text::new(
                    name,
                    ((r.start + r.end - 1) as f64 / 2.0, top * 0.985),
                    text_style(15, MUTED, HPos::Center, VPos::Top),
                )))?;
            }
        }
        colour_bar(
            &bar,
            Axis::nice(0.0, sup_top, 6),
            "superposition Σ_{j≠i} (Ŵ_i · W_j)²",
            &|v| fmt_num(*v),
            |v| viridis(v / sup_top),
        )?;
        Ok(())
    })?;
    Ok(Figure {
        entry: ManifestEntry {
            stem,
            title,
            caption,
            kind: "norms".to_owned(),
            config_id: Some(a.config.config_id.clone()),
        },
        svg,
    })
}

const RELATION_LABELS: [&str; 3] = ["siblings", "ancestor–descendant", "unrelated"];

/// A cosine bar's colour: its relation's.
fn bar_colour(rel: Relation) -> RGBColor {
    categorical(rel as usize)
}

/// A dot's colour: its bar's, darker, so that a dot shows its group on the bar or beside it.
fn dot_colour(rel: Relation) -> RGBColor {
    darken(bar_colour(rel), 0.45)
}

/// Bars less tall than this (pixels) get a zero mark: a mean cosine of 0 (ancestors and
/// descendants stored orthogonally) would otherwise draw nothing, as if the group were missing.
const FLAT_BAR: i32 = 3;

/// Widest box plot beside a cosine bar, in pixels: wide enough for its median line to read,
/// narrow enough to leave the room to the bar on a shallow tree's wide slots.
const BOX_MAX_PX: f64 = 14.0;

/// Widest gap between a cosine bar and its box plot, in pixels: close enough to read as one.
const BOX_GAP_PX: f64 = 4.0;

/// The cosine chart's chart context.
type CosineChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>;

/// Where a relation's marks sit in its slot of a level, as x offsets (level units) from the
/// slot's centre: the bar (mean) on the left, the box plot of its pairs' cosines on its right.
/// Together they fill the middle 84 % of the slot, as a bar alone did, so neighbouring slots
/// keep their gap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SlotLayout {
    bar: (f64, f64),
    box_plot: (f64, f64),
}

impl SlotLayout {
    /// The layout of a slot `slot` level units wide, where a level is `px_per_level` pixels.
    fn new(slot: f64, px_per_level: f64) -> SlotLayout {
        let half = 0.42 * slot;
        let box_width = (0.24 * slot).min(BOX_MAX_PX / px_per_level);
        let gap = (0.08 * slot).min(BOX_GAP_PX / px_per_level);
        SlotLayout {
            bar: (-half, half - box_width - gap),
            box_plot: (half - box_width, half),
        }
    }
}

/// Draws a box plot of `s`'s cosines between x = `left` and `right`: a box from the first to
/// the third quartile with a line at the median, and whiskers (capped) out to the minimum and
/// the maximum. Nothing without live pairs.
fn draw_box_plot(
    chart: &mut CosineChart,
    (left, right): (f64, f64),
    s: &CosineStats,
) -> Result<()> {
    if s.n_pairs() == 0 {
        return Ok(());
    }
    let [min, q25, median, q75, max] = [s.min(), s.q25(), s.median(), s.q75(), s.max()];
    let centre = (left + right) / 2.0;
    let cap = 0.3 * (right - left);
    let mut lines = Vec::new();
    // Whiskers stop at the box, so that its inside shows only the median.
    for (end, edge) in [(min, q25), (max, q75)] {
        lines.push((vec![(centre, end), (centre, edge)], 1));
        lines.push((vec![(centre - cap, end), (centre + cap, end)], 1));
    }
    lines.push((vec![(left, median), (right, median)], 2));
    chart.draw_series(std::iter::once(Rectangle::new(
        [(left, q25), (right, q75)],
        INK_FILL.filled(),
    )))?;
    chart.draw_series(std::iter::once(outline(
        [(left, q25), (right, q75)],
        INK.stroke_width(1),
    )))?;
    for (points, width) in lines {
        chart.draw_series(std::iter::once(PathElement::new(
            points,
            INK.stroke_width(width),
        )))?;
    }
    Ok(())
}

/// The cosine chart's legend entry for its box plots.
const SPREAD_LEGEND: &str = "pairs' cosines:\nbox 25–75 %, line median,\nwhiskers min–max";

/// The instances a cosine chart pools: the solved ones (eval loss below the threshold, or
/// decoding every sample) when at least one is (the config was selected for them; a failed
/// instance's geometry would blur theirs), otherwise all; in instance order. The flag says
/// whether they are the solved ones.
pub(crate) fn pooled_instances(a: &Analysed, solved: Solved) -> (Vec<&InstanceGeo>, bool) {
    let below: Vec<&InstanceGeo> = a.instances.iter().filter(|i| solved.instance(i)).collect();
    if below.is_empty() {
        (a.instances.iter().collect(), false)
    } else {
        (below, true)
    }
}

/// The cosine chart's sentence on which instances its bars pool.
fn pooled_note(
    n_pooled: usize,
    n_analysed: usize,
    below: bool,
    solved: Solved,
    word: &str,
) -> String {
    if !below {
        format!(
            "Bars pool the pairs of all {n_analysed} analysed instance(s) (none {}); dots: one \
             per instance.",
            solved.has(word)
        )
    } else if n_pooled == n_analysed {
        format!(
            "Bars pool the pairs of all {n_analysed} analysed instance(s), each {}; dots: one \
             per instance.",
            solved.with(word)
        )
    } else {
        format!(
            "Bars pool the pairs of the {n_pooled} of {n_analysed} analysed instances {}, \
             leaving out the other {}; dots: one per pooled instance.",
            solved.with(word),
            n_analysed - n_pooled
        )
    }
}

/// Mean cosine per level of siblings, ancestor–descendant and unrelated pairs, as grouped
/// bars pooled over the solved instances (all when none is, see [`pooled_instances`]) with one
/// dot per pooled instance, and beside each bar a box plot of the same pooled pairs' cosines
/// (quartiles, median, min and max). Needs a tree.
pub(crate) fn cosine_bars(a: &Analysed, stem: String, why: &str, solved: Solved) -> Result<Figure> {
    let tree = a
        .tree
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("a cosine-by-level chart needs a tree"))?;
    let depth = tree.depth();
    let (instances, below) = pooled_instances(a, solved);
    let mut pooled: BTreeMap<(Relation, u32), CosineStats> = BTreeMap::new();
    let mut dots: Vec<(Relation, u32, usize, f64)> = Vec::new();
    for (k, inst) in instances.iter().enumerate() {
        for rel in Relation::ALL {
            for (level, s) in inst.hierarchy.by_level(rel) {
                pooled.entry((rel, level)).or_default().merge(&s);
                if s.n_pairs() > 0 {
                    dots.push((rel, level, k, s.mean()));
                }
            }
        }
    }
    let n_inst = instances.len();
    let title = format!("Cosines by level — {}", a.config.config_id);
    let caption = format!(
        "Mean cosine between the embeddings of sibling, ancestor–descendant and unrelated feature \
         pairs of config {}, per level: siblings at their level, ancestor–descendant pairs at the \
         descendant's level, unrelated pairs at the deeper node's level. {} Beside each bar, the \
         spread of the same pairs' cosines: box 25–75 % (quartiles interpolated linearly \
         between ranks), line median, whiskers min–max. Pairs with a dead feature (norm < 1e-6) \
         are left out. {why}",
        a.config.config_id,
        pooled_note(n_inst, a.instances.len(), below, solved, a.loss_word())
    );
    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (main, side) = chart_frame(
            root,
            &title,
            Some("Level: siblings' level / descendant's level / deeper node's level."),
            LEGEND_WIDTH,
        )?;
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .x_label_area_size(56)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(
                    0.5,
                    f64::from(depth) + 0.5,
                    (1..=depth).map(f64::from).collect(),
                ),
                Axis::new(-1.05, 1.05, nice_ticks(-1.0, 1.0, 8)),
            )?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(GRID)
            .x_desc("tree level")
            .y_desc("cosine")
            .x_label_formatter(&|v| format!("level {}", v.round() as i64))
            .y_label_formatter(&|v| fmt_num(*v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()?;
        let slot = 0.27;
        let offset = |rel: Relation| (rel as usize as f64 - 1.0) * slot;
        let px = |x: f64| f64::from(chart.backend_coord(&(x, 0.0)).0);
        let layout = SlotLayout::new(slot, px(1.5) - px(0.5));
        let mut flat = Vec::new();
        for ((rel, level), s) in &pooled {
            if s.n_pairs() == 0 {
                continue;
            }
            let centre = f64::from(*level) + offset(*rel);
            let (left, right) = (centre + layout.bar.0, centre + layout.bar.1);
            let x = (left + right) / 2.0;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(left, 0.0), (right, s.mean())],
                bar_colour(*rel).filled(),
            )))?;
            let height = chart.backend_coord(&(x, s.mean())).1 - chart.backend_coord(&(x, 0.0)).1;
            if height.abs() < FLAT_BAR {
                flat.push((*rel, left, right));
            }
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.5, 0.0), (f64::from(depth) + 0.5, 0.0)],
            BLACK.stroke_width(1),
        )))?;
        // Over the axis line, so that a group whose mean is 0 still shows.
        for (rel, left, right) in &flat {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(*left, 0.0), (*right, 0.0)],
                bar_colour(*rel).stroke_width(5),
            )))?;
        }
        for ((rel, level), s) in &pooled {
            let centre = f64::from(*level) + offset(*rel);
            let (left, right) = layout.box_plot;
            draw_box_plot(&mut chart, (centre + left, centre + right), s)?;
        }
        let bar_width = layout.bar.1 - layout.bar.0;
        let bar_centre = (layout.bar.0 + layout.bar.1) / 2.0;
        for (rel, level, k, mean) in &dots {
            // Spread over the middle 70 % of the bar, clear of its edges and of the box plot.
            let spread = if n_inst > 1 {
                (*k as f64 / (n_inst - 1) as f64 - 0.5) * bar_width * 0.7
            } else {
                0.0
            };
            let x = f64::from(*level) + offset(*rel) + bar_centre + spread;
            let dot = dot_colour(*rel).filled();
            chart.draw_series(std::iter::once(Circle::new((x, *mean), 3, dot)))?;
        }
        let mut entries: Vec<(String, Mark)> = (Relation::ALL.iter().zip(RELATION_LABELS))
            .map(|(rel, l)| (l.to_owned(), Mark::patch(bar_colour(*rel))))
            .collect();
        if !flat.is_empty() {
            entries.push(("mean ≈ 0: a flat bar".to_owned(), Mark::line(MUTED, 5)));
        }
        let dot = if below && n_inst < a.instances.len() {
            solved.legend()
        } else {
            "one instance".to_owned()
        };
        entries.push((
            format!("{dot}\n(its bar's colour, darker)"),
            Mark::Dot(darken(MUTED, 0.45)),
        ));
        entries.push((SPREAD_LEGEND.to_owned(), Mark::BoxPlot));
        legend(&side, "Pairs", &entries)?;
        Ok(())
    })?;
    Ok(Figure {
        entry: ManifestEntry {
            stem,
            title,
            caption,
            kind: "cosines".to_owned(),
            config_id: Some(a.config.config_id.clone()),
        },
        svg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_and_margins() {
        assert_eq!(square_grid(1, 700, 600), (1, 1));
        assert_eq!(square_grid(4, 760, 600), (2, 2));
        assert_eq!(square_grid(3, 760, 300), (1, 3));
        let (l, r, t, b) = square_margins(500, 400, 40, 30, 5);
        assert_eq!(500 - 40 - l - r, 400 - 30 - t - b);
    }

    #[test]
    fn panels_take_in_the_unit_circle_unless_the_arrows_are_short() {
        // Longest arrow 0.8 (a depth-6 tree in 2D): stretched to show norm 1.
        assert_eq!(panel_extent(0.8), (1.1, true));
        let (r, circle) = panel_extent(1.2);
        assert!(circle && (r - 1.38).abs() < 1e-12);
        assert_eq!(panel_extent(0.5), (1.1, true));
        // Short arrows keep their size; the circle, which would not fit, is left out.
        let (r, circle) = panel_extent(0.3);
        assert!(!circle && (r - 0.345).abs() < 1e-12 && r < 1.0);
        // Every feature dead: the circle alone.
        assert_eq!(panel_extent(0.0), (1.1, true));
    }

    #[test]
    fn tips_are_numbered_for_the_top_levels_that_fit() {
        let tree = |d| TreeSpec::new(d, 2, 0.5).unwrap();
        assert_eq!(tip_labels(Some(&tree(3)), 14), 14);
        assert_eq!(tip_labels(Some(&tree(4)), 30), 30);
        // Depth 5 and 6: levels 1–4, features 0–29.
        assert_eq!(tip_labels(Some(&tree(5)), 62), 30);
        assert_eq!(tip_labels(Some(&tree(6)), 126), 30);
        // 50 level-1 features: none fit.
        let wide = TreeSpec::new(1, 50, 0.5).unwrap();
        assert_eq!(tip_labels(Some(&wide), 50), 0);
        // Without a tree: all or none.
        assert_eq!(tip_labels(None, 40), 40);
        assert_eq!(tip_labels(None, 41), 0);

        let (footer, caption) = tip_notes(Some(&tree(6)), 126, 30);
        assert!(footer.contains("levels 1–4 only"), "{footer}");
        assert!(
            caption.contains("(features 0–29: the 126 features"),
            "{caption}"
        );
        let (footer, caption) = tip_notes(None, 41, 0);
        assert!(!footer.contains("number ="), "{footer}");
        assert!(caption.contains("not numbered"), "{caption}");
        let (footer, _) = tip_notes(None, 5, 5);
        assert!(footer.contains("number = feature index,"), "{footer}");
    }

    #[test]
    fn tip_labels_never_overlap_and_shallow_levels_win() {
        let tip = |feature, at, level, len| TipLabel {
            feature,
            at,
            level,
            len,
        };
        // 100 px per unit: 0.05 apart is 5 px, less than a label's box.
        let tips = vec![
            tip(7, (0.52, 0.5), 3, 0.7),
            tip(1, (0.5, 0.5), 1, 0.5),
            tip(2, (0.5, 0.52), 2, 0.9),
            tip(3, (-0.5, 0.5), 2, 0.7),
            tip(4, (-0.5, 0.45), 2, 0.8),
            // Side by side, clear of each other: 30 px apart.
            tip(5, (0.0, -0.5), 2, 0.3),
            tip(6, (0.3, -0.5), 2, 0.3),
        ];
        let placed: Vec<usize> = place_tip_labels(tips, 100.0)
            .iter()
            .map(|t| t.feature)
            .collect();
        // Level 1 first; among equals the longer arrow.
        assert_eq!(placed, vec![1, 4, 5, 6]);
    }

    /// Ancestors and descendants stored orthogonally have a mean cosine of exactly 0: their
    /// group still shows, as a thick mark at 0 in its colour, and every dot takes its bar's
    /// colour, darker.
    #[test]
    fn a_group_at_zero_keeps_a_mark_and_dots_take_their_groups_colour() {
        use crate::features::Gram;
        use crate::hierarchy::HierarchyStats;
        // A depth-2 binary tree in 3 dimensions: the level-1 features along x, their children
        // along y and z, so that no ancestor shares a direction with its descendants.
        let tree = TreeSpec::new(2, 2, 0.5).unwrap();
        assert_eq!((tree.parent(2), tree.parent(4)), (Some(0), Some(1)));
        let r = std::f32::consts::FRAC_1_SQRT_2;
        let columns = [
            [1.0, 0.0, 0.0],
            [-1.0, 0.0, 0.0],
            [0.0, r, r],
            [0.0, -1.0, 0.0],
            [0.0, 0.0, 1.0],
            [0.0, 0.0, -1.0],
        ];
        let (h, f) = (3, columns.len());
        let w: Vec<f32> = (0..h)
            .flat_map(|k| columns.iter().map(move |c| c[k]))
            .collect();
        let gram = Gram::of(&w, h, f);
        let instance = |instance| InstanceGeo {
            instance,
            eval_loss: 1e-9,
            judged_loss: 1e-9,
            decoded: None,
            feature_probability: 0.25,
            w: w.clone(),
            bias: vec![0.0; f],
            features: gram.feature_geometry(),
            hierarchy: HierarchyStats::of(&gram, Some(&tree)),
            frobenius_sq: gram.frobenius_sq(),
            gram: Some(gram.clone()),
        };
        let a = Analysed {
            config: report::RunRow::seed_example(2, 3, 0, 1e-9),
            tree: Some(tree),
            instances: vec![instance(0), instance(1)],
            best: 0,
            relative_loss: false,
            probability_bits: Vec::new(),
        };
        let ancestors = a.instances[0].hierarchy.by_level(Relation::Ancestor);
        assert_eq!(ancestors[&2].mean(), 0.0);
        let svg = cosine_bars(&a, "geometry_cosines_x".into(), "", Solved::by_loss(1e-5))
            .unwrap()
            .svg;

        let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let ys = |n: &roxmltree::Node| -> Vec<f64> {
            (n.attribute("points").unwrap().split_whitespace())
                .map(|p| p.split_once(',').unwrap().1.parse().unwrap())
                .collect()
        };
        let lines: Vec<roxmltree::Node> = (doc.descendants())
            .filter(|n| n.has_tag_name("polyline"))
            .collect();
        // The line at 0: black and across the plot, above the x axis.
        let xs = |n: &roxmltree::Node| -> Vec<f64> {
            (n.attribute("points").unwrap().split_whitespace())
                .map(|p| p.split_once(',').unwrap().0.parse().unwrap())
                .collect()
        };
        let zero = (lines.iter())
            .filter(|n| n.attribute("stroke") == Some("#000000"))
            .filter(|n| xs(n)[1] - xs(n)[0] > 300.0 && ys(n)[0] == ys(n)[1])
            .map(|n| ys(n)[0])
            .fold(f64::INFINITY, f64::min);
        let marks: Vec<&roxmltree::Node> = (lines.iter())
            .filter(|n| n.attribute("stroke") == Some(hex(bar_colour(Relation::Ancestor)).as_str()))
            .filter(|n| n.attribute("stroke-width") == Some("5"))
            .collect();
        assert_eq!(marks.len(), 1, "the ancestors' zero mark");
        assert!(ys(marks[0]).iter().all(|y| (y - zero).abs() < 1.0));
        assert!(
            roxmltree_texts(&doc)
                .iter()
                .any(|t| t.starts_with("mean ≈ 0"))
        );

        let fills: Vec<&str> = (doc.descendants())
            .filter(|n| n.has_tag_name("circle"))
            .filter_map(|n| n.attribute("fill"))
            .collect();
        for rel in Relation::ALL {
            // Two instances at each of its levels.
            let want = hex(dot_colour(rel));
            let n = fills.iter().filter(|f| **f == want).count();
            let levels = a.instances[0].hierarchy.by_level(rel).len();
            assert_eq!(n, 2 * levels, "{rel:?}: {fills:?}");
        }
        assert!(!fills.contains(&"#000000"), "{fills:?}");
    }

    /// On a chart a level is 656 px wide at depth 1, 60 at depth 11 (the deepest binary tree
    /// a sweep allows): the box plot always sits right of its bar, apart from it, within the
    /// bar's old footprint, never wider than the bar or [`BOX_MAX_PX`].
    #[test]
    fn a_slot_holds_its_bar_then_its_box_plot() {
        let slot = 0.27;
        for depth in 1..=11 {
            let px_per_level = 656.0 / f64::from(depth);
            let SlotLayout { bar, box_plot } = SlotLayout::new(slot, px_per_level);
            let px = |x: f64| x * px_per_level;
            assert_eq!(
                (bar.0, box_plot.1),
                (-0.42 * slot, 0.42 * slot),
                "depth {depth}"
            );
            let gap = px(box_plot.0 - bar.1);
            assert!(
                (1.0..=BOX_GAP_PX + 1e-9).contains(&gap),
                "depth {depth}: gap {gap} px"
            );
            let box_width = px(box_plot.1 - box_plot.0);
            assert!(
                box_width <= BOX_MAX_PX + 1e-9,
                "depth {depth}: box {box_width} px"
            );
            assert!(
                px(bar.1 - bar.0) > box_width,
                "depth {depth}: bar narrower than its box"
            );
        }
    }

    fn roxmltree_texts(doc: &roxmltree::Document) -> Vec<String> {
        (doc.descendants().filter(|n| n.has_tag_name("text")))
            .map(|n| n.text().unwrap_or_default().trim().to_owned())
            .collect()
    }

    #[test]
    fn spaced_ticks_keep_the_ends_and_give_way_at_the_crowded_left() {
        // Depth 10's level starts: 0 2 6 … 1022 and the last feature, 2045.
        let starts = [
            0.0, 2.0, 6.0, 14.0, 30.0, 62.0, 126.0, 254.0, 510.0, 1022.0, 2045.0,
        ];
        // 720 px for 2046 features: 126 is 44 px from 0, room for both labels (27 px); 62 is
        // 22 px from 0, short of the 22.25 px that `0` and `62` need.
        assert_eq!(
            spaced_ticks(&starts, 720.0 / 2046.0),
            [0.0, 126.0, 254.0, 510.0, 1022.0, 2045.0]
        );
        // Depth 6 over 720 px: only `2` is too close to `0`.
        let depth6 = [0.0, 2.0, 6.0, 14.0, 30.0, 62.0, 125.0];
        assert_eq!(
            spaced_ticks(&depth6, 720.0 / 126.0),
            [0.0, 6.0, 14.0, 30.0, 62.0, 125.0]
        );
        // Room for all of them: all kept.
        assert_eq!(spaced_ticks(&starts, 100.0), starts);
        assert_eq!(spaced_ticks(&[3.0], 5.0), [3.0]);
        assert!(spaced_ticks(&[], 5.0).is_empty());
    }

    #[test]
    fn pooled_note_says_which_instances_the_bars_pool() {
        let by_loss = Solved::by_loss(1e-5);
        let some = pooled_note(3, 5, true, by_loss, "eval loss");
        assert!(
            some.contains("the 3 of 5 analysed instances with eval loss < 1.0e-5"),
            "{some}"
        );
        assert!(some.contains("leaving out the other 2"), "{some}");
        let all = pooled_note(5, 5, true, by_loss, "eval loss");
        assert!(all.contains("all 5 analysed instance(s), each with eval loss < 1.0e-5"));
        let none = pooled_note(5, 5, false, by_loss, "eval loss");
        assert!(none.contains("all 5 analysed instance(s) (none has eval loss < 1.0e-5)"));
        let by_decoding = Solved::by_decoding();
        let some = pooled_note(3, 5, true, by_decoding, "exact loss");
        assert!(
            some.contains("the 3 of 5 analysed instances decoding every possible sample"),
            "{some}"
        );
        let none = pooled_note(5, 5, false, by_decoding, "exact loss");
        assert!(
            none.contains("(none decodes every possible sample)"),
            "{none}"
        );
    }
}
