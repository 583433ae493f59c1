//! `--set KEY=VALUE`: overriding one scenario value by its dotted path.
//!
//! Edits are made on a format-preserving document, so the lines of the
//! scenario that were not touched keep their numbers in error messages.
//! Array entries are addressed by their `name` (or by index).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use toml_edit::{DocumentMut, Item, Value};

use crate::error::Problem;

/// One `--set KEY=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// Dotted path, e.g. `machine_groups.sales.selection`.
    pub key: String,
    /// A TOML value (`20`, `"10m"`, `{ exponential = { mean = "1h" } }`);
    /// anything that does not parse as one is taken as a string (`10m`).
    pub value: String,
}

impl FromStr for Override {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (key, value) = s
            .split_once('=')
            .ok_or_else(|| format!("expected KEY=VALUE, e.g. simulation.seed=9, got {s:?}"))?;
        let key = key.trim();
        if key.is_empty() || key.split('.').any(str::is_empty) {
            return Err(format!(
                "invalid key {key:?}: expected a dotted path such as flows.invoices.priority"
            ));
        }
        let value = value.trim();
        if beyond_toml_integers(value) {
            return Err(format!(
                "{key}={value}: {value} is beyond what a TOML integer holds ({} to {}); \
                 quote it for a string",
                i64::MIN,
                i64::MAX
            ));
        }
        Ok(Override {
            key: key.to_string(),
            value: value.to_string(),
        })
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

/// The scenario text with every override applied, in order. Overrides
/// of keys inside lists' entries are applied to those entries' text alone
/// when the text reads entry by entry (the crate's `entries`); the text
/// is the same either way.
pub fn apply(text: &str, file: &Path, overrides: &[Override]) -> Result<String, Problem> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    match crate::entries::set_in_entries(text, overrides) {
        Some(applied) => Ok(applied),
        None => apply_to_document(text, file, overrides),
    }
}

/// [`apply`] on the whole text as one format-preserving document.
pub(crate) fn apply_to_document(
    text: &str,
    file: &Path,
    overrides: &[Override],
) -> Result<String, Problem> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        let offset = e.span().map_or(0, |s| s.start);
        Problem::at_offset(file, text, offset, e.message().to_string())
    })?;
    for o in overrides {
        set(doc.as_item_mut(), o).map_err(|message| Problem {
            file: file.to_path_buf(),
            line: None,
            column: None,
            key: Some(o.key.clone()),
            message: format!("--set {o}: {message}"),
        })?;
    }
    Ok(doc.to_string())
}

/// Applies `o` to the document `root`.
pub(crate) fn set(root: &mut Item, o: &Override) -> Result<(), String> {
    let mut item = root;
    let mut walked = String::new();
    for seg in o.key.split('.') {
        let next = if is_array(item) {
            let index = entry_index(item, seg).ok_or_else(|| {
                format!(
                    "{walked} has no entry named {seg:?} (entries: {})",
                    entry_names(item)
                )
            })?;
            item.get_mut(index)
        } else {
            item.get_mut(seg)
        };
        item = next.ok_or_else(|| format!("{walked} is not a table, so it has no key {seg:?}"))?;
        if !walked.is_empty() {
            walked.push('.');
        }
        walked.push_str(seg);
    }
    let mut value = parse_value(&o.value);
    if let Some(old) = item.as_value() {
        // Keep the spacing and trailing comment of the replaced value.
        *value.decor_mut() = old.decor().clone();
    }
    *item = Item::Value(value);
    Ok(())
}

fn is_array(item: &Item) -> bool {
    matches!(item, Item::ArrayOfTables(_) | Item::Value(Value::Array(_)))
}

fn entries(item: &Item) -> impl Iterator<Item = &Item> {
    (0..).map_while(move |i| item.get(i))
}

/// The index of the entry named `seg`, or `seg` itself if it is an index.
fn entry_index(item: &Item, seg: &str) -> Option<usize> {
    entries(item)
        .position(|e| e.get("name").and_then(Item::as_str) == Some(seg))
        .or_else(|| seg.parse().ok().filter(|i| item.get(*i).is_some()))
}

fn entry_names(item: &Item) -> String {
    let names: Vec<&str> = entries(item)
        .filter_map(|e| e.get("name").and_then(Item::as_str))
        .collect();
    if names.is_empty() {
        "none named".into()
    } else {
        names.join(", ")
    }
}

/// Whether `text` is written as a decimal integer that no TOML integer
/// holds: without this it was taken as a string, and the scenario then
/// said "invalid type: string", which a number typed by hand is not.
fn beyond_toml_integers(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
        && digits.bytes().any(|b| b.is_ascii_digit())
        && text.replace('_', "").parse::<i64>().is_err()
}

fn parse_value(text: &str) -> Value {
    let mut v = text.parse::<Value>().unwrap_or_else(|_| Value::from(text));
    v.decor_mut().clear();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"[simulation]
seed = 7 # the seed
horizon = "1d"

[[flows]]
name = "a"
arrivals = { poisson = { per_hour = 4 } }

[[flows]]
name = "b"
"#;

    fn set_all(pairs: &[&str]) -> Result<String, Problem> {
        let o: Vec<Override> = pairs.iter().map(|p| p.parse().expect("valid")).collect();
        apply(BASE, Path::new("s.toml"), &o)
    }

    #[test]
    fn an_integer_no_toml_integer_holds_is_refused_by_name() {
        let e = "simulation.seed=9223372036854775808"
            .parse::<Override>()
            .expect_err("beyond i64");
        assert_eq!(
            e,
            "simulation.seed=9223372036854775808: 9223372036854775808 is beyond what a TOML \
             integer holds (-9223372036854775808 to 9223372036854775807); quote it for a string"
        );
        assert!(
            "limits.max_runs=-9_223_372_036_854_775_809"
                .parse::<Override>()
                .is_err()
        );
        for fits in [
            "simulation.seed=9223372036854775807",
            "simulation.seed=-9_223_372_036_854_775_808",
            "flows.a.name=\"92233720368547758070\"",
            "flows.a.name=12ab",
            "flows.a.name=+",
        ] {
            assert!(fits.parse::<Override>().is_ok(), "{fits}");
        }
    }

    #[test]
    fn replaces_values_in_place() {
        let out = set_all(&["simulation.seed=9", "flows.b.priority=high"]).expect("applies");
        assert!(out.contains("seed = 9 # the seed\nhorizon"), "{out}");
        assert!(out.contains("priority = \"high\""), "{out}");
        // Lines before the edits keep their numbers.
        assert_eq!(out.lines().nth(2), Some("horizon = \"1d\""));
    }

    #[test]
    fn reaches_into_inline_tables_and_creates_tables() {
        let out = set_all(&[
            "flows.a.arrivals.poisson.per_hour=8",
            "limits.queue_capacity=5",
        ])
        .expect("applies");
        assert!(out.contains("per_hour = 8"), "{out}");
        let parsed: toml::Table = toml::from_str(&out).expect("valid TOML");
        assert_eq!(parsed["limits"]["queue_capacity"].as_integer(), Some(5));
    }

    #[test]
    fn unknown_entries_are_reported() {
        let err = set_all(&["flows.zzz.priority=1"]).expect_err("no such flow");
        assert_eq!(err.key.as_deref(), Some("flows.zzz.priority"));
        assert!(err.message.contains("entries: a, b"), "{}", err.message);
        assert!("no_equals".parse::<Override>().is_err());
        assert!("a..b=1".parse::<Override>().is_err());
    }
}
