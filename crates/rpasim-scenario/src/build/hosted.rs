//! Hosted machine groups and the hosted capacity of environments.

use rpasim_core::distribution::Distribution;
use rpasim_core::model::{EnvironmentSpec, HostedGroupSpec, ScaleIn, TargetKind};
use rpasim_core::{EnvironmentId, SimDuration, TargetId};

use super::targets::Targets;
use super::{Builder, TRIAL_HOSTED_MACHINES, unknown};
use crate::error::KeyPath;
use crate::schema::HostedGroupEntry;

/// Bot provisioning time when none is given (the service: "at least 10 minutes").
pub const DEFAULT_PROVISIONING: SimDuration = SimDuration::from_mins(10);
/// Idle time after which a hosted group has no bots, when none is given.
pub const DEFAULT_IDLE_COLD_AFTER: SimDuration = SimDuration::from_hours(3);
/// Inactivity after which a hosted group is deleted, when none is given.
pub const DEFAULT_EXPIRE_AFTER_IDLE: SimDuration = SimDuration::from_days(28);

impl Builder<'_> {
    /// The autoscaling settings of a hosted group, checked against the
    /// limits and its environment's capacity.
    pub(super) fn hosted_group(
        &mut self,
        g: &HostedGroupEntry,
        target: TargetId,
        path: &KeyPath,
        env: &EnvironmentSpec,
    ) -> HostedGroupSpec {
        let limit = self.file.limits.max_bots_per_hosted_group;
        if g.max_bots == 0 || g.max_bots > limit {
            let message = format!(
                "must be 1 to {limit} (limits.max_bots_per_hosted_group), got {}",
                g.max_bots
            );
            self.error(path.key("max_bots"), message);
        } else if g.max_bots > env.hosted_capacity {
            let message = format!(
                "{} is more than the hosted capacity of environment {:?} ({}): \
                 a group cannot go beyond the bots assigned to its environment",
                g.max_bots, env.name, env.hosted_capacity
            );
            self.error(path.key("max_bots"), message);
        }
        if g.committed_bots > g.max_bots {
            let message = format!(
                "{} is more than max_bots ({})",
                g.committed_bots, g.max_bots
            );
            self.error(path.key("committed_bots"), message);
        }
        let provisioning = match &g.provisioning {
            Some(p) => self.distribution(p, path.key("provisioning")),
            None => Some(Distribution::Constant(DEFAULT_PROVISIONING)),
        };
        let idle_cold_after = g.idle_cold_after.map_or(DEFAULT_IDLE_COLD_AFTER, |d| d.0);
        if idle_cold_after == SimDuration::ZERO {
            self.error(path.key("idle_cold_after"), "must be positive");
        }
        let expire_after_idle = g
            .expire_after_idle
            .map_or(Some(DEFAULT_EXPIRE_AFTER_IDLE), |d| d.0);
        if expire_after_idle == Some(SimDuration::ZERO) {
            self.error(
                path.key("expire_after_idle"),
                "must be positive, or \"none\"",
            );
        }
        HostedGroupSpec {
            target,
            committed_bots: g.committed_bots,
            max_bots: g.max_bots.max(1),
            provisioning: provisioning.unwrap_or(Distribution::Constant(DEFAULT_PROVISIONING)),
            idle_cold_after,
            expire_after_idle,
            scale_in: self.scale_in(g.scale_in.as_deref(), path),
        }
    }

    fn scale_in(&mut self, name: Option<&str>, path: &KeyPath) -> ScaleIn {
        match name {
            None | Some("warm") => ScaleIn::Warm,
            Some("immediate") => ScaleIn::Immediate,
            Some(other) => {
                let message = unknown("scale_in", other, ["warm", "immediate"].into_iter());
                self.error(path.key("scale_in"), message);
                ScaleIn::Warm
            }
        }
    }

    /// Hosted machines counted in each environment's capacity: where it
    /// has hosted add-ons (the trial grants its one hosted machine apart
    /// from its two hosted-group bots).
    pub(super) fn counted_hosted_machines(
        &self,
        envs: &[EnvironmentSpec],
        t: &Targets,
    ) -> Vec<u32> {
        (0..envs.len())
            .map(|e| {
                let in_env = |m: &rpasim_core::model::MachineSpec| {
                    t.specs[m.target.index()].environment.index() == e
                };
                let n = t
                    .machines
                    .iter()
                    .filter(|m| m.hosted.is_some() && in_env(m))
                    .count() as u32;
                let add_ons = self.has_hosted_add_ons(EnvironmentId::from_index(e));
                if add_ons { n } else { 0 }
            })
            .collect()
    }

    /// Per environment: at most the allowed number of hosted groups, and
    /// commitments plus hosted machines within the hosted capacity.
    pub(super) fn check_hosted_capacity(&mut self, envs: &[EnvironmentSpec], t: &Targets) {
        for (e, env) in envs.iter().enumerate() {
            let id = EnvironmentId::from_index(e);
            let in_env = |target: TargetId| t.specs[target.index()].environment == id;
            let groups: Vec<usize> = (0..t.hosted_groups.len())
                .filter(|i| in_env(t.hosted_groups[*i].target))
                .collect();
            let max_groups = self.max_hosted_groups(id);
            if let Some(extra) = groups.get(max_groups as usize) {
                let message = format!(
                    "environment {:?} has {} hosted groups, more than {max_groups} \
                     (limits.max_hosted_groups_per_environment, or the trial preset)",
                    env.name,
                    groups.len()
                );
                self.error(
                    KeyPath::root("hosted_groups").index(*extra).key("name"),
                    message,
                );
            }
            let committed: u32 = groups
                .iter()
                .map(|i| t.hosted_groups[*i].committed_bots)
                .sum();
            let machines = t
                .machines
                .iter()
                .filter(|m| m.hosted.is_some() && in_env(m.target))
                .count() as u32;
            let add_ons = self.has_hosted_add_ons(id);
            let counted_machines = if add_ons { machines } else { 0 };
            if !add_ons && !self.is_trial(id) && machines > 0 {
                let first = self.first_hosted_machine(t, in_env);
                let message = format!(
                    "environment {:?} has no hosted RPA add-ons (hosted_capacity is 0) and no trial: \
                     no hosted machine can exist there; set hosted_capacity, or license = \"trial\"",
                    env.name
                );
                self.error(
                    KeyPath::root("hosted_machines").index(first).key("name"),
                    message,
                );
            }
            if committed + counted_machines > env.hosted_capacity && !groups.is_empty() {
                let message = format!(
                    "committed bots ({committed}) plus hosted machines ({counted_machines}) exceed the \
                     hosted capacity of environment {:?} ({})",
                    env.name, env.hosted_capacity
                );
                self.error(
                    KeyPath::root("hosted_groups")
                        .index(groups[0])
                        .key("committed_bots"),
                    message,
                );
            } else if add_ons && machines > env.hosted_capacity {
                let message = format!(
                    "{machines} hosted machines exceed the hosted capacity of environment {:?} ({})",
                    env.name, env.hosted_capacity
                );
                self.error(
                    KeyPath::root("environments")
                        .index(e)
                        .key("hosted_capacity"),
                    message,
                );
            }
        }
        self.check_trial_machines(t);
        debug_assert!(
            t.specs
                .iter()
                .filter(|s| s.kind == TargetKind::HostedGroup)
                .count()
                == t.hosted_groups.len()
        );
    }

    /// The trial grants one hosted machine per tenant (the scenario).
    fn check_trial_machines(&mut self, t: &Targets) {
        let on_trial: Vec<usize> = self
            .file
            .hosted_machines
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                t.hosted_machines
                    .get(&m.name)
                    .map(|id| t.specs[t.machines[id.index()].target.index()].environment)
                    .is_some_and(|env| self.is_trial(env))
            })
            .map(|(i, _)| i)
            .collect();
        if let Some(extra) = on_trial.get(TRIAL_HOSTED_MACHINES) {
            let message = format!(
                "{} hosted machines under the trial; it grants the capacity of {TRIAL_HOSTED_MACHINES} \
                 hosted machine per tenant",
                on_trial.len()
            );
            self.error(
                KeyPath::root("hosted_machines").index(*extra).key("name"),
                message,
            );
        }
    }

    /// The index in `[[hosted_machines]]` of the first hosted machine whose
    /// target passes `keep`.
    fn first_hosted_machine(&self, t: &Targets, keep: impl Fn(TargetId) -> bool) -> usize {
        self.file
            .hosted_machines
            .iter()
            .position(|m| {
                t.hosted_machines
                    .get(&m.name)
                    .is_some_and(|id| keep(t.machines[id.index()].target))
            })
            .unwrap_or(0)
    }
}
