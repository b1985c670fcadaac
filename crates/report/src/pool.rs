//! `analysis.pool_seeds`: configs that differ only in their seed become one config, whose
//! instances are all of theirs, so that statistics across instances (min, mean, median, sum),
//! the pass rule, the charts and the tables judge them together.
//!
//! Every instance of tmh already draws its init and its batches from its own random stream,
//! keyed by seed, config and instance, so a seed adds independent instances of the same
//! config: pooling 3 seeds of 5 instances is a config of 15, each initialised at the scale of
//! 5. (`train.instances = 15` adds instances too, but the notebook's init scale depends on the
//! instance count, so it changes every instance's init.)
//!
//! Like the relative losses, pooling rewrites the rows in memory right after reading them:
//! config ids read `-s0+1+2` where they read `-s0`, the `seed` column holds every seed of the
//! folder, and the instances are numbered on, seed after seed, in increasing seed order.
//! `runs.csv` and `curves.csv` keep the configs as trained.

use std::collections::{BTreeMap, HashMap};

use crate::schema::{CurveRow, RunRow, Seeds};

/// `config_id` split around its seed's token (`s<seed>`, the last such `-`-separated part),
/// or `None` when it has none.
fn split_at_seed(config_id: &str, seed: u64) -> Option<(&str, &str)> {
    let token = format!("s{seed}");
    let parts: Vec<&str> = config_id.split('-').collect();
    let at = parts.iter().rposition(|p| *p == token)?;
    let start: usize = parts[..at].iter().map(|p| p.len() + 1).sum();
    Some((&config_id[..start], &config_id[start + token.len()..]))
}

/// What [`pool_seeds`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pooled {
    /// Each pooled config's id before pooling → its id after (`…-s1` → `…-s0+1+2`), so that
    /// files named by the per-seed configs (geometry figures) find their series.
    pub ids: BTreeMap<String, String>,
    /// Pooled configs that some seed of the folder lacks (an interrupted or grown sweep), with
    /// the seeds they have: their statistics are over fewer instances than their neighbours'.
    pub short: Vec<(String, Seeds)>,
}

/// Pools the configs of `runs` that differ only in their seed (see the module docs), and
/// renames the matching points of `curves` alike. A config id without its seed's token (not
/// written by tmh) stays a config of its own, with its own seed. Does nothing where the folder
/// has one seed.
///
/// Every pooled config names all the folder's seeds, so that a series stays one series, and
/// a seed's instances take the same numbers in every config: seed k's instance i is
/// `i + Σ` (instances of each smaller seed), whether or not a config has every seed.
pub fn pool_seeds(runs: &mut [RunRow], curves: Option<&mut [CurveRow]>) -> Pooled {
    let Some(all) = Seeds::new(runs.iter().flat_map(|r| r.seed.as_slice().to_vec())) else {
        return Pooled::default();
    };
    if !all.is_pooled() {
        return Pooled::default();
    }
    let seed_of = |row: &RunRow| row.seed.as_slice()[0];
    let pooled_id = |row: &RunRow| -> Option<String> {
        let (head, tail) = split_at_seed(&row.config_id, seed_of(row))?;
        Some(format!("{head}s{all}{tail}"))
    };
    // How many instance numbers each seed takes, over the whole folder.
    let mut spans: BTreeMap<u64, u32> = BTreeMap::new();
    for row in runs.iter() {
        let span = spans.entry(seed_of(row)).or_default();
        *span = (*span).max(row.instance + 1);
    }
    let offset = |seed: u64| -> u32 { spans.range(..seed).map(|(_, span)| span).sum() };
    let mut pooled = Pooled::default();
    let mut seeds_of: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut renamed: HashMap<(String, u32), (String, u32)> = HashMap::new();
    for row in runs.iter_mut() {
        let Some(id) = pooled_id(row) else { continue };
        let seed = seed_of(row);
        let instance = row.instance + offset(seed);
        seeds_of.entry(id.clone()).or_default().push(seed);
        pooled.ids.insert(row.config_id.clone(), id.clone());
        renamed.insert(
            (row.config_id.clone(), row.instance),
            (id.clone(), instance),
        );
        row.config_id = id;
        row.instance = instance;
        row.seed = all.clone();
    }
    for point in curves.into_iter().flatten() {
        if let Some((id, instance)) = renamed.get(&(point.config_id.clone(), point.instance)) {
            point.config_id.clone_from(id);
            point.instance = *instance;
        }
    }
    pooled.short = (seeds_of.into_iter())
        .filter_map(|(id, seeds)| Seeds::new(seeds).map(|s| (id, s)))
        .filter(|(_, seeds)| *seeds != all)
        .collect();
    pooled
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_token_is_found_where_it_stands() {
        let cases = [
            (
                "d3-h4-b2-tree0.5-binary-s0",
                0,
                Some(("d3-h4-b2-tree0.5-binary-", "")),
            ),
            (
                "d3-h4-b2-tree0.5-binary-s12-imp0.5lvl",
                12,
                Some(("d3-h4-b2-tree0.5-binary-", "-imp0.5lvl")),
            ),
            (
                "f5-plog1-0.02-h2-uniform-s1",
                1,
                Some(("f5-plog1-0.02-h2-uniform-", "")),
            ),
            // `s1` is not `s10`; an id without its seed keeps its own config.
            ("d3-h4-b2-tree0.5-binary-s10", 1, None),
            ("handmade", 0, None),
        ];
        for (id, seed, want) in cases {
            assert_eq!(split_at_seed(id, seed), want, "{id}");
        }
    }

    fn row(depth: u32, n_hidden: u32, seed: u64, instance: u32, loss: f64) -> RunRow {
        let mut row = RunRow::seed_example(depth, n_hidden, instance, loss);
        row.config_id = row.config_id.replace("-s0", &format!("-s{seed}"));
        row.seed = seed.into();
        row
    }

    fn point(row: &RunRow, step: u64) -> CurveRow {
        CurveRow {
            config_id: row.config_id.clone(),
            instance: row.instance,
            step,
            loss: row.eval_loss,
        }
    }

    #[test]
    fn instances_of_every_seed_become_one_config() {
        // Seed 3 has instances 0..3, seed 1 instances 0..2 (unsorted rows), at two widths.
        let mut runs = Vec::new();
        for n_hidden in [2, 3] {
            for (seed, instances) in [(3, 3), (1, 2)] {
                for instance in 0..instances {
                    let loss = f64::from(n_hidden * 100 + seed as u32 * 10 + instance);
                    runs.push(row(2, n_hidden, seed, instance, loss));
                }
            }
        }
        let mut curves: Vec<CurveRow> = runs.iter().map(|r| point(r, 7)).collect();
        let trained = runs.clone();
        pool_seeds(&mut runs, Some(&mut curves));

        let mut seen = std::collections::BTreeSet::new();
        for (row, before) in runs.iter().zip(&trained) {
            assert_eq!(row.seed.to_string(), "1+3");
            assert_eq!(
                row.config_id,
                before
                    .config_id
                    .replace(&format!("-s{}", before.seed), "-s1+3")
            );
            // Seed 1's instances come first: 0, 1; then seed 3's: 2, 3, 4.
            let seed = before.seed.as_slice()[0];
            let want = before.instance + if seed == 1 { 0 } else { 2 };
            assert_eq!(row.instance, want, "{before:?}");
            assert!(seen.insert((row.config_id.clone(), row.instance)));
            // Nothing else moves.
            assert_eq!(row.eval_loss, before.eval_loss);
            assert_eq!((row.depth, row.n_hidden), (before.depth, before.n_hidden));
        }
        for (p, r) in curves.iter().zip(&runs) {
            assert_eq!(
                (&p.config_id, p.instance, p.loss),
                (&r.config_id, r.instance, r.eval_loss)
            );
        }

        // The statistics see all five instances of each width.
        let summary = crate::summarize(&runs);
        assert_eq!(summary.len(), 2);
        for s in &summary {
            let losses: Vec<f64> = (trained.iter())
                .filter(|r| r.n_hidden == s.n_hidden)
                .map(|r| r.eval_loss)
                .collect();
            assert_eq!(s.n_instances, 5);
            assert_eq!(s.min, losses.iter().copied().fold(f64::INFINITY, f64::min));
            assert_eq!(s.mean, losses.iter().sum::<f64>() / 5.0);
            assert_eq!(s.seed.as_slice(), [1, 3]);
        }
    }

    #[test]
    fn a_seed_takes_the_same_numbers_where_another_is_missing() {
        // Width 2 has seeds 0 and 5, width 3 only seed 5 (an interrupted sweep).
        let mut runs: Vec<RunRow> = (0..3).map(|i| row(2, 2, 0, i, 0.1)).collect();
        runs.extend((0..3).flat_map(|i| [row(2, 2, 5, i, 0.1), row(2, 3, 5, i, 0.1)]));
        let pooled = pool_seeds(&mut runs, None);
        for r in &runs {
            assert_eq!(r.seed.to_string(), "0+5", "one series: {r:?}");
        }
        let numbers = |n_hidden: u32| -> Vec<u32> {
            let mut n: Vec<u32> = (runs.iter())
                .filter(|r| r.n_hidden == n_hidden)
                .map(|r| r.instance)
                .collect();
            n.sort();
            n
        };
        assert_eq!(numbers(2), [0, 1, 2, 3, 4, 5]);
        assert_eq!(numbers(3), [3, 4, 5], "seed 5's numbers, as at width 2");
        assert_eq!(
            pooled.short,
            [("d2-h3-b2-tree0.5-binary-s0+5".to_owned(), 5.into())]
        );
        assert_eq!(
            pooled.ids["d2-h2-b2-tree0.5-binary-s5"],
            "d2-h2-b2-tree0.5-binary-s0+5"
        );
        assert_eq!(pooled.ids.len(), 3);
    }

    #[test]
    fn one_seed_is_left_as_it_is() {
        let mut runs: Vec<RunRow> = (0..3).map(|i| row(2, 3, 4, i, 0.1)).collect();
        let before = runs.clone();
        pool_seeds(&mut runs, None);
        assert_eq!(runs, before);
    }
}
