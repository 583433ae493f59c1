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

use std::collections::BTreeMap;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml_parser::Source;
use toml_parser::lexer::{Token, TokenKind};

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
    let mut file: ScenarioFile = toml::from_str(&parts.rest).ok()?;
    for (list, entry) in parts.entries {
        absorb(&mut file, list, entry)?;
    }
    Some(file)
}

/// Appends the entry in `text` (a `[[list]]` header and what belongs to it)
/// to `file`'s `list`.
fn absorb(file: &mut ScenarioFile, list: &str, text: &str) -> Option<()> {
    match list {
        "environments" => file.environments.push(entry(text)?),
        "machine_groups" => file.machine_groups.push(entry(text)?),
        "machines" => file.machines.push(entry(text)?),
        "hosted_groups" => file.hosted_groups.push(entry(text)?),
        "hosted_machines" => file.hosted_machines.push(entry(text)?),
        "flows" => file.flows.push(entry(text)?),
        "events" => file.events.push(entry(text)?),
        "users" => file.users.push(entry(text)?),
        "shares" => file.shares.push(entry(text)?),
        "goals" => file.goals.push(entry(text)?),
        _ => return None,
    }
    Some(())
}

/// The one entry of the one list in `text`.
fn entry<T: DeserializeOwned>(text: &str) -> Option<T> {
    let lists: BTreeMap<String, Vec<T>> = toml::from_str(text).ok()?;
    let mut entries = lists.into_values().next()?;
    (entries.len() == 1).then(|| entries.pop()).flatten()
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
}

impl<'a> Parts<'a> {
    fn split(text: &'a str) -> Option<Self> {
        let headers = headers(text)?;
        let mut rest = String::new();
        let mut entries: Vec<(&'static str, Range<usize>)> = Vec::new();
        // The list of the entry the last section belonged to, if it did.
        let mut open = None;
        let ends = headers.iter().skip(1).map(|h| h.start).chain([text.len()]);
        for (header, end) in headers.iter().zip(ends) {
            match (header.kind, header.list()) {
                (_, None) => {
                    rest.push_str(&text[header.start..end]);
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
        Some(Parts { rest, entries })
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
            Kind::Table(key) | Kind::Entry(key) => LISTS.iter().find(|l| **l == key).copied(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    /// The text before the first header.
    Root,
    /// `[[key]]`: an entry of a list.
    Entry(&'a str),
    /// Any other header, by its first key (`[key]`, `[key.sub]`,
    /// `[[key.sub]]`).
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
