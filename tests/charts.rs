//! Charts and the report: present for every bundled scenario, well formed,
//! faithful to summary.csv, reproducible by `rpasim plot`, and readable at
//! 30 days and 10 targets.

use crate::common;

use std::fs;
use std::path::Path;

use common::{repo, run_in, stderr};

const CHARTS: [&str; 7] = [
    "wait-reasons",
    "queue-length",
    "bots",
    "hosted-capacity",
    "wait-cdf",
    "utilization-cost",
    "outcomes",
];

/// The target names of a run, from summary.csv (without `all`).
fn targets(out: &Path) -> Vec<String> {
    let mut r = csv::Reader::from_path(out.join("summary.csv")).expect("summary.csv");
    r.records()
        .map(|r| r.expect("row")[0].to_string())
        .filter(|t| t != "all")
        .collect()
}

/// Whether runs of a target waited at all (its `wait_hours`).
fn waited(out: &Path, target: &str) -> bool {
    let mut r = csv::Reader::from_path(out.join("summary.csv")).expect("summary.csv");
    let header = r.headers().expect("header").clone();
    let col = header
        .iter()
        .position(|h| h == "wait_hours")
        .expect("wait_hours");
    r.records()
        .map(|r| r.expect("row"))
        .any(|r| r[0] == *target && r[col].parse::<f64>().unwrap_or(0.0) > 0.0)
}

fn check_outputs(out: &Path) {
    let names = targets(out);
    let manifest = fs::read_to_string(out.join("manifest.toml")).expect("manifest");
    let hosted = manifest.contains("[[environments]]");
    for chart in CHARTS {
        let png = out.join(format!("charts/{chart}.png"));
        let file = fs::File::open(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        let decoder = png::Decoder::new(std::io::BufReader::new(file));
        let mut reader = decoder
            .read_info()
            .unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        // Decoded whole, so that a PNG cut short fails here.
        let mut pixels = vec![0; reader.output_buffer_size()];
        reader
            .next_frame(&mut pixels)
            .unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        let (width, height) = (reader.info().width, reader.info().height);
        let expected = match chart {
            "bots" => (1200, 50 + 260 * names.len().div_ceil(2) as u32),
            // A bar per target that waited (beyond 15, one for the
            // others), 60 pixels each, between 320 and 900.
            "wait-reasons" => {
                let waited = names.iter().filter(|n| waited(out, n)).count();
                let bars = if waited > 16 { 16 } else { waited } as u32;
                (1200, (160 + 60 * bars).clamp(320, 900))
            }
            // One line of text without hosted capacity.
            "hosted-capacity" if !hosted => (1200, 80),
            _ => (1200, 700),
        };
        assert_eq!((width, height), expected, "{}", png.display());
        let svg = fs::read_to_string(out.join(format!("charts/{chart}.svg"))).expect("svg");
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{chart}.svg: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        let text: String = doc
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect();
        for name in &names {
            // Long names are shortened in the middle: check their ends.
            let tail: String = name
                .chars()
                .skip(name.chars().count().saturating_sub(12))
                .collect();
            // The CDF names only targets whose runs started, the reasons
            // only targets where runs waited.
            // and the hosted capacity only hosted groups.
            let named = match chart {
                "wait-cdf" | "hosted-capacity" => false,
                "wait-reasons" => waited(out, name),
                _ => true,
            };
            if named {
                assert!(
                    text.contains(tail.as_str()),
                    "{chart}.svg does not name {name}"
                );
            }
        }
    }
    // The report: self-contained, every summary column and row, and the
    // wait reasons' shares of every row add up.
    let html = fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>") && !html.contains("<script"));
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert!(html.matches("<svg").count() >= CHARTS.len());
    let mut summary = csv::Reader::from_path(out.join("summary.csv")).expect("summary.csv");
    let header = summary.headers().expect("header").clone();
    for h in &header {
        assert!(
            html.contains(&format!(">{h}</th>")),
            "report lacks column {h}"
        );
    }
    for row in summary.records() {
        let row = row.expect("row");
        let cell = |name: &str| &row[header.iter().position(|h| h == name).expect(name)];
        assert!(
            html.contains(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td>",
                &row[0],
                cell("arrivals")
            )),
            "report lacks the summary row {:?}",
            &row[0]
        );
        let shares: f64 = header
            .iter()
            .zip(row.iter())
            .filter(|(h, _)| h.starts_with("wait_") && h.ends_with("_share"))
            .map(|(_, v)| v.parse::<f64>().unwrap_or(0.0))
            .sum();
        let hours: f64 = cell("wait_hours").parse().expect("wait_hours");
        let expected = if hours > 0.0 { 1.0 } else { 0.0 };
        assert!(
            (shares - expected).abs() < 1e-5,
            "{}: shares {shares}",
            &row[0]
        );
    }
    for chart in CHARTS {
        assert!(
            html.contains(&format!("id=\"{chart}\"><h3>")),
            "report lacks {chart}"
        );
    }
}

#[test]
fn every_bundled_scenario_draws_every_chart_and_the_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut n = 0;
    for entry in fs::read_dir(repo().join("scenarios")).expect("scenarios/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        let out = dir.path().join(&stem);
        let o = run_quietly(&path, &out);
        assert!(o.status.success(), "{stem}: {}", stderr(&o));
        check_outputs(&out);
        n += 1;
    }
    assert!(n >= 10, "{n} scenarios");
}

/// `rpasim run SCENARIO --out OUT --quiet`, from the repository.
fn run_quietly(scenario: &Path, out: &Path) -> std::process::Output {
    run_in(
        &repo(),
        &[
            "run",
            scenario.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--quiet",
        ],
    )
}

fn read_all(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = CHARTS
        .iter()
        .map(|c| format!("charts/{c}.svg"))
        .chain(std::iter::once("report.html".to_string()))
        .map(|f| {
            let bytes = fs::read(out.join(&f)).expect("output file");
            (f, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn plot_redraws_identical_svgs_and_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    for scenario in ["quickstart", "month-end", "shared-desk"] {
        let out = dir.path().join(scenario);
        let path = repo().join(format!("scenarios/{scenario}.toml"));
        let o = run_quietly(&path, &out);
        assert!(o.status.success(), "{}", stderr(&o));
        let before = read_all(&out);
        for c in CHARTS {
            fs::remove_file(out.join(format!("charts/{c}.svg"))).expect("remove");
        }
        let p = run_in(&repo(), &["plot", out.to_str().expect("utf-8")]);
        assert!(p.status.success(), "{}", stderr(&p));
        assert_eq!(
            read_all(&out),
            before,
            "{scenario}: plot drew different bytes"
        );
    }
    let bad = run_in(dir.path(), &["plot", "nowhere"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

/// A plan's and an import's outputs are rpasim's own, but not what `plot`
/// redraws: it says so and what to do, and touches nothing (they were told
/// as holding files "rpasim did not write").
#[test]
fn plot_of_a_plan_or_an_import_says_what_redraws_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let quickstart = repo().join("scenarios/quickstart.toml");
    let history = repo().join("scenarios/history/history.csv");
    let made = [
        run_in(
            d,
            &[
                "plan",
                quickstart.to_str().expect("utf-8"),
                "--search",
                "machines.vm-03.bots=1..2",
                "--goal",
                "all.wait_p95_s<=1d",
                "--replications",
                "2..2",
                "--set",
                "simulation.horizon=1d",
                "--out",
                "plan",
                "-q",
            ],
        ),
        run_in(
            d,
            &[
                "import",
                history.to_str().expect("utf-8"),
                "--out",
                "import",
                "-q",
            ],
        ),
    ];
    for o in &made {
        assert!(o.status.success(), "{}", stderr(o));
    }
    for (out, says) in [
        ("plan", "plan: a plan's output (answer.toml)"),
        ("import", "import: an import's output (replay.toml)"),
    ] {
        let before = every_file(&d.join(out));
        let o = run_in(d, &["plot", out]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
        assert!(!stderr(&o).contains("not a file of"), "{}", stderr(&o));
        assert_eq!(every_file(&d.join(out)), before, "{out} touched");
    }
}

/// Every file under `dir` with its bytes, in path order.
fn every_file(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("a directory") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files.extend(every_file(&path));
        } else {
            let bytes = fs::read(&path).expect("a file");
            files.push((path, bytes));
        }
    }
    files.sort();
    files
}

/// A scenario's name too wide for the bots chart's title, which shares
/// its line with the key, is shortened in the middle until it fits; a
/// name that fits is kept whole.
#[test]
fn a_wide_name_is_shortened_in_the_bots_title() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = repo().join("scenarios/quickstart.toml");
    let title = |name: &str, out: &str| {
        let set = format!("simulation.name=\"{name}\"");
        let args = [
            "run",
            path.to_str().expect("utf-8"),
            "--set",
            &set,
            "--out",
            out,
            "-q",
        ];
        let o = run_in(dir.path(), &args);
        assert!(o.status.success(), "{}", stderr(&o));
        let svg = fs::read_to_string(dir.path().join(out).join("charts/bots.svg")).expect("svg");
        let end = svg.find(": bots over time\n<").expect("the title");
        svg[svg[..end].rfind('>').expect("its element") + 2..end].to_string()
    };
    assert_eq!(title("sales-desk", "short"), "sales-desk");
    let wide = "WWWWWWWWWW-middle-WWWWWWWWWW";
    let shortened = title(wide, "wide");
    assert!(shortened.contains('…'), "{shortened}");
    assert!(
        shortened.starts_with("WWW") && shortened.ends_with("WWW"),
        "{shortened}"
    );
    assert!(shortened.chars().count() < wide.chars().count());
}

#[test]
fn no_charts_skips_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = repo().join("scenarios/quickstart.toml");
    let o = run_in(
        dir.path(),
        &[
            "run",
            path.to_str().expect("utf-8"),
            "--out",
            "o",
            "--no-charts",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("o/summary.csv").exists());
    assert!(!dir.path().join("o/charts").exists() && !dir.path().join("o/report.html").exists());
}

#[test]
fn thirty_days_and_ten_targets_stay_readable() {
    let mut scenario = String::from("[simulation]\nhorizon = \"30d\"\nsample_every = \"1m\"\n");
    for g in 0..10 {
        scenario.push_str(&format!(
            "\n[[machine_groups]]\nname = \"a-rather-long-group-name-{g}\"\n\n[[machines]]\nname = \"m{g}\"\ngroup = \"a-rather-long-group-name-{g}\"\nbots = 2\n\
             \n[[flows]]\nname = \"f{g}\"\ntarget = \"a-rather-long-group-name-{g}\"\nduration = {{ exponential = {{ mean = \"20m\" }} }}\narrivals = {{ poisson = {{ per_hour = {} }} }}\n",
            4 + g
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("big.toml"), scenario).expect("write");
    let o = run_in(dir.path(), &["run", "big.toml", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // 43,200 samples per target in the CSV ...
    let rows = fs::read_to_string(dir.path().join("o/timeseries.csv"))
        .expect("csv")
        .lines()
        .count();
    assert_eq!(rows, 1 + 10 * 43_201);
    // ... but at most 400 points per drawn line, and every name in the legend.
    let svg = fs::read_to_string(dir.path().join("o/charts/queue-length.svg")).expect("svg");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let lines: Vec<usize> = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter_map(|n| n.attribute("points"))
        .map(|p| p.split_whitespace().count())
        .filter(|&points| points > 10)
        .collect();
    assert_eq!(lines.len(), 10, "one line per target");
    assert!(lines.iter().all(|&p| p <= 400), "{lines:?}");
    // Names are shortened in the middle: their distinct ends stay readable.
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for g in 0..10 {
        let label = format!("a-rather-lo…group-name-{g}");
        assert!(texts.contains(&label.as_str()), "legend lacks {label}");
    }
    assert!(
        !texts.iter().any(|t| t.ends_with("more")),
        "the legend overflowed"
    );
    check_outputs(&dir.path().join("o"));
}

/// With more targets than are drawn, `rpasim plot` keeps only the drawn
/// ones' waits and series while it reads the files (memory flat in the
/// targets), and draws the same bytes as the run did.
#[test]
fn plot_of_more_targets_than_drawn_redraws_identical_bytes() {
    let mut scenario = String::from("[simulation]\nhorizon = \"1d\"\nsample_every = \"10m\"\n");
    for m in 0..24 {
        scenario.push_str(&format!(
            "\n[[machines]]\nname = \"vm{m:02}\"\nbots = 1\n\n[[flows]]\nname = \"f{m:02}\"\n\
             target = \"vm{m:02}\"\nduration = {{ exponential = {{ mean = \"10m\" }} }}\n\
             arrivals = {{ poisson = {{ per_hour = {} }} }}\n",
            1 + m % 5
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("many.toml"), scenario).expect("write");
    let o = run_in(dir.path(), &["run", "many.toml", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("o");
    let before = read_all(&out);
    fs::remove_dir_all(out.join("charts")).expect("remove");
    fs::remove_file(out.join("report.html")).expect("remove");
    let p = run_in(dir.path(), &["plot", "o"]);
    assert!(p.status.success(), "{}", stderr(&p));
    assert_eq!(read_all(&out), before, "plot drew different bytes");
    // Not every target is drawn one by one.
    let svg = fs::read_to_string(out.join("charts/queue-length.svg")).expect("svg");
    let drawn = (0..24)
        .filter(|m| svg.contains(&format!(">\nvm{m:02}\n<")))
        .count();
    assert!((1..24).contains(&drawn), "{drawn} of 24 targets drawn");
    // The bots chart's title shares its line with the key, which starts
    // at x = 430: which targets it draws is said on a line of its own
    // below the title, not after it, where it ran under the key.
    let bots = fs::read_to_string(out.join("charts/bots.svg")).expect("svg");
    let title = ">\nmany: bots over time\n<";
    let scope = format!(">\n(the {drawn} of 24 targets whose runs waited most)\n<");
    let (at_title, at_scope) = (
        bots.find(title).expect("the title alone on its line"),
        bots.find(&scope).expect("the scope on a line of its own"),
    );
    let y = |at: usize| {
        let tag = &bots[bots[..at].rfind("<text").expect("a text element")..at];
        let y = &tag[tag.find(" y=\"").expect("y") + 4..];
        y[..y.find('"').expect("end")]
            .parse::<u32>()
            .expect("a number")
    };
    assert!(y(at_title) + 20 <= y(at_scope), "the scope below the title");
    // The report's answer at a glance lists the targets the charts draw,
    // and their flows, and says so.
    let report = fs::read_to_string(out.join("report.html")).expect("report");
    let start = report.find("How soon runs started").expect("the glance");
    let glance = &report[start..start + report[start..].find("</table>").expect("its end")];
    let listed: Vec<String> = (0..24)
        .filter(|m| glance.contains(&format!("<tr><td>vm{m:02}</td>")))
        .map(|m| format!("vm{m:02}"))
        .collect();
    let charted: Vec<String> = (0..24)
        .filter(|m| svg.contains(&format!(">\nvm{m:02}\n<")))
        .map(|m| format!("vm{m:02}"))
        .collect();
    assert_eq!(listed, charted);
    for m in &charted {
        let flow = m.replace("vm", "f");
        assert!(
            glance.contains(&format!("<td>{flow} (flow, on {m})</td>")),
            "{flow}"
        );
    }
    assert_eq!(glance.matches("(flow, on ").count(), charted.len());
    assert!(report.contains(&format!(
        "The {} of 24 targets whose runs waited most, as in the charts; the summary below has the others",
        charted.len()
    )));
}

/// Thousands of outages of one pool draw as the parts of the horizon they
/// covered, not a rectangle each: the charts and the report stay small
/// (780,000 outages made SVGs of 70 MB each), the report still counts every
/// event, and `plot` draws the same bytes.
#[test]
fn thousands_of_outages_draw_a_bounded_timeline() {
    let mut scenario = String::from("[simulation]\nhorizon = \"1d\"\nsample_every = \"10m\"\n");
    scenario.push_str("\n[[machine_groups]]\nname = \"pool\"\n");
    for m in 0..10 {
        scenario.push_str(&format!(
            "\n[[machines]]\nname = \"m{m}\"\ngroup = \"pool\"\nbots = 1\nmtbf = \"2m\"\nrepair = \"30s\"\n"
        ));
    }
    scenario.push_str(
        "\n[[flows]]\nname = \"f\"\ntarget = \"pool\"\n\
         duration = { exponential = { mean = \"1m\" } }\narrivals = { poisson = { per_hour = 120 } }\n",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("flaky.toml"), scenario).expect("write");
    let o = run_in(dir.path(), &["run", "flaky.toml", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("o");
    let events = fs::read_to_string(out.join("events.csv")).expect("events.csv");
    let outages = events.matches(",machine_offline,").count();
    assert!(outages > 4_000, "{outages} outages");
    let svg = fs::read_to_string(out.join("charts/bots.svg")).expect("svg");
    let shaded = svg.matches("fill=\"#5A5A5A\"").count();
    // At least one span; at most one per part of the horizon (1,000).
    assert!((1..=1_000).contains(&shaded), "{shaded} outage spans drawn");
    let report = fs::read_to_string(out.join("report.html")).expect("report");
    assert!(
        report.len() < 1_000_000,
        "report.html of {} bytes",
        report.len()
    );
    let rows = events.lines().count() - 1;
    assert!(
        report.contains(&format!(
            "{rows} events from <code>events.csv</code>, the first 500 listed"
        )),
        "the report counts every event"
    );
    let before = read_all(&out);
    fs::remove_dir_all(out.join("charts")).expect("remove");
    let p = run_in(dir.path(), &["plot", "o"]);
    assert!(p.status.success(), "{}", stderr(&p));
    assert_eq!(read_all(&out), before, "plot drew different bytes");
}

/// The texts of a chart's SVG, trimmed.
fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed");
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The queue chart draws the timeline's windows and instants over the
/// queues; its key names the kinds it drew, and only those (they were
/// lines and shades no key explained).
#[test]
fn the_queue_chart_s_key_names_what_its_timeline_draws() {
    let base = "[simulation]\nhorizon = \"1d\"\nsample_every = \"10m\"\n\n\
                [[machines]]\nname = \"vm\"\nbots = 1\n\n\
                [[flows]]\nname = \"f\"\ntarget = \"vm\"\n\
                duration = { exponential = { mean = \"10m\" } }\narrivals = { poisson = { per_hour = 3 } }\n";
    let events = "\n[[events]]\nat = \"2h\"\nkind = \"maintenance\"\ntarget = \"vm\"\nfor = \"1h\"\n\
                  \n[[events]]\nat = \"5h\"\nkind = \"set\"\nkey = \"machines.vm.bots\"\nvalue = 2\n";
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, text) in [
        ("plain", base.to_string()),
        ("events", format!("{base}{events}")),
    ] {
        fs::write(dir.path().join(format!("{name}.toml")), text).expect("write");
        let o = run_in(
            dir.path(),
            &["run", &format!("{name}.toml"), "--out", name, "-q"],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let texts = |out: &str| {
        let svg =
            fs::read_to_string(dir.path().join(out).join("charts/queue-length.svg")).expect("svg");
        svg_texts(&svg)
    };
    let plain = texts("plain");
    assert!(plain.contains(&"vm".to_string()), "{plain:?}");
    for kind in ["events", "maintenance", "setting changed"] {
        assert!(!plain.iter().any(|t| t == kind), "{kind} in {plain:?}");
    }
    let keyed = texts("events");
    for kind in ["vm", "events", "maintenance", "setting changed"] {
        assert!(
            keyed.iter().any(|t| t == kind),
            "{kind} missing from {keyed:?}"
        );
    }
    for kind in [
        "offline",
        "image or restart",
        "cold or expired",
        "certificate",
    ] {
        assert!(!keyed.iter().any(|t| t == kind), "{kind} in {keyed:?}");
    }
}

/// The heights of a chart's filled rectangles of colour `fill` (`#RRGGBB`).
fn bar_heights(svg: &str, fill: &str) -> Vec<f64> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed");
    doc.descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(fill))
        .filter_map(|n| n.attribute("height")?.parse().ok())
        .collect()
}

/// With one target, a bar chart's bar takes the whole plot, labelled at
/// its middle; it took the lower half under an empty slot with a tick and
/// no name.
#[test]
fn one_target_s_bar_takes_the_whole_chart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = run_in(
        dir.path(),
        &[
            "run",
            &repo().join("scenarios/outages.toml").display().to_string(),
            "--out",
            "o",
            "-q",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let chart = |name: &str| {
        fs::read_to_string(dir.path().join(format!("o/charts/{name}.svg"))).expect("svg")
    };
    // succeeded (outcomes), the bars of one target (utilization and cost)
    // and busy (wait reasons), each drawn over the plot's height less the
    // bars' margins.
    for (name, fill, plot) in [
        ("outcomes", "#2CA02C", 595.0),
        ("utilization-cost", "#1F77B4", 555.0),
        ("wait-reasons", "#1F77B4", 215.0),
    ] {
        let svg = chart(name);
        let heights = bar_heights(&svg, fill);
        assert!(!heights.is_empty(), "{name}: no bar of {fill}");
        for h in heights {
            assert!(h > 0.9 * plot, "{name}: a bar {h} pixels high");
        }
        let texts = svg_texts(&svg);
        let labels = texts.iter().filter(|t| *t == "claims").count();
        let expected = if name == "utilization-cost" { 2 } else { 1 };
        assert_eq!(labels, expected, "{name}: {texts:?}");
    }
}

/// The `setting_changed` rows of a run's events.csv.
fn setting_rows(out: &Path) -> Vec<String> {
    fs::read_to_string(out.join("events.csv"))
        .expect("events.csv")
        .lines()
        .filter(|l| l.contains(",setting_changed,"))
        .map(String::from)
        .collect()
}

/// A `set` event is recorded in events.csv with the key the scenario
/// names it by (it read `HostedCapacity(EnvironmentId(0)) = 10`), a flow's
/// setting on its flow; and the hosted-capacity chart draws the capacity
/// as it was over time, where it stayed at the starting capacity under
/// the add-ons held after a purchase.
#[test]
fn a_set_event_is_recorded_by_its_key_and_the_capacity_line_follows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = repo().join("scenarios/mid-month-add-ons.toml");
    let o = run_in(
        dir.path(),
        &["run", &scenario.display().to_string(), "--out", "o", "-q"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        setting_rows(&dir.path().join("o")),
        [
            "1209600.000,setting_changed,invoicing,,,environments.prod.hosted_capacity = 10",
            "1209600.000,setting_changed,invoicing,,,hosted_groups.invoicing.max_bots = 10",
            "1209600.000,setting_changed,desk,,,machines.desk.bots = 3",
        ]
    );
    let manifest = fs::read_to_string(dir.path().join("o/manifest.toml")).expect("manifest");
    assert!(
        manifest.contains("[[environments.changes]]\nat_ms = 1209600000\nhosted_capacity = 10\n"),
        "{manifest}"
    );
    let svg = fs::read_to_string(dir.path().join("o/charts/hosted-capacity.svg")).expect("svg");
    assert!(svg_texts(&svg).contains(&"hosted capacity 10 (4 at start)".to_string()));
    // The dashed line's dashes lie at 4 add-ons, then at 10: two heights.
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let mut heights: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("stroke") == Some("#C81E1E"))
        .filter_map(|n| {
            let ys: Vec<&str> = n
                .attribute("points")?
                .split_whitespace()
                .filter_map(|p| p.split_once(',').map(|(_, y)| y))
                .collect();
            ys.windows(2)
                .all(|w| w[0] == w[1])
                .then(|| ys.first().copied())?
        })
        .collect();
    heights.sort_unstable();
    heights.dedup();
    assert_eq!(heights.len(), 2, "{heights:?}");
    // The bots chart's limits as at the start say so; the desk's 1 bot,
    // 3 from day 14, is at most 3 (it read "3 bots").
    let bots = fs::read_to_string(dir.path().join("o/charts/bots.svg")).expect("svg");
    let texts = svg_texts(&bots);
    for label in ["max_bots 4 at start", "3 bots at most"] {
        assert!(texts.contains(&label.to_string()), "{label}: {texts:?}");
    }
}

/// A flow's `set` (its rate, its failures) is recorded on its flow and its
/// target, as a line on the target's timeline, but leaves the target's
/// limits unmarked: they did not change.
#[test]
fn a_flow_s_setting_is_recorded_on_the_flow() {
    let scenario = "[simulation]\nhorizon = \"1d\"\nsample_every = \"10m\"\n\n\
                    [[machines]]\nname = \"vm\"\nbots = 2\n\n\
                    [[flows]]\nname = \"f\"\ntarget = \"vm\"\n\
                    duration = { exponential = { mean = \"10m\" } }\narrivals = { poisson = { per_hour = 3 } }\n\n\
                    [[events]]\nat = \"6h\"\nkind = \"set\"\nkey = \"flows.f.arrivals.poisson.per_hour\"\nvalue = 6\n\n\
                    [[events]]\nat = \"7h\"\nkind = \"set\"\nkey = \"flows.f.failure_probability\"\nvalue = 0.25\n";
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("rate.toml"), scenario).expect("write");
    let o = run_in(dir.path(), &["run", "rate.toml", "--out", "o", "-q"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        setting_rows(&dir.path().join("o")),
        [
            "21600.000,setting_changed,vm,,f,flows.f.arrivals.poisson.per_hour = 6",
            "25200.000,setting_changed,vm,,f,flows.f.failure_probability = 0.25",
        ]
    );
    let bots = fs::read_to_string(dir.path().join("o/charts/bots.svg")).expect("svg");
    let texts = svg_texts(&bots);
    assert!(
        !texts.iter().any(|t| t.contains("at start")),
        "limits marked as changed: {texts:?}"
    );
    let queue = fs::read_to_string(dir.path().join("o/charts/queue-length.svg")).expect("svg");
    assert!(svg_texts(&queue).contains(&"setting changed".to_string()));
}
