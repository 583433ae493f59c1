//! Hosted capacity: the hosted RPA add-ons of an environment, shared by its
//! hosted groups and hosted machines.
//!
//! Each group's committed bots are reserved for it; the rest (capacity minus
//! all commitments minus hosted machines) is shared. A group's bots beyond
//! its commitment occupy shared slots. When several groups wait for a
//! shared slot, a [`CapacityPolicy`] decides who gets the next one.

use std::cmp::Ordering;
use std::fmt::Debug;

use crate::ids::TargetId;
use crate::model::CapacityPolicyKind;
use crate::time::SimTime;

/// A hosted group asking for one more bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityRequest {
    /// The group.
    pub group: TargetId,
    /// Since when the group has had queued runs that no bot (ready or
    /// provisioning) will serve.
    pub waiting_since: SimTime,
    /// Its queued runs.
    pub queued: u32,
    /// Its bots (provisioning, ready or busy).
    pub bots: u32,
    /// Its committed bots.
    pub committed: u32,
}

/// Decides which waiting group gets the next shared hosted slot.
pub trait CapacityPolicy: Debug + Send {
    /// The index in `requests` (never empty) of the group served next.
    fn choose(&mut self, requests: &[CapacityRequest]) -> usize;
}

impl CapacityPolicyKind {
    /// A fresh instance of the policy.
    pub fn build(self) -> Box<dyn CapacityPolicy> {
        match self {
            CapacityPolicyKind::FirstComeFirstServed => Box::new(FirstComeFirstServed),
            CapacityPolicyKind::ProportionalToQueue => Box::new(ProportionalToQueue),
        }
    }
}

/// The group that has waited longest (ties to the first declared).
#[derive(Debug, Clone, Copy, Default)]
pub struct FirstComeFirstServed;

impl CapacityPolicy for FirstComeFirstServed {
    fn choose(&mut self, requests: &[CapacityRequest]) -> usize {
        (0..requests.len())
            .min_by_key(|&i| (requests[i].waiting_since, requests[i].group))
            .unwrap_or(0)
    }
}

/// The group with the most queued runs per bot it holds, so that shared
/// capacity follows queue lengths (ties: longest waiting, then first declared).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProportionalToQueue;

impl CapacityPolicy for ProportionalToQueue {
    fn choose(&mut self, requests: &[CapacityRequest]) -> usize {
        // Compare queued / (bots + 1) exactly, as cross products.
        let pressure = |a: &CapacityRequest, b: &CapacityRequest| {
            (u64::from(a.queued) * u64::from(b.bots + 1))
                .cmp(&(u64::from(b.queued) * u64::from(a.bots + 1)))
        };
        (0..requests.len())
            .min_by(|&i, &j| {
                let (a, b) = (&requests[i], &requests[j]);
                match pressure(b, a) {
                    Ordering::Equal => (a.waiting_since, a.group).cmp(&(b.waiting_since, b.group)),
                    other => other,
                }
            })
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(group: u32, since: u64, queued: u32, bots: u32) -> CapacityRequest {
        CapacityRequest {
            group: TargetId(group),
            waiting_since: SimTime::from_millis(since),
            queued,
            bots,
            committed: 0,
        }
    }

    #[test]
    fn first_come_first_served_picks_the_longest_waiting() {
        let r = [req(0, 50, 9, 0), req(1, 10, 1, 5), req(2, 10, 1, 5)];
        assert_eq!(FirstComeFirstServed.choose(&r), 1);
    }

    #[test]
    fn proportional_picks_the_most_queued_per_bot() {
        // 9 / (2 + 1) = 3 beats 4 / (0 + 1) = 4? No: 4 > 3.
        let r = [req(0, 0, 9, 2), req(1, 5, 4, 0)];
        assert_eq!(ProportionalToQueue.choose(&r), 1);
        let r = [req(0, 0, 12, 2), req(1, 5, 3, 0)];
        assert_eq!(ProportionalToQueue.choose(&r), 0);
        // Equal pressure: the longest waiting.
        let r = [req(0, 9, 2, 1), req(1, 5, 1, 0)];
        assert_eq!(ProportionalToQueue.choose(&r), 1);
    }
}
