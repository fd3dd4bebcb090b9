//! Plots of a campaign (SVG and PNG, drawn with `plotters`): progress curves and the hall of
//! fame. Text uses the DejaVu Sans Mono font shipped in `fonts/` (Bitstream Vera licence), so
//! plots render the same on machines without system fonts.

use super::history::HistoryPoint;
use super::pareto::HallOfFameEntry;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Once;

static FONT: &[u8] = include_bytes!("fonts/DejaVuSansMono.ttf");
const FAMILY: &str = "sans-serif";

/// Image formats `gevo plot` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImageFormat {
    /// Scalable vector graphics.
    Svg,
    /// Portable network graphics.
    Png,
}

impl ImageFormat {
    fn extension(self) -> &'static str {
        match self {
            ImageFormat::Svg => "svg",
            ImageFormat::Png => "png",
        }
    }
}

/// An extra curve to plot against evaluations (e.g. the discriminator's online accuracy).
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraSeries {
    /// Panel title.
    pub title: String,
    /// Y-axis label.
    pub y_label: String,
    /// (evaluations, value) points.
    pub points: Vec<(f64, f64)>,
}

/// Errors of plotting.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// Nothing to plot.
    #[error("the campaign has no archived candidates yet")]
    Empty,
    /// A drawing backend failed (I/O, encoding).
    #[error("{path}: {message}")]
    Draw {
        /// The file being written.
        path: String,
        /// The backend's message.
        message: String,
    },
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to be valid; a failure would show as missing text.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Writes `progress.<ext>` (best and median fitness vs. evaluations and vs. wall-clock, FEC hit
/// rate, hurdle stops, and any `extra` panels) into `dir`; returns the path.
///
/// # Errors
/// [`PlotError::Empty`] without points; [`PlotError::Draw`] if the file cannot be written.
pub fn plot_progress(
    history: &[HistoryPoint],
    extra: &[ExtraSeries],
    title: &str,
    dir: &Path,
    format: ImageFormat,
) -> Result<PathBuf, PlotError> {
    if history.is_empty() {
        return Err(PlotError::Empty);
    }
    let path = dir.join(format!("progress.{}", format.extension()));
    let rows = 2 + extra.len().div_ceil(2) as u32;
    let size = (1200, 380 * rows);
    render!(&path, format, size, |root| draw_progress(
        &root,
        history,
        extra,
        title,
        rows as usize
    ))?;
    Ok(path)
}

/// Writes `hall_of_fame.<ext>` (fitness vs. size of the best program per size, Pareto front
/// highlighted) into `dir`; returns the path.
///
/// # Errors
/// [`PlotError::Empty`] without entries; [`PlotError::Draw`] if the file cannot be written.
pub fn plot_hall_of_fame(
    entries: &[HallOfFameEntry],
    title: &str,
    dir: &Path,
    format: ImageFormat,
) -> Result<PathBuf, PlotError> {
    if entries.is_empty() {
        return Err(PlotError::Empty);
    }
    let path = dir.join(format!("hall_of_fame.{}", format.extension()));
    render!(&path, format, (900, 600), |root| draw_hall_of_fame(
        &root, entries, title
    ))?;
    Ok(path)
}

/// One panel of [`plot_panels`]: named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Panel title.
    pub title: String,
    /// X-axis label (`seconds` prints one decimal, anything else integers).
    pub x_label: String,
    /// Y-axis label.
    pub y_label: String,
    /// (name, points) per series.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

/// Writes `panels` side by side (two per row) to `path` in `format`.
///
/// # Errors
/// [`PlotError::Empty`] without panels; [`PlotError::Draw`] if the file cannot be written.
pub fn plot_panels(
    panels: &[Panel],
    title: &str,
    path: &Path,
    format: ImageFormat,
) -> Result<(), PlotError> {
    if panels.is_empty() {
        return Err(PlotError::Empty);
    }
    let rows = panels.len().div_ceil(2);
    let size = (1200, 380 * rows as u32 + 40);
    render!(path, format, size, |root| draw_panels(
        &root, panels, title, rows
    ))
}

fn draw_panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    panels: &[Panel],
    title: &str,
    rows: usize,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, (FAMILY, 24))?;
    for (area, p) in root.split_evenly((rows, 2)).iter().zip(panels) {
        let series: Vec<(&str, Vec<(f64, f64)>)> = p
            .series
            .iter()
            .map(|(n, pts)| (n.as_str(), pts.clone()))
            .collect();
        panel(area, &p.title, &p.x_label, &p.y_label, &series)?;
    }
    Ok(())
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// Runs `$body` with `$root` bound to an SVG or PNG drawing area of `$size` pixels on `$path`,
/// then writes the file. A macro because plotters' backends are distinct types.
macro_rules! render {
    ($path:expr, $format:expr, $size:expr, |$root:ident| $body:expr) => {{
        register_font();
        let result: DrawResult = match $format {
            ImageFormat::Svg => {
                let $root = SVGBackend::new($path, $size).into_drawing_area();
                $body.and_then(|_| $root.present().map_err(Into::into))
            }
            ImageFormat::Png => {
                let $root = BitMapBackend::new($path, $size).into_drawing_area();
                $body.and_then(|_| $root.present().map_err(Into::into))
            }
        };
        result.map_err(|e| PlotError::Draw {
            path: $path.display().to_string(),
            message: e.to_string(),
        })
    }};
}
use render;

/// (min, max) of `values`, widened when flat so axes stay drawable.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// One panel: named series of (x, y) points, each in its own colour.
fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let (x0, x1) = bounds(series.iter().flat_map(|s| s.1.iter().map(|p| p.0)));
    let (y0, y1) = bounds(series.iter().flat_map(|s| s.1.iter().map(|p| p.1)));
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FAMILY, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x0.max(0.0)..x1, y0..y1)?;
    let integer_x = x_label != "seconds";
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|v| {
            if integer_x {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        })
        .label_style((FAMILY, 13))
        .draw()?;
    let colours = [BLUE, RED, GREEN, MAGENTA, CYAN];
    for (k, (name, points)) in series.iter().enumerate() {
        let colour = colours[k % colours.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(2),
            ))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], colour));
    }
    if series.len() > 1 {
        chart
            .configure_series_labels()
            .label_font((FAMILY, 13))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()?;
    }
    Ok(())
}

fn draw_progress<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    h: &[HistoryPoint],
    extra: &[ExtraSeries],
    title: &str,
    rows: usize,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let root = root.titled(title, (FAMILY, 24))?;
    let areas = root.split_evenly((rows, 2));
    let by = |x: fn(&HistoryPoint) -> f64,
              y: fn(&HistoryPoint) -> Option<f64>|
     -> Vec<(f64, f64)> { h.iter().filter_map(|p| y(p).map(|v| (x(p), v))).collect() };
    let evals = |p: &HistoryPoint| p.evaluations as f64;
    let secs = |p: &HistoryPoint| p.elapsed_secs;
    panel(
        &areas[0],
        "fitness vs. evaluations",
        "evaluations",
        "fitness",
        &[
            ("best", by(evals, |p| p.best)),
            ("population median", by(evals, |p| p.median)),
        ],
    )?;
    panel(
        &areas[1],
        "fitness vs. wall-clock",
        "seconds",
        "fitness",
        &[
            ("best", by(secs, |p| p.best)),
            ("population median", by(secs, |p| p.median)),
        ],
    )?;
    panel(
        &areas[2],
        "functional-equivalence cache hit rate",
        "candidates",
        "hit rate",
        &[(
            "FEC hit rate",
            by(|p| p.candidates as f64, |p| Some(p.fec_hit_rate)),
        )],
    )?;
    panel(
        &areas[3],
        "hurdle stops",
        "evaluations",
        "stopped at the hurdle",
        &[("hurdle stops", by(evals, |p| Some(p.hurdle_stops as f64)))],
    )?;
    for (k, e) in extra.iter().enumerate() {
        panel(
            &areas[4 + k],
            &e.title,
            "evaluations",
            &e.y_label,
            &[(e.title.as_str(), e.points.clone())],
        )?;
    }
    Ok(())
}

fn draw_hall_of_fame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[HallOfFameEntry],
    title: &str,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let (x0, x1) = bounds(entries.iter().map(|e| e.size as f64));
    let (y0, y1) = bounds(entries.iter().map(|e| e.fitness));
    let mut chart = ChartBuilder::on(root)
        .caption(format!("{title}: best program per size"), (FAMILY, 22))
        .margin(14)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(x0.max(0.0)..x1, y0..y1)?;
    chart
        .configure_mesh()
        .x_desc("size (live op nodes)")
        .y_desc("fitness")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .label_style((FAMILY, 13))
        .draw()?;
    let front: Vec<(f64, f64)> = entries
        .iter()
        .filter(|e| e.pareto)
        .map(|e| (e.size as f64, e.fitness))
        .collect();
    chart
        .draw_series(LineSeries::new(front.iter().copied(), RED.stroke_width(2)))?
        .label("Pareto front")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED));
    chart
        .draw_series(entries.iter().map(|e| {
            let style = if e.pareto {
                RED.filled()
            } else {
                BLUE.filled()
            };
            Circle::new((e.size as f64, e.fitness), 5, style)
        }))?
        .label("best of its size")
        .legend(|(x, y)| Circle::new((x + 9, y), 5, BLUE.filled()));
    chart
        .configure_series_labels()
        .label_font((FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::history::{history, tests::record};
    use crate::analysis::pareto::hall_of_fame;

    #[test]
    fn writes_svg_and_png() {
        let recs: Vec<_> = (0..30)
            .map(|i| {
                record(
                    i,
                    Some((i % 7) as f64 / 7.0),
                    1 + (i % 5) as usize,
                    i % 3 == 0,
                )
            })
            .collect();
        let h = history(&recs, 10);
        let hof = hall_of_fame(&recs);
        let dir = tempfile::tempdir().unwrap();
        let extra = [ExtraSeries {
            title: "discriminator accuracy".into(),
            y_label: "accuracy".into(),
            points: vec![(5.0, 0.6), (20.0, 0.8)],
        }];
        for fmt in [ImageFormat::Svg, ImageFormat::Png] {
            let p = plot_progress(&h, &extra, "test", dir.path(), fmt).unwrap();
            let bytes = std::fs::read(&p).unwrap();
            match fmt {
                ImageFormat::Svg => {
                    let text = String::from_utf8(bytes).unwrap();
                    assert!(text.starts_with("<svg"), "{}", &text[..40]);
                    assert!(text.contains("fitness vs. evaluations"));
                }
                ImageFormat::Png => assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n")),
            }
            let p = plot_hall_of_fame(&hof, "test", dir.path(), fmt).unwrap();
            assert!(std::fs::metadata(p).unwrap().len() > 1000);
        }
        assert!(matches!(
            plot_progress(&[], &[], "t", dir.path(), ImageFormat::Svg),
            Err(PlotError::Empty)
        ));
    }
}
