//! Why queued runs wait: the reason each target is in, kept up to date
//! wherever its pool changes (see [`crate::wait`] for the clocks).
//!
//! Precedence, for a target's unattended runs (README, "Why runs wait"):
//! - a hosted group: in maintenance → `maintenance`; a ready bot →
//!   `blocked`; a bot provisioning → `provisioning`; fewer bots than
//!   `max_bots` → `capacity` (it would grow if an add-on were free); else
//!   `busy`;
//! - machines: a free bot → `blocked`; else the bots the target may use are
//!   counted by state (busy on an available machine, in maintenance,
//!   offline, provisioning or restarting) and the state holding the most
//!   bots is the reason, ties going to maintenance, then offline, then
//!   provisioning, then busy.
//!
//! An attended run needs its machine's signed-in user: the machine's
//! maintenance, outage or provisioning if it is unavailable, `busy` while
//! the user's session runs another attended run, `blocked` when the
//! session is free (strict head-of-line behind an unattended run).

use super::{Observer, Simulation, TargetId};
use crate::inflight::InFlightRun;
use crate::wait::WaitReason;

/// The reasons of [`crate::machine::Fleet::unavailable_bots`]' classes.
const UNAVAILABLE: [WaitReason; 3] = [
    WaitReason::Maintenance,
    WaitReason::Offline,
    WaitReason::Provisioning,
];

impl<O: Observer> Simulation<O> {
    /// Brings the reason `target`'s queued runs wait for up to date.
    ///
    /// With no run queued nothing depends on the reason (a run's split only
    /// counts the time after it was queued), so it is left as it is until
    /// [`Simulation::enqueue`] refreshes it: most pool changes happen with
    /// an empty queue.
    pub(super) fn refresh_wait(&mut self, target: TargetId) {
        if self.targets[target.index()].queue.is_empty() {
            return;
        }
        let (unattended, attended) = self.wait_reasons(target);
        self.targets[target.index()]
            .wait
            .set(self.now, unattended, attended);
    }

    /// A run leaves its target's queue now (it starts, times out, is
    /// drained, or the horizon comes): its split gets the clocks' readings.
    pub(super) fn leave_queue(&self, run: &mut InFlightRun) {
        let t = &self.targets[run.target.index()];
        run.waits.leave(&t.wait.read(self.now, run.attended));
    }

    /// Why `target`'s queued unattended and attended runs wait now.
    pub(super) fn wait_reasons(&self, target: TargetId) -> (WaitReason, WaitReason) {
        let t = &self.targets[target.index()];
        let unattended = match t.hosted {
            Some(h) => {
                let g = &self.hosted[h];
                if t.maintenance > 0 {
                    WaitReason::Maintenance
                } else if g.ready_count() > 0 {
                    WaitReason::Blocked
                } else if g.provisioning_count() > 0 {
                    WaitReason::Provisioning
                } else if g.total() < g.max_bots {
                    WaitReason::Capacity
                } else {
                    WaitReason::Busy
                }
            }
            None => self.machine_wait_reason(target),
        };
        let attended = if t.attended_queued == 0 {
            WaitReason::Busy
        } else {
            self.attended_wait_reason(target)
        };
        (unattended, attended)
    }

    /// Why unattended runs wait for a machine or machine group.
    fn machine_wait_reason(&self, target: TargetId) -> WaitReason {
        if self.fleet.free_bots(target) > 0 {
            return WaitReason::Blocked;
        }
        // No free bot: every available machine's bots are busy.
        let [maintenance, offline, provisioning] = self.fleet.unavailable_bots(target);
        let counts = [
            (maintenance, WaitReason::Maintenance),
            (offline, WaitReason::Offline),
            (provisioning, WaitReason::Provisioning),
            (self.fleet.available_bots(target), WaitReason::Busy),
        ];
        // The most bots; on a tie the earlier (`max_by_key` keeps the last
        // maximum, hence the reversal).
        counts
            .iter()
            .rev()
            .filter(|(n, _)| *n > 0)
            .max_by_key(|(n, _)| *n)
            .map_or(WaitReason::Busy, |(_, r)| *r)
    }

    /// Why an attended run waits for its machine's user.
    fn attended_wait_reason(&self, target: TargetId) -> WaitReason {
        let Some(&machine) = self.targets[target.index()].members.first() else {
            return WaitReason::Busy;
        };
        match self.fleet.unavailable_class(machine) {
            Some(class) => UNAVAILABLE[class],
            None if self.fleet.attended_free(machine) => WaitReason::Blocked,
            None => WaitReason::Busy,
        }
    }

    /// Checks that every target's reason is up to date after an event
    /// ([`Simulation::check_wait_reasons`]).
    pub(super) fn assert_waits_current(&self) {
        for (i, t) in self.targets.iter().enumerate() {
            let target = TargetId::from_index(i);
            let (unattended, attended) = self.wait_reasons(target);
            if !t.queue.is_empty() {
                assert_eq!(
                    t.wait.current(false),
                    unattended,
                    "target {i} at {:?}",
                    self.now
                );
            }
            if t.attended_queued > 0 {
                assert_eq!(t.wait.current(true), attended, "target {i} (attended)");
            }
        }
    }
}
