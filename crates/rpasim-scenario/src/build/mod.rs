//! From the file as written to a [`ModelSpec`]: names resolved, limits
//! enforced, every problem collected with the key path it concerns.
//!
//! One submodule per part of the scenario: [`targets`] (machines, groups,
//! hosted machines), [`hosted`] (hosted groups and hosted capacity),
//! [`access`] (users, owners, shares), [`flows`] (workloads), [`events`]
//! (the timeline).

mod access;
mod events;
mod flows;
mod hosted;
pub mod limits;
mod targets;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rpasim_core::model::{
    CapacityPolicyKind, EnvironmentSpec, MAX_BOTS_PER_MACHINE, ModelSpec, SchedulerSpec,
};
use rpasim_core::selection::SelectionPolicy;
use rpasim_core::{EnvironmentId, SimDuration, SimTime};

use rpasim_report::goals::Goal;

use crate::error::KeyPath;
use crate::schema::{EnvironmentEntry, ScenarioFile};

/// The environment machines and groups belong to when none is declared.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// The time-series interval when `sample_every` is not given.
pub const DEFAULT_SAMPLE_EVERY: SimDuration = SimDuration::from_mins(5);

/// Hosted capacity of the `license = "trial"` preset: bots of hosted
/// groups running in parallel.
pub const TRIAL_HOSTED_CAPACITY: u32 = 2;

/// Hosted machines the trial grants, per tenant (the whole scenario).
pub const TRIAL_HOSTED_MACHINES: usize = 1;

/// Hosted groups per environment under the trial preset.
pub const TRIAL_MAX_HOSTED_GROUPS: u32 = 10;

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

/// Builds the model, or returns every problem found; trace files are read
/// through `traces` (once for every reading that shares it).
pub fn build(
    file: &ScenarioFile,
    base_dir: &Path,
    traces: &crate::trace::Traces,
) -> Result<ModelSpec, Vec<Issue>> {
    let too_many = limits::check_counts(file);
    if !too_many.is_empty() {
        return Err(too_many);
    }
    let mut b = Builder {
        file,
        base_dir,
        traces,
        issues: Vec::new(),
        recorded: None,
        names: Names::of(file),
    };
    let spec = b.model();
    if b.issues.is_empty() {
        // Only a model that is valid otherwise is worth estimating.
        b.check_workload(&spec);
    }
    if b.issues.is_empty() {
        Ok(spec)
    } else {
        Err(b.issues)
    }
}

struct Builder<'f> {
    file: &'f ScenarioFile,
    base_dir: &'f Path,
    traces: &'f crate::trace::Traces,
    issues: Vec<Issue>,
    /// The recorded runs of the trace just read by `arrivals`, taken by the
    /// flow being built.
    recorded: Option<std::sync::Arc<Vec<rpasim_core::model::RecordedRun>>>,
    /// Where each environment and machine group is, by name.
    names: Names<'f>,
}

/// The index of each environment and machine group in its list, by name
/// (the first of a name, as a look through the list finds it): each
/// machine names its group and environment, and a look through 2,000
/// groups for each of 100,000 machines took most of the reading.
struct Names<'f> {
    environments: BTreeMap<&'f str, usize>,
    machine_groups: BTreeMap<&'f str, usize>,
}

impl<'f> Names<'f> {
    fn of(file: &'f ScenarioFile) -> Self {
        fn first_of<'f>(names: impl Iterator<Item = &'f str>) -> BTreeMap<&'f str, usize> {
            let mut index = BTreeMap::new();
            for (i, name) in names.enumerate() {
                index.entry(name).or_insert(i);
            }
            index
        }
        let environments = if file.environments.is_empty() {
            // The one environment a scenario without any has.
            BTreeMap::from([(DEFAULT_ENVIRONMENT, 0)])
        } else {
            first_of(file.environments.iter().map(|e| e.name.as_str()))
        };
        Names {
            environments,
            machine_groups: first_of(file.machine_groups.iter().map(|g| g.name.as_str())),
        }
    }
}

/// Problems worded and located in full; those beyond are only counted. Ten
/// thousand flows with one wrong target each would otherwise take seconds
/// to word (a search for the likeliest name among thousands, each) and to
/// locate, and would bury the first problem under screens of its copies.
pub const LISTED_PROBLEMS: usize = 50;

impl Builder<'_> {
    fn error(&mut self, path: KeyPath, message: impl Into<String>) {
        self.error_with(path, || message.into());
    }

    /// Reports a problem whose message is worded only if it is listed
    /// ([`LISTED_PROBLEMS`]); one beyond is kept unworded, to be counted.
    fn error_with(&mut self, path: KeyPath, message: impl FnOnce() -> String) {
        let listed = self.issues.len() < LISTED_PROBLEMS;
        self.issues.push(Issue {
            path,
            message: if listed { message() } else { String::new() },
            external: None,
        });
    }

    fn model(&mut self) -> ModelSpec {
        let (horizon, warmup, sample_every) = self.simulation();
        self.limits();
        self.certificate_rules();
        let environments = self.environments();
        let targets = self.targets(&environments);
        let mut access = self.access(&targets);
        let flows = self.flows(&targets, &mut access, horizon);
        let cx = events::EventContext {
            targets: &targets,
            flows: &flows,
            flow_ids: events::flow_ids(&flows),
            access: &access,
            environments: &environments
                .iter()
                .map(|e| e.name.clone())
                .collect::<Vec<_>>(),
            capacities: environments.iter().map(|e| e.hosted_capacity).collect(),
            hosted_machines: self.counted_hosted_machines(&environments, &targets),
        };
        let events = self.events(&cx, horizon);
        let scheduler = &self.file.scheduler;
        ModelSpec {
            seed: self.file.simulation.seed,
            horizon,
            warmup,
            sample_every,
            scheduler: SchedulerSpec {
                extended_queue_prioritization: scheduler.extended_queue_prioritization,
                requeue_lost_runs: scheduler.requeue_lost_runs,
            },
            environments,
            targets: targets.specs,
            machines: targets.machines,
            flows,
            hosted_groups: targets.hosted_groups,
            events,
            prices: self.prices(),
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
            let message = format!("must be shorter than the horizon ({})", s.horizon.0);
            self.error(path.key("warmup"), message);
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
        if l.max_bots_per_hosted_group == 0 || l.max_bots_per_hosted_group > u32::from(u16::MAX) {
            let message = format!("must be 1 to 65535, got {}", l.max_bots_per_hosted_group);
            self.error(
                KeyPath::root("limits").key("max_bots_per_hosted_group"),
                message,
            );
        }
        if l.queue_capacity > limits::MAX_QUEUE_CAPACITY {
            let message = format!(
                "must be at most {}, got {} (every queued run is held in memory)",
                limits::MAX_QUEUE_CAPACITY,
                l.queue_capacity
            );
            self.error(KeyPath::root("limits").key("queue_capacity"), message);
        }
        for (key, value) in [
            ("max_runs", l.max_runs),
            ("max_events", l.max_events),
            ("max_output_mb", l.max_output_mb),
        ] {
            if value == 0 {
                self.error(KeyPath::root("limits").key(key), "must be at least 1");
            }
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
            return vec![EnvironmentSpec::named(DEFAULT_ENVIRONMENT)];
        }
        let names = entries.iter().map(|e| e.name.as_str());
        self.check_unique("environments", names, "environment");
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| self.environment(e, KeyPath::root("environments").index(i)))
            .collect()
    }

    fn environment(&mut self, e: &EnvironmentEntry, path: KeyPath) -> EnvironmentSpec {
        let hosted_capacity = match (e.license.as_deref(), e.hosted_capacity) {
            (None, capacity) => capacity.unwrap_or(0),
            (Some("trial"), None) => TRIAL_HOSTED_CAPACITY,
            (Some("trial"), Some(c)) => {
                let message = format!(
                    "license = \"trial\" fixes hosted_capacity at {TRIAL_HOSTED_CAPACITY}; remove one of the two"
                );
                self.error(path.key("hosted_capacity"), message);
                c
            }
            (Some(other), capacity) => {
                let message = format!(
                    "unknown license {other:?}; expected \"trial\", or no license (set hosted_capacity)"
                );
                self.error(path.key("license"), message);
                capacity.unwrap_or(0)
            }
        };
        let capacity_policy = match e.capacity_policy.as_deref() {
            None => CapacityPolicyKind::default(),
            Some(name) => CapacityPolicyKind::from_name(name).unwrap_or_else(|| {
                let known = CapacityPolicyKind::ALL.iter().map(|p| p.name());
                self.error(
                    path.key("capacity_policy"),
                    unknown("capacity policy", name, known),
                );
                CapacityPolicyKind::default()
            }),
        };
        EnvironmentSpec {
            name: e.name.clone(),
            hosted_capacity,
            capacity_policy,
        }
    }

    /// The prices of `[costs]`: finite, 0 or more.
    fn prices(&mut self) -> Option<rpasim_core::cost::Prices> {
        let c = self.file.costs.as_ref()?;
        let path = KeyPath::root("costs");
        for (key, value) in [
            ("unattended_bot_per_month", c.unattended_bot_per_month),
            ("hosted_addon_per_month", c.hosted_addon_per_month),
            ("hosted_machine_per_month", c.hosted_machine_per_month),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                self.error(
                    path.key(key),
                    format!("must be a price of 0 or more, got {}", num(value)),
                );
            }
        }
        Some(rpasim_core::cost::Prices {
            unattended_bot: c.unattended_bot_per_month,
            hosted_addon: c.hosted_addon_per_month,
            hosted_machine: c.hosted_machine_per_month,
        })
    }

    /// Whether an environment runs under the trial preset.
    fn is_trial(&self, env: EnvironmentId) -> bool {
        self.file
            .environments
            .get(env.index())
            .is_some_and(|e| e.license.as_deref() == Some("trial"))
    }

    /// Whether an environment has hosted RPA add-ons (hosted capacity
    /// bought, not the trial's).
    fn has_hosted_add_ons(&self, env: EnvironmentId) -> bool {
        !self.is_trial(env)
            && self
                .file
                .environments
                .get(env.index())
                .and_then(|e| e.hosted_capacity)
                .is_some_and(|c| c > 0)
    }

    /// Most hosted groups the environment may hold.
    fn max_hosted_groups(&self, env: EnvironmentId) -> u32 {
        let limit = self.file.limits.max_hosted_groups_per_environment;
        if self.is_trial(env) {
            limit.min(TRIAL_MAX_HOSTED_GROUPS)
        } else {
            limit
        }
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
                    crate::error::first_ten(&names)
                );
                self.error(path, message);
            }
            return EnvironmentId(0);
        };
        match self.names.environments.get(name).copied() {
            Some(i) => EnvironmentId::from_index(i),
            None => {
                self.error_with(path, || {
                    unknown("environment", name, envs.iter().map(|e| e.name.as_str()))
                });
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
}

/// A number for a message: plain, or in scientific notation when huge or
/// tiny (1e308 is not 309 digits).
pub(crate) fn num(x: f64) -> String {
    if x != 0.0 && x.is_finite() && !(1e-6..1e15).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// The `[[goals]]` of a scenario, checked against its model.
pub fn goals(file: &ScenarioFile, spec: &ModelSpec) -> Result<Vec<Goal>, Vec<Issue>> {
    let (mut goals, mut issues) = (Vec::new(), Vec::new());
    let mut error = |path: KeyPath, message: String| {
        issues.push(Issue {
            path,
            message,
            external: None,
        });
    };
    let names = crate::goals::GoalNames::new(spec);
    for (i, g) in file.goals.iter().enumerate() {
        let path = KeyPath::root("goals").index(i);
        let name = names.check(&g.name);
        let metric = crate::goals::check_metric(&g.metric);
        if let Err(m) = &name {
            error(path.key("name"), m.clone());
        }
        if let Err(m) = &metric {
            error(path.key("metric"), m.clone());
        }
        let (key, bound, at_most) = match (&g.at_most, &g.at_least) {
            (Some(b), None) => ("at_most", b, true),
            (None, Some(b)) => ("at_least", b, false),
            _ => {
                error(path, "give exactly one of at_most and at_least".into());
                continue;
            }
        };
        let parsed = crate::goals::parse_bound(&g.metric, &bound.0).and_then(|value| {
            crate::goals::check_can_fail(&g.metric, at_most, value).map(|()| value)
        });
        match parsed {
            Ok(value) if name.is_ok() && metric.is_ok() => goals.push(Goal {
                name: g.name.clone(),
                metric: g.metric.clone(),
                bound: value,
                at_most,
                written: bound.0.clone(),
            }),
            Ok(_) => {}
            Err(m) => error(path.key(key), m),
        }
    }
    if issues.is_empty() {
        Ok(goals)
    } else {
        Err(issues)
    }
}

/// "unknown KIND "name"; expected one of: a, b (did you mean "c"?)".
pub(crate) fn unknown<'n>(kind: &str, name: &str, known: impl Iterator<Item = &'n str>) -> String {
    let known: Vec<&str> = known.collect();
    if known.is_empty() {
        return format!("unknown {kind} {name:?}: none is declared");
    }
    format!("unknown {kind} {name:?}; {}", expected_one_of(name, &known))
}

/// "expected one of: a, b (did you mean "c"?)": the first ten of `known`
/// and how many there are in all (a scenario may name 45,000), and the
/// closest to `name`.
pub(crate) fn expected_one_of(name: &str, known: &[&str]) -> String {
    let closest = crate::error::closest(name, known)
        .map(|k| format!(" (did you mean {k:?}?)"))
        .unwrap_or_default();
    format!(
        "expected one of: {}{closest}",
        crate::error::first_ten(known)
    )
}
