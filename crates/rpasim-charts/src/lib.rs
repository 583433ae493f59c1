//! Charts and a report a planner can open: seven charts as PNG and SVG in
//! `charts/`, and `report.html`, one self-contained page.
//!
//! Invariants: no system library (text is drawn with ab_glyph from the
//! DejaVu Sans font kept in `fonts/`); the same [`ChartData`] gives the same
//! SVG bytes, whether built from a simulation in memory or from an output
//! directory (`rpasim plot`); at most a few hundred points per line.
//!
//! Entry point: [`render`].

pub mod calibration;
pub mod data;
pub mod draw;
mod encoding;
pub mod files;
pub mod import;
pub mod plan;
pub mod report;
pub mod sweep;
pub mod timeline;

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use plotters::coord::Shift;
use plotters::prelude::*;

pub use data::ChartData;

use encoding::encode_png;
use rpasim_report::outdir::{OutDirError, StagedDir, write_atomically};
pub use rpasim_report::{CHARTS_DIR, REPORT_HTML};

/// The charts: file stem and title.
pub const CHARTS: [(&str, &str); 7] = [
    ("wait-reasons", "Where the waiting went"),
    ("queue-length", "Queue length over time"),
    (
        "bots",
        "Bots over time: busy, ready and provisioning, with demand",
    ),
    ("hosted-capacity", "Hosted capacity: add-ons held per group"),
    ("wait-cdf", "Wait-time distribution"),
    ("utilization-cost", "Utilization and cost"),
    ("outcomes", "Outcomes per target"),
];

static FONTS: Once = Once::new();

/// Registers the bundled font as plotters' "sans-serif" (once).
pub fn register_fonts() {
    FONTS.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../fonts/DejaVuSans.ttf");
        // The font is bundled and known to be valid.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, bytes);
    });
}

/// Draws a chart twice, as `dir/stem.svg` and `dir/stem.png`: `svg` and
/// `png` are the same drawing on each backend.
pub(crate) fn write_svg_and_png<E: std::fmt::Debug, F: std::fmt::Debug>(
    dir: &Path,
    stem: &str,
    size: (u32, u32),
    svg: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), E>,
    png: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<(), F>,
) -> io::Result<()> {
    register_fonts();
    rpasim_report::outdir::create_subdir(dir)?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, size).into_drawing_area();
        svg(&root).map_err(|e| failed(stem, e))?;
        root.present().map_err(|e| failed(stem, e))?;
    }
    fs::write(dir.join(format!("{stem}.svg")), text)?;
    save_png(
        &dir.join(format!("{stem}.png")),
        size,
        stem,
        &mut Vec::new(),
        png,
    )
}

/// Draws a chart on a bitmap in memory and saves it as PNG at `path`, so
/// that a failure to write (a full disk) is told as the I/O error it is,
/// not as the drawing backend's debug text. The bitmap is drawn in
/// `pixels`, cleared first: a thread drawing several charts reuses one
/// buffer, whose pages are then touched for the first time once, not once
/// a chart (the page faults were a third of the charts' time).
fn save_png<E: std::fmt::Debug>(
    path: &Path,
    size: (u32, u32),
    what: &str,
    pixels: &mut Vec<u8>,
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<(), E>,
) -> io::Result<()> {
    let (width, height) = size;
    pixels.clear();
    pixels.resize(width as usize * height as usize * 3, 0);
    {
        let root = BitMapBackend::with_buffer(pixels, size).into_drawing_area();
        draw(&root).map_err(|e| failed(what, e))?;
        root.present().map_err(|e| failed(what, e))?;
    }
    let mut file = io::BufWriter::new(fs::File::create(path)?);
    encode_png(&mut file, pixels, size).map_err(|e| match e {
        png::EncodingError::IoError(e) => e,
        other => failed(what, other),
    })?;
    file.flush()
}

/// The pixel size of a chart.
fn size(name: &str, d: &ChartData) -> (u32, u32) {
    match name {
        // Bars of a comfortable thickness for a few targets or many.
        "wait-reasons" => {
            let bars = draw::reason_bar_count(d) as u32;
            (
                draw::SIZE.0,
                (160 + 60 * bars).clamp(320, draw::SIZE.1 + 200),
            )
        }
        // A line saying there is none, without hosted capacity.
        "hosted-capacity" if d.manifest.environments.is_empty() => (draw::SIZE.0, 80),
        "bots" => (
            draw::SIZE.0,
            50 + 260 * d.shown.len().div_ceil(2).max(1) as u32,
        ),
        _ => draw::SIZE,
    }
}

fn draw_chart<DB: DrawingBackend>(
    name: &str,
    root: &DrawingArea<DB, Shift>,
    d: &ChartData,
) -> draw::DrawResult<DB> {
    match name {
        "wait-reasons" => draw::wait_reasons(root, d),
        "queue-length" => draw::queue_length(root, d),
        "bots" => draw::bots(root, d),
        "hosted-capacity" => draw::hosted_capacity(root, d),
        "wait-cdf" => draw::wait_cdf(root, d),
        "utilization-cost" => draw::utilization_cost(root, d),
        _ => draw::outcomes(root, d),
    }
}

fn failed(what: &str, e: impl std::fmt::Debug) -> io::Error {
    io::Error::other(format!("drawing {what}: {e:?}"))
}

/// Draws every chart into `dir/charts` (PNG and SVG) and writes
/// `dir/report.html` (into an output being staged).
pub fn render(dir: &Path, d: &ChartData) -> io::Result<()> {
    let charts_dir = dir.join(CHARTS_DIR);
    rpasim_report::outdir::create_subdir(&charts_dir)?;
    let svgs = draw_all(&charts_dir, d)?;
    fs::write(dir.join(REPORT_HTML), report::html(d, &svgs))
}

/// Redraws the charts and the report of an existing output directory:
/// the new `charts/` is staged and swapped in whole, `report.html`
/// replaced atomically, so an interruption leaves the old ones.
pub fn redraw(dir: &Path, d: &ChartData) -> Result<(), OutDirError> {
    let charts = dir.join(CHARTS_DIR);
    let staged = StagedDir::create(&charts, &rpasim_report::CHARTS_OUTPUT)?;
    let svgs = draw_all(staged.path(), d).map_err(|e| OutDirError::Io(charts.clone(), e))?;
    staged.commit()?;
    let report = dir.join(REPORT_HTML);
    write_atomically(&report, report::html(d, &svgs).as_bytes())
        .map_err(|e| OutDirError::Io(report, e))
}

type DrawnSvg = (&'static str, &'static str, String);

/// Draws every chart into `charts_dir` as SVG and PNG; returns the SVGs
/// for the report, in the order of [`CHARTS`]. The charts are independent,
/// so with a core to spare two threads draw them, each taking the next
/// chart not yet taken (drawing is most of the time after a simulation of
/// a few hundred thousand runs); every file is the same bytes either way.
fn draw_all(charts_dir: &Path, d: &ChartData) -> io::Result<Vec<DrawnSvg>> {
    register_fonts();
    let next = AtomicUsize::new(0);
    let worker = || {
        let (mut drawn, mut pixels) = (Vec::new(), Vec::new());
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some((name, title)) = CHARTS.get(i) else {
                return drawn;
            };
            drawn.push((
                i,
                draw_one(charts_dir, name, d, &mut pixels).map(|svg| (*name, *title, svg)),
            ));
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut drawn = if cores < 2 {
        worker()
    } else {
        std::thread::scope(|scope| {
            let beside = std::thread::Builder::new().spawn_scoped(scope, worker);
            let mut drawn = worker();
            // Without a thread, this one has drawn them all.
            if let Ok(handle) = beside {
                let theirs = handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                drawn.extend(theirs);
            }
            drawn
        })
    };
    drawn.sort_by_key(|(i, _)| *i);
    drawn.into_iter().map(|(_, svg)| svg).collect()
}

/// Draws chart `name` into `charts_dir` as SVG and PNG (its bitmap in
/// `pixels`); returns the SVG.
fn draw_one(
    charts_dir: &Path,
    name: &str,
    d: &ChartData,
    pixels: &mut Vec<u8>,
) -> io::Result<String> {
    let size = size(name, d);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw_chart(name, &root, d).map_err(|e| failed(name, e))?;
        root.present().map_err(|e| failed(name, e))?;
    }
    fs::write(charts_dir.join(format!("{name}.svg")), &svg)?;
    let png = charts_dir.join(format!("{name}.png"));
    save_png(&png, size, name, pixels, |root| draw_chart(name, root, d))?;
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_that_cannot_be_written_is_told_as_its_io_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("missing/chart.png");
        let e = save_png(&path, (20, 10), "chart", &mut Vec::new(), |root| {
            root.fill(&WHITE)
        })
        .expect_err("no such directory");
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(!e.to_string().contains("Error("), "{e}");
        // Written where it can be: the PNG of a white 20 x 10 image.
        let path = dir.path().join("chart.png");
        save_png(&path, (20, 10), "chart", &mut Vec::new(), |root| {
            root.fill(&WHITE)
        })
        .expect("written");
        let bytes = fs::read(&path).expect("png");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }

    /// A thread reuses its bitmap buffer from chart to chart: what an
    /// earlier, larger chart left in it never shows in the next one.
    #[test]
    fn a_reused_bitmap_buffer_draws_what_a_fresh_one_draws() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (fresh, reused) = (dir.path().join("fresh.png"), dir.path().join("reused.png"));
        // Draws only a corner: the rest is what the buffer held.
        let corner = |root: &DrawingArea<BitMapBackend, Shift>| {
            root.draw(&Rectangle::new([(0, 0), (3, 2)], RED.filled()))
        };
        save_png(&fresh, (20, 10), "chart", &mut Vec::new(), corner).expect("written");
        let mut pixels = vec![77u8; 40 * 30 * 3];
        save_png(&reused, (20, 10), "chart", &mut pixels, corner).expect("written");
        let bytes = |path: &Path| fs::read(path).expect("png");
        assert_eq!(bytes(&fresh), bytes(&reused));
    }

    /// The bytes `image` 0.24.9's `save_buffer`, which saved the charts
    /// before, wrote for these pixels: a change of the encoder's settings
    /// would change every chart's bytes.
    #[test]
    fn pngs_are_encoded_as_image_0_24_encoded_them() {
        let (width, height) = (7u32, 5u32);
        let rgb: Vec<u8> = (0..width * height)
            .flat_map(|i| {
                let (x, y) = (i % width, i / width);
                [(x * 30) as u8, (y * 50) as u8, if x == y { 0 } else { 255 }]
            })
            .collect();
        let mut bytes = Vec::new();
        encode_png(&mut bytes, &rgb, (width, height)).expect("encoded");
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let expected = [
            "89504e470d0a1a0a0000000d494844520000000700000005080200000006f861",
            "8f00000065494441547801edc003a0245996c6f1ff77ee8dc8cca7724b63ae6d",
            "dbb66ddbb66ddbb66d698c9e964aaf9e323322eef976b76a7aa6873b6bd5af02",
            "b7e05be016b8056e815ba0f2b20681b90c002a2f0b18040600a0f2b25c661018",
            "002a2fcbfd0c0203ff083f440a8cd32717d60000000049454e44ae426082",
        ]
        .concat();
        assert_eq!(hex, expected);
    }
}
