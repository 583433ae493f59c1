//! Machine group certificates: renewal is a period, not an instant.
//!
//! Rules (README "Operations and faults", SEMANTICS "Certificates"):
//! - the `renewal_period` before each expiry, the group renews if at least
//!   one eligible machine is connected at any moment: a machine in
//!   maintenance is connected (maintenance only stops new assignments), an
//!   offline one is not. Eligible: a member at or above the minimum
//!   version;
//! - at the expiry, machines below the minimum version, or not online at
//!   any moment of the `online_window` before it, leave the group;
//! - a renewed certificate expires again `validity` later (every five
//!   years by default); a group with no machine left, or none connected
//!   during the whole period, expires: its runs end `certificate_expired`.

use super::{Event, Observer, Simulation};
use crate::ids::{MachineId, TargetId};
use crate::model::CertificateSpec;
use crate::observer::NotableKind;
use crate::run::Outcome;
use crate::time::SimTime;

/// A group's certificate during the simulation.
#[derive(Debug, Clone, Copy)]
pub(super) struct CertificateState {
    rules: CertificateSpec,
    /// The next expiry.
    expires: SimTime,
    /// Inside the renewal period before `expires`.
    in_period: bool,
    /// An eligible machine has been connected during this period.
    renewable: bool,
}

impl CertificateState {
    pub(super) fn new(rules: CertificateSpec) -> Self {
        CertificateState {
            rules,
            expires: rules.expires,
            in_period: false,
            renewable: false,
        }
    }
}

impl<O: Observer> Simulation<O> {
    /// Schedules the renewal period and the expiry of every certificate.
    pub(super) fn schedule_certificates(&mut self) {
        for t in 0..self.certificates.len() {
            if self.certificates[t].is_some() {
                self.schedule_renewal(TargetId::from_index(t));
            }
        }
    }

    fn schedule_renewal(&mut self, t: TargetId) {
        let Some(c) = self.certificates[t.index()] else {
            return;
        };
        let opens = SimTime::from_millis(
            c.expires
                .as_millis()
                .saturating_sub(c.rules.renewal_period.as_millis())
                .max(self.now.as_millis()),
        );
        // Scheduled first, so that a period of zero length opens and is
        // checked before the expiry at the same instant.
        self.events.schedule(opens, Event::RenewalStart(t));
        self.events.schedule(c.expires, Event::CertificateExpiry(t));
    }

    /// Whether machine `m` counts for the renewal of its group's
    /// certificate now: a member, eligible by version, and connected.
    fn counts_for_renewal(&self, m: MachineId, c: &CertificateState) -> bool {
        let ops = &self.machine_ops[m.index()];
        !self.fleet.is_removed(m) && ops.version >= c.rules.minimum_version && ops.offline == 0
    }

    pub(super) fn on_renewal_start(&mut self, t: TargetId) {
        let Some(mut c) = self.certificates[t.index()] else {
            return;
        };
        c.in_period = true;
        c.renewable = self.targets[t.index()]
            .members
            .iter()
            .any(|m| self.counts_for_renewal(*m, &c));
        self.certificates[t.index()] = Some(c);
    }

    /// Machine `m` is connected again: it may renew its group's
    /// certificate if the renewal period is open.
    pub(super) fn note_connected(&mut self, m: MachineId) {
        let t = self.fleet_target(m);
        let Some(c) = self.certificates.get(t.index()).copied().flatten() else {
            return;
        };
        if c.in_period && !c.renewable && self.counts_for_renewal(m, &c) {
            self.certificates[t.index()] = Some(CertificateState {
                renewable: true,
                ..c
            });
        }
    }

    pub(super) fn on_certificate_expiry(&mut self, t: TargetId) {
        let Some(c) = self.certificates[t.index()] else {
            return;
        };
        let remaining = self.drop_ineligible(t, &c);
        if remaining > 0 && c.renewable {
            let expires = c.expires + c.rules.validity;
            self.certificates[t.index()] = Some(CertificateState {
                expires,
                in_period: false,
                renewable: false,
                ..c
            });
            let detail = format!("machines kept: {remaining}; next expiry at {expires}");
            self.notable(NotableKind::CertificateRenewed, Some(t), None, detail);
            self.schedule_renewal(t);
            return;
        }
        let detail = if remaining == 0 {
            "no machine left"
        } else {
            "no eligible machine connected during the renewal period"
        };
        self.certificates[t.index()] = None;
        self.targets[t.index()].closed = Some(Outcome::CertificateExpired);
        self.drain_queue(t, Outcome::CertificateExpired);
        self.notable(
            NotableKind::CertificateExpired,
            Some(t),
            None,
            detail.to_string(),
        );
    }

    /// Removes the members below the minimum version or offline through
    /// the whole online window; returns how many remain.
    fn drop_ineligible(&mut self, t: TargetId, c: &CertificateState) -> usize {
        let oldest_allowed = self.now.as_millis() as i64 - c.rules.online_window.as_millis() as i64;
        let mut remaining = 0;
        for m in self.targets[t.index()].members.clone() {
            if self.fleet.is_removed(m) {
                continue;
            }
            let ops = &self.machine_ops[m.index()];
            let min = c.rules.minimum_version;
            let reason = if ops.version < min {
                Some(format!(
                    "version {}.{} below {}.{}",
                    ops.version.0, ops.version.1, min.0, min.1
                ))
            } else if ops
                .offline_since
                .is_some_and(|since| since < oldest_allowed)
            {
                Some(format!(
                    "not online in the {} before expiry",
                    c.rules.online_window
                ))
            } else {
                None
            };
            match reason {
                Some(reason) => {
                    self.fleet.remove(m);
                    self.notable(NotableKind::MachineDropped, Some(t), Some(m), reason);
                }
                None => remaining += 1,
            }
        }
        self.sync_available(t);
        remaining
    }
}
