//! Mutated scenarios for fuzzing rpasim: every mutation of a valid
//! scenario must be either simulated or refused with a located message
//! (exit status 2), never a panic, a hang or unbounded memory.
//!
//! [`mutate`] applies one to four mutations chosen from what went wrong in
//! real files and in the trust review: extreme numbers and durations,
//! wrong or empty strings, lines deleted, duplicated or swapped, unknown
//! keys, known keys with absurd values, a second distribution kind, stray
//! bytes, a truncated file, entries appended with random references.
//! The same (text, seed) always gives the same mutant.
//!
//! The campaign over the binary is `src/bin/fuzz-campaign.rs`.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Numbers that break assumptions.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1",
    "0.5",
    "-0.0",
    "1e9",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "-inf",
    "4294967296",
    "9223372036854775807",
    "18446744073709551616",
    "65536",
    "1000000",
    "2.2250738585072014e-308",
];

/// Durations that break assumptions.
const DURATIONS: &[&str] = &[
    "\"0s\"",
    "\"1ms\"",
    "\"-5m\"",
    "\"\"",
    "\"100y\"",
    "\"1000y\"",
    "\"999999999999y\"",
    "\"banana\"",
    "\"1h30\"",
    "\"5m \"",
    "\"none\"",
    "\"1ns\"",
    "\"36500d\"",
    "\"0.5ms\"",
    "5",
];

/// Strings that break assumptions.
const STRINGS: &[&str] = &[
    "\"\"",
    "\" \"",
    "\"\\u0000\"",
    "\"\\u001b[31mred\"",
    "\"名前\"",
    "\"a.b\"",
    "\"../../etc/passwd\"",
    "\"/dev/zero\"",
    "\"trial\"",
    "\"high\"",
    "\"attended\"",
    "\"immediate\"",
    "\"least_recently_used\"",
    "\"2.21\"",
    "\"* * * * *\"",
    "\"0 0 31 2 *\"",
];

/// Keys (with values) worth trying anywhere: many are misplaced and must be
/// refused as unknown; placed right, they ask for absurd work.
const KEYS: &[&str] = &[
    "burst = 1000000000",
    "burst = 0",
    "per_hour = 1e9",
    "per_hour = 100000",
    "every = \"1ms\"",
    "horizon = \"36500d\"",
    "sample_every = \"1ms\"",
    "warmup = \"1000y\"",
    "queue_capacity = 4000000000",
    "queue_capacity = 0",
    "queue_timeout = \"1ms\"",
    "bots = 0",
    "bots = 64",
    "bots = 1000",
    "max_bots = 65535",
    "committed_bots = 100",
    "hosted_capacity = 1000000",
    "license = \"trial\"",
    "mtbf = \"1ms\"",
    "repair = \"1ms\"",
    "offline_since = \"1000y\"",
    "version = \"99999999999.1\"",
    "failure_probability = 2",
    "priority = -9223372036854775808",
    "selection_delay = { uniform = { min = \"1h\", max = \"1m\" } }",
    "session_overhead = \"1000y\"",
    "certificate_expires = \"0s\"",
    "certificate_validity = \"1ms\"",
    "renewal_period = \"1000y\"",
    "max_runs = 1",
    "max_runs = 18446744073709551615",
    "max_output_mb = 0",
    "trace = \"/dev/zero\"",
    "trace = \"missing.csv\"",
    "at = []",
    "cron = \"* * * * * *\"",
    "zz_unknown = 1",
];

/// Extra entries appended, with `{name}` replaced by a name from the file.
const ENTRIES: &[&str] = &[
    "\n[[events]]\nat = \"1h\"\nkind = \"offline\"\ntarget = \"{name}\"\nfor = \"1000y\"\n",
    "\n[[events]]\nat = \"0s\"\nkind = \"maintenance\"\ntarget = \"{name}\"\nfor = \"1ms\"\n",
    "\n[[events]]\nat = \"2h\"\nkind = \"set\"\nkey = \"flows.{name}.arrivals.poisson.per_hour\"\nvalue = 1e12\n",
    "\n[[events]]\nat = \"1d\"\nkind = \"set\"\nkey = \"limits.queue_capacity\"\nvalue = 0\n",
    "\n[[events]]\nat = \"3h\"\nkind = \"move_to_top\"\ntarget = \"{name}\"\nrun = 18446744073709551615\n",
    "\n[[events]]\nat = \"1000y\"\nkind = \"restart\"\ntarget = \"{name}\"\n",
    "\n[[machines]]\nname = \"{name}\"\nbots = 1\n",
    "\n[[machines]]\nname = \"zz-{name}\"\ngroup = \"{name}\"\nbots = 10\nmtbf = \"1m\"\nrepair = \"1m\"\n",
    "\n[[flows]]\nname = \"zz-{name}\"\ntarget = \"{name}\"\nduration = \"1000y\"\narrivals = { every = \"1m\", burst = 500 }\n",
    "\n[[flows]]\nname = \"zz-{name}\"\ntarget = \"{name}\"\nmode = \"attended\"\nduration = { lognormal = { mean = \"1ms\", sd = \"1000y\" } }\narrivals = { cron = \"*/1 * * * *\", burst = 100 }\n",
    "\n[[hosted_machines]]\nname = \"zz-{name}\"\ngroup = \"{name}\"\n",
    "\n[[hosted_groups]]\nname = \"zz-{name}\"\nmax_bots = 50\ncommitted_bots = 50\n",
    "\n[[environments]]\nname = \"{name}\"\nlicense = \"trial\"\nhosted_capacity = 2\n",
    "\n[[shares]]\ntarget = \"{name}\"\nuser = \"{name}\"\nrole = \"co-owner\"\n",
];

/// A mutant of `text`: its text and what was done to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutant {
    /// The mutated scenario.
    pub text: String,
    /// The mutations applied, in order (for reports).
    pub mutations: Vec<String>,
}

/// Applies one to four random mutations to a scenario's text.
pub fn mutate(text: &str, seed: u64) -> Mutant {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut text = text.to_string();
    let mut mutations = Vec::new();
    // Mostly one mutation, so that many mutants stay valid and are run.
    let count = [1, 1, 1, 1, 1, 2, 2, 2, 3, 4][rng.random_range(0..10)];
    for _ in 0..count {
        let (next, what) = mutate_once(&text, &mut rng);
        text = next;
        mutations.push(what);
    }
    Mutant { text, mutations }
}

fn pick<'a>(rng: &mut ChaCha8Rng, list: &[&'a str]) -> &'a str {
    list[rng.random_range(0..list.len())]
}

fn mutate_once(text: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    match rng.random_range(0..12) {
        0 | 1 => replace_token(text, rng, Token::Number, NUMBERS, "number"),
        2 | 3 => replace_token(text, rng, Token::Duration, DURATIONS, "duration"),
        4 => replace_token(text, rng, Token::String, STRINGS, "string"),
        5 => edit_lines(text, rng),
        6 | 7 => insert_key(text, rng),
        8 => second_kind(text, rng),
        9 => append_entry(text, rng),
        10 => stray_bytes(text, rng),
        _ => {
            let at = floor_char(text, rng.random_range(0..=text.len()));
            (text[..at].to_string(), format!("truncated at byte {at}"))
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Token {
    Number,
    Duration,
    String,
}

/// The byte ranges of tokens of a kind in value position (after `=` or in
/// an array), outside comments.
fn tokens(text: &str, kind: Token) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut in_value = false;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' => in_value = false,
            b'=' | b'[' | b',' | b'{' => in_value = in_value || bytes[i] == b'=',
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += usize::from(bytes[i] == b'\\') + 1;
                }
                let end = (i + 1).min(bytes.len());
                let inner = text.get(start + 1..end.saturating_sub(1)).unwrap_or("");
                let is_duration = inner.starts_with(|c: char| c.is_ascii_digit())
                    && inner.ends_with(|c: char| c.is_ascii_alphabetic());
                let wanted = match kind {
                    Token::Duration => is_duration,
                    Token::String => !is_duration,
                    Token::Number => false,
                };
                if in_value && wanted {
                    out.push((start, end));
                }
                i = end;
                continue;
            }
            b'-' | b'0'..=b'9' if in_value && kind == Token::Number => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || b"._+-".contains(&bytes[i]))
                {
                    i += 1;
                }
                out.push((start, i));
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn replace_token(
    text: &str,
    rng: &mut ChaCha8Rng,
    kind: Token,
    with: &[&str],
    name: &str,
) -> (String, String) {
    let found = tokens(text, kind);
    if found.is_empty() {
        return insert_key(text, rng);
    }
    let (start, end) = found[rng.random_range(0..found.len())];
    let new = pick(rng, with);
    let what = format!("{name} {} -> {new}", &text[start..end]);
    (format!("{}{new}{}", &text[..start], &text[end..]), what)
}

fn edit_lines(text: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() < 2 {
        return insert_key(text, rng);
    }
    let a = rng.random_range(0..lines.len());
    let b = rng.random_range(0..lines.len());
    let what = match rng.random_range(0..3) {
        0 => {
            let gone = lines.remove(a);
            format!("deleted line {}: {gone}", a + 1)
        }
        1 => {
            lines.insert(b, lines[a]);
            format!("line {} copied before line {}", a + 1, b + 1)
        }
        _ => {
            lines.swap(a, b);
            format!("lines {} and {} swapped", a + 1, b + 1)
        }
    };
    (lines.join("\n") + "\n", what)
}

/// Inserts a key line after a random table header (or at the top).
fn insert_key(text: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    let mut lines: Vec<&str> = text.lines().collect();
    let headers: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with('['))
        .map(|(i, _)| i + 1)
        .collect();
    let at = if headers.is_empty() {
        0
    } else {
        headers[rng.random_range(0..headers.len())]
    };
    let key = pick(rng, KEYS);
    lines.insert(at.min(lines.len()), key);
    (
        lines.join("\n") + "\n",
        format!("inserted `{key}` at line {}", at + 1),
    )
}

fn second_kind(text: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    let kinds = ["{ exponential = {", "{ uniform = {", "{ lognormal = {"];
    let found: Vec<usize> = kinds
        .iter()
        .flat_map(|k| text.match_indices(k).map(|(i, _)| i))
        .collect();
    if found.is_empty() {
        return insert_key(text, rng);
    }
    let at = found[rng.random_range(0..found.len())] + 1;
    let extra = " lognormal = { mean = \"-5m\", sd = \"banana\" },";
    (
        format!("{}{extra}{}", &text[..at], &text[at..]),
        "a second distribution kind".into(),
    )
}

fn append_entry(text: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let v = l
                .trim()
                .strip_prefix("name")?
                .trim()
                .strip_prefix('=')?
                .trim();
            v.strip_prefix('"')?.strip_suffix('"')
        })
        .collect();
    let name = if names.is_empty() {
        "x"
    } else {
        names[rng.random_range(0..names.len())]
    };
    let entry = pick(rng, ENTRIES).replace("{name}", name);
    let what = format!("appended {}", entry.trim().replace('\n', "; "));
    (format!("{text}{entry}"), what)
}

fn stray_bytes(text: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    let stray = [
        "\u{0}", "\"", "[", "]]", "=", "{", "\u{feff}", "\\", "\r", "\u{1b}",
    ];
    let at = floor_char(text, rng.random_range(0..=text.len()));
    let s = pick(rng, &stray);
    (
        format!("{}{s}{}", &text[..at], &text[at..]),
        format!("{s:?} inserted at byte {at}"),
    )
}

/// The largest char boundary at or before `i`.
fn floor_char(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "[simulation]\nhorizon = \"1d\" # a day\n\n[[flows]]\nname = \"f\"\nduration = { exponential = { mean = \"5m\" } }\narrivals = { poisson = { per_hour = 3 } }\n";

    #[test]
    fn the_same_seed_gives_the_same_mutant_and_others_differ() {
        assert_eq!(mutate(S, 7), mutate(S, 7));
        let distinct: std::collections::BTreeSet<String> =
            (0..50).map(|seed| mutate(S, seed).text).collect();
        assert!(distinct.len() > 40, "{}", distinct.len());
    }

    #[test]
    fn tokens_are_found_in_value_position_only() {
        let numbers: Vec<&str> = tokens(S, Token::Number)
            .iter()
            .map(|(a, b)| &S[*a..*b])
            .collect();
        assert_eq!(numbers, vec!["3"]);
        let durations: Vec<&str> = tokens(S, Token::Duration)
            .iter()
            .map(|(a, b)| &S[*a..*b])
            .collect();
        assert_eq!(durations, vec!["\"1d\"", "\"5m\""]);
        let strings: Vec<&str> = tokens(S, Token::String)
            .iter()
            .map(|(a, b)| &S[*a..*b])
            .collect();
        assert_eq!(strings, vec!["\"f\""]);
    }
}
