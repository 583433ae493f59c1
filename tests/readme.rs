//! The README's console examples are what the binary prints: every
//! indented `$ rpasim ...` (or `$ cargo run --release -- ...`) example whose
//! files are in the repository is run, and its output must read as the
//! README shows it. A column added to a table, or a default that changed
//! the counts, fails here instead of leaving the README behind.
//!
//! The comparison ignores how whitespace is laid out (the README wraps
//! long lines and the tables align their columns), and `...` in an
//! example stands for any text (an elided part).

use std::fs;
use std::path::Path;

use crate::common::{repo, run_in, stderr, stdout};

/// An example of the README: its command's arguments (after the program)
/// and the output it shows.
#[derive(Debug)]
struct Example {
    line: usize,
    args: Vec<String>,
    shown: String,
}

/// Every indented `$ ` example of `readme`, with the lines that follow it
/// up to a blank line (a command continued with `\` is joined).
fn examples(readme: &str) -> Vec<Example> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(command) = lines[i].trim_start().strip_prefix("$ ") else {
            i += 1;
            continue;
        };
        let line = i + 1;
        let mut command = command.to_string();
        while command.ends_with('\\') && i + 1 < lines.len() {
            command.pop();
            command.push(' ');
            i += 1;
            command.push_str(lines[i].trim());
        }
        i += 1;
        let mut shown = Vec::new();
        while i < lines.len() && !lines[i].trim().is_empty() {
            shown.push(lines[i]);
            i += 1;
        }
        if let Some(args) = program_args(&command) {
            found.push(Example {
                line,
                args,
                shown: shown.join("\n"),
            });
        }
    }
    found
}

/// The arguments of an `rpasim` command line (given as `rpasim` or as
/// `cargo run --release --`), split as a shell would split them (single
/// quotes only, which is all the README uses).
fn program_args(command: &str) -> Option<Vec<String>> {
    let words = shell_words(command);
    let skip = match words.first().map(String::as_str) {
        Some("rpasim") => 1,
        Some("cargo")
            if words.get(1..4) == Some(&["run".into(), "--release".into(), "--".into()]) =>
        {
            4
        }
        _ => return None,
    };
    Some(words[skip..].to_vec())
}

fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let (mut word, mut quoted, mut started) = (String::new(), false, false);
    for c in command.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// `text` with every run of whitespace made one space.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `actual` reads as `shown`, where `...` in `shown` stands for
/// any text; whitespace is compared squeezed.
fn reads_as(actual: &str, shown: &str) -> bool {
    let actual = squeeze(actual);
    let shown = squeeze(shown);
    let parts: Vec<&str> = shown.split("...").map(str::trim).collect();
    let Some((last, before)) = parts.split_last() else {
        return actual.is_empty();
    };
    let mut rest = actual.as_str();
    for (i, part) in before.iter().enumerate() {
        match rest.find(part) {
            Some(at) if at == 0 || i > 0 => rest = &rest[at + part.len()..],
            _ => return false,
        }
    }
    match before.is_empty() {
        // No `...`: all of it.
        true => rest == *last,
        false => rest.ends_with(last),
    }
}

/// Whether every file an example names (a `.toml` or `.csv` argument, or
/// one after `=`) is in the repository: examples of files the reader
/// writes (`storm.toml`) are not run.
fn files_exist(args: &[String]) -> bool {
    args.iter()
        .map(|a| a.rsplit('=').next().unwrap_or(a))
        .filter(|a| a.ends_with(".toml") || a.ends_with(".csv"))
        .all(|a| repo().join(a).is_file())
}

/// A directory to run examples in, as if in the repository: its
/// `scenarios/` and `reports/baselines/` are the repository's (linked),
/// its `reports/` the examples' own.
fn workspace(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink(repo().join("scenarios"), dir.join("scenarios")).expect("link scenarios");
        fs::create_dir(dir.join("reports")).expect("reports");
        symlink(
            repo().join("reports/baselines"),
            dir.join("reports/baselines"),
        )
        .expect("link baselines");
    }
}

#[cfg(unix)]
#[test]
fn the_readme_s_examples_print_what_it_shows() {
    let readme = fs::read_to_string(repo().join("README.md")).expect("README.md");
    let runnable: Vec<Example> = examples(&readme)
        .into_iter()
        .filter(|e| files_exist(&e.args))
        .collect();
    // The quickstart's run, the month-end plan, the goals and the check.
    assert!(runnable.len() >= 4, "{runnable:#?}");
    let mut wrong = Vec::new();
    for example in &runnable {
        let dir = tempfile::tempdir().expect("temp dir");
        workspace(dir.path());
        let args: Vec<&str> = example.args.iter().map(String::as_str).collect();
        let out = run_in(dir.path(), &args);
        let actual = format!("{}{}", stdout(&out), stderr(&out));
        if !reads_as(&actual, &example.shown) {
            wrong.push(format!(
                "README.md:{} `{}` shows\n{}\nbut prints\n{actual}",
                example.line,
                args.join(" "),
                example.shown
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

#[test]
fn an_elided_part_matches_anything_and_the_rest_must_match() {
    assert!(reads_as("a b  c\nd", "a b c d"));
    assert!(reads_as("a b c d", "a ... d"));
    assert!(reads_as("a b c d", "...\nc d"));
    assert!(reads_as("a b c d", "a b ..."));
    assert!(!reads_as("a b c d", "a b c"));
    assert!(!reads_as("a b c d", "b c d"));
    assert!(!reads_as("a b c d", "a ... e"));
    assert!(!reads_as("39 comparisons", "33 comparisons"));
    // The last part is the end, wherever else it occurs.
    assert!(reads_as("x d y d", "... d"));
    assert!(!reads_as("x d y d e", "... d"));
}

#[test]
fn examples_are_read_with_their_continued_commands() {
    let text = "Text.\n\n    $ rpasim plan a.toml \\\n          --search 'x|y=1..2|3..4'\n    line one\n    line two\n\nMore.\n\n    $ ls\n    nothing\n";
    let found = examples(text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        found[0].args,
        ["plan", "a.toml", "--search", "x|y=1..2|3..4"]
    );
    assert_eq!(found[0].shown, "    line one\n    line two");
    assert_eq!(found[0].line, 3);
}
