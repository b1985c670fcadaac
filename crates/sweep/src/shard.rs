//! Splitting a sweep's groups into N cost-balanced shards for separate machines.

use crate::config::ConfigError;
use crate::grid::Group;

/// Parses `K/N` (1-based `K`, `1 <= K <= N`), as given to `--shard`.
pub fn parse_shard(value: &str) -> Result<(usize, usize), ConfigError> {
    let err = |why| ConfigError::Shard {
        value: value.to_string(),
        why,
    };
    let (k, n) = value
        .split_once('/')
        .ok_or_else(|| err("is not of the form K/N"))?;
    let k: usize = k
        .trim()
        .parse()
        .map_err(|_| err("has a K that is not a whole number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| err("has an N that is not a whole number"))?;
    check_shard(k, n).map_err(|_| err("is out of range"))?;
    Ok((k, n))
}

/// Checks `1 <= k <= n`.
pub fn check_shard(k: usize, n: usize) -> Result<(), ConfigError> {
    if n >= 1 && (1..=n).contains(&k) {
        Ok(())
    } else {
        Err(ConfigError::Shard {
            value: format!("{k}/{n}"),
            why: "is out of range",
        })
    }
}

/// The shard (0-based) of each group: greedy longest-processing-time onto `n` bins.
///
/// Groups go in decreasing cost (ties by id) onto the least loaded bin (ties by lowest index),
/// so the split depends only on the groups, never on the machine or the order of the calls.
pub fn assign_shards(groups: &[Group], n: usize) -> Vec<usize> {
    let n = n.max(1);
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&groups[a].info, &groups[b].info);
        b.cost.cmp(&a.cost).then_with(|| a.id.cmp(&b.id))
    });
    let mut load = vec![0u128; n];
    let mut shard = vec![0; groups.len()];
    for index in order {
        let bin = (0..n).min_by_key(|&bin| (load[bin], bin)).unwrap_or(0);
        load[bin] += u128::from(groups[index].info.cost);
        shard[index] = bin;
    }
    shard
}

/// The groups of shard `k` of `n` (1-based `k`), in grid order. See [`assign_shards`]. Every
/// group lands in exactly one shard.
pub fn shard_groups(groups: &[Group], k: usize, n: usize) -> Result<Vec<&Group>, ConfigError> {
    check_shard(k, n)?;
    let shard = assign_shards(groups, n);
    Ok(groups
        .iter()
        .zip(shard)
        .filter(|(_, s)| *s == k - 1)
        .map(|(g, _)| g)
        .collect())
}
