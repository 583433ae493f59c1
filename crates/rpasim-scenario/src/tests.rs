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
fn machines_find_their_group_and_environment_by_name() {
    let machine = |name: &str, rest: &str| format!("[[machines]]\nname = \"{name}\"\n{rest}\n");
    let groups = "[[machine_groups]]\nname = \"a\"\n\n[[machine_groups]]\nname = \"b\"\n\n";
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n{groups}{}{}{}",
        machine("m1", "group = \"b\""),
        machine("m2", "group = \"a\""),
        machine("m3", "group = \"b\"\nenvironment = \"default\"")
    );
    let s = parse_ok(&text);
    let pools: Vec<usize> = s.spec.machines.iter().map(|m| m.target.index()).collect();
    assert_eq!(pools, [1, 0, 1]);
    // A group or environment nobody declared is named in the error.
    let p = single(&text.replace("group = \"a\"", "group = \"c\""));
    assert_eq!(p.key.as_deref(), Some("machines.m2.group"));
    assert!(p.message.contains("unknown machine group \"c\""), "{p}");
    let p = single(&text.replace("\"default\"", "\"prod\""));
    assert_eq!(p.key.as_deref(), Some("machines.m3.environment"));
    assert!(p.message.contains("unknown environment \"prod\""), "{p}");
    // Two groups of one name are an error of their own, and only that:
    // machines joining the name find a group.
    let twice = text
        .replace("name = \"b\"", "name = \"a\"")
        .replace("group = \"b\"", "group = \"a\"");
    let p = single(&twice);
    assert!(p.message.contains("duplicate"), "{p}");
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

/// TOML's integers are 64-bit signed: a larger one is refused where the
/// `toml` crate would read it into a `u64` key, as `--set`, sweeps and
/// editors refuse it.
#[test]
fn integers_beyond_toml_s_are_refused_at_their_place() {
    let largest = VALID.replace("seed = 7", "seed = 9223372036854775807");
    assert_eq!(parse_ok(&largest).spec.seed, i64::MAX as u64);
    let p = single(&VALID.replace("seed = 7", "seed = 18446744073709551615"));
    assert_eq!((p.line, p.column), (Some(2), Some(8)), "{p}");
    assert!(
        p.to_string().contains(
            "simulation.seed: 18446744073709551615 is beyond TOML's integers; expected at \
             most 9223372036854775807"
        ),
        "{p}"
    );
    let limit = format!("{VALID}\n[limits]\nmax_output_mb = 9223372036854775808\n");
    let p = single(&limit);
    assert!(
        p.to_string()
            .contains("limits.max_output_mb: 9223372036854775808"),
        "{p}"
    );
    let event = format!(
        "{VALID}\n[[events]]\nat = \"1h\"\nkind = \"move_to_top\"\ntarget = \"invoices\"\n\
         run = 10000000000000000000\n"
    );
    let p = single(&event);
    assert!(
        p.to_string()
            .contains("events[0].run: 10000000000000000000 is beyond"),
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

/// Messages that list names list ten and the count: a scenario may have
/// hundreds of environments, and each entry without one said all of them.
#[test]
fn a_list_of_names_in_a_message_is_bounded() {
    let environments: String = (0..12)
        .map(|e| format!("\n[[environments]]\nname = \"env{e:02}\"\n"))
        .collect();
    let e = parse_err(&format!("{VALID}{environments}"));
    let p = &e.problems[0];
    assert_eq!(
        p.key.as_deref(),
        Some("machine_groups.sales.environment"),
        "{p}"
    );
    assert_eq!(
        p.message,
        "required when there are several environments (env00, env01, env02, env03, env04, \
         env05, env06, env07, env08, env09, ... (12 in all))"
    );
    assert_eq!(error::first_ten(&["a", "b"]), "a, b");
}

/// Text given directly (not read from a file) is bounded as a file is.
#[test]
fn text_beyond_a_file_s_limit_is_refused_before_it_is_read() {
    let most = input::MAX_SCENARIO_BYTES as usize;
    let text = format!("{VALID}{}", "#".repeat(most - VALID.len()));
    assert!(parse(&text, Path::new("s.toml"), &[]).is_ok());
    let p = single(&format!("{text}#"));
    assert_eq!(
        p.message,
        format!(
            "the scenario has {} bytes, more than the 8 MB rpasim reads",
            most + 1
        )
    );
    let set: Override = "simulation.name=\"xy\"".parse().expect("valid");
    let e = parse(&text, Path::new("s.toml"), &[set]).expect_err("beyond with the override");
    assert_eq!(
        e.problems[0].message,
        format!(
            "the scenario has {} bytes with its overrides, more than the 8 MB rpasim reads",
            most + 4
        )
    );
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

/// Months and years have no fixed length, and "1M" (a month to humantime)
/// is one key from "1m"; a duration that rounds to 0 ms is not one.
#[test]
fn months_years_and_less_than_a_millisecond_are_refused() {
    let horizon = |h: &str| VALID.replace("horizon = \"2d\"", &format!("horizon = \"{h}\""));
    for (h, says) in [
        ("1M", "\"M\" is a month, which has no fixed length"),
        ("2 months", "\"months\" is a month"),
        (
            "1y",
            "\"y\" is a year, which has no fixed length (365.25 days",
        ),
        ("1year 2d", "\"year\" is a year"),
        ("400us", "less than half a millisecond"),
    ] {
        let p = single(&horizon(h));
        assert_eq!(p.key.as_deref(), Some("simulation.horizon"), "{p}");
        assert!(p.message.contains(says), "{h}: {p}");
    }
    for (h, days) in [("1m", 0), ("30d", 30), ("2 weeks", 14), ("600us", 0)] {
        let s = parse_ok(&horizon(h));
        assert_eq!(s.spec.horizon.as_millis() / 86_400_000, days, "{h}");
    }
    assert_eq!(
        parse_duration("600us"),
        Ok(rpasim_core::SimDuration::from_millis(1))
    );
}

#[test]
fn several_problems_are_reported_together() {
    let text = VALID
        .replace("bots = 2", "bots = 20")
        .replace("target = \"sales\"", "target = \"nowhere\"");
    assert_eq!(parse_err(&text).problems.len(), 2);
}

/// Thousands of copies of one mistake: the first are listed in full, the
/// rest counted, so the answer is quick and the first problem on screen.
#[test]
fn problems_beyond_the_listed_ones_are_counted() {
    let mut text = VALID.to_string();
    let flows = build::LISTED_PROBLEMS + 7;
    for i in 0..flows {
        text.push_str(&format!(
            "\n[[flows]]\nname = \"f{i}\"\ntarget = \"sale\"\n\
             duration = {{ exponential = {{ mean = \"1h\" }} }}\n\
             arrivals = {{ poisson = {{ per_hour = 1 }} }}\n"
        ));
    }
    let e = parse_err(&text);
    assert_eq!(e.problems.len(), build::LISTED_PROBLEMS + 1, "{e}");
    let listed = &e.problems[..build::LISTED_PROBLEMS];
    for (i, p) in listed.iter().enumerate() {
        assert_eq!(p.key, Some(format!("flows.f{i}.target")));
        assert!(p.line.is_some(), "{p}");
        assert!(p.message.contains("did you mean \"sales\""), "{p}");
    }
    // Said at the first problem not listed: located like every other.
    let last = &e.problems[build::LISTED_PROBLEMS];
    assert_eq!(
        last.key,
        Some(format!("flows.f{}.target", build::LISTED_PROBLEMS))
    );
    assert!(
        last.line > listed[build::LISTED_PROBLEMS - 1].line,
        "{last}"
    );
    assert_eq!(
        last.message,
        format!(
            "7 more problems from here on are not listed (only the first {} are)",
            build::LISTED_PROBLEMS
        )
    );
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
            .contains("(overridden by machines.vm-01.bots=30)"),
        "{e}"
    );
    let e =
        parse(VALID, Path::new("s.toml"), &[set("simulation.sead=9")]).expect_err("unknown key");
    assert!(e.to_string().contains("unknown field `sead`"), "{e}");
    // An element of an array set by --set is the --set's, not the place of
    // the file's own array (its line and column were given).
    let text = VALID.replace(
        "per_hour = 1.5 }",
        "per_hour = 1.5, daily = [1, 1, 1, 1, 1, 1, 1] }",
    );
    let e = parse(
        &text,
        Path::new("s.toml"),
        &[set(
            "flows.invoices.arrivals.poisson.daily=[1,1,1,1,1,1,-1]",
        )],
    )
    .expect_err("a negative multiplier");
    assert_eq!(e.problems[0].line, None, "{e}");
    assert!(
        e.to_string().ends_with(
            "flows.invoices.arrivals.poisson.daily[6]: multipliers must be from 0 to 1000, got -1 \
             (overridden by flows.invoices.arrivals.poisson.daily=[1,1,1,1,1,1,-1])"
        ),
        "{e}"
    );
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
fn a_cron_pattern_that_never_fires_is_refused() {
    let with = |cron: &str| {
        VALID.replace(
            "arrivals = { poisson = { per_hour = 1.5 } }",
            &format!("arrivals = {{ cron = \"{cron}\" }}"),
        )
    };
    // Valid fields, but no February has a 30th and no April a 31st.
    for never in ["0 0 30 2 *", "15 6 31 4 *"] {
        let p = single(&with(never));
        assert_eq!(p.key.as_deref(), Some("flows.invoices.arrivals.cron"));
        assert!(p.message.contains("never fires"), "{p}");
    }
    // Rare is not never: the 29th of February, once in four years.
    parse(&with("0 0 29 2 *"), Path::new("s.toml"), &[]).expect("a leap day fires");
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
    let text = VALID.replace(
        "arrivals = { poisson = { per_hour = 1.5 } }",
        "arrivals = { trace = \"t.csv\" }",
    );
    // Separated by semicolons, with a decimal comma: the line and a hint.
    std::fs::write(
        dir.path().join("t.csv"),
        "arrival_s;duration_s\n10;60\n20,5;30\n",
    )
    .expect("write");
    let e = parse(&text, &dir.path().join("s.toml"), &[]).expect_err("a decimal comma");
    let p = &e.problems[0];
    assert_eq!(p.line, Some(3));
    assert!(
        p.message.contains("\"20,5\" (decimals after a point"),
        "{p}"
    );
    // The same rows with Unix and Windows line ends, and a blank line.
    for trace in [
        "arrival_s\n10\n\nlater\n",
        "arrival_s\r\n10\r\n\r\nlater\r\n",
    ] {
        std::fs::write(dir.path().join("t.csv"), trace).expect("write");
        let e = parse(&text, &dir.path().join("s.toml"), &[]).expect_err("bad trace");
        let p = &e.problems[0];
        assert!(p.file.ends_with("t.csv"), "{p}");
        assert_eq!(p.line, Some(4), "{trace:?}");
        assert_eq!(p.key.as_deref(), Some("flows.invoices.arrivals.trace"));
    }
    // Semicolons as Excel saves them, decimals with a point: read.
    std::fs::write(
        dir.path().join("t.csv"),
        "arrival_s;duration_s\n10;60\n20.5;30\n",
    )
    .expect("write");
    let s = parse(&text, &dir.path().join("s.toml"), &[]).expect("a semicolon-separated trace");
    let ArrivalProcess::Trace(times) = &s.spec.flows[0].arrivals else {
        panic!("a trace")
    };
    assert_eq!(times.len(), 2);
}

mod hosted {
    use super::*;
    use rpasim_core::model::{Action, ScaleIn, TargetKind};
    use rpasim_core::{SimDuration, SimTime};

    const HOSTED: &str = r#"[simulation]
horizon = "30d"

[[environments]]
name = "prod"
hosted_capacity = 6

[[hosted_groups]]
name = "finance"
committed_bots = 2
max_bots = 4
provisioning = { uniform = { min = "10m", max = "15m" } }

[[hosted_groups]]
name = "sales"
max_bots = 6
scale_in = "immediate"
expire_after_idle = "none"

[[hosted_machines]]
name = "hm-1"

[[flows]]
name = "invoices"
target = "finance"
duration = "20m"
arrivals = { poisson = { per_hour = 3 } }

[[events]]
at = "2d"
kind = "update_image"
target = "finance"
image = "win11-v2"
provisioning = "20m"

[[events]]
at = "3d"
kind = "restart"
target = "hm-1"
"#;

    #[test]
    fn hosted_groups_machines_and_events_build() {
        let s = parse_ok(HOSTED);
        let kinds: Vec<_> = s
            .spec
            .targets
            .iter()
            .map(|t| (t.name.as_str(), t.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("finance", TargetKind::HostedGroup),
                ("sales", TargetKind::HostedGroup),
                ("hm-1", TargetKind::HostedMachine)
            ]
        );
        assert_eq!(s.spec.environments[0].hosted_capacity, 6);
        let h = &s.spec.hosted_groups;
        assert_eq!(
            (h[0].committed_bots, h[0].max_bots, h[0].scale_in),
            (2, 4, ScaleIn::Warm)
        );
        assert_eq!(h[0].idle_cold_after, SimDuration::from_hours(3));
        assert_eq!(h[0].expire_after_idle, Some(SimDuration::from_days(28)));
        assert_eq!(
            (h[1].scale_in, h[1].expire_after_idle),
            (ScaleIn::Immediate, None)
        );
        let hm = s.spec.machines[0].hosted.as_ref().expect("hosted machine");
        assert_eq!(
            hm.delete_after_idle, None,
            "the environment has hosted add-ons"
        );
        assert_eq!(s.spec.events.len(), 2);
        assert_eq!(
            s.spec.events[1].at,
            SimTime::ZERO + SimDuration::from_days(3)
        );
        assert!(
            matches!(&s.spec.events[0].action, Action::UpdateImage { image, provisioning: Some(_), .. } if image == "win11-v2")
        );
        assert!(
            matches!(s.spec.events[1].action, Action::Restart { duration, .. } if duration == SimDuration::from_mins(5))
        );
    }

    #[test]
    fn hosted_machines_are_deleted_after_14_days_only_without_add_ons() {
        // The trial has no add-on: its hosted machine is deleted when idle.
        let text = HOSTED
            .replace("hosted_capacity = 6\n", "license = \"trial\"\n")
            .replace("[[hosted_groups]]\nname = \"finance\"\ncommitted_bots = 2\nmax_bots = 4\nprovisioning = { uniform = { min = \"10m\", max = \"15m\" } }\n", "")
            .replace("[[hosted_groups]]\nname = \"sales\"\nmax_bots = 6\nscale_in = \"immediate\"\nexpire_after_idle = \"none\"\n", "");
        let text = text[..text.find("[[flows]]").expect("flows")].to_string();
        let s = parse_ok(&text);
        let hm = s.spec.machines[0].hosted.as_ref().expect("hosted machine");
        assert_eq!(hm.delete_after_idle, Some(SimDuration::from_days(14)));
        // Without add-ons and without the trial, no hosted machine exists.
        let p = single(&text.replace("license = \"trial\"\n", ""));
        assert_eq!(p.key.as_deref(), Some("hosted_machines.hm-1.name"));
        assert!(p.message.contains("no hosted RPA add-ons"), "{p}");
        // The trial grants one hosted machine per tenant, apart from its
        // two hosted-group bots.
        let two = text.replace(
            "[[hosted_machines]]\nname = \"hm-1\"\n",
            "[[hosted_machines]]\nname = \"hm-1\"\n\n[[hosted_machines]]\nname = \"hm-2\"\n",
        );
        let p = single(&two);
        assert_eq!(p.key.as_deref(), Some("hosted_machines.hm-2.name"));
        assert!(p.message.contains("1 hosted machine per tenant"), "{p}");
    }

    #[test]
    fn trial_license_is_two_bots() {
        let s = parse_ok(
            &HOSTED
                .replace("hosted_capacity = 6", "license = \"trial\"")
                .replace("max_bots = 6", "max_bots = 2")
                .replace("max_bots = 4", "max_bots = 2")
                .replace("\n[[hosted_machines]]\nname = \"hm-1\"\n", "")
                .replace(
                    "[[events]]\nat = \"3d\"\nkind = \"restart\"\ntarget = \"hm-1\"\n",
                    "",
                ),
        );
        assert_eq!(s.spec.environments[0].hosted_capacity, 2);
        let p = single(&HOSTED.replace(
            "hosted_capacity = 6",
            "hosted_capacity = 6\nlicense = \"trial\"",
        ));
        assert!(p.message.contains("fixes hosted_capacity at 2"), "{p}");
        assert_eq!(p.key.as_deref(), Some("environments.prod.hosted_capacity"));
    }

    #[test]
    fn max_bots_over_fifty_or_over_capacity() {
        let p = single(
            &HOSTED
                .replace("max_bots = 6", "max_bots = 51")
                .replace("hosted_capacity = 6", "hosted_capacity = 60"),
        );
        assert_eq!(p.key.as_deref(), Some("hosted_groups.sales.max_bots"));
        assert!(p.message.contains("1 to 50"), "{p}");
        let p = single(&HOSTED.replace("max_bots = 6", "max_bots = 7"));
        assert_eq!(
            (p.key.as_deref(), p.line),
            (Some("hosted_groups.sales.max_bots"), Some(16))
        );
        assert!(
            p.message
                .contains("hosted capacity of environment \"prod\" (6)"),
            "{p}"
        );
    }

    #[test]
    fn committed_bots_within_max_and_capacity() {
        let p = single(&HOSTED.replace("committed_bots = 2", "committed_bots = 5"));
        assert_eq!(
            p.key.as_deref(),
            Some("hosted_groups.finance.committed_bots")
        );
        assert!(p.message.contains("more than max_bots (4)"), "{p}");
        // 2 + 4 committed plus one hosted machine > 6.
        let p = single(&HOSTED.replace("max_bots = 6\n", "max_bots = 6\ncommitted_bots = 4\n"));
        assert!(
            p.message
                .contains("committed bots (6) plus hosted machines (1) exceed"),
            "{p}"
        );
    }

    #[test]
    fn more_than_ten_hosted_groups() {
        let mut text = HOSTED.to_string();
        for i in 0..9 {
            text.push_str(&format!(
                "\n[[hosted_groups]]\nname = \"extra-{i}\"\nmax_bots = 1\n"
            ));
        }
        let p = single(&text);
        assert_eq!(p.key.as_deref(), Some("hosted_groups.extra-8.name"));
        assert!(p.message.contains("11 hosted groups, more than 10"), "{p}");
    }

    #[test]
    fn events_name_their_targets_and_kinds() {
        let p = single(&HOSTED.replace(
            "kind = \"update_image\"\ntarget = \"finance\"",
            "kind = \"update_image\"\ntarget = \"hm-1\"",
        ));
        assert_eq!(p.key.as_deref(), Some("events[0].target"));
        assert!(p.message.contains("unknown hosted group \"hm-1\""), "{p}");
        let p = single(&HOSTED.replace("kind = \"restart\"", "kind = \"maintenance\""));
        assert!(
            p.message.contains("kind \"maintenance\" needs `for`"),
            "{p}"
        );
        let p = single(&HOSTED.replace("kind = \"restart\"", "kind = \"restart\"\nimage = \"x\""));
        assert_eq!(p.key.as_deref(), Some("events[1].image"));
        assert!(
            p.message.contains("does not apply to kind \"restart\""),
            "{p}"
        );
        let p = single(&HOSTED.replace("kind = \"restart\"", "kind = \"restrat\""));
        assert!(p.message.contains("did you mean \"restart\""), "{p}");
        let p = single(&HOSTED.replace("at = \"3d\"", "at = \"31d\""));
        assert!(p.message.contains("after the horizon"), "{p}");
    }

    #[test]
    fn names_are_shared_with_machines_and_groups() {
        let e = parse_err(&HOSTED.replace("name = \"hm-1\"", "name = \"sales\""));
        // The restart event now names a machine that does not exist: a second problem.
        assert_eq!(e.problems.len(), 2, "{e}");
        let p = &e.problems[0];
        assert_eq!(p.key.as_deref(), Some("hosted_machines.sales.name"));
        assert!(p.message.contains("also in hosted_groups"), "{p}");
    }
}

mod operations {
    use super::*;

    const OPS: &str = r#"[simulation]
horizon = "10d"

[[users]]
name = "alice"

[[users]]
name = "bob"

[[machine_groups]]
name = "sales"
owner = "alice"
certificate_expires = "5d"

[[machines]]
name = "vm-01"
group = "sales"
version = "2.25"
mtbf = "3d"
repair = { exponential = { mean = "1h" } }

[[machines]]
name = "pc"
owner = "bob"

[[shares]]
target = "sales"
user = "bob"
role = "user"

[[flows]]
name = "invoices"
target = "sales"
owner = "bob"
duration = "10m"
arrivals = { poisson = { per_hour = 2 } }

[[flows]]
name = "desk"
target = "pc"
mode = "attended"
duration = "5m"
arrivals = { every = "1h" }

[[events]]
at = "1d"
kind = "maintenance"
target = "sales"
for = "4h"

[[events]]
at = "2d"
kind = "offline"
target = "vm-01"
for = "30m"
requeue = true

[[events]]
at = "3d"
kind = "set"
key = "machines.pc.bots"
value = 3
"#;

    #[test]
    fn operations_scenario_builds() {
        let s = parse_ok(OPS);
        assert_eq!(s.spec.events.len(), 3);
        assert!(s.spec.flows[1].attended);
        assert!(s.spec.machines[0].options.outages.is_some());
        assert!(s.spec.targets[0].options.certificate.is_some());
    }

    #[test]
    fn attended_runs_on_a_group_are_an_error() {
        let p = single(
            &OPS.replace("target = \"pc\"\nmode", "target = \"sales\"\nmode")
                .replace("owner = \"bob\"\n\n[[shares]]", "\n[[shares]]"),
        );
        assert_eq!(p.key.as_deref(), Some("flows.desk.mode"));
        assert!(p.message.contains("not a group"), "{p}");
    }

    #[test]
    fn machine_options_are_checked() {
        let p = single(&OPS.replace("version = \"2.25\"", "version = \"two\""));
        assert_eq!(p.key.as_deref(), Some("machines.vm-01.version"));
        let p = single(&OPS.replace("repair = { exponential = { mean = \"1h\" } }\n", ""));
        assert!(p.message.contains("need `repair` too"), "{p}");
        let p = single(&OPS.replace("for = \"30m\"", "for = \"-30m\""));
        assert_eq!(p.key.as_deref(), Some("events[1].for"));
    }

    #[test]
    fn access_is_checked() {
        let p = single(&OPS.replace(
            "owner = \"bob\"\nduration = \"10m\"",
            "owner = \"carol\"\nduration = \"10m\"",
        ));
        assert!(p.message.contains("unknown user \"carol\""), "{p}");
        let e = parse_err(&OPS.replace(
            "user = \"bob\"\nrole = \"user\"",
            "user = \"alice\"\nrole = \"user\"",
        ));
        assert!(
            e.to_string().contains(
                "\"bob\" has no access to the flow's target (owner: alice; shared with: alice)"
            ),
            "{e}"
        );
        let p = single(&OPS.replace("role = \"user\"", "role = \"admin\""));
        assert_eq!(p.key.as_deref(), Some("shares[0].role"));
    }

    #[test]
    fn revoking_needs_a_share() {
        let revoke = |user: &str| {
            format!(
                "{OPS}\n[[events]]\nat = \"4d\"\nkind = \"access\"\ntarget = \"sales\"\nuser = \"{user}\"\naccess = \"none\"\n"
            )
        };
        let s = parse_ok(&revoke("bob"));
        assert!(
            matches!(&s.spec.events[3].action, rpasim_core::model::Action::RevokeAccess { flows } if flows.len() == 1)
        );
        let p = single(&revoke("alice"));
        assert!(
            p.message.contains("owner's access cannot be revoked"),
            "{p}"
        );
        // Bob's flows on the group lose access, his flow on his own
        // machine and alice's on the group keep it: indexes 0 and 3.
        let more = "[[flows]]\nname = \"own\"\ntarget = \"pc\"\nowner = \"bob\"\nduration = \"5m\"\n\
            arrivals = { every = \"1h\" }\n\n[[flows]]\nname = \"again\"\ntarget = \"sales\"\n\
            owner = \"bob\"\nduration = \"5m\"\narrivals = { every = \"1h\" }\n\n[[flows]]\n\
            name = \"hers\"\ntarget = \"sales\"\nowner = \"alice\"\nduration = \"5m\"\n\
            arrivals = { every = \"1h\" }\n\n[[events]]";
        let s = parse_ok(&revoke("bob").replacen("[[events]]", more, 1));
        let revoked = s.spec.events.iter().find_map(|e| match &e.action {
            rpasim_core::model::Action::RevokeAccess { flows } => Some(flows.clone()),
            _ => None,
        });
        let [invoices, again] = [0, 3].map(rpasim_core::FlowId::from_index);
        assert_eq!(revoked, Some(vec![invoices, again]));
    }

    #[test]
    fn set_events_are_checked() {
        let p = single(&OPS.replace("key = \"machines.pc.bots\"", "key = \"machines.pc.colour\""));
        assert_eq!(p.key.as_deref(), Some("events[2].key"));
        assert!(p.message.contains("supported:"), "{p}");
        let p = single(&OPS.replace("value = 3", "value = 11"));
        assert_eq!(p.key.as_deref(), Some("events[2].value"));
        let p = single(&OPS.replace("value = 3", "value = 2.5"));
        assert!(p.message.contains("1 to 10"), "{p}");
        let p = single(&OPS.replace(
            "key = \"machines.pc.bots\"",
            "key = \"flows.desk.arrivals.poisson.per_hour\"",
        ));
        assert!(p.message.contains("no Poisson arrivals"), "{p}");
    }

    #[test]
    fn hosted_set_events_are_checked_in_time_order() {
        let hosted = "[simulation]\nhorizon = \"10d\"\n\n[[environments]]\nname = \"e\"\nhosted_capacity = 4\n\n\
            [[hosted_groups]]\nname = \"h\"\nmax_bots = 4\ncommitted_bots = 2\n";
        let set = |at: &str, key: &str, value: u32| {
            format!(
                "\n[[events]]\nat = \"{at}\"\nkind = \"set\"\nkey = \"{key}\"\nvalue = {value}\n"
            )
        };
        // Raising capacity first, then max_bots: fine.
        parse_ok(&format!(
            "{hosted}{}{}",
            set("1d", "environments.e.hosted_capacity", 8),
            set("2d", "hosted_groups.h.max_bots", 8)
        ));
        // The other way round: max_bots above capacity at 1d.
        let p = single(&format!(
            "{hosted}{}{}",
            set("2d", "environments.e.hosted_capacity", 8),
            set("1d", "hosted_groups.h.max_bots", 8)
        ));
        assert_eq!(p.key.as_deref(), Some("events[1].value"));
        assert!(
            p.message
                .contains("max_bots (8) would exceed the hosted capacity (4)"),
            "{p}"
        );
        let p = single(&format!(
            "{hosted}{}",
            set("1d", "hosted_groups.h.committed_bots", 5)
        ));
        assert!(
            p.message
                .contains("committed_bots (5) would exceed max_bots (4)"),
            "{p}"
        );
    }

    #[test]
    fn a_hosted_set_event_is_checked_in_its_own_environment() {
        let envs = "[simulation]\nhorizon = \"10d\"\n\n\
            [[environments]]\nname = \"a\"\nhosted_capacity = 4\n\n\
            [[environments]]\nname = \"b\"\nhosted_capacity = 6\n\n\
            [[hosted_groups]]\nname = \"a1\"\nenvironment = \"a\"\nmax_bots = 4\n\n\
            [[hosted_groups]]\nname = \"b1\"\nenvironment = \"b\"\nmax_bots = 3\ncommitted_bots = 2\n\n\
            [[hosted_groups]]\nname = \"b2\"\nenvironment = \"b\"\nmax_bots = 3\ncommitted_bots = 2\n";
        let set = |key: &str, value: u32| {
            format!("\n[[events]]\nat = \"1d\"\nkind = \"set\"\nkey = \"{key}\"\nvalue = {value}\n")
        };
        // A group of b committing more: b's commitments, 3 + 2, within 6.
        parse_ok(&format!(
            "{envs}{}",
            set("hosted_groups.b1.committed_bots", 3)
        ));
        // b's capacity below its commitments (2 + 2): reported at the event.
        let p = single(&format!(
            "{envs}{}",
            set("environments.b.hosted_capacity", 3)
        ));
        assert_eq!(p.key.as_deref(), Some("events[0].value"));
        assert!(
            p.message.contains(
                "at 1d: commitments and hosted machines (4) would exceed the hosted capacity (3)"
            ),
            "{p}"
        );
        // A problem the scenario starts with (a1 above a's capacity) is
        // told once, where it is written, not again at an event of b.
        let start = envs.replace(
            "name = \"a1\"\nenvironment = \"a\"\nmax_bots = 4",
            "name = \"a1\"\nenvironment = \"a\"\nmax_bots = 5",
        );
        let p = single(&format!("{start}{}", set("hosted_groups.b1.max_bots", 4)));
        assert_eq!(p.key.as_deref(), Some("hosted_groups.a1.max_bots"));
    }

    #[test]
    fn event_targets_and_runs_are_checked() {
        let p = single(&OPS.replace(
            "kind = \"maintenance\"\ntarget = \"sales\"",
            "kind = \"maintenance\"\ntarget = \"salse\"",
        ));
        assert!(p.message.contains("did you mean \"sales\""), "{p}");
        let p = single(&format!(
            "{OPS}\n[[events]]\nat = \"1d\"\nkind = \"move_to_top\"\ntarget = \"invoices\"\nrun = 0\n"
        ));
        assert!(p.message.contains("counted from 1"), "{p}");
        let p = single(&format!(
            "{OPS}\n[[events]]\nat = \"1d\"\nkind = \"access\"\ntarget = \"sales\"\nuser = \"bob\"\naccess = \"co-owner\"\n"
        ));
        assert!(p.message.contains("only \"none\""), "{p}");
        let p = single(&format!(
            "{OPS}\n[[events]]\nat = \"1d\"\nkind = \"offline\"\ntarget = \"sales\"\nfor = \"1h\"\n"
        ));
        assert!(p.message.contains("unknown machine"), "{p}");
    }
}

/// The scenario's reading as it is, and with every problem located in the
/// whole document (as before problems were located entry by entry): the
/// same problems, worded and placed alike.
fn located_alike(text: &str) -> Option<ScenarioError> {
    let source = Path::new("s.toml");
    let as_is = scenario(&Locator::new(source, text, &[]), &Default::default()).err();
    let whole = Locator {
        entries: OnceCell::from(None),
        ..Locator::new(source, text, &[])
    };
    let in_whole = scenario(&whole, &Default::default()).err();
    assert_eq!(
        as_is.as_ref().map(ToString::to_string),
        in_whole.as_ref().map(ToString::to_string),
        "{text}"
    );
    as_is
}

#[test]
fn problems_inside_entries_are_located_as_in_the_whole_document() {
    let broken = [
        VALID.replace("target = \"sales\"", "target = \"nowhere\""),
        VALID.replace("bots = 2", "bots = 0"),
        VALID.replace("name = \"solo\"", "name = \"vm-01\""),
        VALID.replace("name = \"solo\"", "name = \"solo\"\nbots = -1"),
        VALID.replace("per_hour = 1.5", "per_hour = -1"),
        VALID.replace("mean = \"1h\"", "mean = \"soon\""),
        VALID.replace("name = \"invoices\"", "colour = \"red\""),
        format!("{VALID}\n[[machines]]\nbots = 1\n"),
        format!(
            "{VALID}\n[[flows]]\nname = \"x\"\ntarget = \"solo\"\nduration = \"1m\"\narrivals = {{ every = \"1h\" }}\npriority = \"urgent\"\n"
        ),
    ];
    for text in &broken {
        let e = located_alike(text).expect("a problem");
        assert!(e.problems.iter().all(|p| p.key.is_some()), "{e}");
    }
    // The fuzz campaign's mutants of the bundled scenarios.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut refused = 0;
    for file in [
        "quickstart.toml",
        "month-end.toml",
        "outages.toml",
        "shared-desk.toml",
    ] {
        let text = std::fs::read_to_string(root.join(file)).expect("a bundled scenario");
        for seed in 0..150 {
            let mutant = rpasim_fuzz::mutate(&text, seed).text;
            refused += usize::from(located_alike(&mutant).is_some());
        }
    }
    assert!(refused > 100, "{refused} mutants refused");
}

#[test]
fn a_path_into_an_entry_is_located_in_that_entry_alone() {
    let text = format!("{VALID}\n[[machines]]\nbots = 3\n");
    let source = Path::new("s.toml");
    let by_entries = Locator::new(source, &text, &[]);
    let whole = Locator {
        entries: OnceCell::from(None),
        ..Locator::new(source, &text, &[])
    };
    let paths = [
        KeyPath::root("flows").index(0).key("target"),
        KeyPath::root("machines").index(2).key("bots"),
        KeyPath::root("machines")
            .index(2)
            .key("nothing")
            .key("deeper"),
        KeyPath::root("machines").index(1),
    ];
    let key = |path| by_entries.key(path, by_entries.in_entry(path).as_ref());
    for path in &paths {
        let entry = by_entries.in_entry(path);
        assert!(entry.is_some(), "{path:?}");
        assert_eq!(key(path), whole.key(path, None));
        assert_eq!(
            by_entries.offset(path, entry.as_ref()),
            whole.offset(path, None),
            "{path:?}"
        );
    }
    assert_eq!(key(&paths[0]), "flows.invoices.target");
    assert_eq!(key(&paths[1]), "machines[2].bots");
    // Outside the entries, and past the last one: the whole document.
    assert!(
        by_entries
            .in_entry(&KeyPath::root("simulation").key("seed"))
            .is_none()
    );
    assert!(
        by_entries
            .in_entry(&KeyPath::root("machines").index(3))
            .is_none()
    );
    assert!(whole.in_entry(&paths[0]).is_none());
}
