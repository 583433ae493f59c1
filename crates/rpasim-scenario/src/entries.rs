//! Reading a scenario entry by entry.
//!
//! The `toml` crate reads a whole document into a tree of spanned tables
//! before deserializing it. For 10,000 machines and flows that tree weighs
//! about 100 MB, and most of the reading time goes to the page faults of
//! that fresh memory. A `[[machines]]` or `[[flows]]` entry means the same
//! on its own as in the whole document, so [`read`] reads each entry of a
//! list as a document of its own, reusing the same memory, and the rest of
//! the file as one small document.
//!
//! It answers only when the result is certainly what reading the whole
//! document gives. When a list is also written another way (inline, or a
//! header of its key away from its entry), a key is quoted, or any part
//! does not read, it answers `None`, and the caller reads the whole
//! document, which words any problem as it always has.
//!
//! [`set_in_parts`] likewise applies `--set` overrides of keys inside
//! entries to those entries' text alone, and of other keys to the one
//! section that holds them, giving the same text as editing the whole
//! document.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml_parser::Source;
use toml_parser::lexer::{Token, TokenKind};

use toml_edit::DocumentMut;

use crate::error::{KeyPath, Segment};
use crate::overrides::{self, Override};
use crate::schema::ScenarioFile;

/// The lists read entry by entry: every `[[...]]` list of the scenario
/// file. A list missing here is still read, with the rest of the file.
const LISTS: [&str; 10] = [
    "environments",
    "machine_groups",
    "machines",
    "hosted_groups",
    "hosted_machines",
    "flows",
    "events",
    "users",
    "shares",
    "goals",
];

/// The scenario file in `text`, read entry by entry; `None` when that is
/// not certain to give what reading the whole document gives, or when the
/// text does not read.
pub(crate) fn read(text: &str) -> Option<ScenarioFile> {
    let parts = Parts::split(text)?;
    let mut file: ScenarioFile = read_as(&parts.rest)?;
    let threads = reading_threads(parts.entries.len());
    // Appending the runs' lists in order gives the lists of reading the
    // entries one after another.
    for lists in crate::cores::by_runs(&parts.entries, threads, Lists::read) {
        lists?.append_to(&mut file);
    }
    Some(file)
}

/// Entries a thread reads at least: below this, starting a thread costs
/// more than it saves (an entry takes a few microseconds).
const ENTRIES_PER_THREAD: usize = 1_000;

/// Threads to read `entries` entries on.
fn reading_threads(entries: usize) -> usize {
    crate::cores::threads_for(entries, ENTRIES_PER_THREAD)
}

/// The lists read entry by entry, as read from some of the entries.
#[derive(Default)]
struct Lists {
    environments: Vec<crate::schema::EnvironmentEntry>,
    machine_groups: Vec<crate::schema::GroupEntry>,
    machines: Vec<crate::schema::MachineEntry>,
    hosted_groups: Vec<crate::schema::HostedGroupEntry>,
    hosted_machines: Vec<crate::schema::HostedMachineEntry>,
    flows: Vec<crate::schema::FlowEntry>,
    events: Vec<crate::schema::EventEntry>,
    users: Vec<crate::schema::UserEntry>,
    shares: Vec<crate::schema::ShareEntry>,
    goals: Vec<crate::schema::GoalEntry>,
}

impl Lists {
    /// `entries` (each its list and its text) read in order; `None` when
    /// one does not read.
    fn read(entries: &[(&'static str, &str)]) -> Option<Lists> {
        let mut lists = Lists::default();
        for (list, text) in entries {
            lists.absorb(list, text)?;
        }
        Some(lists)
    }

    /// Appends the entry in `text` (a `[[list]]` header and what belongs
    /// to it) to `list`.
    fn absorb(&mut self, list: &str, text: &str) -> Option<()> {
        match list {
            "environments" => self.environments.push(entry(text)?),
            "machine_groups" => self.machine_groups.push(entry(text)?),
            "machines" => self.machines.push(entry(text)?),
            "hosted_groups" => self.hosted_groups.push(entry(text)?),
            "hosted_machines" => self.hosted_machines.push(entry(text)?),
            "flows" => self.flows.push(entry(text)?),
            "events" => self.events.push(entry(text)?),
            "users" => self.users.push(entry(text)?),
            "shares" => self.shares.push(entry(text)?),
            "goals" => self.goals.push(entry(text)?),
            _ => return None,
        }
        Some(())
    }

    /// Appends each list to `file`'s, after what it holds.
    fn append_to(self, file: &mut ScenarioFile) {
        file.environments.extend(self.environments);
        file.machine_groups.extend(self.machine_groups);
        file.machines.extend(self.machines);
        file.hosted_groups.extend(self.hosted_groups);
        file.hosted_machines.extend(self.hosted_machines);
        file.flows.extend(self.flows);
        file.events.extend(self.events);
        file.users.extend(self.users);
        file.shares.extend(self.shares);
        file.goals.extend(self.goals);
    }
}

/// `text` with each override applied to the part of the text it reaches
/// into, on that part's text alone: the entry of a list
/// (`machines.vm1.bots`, the entry named or numbered as `--set` takes it),
/// or the one section of a key outside the lists (`simulation.seed`, in
/// `[simulation]`). The same text as the whole document's editing gives,
/// without its memory and time (about 140 MB and 0.2 s for 10,000 machines
/// and flows). `None` when the text is not one to edit so (see
/// [`Editing::of`]), an override reaches no further than a list's entry,
/// its key is in more than one section, or anything does not apply: the
/// whole document then applies them, and words any problem.
pub(crate) fn set_in_parts(text: &str, overrides: &[Override]) -> Option<String> {
    let mut editing = Editing::of(text)?;
    for o in overrides {
        editing.set(o)?;
    }
    Some(editing.text())
}

/// A text split entry by entry, every part of it TOML as the whole
/// document's editor (`toml_edit`) reads it: the scenario reader alone
/// also takes integers beyond 64 bits signed, as unsigned, and floats
/// beyond the largest.
pub(crate) struct Checked<'a> {
    text: &'a str,
    parts: Parts<'a>,
    /// Each entry's name (its `name`, if a string), until an editing's
    /// [`EntryIndex`] takes them.
    names: Vec<Option<String>>,
}

impl<'a> Checked<'a> {
    /// `text` split and checked; `None` if it does not split or a part
    /// is not TOML so read.
    pub(crate) fn of(text: &'a str) -> Option<Self> {
        let parts = Parts::split(text)?;
        toml::from_str::<toml::Table>(&parts.rest).ok()?;
        // Each entry checked, on every core when there are thousands.
        let threads = reading_threads(parts.entries.len());
        let runs = crate::cores::by_runs(&parts.entries, threads, |run| {
            (run.iter())
                .map(|(list, entry)| {
                    let table = toml::from_str::<toml::Table>(entry).ok()?;
                    let name = table.get(*list)?.get(0)?.get("name");
                    Some(name.and_then(toml::Value::as_str).map(String::from))
                })
                .collect::<Option<Vec<_>>>()
        });
        let mut names = Vec::with_capacity(parts.entries.len());
        for run in runs {
            names.extend(run?);
        }
        Some(Checked { text, parts, names })
    }

    /// The text of entry `index` of `list` (the one `list[index]` names in
    /// the whole document), and where it starts in the text split.
    pub(crate) fn entry(&self, list: &str, index: usize) -> Option<(usize, &'a str)> {
        let (_, entry) = (self.parts.entries.iter())
            .filter(|(l, _)| *l == list)
            .nth(index)?;
        Some((self.start(entry), entry))
    }

    /// Where `entry`, a slice of the text split, starts in it.
    fn start(&self, entry: &str) -> usize {
        entry.as_ptr() as usize - self.text.as_ptr() as usize
    }
}

/// A text whose entries and sections are being edited.
struct Editing<'a> {
    /// The text split.
    checked: Checked<'a>,
    /// The entries by list and by name, kept up to date as they are
    /// edited: an override may rename an entry a later one names.
    index: EntryIndex,
    /// The parts edited (an entry, or a section of the rest), by where
    /// they start and end in the text (the text before any header may be
    /// empty, and start where the first section does), each as one
    /// document, as the whole document's editing would have it (reading a
    /// part's text again between two edits would not give the same bytes).
    edited: BTreeMap<(usize, usize), DocumentMut>,
}

impl<'a> Editing<'a> {
    /// `text` split for editing; `None` unless it reads entry by entry,
    /// every part is TOML as the whole document's editor reads it (the
    /// scenario reader alone also takes integers beyond 64 bits signed, as
    /// unsigned, and floats beyond the largest), and it has nothing that
    /// editor would rewrite where it edits nothing: it writes line ends as
    /// `\n`, ends the last line and drops a byte order mark.
    fn of(text: &'a str) -> Option<Self> {
        if text.contains('\r') || !text.ends_with('\n') || text.starts_with('\u{feff}') {
            return None;
        }
        let mut checked = Checked::of(text)?;
        Some(Editing {
            index: EntryIndex::of(&mut checked),
            checked,
            edited: BTreeMap::new(),
        })
    }

    /// Applies `o` to the entry or the section it reaches into.
    fn set(&mut self, o: &Override) -> Option<()> {
        let segments = o.segments().ok()?;
        match segments.as_slice() {
            [first, inner @ ..] if !LISTS.contains(&first.as_str()) => {
                self.set_in_section(o, first, inner.is_empty())
            }
            [list, which, key @ ..] if !key.is_empty() => self.set_in_entry(o, list, which, key),
            _ => None,
        }
    }

    /// Applies `o`, of a key of `list`'s entry `which`, to that entry.
    fn set_in_entry(
        &mut self,
        o: &Override,
        list: &str,
        which: &str,
        key: &[String],
    ) -> Option<()> {
        let at = self.index.find(list, which)?;
        let entry = self.checked.parts.entries[at].1;
        let start = self.checked.start(entry);
        let doc = self.document(start..start + entry.len())?;
        // The same key in the entry's own document, where it is the first.
        let mut inside = vec![list.to_string(), "0".to_string()];
        inside.extend(key.iter().cloned());
        let inside = Override {
            key: overrides::dotted_key(&inside),
            value: o.value.clone(),
        };
        overrides::set(doc.as_item_mut(), &inside).ok()?;
        let entry = doc.as_item().get(list).and_then(|l| l.get(0));
        let name = entry.and_then(|e| e.get("name")?.as_str().map(String::from));
        self.index.rename(at, name);
        Some(())
    }

    /// Applies `o`, of the key `first` (not a list) or a key inside it
    /// (`itself` is false), to the one section that holds `first`, which
    /// is all the whole document's editing changes: its `[first]` table,
    /// when that is the only header of `first`, the text before any header
    /// has no `first`, and `o` sets a key inside it (a value set on the
    /// table itself is written among the first keys of the whole document);
    /// else the text before any header, when no header is of `first`.
    fn set_in_section(&mut self, o: &Override, first: &str, itself: bool) -> Option<()> {
        let sections = &self.checked.parts.sections;
        let (root_kind, root) = sections.first()?;
        debug_assert!(matches!(root_kind, Kind::Root));
        let mut of_first = sections.iter().filter(|(kind, _)| match kind {
            Kind::Root => false,
            Kind::Entry(k) | Kind::Section(k) | Kind::Table(k) => *k == first,
        });
        let range = match (of_first.next(), of_first.next()) {
            (None, _) => root.clone(),
            (Some((Kind::Section(_), range)), None) if !itself => {
                let root_doc: DocumentMut = self.checked.text[root.clone()].parse().ok()?;
                (!root_doc.contains_key(first)).then(|| range.clone())?
            }
            _ => return None,
        };
        overrides::set(self.document(range)?.as_item_mut(), o).ok()
    }

    /// The document of the part of the text in `range`, read at the
    /// first edit.
    fn document(&mut self, range: Range<usize>) -> Option<&mut DocumentMut> {
        let text = self.checked.text;
        Some(match self.edited.entry((range.start, range.end)) {
            Entry::Occupied(part) => part.into_mut(),
            Entry::Vacant(slot) => slot.insert(text[range].parse().ok()?),
        })
    }

    /// The text with each edited part in its place.
    fn text(self) -> String {
        let text = self.checked.text;
        let mut edited = String::with_capacity(text.len());
        let mut done = 0;
        // In the order of the parts, which is the text's.
        for ((start, end), doc) in self.edited {
            edited.push_str(&text[done..start]);
            edited.push_str(&doc.to_string());
            done = end;
        }
        edited.push_str(&text[done..]);
        edited
    }
}

/// Each list's entries, and its entries by name, as places in
/// `parts.entries`: `--set` finds an entry by a look-up, where a search
/// through every entry for each override made 10,000 overrides of a
/// 10,000-target scenario take 0.77 s.
#[derive(Debug, Default)]
struct EntryIndex {
    /// Each entry's list and name.
    entries: Vec<(&'static str, Option<String>)>,
    /// Each list's entries, in order.
    lists: BTreeMap<&'static str, Vec<usize>>,
    /// Each list's entries of each name, in order.
    named: BTreeMap<&'static str, BTreeMap<String, BTreeSet<usize>>>,
}

impl EntryIndex {
    /// The index of `checked`'s entries (its names taken).
    fn of(checked: &mut Checked<'_>) -> Self {
        let names = std::mem::take(&mut checked.names);
        let mut index = EntryIndex::default();
        for (at, ((list, _), name)) in checked.parts.entries.iter().zip(names).enumerate() {
            index.lists.entry(list).or_default().push(at);
            index.entries.push((list, None));
            index.rename(at, name);
        }
        index
    }

    /// The place of the entry of `list` that `which` names, as the whole
    /// document's editing finds it: the first entry so named, else the
    /// entry at that index.
    fn find(&self, list: &str, which: &str) -> Option<usize> {
        let named = self.named.get(list).and_then(|n| n.get(which)?.first());
        match named {
            Some(at) => Some(*at),
            None => self
                .lists
                .get(list)?
                .get(which.parse::<usize>().ok()?)
                .copied(),
        }
    }

    /// Entry `at` is now named `new`.
    fn rename(&mut self, at: usize, new: Option<String>) {
        let (list, name) = &mut self.entries[at];
        let named = self.named.entry(list).or_default();
        if let Some(old) = name.as_deref()
            && let Some(places) = named.get_mut(old)
        {
            places.remove(&at);
        }
        if let Some(new) = &new {
            named.entry(new.clone()).or_default().insert(at);
        }
        *name = new;
    }
}

/// What deserializing a text that [`read`] does not read finds first, as
/// deserializing the whole document would find it: the path, where in the
/// text, and the message. Found entry by entry, so that a mistake in a
/// scenario of thousands of entries is told without the whole document's
/// tree (60 times the text: 380 MB for 6 MB). `None` when that is not
/// certain: the text does not split, a part is not TOML, or the problem is
/// outside the entries; the caller then reads the whole document.
pub(crate) fn first_problem(text: &str) -> Option<(KeyPath, Option<usize>, String)> {
    let parts = Parts::split(text)?;
    read_as::<ScenarioFile>(&parts.rest)?;
    // The whole document's tables are maps sorted by key: its first
    // problem is in the first list, by name, that has one, at that list's
    // first entry that has one.
    let mut first: BTreeMap<&str, (KeyPath, Option<usize>, String)> = BTreeMap::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (list, entry) in &parts.entries {
        let index = counts.entry(list).or_default();
        let this = *index;
        *index += 1;
        // Every entry is read, even in a list with a problem already: TOML
        // the whole document would refuse anywhere is its first problem.
        match entry_problem(list, entry) {
            EntryReading::Unsure => return None,
            EntryReading::Problem(mut path, offset, message) if !first.contains_key(list) => {
                // The entry's own document numbers it 0; its text is a
                // slice of `text`, which places its offsets.
                path.0[1] = Segment::Index(this);
                let start = entry.as_ptr() as usize - text.as_ptr() as usize;
                first.insert(list, (path, offset.map(|o| start + o), message));
            }
            EntryReading::Problem(..) | EntryReading::Fine => {}
        }
    }
    first.into_values().next()
}

/// What deserializing one entry's text finds.
enum EntryReading {
    /// One entry, read.
    Fine,
    /// The problem: the path from the list's key (index 0), the offset in
    /// the entry's text, the message.
    Problem(KeyPath, Option<usize>, String),
    /// Not TOML, or not one entry of one list.
    Unsure,
}

/// Reads the one entry of `list` in `text`.
fn entry_problem(list: &str, text: &str) -> EntryReading {
    match list {
        "environments" => problem_of::<crate::schema::EnvironmentEntry>(text),
        "machine_groups" => problem_of::<crate::schema::GroupEntry>(text),
        "machines" => problem_of::<crate::schema::MachineEntry>(text),
        "hosted_groups" => problem_of::<crate::schema::HostedGroupEntry>(text),
        "hosted_machines" => problem_of::<crate::schema::HostedMachineEntry>(text),
        "flows" => problem_of::<crate::schema::FlowEntry>(text),
        "events" => problem_of::<crate::schema::EventEntry>(text),
        "users" => problem_of::<crate::schema::UserEntry>(text),
        "shares" => problem_of::<crate::schema::ShareEntry>(text),
        "goals" => problem_of::<crate::schema::GoalEntry>(text),
        _ => EntryReading::Unsure,
    }
}

/// [`entry_problem`] for entries of type `T`.
fn problem_of<T: DeserializeOwned>(text: &str) -> EntryReading {
    let Ok(de) = toml::Deserializer::parse(text) else {
        return EntryReading::Unsure;
    };
    match serde_path_to_error::deserialize::<_, BTreeMap<String, Vec<T>>>(de) {
        Ok(lists) if lists.len() == 1 && lists.values().all(|l| l.len() == 1) => EntryReading::Fine,
        Ok(_) => EntryReading::Unsure,
        Err(e) => {
            let path = KeyPath::from_serde(e.path());
            let inner = e.into_inner();
            match path.0.as_slice() {
                [Segment::Key(_), Segment::Index(0), ..] => EntryReading::Problem(
                    path,
                    inner.span().map(|s| s.start),
                    crate::error::worded(inner.message()),
                ),
                _ => EntryReading::Unsure,
            }
        }
    }
}

/// The one entry of the one list in `text`.
fn entry<T: DeserializeOwned>(text: &str) -> Option<T> {
    let lists: BTreeMap<String, Vec<T>> = read_as(text)?;
    let mut entries = lists.into_values().next()?;
    (entries.len() == 1).then(|| entries.pop()).flatten()
}

/// `text` read as a `T`, or `None` if it does not read.
///
/// Through `serde_path_to_error`'s deserializer, as when a problem must be
/// located ([`problem_of`], the whole document in `lib.rs`), although
/// nothing is located here: serde's code for the scenario's types is
/// generated once for each deserializer that reads them, so reading them
/// with `toml`'s alone as well doubled that code, most of this crate's
/// build. It costs a copy of each key read.
fn read_as<T: DeserializeOwned>(text: &str) -> Option<T> {
    let de = toml::Deserializer::parse(text).ok()?;
    serde_path_to_error::deserialize(de).ok()
}

/// The text split for reading: each entry of a list on its own, in order,
/// and everything else together.
#[derive(Debug)]
struct Parts<'a> {
    /// The text outside the lists' entries, its sections in their order.
    rest: String,
    /// Each entry: its list and its text (its header up to the next header
    /// that is not one of its own sub-tables).
    entries: Vec<(&'static str, &'a str)>,
    /// The sections of the rest, in order, the first being the text
    /// before any header.
    sections: Vec<(Kind<'a>, Range<usize>)>,
}

impl<'a> Parts<'a> {
    fn split(text: &'a str) -> Option<Self> {
        let headers = headers(text)?;
        let mut rest = String::new();
        let mut sections = Vec::new();
        let mut entries: Vec<(&'static str, Range<usize>)> = Vec::new();
        // The list of the entry the last section belonged to, if it did.
        let mut open = None;
        let ends = headers.iter().skip(1).map(|h| h.start).chain([text.len()]);
        for (header, end) in headers.iter().zip(ends) {
            match (header.kind, header.list()) {
                (_, None) => {
                    rest.push_str(&text[header.start..end]);
                    sections.push((header.kind, header.start..end));
                    open = None;
                }
                (Kind::Entry(_), Some(list)) => {
                    entries.push((list, header.start..end));
                    open = Some(list);
                }
                // A sub-table of the entry just read: part of it.
                (_, Some(list)) if open == Some(list) => entries.last_mut()?.1.end = end,
                // A table of a list's key anywhere else: left to the whole
                // document's reading.
                _ => return None,
            }
        }
        let entries = entries.into_iter().map(|(l, r)| (l, &text[r])).collect();
        Some(Parts {
            rest,
            entries,
            sections,
        })
    }
}

/// A header line (or the start of the text), where its section begins.
#[derive(Debug)]
struct Header<'a> {
    start: usize,
    kind: Kind<'a>,
}

impl Header<'_> {
    /// The list read entry by entry that the header's first key names.
    fn list(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Root => None,
            Kind::Section(key) | Kind::Table(key) | Kind::Entry(key) => {
                LISTS.iter().find(|l| **l == key).copied()
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    /// The text before the first header.
    Root,
    /// `[[key]]`: an entry of a list.
    Entry(&'a str),
    /// `[key]`: a table of its own key.
    Section(&'a str),
    /// Any other header, by its first key (`[key.sub]`, `[[key.sub]]`).
    Table(&'a str),
}

/// The sections of `text`: where each header line starts, and what it is,
/// the first being the text before any header. `None` when the text's
/// shape leaves any doubt: brackets that do not balance, a quoted first
/// key, a key before the first header that names a list.
fn headers(text: &str) -> Option<Vec<Header<'_>>> {
    let mut headers = vec![Header {
        start: 0,
        kind: Kind::Root,
    }];
    let mut tokens = Source::new(text).lex().peekable();
    let mut depth = 0usize;
    let mut line_start: Option<usize> = Some(0);
    while let Some(token) = tokens.next() {
        let kind = token.kind();
        match kind {
            TokenKind::Newline => {
                line_start = Some(token.span().end());
                continue;
            }
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Eof => continue,
            _ => {}
        }
        let at_line_start = line_start.take().filter(|_| depth == 0);
        match (kind, at_line_start) {
            (TokenKind::LeftSquareBracket, Some(start)) => {
                let kind = header(text, token, &mut tokens)?;
                headers.push(Header { start, kind });
            }
            (_, Some(_)) if headers.len() == 1 => root_key(text, token)?,
            (TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket, _) => depth += 1,
            (TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket, _) => {
                depth = depth.checked_sub(1)?;
            }
            _ => {}
        }
    }
    (depth == 0).then_some(headers)
}

/// Checks the first token of a key-value line before the first header:
/// a bare key that names no list.
fn root_key(text: &str, first: Token) -> Option<()> {
    let key = bare(text, first)?;
    (!LISTS.contains(&key)).then_some(())
}

/// Reads a header after its first `[`, up to its closing brackets.
fn header<'a>(
    text: &'a str,
    open: Token,
    tokens: &mut std::iter::Peekable<toml_parser::lexer::Lexer<'a>>,
) -> Option<Kind<'a>> {
    let double = tokens.next_if(|t| {
        t.kind() == TokenKind::LeftSquareBracket && t.span().start() == open.span().end()
    });
    let mut next = || tokens.find(|t| t.kind() != TokenKind::Whitespace);
    let key = bare(text, next()?)?;
    let dotted = match next()?.kind() {
        TokenKind::RightSquareBracket => false,
        // The rest of a dotted key holds no bracket but the closing one.
        TokenKind::Dot => loop {
            match next()?.kind() {
                TokenKind::RightSquareBracket => break true,
                TokenKind::Newline | TokenKind::Eof => return None,
                _ => {}
            }
        },
        _ => return None,
    };
    if double.is_some() {
        // `[[...]]` closes with two brackets (whether they touch is left
        // to the reading of the entry).
        (next()?.kind() == TokenKind::RightSquareBracket).then_some(())?;
    }
    Some(match (double, dotted) {
        (Some(_), false) => Kind::Entry(key),
        (None, false) => Kind::Section(key),
        _ => Kind::Table(key),
    })
}

/// The text of a bare key's token; `None` for anything else.
fn bare(text: &str, token: Token) -> Option<&str> {
    let span = token.span();
    (token.kind() == TokenKind::Atom).then(|| &text[span.start()..span.end()])
}

#[cfg(test)]
mod tests;
