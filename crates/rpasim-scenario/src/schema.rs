//! The scenario file as written: serde types mirroring the TOML, with every
//! table closed to unknown keys. Values are parsed here (durations,
//! priorities) so that a malformed one is reported at its line and column;
//! cross-references and limits are checked later, in [`crate::build`].

use std::fmt;

use rpasim_core::SimDuration;
use rpasim_core::run::Priority;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

/// The whole file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// `[simulation]`: seed, horizon, sampling.
    pub simulation: SimulationSection,
    /// `[limits]`: the service's limits, each overridable.
    #[serde(default)]
    pub limits: LimitsSection,
    /// `[scheduler]`: queue and selection behaviour.
    #[serde(default)]
    pub scheduler: SchedulerSection,
    /// `[[environments]]`.
    #[serde(default)]
    pub environments: Vec<EnvironmentEntry>,
    /// `[[machine_groups]]`.
    #[serde(default)]
    pub machine_groups: Vec<GroupEntry>,
    /// `[[machines]]`.
    #[serde(default)]
    pub machines: Vec<MachineEntry>,
    /// `[[hosted_groups]]`.
    #[serde(default)]
    pub hosted_groups: Vec<HostedGroupEntry>,
    /// `[[hosted_machines]]`.
    #[serde(default)]
    pub hosted_machines: Vec<HostedMachineEntry>,
    /// `[[flows]]`.
    #[serde(default)]
    pub flows: Vec<FlowEntry>,
    /// `[[events]]`: what-ifs on the timeline.
    #[serde(default)]
    pub events: Vec<EventEntry>,
    /// `[[users]]`: the people who own and share targets and flows.
    #[serde(default)]
    pub users: Vec<UserEntry>,
    /// `[[shares]]`: a target shared with a user.
    #[serde(default)]
    pub shares: Vec<ShareEntry>,
    /// `[[goals]]`: service levels to meet.
    #[serde(default)]
    pub goals: Vec<GoalEntry>,
    /// `[costs]`: the user's prices of capacity.
    pub costs: Option<CostsSection>,
}

/// `[costs]`: prices per month (30 days), in the user's currency; there is
/// no built-in price.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostsSection {
    /// Per unattended bot of a registered machine.
    #[serde(default)]
    pub unattended_bot_per_month: f64,
    /// Per hosted RPA add-on of an environment.
    #[serde(default)]
    pub hosted_addon_per_month: f64,
    /// Per hosted machine.
    #[serde(default)]
    pub hosted_machine_per_month: f64,
}

/// `[[goals]]`: a bound on one metric of a target, a flow or `all`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalEntry {
    /// A target, a flow, or `all`.
    pub name: String,
    /// A column of `summary.csv`.
    pub metric: String,
    /// An upper bound: a number, a duration for `_s` metrics (`"30m"`), a
    /// percentage for shares and utilization (`"95%"`).
    pub at_most: Option<BoundText>,
    /// A lower bound, written the same way.
    pub at_least: Option<BoundText>,
}

/// A goal's bound as written: a string or a number, kept as text.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundText(pub String);

impl<'de> Deserialize<'de> for BoundText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = BoundText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, a duration such as \"30m\", or a percentage such as \"95%\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BoundText, E> {
                Ok(BoundText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<BoundText, E> {
                Ok(BoundText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<BoundText, E> {
                Ok(BoundText(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[[users]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserEntry {
    /// Unique name.
    pub name: String,
}

/// `[[shares]]`: the service's "Manage access".
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareEntry {
    /// A machine, group, hosted group or hosted machine.
    pub target: String,
    /// The user it is shared with.
    pub user: String,
    /// `"co-owner"` or `"user"`.
    pub role: String,
}

/// Declares an entry of a target list (`[[machine_groups]]`, ...) with the
/// settings every target may have. A macro because serde cannot combine
/// `flatten` with `deny_unknown_fields`, and unknown keys must stay errors.
macro_rules! target_entry {
    ($(#[$doc:meta])* $name:ident { $($body:tt)* }) => {
        $(#[$doc])*
        #[derive(Debug, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($body)*
            /// Time to pick a bot for a run (a distribution).
            pub selection_delay: Option<DistributionValue>,
            /// Windows session sign-in before each run (a distribution).
            pub session_overhead: Option<DistributionValue>,
            /// Reuse a bot's session between runs.
            pub session_reuse: Option<bool>,
            /// The user who owns it.
            pub owner: Option<String>,
        }

        impl $name {
            /// The settings every target may have.
            pub fn target_options(&self) -> TargetOptionsView<'_> {
                TargetOptionsView {
                    selection_delay: self.selection_delay.as_ref(),
                    session_overhead: self.session_overhead.as_ref(),
                    session_reuse: self.session_reuse,
                    owner: self.owner.as_deref(),
                }
            }
        }
    };
}

/// The settings every target entry may have, borrowed from it.
#[derive(Debug, Clone, Copy, Default)]
pub struct TargetOptionsView<'a> {
    /// Time to pick a bot for a run.
    pub selection_delay: Option<&'a DistributionValue>,
    /// Windows session sign-in before each run.
    pub session_overhead: Option<&'a DistributionValue>,
    /// Reuse a bot's session between runs.
    pub session_reuse: Option<bool>,
    /// The user who owns it.
    pub owner: Option<&'a str>,
}

impl TargetOptionsView<'_> {
    /// Whether any setting is given (they belong to the group for a
    /// grouped machine).
    pub fn any(&self) -> bool {
        self.selection_delay.is_some()
            || self.session_overhead.is_some()
            || self.session_reuse.is_some()
            || self.owner.is_some()
    }
}

/// The largest integer TOML holds: 64-bit signed.
pub const TOML_MAX_INTEGER: u64 = i64::MAX as u64;

/// A `u64` key read as TOML's integers, at most [`TOML_MAX_INTEGER`]. The
/// `toml` crate reads larger ones into a `u64` where the document editor
/// of `--set` and sweeps refuses them, as editors do: `run` took a seed
/// of 18446744073709551615 that `sweep` then refused ("integer number
/// overflowed").
pub fn toml_integer<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = u64::deserialize(d)?;
    if n > TOML_MAX_INTEGER {
        return Err(de::Error::custom(format!(
            "{n} is beyond TOML's integers; expected at most {TOML_MAX_INTEGER}"
        )));
    }
    Ok(n)
}

/// [`toml_integer`] for an optional key.
pub fn toml_integer_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    toml_integer(d).map(Some)
}

/// `[simulation]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    /// Display name (defaults to the file stem).
    pub name: Option<String>,
    /// The question the scenario answers, shown in reports.
    pub question: Option<String>,
    /// Seed of every random stream.
    #[serde(default, deserialize_with = "toml_integer")]
    pub seed: u64,
    /// Simulated time span.
    pub horizon: DurationText,
    /// Statistics ignore runs arriving before this.
    #[serde(default)]
    pub warmup: Option<DurationText>,
    /// Time-series interval.
    #[serde(default)]
    pub sample_every: Option<DurationText>,
}

/// `[limits]`, with the service's defaults.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsSection {
    /// Most queued runs per queue.
    pub queue_capacity: u32,
    /// Longest wait in a queue.
    pub queue_timeout: LimitDuration,
    /// Longest run on a machine group.
    pub group_run_timeout: LimitDuration,
    /// Longest run on a standalone machine.
    pub machine_run_timeout: LimitDuration,
    /// Most machines in a group.
    pub max_machines_per_group: u32,
    /// Most unattended bots on one machine.
    pub max_bots_per_machine: u32,
    /// Most bots in a hosted machine group.
    pub max_bots_per_hosted_group: u32,
    /// Most hosted machine groups in an environment.
    pub max_hosted_groups_per_environment: u32,
    /// Most runs a simulation may bring (estimated before it starts).
    #[serde(deserialize_with = "toml_integer")]
    pub max_runs: u64,
    /// Most events a simulation may handle (estimated).
    #[serde(deserialize_with = "toml_integer")]
    pub max_events: u64,
    /// Most megabytes of output files a run may write (estimated).
    #[serde(deserialize_with = "toml_integer")]
    pub max_output_mb: u64,
    /// How long a renewed machine group certificate is valid.
    pub certificate_validity: DurationText,
    /// The period before a certificate's expiry in which its group renews
    /// if one eligible machine is connected.
    pub renewal_period: DurationText,
    /// A machine must have been online in this window before a certificate
    /// expires to stay in its group.
    pub certificate_online_window: DurationText,
    /// Machines below this runtime version leave their group when its
    /// certificate expires (`"2.23"`).
    pub certificate_minimum_version: String,
}

/// Default of `[limits] max_runs`: every bundled scenario and a 10-million
/// run benchmark pass.
pub const DEFAULT_MAX_RUNS: u64 = 20_000_000;
/// Default of `[limits] max_events`.
pub const DEFAULT_MAX_EVENTS: u64 = 100_000_000;
/// Default of `[limits] max_output_mb`: a 10-million-run benchmark writes
/// about 900 MB; a century sampled every 5 minutes is refused.
pub const DEFAULT_MAX_OUTPUT_MB: u64 = 1_024;

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            queue_capacity: 500,
            queue_timeout: LimitDuration(Some(SimDuration::from_hours(12))),
            group_run_timeout: LimitDuration(Some(SimDuration::from_hours(24))),
            machine_run_timeout: LimitDuration(None),
            max_machines_per_group: 50,
            max_bots_per_machine: 10,
            max_bots_per_hosted_group: 50,
            max_hosted_groups_per_environment: 10,
            max_runs: DEFAULT_MAX_RUNS,
            max_events: DEFAULT_MAX_EVENTS,
            max_output_mb: DEFAULT_MAX_OUTPUT_MB,
            certificate_validity: DurationText(SimDuration::from_days(5 * 365 + 1)),
            renewal_period: DurationText(SimDuration::from_days(30)),
            certificate_online_window: DurationText(SimDuration::from_days(183)),
            certificate_minimum_version: "2.23".into(),
        }
    }
}

/// `[scheduler]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSection {
    /// Later runs may start when the first cannot be placed.
    pub extended_queue_prioritization: bool,
    /// Default machine-selection policy.
    pub selection: String,
    /// Runs lost to an outage go back to their queue.
    pub requeue_lost_runs: bool,
}

impl Default for SchedulerSection {
    fn default() -> Self {
        SchedulerSection {
            extended_queue_prioritization: true,
            selection: "random".into(),
            requeue_lost_runs: false,
        }
    }
}

/// `[[environments]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentEntry {
    /// Unique name.
    pub name: String,
    /// Hosted RPA add-ons (hosted bots and hosted machines at once).
    pub hosted_capacity: Option<u32>,
    /// `"trial"`: the trial preset (2 hosted bots, 10 hosted groups).
    pub license: Option<String>,
    /// How uncommitted hosted capacity is shared between hosted groups.
    pub capacity_policy: Option<String>,
}

target_entry! {
/// `[[hosted_groups]]`.
    HostedGroupEntry {
    /// Unique name among machines and groups.
    pub name: String,
    /// Owning environment (optional when there is only one).
    pub environment: Option<String>,
    /// Bots reserved for the group.
    #[serde(default)]
    pub committed_bots: u32,
    /// Most bots at once.
    pub max_bots: u32,
    /// Time to provision a bot (a distribution).
    pub provisioning: Option<DistributionValue>,
    /// Idle bots go once the group has been unused this long.
    pub idle_cold_after: Option<DurationText>,
    /// The group is deleted after this long without runs (or `"none"`).
    pub expire_after_idle: Option<LimitDuration>,
    /// `"warm"` or `"immediate"`.
    pub scale_in: Option<String>,
    /// Name of the VM image (for reports).
    pub image: Option<String>,
}
}

target_entry! {
/// `[[hosted_machines]]`.
    HostedMachineEntry {
    /// Unique name among machines and groups.
    pub name: String,
    /// Owning environment (optional when there is only one).
    pub environment: Option<String>,
    /// A machine group to join; absent for a standalone hosted machine.
    pub group: Option<String>,
    /// Unattended bots.
    #[serde(default = "one")]
    pub bots: u32,
    /// Time from the start until the machine is usable (a distribution).
    pub provisioning: Option<DistributionValue>,
    /// Deleted after this long without runs when its environment has no
    /// hosted capacity (or `"none"`).
    pub delete_after_idle: Option<LimitDuration>,
    /// Runtime version, e.g. `"2.23"` (certificate renewal drops older ones).
    pub version: Option<String>,
    /// Mean time between random outages (exponential).
    pub mtbf: Option<DurationText>,
    /// Duration of a random outage (a distribution).
    pub repair: Option<DistributionValue>,
    /// Offline since this long before the start, for the whole simulation.
    pub offline_since: Option<DurationText>,
}
}

/// `[[events]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventEntry {
    /// When it happens.
    pub at: DurationText,
    /// What happens: `update_image`, `restart`, `maintenance`, `offline`,
    /// `priority`, `move_to_top`, `access` or `set`.
    pub kind: String,
    /// What it happens to (not for `set`, which names its key).
    pub target: Option<String>,
    /// How long it lasts (`restart`, `maintenance`, `offline`).
    #[serde(rename = "for")]
    pub duration: Option<DurationText>,
    /// The new image's name (`update_image`).
    pub image: Option<String>,
    /// The new image's provisioning time (`update_image`).
    pub provisioning: Option<DistributionValue>,
    /// Whether lost runs go back to the queue (`offline`).
    pub requeue: Option<bool>,
    /// The flow's new priority (`priority`).
    pub priority: Option<PriorityValue>,
    /// Which run of the flow, from 1 (`move_to_top`).
    #[serde(default, deserialize_with = "toml_integer_opt")]
    pub run: Option<u64>,
    /// The user concerned (`access`).
    pub user: Option<String>,
    /// The new access: `"none"` (`access`).
    pub access: Option<String>,
    /// The setting's dotted path, as for `--set` (`set`).
    pub key: Option<String>,
    /// The setting's new value (`set`).
    pub value: Option<f64>,
}

target_entry! {
/// `[[machine_groups]]`.
    GroupEntry {
    /// Unique name among machines and groups.
    pub name: String,
    /// Owning environment (optional when there is only one).
    pub environment: Option<String>,
    /// Machine-selection policy of this group.
    pub selection: Option<String>,
    /// When the group's certificate expires (time from the start).
    pub certificate_expires: Option<DurationText>,
}
}

target_entry! {
/// `[[machines]]`.
    MachineEntry {
    /// Unique name among machines and groups.
    pub name: String,
    /// Owning environment (optional when there is only one).
    pub environment: Option<String>,
    /// Machine group; absent for a standalone machine.
    pub group: Option<String>,
    /// Unattended bots.
    #[serde(default = "one")]
    pub bots: u32,
    /// Machine-selection policy (standalone machines have one candidate, so
    /// this is accepted only for symmetry with groups).
    pub selection: Option<String>,
    /// Runtime version, e.g. `"2.23"` (certificate renewal drops older ones).
    pub version: Option<String>,
    /// Mean time between random outages (exponential).
    pub mtbf: Option<DurationText>,
    /// Duration of a random outage (a distribution).
    pub repair: Option<DistributionValue>,
    /// Offline since this long before the start, for the whole simulation.
    pub offline_since: Option<DurationText>,
}
}

fn one() -> u32 {
    1
}

/// `[[flows]]`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowEntry {
    /// Unique name.
    pub name: String,
    /// A machine or machine group.
    pub target: String,
    /// `"high"`, `"normal"` or an integer.
    #[serde(default)]
    pub priority: PriorityValue,
    /// Run durations (optional when the arrivals are a trace with each
    /// run's own `duration_s`).
    pub duration: Option<DistributionValue>,
    /// Probability that a run fails.
    #[serde(default)]
    pub failure_probability: f64,
    /// `"unattended"` (default) or `"attended"`.
    pub mode: Option<String>,
    /// The user who owns the flow (needs access to its target).
    pub owner: Option<String>,
    /// Arrival process.
    pub arrivals: ArrivalsTable,
}

/// `arrivals = { ... }`: exactly one of `poisson`, `cron`, `at`, `every`,
/// `trace`, with `burst`/`start` where they apply.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrivalsTable {
    /// A Poisson process.
    pub poisson: Option<PoissonTable>,
    /// A cron pattern: minute, hour, day of month, month, day of week
    /// (a leading sixth field is seconds; no year field).
    pub cron: Option<String>,
    /// Explicit instants.
    pub at: Option<Vec<DurationText>>,
    /// Interval of periodic bursts.
    pub every: Option<DurationText>,
    /// First periodic burst.
    pub start: Option<DurationText>,
    /// Runs per burst (cron, every).
    pub burst: Option<u32>,
    /// CSV file of arrival instants, relative to the scenario file.
    pub trace: Option<String>,
}

/// `poisson = { per_hour = ..., hourly = [...], daily = [...] }`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoissonTable {
    /// Mean arrivals per hour (where multipliers are 1).
    pub per_hour: f64,
    /// 24 hour-of-day multipliers.
    pub hourly: Option<Vec<f64>>,
    /// 7 day-of-week multipliers, Monday first.
    pub daily: Option<Vec<f64>>,
}

/// A duration written as a string such as `"90s"`, `"10m"`, `"1h30m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationText(pub SimDuration);

const DURATION_EXAMPLES: &str = r#"a duration such as "90s", "10m", "3h", "28d" or "1h30m""#;

/// The longest duration a scenario may write: 1000 years (so that sums of
/// times stay far from overflowing milliseconds).
pub const MAX_DURATION: SimDuration = SimDuration::from_millis(1000 * 365 * 86_400_000);

/// Parses a scenario duration (millisecond resolution, rounded; at most
/// [`MAX_DURATION`]).
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    for (units, what) in [(&MONTHS[..], MONTH), (&YEARS[..], YEAR)] {
        if let Some(unit) = unit_words(text).find(|u| units.contains(u)) {
            return Err(format!("duration {text:?}: {unit:?} is {what}"));
        }
    }
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("invalid duration {text:?} ({e}); expected {DURATION_EXAMPLES}"))?;
    if d.as_millis() > u128::from(MAX_DURATION.as_millis()) {
        return Err(format!(
            "duration {text:?} is longer than 1000 years; no scenario needs that"
        ));
    }
    let ms = d.as_nanos().div_ceil(500_000) / 2; // nearest millisecond
    if ms == 0 && !d.is_zero() {
        return Err(format!(
            "duration {text:?} is less than half a millisecond, rpasim's unit of time: it \
             would be 0"
        ));
    }
    u64::try_from(ms)
        .map(SimDuration::from_millis)
        .map_err(|_| format!("duration {text:?} is too long"))
}

/// The units humantime reads as a month of average length: a `"1M"` meant
/// as a minute was taken as 30.44 days.
const MONTHS: [&str; 3] = ["M", "month", "months"];

/// Why a month is refused.
const MONTH: &str = "a month, which has no fixed length (30.44 days would be taken); write \
                     days, e.g. \"30d\" (a minute is \"m\")";

/// The units humantime reads as a year of 365.25 days.
const YEARS: [&str; 5] = ["y", "yr", "yrs", "year", "years"];

/// Why a year is refused.
const YEAR: &str = "a year, which has no fixed length (365.25 days would be taken); write \
                    days, e.g. \"365d\"";

/// The words of a duration's text (its units).
fn unit_words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
        .filter(|w| !w.is_empty())
}

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DurationText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(DURATION_EXAMPLES)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DurationText, E> {
                parse_duration(v).map(DurationText).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DurationText, E> {
                Err(E::custom(format!(
                    "a bare number ({v}) has no unit; write a string such as \"{v}s\" or \"{v}m\""
                )))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DurationText, E> {
                Err(E::custom(format!(
                    "a bare number ({v}) has no unit; write a string such as \"{v}h\""
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// A limit that may be `"none"` (unlimited) or a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitDuration(pub Option<SimDuration>);

impl<'de> Deserialize<'de> for LimitDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LimitDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "\"none\" or {DURATION_EXAMPLES}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LimitDuration, E> {
                if v.trim() == "none" {
                    return Ok(LimitDuration(None));
                }
                parse_duration(v)
                    .map(|d| LimitDuration(Some(d)))
                    .map_err(|e| E::custom(format!("{e}, or \"none\"")))
            }
        }
        d.deserialize_any(V)
    }
}

/// `"high"`, `"normal"` or an integer (higher runs first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorityValue(pub i64);

impl Default for PriorityValue {
    fn default() -> Self {
        PriorityValue(Priority::NORMAL)
    }
}

impl<'de> Deserialize<'de> for PriorityValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PriorityValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"high\", \"normal\" or an integer (higher runs first)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PriorityValue, E> {
                match v {
                    "high" => Ok(PriorityValue(Priority::HIGH)),
                    "normal" => Ok(PriorityValue(Priority::NORMAL)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PriorityValue, E> {
                Ok(PriorityValue(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration distribution: a constant duration string, or a one-key table.
#[derive(Debug, Clone, PartialEq)]
pub enum DistributionValue {
    /// `"10m"`.
    Constant(SimDuration),
    /// `{ exponential = { mean = "1h" } }` and the like.
    Table(DistributionTable),
}

/// The table form of a distribution: exactly one kind.
#[derive(Debug, Clone, PartialEq)]
pub enum DistributionTable {
    /// `{ exponential = { mean = "1h" } }`.
    Exponential {
        /// Mean.
        mean: DurationText,
    },
    /// `{ uniform = { min = "10m", max = "15m" } }`.
    Uniform {
        /// Shortest.
        min: DurationText,
        /// Longest.
        max: DurationText,
    },
    /// `{ lognormal = { mean = "6m", sd = "3m" } }`.
    Lognormal {
        /// Mean.
        mean: DurationText,
        /// Standard deviation.
        sd: DurationText,
    },
    /// `{ empirical = ["4m", "6m30s", "12m"] }`: observed durations, each
    /// drawn with equal probability.
    Empirical(Vec<DurationText>),
}

/// The kinds of distribution table, as written.
const DISTRIBUTION_KINDS: &[&str] = &["exponential", "uniform", "lognormal", "empirical"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeanParams {
    mean: DurationText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeParams {
    min: DurationText,
    max: DurationText,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeanSdParams {
    mean: DurationText,
    sd: DurationText,
}

/// Reads a distribution table key by key: one kind, its parameters, and
/// nothing after it. (Serde's externally tagged enums read the first key
/// of a map and ignore the rest, so a second kind would pass unread.)
fn distribution_table<'de, A: MapAccess<'de>>(mut map: A) -> Result<DistributionTable, A::Error> {
    let Some(kind) = map.next_key::<String>()? else {
        return Err(de::Error::custom(format!(
            "an empty table; expected one kind of distribution: {}",
            DISTRIBUTION_KINDS.join(", ")
        )));
    };
    let table = match kind.as_str() {
        "exponential" => {
            let p: MeanParams = map.next_value()?;
            DistributionTable::Exponential { mean: p.mean }
        }
        "uniform" => {
            let p: RangeParams = map.next_value()?;
            DistributionTable::Uniform {
                min: p.min,
                max: p.max,
            }
        }
        "lognormal" => {
            let p: MeanSdParams = map.next_value()?;
            DistributionTable::Lognormal {
                mean: p.mean,
                sd: p.sd,
            }
        }
        "empirical" => DistributionTable::Empirical(map.next_value()?),
        other => return Err(de::Error::unknown_variant(other, DISTRIBUTION_KINDS)),
    };
    if let Some(extra) = map.next_key::<String>()? {
        return Err(de::Error::custom(format!(
            "a distribution has exactly one kind, but {kind:?} and {extra:?} are both given"
        )));
    }
    Ok(table)
}

impl<'de> Deserialize<'de> for DistributionValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DistributionValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a duration such as \"10m\", or a table: { exponential = { mean = \"1h\" } }, \
                     { uniform = { min = \"10m\", max = \"15m\" } }, \
                     { lognormal = { mean = \"6m\", sd = \"3m\" } } or \
                     { empirical = [\"4m\", \"6m30s\"] }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DistributionValue, E> {
                parse_duration(v)
                    .map(DistributionValue::Constant)
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DistributionValue, A::Error> {
                distribution_table(map).map(DistributionValue::Table)
            }
        }
        d.deserialize_any(V)
    }
}
