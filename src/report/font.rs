//! The bundled NanumGothic font (OFL, covers Hangul), registered once with plotters so chart text
//! renders in English and Korean alike, in PNG (ab_glyph rasterizes it) and in SVG (the family is
//! named in each text element and the viewer resolves it).

use std::sync::OnceLock;

use plotters::style::{FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

/// NanumGothic, from `assets/fonts/NanumGothic.ttf` (license in `assets/fonts/NanumGothic-OFL.txt`).
pub const NANUM_GOTHIC: &[u8] = include_bytes!("../../assets/fonts/NanumGothic.ttf");

/// The family every chart text names. Plotters looks fonts up by this exact string, so the bundled
/// font is registered under it; in SVG it is a valid CSS font list, so a viewer uses NanumGothic
/// when installed and its own sans-serif (which on a Korean system covers Hangul) otherwise.
pub const FAMILY: &str = "NanumGothic, sans-serif";

/// Registers the bundled font (once; later calls return the first outcome). Plotters' default
/// `sans-serif` is registered too, so any text without an explicit family still renders.
pub fn ensure_registered() -> Result<(), super::ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        [FAMILY, "sans-serif"]
            .into_iter()
            .all(|name| plotters::style::register_font(name, FontStyle::Normal, NANUM_GOTHIC).is_ok())
    });
    if ok { Ok(()) } else { Err(super::ReportError::Font) }
}

/// Chart text of `size` (plotters units: about 1.24 × the pixel em) in `color`.
pub fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size, FontStyle::Normal).color(&color)
}
