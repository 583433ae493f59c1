//! The fleet a history shows: machine groups, machines and their bots.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rpasim_core::model::MAX_BOTS_PER_MACHINE;

use crate::ImportError;
use crate::history::History;

/// A machine seen in the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Its name.
    pub name: String,
    /// Its group, if it ran runs queued on one.
    pub group: Option<String>,
    /// Unattended bots: the most unattended runs it ran at once (at least
    /// 1), at most what a machine can have.
    pub bots: u32,
    /// The most unattended runs it ran at once (more than `bots` when the
    /// history shows more than a machine can have, e.g. runs it never
    /// closed).
    pub ran_at_once: u32,
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
    pub targets: Vec<Option<Arc<str>>>,
    /// What was inferred and from what.
    pub notes: Vec<String>,
    /// What of the history the fleet cannot hold, and how its runs were
    /// queued instead (machines of a group running runs of no group or of
    /// another group), after the fleet file if any.
    pub reconciled: Vec<String>,
    /// The fleet file that completes it, if any.
    pub fleet_file: Option<FleetFile>,
}

/// Renames the machines named like a group: the service keeps machines
/// and groups apart, rpasim's flows target both by one name. Such a
/// machine becomes `NAME (machine)` (or `NAME (machine 2)`, ... if that is
/// taken too) in every run; returns a note per machine renamed.
pub fn separate_names(history: &mut History) -> Vec<String> {
    let groups = distinct(history.runs.iter().filter_map(|r| r.group.as_ref()));
    let machines = distinct(history.runs.iter().filter_map(|r| r.machine.as_ref()));
    let mut taken: BTreeSet<Arc<str>> = groups.union(&machines).cloned().collect();
    let mut renamed: BTreeMap<Arc<str>, Arc<str>> = BTreeMap::new();
    for clash in machines.intersection(&groups) {
        let mut name: Arc<str> = format!("{clash} (machine)").into();
        for n in 2.. {
            if !taken.contains(&name) {
                break;
            }
            name = format!("{clash} (machine {n})").into();
        }
        taken.insert(name.clone());
        renamed.insert(clash.clone(), name);
    }
    for r in &mut history.runs {
        if let Some(new) = r.machine.as_ref().and_then(|m| renamed.get(m)) {
            r.machine = Some(new.clone());
        }
    }
    renamed
        .iter()
        .map(|(old, new)| {
            format!(
                "machine {old} is named like a group: it is {new} in the scenarios (rpasim's flows \
                 target machines and groups by one name)"
            )
        })
        .collect()
}

/// The ending of a noun counting `n`: "" for one, "s" for any other.
fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Each of `names` once, in order: first through a hash set (whose order
/// reaches nothing), since collecting a name a run into a sorted set
/// sorted them all, a million for a history of a million runs.
fn distinct<'a>(names: impl Iterator<Item = &'a Arc<str>>) -> BTreeSet<Arc<str>> {
    let once: HashSet<&Arc<str>> = names.collect();
    once.into_iter().cloned().collect()
}

/// Infers the fleet, and each run's target in it ([`Fleet::assign`]);
/// `None` when no run names a machine or a group.
pub fn infer(history: &History) -> Option<Fleet> {
    let end = history
        .runs
        .iter()
        .flat_map(|r| [Some(r.created), r.started, r.completed])
        .flatten()
        .max()?;
    // Looked up by hash a run, put in order once: the order of a hash
    // map reaches nothing.
    let mut group_of: HashMap<&str, Option<&str>> = HashMap::new();
    let mut groups: HashSet<&str> = HashSet::new();
    // Per machine: +1 at each unattended start, -1 at its end.
    let mut changes: HashMap<&str, Vec<(i64, i32)>> = HashMap::new();
    for r in &history.runs {
        if let Some(g) = &r.group {
            groups.insert(g);
        }
        if let Some(m) = &r.machine {
            let entry = group_of.entry(m).or_insert(None);
            if entry.is_none() {
                *entry = r.group.as_deref();
            }
            if let (false, Some(start)) = (r.attended, r.started) {
                let stop = r.completed.unwrap_or(end);
                let list = changes.entry(m).or_default();
                list.push((start, 1));
                list.push((stop, -1));
            }
        }
    }
    if group_of.is_empty() && groups.is_empty() {
        return None;
    }
    let group_of: BTreeMap<&str, Option<&str>> = group_of.into_iter().collect();
    let groups: BTreeSet<&str> = groups.into_iter().collect();
    let machines: Vec<Machine> = group_of
        .into_iter()
        .map(|(name, group)| {
            let mut list = changes.remove(name).unwrap_or_default();
            // Ends before starts at the same instant: a bot freed and taken
            // again is one bot.
            list.sort_unstable();
            let (mut now, mut most) = (0i32, 0i32);
            for (_, d) in list {
                now += d;
                most = most.max(now);
            }
            Machine {
                name: name.to_string(),
                group: group.map(str::to_string),
                bots: (most.max(1) as u32).min(MAX_BOTS_PER_MACHINE),
                ran_at_once: most.max(1) as u32,
            }
        })
        .collect();
    let notes = vec![format!(
        "{} machine group{} and {} machine{}, from machinegroupidname and machineidname; \
         a machine's bots are the most unattended runs it ran at once",
        groups.len(),
        plural(groups.len() as u64),
        machines.len(),
        plural(machines.len() as u64),
    )];
    let mut fleet = Fleet {
        groups: groups.into_iter().map(str::to_string).collect(),
        machines,
        notes,
        ..Fleet::default()
    };
    fleet.assign(history);
    Some(fleet)
}

/// What a history shows that a scenario's fleet cannot hold: machines of a
/// group running runs queued on no group or on another group.
#[derive(Default)]
struct Reconciled<'a> {
    /// Unattended runs naming a machine of a group but no group, and the
    /// first such (its machine and the machine's group).
    ungrouped: (usize, Option<(&'a str, Arc<str>)>),
    /// Per machine (in name order), the other groups it ran runs of, with
    /// their numbers of runs.
    moved: BTreeMap<&'a str, BTreeMap<&'a str, usize>>,
}

impl<'a> Reconciled<'a> {
    /// Looks through the runs of `history`, the machines' groups given by
    /// `group_of`.
    fn find(history: &'a History, group_of: &HashMap<&str, Arc<str>>) -> Self {
        let mut found = Reconciled::default();
        for r in &history.runs {
            let Some((machine, its)) = r
                .machine
                .as_deref()
                .and_then(|m| Some((m, group_of.get(m)?)))
            else {
                continue;
            };
            match &r.group {
                // Attended runs on a machine of a group are left out, and
                // said so, where the streams are made.
                None if r.attended => {}
                None => {
                    found.ungrouped.0 += 1;
                    found.ungrouped.1.get_or_insert((machine, its.clone()));
                }
                Some(g) if g != its => {
                    *found
                        .moved
                        .entry(machine)
                        .or_default()
                        .entry(g)
                        .or_default() += 1;
                }
                Some(_) => {}
            }
        }
        found
    }

    /// A note for each kind of thing reconciled, naming the first of it; and
    /// one naming the groups without a machine (their machines are in other
    /// groups, or none of their runs started).
    fn notes(&self, groups: &[String], group_of: &HashMap<&str, Arc<str>>) -> Vec<String> {
        let mut notes = Vec::new();
        if let (n, Some((machine, group))) = &self.ungrouped {
            notes.push(format!(
                "{n} run{} named a machine of a group but no group (the first on {machine}, of \
                 group {group}; run before it joined the group?): queued on the machine's group \
                 in the scenarios",
                plural(*n as u64)
            ));
        }
        if let Some((machine, others)) = self.moved.iter().next() {
            let group = group_of.get(machine).map_or("", |g| &**g);
            let others: Vec<String> = others
                .iter()
                .map(|(g, n)| format!("{g} ({n} run{})", plural(*n as u64)))
                .collect();
            notes.push(format!(
                "{} machine{} ran runs of more than one group (the first, {machine}, of {group} \
                 and of {}): a machine is in one group in the scenarios, the first it ran for",
                self.moved.len(),
                plural(self.moved.len() as u64),
                rpasim_scenario::error::first_ten(&others)
            ));
        }
        let manned: HashSet<&str> = group_of.values().map(|g| &**g).collect();
        let empty: Vec<&str> = groups
            .iter()
            .map(String::as_str)
            .filter(|g| !manned.contains(g))
            .collect();
        if !empty.is_empty() {
            let (s, has, its) = match empty.len() {
                1 => ("", "has", "its"),
                _ => ("s", "have", "their"),
            };
            notes.push(format!(
                "group{s} {} {has} no machine of {its} own in the scenarios: {its} runs fail \
                 (group_empty) in the replay",
                rpasim_scenario::error::first_ten(&empty),
            ));
        }
        notes
    }
}

/// Sections a fleet file may hold: what a history cannot tell.
pub const FLEET_SECTIONS: &[&str] = &[
    "limits",
    "scheduler",
    "environments",
    "machine_groups",
    "machines",
    "hosted_groups",
    "hosted_machines",
    "users",
    "shares",
    "costs",
];

/// The JSON Schema of a fleet file, as `rpasim schema fleet` writes it:
/// the scenario's, with only [`FLEET_SECTIONS`] (any other refused, as
/// [`FleetFile::read`] refuses it), none of them required, and only the
/// definitions they use.
pub fn fleet_schema() -> serde_json::Value {
    let mut schema = rpasim_scenario::json_schema::scenario_schema();
    let Some(object) = schema.as_object_mut() else {
        return schema;
    };
    object.remove("required");
    object.insert("title".into(), "rpasim fleet".into());
    object.insert(
        "description".into(),
        "An rpasim fleet file (`rpasim import --fleet`): what a run history cannot tell, as \
         sections of a scenario (README, \"Start from your run history\")."
            .into(),
    );
    if let Some(serde_json::Value::Object(sections)) = object.get_mut("properties") {
        sections.retain(|name, _| FLEET_SECTIONS.contains(&name.as_str()));
    }
    let used = used_definitions(object);
    if let Some(serde_json::Value::Object(definitions)) = object.get_mut("$defs") {
        definitions.retain(|name, _| used.contains(name));
    }
    schema
}

/// The names of the `$defs` that a schema's properties refer to, directly
/// or through other definitions.
fn used_definitions(schema: &serde_json::Map<String, serde_json::Value>) -> BTreeSet<String> {
    fn refs(value: &serde_json::Value, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref")
                    && let Some(name) = r.strip_prefix("#/$defs/")
                {
                    found.push(name.to_string());
                }
                map.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let mut pending = Vec::new();
    if let Some(properties) = schema.get("properties") {
        refs(properties, &mut pending);
    }
    let mut used = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if used.insert(name.clone())
            && let Some(definition) = schema.get("$defs").and_then(|d| d.get(&name))
        {
            refs(definition, &mut pending);
        }
    }
    used
}

/// The fleet's sections that declare targets.
const TARGET_SECTIONS: &[&str] = &[
    "machine_groups",
    "machines",
    "hosted_groups",
    "hosted_machines",
];

/// A partial scenario (`--fleet FLEET.toml`) whose targets override or
/// complete the inferred ones.
#[derive(Debug, Clone)]
pub struct FleetFile {
    /// Where it was read.
    pub path: PathBuf,
    /// Its text, written verbatim (comments and all) into both scenarios.
    pub text: String,
    /// Names it declares, by section (`environments`, `machines`,
    /// `hosted_groups`, ...).
    names: BTreeMap<&'static str, BTreeSet<String>>,
    /// It has a `[limits]` section.
    has_limits: bool,
    /// The group of each machine it declares in one.
    machine_groups: BTreeMap<String, String>,
}

impl FleetFile {
    /// Reads and checks a fleet file: TOML, only [`FLEET_SECTIONS`], every
    /// target named. Errors name the file, and the line and column of TOML
    /// errors; nothing of a file that is not TOML text is quoted.
    pub fn read(path: &Path) -> Result<FleetFile, ImportError> {
        let fail = |at: Option<(u64, u64)>, m: String| ImportError {
            path: path.to_path_buf(),
            line: at.map(|(line, _)| line),
            character: at.map(|(_, character)| character),
            column: None,
            message: m,
        };
        let text = rpasim_scenario::input::read_text(
            path,
            "the fleet",
            rpasim_scenario::input::MAX_SCENARIO_BYTES,
        )
        .map_err(|m| fail(None, m))?;
        let table: toml::Table = toml::from_str(&text).map_err(|e| {
            let (line, character) =
                rpasim_scenario::error::line_column(&text, e.span().map_or(0, |s| s.start));
            let at = (line as u64, character as u64);
            fail(Some(at), format!("not valid TOML: {}", e.message()))
        })?;
        // A section's place, for the problems found by reading the table.
        let at = |key: &str| {
            rpasim_scenario::KeyPath::root(key)
                .place_in(&text)
                .map(|(line, column)| (line as u64, column as u64))
        };
        let mut names: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
        let mut machine_groups = BTreeMap::new();
        for (key, value) in &table {
            let Some(section) = FLEET_SECTIONS.iter().find(|s| *s == key) else {
                return Err(fail(
                    at(key),
                    format!(
                        "{}: not part of a fleet (the history gives the work); a fleet has {}",
                        crate::time::excerpt(key),
                        FLEET_SECTIONS.join(", ")
                    ),
                ));
            };
            if *section != "environments" && !TARGET_SECTIONS.contains(section) {
                continue;
            }
            let entries = value.as_array().ok_or_else(|| {
                fail(
                    at(key),
                    format!("{section}: expected an array of tables ([[{section}]])"),
                )
            })?;
            for entry in entries {
                // One without a name (or a name that is not text) is told
                // by the check of the scenarios made with the fleet, at
                // its line in the fleet file.
                let Some(name) = entry.get("name").and_then(toml::Value::as_str) else {
                    continue;
                };
                names.entry(section).or_default().insert(name.to_string());
                if let (&"machines", Some(group)) =
                    (section, entry.get("group").and_then(toml::Value::as_str))
                {
                    machine_groups.insert(name.to_string(), group.to_string());
                }
            }
        }
        Ok(FleetFile {
            path: path.to_path_buf(),
            has_limits: table.contains_key("limits"),
            machine_groups,
            text,
            names,
        })
    }

    /// Whether it declares a target of `kind` named `name`.
    fn declares(&self, kind: &str, name: &str) -> bool {
        self.names.get(kind).is_some_and(|n| n.contains(name))
    }

    /// Whether it declares any target named `name`.
    fn declares_target(&self, name: &str) -> bool {
        TARGET_SECTIONS.iter().any(|k| self.declares(k, name))
    }
}

impl Fleet {
    /// Gives each run of `history` its target: its group, else its
    /// machine's group in this fleet (for unattended runs: a flow cannot
    /// target a machine of a group, so the replay would not be a valid
    /// scenario), else its machine. A machine is in one group in a
    /// scenario, the one a fleet file gives or else the first the history
    /// shows it running for, where a
    /// history can show a machine that joined a group during it (its
    /// earlier runs name no group) or moved to another: notes say what was
    /// reconciled.
    fn assign(&mut self, history: &History) {
        // The machines' groups, a fleet file's machines included.
        let declared = self.fleet_file.iter().flat_map(|f| &f.machine_groups);
        let group_of: HashMap<&str, Arc<str>> = self
            .machines
            .iter()
            .filter_map(|m| Some((m.name.as_str(), m.group.as_deref()?)))
            .chain(declared.map(|(m, g)| (m.as_str(), g.as_str())))
            .map(|(m, g)| (m, Arc::from(g)))
            .collect();
        self.targets = history
            .runs
            .iter()
            .map(|r| {
                let joined = || group_of.get(r.machine.as_deref()?).filter(|_| !r.attended);
                r.group
                    .as_ref()
                    .or_else(joined)
                    .or(r.machine.as_ref())
                    .cloned()
            })
            .collect();
        self.reconciled = Reconciled::find(history, &group_of).notes(&self.groups, &group_of);
    }

    /// Lets `file` override or complete the inferred fleet: a target it
    /// declares replaces the inferred one of that name; a group it declares
    /// hosted takes the machines seen in it with it (they were its VMs).
    /// Notes say what changed. The runs of `history` are given their
    /// targets again, in the fleet so completed.
    pub fn apply(&mut self, file: &FleetFile, history: &History) {
        let source = file.path.display();
        let hosted = |g: &str| file.declares("hosted_groups", g);
        let inferred: BTreeSet<String> = self
            .groups
            .iter()
            .cloned()
            .chain(self.machines.iter().map(|m| m.name.clone()))
            .collect();
        self.groups.retain(|g| {
            if !file.declares_target(g) {
                return true;
            }
            self.notes.push(format!(
                "group {g}: as {source} gives it{}",
                if hosted(g) { " (hosted)" } else { "" }
            ));
            false
        });
        let mut vms = 0;
        self.machines.retain(|m| {
            if file.declares_target(&m.name) {
                self.notes.push(format!(
                    "machine {}: as {source} gives it (the history showed {} bot{})",
                    m.name,
                    m.bots,
                    plural(m.bots as u64)
                ));
                return false;
            }
            let vm = m.group.as_deref().is_some_and(hosted);
            vms += usize::from(vm);
            !vm
        });
        if vms > 0 {
            self.notes.push(format!(
                "{vms} machines seen in hosted groups are their VMs, not machines of their own"
            ));
        }
        let added: Vec<&str> = file
            .names
            .values()
            .flatten()
            .filter(|n| !inferred.contains(*n))
            .map(String::as_str)
            .collect();
        if !added.is_empty() {
            let added = rpasim_scenario::error::first_ten(&added);
            self.notes.push(format!("{source} adds {added}"));
        }
        self.fleet_file = Some(file.clone());
        self.assign(history);
    }

    /// A line per machine of the scenarios (its bots and group), in name
    /// order, and a note per machine whose bots were capped (the history
    /// showed more runs at once than a machine can have).
    pub fn machine_lines(&self) -> (Vec<String>, Vec<String>) {
        let (mut lines, mut capped) = (Vec::new(), Vec::new());
        for m in &self.machines {
            let line = format!(
                "machine {}: {} bot{}{}",
                m.name,
                m.bots,
                plural(m.bots as u64),
                m.group
                    .as_ref()
                    .map(|g| format!(", in group {g}"))
                    .unwrap_or_default(),
            );
            if m.ran_at_once > m.bots {
                capped.push(format!(
                    "{line} (it ran {} runs at once; a machine has at most \
                     {MAX_BOTS_PER_MACHINE} bots)",
                    m.ran_at_once
                ));
            } else {
                lines.push(line);
            }
        }
        (lines, capped)
    }

    /// Whether `[limits]` comes from the fleet file.
    pub fn limits_given(&self) -> bool {
        self.fleet_file.as_ref().is_some_and(|f| f.has_limits)
    }
}
