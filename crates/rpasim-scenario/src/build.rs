//! From the file as written to a [`ModelSpec`]: names resolved, limits
//! enforced, every problem collected with the key path it concerns.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rpasim_core::arrival::ArrivalProcess;
use rpasim_core::calendar::{CronSchedule, RateProfile};
use rpasim_core::distribution::Distribution;
use rpasim_core::model::{
    EnvironmentSpec, FlowSpec, MAX_BOTS_PER_MACHINE, MachineSpec, ModelSpec, SchedulerSpec,
    TargetKind, TargetSpec,
};
use rpasim_core::selection::SelectionPolicy;
use rpasim_core::{EnvironmentId, SimDuration, SimTime, TargetId};

use crate::error::KeyPath;
use crate::schema::{
    ArrivalsTable, DistributionTable, DistributionValue, FlowEntry, MachineEntry, PoissonTable,
    ScenarioFile,
};
use crate::trace;

/// The environment machines and groups belong to when none is declared.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// The time-series interval when `sample_every` is not given.
pub const DEFAULT_SAMPLE_EVERY: SimDuration = SimDuration::from_mins(5);

/// A problem found while building, at a key path (and, for a file the
/// scenario refers to, that file and line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The value at fault.
    pub path: KeyPath,
    /// What is wrong and what was expected.
    pub message: String,
    /// A referred file at fault (a trace), with its line.
    pub external: Option<(PathBuf, Option<usize>)>,
}

/// Builds the model, or returns every problem found.
pub fn build(file: &ScenarioFile, base_dir: &Path) -> Result<ModelSpec, Vec<Issue>> {
    let mut b = Builder {
        file,
        base_dir,
        issues: Vec::new(),
    };
    let spec = b.model();
    if b.issues.is_empty() {
        Ok(spec)
    } else {
        Err(b.issues)
    }
}

struct Builder<'f> {
    file: &'f ScenarioFile,
    base_dir: &'f Path,
    issues: Vec<Issue>,
}

/// The targets built so far.
struct Targets {
    specs: Vec<TargetSpec>,
    index: TargetIndex,
    /// Machines per group, by group index (groups are the first targets).
    group_sizes: Vec<u32>,
    default_selection: SelectionPolicy,
}

impl Targets {
    fn add(&mut self, spec: TargetSpec) -> TargetId {
        let id = TargetId::from_index(self.specs.len());
        self.index.by_name.insert(spec.name.clone(), id);
        self.specs.push(spec);
        id
    }
}

/// The targets of a scenario by name, with what a flow needs to know.
struct TargetIndex {
    by_name: BTreeMap<String, TargetId>,
    /// Grouped machines: not targets themselves, but worth a precise message.
    grouped: BTreeMap<String, String>,
}

impl Builder<'_> {
    fn error(&mut self, path: KeyPath, message: impl Into<String>) {
        self.issues.push(Issue {
            path,
            message: message.into(),
            external: None,
        });
    }

    fn model(&mut self) -> ModelSpec {
        let (horizon, warmup, sample_every) = self.simulation();
        self.limits();
        let environments = self.environments();
        let (targets, machines, index) = self.targets_and_machines(&environments);
        let flows = self.flows(&index, horizon);
        ModelSpec {
            seed: self.file.simulation.seed,
            horizon,
            warmup,
            sample_every,
            scheduler: SchedulerSpec {
                extended_queue_prioritization: self.file.scheduler.extended_queue_prioritization,
            },
            environments,
            targets,
            machines,
            flows,
        }
    }

    fn simulation(&mut self) -> (SimTime, SimTime, SimDuration) {
        let s = &self.file.simulation;
        let path = KeyPath::root("simulation");
        let horizon = SimTime::ZERO + s.horizon.0;
        if s.horizon.0 == SimDuration::ZERO {
            self.error(path.key("horizon"), "must be positive");
        }
        let warmup = SimTime::ZERO + s.warmup.map_or(SimDuration::ZERO, |w| w.0);
        if warmup >= horizon && warmup > SimTime::ZERO {
            self.error(
                path.key("warmup"),
                format!("must be shorter than the horizon ({})", s.horizon.0),
            );
        }
        let sample_every = s.sample_every.map_or(DEFAULT_SAMPLE_EVERY, |d| d.0);
        if sample_every == SimDuration::ZERO {
            self.error(path.key("sample_every"), "must be positive");
        }
        (horizon, warmup, sample_every)
    }

    fn limits(&mut self) {
        let l = &self.file.limits;
        if l.max_bots_per_machine == 0 || l.max_bots_per_machine > MAX_BOTS_PER_MACHINE {
            let message = format!(
                "must be 1 to {MAX_BOTS_PER_MACHINE}, got {}",
                l.max_bots_per_machine
            );
            self.error(KeyPath::root("limits").key("max_bots_per_machine"), message);
        }
        for (key, value) in [
            ("queue_timeout", l.queue_timeout.0),
            ("group_run_timeout", l.group_run_timeout.0),
            ("machine_run_timeout", l.machine_run_timeout.0),
        ] {
            if value == Some(SimDuration::ZERO) {
                let message = "must be positive, or \"none\" for no limit";
                self.error(KeyPath::root("limits").key(key), message);
            }
        }
    }

    fn environments(&mut self) -> Vec<EnvironmentSpec> {
        let entries = &self.file.environments;
        if entries.is_empty() {
            return vec![EnvironmentSpec {
                name: DEFAULT_ENVIRONMENT.into(),
            }];
        }
        let names = entries.iter().map(|e| e.name.as_str());
        self.check_unique("environments", names, "environment");
        entries
            .iter()
            .map(|e| EnvironmentSpec {
                name: e.name.clone(),
            })
            .collect()
    }

    fn check_unique<'n>(&mut self, list: &str, names: impl Iterator<Item = &'n str>, kind: &str) {
        let mut seen = BTreeMap::new();
        for (i, name) in names.enumerate() {
            if let Some(first) = seen.insert(name, i) {
                let message = format!(
                    "duplicate {kind} name {name:?} (first declared as entry {})",
                    first + 1
                );
                self.error(KeyPath::root(list).index(i).key("name"), message);
            }
        }
    }

    fn environment_of(
        &mut self,
        given: Option<&str>,
        path: KeyPath,
        envs: &[EnvironmentSpec],
    ) -> EnvironmentId {
        let Some(name) = given else {
            if envs.len() > 1 {
                let names: Vec<&str> = envs.iter().map(|e| e.name.as_str()).collect();
                let message = format!(
                    "required when there are several environments ({})",
                    names.join(", ")
                );
                self.error(path, message);
            }
            return EnvironmentId(0);
        };
        match envs.iter().position(|e| e.name == name) {
            Some(i) => EnvironmentId::from_index(i),
            None => {
                let message = unknown("environment", name, envs.iter().map(|e| e.name.as_str()));
                self.error(path, message);
                EnvironmentId(0)
            }
        }
    }

    fn selection(&mut self, name: &str, path: KeyPath) -> SelectionPolicy {
        SelectionPolicy::from_name(name).unwrap_or_else(|| {
            let known = SelectionPolicy::ALL.iter().map(|p| p.name());
            self.error(path, unknown("selection policy", name, known));
            SelectionPolicy::Random
        })
    }

    fn targets_and_machines(
        &mut self,
        envs: &[EnvironmentSpec],
    ) -> (Vec<TargetSpec>, Vec<MachineSpec>, TargetIndex) {
        let f = self.file;
        let names = f.machine_groups.iter().map(|g| g.name.as_str());
        self.check_unique_targets(names.chain(f.machines.iter().map(|m| m.name.as_str())));
        let default_selection = self.selection(
            &f.scheduler.selection,
            KeyPath::root("scheduler").key("selection"),
        );
        let mut t = Targets {
            specs: Vec::new(),
            index: TargetIndex {
                by_name: BTreeMap::new(),
                grouped: BTreeMap::new(),
            },
            group_sizes: vec![0; f.machine_groups.len()],
            default_selection,
        };
        for (i, g) in f.machine_groups.iter().enumerate() {
            let path = KeyPath::root("machine_groups").index(i);
            let environment =
                self.environment_of(g.environment.as_deref(), path.key("environment"), envs);
            let spec = self.target(
                &g.name,
                TargetKind::MachineGroup,
                environment,
                g.selection.as_deref(),
                &path,
                &t,
            );
            t.add(spec);
        }
        let machines = f
            .machines
            .iter()
            .enumerate()
            .filter_map(|(i, m)| self.machine(m, KeyPath::root("machines").index(i), envs, &mut t))
            .collect();
        self.check_group_sizes(&t.group_sizes);
        (t.specs, machines, t.index)
    }

    /// A target with the service's limits for its kind.
    fn target(
        &mut self,
        name: &str,
        kind: TargetKind,
        environment: EnvironmentId,
        selection: Option<&str>,
        path: &KeyPath,
        targets: &Targets,
    ) -> TargetSpec {
        let limits = &self.file.limits;
        let run_timeout = match kind {
            TargetKind::MachineGroup => limits.group_run_timeout.0,
            TargetKind::Machine => limits.machine_run_timeout.0,
        };
        let (queue_capacity, queue_timeout) = (limits.queue_capacity, limits.queue_timeout.0);
        let selection = match selection {
            Some(s) => self.selection(s, path.key("selection")),
            None => targets.default_selection,
        };
        TargetSpec {
            name: name.to_string(),
            kind,
            environment,
            queue_capacity,
            queue_timeout,
            run_timeout,
            selection,
        }
    }

    /// A machine, with its own target when standalone.
    fn machine(
        &mut self,
        m: &MachineEntry,
        path: KeyPath,
        envs: &[EnvironmentSpec],
        targets: &mut Targets,
    ) -> Option<MachineSpec> {
        let limits = &self.file.limits;
        let environment =
            self.environment_of(m.environment.as_deref(), path.key("environment"), envs);
        if m.bots == 0 || m.bots > limits.max_bots_per_machine {
            let message = format!(
                "must be 1 to {} (limits.max_bots_per_machine), got {}",
                limits.max_bots_per_machine, m.bots
            );
            self.error(path.key("bots"), message);
        }
        let target = match &m.group {
            Some(group) => self.group_of(m, group, environment, &path, envs, targets)?,
            None => {
                let spec = self.target(
                    &m.name,
                    TargetKind::Machine,
                    environment,
                    m.selection.as_deref(),
                    &path,
                    targets,
                );
                targets.add(spec)
            }
        };
        Some(MachineSpec {
            name: m.name.clone(),
            target,
            bots: m.bots,
        })
    }

    /// The group a machine joins, checked against the machine's environment.
    fn group_of(
        &mut self,
        m: &MachineEntry,
        group: &str,
        environment: EnvironmentId,
        path: &KeyPath,
        envs: &[EnvironmentSpec],
        targets: &mut Targets,
    ) -> Option<TargetId> {
        let groups = &self.file.machine_groups;
        let Some(g) = groups.iter().position(|g| g.name == group) else {
            let known = groups.iter().map(|g| g.name.as_str());
            self.error(path.key("group"), unknown("machine group", group, known));
            return None;
        };
        let group_env = targets.specs[g].environment;
        if group_env != environment {
            let message = format!(
                "machine {:?} is in environment {:?} but group {group:?} is in {:?}; \
                 a machine runs flows of exactly one environment",
                m.name,
                envs[environment.index()].name,
                envs[group_env.index()].name
            );
            self.error(path.key("group"), message);
        }
        if m.selection.is_some() {
            let message = format!(
                "a grouped machine has no queue of its own; set selection on group {group:?}"
            );
            self.error(path.key("selection"), message);
        }
        targets.group_sizes[g] += 1;
        targets
            .index
            .grouped
            .insert(m.name.clone(), group.to_string());
        Some(TargetId::from_index(g))
    }

    fn check_group_sizes(&mut self, sizes: &[u32]) {
        let max = self.file.limits.max_machines_per_group;
        for (g, size) in sizes.iter().enumerate().filter(|(_, s)| **s > max) {
            let message = format!(
                "group {:?} has {size} machines, more than {max} (limits.max_machines_per_group)",
                self.file.machine_groups[g].name
            );
            self.error(
                KeyPath::root("machine_groups").index(g).key("name"),
                message,
            );
        }
    }

    fn check_unique_targets<'n>(&mut self, names: impl Iterator<Item = &'n str>) {
        let groups = self.file.machine_groups.len();
        let mut seen: BTreeMap<&str, KeyPath> = BTreeMap::new();
        for (i, name) in names.enumerate() {
            let path = if i < groups {
                KeyPath::root("machine_groups").index(i)
            } else {
                KeyPath::root("machines").index(i - groups)
            };
            if seen.contains_key(name) {
                let message = format!(
                    "duplicate name {name:?}: machines and machine groups share one namespace, \
                     because flows target them by name"
                );
                self.error(path.key("name"), message);
            } else {
                seen.insert(name, path);
            }
        }
    }

    fn flows(&mut self, index: &TargetIndex, horizon: SimTime) -> Vec<FlowSpec> {
        let f = self.file;
        self.check_unique("flows", f.flows.iter().map(|f| f.name.as_str()), "flow");
        let mut flows = Vec::new();
        for (i, flow) in f.flows.iter().enumerate() {
            let path = KeyPath::root("flows").index(i);
            if let Some(spec) = self.flow(flow, &path, index, horizon) {
                flows.push(spec);
            }
        }
        flows
    }

    fn flow(
        &mut self,
        flow: &FlowEntry,
        path: &KeyPath,
        index: &TargetIndex,
        horizon: SimTime,
    ) -> Option<FlowSpec> {
        let target = self.flow_target(flow, path, index);
        if !(0.0..=1.0).contains(&flow.failure_probability) {
            let message = format!(
                "must be a probability from 0 to 1, got {}",
                flow.failure_probability
            );
            self.error(path.key("failure_probability"), message);
        }
        let duration = self.distribution(&flow.duration, path.key("duration"));
        let arrivals = self.arrivals(&flow.arrivals, path.key("arrivals"), horizon);
        Some(FlowSpec {
            name: flow.name.clone(),
            target: target?,
            priority: flow.priority.0,
            duration: duration?,
            failure_probability: flow.failure_probability,
            arrivals: arrivals?,
        })
    }

    fn flow_target(
        &mut self,
        flow: &FlowEntry,
        path: &KeyPath,
        index: &TargetIndex,
    ) -> Option<TargetId> {
        if let Some(id) = index.by_name.get(&flow.target) {
            return Some(*id);
        }
        let message = match index.grouped.get(&flow.target) {
            Some(group) => format!(
                "machine {:?} is in group {group:?}: runs queue on the group, so target {group:?}",
                flow.target
            ),
            None => unknown(
                "target (a standalone machine or a machine group)",
                &flow.target,
                index.by_name.keys().map(String::as_str),
            ),
        };
        self.error(path.key("target"), message);
        None
    }

    fn distribution(&mut self, value: &DistributionValue, path: KeyPath) -> Option<Distribution> {
        let positive = "must be positive";
        let d = match value {
            DistributionValue::Constant(d) => {
                if *d == SimDuration::ZERO {
                    self.error(path, positive);
                    return None;
                }
                Distribution::Constant(*d)
            }
            DistributionValue::Table(DistributionTable::Exponential { mean }) => {
                if mean.0 == SimDuration::ZERO {
                    self.error(path.key("exponential").key("mean"), positive);
                    return None;
                }
                Distribution::Exponential { mean: mean.0 }
            }
            DistributionValue::Table(DistributionTable::Uniform { min, max }) => {
                if min.0 > max.0 || max.0 == SimDuration::ZERO {
                    let message = format!("max must be positive and at least min ({})", min.0);
                    self.error(path.key("uniform").key("max"), message);
                    return None;
                }
                Distribution::Uniform {
                    min: min.0,
                    max: max.0,
                }
            }
            DistributionValue::Table(DistributionTable::Lognormal { mean, sd }) => {
                if mean.0 == SimDuration::ZERO {
                    self.error(path.key("lognormal").key("mean"), positive);
                    return None;
                }
                Distribution::LogNormal {
                    mean: mean.0,
                    sd: sd.0,
                }
            }
        };
        Some(d)
    }

    fn arrivals(
        &mut self,
        a: &ArrivalsTable,
        path: KeyPath,
        horizon: SimTime,
    ) -> Option<ArrivalProcess> {
        let kinds: Vec<&str> = [
            ("poisson", a.poisson.is_some()),
            ("cron", a.cron.is_some()),
            ("at", a.at.is_some()),
            ("every", a.every.is_some()),
            ("trace", a.trace.is_some()),
        ]
        .into_iter()
        .filter_map(|(k, present)| present.then_some(k))
        .collect();
        let kind = match kinds.as_slice() {
            [one] => *one,
            [] => {
                let message = "expected one of poisson, cron, at, every or trace, e.g. { poisson = { per_hour = 10 } }";
                self.error(path, message);
                return None;
            }
            several => {
                let message = format!(
                    "only one arrival process per flow, found {}",
                    several.join(" and ")
                );
                self.error(path, message);
                return None;
            }
        };
        if a.burst.is_some() && !matches!(kind, "cron" | "every") {
            self.error(
                path.key("burst"),
                format!("burst applies to cron and every, not to {kind}"),
            );
        }
        if a.start.is_some() && kind != "every" {
            self.error(
                path.key("start"),
                format!("start applies to every, not to {kind}"),
            );
        }
        if a.burst == Some(0) {
            self.error(path.key("burst"), "must be at least 1");
        }
        let burst = a.burst.unwrap_or(1).max(1);
        match kind {
            "poisson" => self.poisson(a.poisson.as_ref()?, path.key("poisson")),
            "cron" => {
                let pattern = a.cron.as_deref()?;
                match CronSchedule::parse(pattern) {
                    Ok(schedule) => Some(ArrivalProcess::Cron { schedule, burst }),
                    Err(e) => {
                        let message = format!(
                            "invalid cron pattern {pattern:?}: {e} (expected five fields, e.g. \"0 2 * * 1-5\")"
                        );
                        self.error(path.key("cron"), message);
                        None
                    }
                }
            }
            "at" => {
                let times: Vec<SimTime> =
                    a.at.as_ref()?.iter().map(|d| SimTime::ZERO + d.0).collect();
                if times.is_empty() {
                    self.error(path.key("at"), "must list at least one time");
                }
                Some(ArrivalProcess::At(times))
            }
            "every" => {
                let every = a.every?.0;
                if every == SimDuration::ZERO {
                    self.error(path.key("every"), "must be positive");
                    return None;
                }
                let start = SimTime::ZERO + a.start.map_or(SimDuration::ZERO, |s| s.0);
                Some(ArrivalProcess::Every {
                    start,
                    every,
                    burst,
                })
            }
            _ => self.trace(a.trace.as_deref()?, path.key("trace"), horizon),
        }
    }

    fn poisson(&mut self, p: &PoissonTable, path: KeyPath) -> Option<ArrivalProcess> {
        if !(p.per_hour.is_finite() && p.per_hour > 0.0) {
            self.error(
                path.key("per_hour"),
                format!("must be a positive rate, got {}", p.per_hour),
            );
            return None;
        }
        if p.hourly.is_none() && p.daily.is_none() {
            return Some(ArrivalProcess::Poisson {
                per_hour: p.per_hour,
                profile: None,
            });
        }
        let hourly: [f64; 24] = self.multipliers(p.hourly.as_deref(), path.key("hourly"))?;
        let daily: [f64; 7] = self.multipliers(p.daily.as_deref(), path.key("daily"))?;
        let profile = RateProfile::new(&hourly, &daily)?;
        if profile.is_zero() {
            self.error(path, "the hourly and daily multipliers are zero at every hour of the week: no run would ever arrive");
            return None;
        }
        Some(ArrivalProcess::Poisson {
            per_hour: p.per_hour,
            profile: Some(Box::new(profile)),
        })
    }

    fn multipliers<const N: usize>(
        &mut self,
        values: Option<&[f64]>,
        path: KeyPath,
    ) -> Option<[f64; N]> {
        let Some(values) = values else {
            return Some([1.0; N]);
        };
        let Ok(array) = <[f64; N]>::try_from(values) else {
            self.error(
                path,
                format!("must list exactly {N} multipliers, got {}", values.len()),
            );
            return None;
        };
        if let Some(bad) = array.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
            self.error(
                path.index(bad),
                format!("multipliers must be 0 or more, got {}", array[bad]),
            );
            return None;
        }
        Some(array)
    }

    fn trace(&mut self, file: &str, path: KeyPath, _horizon: SimTime) -> Option<ArrivalProcess> {
        let full = self.base_dir.join(file);
        match trace::load(&full) {
            Ok(times) => Some(ArrivalProcess::Trace(times)),
            Err(e) => {
                self.issues.push(Issue {
                    path,
                    message: e.message,
                    external: Some((full, e.line)),
                });
                None
            }
        }
    }
}

/// "unknown KIND "name"; expected one of: a, b (did you mean "c"?)".
fn unknown<'n>(kind: &str, name: &str, known: impl Iterator<Item = &'n str>) -> String {
    let known: Vec<&str> = known.collect();
    if known.is_empty() {
        return format!("unknown {kind} {name:?}: none is declared");
    }
    let closest = known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| format!(" (did you mean {k:?}?)"))
        .unwrap_or_default();
    const SHOWN: usize = 10;
    let mut list = known
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if known.len() > SHOWN {
        list.push_str(&format!(", ... ({} in all)", known.len()));
    }
    format!("unknown {kind} {name:?}; expected one of: {list}{closest}")
}
