//! The TMS paper's feature-dimensionality chart: dimensions per feature against `1/(1−S)`,
//! for sweeps over the feature probability `p = 1 − S` of sparse features without a tree.
//!
//! [`dims_points`] computes the chart's data from the rows of `geometry_instances.csv` and
//! `geometry_features.csv` alone (so the chart can be rebuilt from those files);
//! [`plot_dims_per_feature`] draws it.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use report::ManifestEntry;
use report::draw::{
    Axis, FONT, GRID, GRID_LIGHT, MUTED, Mark, PLOT_HEIGHT, PLOT_WIDTH, categorical, chart_frame,
    fmt_num, legend, lighten, sanitize, svg_document, text_style,
};

use crate::analyse::Analysed;
use crate::plots::Figure;
use crate::schema::{FeatureRow, InstanceRow};

/// One instance of the dimensions-per-feature chart.
#[derive(Debug, Clone, PartialEq)]
pub struct DimsPoint {
    /// Configuration id.
    pub config_id: String,
    /// Instance index.
    pub instance: u32,
    /// The instance's mean feature probability `p = 1 − S`.
    pub feature_probability: f64,
    /// `1/(1−S) = 1/p`, the chart's x.
    pub x: f64,
    /// The TMS paper's dimensions per feature of the whole instance, `n_hidden / ‖W‖_F²`
    /// (NaN for `W = 0`): the chart's line.
    pub total_dims: f64,
    /// `D_i = ‖W_i‖⁴ / Σ_j (W_i · W_j)²` of every live feature (norm at least
    /// [`crate::DEAD_NORM`]), in feature order: the chart's scatter.
    pub feature_dims: Vec<f64>,
}

/// The chart's points from `geometry_instances.csv` and `geometry_features.csv` rows: one
/// [`DimsPoint`] per instance row whose feature probability is finite and positive, with the
/// dimensions of its live features (rows of `features` with the same config and instance, not
/// `dead`). Sorted by x, then config id, then instance.
///
/// Pass the rows of one series (configs that differ only in `p`); [`crate::build`] does.
pub fn dims_points(instances: &[InstanceRow], features: &[FeatureRow]) -> Vec<DimsPoint> {
    let mut live: HashMap<(&str, u32), Vec<(u32, f64)>> = HashMap::new();
    for r in features.iter().filter(|r| !r.dead) {
        live.entry((r.config_id.as_str(), r.instance))
            .or_default()
            .push((r.feature, r.dims));
    }
    let mut points: Vec<DimsPoint> = instances
        .iter()
        .filter(|r| r.feature_probability.is_finite() && r.feature_probability > 0.0)
        .map(|r| {
            let mut dims = live
                .remove(&(r.config_id.as_str(), r.instance))
                .unwrap_or_default();
            dims.sort_by_key(|d| d.0);
            DimsPoint {
                config_id: r.config_id.clone(),
                instance: r.instance,
                feature_probability: r.feature_probability,
                x: 1.0 / r.feature_probability,
                total_dims: r.total_dims,
                feature_dims: dims.into_iter().map(|d| d.1).collect(),
            }
        })
        .collect();
    points.sort_by(|a, b| {
        a.x.total_cmp(&b.x)
            .then_with(|| a.config_id.cmp(&b.config_id))
            .then(a.instance.cmp(&b.instance))
    });
    points
}

/// The chart's line: the mean finite `total_dims` at each distinct x, by increasing x.
pub fn dims_line(points: &[DimsPoint]) -> Vec<(f64, f64)> {
    let mut by_x: BTreeMap<u64, (f64, f64, usize)> = BTreeMap::new();
    for p in points.iter().filter(|p| p.total_dims.is_finite()) {
        let e = by_x.entry(p.x.to_bits()).or_insert((p.x, 0.0, 0));
        e.1 += p.total_dims;
        e.2 += 1;
    }
    // Bits of positive floats sort like the floats.
    by_x.into_values()
        .map(|(x, s, n)| (x, s / n as f64))
        .collect()
}

/// The reference fractions of the TMS paper and their labels.
pub const DIMS_FRACTIONS: [(f64, &str); 6] = [
    (1.0, "1"),
    (0.75, "3/4"),
    (2.0 / 3.0, "2/3"),
    (0.5, "1/2"),
    (0.4, "2/5"),
    (0.375, "3/8"),
];

/// The highest y the chart shows; values above are drawn at the top edge.
const Y_CAP: f64 = 4.0;

/// Log-axis ticks for `lo..=hi` (decades): labelled `1, 2, 5 × 10^k` over at most three
/// decades, else powers of ten; light ticks at the other integers times `10^k`.
fn log_ticks(lo: i32, hi: i32) -> (Vec<f64>, Vec<f64>) {
    let few = hi - lo <= 3;
    let (mut bold, mut light) = (Vec::new(), Vec::new());
    for k in lo..=hi {
        for m in 1..10 {
            let v = f64::from(m).log10() + f64::from(k);
            if v > f64::from(hi) + 1e-9 {
                break;
            }
            if m == 1 || (few && (m == 2 || m == 5)) {
                bold.push(v);
            } else {
                light.push(v);
            }
        }
    }
    (bold, light)
}

/// `1`, `20`, `500`, `1e4`: a tick of the log axis (`v` is its log10).
fn log_label(v: f64) -> String {
    let x = 10f64.powf(v);
    if (1e-3..1e4).contains(&x) {
        fmt_num((x * 1e3).round() / 1e3)
    } else {
        format!("{x:.0e}")
    }
}

/// Draws dimensions per feature against `1/(1−S)` (log axis), the TMS paper's figure: for
/// each instance, `n_hidden / ‖W‖_F²` as a dot (black, joined by a line through the mean at
/// each x) and every live feature's `D_i` as a small translucent dot, with dashed reference
/// lines at 1, 3/4, 2/3, 1/2, 2/5 and 3/8 labelled as fractions.
///
/// `label` names the series: it goes into the title, the caption and the stem
/// `geometry_dims_<label>` (unsafe file-name characters replaced by `-`). The entry's kind is
/// `dims` and its `config_id` is the first point's config (`None` without points). Write the
/// result with [`crate::write_figures`].
pub fn plot_dims_per_feature(points: &[DimsPoint], label: &str) -> Result<Figure> {
    let line = dims_line(points);
    let (min_x, max_x) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
            (l.min(p.x), h.max(p.x))
        });
    let (lo, hi) = if points.is_empty() {
        (0, 2)
    } else {
        let lo = (min_x.log10() + 1e-9).floor().min(0.0) as i32;
        let hi = (max_x.log10() - 1e-9).ceil() as i32;
        (lo, hi.max(lo + 1))
    };
    let span = f64::from(hi - lo);
    let (x_lo, x_hi) = (f64::from(lo) - 0.03 * span, f64::from(hi) + 0.03 * span);
    let ys = points
        .iter()
        .flat_map(|p| std::iter::once(p.total_dims).chain(p.feature_dims.iter().copied()))
        .filter(|y| y.is_finite());
    let max_y = ys.clone().fold(0.0f64, f64::max);
    let y_top = (1.05 * max_y).clamp(1.1, Y_CAP);
    let clipped = ys.filter(|y| *y > y_top).count();
    let n_configs = points
        .iter()
        .map(|p| p.config_id.as_str())
        .collect::<HashSet<_>>()
        .len();

    let title = format!("Dimensions per feature vs 1/(1−S) — {label}");
    let mut caption = format!(
        "Dimensionality of the features of {label} against 1/(1−S) = 1/p, S the sparsity and p \
         the feature probability, log scale: {} instance(s) of {n_configs} config(s). Black \
         dots: each instance's dimensions per feature n_hidden / ‖W‖_F², the line joining their \
         mean at each p; small translucent dots: each live feature's D_i = ‖W_i‖⁴ / Σ_j (W_i · \
         W_j)² (features with norm < 1e-6 left out). Dashed lines: 1, 3/4, 2/3, 1/2, 2/5 and \
         3/8, the fractions the TMS paper finds features stick to.",
        points.len()
    );
    if clipped > 0 {
        caption.push_str(&format!(
            " {clipped} value(s) above {} are drawn at the top edge.",
            fmt_num(y_top)
        ));
    }
    let (bold, light) = log_ticks(lo, hi);
    let scatter = categorical(0);
    let svg = svg_document(PLOT_WIDTH, PLOT_HEIGHT, |root| {
        let (main, side) = chart_frame(
            root,
            &title,
            Some("S = sparsity = 1 − feature probability p; D_i = ‖W_i‖⁴ / Σ_j (W_i · W_j)²."),
            220,
        )?;
        let mut chart = ChartBuilder::on(&main)
            .margin(12)
            .margin_right(52)
            .x_label_area_size(56)
            .y_label_area_size(70)
            .build_cartesian_2d(
                Axis::new(x_lo, x_hi, bold).with_light(light),
                Axis::nice(0.0, y_top, 6),
            )?;
        chart
            .configure_mesh()
            .bold_line_style(GRID)
            .light_line_style(GRID_LIGHT)
            .x_desc("1/(1−S) = 1/p (log scale)")
            .y_desc("dimensions per feature")
            .x_label_formatter(&|v| log_label(*v))
            .y_label_formatter(&|v| fmt_num(*v))
            .label_style((FONT, 16))
            .axis_desc_style((FONT, 18))
            .draw()?;
        for (v, text) in DIMS_FRACTIONS {
            chart.draw_series(DashedLineSeries::new(
                vec![(x_lo, v), (x_hi, v)],
                6,
                4,
                MUTED.stroke_width(1),
            ))?;
            // 2/5 and 3/8 are close: one label above its line, the other below.
            let v_pos = match text {
                "2/5" => VPos::Bottom,
                "3/8" => VPos::Top,
                _ => VPos::Center,
            };
            let (px, py) = chart.backend_coord(&(x_hi, v));
            root.draw(&Text::new(
                text.to_owned(),
                (px + 6, py),
                text_style(15, MUTED, HPos::Left, v_pos),
            ))?;
        }
        let at = |x: f64, y: f64| (x.log10(), y.min(y_top));
        // Feature dots are larger than the instance dots drawn over them, so that a feature
        // at its instance's value still shows as a ring.
        chart.draw_series(points.iter().flat_map(|p| {
            p.feature_dims
                .iter()
                .filter(|d| d.is_finite())
                .map(move |d| Circle::new(at(p.x, *d), 6, scatter.mix(0.4).filled()))
        }))?;
        chart.draw_series(std::iter::once(PathElement::new(
            line.iter().map(|(x, y)| at(*x, *y)).collect::<Vec<_>>(),
            BLACK.stroke_width(2),
        )))?;
        chart.draw_series(
            points
                .iter()
                .filter(|p| p.total_dims.is_finite())
                .map(|p| Circle::new(at(p.x, p.total_dims), 3, BLACK.filled())),
        )?;
        legend(
            &side,
            "Dimensions per feature",
            &[
                (
                    "n_hidden / ‖W‖_F²\n(one instance; line:\nmean per p)".to_owned(),
                    Mark::Line {
                        colour: BLACK,
                        width: 2,
                        dashed: false,
                        marker: true,
                    },
                ),
                (
                    "D_i of one live\nfeature".to_owned(),
                    Mark::Dot(lighten(scatter, 0.5)),
                ),
                (
                    "1, 3/4, 2/3, 1/2, 2/5, 3/8".to_owned(),
                    Mark::Line {
                        colour: MUTED,
                        width: 1,
                        dashed: true,
                        marker: false,
                    },
                ),
            ],
        )?;
        Ok(())
    })?;
    Ok(Figure {
        entry: ManifestEntry {
            stem: format!("geometry_dims_{}", sanitize(label)),
            title,
            caption,
            kind: "dims".to_owned(),
            config_id: points.first().map(|p| p.config_id.clone()),
        },
        svg,
    })
}

/// What a dims series is keyed by: structure, n_features, correlated and anticorrelated pairs,
/// importance, magnitude, seed and n_hidden (everything but the feature probability).
type SeriesKey = (String, u32, u32, u32, String, String, report::Seeds, u32);

fn series_key(a: &Analysed) -> SeriesKey {
    let c = &a.config;
    (
        c.structure.clone(),
        c.n_features,
        c.correlated_pairs,
        c.anticorrelated_pairs,
        c.importance.clone(),
        c.magnitude.clone(),
        c.seed.clone(),
        c.n_hidden,
    )
}

/// One dims chart to draw.
pub(crate) struct DimsSeries<'a> {
    /// Short, for the title.
    pub label: String,
    /// For the stem.
    pub stem_label: String,
    /// Every key column and the configs, appended to the caption.
    pub description: String,
    pub configs: Vec<&'a Analysed>,
}

/// The sparse (`structure = sparse`) configs grouped into series that differ only in the
/// feature probability, in key order; only series whose analysed instances have at least
/// two distinct feature probabilities.
pub(crate) fn dims_series(analysed: &[Analysed]) -> Vec<DimsSeries<'_>> {
    let mut series: BTreeMap<SeriesKey, Vec<&Analysed>> = BTreeMap::new();
    for a in analysed.iter().filter(|a| a.is_sparse()) {
        series.entry(series_key(a)).or_default().push(a);
    }
    series
        .into_iter()
        .filter(|(_, configs)| {
            configs
                .iter()
                .flat_map(|a| a.instances.iter())
                .map(|i| i.feature_probability.to_bits())
                .collect::<HashSet<_>>()
                .len()
                >= 2
        })
        .map(
            |((structure, f, c, a, importance, magnitude, seed, h), configs)| {
                // Short, for the title; the caption gets every column.
                let mut label = format!("{f} features in {h} dims");
                let mut stem_label = format!("f{f}-h{h}");
                if c + a > 0 {
                    label.push_str(&format!(", pairs {c} corr. + {a} anti."));
                    stem_label.push_str(&format!("-c{c}-a{a}"));
                }
                if importance != "1" {
                    label.push_str(&format!(", importance {importance}"));
                    stem_label.push_str(&format!("-imp{importance}"));
                }
                stem_label.push_str(&format!("-{magnitude}-s{seed}"));
                let description = format!(
                    "Series: structure {structure}, {f} features, n_hidden {h}, {c} correlated and \
                 {a} anticorrelated pair(s), importance {importance}, {magnitude} magnitudes, \
                 seed {seed}; configs {}.",
                    configs
                        .iter()
                        .map(|a| a.config.config_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                DimsSeries {
                    label,
                    stem_label,
                    description,
                    configs,
                }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inst(id: &str, k: u32, p: f64, total: f64) -> InstanceRow {
        InstanceRow {
            config_id: id.to_owned(),
            instance: k,
            n_hidden: 2,
            n_features: 2,
            feature_probability: p,
            eval_loss: 0.1,
            best: k == 0,
            has_tree: false,
            frobenius_sq: 2.0 / total,
            total_dims: total,
            sum_dims: 0.0,
            mean_superposition: 0.0,
            n_dead: 0,
        }
    }

    fn feat(id: &str, k: u32, i: u32, dims: f64, dead: bool) -> FeatureRow {
        FeatureRow {
            config_id: id.to_owned(),
            instance: k,
            feature: i,
            level: 0,
            parent: None,
            subtree: None,
            norm: if dead { 0.0 } else { 1.0 },
            superposition: 0.0,
            dims,
            bias: 0.0,
            dead,
        }
    }

    fn points() -> Vec<DimsPoint> {
        let instances = [
            inst("a", 0, 1.0, 1.0),
            inst("a", 1, 0.1, 0.5),
            inst("b", 0, 0.1, 0.7),
            inst("b", 1, 0.0, 0.9),
        ];
        let features = [
            feat("a", 1, 1, 0.5, false),
            feat("a", 1, 0, 0.25, false),
            feat("a", 0, 0, 1.0, false),
            feat("a", 0, 1, 0.0, true),
            feat("b", 0, 0, 0.4, false),
        ];
        dims_points(&instances, &features)
    }

    #[test]
    fn points_join_instances_and_live_features_sorted_by_x() {
        let p = points();
        let keys: Vec<(&str, u32, f64)> = p
            .iter()
            .map(|p| (p.config_id.as_str(), p.instance, p.x))
            .collect();
        assert_eq!(keys, vec![("a", 0, 1.0), ("a", 1, 10.0), ("b", 0, 10.0)]);
        assert_eq!(p[0].feature_dims, vec![1.0]);
        assert_eq!(p[1].feature_dims, vec![0.25, 0.5]);
        assert_eq!(p[1].total_dims, 0.5);
        let line = dims_line(&p);
        assert_eq!(line.len(), 2);
        assert_eq!(line[0], (1.0, 1.0));
        assert!((line[1].1 - 0.6).abs() < 1e-12);
    }

    #[test]
    fn chart_is_valid_svg_with_the_fractions() {
        let fig = plot_dims_per_feature(&points(), "series S").unwrap();
        assert_eq!(fig.entry.stem, "geometry_dims_series-S");
        assert_eq!(fig.entry.kind, "dims");
        assert_eq!(fig.entry.config_id.as_deref(), Some("a"));
        let doc = roxmltree::Document::parse(&fig.svg).unwrap();
        // 4 live features, 3 instances, 1 legend dot and 1 legend marker.
        let circles = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count();
        assert_eq!(circles, 4 + 3 + 2);
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for t in ["1", "3/4", "2/3", "1/2", "2/5", "3/8", "10", "5"] {
            assert!(texts.contains(&t), "{t} in {texts:?}");
        }
    }

    #[test]
    fn log_ticks_label_one_two_five_over_few_decades() {
        let (bold, light) = log_ticks(0, 2);
        let labels: Vec<String> = bold.iter().map(|v| log_label(*v)).collect();
        assert_eq!(labels, ["1", "2", "5", "10", "20", "50", "100"]);
        assert_eq!(light.len(), 2 * 6);
        let (bold, _) = log_ticks(0, 5);
        let labels: Vec<String> = bold.iter().map(|v| log_label(*v)).collect();
        assert_eq!(labels, ["1", "10", "100", "1000", "1e4", "1e5"]);
    }
}
