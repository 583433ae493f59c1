//! Operations and faults, item by item: scenarios in TOML with
//! hand-computed timelines, exact to the millisecond.

use crate::common;

use common::{Collect, scenario, simulate};
use rpasim_core::observer::{Notable, NotableKind};
use rpasim_core::{Observer, Outcome, RunRecord, SimTime};

/// Runs a scenario and returns its records in arrival order.
fn runs(text: &str) -> Vec<RunRecord> {
    simulate(&scenario(text), Collect::default()).0.runs
}

fn minutes(t: Option<SimTime>) -> Option<u64> {
    t.map(|t| t.as_millis() / 60_000)
}

/// (outcome, start, end) in minutes of every run.
fn timeline(runs: &[RunRecord]) -> Vec<(Outcome, Option<u64>, Option<u64>)> {
    runs.iter()
        .map(|r| (r.outcome, minutes(r.start), minutes(r.end)))
        .collect()
}

fn machine_of(text: &str, r: &RunRecord) -> String {
    let s = scenario(text);
    match r.placement.map(|p| p.host) {
        Some(rpasim_core::run::Host::Machine(m)) => s.spec.machines[m.index()].name.clone(),
        other => format!("{other:?}"),
    }
}

/// A flow on `target` with constant `duration` runs at the given times.
fn flow(name: &str, target: &str, duration: &str, at: &[&str]) -> String {
    let at: Vec<String> = at.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "\n[[flows]]\nname = \"{name}\"\ntarget = \"{target}\"\nduration = \"{duration}\"\narrivals = {{ at = [{}] }}\n",
        at.join(", ")
    )
}

const ONE_MACHINE: &str = "[simulation]\nhorizon = \"1d\"\n\n[[machines]]\nname = \"pc\"\n";
const TWO_IN_A_GROUP: &str = "[simulation]\nhorizon = \"1d\"\n\n[[machine_groups]]\nname = \"g\"\n\n[[machines]]\nname = \"m1\"\ngroup = \"g\"\n\n[[machines]]\nname = \"m2\"\ngroup = \"g\"\n";

fn event(kind: &str, target: &str, at: &str, extra: &str) -> String {
    format!("\n[[events]]\nat = \"{at}\"\nkind = \"{kind}\"\ntarget = \"{target}\"\n{extra}")
}

// ----- 1. maintenance --------------------------------------------------------

#[test]
fn standalone_machine_in_maintenance_keeps_runs_queued_and_finishes_running_ones() {
    let text = format!(
        "{ONE_MACHINE}{}{}{}",
        flow("long", "pc", "2h", &["30m"]),
        flow("late", "pc", "10m", &["2h"]),
        event("maintenance", "pc", "1h", "for = \"2h\"\n")
    );
    // "long" runs 0:30-2:30 through the window; "late" waits for its end at 3:00.
    assert_eq!(
        timeline(&runs(&text)),
        vec![
            (Outcome::Succeeded, Some(30), Some(150)),
            (Outcome::Succeeded, Some(180), Some(190))
        ]
    );
}

#[test]
fn a_grouped_machine_in_maintenance_sends_runs_to_the_other() {
    let text = format!(
        "{TWO_IN_A_GROUP}{}{}{}",
        flow("busy", "g", "5h", &["0s"]),
        flow("late", "g", "10m", &["2h"]),
        event("maintenance", "m2", "1h", "for = \"2h\"\n")
    );
    let r = runs(&text);
    // "busy" holds one machine; the other is in maintenance at 2h: but
    // "busy" was placed at 0 on one machine; "late" must go to the one that
    // is not in maintenance, or wait.
    let busy_on = machine_of(&text, &r[0]);
    if busy_on == "m1" {
        // m1 busy, m2 in maintenance: wait until 3h.
        assert_eq!(minutes(r[1].start), Some(180));
        assert_eq!(machine_of(&text, &r[1]), "m2");
    } else {
        // m2 busy (not cut short by its maintenance), m1 free: at once.
        assert_eq!(
            (minutes(r[1].start), machine_of(&text, &r[1])),
            (Some(120), "m1".to_string())
        );
        assert_eq!(
            minutes(r[0].end),
            Some(300),
            "a run in progress is not cut short"
        );
    }
}

#[test]
fn grouped_machine_in_maintenance_leaves_the_other_machine_serving() {
    // Both machines free; m1 in maintenance from 1h to 3h: a run at 2h
    // starts at once on m2.
    let text = format!(
        "{TWO_IN_A_GROUP}{}{}",
        flow("late", "g", "10m", &["2h"]),
        event("maintenance", "m1", "1h", "for = \"2h\"\n")
    );
    let r = runs(&text);
    assert_eq!(
        (minutes(r[0].start), machine_of(&text, &r[0])),
        (Some(120), "m2".to_string())
    );
}

#[test]
fn group_maintenance_holds_every_machine_and_its_end_returns_them_all() {
    // Group window 1h-3h. m1's own window from 30m to 5h is closed by the
    // group's end at 3h; m2's window at 2h (during the group's) is ignored.
    let text = format!(
        "{TWO_IN_A_GROUP}{}{}{}{}",
        flow("f", "g", "20m", &["2h", "2h", "3h30m", "3h30m"]),
        event("maintenance", "g", "1h", "for = \"2h\"\n"),
        event("maintenance", "m1", "30m", "for = \"4h30m\"\n"),
        event("maintenance", "m2", "2h", "for = \"3h\"\n")
    );
    let r = runs(&text);
    let starts: Vec<_> = r.iter().map(|r| minutes(r.start)).collect();
    // Both queued runs start at 3h (both machines back), and at 3h30 both
    // machines take runs again, although m1's and m2's own windows would
    // have lasted until 5h.
    assert_eq!(starts, vec![Some(180), Some(180), Some(210), Some(210)]);
}

#[test]
fn overlapping_windows_on_a_machine_merge() {
    let text = format!(
        "{ONE_MACHINE}{}{}{}",
        flow("f", "pc", "10m", &["90m"]),
        event("maintenance", "pc", "1h", "for = \"2h\"\n"),
        event("maintenance", "pc", "2h", "for = \"2h\"\n")
    );
    assert_eq!(
        minutes(runs(&text)[0].start),
        Some(240),
        "in maintenance until the last window ends"
    );
}

#[test]
fn a_hosted_group_in_maintenance_takes_no_run_and_provisions_no_bot() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[environments]]\nname = \"e\"\nhosted_capacity = 2\n\n\
         [[hosted_groups]]\nname = \"h\"\nmax_bots = 2\n{}{}",
        flow("f", "h", "10m", &["1h"]),
        event("maintenance", "h", "30m", "for = \"1h\"\n")
    );
    // Provisioning starts when the window ends (1h30), 10 minutes.
    assert_eq!(minutes(runs(&text)[0].start), Some(100));
}

// ----- 2. outages -------------------------------------------------------------

#[test]
fn an_offline_machine_loses_its_running_run_and_keeps_queued_ones_waiting() {
    let text = format!(
        "{ONE_MACHINE}{}{}{}",
        flow("running", "pc", "2h", &["30m"]),
        flow("queued", "pc", "10m", &["1h30m"]),
        event("offline", "pc", "1h", "for = \"2h\"\n")
    );
    assert_eq!(
        timeline(&runs(&text)),
        vec![
            (Outcome::MachineLost, Some(30), Some(60)),
            (Outcome::Succeeded, Some(180), Some(190))
        ]
    );
}

#[test]
fn a_requeued_run_starts_again_on_another_machine_and_counts_its_attempts() {
    // Round robin: "long" goes to m1, "short" to m2. m1 goes offline at 30m
    // for 2h; "long" is re-queued and starts on m2 when "short" ends at 1h.
    let text = format!(
        "{}{}{}{}",
        TWO_IN_A_GROUP.replace(
            "name = \"g\"\n",
            "name = \"g\"\nselection = \"round_robin\"\n"
        ),
        flow("long", "g", "3h", &["0s"]),
        flow("short", "g", "1h", &["0s"]),
        "\n[[events]]\nat = \"30m\"\nkind = \"offline\"\ntarget = \"m1\"\nfor = \"2h\"\nrequeue = true\n"
    );
    let r = runs(&text);
    assert_eq!(
        timeline(&r),
        vec![
            (Outcome::Succeeded, Some(60), Some(240)),
            (Outcome::Succeeded, Some(0), Some(60))
        ]
    );
    assert_eq!(
        (r[0].attempts, machine_of(&text, &r[0])),
        (2, "m2".to_string())
    );
    assert_eq!(r[1].attempts, 1);
}

#[test]
fn random_outages_are_seeded_and_logged() {
    let text = format!(
        "{ONE_MACHINE}mtbf = \"6h\"\nrepair = \"30m\"\n{}",
        flow("f", "pc", "10m", &["0s"])
    )
    .replace("horizon = \"1d\"", "horizon = \"10d\"");
    #[derive(Default)]
    struct Outages(Vec<(SimTime, NotableKind)>);
    impl Observer for Outages {
        fn run_finished(&mut self, _: &RunRecord) {}
        fn notable(&mut self, time: SimTime, e: &Notable) {
            self.0.push((time, e.kind));
        }
    }
    let s = scenario(&text);
    let (a, ..) = simulate(&s, Outages::default());
    let (b, ..) = simulate(&s, Outages::default());
    assert_eq!(a.0, b.0, "same seed, same outages");
    let offline: Vec<SimTime> =
        a.0.iter()
            .filter(|(_, k)| *k == NotableKind::MachineOffline)
            .map(|(t, _)| *t)
            .collect();
    // About 10 days / 6.5 hours of outages.
    assert!(
        (20..=60).contains(&offline.len()),
        "{} outages",
        offline.len()
    );
    for pair in a.0.windows(2) {
        if pair[0].1 == NotableKind::MachineOffline {
            assert_eq!(
                pair[1],
                (
                    pair[0].0 + rpasim_core::SimDuration::from_mins(30),
                    NotableKind::MachineOnline
                )
            );
        }
    }
}

// ----- 3. priorities ------------------------------------------------------------

fn priority_queue(extra: &str) -> String {
    let mut text = format!("{ONE_MACHINE}{}", flow("blocker", "pc", "10m", &["0s"]));
    for (name, priority, at) in [
        ("n1", "normal", "1m"),
        ("n2", "normal", "2m"),
        ("h1", "high", "3m"),
        ("n3", "normal", "4m"),
        ("h2", "high", "5m"),
    ] {
        text.push_str(
            &flow(name, "pc", "1m", &[at])
                .replace("duration", &format!("priority = \"{priority}\"\nduration")),
        );
    }
    text + extra
}

fn start_order(text: &str) -> Vec<String> {
    let s = scenario(text);
    let mut r = runs(text);
    r.sort_by_key(|r| r.start);
    r.iter()
        .skip(1)
        .map(|r| s.spec.flows[r.flow.index()].name.clone())
        .collect()
}

#[test]
fn high_priority_runs_first_and_move_to_top_beats_it() {
    assert_eq!(
        start_order(&priority_queue("")),
        vec!["h1", "h2", "n1", "n2", "n3"]
    );
    let moved = priority_queue(&event("move_to_top", "n3", "6m", "run = 1\n"));
    assert_eq!(start_order(&moved), vec!["n3", "h1", "h2", "n1", "n2"]);
    // Several moved: the last moved runs first.
    let twice = priority_queue(&format!(
        "{}{}",
        event("move_to_top", "n3", "6m", "run = 1\n"),
        event("move_to_top", "n1", "7m", "run = 1\n")
    ));
    assert_eq!(start_order(&twice), vec!["n1", "n3", "h1", "h2", "n2"]);
}

#[test]
fn move_to_top_finds_a_run_queued_again_after_its_machine_went_offline() {
    // "long" waits behind "first" until 5m, runs, and is queued again at
    // 30m behind "a" (queued at 10m) and "b" (20m) when the machine goes
    // offline until 1h30m. Moved to the top at 40m (under the handle of
    // its second queueing), it starts first when the machine is back; "a"
    // asked at 5m, before it arrived, is not moved. (The tests' mode
    // checks each move's lookup against a look through every run in
    // flight.)
    let base = format!(
        "{ONE_MACHINE}{}{}{}{}{}",
        flow("first", "pc", "5m", &["0s"]),
        flow("long", "pc", "3h", &["1m"]),
        flow("a", "pc", "10m", &["10m"]),
        flow("b", "pc", "10m", &["20m"]),
        "\n[[events]]\nat = \"30m\"\nkind = \"offline\"\ntarget = \"pc\"\nfor = \"1h\"\nrequeue = true\n"
    );
    let starts = |text: &str| -> Vec<(Option<u64>, u32)> {
        runs(text)
            .iter()
            .map(|r| (minutes(r.start), r.attempts))
            .collect()
    };
    assert_eq!(
        starts(&base),
        vec![(Some(0), 1), (Some(110), 2), (Some(90), 1), (Some(100), 1)]
    );
    let moved = format!(
        "{base}{}{}",
        event("move_to_top", "a", "5m", "run = 1\n"),
        event("move_to_top", "long", "40m", "run = 1\n")
    );
    assert_eq!(
        starts(&moved),
        vec![(Some(0), 1), (Some(90), 2), (Some(270), 1), (Some(280), 1)]
    );
    #[derive(Default)]
    struct Moves(Vec<String>);
    impl Observer for Moves {
        fn run_finished(&mut self, _: &RunRecord) {}
        fn notable(&mut self, _: SimTime, e: &Notable) {
            if e.kind == NotableKind::MovedToTop {
                self.0.push(e.detail.clone());
            }
        }
    }
    let (moves, ..) = simulate(&scenario(&moved), Moves::default());
    assert_eq!(
        moves.0,
        vec![
            "run 1 is not queued: nothing moved".to_string(),
            "run 1".into()
        ]
    );
}

#[test]
fn a_priority_change_applies_to_later_runs() {
    let text = format!(
        "{ONE_MACHINE}{}{}{}{}",
        flow("blocker", "pc", "10m", &["0s"]),
        flow("a", "pc", "1m", &["1m", "6m"]),
        flow("b", "pc", "1m", &["2m"]),
        event("priority", "a", "5m", "priority = \"high\"\n")
    );
    let s = scenario(&text);
    let mut r = runs(&text);
    r.sort_by_key(|r| r.start);
    let order: Vec<(String, u64)> = r
        .iter()
        .skip(1)
        .map(|r| (s.spec.flows[r.flow.index()].name.clone(), r.priority as u64))
        .collect();
    // The run of "a" at 6m is high and overtakes; the one at 1m stays normal.
    assert_eq!(
        order,
        vec![("a".into(), 200), ("a".into(), 100), ("b".into(), 100)]
    );
}

// ----- 4. selection delay and sessions -----------------------------------------

#[test]
fn selection_delay_holds_the_bot_before_the_run_starts() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[machine_groups]]\nname = \"g\"\nselection_delay = \"50s\"\n\n\
         [[machines]]\nname = \"m\"\ngroup = \"g\"\n{}",
        flow("f", "g", "10m", &["0s", "10s"])
    );
    let r = runs(&text);
    let secs = |t: Option<SimTime>| t.map(|t| t.as_millis() / 1000);
    assert_eq!((secs(r[0].start), secs(r[0].end)), (Some(50), Some(650)));
    // The second is assigned when the bot frees (650 s) and starts 50 s later.
    assert_eq!((secs(r[1].start), secs(r[1].end)), (Some(700), Some(1300)));
}

#[test]
fn session_overhead_once_per_bot_session_with_reuse() {
    let base = "[simulation]\nhorizon = \"1d\"\n\n[[machines]]\nname = \"pc\"\nsession_overhead = \"30s\"\n";
    let flows = flow("f", "pc", "10m", &["0s", "0s"]);
    let secs = |r: &RunRecord| {
        (
            r.start.map(|t| t.as_millis() / 1000),
            r.end.map(|t| t.as_millis() / 1000),
        )
    };
    let fresh = runs(&format!("{base}{flows}"));
    assert_eq!(
        fresh.iter().map(secs).collect::<Vec<_>>(),
        vec![(Some(0), Some(630)), (Some(630), Some(1260))]
    );
    let reused = runs(&format!("{base}session_reuse = true\n{flows}"));
    assert_eq!(
        reused.iter().map(secs).collect::<Vec<_>>(),
        vec![(Some(0), Some(630)), (Some(630), Some(1230))]
    );
}

// ----- 5. attended runs ----------------------------------------------------------

fn attended(extended: bool) -> String {
    format!(
        "[simulation]\nhorizon = \"1d\"\n\n[scheduler]\nextended_queue_prioritization = {extended}\n\n\
         [[machines]]\nname = \"pc\"\n{}{}{}{}",
        flow("a1", "pc", "20m", &["0s"]).replace("duration", "mode = \"attended\"\nduration"),
        flow("u1", "pc", "10m", &["0s"]),
        flow("a2", "pc", "5m", &["1m"]).replace("duration", "mode = \"attended\"\nduration"),
        flow("u2", "pc", "5m", &["2m"])
    )
}

#[test]
fn one_attended_run_per_machine_and_extended_prioritization_lets_others_pass() {
    let r = runs(&attended(true));
    // a1 holds the user's session 0-20; u1 the bot 0-10; a2 waits for the
    // session (20); u2, behind a2, takes the free bot at 10.
    assert_eq!(
        r.iter().map(|r| minutes(r.start)).collect::<Vec<_>>(),
        vec![Some(0), Some(0), Some(20), Some(10)]
    );
    assert_eq!(
        r[0].placement.map(|p| p.bot),
        Some(0),
        "bot 0 is the attended session"
    );
    let strict = runs(&attended(false));
    // Strict head-of-line: u2 waits behind a2 until 20.
    assert_eq!(minutes(strict[3].start), Some(20));
}

// ----- 6. certificates ------------------------------------------------------------

#[test]
fn certificate_renewal_drops_old_and_offline_machines_and_empty_groups_expire() {
    let text = "[simulation]\nhorizon = \"3d\"\n\n\
        [limits]\nqueue_timeout = \"none\"\ngroup_run_timeout = \"none\"\n\n\
        [[machine_groups]]\nname = \"kept\"\ncertificate_expires = \"1d\"\n\n\
        [[machine_groups]]\nname = \"lost\"\ncertificate_expires = \"1d\"\n\n\
        [[machines]]\nname = \"old\"\ngroup = \"kept\"\nversion = \"2.21\"\n\n\
        [[machines]]\nname = \"asleep\"\ngroup = \"kept\"\noffline_since = \"200d\"\n\n\
        [[machines]]\nname = \"fine\"\ngroup = \"kept\"\nversion = \"2.23\"\n\n\
        [[machines]]\nname = \"only\"\ngroup = \"lost\"\nversion = \"2.10\"\n"
        .to_string()
        + &flow("k", "kept", "1h", &["2d", "2d"])
        + &flow("l", "lost", "30h", &["1h", "2h", "2d"]);
    let s = scenario(&text);
    let all = runs(&text);
    let of = |flow: &str| -> Vec<RunRecord> {
        all.iter()
            .filter(|r| s.spec.flows[r.flow.index()].name == flow)
            .copied()
            .collect()
    };
    let kept = of("k");
    // "kept" keeps only "fine": its two runs at 2d go one after the other.
    assert_eq!(
        kept.iter().map(|r| minutes(r.start)).collect::<Vec<_>>(),
        vec![Some(48 * 60), Some(49 * 60)]
    );
    assert!(kept.iter().all(|r| machine_of(&text, r) == "fine"));
    // "lost": the run in progress goes on; the queued one and the later one
    // end certificate_expired.
    assert_eq!(
        timeline(&of("l")),
        vec![
            (Outcome::Succeeded, Some(60), Some(60 + 30 * 60)),
            (Outcome::CertificateExpired, None, Some(24 * 60)),
            (Outcome::CertificateExpired, None, Some(48 * 60)),
        ]
    );
}

/// Certificate events of a scenario: (day, kind, detail).
fn certificate_notables(text: &str) -> Vec<(u64, NotableKind, String)> {
    #[derive(Default)]
    struct Certificates(Vec<(u64, NotableKind, String)>);
    impl Observer for Certificates {
        fn run_finished(&mut self, _: &RunRecord) {}
        fn notable(&mut self, time: SimTime, e: &Notable) {
            if matches!(
                e.kind,
                NotableKind::CertificateRenewed | NotableKind::CertificateExpired
            ) {
                self.0
                    .push((time.as_millis() / 86_400_000, e.kind, e.detail.clone()));
            }
        }
    }
    simulate(&scenario(text), Certificates::default()).0.0
}

const CERTIFIED: &str = "[simulation]\nhorizon = \"3d\"\n\n\
    [limits]\nqueue_timeout = \"none\"\n\n\
    [[machine_groups]]\nname = \"g\"\ncertificate_expires = \"2d\"\n\n\
    [[machines]]\nname = \"m\"\ngroup = \"g\"\n";

#[test]
fn a_two_hour_outage_over_the_expiry_does_not_stop_the_renewal() {
    // Offline 1d23h-2d1h, over the expiry at 2d: the machine was connected
    // during the renewal period (the 30 days before), so the group renews.
    let text = format!(
        "{CERTIFIED}{}{}",
        event("offline", "m", "1d23h", "for = \"2h\"\n"),
        flow("f", "g", "10m", &["2d30m", "2d3h"])
    );
    assert_eq!(
        timeline(&runs(&text)),
        vec![
            (Outcome::Succeeded, Some(49 * 60), Some(49 * 60 + 10)),
            (Outcome::Succeeded, Some(51 * 60), Some(51 * 60 + 10)),
        ]
    );
    let notes = certificate_notables(&text);
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].0, notes[0].1),
        (2, NotableKind::CertificateRenewed)
    );
    assert!(
        notes[0].2.contains("next expiry at 1828d"),
        "{}",
        notes[0].2
    );
}

#[test]
fn a_machine_in_maintenance_is_connected_for_the_renewal() {
    // A renewal period of 1 day (a setting), all of it in maintenance, and
    // the expiry too: maintenance only stops new assignments.
    let text = format!(
        "{}{}{}",
        CERTIFIED.replace("[limits]\n", "[limits]\nrenewal_period = \"1d\"\n"),
        event("maintenance", "g", "1d", "for = \"1d12h\"\n"),
        flow("f", "g", "10m", &["2d6h"])
    );
    assert_eq!(
        timeline(&runs(&text)),
        vec![(Outcome::Succeeded, Some(60 * 60), Some(60 * 60 + 10))]
    );
    assert_eq!(
        certificate_notables(&text)[0].1,
        NotableKind::CertificateRenewed
    );
}

#[test]
fn a_renewed_certificate_expires_again_five_years_later() {
    // Renewed at 1d; the next expiry is five years (1826 days) on, at 1827d.
    let base = "[simulation]\nhorizon = \"1830d\"\nsample_every = \"1d\"\n\n\
        [limits]\nqueue_timeout = \"none\"\n\n\
        [[machine_groups]]\nname = \"g\"\ncertificate_expires = \"1d\"\n\n\
        [[machines]]\nname = \"m\"\ngroup = \"g\"\n"
        .to_string()
        + &flow("f", "g", "10m", &["1d1h", "1828d"]);
    // Always online: renewed both times; the run after the second expiry runs.
    let online = runs(&base);
    assert_eq!(online[1].outcome, Outcome::Succeeded);
    let notes = certificate_notables(&base);
    assert_eq!(
        notes.iter().map(|n| (n.0, n.1)).collect::<Vec<_>>(),
        vec![
            (1, NotableKind::CertificateRenewed),
            (1827, NotableKind::CertificateRenewed)
        ]
    );
    // Offline from 2d for good: nobody connected in the period before the
    // second expiry; the run after it ends certificate_expired.
    let text = base + &event("offline", "m", "2d", "for = \"2000d\"\n");
    let all = runs(&text);
    assert_eq!(all[0].outcome, Outcome::Succeeded);
    assert_eq!(
        timeline(&all[1..]),
        vec![(Outcome::CertificateExpired, None, Some(1828 * 24 * 60))]
    );
    let notes = certificate_notables(&text);
    assert_eq!(
        notes.iter().map(|n| (n.0, n.1)).collect::<Vec<_>>(),
        vec![
            (1, NotableKind::CertificateRenewed),
            (1827, NotableKind::CertificateExpired)
        ]
    );
}

#[test]
fn a_trial_hosted_machine_is_deleted_after_14_idle_days() {
    // The trial has no hosted add-on: its hosted machine (ready at 30 min)
    // runs at 1h-1h10m, is idle from then, and is deleted 14 days later.
    let text = "[simulation]\nhorizon = \"20d\"\n\n\
        [[environments]]\nname = \"eval\"\nlicense = \"trial\"\n\n\
        [[hosted_machines]]\nname = \"hm\"\n"
        .to_string()
        + &flow("f", "hm", "10m", &["1h", "14d1h9m", "14d1h11m"]);
    assert_eq!(
        timeline(&runs(&text)),
        vec![
            (Outcome::Succeeded, Some(60), Some(70)),
            // 1 minute before the deletion: it runs, and the clock restarts.
            (
                Outcome::Succeeded,
                Some(14 * 1440 + 69),
                Some(14 * 1440 + 79)
            ),
            (
                Outcome::Succeeded,
                Some(14 * 1440 + 79),
                Some(14 * 1440 + 89)
            ),
        ]
    );
    let idle = "[simulation]\nhorizon = \"20d\"\n\n\
        [[environments]]\nname = \"eval\"\nlicense = \"trial\"\n\n\
        [[hosted_machines]]\nname = \"hm\"\n"
        .to_string()
        + &flow("f", "hm", "10m", &["1h", "14d1h11m"]);
    assert_eq!(
        timeline(&runs(&idle))[1],
        (Outcome::MachineExpired, None, Some(14 * 1440 + 71))
    );
}

// ----- 7. access ----------------------------------------------------------------

#[test]
fn a_revoked_share_denies_later_runs() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[users]]\nname = \"alice\"\n\n[[users]]\nname = \"bob\"\n\n\
         [[machine_groups]]\nname = \"g\"\nowner = \"alice\"\n\n[[machines]]\nname = \"m\"\ngroup = \"g\"\n\n\
         [[shares]]\ntarget = \"g\"\nuser = \"bob\"\nrole = \"user\"\n{}{}{}",
        flow("bobs", "g", "10m", &["1h", "3h"]).replace("duration", "owner = \"bob\"\nduration"),
        flow("alices", "g", "10m", &["3h"]).replace("duration", "owner = \"alice\"\nduration"),
        "\n[[events]]\nat = \"2h\"\nkind = \"access\"\ntarget = \"g\"\nuser = \"bob\"\naccess = \"none\"\n"
    );
    // In arrival order: bob's run at 1h, then at 3h alice's (her flow is
    // declared... after bob's, but its arrival was scheduled first) and bob's.
    let s = scenario(&text);
    let r: Vec<(String, Outcome, Option<u64>)> = runs(&text)
        .iter()
        .map(|r| {
            (
                s.spec.flows[r.flow.index()].name.clone(),
                r.outcome,
                minutes(r.start),
            )
        })
        .collect();
    assert_eq!(
        r,
        vec![
            ("bobs".into(), Outcome::Succeeded, Some(60)),
            ("alices".into(), Outcome::Succeeded, Some(180)),
            ("bobs".into(), Outcome::AccessDenied, None),
        ]
    );
}

#[test]
fn an_empty_group_fails_its_runs() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[machine_groups]]\nname = \"g\"\n{}",
        flow("f", "g", "1m", &["5m"])
    );
    assert_eq!(
        timeline(&runs(&text)),
        vec![(Outcome::GroupEmpty, None, Some(5))]
    );
}

// ----- 8. setting changes ------------------------------------------------------------

#[test]
fn more_bots_from_a_time_on() {
    let text = format!(
        "{ONE_MACHINE}{}\n[[events]]\nat = \"1h\"\nkind = \"set\"\nkey = \"machines.pc.bots\"\nvalue = 3\n",
        flow("f", "pc", "2h", &["0s", "0s", "0s"])
    );
    let starts: Vec<_> = runs(&text).iter().map(|r| minutes(r.start)).collect();
    assert_eq!(starts, vec![Some(0), Some(60), Some(60)]);
}

/// Bots taken away while busy leave when their run ends; given back before
/// that, they are still busy: no second run starts on a bot that runs one.
#[test]
fn bots_taken_away_and_given_back_while_busy_stay_busy() {
    let set = |at: &str, bots: u32| {
        format!(
            "\n[[events]]\nat = \"{at}\"\nkind = \"set\"\nkey = \"machines.pc.bots\"\nvalue = {bots}\n"
        )
    };
    let text = format!(
        "{ONE_MACHINE}bots = 3\n{}{}{}{}{}",
        flow("long", "pc", "1h", &["0s", "0s", "0s"]),
        flow("late", "pc", "10m", &["30m", "30m"]),
        set("10m", 1),
        set("20m", 3),
        set("65m", 2),
    );
    let r = runs(&text);
    let bots: Vec<_> = r.iter().map(|r| r.placement.map(|p| p.bot)).collect();
    // At 30m all three bots still run the first runs: the late ones wait
    // for 60m, then take bots 1 and 2; at 65m bot 3 is idle and leaves,
    // and the late runs end at 70m on the two bots left.
    assert_eq!(
        timeline(&r),
        vec![
            (Outcome::Succeeded, Some(0), Some(60)),
            (Outcome::Succeeded, Some(0), Some(60)),
            (Outcome::Succeeded, Some(0), Some(60)),
            (Outcome::Succeeded, Some(60), Some(70)),
            (Outcome::Succeeded, Some(60), Some(70)),
        ]
    );
    assert_eq!(bots, [1, 2, 3, 1, 2].map(Some));
}

#[test]
fn buying_hosted_add_ons_mid_month() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[environments]]\nname = \"e\"\nhosted_capacity = 2\n\n\
         [[hosted_groups]]\nname = \"h\"\nmax_bots = 2\n{}\
         \n[[events]]\nat = \"30m\"\nkind = \"set\"\nkey = \"environments.e.hosted_capacity\"\nvalue = 4\n\
         \n[[events]]\nat = \"30m\"\nkind = \"set\"\nkey = \"hosted_groups.h.max_bots\"\nvalue = 4\n",
        flow("f", "h", "1h", &["0s", "0s", "0s", "0s"])
    );
    let starts: Vec<_> = runs(&text).iter().map(|r| minutes(r.start)).collect();
    // Two bots at 10m; two more provisioned at 30m, ready at 40m.
    assert_eq!(starts, vec![Some(10), Some(10), Some(40), Some(40)]);
}

/// Hosted capacity lowered below what two groups' busy bots hold: bots
/// leave as they go idle, and the groups then take turns with what is
/// left.
#[test]
fn lowering_hosted_capacity_reclaims_idle_bots_and_groups_take_turns() {
    let group = |name: &str| format!("\n[[hosted_groups]]\nname = \"{name}\"\nmax_bots = 2\n");
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[environments]]\nname = \"e\"\nhosted_capacity = 4\n{}{}{}{}\
         \n[[events]]\nat = \"30m\"\nkind = \"set\"\nkey = \"environments.e.hosted_capacity\"\nvalue = 2\n",
        group("a"),
        group("b"),
        flow("fa", "a", "30m", &["0s", "0s", "70m", "70m"]),
        flow("fb", "b", "30m", &["0s", "0s", "70m", "70m"]),
    );
    // Four bots ready at 10m run the first runs until 40m; the capacity
    // falls to 2 at 30m, while they run, so two of them leave as they go
    // idle at 40m (those of "a": idle as long, declared first). At 70m "a"
    // asks first: "b"'s two idle bots leave for it; provisioned, they run
    // "a"'s runs 80m-110m, then leave in turn for "b" (120m-150m).
    let starts: Vec<_> = runs(&text).iter().map(|r| minutes(r.start)).collect();
    assert_eq!(
        starts,
        [10, 10, 10, 10, 80, 80, 120, 120].map(Some).to_vec()
    );
    // So only "b" still has bots to go cold: 3 hours after 150m.
    #[derive(Default)]
    struct Cold(Vec<(u64, String)>);
    impl Observer for Cold {
        fn run_finished(&mut self, _: &RunRecord) {}
        fn notable(&mut self, time: SimTime, e: &Notable) {
            if e.kind == NotableKind::GroupCold {
                self.0.push((time.as_millis() / 60_000, e.detail.clone()));
            }
        }
    }
    let (cold, ..) = simulate(&scenario(&text), Cold::default());
    assert_eq!(cold.0, vec![(330, "2 idle bots deprovisioned".to_string())]);
}

#[test]
fn a_rate_change_takes_effect_from_its_time() {
    let text = "[simulation]\nhorizon = \"20d\"\n\n[[machines]]\nname = \"pc\"\nbots = 10\n\n\
        [[flows]]\nname = \"f\"\ntarget = \"pc\"\nduration = \"1m\"\narrivals = { poisson = { per_hour = 1 } }\n\
        \n[[events]]\nat = \"10d\"\nkind = \"set\"\nkey = \"flows.f.arrivals.poisson.per_hour\"\nvalue = 10\n";
    let r = runs(text);
    let day10 = 10 * 24 * 60;
    let before = r
        .iter()
        .filter(|r| minutes(Some(r.arrival)).is_some_and(|m| m < day10))
        .count() as f64;
    let after = r.len() as f64 - before;
    // 240 expected before, 2400 after: 5 standard deviations each.
    assert!((before - 240.0).abs() < 5.0 * 240f64.sqrt(), "{before}");
    assert!((after - 2400.0).abs() < 5.0 * 2400f64.sqrt(), "{after}");
}
