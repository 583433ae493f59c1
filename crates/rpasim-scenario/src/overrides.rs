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
        key_segments(key)?;
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

impl Override {
    /// The segments of its dotted key ([`key_segments`]).
    pub fn segments(&self) -> Result<Vec<String>, String> {
        key_segments(&self.key)
    }
}

/// The segments of a dotted key such as `flows.invoices.priority`. A name
/// with dots in it is quoted as in TOML: `machines."vm.01".bots`, or
/// `machines.'vm.01'.bots` (without quotes it was cut at its dots, so such
/// a machine or flow could not be set, varied or searched at all). Other
/// segments are taken as they are, spaces included.
pub fn key_segments(key: &str) -> Result<Vec<String>, String> {
    let invalid = |why: &str| {
        format!(
            "invalid key {key:?}: {why}; expected a dotted path such as flows.invoices.priority \
             (a name with dots quoted: machines.\"vm.01\".bots)"
        )
    };
    let mut segments = Vec::new();
    let mut rest = key;
    loop {
        let (segment, after) = match rest.as_bytes().first() {
            Some(b'"' | b'\'') => {
                quoted_segment(rest).ok_or_else(|| invalid("a quote is not closed"))?
            }
            _ => {
                let end = rest.find('.').unwrap_or(rest.len());
                if rest[..end].trim().is_empty() {
                    return Err(invalid("a segment is empty"));
                }
                (rest[..end].to_string(), &rest[end..])
            }
        };
        segments.push(segment);
        match after.strip_prefix('.') {
            Some(next) => rest = next,
            None if after.is_empty() => return Ok(segments),
            None => return Err(invalid("a quoted segment is followed by more than a '.'")),
        }
    }
}

/// A dotted key of `segments`, each quoted that [`key_segments`] would
/// not read back as it is: the inverse of [`key_segments`].
pub fn dotted_key<S: AsRef<str>>(segments: &[S]) -> String {
    let quoted = |s: &str| {
        let plain = !s.contains('.') && !s.starts_with(['"', '\'']) && !s.trim().is_empty();
        if plain {
            s.to_string()
        } else {
            Value::from(s).to_string()
        }
    };
    segments
        .iter()
        .map(|s| quoted(s.as_ref()))
        .collect::<Vec<_>>()
        .join(".")
}

/// A quoted segment at the start of `text` (TOML's basic or literal
/// string), and what follows its closing quote.
fn quoted_segment(text: &str) -> Option<(String, &str)> {
    let quote = text.as_bytes()[0];
    let mut escaped = false;
    let end = text.bytes().enumerate().skip(1).find_map(|(i, b)| {
        let closes = b == quote && !escaped;
        escaped = quote == b'"' && b == b'\\' && !escaped;
        closes.then_some(i)
    })?;
    let segment = if quote == b'"' {
        let value: Value = text[..=end].parse().ok()?;
        value.as_str()?.to_string()
    } else {
        text[1..end].to_string()
    };
    Some((segment, &text[end + 1..]))
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
    match crate::entries::set_in_parts(text, overrides) {
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
    for seg in &o.segments()? {
        let seg = seg.as_str();
        let next = if is_array(item) {
            let index = entry_index(item, seg).ok_or_else(|| no_entry(item, &walked, seg))?;
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

/// Why `seg` names no entry of the list `item`: the names it has (at most
/// ten, and the closest), and how to quote a name with dots.
fn no_entry(item: &Item, walked: &str, seg: &str) -> String {
    let names: Vec<&str> = entries(item)
        .filter_map(|e| e.get("name").and_then(Item::as_str))
        .collect();
    if names.is_empty() {
        return format!("{walked} has no entry named {seg:?}: none is named");
    }
    let quoting = names
        .iter()
        .find(|n| n.contains('.'))
        .map(|n| format!("; quote a name with dots: {walked}.{n:?}"))
        .unwrap_or_default();
    format!(
        "{walked} has no entry named {seg:?}; {}{quoting}",
        crate::build::expected_one_of(seg, &names)
    )
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
    fn a_name_with_dots_is_quoted_as_in_toml() {
        let segments = |k: &str| key_segments(k);
        for (key, expected) in [
            ("machines.\"vm.01\".bots", ["machines", "vm.01", "bots"]),
            (
                "flows.'Invoices v1.2'.priority",
                ["flows", "Invoices v1.2", "priority"],
            ),
            // Bare segments as before, spaces kept.
            (
                "flows.Invoices v2.priority",
                ["flows", "Invoices v2", "priority"],
            ),
            (
                "flows.\"say \\\"hi\\\".x\".priority",
                ["flows", "say \"hi\".x", "priority"],
            ),
        ] {
            assert_eq!(segments(key).expect("a key"), expected, "{key}");
        }
        for bad in ["", "a..b", "a.", ".a", "a.\"b", "a.\"b\"c.d", "a.'b"] {
            assert!(segments(bad).is_err(), "{bad:?}");
        }
        for names in [
            vec!["machines", "vm.01", "bots"],
            vec!["flows", "'quoted'", "x.y\"z", "plain name"],
            vec!["a", "\"", "b"],
        ] {
            assert_eq!(segments(&dotted_key(&names)).expect("reads back"), names);
        }
        let out = set_all(&["flows.b.priority=high"]).expect("applies");
        let dotted = BASE.replace("name = \"b\"", "name = \"b.2\"");
        let o: Override = "flows.\"b.2\".priority=high".parse().expect("valid");
        let applied = apply(&dotted, Path::new("s.toml"), &[o]).expect("applies");
        assert_eq!(applied, out.replace("name = \"b\"", "name = \"b.2\""));
        let unquoted: Override = "flows.b.2.priority=high".parse().expect("valid");
        let e = apply(&dotted, Path::new("s.toml"), &[unquoted]).expect_err("cut at its dot");
        assert!(
            e.message.ends_with("quote a name with dots: flows.\"b.2\""),
            "{e}"
        );
    }

    #[test]
    fn a_missing_entry_lists_ten_names_and_the_closest() {
        let many: String = (0..100)
            .map(|i| format!("\n[[flows]]\nname = \"f{i:03}\"\n"))
            .collect();
        let o: Override = "flows.zf099.priority=high".parse().expect("valid");
        let e = apply(&format!("{BASE}{many}"), Path::new("s.toml"), &[o]).expect_err("no zf099");
        assert_eq!(
            e.message,
            "--set flows.zf099.priority=high: flows has no entry named \"zf099\"; expected one \
             of: a, b, f000, f001, f002, f003, f004, f005, f006, f007, ... (102 in all) (did you \
             mean \"f099\"?)"
        );
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
        assert!(
            err.message.ends_with("expected one of: a, b"),
            "{}",
            err.message
        );
        assert!("no_equals".parse::<Override>().is_err());
        assert!("a..b=1".parse::<Override>().is_err());
    }
}
