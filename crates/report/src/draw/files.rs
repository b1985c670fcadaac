//! Chart files: `<stem>.svg` and `<stem>.png`, written atomically.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, ensure};

use super::raster::svg_to_png;
use crate::schema::write_atomic;

/// Keeps `[A-Za-z0-9._-]`, replacing anything else by `-`: a string safe in file names and
/// in links.
pub fn sanitize(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Whether `stem` names a file directly inside a folder and can go into a link unescaped:
/// not empty, only `[A-Za-z0-9._-]`, not starting with `.`.
pub fn is_safe_stem(stem: &str) -> bool {
    !stem.is_empty() && !stem.starts_with('.') && sanitize(stem) == stem
}

/// Writes `plot_dir/<stem>.svg` and `plot_dir/<stem>.png` (rendered from the SVG by
/// [`svg_to_png`]), each atomically, creating `plot_dir` if needed; returns the two paths.
pub fn write_chart(plot_dir: &Path, stem: &str, svg: &str) -> Result<[PathBuf; 2]> {
    write_chart_with(plot_dir, stem, svg, &svg_to_png)
}

/// [`write_chart`] with the PNG rendered by `png` (e.g. [`super::svg_to_png_scaled`]).
pub fn write_chart_with(
    plot_dir: &Path,
    stem: &str,
    svg: &str,
    png: &Render,
) -> Result<[PathBuf; 2]> {
    ensure!(
        is_safe_stem(stem),
        "chart stem {stem:?} is not a plain file name"
    );
    fs::create_dir_all(plot_dir).with_context(|| format!("creating {}", plot_dir.display()))?;
    let png_path = plot_dir.join(format!("{stem}.png"));
    let png = png(svg).with_context(|| format!("rendering {}", png_path.display()))?;
    let svg_path = plot_dir.join(format!("{stem}.svg"));
    write_atomic(&svg_path, svg.as_bytes())?;
    write_atomic(&png_path, &png)?;
    Ok([svg_path, png_path])
}

/// [`write_chart`] for every `(stem, svg)` of `charts`, rendering on all available cores
/// (the charts are independent); returns the paths written, SVG then PNG, in `charts` order.
pub fn write_charts(plot_dir: &Path, charts: &[(&str, &str)]) -> Result<Vec<PathBuf>> {
    write_charts_with(plot_dir, charts, &svg_to_png)
}

/// How a chart's PNG is rendered from its SVG.
pub type Render = dyn Fn(&str) -> Result<Vec<u8>> + Sync;

/// [`write_charts`] with the PNGs rendered by `png`.
pub fn write_charts_with(
    plot_dir: &Path,
    charts: &[(&str, &str)],
    png: &Render,
) -> Result<Vec<PathBuf>> {
    fs::create_dir_all(plot_dir).with_context(|| format!("creating {}", plot_dir.display()))?;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, charts.len().max(1));
    let chunk = charts.len().div_ceil(threads).max(1);
    let write = |part: &[(&str, &str)]| -> Result<Vec<PathBuf>> {
        let mut out = Vec::with_capacity(2 * part.len());
        for (stem, svg) in part {
            out.extend(write_chart_with(plot_dir, stem, svg, png)?);
        }
        Ok(out)
    };
    std::thread::scope(|scope| {
        let mut parts = charts.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts.map(|p| scope.spawn(move || write(p))).collect();
        let mut out = write(first)?;
        for handle in others {
            let paths = handle
                .join()
                .map_err(|_| anyhow!("a chart-writing thread panicked"))??;
            out.extend(paths);
        }
        Ok(out)
    })
}

/// Removes the charts (`<stem>.svg`, `<stem>.png`) in `plot_dir` that a builder drew before
/// (`ours(stem)`) but not this time (not in `keep`): a chart of another headline or series
/// must not look current.
pub fn remove_stale_charts(
    plot_dir: &Path,
    ours: impl Fn(&str) -> bool,
    keep: &std::collections::HashSet<&str>,
) -> Result<()> {
    let listing =
        fs::read_dir(plot_dir).with_context(|| format!("listing {}", plot_dir.display()))?;
    for entry in listing {
        let path = entry?.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if ours(stem) && matches!(ext, "svg" | "png") && !keep.contains(stem) {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(sanitize("a b/c"), "a-b-c");
        assert!(is_safe_stem("geometry_gram_d3-h4.b2"));
        for bad in ["", ".hidden", "../x", "a/b", "a b", "é"] {
            assert!(!is_safe_stem(bad), "{bad:?}");
        }
    }
}
