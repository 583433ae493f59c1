//! Why runs waited: scenarios in TOML whose wait reasons are computed by
//! hand, exact to the second. Every model simulated here also checks,
//! after every event, that each target's reason is current, and that each
//! run's split adds up to its wait (`common::simulate_watched`).

use crate::common;

use common::{scenario, simulate_watched};
use rpasim_core::wait::WaitReason::{self, *};
use rpasim_core::{Observer, RunRecord};

/// Observes nothing: `simulate_watched` collects the records.
struct Nothing;
impl Observer for Nothing {
    fn run_finished(&mut self, _record: &RunRecord) {}
}

/// A scenario's run records in arrival order.
fn runs(text: &str) -> Vec<RunRecord> {
    simulate_watched(&scenario(text).spec, Nothing).0
}

/// The non-zero parts of a run's wait, in seconds.
fn split(r: &RunRecord) -> Vec<(WaitReason, u64)> {
    WaitReason::ALL
        .iter()
        .map(|reason| (*reason, r.waits.get(*reason).as_millis()))
        .filter(|(_, ms)| *ms > 0)
        .map(|(reason, ms)| {
            assert_eq!(ms % 1000, 0, "whole seconds in these timelines");
            (reason, ms / 1000)
        })
        .collect()
}

/// A flow on `target` with constant `duration` runs at the given times.
fn flow(name: &str, target: &str, duration: &str, at: &[&str]) -> String {
    let at: Vec<String> = at.iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "\n[[flows]]\nname = \"{name}\"\ntarget = \"{target}\"\nduration = \"{duration}\"\narrivals = {{ at = [{}] }}\n",
        at.join(", ")
    )
}

const MIN: u64 = 60;

#[test]
fn a_cold_hosted_group_waits_for_provisioning_then_for_busy_bots() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[environments]]\nname = \"prod\"\nhosted_capacity = 2\n\n\
         [[hosted_groups]]\nname = \"g\"\nenvironment = \"prod\"\nmax_bots = 2\nprovisioning = \"10m\"\n{}",
        flow("f", "g", "30m", &["0s", "0s", "0s", "5m"])
    );
    let r = runs(&text);
    // Two bots provision 0-10 min for the first two runs; the third waits
    // 10 min of provisioning, then for the busy bots until 40 min; the
    // fourth arrives at 5 min: 5 min of provisioning, then busy to 40.
    assert_eq!(split(&r[0]), vec![(Provisioning, 10 * MIN)]);
    assert_eq!(split(&r[1]), vec![(Provisioning, 10 * MIN)]);
    assert_eq!(
        split(&r[2]),
        vec![(Provisioning, 10 * MIN), (Busy, 30 * MIN)]
    );
    assert_eq!(
        split(&r[3]),
        vec![(Provisioning, 5 * MIN), (Busy, 30 * MIN)]
    );
}

#[test]
fn a_group_waits_for_add_ons_held_by_another_then_for_provisioning() {
    // A (committed 2) and B share 4 add-ons; both get 10 half-hour runs at
    // 0. A asked first and takes all 4; at 70 min two of A's shared bots
    // go idle and are reclaimed for B, ready at 80.
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[environments]]\nname = \"prod\"\nhosted_capacity = 4\n\n\
         [[hosted_groups]]\nname = \"a\"\nenvironment = \"prod\"\ncommitted_bots = 2\nmax_bots = 4\nprovisioning = \"10m\"\n\n\
         [[hosted_groups]]\nname = \"b\"\nenvironment = \"prod\"\nmax_bots = 4\nprovisioning = \"10m\"\n{}{}",
        flow("fa", "a", "30m", &["0s"; 10]),
        flow("fb", "b", "30m", &["0s"; 10])
    );
    let r = runs(&text);
    let first = r[0].target;
    let (a, b): (Vec<&RunRecord>, Vec<&RunRecord>) = r.iter().partition(|r| r.target == first);
    // A: 10 min of provisioning; the second wave waits for its 4 busy bots
    // (at max_bots) until 40 min.
    assert_eq!(split(a[0]), vec![(Provisioning, 10 * MIN)]);
    assert_eq!(
        split(a[4]),
        vec![(Provisioning, 10 * MIN), (Busy, 30 * MIN)]
    );
    // B: add-ons until 70 min, then its bots provision until 80.
    assert_eq!(b[0].start.map(|t| t.as_millis() / 60_000), Some(80));
    assert_eq!(
        split(b[0]),
        vec![(Provisioning, 10 * MIN), (Capacity, 70 * MIN)]
    );
    // Its third run starts at 110: B holds 2 bots, below its max_bots of
    // 4, and A's committed add-ons are never reclaimed: capacity again
    // from 80 to 110.
    assert_eq!(b[2].start.map(|t| t.as_millis() / 60_000), Some(110));
    assert_eq!(
        split(b[2]),
        vec![(Provisioning, 10 * MIN), (Capacity, 100 * MIN)]
    );
}

#[test]
fn a_standalone_machine_in_maintenance() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[machines]]\nname = \"pc\"\n{}\n\
         [[events]]\nat = \"1h\"\nkind = \"maintenance\"\ntarget = \"pc\"\nfor = \"2h\"\n",
        flow("f", "pc", "10m", &["2h", "2h30m"])
    );
    let r = runs(&text);
    // Both wait for the window's end at 3 h; the second then waits 10 min
    // for the busy bot.
    assert_eq!(split(&r[0]), vec![(Maintenance, 60 * MIN)]);
    assert_eq!(
        split(&r[1]),
        vec![(Busy, 10 * MIN), (Maintenance, 30 * MIN)]
    );
}

#[test]
fn m_m_1_waits_are_all_busy() {
    let text = "[simulation]\nhorizon = \"2d\"\nseed = 5\n\n[[machines]]\nname = \"pc\"\n\n\
                [[flows]]\nname = \"f\"\ntarget = \"pc\"\nduration = { exponential = { mean = \"5m\" } }\n\
                arrivals = { poisson = { per_hour = 9 } }\n";
    let r = runs(text);
    let waited: Vec<&RunRecord> = r
        .iter()
        .filter(|r| r.wait().is_some_and(|w| w.as_millis() > 0))
        .collect();
    assert!(waited.len() > 100, "{} runs waited", waited.len());
    for run in waited {
        assert_eq!(run.waits.get(Busy), run.wait().expect("started"));
    }
}

#[test]
fn a_selection_delay_is_selection() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[[machine_groups]]\nname = \"g\"\nselection_delay = \"50s\"\n\n\
         [[machines]]\nname = \"m\"\ngroup = \"g\"\n{}",
        flow("f", "g", "10m", &["0s", "10s"])
    );
    let r = runs(&text);
    // The first holds the bot at once and starts 50 s later; the second
    // waits for the busy bot until 650 s, then its own 50 s.
    assert_eq!(split(&r[0]), vec![(Selection, 50)]);
    assert_eq!(split(&r[1]), vec![(Busy, 640), (Selection, 50)]);
}

#[test]
fn strict_head_of_line_behind_an_attended_run_is_blocked() {
    let attended = |f: String| f.replace("duration", "mode = \"attended\"\nduration");
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[scheduler]\nextended_queue_prioritization = false\n\n\
         [[machines]]\nname = \"pc\"\n{}{}{}{}",
        attended(flow("a1", "pc", "20m", &["0s"])),
        flow("u1", "pc", "10m", &["0s"]),
        attended(flow("a2", "pc", "5m", &["1m"])),
        flow("u2", "pc", "5m", &["2m"])
    );
    let r = runs(&text);
    // a1 holds the user's session 0-20, u1 the bot 0-10. a2 waits for the
    // session (busy) until 20. u2, behind a2, waits for the bot until 10,
    // then is blocked although the bot is free, until a2 starts at 20.
    assert_eq!(split(&r[2]), vec![(Busy, 19 * MIN)]);
    assert_eq!(split(&r[3]), vec![(Busy, 8 * MIN), (Blocked, 10 * MIN)]);
}

#[test]
fn an_outage_is_offline_and_a_lost_attempt_is_lost() {
    let text = format!(
        "[simulation]\nhorizon = \"1d\"\n\n[scheduler]\nrequeue_lost_runs = true\n\n\
         [[machines]]\nname = \"pc\"\n{}\n\
         [[events]]\nat = \"1h\"\nkind = \"offline\"\ntarget = \"pc\"\nfor = \"2h\"\n",
        flow("f", "pc", "2h", &["30m"])
    );
    let r = runs(&text);
    // Started at 30 min, lost at 1 h (30 min of lost work), re-queued,
    // waited for the machine until 3 h, started again.
    assert_eq!(r[0].attempts, 2);
    assert_eq!(split(&r[0]), vec![(Offline, 120 * MIN), (Lost, 30 * MIN)]);
}
