//! PNGs from the charts' SVG: resvg lays the text out with the bundled NanumGothic (kerning and
//! side bearings included, which plotters' own bitmap path drops) and rasterizes at 1× or 2×, so
//! a PNG looks exactly like its SVG, in English and Korean.

use std::sync::OnceLock;

use resvg::{tiny_skia, usvg};

use super::DrawError;
use super::font::NANUM_GOTHIC;

/// usvg's options, with the bundled font as the only one and as the default family, made once.
fn options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = usvg::Options { font_family: "NanumGothic".into(), ..usvg::Options::default() };
        options.fontdb_mut().load_font_data(NANUM_GOTHIC.to_vec());
        options
    })
}

/// `svg` rasterized at `scale` (1.0: its own size in pixels), premultiplied RGBA.
fn pixmap(svg: &str, scale: f32) -> Result<tiny_skia::Pixmap, DrawError> {
    let tree = usvg::Tree::from_str(svg, options()).map_err(|e| DrawError::new(format!("reading the SVG: {e}")))?;
    let size = tree.size().to_int_size();
    let (width, height) = ((size.width() as f32 * scale).round() as u32, (size.height() as f32 * scale).round() as u32);
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| DrawError::new(format!("a {width}×{height} image cannot be made")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    Ok(pixmap)
}

/// `svg` as a PNG file's bytes, `scale` times its size.
pub(crate) fn png(svg: &str, scale: f32) -> Result<Vec<u8>, DrawError> {
    pixmap(svg, scale)?.encode_png().map_err(|e| DrawError::new(format!("encoding the PNG: {e}")))
}

/// `svg` at `width` pixels wide (its height in proportion), as RGB bytes row by row.
pub(crate) fn rgb(svg: &str, width: u32) -> Result<(Vec<u8>, (u32, u32)), DrawError> {
    let size =
        usvg::Tree::from_str(svg, options()).map_err(|e| DrawError::new(format!("reading the SVG: {e}")))?.size();
    let pixmap = pixmap(svg, width as f32 / size.width())?;
    // Opaque (the background is white), so premultiplied RGBA is plain RGBA.
    let rgb = pixmap.data().chunks_exact(4).flat_map(|px| [px[0], px[1], px[2]]).collect();
    Ok((rgb, (pixmap.width(), pixmap.height())))
}
