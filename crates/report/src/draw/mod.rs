//! The drawing toolkit behind every tmh chart, for this crate and for crates that add charts
//! to a run folder (the geometry crate).
//!
//! Charts are drawn once, as SVG, with plotters, then rasterised to PNG with resvg. Everything
//! a chart needs to look like the others lives here:
//!
//! - **font and raster**: [`FONT`] is the family every chart names; [`ensure_font`] maps it to
//!   the embedded DejaVu Sans for plotters' text layout and [`svg_to_png`] renders with the
//!   same font, so no system font or fontconfig is involved;
//! - **colours**: [`categorical`] (Okabe–Ito, colour-blind safe), [`viridis`] (sequential),
//!   [`diverging`]
//!   (RdBu, centred at 0), [`lighten`], [`darken`], [`is_dark`], and the grey tones [`GRID`],
//!   [`GRID_LIGHT`], [`MISSING`], [`MUTED`];
//! - **axes and numbers**: [`Axis`], an f64 axis with explicit ticks, [`nice_ticks`],
//!   [`thin_ticks`] (labels that never run together), [`fmt_num`], [`fmt_loss`],
//!   [`fmt_loss_vs`] (a loss beside a pass/fail verdict: enough digits to show its side of the
//!   threshold), [`fmt_loss_digits`] (the same, with a fixed number of digits), [`fmt_bound`];
//! - **chart frame**: [`svg_document`] (a white canvas), [`chart_frame`] (= [`titled`],
//!   [`with_footer`] and [`side_column`]), [`text_style`], [`outline`], [`hatch`], [`legend`] /
//!   [`legend_at`] with [`Mark`], [`colour_bar`] (sized by [`BarStyle`] in
//!   [`colour_bar_with`]), and [`floor_marker`] (the ▼ of a value drawn at a display floor, see
//!   [`crate::NOISE_FLOOR`]);
//! - **files**: [`write_chart`] / [`write_charts`] write `<stem>.svg` and `<stem>.png`
//!   atomically (the `_with` variants take the PNG renderer, e.g. [`svg_to_png_scaled`]); [`sanitize`] and [`is_safe_stem`] keep stems usable as file names and links.
//!
//! A chart is [`PLOT_WIDTH`] × [`PLOT_HEIGHT`] pixels, with a 26 px title, 17 px legend
//! headings, 15 px legend text and 14–19 px axis text.
//!
//! ```
//! use plotters::prelude::*;
//! use report::draw::{self, Mark};
//!
//! let svg = draw::svg_document(draw::PLOT_WIDTH, draw::PLOT_HEIGHT, |root| {
//!     let (_plot, side) =
//!         draw::chart_frame(root, "A chart", Some("What the marks mean."), draw::LEGEND_WIDTH)?;
//!     draw::legend(&side, "Legend", &[("first".to_owned(), Mark::patch(draw::categorical(0)))])?;
//!     Ok(())
//! })?;
//! let png = draw::svg_to_png(&svg)?;
//! assert!(png.starts_with(b"\x89PNG"));
//! # anyhow::Ok(())
//! ```

mod axis;
mod colour;
mod files;
mod frame;
mod raster;

pub use axis::{
    Axis, fmt_bound, fmt_loss, fmt_loss_digits, fmt_loss_vs, fmt_num, nice_ticks, thin_ticks,
};
pub use colour::{
    CATEGORICAL, GRID, GRID_LIGHT, INK, INK_FILL, MISSING, MUTED, categorical, darken, diverging,
    is_dark, lighten, viridis,
};
pub use files::{
    Render, is_safe_stem, remove_stale_charts, sanitize, write_chart, write_chart_with,
    write_charts, write_charts_with,
};
pub use frame::{
    Area, BarStyle, ColourBar, LEGEND_WIDTH, Mark, chart_frame, colour_bar, colour_bar_with,
    floor_marker, hatch, legend, legend_at, outline, side_column, svg_document, text_style, titled,
    with_footer,
};
#[cfg(test)]
pub(crate) use raster::parse_svg;
pub use raster::{FONT, ensure_font, svg_to_png, svg_to_png_scaled};

/// Width of every chart, in pixels (SVG user units and PNG pixels).
pub const PLOT_WIDTH: u32 = 1000;
/// Height of every chart, in pixels.
pub const PLOT_HEIGHT: u32 = 700;
