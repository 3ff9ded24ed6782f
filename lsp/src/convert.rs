//! The IDE layer's answers as LSP types.

use std::collections::HashMap;

use meshc_compiler::diag::{self, Severity};
use meshc_compiler::ide::{self, CompletionKind, SymbolKind, TokenKind};
use meshc_compiler::span::{FileId, Span};
use tower_lsp_server::ls_types as lsp;

use crate::lines::Lines;
use crate::state::Program;

/// The LSP range of a span, in the program's file it points at.
pub fn range(program: &Program, span: Span) -> lsp::Range {
    let text = program.analysis.text(span.file);
    Lines::new(text).range(span.start as usize, span.end as usize)
}

pub fn location(program: &Program, span: Span) -> Option<lsp::Location> {
    Some(lsp::Location::new(
        program.uri(span.file)?.clone(),
        range(program, span),
    ))
}

/// The diagnostics of one file, with labels in other files of the program as related information.
pub fn diagnostics(program: &Program, file: FileId) -> Vec<lsp::Diagnostic> {
    let c = &program.analysis.compilation;
    let lines = Lines::new(program.analysis.text(file));
    c.diagnostics
        .iter()
        .filter(|d| d.span.file == file)
        .map(|d| diagnostic(program, &lines, d))
        .collect()
}

pub fn diagnostic(program: &Program, lines: &Lines, d: &diag::Diagnostic) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if !d.label.is_empty() {
        message = format!("{message}: {}", d.label);
    }
    if let Some(h) = &d.help {
        message = format!("{message}\nhelp: {h}");
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            Some(lsp::DiagnosticRelatedInformation {
                location: location(program, l.span)?,
                message: l.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: lines.range(d.span.start as usize, d.span.end as usize),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.to_string())),
        source: Some("meshc".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

pub fn completion(lines: &Lines, c: ide::Completion) -> lsp::CompletionItem {
    let kind = match c.kind {
        CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        CompletionKind::Service | CompletionKind::External => lsp::CompletionItemKind::CLASS,
        CompletionKind::Subset => lsp::CompletionItemKind::FIELD,
        CompletionKind::Profile => lsp::CompletionItemKind::FUNCTION,
        CompletionKind::Provider => lsp::CompletionItemKind::INTERFACE,
        CompletionKind::Namespace => lsp::CompletionItemKind::MODULE,
        CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
    };
    let range = lines.range(c.replace.start as usize, c.replace.end as usize);
    lsp::CompletionItem {
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
            range,
            c.label.clone(),
        ))),
        label: c.label,
        kind: Some(kind),
        detail: c.detail,
        ..Default::default()
    }
}

/// Edits grouped by document.
pub fn workspace_edit(program: &Program, edits: &[ide::TextEdit]) -> lsp::WorkspaceEdit {
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for e in edits {
        if let Some(uri) = program.uri(e.span.file) {
            changes
                .entry(uri.clone())
                .or_default()
                .push(lsp::TextEdit::new(range(program, e.span), e.text.clone()));
        }
    }
    lsp::WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be written.
pub fn symbol(lines: &Lines, s: ide::Symbol) -> lsp::DocumentSymbol {
    let kind = match s.kind {
        SymbolKind::Mesh => lsp::SymbolKind::MODULE,
        SymbolKind::Namespace => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Service | SymbolKind::External => lsp::SymbolKind::CLASS,
        SymbolKind::Port => lsp::SymbolKind::PROPERTY,
        SymbolKind::Subset => lsp::SymbolKind::FIELD,
        SymbolKind::Route => lsp::SymbolKind::OBJECT,
        SymbolKind::Profile => lsp::SymbolKind::FUNCTION,
        SymbolKind::Provider => lsp::SymbolKind::INTERFACE,
        SymbolKind::Import => lsp::SymbolKind::PACKAGE,
    };
    let children: Vec<lsp::DocumentSymbol> = s.children.into_iter().map(|c| symbol(lines, c)).collect();
    lsp::DocumentSymbol {
        name: s.name,
        detail: s.detail,
        kind,
        tags: None,
        deprecated: None,
        range: lines.range(s.span.start as usize, s.span.end as usize),
        selection_range: lines.range(s.selection.start as usize, s.selection.end as usize),
        children: (!children.is_empty()).then_some(children),
    }
}

/// The token types, in the order of [`token_type`].
pub fn legend() -> lsp::SemanticTokensLegend {
    use lsp::SemanticTokenType as T;
    lsp::SemanticTokensLegend {
        token_types: vec![
            T::KEYWORD,
            T::NAMESPACE,
            T::CLASS,
            T::PROPERTY,
            T::FUNCTION,
            T::INTERFACE,
            T::PARAMETER,
            T::ENUM_MEMBER,
            T::NUMBER,
            T::STRING,
            T::COMMENT,
            T::OPERATOR,
        ],
        token_modifiers: vec![lsp::SemanticTokenModifier::DECLARATION],
    }
}

fn token_type(k: TokenKind) -> u32 {
    match k {
        TokenKind::Keyword => 0,
        TokenKind::Namespace => 1,
        TokenKind::Service => 2,
        TokenKind::Subset => 3,
        TokenKind::Profile => 4,
        TokenKind::Provider => 5,
        TokenKind::Parameter => 6,
        TokenKind::Value => 7,
        TokenKind::Number => 8,
        TokenKind::String => 9,
        TokenKind::Comment => 10,
        TokenKind::Operator => 11,
    }
}

/// Delta-encoded tokens (a token over several lines is left out).
pub fn tokens(lines: &Lines, toks: &[ide::SemanticToken]) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(toks.len());
    let (mut line, mut col) = (0, 0);
    for t in toks {
        let (s, e) = (t.span.start as usize, t.span.end as usize);
        let p = lines.position(s);
        if lines.position(e).line != p.line {
            continue;
        }
        let delta_line = p.line - line;
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start: if delta_line == 0 {
                p.character - col
            } else {
                p.character
            },
            length: lines.utf16_len(s, e),
            token_type: token_type(t.kind),
            token_modifiers_bitset: u32::from(t.declaration),
        });
        (line, col) = (p.line, p.character);
    }
    out
}

pub fn fold(lines: &Lines, f: ide::Fold) -> lsp::FoldingRange {
    let (s, e) = (lines.position(f.start as usize), lines.position(f.end as usize));
    lsp::FoldingRange {
        start_line: s.line,
        start_character: None,
        // The closing line stays visible.
        end_line: if f.comment {
            e.line
        } else {
            e.line.saturating_sub(1).max(s.line)
        },
        end_character: None,
        kind: Some(if f.comment {
            lsp::FoldingRangeKind::Comment
        } else {
            lsp::FoldingRangeKind::Region
        }),
        collapsed_text: None,
    }
}

pub fn action(program: &Program, lines: &Lines, a: ide::CodeAction) -> lsp::CodeActionOrCommand {
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: a.title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic(program, lines, &a.fixes)]),
        edit: Some(workspace_edit(program, &a.edits)),
        is_preferred: Some(a.preferred),
        ..Default::default()
    })
}
