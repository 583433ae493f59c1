use std::path::Path;

use proptest::prelude::*;

use super::*;

/// The scenario file as reading the whole document gives it (through the
/// deserializer `lib.rs` reads the whole document with).
fn whole(text: &str) -> Option<ScenarioFile> {
    read_as(text)
}

fn same(a: &ScenarioFile, b: &ScenarioFile) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// Reading entry by entry gives what reading the whole document gives.
fn read_as_whole(text: &str) {
    let whole = whole(text).expect("a valid scenario file");
    let by_entries = read(text).expect("read entry by entry");
    assert!(same(&by_entries, &whole), "{text}");
}

/// Reading entry by entry leaves the text to the whole document's reading.
fn left_to_whole(text: &str) {
    assert!(read(text).is_none(), "{text}");
}

const FLOW: &str = "[[flows]]\nname = \"f\"\ntarget = \"vm\"\n\
                    duration = { exponential = { mean = \"10m\" } }\n\
                    arrivals = { poisson = { per_hour = 0.8 } }\n";

fn with_simulation(body: &str) -> String {
    format!("[simulation]\nseed = 1\nhorizon = \"5d\"\n\n{body}")
}

/// The bundled scenarios' texts.
fn bundled() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut texts = Vec::new();
    for dir in ["scenarios", "scenarios/history", "benches/peers"] {
        for file in std::fs::read_dir(root.join(dir)).expect("the directory") {
            let path = file.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                texts.push(std::fs::read_to_string(&path).expect("readable"));
            }
        }
    }
    texts.sort();
    texts
}

#[test]
fn every_bundled_scenario_reads_entry_by_entry_as_a_whole() {
    let texts = bundled();
    assert!(texts.len() >= 14, "{} scenarios", texts.len());
    for text in texts {
        read_as_whole(&text);
    }
}

/// The fuzz campaign's mutants of the bundled scenarios (broken syntax,
/// absurd values, added and duplicated entries, ...): reading entry by
/// entry never reads one differently from the whole document, nor one it
/// refuses, and reads most of those it reads.
#[test]
fn mutants_read_entry_by_entry_as_a_whole() {
    let (mut both, mut whole_only, mut edited) = (0, 0, 0);
    for (i, text) in bundled().iter().enumerate() {
        for seed in 0..200 {
            let mutant = rpasim_fuzz::mutate(text, (i as u64) << 32 | seed).text;
            match (read(&mutant), whole(&mutant)) {
                (Some(a), Some(b)) => {
                    assert!(same(&a, &b), "{mutant}");
                    both += 1;
                    // And overrides of their entries' keys edit them alike.
                    edited += usize::from(set_as_whole(&mutant, &["flows.0.priority=high"]));
                    set_as_whole(&mutant, &["flows.0.priority=high", "machines.0.bots=3"]);
                    set_as_whole(&mutant, &["flows.1.arrivals.poisson.per_hour=2"]);
                }
                (Some(_), None) => panic!("read what the whole refuses: {mutant}"),
                (None, Some(_)) => whole_only += 1,
                (None, None) => {}
            }
        }
    }
    let read = format!("{both} read both ways, {whole_only} only as a whole");
    assert!(both >= 500 && both > 10 * whole_only, "{read}");
    // Most edit entry by entry (the others hold what only the scenario
    // reader takes, such as an integer beyond 64 bits signed).
    assert!(
        edited * 10 > both * 9,
        "{edited} of {both} edited entry by entry"
    );
}

#[test]
fn every_list_of_the_scenario_file_is_read_entry_by_entry() {
    let schema = crate::json_schema::scenario_schema();
    let mut lists: Vec<&str> = schema["properties"]
        .as_object()
        .expect("the file's keys")
        .iter()
        .filter(|(_, p)| p["type"] == "array")
        .map(|(k, _)| k.as_str())
        .collect();
    lists.sort_unstable();
    let mut ours = LISTS.to_vec();
    ours.sort_unstable();
    assert_eq!(lists, ours);
    // The bundled scenarios (read both ways above) and this one have
    // entries of each.
    let every = with_simulation(
        "[[environments]]\nname = \"prod\"\n\
         [[hosted_machines]]\nname = \"h\"\ngroup = \"g\"\n\
         [[users]]\nname = \"ann\"\n\
         [[shares]]\ntarget = \"vm\"\nuser = \"ann\"\nrole = \"user\"\n",
    );
    read_as_whole(&every);
    let mut texts = bundled();
    texts.push(every);
    for list in LISTS {
        let header = format!("[[{list}]]");
        assert!(texts.iter().any(|t| t.contains(&header)), "{list}");
    }
}

/// Thousands of entries of every list, interleaved, with sub-tables.
fn many_entries(n: usize) -> String {
    let mut body = String::new();
    for i in 0..n {
        body.push_str(&format!(
            "[[environments]]\nname = \"env{i}\"\n\
             [[machines]]\nname = \"vm{i}\"\nbots = {}\n\
             [[flows]]\nname = \"f{i}\"\ntarget = \"vm{i}\"\n\
             duration = {{ exponential = {{ mean = \"{i}s\" }} }}\n\
             [flows.arrivals.poisson]\nper_hour = {i}\n\
             [[events]]\nat = \"{i}h\"\nkind = \"maintenance\"\ntarget = \"vm{i}\"\nfor = \"1h\"\n\
             [[goals]]\nname = \"f{i}\"\nmetric = \"wait_p95_s\"\nat_most = \"{i}m\"\n",
            1 + i % 10
        ));
    }
    with_simulation(&body)
}

#[test]
fn entries_checked_on_several_threads_keep_their_names_in_order() {
    let text = many_entries(700);
    let checked = Checked::of(&text).expect("every entry is TOML");
    let names: Vec<Option<String>> = (checked.parts.entries.iter())
        .map(|(list, entry)| {
            let table = toml::from_str::<toml::Table>(entry).expect("TOML");
            let name = table[*list][0].get("name");
            name.and_then(toml::Value::as_str).map(String::from)
        })
        .collect();
    assert_eq!(checked.names.len(), 3_500);
    assert_eq!(checked.names, names);
    // An entry that is not TOML, anywhere: nothing is checked.
    let broken = format!("{text}[[machines]]\nname = = 1\n");
    assert!(Checked::of(&broken).is_none());
}

#[test]
fn entries_read_on_several_threads_are_those_read_on_one() {
    let text = many_entries(700);
    let parts = Parts::split(&text).expect("splits");
    assert_eq!(parts.entries.len(), 3_500);
    let lists = |threads| -> Vec<String> {
        let mut file: ScenarioFile = read_as(&parts.rest).expect("the rest");
        let runs = crate::cores::by_runs(&parts.entries, threads, Lists::read);
        assert_eq!(runs.len(), threads.max(1));
        for run in runs {
            run.expect("reads").append_to(&mut file);
        }
        vec![format!("{file:?}")]
    };
    let one = lists(1);
    for threads in [2, 3, 4, 7] {
        assert_eq!(lists(threads), one, "{threads} threads");
    }
    // And as the whole document reads it.
    read_as_whole(&text);
    // An entry that does not read, in the last run: nothing is read.
    let broken = format!("{text}[[machines]]\nname = \"late\"\nbots = \"two\"\n");
    let parts = Parts::split(&broken).expect("splits");
    let runs = crate::cores::by_runs(&parts.entries, 4, Lists::read);
    assert!(runs[..3].iter().all(Option::is_some));
    assert!(runs[3].is_none());
    assert!(read(&broken).is_none());
}

#[test]
fn sub_tables_of_an_entry_belong_to_it() {
    let text = with_simulation(
        "[[machines]]\nname = \"vm\"\n\n[[flows]]\nname = \"f\"\ntarget = \"vm\"\n\
         [flows.duration.exponential]\nmean = \"10m\"\n\
         [flows.arrivals.poisson]\nper_hour = 0.8\n\n\
         [[flows]]\nname = \"g\"\ntarget = \"vm\"\n\
         duration.exponential.mean = \"1m\"\n\
         [flows.arrivals]\npoisson = { per_hour = 2 }\n",
    );
    read_as_whole(&text);
    let file = read(&text).expect("read");
    assert_eq!(file.flows.len(), 2);
    assert_eq!(file.machines.len(), 1);
}

#[test]
fn headers_in_strings_comments_and_values_are_not_headers() {
    read_as_whole(&with_simulation(&format!(
        "question = \"\"\"\n[[flows]]\nname = \"not a flow\"\n\"\"\"\n\
         # [[flows]]\n[[machines]] # [[flows]]\nname = '[[vm]]'\n\
         [[flows]]\nname = \"f\"\ntarget = \"vm\"\n\
         [flows.arrivals]\nat = [\n  \"1h\",\n  \"2h\", # [[flows]]\n]\n{FLOW}"
    )));
}

#[test]
fn brackets_inside_values_open_no_section() {
    let text = "x = [\n[1],\n]\ny = {\n  z = [\n[2]] }\n[a.b] # [c]\n\
                [[flows]]\nw = ['[[d]]', \"[e]\"]\n [[flows . x]]\n";
    let kinds: Vec<String> = headers(text)
        .expect("balanced")
        .iter()
        .map(|h| format!("{}:{:?}", h.start, h.kind))
        .collect();
    let at = |s| text.find(s).expect("in the text");
    let expected = [
        "0:Root".to_string(),
        format!("{}:Table(\"a\")", at("[a.b]")),
        format!("{}:Entry(\"flows\")", at("[[flows]]")),
        format!("{}:Table(\"flows\")", at(" [[flows . x]]")),
    ];
    assert_eq!(kinds, expected);
}

#[test]
fn line_endings_byte_order_mark_and_blank_lines_read_alike() {
    let text = with_simulation(&format!("\n\n  [[machines]]  \nname = \"vm\"\n\n{FLOW}"));
    read_as_whole(&text);
    read_as_whole(&text.replace('\n', "\r\n"));
    read_as_whole(&format!("\u{feff}{text}"));
}

#[test]
fn an_inline_table_over_several_lines_reads_alike() {
    read_as_whole(&with_simulation(
        "[[machines]]\nname = \"vm\"\n\n[[flows]]\nname = \"f\"\ntarget = \"vm\"\n\
         duration = {\n  exponential = { mean = \"10m\" },\n}\n\
         arrivals = { poisson = {\n  per_hour = 0.8 } }\n",
    ));
}

#[test]
fn a_list_written_another_way_is_left_to_the_whole_document() {
    // Inline before the first header, then as entries: invalid TOML.
    left_to_whole(&format!("flows = []\n{}", with_simulation(FLOW)));
    // A table of the list's key before its entries: invalid TOML.
    left_to_whole(&with_simulation(&format!("[flows]\nx = 1\n{FLOW}")));
    // A sub-table away from its entry: valid TOML, but not split here.
    let away = with_simulation(&format!(
        "[[machines]]\nname = \"vm\"\n{FLOW}[limits]\n[flows.arrivals]\n"
    ));
    left_to_whole(&away);
    // Quoted keys.
    left_to_whole(&with_simulation(
        &FLOW.replace("[[flows]]", "[[\"flows\"]]"),
    ));
    left_to_whole(&format!("\"seed\" = 1\n{}", with_simulation(FLOW)));
}

#[test]
fn text_the_whole_document_refuses_is_not_read() {
    for text in [
        // The list redefined as a table after its entry.
        with_simulation(&format!("{FLOW}[flows]\nx = 1\n")),
        // A table defined twice.
        with_simulation(&format!("{FLOW}[simulation]\nseed = 2\n")),
        // An unknown key in an entry and at the top.
        with_simulation(&format!("{FLOW}colour = \"red\"\n")),
        with_simulation(&format!("[colours]\n{FLOW}")),
        // A value on the next line, a bracket that never closes.
        with_simulation("[[machines]]\nname =\n[\"vm\"]\n"),
        with_simulation("[[machines]]\nname = [\"vm\"\n"),
        with_simulation("[[machines]]\nname = \"vm\"]\n"),
        with_simulation("[[machines]\nname = \"vm\"\n"),
        with_simulation("[[machines] ]\nname = \"vm\"\n"),
        with_simulation("[[machines.]]\nname = \"vm\"\n"),
        // The entry is a table, not a list.
        "[[simulation]]\nseed = 1\n".to_string(),
    ] {
        assert!(whole(&text).is_none(), "{text}");
        left_to_whole(&text);
    }
}

/// An entry of a list, some with sub-tables, for the properties below.
fn entry_piece() -> impl Strategy<Value = String> {
    // Few names, so that overrides below find entries by them.
    let name = "[a-c]{1,2}";
    prop_oneof![
        name.prop_map(|n| format!("[[machines]]\nname = \"{n}\"\nbots = 2\n")),
        name.prop_map(|n| format!("[[machine_groups]]\nname = \"{n}\"\n")),
        name.prop_map(|n| FLOW.replace("\"f\"", &format!("\"{n}\""))),
        name.prop_map(|n| format!(
            "[[flows]]\nname = \"{n}\"\ntarget = \"vm\"\n[flows.duration.exponential]\n\
             mean = \"1m\"\n[flows.arrivals]\nat = [\n  \"1h\",\n  \"2h\", # [[flows]]\n]\n"
        )),
        Just("[[goals]]\nname = \"all\"\nmetric = \"start_p95_s\"\nat_most = \"1m\"\n".into()),
    ]
}

/// Any piece of a scenario file: entries, the tables of the rest, and what
/// makes reading entry by entry give up or the whole document refuse.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => entry_piece(),
        1 => prop_oneof![
            Just("[limits]\n".to_string()),
            Just("[scheduler]\n".into()),
            Just("# [[flows]]\n\n".into()),
            Just("[flows.arrivals]\n".into()),
            Just("[flows]\n".into()),
            Just("flows = []\n".into()),
            Just("[[simulation]]\n".into()),
            Just("question = \"\"\"\n[[flows]]\n\"\"\"\n".into()),
            Just("[[flows]\n".into()),
        ],
        1 => broken_entry(),
    ]
}

/// An entry the whole document reads as TOML but not as a scenario (or,
/// the last, not as TOML).
fn broken_entry() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[[machines]]\nname = \"m\"\nbots = \"two\"\n".to_string()),
        Just("[[machines]]\nbots = 2\n".into()),
        Just(FLOW.replace("per_hour = 0.8", "per_hour = \"x\"")),
        Just(format!("{FLOW}colour = \"red\"\n")),
        Just("[[goals]]\nname = \"all\"\nat_most = \"1m\"\n".into()),
        Just("[[events]]\nat = \"1h\"\nkind = \"explode\"\ntarget = \"vm\"\n".into()),
        Just("[[users]]\nname = 7\n".into()),
        Just("[[machines]]\nname = \"m\"\nbots = = 2\n".into()),
    ]
}

/// The first problem deserializing the whole document finds: its path,
/// offset and message; `None` when the text is not TOML or has none.
fn whole_problem(text: &str) -> Option<(KeyPath, Option<usize>, String)> {
    let de = toml::Deserializer::parse(text).ok()?;
    let e = serde_path_to_error::deserialize::<_, ScenarioFile>(de).err()?;
    let path = KeyPath::from_serde(e.path());
    let inner = e.into_inner();
    Some((
        path,
        inner.span().map(|s| s.start),
        crate::error::worded(inner.message()),
    ))
}

/// Finding the first problem entry by entry gives the whole document's,
/// or leaves it to the whole document.
fn problem_as_whole(text: &str) -> bool {
    match (first_problem(text), whole_problem(text)) {
        (Some(a), Some(b)) => {
            assert_eq!(a, b, "{text}");
            true
        }
        (Some(a), None) => panic!("a problem the whole document does not have: {a:?} in {text}"),
        (None, _) => false,
    }
}

#[test]
fn the_first_problem_is_in_the_first_list_by_name_at_its_first_entry_with_one() {
    let machines = "[[machines]]\nname = \"vm\"\n\n[[machines]]\nname = \"m\"\nbots = \"two\"\n";
    let flows = format!(
        "{FLOW}\n{}",
        FLOW.replace("per_hour = 0.8", "per_hour = \"x\"")
    );
    let text = with_simulation(&format!("{machines}\n{flows}"));
    let (path, offset, message) = first_problem(&text).expect("found entry by entry");
    // Flows come before machines by name, whatever the text's order.
    assert_eq!(
        path.0[..2],
        [Segment::Key("flows".into()), Segment::Index(1)]
    );
    assert_eq!(offset, text.rfind("\"x\""));
    assert!(message.contains("expected a number"), "{message}");
    assert!(problem_as_whole(&text));
    // Without the flows, the machine's.
    let text = with_simulation(machines);
    assert!(problem_as_whole(&text));
    assert_eq!(
        first_problem(&text).expect("found").0.0[1],
        Segment::Index(1)
    );
    // Text that is not TOML anywhere, even after the problem, is the
    // whole document's to tell.
    let text = with_simulation(&format!("{machines}[[users]]\nname = = 1\n"));
    assert!(first_problem(&text).is_none());
    // So is a problem outside the entries.
    let text = with_simulation(machines).replace("seed = 1", "seed = \"one\"");
    assert!(first_problem(&text).is_none());
}

/// The fuzz campaign's mutants: where the whole document finds a problem,
/// the entries give the same, or leave it to the whole document.
#[test]
fn mutants_problems_are_found_entry_by_entry_as_in_the_whole() {
    let (mut found, mut whole_only) = (0, 0);
    for (i, text) in bundled().iter().enumerate() {
        for seed in 0..200 {
            let mutant = rpasim_fuzz::mutate(text, (i as u64) << 32 | seed).text;
            if problem_as_whole(&mutant) {
                found += 1;
            } else if whole_problem(&mutant).is_some() {
                whole_only += 1;
            }
        }
    }
    assert!(
        found >= 100 && found > whole_only,
        "{found} found entry by entry, {whole_only} only as a whole"
    );
}

proptest! {
    /// Whatever the pieces and their order, reading entry by entry either
    /// leaves the text to the whole document's reading or gives what it
    /// gives; it never reads what the whole document refuses.
    #[test]
    fn never_differs_from_the_whole_document(
        top in prop_oneof![Just(""), Just("flows = []\n"), Just("goals = [{}]\n")],
        pieces in proptest::collection::vec(piece(), 0..12),
        crlf in any::<bool>(),
    ) {
        let mut text = format!("{top}{}", with_simulation(&pieces.concat()));
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        match (read(&text), whole(&text)) {
            (Some(a), Some(b)) => prop_assert!(same(&a, &b), "{}", text),
            (Some(_), None) => prop_assert!(false, "read what the whole refuses: {}", text),
            (None, _) => {
                problem_as_whole(&text);
            }
        }
    }

    /// Entries and their own sub-tables, with the sections of the rest
    /// between them, are read entry by entry.
    #[test]
    fn entries_are_read_entry_by_entry(
        pieces in proptest::collection::vec(entry_piece(), 0..12),
    ) {
        let text = format!("[limits]\n{}", with_simulation(&pieces.concat()));
        prop_assert!(read(&text).is_some(), "{}", text);
        read_as_whole(&text);
    }
}

/// Applies `set` both ways: entry by entry (if it does) and on the whole
/// document; they must give the same text. Whether it applied entry by
/// entry.
fn set_as_whole(text: &str, set: &[&str]) -> bool {
    let overrides: Vec<Override> = set.iter().map(|o| o.parse().expect("KEY=VALUE")).collect();
    let whole = overrides::apply_to_document(text, Path::new("s.toml"), &overrides);
    match set_in_parts(text, &overrides) {
        Some(by_entries) => {
            let whole = whole.expect("applies to the whole document");
            assert_eq!(by_entries, whole, "--set {set:?} on\n{text}");
            true
        }
        None => false,
    }
}

#[test]
fn overrides_of_entries_give_the_whole_document_s_text() {
    let text = with_simulation(&format!(
        "[[machines]]\nname = \"vm\"  # the desk\nbots = 1 # one bot\n\n\
         [[machines]]\nname = \"0\"\n\n\
         [[machine_groups]]\nname = \"g\"\n\n{FLOW}\n\
         [[flows]]\nname = \"sub\"\ntarget = \"g\"\n[flows.arrivals]\nevery = \"1h\"\n\n\
         [limits]\n\n[[goals]]\nname = \"all\"\nmetric = \"start_p95_s\"\nat_most = \"1m\"\n"
    ));
    for set in [
        &["machines.vm.bots=3"][..],
        &["machines.1.bots=2", "machines.vm.bots=4"],
        // A name that is also an index: the name first.
        &["machines.0.bots=5"],
        &[
            "machines.vm.selection_delay=1s",
            "machine_groups.g.selection=\"random\"",
        ],
        &["flows.f.arrivals.poisson.per_hour=2"],
        &["flows.f.duration={ exponential = { mean = \"1m\" } }"],
        &["flows.sub.arrivals.every=2h", "flows.sub.arrivals.burst=3"],
        &["flows.1.priority=high", "goals.all.at_most=2m"],
        &["flows.f.new.deep.key=1"],
    ] {
        assert!(set_as_whole(&text, set), "{set:?}");
        // The whole document's editing turns line ends into `\n`, ends the
        // last line and drops a byte order mark.
        assert!(!set_as_whole(&text.replace('\n', "\r\n"), set), "{set:?}");
        assert!(!set_as_whole(&format!("\u{feff}{text}"), set), "{set:?}");
        assert!(!set_as_whole(text.trim_end(), set), "{set:?}");
        // Layouts it keeps as they are.
        for layout in [
            format!("{text}   \n"),
            text.replace("\n\n", "\n  \t\n# between\n"),
            text.replace("[[machines]]", "[[ machines ]] # a desk"),
            text.replace("[[flows]]", "\t[[flows]]"),
            text.replace("bots = 1", "bots=1"),
            format!("# a scenario\n\n{text}\n\n# the end\n"),
        ] {
            assert!(set_as_whole(&layout, set), "{set:?} on\n{layout}");
        }
    }
    // Keys outside the lists, in their section, or before any header
    // when no section has them.
    for set in [
        &["simulation.seed=3"][..],
        &["simulation.sample_every=\"1h\"", "simulation.seed=2"],
        &["machines.vm.bots=3", "limits.queue_capacity=5"],
        &[
            "limits.max_output_mb=5000",
            "scheduler.requeue_lost_runs=false",
        ],
        &["question=\"why\""],
    ] {
        assert!(set_as_whole(&text, set), "{set:?}");
        assert!(
            set_as_whole(&format!("# a scenario\n\n{text}"), set),
            "{set:?}"
        );
    }
    // Left to the whole document: a table replaced whole, a key of
    // several sections or of a section and the text before any header, an
    // entry itself, an entry that is not there.
    for (text, set) in [
        (text.clone(), &["simulation={ seed = 3 }"][..]),
        (
            format!("{text}[simulation.x]\ny = 1\n"),
            &["simulation.seed=3"],
        ),
        (format!("simulation.z = 1\n{text}"), &["simulation.seed=3"]),
        (text.clone(), &["machines.vm=3"]),
        (text.clone(), &["machines.nobody.bots=3"]),
        (text.clone(), &["machines.7.bots=3"]),
    ] {
        assert!(!set_as_whole(&text, set), "{set:?}");
    }
    // Not TOML, or not as the whole document's editor takes it.
    for bad in [
        "colour =\n",
        "[flows]\n",
        "seed = 18446744073709551615\n",
        "x = 1e400\n",
    ] {
        assert!(
            !set_as_whole(&format!("{text}{bad}"), &["machines.vm.bots=3"]),
            "{bad}"
        );
    }
    // An unknown key is for the scenario's reading to report, after.
    assert!(set_as_whole(
        &format!("{text}colour = 1\n"),
        &["machines.vm.bots=3"]
    ));
}

#[test]
fn the_readme_s_overrides_apply_entry_by_entry() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let read = |f: &str| std::fs::read_to_string(root.join(f)).expect("a bundled scenario");
    assert!(set_as_whole(
        &read("quickstart.toml"),
        &["machines.vm-03.bots=3"]
    ));
    assert!(set_as_whole(
        &read("month-end.toml"),
        &[
            "environments.prod.hosted_capacity=18",
            "hosted_groups.finance.max_bots=16"
        ]
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever the entries and the overrides of their keys, applying
    /// them entry by entry gives the whole document's text.
    #[test]
    fn overrides_never_differ_from_the_whole_document(
        pieces in proptest::collection::vec((entry_piece(), prop_oneof![
            Just(""), Just("\n"), Just("# between\n\n"), Just("  \n\t\n"), Just("[limits]\n"),
        ]), 1..10),
        sets in proptest::collection::vec((
            prop_oneof![Just("machines"), Just("flows"), Just("machine_groups"), Just("goals")],
            prop_oneof!["[a-c]{1,2}", "[0-2]"],
            prop_oneof![
                Just("bots"), Just("name"), Just("priority"), Just("arrivals.poisson.per_hour"),
                Just("arrivals.at"), Just("duration.exponential.mean"), Just("x.y"),
            ],
            prop_oneof![Just("2"), Just("\"2h\""), Just("[\"1h\", \"2h\"]"), Just("{ a = 1 }"), Just("10m")],
        ), 1..3),
    ) {
        let text: String = pieces.iter().map(|(p, between)| format!("{p}{between}")).collect();
        let text = with_simulation(&text);
        let set: Vec<String> = sets
            .iter()
            .map(|(list, which, key, value)| format!("{list}.{which}.{key}={value}"))
            .collect();
        let set: Vec<&str> = set.iter().map(String::as_str).collect();
        set_as_whole(&text, &set);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever the sections between the entries (or none of a key), and
    /// whatever the overrides of keys outside the lists, with or without
    /// overrides of entries' keys, applying them part by part gives the
    /// whole document's text.
    #[test]
    fn overrides_of_sections_never_differ_from_the_whole_document(
        top in prop_oneof![
            Just(""), Just("# a scenario\n\n"), Just("question = \"q\"\n"),
            Just("limits.max_bots_per_machine = 20 # raised\n\n"),
        ],
        pieces in proptest::collection::vec((entry_piece(), prop_oneof![
            Just(""), Just("\n"), Just("# between\n\n"),
            Just("[limits]\n"), Just("[limits]\nmax_output_mb = 10 # ten\n\n# after\n"),
            Just("[scheduler]\nrequeue_lost_runs = true\n"),
            Just("[scheduler.options]\nx = 1\n"),
        ]), 1..8),
        sets in proptest::collection::vec((
            prop_oneof![
                Just("simulation.seed"), Just("simulation.sample_every"), Just("question"),
                Just("limits.max_output_mb"), Just("limits.queue_capacity"),
                Just("scheduler.requeue_lost_runs"), Just("scheduler.options.x"),
                Just("newtable.key"), Just("simulation.new.deep"), Just("simulation"),
                Just("machines.a.bots"), Just("flows.0.priority"),
            ],
            prop_oneof![Just("2"), Just("\"2h\""), Just("false"), Just("{ a = 1 }"), Just("10m")],
        ), 1..4),
    ) {
        let text: String = pieces.iter().map(|(p, between)| format!("{p}{between}")).collect();
        let text = format!("{top}{}", with_simulation(&text));
        let set: Vec<String> = sets.iter().map(|(key, value)| format!("{key}={value}")).collect();
        let set: Vec<&str> = set.iter().map(String::as_str).collect();
        set_as_whole(&text, &set);
    }
}

/// Overrides of keys outside the lists apply part by part on the bundled
/// scenarios, as they would on the whole document.
#[test]
fn overrides_of_sections_apply_to_the_bundled_scenarios() {
    for text in bundled() {
        for set in [
            &["simulation.seed=7"][..],
            &[
                "simulation.sample_every=\"5d\"",
                "limits.max_output_mb=5000",
            ],
            &["scheduler.requeue_lost_runs=false", "flows.0.priority=high"],
        ] {
            // Unless a section is written twice (none of the bundled is).
            assert!(set_as_whole(&text, set), "{set:?} on\n{text}");
        }
    }
}

#[test]
fn entries_are_found_by_their_first_name_then_by_index_and_renames_move_them() {
    let text = with_simulation(
        "[[machines]]\nname = \"1\"\n\n[[machines]]\nname = \"b\"\n\n\
         [[machine_groups]]\nname = \"b\"\n\n[[machines]]\nname = \"b\"\n",
    );
    let mut checked = Checked::of(&text).expect("TOML");
    let mut index = EntryIndex::of(&mut checked);
    // Places in the entries: machines 0, 1, 3; the group 2.
    assert_eq!(index.find("machines", "b"), Some(1), "the first so named");
    assert_eq!(index.find("machine_groups", "b"), Some(2));
    assert_eq!(
        index.find("machines", "1"),
        Some(0),
        "a name before an index"
    );
    assert_eq!(index.find("machines", "2"), Some(3), "else the index");
    assert_eq!(index.find("machines", "3"), None);
    assert_eq!(index.find("users", "0"), None);
    index.rename(1, Some("c".into()));
    assert_eq!(index.find("machines", "b"), Some(3));
    assert_eq!(index.find("machines", "c"), Some(1));
    index.rename(3, None);
    assert_eq!(index.find("machines", "b"), None);
}
