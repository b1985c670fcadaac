//! The run's answer as plain text, for the terminal: the smallest n_hidden that passes the
//! threshold, per series and depth, for each aggregate across instances.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::analysis::{
    AnswerCells, Series, decoded_aggregates, decoded_name, group_in_order, has_tree,
    loss_word_of_answers, row_name,
};
use crate::draw::fmt_loss;
use crate::schema::{Aggregate, Criterion, MinHiddenRow, PassRule};

/// One block per series (those whose instances share one feature probability): a column per
/// depth (or n_features without a tree), a line per aggregate, the `rule`'s headline first and
/// starred. `none` means no tested width passes. Where the data has exact evaluation, two more
/// lines give the smallest width at which every instance (`all`), or the best (`best`), decodes
/// every possible sample; by the decoding criterion they come first, and the median's joins
/// them when it is the headline.
///
/// ```text
/// tree (stop_prob 0.5), b=2, binary, seed 0: smallest n_hidden with exact loss < 1.0e-5
///   depth             1     2     3     4     5     6
///   n_features        2     6    14    30    62   126
///   mean *           ≤2     3     4     6     9  none
///   min              ≤2     3     4     6     9  none
///   median           ≤2     3     4     6     9  none
///   sum              ≤2     3     4    7↓   10↓  none
///   decoded, all     ≤2     3     4     5     8  none
///   decoded, best    ≤2    ≤2     3     5     7  none
/// * headline (analysis.aggregate); sum: the seed notebook's own rule; none: no tested width passes.
/// ≤n: the narrowest width tested passes; narrower widths were not tried.
/// ↓: a narrower width (any tested one, for none) was still learning when training stopped (…): more steps may lower this answer.
/// decoded: every possible sample comes out within 0.5 of itself (all instances, the best, or the median one); where shown, the loss is exact over those samples.
/// ```
pub fn min_hidden_text(rows: &[MinHiddenRow], rule: &PassRule) -> String {
    answers(rows, rule).text()
}

/// The answer tables of [`min_hidden_text`], before they are laid out: as plain text
/// ([`Answers::text`]), Markdown ([`Answers::markdown`]) or LaTeX ([`Answers::latex`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Answers {
    /// One table per series.
    pub tables: Vec<AnswerTable>,
    /// What the marks and words of the tables mean, one sentence each.
    pub notes: Vec<String>,
}

/// The answers of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerTable {
    /// `tree (stop_prob 0.5), b=2, binary, seed 0: smallest n_hidden with exact loss < 1.0e-5`.
    pub title: String,
    /// What the columns are: `depth`, or `n_features` without a tree.
    pub head: &'static str,
    /// The columns: depths (or n_features).
    pub columns: Vec<u32>,
    /// The n_features of each column of a tree's table (a second header: trees of one depth
    /// but another branching differ); empty without a tree, whose columns are n_features.
    pub n_features: Vec<u32>,
    /// One line per aggregate (and decoding rule): its name (`mean *` for the headline) and an
    /// answer per column with its marks (`≤2`, `7↓`, `none`), `None` where there is none.
    pub lines: Vec<(String, Vec<Option<String>>)>,
}

/// The answers of `rows` under `rule`: see [`min_hidden_text`].
pub fn answers(rows: &[MinHiddenRow], rule: &PassRule) -> Answers {
    // Series in the rows' order (the experiment file's), each keyed by column and aggregate.
    let shown = rows
        .iter()
        .filter(|r| !Series::of_min_hidden(r).per_instance_p());
    let series: Vec<(Series, AnswerCells)> = (group_in_order(shown, |r| Series::of_min_hidden(r))
        .into_iter())
    .map(|(s, rows)| {
        let column = |r: &MinHiddenRow| {
            if has_tree(r.depth) {
                r.depth
            } else {
                r.n_features
            }
        };
        (
            s,
            rows.into_iter()
                .map(|r| ((column(r), r.aggregate), r))
                .collect(),
        )
    })
    .collect();
    let loss_order: Vec<Aggregate> = std::iter::once(rule.aggregate)
        .chain(Aggregate::ALL.into_iter().filter(|&a| a != rule.aggregate))
        .collect();
    let by_decoding = rule.criterion == Criterion::Decoded;
    let star = |name: String, headline: bool| if headline { format!("{name} *") } else { name };
    let mut tables = Vec::new();
    let (mut any_decoded, mut undecodable_depth) = (false, false);
    for (s, cells) in &series {
        let Some(first) = cells.values().next() else {
            continue;
        };
        let columns: Vec<u32> = (cells.keys().map(|&(k, _)| k))
            .collect::<BTreeSet<u32>>()
            .into_iter()
            .collect();
        let title = format!(
            "{}: smallest n_hidden {}with {} < {}",
            s.label(),
            if by_decoding {
                "that decodes every sample, or "
            } else {
                ""
            },
            loss_word_of_answers(cells.values().copied()),
            fmt_loss(first.threshold)
        );
        let loss_lines = || {
            (loss_order.iter()).map(|&a| {
                let answers = columns.iter().map(|k| {
                    let r = cells.get(&(*k, a))?;
                    Some(r.width_label(r.min_n_hidden) + &r.marks(false))
                });
                (
                    star(a.to_string(), rule.headlines_loss(a)),
                    answers.collect(),
                )
            })
        };
        let decodes = cells.values().any(|r| r.min_n_hidden_decoded.is_some());
        let decoded_lines = || {
            (decoded_aggregates(rule).into_iter()).map(|a| {
                let answers = columns.iter().map(|k| {
                    let r = cells.get(&(*k, a))?;
                    (r.min_n_hidden_decoded).map(|w| r.width_label(w) + &r.marks(true))
                });
                (
                    star(decoded_name(a), rule.headlines_decoded(a)),
                    answers.collect(),
                )
            })
        };
        any_decoded |= decodes;
        // A `-` in the decoded rows: a depth without exact evaluation.
        undecodable_depth |= decodes
            && (columns.iter()).any(|k| {
                (decoded_aggregates(rule).into_iter()).any(|a| {
                    cells
                        .get(&(*k, a))
                        .is_none_or(|r| r.min_n_hidden_decoded.is_none())
                })
            });
        let lines: Vec<(String, Vec<Option<String>>)> = match (by_decoding, decodes) {
            (true, true) => decoded_lines().chain(loss_lines()).collect(),
            (false, true) => loss_lines().chain(decoded_lines()).collect(),
            (_, false) => loss_lines().collect(),
        };
        let n_features = if has_tree(first.depth) {
            (columns.iter())
                .map(|k| {
                    (cells.iter())
                        .find(|((column, _), _)| column == k)
                        .map_or(0, |(_, r)| r.n_features)
                })
                .collect()
        } else {
            Vec::new()
        };
        tables.push(AnswerTable {
            title,
            head: if has_tree(first.depth) {
                "depth"
            } else {
                "n_features"
            },
            columns,
            n_features,
            lines,
        });
    }
    let mut notes = Vec::new();
    if !series.is_empty() {
        notes.push(format!(
            "* headline ({}); sum: {}; none: no tested width passes.",
            if by_decoding {
                "analysis.criterion, analysis.aggregate"
            } else {
                "analysis.aggregate"
            },
            // The notebook sums the losses of its 5 instances, not ratios, nor pooled seeds'.
            if rows.iter().any(|r| r.relative) {
                "the sum over instances"
            } else if rows.iter().any(|r| r.seed.is_pooled()) {
                "the sum over a table's instances (the seed notebook's own rule for one seed of 5)"
            } else {
                "the seed notebook's own rule"
            }
        ));
    }
    let shown = || {
        rows.iter()
            .filter(|r| !Series::of_min_hidden(r).per_instance_p())
    };
    if shown().any(|r| r.is_bound(r.min_n_hidden) || r.is_bound(r.min_n_hidden_decoded.flatten())) {
        notes.push("≤n: the narrowest width tested passes; narrower widths were not tried.".into());
    }
    if shown().any(|r| r.falling(false) || r.falling(true)) {
        notes.push(falling_note("none", true));
    }
    if shown().any(|r| r.wider_fails(false) || r.wider_fails(true)) {
        notes.push(WIDER_FAILS_NOTE.to_owned());
    }
    if shown().any(|r| r.relative) {
        notes.push("relative: each instance's loss divided by its bias-only loss, that of the best model without hidden units (analysis.relative_loss).".into());
    }
    if undecodable_depth {
        notes.push("-: no exact evaluation at that depth (too many possible samples); its loss rows judge the eval loss of a sampled batch.".into());
    }
    notes.extend(lost_features_note(rows, rule));
    if any_decoded {
        notes.push("decoded: every possible sample comes out within 0.5 of itself (all instances, the best, or the median one); where shown, the loss is exact over those samples.".into());
    }
    Answers { tables, notes }
}

/// Where the headline loss answer comes before its instances decode every sample: a note
/// naming those series and depths, or `None` (also by the decoding criterion, whose headline
/// is the decoded answer itself).
pub(crate) fn lost_features_note(rows: &[MinHiddenRow], rule: &PassRule) -> Option<String> {
    if rule.criterion == Criterion::Decoded {
        return None;
    }
    // With pooled seeds, the pooled series speak for their seeds.
    let pooled = rows.iter().any(|r| r.seed.is_pooled());
    let headline = rows.iter().filter(|r| {
        r.aggregate == rule.aggregate
            && (r.seed.is_pooled() || !pooled)
            && !Series::of_min_hidden(r).per_instance_p()
            && r.stores_less_than_it_passes()
    });
    let lost: Vec<String> = group_in_order(headline, |r| Series::of_min_hidden(r))
        .into_iter()
        .map(|(series, rows)| {
            let places: Vec<String> = (rows.iter())
                .map(|r| {
                    format!(
                        "{} (loss {}, decoded {})",
                        row_name(r.depth, r.n_features),
                        r.width_label(r.min_n_hidden),
                        r.width_label(r.min_n_hidden_decoded.flatten())
                    )
                })
                .collect();
            format!("{}: {}", series.label(), places.join(", "))
        })
        .collect();
    (!lost.is_empty()).then(|| {
        format!(
            "lost features: the headline loss passes at a narrower width than the one at which \
             its instances decode every sample, so the threshold forgives features lost there \
             (rare deep paths, or features of small importance): {}. The decoded rows say \
             where the tree is stored.",
            lost.join("; ")
        )
    })
}

impl Answers {
    /// The tables for the terminal: columns of 6 characters, then the notes.
    pub fn text(&self) -> String {
        // The label column fits the longest line name: `decoded, median *` by decoding.
        let label = (self.tables.iter())
            .flat_map(|t| t.lines.iter().map(|(name, _)| name.chars().count()))
            .fold(LABEL, usize::max);
        let mut out = String::new();
        for (i, t) in self.tables.iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", t.title);
            let _ = write!(out, "  {:<label$}", t.head);
            for k in &t.columns {
                let _ = write!(out, "{k:>6}");
            }
            out.push('\n');
            if !t.n_features.is_empty() {
                let _ = write!(out, "  {:<label$}", "n_features");
                for n in &t.n_features {
                    let _ = write!(out, "{n:>6}");
                }
                out.push('\n');
            }
            for (name, answers) in &t.lines {
                let _ = write!(out, "  {name:<label$}");
                for answer in answers {
                    let _ = write!(out, "{:>6}", answer.as_deref().unwrap_or("-"));
                }
                out.push('\n');
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "{note}");
        }
        out
    }

    /// The tables as Markdown (GitHub style): a bold title, a pipe table, then the notes as a
    /// list.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for t in &self.tables {
            let _ = writeln!(out, "**{}**\n", md_escape(&t.title));
            let head: Vec<String> = t.columns.iter().map(u32::to_string).collect();
            let _ = writeln!(out, "| {} | {} |", md_escape(t.head), head.join(" | "));
            let _ = writeln!(out, "| --- |{}", " ---: |".repeat(t.columns.len()));
            if !t.n_features.is_empty() {
                let n: Vec<String> = t.n_features.iter().map(u32::to_string).collect();
                let _ = writeln!(out, "| {} | {} |", md_escape("n_features"), n.join(" | "));
            }
            for (name, answers) in &t.lines {
                let cells: Vec<String> = (answers.iter())
                    .map(|a| md_escape(a.as_deref().unwrap_or("-")))
                    .collect();
                let _ = writeln!(out, "| {} | {} |", md_escape(name), cells.join(" | "));
            }
            out.push('\n');
        }
        for note in &self.notes {
            let _ = writeln!(out, "- {}", md_escape(note));
        }
        out
    }

    /// The tables as LaTeX `tabular`s (booktabs rules), each after its title and the notes as
    /// `%` comments, ready to `\input` inside a `table` whose caption the paper writes.
    pub fn latex(&self) -> String {
        let mut out = String::from(
            "% The answers of a tmh run (min_hidden.csv); needs \\usepackage{booktabs}.\n",
        );
        for note in &self.notes {
            let _ = writeln!(out, "% {note}");
        }
        for t in &self.tables {
            let _ = writeln!(out, "\n% {}", t.title);
            let columns = t.columns.len();
            let _ = writeln!(out, "\\begin{{tabular}}{{l{}}}", "r".repeat(columns));
            out.push_str("\\toprule\n");
            // Several tables in one float: each names its series.
            if self.tables.len() > 1 {
                let series = t
                    .title
                    .split_once(": ")
                    .map_or(t.title.as_str(), |(s, _)| s);
                let _ = writeln!(
                    out,
                    "\\multicolumn{{{}}}{{l}}{{{}}} \\\\\n\\midrule",
                    columns + 1,
                    tex_escape(series)
                );
            }
            let head: Vec<String> = t.columns.iter().map(u32::to_string).collect();
            let _ = writeln!(out, "{} & {} \\\\", tex_escape(t.head), head.join(" & "));
            if !t.n_features.is_empty() {
                let n: Vec<String> = t.n_features.iter().map(u32::to_string).collect();
                let _ = writeln!(out, "{} & {} \\\\", tex_escape("n_features"), n.join(" & "));
            }
            out.push_str("\\midrule\n");
            for (name, answers) in &t.lines {
                let cells: Vec<String> = (answers.iter())
                    .map(|a| tex_escape(a.as_deref().unwrap_or("--")))
                    .collect();
                // `mean *` → `mean$^{*}$`: the headline's star without a space before it.
                let name = tex_escape(name).replace(" $^{*}$", "$^{*}$");
                let _ = writeln!(out, "{name} & {} \\\\", cells.join(" & "));
            }
            out.push_str("\\bottomrule\n\\end{tabular}\n");
        }
        out
    }
}

/// `text` with Markdown's table and emphasis characters escaped.
fn md_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '|' | '*' | '_' | '\\' | '<' | '>') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `text` as LaTeX text mode: its special characters escaped, and the symbols tmh prints
/// (≤, ↓, ↑, <, >, ×, −, …, dashes) as commands that work with any font encoding.
fn tex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '\\' => out.push_str("\\textbackslash{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '≤' => out.push_str("$\\le$"),
            '<' => out.push_str("$<$"),
            '>' => out.push_str("$>$"),
            '|' => out.push_str("$|$"),
            '×' => out.push_str("$\\times$"),
            '−' => out.push_str("$-$"),
            '…' => out.push_str("\\dots{}"),
            '—' => out.push_str("---"),
            '–' => out.push_str("--"),
            '↓' => out.push_str("$^{\\downarrow}$"),
            '↑' => out.push_str("$^{\\uparrow}$"),
            '*' => out.push_str("$^{*}$"),
            c => out.push(c),
        }
    }
    out
}

/// The footnote on `↑` ([`MinHiddenRow::wider_fails`]), the same in the tables and the charts.
pub(crate) const WIDER_FAILS_NOTE: &str = "↑: a wider tested width fails again: this is the first \
     width that passes, not one from which every wider one does.";

/// The footnote on `↓` ([`MinHiddenRow::falling`]), worded alike in the tables and the
/// charts: `none` is how they print an answer that no tested width reaches (`none`, `>max`);
/// `why` adds what "still learning" means (a chart's one-line footer has no room for it).
pub(crate) fn falling_note(none: &str, why: bool) -> String {
    let why = if why {
        format!(
            " (an instance above its share of the threshold, whose train loss fell {}× or more over the last fifth of the steps)",
            crate::FALL_FACTOR
        )
    } else {
        String::new()
    };
    format!(
        "↓: a narrower width (any tested one, for {none}) was still learning when training \
         stopped{why}: more steps may lower this answer."
    )
}

/// Narrowest width of the label column.
const LABEL: usize = 13;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{DataSetId, RunRow};

    use crate::schema::test_rule as rule;

    #[test]
    fn the_answer_reads_as_a_table_headline_first() {
        // Depth 1 passes at 2 for every aggregate; depth 2 passes at 3 only for min and mean
        // (the sum of 2 instances at 6e-6 is 1.2e-5).
        let mut runs = Vec::new();
        for (depth, n_hidden, loss) in [(1, 2, 0.0), (2, 2, 1e-2), (2, 3, 6e-6)] {
            for i in 0..2 {
                runs.push(RunRow::seed_example(depth, n_hidden, i, loss));
            }
        }
        let rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "tree (stop_prob 0.5), b=2, binary, seed 0: smallest n_hidden with eval loss < 1.0e-5",
                "  depth             1     2",
                "  n_features        2     6",
                "  mean *           ≤2     3",
                "  min              ≤2     3",
                "  median           ≤2     3",
                "  sum              ≤2  none",
                "* headline (analysis.aggregate); sum: the seed notebook's own rule; none: no tested width passes.",
                "≤n: the narrowest width tested passes; narrower widths were not tried.",
            ]
        );
        // Per-instance p sweeps have no such table.
        let sparse: Vec<MinHiddenRow> = rows
            .iter()
            .map(|r| MinHiddenRow {
                depth: 0,
                structure: "sparse".into(),
                feature_probability_min: 0.1,
                feature_probability_max: 0.5,
                data_set: DataSetId {
                    name: "f2-pinst-1".into(),
                    in_label: false,
                },
                ..r.clone()
            })
            .collect();
        assert_eq!(
            min_hidden_text(&sparse, &rule(Criterion::Loss, Aggregate::Mean)),
            ""
        );
    }

    #[test]
    fn decoded_lines_follow_where_the_data_has_exact_evaluation() {
        // Depth 2 at n_hidden 2: one instance of two decodes everything.
        let mut runs = Vec::new();
        for (depth, n_hidden, decoded) in
            [(1, 2, [1.0, 1.0]), (2, 2, [1.0, 0.5]), (2, 3, [1.0, 1.0])]
        {
            for (i, d) in decoded.into_iter().enumerate() {
                runs.push(RunRow {
                    exact_loss: Some(1e-3),
                    decoded: Some(d),
                    ..RunRow::seed_example(depth, n_hidden, i as u32, 1.0)
                });
            }
        }
        let rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "  depth             1     2");
        assert_eq!(lines[2], "  n_features        2     6");
        assert_eq!(
            lines[3], "  mean *         none  none",
            "the exact loss 1e-3 is used"
        );
        assert_eq!(lines[7], "  decoded, all     ≤2     3");
        assert_eq!(lines[8], "  decoded, best    ≤2    ≤2");
        assert!(
            lines[11].starts_with("decoded: every possible sample"),
            "{text}"
        );
        assert!(!text.contains("-: no exact evaluation"), "{text}");
        // A depth without exact evaluation (too many samples) has `-` in the decoded rows.
        runs.extend((0..2).map(|i| RunRow::seed_example(3, 2, i, 1.0)));
        let rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        assert!(text.contains("  decoded, all     ≤2     3     -"), "{text}");
        assert!(
            text.contains("-: no exact evaluation at that depth"),
            "{text}"
        );
    }

    #[test]
    fn a_loss_answer_narrower_than_decoding_is_noted() {
        // Depth 2: both widths pass the loss, but the instances decode everything only at 3.
        let mut runs = Vec::new();
        for (n_hidden, decoded) in [(2, 0.5), (3, 1.0)] {
            for i in 0..2 {
                runs.push(RunRow {
                    exact_loss: Some(1e-7),
                    decoded: Some(decoded),
                    ..RunRow::seed_example(2, n_hidden, i, 1.0)
                });
            }
        }
        let rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        let note = text
            .lines()
            .find(|l| l.starts_with("lost features:"))
            .unwrap();
        assert!(
            note.contains(
                "tree (stop_prob 0.5), b=2, binary, seed 0: depth 2 (loss ≤2, decoded 3)"
            ),
            "{text}"
        );
        // Pooled seeds: the pooled series speaks for its seeds, which follow it in the rows.
        let mut two: Vec<RunRow> = runs.clone();
        two.extend(runs.iter().map(|r| RunRow {
            config_id: r.config_id.replace("-s0", "-s1"),
            seed: 1.into(),
            ..r.clone()
        }));
        let mut pooled = two.clone();
        crate::pool_seeds(&mut pooled, None);
        let mut rows2 = crate::min_hidden(&crate::summarize(&pooled), 1e-5);
        rows2.extend(crate::min_hidden(&crate::summarize(&two), 1e-5));
        let text = min_hidden_text(&rows2, &rule(Criterion::Loss, Aggregate::Mean));
        let note = text
            .lines()
            .find(|l| l.starts_with("lost features:"))
            .unwrap();
        assert!(note.contains("seeds 0+1: depth 2"), "{note}");
        assert!(
            !note.contains("seed 0:") && !note.contains("seed 1:"),
            "{note}"
        );
        // By decoding the headline is the decoded row itself: nothing to note.
        let text = min_hidden_text(&rows, &rule(Criterion::Decoded, Aggregate::Mean));
        assert!(!text.contains("lost features"), "{text}");
        // Where decoding comes first (or together), nothing either.
        let stored: Vec<RunRow> = (runs.iter().cloned())
            .map(|r| RunRow {
                decoded: Some(1.0),
                ..r
            })
            .collect();
        let rows = crate::min_hidden(&crate::summarize(&stored), 1e-5);
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        assert!(!text.contains("lost features"), "{text}");
    }

    #[test]
    fn by_decoding_the_decoded_lines_come_first_and_the_headline_is_starred() {
        // Depth 2: the best instance decodes at 2, both at 3, and the median (of 3) at 3.
        let mut runs = Vec::new();
        for (depth, n_hidden, decoded) in [
            (1, 2, [1.0, 1.0, 1.0]),
            (2, 2, [1.0, 0.5, 0.5]),
            (2, 3, [1.0, 1.0, 1.0]),
        ] {
            for (i, d) in decoded.into_iter().enumerate() {
                runs.push(RunRow {
                    exact_loss: Some(1e-7),
                    decoded: Some(d),
                    ..RunRow::seed_example(depth, n_hidden, i as u32, 1.0)
                });
            }
        }
        let rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        let lines = |criterion, aggregate| -> Vec<String> {
            min_hidden_text(&rows, &rule(criterion, aggregate))
                .lines()
                .map(str::to_owned)
                .collect()
        };
        let mean = lines(Criterion::Decoded, Aggregate::Mean);
        assert!(
            mean[0].ends_with(
                "smallest n_hidden that decodes every sample, or with exact loss < 1.0e-5"
            )
        );
        assert_eq!(
            &mean[3..5],
            [
                "  decoded, all *    ≤2     3",
                "  decoded, best     ≤2    ≤2"
            ]
        );
        assert_eq!(
            mean[5], "  mean              ≤2    ≤2",
            "loss lines follow, unstarred"
        );
        assert_eq!(
            mean[9],
            "* headline (analysis.criterion, analysis.aggregate); sum: the seed notebook's own rule; none: no tested width passes."
        );
        // The sum decodes like the mean: every instance.
        assert_eq!(
            lines(Criterion::Decoded, Aggregate::Sum)[3],
            "  decoded, all *    ≤2     3"
        );
        let best = lines(Criterion::Decoded, Aggregate::Min);
        assert_eq!(
            &best[3..5],
            [
                "  decoded, best *    ≤2    ≤2",
                "  decoded, all       ≤2     3"
            ]
        );
        let median = lines(Criterion::Decoded, Aggregate::Median);
        assert_eq!(
            &median[3..6],
            [
                "  decoded, median *    ≤2     3",
                "  decoded, all         ≤2     3",
                "  decoded, best        ≤2    ≤2"
            ]
        );
        // By the loss, no decoded line is starred and no median decoded line is shown.
        let loss = lines(Criterion::Loss, Aggregate::Median);
        assert_eq!(loss[3], "  median *         ≤2    ≤2");
        assert!(loss.iter().all(|l| !l.contains("decoded, median")));
        assert_eq!(
            loss.iter().filter(|l| l.contains('*')).count(),
            2,
            "one star and its footnote"
        );
    }

    /// Series come in the experiment file's order (that of runs.csv), not sorted: stop
    /// probability 0.5 listed first stays first.
    #[test]
    fn series_keep_the_order_of_the_experiment_file() {
        let mut runs: Vec<RunRow> = (0..2)
            .map(|i| RunRow::seed_example(2, 3, i, 1e-7))
            .collect();
        runs.extend((0..2).map(|i| RunRow {
            config_id: "d2-h3-b2-tree0-binary-s0".into(),
            stop_prob: 0.0,
            ..RunRow::seed_example(2, 3, i, 1e-7)
        }));
        let rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        let titles: Vec<&str> = text.lines().filter(|l| l.starts_with("tree")).collect();
        assert!(titles[0].starts_with("tree (stop_prob 0.5)"), "{text}");
        assert!(titles[1].starts_with("tree (stop_prob 0)"), "{text}");
        assert!(
            Series::of_min_hidden(&rows[4]) < Series::of_min_hidden(&rows[0]),
            "sorted, 0 first"
        );
    }

    #[test]
    fn markdown_and_latex_hold_the_printed_answers() {
        let runs: Vec<RunRow> = [(1, 2, 0.0), (2, 2, 1e-2), (2, 3, 6e-6)]
            .into_iter()
            .flat_map(|(d, h, l)| (0..2).map(move |i| RunRow::seed_example(d, h, i, l)))
            .collect();
        let mut rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        for r in rows.iter_mut().filter(|r| r.depth == 2) {
            r.still_falling = Some(1);
        }
        let a = answers(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        let markdown = a.markdown();
        let md: Vec<&str> = markdown.lines().collect();
        assert_eq!(
            md[..7],
            [
                "**tree (stop\\_prob 0.5), b=2, binary, seed 0: smallest n\\_hidden with eval loss \\< 1.0e-5**",
                "",
                "| depth | 1 | 2 |",
                "| --- | ---: | ---: |",
                "| n\\_features | 2 | 6 |",
                "| mean \\* | ≤2 | 3↓ |",
                "| min | ≤2 | 3↓ |",
            ]
        );
        assert!(markdown.contains("| sum | ≤2 | none↓ |"), "{markdown}");
        assert!(
            markdown.contains("- ≤n: the narrowest width tested passes"),
            "{markdown}"
        );
        let latex = a.latex();
        for line in [
            "\\begin{tabular}{lrr}",
            "depth & 1 & 2 \\\\",
            "mean$^{*}$ & $\\le$2 & 3$^{\\downarrow}$ \\\\",
            "sum & $\\le$2 & none$^{\\downarrow}$ \\\\",
            "% ≤n: the narrowest width tested passes; narrower widths were not tried.",
            "% tree (stop_prob 0.5), b=2, binary, seed 0: smallest n_hidden with eval loss < 1.0e-5",
        ] {
            assert!(latex.lines().any(|l| l == line), "{line}\n{latex}");
        }
        // Every character LaTeX treats specially is escaped outside comments.
        for l in latex.lines().filter(|l| !l.starts_with('%')) {
            let plain = l.replace("\\_", "").replace("\\&", "");
            assert!(!plain.contains('_') && !plain.contains('#'), "{l}");
        }
    }

    #[test]
    fn latex_names_each_series_when_there_are_several_and_escapes_what_it_prints() {
        let table = |series: &str| AnswerTable {
            title: format!("{series}: smallest n_hidden with exact loss < 1.0e-5"),
            head: "depth",
            columns: vec![1, 2],
            n_features: vec![2, 6],
            lines: vec![("mean *".into(), vec![Some("≤2".into()), None])],
        };
        let one = Answers {
            tables: vec![table("tree (stop_prob 0.5), seed 0")],
            notes: Vec::new(),
        };
        assert!(
            !one.latex().contains("\\multicolumn"),
            "one table: the caption names it"
        );
        let two = Answers {
            tables: vec![table("tree (stop_prob 0.5)"), table("tree (stop_prob 0)")],
            notes: Vec::new(),
        };
        let latex = two.latex();
        assert!(latex.contains("\\multicolumn{3}{l}{tree (stop\\_prob 0.5)} \\\\\n\\midrule\n"));
        assert!(latex.contains("\\multicolumn{3}{l}{tree (stop\\_prob 0)} \\\\"));
        assert!(latex.contains("mean$^{*}$ & $\\le$2 & -- \\\\"), "{latex}");
        assert!(
            latex.contains("depth & 1 & 2 \\\\\nn\\_features & 2 & 6 \\\\\n\\midrule"),
            "{latex}"
        );
        assert_eq!(
            tex_escape("a<b>c|d×e−f…g—h–i_j&k%l#m{n}~^\\"),
            "a$<$b$>$c$|$d$\\times$e$-$f\\dots{}g---h--i\\_j\\&k\\%l\\#m\\{n\\}\\textasciitilde{}\\textasciicircum{}\\textbackslash{}"
        );
    }

    #[test]
    fn answers_that_more_steps_may_lower_are_marked() {
        let runs: Vec<RunRow> = [(2, 1e-3), (3, 1e-7)]
            .into_iter()
            .flat_map(|(h, loss)| (0..2).map(move |i| RunRow::seed_example(2, h, i, loss)))
            .collect();
        let mut rows = crate::min_hidden(&crate::summarize(&runs), 1e-5);
        let plain = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        assert!(!plain.contains('↓'), "{plain}");
        for r in &mut rows {
            r.still_falling = Some(u32::from(r.aggregate == Aggregate::Mean));
        }
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[2], "  n_features        6");
        assert_eq!(lines[3], "  mean *           3↓");
        assert_eq!(lines[4], "  min               3");
        assert!(
            lines[8]
                .starts_with("↓: a narrower width (any tested one, for none) was still learning"),
            "{text}"
        );
        assert!(!text.contains('↑'), "{text}");

        // A wider width failing again: its own mark, after ↓, and its footnote.
        rows[1].wider_failing = Some(2);
        let text = min_hidden_text(&rows, &rule(Criterion::Loss, Aggregate::Mean));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], "  mean *          3↓↑");
        assert!(
            lines[9].starts_with("↑: a wider tested width fails again"),
            "{text}"
        );
    }
}
