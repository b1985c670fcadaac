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

/// Renders an SVG document to PNG bytes at its own pixel size, on a white background, with
/// the embedded font for every family.
pub fn svg_to_png(svg: &str) -> Result<Vec<u8>> {
    let options = usvg::Options {
        font_family: "DejaVu Sans".to_owned(),
        fontdb: font_db(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).context("parsing SVG")?;
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width(), size.height()).context("allocating the PNG canvas")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().context("encoding PNG")
}
