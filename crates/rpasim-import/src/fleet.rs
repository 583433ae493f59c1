//! The fleet a history shows: machine groups, machines and their bots.

use std::collections::BTreeMap;

use crate::history::History;

/// A machine seen in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Its name.
    pub name: String,
    /// Its group, if it ran runs queued on one.
    pub group: Option<String>,
    /// Unattended bots: the most unattended runs it ran at once (at least 1).
    pub bots: u32,
}

/// The inferred fleet.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    /// Groups, by name.
    pub groups: Vec<String>,
    /// Machines, by name.
    pub machines: Vec<Machine>,
    /// Each run's target (its group, else its machine), in history order;
    /// `None` for a run that names neither (queued at the end).
    pub targets: Vec<Option<String>>,
    /// What was inferred and from what.
    pub notes: Vec<String>,
}

/// Infers the fleet; `None` when no run names a machine or a group.
pub fn infer(history: &History) -> Option<Fleet> {
    let end = history
        .runs
        .iter()
        .flat_map(|r| [Some(r.created), r.started, r.completed])
        .flatten()
        .max()?;
    let mut group_of: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    // Per machine: +1 at each unattended start, -1 at its end.
    let mut changes: BTreeMap<&str, Vec<(i64, i32)>> = BTreeMap::new();
    for r in &history.runs {
        if let Some(g) = &r.group {
            *groups.entry(g.clone()).or_default() += 1;
        }
        if let Some(m) = &r.machine {
            let entry = group_of.entry(m.clone()).or_insert(None);
            if entry.is_none() {
                entry.clone_from(&r.group);
            }
            if let (false, Some(start)) = (r.attended, r.started) {
                let stop = r.completed.unwrap_or(end);
                let list = changes.entry(m.as_str()).or_default();
                list.push((start, 1));
                list.push((stop, -1));
            }
        }
    }
    if group_of.is_empty() && groups.is_empty() {
        return None;
    }
    let machines: Vec<Machine> = group_of
        .iter()
        .map(|(name, group)| {
            let mut list = changes.remove(name.as_str()).unwrap_or_default();
            // Ends before starts at the same instant: a bot freed and taken
            // again is one bot.
            list.sort_unstable();
            let (mut now, mut most) = (0i32, 0i32);
            for (_, d) in list {
                now += d;
                most = most.max(now);
            }
            Machine {
                name: name.clone(),
                group: group.clone(),
                bots: most.max(1) as u32,
            }
        })
        .collect();
    let targets = history
        .runs
        .iter()
        .map(|r| r.group.clone().or_else(|| r.machine.clone()))
        .collect();
    let mut notes = vec![format!(
        "{} machine groups and {} machines, from machinegroupidname and machineidname; \
         a machine's bots are the most unattended runs it ran at once",
        groups.len(),
        machines.len()
    )];
    for m in &machines {
        notes.push(format!(
            "machine {}: {} bot{}{}",
            m.name,
            m.bots,
            if m.bots == 1 { "" } else { "s" },
            m.group
                .as_ref()
                .map(|g| format!(", in group {g}"))
                .unwrap_or_default()
        ));
    }
    Some(Fleet {
        groups: groups.into_keys().collect(),
        machines,
        targets,
        notes,
    })
}
