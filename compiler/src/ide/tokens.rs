//! Semantic tokens: names by what they resolve to, keywords, values,
//! numbers, strings and comments.

use super::Analysis;
use crate::fmt::lex::{tokens, Kind};
use crate::ir::RefKind;
use crate::names::vocab;
use crate::span::{FileId, Span};
use crate::syntax::ast::ItemKind;
use crate::syntax::KEYWORDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Keyword,
    Namespace,
    Service,
    Subset,
    Profile,
    Provider,
    Parameter,
    /// A fixed value: a method, a protocol, a balance algorithm, ...
    Value,
    Number,
    String,
    Comment,
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SemanticToken {
    pub span: Span,
    pub kind: TokenKind,
    /// The name is declared here.
    pub declaration: bool,
}

pub fn semantic_tokens(a: &Analysis, file: FileId) -> Vec<SemanticToken> {
    let text = a.text(file);
    let names = a.index.in_file(file);
    let params = parameters(a, file);
    let mut next_name = 0;
    let mut out = Vec::new();
    let mut prev_word = "";
    for t in tokens(text) {
        let span = Span::new(file, t.start, t.end);
        let kind = match t.kind {
            Kind::Comment => TokenKind::Comment,
            Kind::Str => TokenKind::String,
            Kind::Op => TokenKind::Operator,
            Kind::Word => {
                while next_name < names.len() && (names[next_name].0.end as usize) < t.start {
                    next_name += 1;
                }
                let word = &text[t.start..t.end];
                let name = names
                    .get(next_name)
                    .filter(|n| n.0.start as usize >= t.start && n.0.end as usize <= t.end);
                if let Some(&(n, kind, declaration)) = name {
                    split_name(&mut out, span, n, kind, declaration);
                } else if let Some(kind) = classify(word, prev_word, &params, t.start) {
                    out.push(SemanticToken {
                        span,
                        kind,
                        declaration: false,
                    });
                }
                prev_word = word;
                continue;
            }
            _ => continue,
        };
        out.push(SemanticToken {
            span,
            kind,
            declaration: false,
        });
    }
    out
}

/// A word holding a name: `std.` before it is a keyword, `.NS` after it a namespace.
fn split_name(out: &mut Vec<SemanticToken>, word: Span, name: Span, kind: RefKind, declaration: bool) {
    let plain = |span, kind| SemanticToken {
        span,
        kind,
        declaration: false,
    };
    if name.start > word.start + 1 {
        out.push(plain(
            Span {
                end: name.start - 1,
                ..word
            },
            TokenKind::Keyword,
        ));
    }
    let kind = match kind {
        RefKind::Service => TokenKind::Service,
        RefKind::Subset => TokenKind::Subset,
        RefKind::Profile => TokenKind::Profile,
        RefKind::Provider => TokenKind::Provider,
    };
    out.push(SemanticToken {
        span: name,
        kind,
        declaration,
    });
    if name.end + 1 < word.end {
        out.push(plain(
            Span {
                start: name.end + 1,
                ..word
            },
            TokenKind::Namespace,
        ));
    }
}

fn classify(word: &str, prev: &str, params: &[(Span, Vec<&str>)], at: usize) -> Option<TokenKind> {
    let first = word.bytes().next()?;
    if first.is_ascii_digit() {
        return Some(TokenKind::Number);
    }
    if first.is_ascii_uppercase() {
        return Some(TokenKind::Value);
    }
    let in_profile = params
        .iter()
        .find(|(span, _)| span.start as usize <= at && at < span.end as usize);
    if in_profile.is_some_and(|(_, names)| names.contains(&word)) {
        return Some(TokenKind::Parameter);
    }
    if prev == "namespace" {
        return Some(TokenKind::Namespace);
    }
    if KEYWORDS.contains(&word) {
        return Some(TokenKind::Keyword);
    }
    let values = [
        &vocab::BALANCES[..],
        &vocab::TLS_MODES,
        &vocab::MTLS_MODES,
        &vocab::OUTBOUND_MODES,
        &vocab::RESOLUTIONS,
    ];
    let protocol = crate::ir::Protocol::ALL.iter().any(|p| p.0 == word);
    let retry = vocab::RETRY_ON.iter().any(|t| vocab::language_retry_name(t) == word);
    (protocol || retry || values.iter().any(|v| v.contains(&word))).then_some(TokenKind::Value)
}

/// Each profile of the file and the names of its parameters.
fn parameters(a: &Analysis, file: FileId) -> Vec<(Span, Vec<&str>)> {
    let Some(m) = a.compilation.modules.get(file as usize) else {
        return Vec::new();
    };
    m.items
        .iter()
        .filter_map(|i| match &i.kind {
            ItemKind::Profile(p) => Some((i.span, p.params.iter().map(|p| p.name.node.as_str()).collect())),
            _ => None,
        })
        .collect()
}
