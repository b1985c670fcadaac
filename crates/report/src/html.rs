//! The self-contained `index.html`: plain HTML and CSS, every chart inline, nothing fetched.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::ReportOptions;
use crate::analysis::{
    AnswerCells, Series, capitalised, decoded_aggregates, decoded_name, decoded_title, fmt_p,
    group_in_order, has_tree, is_diverged, loss_word, loss_word_of_answers, p_key, p_range,
    series_of,
};
use crate::draw::{fmt_loss, fmt_loss_vs};
use crate::manifest::{Embed, Figure, Listed};
use crate::plots::Plot;
use crate::schema::{Aggregate, Criterion, MinHiddenRow, PassRule, RunRow, SummaryRow};

/// Everything the page shows.
pub(crate) struct Page<'a> {
    pub opts: &'a ReportOptions,
    pub runs: &'a [RunRow],
    pub summary: &'a [SummaryRow],
    pub min_hidden: &'a [MinHiddenRow],
    pub plots: &'a [Plot],
    /// Facts computed from the data, listed after the caller's notes.
    pub facts: Vec<String>,
    /// Data files in the run folder to link to (relative paths).
    pub data_files: Vec<String>,
    /// The geometry crate's figures (`plots/geometry.json`), when it has run.
    pub geometry: Option<Geometry>,
    /// The figures for a paper (`figures/`).
    pub paper: Paper,
}

/// What the "Figures for a paper" section shows.
pub(crate) struct Paper {
    /// Each figure's stem, title and PNG.
    pub figures: Vec<(String, String, Vec<u8>)>,
    /// The series the `min_hidden` figure leaves out (without a tree).
    pub left_out: Vec<String>,
}

/// What the Geometry section shows.
pub(crate) struct Geometry {
    /// The figures of `plots/geometry.json` whose files exist.
    pub listed: Listed,
    /// The geometry tables present in the run folder (relative paths).
    pub data_files: Vec<String>,
    /// Per-seed config ids → pooled ids, when seeds are pooled: the figures name the configs
    /// as trained.
    pub pooled_ids: BTreeMap<String, String>,
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --ink: #1d1d1f; --muted: #5f6368; --rule: #d0d4d9; --soft: #f4f6f8; --pass: #e8f4ea; --none: #fbeaea; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
       max-width: 1120px; margin: 2rem auto; padding: 0 1.25rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7rem; margin: 0 0 .4rem; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .6rem; padding-bottom: .25rem; border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
h4 { font-size: .95rem; margin: 1.2rem 0 .3rem; color: var(--muted); }
.convention ul { margin: .3rem 0; padding-left: 1.2rem; }
.convention p { margin: .2rem 0; }
p, li { max-width: 80ch; }
nav ul { columns: 2; padding-left: 1.2rem; }
pre { background: var(--soft); border: 1px solid var(--rule); padding: .8rem 1rem; overflow-x: auto;
      font-size: 13px; line-height: 1.35; white-space: pre-wrap; }
.note { color: var(--muted); }
.convention { border-left: 4px solid #4e79a7; background: var(--soft); padding: .6rem 1rem; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--rule); padding: .25rem .5rem; text-align: right; }
th { background: var(--soft); text-align: center; }
td.id, th.id { text-align: left; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
tr.pass td, td.pass { background: var(--pass); }
th.label { text-align: left; font-weight: normal; }
td.none { background: var(--none); color: #8a1c1c; }
table.min-hidden td { text-align: center; min-width: 4.5em; }
table.min-hidden .headline { font-weight: bold; }
.wide { overflow-x: auto; }
figure { margin: 1.2rem 0 2rem; break-inside: avoid; page-break-inside: avoid; }
figure svg, figure img { display: block; width: 100%; max-width: 1000px; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 13px; margin-top: .3rem; }
figure.paper { display: inline-block; vertical-align: top; width: 325px; margin: .4rem 1rem .8rem 0; }
figure.paper img { width: 325px; max-width: 100%; }
a { color: #1a5fa8; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  nav { display: none; }
  h2 { break-before: auto; break-after: avoid; }
  figure svg, figure img { border: none; max-width: 100%; }
  a { color: inherit; text-decoration: none; }
}
"#;

impl Page<'_> {
    pub(crate) fn render(&self) -> String {
        let t = self.opts.threshold;
        let mut h = String::new();
        let title = esc(&self.opts.title);
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        );

        let series = series_of(self.summary);
        let overview: Vec<&Plot> = self.plots.iter().filter(|p| p.series.is_none()).collect();

        h.push_str("<nav><ul>\n");
        h.push_str("<li><a href=\"#notes\">Run notes and loss convention</a></li>\n");
        h.push_str("<li><a href=\"#min-hidden\">Smallest n_hidden that stores the tree</a></li>\n");
        if !overview.is_empty() {
            h.push_str("<li><a href=\"#overview\">Overview charts</a></li>\n");
        }
        for s in &series {
            let _ = writeln!(
                h,
                "<li><a href=\"#series-{}\">Series: {}</a></li>",
                esc(&s.slug()),
                esc(&s.label())
            );
        }
        if self.geometry.is_some() {
            h.push_str("<li><a href=\"#geometry\">Geometry of the trained weights</a></li>\n");
        }
        if !self.paper.figures.is_empty() {
            h.push_str("<li><a href=\"#paper\">Figures for a paper</a></li>\n");
        }
        h.push_str("<li><a href=\"#summary\">Summary table</a></li>\n");
        if self.opts.config_toml.is_some() {
            h.push_str("<li><a href=\"#config\">Configuration</a></li>\n");
        }
        h.push_str("</ul></nav>\n");

        // Notes and the loss convention.
        h.push_str("<h2 id=\"notes\">Run notes and loss convention</h2>\n<ul>\n");
        for note in self.opts.notes.iter().chain(&self.facts) {
            let _ = writeln!(h, "<li>{}</li>", esc(note));
        }
        h.push_str("</ul>\n");
        let _ = writeln!(
            h,
            "<p class=\"convention\"><strong>Loss convention.</strong> Loss is the \
             importance-weighted squared reconstruction error, <strong>averaged</strong> over the \
             batch <em>and over the features</em>, per instance. The TMS paper and other tools \
             <strong>sum</strong> over features, so their losses are n_features times larger{}. \
             An n_hidden “reaches” the threshold when the aggregate (min, mean, median or sum \
             over instances) of its loss is strictly below it and, for the mean, median and \
             sum, no instance diverged. Diverged instances (a non-finite loss or weight) are left \
             out of the min, mean and median and counted separately; they make the sum NaN.</p>",
            if self.opts.relative_loss {
                // A ratio of two losses of one convention is the same in the other.
                " (the relative losses here, ratios of two losses, are the same in both)".to_owned()
            } else {
                format!(
                    ": the threshold {} here corresponds to {} × n_features there",
                    fmt_loss(t),
                    fmt_loss(t)
                )
            }
        );
        if !self.data_files.is_empty() {
            h.push_str("<p>Data: ");
            let links: Vec<String> = self
                .data_files
                .iter()
                .map(|f| format!("<a href=\"{0}\">{0}</a>", esc(f)))
                .collect();
            h.push_str(&links.join(" · "));
            h.push_str("</p>\n");
        }

        // The min-hidden table.
        let _ = writeln!(
            h,
            "<h2 id=\"min-hidden\">Smallest n_hidden {}with {} &lt; {}</h2>",
            if self.opts.criterion == Criterion::Decoded {
                "that decodes every sample, or "
            } else {
                ""
            },
            loss_word_of_answers(self.min_hidden),
            fmt_loss(t)
        );
        h.push_str(&self.min_hidden_tables());

        if !overview.is_empty() {
            h.push_str("<h2 id=\"overview\">Overview charts</h2>\n");
            for p in &overview {
                h.push_str(&figure(p));
            }
        }
        for s in &series {
            let _ = writeln!(
                h,
                "<h2 id=\"series-{}\">Series: {}</h2>",
                esc(&s.slug()),
                esc(&s.label())
            );
            for p in self.plots.iter().filter(|p| p.series.as_ref() == Some(s)) {
                h.push_str(&figure(p));
            }
            if s.per_instance_p() {
                h.push_str(&self.per_instance_table(s));
            }
        }

        if let Some(g) = &self.geometry {
            h.push_str(&self.geometry_section(g));
        }
        h.push_str(&self.paper_section());

        let _ = writeln!(
            h,
            "<h2 id=\"summary\">Summary: {} per configuration</h2>",
            loss_word(self.summary)
        );
        let headline = self.opts.aggregate;
        let green = match self.opts.criterion {
            Criterion::Loss => format!(
                "{} below {}{}",
                headline,
                fmt_loss(t),
                if headline.needs_every_instance() {
                    " and no instance diverged"
                } else {
                    ""
                }
            ),
            Criterion::Decoded => self.opts.rule().describe(),
        };
        let _ = writeln!(
            h,
            "<p class=\"note\">Statistics over the non-diverged instances, but the sum over all \
             (NaN when any diverged); std is the population standard deviation. Green rows: \
             {green}.</p>"
        );
        for s in &series {
            h.push_str(&self.summary_table(s));
        }

        if let Some(config) = &self.opts.config_toml {
            h.push_str("<h2 id=\"config\">Configuration</h2>\n");
            let _ = writeln!(h, "<pre>{}</pre>", esc(config));
        }
        h.push_str("</body>\n</html>\n");
        h
    }

    /// The headline tables: tree series by depth, then series without a tree, one row each;
    /// series with per-instance p are only named (their aggregates mix data sets).
    fn min_hidden_tables(&self) -> String {
        let headline = |tree: bool| -> Vec<&MinHiddenRow> {
            self.min_hidden
                .iter()
                .filter(|r| has_tree(r.depth) == tree && !Series::of_min_hidden(r).per_instance_p())
                .collect()
        };
        let mut h = self.aggregates_note();
        let rule = self.opts.rule();
        let tree = headline(true);
        if !tree.is_empty() {
            h.push_str(&by_depth_table(&tree, &rule));
        }
        let sparse = headline(false);
        if !sparse.is_empty() {
            h.push_str("<h3>Features without a tree</h3>\n");
            h.push_str(&by_series_table(&sparse, &rule));
        }
        if let Some(note) = crate::text::lost_features_note(self.min_hidden, &rule) {
            // Headed like the page's other notes (`↓: training had not finished.`).
            let body = note.strip_prefix("lost features: ").unwrap_or(&note);
            let _ = writeln!(
                h,
                "<p class=\"note\"><strong>Lost features.</strong> {}</p>",
                esc(&capitalised(body))
            );
        }
        let per_instance: Vec<String> = series_of(self.summary)
            .iter()
            .filter(|s| s.per_instance_p())
            .map(|s| {
                format!(
                    "<a href=\"#instances-{}\">{}</a>",
                    esc(&s.slug()),
                    esc(&s.label())
                )
            })
            .collect();
        if !per_instance.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"note\">Not in {}: series whose instances differ in feature \
                 probability, so that statistics across instances mix data sets. See \
                 their eval loss per instance: {}.</p>",
                if tree.is_empty() && sparse.is_empty() {
                    "a table"
                } else {
                    "these tables"
                },
                per_instance.join(" · ")
            );
        }
        h
    }

    /// What the exact loss and the decoded columns are, when the run has them.
    fn exact_note(&self) -> String {
        if loss_word(self.summary).ends_with("eval loss") {
            return String::new();
        }
        "<p class=\"note\"><strong>Exact evaluation.</strong> Tree paths with binary \
         magnitudes have at most <code>n_features + 1</code> possible samples (independent \
         binary features up to 16 have every subset, few enough to enumerate), so for them the \
         loss throughout this report is the <em>exact loss</em>, the expected loss over all of them \
         (<code>exact_loss</code> in <code>runs.csv</code>; with a relative threshold, divided \
         by <code>bias_only_loss</code>) rather than an estimate from an evaluation batch \
         (<code>eval_loss</code>, the <em>eval loss</em>). The \
         <em>decoded</em> columns need no loss threshold: the smallest n_hidden at which every \
         possible sample comes out within 0.5 of itself in every feature, for every instance \
         (<em>all</em>) or the best one (<em>best</em>; with the median as the decoding \
         headline, also the median one). The loss threshold weighs a sample by \
         its probability and averages over features, so in deep trees it can pass while the \
         rare deepest paths are lost; decoding counts every path once.</p>\n"
            .to_string()
    }

    /// What the min-hidden tables' columns are, which one is the headline, and which column
    /// reproduces the seed notebook's rule.
    fn aggregates_note(&self) -> String {
        let headline = self.opts.aggregate;
        let criterion = match self.opts.criterion {
            Criterion::Loss => format!(
                "Its criterion (<code>analysis.criterion</code>) is the loss threshold: the \
                 <strong>{headline}</strong> column, in bold, is the headline answer."
            ),
            Criterion::Decoded => format!(
                "Its criterion (<code>analysis.criterion</code>) is decoding: the \
                 <strong>{}</strong> column, in bold, is the headline answer, and a \
                 configuration passes (✓, green) when {}.",
                decoded_name(headline),
                self.opts.rule().describe()
            ),
        };
        let counts: std::collections::BTreeSet<u32> =
            self.summary.iter().map(|r| r.n_instances).collect();
        let counts: Vec<String> = counts.iter().map(u32::to_string).collect();
        let scale = if counts == ["5"] {
            "this run also has 5 instances per config".to_owned()
        } else {
            format!(
                "this run has {} instances per config, so its sum is on another scale than the \
                 notebook's",
                counts.join(" or ")
            )
        };
        let sum = if self.opts.relative_loss {
            // A sum of ratios is not the notebook's sum of losses.
            "with the losses themselves the <code>sum</code> column would reproduce the \
             notebook's exact rule, but here the threshold is relative, so it sums ratios."
                .to_owned()
        } else {
            format!("the <code>sum</code> column reproduces the notebook's exact rule ({scale}).")
        };
        format!(
            "<p class=\"note\">Each column thresholds one statistic of the loss across \
             instances. This report's headline aggregate (<code>analysis.aggregate</code>) is \
             the <strong>{headline}</strong>: it decides the heatmaps, the green summary rows \
             and the comparison charts. {criterion} Mean and median are taken over the non-diverged \
             instances, the sum over all of them; mean, median and sum pass only when no \
             instance diverged, while the min (the best instance) may pass beside diverged \
             ones.</p>\n\
             <p class=\"note\"><strong>The seed notebook's rule is the sum.</strong> Its \
             <code>calculate_loss</code> averages the importance-weighted squared error over \
             batch and features per instance, then <em>sums</em> over its 5 instances, and its \
             <code>loss &lt; 1e-5</code> test is applied to that sum, although its note says \
             “Currently looking at avg loss across instances”. The mean is what the note \
             intends and is tmh's default headline; {sum}</p>\n{}{}",
            self.exact_note(),
            self.falling_note()
        )
    }

    /// What `↓` and `↑` mean, when an answer has them.
    fn falling_note(&self) -> String {
        let mut note = String::new();
        if (self.min_hidden.iter()).any(|r| r.wider_fails(false) || r.wider_fails(true)) {
            note.push_str(
                "<p class=\"note\"><strong>↑: a wider width fails again.</strong> Some tested \
                 width wider than this answer does not pass (an instance stuck with a feature \
                 lost, say): the answer is the first width that passes, not one from which \
                 every wider one does. <code>min_hidden.csv</code> counts such widths in \
                 <code>wider_failing</code>.</p>\n",
            );
        }
        if !(self.min_hidden.iter()).any(|r| r.falling(false) || r.falling(true)) {
            return note;
        }
        note + &format!(
            "<p class=\"note\"><strong>↓: training had not finished.</strong> A narrower width \
             than this answer (any tested width, where none passes) was still learning when \
             training stopped: some instance still above its share of the threshold \
             (threshold / instances) had a train loss that fell {}× or more over the last \
             fifth of the steps (geometric means). With more steps \
             (<code>train.steps</code>) that width may pass, so the answer holds for this many \
             steps. <code>min_hidden.csv</code> counts such widths in \
             <code>still_falling</code>.</p>\n",
            crate::FALL_FACTOR
        )
    }

    /// What the summary's `passing` column counts, under the headline criterion.
    fn passing_title(&self) -> String {
        match self.opts.criterion {
            Criterion::Loss => format!(
                "instances whose own {} is below {} (summary.csv's n_passing), of all",
                self.opts.rule().loss_name(),
                fmt_loss(self.opts.threshold)
            ),
            Criterion::Decoded => {
                "instances that decode every possible sample (summary.csv's n_decoded), of all"
                    .to_owned()
            }
        }
    }

    fn summary_table(&self, series: &Series) -> String {
        // Without a tree the row is n_features (depth is 0) and p is the data set's.
        let tree = series.data.is_none();
        let t = self.opts.threshold;
        let mut h = String::new();
        let _ = writeln!(h, "<h3>{}</h3>", esc(&series.label()));
        if series.per_instance_p() {
            let _ = writeln!(
                h,
                "<p class=\"note\">The instances differ in feature probability: these \
                 statistics mix data sets (see the <a href=\"#instances-{}\">{} per \
                 instance</a>).</p>",
                esc(&series.slug()),
                self.opts.rule().relative("eval loss")
            );
        }
        let rows = || (self.summary.iter()).filter(|r| Series::of_summary(r) == *series);
        // Series with exact evaluation show the fraction of samples decoded, worst to best.
        let decoded = rows().any(|r| r.decoded_min.is_some());
        let worst = rows().any(|r| r.max_error_min.is_some());
        let mut decoded_th = String::new();
        if decoded {
            decoded_th.push_str(
                "<th title=\"fraction of possible samples decoded: worst – best instance\">\
                 decoded</th>",
            );
        }
        if worst {
            decoded_th.push_str(
                "<th title=\"largest |output − input| over the possible samples: best – worst \
                 instance (below 0.5: every sample decodes)\">max |error|</th>",
            );
        }
        let (depth_th, p_th) = if tree {
            ("<th>depth</th>", "")
        } else {
            ("", "<th>p</th>")
        };
        let _ = write!(
            h,
            "<div class=\"wide\"><table class=\"summary\">\n<thead><tr><th class=\"id\">config_id</th>\
             {depth_th}<th>n_hidden</th><th>n_features</th>{p_th}<th>instances</th><th>diverged</th>\
             <th title=\"{}\">passing</th>\
             <th>mean</th><th>sum</th><th>min</th><th>median</th><th>max</th><th>std</th>{decoded_th}</tr></thead>\n<tbody>\n",
            esc(&self.passing_title()),
        );
        for r in rows() {
            let class = if self.opts.rule().passes(r) {
                " class=\"pass\""
            } else {
                ""
            };
            let (depth_td, p_td) = if tree {
                (format!("<td>{}</td>", r.depth), String::new())
            } else {
                (
                    String::new(),
                    format!(
                        "<td>{}</td>",
                        p_range(r.feature_probability_min, r.feature_probability_max)
                    ),
                )
            };
            let passing = match self.opts.criterion {
                Criterion::Loss => r.n_passing,
                Criterion::Decoded => r.n_decoded,
            };
            let _ = writeln!(
                h,
                "<tr{class}><td class=\"id\">{}</td>{depth_td}<td>{}</td><td>{}</td>{p_td}<td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}</tr>",
                esc(&r.config_id),
                r.n_hidden,
                r.n_features,
                r.n_instances,
                r.n_diverged,
                passing.map_or("—".to_owned(), |k| format!("{k}/{}", r.n_instances)),
                fmt_loss_vs(r.mean, t),
                fmt_loss_vs(r.sum, t),
                fmt_loss_vs(r.min, t),
                fmt_loss_vs(r.median, t),
                fmt_loss_vs(r.max, t),
                fmt_loss(r.std),
                range_cell(decoded, r.decoded_min, r.decoded_max, fmt_fraction)
                    + &range_cell(worst, r.max_error_min, r.max_error_max, fmt_error),
            );
        }
        h.push_str("</tbody>\n</table></div>\n");
        h
    }

    /// Eval loss per instance of a series whose instances differ in feature probability: one
    /// row per (instance, p), one column per config (n_hidden).
    fn per_instance_table(&self, series: &Series) -> String {
        let mut configs: Vec<&SummaryRow> = self
            .summary
            .iter()
            .filter(|r| Series::of_summary(r) == *series)
            .collect();
        configs.sort_by(|a, b| {
            a.n_hidden
                .cmp(&b.n_hidden)
                .then(a.config_id.cmp(&b.config_id))
        });
        // Keyed by p too, so configs that disagree on an instance's p get their own rows.
        let mut rows: BTreeMap<(u32, u64), InstanceRow> = BTreeMap::new();
        for r in self.runs {
            if let Some(col) = configs.iter().position(|c| c.config_id == r.config_id) {
                let p = r.feature_probability;
                let (_, cells) = rows
                    .entry((r.instance, p_key(p).to_bits()))
                    .or_insert_with(|| (p, vec![None; configs.len()]));
                cells[col] = Some(r);
            }
        }
        let t = self.opts.threshold;
        let mut h = String::new();
        let _ = writeln!(
            h,
            "<h3 id=\"instances-{}\">{} per instance</h3>",
            esc(&series.slug()),
            capitalised(&self.opts.rule().relative("eval loss"))
        );
        let _ = writeln!(
            h,
            "<p class=\"note\">Each instance has its own feature probability p = 1 − S, so \
             each row is its own data set. Green: {} below {}.</p>",
            self.opts.rule().relative("eval loss"),
            fmt_loss(t)
        );
        h.push_str(
            "<div class=\"wide\"><table class=\"per-instance\">\n<thead><tr><th>instance</th>\
             <th>p</th><th>1/p</th>",
        );
        for c in &configs {
            let _ = write!(
                h,
                "<th title=\"{}\">{}, n_hidden {}</th>",
                esc(&c.config_id),
                self.opts.rule().relative("eval loss"),
                c.n_hidden
            );
        }
        h.push_str("</tr></thead>\n<tbody>\n");
        for ((instance, _), (p, cells)) in &rows {
            let p = *p;
            let _ = write!(
                h,
                "<tr><td>{instance}</td><td>{}</td><td>{}</td>",
                fmt_p(p),
                fmt_p(1.0 / p)
            );
            for cell in cells {
                match cell {
                    None => h.push_str("<td>—</td>"),
                    Some(r) if is_diverged(r) => h.push_str("<td class=\"none\">diverged</td>"),
                    Some(r) => {
                        let class = if r.eval_loss < t {
                            " class=\"pass\""
                        } else {
                            ""
                        };
                        let _ = write!(h, "<td{class}>{}</td>", fmt_loss_vs(r.eval_loss, t));
                    }
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table></div>\n");
        h
    }
}

/// A row of the per-instance table: the instance's p and its run in each config (column).
type InstanceRow<'a> = (f64, Vec<Option<&'a RunRow>>);

/// The header cell of an aggregate's column; the headline's is bold.
fn aggregate_th(a: Aggregate, rule: &PassRule) -> String {
    if rule.headlines_loss(a) {
        format!("<th class=\"headline\" title=\"headline aggregate\">{a}</th>")
    } else {
        format!("<th>{a}</th>")
    }
}

/// Tree series side by side: a row per depth, a column group per series; the `rule`'s
/// headline columns bold.
fn by_depth_table(rows: &[&MinHiddenRow], rule: &PassRule) -> String {
    let decoded = decoded_aggregates(rule);
    let groups: Vec<(Series, AnswerCells)> =
        (group_in_order(rows.iter().copied(), |r| Series::of_min_hidden(r)).into_iter())
            .map(|(s, rows)| {
                (
                    s,
                    rows.into_iter()
                        .map(|r| ((r.depth, r.aggregate), r))
                        .collect(),
                )
            })
            .collect();
    let depths: std::collections::BTreeSet<u32> = rows.iter().map(|r| r.depth).collect();
    // Each depth's n_features, where every series agrees on it (one branching factor).
    let n_features: BTreeMap<u32, u32> = (depths.iter())
        .filter_map(|&d| {
            let mut n = (rows.iter()).filter(|r| r.depth == d).map(|r| r.n_features);
            let first = n.next()?;
            n.all(|other| other == first).then_some((d, first))
        })
        .collect();
    let one_count = n_features.len() == depths.len();
    let mut h = format!(
        "<div class=\"wide\"><table class=\"min-hidden\">\n<thead>\n<tr><th rowspan=\"2\">depth{}</th>",
        if one_count {
            " <span class=\"note\">(n_features)</span>"
        } else {
            ""
        }
    );
    // Series with exact evaluation get two more columns: the width that decodes every sample.
    let decodes = |cells: &BTreeMap<(u32, Aggregate), &MinHiddenRow>| {
        cells.values().any(|r| r.min_n_hidden_decoded.is_some())
    };
    for (s, cells) in &groups {
        let _ = write!(
            h,
            "<th colspan=\"{}\">{}</th>",
            Aggregate::ALL.len() + if decodes(cells) { decoded.len() } else { 0 },
            esc(&s.label())
        );
    }
    h.push_str("</tr>\n<tr>");
    for (_, cells) in &groups {
        for a in Aggregate::ALL {
            h.push_str(&aggregate_th(a, rule));
        }
        if decodes(cells) {
            for &a in &decoded {
                let (bold, what) = if rule.headlines_decoded(a) {
                    (" headline", "headline: ")
                } else {
                    ("", "")
                };
                let _ = write!(
                    h,
                    "<th class=\"decoded{bold}\" title=\"{what}{}\">{}</th>",
                    decoded_title(a),
                    decoded_name(a)
                );
            }
        }
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    for d in &depths {
        match n_features.get(d).filter(|_| one_count) {
            Some(n) => {
                let _ = write!(h, "<tr><th>{d} <span class=\"note\">({n})</span></th>");
            }
            None => {
                let _ = write!(h, "<tr><th>{d}</th>");
            }
        }
        for (_, cells) in &groups {
            for a in Aggregate::ALL {
                h.push_str(&min_hidden_cell(
                    cells.get(&(*d, a)).copied(),
                    rule.headlines_loss(a),
                ));
            }
            if decodes(cells) {
                for &a in &decoded {
                    h.push_str(&decoded_cell(
                        cells.get(&(*d, a)).copied(),
                        rule.headlines_decoded(a),
                    ));
                }
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");
    h
}

/// Series without a tree, a row each (its n_features is in its label); the `rule`'s headline
/// aggregate's column bold.
fn by_series_table(rows: &[&MinHiddenRow], rule: &PassRule) -> String {
    let groups: Vec<(Series, BTreeMap<Aggregate, &MinHiddenRow>)> =
        (group_in_order(rows.iter().copied(), |r| Series::of_min_hidden(r)).into_iter())
            .map(|(s, rows)| (s, rows.into_iter().map(|r| (r.aggregate, r)).collect()))
            .collect();
    let mut h = format!(
        "<div class=\"wide\"><table class=\"min-hidden\">\n<thead>\n<tr><th rowspan=\"2\" \
         class=\"label\">series</th><th colspan=\"{}\">smallest n_hidden</th></tr>\n<tr>",
        Aggregate::ALL.len()
    );
    for a in Aggregate::ALL {
        h.push_str(&aggregate_th(a, rule));
    }
    h.push_str("</tr>\n</thead>\n<tbody>\n");
    for (s, cells) in &groups {
        let _ = write!(h, "<tr><th class=\"label\">{}</th>", esc(&s.label()));
        for a in Aggregate::ALL {
            h.push_str(&min_hidden_cell(
                cells.get(&a).copied(),
                rule.headlines_loss(a),
            ));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table></div>\n");
    h
}

/// A min-hidden table cell: the width, `none` (with the largest width tested), or `—`; bold in
/// the headline aggregate's column.
fn min_hidden_cell(row: Option<&MinHiddenRow>, headline: bool) -> String {
    let class = |other: &str| {
        let classes: Vec<&str> = [other, if headline { "headline" } else { "" }]
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect();
        if classes.is_empty() {
            String::new()
        } else {
            format!(" class=\"{}\"", classes.join(" "))
        }
    };
    match row {
        Some(r) => {
            let falling = falling_mark(r.still_falling) + &wider_mark(r.wider_failing);
            match r.min_n_hidden {
                Some(n) => format!(
                    "<td{}{}>{}{falling}</td>",
                    class(""),
                    bound_title(r, n),
                    esc(&r.width_label(Some(n)))
                ),
                None => format!(
                    "<td{} title=\"none: no width up to the largest tested, {}, \
                     passes\">&gt;&#8239;{}{falling}</td>",
                    class("none"),
                    r.max_tested,
                    r.max_tested
                ),
            }
        }
        None => format!("<td{}>—</td>", class("")),
    }
}

/// The title of an answer that is the narrowest width tested (`≤2`), else nothing.
fn bound_title(row: &MinHiddenRow, width: u32) -> String {
    if row.is_bound(Some(width)) {
        " title=\"the narrowest width tested: narrower widths were not tried\"".to_owned()
    } else {
        String::new()
    }
}

/// ` ↓` after an answer that more steps might lower ([`MinHiddenRow::still_falling`]).
fn falling_mark(narrower_falling: Option<u32>) -> String {
    match narrower_falling {
        Some(n) if n > 0 => format!(
            " <span class=\"falling\" title=\"{n} width(s) narrower than this answer (any \
             tested, where none passes) still learning when training stopped: more steps may lower \
             it\">↓</span>"
        ),
        _ => String::new(),
    }
}

/// ` ↑` after an answer that a wider tested width fails again ([`MinHiddenRow::wider_failing`]).
fn wider_mark(wider_failing: Option<u32>) -> String {
    match wider_failing {
        Some(n) if n > 0 => format!(
            " <span class=\"wider\" title=\"{n} tested width(s) wider than this answer fail \
             again: it is the first width that passes\">↑</span>"
        ),
        _ => String::new(),
    }
}

/// A summary cell of a range over instances, `lo–hi` (one value when they print alike), `—`
/// where it is missing or not finite; nothing when the table has no such `column`.
fn range_cell(column: bool, lo: Option<f64>, hi: Option<f64>, fmt: fn(f64) -> String) -> String {
    match (column, lo, hi) {
        (true, Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => {
            let (lo, hi) = (fmt(lo), fmt(hi));
            if lo == hi {
                format!("<td>{lo}</td>")
            } else {
                format!("<td>{lo}–{hi}</td>")
            }
        }
        (true, _, _) => "<td>—</td>".to_string(),
        (false, _, _) => String::new(),
    }
}

/// A worst error with two significant digits in decimals (`0.44`, `0.0060`), more where two
/// would round it across 0.5, the decoding edge; tiny ones in scientific notation.
fn fmt_error(v: f64) -> String {
    if v < 1e-3 {
        return format!("{v:.1e}");
    }
    let mut decimals = (1 - v.log10().floor() as i32).max(1) as usize;
    loop {
        let s = format!("{v:.decimals$}");
        if (s.parse::<f64>().unwrap_or(v) < 0.5) == (v < 0.5) || decimals >= 12 {
            return s;
        }
        decimals += 1;
    }
}

/// A fraction to 3 decimals, rounded down: `1.000` only when every sample decodes.
fn fmt_fraction(v: f64) -> String {
    format!("{:.3}", (v * 1000.0).floor() / 1000.0)
}

/// A decoded column's cell: the width, `none` (with the largest width tested), or `—`; bold
/// when it is the headline.
fn decoded_cell(row: Option<&MinHiddenRow>, headline: bool) -> String {
    let bold = if headline { " headline" } else { "" };
    let falling = falling_mark(row.and_then(|r| r.still_falling_decoded))
        + &wider_mark(row.and_then(|r| r.wider_failing_decoded));
    match row.map(|r| (r, r.min_n_hidden_decoded, r.max_tested)) {
        Some((r, Some(Some(n)), _)) => format!(
            "<td class=\"decoded{bold}\"{}>{}{falling}</td>",
            bound_title(r, n),
            esc(&r.width_label(Some(n)))
        ),
        Some((_, Some(None), max)) => format!(
            "<td class=\"decoded none{bold}\" title=\"none: no width up to the largest tested, \
             {max}, decodes every sample\">&gt;&#8239;{max}{falling}</td>"
        ),
        _ => format!("<td class=\"decoded{bold}\">—</td>"),
    }
}

/// Headings of the geometry chart kinds, in page order; other kinds follow under their own name.
const GEOMETRY_KINDS: [(&str, &str, &str); 5] = [
    (
        "cosines",
        "Cosines by tree level",
        "Mean cosine of sibling, ancestor–descendant and unrelated pairs, level by level, for \
         each series and depth's selected configuration.",
    ),
    (
        "dims",
        "Dimensions per feature",
        "D_i against 1/(1−S): how many hidden dimensions each feature gets as features get \
         sparser.",
    ),
    (
        "norms",
        "Feature norms and superposition",
        "‖W_i‖ per feature in tree order (feature order without a tree), coloured by how much of the other features lies along \
         W_i.",
    ),
    (
        "gram",
        "Gram matrices WᵀW",
        "All dot products W_i · W_j in tree order (feature order without a tree); large matrices are shown as PNG (the SVG \
         link has the vector version).",
    ),
    (
        "features2d",
        "Features in 2D (n_hidden = 2)",
        "Every column of W as an arrow in the plane, one panel per instance.",
    ),
];

/// How to read the geometry figures and tables.
const GEOMETRY_GUIDE: &str = "<div class=\"convention\"><p><strong>Reading the geometry.</strong> \
Column W<sub>i</sub> of the weight matrix is feature i's embedding in the hidden space.</p>\n<ul>\n\
<li><strong>Cosine</strong> of a pair: W<sub>i</sub> · W<sub>j</sub> / (‖W<sub>i</sub>‖ \
‖W<sub>j</sub>‖). 0 is orthogonal (no interference), −1 opposite directions, +1 the same \
direction. Features with norm below 1e-6 are dead and left out of the pairs.</li>\n\
<li><strong>Siblings</strong> share a parent; counted at their own level. With tree-structured \
features a sample activates one path down from the root, so siblings never fire together and \
can share a direction with opposite signs (negative cosine) at little cost. Independent \
features keep the marginals but not this structure: their cosines are the baseline.</li>\n\
<li><strong>Ancestor–descendant</strong> pairs lie on one path; counted at the descendant's \
level. An ancestor fires whenever its descendant does, so a positive cosine lets one help \
reconstruct the other.</li>\n\
<li><strong>Unrelated</strong> pairs are all the others (every pair when a config has no \
tree); counted at the deeper feature's level.</li>\n\
<li><strong>Dimensions per feature</strong> D<sub>i</sub> = ‖W<sub>i</sub>‖<sup>4</sup> / \
Σ<sub>j</sub> (W<sub>i</sub> · W<sub>j</sub>)<sup>2</sup>: the share of a hidden dimension \
feature i gets. 1 is a direction of its own, 1/2 one shared with an antipodal partner, near 0 \
a feature that is barely represented.</li>\n\
<li><strong>Superposition</strong> Σ<sub>j≠i</sub> (Ŵ<sub>i</sub> · W<sub>j</sub>)<sup>2</sup>: \
how much of the other features lies along W<sub>i</sub>; 0 for a feature alone in its \
direction.</li>\n</ul></div>\n";

impl Page<'_> {
    /// The Geometry section: how to read it, links to the tables, the figures by kind and,
    /// when the run has several series, by series within a kind.
    fn geometry_section(&self, g: &Geometry) -> String {
        let mut h = String::from("<h2 id=\"geometry\">Geometry of the trained weights</h2>\n");
        h.push_str(GEOMETRY_GUIDE);
        let mut data: Vec<String> = g
            .data_files
            .iter()
            .map(|f| format!("<a href=\"{0}\">{0}</a>", esc(f)))
            .collect();
        data.push(format!(
            "<a href=\"{0}\">{0}</a> (figure list)",
            esc(&g.listed.manifest)
        ));
        let _ = writeln!(h, "<p>Data: {}</p>", data.join(" · "));
        if !g.listed.missing.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"note\">Listed in {} without their SVG and PNG files, so left out: \
                 {}.</p>",
                esc(&g.listed.manifest),
                esc(&g.listed.missing.join(", "))
            );
        }
        if g.listed.figures.is_empty() {
            h.push_str("<p class=\"note\">No geometry figures.</p>\n");
            return h;
        }

        // Known kinds in a fixed order, then any other kind in manifest order.
        let mut kinds: Vec<(&str, String, &str)> = GEOMETRY_KINDS
            .iter()
            .map(|(k, title, blurb)| (*k, (*title).to_owned(), *blurb))
            .collect();
        for f in &g.listed.figures {
            if !kinds.iter().any(|(k, _, _)| *k == f.entry.kind) {
                kinds.push((&f.entry.kind, format!("Other: {}", f.entry.kind), ""));
            }
        }
        kinds.retain(|(k, _, _)| g.listed.figures.iter().any(|f| f.entry.kind == *k));
        let anchor = |kind: &str| format!("geometry-{}", crate::draw::sanitize(kind));
        let toc: Vec<String> = kinds
            .iter()
            .map(|(k, title, _)| format!("<a href=\"#{}\">{}</a>", esc(&anchor(k)), esc(title)))
            .collect();
        let _ = writeln!(h, "<p>Figures: {}</p>", toc.join(" · "));

        let series_of_config: BTreeMap<&str, Series> = self
            .summary
            .iter()
            .map(|r| (r.config_id.as_str(), Series::of_summary(r)))
            .collect();
        let series = series_of(self.summary);
        for (kind, title, blurb) in kinds {
            let of_kind: Vec<&Figure> = g
                .listed
                .figures
                .iter()
                .filter(|f| f.entry.kind == kind)
                .collect();
            let _ = writeln!(
                h,
                "<h3 id=\"{}\">{} <span class=\"note\">({})</span></h3>",
                esc(&anchor(kind)),
                esc(&title),
                of_kind.len()
            );
            if !blurb.is_empty() {
                let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(blurb));
            }
            let series_of_figure = |f: &Figure| {
                let id = f.entry.config_id.as_deref()?;
                series_of_config.get(g.pooled_ids.get(id).map_or(id, String::as_str))
            };
            if series.len() < 2 {
                of_kind.iter().for_each(|f| h.push_str(&listed_figure(f)));
                continue;
            }
            for s in &series {
                let mine: Vec<&&Figure> = of_kind
                    .iter()
                    .filter(|f| series_of_figure(f) == Some(s))
                    .collect();
                if !mine.is_empty() {
                    let _ = writeln!(h, "<h4>{}</h4>", esc(&s.label()));
                    mine.iter().for_each(|f| h.push_str(&listed_figure(f)));
                }
            }
            let rest: Vec<&&Figure> = of_kind
                .iter()
                .filter(|f| series_of_figure(f).is_none())
                .collect();
            if !rest.is_empty() {
                h.push_str("<h4>Not tied to one series</h4>\n");
                rest.iter().for_each(|f| h.push_str(&listed_figure(f)));
            }
        }
        h
    }
}

impl Page<'_> {
    /// The figures for a paper: what they are, links to their files, and their PNGs, small.
    fn paper_section(&self) -> String {
        let paper = &self.paper;
        if paper.figures.is_empty() {
            return String::new();
        }
        let mut h = String::from(
            "<h2 id=\"paper\">Figures for a paper</h2>\n<p>In <code>figures/</code>, for one \
             column of a two-column paper: 3.25 × 2.4 in (the SVG sized in inches, the PNG at \
             300 dpi), 8 pt tick labels and legends and 9 pt axis labels in DejaVu Sans; titles \
             and notes are left out, so the caption goes in the paper.</p>\n<p class=\"note\">\
             In <code>min_hidden</code> a hollow marker is an upper bound (≤: the narrowest \
             width tested passes), an arrow in the band labelled <code>none</code> means that \
             no tested width passes, and ↓ / ↑ follow an answer as in the tables; in the loss \
             figures a hollow marker is where a line reaches the display floor; in the \
             heatmaps, which share one colour scale, † marks diverged instances.</p>\n",
        );
        if !paper.left_out.is_empty() {
            let _ = writeln!(
                h,
                "<p class=\"note\">Left out of <code>min_hidden</code> (no tree, so no depth): \
                 {}.</p>",
                esc(&paper.left_out.join("; "))
            );
        }
        for (stem, title, png) in &paper.figures {
            let stem = esc(stem);
            let _ = writeln!(
                h,
                "<figure class=\"paper\" id=\"figure-{stem}\">\n<img src=\"data:image/png;base64,{}\" \
                 alt=\"{}\">\n<figcaption>{} — <a href=\"figures/{stem}.svg\">SVG</a> · \
                 <a href=\"figures/{stem}.png\">PNG</a></figcaption>\n</figure>",
                BASE64.encode(png),
                esc(title),
                esc(title)
            );
        }
        h
    }
}

/// A listed figure: inline SVG or PNG data URI, title, caption and links to both files.
fn listed_figure(f: &Figure) -> String {
    let stem = esc(&f.entry.stem);
    let body = match &f.embed {
        Embed::Svg(svg) => inline_svg(svg).to_owned(),
        Embed::Png { base64, size } => {
            let size = size.map_or(String::new(), |(w, h)| {
                format!(" width=\"{w}\" height=\"{h}\"")
            });
            format!(
                "<img src=\"data:image/png;base64,{base64}\"{size} alt=\"{}\">",
                esc(&f.entry.title)
            )
        }
    };
    format!(
        "<figure id=\"plot-{stem}\">\n{body}\n<figcaption><strong>{}</strong> {} — \
         <a href=\"plots/{stem}.svg\">SVG</a> · <a href=\"plots/{stem}.png\">PNG</a>\
         </figcaption>\n</figure>\n",
        esc(&f.entry.title),
        esc(&f.entry.caption)
    )
}

/// A chart inline, with links to its SVG and PNG files.
fn figure(p: &Plot) -> String {
    let stem = esc(&p.stem);
    format!(
        "<figure id=\"plot-{stem}\">\n{}\n<figcaption>{} — <a href=\"plots/{stem}.svg\">SVG</a> · \
         <a href=\"plots/{stem}.png\">PNG</a></figcaption>\n</figure>\n",
        inline_svg(&p.svg),
        esc(&p.title)
    )
}

/// The SVG markup without an XML declaration, ready to sit inside HTML.
fn inline_svg(svg: &str) -> &str {
    let svg = svg.trim_start();
    if svg.starts_with("<?xml") {
        svg.find("?>").map_or(svg, |i| svg[i + 2..].trim_start())
    } else {
        svg
    }
}

/// Every `href="…"` and `src="…"` value in `html`, in page order (inline SVGs included).
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

/// The [`links`] of `dir/index.html` that lead nowhere: an anchor `#x` with no `id="x"` on
/// the page, an external or absolute address, or a relative path that is not a file in
/// `dir`. Embedded `data:` URIs are fine. Empty for a report [`crate::build`] wrote.
pub fn broken_links(dir: &Path) -> Result<Vec<String>> {
    let path = dir.join("index.html");
    let html =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(links(&html)
        .into_iter()
        .filter(|link| {
            if let Some(anchor) = link.strip_prefix('#') {
                !html.contains(&format!("id=\"{anchor}\""))
            } else if link.starts_with("data:") {
                false
            } else {
                link.contains("://") || link.starts_with('/') || !dir.join(link).is_file()
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_errors_print_in_decimals_and_never_across_the_decoding_edge() {
        assert_eq!(fmt_error(0.4383), "0.44");
        assert_eq!(fmt_error(0.005991), "0.0060");
        assert_eq!(fmt_error(1.0), "1.0");
        // Two digits would print 0.50, which reads as failing.
        assert_eq!(fmt_error(0.4996), "0.4996");
        assert_eq!(fmt_error(0.5004), "0.50");
        assert_eq!(fmt_error(3.2e-5), "3.2e-5");
    }
}
