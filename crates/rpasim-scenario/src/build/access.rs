//! Access: `[[users]]`, target owners and `[[shares]]`.
//!
//! A target is open to every flow unless it has an owner or shares; then
//! only flows whose owner is its owner or a user it is shared with (as
//! co-owner or user) may target it. An `access` event revoking a share
//! makes the later runs of that user's flows on the target end
//! `access_denied`.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use rpasim_core::model::FlowSpec;
use rpasim_core::{FlowId, TargetId};

use super::targets::Targets;
use super::{Builder, unknown};
use crate::error::KeyPath;

/// The share roles of the service.
pub const ROLES: [&str; 2] = ["co-owner", "user"];

/// Who may run flows on which target.
#[derive(Debug, Default)]
pub(super) struct Access {
    users: BTreeSet<String>,
    /// Owner of each target, by target index.
    owners: Vec<Option<String>>,
    /// (target, user) pairs shared, with the role.
    shares: BTreeMap<(TargetId, String), String>,
    /// Owner of each flow, by name.
    flow_owners: BTreeMap<String, String>,
    /// The flows of each (target, owner), built at the first revocation
    /// (when every flow's owner is known).
    owned_flows: OnceCell<BTreeMap<(TargetId, String), Vec<FlowId>>>,
}

impl Access {
    /// Whether `user` may run flows on `target`.
    pub fn allows(&self, target: TargetId, user: &str) -> bool {
        let owner = self.owners.get(target.index()).and_then(Option::as_deref);
        // The target's shares come first from (target, ""): a look-up, not
        // a pass over every share (once a flow, thousands of flows).
        let shared = self
            .shares
            .range((target, String::new())..)
            .next()
            .is_some_and(|((t, _), _)| *t == target);
        (owner.is_none() && !shared)
            || owner == Some(user)
            || self.shares.contains_key(&(target, user.to_string()))
    }

    /// Who has access to `target`, for messages.
    fn holders(&self, target: TargetId) -> String {
        let owner = self
            .owners
            .get(target.index())
            .and_then(Option::as_deref)
            .unwrap_or("none");
        let shared: Vec<&str> = self
            .shares
            .range((target, String::new())..)
            .map(|((t, u), _)| (*t, u.as_str()))
            .take_while(|(t, _)| *t == target)
            .map(|(_, u)| u)
            .collect();
        format!(
            "owner: {owner}; shared with: {}",
            if shared.is_empty() {
                "nobody".into()
            } else {
                crate::error::first_ten(&shared)
            }
        )
    }

    /// The flows that lose access when `user`'s share of `target` is revoked.
    pub fn revocable_flows(
        &self,
        target: TargetId,
        user: &str,
        flows: &[FlowSpec],
    ) -> Result<Vec<FlowId>, String> {
        if self.owners.get(target.index()).and_then(Option::as_deref) == Some(user) {
            return Err(format!(
                "{user:?} owns the target: the owner's access cannot be revoked"
            ));
        }
        if !self.shares.contains_key(&(target, user.to_string())) {
            return Err(format!(
                "{user:?} has no share of the target to revoke ({})",
                self.holders(target)
            ));
        }
        // Indexed once, at the first revocation: a pass over every flow
        // for each event took seconds with thousands of both.
        let owned = self.owned_flows.get_or_init(|| {
            let mut owned: BTreeMap<(TargetId, String), Vec<FlowId>> = BTreeMap::new();
            for (i, f) in flows.iter().enumerate() {
                if let Some(owner) = self.flow_owners.get(&f.name) {
                    owned
                        .entry((f.target, owner.clone()))
                        .or_default()
                        .push(FlowId::from_index(i));
                }
            }
            owned
        });
        Ok(owned
            .get(&(target, user.to_string()))
            .cloned()
            .unwrap_or_default())
    }
}

impl Builder<'_> {
    /// Users, owners and shares, checked.
    pub(super) fn access(&mut self, t: &Targets) -> Access {
        let f = self.file;
        self.check_unique("users", f.users.iter().map(|u| u.name.as_str()), "user");
        let mut access = Access {
            users: f.users.iter().map(|u| u.name.clone()).collect(),
            ..Access::default()
        };
        for (owner, path) in &t.owners {
            if let Some(name) = owner {
                self.check_user(&access, name, path.key("owner"));
            }
        }
        access.owners = t.owners.iter().map(|(o, _)| o.clone()).collect();
        for (i, s) in f.shares.iter().enumerate() {
            let path = KeyPath::root("shares").index(i);
            self.check_user(&access, &s.user, path.key("user"));
            if !ROLES.contains(&s.role.as_str()) {
                self.error(
                    path.key("role"),
                    unknown("role", &s.role, ROLES.into_iter()),
                );
            }
            let Some(target) = t.index.by_name.get(&s.target).copied() else {
                self.error_with(path.key("target"), || {
                    unknown(
                        "target",
                        &s.target,
                        t.index.by_name.keys().map(String::as_str),
                    )
                });
                continue;
            };
            if access
                .shares
                .insert((target, s.user.clone()), s.role.clone())
                .is_some()
            {
                self.error(
                    path.key("user"),
                    format!("{:?} already has a share of {:?}", s.user, s.target),
                );
            }
        }
        access
    }

    /// Whether `name` is a declared user (reporting it if not).
    fn check_user(&mut self, access: &Access, name: &str, path: KeyPath) -> bool {
        let known = access.users.contains(name);
        if !known {
            self.error_with(path, || {
                unknown("user", name, access.users.iter().map(String::as_str))
            });
        }
        known
    }

    /// A flow's owner must exist and have access to the flow's target.
    pub(super) fn check_flow_owner(
        &mut self,
        flow: &str,
        owner: Option<&str>,
        target: TargetId,
        path: &KeyPath,
        access: &mut Access,
    ) {
        let Some(owner) = owner else { return };
        if !self.check_user(access, owner, path.key("owner")) {
            return; // an unknown user: one message is enough
        }
        if !access.allows(target, owner) {
            let message = format!(
                "{owner:?} has no access to the flow's target ({}); share it in [[shares]]",
                access.holders(target)
            );
            self.error(path.key("owner"), message);
        }
        access
            .flow_owners
            .insert(flow.to_string(), owner.to_string());
    }
}
