//! Flows: targets, priorities, durations and arrival processes.

use std::path::PathBuf;

use rpasim_core::arrival::ArrivalProcess;
use rpasim_core::calendar::{CronSchedule, RateProfile};
use rpasim_core::distribution::Distribution;
use rpasim_core::model::{FlowSpec, TargetKind};
use rpasim_core::{SimDuration, SimTime, TargetId};

use super::access::Access;
use super::targets::{TargetIndex, Targets};
use super::{Builder, Issue, limits, num, unknown};
use crate::error::KeyPath;
use crate::schema::{ArrivalsTable, DistributionTable, DistributionValue, FlowEntry, PoissonTable};

impl Builder<'_> {
    pub(super) fn flows(
        &mut self,
        t: &Targets,
        access: &mut Access,
        horizon: SimTime,
    ) -> Vec<FlowSpec> {
        let f = self.file;
        self.check_unique("flows", f.flows.iter().map(|f| f.name.as_str()), "flow");
        let traces: Vec<PathBuf> = f
            .flows
            .iter()
            .filter_map(|flow| flow.arrivals.trace.as_deref())
            .map(|file| self.base_dir.join(file))
            .collect();
        self.traces.read_ahead(&traces, f.limits.max_runs);
        let mut flows = Vec::new();
        for (i, flow) in f.flows.iter().enumerate() {
            let path = KeyPath::root("flows").index(i);
            if let Some(spec) = self.flow(flow, &path, t, horizon) {
                self.check_flow_owner(
                    &spec.name,
                    flow.owner.as_deref(),
                    spec.target,
                    &path,
                    access,
                );
                flows.push(spec);
            }
        }
        flows
    }

    fn flow(
        &mut self,
        flow: &FlowEntry,
        path: &KeyPath,
        t: &Targets,
        horizon: SimTime,
    ) -> Option<FlowSpec> {
        let target = self.flow_target(flow, path, &t.index);
        if !(0.0..=1.0).contains(&flow.failure_probability) {
            let message = format!(
                "must be a probability from 0 to 1, got {}",
                num(flow.failure_probability)
            );
            self.error(path.key("failure_probability"), message);
        }
        let attended = self.mode(flow, target, path, t);
        let arrivals = self.arrivals(&flow.arrivals, path.key("arrivals"), horizon);
        let recorded = self.recorded.take();
        let duration = match (&flow.duration, &recorded) {
            (Some(d), _) => self.distribution(d, path.key("duration")),
            // A replay: every run has its own duration; the distribution
            // is theirs (for the mean in estimates).
            (None, Some(runs)) if runs.iter().any(|r| r.duration > SimDuration::ZERO) => Some(
                Distribution::Empirical(runs.iter().map(|r| r.duration).collect()),
            ),
            (None, Some(_)) => Some(Distribution::Constant(SimDuration::ZERO)),
            (None, None) => {
                let message = "missing: a duration (\"10m\", or a distribution table), \
                               unless the arrivals are a trace with a duration_s column";
                self.error(path.key("duration"), message);
                None
            }
        };
        Some(FlowSpec {
            name: flow.name.clone(),
            target: target?,
            priority: flow.priority.0,
            duration: duration?,
            failure_probability: flow.failure_probability,
            attended,
            arrivals: arrivals?,
            recorded,
        })
    }

    /// `mode = "attended"` needs a single machine's signed-in user.
    fn mode(
        &mut self,
        flow: &FlowEntry,
        target: Option<TargetId>,
        path: &KeyPath,
        t: &Targets,
    ) -> bool {
        match flow.mode.as_deref() {
            None | Some("unattended") => false,
            Some("attended") => {
                let kind = target.map(|id| t.specs[id.index()].kind);
                if matches!(
                    kind,
                    Some(TargetKind::MachineGroup | TargetKind::HostedGroup)
                ) {
                    let message = "attended runs need the signed-in user of one machine: \
                                   target a machine or hosted machine, not a group";
                    self.error(path.key("mode"), message);
                }
                true
            }
            Some(other) => {
                self.error(
                    path.key("mode"),
                    unknown("mode", other, ["unattended", "attended"].into_iter()),
                );
                false
            }
        }
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
        let message = || match index.grouped.get(&flow.target) {
            Some(group) => format!(
                "machine {:?} is in group {group:?}: runs queue on the group, so target {group:?}",
                flow.target
            ),
            None => unknown(
                "target (a standalone machine, machine group, hosted group or standalone hosted machine)",
                &flow.target,
                index.by_name.keys().map(String::as_str),
            ),
        };
        self.error_with(path.key("target"), message);
        None
    }

    pub(super) fn distribution(
        &mut self,
        value: &DistributionValue,
        path: KeyPath,
    ) -> Option<Distribution> {
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
            DistributionValue::Table(DistributionTable::Empirical(values)) => {
                let path = path.key("empirical");
                if values.len() > limits::MAX_INSTANTS {
                    let message =
                        format!("{} values; at most {}", values.len(), limits::MAX_INSTANTS);
                    self.error(path, message);
                    return None;
                }
                if values.iter().all(|v| v.0 == SimDuration::ZERO) {
                    self.error(path, "needs at least one positive duration");
                    return None;
                }
                Distribution::Empirical(values.iter().map(|v| v.0).collect())
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
                    // A valid pattern may name a day no month has
                    // ("0 0 30 2 *"): a flow that would silently never run.
                    Ok(schedule) if !schedule.fires_ever() => {
                        let message = format!(
                            "cron pattern {pattern:?} never fires (a day its months never have?); \
                             expected a schedule with at least one date, e.g. \"0 2 * * 1-5\""
                        );
                        self.error(path.key("cron"), message);
                        None
                    }
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
        if !(p.per_hour.is_finite() && p.per_hour > 0.0 && p.per_hour <= limits::MAX_PER_HOUR) {
            self.error(
                path.key("per_hour"),
                format!(
                    "must be a positive rate of at most {} an hour, got {}",
                    limits::MAX_PER_HOUR,
                    num(p.per_hour)
                ),
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
        let sane = |x: &f64| x.is_finite() && (0.0..=limits::MAX_MULTIPLIER).contains(x);
        if let Some(bad) = array.iter().position(|x| !sane(x)) {
            self.error(
                path.index(bad),
                format!(
                    "multipliers must be from 0 to {}, got {}",
                    limits::MAX_MULTIPLIER,
                    num(array[bad])
                ),
            );
            return None;
        }
        Some(array)
    }

    fn trace(&mut self, file: &str, path: KeyPath, _horizon: SimTime) -> Option<ArrivalProcess> {
        if file.trim().is_empty() {
            self.error(path, "the trace file name is empty");
            return None;
        }
        let full = self.base_dir.join(file);
        match self.traces.load(&full, self.file.limits.max_runs) {
            Ok(t) => {
                self.recorded = t.recorded;
                Some(ArrivalProcess::Trace(t.times))
            }
            // A problem at a line of the trace: reported there.
            Err(e) if e.line.is_some() => {
                self.issues.push(Issue {
                    path,
                    message: e.message,
                    external: Some((full, e.line)),
                });
                None
            }
            // The file cannot be read at all: reported at the scenario's
            // key, the path quoted (it may hold anything).
            Err(e) => {
                let shown = full.display().to_string();
                self.error(path, format!("trace file {shown:?}: {}", e.message));
                None
            }
        }
    }
}
