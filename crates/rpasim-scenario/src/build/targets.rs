//! Targets and machines: machine groups, hosted groups, registered
//! machines and hosted machines.
//!
//! Target order (and so `summary.csv` order): machine groups, hosted
//! groups, standalone machines, standalone hosted machines, each in file
//! order. Machines, groups, hosted groups and hosted machines share one
//! namespace, because flows and events name them.

use std::collections::BTreeMap;

use rpasim_core::distribution::Distribution;
use rpasim_core::model::{
    CertificateSpec, EnvironmentSpec, HostedGroupSpec, HostedMachineSpec, MachineOptions,
    MachineSpec, RandomOutages, TargetKind, TargetOptions, TargetSpec, Version,
};
use rpasim_core::selection::SelectionPolicy;
use rpasim_core::{EnvironmentId, MachineId, SimDuration, SimTime, TargetId};

use super::{Builder, unknown};
use crate::error::KeyPath;
use crate::schema::{DistributionValue, DurationText, LimitDuration, TargetOptionsView};

/// Provisioning time of a hosted machine when none is given.
pub const DEFAULT_HOSTED_MACHINE_PROVISIONING: SimDuration = SimDuration::from_mins(30);

/// Inactivity after which a hosted machine is deleted in an environment
/// without hosted capacity, when none is given.
pub const DEFAULT_HOSTED_MACHINE_DELETE_AFTER: SimDuration = SimDuration::from_days(14);

/// Everything built from the target lists.
pub(super) struct Targets {
    pub specs: Vec<TargetSpec>,
    pub index: TargetIndex,
    pub machines: Vec<MachineSpec>,
    pub hosted_groups: Vec<HostedGroupSpec>,
    /// Hosted machines by name (events name them).
    pub hosted_machines: BTreeMap<String, MachineId>,
    /// Every machine (registered or hosted) by name.
    pub machine_ids: BTreeMap<String, MachineId>,
    /// Owner of each target (by target index), with the entry's path.
    pub owners: Vec<(Option<String>, KeyPath)>,
    /// Machines per machine group, by group index (groups come first).
    group_sizes: Vec<u32>,
    default_selection: SelectionPolicy,
}

impl Targets {
    fn add(&mut self, spec: TargetSpec, owner: Option<&str>, path: &KeyPath) -> TargetId {
        let id = TargetId::from_index(self.specs.len());
        self.index.by_name.insert(spec.name.clone(), id);
        self.specs.push(spec);
        self.owners.push((owner.map(str::to_string), path.clone()));
        id
    }
}

/// The targets of a scenario by name, with what a flow needs to know.
pub(super) struct TargetIndex {
    pub by_name: BTreeMap<String, TargetId>,
    /// Grouped machines: not targets themselves, but worth a precise message.
    pub grouped: BTreeMap<String, String>,
}

/// What a machine entry says, for registered and hosted machines alike.
struct MachineEntryView<'e> {
    name: &'e str,
    environment: Option<&'e str>,
    group: Option<&'e str>,
    bots: u32,
    selection: Option<&'e str>,
    options: TargetOptionsView<'e>,
    version: Option<&'e str>,
    mtbf: Option<DurationText>,
    repair: Option<&'e DistributionValue>,
    offline_since: Option<DurationText>,
}

impl Builder<'_> {
    pub(super) fn targets(&mut self, envs: &[EnvironmentSpec]) -> Targets {
        let f = self.file;
        self.check_unique_targets();
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
            machines: Vec::new(),
            hosted_groups: Vec::new(),
            hosted_machines: BTreeMap::new(),
            machine_ids: BTreeMap::new(),
            owners: Vec::new(),
            group_sizes: vec![0; f.machine_groups.len()],
            default_selection,
        };
        for (i, g) in f.machine_groups.iter().enumerate() {
            let path = KeyPath::root("machine_groups").index(i);
            let env = self.environment_of(g.environment.as_deref(), path.key("environment"), envs);
            let view = g.target_options();
            let kind = TargetKind::MachineGroup;
            let mut spec = self.target(&g.name, kind, env, g.selection.as_deref(), view, &path, &t);
            spec.options.certificate = g
                .certificate_expires
                .map(|d| self.certificate(SimTime::ZERO + d.0));
            t.add(spec, view.owner, &path);
        }
        for (i, g) in f.hosted_groups.iter().enumerate() {
            let path = KeyPath::root("hosted_groups").index(i);
            let env = self.environment_of(g.environment.as_deref(), path.key("environment"), envs);
            let view = g.target_options();
            let spec = self.target(&g.name, TargetKind::HostedGroup, env, None, view, &path, &t);
            let id = t.add(spec, view.owner, &path);
            let hosted = self.hosted_group(g, id, &path, &envs[env.index()]);
            t.hosted_groups.push(hosted);
        }
        for (i, m) in f.machines.iter().enumerate() {
            let view = MachineEntryView {
                name: &m.name,
                environment: m.environment.as_deref(),
                group: m.group.as_deref(),
                bots: m.bots,
                selection: m.selection.as_deref(),
                options: m.target_options(),
                version: m.version.as_deref(),
                mtbf: m.mtbf,
                repair: m.repair.as_ref(),
                offline_since: m.offline_since,
            };
            self.machine(
                &view,
                None,
                KeyPath::root("machines").index(i),
                envs,
                &mut t,
            );
        }
        for (i, m) in f.hosted_machines.iter().enumerate() {
            let path = KeyPath::root("hosted_machines").index(i);
            let view = MachineEntryView {
                name: &m.name,
                environment: m.environment.as_deref(),
                group: m.group.as_deref(),
                bots: m.bots,
                selection: None,
                options: m.target_options(),
                version: m.version.as_deref(),
                mtbf: m.mtbf,
                repair: m.repair.as_ref(),
                offline_since: m.offline_since,
            };
            let default = Distribution::Constant(DEFAULT_HOSTED_MACHINE_PROVISIONING);
            let provisioning = match &m.provisioning {
                Some(p) => self
                    .distribution(p, path.key("provisioning"))
                    .unwrap_or(default),
                None => default,
            };
            let hosted = HostedMachineSpec {
                provisioning,
                delete_after_idle: None,
            };
            let delete_after = m
                .delete_after_idle
                .unwrap_or(LimitDuration(Some(DEFAULT_HOSTED_MACHINE_DELETE_AFTER)));
            if let Some(id) = self.machine(&view, Some(hosted), path.clone(), envs, &mut t) {
                t.hosted_machines.insert(m.name.clone(), id);
                self.hosted_machine_deletion(id, delete_after, &path, &mut t);
            }
        }
        self.check_group_sizes(&t.group_sizes);
        self.check_hosted_capacity(envs, &t);
        t
    }

    /// A target with the service's limits for its kind and its options.
    #[allow(clippy::too_many_arguments)]
    fn target(
        &mut self,
        name: &str,
        kind: TargetKind,
        environment: EnvironmentId,
        selection: Option<&str>,
        options: TargetOptionsView<'_>,
        path: &KeyPath,
        targets: &Targets,
    ) -> TargetSpec {
        let limits = &self.file.limits;
        let run_timeout = match kind {
            TargetKind::MachineGroup | TargetKind::HostedGroup => limits.group_run_timeout.0,
            TargetKind::Machine | TargetKind::HostedMachine => limits.machine_run_timeout.0,
        };
        let (queue_capacity, queue_timeout) = (limits.queue_capacity, limits.queue_timeout.0);
        let selection = match selection {
            Some(s) => self.selection(s, path.key("selection")),
            None => targets.default_selection,
        };
        let selection_delay = options
            .selection_delay
            .and_then(|d| self.distribution(d, path.key("selection_delay")));
        let session_overhead = options
            .session_overhead
            .and_then(|d| self.distribution(d, path.key("session_overhead")));
        TargetSpec {
            name: name.to_string(),
            kind,
            environment,
            queue_capacity,
            queue_timeout,
            run_timeout,
            selection,
            options: TargetOptions {
                selection_delay,
                session_overhead,
                session_reuse: options.session_reuse.unwrap_or(false),
                certificate: None,
            },
        }
    }

    /// A machine (registered, or hosted when `hosted` is set), with its own
    /// target when standalone.
    fn machine(
        &mut self,
        m: &MachineEntryView<'_>,
        hosted: Option<HostedMachineSpec>,
        path: KeyPath,
        envs: &[EnvironmentSpec],
        targets: &mut Targets,
    ) -> Option<MachineId> {
        let limits = &self.file.limits;
        let environment = self.environment_of(m.environment, path.key("environment"), envs);
        if m.bots == 0 || m.bots > limits.max_bots_per_machine {
            let message = format!(
                "must be 1 to {} (limits.max_bots_per_machine), got {}",
                limits.max_bots_per_machine, m.bots
            );
            self.error(path.key("bots"), message);
        }
        let target = match m.group {
            Some(group) => self.group_of(m, group, environment, &path, envs, targets)?,
            None => {
                let kind = if hosted.is_some() {
                    TargetKind::HostedMachine
                } else {
                    TargetKind::Machine
                };
                let spec = self.target(
                    m.name,
                    kind,
                    environment,
                    m.selection,
                    m.options,
                    &path,
                    targets,
                );
                targets.add(spec, m.options.owner, &path)
            }
        };
        let options = self.machine_options(m, &path);
        targets.machines.push(MachineSpec {
            name: m.name.to_string(),
            target,
            bots: m.bots,
            hosted,
            options,
        });
        let id = MachineId::from_index(targets.machines.len() - 1);
        targets.machine_ids.insert(m.name.to_string(), id);
        Some(id)
    }

    /// Version, random outages and past outage of a machine.
    fn machine_options(&mut self, m: &MachineEntryView<'_>, path: &KeyPath) -> MachineOptions {
        let version = match m.version {
            None => Version::CURRENT,
            Some(text) => parse_version(text).unwrap_or_else(|| {
                self.error(
                    path.key("version"),
                    format!("expected a version such as \"2.23\", got {text:?}"),
                );
                Version::CURRENT
            }),
        };
        let outages = match (m.mtbf, m.repair) {
            (None, None) => None,
            (Some(mtbf), Some(repair)) => {
                if mtbf.0 == SimDuration::ZERO {
                    self.error(path.key("mtbf"), "must be positive");
                }
                self.distribution(repair, path.key("repair"))
                    .map(|repair| RandomOutages {
                        up: Distribution::Exponential { mean: mtbf.0 },
                        repair,
                    })
            }
            (Some(_), None) => {
                self.error(
                    path.key("mtbf"),
                    "random outages need `repair` too (a distribution)",
                );
                None
            }
            (None, Some(_)) => {
                self.error(
                    path.key("repair"),
                    "random outages need `mtbf` too (mean time between failures)",
                );
                None
            }
        };
        MachineOptions {
            version,
            outages,
            offline_since: m.offline_since.map(|d| d.0),
        }
    }

    /// The machine group a machine joins, checked against the machine's
    /// environment.
    fn group_of(
        &mut self,
        m: &MachineEntryView<'_>,
        group: &str,
        environment: EnvironmentId,
        path: &KeyPath,
        envs: &[EnvironmentSpec],
        targets: &mut Targets,
    ) -> Option<TargetId> {
        let groups = &self.file.machine_groups;
        let Some(g) = self.names.machine_groups.get(group).copied() else {
            let known = groups.iter().map(|g| g.name.as_str());
            let hint = if self.file.hosted_groups.iter().any(|h| h.name == group) {
                " (a hosted group creates its own bots: machines cannot join it)"
            } else {
                ""
            };
            self.error_with(path.key("group"), || {
                format!("{}{hint}", unknown("machine group", group, known))
            });
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
        if m.selection.is_some() || m.options.any() {
            let message = format!(
                "a grouped machine has no queue of its own; set selection, selection_delay, \
                 sessions and owner on group {group:?}"
            );
            let key = if m.selection.is_some() {
                "selection"
            } else {
                "group"
            };
            self.error(path.key(key), message);
        }
        targets.group_sizes[g] += 1;
        targets
            .index
            .grouped
            .insert(m.name.to_string(), group.to_string());
        Some(TargetId::from_index(g))
    }

    /// The 14-day deletion applies only in environments without hosted
    /// add-ons: under the trial (with add-ons, a hosted machine is kept;
    /// without either, it cannot exist: [`Builder::check_hosted_capacity`]).
    fn hosted_machine_deletion(
        &mut self,
        id: MachineId,
        delete_after: LimitDuration,
        path: &KeyPath,
        targets: &mut Targets,
    ) {
        if delete_after.0 == Some(SimDuration::ZERO) {
            self.error(
                path.key("delete_after_idle"),
                "must be positive, or \"none\"",
            );
        }
        let env = targets.specs[targets.machines[id.index()].target.index()].environment;
        let no_add_ons = !self.has_hosted_add_ons(env);
        if no_add_ons && let Some(h) = &mut targets.machines[id.index()].hosted {
            h.delete_after_idle = delete_after.0;
        }
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

    fn check_unique_targets(&mut self) {
        let f = self.file;
        let lists: [(&str, Vec<&str>); 4] = [
            (
                "machine_groups",
                f.machine_groups.iter().map(|g| g.name.as_str()).collect(),
            ),
            (
                "hosted_groups",
                f.hosted_groups.iter().map(|g| g.name.as_str()).collect(),
            ),
            (
                "machines",
                f.machines.iter().map(|m| m.name.as_str()).collect(),
            ),
            (
                "hosted_machines",
                f.hosted_machines.iter().map(|m| m.name.as_str()).collect(),
            ),
        ];
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for (list, names) in &lists {
            for (i, name) in names.iter().enumerate() {
                if let Some(first) = seen.insert(name, list) {
                    let message = format!(
                        "duplicate name {name:?} (also in {first}): machines, groups, hosted groups \
                         and hosted machines share one namespace, because flows target them by name"
                    );
                    self.error(KeyPath::root(list).index(i).key("name"), message);
                }
            }
        }
    }
}

/// `"2.23"` as a version.
impl Builder<'_> {
    /// A certificate expiring at `expires`, renewed by the rules of
    /// `[limits]` (checked in [`Builder::certificate_rules`]).
    fn certificate(&self, expires: SimTime) -> CertificateSpec {
        let l = &self.file.limits;
        CertificateSpec {
            expires,
            validity: l.certificate_validity.0,
            renewal_period: l.renewal_period.0,
            online_window: l.certificate_online_window.0,
            minimum_version: parse_version(&l.certificate_minimum_version)
                .unwrap_or(Version::CERTIFICATE_MINIMUM),
        }
    }

    /// Checks the certificate rules of `[limits]`.
    pub(super) fn certificate_rules(&mut self) {
        let l = &self.file.limits;
        let path = KeyPath::root("limits");
        let (validity, period, window) = (
            l.certificate_validity.0,
            l.renewal_period.0,
            l.certificate_online_window.0,
        );
        if validity == SimDuration::ZERO {
            self.error(path.key("certificate_validity"), "must be positive");
        } else if period > validity {
            let message = format!(
                "must be at most certificate_validity ({validity}): a renewal period cannot be \
                 longer than the certificate it renews"
            );
            self.error(path.key("renewal_period"), message);
        }
        if window == SimDuration::ZERO {
            self.error(path.key("certificate_online_window"), "must be positive");
        }
        if parse_version(&l.certificate_minimum_version).is_none() {
            let message = format!(
                "must be a version such as \"2.23\", got {:?}",
                l.certificate_minimum_version
            );
            self.error(path.key("certificate_minimum_version"), message);
        }
    }
}

fn parse_version(text: &str) -> Option<Version> {
    let (major, minor) = text.trim().split_once('.')?;
    Some(Version(major.parse().ok()?, minor.parse().ok()?))
}
