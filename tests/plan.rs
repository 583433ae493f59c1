//! `rpasim plan`: the cheapest setting that meets goals, exactly where
//! queueing theory knows the answer; few evaluations; exit statuses.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{run_in, stderr, stdout};
use rpasim_stats::queueing::{erlang_c, mmc_mean_wait};

/// M/M/c on one standalone machine: arrivals at `per_hour`, exponential
/// runs of mean 1 minute, no queue limit.
fn mmc(per_hour: f64) -> String {
    format!(
        r#"[simulation]
seed = 11
horizon = "2d"
sample_every = "1d"

[limits]
max_bots_per_machine = 64
queue_capacity = 1000000
queue_timeout = "none"

[[machines]]
name = "pool"
bots = 1

[[flows]]
name = "work"
target = "pool"
duration = {{ exponential = {{ mean = "1m" }} }}
arrivals = {{ poisson = {{ per_hour = {per_hour} }} }}
"#
    )
}

fn plan(dir: &Path, scenario: &str, args: &[&str]) -> Output {
    fs::write(dir.join("s.toml"), scenario).expect("write");
    let mut all = vec!["plan", "s.toml", "--out", "p"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// The rows of `plan.csv`, by column name.
fn rows(dir: &Path) -> Vec<Vec<(String, String)>> {
    let mut r = csv::Reader::from_path(dir.join("p/plan.csv")).expect("plan.csv");
    let header: Vec<String> = r
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    r.records()
        .map(|x| {
            header
                .iter()
                .cloned()
                .zip(x.expect("row").iter().map(String::from))
                .collect()
        })
        .collect()
}

fn cell<'a>(row: &'a [(String, String)], column: &str) -> &'a str {
    &row.iter().find(|(h, _)| h == column).expect(column).1
}

/// The smallest stable c (more bots than the offered load `a`) whose
/// value of `f` is at most `bound`.
fn smallest(a: f64, bound: f64, f: impl Fn(u32) -> f64) -> u32 {
    (1..=64u32)
        .filter(|c| f64::from(*c) > a)
        .find(|c| f(*c) <= bound)
        .expect("reachable")
}

#[test]
fn the_answer_is_erlang_c_where_theory_knows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (per_hour, mu) = (960.0, 1.0 / 60.0);
    let lambda = per_hour / 3600.0;
    let a = lambda / mu;
    let wait = |c: u32| mmc_mean_wait(c, lambda, mu);
    // A threshold with clear room on either side: the geometric mean of
    // the mean waits of two neighbouring sizes (a factor about 2 apart).
    let c_wait = 20;
    let threshold = (wait(c_wait) * wait(c_wait - 1)).sqrt();
    assert_eq!(smallest(a, threshold, wait), c_wait, "Erlang C's answer");
    let o = plan(
        dir.path(),
        &mmc(per_hour),
        &[
            "--search",
            "machines.pool.bots=17..40",
            "--goal",
            &format!("all.wait_mean_s<={threshold}"),
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let answer = fs::read_to_string(dir.path().join("p/answer.toml")).expect("answer");
    assert!(
        answer.contains(&format!("\"machines.pool.bots\" = {c_wait}\n")),
        "{answer}"
    );
    assert!(
        stdout(&o).contains("machines.pool.bots = 20 meets"),
        "{}",
        stdout(&o)
    );
    // report.html leads with the console's answer, draws the goal and has
    // a row per candidate evaluated, cheapest first, the answer's marked.
    let html = fs::read_to_string(dir.path().join("p/report.html")).expect("report.html");
    let said = stdout(&o);
    let (answer_said, below_said) = said
        .lines()
        .next()
        .and_then(|l| l.split_once("; machines.pool.bots = "))
        .expect("the answer, then the candidate below it");
    let escaped = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let at = |t: &str| html.find(t).unwrap_or_else(|| panic!("{t} in {html}"));
    assert!(at(&escaped(answer_said)) < at(&escaped(below_said)));
    assert!(at(&escaped(below_said)) < at("<svg"));
    assert_eq!(html.matches("<svg").count(), 1);
    // The answer's scenario where it is once the output is in place, not
    // in the hidden directory it was written to.
    let command = html.split("<code>rpasim run ").nth(1).expect("the command");
    let command = command.split("</code>").next().expect("closed");
    let scenario = Path::new("p").join("scenario.toml");
    assert!(
        command.ends_with(&scenario.display().to_string()),
        "{command}"
    );
    assert!(!command.contains(".partial-"), "{command}");
    let evaluated = rows(dir.path()).len();
    assert_eq!(html.matches("<tr").count(), evaluated + 1, "{html}");
    let chosen = html
        .split("<tr class=\"chosen\"><td>")
        .nth(1)
        .expect("a chosen row");
    assert!(chosen.starts_with("20</td>"), "{chosen}");
    let values: Vec<u32> = html
        .split("<tr")
        .skip(2)
        .filter_map(|r| r.split("<td>").nth(1)?.split('<').next()?.parse().ok())
        .collect();
    assert!(
        values.is_sorted() && values.len() == evaluated,
        "{values:?}"
    );
    // The 5 % of doubt is split among the looks at 5, 10, 20, 40 and 50
    // replications, and the output says so.
    assert!(
        answer.contains("bound_confidence = 0.99\n")
            && answer.contains("confidence = 0.95\n")
            && answer.contains("looks = [5, 10, 20, 40, 50]\n"),
        "{answer}"
    );
    assert!(
        stdout(&o).contains(
            "; each bound at 99 % (95 % over the looks at 5, 10, 20, 40, 50 replications)"
        ),
        "{}",
        stdout(&o)
    );
    // Each row's bound is the one that decided it: the upper bound, at or
    // below the threshold, where it meets; the lower bound, above it,
    // where it fails.
    for row in rows(dir.path()) {
        let number = |c: &str| -> f64 { cell(&row, c).parse().expect("number") };
        let (mean, bound) = (
            number("all.wait_mean_s_mean"),
            number("all.wait_mean_s_bound"),
        );
        match cell(&row, "verdict") {
            "meets" => assert!(mean <= bound && bound <= threshold, "{row:?}"),
            "fails" => assert!(threshold < bound && bound <= mean, "{row:?}"),
            _ => {}
        }
    }
    // M/M/c: every candidate's waiting is for busy bots, and the shares of
    // each evaluated row add up to 1 (empty where no run waited at all, as
    // with 40 bots).
    let mut with_waits = 0;
    for row in rows(dir.path()) {
        if cell(&row, "all.wait_busy_share").is_empty() {
            continue;
        }
        with_waits += 1;
        let share = |reason: &str| -> f64 {
            cell(&row, &format!("all.wait_{reason}_share"))
                .parse()
                .expect("share")
        };
        assert!((share("busy") - 1.0).abs() < 1e-9, "{row:?}");
        let sum: f64 = ["provisioning", "capacity", "busy", "maintenance", "offline"]
            .iter()
            .chain(&["selection", "blocked", "lost"])
            .map(|r| share(r))
            .sum();
        assert!((sum - 1.0).abs() < 1e-6);
    }
    assert!(with_waits >= 3, "{with_waits} candidates where runs waited");
    // A second goal, on the probability of waiting, moves the answer to
    // where Erlang C meets both.
    let share = |c: u32| erlang_c(c, a);
    let c_share = 22;
    let threshold_share = (share(c_share) * share(c_share - 1)).sqrt();
    assert_eq!(smallest(a, threshold_share, share), c_share);
    let o = plan(
        dir.path(),
        &mmc(per_hour),
        &[
            "--search",
            "machines.pool.bots=17..40",
            "--goal",
            &format!("all.wait_mean_s<={threshold}"),
            "--goal",
            &format!("all.waited_share<={threshold_share}"),
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let answer = fs::read_to_string(dir.path().join("p/answer.toml")).expect("answer");
    assert!(answer.contains("\"machines.pool.bots\" = 22\n"), "{answer}");
    // The answer applied: the scenario runs as is.
    let applied = fs::read_to_string(dir.path().join("p/scenario.toml")).expect("scenario");
    assert!(applied.contains("bots = 22"), "{applied}");
}

/// A burst of 150 one-hour runs on one bot: a queue of capacity q rejects
/// 149 - q of them. Deterministic, so every decision takes MIN runs.
const BURST: &str = r#"[simulation]
horizon = "1d"

[limits]
queue_timeout = "none"

[[machines]]
name = "m"
bots = 1

[[flows]]
name = "burst"
target = "m"
duration = "1h"
arrivals = { every = "2d", burst = 150 }
"#;

#[test]
fn two_hundred_values_take_a_handful_of_evaluations() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = plan(
        dir.path(),
        BURST,
        &[
            "--search",
            "limits.queue_capacity=1..200",
            "--goal",
            "all.queue_full<=0",
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let rows = rows(dir.path());
    let most = 2.0 * 200f64.log2() + 4.0;
    assert!(rows.len() as f64 <= most, "{} evaluations", rows.len());
    let answer = fs::read_to_string(dir.path().join("p/answer.toml")).expect("answer");
    assert!(
        answer.contains("\"limits.queue_capacity\" = 149\n"),
        "{answer}"
    );
    // A chart of the goal's metric per candidate, against the capacity.
    let svg = fs::read_to_string(dir.path().join("p/charts/all_queue_full.svg")).expect("chart");
    let doc = roxmltree::Document::parse(&svg).expect("an SVG");
    let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).collect();
    assert!(texts.iter().any(|t| t.contains("limits.queue_capacity")));
    assert!(dir.path().join("p/charts/all_queue_full.png").exists());
    // Every row says its verdict consistently with its capacity.
    for r in &rows {
        let capacity: u32 = cell(r, "limits.queue_capacity").parse().expect("number");
        let expected = if capacity >= 149 { "meets" } else { "fails" };
        assert_eq!(cell(r, "verdict"), expected, "{r:?}");
        assert_eq!(cell(r, "replications"), "5");
    }
}

#[test]
fn one_look_needs_no_split_of_the_confidence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = plan(
        dir.path(),
        BURST,
        &[
            "--search",
            "limits.queue_capacity=140..160",
            "--goal",
            "all.queue_full<=0",
            "--replications",
            "3..3",
            "--confidence",
            "0.9",
        ],
    );
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let answer = fs::read_to_string(dir.path().join("p/answer.toml")).expect("answer");
    assert!(
        answer.contains("bound_confidence = 0.9\n") && answer.contains("looks = [3]\n"),
        "{answer}"
    );
    assert!(
        stdout(&o).contains("with 90 % confidence"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("each bound at"), "{}", stdout(&o));
}

#[test]
fn an_unreachable_goal_is_exit_1_and_a_malformed_one_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let unreachable = [
        "--search",
        "limits.queue_capacity=1..100",
        "--goal",
        "all.queue_full<=0",
    ];
    let o = plan(dir.path(), BURST, &unreachable);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("no candidate meets"), "{}", stdout(&o));
    let answer = fs::read_to_string(dir.path().join("p/answer.toml")).expect("answer");
    assert!(!answer.contains("[answer]"), "{answer}");
    assert!(!dir.path().join("p/scenario.toml").exists());
    let html = fs::read_to_string(dir.path().join("p/report.html")).expect("report.html");
    assert!(
        html.contains("<p class=\"answer none\">no candidate meets"),
        "{html}"
    );
    assert!(!html.contains("rpasim run"), "{html}");
    // Its own earlier output, report.html included, is replaced.
    let again = plan(dir.path(), BURST, &unreachable);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    fs::remove_dir_all(dir.path().join("p")).expect("rm");
    // In several dimensions too, the corner with the most of each is
    // evaluated first: when it fails, nothing else is.
    let o = plan(
        dir.path(),
        BURST,
        &[
            "--search",
            "limits.queue_capacity=1..20",
            "--search",
            "machines.m.bots=1..5",
            "--goal",
            "all.queue_full<=0",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("1 of 100 candidates evaluated, 5 simulations"),
        "{}",
        stdout(&o)
    );
    let evaluated = rows(dir.path());
    assert_eq!(evaluated.len(), 1);
    let value = |k: &str| &evaluated[0].iter().find(|(c, _)| c == k).expect(k).1;
    assert_eq!(
        (
            value("limits.queue_capacity").as_str(),
            value("machines.m.bots").as_str()
        ),
        ("20", "5")
    );
    fs::remove_dir_all(dir.path().join("p")).expect("rm");
    for (args, says) in [
        (
            vec![
                "--search",
                "limits.queue_capacity=1..100",
                "--goal",
                "all.queue_ful<=0",
            ],
            "did you mean \"queue_full\"",
        ),
        (
            vec![
                "--search",
                "limits.queue_capacity=100..1",
                "--goal",
                "all.queue_full<=0",
            ],
            "invalid range",
        ),
        (
            vec![
                "--search",
                "limits.queue_capacity=1..9",
                "--goal",
                "all.queue_full<=0",
                "--replications",
                "1..3",
            ],
            "2 <= MIN",
        ),
        // A confidence that a few replications cannot back.
        (
            vec![
                "--search",
                "limits.queue_capacity=1..9",
                "--goal",
                "all.queue_full<=0",
                "--confidence",
                "0.99999999999",
            ],
            "--confidence must be above 0.5 and at most 0.999, e.g. 0.95; got 0.99999999999 \
             (beyond it, a bound from a few replications would rest on far tails",
        ),
        (vec!["--search", "limits.queue_capacity=1..9"], "no goal"),
        // Goals that more capacity makes harder: the search, trying the
        // most capacity first, would say that nothing meets where a
        // cheaper setting does.
        (
            vec![
                "--search",
                "machines.m.bots=1..5",
                "--goal",
                "all.queue_full<=0",
                "--goal",
                "all.bot_hours<=100",
            ],
            "goal all.bot_hours <= 100: more capacity raises bot_hours",
        ),
        (
            vec![
                "--search",
                "machines.m.bots=1..5",
                "--goal",
                "all.utilization>=60%",
            ],
            "goal all.utilization >= 60%: more capacity lowers utilization",
        ),
        (
            vec![
                "--search",
                "machines.m.bots=1..5",
                "--goal",
                "all.cold_starts<=3",
            ],
            "goal all.cold_starts <= 3: plan cannot tell which way more capacity moves cold_starts",
        ),
        (
            vec![
                "--search",
                "limits.queue_capacity=1..9",
                "--set",
                "limits.queue_capacity=5",
                "--goal",
                "all.queue_full<=0",
            ],
            "search limits.queue_capacity: also given a fixed value (limits.queue_capacity=5",
        ),
        (
            vec![
                "--search",
                "limits.queue_capacity=1..2000",
                "--search",
                "simulation.seed=1..1000",
                "--goal",
                "all.queue_full<=0",
            ],
            "s.toml: 2000000 candidates; a plan may have at most 1000000 (search fewer values)",
        ),
        (
            vec![
                "--search",
                "limits.queue_capacity=1..9",
                "--goal",
                "all.queue_full<=0",
                "--jobs",
                "5000",
            ],
            "5000 worker threads (--jobs); at most 1024",
        ),
    ] {
        let o = plan(dir.path(), BURST, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
        assert!(!dir.path().join("p").exists(), "nothing written");
    }
    // One candidate is not searched: any goal is judged, with confidence.
    let o = plan(
        dir.path(),
        BURST,
        &[
            "--search",
            "machines.m.bots=2",
            "--goal",
            "all.cold_starts<=3",
            "--goal",
            "all.bot_hours<=100000",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("meets all.cold_starts <= 3 and"),
        "{}",
        stdout(&o)
    );
}

/// Two kinds of capacity that can stand in for each other on one goal: a
/// machine's bots serve one burst, a hosted group's add-ons another. Ten
/// one-hour runs each at time 0, a queue timeout of 30 minutes: b bots
/// start b runs, a add-ons start a runs (after the 10-minute provisioning),
/// the others time out. So `all.started_share >= 50%` needs a + b >= 10.
fn two_kinds(prices: &str) -> String {
    format!(
        r#"[simulation]
horizon = "30d"
sample_every = "1d"

[limits]
queue_timeout = "30m"

[[environments]]
name = "prod"
hosted_capacity = 2

[[machine_groups]]
name = "g"

[[machines]]
name = "vm"
group = "g"
bots = 1

[[hosted_groups]]
name = "h"
max_bots = 2
provisioning = "10m"

[[flows]]
name = "x"
target = "g"
duration = "1h"
arrivals = {{ every = "60d", burst = 10 }}

[[flows]]
name = "y"
target = "h"
duration = "1h"
arrivals = {{ every = "60d", burst = 10 }}
{prices}"#
    )
}

/// A search of [`two_kinds`]: 2 or 8 bots, 2 or 8 add-ons, for half the
/// runs started.
const TWO_KINDS_SEARCH: [&str; 6] = [
    "--search",
    "machines.vm.bots=2,8",
    "--search",
    "environments.prod.hosted_capacity|hosted_groups.h.max_bots=2|2,8|8",
    "--goal",
    "all.started_share>=50%",
];

#[test]
fn with_prices_the_cheaper_of_two_feasible_combinations_is_taken() {
    let dir = tempfile::tempdir().expect("temp dir");
    let search = TWO_KINDS_SEARCH;
    // Bots at 100 a month, add-ons at 300, over 30 days (one month):
    // 8 bots + 2 add-ons = 1,400; 2 bots + 8 add-ons = 2,600; 8 + 8 = 3,200;
    // 2 + 2 = 800 does not meet (4 of 20 runs start).
    let cheap_bots = "\n[costs]\nunattended_bot_per_month = 100\nhosted_addon_per_month = 300\n";
    let o = plan(dir.path(), &two_kinds(cheap_bots), &search);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let answer = fs::read_to_string(dir.path().join("p/answer.toml")).expect("answer");
    assert!(answer.contains("\"machines.vm.bots\" = 8\n"), "{answer}");
    assert!(
        answer.contains("\"environments.prod.hosted_capacity\" = 2\n"),
        "{answer}"
    );
    let costs: Vec<(String, String)> = rows(dir.path())
        .iter()
        .map(|r| (cell(r, "verdict").to_string(), cell(r, "cost").to_string()))
        .collect();
    assert!(costs.contains(&("fails".into(), "800".into())), "{costs:?}");
    assert!(
        costs.contains(&("meets".into(), "1400".into())),
        "{costs:?}"
    );
    // The other way round, add-ons are cheaper: 2 bots + 8 add-ons.
    fs::remove_dir_all(dir.path().join("p")).expect("rm");
    let cheap_addons = "\n[costs]\nunattended_bot_per_month = 300\nhosted_addon_per_month = 100\n";
    let o = plan(dir.path(), &two_kinds(cheap_addons), &search);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let answer = fs::read_to_string(dir.path().join("p/answer.toml")).expect("answer");
    assert!(answer.contains("\"machines.vm.bots\" = 2\n"), "{answer}");
    assert!(
        answer.contains("\"environments.prod.hosted_capacity\" = 8\n"),
        "{answer}"
    );
    // The answer applied, run: summary.csv has the cost of its capacity.
    let o = run_in(
        dir.path(),
        &["run", "p/scenario.toml", "--out", "r", "-q", "--no-charts"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = fs::read_to_string(dir.path().join("r/summary.csv")).expect("summary");
    let header: Vec<&str> = summary.lines().next().expect("header").split(',').collect();
    let at = header
        .iter()
        .position(|h| *h == "cost")
        .expect("cost column");
    let cost_of = |target: &str| -> String {
        summary
            .lines()
            .find(|l| l.starts_with(&format!("{target},")))
            .map(|l| l.split(',').nth(at).expect("cell").to_string())
            .expect("row")
    };
    assert_eq!(cost_of("g"), "600.00", "2 bots at 300");
    assert_eq!(cost_of("h"), "", "add-ons belong to the environment");
    assert_eq!(cost_of("all"), "1400.00", "600 + 8 add-ons at 100");
}

/// With many goals, the answer tells of the ones that decide it (the
/// tightest three) and draws those that decide it, at most 15: 10,000
/// goals made a sentence of 10,000 estimates and 20,000 chart files.
#[test]
fn many_goals_are_told_by_those_that_decide() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut goals = Vec::new();
    for name in ["pool", "work", "all"] {
        for metric in [
            "start_p50_s",
            "start_p95_s",
            "start_p99_s",
            "wait_p50_s",
            "wait_p95_s",
            "wait_p99_s",
        ] {
            goals.push(format!("{name}.{metric}<=1h"));
        }
        goals.push(format!("{name}.wait_mean_s<=1m"));
    }
    let mut args = vec!["--search", "machines.pool.bots=1..4"];
    for g in &goals {
        args.extend(["--goal", g.as_str()]);
    }
    let o = plan(dir.path(), &mmc(50.0), &args);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stdout(&o);
    assert!(
        said.contains("meets all 21 goals with 95 % confidence"),
        "{said}"
    );
    assert!(said.contains("(the tightest 3 of 21 goals: "), "{said}");
    for name in ["pool", "work", "all"] {
        assert!(
            said.contains(&format!("{name}.wait_mean_s <= 1m: mean")),
            "{said}"
        );
    }
    assert!(!said.contains("<= 1h: mean"), "{said}");
    let mut charts: Vec<String> = fs::read_dir(dir.path().join("p/charts"))
        .expect("charts")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    charts.sort();
    assert_eq!(charts.len(), 30, "{charts:?}");
    // report.html's table has the goals drawn, saying where the rest are.
    let html = fs::read_to_string(dir.path().join("p/report.html")).expect("report.html");
    assert!(
        html.contains("The 15 of 21 goals that decide the answer; plan.csv has every goal."),
        "{html}"
    );
    assert_eq!(html.matches("<svg").count(), 15);
    assert_eq!(html.matches(": mean</th>").count(), 15);
    assert!(
        charts.contains(&"pool_wait_mean_s.svg".to_string()),
        "{charts:?}"
    );
}

/// Candidates of the same cost (two kinds of capacity at one price) are
/// drawn side by side on the goal's chart, each where it can be seen: drawn
/// at one x, the last hid the others, whatever their verdicts.
#[test]
fn candidates_of_the_same_cost_are_each_seen_on_the_chart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let same_price = "\n[costs]\nunattended_bot_per_month = 100\nhosted_addon_per_month = 100\n";
    let search = TWO_KINDS_SEARCH;
    let o = plan(dir.path(), &two_kinds(same_price), &search);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let costs: Vec<String> = rows(dir.path())
        .iter()
        .map(|r| cell(r, "cost").to_string())
        .collect();
    let same = costs.iter().filter(|c| *c == "1000").count();
    assert_eq!(same, 2, "8 bots and 2 add-ons, 2 bots and 8: {costs:?}");
    let svg = fs::read_to_string(dir.path().join("p/charts/all_started_share.svg"))
        .expect("the goal's chart");
    let doc = roxmltree::Document::parse(&svg).expect("well-formed");
    let mut centres: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .filter_map(|n| n.attribute("cx"))
        .collect();
    assert_eq!(centres.len(), costs.len(), "a point per candidate");
    centres.sort_unstable();
    centres.dedup();
    assert_eq!(centres.len(), costs.len(), "each at its own place");
    let texts: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(
        texts.contains(&"cost (candidates of the same cost side by side)"),
        "{texts:?}"
    );
}
