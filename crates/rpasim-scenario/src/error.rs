//! Scenario errors that say where: file, line and column, the dotted key,
//! and what was expected.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item};

/// One segment of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A table key.
    Key(String),
    /// An array index (shown as the entry's `name` when it has one).
    Index(usize),
}

/// The path of a value in the scenario, e.g. `flows[2].target`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    /// The path of a top-level key.
    pub fn root(key: &str) -> Self {
        KeyPath(vec![Segment::Key(key.to_string())])
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.to_string()));
        p
    }

    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// Converts the path recorded by `serde_path_to_error`.
    pub fn from_serde(path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment as S;
        KeyPath(
            path.iter()
                .filter_map(|s| match s {
                    S::Seq { index } => Some(Segment::Index(*index)),
                    S::Map { key } => Some(Segment::Key(key.clone())),
                    S::Enum { variant } => Some(Segment::Key(variant.clone())),
                    S::Unknown => None,
                })
                .collect(),
        )
    }

    /// The dotted form, with array entries by name where the document gives
    /// one (`flows.invoices.target`, the form `--set` accepts).
    pub fn display(&self, doc: Option<&Document<&str>>) -> String {
        self.display_at(doc, self)
    }

    /// [`display`](Self::display), with entries' names looked up in `doc`
    /// along `lookup`, a path of as many segments: where the value is in a
    /// document of its entry alone (`flows[0]...` for `flows[7]...`).
    pub(crate) fn display_at(&self, doc: Option<&Document<&str>>, lookup: &KeyPath) -> String {
        let mut out = String::new();
        let mut item = doc.map(|d| d.as_item());
        for (seg, there) in self.0.iter().zip(&lookup.0) {
            match seg {
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                    item = item.and_then(|i| child(i, there));
                }
                Segment::Index(i) => {
                    let entry = item.and_then(|it| child(it, there));
                    match entry.and_then(|e| e.get("name")).and_then(Item::as_str) {
                        Some(name) => {
                            out.push('.');
                            out.push_str(name);
                        }
                        None => out.push_str(&format!("[{i}]")),
                    }
                    item = entry;
                }
            }
        }
        out
    }

    /// The 1-based line and column of the value at this path in the TOML
    /// `text` (or of the nearest enclosing value that exists), if the text
    /// parses: for files read as plain tables, such as a fleet file.
    pub fn place_in(&self, text: &str) -> Option<(usize, usize)> {
        let doc = Document::parse(text).ok()?;
        self.span(&doc).map(|s| line_column(text, s.start))
    }

    /// The byte range of the value at this path in `doc` (or of the nearest
    /// enclosing value that exists).
    pub fn span(&self, doc: &Document<&str>) -> Option<std::ops::Range<usize>> {
        let mut item = doc.as_item();
        let mut best = None;
        for seg in &self.0 {
            match child(item, seg) {
                Some(next) => {
                    item = next;
                    best = item_span(item).or(best);
                }
                None => break,
            }
        }
        best
    }
}

/// The child of an item: a key of a table (standard or inline) or an
/// element of an array (of values or of tables).
fn child<'a>(item: &'a Item, seg: &Segment) -> Option<&'a Item> {
    match seg {
        Segment::Key(k) => item.get(k.as_str()),
        Segment::Index(i) => item.get(*i),
    }
}

fn item_span(item: &Item) -> Option<std::ops::Range<usize>> {
    match item {
        Item::Table(t) => t.span(),
        other => other.span(),
    }
}

/// One problem found in a scenario (or in a file it refers to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// Dotted key of the value at fault, when known.
    pub key: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(key) = &self.key {
            // A key is the user's text too: a key of a megabyte is cut.
            write!(f, "{}: ", shortened(key))?;
        }
        f.write_str(&shortened(&self.message))
    }
}

/// The most characters of a word (a run without a space) a message shows
/// whole: a value of a megabyte quoted by the parser, or given with
/// `--set`, would make a message of a megabyte.
const LONGEST_WORD: usize = 200;

/// `message` with each word longer than [`LONGEST_WORD`] characters cut to
/// its start and end, saying how long it was.
fn shortened(message: &str) -> Cow<'_, str> {
    let long = |w: &&str| w.len() > LONGEST_WORD && w.chars().count() > LONGEST_WORD;
    if !message.split(' ').any(|w| long(&w)) {
        return Cow::Borrowed(message);
    }
    let words: Vec<String> = message
        .split(' ')
        .map(|w| {
            if !long(&w) {
                return w.to_string();
            }
            let n = w.chars().count();
            let head: String = w.chars().take(60).collect();
            let tail: String = w.chars().skip(n - 20).collect();
            format!("{head}…{tail} ({n} characters)")
        })
        .collect();
    Cow::Owned(words.join(" "))
}

/// The problems that make a scenario invalid (at least one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// Every problem found, in file order where known.
    pub problems: Vec<Problem>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl From<Problem> for ScenarioError {
    fn from(p: Problem) -> Self {
        ScenarioError { problems: vec![p] }
    }
}

impl Problem {
    /// A problem with the file as a whole (e.g. it cannot be read).
    pub fn in_file(file: &Path, message: impl Into<String>) -> Self {
        Problem {
            file: file.to_path_buf(),
            line: None,
            column: None,
            key: None,
            message: message.into(),
        }
    }

    /// A problem at a byte offset of `text`.
    pub fn at_offset(file: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(text, offset);
        Problem {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            key: None,
            message: message.into(),
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// "a, b, c": `names`, or the first ten of them and how many there are in
/// all ("a, ..., j, ... (500 in all)"): a scenario may name thousands.
pub fn first_ten<S: AsRef<str>>(names: &[S]) -> String {
    const SHOWN: usize = 10;
    let mut list = names
        .iter()
        .take(SHOWN)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(", ... ({} in all)", names.len()));
    }
    list
}

/// The name of `known` closest to `name`, if one is close enough to be a
/// misspelling of it (also for a history's columns, in `rpasim-import`).
pub fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// A deserializer's message worded for the people who write scenarios:
/// a number type as what it takes ("expected u32" reads "expected a whole
/// number, 0 or more"), and "(did you mean `bots`?)" after an unknown
/// field or variant close to one expected ("unknown field `bot`, expected
/// one of `name`, ..., `bots`, ...").
pub fn worded(message: &str) -> String {
    suggesting(&plain_types(message))
}

/// `message` with a Rust number type it ends expecting named as what it
/// takes.
fn plain_types(message: &str) -> Cow<'_, str> {
    const WHOLE: [&str; 6] = ["u8", "u16", "u32", "u64", "u128", "usize"];
    const SIGNED: [&str; 6] = ["i8", "i16", "i32", "i64", "i128", "isize"];
    let Some((head, ty)) = message.rsplit_once(", expected ") else {
        return Cow::Borrowed(message);
    };
    let plain = if WHOLE.contains(&ty) {
        "a whole number, 0 or more"
    } else if SIGNED.contains(&ty) {
        "a whole number"
    } else if ty == "f32" || ty == "f64" {
        "a number"
    } else {
        return Cow::Borrowed(message);
    };
    Cow::Owned(format!("{head}, expected {plain}"))
}

/// `message` with "(did you mean `bots`?)" after an unknown field or
/// variant close to one it expects, or naming the one or two it is the
/// end of ("(did you mean `group_run_timeout` or `machine_run_timeout`?)"
/// for `run_timeout`, which no misspelling rule finds close).
fn suggesting(message: &str) -> String {
    let suggestion = || {
        let rest = message
            .strip_prefix("unknown field `")
            .or_else(|| message.strip_prefix("unknown variant `"))?;
        let (name, expected) = rest.split_once("`, expected ")?;
        // The expected names are the quoted words.
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        if let Some(close) = closest(name, &known) {
            return Some(format!("`{close}`"));
        }
        let ending = format!("_{name}");
        let ends: Vec<String> = known
            .iter()
            .filter(|k| k.ends_with(&ending))
            .map(|k| format!("`{k}`"))
            .collect();
        (1..=2).contains(&ends.len()).then(|| ends.join(" or "))
    };
    match suggestion() {
        Some(meant) => format!("{message} (did you mean {meant}?)"),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod shortening_tests {
    use super::*;

    #[test]
    fn long_words_of_a_message_are_cut_saying_how_long_they_were() {
        let p = |message: String| Problem::in_file(Path::new("s.toml"), message).to_string();
        let fine = format!("invalid type: string \"{}\", expected u64", "é".repeat(190));
        assert_eq!(p(fine.clone()), format!("s.toml: {fine}"));
        let long = format!(
            "invalid type: string \"{}\", expected u64",
            "x".repeat(1_000_000)
        );
        assert_eq!(
            p(long),
            format!(
                "s.toml: invalid type: string \"{}…{}\", (1000003 characters) expected u64",
                "x".repeat(59),
                "x".repeat(18)
            )
        );
        // The dotted key is cut alike: a key of two megabytes was shown whole.
        let mut problem = Problem::in_file(Path::new("s.toml"), "unknown field");
        problem.key = Some(format!("simulation.{}", "o".repeat(2_000_000)));
        assert_eq!(
            problem.to_string(),
            format!(
                "s.toml: simulation.{}…{} (2000011 characters): unknown field",
                "o".repeat(49),
                "o".repeat(20)
            )
        );
    }
}

#[cfg(test)]
mod suggestion_tests {
    use super::*;

    #[test]
    fn an_unknown_field_close_to_an_expected_one_is_suggested() {
        let said = |m: &str| worded(m);
        assert_eq!(
            said("unknown field `bot`, expected one of `name`, `group`, `bots`, `selection`"),
            "unknown field `bot`, expected one of `name`, `group`, `bots`, `selection` \
             (did you mean `bots`?)"
        );
        assert_eq!(
            said("unknown variant `exponental`, expected `exponential` or `lognormal`"),
            "unknown variant `exponental`, expected `exponential` or `lognormal` \
             (did you mean `exponential`?)"
        );
        assert_eq!(
            said("unknown field `horizn`, expected `horizon`"),
            "unknown field `horizn`, expected `horizon` (did you mean `horizon`?)"
        );
        // A name only the end of the expected ones: those it ends.
        assert_eq!(
            said(
                "unknown field `run_timeout`, expected `queue_timeout`, `group_run_timeout` or `machine_run_timeout`"
            ),
            "unknown field `run_timeout`, expected `queue_timeout`, `group_run_timeout` or \
             `machine_run_timeout` (did you mean `group_run_timeout` or `machine_run_timeout`?)"
        );
        // Nothing close, no field expected, another message, or the end of
        // too many names to choose from: as it was.
        for m in [
            "unknown field `timeout`, expected `queue_timeout`, `group_run_timeout` or `machine_run_timeout`",
            "unknown field `colour`, expected one of `name`, `bots`",
            "unknown field `x`, there are no fields",
            "invalid type: string \"a\", expected a string",
        ] {
            assert_eq!(said(m), m);
        }
    }

    #[test]
    fn number_types_are_told_as_what_they_take() {
        for (rust, plain) in [
            ("u32", "a whole number, 0 or more"),
            ("u64", "a whole number, 0 or more"),
            ("usize", "a whole number, 0 or more"),
            ("i64", "a whole number"),
            ("f64", "a number"),
        ] {
            assert_eq!(
                worded(&format!("invalid type: string \"two\", expected {rust}")),
                format!("invalid type: string \"two\", expected {plain}")
            );
        }
        assert_eq!(
            worded("invalid value: integer `-1`, expected u64"),
            "invalid value: integer `-1`, expected a whole number, 0 or more"
        );
        // Not a number type: as it was.
        for m in [
            "expected uniform",
            "x, expected u",
            "x, expected u7",
            "x, expected fifo",
        ] {
            assert_eq!(worded(m), m);
        }
    }
}
