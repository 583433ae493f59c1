//! What the capacity of a model costs over its horizon, at the user's
//! prices (there is no built-in price): unattended bots of registered
//! machines, hosted RPA add-ons of environments, hosted machines, each per
//! month of 30 days. `set` events that change a machine's bots or an
//! environment's add-ons change the cost from their time on. Capacity is
//! paid for whether it is used or not, so the cost follows from the model
//! alone, without simulating it.

use crate::model::{Action, ModelSpec, Setting, TargetKind};
use crate::time::SimTime;

/// Prices per month (30 days).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prices {
    /// Per unattended bot of a registered machine.
    pub unattended_bot: f64,
    /// Per hosted RPA add-on of an environment.
    pub hosted_addon: f64,
    /// Per hosted machine.
    pub hosted_machine: f64,
}

/// Milliseconds in a month of 30 days.
const MONTH_MS: f64 = 30.0 * 86_400_000.0;

/// The cost of a model over its horizon: per target (its machines' bots,
/// or its hosted machine; none for a hosted group, whose add-ons belong to
/// its environment), and in all, add-ons included.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// By target id.
    pub targets: Vec<Option<f64>>,
    /// Everything.
    pub all: f64,
}

/// What the model's capacity costs at `prices`.
pub fn cost(spec: &ModelSpec, prices: &Prices) -> Cost {
    let mut targets = vec![0.0; spec.targets.len()];
    // Capacity in force, changed by `set` events in time order.
    let mut bots: Vec<f64> = spec.machines.iter().map(|m| f64::from(m.bots)).collect();
    let mut addons: Vec<f64> = spec
        .environments
        .iter()
        .map(|e| f64::from(e.hosted_capacity))
        .collect();
    let mut changes: Vec<(SimTime, Setting, f64)> = spec
        .events
        .iter()
        .filter(|e| e.at < spec.horizon)
        .filter_map(|e| match e.action {
            Action::Set { setting, value, .. } => Some((e.at, setting, value)),
            _ => None,
        })
        .collect();
    changes.sort_by_key(|(at, ..)| *at);
    let mut addon_cost = 0.0;
    let mut accrue = |from: SimTime, to: SimTime, bots: &[f64], addons: &[f64]| {
        let months = (to.as_millis() - from.as_millis()) as f64 / MONTH_MS;
        for (m, machine) in spec.machines.iter().enumerate() {
            let price = if machine.hosted.is_some() {
                prices.hosted_machine
            } else {
                bots[m] * prices.unattended_bot
            };
            targets[machine.target.index()] += price * months;
        }
        addon_cost += addons.iter().sum::<f64>() * prices.hosted_addon * months;
    };
    let mut at = SimTime::ZERO;
    for (when, setting, value) in changes {
        accrue(at, when, &bots, &addons);
        at = when;
        match setting {
            Setting::MachineBots(m) => bots[m.index()] = value,
            Setting::HostedCapacity(e) => addons[e.index()] = value,
            _ => {}
        }
    }
    accrue(at, spec.horizon, &bots, &addons);
    let all = targets.iter().sum::<f64>() + addon_cost;
    let targets = spec
        .targets
        .iter()
        .zip(targets)
        .map(|(t, c)| (t.kind != TargetKind::HostedGroup).then_some(c))
        .collect();
    Cost { targets, all }
}
