//! Scenario validation: each error class names its place.

use super::*;
use rpasim_core::arrival::ArrivalProcess;
use rpasim_core::model::TargetKind;

const VALID: &str = r#"[simulation]
seed = 7
horizon = "2d"

[[machine_groups]]
name = "sales"

[[machines]]
name = "vm-01"
group = "sales"
bots = 2

[[machines]]
name = "solo"

[[flows]]
name = "invoices"
target = "sales"
duration = { exponential = { mean = "1h" } }
arrivals = { poisson = { per_hour = 1.5 } }
"#;

fn parse_ok(text: &str) -> Scenario {
    parse(text, Path::new("s.toml"), &[]).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_err(text: &str) -> ScenarioError {
    parse(text, Path::new("s.toml"), &[]).expect_err("invalid scenario")
}

fn single(text: &str) -> Problem {
    let e = parse_err(text);
    assert_eq!(e.problems.len(), 1, "{e}");
    e.problems[0].clone()
}

#[test]
fn valid_scenario_builds_groups_before_machines() {
    let s = parse_ok(VALID);
    assert_eq!(s.name, "s");
    let t: Vec<(&str, TargetKind)> = s
        .spec
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.kind))
        .collect();
    assert_eq!(
        t,
        vec![
            ("sales", TargetKind::MachineGroup),
            ("solo", TargetKind::Machine)
        ]
    );
    assert_eq!(
        s.spec.targets[0].run_timeout,
        Some(rpasim_core::SimDuration::from_hours(24))
    );
    assert_eq!(s.spec.targets[1].run_timeout, None);
    assert_eq!(s.spec.machines[0].bots, 2);
    assert!(
        matches!(s.spec.flows[0].arrivals, ArrivalProcess::Poisson { per_hour, .. } if per_hour == 1.5)
    );
}

#[test]
fn syntax_errors_give_line_and_column() {
    let p = single("[simulation]\nseed = 7\nhorizon = \"2d\n");
    // Where the closing quote was expected: the end of line 3.
    assert_eq!((p.line, p.column), (Some(3), Some(14)), "{p}");
    assert!(
        p.to_string().starts_with("s.toml:3:14: invalid TOML"),
        "{p}"
    );
}

#[test]
fn unknown_keys_are_errors_at_their_line() {
    let text = VALID.replace("bots = 2", "bots = 2\ncolour = \"red\"");
    let p = single(&text);
    assert_eq!((p.line, p.column), (Some(12), Some(1)), "{p}");
    assert_eq!(p.key.as_deref(), Some("machines.vm-01.colour"), "{p}");
    assert!(p.message.contains("unknown field `colour`"), "{p}");
}

#[test]
fn unknown_target_names_the_flow_and_suggests() {
    let p = single(&VALID.replace("target = \"sales\"", "target = \"sale\""));
    assert_eq!(p.key.as_deref(), Some("flows.invoices.target"));
    assert_eq!(p.line, Some(18));
    assert!(p.message.contains("did you mean \"sales\""), "{p}");
}

#[test]
fn grouped_machine_is_not_a_target() {
    let p = single(&VALID.replace("target = \"sales\"", "target = \"vm-01\""));
    assert!(p.message.contains("target \"sales\""), "{p}");
}

#[test]
fn duplicate_names_are_reported() {
    let p = single(&VALID.replace("name = \"solo\"", "name = \"sales\""));
    assert_eq!(p.key.as_deref(), Some("machines.sales.name"));
    assert_eq!(p.line, Some(14));
}

#[test]
fn bots_outside_one_to_ten() {
    let p = single(&VALID.replace("bots = 2", "bots = 11"));
    assert_eq!(p.key.as_deref(), Some("machines.vm-01.bots"));
    assert!(p.message.contains("1 to 10"), "{p}");
    let p = single(&VALID.replace("bots = 2", "bots = 0"));
    assert_eq!(p.line, Some(11));
}

#[test]
fn groups_over_fifty_machines() {
    let mut text = VALID.to_string();
    for i in 0..50 {
        text.push_str(&format!(
            "\n[[machines]]\nname = \"m{i}\"\ngroup = \"sales\"\n"
        ));
    }
    let p = single(&text);
    assert_eq!(p.key.as_deref(), Some("machine_groups.sales.name"));
    assert!(p.message.contains("51 machines"), "{p}");
}

#[test]
fn non_positive_rates_and_durations() {
    let p = single(&VALID.replace("per_hour = 1.5", "per_hour = 0"));
    assert_eq!(
        p.key.as_deref(),
        Some("flows.invoices.arrivals.poisson.per_hour")
    );
    let p = single(&VALID.replace("mean = \"1h\"", "mean = \"0s\""));
    assert_eq!(
        p.key.as_deref(),
        Some("flows.invoices.duration.exponential.mean")
    );
}

#[test]
fn malformed_durations_point_at_the_value() {
    let p = single(&VALID.replace("horizon = \"2d\"", "horizon = \"2 fortnights\""));
    assert_eq!(
        (p.line, p.key.as_deref()),
        (Some(3), Some("simulation.horizon")),
        "{p}"
    );
    assert!(p.message.contains("\"90s\""), "{p}");
    let p = single(&VALID.replace("horizon = \"2d\"", "horizon = 48"));
    assert!(p.message.contains("no unit"), "{p}");
}

#[test]
fn several_problems_are_reported_together() {
    let text = VALID
        .replace("bots = 2", "bots = 20")
        .replace("target = \"sales\"", "target = \"nowhere\"");
    assert_eq!(parse_err(&text).problems.len(), 2);
}

#[test]
fn overrides_apply_and_are_validated() {
    let set = |s: &str| s.parse::<Override>().expect("valid override");
    let s = parse(
        VALID,
        Path::new("s.toml"),
        &[set("simulation.seed=9"), set("machines.vm-01.bots=3")],
    )
    .expect("valid");
    assert_eq!((s.spec.seed, s.spec.machines[0].bots), (9, 3));
    let e = parse(VALID, Path::new("s.toml"), &[set("machines.vm-01.bots=30")])
        .expect_err("too many bots");
    assert!(
        e.to_string()
            .contains("set by --set machines.vm-01.bots=30"),
        "{e}"
    );
    let e =
        parse(VALID, Path::new("s.toml"), &[set("simulation.sead=9")]).expect_err("unknown key");
    assert!(e.to_string().contains("unknown field `sead`"), "{e}");
}

#[test]
fn arrival_processes_are_exclusive() {
    let p = single(&VALID.replace(
        "arrivals = { poisson = { per_hour = 1.5 } }",
        "arrivals = { every = \"1h\", cron = \"0 2 * * *\" }",
    ));
    assert!(p.message.contains("cron and every"), "{p}");
    let p = single(&VALID.replace(
        "arrivals = { poisson = { per_hour = 1.5 } }",
        "arrivals = { cron = \"0 25 * * *\" }",
    ));
    assert_eq!(p.key.as_deref(), Some("flows.invoices.arrivals.cron"));
}

#[test]
fn profiles_need_24_and_7_multipliers() {
    let p = single(&VALID.replace("per_hour = 1.5 }", "per_hour = 1.5, daily = [1, 1] }"));
    assert_eq!(
        p.key.as_deref(),
        Some("flows.invoices.arrivals.poisson.daily")
    );
    assert!(p.message.contains("exactly 7"), "{p}");
}

#[test]
fn trace_errors_name_the_trace_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("t.csv"), "arrival_s\n10\nlater\n").expect("write");
    let text = VALID.replace(
        "arrivals = { poisson = { per_hour = 1.5 } }",
        "arrivals = { trace = \"t.csv\" }",
    );
    let e = parse(&text, &dir.path().join("s.toml"), &[]).expect_err("bad trace");
    let p = &e.problems[0];
    assert!(p.file.ends_with("t.csv"), "{p}");
    assert_eq!(p.line, Some(3));
    assert_eq!(p.key.as_deref(), Some("flows.invoices.arrivals.trace"));
}
