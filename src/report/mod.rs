//! Reports of a run: PNG and SVG charts (plotters), a CSV of the time series and a markdown
//! summary, from a recording (`authlab report`) or from the ticks the app holds (its Export).
//!
//! # Charts
//! The scenario's charts ([`ChartInput::charts`]: by default the five of [`Chart::STANDARD`]),
//! each one image of [`CHART_SIZE`] pixels with the **session panel on the left and the token
//! panel on the right**, sharing both axes so the two compare at a glance: throughput, latency
//! p50/p99/p99.9 (log scale), heap per node stacked (plus Redis `used_memory` as a bold line when
//! the store is Redis), users logged in against sessions held, and errors per second by class; and
//! those a scenario may add: node CPU per request, credential bytes per request, store operations,
//! the denylist, nodes up, and the resource service's calls to the issuer. The x axis is seconds since the run started. Events are dashed
//! vertical markers labelled with the action and target (`Kill node session/2`), in the panel of
//! the strategy they target (both panels for users and whole-lab events). When simulated capacity
//! shaped a strategy's numbers, its panel caption says so and a note under the title explains it.
//!
//! Text is in the chosen [`Language`], set in the bundled NanumGothic font (it covers Hangul): PNGs
//! rasterize it; SVGs keep text as text with `font-family="NanumGothic, sans-serif"`.
//!
//! # Entry points
//! - [`write_report`]: everything for a recording, into a directory ([`ReportFiles`]).
//! - [`write_report_from`]: the same from ticks and events (a live run).
//! - [`export_charts`]: what the app's Export writes: the charts of the ticks it shows (any slice
//!   of a run) in the formats asked for, into a directory.
//! - [`render_svg`], [`render_rgb`], [`write_png`], [`write_svg`]: one chart.
//! - [`write_csv`]: the time series ([`CSV_COLUMNS`]).

mod csv;
mod draw;
mod font;
mod markdown;
mod projection;
mod raster;
mod series;

use std::fs;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use plotters::prelude::{IntoDrawingArea, SVGBackend};

pub use crate::chart::Chart;
use crate::i18n::Language;
use crate::measure::{EventRecord, Tick};
use crate::recording::{Header, Recording};

pub use csv::{CSV_COLUMNS, write_csv_to};
pub use draw::{CHART_SIZE, DrawError};
pub use font::{FAMILY as FONT_FAMILY, NANUM_GOTHIC};

use series::ChartSpec;

/// File name of the CSV in a report directory.
pub const CSV_FILE: &str = "timeseries.csv";
/// File name of the markdown summary in a report directory.
pub const SUMMARY_FILE: &str = "summary.md";
/// The projection's chart (memory against logged-in users), as PNG and as SVG.
pub const PROJECTION_PNG: &str = "projection-memory.png";
/// See [`PROJECTION_PNG`].
pub const PROJECTION_SVG: &str = "projection-memory.svg";
/// The crossover chart (each strategy's monthly cost against logged-in users), as PNG and SVG.
pub const CROSSOVER_PNG: &str = "projection-crossover.png";
/// See [`CROSSOVER_PNG`].
pub const CROSSOVER_SVG: &str = "projection-crossover.svg";

/// What can go wrong writing a report. Every variant names the path it concerns.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    // The I/O error is part of the message and deliberately not a `source`, so a chain printer
    // (`anyhow`'s `{:#}`) does not print it twice.
    /// The output directory could not be created.
    #[error("cannot create the report directory {path}: {error}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// A chart, the CSV or the summary could not be written.
    #[error("cannot write {path}: {error}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: io::Error,
    },
    /// plotters failed to draw a chart (which includes writing a PNG file).
    #[error("cannot draw {path}: {message}")]
    Draw {
        /// The file drawn to; `<svg>` or `<buffer>` when drawing in memory.
        path: PathBuf,
        /// plotters' error.
        message: DrawError,
    },
    /// The bundled chart font (NanumGothic) could not be registered with plotters.
    #[error("the bundled chart font (NanumGothic) could not be loaded")]
    Font,
}

/// What the charts are drawn from: ticks in time order (a whole run or any slice of it; the x axis
/// spans exactly these ticks), the events (those outside the ticks' time span are left out), a
/// title (the scenario's name; shown after each chart's own title, may be empty) and the charts to
/// draw, in order (the scenario's choice; empty: [`Chart::STANDARD`]).
#[derive(Debug, Clone, Copy)]
pub struct ChartInput<'a> {
    /// The ticks, oldest first; the x axis spans exactly them.
    pub ticks: &'a [Tick],
    /// The run's events; those outside the ticks' time span are left out.
    pub events: &'a [EventRecord],
    /// The scenario's name, shown after each chart's own title; may be empty.
    pub title: &'a str,
    /// The charts to draw, in order; empty means [`Chart::STANDARD`] (see [`ChartInput::charts`]).
    pub charts: &'a [Chart],
}

impl ChartInput<'_> {
    /// The charts to draw, in order.
    pub fn charts(&self) -> &[Chart] {
        if self.charts.is_empty() { &Chart::STANDARD } else { self.charts }
    }
}

/// The formats [`export_charts`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// Each chart as `<name>.png`, [`CHART_SIZE`] pixels.
    Png,
    /// Each chart as `<name>@2x.png`, twice [`CHART_SIZE`] (for projectors and slides).
    Png2x,
    /// Each chart as `<name>.svg`, text kept as text.
    Svg,
    /// The time series ([`CSV_FILE`]).
    Csv,
}

/// The PNG and SVG of one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartFiles {
    /// Which chart.
    pub chart: Chart,
    /// `<out_dir>/<name>.png`.
    pub png: PathBuf,
    /// `<out_dir>/<name>.svg`.
    pub svg: PathBuf,
}

/// Everything [`write_report`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFiles {
    /// One entry per chart drawn, in the scenario's order.
    pub charts: Vec<ChartFiles>,
    /// `<out_dir>/`[`CSV_FILE`].
    pub csv: PathBuf,
    /// `<out_dir>/`[`SUMMARY_FILE`].
    pub summary: PathBuf,
    /// The projection's chart, `projection-memory.png` and `.svg`.
    pub projection: (PathBuf, PathBuf),
}

impl ReportFiles {
    /// Every file, charts first (PNG then SVG of each), then the CSV and the summary.
    pub fn paths(&self) -> Vec<&Path> {
        self.charts
            .iter()
            .flat_map(|files| [files.png.as_path(), files.svg.as_path()])
            .chain([self.projection.0.as_path(), self.projection.1.as_path()])
            .chain([self.csv.as_path(), self.summary.as_path()])
            .collect()
    }
}

/// Writes the whole report of `recording` into `out_dir` (created if needed): for each chart
/// `<name>.png` and `<name>.svg`, then [`CSV_FILE`] and [`SUMMARY_FILE`]. Existing files of those
/// names are replaced; nothing else in the directory is touched.
pub fn write_report(recording: &Recording, out_dir: &Path, language: Language) -> Result<ReportFiles, ReportError> {
    let scenario = &recording.header().scenario;
    let parsed = scenario.parsed();
    let charts = parsed.as_ref().map(|s| s.charts.clone()).unwrap_or_default();
    let title = scenario.title(parsed.as_ref(), language);
    let input = ChartInput { ticks: recording.ticks(), events: recording.events(), title, charts: &charts };
    write_report_with(&input, Some(recording.header()), recording.truncated(), out_dir, language)
}

/// Writes each chart of `recording`'s report again as `<name>@2x.png`, twice the size, for
/// projectors (`authlab report --2x`).
pub fn write_report_pngs_2x(
    recording: &Recording,
    out_dir: &Path,
    language: Language,
) -> Result<Vec<PathBuf>, ReportError> {
    let scenario = &recording.header().scenario;
    let parsed = scenario.parsed();
    let charts = parsed.as_ref().map(|s| s.charts.clone()).unwrap_or_default();
    let title = scenario.title(parsed.as_ref(), language);
    let input = ChartInput { ticks: recording.ticks(), events: recording.events(), title, charts: &charts };
    export_charts(&input, language, out_dir, &[ExportFormat::Png2x])
}

/// Writes the crossover chart of `recording`'s projection to `inputs` (its prices) into `out_dir`
/// (created if needed), as [`CROSSOVER_PNG`] and [`CROSSOVER_SVG`]; `Ok(None)` when `inputs` sets
/// no price, as there is then no cost to cross.
pub fn write_crossover_chart(
    recording: &Recording,
    inputs: crate::projection::Inputs,
    out_dir: &Path,
    language: Language,
) -> Result<Option<(PathBuf, PathBuf)>, ReportError> {
    let scenario = recording.header().scenario.parsed();
    let Some(spec) = projection::crossover_chart(recording.ticks(), scenario.as_ref(), inputs, language) else {
        return Ok(None);
    };
    create_dir(out_dir)?;
    let (png, svg) = (out_dir.join(CROSSOVER_PNG), out_dir.join(CROSSOVER_SVG));
    write_spec_png(&spec, &png, 1.0)?;
    write_spec_svg(&spec, &svg)?;
    Ok(Some((png, svg)))
}

/// [`write_report`] for a run that is not (or not yet) a recording: the summary then has no
/// machine or scenario file lines.
pub fn write_report_from(
    input: &ChartInput<'_>,
    out_dir: &Path,
    language: Language,
) -> Result<ReportFiles, ReportError> {
    write_report_with(input, None, false, out_dir, language)
}

fn write_report_with(
    input: &ChartInput<'_>,
    header: Option<&Header>,
    truncated: bool,
    out_dir: &Path,
    language: Language,
) -> Result<ReportFiles, ReportError> {
    create_dir(out_dir)?;
    let mut charts = Vec::with_capacity(input.charts().len());
    for &chart in input.charts() {
        let png = out_dir.join(format!("{}.png", chart.name()));
        let svg = out_dir.join(format!("{}.svg", chart.name()));
        write_png(chart, input, language, &png)?;
        write_svg(chart, input, language, &svg)?;
        charts.push(ChartFiles { chart, png, svg });
    }
    let csv = out_dir.join(CSV_FILE);
    write_csv(input.ticks, &csv)?;
    let scenario = header.and_then(|header| header.scenario.parsed());
    let spec = projection::memory_chart(input.ticks, scenario.as_ref(), crate::projection::Inputs::default(), language);
    let projection = (out_dir.join(PROJECTION_PNG), out_dir.join(PROJECTION_SVG));
    write_spec_png(&spec, &projection.0, 1.0)?;
    write_spec_svg(&spec, &projection.1)?;

    let names = |path: &Path| path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let chart_names: Vec<(Chart, String, String)> =
        charts.iter().map(|files| (files.chart, names(&files.png), names(&files.svg))).collect();
    let text = markdown::render(
        &markdown::SummaryInput {
            title: input.title,
            header,
            ticks: input.ticks,
            events: input.events,
            truncated,
            charts: &chart_names,
            csv: CSV_FILE,
        },
        language,
    );
    let summary = out_dir.join(SUMMARY_FILE);
    fs::write(&summary, text).map_err(|error| ReportError::Write { path: summary.clone(), error })?;
    Ok(ReportFiles { charts, csv, summary, projection })
}

/// The app's Export: writes every chart of `input` in each of `formats` into `out_dir` (created if
/// needed), as `<name>.png` / `<name>.svg` (see [`Chart::name`]) and [`CSV_FILE`]. Returns
/// the paths written, in that order. To export the visible time window, pass the ticks of that
/// window; the x axis spans exactly them.
pub fn export_charts(
    input: &ChartInput<'_>,
    language: Language,
    out_dir: &Path,
    formats: &[ExportFormat],
) -> Result<Vec<PathBuf>, ReportError> {
    create_dir(out_dir)?;
    let mut written = Vec::new();
    for &chart in input.charts() {
        if formats.contains(&ExportFormat::Png) {
            let path = out_dir.join(format!("{}.png", chart.name()));
            write_png(chart, input, language, &path)?;
            written.push(path);
        }
        if formats.contains(&ExportFormat::Png2x) {
            let path = out_dir.join(format!("{}@2x.png", chart.name()));
            write_spec_png(&ChartSpec::build(chart, input, language), &path, 2.0)?;
            written.push(path);
        }
        if formats.contains(&ExportFormat::Svg) {
            let path = out_dir.join(format!("{}.svg", chart.name()));
            write_svg(chart, input, language, &path)?;
            written.push(path);
        }
    }
    if formats.contains(&ExportFormat::Csv) {
        let path = out_dir.join(CSV_FILE);
        write_csv(input.ticks, &path)?;
        written.push(path);
    }
    Ok(written)
}

/// Draws `chart` as a PNG of [`CHART_SIZE`] at `path` (which must end in `.png`).
pub fn write_png(chart: Chart, input: &ChartInput<'_>, language: Language, path: &Path) -> Result<(), ReportError> {
    write_spec_png(&ChartSpec::build(chart, input, language), path, 1.0)
}

/// Draws `chart` as an SVG document of [`CHART_SIZE`] at `path`.
pub fn write_svg(chart: Chart, input: &ChartInput<'_>, language: Language, path: &Path) -> Result<(), ReportError> {
    write_spec_svg(&ChartSpec::build(chart, input, language), path)
}

/// Draws `spec` as its SVG, then rasterizes that at `scale` times [`CHART_SIZE`] (resvg, with
/// the bundled font), so that the PNG is the SVG's picture.
fn write_spec_png(spec: &ChartSpec, path: &Path, scale: f32) -> Result<(), ReportError> {
    let draw_error = |message| ReportError::Draw { path: path.to_path_buf(), message };
    let svg = spec_svg(spec, CHART_SIZE).map_err(|error| match error {
        ReportError::Draw { message, .. } => draw_error(message),
        other => other,
    })?;
    let png = raster::png(&svg, scale).map_err(draw_error)?;
    fs::write(path, png).map_err(|error| ReportError::Write { path: path.to_path_buf(), error })
}

fn write_spec_svg(spec: &ChartSpec, path: &Path) -> Result<(), ReportError> {
    let svg = spec_svg(spec, CHART_SIZE).map_err(|error| match error {
        ReportError::Draw { message, .. } => ReportError::Draw { path: path.to_path_buf(), message },
        other => other,
    })?;
    fs::write(path, svg).map_err(|error| ReportError::Write { path: path.to_path_buf(), error })
}

/// `chart` as an SVG document (text kept as text).
pub fn render_svg(chart: Chart, input: &ChartInput<'_>, language: Language) -> Result<String, ReportError> {
    spec_svg(&ChartSpec::build(chart, input, language), CHART_SIZE)
}

fn spec_svg(spec: &ChartSpec, size: (u32, u32)) -> Result<String, ReportError> {
    font::ensure_registered()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw::draw(&root, spec).map_err(|message| ReportError::Draw { path: PathBuf::from("<svg>"), message })?;
    }
    Ok(svg)
}

/// `chart` rasterized at `size` (width, height), as RGB bytes, row by row.
pub fn render_rgb(
    chart: Chart,
    input: &ChartInput<'_>,
    language: Language,
    size: (u32, u32),
) -> Result<Vec<u8>, ReportError> {
    let svg = spec_svg(&ChartSpec::build(chart, input, language), size)?;
    let (rgb, _) =
        raster::rgb(&svg, size.0).map_err(|message| ReportError::Draw { path: PathBuf::from("<buffer>"), message })?;
    Ok(rgb)
}

/// Writes the CSV of `ticks` (see [`CSV_COLUMNS`]) at `path`.
pub fn write_csv(ticks: &[Tick], path: &Path) -> Result<(), ReportError> {
    let write_error = |error| ReportError::Write { path: path.to_path_buf(), error };
    let file = fs::File::create(path).map_err(write_error)?;
    write_csv_to(ticks, BufWriter::new(file)).map_err(write_error)
}

fn create_dir(path: &Path) -> Result<(), ReportError> {
    fs::create_dir_all(path).map_err(|error| ReportError::CreateDir { path: path.to_path_buf(), error })
}

#[cfg(test)]
mod tests;
