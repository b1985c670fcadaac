//! One config's trained weights as a safetensors file: `W` `[instances, n_hidden, n_features]`
//! and `b_final` `[instances, n_features]` (f32, unpadded), with the config in `__metadata__`.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result, ensure};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::grid::{Cell, CellResult};

/// A config's weights as read back from its file.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// `[instances, n_hidden, n_features]`.
    pub w_shape: [usize; 3],
    /// `W`, row-major.
    pub w: Vec<f32>,
    /// `b_final`, `[instances, n_features]` row-major.
    pub b_final: Vec<f32>,
    /// The `__metadata__` strings.
    pub metadata: HashMap<String, String>,
}

/// Every field of a config as strings, plus the config id and the resolved sweep TOML.
pub(crate) fn metadata(
    cell: &Cell,
    config_toml: &str,
    config_hash: &str,
) -> HashMap<String, String> {
    let pairs = [
        ("config_id", cell.id.clone()),
        ("group", cell.group.clone()),
        ("depth", cell.depth().to_string()),
        ("branching", cell.branching().to_string()),
        ("structure", cell.structure_name().to_string()),
        ("stop_prob", cell.stop_prob().to_string()),
        ("correlated_pairs", cell.pairs().correlated.to_string()),
        (
            "anticorrelated_pairs",
            cell.pairs().anticorrelated.to_string(),
        ),
        ("importance", cell.importance.label()),
        (
            "magnitude",
            crate::config::magnitude_name(cell.magnitude).to_string(),
        ),
        ("n_hidden", cell.n_hidden.to_string()),
        ("n_features", cell.n_features.to_string()),
        ("seed", cell.seed.to_string()),
        ("instances", cell.instances.to_string()),
        ("init_std", cell.init_std.to_string()),
        ("stream_config", format!("{:016x}", cell.stream_config)),
        ("config_hash", config_hash.to_string()),
        ("config", config_toml.to_string()),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

fn le_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The safetensors bytes of one config's result.
pub(crate) fn encode(
    cell: &Cell,
    result: &CellResult,
    metadata: HashMap<String, String>,
) -> Result<Vec<u8>> {
    let w_shape = vec![cell.instances, cell.n_hidden, cell.n_features];
    let b_shape = vec![cell.instances, cell.n_features];
    let (w, b) = (le_bytes(&result.w), le_bytes(&result.b_final));
    let tensors = [
        ("W", TensorView::new(Dtype::F32, w_shape, &w)?),
        ("b_final", TensorView::new(Dtype::F32, b_shape, &b)?),
    ];
    let bytes = safetensors::serialize(tensors, Some(metadata))?;
    sorted_header(&bytes)
}

/// `bytes` with its JSON header's keys (and the metadata's) in sorted order: safetensors
/// writes the metadata in `HashMap` order, which changes from run to run, and equal results
/// should be equal files.
fn sorted_header(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::collections::BTreeMap;
    let len = u64::from_le_bytes(bytes[..8].try_into()?) as usize;
    let (header, data) = bytes[8..].split_at(len);
    let mut header: BTreeMap<String, serde_json::Value> = serde_json::from_slice(header)?;
    if let Some(meta) = header.get_mut("__metadata__") {
        let sorted: BTreeMap<String, String> = serde_json::from_value(meta.take())?;
        *meta = serde_json::to_value(sorted)?;
    }
    let mut text = serde_json::to_string(&header)?;
    // Data starts 8-byte aligned, as safetensors pads it.
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + data.len());
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(data);
    Ok(out)
}

fn f32s(view: &TensorView<'_>, name: &str) -> Result<Vec<f32>> {
    ensure!(
        view.dtype() == Dtype::F32,
        "{name} is {:?}, expected F32",
        view.dtype()
    );
    Ok(view
        .data()
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Reads a weights file written by a sweep.
pub fn read_weights(path: &Path) -> Result<Weights> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let parse = || -> Result<Weights> {
        let (_, meta) = SafeTensors::read_metadata(&bytes)?;
        let tensors = SafeTensors::deserialize(&bytes)?;
        let w = tensors.tensor("W")?;
        let b = tensors.tensor("b_final")?;
        let w_shape: [usize; 3] = w
            .shape()
            .try_into()
            .map_err(|_| anyhow::anyhow!("W has shape {:?}, expected 3 dimensions", w.shape()))?;
        Ok(Weights {
            w_shape,
            w: f32s(&w, "W")?,
            b_final: f32s(&b, "b_final")?,
            metadata: meta.metadata().clone().unwrap_or_default(),
        })
    };
    parse().with_context(|| format!("reading {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs' metadata maps iterate in different orders; the files must still be equal,
    /// and still read back.
    #[test]
    fn equal_results_give_equal_files() {
        let data = le_bytes(&[1.0, -2.5, 3.25, 0.0]);
        let file = || {
            // Many keys: two HashMaps with their own random seeds almost surely differ in order.
            let metadata: HashMap<String, String> = (0..32)
                .map(|i| (format!("key{i}"), format!("value {i}")))
                .collect();
            let tensors = [("W", TensorView::new(Dtype::F32, vec![2, 2], &data).unwrap())];
            sorted_header(&safetensors::serialize(tensors, Some(metadata)).unwrap()).unwrap()
        };
        let first = file();
        for _ in 0..8 {
            assert_eq!(file(), first);
        }
        let (_, meta) = SafeTensors::read_metadata(&first).unwrap();
        assert_eq!(meta.metadata().as_ref().unwrap()["key7"], "value 7");
        let tensors = SafeTensors::deserialize(&first).unwrap();
        assert_eq!(tensors.tensor("W").unwrap().data(), &data[..]);
    }
}
