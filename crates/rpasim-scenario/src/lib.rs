//! Scenario files for rpasim: TOML in, a validated
//! [`ModelSpec`](rpasim_core::ModelSpec) out.
//!
//! Invariant: every problem is reported (never a panic, never a silently
//! ignored key) with the file, line and column, the dotted key, and what was
//! expected. This crate reads the scenario and the trace files it names; it
//! writes nothing.
//!
//! Entry points: [`load`] (a file) and [`parse`] (text), both taking the
//! command line's `--set` [`Override`]s.

pub mod build;
pub mod cores;
mod entries;
pub mod error;
pub mod goals;
pub mod input;
pub mod json_schema;
pub mod overrides;
pub mod schema;
pub mod trace;

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use rpasim_core::ModelSpec;
use toml_edit::{Document, TomlError};

use error::Segment;
pub use error::{KeyPath, Problem, ScenarioError};
pub use overrides::Override;
pub use schema::parse_duration;

/// The largest seed rpasim takes: what a TOML integer holds, so that every
/// seed can be written into a scenario or a sweep's `sweep.toml` and read
/// back (a sweep's base seed beyond it made a `sweep.toml` that `--resume`,
/// `merge` and `plot` then refused).
pub const MAX_SEED: u64 = schema::TOML_MAX_INTEGER;

/// A validated scenario, ready to simulate.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Display name: `[simulation] name`, else the file stem.
    pub name: String,
    /// The question the scenario answers, if it says.
    pub question: Option<String>,
    /// The file it was read from.
    pub source: PathBuf,
    /// The scenario text with `--set` overrides applied: what was simulated.
    pub effective_toml: String,
    /// The model.
    pub spec: ModelSpec,
    /// Why writing this run's output files would be refused (their
    /// estimated size is over `[limits] max_output_mb`), if it would.
    /// Commands that keep results in memory (checks) ignore it; sweeps
    /// check what they write themselves against [`Self::max_output_mb`].
    pub output_refusal: Option<ScenarioError>,
    /// The same for the files without `runs.csv` (`--runs none`).
    pub output_refusal_without_runs: Option<ScenarioError>,
    /// `[limits] max_output_mb` (overrides applied): the most megabytes of
    /// files one command may write for this scenario.
    pub max_output_mb: u64,
    /// The service levels of `[[goals]]`.
    pub goals: Vec<rpasim_report::goals::Goal>,
}

/// Reads and validates a scenario file.
pub fn load(path: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    let text = input::read_text(path, "the scenario", input::MAX_SCENARIO_BYTES)
        .map_err(|m| Problem::in_file(path, m))?;
    parse(&text, path, overrides)
}

/// Validates scenario text; `source` names it in messages and anchors the
/// relative paths of trace files.
pub fn parse(text: &str, source: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    parse_sharing(text, source, overrides, &trace::Traces::default())
}

/// [`parse`], the trace files read through `traces`: readings of one
/// scenario with different overrides (a sweep's variants, a plan's
/// candidates) then read each trace once.
pub fn parse_sharing(
    text: &str,
    source: &Path,
    overrides: &[Override],
    traces: &trace::Traces,
) -> Result<Scenario, ScenarioError> {
    // A file is refused before it is read (`load`); text given directly
    // (the Python package's) is refused here: 40 MB of it took 29 s and
    // 5.5 GB to be read and found wanting. So are overrides that would
    // make it as large (a Python `set=` value has no command line's bound).
    let with_overrides = text.len() + overrides.iter().map(|o| o.value.len()).sum::<usize>();
    if with_overrides as u64 > input::MAX_SCENARIO_BYTES {
        let overridden = if with_overrides > text.len() {
            " with its overrides"
        } else {
            ""
        };
        return Err(Problem::in_file(
            source,
            format!(
                "the scenario has {with_overrides} bytes{overridden}, more than the {} MB \
                 rpasim reads",
                input::MAX_SCENARIO_BYTES >> 20
            ),
        )
        .into());
    }
    too_many_tables(text, source)?;
    let effective = overrides::apply(text, source, overrides)?;
    scenario(&Locator::new(source, &effective, overrides), traces)
}

/// The scenario in the locator's text (overrides applied).
fn scenario(locator: &Locator<'_>, traces: &trace::Traces) -> Result<Scenario, ScenarioError> {
    let (source, effective) = (locator.source, locator.text);
    let file = deserialize(locator)?;
    let base_dir = source.parent().unwrap_or(Path::new("."));
    let spec = build::build(&file, base_dir, traces).map_err(|issues| locator.issues(issues))?;
    let goals = build::goals(&file, &spec).map_err(|issues| locator.issues(issues))?;
    let workload = rpasim_core::workload::Workload::of(&spec);
    let refusal = |with_runs| {
        build::limits::output_issue(&file, &spec, &workload, with_runs).map(|i| ScenarioError {
            problems: vec![locator.issue(i)],
        })
    };
    let (output_refusal, output_refusal_without_runs) = (refusal(true), refusal(false));
    let name = file.simulation.name.clone().unwrap_or_else(|| {
        source
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
    });
    Ok(Scenario {
        name,
        question: file.simulation.question.clone(),
        source: source.to_path_buf(),
        effective_toml: effective.to_string(),
        spec,
        output_refusal,
        output_refusal_without_runs,
        max_output_mb: file.limits.max_output_mb,
        goals,
    })
}

/// Refuses, before parsing, a text with more `[[...]]` entries than a
/// scenario needs: one list at its limit of entries and a fifth of that
/// besides. (A text read as one document, because it cannot be read entry
/// by entry or to locate a problem, costs about 3 KB of memory a table.)
fn too_many_tables(text: &str, source: &Path) -> Result<(), Problem> {
    let most = build::limits::MAX_ENTRIES * 6 / 5;
    let mut headers = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[["));
    match headers.nth(most) {
        None => Ok(()),
        Some((line, _)) => Err(Problem {
            file: source.to_path_buf(),
            line: Some(line + 1),
            column: Some(1),
            key: None,
            message: format!(
                "more than {most} [[...]] entries; rpasim takes at most {} per list",
                build::limits::MAX_ENTRIES
            ),
        }),
    }
}

/// The document of the entry a key path reaches into, where that entry
/// starts in the text, and the path inside its document.
type InEntry<'a> = (usize, Document<&'a str>, KeyPath);

/// Turns key paths and byte offsets into [`Problem`]s.
struct Locator<'a> {
    source: &'a Path,
    text: &'a str,
    /// The text as a document with spans, parsed only when a problem
    /// outside the lists' entries (or in a text that does not read entry by
    /// entry) is to be located: it weighs more than everything else a
    /// scenario's reading holds (about 100 MB for 10,000 machines and
    /// flows).
    doc: OnceCell<Result<Document<&'a str>, TomlError>>,
    /// The text entry by entry, if it reads so: a problem inside an entry
    /// is located in that entry's document alone, without the whole one.
    entries: OnceCell<Option<entries::Checked<'a>>>,
    overrides: &'a [Override],
}

impl<'a> Locator<'a> {
    /// A locator of problems in `text`, read from `source` with `overrides`.
    fn new(source: &'a Path, text: &'a str, overrides: &'a [Override]) -> Self {
        Locator {
            source,
            text,
            doc: OnceCell::new(),
            entries: OnceCell::new(),
            overrides,
        }
    }

    /// The document, if the text parses as one.
    fn doc(&self) -> Option<&Document<&'a str>> {
        self.parsed().as_ref().ok()
    }

    /// The document or why the text is not one, parsed at the first ask.
    fn parsed(&self) -> &Result<Document<&'a str>, TomlError> {
        self.doc.get_or_init(|| Document::parse(self.text))
    }

    /// The problem of a text that is not TOML, as the document parser
    /// words it, if it does not parse.
    fn invalid_toml(&self) -> Option<Problem> {
        let e = self.parsed().as_ref().err()?;
        let offset = e.span().map_or(0, |s| s.start);
        Some(Problem::at_offset(
            self.source,
            self.text,
            offset,
            format!("invalid TOML: {}", e.message().trim()),
        ))
    }

    /// The document of the entry `path` reaches into, where it starts in
    /// the text, and the path inside it; `None` for a path outside the
    /// lists' entries, or a text that does not read entry by entry.
    fn in_entry(&self, path: &KeyPath) -> Option<InEntry<'a>> {
        let [Segment::Key(list), Segment::Index(index), ..] = path.0.as_slice() else {
            return None;
        };
        let checked = self.entries.get_or_init(|| entries::Checked::of(self.text));
        let (start, text) = checked.as_ref()?.entry(list, *index)?;
        let mut inside = path.clone();
        inside.0[1] = Segment::Index(0);
        Some((start, Document::parse(text).ok()?, inside))
    }

    /// `path` as a dotted key, entries shown by name where they have one,
    /// looked up in `entry` (from [`Self::in_entry`]) when there is one.
    fn key(&self, path: &KeyPath, entry: Option<&InEntry<'a>>) -> String {
        match entry {
            Some((_, doc, inside)) => path.display_at(Some(doc), inside),
            None => path.display(self.doc()),
        }
    }

    /// Where in the text the value at `path` (or the nearest enclosing
    /// one) is, found in `entry` when there is one.
    fn offset(&self, path: &KeyPath, entry: Option<&InEntry<'a>>) -> Option<usize> {
        if let Some((start, doc, inside)) = entry
            && let Some(span) = inside.span(doc)
        {
            return Some(start + span.start);
        }
        Some(path.span(self.doc()?)?.start)
    }

    fn problem(&self, path: &KeyPath, offset: Option<usize>, message: String) -> Problem {
        let entry = self.in_entry(path);
        let key = self.key(path, entry.as_ref());
        if let Some(o) = self.overridden(&key) {
            // The effective text's lines do not exist in the user's file.
            return Problem {
                file: self.source.to_path_buf(),
                line: None,
                column: None,
                key: Some(key),
                message: format!("{message} (overridden by {o})"),
            };
        }
        let offset = offset.or_else(|| self.offset(path, entry.as_ref()));
        let mut p = match offset {
            Some(o) => Problem::at_offset(self.source, self.text, o, message),
            None => Problem::in_file(self.source, message),
        };
        p.key = (!key.is_empty()).then_some(key);
        p
    }

    fn overridden(&self, key: &str) -> Option<&Override> {
        self.overrides
            .iter()
            .find(|o| within(key, &o.key) || within(&o.key, key))
    }

    /// The first [`build::LISTED_PROBLEMS`] issues located, then how many
    /// more there are, at the first of them: locating one reads the text
    /// up to it, so locating thousands would take seconds.
    fn issues(&self, issues: Vec<build::Issue>) -> ScenarioError {
        let more = issues.len().saturating_sub(build::LISTED_PROBLEMS);
        let mut issues = issues.into_iter();
        let mut problems: Vec<Problem> = issues
            .by_ref()
            .take(build::LISTED_PROBLEMS)
            .map(|i| self.issue(i))
            .collect();
        if let Some(mut next) = issues.next() {
            next.message = format!(
                "{more} more problems from here on are not listed (only the first {} are)",
                build::LISTED_PROBLEMS
            );
            problems.push(self.issue(next));
        }
        ScenarioError { problems }
    }

    fn issue(&self, issue: build::Issue) -> Problem {
        match issue.external {
            Some((file, line)) => Problem {
                file,
                line,
                column: None,
                key: Some(self.key(&issue.path, self.in_entry(&issue.path).as_ref())),
                message: issue.message,
            },
            None => self.problem(&issue.path, None, issue.message),
        }
    }
}

/// Whether the dotted `key` is `prefix` or inside it: a table's key, or an
/// element of an array (`daily[6]` is inside `daily`).
fn within(key: &str, prefix: &str) -> bool {
    key.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
}

/// The scenario file in the text: read entry by entry when that surely
/// means the same, which holds far less memory for thousands of entries;
/// else, and to word any problem, as one document.
fn deserialize(at: &Locator<'_>) -> Result<schema::ScenarioFile, Problem> {
    if let Some(file) = entries::read(at.text) {
        return Ok(file);
    }
    if let Some((path, offset, message)) = entries::first_problem(at.text) {
        return Err(at.problem(&path, offset, message));
    }
    let de = toml::Deserializer::parse(at.text).map_err(|e| {
        // Worded by the document parser, as when it read the text first.
        if let Some(problem) = at.invalid_toml() {
            return problem;
        }
        Problem::at_offset(
            at.source,
            at.text,
            e.span().map_or(0, |s| s.start),
            e.message().to_string(),
        )
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = KeyPath::from_serde(e.path());
        let inner = e.into_inner();
        at.problem(
            &path,
            inner.span().map(|s| s.start),
            error::worded(inner.message()),
        )
    })
}

#[cfg(test)]
mod tests;
