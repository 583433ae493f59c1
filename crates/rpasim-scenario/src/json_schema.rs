//! The JSON Schema of the scenario format, generated from the serde types
//! that parse it (schemars), for editors: completion, hover text from the
//! doc comments, and a squiggle under a misspelt key. The types whose
//! deserializers are hand-written describe themselves here.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use crate::schema::{
    BoundText, DistributionValue, DurationText, LimitDuration, PriorityValue, ScenarioFile,
};

/// What a duration string looks like: numbers with units, as humantime
/// reads them (`"90s"`, `"10m"`, `"1h30m"`, `"28d"`, `"1.5h"`), without
/// its months and years, which rpasim refuses (`schema::parse_duration`).
pub const DURATION_PATTERN: &str = r"^\s*([0-9]+(\.[0-9]+)?\s*(nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w)\s*)+$";

/// The schema of a duration string.
fn duration() -> serde_json::Value {
    serde_json::json!({
        "type": "string",
        "pattern": DURATION_PATTERN,
        "description": "A duration: a number and a unit, repeated: \"90s\", \"10m\", \"3h\", \"28d\", \"1h30m\".",
        "examples": ["10m", "1h30m", "7d"]
    })
}

impl JsonSchema for DurationText {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        Schema::try_from(duration()).expect("an object")
    }
}

impl JsonSchema for LimitDuration {
    fn schema_name() -> Cow<'static, str> {
        "DurationOrNone".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration (\"12h\"), or \"none\" for no limit.",
            "anyOf": [duration(), { "const": "none" }],
            "examples": ["12h", "none"]
        })
    }
}

impl JsonSchema for PriorityValue {
    fn schema_name() -> Cow<'static, str> {
        "Priority".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "\"high\", \"normal\" (the default) or an integer; higher runs first.",
            "anyOf": [{ "enum": ["high", "normal"] }, { "type": "integer" }],
            "examples": ["high", "normal", 5]
        })
    }
}

impl JsonSchema for BoundText {
    fn schema_name() -> Cow<'static, str> {
        "Bound".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number, a duration for `_s` metrics (\"30m\"), or a percentage for shares and utilization (\"95%\").",
            "type": ["number", "string"],
            "examples": ["30m", "95%", 0.5]
        })
    }
}

impl JsonSchema for DistributionValue {
    fn schema_name() -> Cow<'static, str> {
        "Distribution".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let one = |kind: &str, params: serde_json::Value, description: &str| {
            serde_json::json!({
                "type": "object",
                "description": description,
                "properties": { kind: params },
                "required": [kind],
                "additionalProperties": false
            })
        };
        let params = |names: &[&str]| {
            let properties: serde_json::Map<String, serde_json::Value> =
                names.iter().map(|n| (n.to_string(), duration())).collect();
            serde_json::json!({
                "type": "object",
                "properties": properties,
                "required": names,
                "additionalProperties": false
            })
        };
        json_schema!({
            "description": "A duration distribution: a constant duration (\"10m\") or a table of one kind.",
            "anyOf": [
                duration(),
                one("exponential", params(&["mean"]), "Exponential: { exponential = { mean = \"1h\" } }."),
                one("uniform", params(&["min", "max"]), "Uniform: { uniform = { min = \"10m\", max = \"15m\" } }."),
                one("lognormal", params(&["mean", "sd"]), "Lognormal by its mean and standard deviation: { lognormal = { mean = \"6m\", sd = \"3m\" } }."),
                one(
                    "empirical",
                    serde_json::json!({ "type": "array", "items": duration(), "minItems": 1 }),
                    "Observed durations, each drawn with equal probability: { empirical = [\"4m\", \"6m30s\"] }."
                )
            ],
            "examples": ["10m", { "exponential": { "mean": "1h" } }]
        })
    }
}

/// The JSON Schema of a scenario file, as `rpasim schema` writes it.
pub fn scenario_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(ScenarioFile);
    schema.insert("title".into(), "rpasim scenario".into());
    schema.insert(
        "description".into(),
        "An rpasim scenario: machines, groups, hosted groups, flows and what-ifs (README, \"The scenario format\").".into(),
    );
    schema.to_value()
}
