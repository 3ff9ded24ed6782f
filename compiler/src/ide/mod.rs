//! The IDE layer: editor features over a checked program, like
//! rust-analyzer's `ide` crate. Protocol-free: positions are byte offsets in
//! a file of the [`Compilation`], answers are plain data. An LSP server (or
//! any other front end) converts positions and shapes the answers.
//!
//! Names are never resolved here again: definitions come from the IR and the
//! syntax trees, uses from the name stage's table (`Mesh::references`).

mod actions;
mod after;
mod complete;
mod context;
mod hover;
mod index;
mod keywords;
mod navigate;
mod outline;
mod tokens;

#[cfg(test)]
mod tests;

pub use actions::CodeAction;
pub use complete::{Completion, CompletionKind};
pub use hover::Hover;
pub use outline::{Fold, Symbol, SymbolKind};
pub use tokens::{SemanticToken, TokenKind};

use crate::span::{FileId, SourceFile, Span};
use crate::Compilation;

/// Replace `span` by `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub text: String,
}

/// A checked program and what the features need to answer quickly.
pub struct Analysis {
    pub compilation: Compilation,
    index: index::Index,
}

impl Analysis {
    /// Checks the program. Never panics, whatever the input.
    pub fn new(files: Vec<SourceFile>) -> Analysis {
        Analysis::from_compilation(crate::check(files))
    }

    pub fn from_compilation(compilation: Compilation) -> Analysis {
        let index = index::Index::new(&compilation);
        Analysis { compilation, index }
    }

    /// The file of this path (user files only; the stdlib has `<std>/` paths).
    pub fn file(&self, path: &str) -> Option<FileId> {
        self.compilation
            .files
            .iter()
            .position(|f| f.path == path)
            .map(|i| i as FileId)
    }

    /// Whether a file is the program's own (not the embedded stdlib).
    pub fn is_user_file(&self, file: FileId) -> bool {
        self.compilation
            .files
            .get(file as usize)
            .is_some_and(|f| !f.path.starts_with("<std>/"))
    }

    pub fn text(&self, file: FileId) -> &str {
        self.compilation
            .files
            .get(file as usize)
            .map_or("", |f| f.text.as_str())
    }

    /// Whether the file parsed without syntax errors.
    pub fn parses(&self, file: FileId) -> bool {
        !self
            .compilation
            .diagnostics
            .iter()
            .any(|d| d.span.file == file && matches!(d.code, "E0001" | "E0002"))
    }

    pub fn hover(&self, file: FileId, offset: usize) -> Option<Hover> {
        hover::hover(self, file, offset)
    }

    /// Completions at `offset`. `stale` is an earlier analysis of the same
    /// program (say, the last one whose files all parsed): names the current
    /// text lost to a syntax error are still offered from it.
    pub fn completions(&self, file: FileId, offset: usize, stale: Option<&Analysis>) -> Vec<Completion> {
        complete::completions(self, file, offset, stale)
    }

    /// Where the name at `offset` is declared.
    pub fn definition(&self, file: FileId, offset: usize) -> Option<Span> {
        navigate::definition(self, file, offset)
    }

    /// Every place the name at `offset` is used, and with `declaration` where it is declared.
    pub fn references(&self, file: FileId, offset: usize, declaration: bool) -> Vec<Span> {
        navigate::references(self, file, offset, declaration)
    }

    /// The name a rename at `offset` would change, or why it cannot.
    pub fn prepare_rename(&self, file: FileId, offset: usize) -> Result<Span, String> {
        navigate::prepare_rename(self, file, offset)
    }

    /// The edits that rename the name at `offset` everywhere, or why not.
    pub fn rename(&self, file: FileId, offset: usize, new_name: &str) -> Result<Vec<TextEdit>, String> {
        navigate::rename(self, file, offset, new_name)
    }

    pub fn document_symbols(&self, file: FileId) -> Vec<Symbol> {
        outline::symbols(self, file)
    }

    pub fn folding_ranges(&self, file: FileId) -> Vec<Fold> {
        outline::folds(self.text(file))
    }

    pub fn semantic_tokens(&self, file: FileId) -> Vec<SemanticToken> {
        tokens::semantic_tokens(self, file)
    }

    /// Quick fixes for the diagnostics that touch `span`.
    pub fn code_actions(&self, span: Span) -> Vec<CodeAction> {
        actions::code_actions(self, span)
    }
}
