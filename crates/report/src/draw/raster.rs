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
pub fn svg_to_png_scaled(svg: &str, scale: f32) -> Result<Vec<u8>> {
    let tree = parse_svg(svg)?;
    let size = tree.size();
    let px = |v: f32| (v * scale).round() as u32;
    render(&tree, px(size.width()), px(size.height()), scale)
}

fn render(tree: &usvg::Tree, width: u32, height: u32, scale: f32) -> Result<Vec<u8>> {
    let mut pixmap = tiny_skia::Pixmap::new(width, height).context("allocating the PNG canvas")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let transform = tiny_skia::Transform::from_scale(scale, scale);
    resvg::render(tree, transform, &mut pixmap.as_mut());
    pixmap.encode_png().context("encoding PNG")
}
