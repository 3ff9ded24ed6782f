//! Where the cursor stands, read from the text: the declaration being typed
//! usually does not parse, so completion cannot wait for a syntax tree. The
//! syntax stage's tolerant splitter (`prescan::split`) finds the statements;
//! the formatter's lexer finds the words.

use std::ops::Range;

use crate::fmt::lex::{tokens, Kind};
use crate::names::Ctx;
use crate::span::{FileId, Span};
use crate::syntax::prescan;

/// The kind of block around the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Outside any declaration.
    Top,
    Ctx(Ctx),
    /// A profile body: any statement.
    Profile,
    Cors,
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Cursor<'t> {
    /// The words before the `{` of each enclosing block, outermost first.
    pub path: Vec<Vec<&'t str>>,
    pub block: Block,
    /// The tokens of the current statement before the word being typed.
    pub before: Vec<(Kind, &'t str)>,
    /// The part of the word being typed that stands before the cursor.
    pub prefix: Span,
}

impl<'t> Cursor<'t> {
    /// The name declared by the nearest enclosing `KEYWORD NAME {`.
    pub fn enclosing(&self, keyword: &str) -> Option<&'t str> {
        self.path
            .iter()
            .rev()
            .find(|h| h.first() == Some(&keyword))
            .and_then(|h| h.get(1).copied())
    }

    /// The nearest enclosing service or external.
    pub fn service(&self) -> Option<&'t str> {
        self.path
            .iter()
            .rev()
            .find(|h| matches!(h.first(), Some(&("service" | "external"))))
            .and_then(|h| h.get(1).copied())
    }

    pub fn words(&self) -> impl DoubleEndedIterator<Item = &'t str> + '_ {
        self.before.iter().filter(|t| t.0 == Kind::Word).map(|t| t.1)
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// The word (letters, digits, `_`, `-`) that `offset` touches, outside comments and strings.
pub fn word_at(text: &str, file: FileId, offset: usize) -> Option<(Span, &str)> {
    let t = tokens(text)
        .into_iter()
        .rfind(|t| t.kind == Kind::Word && t.start <= offset && offset <= t.end)?;
    let bytes = text.as_bytes();
    let mut start = offset.clamp(t.start, t.end);
    while start > t.start && is_word_byte(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = offset.clamp(t.start, t.end);
    while end < t.end && is_word_byte(bytes[end]) {
        end += 1;
    }
    (start < end).then(|| (Span::new(file, start, end), &text[start..end]))
}

/// The cursor at `offset` (a char boundary of `text`).
pub fn locate(text: &str, file: FileId, offset: usize) -> Cursor<'_> {
    let bytes = text.as_bytes();
    let mut prefix_start = offset;
    while prefix_start > 0 && is_word_byte(bytes[prefix_start - 1]) {
        prefix_start -= 1;
    }
    let mut cursor = Cursor {
        path: Vec::new(),
        block: Block::Top,
        before: Vec::new(),
        prefix: Span::new(file, prefix_start, offset),
    };
    let mut range = 0..text.len();
    let mut top = true;
    loop {
        let chunks = prescan::split(text, range.clone(), top);
        let Some(chunk) = chunks.into_iter().find(|c| within(text, c, prefix_start)) else {
            return cursor;
        };
        match block_at(text, chunk.clone(), prefix_start) {
            Some((header, inner)) => {
                cursor.block = block_kind(&header, cursor.block);
                cursor.path.push(header);
                range = inner;
                top = false;
            }
            None => {
                cursor.before = tokens(&text[chunk.start..prefix_start])
                    .into_iter()
                    .filter(|t| t.kind.is_content() && t.kind != Kind::Comment)
                    .map(|t| (t.kind, &text[chunk.start + t.start..chunk.start + t.end]))
                    .collect();
                return cursor;
            }
        }
    }
}

/// Whether `offset` belongs to the statement `chunk`: inside it, or after it on the same line.
fn within(text: &str, chunk: &Range<usize>, offset: usize) -> bool {
    chunk.start <= offset && (offset <= chunk.end || !text[chunk.end..offset].contains(['\n', ';', '}']))
}

/// The header words and the inside of the block of `chunk` that holds `offset`, if any.
fn block_at(text: &str, chunk: Range<usize>, offset: usize) -> Option<(Vec<&str>, Range<usize>)> {
    let base = chunk.start;
    let toks = tokens(&text[chunk.clone()]);
    let open = toks
        .iter()
        .position(|t| t.kind == Kind::Open && base + t.start < offset)?;
    let mut depth = 0usize;
    let mut end = chunk.end;
    for t in &toks[open..] {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    end = base + t.start;
                    break;
                }
            }
            _ => {}
        }
    }
    if end < offset {
        return None;
    }
    let header = toks[..open]
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .map(|t| &text[base + t.start..base + t.end])
        .collect();
    Some((header, base + toks[open].end..end))
}

fn block_kind(header: &[&str], outer: Block) -> Block {
    match header.first().copied() {
        Some("mesh") => Block::Ctx(Ctx::Mesh),
        Some("namespace") => Block::Ctx(Ctx::Namespace),
        Some("service") => Block::Ctx(Ctx::Service),
        Some("external") => Block::Ctx(Ctx::External),
        Some("subset") => Block::Ctx(Ctx::Subset),
        Some("port") => Block::Ctx(Ctx::Port),
        Some("route") => Block::Ctx(Ctx::Route),
        Some("when" | "default") => Block::Ctx(Ctx::Rule),
        Some("limits") => Block::Ctx(Ctx::Limits),
        Some("eject") => Block::Ctx(Ctx::Eject),
        Some("jwt") if outer == Block::Top => Block::Ctx(Ctx::Jwt),
        Some("profile") => Block::Profile,
        Some("cors") => Block::Cors,
        _ => Block::Unknown,
    }
}
