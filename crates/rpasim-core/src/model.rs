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
    /// Autoscaling settings of the targets of kind
    /// [`TargetKind::HostedGroup`], one each.
    pub hosted_groups: Vec<HostedGroupSpec>,
    /// What-if events on the timeline, in any order.
    pub events: Vec<TimelineEvent>,
    /// The user's prices of capacity (`[costs]`), if given: the cost of the
    /// model ([`crate::cost`]) is reported and plans minimise it.
    pub prices: Option<crate::cost::Prices>,
}

/// Scheduler behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerSpec {
    /// "Extended queue prioritization": when the first queued run cannot be
    /// placed, later runs that can be placed start (`true`, the service's
    /// default); `false` is strict head-of-line blocking.
    pub extended_queue_prioritization: bool,
    /// Runs lost to a machine going offline go back to their queue instead
    /// of ending `machine_lost` (random outages, and `offline` events that
    /// do not say).
    pub requeue_lost_runs: bool,
}

impl Default for SchedulerSpec {
    fn default() -> Self {
        SchedulerSpec {
            extended_queue_prioritization: true,
            requeue_lost_runs: false,
        }
    }
}

/// An environment: owns machines and groups, and the hosted capacity that
/// its hosted groups and hosted machines share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSpec {
    /// Unique name.
    pub name: String,
    /// Hosted RPA add-ons: hosted bots plus hosted machines that may exist
    /// at once.
    pub hosted_capacity: u32,
    /// Who gets uncommitted hosted capacity when several groups wait.
    pub capacity_policy: CapacityPolicyKind,
}

impl EnvironmentSpec {
    /// An environment without hosted capacity.
    pub fn named(name: &str) -> Self {
        EnvironmentSpec {
            name: name.to_string(),
            hosted_capacity: 0,
            capacity_policy: CapacityPolicyKind::default(),
        }
    }
}

/// What kind of thing owns a run queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A standalone registered machine (its pool is itself).
    Machine,
    /// A machine group (its pool is its member machines).
    MachineGroup,
    /// A hosted machine group (its pool is bots created on demand).
    HostedGroup,
    /// A standalone hosted machine (its pool is itself, once provisioned).
    HostedMachine,
}

impl TargetKind {
    /// Every kind.
    pub const ALL: [TargetKind; 4] = [
        TargetKind::Machine,
        TargetKind::MachineGroup,
        TargetKind::HostedGroup,
        TargetKind::HostedMachine,
    ];
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
    /// Operational settings (selection delay, sessions, certificate).
    pub options: TargetOptions,
}

/// Operational settings of a target, all off by default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetOptions {
    /// Time the service takes to pick a bot for a run (the seed: "up to 50
    /// seconds" when many runs are triggered at once); the bot is held
    /// meanwhile. `None`: no delay.
    pub selection_delay: Option<Distribution>,
    /// Time to sign in a Windows session before a run; `None`: none.
    pub session_overhead: Option<Distribution>,
    /// A bot keeps its session between runs, so the overhead applies once
    /// per bot session (until the machine goes offline or restarts, or the
    /// hosted bot is reprovisioned).
    pub session_reuse: bool,
    /// A machine group's certificate and the rules of its renewal.
    pub certificate: Option<CertificateSpec>,
}

/// A machine group's certificate: when it first expires, and how it is
/// renewed. Renewal is a period, not an instant: the group renews if at
/// least one eligible machine is connected at any moment of the
/// `renewal_period` before an expiry (a machine in maintenance is
/// connected; an offline one is not), and the renewed certificate expires
/// `validity` later. At each expiry, machines below `minimum_version` or
/// not online at any moment of the `online_window` before it leave the
/// group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertificateSpec {
    /// The first expiry.
    pub expires: SimTime,
    /// How long a renewed certificate is valid (default 5 years).
    pub validity: SimDuration,
    /// The period before each expiry in which the group renews (default
    /// 30 days).
    pub renewal_period: SimDuration,
    /// A machine must have been online in this window before an expiry to
    /// stay in the group (default 6 months).
    pub online_window: SimDuration,
    /// Machines below this version leave the group at an expiry (default
    /// 2.23).
    pub minimum_version: Version,
}

impl CertificateSpec {
    /// The service's default rules ("The mentioned values are the default,
    /// but can be changed").
    pub fn with_defaults(expires: SimTime) -> Self {
        CertificateSpec {
            expires,
            validity: SimDuration::from_days(5 * 365 + 1),
            renewal_period: SimDuration::from_days(30),
            online_window: SimDuration::from_days(183),
            minimum_version: Version::CERTIFICATE_MINIMUM,
        }
    }
}

/// A registered machine, or a hosted machine.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineSpec {
    /// Unique name.
    pub name: String,
    /// The target whose pool the machine serves: itself when standalone, its
    /// group otherwise.
    pub target: TargetId,
    /// Unattended bots (1 to [`MAX_BOTS_PER_MACHINE`]).
    pub bots: u32,
    /// Set for a hosted machine: provisioned by the service, counted in its
    /// environment's hosted capacity.
    pub hosted: Option<HostedMachineSpec>,
    /// Operational settings (version, random outages).
    pub options: MachineOptions,
}

/// A machine runtime version, e.g. 2.23.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32, pub u32);

impl Version {
    /// The oldest version that keeps its group membership at a certificate
    /// renewal.
    pub const CERTIFICATE_MINIMUM: Version = Version(2, 23);
    /// The version of machines that do not say.
    pub const CURRENT: Version = Version(2, 30);
}

/// Random outages of a machine: up for `up`, then down for `repair`, again
/// and again.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomOutages {
    /// Time between the end of one outage and the next (e.g. exponential
    /// with the mean time between failures).
    pub up: Distribution,
    /// Duration of an outage.
    pub repair: Distribution,
}

/// Operational settings of a machine.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineOptions {
    /// Machine runtime version (certificate renewal drops machines below 2.23).
    pub version: Version,
    /// Random outages, if any.
    pub outages: Option<RandomOutages>,
    /// Offline from before the start, for this long, and for the whole
    /// simulation (matters for the certificate's 6-month rule).
    pub offline_since: Option<SimDuration>,
}

impl Default for MachineOptions {
    fn default() -> Self {
        MachineOptions {
            version: Version::CURRENT,
            outages: None,
            offline_since: None,
        }
    }
}

/// What makes a machine a hosted machine.
#[derive(Debug, Clone, PartialEq)]
pub struct HostedMachineSpec {
    /// Time from the start until the machine is usable.
    pub provisioning: Distribution,
    /// Deleted after this long without a run (the service does so only in
    /// environments without hosted add-ons); `None` never.
    pub delete_after_idle: Option<SimDuration>,
}

/// How a hosted group gives back bots it no longer needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScaleIn {
    /// Idle bots stay provisioned until the group has been unused for
    /// `idle_cold_after`, but another group may reclaim their capacity.
    #[default]
    Warm,
    /// A bot that finds no queued run is deprovisioned at once.
    Immediate,
}

/// The built-in policies for sharing uncommitted hosted capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CapacityPolicyKind {
    /// The group that has waited longest for capacity gets it (the service).
    #[default]
    FirstComeFirstServed,
    /// The group with the most queued runs per bot it holds gets it.
    ProportionalToQueue,
}

impl CapacityPolicyKind {
    /// Every policy.
    pub const ALL: [CapacityPolicyKind; 2] = [
        CapacityPolicyKind::FirstComeFirstServed,
        CapacityPolicyKind::ProportionalToQueue,
    ];

    /// The scenario name.
    pub fn name(self) -> &'static str {
        match self {
            CapacityPolicyKind::FirstComeFirstServed => "first_come_first_served",
            CapacityPolicyKind::ProportionalToQueue => "proportional_to_queue",
        }
    }

    /// The policy called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Autoscaling settings of a hosted machine group.
#[derive(Debug, Clone, PartialEq)]
pub struct HostedGroupSpec {
    /// The group's target (of kind [`TargetKind::HostedGroup`]).
    pub target: TargetId,
    /// Bots reserved for this group in its environment's capacity.
    pub committed_bots: u32,
    /// Most bots the group may have at once (provisioning, ready or busy).
    pub max_bots: u32,
    /// Time to provision a bot from the group's VM image.
    pub provisioning: Distribution,
    /// Idle bots are deprovisioned once the group has been unused this long.
    pub idle_cold_after: SimDuration,
    /// The group is deleted once it has run nothing for this long.
    pub expire_after_idle: Option<SimDuration>,
    /// What happens to a bot that finds no queued run.
    pub scale_in: ScaleIn,
}

/// A what-if on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    /// When it happens.
    pub at: SimTime,
    /// What happens.
    pub action: Action,
}

/// What a timeline event does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A hosted group's VM image is updated: new bots use it, busy bots
    /// finish their run and are reprovisioned, idle bots at once.
    UpdateImage {
        /// The hosted group.
        group: TargetId,
        /// Name of the new image (for reports).
        image: String,
        /// Provisioning time of the new image; `None` keeps the current one.
        provisioning: Option<Distribution>,
    },
    /// A hosted machine restarts: unavailable for `duration`; its running
    /// runs end `machine_lost`.
    Restart {
        /// The hosted machine.
        machine: MachineId,
        /// How long it is unavailable.
        duration: SimDuration,
    },
    /// Maintenance mode for `duration`: no new run is assigned; running runs
    /// go on.
    Maintenance {
        /// A machine, or a machine group or hosted group.
        scope: Scope,
        /// How long.
        duration: SimDuration,
    },
    /// A machine goes offline for `duration` (a reboot, a network loss).
    Offline {
        /// The machine.
        machine: MachineId,
        /// How long.
        duration: SimDuration,
        /// Whether its running runs go back to the queue (else they end
        /// `machine_lost`); `None` follows [`SchedulerSpec::requeue_lost_runs`].
        requeue: Option<bool>,
    },
    /// Runs of a flow arriving from now on have this priority.
    SetPriority {
        /// The flow.
        flow: FlowId,
        /// The new priority.
        priority: i64,
    },
    /// A queued run is moved to the top of its queue (the last moved runs
    /// first).
    MoveToTop {
        /// Its flow.
        flow: FlowId,
        /// Which of the flow's runs, counting from 1 in arrival order.
        run: u64,
    },
    /// Runs of these flows arriving from now on end `access_denied` (their
    /// owner lost access to the target).
    RevokeAccess {
        /// The flows concerned.
        flows: Vec<FlowId>,
    },
    /// A numeric setting changes from now on.
    Set {
        /// Which setting.
        setting: Setting,
        /// Its new value (an integer for counts).
        value: f64,
        /// The setting as the scenario names it, for the record of the
        /// change (`environments.prod.hosted_capacity`).
        key: String,
    },
}

/// What a maintenance window applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One machine.
    Machine(MachineId),
    /// A machine group (all its machines) or a hosted group.
    Target(TargetId),
}

/// A setting that a `set` event may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    /// A machine's unattended bots.
    MachineBots(MachineId),
    /// A hosted group's `max_bots`.
    MaxBots(TargetId),
    /// A hosted group's `committed_bots`.
    CommittedBots(TargetId),
    /// An environment's hosted capacity.
    HostedCapacity(EnvironmentId),
    /// A target's queue capacity.
    QueueCapacity(TargetId),
    /// A Poisson flow's rate (`per_hour`).
    ArrivalRate(FlowId),
    /// A flow's failure probability.
    FailureProbability(FlowId),
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
    /// Attended runs: they need the signed-in user of their (standalone)
    /// machine, one at a time, instead of an unattended bot.
    pub attended: bool,
    /// When runs are triggered.
    pub arrivals: ArrivalProcess,
    /// Runs recorded with a trace, in arrival order: run k of the flow takes
    /// the k-th recorded duration and outcome instead of drawing them (a
    /// replay of a run history). `None`: durations and failures are drawn.
    /// Shared, as the trace's instants are.
    pub recorded: Option<std::sync::Arc<Vec<RecordedRun>>>,
}

/// A run's own duration and outcome, from a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordedRun {
    /// How long it ran.
    pub duration: SimDuration,
    /// Whether it failed (at the end of its duration).
    pub failed: bool,
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
            if let Some(c) = &t.options.certificate
                && (c.validity == SimDuration::ZERO || c.online_window == SimDuration::ZERO)
            {
                return Err(range(
                    format!("certificate of {}", t.name),
                    "validity and online window must be positive".into(),
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
        self.check_hosted()?;
        self.check_events()
    }

    fn check_hosted(&self) -> Result<(), SpecError> {
        let range = |what: String, problem: &str| SpecError::OutOfRange {
            what,
            problem: problem.to_string(),
        };
        let mut specs = vec![0u32; self.targets.len()];
        for h in &self.hosted_groups {
            let Some(t) = self.targets.get(h.target.index()) else {
                return Err(SpecError::DanglingId {
                    what: "hosted group".into(),
                    kind: "target",
                    index: h.target.0,
                });
            };
            let what = format!("hosted group {}", t.name);
            if t.kind != TargetKind::HostedGroup {
                return Err(range(what, "its target is not of kind HostedGroup"));
            }
            specs[h.target.index()] += 1;
            if h.max_bots == 0 || h.max_bots > u32::from(u16::MAX) || h.committed_bots > h.max_bots
            {
                return Err(range(
                    what,
                    "needs 0 <= committed_bots <= max_bots, 1 <= max_bots < 65536",
                ));
            }
            h.provisioning
                .validate()
                .map_err(|e| range(format!("{what} provisioning"), &e.to_string()))?;
        }
        for (i, t) in self.targets.iter().enumerate() {
            if (t.kind == TargetKind::HostedGroup) != (specs[i] == 1) {
                return Err(range(
                    format!("target {}", t.name),
                    "a hosted group needs exactly one HostedGroupSpec",
                ));
            }
        }
        for m in &self.machines {
            let standalone_hosted =
                self.targets[m.target.index()].kind == TargetKind::HostedMachine;
            if standalone_hosted && m.hosted.is_none() {
                return Err(range(
                    format!("machine {}", m.name),
                    "a HostedMachine target needs a hosted machine",
                ));
            }
        }
        Ok(())
    }

    fn check_events(&self) -> Result<(), SpecError> {
        for e in &self.events {
            let ok = match &e.action {
                Action::UpdateImage { group, .. } => self
                    .targets
                    .get(group.index())
                    .is_some_and(|t| t.kind == TargetKind::HostedGroup),
                Action::Restart { machine, .. } => self
                    .machines
                    .get(machine.index())
                    .is_some_and(|m| m.hosted.is_some()),
                Action::Maintenance { scope, .. } => match scope {
                    Scope::Machine(m) => m.index() < self.machines.len(),
                    Scope::Target(t) => self.targets.get(t.index()).is_some_and(|t| {
                        matches!(t.kind, TargetKind::MachineGroup | TargetKind::HostedGroup)
                    }),
                },
                Action::Offline { machine, .. } => machine.index() < self.machines.len(),
                Action::SetPriority { flow, .. } | Action::MoveToTop { flow, .. } => {
                    flow.index() < self.flows.len()
                }
                Action::RevokeAccess { flows } => {
                    flows.iter().all(|f| f.index() < self.flows.len())
                }
                Action::Set { setting, value, .. } => self.setting_is_valid(*setting, *value),
            };
            if !ok {
                return Err(SpecError::OutOfRange {
                    what: format!("event at {}", e.at),
                    problem: "its target does not exist or is of the wrong kind".into(),
                });
            }
        }
        Ok(())
    }

    /// Whether a `set` names an existing entity of the right kind with a
    /// value in range (the scenario layer gives the precise messages).
    fn setting_is_valid(&self, setting: Setting, value: f64) -> bool {
        let count = value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX);
        let hosted = |t: TargetId| self.hosted_group(t).is_some();
        match setting {
            Setting::MachineBots(m) => {
                m.index() < self.machines.len()
                    && count
                    && (1.0..=f64::from(MAX_BOTS_PER_MACHINE)).contains(&value)
            }
            Setting::MaxBots(t) => {
                hosted(t) && count && (1.0..=f64::from(u16::MAX)).contains(&value)
            }
            Setting::CommittedBots(t) => hosted(t) && count,
            Setting::HostedCapacity(e) => e.index() < self.environments.len() && count,
            Setting::QueueCapacity(t) => t.index() < self.targets.len() && count,
            Setting::ArrivalRate(f) => {
                f.index() < self.flows.len() && value.is_finite() && value > 0.0
            }
            Setting::FailureProbability(f) => {
                f.index() < self.flows.len() && (0.0..=1.0).contains(&value)
            }
        }
    }

    /// The autoscaling settings of a hosted group's target.
    pub fn hosted_group(&self, target: TargetId) -> Option<&HostedGroupSpec> {
        self.hosted_groups.iter().find(|h| h.target == target)
    }

    /// The hosted group of every target, by [`TargetId`] (the same as
    /// [`Self::hosted_group`] for each, in one pass over the groups).
    pub fn hosted_groups_by_target(&self) -> Vec<Option<&HostedGroupSpec>> {
        let mut by_target = vec![None; self.targets.len()];
        for h in &self.hosted_groups {
            if let Some(slot) = by_target.get_mut(h.target.index()) {
                slot.get_or_insert(h);
            }
        }
        by_target
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
