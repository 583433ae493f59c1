//! What a sweep varies: keys and their values, replications, base seed.
//!
//! From the command line (`--vary KEY=5,10,20` or `--vary KEY=5..50:5`) or
//! a sweep file (TOML):
//!
//! ```toml
//! scenario = "month-end.toml"       # relative to the sweep file
//! replications = 5
//! seed = 1                          # optional: the scenario's by default
//! metrics = ["wait_p95_s", "bot_hours"]   # charted against each varied key
//!
//! [vary]
//! "hosted_groups.finance.max_bots" = [5, 10, 20]
//! "environments.prod.hosted_capacity" = "12..20:4"
//! # linked keys move together (one dimension of the grid):
//! "environments.prod.hosted_capacity|hosted_groups.finance.max_bots" = ["12|10", "18|16"]
//!
//! [set]                             # fixed overrides, as --set
//! "simulation.horizon" = "14d"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;

/// Metrics charted when a sweep does not say.
pub const DEFAULT_METRICS: [&str; 3] = ["wait_mean_s", "wait_p95_s", "bot_hours"];

/// A varied key and its values, as TOML value texts (`20`, `"lru"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vary {
    /// Dotted path, as for `--set`.
    pub key: String,
    /// Values in order.
    pub values: Vec<String>,
}

/// A whole sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepDefinition {
    /// The scenario file.
    pub scenario: PathBuf,
    /// Varied keys; the grid is their cartesian product, the first key
    /// varying slowest.
    pub vary: Vec<Vary>,
    /// Replications of each variant.
    pub replications: u32,
    /// Base seed (the scenario's when `None`).
    pub seed: Option<u64>,
    /// Fixed overrides (`KEY=VALUE`).
    pub set: Vec<String>,
    /// Metrics charted against each varied key.
    pub metrics: Vec<String>,
}

/// A problem with a sweep definition (invalid input: exit status 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DefinitionError(pub String);

/// The scenario's seed: set for every job from the base seed and its
/// replication ([`crate::grid::replication_seed`]), so it is not varied.
const SEED_KEY: &str = "simulation.seed";

/// Most values one key may take (a range expands to at most this many).
pub const MAX_VALUES_PER_KEY: u64 = 100_000;
/// Most variants in a sweep (the grid is held in memory).
pub const MAX_VARIANTS: u64 = 1_000_000;
/// Most jobs (variants × replications) in a sweep.
pub const MAX_JOBS: u64 = 10_000_000;

/// Parses `KEY=VALUES` where VALUES is a list (`5,10,20`), a range
/// (`5..50:5`, or `20..40` by steps of 1; both ends included, integers or
/// decimals) or one value.
pub fn parse_vary(arg: &str) -> Result<Vary, DefinitionError> {
    let (key, values) = arg.split_once('=').ok_or_else(|| {
        DefinitionError(format!(
            "--vary expects KEY=VALUES, e.g. hosted_groups.finance.max_bots=5,10,20; got {arg:?}"
        ))
    })?;
    let key = key.trim();
    if key.is_empty() {
        return Err(DefinitionError(format!("--vary {arg:?}: the key is empty")));
    }
    Ok(Vary {
        key: key.to_string(),
        values: parse_values(values.trim())
            .map_err(|e| DefinitionError(format!("--vary {key}: {e}")))?,
    })
}

/// Expands `5..50:5` into 5, 10, ... 50 (and `20..40` by steps of 1), or
/// splits a list on commas. For linked keys, `12..60:2|10..58:2` zips
/// ranges of as many values into `12|10`, `14|12`, ...
pub fn parse_values(text: &str) -> Result<Vec<String>, String> {
    if text.contains('|') && text.contains("..") && !text.contains(',') {
        return zip_ranges(text);
    }
    if let Some((range, step)) = text.split_once(':')
        && let Some((from, to)) = range.split_once("..")
    {
        return expand_range(text, from.trim(), to.trim(), step.trim());
    }
    if !text.contains(',')
        && let Some((from, to)) = text.split_once("..")
    {
        return expand_range(text, from.trim(), to.trim(), "1");
    }
    let values: Vec<String> = text.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(format!(
            "empty value in {text:?}; expected a list such as 5,10,20 or a range such as 5..50:5"
        ));
    }
    Ok(values)
}

/// `12..60:2|10..58:2` -> `12|10`, `14|12`, ...: the linked keys' ranges,
/// which must have as many values each.
fn zip_ranges(text: &str) -> Result<Vec<String>, String> {
    let parts: Vec<Vec<String>> = text
        .split('|')
        .map(|part| parse_values(part.trim()))
        .collect::<Result<_, _>>()?;
    let n = parts[0].len();
    if let Some(other) = parts.iter().find(|p| p.len() != n) {
        return Err(format!(
            "linked ranges in {text:?} have {n} and {} values; they must have as many",
            other.len()
        ));
    }
    Ok((0..n)
        .map(|i| {
            parts
                .iter()
                .map(|p| p[i].as_str())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect())
}

/// The values of the range `written` (`FROM..TO:STEP`, or `FROM..TO` with
/// `step` 1), from `from` up to `to`.
fn expand_range(written: &str, from: &str, to: &str, step: &str) -> Result<Vec<String>, String> {
    let bad = |what: &str| {
        format!(
            "invalid range {written:?}: {what}; expected FROM..TO:STEP, e.g. 5..50:5, or FROM..TO by steps of 1"
        )
    };
    let too_many = |count: f64| {
        format!("range {written:?} has {count:.0} values; at most {MAX_VALUES_PER_KEY} per key")
    };
    let going_down = || {
        bad(&format!(
            "it goes down from {from} to {to}, and a range goes up ({to}..{from})"
        ))
    };
    let not_positive = || bad(&format!("the step {step} is not positive"));
    if let (Ok(a), Ok(b), Ok(s)) = (from.parse::<i64>(), to.parse::<i64>(), step.parse::<i64>()) {
        if s <= 0 {
            return Err(not_positive());
        }
        if b < a {
            return Err(going_down());
        }
        let count = (i128::from(b) - i128::from(a)) / i128::from(s) + 1;
        if count > i128::from(MAX_VALUES_PER_KEY) {
            return Err(too_many(count as f64));
        }
        return Ok((0..)
            .map(|i| a + i * s)
            .take_while(|v| *v <= b)
            .map(|v| v.to_string())
            .collect());
    }
    let number = |text: &str, what: &str| match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ if text.is_empty() => Err(bad(&format!("its {what} is missing"))),
        _ => Err(bad(&format!("its {what} {text:?} is not a number"))),
    };
    let (a, b, s) = (
        number(from, "start")?,
        number(to, "end")?,
        number(step, "step")?,
    );
    if s <= 0.0 {
        return Err(not_positive());
    }
    if b < a {
        return Err(going_down());
    }
    let count = ((b - a) / s + 1e-9).floor() + 1.0;
    if count.is_nan() || count > MAX_VALUES_PER_KEY as f64 {
        return Err(too_many(count));
    }
    let steps = count as i64 - 1;
    // Decimal places of the step, so 0.1 steps print as 0.3, not 0.30000000000000004.
    let places = step.split_once('.').map_or(0, |(_, f)| f.len());
    Ok((0..=steps)
        .map(|i| format!("{:.*}", places, a + i as f64 * s))
        .collect())
}

/// A sweep file: a scenario, what to vary in it, and how many
/// replications of each variant (README, "Sweeps, replications and
/// regression checks").
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// The scenario, relative to the sweep file.
    #[schemars(with = "String", example = "../month-end.toml")]
    scenario: PathBuf,
    /// Replications of each variant (common random numbers across variants).
    #[serde(default = "one")]
    #[schemars(range(min = 1))]
    replications: u32,
    /// Base seed of the replications (the scenario's when absent).
    #[serde(
        default,
        deserialize_with = "rpasim_scenario::schema::toml_integer_opt"
    )]
    seed: Option<u64>,
    /// Columns of summary.csv charted against each varied key (by default
    /// wait_mean_s, wait_p95_s and bot_hours).
    #[serde(default)]
    #[schemars(example = vec!["wait_p95_s", "bot_hours"])]
    metrics: Vec<String>,
    /// Dotted keys (as for `--set`) and their values: a list, or a range
    /// `"12..20:4"`; linked keys `"a|b"` take values `"12|10"` and move
    /// together. The grid is their cartesian product, the first key varying
    /// slowest. (Read again, in the file's order, by `vary_in_order`.)
    #[allow(dead_code)]
    #[schemars(with = "BTreeMap<String, VaryValues>")]
    vary: toml::Table,
    /// Fixed overrides for every variant, as `--set`: dotted key = TOML value.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    set: BTreeMap<String, toml::Value>,
}

/// The values of a varied key: a list, or a range written as a string.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum VaryValues {
    /// Values in order: `[5, 10, 20]`, `["lru", "random"]`, `["12|10", "18|16"]`.
    List(Vec<serde_json::Value>),
    /// A range `FROM..TO:STEP` (`"5..50:5"`) or comma-separated values.
    Range(String),
}

/// The JSON Schema of a sweep file, as `rpasim schema sweep` writes it.
pub fn sweep_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(SweepFile);
    schema.insert("title".into(), "rpasim sweep".into());
    schema.to_value()
}

fn one() -> u32 {
    1
}

/// A TOML value as the text `--set` would take.
fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `[vary]` table in the file's order (the first key varies slowest),
/// with dotted keys written unquoted (`a.b = [1, 2]`) flattened.
/// A problem of a sweep file's `[vary]`: what, and where in the text.
type VaryProblem = (Option<std::ops::Range<usize>>, String);

fn vary_in_order(text: &str) -> Result<Vec<Vary>, VaryProblem> {
    // The parsed document keeps each value's place, for the messages.
    let doc = toml_edit::Document::parse(text).map_err(|e| (e.span(), e.to_string()))?;
    let mut out = Vec::new();
    if let Some(table) = doc.get("vary").and_then(toml_edit::Item::as_table_like) {
        flatten_vary(table, "", &mut out)?;
    }
    Ok(out)
}

fn flatten_vary(
    table: &dyn toml_edit::TableLike,
    prefix: &str,
    out: &mut Vec<Vary>,
) -> Result<(), VaryProblem> {
    for (key, item) in table.iter() {
        let key = format!("{prefix}{key}");
        if let Some(inner) = item.as_table_like() {
            flatten_vary(inner, &format!("{key}."), out)?;
            continue;
        }
        let values = match item.as_value() {
            Some(toml_edit::Value::Array(items)) => items.iter().map(edit_value_text).collect(),
            Some(toml_edit::Value::String(s)) => {
                parse_values(s.value()).map_err(|e| (item.span(), format!("vary.{key}: {e}")))?
            }
            Some(other) => vec![edit_value_text(other)],
            None => {
                return Err((
                    item.span(),
                    format!("vary.{key}: expected a list or a range"),
                ));
            }
        };
        out.push(Vary { key, values });
    }
    Ok(())
}

/// A TOML value (as written in the file) as the text `--set` would take.
fn edit_value_text(v: &toml_edit::Value) -> String {
    match v {
        toml_edit::Value::String(s) => s.value().clone(),
        other => {
            // Without the comments and spaces around it in the file.
            let mut bare = other.clone();
            bare.decor_mut().clear();
            bare.to_string()
        }
    }
}

/// Whether `text` is a sweep file: a TOML document with `scenario` or
/// `vary` at its root, which no scenario has. Only those two keys are
/// read, so that a sweep file with a bad value elsewhere (a seed beyond
/// TOML's integers) is told as the sweep file's problem, not read as a
/// scenario ("unknown field `replications`").
pub fn is_sweep_file(text: &str) -> bool {
    #[derive(Deserialize)]
    struct Root {
        scenario: Option<serde::de::IgnoredAny>,
        vary: Option<serde::de::IgnoredAny>,
    }
    toml::from_str::<Root>(text).is_ok_and(|r| r.scenario.is_some() || r.vary.is_some())
}

impl SweepDefinition {
    /// Reads a sweep file; its `scenario` is relative to it.
    pub fn from_file(path: &Path) -> Result<Self, DefinitionError> {
        let text = rpasim_scenario::input::read_text(
            path,
            "the sweep file",
            rpasim_scenario::input::MAX_SCENARIO_BYTES,
        )
        .map_err(|e| DefinitionError(format!("{}: {e}", path.display())))?;
        // Told by line and column and key, as a scenario's problems are,
        // without the parser's excerpt of the text.
        let told = |span: Option<std::ops::Range<usize>>, key: String, message: &str| {
            let (line, column) =
                rpasim_scenario::error::line_column(&text, span.map_or(0, |s| s.start));
            DefinitionError(format!(
                "{}:{line}:{column}: {key}{}",
                path.display(),
                rpasim_scenario::error::worded(message.trim())
            ))
        };
        let de = toml::Deserializer::parse(&text)
            .map_err(|e| told(e.span(), String::new(), e.message()))?;
        let file: SweepFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let key = e.path().to_string();
            let key = match key.as_str() {
                "" | "." => String::new(),
                _ => format!("{key}: "),
            };
            let inner = e.into_inner();
            told(inner.span(), key, inner.message())
        })?;
        let vary = vary_in_order(&text).map_err(|(span, e)| told(span, String::new(), &e))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let def = SweepDefinition {
            scenario: base.join(&file.scenario),
            vary,
            replications: file.replications,
            seed: file.seed,
            set: file
                .set
                .iter()
                .map(|(k, v)| format!("{k}={}", value_text(v)))
                .collect(),
            metrics: file.metrics,
        };
        def.check()
            .map(|_| def)
            .map_err(|e| DefinitionError(format!("{}: {}", path.display(), e.0)))
    }

    /// Rejects sweeps that vary nothing or replicate nothing, and linked
    /// values that do not match their keys.
    pub fn check(&self) -> Result<(), DefinitionError> {
        if self.replications == 0 {
            return Err(DefinitionError("replications must be at least 1".into()));
        }
        if let Some(seed) = self.seed.filter(|&s| s > rpasim_scenario::MAX_SEED) {
            return Err(DefinitionError(format!(
                "seed {seed}: at most {} (what sweep.toml can hold)",
                rpasim_scenario::MAX_SEED
            )));
        }
        if let Some(v) = self.vary.iter().find(|v| v.values.is_empty()) {
            return Err(DefinitionError(format!("vary {}: no values", v.key)));
        }
        for v in &self.vary {
            let parts = v.key.split('|').count();
            if let Some(bad) = v
                .values
                .iter()
                .find(|value| value.split('|').count() != parts)
            {
                return Err(DefinitionError(format!(
                    "vary {}: value {bad:?} must give {parts} parts separated by '|', one per key",
                    v.key
                )));
            }
        }
        let mut keys: Vec<&str> = self.vary.iter().flat_map(|v| v.key.split('|')).collect();
        keys.sort_unstable();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(DefinitionError(format!("{} is varied twice", w[0])));
        }
        // A fixed value of a varied key would be replaced in every variant:
        // the sweep would not be what its command line says.
        if let Some((key, value)) = self
            .set
            .iter()
            .filter_map(|s| s.split_once('='))
            .find(|(key, _)| keys.binary_search(&key.trim()).is_ok())
        {
            return Err(DefinitionError(format!(
                "vary {}: also given a fixed value ({}={value}, from --set or [set]), which each \
                 of the values would replace; give it one or the other",
                key.trim(),
                key.trim()
            )));
        }
        self.check_size()?;
        if keys.contains(&SEED_KEY) {
            // Each job's seed replaces the variant's: its variants would
            // all be the same runs, differences that are none.
            return Err(DefinitionError(format!(
                "{SEED_KEY} cannot be varied: every replication's seed comes from the base seed \
                 and the replication alone (common random numbers), so its variants would all \
                 be the same runs; more replications give more seeds, and --seed another base"
            )));
        }
        self.check_metrics()
    }

    /// Refuses a grid too large to hold or to run, before it is built.
    fn check_size(&self) -> Result<(), DefinitionError> {
        if let Some(v) = self
            .vary
            .iter()
            .find(|v| v.values.len() as u64 > MAX_VALUES_PER_KEY)
        {
            return Err(DefinitionError(format!(
                "vary {}: {} values; at most {MAX_VALUES_PER_KEY} per key",
                v.key,
                v.values.len()
            )));
        }
        let variants = self
            .vary
            .iter()
            .try_fold(1u64, |n, v| n.checked_mul(v.values.len() as u64))
            .unwrap_or(u64::MAX);
        if variants > MAX_VARIANTS {
            return Err(DefinitionError(format!(
                "{variants} variants; a sweep may have at most {MAX_VARIANTS} (vary fewer values)"
            )));
        }
        let jobs = variants.saturating_mul(u64::from(self.replications));
        if jobs > MAX_JOBS {
            return Err(DefinitionError(format!(
                "{variants} variants x {} replications = {jobs} runs; a sweep may have at most \
                 {MAX_JOBS} (split it, or fewer replications)",
                self.replications
            )));
        }
        Ok(())
    }

    /// Every charted metric must be a column of `summary.csv`.
    fn check_metrics(&self) -> Result<(), DefinitionError> {
        let known = &rpasim_report::summary::HEADER[1..];
        match self.metrics.iter().find(|m| !known.contains(&m.as_str())) {
            None => Ok(()),
            Some(m) => {
                let close = known
                    .iter()
                    .filter(|k| k.contains(m.as_str()) || strsim::levenshtein(k, m) <= 2)
                    .copied()
                    .collect::<Vec<_>>();
                let hint = if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(" or "))
                };
                Err(DefinitionError(format!(
                    "{m:?} is not a metric to chart (--metric, or metrics in a sweep file); \
                     the metrics are the columns of summary.csv: \
                     {}{hint}",
                    known.join(", ")
                )))
            }
        }
    }

    /// The metrics to chart.
    pub fn chart_metrics(&self) -> Vec<String> {
        if self.metrics.is_empty() {
            DEFAULT_METRICS.iter().map(|m| m.to_string()).collect()
        } else {
            self.metrics.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        assert_eq!(
            parse_values("5,10,20").expect("list"),
            vec!["5", "10", "20"]
        );
        assert_eq!(
            parse_values("5..20:5").expect("range"),
            vec!["5", "10", "15", "20"]
        );
        assert_eq!(
            parse_values("5..19:5").expect("range"),
            vec!["5", "10", "15"]
        );
        assert_eq!(
            parse_values("0.1..0.3:0.1").expect("decimals"),
            vec!["0.1", "0.2", "0.3"]
        );
        assert_eq!(
            parse_values("20..23").expect("steps of 1"),
            vec!["20", "21", "22", "23"]
        );
        assert!(parse_values("5..1").is_err(), "nothing in it");
        assert_eq!(
            parse_values("12..16:2|10..14:2").expect("linked ranges"),
            vec!["12|10", "14|12", "16|14"]
        );
        assert!(
            parse_values("12..16:2|10..20:2").is_err(),
            "unequal lengths"
        );
        assert!(parse_values("0..1000000000").is_err(), "too many values");
        assert_eq!(
            parse_values("random,least_recently_used")
                .expect("words")
                .len(),
            2
        );
        assert!(parse_values("5..1:1").is_err());
        assert!(parse_values("1..5:0").is_err());
        assert!(parse_values("1,,2").is_err());
    }

    /// A misspelt key of a sweep file is named with the one meant.
    #[test]
    fn a_misspelt_key_names_the_one_meant() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sweep.toml");
        std::fs::write(&path, "scenario = \"s.toml\"\nreplicatons = 3\n").expect("written");
        let e = SweepDefinition::from_file(&path).expect_err("unknown key");
        assert!(
            e.0.ends_with(
                ":2:1: replicatons: unknown field `replicatons`, expected one of `scenario`, \
                 `replications`, `seed`, `metrics`, `vary`, `set` (did you mean `replications`?)"
            ),
            "{}",
            e.0
        );
    }

    /// A range that cannot be read says which part is wrong, quoting it
    /// as written (not with a step the user did not write).
    #[test]
    fn a_bad_range_says_what_is_wrong_with_it() {
        for (written, says) in [
            (
                "10..1",
                "\"10..1\": it goes down from 10 to 1, and a range goes up (1..10)",
            ),
            ("1..", "\"1..\": its end is missing"),
            ("..5:1", "\"..5:1\": its start is missing"),
            ("1h..3h", "\"1h..3h\": its start \"1h\" is not a number"),
            ("1..5:0", "\"1..5:0\": the step 0 is not positive"),
            ("1..5:-1", "the step -1 is not positive"),
            ("0.5..0.1:0.1", "it goes down from 0.5 to 0.1"),
            ("0..1:x", "its step \"x\" is not a number"),
        ] {
            let message = parse_values(written).expect_err(written);
            assert!(message.contains(says), "{written}: {message}");
            assert!(message.contains("expected FROM..TO:STEP"), "{message}");
        }
    }

    #[test]
    fn vary_arguments() {
        let v = parse_vary("hosted_groups.a.max_bots=5..15:5").expect("valid");
        assert_eq!(
            (v.key.as_str(), v.values.len()),
            ("hosted_groups.a.max_bots", 3)
        );
        assert!(parse_vary("no-equals").is_err());
    }

    #[test]
    fn sweep_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            "scenario = \"x.toml\"\nreplications = 3\n[vary]\n\"a.b\" = [1, 2]\n\"c.d\" = \"1..3:1\"\n[set]\n\"simulation.horizon\" = \"2d\"\n",
        )
        .expect("write");
        let d = SweepDefinition::from_file(&path).expect("valid");
        assert_eq!(d.scenario, dir.path().join("x.toml"));
        assert_eq!(d.vary[1].values, vec!["1", "2", "3"]);
        assert_eq!(d.set, vec!["simulation.horizon=2d"]);
        assert_eq!(d.replications, 3);
    }

    #[test]
    fn a_sweep_file_varies_keys_in_its_own_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            r#"scenario = "x.toml"
[vary]
"z.first" = [3, 1] # not sorted
a.b.second = [
  10, # ten
  20,
]
"m.third" = "1..2:1"
"l.one|l.two" = ["1|2"]
"#,
        )
        .expect("write");
        let def = SweepDefinition::from_file(&path).expect("valid");
        let keys: Vec<&str> = def.vary.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(
            keys,
            vec!["z.first", "a.b.second", "m.third", "l.one|l.two"]
        );
        assert_eq!(def.vary[0].values, vec!["3", "1"]);
        assert_eq!(def.vary[1].values, vec!["10", "20"]);
        assert_eq!(def.vary[2].values, vec!["1", "2"]);
        assert_eq!(def.scenario, dir.path().join("x.toml"));
    }
}
