//! The plain-data description of what to simulate.
//!
//! The scenario crate builds a [`ModelSpec`] from TOML after validating it;
//! programs (and researchers' experiments) may also build one directly.
//! [`ModelSpec::check`] rejects the structural errors the engine cannot run.

use crate::arrival::ArrivalProcess;
use crate::distribution::Distribution;
use crate::ids::{EnvironmentId, FlowId, MachineId, TargetId};
use crate::selection::SelectionPolicy;
use crate::time::{SimDuration, SimTime};

/// Most bots a machine may have in the engine (bots are tracked in a 64-bit
/// mask); the service's own limit, 10, is enforced by the scenario layer.
pub const MAX_BOTS_PER_MACHINE: u32 = 64;

/// A complete simulation input.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Seed of every random stream.
    pub seed: u64,
    /// Simulated time at which arrivals stop and the simulation ends.
    pub horizon: SimTime,
    /// Runs arriving before this are simulated but excluded from statistics,
    /// and time integrals (utilization, queue length) start here.
    pub warmup: SimTime,
    /// Interval of time-series samples (positive).
    pub sample_every: SimDuration,
    /// Scheduler behaviour shared by every queue.
    pub scheduler: SchedulerSpec,
    /// Environments.
    pub environments: Vec<EnvironmentSpec>,
    /// Run queues with their machine pools (standalone machines and groups).
    pub targets: Vec<TargetSpec>,
    /// Registered machines.
    pub machines: Vec<MachineSpec>,
    /// Desktop flows.
    pub flows: Vec<FlowSpec>,
}

/// Scheduler behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerSpec {
    /// "Extended queue prioritization": when the first queued run cannot be
    /// placed, later runs that can be placed start (`true`, the service's
    /// default); `false` is strict head-of-line blocking.
    pub extended_queue_prioritization: bool,
}

impl Default for SchedulerSpec {
    fn default() -> Self {
        SchedulerSpec {
            extended_queue_prioritization: true,
        }
    }
}

/// An environment: owns machines and groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSpec {
    /// Unique name.
    pub name: String,
}

/// What kind of thing owns a run queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A standalone registered machine (its pool is itself).
    Machine,
    /// A machine group (its pool is its member machines).
    MachineGroup,
}

/// A run queue and the pool of machines that serves it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSpec {
    /// Unique name (the machine's or the group's).
    pub name: String,
    /// Machine or machine group.
    pub kind: TargetKind,
    /// Environment the target belongs to.
    pub environment: EnvironmentId,
    /// Most runs waiting in the queue; an arrival to a full queue is
    /// rejected with `queue_full`.
    pub queue_capacity: u32,
    /// A run still queued this long after it was enqueued ends
    /// `queue_timeout`; `None` waits forever.
    pub queue_timeout: Option<SimDuration>,
    /// A run running this long ends `run_timeout`; `None` is unlimited.
    pub run_timeout: Option<SimDuration>,
    /// How a machine is chosen among those with a free bot.
    pub selection: SelectionPolicy,
}

/// A registered machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineSpec {
    /// Unique name.
    pub name: String,
    /// The target whose pool the machine serves: itself when standalone, its
    /// group otherwise.
    pub target: TargetId,
    /// Unattended bots (1 to [`MAX_BOTS_PER_MACHINE`]).
    pub bots: u32,
}

/// A desktop flow: a workload on one target.
#[derive(Debug, Clone)]
pub struct FlowSpec {
    /// Unique name.
    pub name: String,
    /// Where its runs queue.
    pub target: TargetId,
    /// Queue priority; higher runs first ([`Priority::NORMAL`](crate::run::Priority::NORMAL) by default).
    pub priority: i64,
    /// Run durations.
    pub duration: Distribution,
    /// Probability that a run ends `failed` (at the end of its duration).
    pub failure_probability: f64,
    /// When runs are triggered.
    pub arrivals: ArrivalProcess,
}

/// A structural error in a [`ModelSpec`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// An id refers past the end of its list.
    #[error("{what} refers to a missing {kind} #{index}")]
    DanglingId {
        /// The referring entity.
        what: String,
        /// The kind of entity referred to.
        kind: &'static str,
        /// The missing index.
        index: u32,
    },
    /// A value is outside its allowed range.
    #[error("{what}: {problem}")]
    OutOfRange {
        /// The entity and field.
        what: String,
        /// What is wrong.
        problem: String,
    },
}

impl ModelSpec {
    /// Rejects what the engine cannot run: dangling ids, machines without
    /// bots or with too many, a machine outside its own standalone target,
    /// a zero sampling interval, bad probabilities or distributions.
    pub fn check(&self) -> Result<(), SpecError> {
        let dangling = |what: String, kind, index: u32| SpecError::DanglingId { what, kind, index };
        let range = |what: String, problem: String| SpecError::OutOfRange { what, problem };
        if self.sample_every == SimDuration::ZERO {
            return Err(range("sample_every".into(), "must be positive".into()));
        }
        for t in &self.targets {
            if t.environment.index() >= self.environments.len() {
                return Err(dangling(
                    format!("target {}", t.name),
                    "environment",
                    t.environment.0,
                ));
            }
        }
        for m in &self.machines {
            if m.target.index() >= self.targets.len() {
                return Err(dangling(
                    format!("machine {}", m.name),
                    "target",
                    m.target.0,
                ));
            }
            if m.bots == 0 || m.bots > MAX_BOTS_PER_MACHINE {
                return Err(range(
                    format!("machine {}", m.name),
                    format!("bots must be 1 to {MAX_BOTS_PER_MACHINE}, got {}", m.bots),
                ));
            }
        }
        for f in &self.flows {
            if f.target.index() >= self.targets.len() {
                return Err(dangling(format!("flow {}", f.name), "target", f.target.0));
            }
            if !(0.0..=1.0).contains(&f.failure_probability) {
                return Err(range(
                    format!("flow {}", f.name),
                    "failure_probability must be within 0 to 1".into(),
                ));
            }
            f.duration
                .validate()
                .map_err(|e| range(format!("flow {} duration", f.name), e.to_string()))?;
        }
        Ok(())
    }

    /// The machines serving `target`, in declaration order.
    pub fn machines_of(&self, target: TargetId) -> impl Iterator<Item = MachineId> + '_ {
        self.machines
            .iter()
            .enumerate()
            .filter(move |(_, m)| m.target == target)
            .map(|(i, _)| MachineId::from_index(i))
    }

    /// The flows queueing on `target`, in declaration order.
    pub fn flows_of(&self, target: TargetId) -> impl Iterator<Item = FlowId> + '_ {
        self.flows
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.target == target)
            .map(|(i, _)| FlowId::from_index(i))
    }
}
