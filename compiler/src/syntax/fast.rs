//! Hand-written fast path for the grammar in `grammar/mesh.pest`.
//!
//! pest spends most of its time in per-rule bookkeeping: on a 5,000-service
//! program it took ~150 ms of the whole budget (docs/performance.md). This
//! recursive-descent parser builds the same AST in a fraction of that. It is
//! deliberately conservative: on anything unusual it gives up (`Err(Bail)`)
//! and the pest parser decides, so pest stays the definition of the language
//! and the source of every syntax error. Tests check that both agree.

use super::ast::*;
use crate::span::{FileId, Sp, Span};

/// The fast path cannot decide; ask pest.
#[derive(Debug)]
pub struct Bail;

type R<T> = Result<T, Bail>;

/// Words that start a rule option after a destination.
const OPTION_WORDS: [&str; 7] = [
    "timeout", "retries", "rewrite", "fault", "mirror", "request", "response",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Word,
    Upper,
    Str,
    Int,
    Dur,
    Pct,
    Punct(u8),
    /// `==` and `=>`.
    EqEq,
    Arrow,
    Nl,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

pub struct Parser<'s> {
    text: &'s str,
    src: &'s [u8],
    pos: usize,
    end: usize,
    file: FileId,
    peeked: Option<Token>,
    /// End of the last token consumed (spans end there, as pest's do).
    last_end: usize,
}

/// Lists in the tree are short and never grow again: drop the doubling slack.
fn exact<T>(mut v: Vec<T>) -> Vec<T> {
    v.shrink_to_fit();
    v
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl<'s> Parser<'s> {
    pub fn new(file: FileId, text: &'s str, range: std::ops::Range<usize>) -> Parser<'s> {
        Parser {
            text,
            src: text.as_bytes(),
            pos: range.start,
            end: range.end,
            file,
            peeked: None,
            last_end: range.start,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn skip_blank(&mut self) {
        while self.pos < self.end {
            match self.src[self.pos] {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\\' => {
                    let mut p = self.pos + 1;
                    if p < self.end && self.src[p] == b'\r' {
                        p += 1;
                    }
                    if p < self.end && self.src[p] == b'\n' {
                        self.pos = p + 1;
                    } else {
                        return;
                    }
                }
                b'#' => {
                    while self.pos < self.end && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn lex(&mut self) -> R<Token> {
        self.skip_blank();
        let start = self.pos;
        if start >= self.end {
            return Ok(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
        }
        let b = self.src[start];
        let mut p = start + 1;
        let tok = match b {
            b'\n' => Tok::Nl,
            b'a'..=b'z' => {
                while p < self.end && is_ident_byte(self.src[p]) {
                    p += 1;
                }
                Tok::Word
            }
            b'A'..=b'Z' => {
                while p < self.end && self.src[p].is_ascii_uppercase() {
                    p += 1;
                }
                if p < self.end && is_ident_byte(self.src[p]) {
                    return Err(Bail);
                }
                Tok::Upper
            }
            b'0'..=b'9' => {
                while p < self.end && self.src[p].is_ascii_digit() {
                    p += 1;
                }
                let mut fraction = false;
                if p + 1 < self.end && self.src[p] == b'.' && self.src[p + 1].is_ascii_digit() {
                    fraction = true;
                    p += 1;
                    while p < self.end && self.src[p].is_ascii_digit() {
                        p += 1;
                    }
                }
                let rest = &self.src[p..self.end];
                let (tok, len) = if rest.starts_with(b"%") {
                    (Tok::Pct, 1)
                } else if rest.starts_with(b"ms") {
                    (Tok::Dur, 2)
                } else if matches!(rest.first(), Some(b's' | b'm' | b'h')) {
                    (Tok::Dur, 1)
                } else if fraction {
                    return Err(Bail);
                } else {
                    (Tok::Int, 0)
                };
                p += len;
                let next = self.src.get(p).copied().filter(|_| p < self.end);
                match (tok, next) {
                    (Tok::Pct, _) => {}
                    (_, Some(n)) if is_ident_byte(n) => return Err(Bail),
                    (Tok::Int, Some(b'.' | b'%')) => return Err(Bail),
                    _ => {}
                }
                tok
            }
            b'"' => {
                while p < self.end {
                    match self.src[p] {
                        b'\\' if p + 1 < self.end => p += 2,
                        b'"' => break,
                        b'\n' | b'\\' => return Err(Bail),
                        _ => p += 1,
                    }
                }
                if p >= self.end {
                    return Err(Bail);
                }
                p += 1;
                Tok::Str
            }
            b'=' if self.src.get(p) == Some(&b'=') && p < self.end => {
                p += 1;
                Tok::EqEq
            }
            b'=' if self.src.get(p) == Some(&b'>') && p < self.end => {
                p += 1;
                Tok::Arrow
            }
            b'{' | b'}' | b'(' | b')' | b',' | b';' | b':' | b'=' | b'.' => Tok::Punct(b),
            _ => return Err(Bail),
        };
        Ok(Token { tok, start, end: p })
    }

    fn peek(&mut self) -> R<Token> {
        if let Some(t) = self.peeked {
            return Ok(t);
        }
        let t = self.lex()?;
        self.pos = t.end;
        self.peeked = Some(t);
        Ok(t)
    }

    fn next(&mut self) -> R<Token> {
        let t = self.peek()?;
        self.peeked = None;
        self.last_end = t.end;
        Ok(t)
    }

    fn text_of(&self, t: Token) -> &'s str {
        &self.text[t.start..t.end]
    }

    fn peek_word(&mut self) -> R<Option<&'s str>> {
        let t = self.peek()?;
        Ok((t.tok == Tok::Word).then(|| self.text_of(t)))
    }

    fn at_word(&mut self, w: &str) -> R<bool> {
        Ok(self.peek_word()? == Some(w))
    }

    fn eat_word(&mut self, w: &str) -> R<bool> {
        if self.at_word(w)? {
            self.next()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn keyword(&mut self, w: &str) -> R<Span> {
        let t = self.next()?;
        if t.tok == Tok::Word && self.text_of(t) == w {
            Ok(self.span(t.start, t.end))
        } else {
            Err(Bail)
        }
    }

    fn punct(&mut self, p: u8) -> R<()> {
        if self.next()?.tok == Tok::Punct(p) {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    fn at_punct(&mut self, p: u8) -> R<bool> {
        Ok(self.peek()?.tok == Tok::Punct(p))
    }

    fn skip_nl(&mut self) -> R<()> {
        while self.peek()?.tok == Tok::Nl {
            self.next()?;
        }
        Ok(())
    }

    /// `,` followed by any newlines; false if no comma.
    fn comma(&mut self) -> R<bool> {
        if self.at_punct(b',')? {
            self.next()?;
            self.skip_nl()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn ident(&mut self) -> R<Ident> {
        let t = self.next()?;
        let s = self.text_of(t);
        if t.tok != Tok::Word || matches!(s, "and" | "or" | "rest") {
            return Err(Bail);
        }
        Ok(Sp::new(s.to_string(), self.span(t.start, t.end)))
    }

    /// `ident` or `ident.ident` written without spaces.
    fn dotted(&mut self) -> R<Ident> {
        let first = self.ident()?;
        if self.pos < self.end && self.src[self.pos] == b'.' && self.peeked.is_none() {
            let dot = self.next()?;
            if dot.start != first.span.end as usize {
                return Err(Bail);
            }
            let second = self.ident()?;
            if second.span.start as usize != dot.end {
                return Err(Bail);
            }
            let span = first.span.to(second.span);
            return Ok(Sp::new(self.text[span.range()].to_string(), span));
        }
        Ok(first)
    }

    fn expr_of(&self, t: Token) -> R<Expr> {
        let s = self.text_of(t);
        let span = self.span(t.start, t.end);
        let kind = match t.tok {
            Tok::Int => ExprKind::Int(s.parse().unwrap_or(u64::MAX)),
            Tok::Dur => ExprKind::Duration(super::parser::parse_duration(s)),
            Tok::Pct => ExprKind::Percent(s[..s.len() - 1].parse().unwrap_or(f64::MAX)),
            Tok::Str => ExprKind::Str(super::parser::unescape(&s[1..s.len() - 1])),
            Tok::Word if !matches!(s, "and" | "or" | "rest") => ExprKind::Param(s.to_string()),
            _ => return Err(Bail),
        };
        Ok(Expr { kind, span })
    }

    /// A literal of one kind, or a parameter name.
    fn value(&mut self, kind: Tok) -> R<Expr> {
        let t = self.next()?;
        if t.tok != kind && t.tok != Tok::Word {
            return Err(Bail);
        }
        self.expr_of(t)
    }

    fn literal(&mut self) -> R<Expr> {
        let t = self.next()?;
        self.expr_of(t)
    }

    fn str_list(&mut self) -> R<Vec<Expr>> {
        let mut v = vec![self.value(Tok::Str)?];
        while self.comma()? {
            v.push(self.value(Tok::Str)?);
        }
        Ok(exact(v))
    }

    // ------------------------------------------------------------ items

    /// One top-level declaration filling the whole range.
    pub fn top_item(&mut self) -> R<(ItemKind, Span)> {
        let start = self.peek()?.start;
        let kind = match self.peek_word()? {
            Some("mesh") => {
                self.next()?;
                ItemKind::Mesh(self.block()?)
            }
            Some("jwt") => {
                self.next()?;
                let name = self.ident()?;
                ItemKind::Jwt {
                    name,
                    body: self.block()?,
                }
            }
            Some("use") => {
                self.next()?;
                let path = self.dotted()?;
                let name = path.node.strip_prefix("std.").ok_or(Bail)?.to_string();
                let off = path.span.start as usize + 4;
                ItemKind::Import(Sp::new(name, self.span(off, path.span.end as usize)))
            }
            Some("profile") => {
                self.next()?;
                ItemKind::Profile(self.profile()?)
            }
            _ => return Err(Bail),
        };
        let span = self.span(start, self.last_end);
        self.finish()?;
        Ok((kind, span))
    }

    /// One namespace member filling the whole range.
    pub fn member(&mut self) -> R<Stmt> {
        let s = self.stmt()?;
        self.finish()?;
        Ok(s)
    }

    fn finish(&mut self) -> R<()> {
        loop {
            match self.next()?.tok {
                Tok::Eof => return Ok(()),
                Tok::Nl | Tok::Punct(b';') => {}
                _ => return Err(Bail),
            }
        }
    }

    fn profile(&mut self) -> R<Profile> {
        let name = self.ident()?;
        self.punct(b'(')?;
        self.skip_nl()?;
        let mut params = Vec::new();
        if !self.at_punct(b')')? {
            loop {
                params.push(self.param()?);
                if !self.comma()? {
                    break;
                }
            }
        }
        self.skip_nl()?;
        self.punct(b')')?;
        Ok(Profile {
            name,
            params,
            body: self.block()?,
        })
    }

    fn param(&mut self) -> R<Param> {
        let name = self.ident()?;
        self.punct(b':')?;
        let t = self.next()?;
        let ty = match self.text_of(t) {
            "int" => ParamType::Int,
            "duration" => ParamType::Duration,
            "percent" => ParamType::Percent,
            "string" => ParamType::String,
            "name" => ParamType::Name,
            _ => return Err(Bail),
        };
        let ty = Sp::new(ty, self.span(t.start, t.end));
        let default = if self.at_punct(b'=')? {
            self.next()?;
            Some(self.literal()?)
        } else {
            None
        };
        Ok(Param { name, ty, default })
    }

    fn block(&mut self) -> R<Vec<Stmt>> {
        self.punct(b'{')?;
        let mut out = Vec::new();
        loop {
            match self.peek()?.tok {
                Tok::Nl | Tok::Punct(b';') => {
                    self.next()?;
                }
                Tok::Punct(b'}') => {
                    self.next()?;
                    return Ok(exact(out));
                }
                _ => {
                    out.push(self.stmt()?);
                    if !matches!(self.peek()?.tok, Tok::Nl | Tok::Punct(b';') | Tok::Punct(b'}')) {
                        return Err(Bail);
                    }
                }
            }
        }
    }

    fn opt_block(&mut self) -> R<Option<Vec<Stmt>>> {
        if self.at_punct(b'{')? {
            return Ok(Some(self.block()?));
        }
        Ok(None)
    }

    fn labels(&mut self) -> R<Vec<Label>> {
        let mut out = vec![self.label()?];
        while self.comma()? {
            out.push(self.label()?);
        }
        Ok(exact(out))
    }

    fn label_key(&mut self) -> R<Sp<String>> {
        let t = self.next()?;
        let span = self.span(t.start, t.end);
        match t.tok {
            Tok::Str => Ok(Sp::new(
                super::parser::unescape(&self.text_of(t)[1..t.end - t.start - 1]),
                span,
            )),
            Tok::Word if !matches!(self.text_of(t), "and" | "or" | "rest") => Ok(Sp::new(self.text_of(t).into(), span)),
            _ => Err(Bail),
        }
    }

    fn label(&mut self) -> R<Label> {
        let key = self.label_key()?;
        self.punct(b'=')?;
        // A bare value is `[A-Za-z0-9_.-]+` right after `=`, read raw.
        if self.peeked.is_some() {
            return Err(Bail);
        }
        self.skip_blank();
        let start = self.pos;
        if start < self.end && self.src[start] == b'"' {
            let t = self.next()?;
            let value = self.label_key_string(t)?;
            return Ok(Label { key, value });
        }
        let mut p = start;
        while p < self.end && (is_ident_byte(self.src[p]) || self.src[p] == b'.') {
            p += 1;
        }
        if p == start {
            return Err(Bail);
        }
        self.pos = p;
        self.last_end = p;
        let value = Sp::new(self.text[start..p].to_string(), self.span(start, p));
        Ok(Label { key, value })
    }

    fn label_key_string(&self, t: Token) -> R<Sp<String>> {
        if t.tok != Tok::Str {
            return Err(Bail);
        }
        let s = self.text_of(t);
        Ok(Sp::new(
            super::parser::unescape(&s[1..s.len() - 1]),
            self.span(t.start, t.end),
        ))
    }

    // ------------------------------------------------------------ statements

    fn stmt(&mut self) -> R<Stmt> {
        let first = self.peek()?;
        if first.tok != Tok::Word {
            return Err(Bail);
        }
        let word = self.text_of(first);
        let start = first.start;
        let head = self.span(first.start, first.end);
        let kind = match word {
            "service" | "external" => {
                self.next()?;
                let name = self.ident()?;
                let body = self.block()?;
                if word == "service" {
                    StmtKind::Service { name, body }
                } else {
                    StmtKind::External { name, body }
                }
            }
            "port" => {
                self.next()?;
                let number = self.value(Tok::Int)?;
                let protocol = self.ident()?;
                let target = if self.eat_word("target")? {
                    Some(self.value(Tok::Int)?)
                } else {
                    None
                };
                StmtKind::Port {
                    number,
                    protocol,
                    target: target.map(Box::new),
                    body: self.opt_block()?,
                }
            }
            "selector" => {
                self.next()?;
                StmtKind::Selector(self.labels()?)
            }
            "account" => {
                self.next()?;
                StmtKind::Account(self.ident()?)
            }
            "subsets" => {
                self.next()?;
                let key = self.label_key()?;
                self.punct(b':')?;
                let mut values = vec![self.ident()?];
                while self.comma()? {
                    values.push(self.ident()?);
                }
                StmtKind::Subsets {
                    key,
                    values: exact(values),
                }
            }
            "subset" => {
                self.next()?;
                let name = self.ident()?;
                let labels = self.labels()?;
                StmtKind::Subset {
                    name,
                    labels,
                    body: self.opt_block()?,
                }
            }
            "endpoint" => {
                self.next()?;
                let address = self.value(Tok::Str)?;
                let (mut port, mut labels, mut weight) = (None, Vec::new(), None);
                loop {
                    match self.peek_word()? {
                        Some("port") => {
                            self.next()?;
                            port = Some(self.value(Tok::Int)?);
                        }
                        Some("labels") => {
                            self.next()?;
                            labels = self.labels()?;
                        }
                        Some("weight") => {
                            self.next()?;
                            weight = Some(self.value(Tok::Int)?);
                        }
                        _ => break,
                    }
                }
                StmtKind::Endpoint {
                    address,
                    port: port.map(Box::new),
                    labels,
                    weight: weight.map(Box::new),
                }
            }
            "host" => {
                self.next()?;
                StmtKind::Host(self.str_list()?)
            }
            "address" => {
                self.next()?;
                StmtKind::Address(self.str_list()?)
            }
            "resolution" => {
                self.next()?;
                StmtKind::Resolution(self.ident()?)
            }
            "internal" => {
                self.next()?;
                StmtKind::Internal
            }
            "balance" => {
                self.next()?;
                StmtKind::Balance(self.ident()?)
            }
            "sticky" => {
                self.next()?;
                self.sticky()?
            }
            "limits" => {
                self.next()?;
                StmtKind::Limits(self.block()?)
            }
            "eject" => {
                self.next()?;
                StmtKind::Eject(self.block()?)
            }
            "tls" => {
                self.next()?;
                let mode = self.ident()?;
                let mut options = Vec::new();
                while let Some(k @ ("sni" | "ca" | "san" | "cert" | "key" | "credential")) = self.peek_word()? {
                    let t = self.next()?;
                    let key = Sp::new(k.to_string(), self.span(t.start, t.end));
                    options.push((key, self.value(Tok::Str)?));
                }
                StmtKind::Tls { mode, options }
            }
            "timeout" => {
                self.next()?;
                StmtKind::Timeout(self.value(Tok::Dur)?)
            }
            "retries" => {
                self.next()?;
                self.retries()?
            }
            "route" => {
                self.next()?;
                StmtKind::Route(self.block()?)
            }
            "when" | "default" => {
                self.next()?;
                let mut matches = Vec::new();
                if word == "when" {
                    matches.push(self.match_alt()?);
                    while self.eat_word("or")? {
                        matches.push(self.match_alt()?);
                    }
                }
                StmtKind::Rule(Box::new(RouteRule {
                    matches,
                    action: self.action()?,
                }))
            }
            "rewrite" | "fault" | "mirror" | "request" | "response" => {
                self.next()?;
                self.rule_option(word)?
            }
            "egress" => {
                self.next()?;
                self.egress()?
            }
            "outbound" | "mtls" => {
                self.next()?;
                let v = self.ident()?;
                if word == "outbound" {
                    StmtKind::Outbound(v)
                } else {
                    StmtKind::Mtls(v)
                }
            }
            "domain" | "root_namespace" => {
                self.next()?;
                let v = self.value(Tok::Str)?;
                if word == "domain" {
                    StmtKind::Domain(v)
                } else {
                    StmtKind::RootNamespace(v)
                }
            }
            "use" => {
                self.next()?;
                self.use_stmt()?
            }
            "max_requests_per_connection"
            | "max_connections"
            | "connect_timeout"
            | "max_pending"
            | "max_requests"
            | "max_retries"
            | "idle_timeout"
            | "consecutive_5xx"
            | "consecutive_gateway_errors"
            | "interval"
            | "base_time"
            | "max_percent"
            | "min_health" => {
                let key = self.ident()?;
                StmtKind::Setting {
                    key,
                    value: self.literal()?,
                }
            }
            "authenticate" => {
                self.next()?;
                self.keyword("jwt")?;
                let mut names = vec![self.ident()?];
                while self.comma()? {
                    names.push(self.ident()?);
                }
                StmtKind::Authenticate(names)
            }
            "require" => {
                self.next()?;
                self.keyword("jwt")?;
                StmtKind::RequireJwt
            }
            "allow" | "deny" | "audit" => {
                self.next()?;
                StmtKind::Policy(Box::new(self.policy(word, head)?))
            }
            // `cors` and `jwt` provider settings are rare: pest parses them.
            _ => return Err(Bail),
        };
        Ok(Stmt {
            kind,
            span: self.span(start, self.last_end),
            head,
            doc: None,
        })
    }

    fn policy(&mut self, word: &str, head: Span) -> R<Policy> {
        let action = match word {
            "allow" => PolicyAction::Allow,
            "deny" => PolicyAction::Deny,
            _ => PolicyAction::Audit,
        };
        let action = Sp::new(action, head);
        for (w, all) in [("all", true), ("nothing", false)] {
            if self.at_word(w)? {
                let t = self.next()?;
                let span = self.span(t.start, t.end);
                let body = if all {
                    PolicyBody::All(span)
                } else {
                    PolicyBody::Nothing(span)
                };
                return Ok(Policy { action, body });
            }
        }
        let (mut from, mut to, mut when) = (Vec::new(), Vec::new(), Vec::new());
        if self.eat_word("from")? {
            from.push(self.terms(Self::source_term)?);
            while self.eat_word("or")? {
                from.push(self.terms(Self::source_term)?);
            }
        }
        if self.eat_word("to")? {
            to.push(self.terms(Self::op_term)?);
            while self.eat_word("or")? {
                to.push(self.terms(Self::op_term)?);
            }
        }
        if self.eat_word("when")? {
            when.push(self.sec_condition()?);
            while self.eat_word("and")? {
                when.push(self.sec_condition()?);
            }
        }
        Ok(Policy {
            action,
            body: PolicyBody::Rule { from, to, when },
        })
    }

    /// Terms joined by `and`, each with an optional `not`.
    fn terms<T>(&mut self, term: fn(&mut Self) -> R<T>) -> R<Vec<Sp<T>>> {
        let mut out = Vec::new();
        loop {
            let start = self.peek()?.start;
            let t = term(self)?;
            out.push(Sp::new(t, self.span(start, self.last_end)));
            if !self.eat_word("and")? {
                return Ok(exact(out));
            }
        }
    }

    fn strings(&mut self) -> R<Vec<Expr>> {
        let mut v = vec![self.strict_str()?];
        while self.comma()? {
            v.push(self.strict_str()?);
        }
        Ok(exact(v))
    }

    fn source_term(&mut self) -> R<SourceTerm> {
        let negate = self.eat_word("not")?;
        let field = match self.next_word()? {
            "service" => {
                let mut v = vec![self.dotted()?];
                while self.comma()? {
                    v.push(self.dotted()?);
                }
                SourceField::Service(v)
            }
            "namespace" => {
                let mut v = vec![self.ident()?];
                while self.comma()? {
                    v.push(self.ident()?);
                }
                SourceField::Namespace(v)
            }
            "principal" => SourceField::Principal(self.strings()?),
            "jwt" => SourceField::Jwt(self.strings()?),
            "ip" => SourceField::Ip(self.strings()?),
            "remote_ip" => SourceField::RemoteIp(self.strings()?),
            "authenticated" => SourceField::Authenticated,
            _ => return Err(Bail),
        };
        Ok(SourceTerm { negate, field })
    }

    fn op_term(&mut self) -> R<OperationTerm> {
        let negate = self.eat_word("not")?;
        let field = match self.next_word()? {
            "method" => OperationField::Method(self.methods()?),
            "path" => OperationField::Path(self.strings()?),
            "host" => OperationField::Host(self.strings()?),
            "port" => {
                let mut v = vec![self.value(Tok::Int)?];
                while self.comma()? {
                    v.push(self.value(Tok::Int)?);
                }
                OperationField::Port(v)
            }
            _ => return Err(Bail),
        };
        Ok(OperationTerm { negate, field })
    }

    fn sec_condition(&mut self) -> R<Sp<SecCondition>> {
        let start = self.peek()?.start;
        let key = match self.next_word()? {
            "claim" => {
                let mut path = Vec::new();
                while self.peek()?.tok == Tok::Str {
                    let e = self.strict_str()?;
                    let ExprKind::Str(s) = e.kind else { return Err(Bail) };
                    path.push(Sp::new(s, e.span));
                }
                if path.is_empty() {
                    return Err(Bail);
                }
                CondKey::Claim(path)
            }
            "header" => CondKey::Header(self.strict_str()?),
            "source_ip" => CondKey::SourceIp,
            "remote_ip" => CondKey::RemoteIp,
            "source_namespace" => CondKey::SourceNamespace,
            "source_principal" => CondKey::SourcePrincipal,
            "audience" => CondKey::Audience,
            "presenter" => CondKey::Presenter,
            "destination_port" => CondKey::DestinationPort,
            "sni" => CondKey::Sni,
            _ => return Err(Bail),
        };
        let key = Sp::new(key, self.span(start, self.last_end));
        let op = if self.peek()?.tok == Tok::EqEq {
            self.next()?;
            CondOp::Eq(self.strict_str()?)
        } else {
            match self.next_word()? {
                "in" => CondOp::In(self.strings()?),
                "not" => {
                    self.keyword("in")?;
                    CondOp::NotIn(self.strings()?)
                }
                "contains" => CondOp::Contains(self.strict_str()?),
                _ => return Err(Bail),
            }
        };
        Ok(Sp::new(SecCondition { key, op }, self.span(start, self.last_end)))
    }

    fn sticky(&mut self) -> R<StmtKind> {
        let key = match self.next_word()? {
            "cookie" => {
                let name = self.value(Tok::Str)?;
                let (mut ttl, mut path) = (None, None);
                loop {
                    match self.peek_word()? {
                        Some("ttl") => {
                            self.next()?;
                            ttl = Some(self.value(Tok::Dur)?);
                        }
                        Some("path") => {
                            self.next()?;
                            path = Some(self.value(Tok::Str)?);
                        }
                        _ => break,
                    }
                }
                HashKey::Cookie { name, ttl, path }
            }
            "header" => HashKey::Header(self.value(Tok::Str)?),
            "query" => HashKey::Query(self.value(Tok::Str)?),
            "source_ip" => HashKey::SourceIp,
            _ => return Err(Bail),
        };
        let (mut ring, mut maglev) = (None, None);
        loop {
            match self.peek_word()? {
                Some("ring") => {
                    self.next()?;
                    ring = Some(self.value(Tok::Int)?);
                }
                Some("maglev") => {
                    self.next()?;
                    maglev = Some(self.value(Tok::Int)?);
                }
                _ => break,
            }
        }
        Ok(StmtKind::Sticky {
            key: Box::new(key),
            ring,
            maglev,
        })
    }

    fn next_word(&mut self) -> R<&'s str> {
        let t = self.next()?;
        if t.tok != Tok::Word {
            return Err(Bail);
        }
        Ok(self.text_of(t))
    }

    fn retries(&mut self) -> R<StmtKind> {
        if self.eat_word("off")? {
            return Ok(StmtKind::Retries(None));
        }
        let attempts = self.value(Tok::Int)?;
        let per_try = if self.eat_word("per_try")? {
            Some(self.value(Tok::Dur)?)
        } else {
            None
        };
        let mut on = Vec::new();
        if self.eat_word("on")? {
            on.push(self.ident()?);
            while self.comma()? {
                on.push(self.ident()?);
            }
        }
        Ok(StmtKind::Retries(Some(Box::new(Retries { attempts, per_try, on }))))
    }

    fn match_alt(&mut self) -> R<Vec<Sp<Cond>>> {
        let mut v = vec![self.condition()?];
        while self.eat_word("and")? {
            v.push(self.condition()?);
        }
        Ok(exact(v))
    }

    fn string_match(&mut self) -> R<StrMatch> {
        match self.peek_word()? {
            Some("prefix") => {
                self.next()?;
                Ok(StrMatch::Prefix(self.strict_str()?))
            }
            Some("regex") => {
                self.next()?;
                Ok(StrMatch::Regex(self.strict_str()?))
            }
            _ => Ok(StrMatch::Exact(self.strict_str()?)),
        }
    }

    /// A string literal only: a bare name here could backtrack in the PEG.
    fn strict_str(&mut self) -> R<Expr> {
        let t = self.next()?;
        if t.tok != Tok::Str {
            return Err(Bail);
        }
        self.expr_of(t)
    }

    fn value_match(&mut self) -> R<ValueMatch> {
        if self.peek()?.tok == Tok::EqEq {
            self.next()?;
            return Ok(ValueMatch::Str(StrMatch::Exact(self.strict_str()?)));
        }
        if self.eat_word("present")? {
            return Ok(ValueMatch::Present);
        }
        match self.peek_word()? {
            Some("prefix" | "regex") => Ok(ValueMatch::Str(self.string_match()?)),
            _ => Err(Bail),
        }
    }

    fn methods(&mut self) -> R<Vec<Sp<String>>> {
        let mut v = Vec::new();
        loop {
            let t = self.next()?;
            if t.tok != Tok::Upper {
                return Err(Bail);
            }
            v.push(Sp::new(self.text_of(t).to_string(), self.span(t.start, t.end)));
            if !self.comma()? {
                return Ok(exact(v));
            }
        }
    }

    fn condition(&mut self) -> R<Sp<Cond>> {
        let start = self.peek()?.start;
        let cond = match self.next_word()? {
            "path" => {
                let m = self.string_match()?;
                Cond::Path {
                    m,
                    ignore_case: self.eat_word("ignore_case")?,
                }
            }
            "not" => {
                self.keyword("header")?;
                let name = self.strict_str()?;
                let m = if matches!(self.peek()?.tok, Tok::EqEq)
                    || matches!(self.peek_word()?, Some("prefix" | "regex" | "present"))
                {
                    Some(self.value_match()?)
                } else {
                    None
                };
                Cond::NotHeader { name, m }
            }
            "header" => {
                let name = self.strict_str()?;
                Cond::Header {
                    name,
                    m: self.value_match()?,
                }
            }
            "query" => {
                let name = self.strict_str()?;
                Cond::Query {
                    name,
                    m: self.value_match()?,
                }
            }
            "method" => Cond::Method(self.methods()?),
            "host" => Cond::Host(self.strict_str()?),
            "port" => Cond::Port(self.value(Tok::Int)?),
            "sni" => Cond::Sni(self.strict_str()?),
            "from" => match self.next_word()? {
                "service" => Cond::FromService(self.dotted()?),
                "namespace" => Cond::FromNamespace(self.ident()?),
                _ => return Err(Bail),
            },
            _ => return Err(Bail),
        };
        Ok(Sp::new(cond, self.span(start, self.last_end)))
    }

    fn action(&mut self) -> R<Action> {
        let t = self.next()?;
        if t.tok != Tok::Arrow {
            return Err(Bail);
        }
        let start = t.start;
        let kind = if self.eat_word("redirect")? {
            let url = self.value(Tok::Str)?;
            let code = if self.eat_word("code")? {
                Some(self.value(Tok::Int)?)
            } else {
                None
            };
            ActionKind::Redirect { url, code }
        } else {
            let mut dests = vec![self.dest()?];
            while self.comma()? {
                dests.push(self.dest()?);
            }
            ActionKind::Route(exact(dests))
        };
        let mut options = Vec::new();
        while let Some(w) = self.peek_word()?.filter(|w| OPTION_WORDS.contains(w)) {
            let t = self.peek()?;
            let head = self.span(t.start, t.end);
            self.next()?;
            let kind = match w {
                "timeout" => StmtKind::Timeout(self.value(Tok::Dur)?),
                "retries" => self.retries()?,
                _ => self.rule_option(w)?,
            };
            options.push(Stmt {
                kind,
                span: self.span(t.start, self.last_end),
                head,
                doc: None,
            });
        }
        if let Some(b) = self.opt_block()? {
            options.extend(b);
        }
        Ok(Action {
            kind,
            options,
            span: self.span(start, self.last_end),
        })
    }

    fn dest_target(&mut self) -> R<DestTarget> {
        match self.peek_word()? {
            Some("service") => {
                self.next()?;
                let name = self.dotted()?;
                let subset = if self.at_punct(b':')? {
                    self.next()?;
                    Some(self.ident()?)
                } else {
                    None
                };
                Ok(DestTarget::Service { name, subset })
            }
            Some("external") => {
                self.next()?;
                Ok(DestTarget::External(self.dotted()?))
            }
            _ => Ok(DestTarget::Subset(self.ident()?)),
        }
    }

    fn dest(&mut self) -> R<Dest> {
        let start = self.peek()?.start;
        let target = self.dest_target()?;
        let port = if self.eat_word("port")? {
            Some(self.value(Tok::Int)?)
        } else {
            None
        };
        let t = self.peek()?;
        let weight = match t.tok {
            Tok::Pct => Some(Weight::Percent(self.literal()?)),
            Tok::Word if self.text_of(t) == "rest" => {
                self.next()?;
                Some(Weight::Rest(self.span(t.start, t.end)))
            }
            Tok::Word if !OPTION_WORDS.contains(&self.text_of(t)) && !matches!(self.text_of(t), "and" | "or") => {
                Some(Weight::Percent(self.literal()?))
            }
            _ => None,
        };
        Ok(Dest {
            target,
            port,
            weight,
            span: self.span(start, self.last_end),
        })
    }

    fn rule_option(&mut self, word: &str) -> R<StmtKind> {
        Ok(match word {
            "rewrite" => StmtKind::Rewrite(match self.next_word()? {
                "host" => Rewrite::Host(self.value(Tok::Str)?),
                "path" if self.at_word("regex")? => {
                    self.next()?;
                    let re = self.value(Tok::Str)?;
                    Rewrite::PathRegex(re, self.value(Tok::Str)?)
                }
                "path" => Rewrite::Path(self.value(Tok::Str)?),
                _ => return Err(Bail),
            }),
            "fault" => {
                let kind = match self.next_word()? {
                    "delay" => FaultKind::Delay(self.value(Tok::Dur)?),
                    "abort" => FaultKind::Abort(self.value(Tok::Int)?),
                    _ => return Err(Bail),
                };
                let percent = if self.peek()?.tok == Tok::Pct {
                    Some(self.literal()?)
                } else {
                    None
                };
                StmtKind::Fault { kind, percent }
            }
            "mirror" => {
                let target = self.dest_target()?;
                let port = if self.eat_word("port")? {
                    Some(self.value(Tok::Int)?)
                } else {
                    None
                };
                let percent = if self.peek()?.tok == Tok::Pct {
                    Some(self.literal()?)
                } else {
                    None
                };
                StmtKind::Mirror {
                    target: Box::new(target),
                    port,
                    percent,
                }
            }
            _ => {
                let op = match self.next_word()? {
                    "set" => HeaderOp::Set,
                    "add" => HeaderOp::Add,
                    "remove" => HeaderOp::Remove,
                    _ => return Err(Bail),
                };
                self.keyword("header")?;
                let name = self.value(Tok::Str)?;
                let value = if self.peek()?.tok == Tok::Str {
                    Some(self.literal()?)
                } else {
                    None
                };
                StmtKind::Header {
                    response: word == "response",
                    op,
                    name,
                    value,
                }
            }
        })
    }

    fn egress(&mut self) -> R<StmtKind> {
        let kind = self.next_word()?;
        if kind == "auto" {
            return Ok(StmtKind::Egress(Egress::Auto));
        }
        let mut items = Vec::new();
        loop {
            if self.at_punct(b'.')? {
                let t = self.next()?;
                items.push(Sp::new(".".to_string(), self.span(t.start, t.end)));
            } else {
                items.push(self.dotted()?);
            }
            if !self.comma()? {
                break;
            }
        }
        Ok(StmtKind::Egress(match kind {
            "namespace" => Egress::Namespaces(items),
            "service" => Egress::Services(items),
            "external" => Egress::Externals(items),
            _ => return Err(Bail),
        }))
    }

    fn use_stmt(&mut self) -> R<StmtKind> {
        let path = self.dotted()?;
        let (std, name) = match path.node.strip_prefix("std.") {
            Some(n) => (
                true,
                Sp::new(
                    n.to_string(),
                    self.span(path.span.start as usize + 4, path.span.end as usize),
                ),
            ),
            None if !path.node.contains('.') => (false, path),
            None => return Err(Bail),
        };
        let mut args = Vec::new();
        if self.at_punct(b'(')? {
            self.next()?;
            self.skip_nl()?;
            if !self.at_punct(b')')? {
                loop {
                    let t = self.next()?;
                    let arg = if self.at_punct(b':')? {
                        if t.tok != Tok::Word {
                            return Err(Bail);
                        }
                        self.next()?;
                        let name = Sp::new(self.text_of(t).to_string(), self.span(t.start, t.end));
                        Arg {
                            name: Some(name),
                            value: self.literal()?,
                        }
                    } else {
                        Arg {
                            name: None,
                            value: self.expr_of(t)?,
                        }
                    };
                    args.push(arg);
                    if !self.comma()? {
                        break;
                    }
                }
            }
            self.skip_nl()?;
            self.punct(b')')?;
        }
        Ok(StmtKind::Use(Use { std, name, args }))
    }
}
