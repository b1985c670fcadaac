//! Figure manifests: JSON lists of charts that another crate drew into `plots/` and that
//! [`crate::build`] embeds in the report (today: `plots/geometry.json`, written by the geometry
//! crate).

use std::path::Path;

use anyhow::{Context, Result, ensure};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use crate::draw::is_safe_stem;
use crate::schema::write_atomic;

/// File name, inside `plots/`, of the geometry crate's figure manifest.
pub const GEOMETRY_MANIFEST: &str = "geometry.json";

/// One chart of a figure manifest: a JSON object
/// `{"stem", "title", "caption", "kind", "config_id"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// File stem: the chart is `plots/<stem>.svg` and `plots/<stem>.png`.
    pub stem: String,
    /// Chart title.
    pub title: String,
    /// Figure caption: what the chart shows.
    pub caption: String,
    /// Chart kind; the report groups figures by it (for geometry: `features2d`, `gram`,
    /// `norms`, `cosines`, `dims`).
    pub kind: String,
    /// The config the chart shows, if it shows one (`null` in the JSON otherwise).
    pub config_id: Option<String>,
}

/// Reads a figure manifest (a JSON array of [`ManifestEntry`]).
pub fn read_manifest(path: &Path) -> Result<Vec<ManifestEntry>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", path.display()))
}

/// Writes a figure manifest (a pretty-printed JSON array) atomically.
pub fn write_manifest(path: &Path, entries: &[ManifestEntry]) -> Result<()> {
    let mut json = serde_json::to_vec_pretty(entries)
        .with_context(|| format!("encoding {}", path.display()))?;
    json.push(b'\n');
    write_atomic(path, &json)
}

/// SVGs up to this size (bytes) go into `index.html` inline; larger ones (a Gram matrix of
/// 126 features is about 1.5 MB of SVG rectangles) go in as their PNG, as a data URI, which is
/// about a tenth of the size and keeps the page self-contained. Either way the figure links to
/// both files.
pub(crate) const INLINE_SVG_MAX: usize = 256 * 1024;

/// How a listed figure sits in `index.html`.
#[derive(Debug, Clone)]
pub(crate) enum Embed {
    /// The SVG markup, inline.
    Svg(String),
    /// The PNG as a base64 data URI, with its pixel size when the header gives it.
    Png {
        base64: String,
        size: Option<(u32, u32)>,
    },
}

/// A listed figure whose files exist.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    pub entry: ManifestEntry,
    pub embed: Embed,
}

/// The figures of one manifest, ready for the page.
#[derive(Debug, Clone)]
pub(crate) struct Listed {
    /// The manifest, relative to the run folder (`plots/geometry.json`).
    pub manifest: String,
    /// Figures whose SVG and PNG both exist, in manifest order, each stem once.
    pub figures: Vec<Figure>,
    /// Stems listed without their files, left out of the page.
    pub missing: Vec<String>,
}

/// Loads the figures listed in `dir/plots/<name>`, or `None` when there is no such manifest.
/// Fails, naming the file, when the manifest is malformed or lists a stem that is not a plain
/// file name.
pub(crate) fn load_listed(dir: &Path, name: &str) -> Result<Option<Listed>> {
    let plot_dir = dir.join("plots");
    let path = plot_dir.join(name);
    if !path.is_file() {
        return Ok(None);
    }
    let entries = read_manifest(&path)?;
    let mut seen = std::collections::HashSet::new();
    let mut figures = Vec::new();
    let mut missing = Vec::new();
    for entry in entries {
        ensure!(
            is_safe_stem(&entry.stem),
            "{} lists the stem {:?}, which is not a plain file name",
            path.display(),
            entry.stem
        );
        if !seen.insert(entry.stem.clone()) {
            continue;
        }
        let svg_path = plot_dir.join(format!("{}.svg", entry.stem));
        let png_path = plot_dir.join(format!("{}.png", entry.stem));
        if !(svg_path.is_file() && png_path.is_file()) {
            missing.push(entry.stem);
            continue;
        }
        let svg_len = std::fs::metadata(&svg_path)
            .with_context(|| format!("reading {}", svg_path.display()))?
            .len();
        let embed = if svg_len <= INLINE_SVG_MAX as u64 {
            let svg = std::fs::read_to_string(&svg_path)
                .with_context(|| format!("reading {}", svg_path.display()))?;
            Embed::Svg(svg)
        } else {
            let png = std::fs::read(&png_path)
                .with_context(|| format!("reading {}", png_path.display()))?;
            Embed::Png {
                base64: BASE64.encode(&png),
                size: png_size(&png),
            }
        };
        figures.push(Figure { entry, embed });
    }
    Ok(Some(Listed {
        manifest: format!("plots/{name}"),
        figures,
        missing,
    }))
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 24 || !png.starts_with(SIGNATURE) || &png[12..16] != b"IHDR" {
        return None;
    }
    let word = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    Some((word(16), word(20)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_size_reads_the_header() {
        let svg = crate::draw::svg_document(40, 30, |_| Ok(())).unwrap();
        let png = crate::draw::svg_to_png(&svg).unwrap();
        assert_eq!(png_size(&png), Some((40, 30)));
        assert_eq!(png_size(b"not a png"), None);
    }
}
