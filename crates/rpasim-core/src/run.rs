//! Runs: one execution of a flow, from arrival to its outcome.

use std::fmt;

use crate::ids::{FlowId, MachineId, TargetId};
use crate::time::{SimDuration, SimTime};
use crate::wait::WaitSplit;

/// Queue priority of a run; higher runs first.
pub struct Priority;

impl Priority {
    /// The service's "Normal" priority.
    pub const NORMAL: i64 = 100;
    /// The service's "High" priority.
    pub const HIGH: i64 = 200;

    /// The scenario name of a priority, if it has one (`normal`, `high`).
    pub fn name(p: i64) -> Option<&'static str> {
        match p {
            Priority::NORMAL => Some("normal"),
            Priority::HIGH => Some("high"),
            _ => None,
        }
    }
}

/// How a run ended (or that it had not ended at the horizon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Ran to completion.
    Succeeded,
    /// Ran, and the flow failed (its failure probability).
    Failed,
    /// Rejected on arrival: the queue held its capacity of runs.
    QueueFull,
    /// Waited in the queue longer than the queue timeout.
    QueueTimeout,
    /// Ran longer than the target's run time limit.
    RunTimeout,
    /// Its machine went offline while it ran.
    MachineLost,
    /// Its machine group had no machine.
    GroupEmpty,
    /// Its hosted machine group had been deleted for inactivity.
    GroupExpired,
    /// Its machine group's certificate expired.
    CertificateExpired,
    /// Its owner had lost access to the target.
    AccessDenied,
    /// Cancelled by a scenario event.
    Cancelled,
    /// Its hosted machine had been deleted for inactivity.
    MachineExpired,
    /// Still queued or running at the horizon.
    InFlight,
}

impl Outcome {
    /// Every outcome, in the order of `summary.csv` columns.
    pub const ALL: [Outcome; 13] = [
        Outcome::Succeeded,
        Outcome::Failed,
        Outcome::QueueFull,
        Outcome::QueueTimeout,
        Outcome::RunTimeout,
        Outcome::InFlight,
        Outcome::MachineLost,
        Outcome::GroupEmpty,
        Outcome::GroupExpired,
        Outcome::CertificateExpired,
        Outcome::AccessDenied,
        Outcome::Cancelled,
        Outcome::MachineExpired,
    ];

    /// The name used in scenario files and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::QueueFull => "queue_full",
            Outcome::QueueTimeout => "queue_timeout",
            Outcome::RunTimeout => "run_timeout",
            Outcome::MachineLost => "machine_lost",
            Outcome::GroupEmpty => "group_empty",
            Outcome::GroupExpired => "group_expired",
            Outcome::CertificateExpired => "certificate_expired",
            Outcome::AccessDenied => "access_denied",
            Outcome::Cancelled => "cancelled",
            Outcome::MachineExpired => "machine_expired",
            Outcome::InFlight => "in_flight",
        }
    }

    /// Position in [`Outcome::ALL`], for counting in arrays (a match, not
    /// a search: it is asked once per run).
    pub fn index(self) -> usize {
        match self {
            Outcome::Succeeded => 0,
            Outcome::Failed => 1,
            Outcome::QueueFull => 2,
            Outcome::QueueTimeout => 3,
            Outcome::RunTimeout => 4,
            Outcome::InFlight => 5,
            Outcome::MachineLost => 6,
            Outcome::GroupEmpty => 7,
            Outcome::GroupExpired => 8,
            Outcome::CertificateExpired => 9,
            Outcome::AccessDenied => 10,
            Outcome::Cancelled => 11,
            Outcome::MachineExpired => 12,
        }
    }

    /// The outcome called `name`.
    pub fn from_name(name: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == name)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What executes runs: a machine (registered or hosted), or the bot pool of
/// a hosted machine group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Host {
    /// A machine's bots.
    Machine(MachineId),
    /// A hosted machine group's bot slots.
    HostedGroup(TargetId),
}

/// Where a run executed: a bot of a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// The machine or hosted group.
    pub host: Host,
    /// The bot, numbered from 1 on a machine, or the bot slot (1 to
    /// `max_bots`) of a hosted group.
    pub bot: u16,
}

/// The final record of a run, handed to the observer exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunRecord {
    /// Arrival order across all flows, from 0.
    pub id: u64,
    /// The flow that triggered it.
    pub flow: FlowId,
    /// The queue it went to.
    pub target: TargetId,
    /// Its priority.
    pub priority: i64,
    /// When it was triggered.
    pub arrival: SimTime,
    /// When it started running, if it did.
    pub start: Option<SimTime>,
    /// When it ended; `None` when in flight at the horizon.
    pub end: Option<SimTime>,
    /// Where it ran, if it started.
    pub placement: Option<Placement>,
    /// How it ended.
    pub outcome: Outcome,
    /// For a run that started on a hosted bot the instant that bot finished
    /// provisioning: how long the provisioning took while the run waited
    /// (at most its wait). `None` for every other run.
    pub cold_start: Option<SimDuration>,
    /// How many times it started (more than 1 when re-queued after its
    /// machine went offline); 1 for runs that never started.
    pub attempts: u32,
    /// Its time before starting, by reason: the parts add up to its wait
    /// (`start - arrival`) for a run that started, and to its time in the
    /// queue (until it ended, or the horizon) for one that did not.
    pub waits: WaitSplit,
}

impl RunRecord {
    /// Time from arrival to start, for runs that started.
    pub fn wait(&self) -> Option<SimDuration> {
        self.start.map(|s| s - self.arrival)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_s_index_is_its_place_in_all() {
        for (i, outcome) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(outcome.index(), i, "{outcome:?}");
        }
    }
}
