//! Re-emits the tokens of a file in the canonical layout.
//!
//! - one statement per line, 2 spaces per block level; `;` becomes a line break;
//! - a statement continued after `,`, `(` or `\` keeps its line breaks, and its
//!   further lines are indented one level deeper (a closing `)` is not);
//! - one space between tokens, none before `,` `:` `)` or after `(`, none
//!   around a label's `=` or in `service NAME:SUBSET`;
//! - a block `{}` with nothing inside stays on one line, and so does a block
//!   written on one line around a single statement (`limits { max_requests 9 }`);
//! - blank lines: at most one, none at the start or end of a block or file;
//! - comments stay where they are; a trailing comment keeps its column when the
//!   line it ends still starts as it did (so aligned comments stay aligned).

use super::lex::{Kind, Token};

const INDENT: usize = 2;

pub fn layout(text: &str, toks: &[Token]) -> String {
    let mut p = Printer {
        text,
        toks,
        eol: if text.split('\n').next().is_some_and(|l| l.ends_with('\r')) && text.contains('\n') {
            "\r\n"
        } else {
            "\n"
        },
        out: String::with_capacity(text.len() + text.len() / 8),
        line: String::new(),
        indent: 0,
        first: 0,
        depth: 0,
        stmt: Stmt::default(),
        break_before: false,
        newlines: 0,
        lines: 0,
        opened: false,
        last_opened: false,
        inline_close: None,
    };
    let mut i = 0;
    while i < toks.len() {
        i = p.token(i);
    }
    p.flush();
    p.out
}

/// What the current statement has shown so far.
#[derive(Default)]
struct Stmt {
    /// Indices of its last three code tokens, newest last.
    recent: [Option<usize>; 3],
    paren: usize,
    /// It has gone on onto a continuation line.
    cont: bool,
    /// The `:` just placed joins a service and its subset.
    tight_colon: bool,
}

struct Printer<'a> {
    text: &'a str,
    toks: &'a [Token],
    eol: &'static str,
    out: String,
    /// The line being built, without its indentation.
    line: String,
    indent: usize,
    /// Index of the first token on the line being built.
    first: usize,
    depth: usize,
    stmt: Stmt,
    /// The next code token starts a new line (after `;`, `{` or `}`).
    break_before: bool,
    /// Line breaks in the source since the last token placed.
    newlines: usize,
    lines: usize,
    /// The line being built opens a block.
    opened: bool,
    /// The last line written opened a block.
    last_opened: bool,
    /// The `}` of the one-line block being placed.
    inline_close: Option<usize>,
}

impl<'a> Printer<'a> {
    fn src(&self, i: usize) -> &'a str {
        &self.text[self.toks[i].start..self.toks[i].end]
    }

    fn kind(&self, i: usize) -> Kind {
        self.toks[i].kind
    }

    /// Places token `i`; returns the index of the next token to look at.
    fn token(&mut self, i: usize) -> usize {
        match self.kind(i) {
            Kind::Newline => self.newline(i),
            Kind::Continuation => {
                if !self.line.is_empty() {
                    self.line.push_str(" \\");
                    self.flush();
                    self.stmt.cont = true;
                }
            }
            Kind::Semi => {
                self.break_before = true;
                self.stmt = Stmt::default();
            }
            Kind::Comment => self.comment(i),
            Kind::Open => return self.open(i),
            Kind::Close if self.inline_close == Some(i) => {
                self.line.push_str(" }");
                self.inline_close = None;
                self.stmt = Stmt::default();
                self.break_before = true;
            }
            Kind::Close => {
                self.flush();
                self.depth = self.depth.saturating_sub(1);
                self.stmt = Stmt::default();
                self.code(i);
                self.break_before = true;
            }
            _ => self.code(i),
        }
        i + 1
    }

    fn newline(&mut self, i: usize) {
        self.newlines += 1;
        self.flush();
        let last = self.stmt.recent[2].map(|j| self.kind(j));
        let next = self.toks[i + 1..]
            .iter()
            .find(|t| t.kind != Kind::Newline)
            .map(|t| t.kind);
        if self.stmt.paren > 0 || matches!(last, Some(Kind::Comma | Kind::LParen)) || next == Some(Kind::RParen) {
            if last.is_some() {
                self.stmt.cont = true;
            }
        } else {
            self.stmt = Stmt::default();
        }
    }

    fn open(&mut self, i: usize) -> usize {
        let inner = self.toks[i + 1..]
            .iter()
            .position(|t| !matches!(t.kind, Kind::Newline | Kind::Semi | Kind::Continuation))
            .map(|p| i + 1 + p);
        if let Some(close) = inner.filter(|&j| self.kind(j) == Kind::Close) {
            // `{}`: nothing inside.
            self.code(i);
            self.line.push('}');
            self.stmt = Stmt::default();
            self.break_before = true;
            return close + 1;
        }
        if let Some(close) = self.one_line_block(i) {
            self.code(i);
            self.stmt = Stmt::default();
            self.inline_close = Some(close);
            return i + 1;
        }
        self.code(i);
        self.depth += 1;
        self.stmt = Stmt::default();
        self.break_before = true;
        self.opened = true;
        i + 1
    }

    /// The `}` of the block opened at `i` if the source has it on the same
    /// line around one statement, without comments or blocks inside.
    fn one_line_block(&self, i: usize) -> Option<usize> {
        if self.inline_close.is_some() {
            return None;
        }
        for j in i + 1..self.toks.len() {
            match self.kind(j) {
                Kind::Close => return Some(j),
                Kind::Newline | Kind::Comment | Kind::Continuation | Kind::Semi | Kind::Open => return None,
                _ => {}
            }
        }
        None
    }

    fn comment(&mut self, i: usize) {
        let body = self.src(i).trim_end().to_string();
        if self.line.is_empty() {
            self.start_line(i);
            self.line.push_str(&body);
        } else {
            let width = self.line.chars().count();
            let pad = match self.column(i) {
                Some(c) if c > width => c - width,
                _ => 1,
            };
            self.line.extend(std::iter::repeat_n(' ', pad));
            self.line.push_str(&body);
        }
        self.flush();
        self.newlines = 0;
    }

    /// Where comment `i` stood in its source line, counted from the line's
    /// first token, if that line starts with the same token as the output line.
    fn column(&self, i: usize) -> Option<usize> {
        let first = self.toks[self.first].start;
        let line_start = self.text[..first].rfind('\n').map_or(0, |p| p + 1);
        let stays =
            self.text[line_start..first].trim().is_empty() && !self.text[first..self.toks[i].start].contains('\n');
        stays.then(|| self.text[first..self.toks[i].start].chars().count())
    }

    fn code(&mut self, i: usize) {
        let kind = self.kind(i);
        if self.break_before {
            self.flush();
            self.break_before = false;
        }
        if self.line.is_empty() {
            self.start_line(i);
        } else if self.spaced(kind) {
            self.line.push(' ');
        }
        self.line.push_str(self.src(i));
        self.opened = false;
        self.newlines = 0;
        let is_word = |j: Option<usize>, text: Option<&str>| {
            j.is_some_and(|j| self.kind(j) == Kind::Word && text.is_none_or(|t| self.src(j) == t))
        };
        let tight = kind == Kind::Colon
            && self.stmt.paren == 0
            && is_word(self.stmt.recent[2], None)
            && is_word(self.stmt.recent[1], Some("service"));
        let s = &mut self.stmt;
        s.tight_colon = tight;
        match kind {
            Kind::LParen => s.paren += 1,
            Kind::RParen => s.paren = s.paren.saturating_sub(1),
            _ => {}
        }
        self.stmt.recent = [self.stmt.recent[1], self.stmt.recent[2], Some(i)];
    }

    /// Whether a space goes between the last code token on the line and one of `kind`.
    fn spaced(&self, kind: Kind) -> bool {
        let Some(prev) = self.stmt.recent[2].map(|j| self.kind(j)) else {
            return true;
        };
        match (prev, kind) {
            (_, Kind::Comma | Kind::RParen | Kind::Colon) => false,
            (Kind::LParen, _) | (Kind::Word, Kind::LParen) => false,
            (Kind::Colon, _) => !self.stmt.tight_colon,
            (_, Kind::Eq) | (Kind::Eq, _) => self.stmt.paren > 0,
            _ => true,
        }
    }

    /// Indentation (and a kept blank line) for a line that starts with token `i`.
    fn start_line(&mut self, i: usize) {
        let kind = self.kind(i);
        let blank = self.newlines >= 2 && self.lines > 0 && !self.last_opened && kind != Kind::Close && !self.stmt.cont;
        if blank {
            self.out.push_str(self.eol);
        }
        let extra = self.stmt.cont && kind != Kind::RParen;
        self.indent = INDENT * (self.depth + usize::from(extra));
        self.first = i;
    }

    fn flush(&mut self) {
        if self.line.is_empty() {
            return;
        }
        self.out.extend(std::iter::repeat_n(' ', self.indent));
        self.out.push_str(&self.line);
        self.out.push_str(self.eol);
        self.line.clear();
        self.lines += 1;
        self.last_opened = self.opened;
        self.opened = false;
    }
}
