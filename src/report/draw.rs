//! Draws one [`ChartSpec`] on any plotters backend: a title (and the simulated note), then the
//! session and token panels side by side with shared axes, event markers and a legend under each.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::font::text;
use super::series::{ChartSpec, Marker, Panel};

/// Size of an exported chart image, in pixels.
pub const CHART_SIZE: (u32, u32) = (1600, 640);

const TITLE_SIZE: f64 = 30.0;
const NOTE_SIZE: f64 = 18.0;
const CAPTION_SIZE: f64 = 24.0;
const LABEL_SIZE: f64 = 18.0;
const LEGEND_SIZE: f64 = 18.0;
const MARKER_SIZE: f64 = 17.0;

const INK: RGBColor = RGBColor(30, 30, 30);
const MUTED: RGBColor = RGBColor(90, 90, 90);
const GRID: RGBColor = RGBColor(232, 232, 232);
const NOTE_COLOR: RGBColor = RGBColor(166, 77, 0);
const MARKER_COLOR: RGBColor = RGBColor(70, 70, 70);
const FAILED_MARKER_COLOR: RGBColor = RGBColor(200, 40, 40);
/// Bands are filled with a tint of their colour, so lines drawn over them (the store's memory)
/// stand out.
const BAND_OPACITY: f64 = 0.45;

/// Space left of the plot for tick labels and the y description, in pixels.
const Y_LABEL_AREA: u32 = 90;
const X_LABEL_AREA: u32 = 52;
const MARGIN: u32 = 14;
const LEGEND_ROW: i32 = 26;
/// Marker label rows at the top of the plot.
const MARKER_ROWS: usize = 3;

/// What plotters said when a chart could not be drawn (its error types are generic over the
/// backend), or resvg when its SVG could not be rasterized.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DrawError(String);

impl DrawError {
    pub(crate) fn new(message: String) -> Self {
        DrawError(message)
    }
}

type DrawResult = Result<(), DrawError>;

fn err(error: impl std::fmt::Display) -> DrawError {
    DrawError(error.to_string())
}

/// Draws `spec` on `root` (the whole image) and presents it.
pub(crate) fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, spec: &ChartSpec) -> DrawResult {
    root.fill(&WHITE).map_err(err)?;
    let (width, height) = root.dim_in_pixel();
    let title_height = if spec.simulated_note.is_some() { 82 } else { 56 };
    let (top, body) = root.split_vertically(title_height);
    let center = |size| text(size, INK).pos(Pos::new(HPos::Center, VPos::Top));
    top.draw(&Text::new(spec.title.clone(), (width as i32 / 2, 12), center(TITLE_SIZE))).map_err(err)?;
    if let Some(note) = &spec.simulated_note {
        let style = text(NOTE_SIZE, NOTE_COLOR).pos(Pos::new(HPos::Center, VPos::Top));
        top.draw(&Text::new(note.clone(), (width as i32 / 2, 52), style)).map_err(err)?;
    }

    let columns = spec.panels.len().max(1);
    let panel_width = width / columns as u32;
    let legend_height = spec
        .panels
        .iter()
        .map(|panel| legend_layout(&body, panel, panel_width).map(|(_, rows)| rows))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .max()
        .unwrap_or(1) as u32
        * LEGEND_ROW as u32
        + 10;
    let panel_height = height - title_height;
    for (area, panel) in body.split_evenly((1, columns)).iter().zip(&spec.panels) {
        let (plot, legend) = area.split_vertically(panel_height.saturating_sub(legend_height));
        let (x0, x1) = spec.x_range;
        let (y0, y1) = spec.y_range;
        if spec.log_y {
            draw_panel(root, &plot, spec, panel, x0..x1, (y0..y1).log_scale(), (y0 * y1).sqrt())?;
        } else {
            draw_panel(root, &plot, spec, panel, x0..x1, y0..y1, (y0 + y1) / 2.0)?;
        }
        draw_legend(&legend, panel, panel_width)?;
    }
    root.present().map_err(err)
}

/// One panel: axes, bands, lines, markers (or "did not run").
fn draw_panel<DB, Y>(
    root: &DrawingArea<DB, Shift>,
    area: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    panel: &Panel,
    x: Range<f64>,
    y: Y,
    y_middle: f64,
) -> DrawResult
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, text(CAPTION_SIZE, INK))
        .margin(MARGIN)
        .margin_right(MARGIN + 16)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.clone(), y)
        .map_err(err)?;
    let (y_lo, y_hi) = spec.y_range;
    chart
        .configure_mesh()
        .x_desc(spec.x_desc.as_str())
        .y_desc(spec.y_desc.as_str())
        .x_labels(10)
        .y_labels(8)
        .x_label_formatter(&|v| number(*v))
        .y_label_formatter(&|v| number(*v))
        .label_style(text(LABEL_SIZE, MUTED))
        .axis_desc_style(text(LABEL_SIZE, INK))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .draw()
        .map_err(err)?;

    let note = if panel.ran { panel.not_measured.as_ref() } else { Some(&spec.did_not_run) };
    if let Some(note) = note {
        let style = text(CAPTION_SIZE, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
        chart
            .draw_series(std::iter::once(Text::new(note.clone(), ((x.start + x.end) / 2.0, y_middle), style)))
            .map_err(err)?;
        return Ok(());
    }

    for band in &panel.bands {
        let mut outline: Vec<(f64, f64)> = band.t.iter().copied().zip(band.upper.iter().copied()).collect();
        outline.extend(band.t.iter().copied().zip(band.lower.iter().copied()).rev());
        chart
            .draw_series(std::iter::once(Polygon::new(outline, band.color.mix(BAND_OPACITY).filled())))
            .map_err(err)?;
        // A thin darker edge on top, so equal colours of neighbouring bands stay apart.
        let edge: Vec<(f64, f64)> = band.t.iter().copied().zip(band.upper.iter().copied()).collect();
        chart.draw_series(LineSeries::new(edge, WHITE.stroke_width(1))).map_err(err)?;
    }
    for line in &panel.lines {
        let style = line.color.stroke_width(line.width);
        chart.draw_series(LineSeries::new(line.points.iter().copied(), style)).map_err(err)?;
        if line.points.len() == 1 {
            chart.draw_series(line.points.iter().map(|&p| Circle::new(p, 3, line.color.filled()))).map_err(err)?;
        }
    }

    for marker in &panel.markers {
        let color = if marker.ok { MARKER_COLOR } else { FAILED_MARKER_COLOR };
        chart
            .draw_series(std::iter::once(DashedPathElement::new(
                vec![(marker.t, y_lo), (marker.t, y_hi)],
                6,
                4,
                color.stroke_width(2),
            )))
            .map_err(err)?;
    }
    let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
    let coords: Vec<(i32, i32)> = panel.markers.iter().map(|marker| chart.backend_coord(&(marker.t, y_hi))).collect();
    draw_marker_labels(root, &panel.markers, &coords, x_pixels, y_pixels.start)
}

/// Marker labels along the top of the plot, each next to its line, in up to [`MARKER_ROWS`] rows
/// so neighbours do not overlap; a label that would run off the right edge goes left of its line.
fn draw_marker_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    markers: &[Marker],
    coords: &[(i32, i32)],
    x_pixels: Range<i32>,
    top: i32,
) -> DrawResult {
    let mut row_ends = [i32::MIN; MARKER_ROWS];
    let mut order: Vec<usize> = (0..markers.len()).collect();
    order.sort_by(|&a, &b| markers[a].t.total_cmp(&markers[b].t));
    for index in order {
        let marker = &markers[index];
        let color = if marker.ok { MARKER_COLOR } else { FAILED_MARKER_COLOR };
        let style = text(MARKER_SIZE, color);
        let (w, h) = root.estimate_text_size(&marker.label, &style).map_err(err)?;
        let (w, h) = (w as i32, h as i32);
        let line_x = coords[index].0;
        let x = if line_x + 5 + w > x_pixels.end { line_x - 5 - w } else { line_x + 5 };
        let row = (0..MARKER_ROWS)
            .find(|&row| row_ends[row] < x)
            .unwrap_or_else(|| (0..MARKER_ROWS).min_by_key(|&row| row_ends[row]).unwrap_or(0));
        row_ends[row] = x + w + 8;
        let y = top + 4 + row as i32 * (h + 6);
        root.draw(&Rectangle::new([(x - 2, y - 1), (x + w + 2, y + h + 2)], WHITE.filled())).map_err(err)?;
        root.draw(&Text::new(marker.label.clone(), (x, y), style)).map_err(err)?;
    }
    Ok(())
}

/// One legend entry: a band (filled square) or a line (short thick stroke).
struct Entry<'a> {
    label: &'a str,
    color: RGBColor,
    filled: bool,
}

fn entries(panel: &Panel) -> Vec<Entry<'_>> {
    panel
        .bands
        .iter()
        .map(|band| Entry { label: &band.label, color: band.color, filled: true })
        .chain(panel.lines.iter().map(|line| Entry { label: &line.label, color: line.color, filled: false }))
        .collect()
}

const SWATCH: i32 = 22;

/// Where each legend entry goes (x, row), flowing left to right and wrapping, and how many rows.
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    width: u32,
) -> Result<(Vec<(i32, i32)>, usize), DrawError> {
    let start = (MARGIN + Y_LABEL_AREA) as i32;
    let end = width as i32 - MARGIN as i32;
    let style = text(LEGEND_SIZE, INK);
    let (mut x, mut row) = (start, 0i32);
    let mut places = Vec::new();
    for entry in entries(panel) {
        let (w, _) = area.estimate_text_size(entry.label, &style).map_err(err)?;
        let item = SWATCH + 6 + w as i32 + 24;
        if x + item > end && x > start {
            x = start;
            row += 1;
        }
        places.push((x, row));
        x += item;
    }
    Ok((places, row as usize + 1))
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel, width: u32) -> DrawResult {
    let (places, _) = legend_layout(area, panel, width)?;
    let style = text(LEGEND_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center));
    for (entry, (x, row)) in entries(panel).iter().zip(places) {
        let y = 4 + row * LEGEND_ROW + LEGEND_ROW / 2;
        if entry.filled {
            let fill = entry.color.mix(BAND_OPACITY).filled();
            area.draw(&Rectangle::new([(x, y - 8), (x + SWATCH, y + 8)], fill)).map_err(err)?;
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + SWATCH, y)], entry.color.stroke_width(4))).map_err(err)?;
        }
        area.draw(&Text::new(entry.label.to_owned(), (x + SWATCH + 6, y), style.clone())).map_err(err)?;
    }
    Ok(())
}

/// An axis label: at most three significant digits after the point, no float noise, thousands
/// as `k` and millions as `M`.
pub(crate) fn number(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_owned() } else { s }
    };
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else {
        // Three significant digits.
        let decimals = (-a.log10().floor()) as usize + 2;
        trim(format!("{v:.decimals$}"))
    }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn axis_numbers_are_short() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(0.0123), "0.0123");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(10.0), "10");
        assert_eq!(number(1500.0), "1500");
        assert_eq!(number(25_000.0), "25k");
        assert_eq!(number(1_250_000.0), "1.25M");
    }
}
