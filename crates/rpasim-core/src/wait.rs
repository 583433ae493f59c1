//! Why runs wait: every run's wait split into reasons, exactly.
//!
//! A target is in one [`WaitReason`] at every instant (for its unattended
//! runs, and another for its attended runs), decided from its state by the
//! engine. Each target keeps one cumulative clock per reason
//! ([`WaitClocks`]): the time it has spent in that reason so far. A run's
//! time in the queue per reason is the difference of the clocks between
//! the instant it was queued and the instant it left the queue: O(1) per
//! run, and nothing to do for the queued runs when the state changes (it
//! changes far less often than runs arrive). Because the clocks of all
//! reasons together advance exactly with time, the parts of a run's wait
//! add up to its wait to the millisecond.

use crate::time::{SimDuration, SimTime};

/// Why a run is not running yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WaitReason {
    /// The target's bots are being created or re-imaged (a cold start,
    /// scale-out, an image update, a hosted machine provisioning or
    /// restarting) and no bot is ready.
    Provisioning,
    /// A hosted group below its `max_bots` gets no slot: the environment's
    /// add-ons are all held (by other groups, commitments or hosted
    /// machines).
    Capacity,
    /// Every bot the run may use is busy (a machine's bots, a hosted group
    /// at `max_bots`, or for an attended run its user's session).
    Busy,
    /// The machines that could serve the run are in maintenance.
    Maintenance,
    /// The machines that could serve the run are offline.
    Offline,
    /// The run has a bot and waits out the target's selection delay.
    Selection,
    /// A bot (or the user's session) was free but the run could not take
    /// it: strict head-of-line behind a run that cannot be placed.
    Blocked,
    /// The run had started and its machine went offline: the time it ran
    /// before it was re-queued (`requeue_lost_runs`).
    Lost,
}

impl WaitReason {
    /// Every reason, in the order of the output columns.
    pub const ALL: [WaitReason; 8] = [
        WaitReason::Provisioning,
        WaitReason::Capacity,
        WaitReason::Busy,
        WaitReason::Maintenance,
        WaitReason::Offline,
        WaitReason::Selection,
        WaitReason::Blocked,
        WaitReason::Lost,
    ];

    /// The name used in output columns (`wait_<name>_s`).
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::Provisioning => "provisioning",
            WaitReason::Capacity => "capacity",
            WaitReason::Busy => "busy",
            WaitReason::Maintenance => "maintenance",
            WaitReason::Offline => "offline",
            WaitReason::Selection => "selection",
            WaitReason::Blocked => "blocked",
            WaitReason::Lost => "lost",
        }
    }

    /// Position in [`WaitReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Number of reasons.
pub const REASONS: usize = WaitReason::ALL.len();

/// The reason with the largest share (the first on a tie), with its
/// share; `None` when no share is positive.
pub fn dominant(shares: &[f64; REASONS]) -> Option<(WaitReason, f64)> {
    let (i, share) =
        shares.iter().enumerate().fold(
            (0, 0.0),
            |best, (i, s)| if *s > best.1 { (i, *s) } else { best },
        );
    (share > 0.0).then_some((WaitReason::ALL[i], share))
}

/// A run's wait split by reason, in milliseconds.
///
/// While a run is queued it holds the clocks' readings at its enqueue
/// subtracted (wrapping), so adding the readings at its dequeue leaves
/// exactly the time spent in each reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitSplit([u64; REASONS]);

impl WaitSplit {
    /// Time waited for `reason`.
    pub fn get(&self, reason: WaitReason) -> SimDuration {
        SimDuration::from_millis(self.0[reason.index()])
    }

    /// Milliseconds per reason, in the order of [`WaitReason::ALL`].
    pub fn millis(&self) -> &[u64; REASONS] {
        &self.0
    }

    /// The split with these milliseconds per reason.
    pub fn from_millis(ms: [u64; REASONS]) -> Self {
        WaitSplit(ms)
    }

    /// The sum over reasons.
    pub fn total(&self) -> SimDuration {
        SimDuration::from_millis(self.0.iter().fold(0u64, |a, b| a.wrapping_add(*b)))
    }

    /// Adds `d` to one reason.
    pub(crate) fn add(&mut self, reason: WaitReason, d: SimDuration) {
        let v = &mut self.0[reason.index()];
        *v = v.wrapping_add(d.as_millis());
    }

    /// Removes `d` from one reason (a selection delay cut short).
    pub(crate) fn remove(&mut self, reason: WaitReason, d: SimDuration) {
        let v = &mut self.0[reason.index()];
        *v = v.wrapping_sub(d.as_millis());
    }

    /// Entering the queue: subtracts the clocks' readings.
    pub(crate) fn enter(&mut self, clocks: &[u64; REASONS]) {
        for (v, c) in self.0.iter_mut().zip(clocks) {
            *v = v.wrapping_sub(*c);
        }
    }

    /// Leaving the queue: adds the clocks' readings.
    pub(crate) fn leave(&mut self, clocks: &[u64; REASONS]) {
        for (v, c) in self.0.iter_mut().zip(clocks) {
            *v = v.wrapping_add(*c);
        }
    }
}

/// A target's cumulative time per reason: one set for its unattended runs
/// and one for its attended runs (they need different things).
#[derive(Debug, Clone)]
pub(crate) struct WaitClocks {
    current: [WaitReason; 2],
    since: SimTime,
    clocks: [[u64; REASONS]; 2],
}

impl WaitClocks {
    /// Clocks at zero, in `Busy` from time 0.
    pub(crate) fn new() -> Self {
        WaitClocks {
            current: [WaitReason::Busy; 2],
            since: SimTime::ZERO,
            clocks: [[0; REASONS]; 2],
        }
    }

    /// From `now` on, queued unattended runs wait for `unattended` and
    /// attended ones for `attended`.
    pub(crate) fn set(&mut self, now: SimTime, unattended: WaitReason, attended: WaitReason) {
        let next = [unattended, attended];
        if next == self.current {
            return;
        }
        let elapsed = (now - self.since).as_millis();
        for (clocks, reason) in self.clocks.iter_mut().zip(self.current) {
            clocks[reason.index()] += elapsed;
        }
        self.since = now;
        self.current = next;
    }

    /// The reason queued runs wait for now.
    pub(crate) fn current(&self, attended: bool) -> WaitReason {
        self.current[usize::from(attended)]
    }

    /// The clocks' readings at `now` for attended or unattended runs.
    pub(crate) fn read(&self, now: SimTime, attended: bool) -> [u64; REASONS] {
        let side = usize::from(attended);
        let mut clocks = self.clocks[side];
        clocks[self.current[side].index()] += (now - self.since).as_millis();
        clocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64) -> SimTime {
        SimTime::from_millis(s * 1000)
    }

    #[test]
    fn a_runs_split_is_the_difference_of_the_clocks() {
        let mut c = WaitClocks::new();
        c.set(at(10), WaitReason::Provisioning, WaitReason::Busy);
        let mut split = WaitSplit::default();
        split.enter(&c.read(at(15), false));
        c.set(at(20), WaitReason::Capacity, WaitReason::Busy);
        c.set(at(50), WaitReason::Busy, WaitReason::Maintenance);
        split.leave(&c.read(at(65), false));
        split.add(WaitReason::Selection, SimDuration::from_millis(500));
        assert_eq!(split.get(WaitReason::Provisioning).as_millis(), 5_000);
        assert_eq!(split.get(WaitReason::Capacity).as_millis(), 30_000);
        assert_eq!(split.get(WaitReason::Busy).as_millis(), 15_000);
        assert_eq!(split.get(WaitReason::Selection).as_millis(), 500);
        assert_eq!(split.total().as_millis(), 50_500);
        // Attended runs keep their own clocks.
        assert_eq!(
            c.read(at(65), true)[WaitReason::Maintenance.index()],
            15_000
        );
    }
}
