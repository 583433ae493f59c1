//! Every key is read: an unknown key inserted in any table of any bundled
//! scenario, in the file or through `--set`, is an error that names it
//! (exit status 2 through the binary), never silently ignored.

use crate::common;

use std::fs;
use std::path::Path;

use common::{bundled_scenarios, repo, run_in, stderr};
use proptest::prelude::*;
use rpasim_scenario::Override;
use toml_edit::{DocumentMut, Item, Value};

/// A step from a table to one inside it.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Entry(usize),
}

/// Every table (standard or inline, top-level or nested, entries of arrays
/// of tables included) of a document, by its path.
fn tables(doc: &DocumentMut) -> Vec<Vec<Step>> {
    let mut out = vec![Vec::new()];
    walk_table(doc.as_table(), &mut Vec::new(), &mut out);
    out
}

fn walk_table(t: &dyn toml_edit::TableLike, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    for (key, item) in t.iter() {
        at.push(Step::Key(key.to_string()));
        walk_item(item, at, out);
        at.pop();
    }
}

fn walk_item(item: &Item, at: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match item {
        Item::Table(t) => {
            out.push(at.clone());
            walk_table(t, at, out);
        }
        Item::ArrayOfTables(list) => {
            for (i, t) in list.iter().enumerate() {
                at.push(Step::Entry(i));
                out.push(at.clone());
                walk_table(t, at, out);
                at.pop();
            }
        }
        Item::Value(Value::InlineTable(t)) => {
            out.push(at.clone());
            walk_table(t, at, out);
        }
        _ => {}
    }
}

/// Inserts `key = value` into the table at `path`.
fn insert(doc: &mut DocumentMut, path: &[Step], key: &str, value: Value) {
    let mut item = doc.as_item_mut();
    for step in path {
        item = match step {
            Step::Key(k) => &mut item[k.as_str()],
            Step::Entry(i) => &mut item[*i],
        };
    }
    match item {
        Item::Table(t) => {
            t.insert(key, Item::Value(value));
        }
        Item::Value(Value::InlineTable(t)) => {
            t.insert(key, value);
        }
        Item::None => {
            // The root.
            doc.insert(key, Item::Value(value));
        }
        other => panic!("not a table: {other:?}"),
    }
}

/// The `--set` path of a table: array entries by index.
fn dotted(path: &[Step], key: &str) -> String {
    let mut parts: Vec<String> = path
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.clone(),
            Step::Entry(i) => i.to_string(),
        })
        .collect();
    parts.push(key.to_string());
    parts.join(".")
}

fn value(kind: u8) -> Value {
    match kind % 5 {
        0 => Value::from(1),
        1 => Value::from("10m"),
        2 => Value::from(true),
        3 => Value::from(2.5),
        _ => {
            let mut t = toml_edit::InlineTable::new();
            t.insert("mean", Value::from("1h"));
            Value::InlineTable(t)
        }
    }
}

fn unknown_key() -> impl Strategy<Value = String> {
    "zz[a-z_]{1,10}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn an_unknown_key_in_any_table_is_an_error_naming_it(
        scenario in 0usize..64,
        table in 0usize..4096,
        key in unknown_key(),
        kind in 0u8..5,
    ) {
        let all = bundled_scenarios();
        let (path, text) = &all[scenario % all.len()];
        let mut doc: DocumentMut = text.parse().expect("bundled TOML");
        let places = tables(&doc);
        let place = &places[table % places.len()];
        insert(&mut doc, place, &key, value(kind));
        let edited = doc.to_string();
        let e = rpasim_scenario::parse(&edited, path, &[])
            .expect_err("an unknown key is an error");
        let shown = e.to_string();
        prop_assert!(shown.contains(&key), "{} at {:?}: {}", key, place, shown);
    }

    #[test]
    fn an_unknown_key_set_from_the_command_line_is_an_error_naming_it(
        scenario in 0usize..64,
        table in 0usize..4096,
        key in unknown_key(),
    ) {
        let all = bundled_scenarios();
        let (path, text) = &all[scenario % all.len()];
        let doc: DocumentMut = text.parse().expect("bundled TOML");
        let places = tables(&doc);
        let place = &places[table % places.len()];
        let set = Override { key: dotted(place, &key), value: "1".into() };
        let e = rpasim_scenario::parse(text, path, std::slice::from_ref(&set))
            .expect_err("an unknown key is an error");
        let shown = e.to_string();
        prop_assert!(shown.contains(&key), "--set {}: {}", set, shown);
    }
}

/// The same through the binary, once per bundled scenario: exit status 2.
#[test]
fn through_the_binary_unknown_keys_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, (path, text)) in bundled_scenarios().into_iter().enumerate() {
        let mut doc: DocumentMut = text.parse().expect("bundled TOML");
        let places = tables(&doc);
        let place = places[(i * 7) % places.len()].clone();
        insert(&mut doc, &place, "zzunread", value(i as u8));
        let copy = dir.path().join(path.file_name().expect("name"));
        fs::write(&copy, doc.to_string()).expect("write");
        // Trace files are found next to the scenario.
        let traces = repo().join("scenarios/traces");
        let _ = fs::create_dir_all(dir.path().join("traces"));
        for t in fs::read_dir(&traces).expect("traces") {
            let t = t.expect("entry").path();
            let _ = fs::copy(
                &t,
                dir.path().join("traces").join(t.file_name().expect("n")),
            );
        }
        let o = run_in(dir.path(), &["validate", copy.to_str().expect("utf-8")]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: {}",
            path.display(),
            stderr(&o)
        );
        assert!(stderr(&o).contains("zzunread"), "{}", stderr(&o));
        let set = format!("{}=1", dotted(&place, "zzunread2"));
        let o = run_in(
            Path::new(&repo()),
            &["validate", path.to_str().expect("utf-8"), "--set", &set],
        );
        assert_eq!(o.status.code(), Some(2), "--set {set}: {}", stderr(&o));
        assert!(stderr(&o).contains("zzunread2"), "{}", stderr(&o));
    }
}
