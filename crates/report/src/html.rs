//! The self-contained `index.html`: plain HTML and CSS, every chart inline, nothing fetched.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::ReportOptions;
use crate::analysis::{Series, series_of};
use crate::plots::{Plot, fmt_loss};
use crate::schema::{Aggregate, MinHiddenRow, SummaryRow};

/// Everything the page shows.
pub(crate) struct Page<'a> {
    pub opts: &'a ReportOptions,
    pub summary: &'a [SummaryRow],
    pub min_hidden: &'a [MinHiddenRow],
    pub plots: &'a [Plot],
    /// Facts computed from the data, listed after the caller's notes.
    pub facts: Vec<String>,
    /// Data files in the run folder to link to (relative paths).
    pub data_files: Vec<String>,
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
tr.pass td { background: var(--pass); }
td.none { background: var(--none); color: #8a1c1c; }
table.min-hidden td { text-align: center; min-width: 4.5em; }
.wide { overflow-x: auto; }
figure { margin: 1.2rem 0 2rem; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; max-width: 1000px; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 13px; margin-top: .3rem; }
a { color: #1a5fa8; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  nav { display: none; }
  h2 { break-before: auto; break-after: avoid; }
  figure svg { border: none; max-width: 100%; }
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
        h.push_str(
            "<li><a href=\"#min-hidden\">Smallest n_hidden reaching the threshold</a></li>\n",
        );
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
             <strong>sum</strong> over features, so their losses are n_features times larger: the \
             threshold {} here corresponds to {} × n_features there. \
             An n_hidden “reaches” the threshold when the aggregate (min, mean or median over \
             instances) of its eval loss is strictly below it; diverged instances \
             (non-finite loss) are left out of the aggregates and counted separately.</p>",
            fmt_loss(t),
            fmt_loss(t)
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
            "<h2 id=\"min-hidden\">Smallest n_hidden with eval loss &lt; {}</h2>",
            fmt_loss(t)
        );
        h.push_str(&self.min_hidden_table());

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
        }

        h.push_str("<h2 id=\"summary\">Summary: eval loss per configuration</h2>\n");
        let _ = writeln!(
            h,
            "<p class=\"note\">Statistics over the non-diverged instances; std is the population \
             standard deviation. Green rows: mean below {}.</p>",
            fmt_loss(t)
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

    fn min_hidden_table(&self) -> String {
        let mut groups: BTreeMap<Series, BTreeMap<(u32, Aggregate), &MinHiddenRow>> =
            BTreeMap::new();
        for r in self.min_hidden {
            groups
                .entry(Series::of_min_hidden(r))
                .or_default()
                .insert((r.depth, r.aggregate), r);
        }
        let depths: std::collections::BTreeSet<u32> =
            self.min_hidden.iter().map(|r| r.depth).collect();
        let mut h = String::from(
            "<div class=\"wide\"><table class=\"min-hidden\">\n<thead>\n<tr><th rowspan=\"2\">depth</th>",
        );
        for s in groups.keys() {
            let _ = write!(
                h,
                "<th colspan=\"{}\">{}</th>",
                Aggregate::ALL.len(),
                esc(&s.label())
            );
        }
        h.push_str("</tr>\n<tr>");
        for _ in groups.keys() {
            for a in Aggregate::ALL {
                let _ = write!(h, "<th>{a}</th>");
            }
        }
        h.push_str("</tr>\n</thead>\n<tbody>\n");
        for d in &depths {
            let _ = write!(h, "<tr><th>{d}</th>");
            for cells in groups.values() {
                for a in Aggregate::ALL {
                    match cells.get(&(*d, a)) {
                        Some(r) => match r.min_n_hidden {
                            Some(n) => {
                                let _ = write!(h, "<td>{n}</td>");
                            }
                            None => {
                                let _ = write!(
                                    h,
                                    "<td class=\"none\" title=\"largest n_hidden tested: {}\">none (&gt; max tested {})</td>",
                                    r.max_tested, r.max_tested
                                );
                            }
                        },
                        None => h.push_str("<td>—</td>"),
                    }
                }
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</tbody>\n</table></div>\n");
        h
    }

    fn summary_table(&self, series: &Series) -> String {
        let mut h = String::new();
        let _ = writeln!(h, "<h3>{}</h3>", esc(&series.label()));
        h.push_str(
            "<div class=\"wide\"><table class=\"summary\">\n<thead><tr><th class=\"id\">config_id</th>\
             <th>depth</th><th>n_hidden</th><th>n_features</th><th>instances</th><th>diverged</th>\
             <th>mean</th><th>min</th><th>median</th><th>max</th><th>std</th></tr></thead>\n<tbody>\n",
        );
        for r in self
            .summary
            .iter()
            .filter(|r| Series::of_summary(r) == *series)
        {
            let class = if r.mean < self.opts.threshold {
                " class=\"pass\""
            } else {
                ""
            };
            let _ = writeln!(
                h,
                "<tr{class}><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.config_id),
                r.depth,
                r.n_hidden,
                r.n_features,
                r.n_instances,
                r.n_diverged,
                fmt_loss(r.mean),
                fmt_loss(r.min),
                fmt_loss(r.median),
                fmt_loss(r.max),
                fmt_loss(r.std),
            );
        }
        h.push_str("</tbody>\n</table></div>\n");
        h
    }
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
