//! The embedded font, and SVG → PNG rasterisation with it.
//!
//! Charts are drawn once, as SVG, naming `DejaVu Sans, sans-serif`. plotters measures text
//! with the embedded DejaVu Sans (its `ab_glyph` feature) and resvg renders the PNG with the
//! same font, loaded from bytes: no system font, no fontconfig, identical output everywhere.
//! An SVG opened elsewhere (a browser, Inkscape, a LaTeX toolchain) uses DejaVu Sans where it
//! is installed, so text keeps the widths it was laid out for, and its sans-serif otherwise.

use std::sync::{Arc, OnceLock};

use anyhow::{Context, Result, bail};
use resvg::{tiny_skia, usvg};

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The font family charts name; mapped to the embedded font for measuring and rendering.
pub const FONT: &str = "DejaVu Sans, sans-serif";

/// Registers the embedded font with plotters under [`FONT`] (once per process).
///
/// [`svg_document`](super::svg_document) calls it; call it yourself only when drawing text
/// with plotters some other way.
pub fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, plotters::style::FontStyle::Normal, DEJAVU_SANS)
            .is_ok()
    });
    if !ok {
        bail!("the embedded DejaVu Sans font could not be parsed");
    }
    Ok(())
}

fn font_db() -> Arc<usvg::fontdb::Database> {
    static DB: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = usvg::fontdb::Database::new();
        db.load_font_data(DEJAVU_SANS.to_vec());
        let family = db.faces().next().map(|f| f.families[0].0.clone());
        if let Some(family) = family {
            db.set_sans_serif_family(family.clone());
            db.set_serif_family(family.clone());
            db.set_monospace_family(family);
        }
        Arc::new(db)
    })
    .clone()
}

/// Parses an SVG document with the embedded font for every family, as the PNGs see it.
pub(crate) fn parse_svg(svg: &str) -> Result<usvg::Tree> {
    let options = usvg::Options {
        font_family: "DejaVu Sans".to_owned(),
        fontdb: font_db(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options).context("parsing SVG")
}

/// Renders an SVG document to PNG bytes at its own pixel size, on a white background, with
/// the embedded font for every family.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>> {
    let tree = parse_svg(svg)?;
    let size = tree.size().to_int_size();
    render(&tree, size.width(), size.height(), 1.0)
}

/// [`svg_to_png`] at `scale` times the SVG's size in CSS pixels (96 per inch when the size is
/// in inches): an SVG `3.25in` wide at `scale` 300 / 96 gives a 975-pixel, 300 dpi PNG.
///
/// The PNG says its resolution (a `pHYs` chunk: `96 · scale` dots per inch), so LaTeX and word
/// processors place it at the SVG's physical size.
pub fn svg_to_png_scaled(svg: &str, scale: f32) -> Result<Vec<u8>> {
    let tree = parse_svg(svg)?;
    let size = tree.size();
    let px = |v: f32| (v * scale).round() as u32;
    let png = render(&tree, px(size.width()), px(size.height()), scale)?;
    with_density(png, 96.0 * f64::from(scale))
}

/// `png` with a `pHYs` chunk saying `dpi` dots per inch, inserted after its header chunk.
fn with_density(png: Vec<u8>, dpi: f64) -> Result<Vec<u8>> {
    // Signature (8) + IHDR's length, type, 13 data bytes and CRC.
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    if png.len() < AFTER_IHDR || &png[12..16] != b"IHDR" {
        bail!("the PNG encoder wrote no header chunk first");
    }
    let per_metre = (dpi / 0.0254).round() as u32;
    let mut chunk = b"pHYs".to_vec();
    chunk.extend(per_metre.to_be_bytes());
    chunk.extend(per_metre.to_be_bytes());
    chunk.push(1); // unit: the metre
    let mut out = Vec::with_capacity(png.len() + 21);
    out.extend(&png[..AFTER_IHDR]);
    out.extend(9u32.to_be_bytes());
    out.extend(&chunk);
    out.extend(crc32(&chunk).to_be_bytes());
    out.extend(&png[AFTER_IHDR..]);
    Ok(out)
}

/// The CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

fn render(tree: &usvg::Tree, width: u32, height: u32, scale: f32) -> Result<Vec<u8>> {
    let mut pixmap = tiny_skia::Pixmap::new(width, height).context("allocating the PNG canvas")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let transform = tiny_skia::Transform::from_scale(scale, scale);
    resvg::render(tree, transform, &mut pixmap.as_mut());
    pixmap.encode_png().context("encoding PNG")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_pngs_say_their_resolution() {
        // PNG's own check value: the CRC of "IEND" with no data.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="1in" height="0.5in"
            viewBox="0 0 100 50"><rect width="100" height="50" fill="black"/></svg>"#;
        let png = svg_to_png_scaled(svg, 300.0 / 96.0).unwrap();
        // Decodes (resvg's own parser would refuse a bad CRC), at 300 × 150 pixels.
        let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!((pixmap.width(), pixmap.height()), (300, 150));
        let at = png.windows(4).position(|w| w == b"pHYs").unwrap();
        assert_eq!(at, 8 + 25 + 4, "right after the header chunk");
        let ppm = u32::from_be_bytes(png[at + 4..at + 8].try_into().unwrap());
        assert_eq!(ppm, 11811, "300 dpi");
        assert_eq!(png[at + 12], 1, "per metre");
    }
}
