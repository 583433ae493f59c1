//! The timeline: `[[events]]`.

use rpasim_core::model::{Action, TargetKind, TimelineEvent};
use rpasim_core::{SimDuration, SimTime};

use super::targets::Targets;
use super::{Builder, unknown};
use crate::error::KeyPath;
use crate::schema::EventEntry;

/// How long a hosted machine restart lasts when `for` is not given.
pub const DEFAULT_RESTART: SimDuration = SimDuration::from_mins(5);

/// Event kinds rpasim models.
pub const KINDS: [&str; 2] = ["update_image", "restart"];

/// Event kinds of the scenario format that are planned but not modelled yet.
pub const PLANNED_KINDS: [&str; 3] = ["maintenance", "offline", "set"];

impl Builder<'_> {
    pub(super) fn events(&mut self, t: &Targets, horizon: SimTime) -> Vec<TimelineEvent> {
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
            if let Some(action) = self.action(e, &path, t) {
                events.push(TimelineEvent { at, action });
            }
        }
        events
    }

    fn action(&mut self, e: &EventEntry, path: &KeyPath, t: &Targets) -> Option<Action> {
        match e.kind.as_str() {
            "update_image" => self.update_image(e, path, t),
            "restart" => self.restart(e, path, t),
            planned if PLANNED_KINDS.contains(&planned) => {
                let message = format!(
                    "kind {planned:?} is not modelled yet (planned); supported kinds: {}",
                    KINDS.join(", ")
                );
                self.error(path.key("kind"), message);
                None
            }
            other => {
                self.error(
                    path.key("kind"),
                    unknown("event kind", other, KINDS.into_iter()),
                );
                None
            }
        }
    }

    fn update_image(&mut self, e: &EventEntry, path: &KeyPath, t: &Targets) -> Option<Action> {
        if e.duration.is_some() {
            self.error(path.key("for"), "an image update has no duration");
        }
        let hosted_groups = || t.specs.iter().filter(|s| s.kind == TargetKind::HostedGroup);
        let group = match t.index.by_name.get(&e.target) {
            Some(id) if t.specs[id.index()].kind == TargetKind::HostedGroup => *id,
            _ => {
                let message = unknown(
                    "hosted group",
                    &e.target,
                    hosted_groups().map(|s| s.name.as_str()),
                );
                self.error(path.key("target"), message);
                return None;
            }
        };
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

    fn restart(&mut self, e: &EventEntry, path: &KeyPath, t: &Targets) -> Option<Action> {
        for (key, given) in [
            ("image", e.image.is_some()),
            ("provisioning", e.provisioning.is_some()),
        ] {
            if given {
                self.error(path.key(key), "applies to update_image, not to restart");
            }
        }
        let Some(machine) = t.hosted_machines.get(&e.target) else {
            let message = unknown(
                "hosted machine",
                &e.target,
                t.hosted_machines.keys().map(String::as_str),
            );
            self.error(path.key("target"), message);
            return None;
        };
        let duration = e.duration.map_or(DEFAULT_RESTART, |d| d.0);
        if duration == SimDuration::ZERO {
            self.error(path.key("for"), "must be positive");
        }
        Some(Action::Restart {
            machine: *machine,
            duration,
        })
    }
}
