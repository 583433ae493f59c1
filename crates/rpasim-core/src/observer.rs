//! What the engine tells the outside world: run records, samples and totals.
//!
//! The core does no I/O; an [`Observer`] (the report crate's recorder, or a
//! test's collector) receives every fact and decides what to keep.

use crate::ids::{EnvironmentId, FlowId, MachineId, TargetId};
use crate::run::{Placement, RunRecord};
use crate::time::{SimDuration, SimTime};

/// The state of one target at a sampling instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetSample {
    /// The target.
    pub target: TargetId,
    /// Runs waiting in its queue.
    pub queued: u32,
    /// Runs executing (on bots, or attended in a user's session).
    pub running: u32,
    /// Bots available for a new run (idle, on machines that accept runs).
    pub bots_ready: u32,
    /// Bots being provisioned (hosted groups; always 0 for machines).
    pub bots_provisioning: u32,
    /// Bots running a run (`running` without attended runs).
    pub bots_busy: u32,
}

/// The hosted capacity of one environment at a sampling instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvironmentSample {
    /// The environment.
    pub environment: EnvironmentId,
    /// Its hosted capacity (add-ons).
    pub capacity: u32,
    /// Slots held by hosted bots (provisioning, ready or busy) and hosted machines.
    pub used: u32,
    /// Slots nobody holds.
    pub free: u32,
}

/// Something worth a line in a report's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notable {
    /// What happened.
    pub kind: NotableKind,
    /// The target concerned.
    pub target: Option<TargetId>,
    /// The machine concerned.
    pub machine: Option<MachineId>,
    /// The flow concerned.
    pub flow: Option<FlowId>,
    /// Free-form detail (an image name, a count, a duration).
    pub detail: String,
}

/// Kinds of [`Notable`] events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NotableKind {
    /// A hosted group was deleted after `expire_after_idle` without runs.
    GroupExpired,
    /// A hosted group's idle bots were deprovisioned after `idle_cold_after`.
    GroupCold,
    /// A hosted group's VM image was updated.
    ImageUpdated,
    /// A hosted machine finished provisioning (or restarting).
    MachineReady,
    /// A hosted machine restarted.
    MachineRestarted,
    /// A hosted machine was deleted after a period without runs.
    MachineDeleted,
    /// A maintenance window started (or was ignored: see detail).
    MaintenanceStarted,
    /// A maintenance window ended.
    MaintenanceEnded,
    /// A machine went offline.
    MachineOffline,
    /// A machine came back online.
    MachineOnline,
    /// A machine left its group at a certificate renewal.
    MachineDropped,
    /// A group's certificate was renewed.
    CertificateRenewed,
    /// A group's certificate expired: the group is unusable.
    CertificateExpired,
    /// A flow's priority changed.
    PriorityChanged,
    /// A run was moved to the top of its queue (or could not be: see detail).
    MovedToTop,
    /// A flow's owner lost access to its target.
    AccessRevoked,
    /// A setting changed.
    SettingChanged,
}

impl NotableKind {
    /// The name used in `events.csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotableKind::GroupExpired => "group_expired",
            NotableKind::GroupCold => "group_cold",
            NotableKind::ImageUpdated => "image_updated",
            NotableKind::MachineReady => "machine_ready",
            NotableKind::MachineRestarted => "machine_restarted",
            NotableKind::MachineDeleted => "machine_deleted",
            NotableKind::MaintenanceStarted => "maintenance_started",
            NotableKind::MaintenanceEnded => "maintenance_ended",
            NotableKind::MachineOffline => "machine_offline",
            NotableKind::MachineOnline => "machine_online",
            NotableKind::MachineDropped => "machine_dropped",
            NotableKind::CertificateRenewed => "certificate_renewed",
            NotableKind::CertificateExpired => "certificate_expired",
            NotableKind::PriorityChanged => "priority_changed",
            NotableKind::MovedToTop => "moved_to_top",
            NotableKind::AccessRevoked => "access_revoked",
            NotableKind::SettingChanged => "setting_changed",
        }
    }
}

/// Receives the facts of a simulation as they happen.
///
/// Only [`run_finished`](Observer::run_finished) is required; the other hooks
/// default to doing nothing and cost nothing when not overridden (the engine
/// is generic over the observer, so empty hooks are inlined away).
pub trait Observer {
    /// A run entered a queue; `queue_len` counts it.
    fn run_queued(&mut self, _time: SimTime, _target: TargetId, _queue_len: usize) {}

    /// A run started on a bot.
    fn run_started(
        &mut self,
        _time: SimTime,
        _run_id: u64,
        _target: TargetId,
        _placement: Placement,
    ) {
    }

    /// A run reached its outcome (or is in flight at the horizon). Called
    /// exactly once per run, in the order runs end; in-flight runs come last,
    /// in arrival order.
    fn run_finished(&mut self, record: &RunRecord);

    /// The state of every target and environment at `time` (every
    /// `sample_every`, from 0 to the horizon).
    fn sample(
        &mut self,
        _time: SimTime,
        _targets: &[TargetSample],
        _environments: &[EnvironmentSample],
    ) {
    }

    /// Something notable happened (expiry, image update, restart...).
    fn notable(&mut self, _time: SimTime, _event: &Notable) {}
}

/// Two observers side by side: every fact goes to both, in order.
impl<A: Observer, B: Observer> Observer for (A, B) {
    fn run_queued(&mut self, time: SimTime, target: TargetId, queue_len: usize) {
        self.0.run_queued(time, target, queue_len);
        self.1.run_queued(time, target, queue_len);
    }

    fn run_started(&mut self, time: SimTime, run_id: u64, target: TargetId, placement: Placement) {
        self.0.run_started(time, run_id, target, placement);
        self.1.run_started(time, run_id, target, placement);
    }

    fn run_finished(&mut self, record: &RunRecord) {
        self.0.run_finished(record);
        self.1.run_finished(record);
    }

    fn sample(
        &mut self,
        time: SimTime,
        targets: &[TargetSample],
        environments: &[EnvironmentSample],
    ) {
        self.0.sample(time, targets, environments);
        self.1.sample(time, targets, environments);
    }

    fn notable(&mut self, time: SimTime, event: &Notable) {
        self.0.notable(time, event);
        self.1.notable(time, event);
    }
}

/// An observer that only counts finished runs (useful for benchmarks).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingObserver {
    /// Runs finished so far.
    pub finished: u64,
}

impl Observer for CountingObserver {
    fn run_finished(&mut self, _record: &RunRecord) {
        self.finished += 1;
    }
}

/// Time integrals of one target over the measured window (warm-up to horizon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetTotals {
    /// Sum over time of busy bots (bot-milliseconds).
    pub busy_bot_ms: u64,
    /// Sum over time of bots able to run (bot-milliseconds): the bots of
    /// available machines, or every provisioned bot of a hosted group
    /// (provisioning, idle or busy: the cost proxy).
    pub available_bot_ms: u64,
    /// Sum over time of the queue length (run-milliseconds).
    pub queued_run_ms: u64,
}

impl TargetTotals {
    /// Busy bot time over available bot time (0 when no bot was available).
    pub fn utilization(&self) -> f64 {
        if self.available_bot_ms == 0 {
            0.0
        } else {
            self.busy_bot_ms as f64 / self.available_bot_ms as f64
        }
    }

    /// Adds another target's integrals (for the `all` row).
    pub fn add(&mut self, other: &TargetTotals) {
        self.busy_bot_ms += other.busy_bot_ms;
        self.available_bot_ms += other.available_bot_ms;
        self.queued_run_ms += other.queued_run_ms;
    }
}

/// The engine's account of a finished simulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimReport {
    /// Events handled by the event loop.
    pub events: u64,
    /// Runs that arrived (all of them, warm-up included).
    pub runs: u64,
    /// Start of the measured window.
    pub warmup: SimTime,
    /// End of the simulation.
    pub horizon: SimTime,
    /// Per-target time integrals, indexed by [`TargetId`].
    pub targets: Vec<TargetTotals>,
}

impl SimReport {
    /// Length of the measured window.
    pub fn window(&self) -> SimDuration {
        self.horizon - self.warmup
    }
}

/// A count that changes over time, with its integral since the last reset.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Level {
    value: u32,
    area: u64,
    since: SimTime,
}

impl Level {
    pub(crate) fn new(value: u32) -> Self {
        Level {
            value,
            area: 0,
            since: SimTime::ZERO,
        }
    }

    pub(crate) fn value(&self) -> u32 {
        self.value
    }

    pub(crate) fn set(&mut self, now: SimTime, value: u32) {
        self.area += u64::from(self.value) * (now - self.since).as_millis();
        self.since = now;
        self.value = value;
    }

    pub(crate) fn incr(&mut self, now: SimTime) {
        self.set(now, self.value + 1);
    }

    pub(crate) fn decr(&mut self, now: SimTime) {
        self.set(now, self.value.saturating_sub(1));
    }

    /// Forgets the integral so far (end of warm-up).
    pub(crate) fn reset(&mut self, now: SimTime) {
        self.set(now, self.value);
        self.area = 0;
    }

    /// The integral up to `now`.
    pub(crate) fn area_until(&self, now: SimTime) -> u64 {
        self.area + u64::from(self.value) * (now - self.since).as_millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_integrates_piecewise_constant_values() {
        let t = SimTime::from_millis;
        let mut l = Level::new(2);
        l.set(t(10), 5); // 2 × 10
        l.decr(t(20)); // 5 × 10
        assert_eq!(l.area_until(t(30)), 20 + 50 + 4 * 10);
        l.reset(t(30));
        assert_eq!(l.area_until(t(35)), 4 * 5);
    }
}
