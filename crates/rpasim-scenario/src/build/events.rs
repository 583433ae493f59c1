//! The timeline: `[[events]]`.
//!
//! Each kind takes its own keys; a key that does not apply to the kind is
//! an error, as is a missing one. `set` events are checked in time order
//! against the values then in force (capacity, commitments, max bots).

use std::collections::BTreeMap;

use rpasim_core::model::{Action, FlowSpec, Scope, Setting, TargetKind, TimelineEvent};
use rpasim_core::{EnvironmentId, FlowId, MachineId, SimDuration, SimTime, TargetId};

use super::access::Access;
use super::targets::Targets;
use super::{Builder, unknown};
use crate::error::KeyPath;
use crate::schema::EventEntry;

/// How long a hosted machine restart lasts when `for` is not given.
pub const DEFAULT_RESTART: SimDuration = SimDuration::from_mins(5);

/// Each event kind with the keys it takes (besides `at` and `kind`).
pub const KINDS: [(&str, &[&str]); 8] = [
    ("update_image", &["target", "image", "provisioning"]),
    ("restart", &["target", "for"]),
    ("maintenance", &["target", "for"]),
    ("offline", &["target", "for", "requeue"]),
    ("priority", &["target", "priority"]),
    ("move_to_top", &["target", "run"]),
    ("access", &["target", "user", "access"]),
    ("set", &["key", "value"]),
];

/// What events need to know besides targets.
pub(super) struct EventContext<'a> {
    pub targets: &'a Targets,
    pub flows: &'a [FlowSpec],
    /// The flows by name (the first of a name listed twice, an error
    /// reported elsewhere): looked up by every event naming a flow.
    pub flow_ids: BTreeMap<&'a str, FlowId>,
    pub access: &'a Access,
    pub environments: &'a [String],
    /// Hosted capacity of each environment at the start.
    pub capacities: Vec<u32>,
    /// Hosted machines counted in each environment's capacity.
    pub hosted_machines: Vec<u32>,
}

/// The flows by name; of a name listed twice, the first.
pub(super) fn flow_ids(flows: &[FlowSpec]) -> BTreeMap<&str, FlowId> {
    let mut ids = BTreeMap::new();
    for (i, f) in flows.iter().enumerate() {
        ids.entry(f.name.as_str()).or_insert(FlowId::from_index(i));
    }
    ids
}

impl Builder<'_> {
    pub(super) fn events(&mut self, cx: &EventContext<'_>, horizon: SimTime) -> Vec<TimelineEvent> {
        let mut events = Vec::new();
        for (i, e) in self.file.events.iter().enumerate() {
            let path = KeyPath::root("events").index(i);
            let at = SimTime::ZERO + e.at.0;
            if at > horizon {
                let message = format!(
                    "{} is after the horizon ({horizon}): the event would never happen",
                    e.at.0
                );
                self.error(path.key("at"), message);
            }
            if !self.check_keys(e, &path) {
                continue;
            }
            for action in self.actions(e, &path, cx) {
                events.push(TimelineEvent { at, action });
            }
        }
        self.check_settings_in_time_order(&events, cx);
        events
    }

    /// Rejects keys that do not apply to the event's kind, and unknown kinds.
    fn check_keys(&mut self, e: &EventEntry, path: &KeyPath) -> bool {
        let Some((_, allowed)) = KINDS.iter().find(|(k, _)| *k == e.kind) else {
            let message = unknown("event kind", &e.kind, KINDS.iter().map(|(k, _)| *k));
            self.error(path.key("kind"), message);
            return false;
        };
        let given = [
            ("target", e.target.is_some()),
            ("for", e.duration.is_some()),
            ("image", e.image.is_some()),
            ("provisioning", e.provisioning.is_some()),
            ("requeue", e.requeue.is_some()),
            ("priority", e.priority.is_some()),
            ("run", e.run.is_some()),
            ("user", e.user.is_some()),
            ("access", e.access.is_some()),
            ("key", e.key.is_some()),
            ("value", e.value.is_some()),
        ];
        let mut ok = true;
        for (key, present) in given {
            if present && !allowed.contains(&key) {
                let message = format!(
                    "does not apply to kind {:?} (it takes: {})",
                    e.kind,
                    allowed.join(", ")
                );
                self.error(path.key(key), message);
                ok = false;
            }
        }
        ok
    }

    /// A key the kind requires, or an error.
    fn required<T: Clone>(
        &mut self,
        value: &Option<T>,
        key: &str,
        e: &EventEntry,
        path: &KeyPath,
    ) -> Option<T> {
        if value.is_none() {
            self.error(path.clone(), format!("kind {:?} needs `{key}`", e.kind));
        }
        value.clone()
    }

    fn actions(&mut self, e: &EventEntry, path: &KeyPath, cx: &EventContext<'_>) -> Vec<Action> {
        if e.kind == "set" {
            return self.set(e, path, cx);
        }
        let Some(target) = self.required(&e.target, "target", e, path) else {
            return Vec::new();
        };
        let tp = path.key("target");
        let action = match e.kind.as_str() {
            "update_image" => self.update_image(e, &target, &tp, path, cx.targets),
            "restart" => self.restart(e, &target, &tp, cx.targets),
            "maintenance" => self.maintenance(e, &target, &tp, path, cx.targets),
            "offline" => self.offline(e, &target, &tp, path, cx.targets),
            "priority" => {
                let flow = self.flow_named(&target, &tp, cx);
                let priority = self.required(&e.priority, "priority", e, path);
                flow.zip(priority).map(|(flow, p)| Action::SetPriority {
                    flow,
                    priority: p.0,
                })
            }
            "move_to_top" => {
                let flow = self.flow_named(&target, &tp, cx);
                let run = self.required(&e.run, "run", e, path);
                if run == Some(0) {
                    self.error(path.key("run"), "runs of a flow are counted from 1");
                }
                flow.zip(run)
                    .map(|(flow, run)| Action::MoveToTop { flow, run })
            }
            _ => self.revoke(e, &target, &tp, path, cx),
        };
        action.into_iter().collect()
    }

    fn duration_of(
        &mut self,
        e: &EventEntry,
        default: Option<SimDuration>,
        path: &KeyPath,
    ) -> Option<SimDuration> {
        let duration = e.duration.map(|d| d.0).or(default);
        match duration {
            None => self.error(path.clone(), format!("kind {:?} needs `for`", e.kind)),
            Some(SimDuration::ZERO) => self.error(path.key("for"), "must be positive"),
            Some(_) => {}
        }
        duration
    }

    fn update_image(
        &mut self,
        e: &EventEntry,
        target: &str,
        tp: &KeyPath,
        path: &KeyPath,
        t: &Targets,
    ) -> Option<Action> {
        let group =
            self.target_of_kind(target, tp, t, &[TargetKind::HostedGroup], "hosted group")?;
        let provisioning = match &e.provisioning {
            Some(p) => Some(self.distribution(p, path.key("provisioning"))?),
            None => None,
        };
        Some(Action::UpdateImage {
            group,
            image: e.image.clone().unwrap_or_else(|| "updated image".into()),
            provisioning,
        })
    }

    fn restart(
        &mut self,
        e: &EventEntry,
        target: &str,
        tp: &KeyPath,
        t: &Targets,
    ) -> Option<Action> {
        let machine = self.machine_named(&t.hosted_machines, "hosted machine", target, tp)?;
        let duration = self.duration_of(e, Some(DEFAULT_RESTART), tp)?;
        Some(Action::Restart { machine, duration })
    }

    fn maintenance(
        &mut self,
        e: &EventEntry,
        target: &str,
        tp: &KeyPath,
        path: &KeyPath,
        t: &Targets,
    ) -> Option<Action> {
        let scope = match t.machine_ids.get(target) {
            Some(m) => Scope::Machine(*m),
            None => {
                let kinds = [TargetKind::MachineGroup, TargetKind::HostedGroup];
                Scope::Target(self.target_of_kind(
                    target,
                    tp,
                    t,
                    &kinds,
                    "machine, machine group or hosted group",
                )?)
            }
        };
        let duration = self.duration_of(e, None, path)?;
        Some(Action::Maintenance { scope, duration })
    }

    fn offline(
        &mut self,
        e: &EventEntry,
        target: &str,
        tp: &KeyPath,
        path: &KeyPath,
        t: &Targets,
    ) -> Option<Action> {
        let machine =
            self.machine_named(&t.machine_ids, "machine (registered or hosted)", target, tp)?;
        let duration = self.duration_of(e, None, path)?;
        Some(Action::Offline {
            machine,
            duration,
            requeue: e.requeue,
        })
    }

    fn revoke(
        &mut self,
        e: &EventEntry,
        target: &str,
        tp: &KeyPath,
        path: &KeyPath,
        cx: &EventContext<'_>,
    ) -> Option<Action> {
        let id = self.target_of_kind(target, tp, cx.targets, &TargetKind::ALL, "target")?;
        let user = self.required(&e.user, "user", e, path)?;
        let access = self.required(&e.access, "access", e, path)?;
        if access != "none" {
            let message = format!(
                "only \"none\" (revoke) is modelled, got {access:?}: grant access with [[shares]]"
            );
            self.error(path.key("access"), message);
            return None;
        }
        match cx.access.revocable_flows(id, &user, cx.flows) {
            Ok(flows) => Some(Action::RevokeAccess { flows }),
            Err(message) => {
                self.error(path.key("user"), message);
                None
            }
        }
    }

    fn target_of_kind(
        &mut self,
        name: &str,
        path: &KeyPath,
        t: &Targets,
        kinds: &[TargetKind],
        what: &str,
    ) -> Option<TargetId> {
        match t.index.by_name.get(name) {
            Some(id) if kinds.contains(&t.specs[id.index()].kind) => Some(*id),
            _ => {
                let known = t
                    .specs
                    .iter()
                    .filter(|s| kinds.contains(&s.kind))
                    .map(|s| s.name.as_str());
                self.error_with(path.clone(), || unknown(what, name, known));
                None
            }
        }
    }

    /// The machine called `name` among `machines`, or an error at `path`
    /// listing those there are.
    fn machine_named(
        &mut self,
        machines: &BTreeMap<String, MachineId>,
        what: &str,
        name: &str,
        path: &KeyPath,
    ) -> Option<MachineId> {
        let found = machines.get(name).copied();
        if found.is_none() {
            self.error_with(path.clone(), || {
                unknown(what, name, machines.keys().map(String::as_str))
            });
        }
        found
    }

    fn flow_named(&mut self, name: &str, path: &KeyPath, cx: &EventContext<'_>) -> Option<FlowId> {
        let found = cx.flow_ids.get(name).copied();
        if found.is_none() {
            self.error_with(path.clone(), || {
                unknown("flow", name, cx.flows.iter().map(|f| f.name.as_str()))
            });
        }
        found
    }

    // ----- set -----------------------------------------------------------

    fn set(&mut self, e: &EventEntry, path: &KeyPath, cx: &EventContext<'_>) -> Vec<Action> {
        let (Some(key), Some(value)) = (
            self.required(&e.key, "key", e, path),
            self.required(&e.value, "value", e, path),
        ) else {
            return Vec::new();
        };
        let kp = path.key("key");
        let settings = match self.setting(&key, &kp, cx) {
            Some(s) => s,
            None => return Vec::new(),
        };
        if let Some(problem) = self.value_problem(&settings, value, cx) {
            self.error(path.key("value"), problem);
            return Vec::new();
        }
        settings
            .into_iter()
            .map(|setting| Action::Set {
                setting,
                value,
                key: key.clone(),
            })
            .collect()
    }

    /// The settings a `set` key names (several for `limits.queue_capacity`).
    fn setting(
        &mut self,
        key: &str,
        path: &KeyPath,
        cx: &EventContext<'_>,
    ) -> Option<Vec<Setting>> {
        let t = cx.targets;
        // A name with dots is quoted, as in --set: machines."vm.01".bots.
        let segments = crate::overrides::key_segments(key).ok()?;
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let target = |name: &str| t.index.by_name.get(name).copied();
        let setting = match segments.as_slice() {
            ["limits", "queue_capacity"] => {
                return Some(
                    (0..t.specs.len())
                        .map(|i| Setting::QueueCapacity(TargetId::from_index(i)))
                        .collect(),
                );
            }
            ["machines" | "hosted_machines", name, "bots"] => {
                t.machine_ids.get(*name).map(|m| Setting::MachineBots(*m))
            }
            ["hosted_groups", name, "max_bots"] => target(name).map(Setting::MaxBots),
            ["hosted_groups", name, "committed_bots"] => target(name).map(Setting::CommittedBots),
            [
                "machine_groups" | "hosted_groups" | "machines" | "hosted_machines",
                name,
                "queue_capacity",
            ] => target(name).map(Setting::QueueCapacity),
            ["environments", name, "hosted_capacity"] => cx
                .environments
                .iter()
                .position(|e| e == name)
                .map(|i| Setting::HostedCapacity(EnvironmentId::from_index(i))),
            ["flows", name, "failure_probability"] => cx
                .flow_ids
                .get(name)
                .map(|f| Setting::FailureProbability(*f)),
            ["flows", name, "arrivals", "poisson", "per_hour"] => {
                cx.flow_ids.get(name).map(|f| Setting::ArrivalRate(*f))
            }
            _ => {
                let message = format!(
                    "{key:?} is not a setting that can change on the timeline; supported: {}",
                    SETTABLE.join(", ")
                );
                self.error(path.clone(), message);
                return None;
            }
        };
        if setting.is_none() {
            self.error(
                path.clone(),
                format!("{key:?} names no declared entry of that list"),
            );
        }
        setting.map(|s| vec![s])
    }

    /// What is wrong with a value for these settings, if anything.
    fn value_problem(
        &self,
        settings: &[Setting],
        value: f64,
        cx: &EventContext<'_>,
    ) -> Option<String> {
        let integer = value >= 0.0 && value.fract() == 0.0;
        let limits = &self.file.limits;
        settings.iter().find_map(|s| match s {
            Setting::MachineBots(_)
                if !integer || value < 1.0 || value > f64::from(limits.max_bots_per_machine) =>
            {
                Some(format!(
                    "bots must be 1 to {}, got {value}",
                    limits.max_bots_per_machine
                ))
            }
            Setting::MaxBots(_)
                if !integer
                    || value < 1.0
                    || value > f64::from(limits.max_bots_per_hosted_group) =>
            {
                Some(format!(
                    "max_bots must be 1 to {}, got {value}",
                    limits.max_bots_per_hosted_group
                ))
            }
            Setting::CommittedBots(_) | Setting::HostedCapacity(_) | Setting::QueueCapacity(_)
                if !integer || value > f64::from(super::limits::MAX_QUEUE_CAPACITY) =>
            {
                Some(format!(
                    "must be a whole number from 0 to {}, got {value}",
                    super::limits::MAX_QUEUE_CAPACITY
                ))
            }
            Setting::FailureProbability(_) if !(0.0..=1.0).contains(&value) => {
                Some(format!("must be a probability from 0 to 1, got {value}"))
            }
            Setting::ArrivalRate(f)
                if !(value.is_finite() && value > 0.0 && value <= super::limits::MAX_PER_HOUR) =>
            {
                Some(format!(
                    "per_hour of flow {:?} must be positive and at most {}, got {}",
                    cx.flows[f.index()].name,
                    super::limits::MAX_PER_HOUR,
                    super::num(value)
                ))
            }
            Setting::ArrivalRate(f)
                if !matches!(
                    cx.flows[f.index()].arrivals,
                    rpasim_core::arrival::ArrivalProcess::Poisson { .. }
                ) =>
            {
                Some(format!(
                    "flow {:?} has no Poisson arrivals to change",
                    cx.flows[f.index()].name
                ))
            }
            _ => None,
        })
    }

    /// Replays hosted `set` events in time order and checks the rules that
    /// tie capacity, commitments and max bots together at every step, in
    /// the environment the event changes (a problem the scenario starts
    /// with is reported where it is written, not at every later event; a
    /// pass over every environment at every event took 6 s for 10,000
    /// events among 500 environments).
    fn check_settings_in_time_order(&mut self, events: &[TimelineEvent], cx: &EventContext<'_>) {
        let t = cx.targets;
        let env_of = |g: TargetId| t.specs[g.index()].environment.index();
        let mut capacity: Vec<u32> = cx.capacities.clone();
        // Each environment's groups as (group, committed, max bots), in
        // group order.
        let mut in_env: Vec<Vec<(TargetId, u32, u32)>> = vec![Vec::new(); capacity.len()];
        for g in &t.hosted_groups {
            in_env[env_of(g.target)].push((g.target, g.committed_bots, g.max_bots));
        }
        for groups in &mut in_env {
            groups.sort_by_key(|(g, ..)| *g);
        }
        let mut order: Vec<(usize, &TimelineEvent)> = events.iter().enumerate().collect();
        order.sort_by_key(|(i, e)| (e.at, *i));
        for (_, e) in order {
            let Action::Set { setting, value, .. } = e.action else {
                continue;
            };
            let n = value as u32;
            let env = match setting {
                Setting::MaxBots(g) => {
                    group_in(&mut in_env[env_of(g)], g).2 = n;
                    env_of(g)
                }
                Setting::CommittedBots(g) => {
                    group_in(&mut in_env[env_of(g)], g).1 = n;
                    env_of(g)
                }
                Setting::HostedCapacity(env) => {
                    capacity[env.index()] = n;
                    env.index()
                }
                _ => continue,
            };
            let problem = environment_problem(&in_env[env], capacity[env], cx.hosted_machines[env]);
            if let Some(problem) = problem {
                self.error(
                    KeyPath::root("events")
                        .index(self.event_index_of(e))
                        .key("value"),
                    format!("at {}: {problem}", e.at),
                );
                return;
            }
        }
    }

    /// The index in the file of the `set` event that produced `e`.
    fn event_index_of(&self, e: &TimelineEvent) -> usize {
        self.file
            .events
            .iter()
            .position(|x| {
                x.kind == "set"
                    && SimTime::ZERO + x.at.0 == e.at
                    && matches!(e.action, Action::Set { value, .. } if Some(value) == x.value)
            })
            .unwrap_or(0)
    }
}

/// The entry of group `g` among an environment's groups (in group order),
/// added with nothing committed and no bots if it is not there yet.
fn group_in(groups: &mut Vec<(TargetId, u32, u32)>, g: TargetId) -> &mut (TargetId, u32, u32) {
    let at = match groups.binary_search_by_key(&g, |(t, ..)| *t) {
        Ok(at) => at,
        Err(at) => {
            groups.insert(at, (g, 0, 0));
            at
        }
    };
    &mut groups[at]
}

/// What breaks the rules of an environment of `capacity` add-ons, with
/// `machines` hosted machines, and these groups (committed, max bots).
fn environment_problem(
    groups: &[(TargetId, u32, u32)],
    capacity: u32,
    machines: u32,
) -> Option<String> {
    let committed: u32 = groups.iter().map(|(_, c, _)| c).sum::<u32>() + machines;
    if let Some((_, c, m)) = groups.iter().find(|(_, c, m)| c > m) {
        Some(format!("committed_bots ({c}) would exceed max_bots ({m})"))
    } else if let Some((_, _, m)) = groups.iter().find(|(_, _, m)| *m > capacity) {
        Some(format!(
            "max_bots ({m}) would exceed the hosted capacity ({capacity})"
        ))
    } else if committed > capacity && !groups.is_empty() {
        Some(format!(
            "commitments and hosted machines ({committed}) would exceed the hosted capacity ({capacity})"
        ))
    } else {
        None
    }
}

/// The keys a `set` event accepts (`<name>` is an entry's name).
pub const SETTABLE: [&str; 10] = [
    "machines.<name>.bots",
    "hosted_machines.<name>.bots",
    "hosted_groups.<name>.max_bots",
    "hosted_groups.<name>.committed_bots",
    "environments.<name>.hosted_capacity",
    "<list>.<name>.queue_capacity",
    "limits.queue_capacity",
    "flows.<name>.arrivals.poisson.per_hour",
    "flows.<name>.failure_probability",
    "(use kind = \"priority\" for priorities)",
];
