//! The formatter's view of the text: code tokens, comments and line breaks.
//!
//! It splits only where the grammar lets blanks stand (grammar/mesh.pest:
//! `WHITESPACE`, `COMMENT`, strings, punctuation). Everything else is one
//! opaque `Word` that is copied byte for byte, so `reviews.ns`, `1.5s`, `50%`,
//! `std.canary` and `v1.2-x` are never split. Whether the output still means
//! the same program is decided by re-parsing it (`verify`), not here.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Word,
    Str,
    Comment,
    Open,
    Close,
    LParen,
    RParen,
    Comma,
    Colon,
    Semi,
    /// `=` (labels, parameter defaults).
    Eq,
    /// `==` and `=>`.
    Op,
    Newline,
    /// `\` at the end of a line: the statement goes on.
    Continuation,
}

#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Kind {
    /// Tokens the output must reproduce in the same order (line breaks and
    /// `;` are layout, and may be exchanged).
    pub fn is_content(self) -> bool {
        !matches!(self, Kind::Newline | Kind::Semi | Kind::Continuation)
    }
}

pub fn tokens(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        let kind = match b[i] {
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            b'\n' => {
                i += 1;
                Kind::Newline
            }
            b'\\' if continuation_end(b, i).is_some() => {
                i = continuation_end(b, i).unwrap_or(i + 1);
                Kind::Continuation
            }
            b'#' => {
                i = memchr_newline(b, i);
                Kind::Comment
            }
            b'"' => {
                i = string_end(b, i);
                Kind::Str
            }
            b'=' => {
                i += 1;
                if matches!(b.get(i), Some(b'=' | b'>')) {
                    i += 1;
                    Kind::Op
                } else {
                    Kind::Eq
                }
            }
            b'{' | b'}' | b'(' | b')' | b',' | b':' | b';' => {
                i += 1;
                match b[start] {
                    b'{' => Kind::Open,
                    b'}' => Kind::Close,
                    b'(' => Kind::LParen,
                    b')' => Kind::RParen,
                    b',' => Kind::Comma,
                    b':' => Kind::Colon,
                    _ => Kind::Semi,
                }
            }
            _ => {
                while i < b.len() && !ends_word(b, i) {
                    i += 1;
                }
                Kind::Word
            }
        };
        out.push(Token { kind, start, end: i });
    }
    out
}

fn ends_word(b: &[u8], i: usize) -> bool {
    match b[i] {
        b' ' | b'\t' | b'\r' | b'\n' | b'#' | b'"' | b'=' | b'{' | b'}' | b'(' | b')' | b',' | b':' | b';' => true,
        b'\\' => continuation_end(b, i).is_some(),
        _ => false,
    }
}

/// End of `\` + line break at `i`, if that is what stands there.
fn continuation_end(b: &[u8], i: usize) -> Option<usize> {
    match (b.get(i + 1), b.get(i + 2)) {
        (Some(b'\n'), _) => Some(i + 2),
        (Some(b'\r'), Some(b'\n')) => Some(i + 3),
        _ => None,
    }
}

fn memchr_newline(b: &[u8], i: usize) -> usize {
    b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p)
}

/// Just past the closing quote (or at the line break of an unterminated string).
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            // As in the grammar's `str_inner`, `\` escapes any character, even a line break.
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    b.len()
}
