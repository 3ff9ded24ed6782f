//! The LSP front end: converts positions, asks the IDE layer, converts the
//! answer. Every handler's work runs under `guard`, so a panic becomes an
//! error response (or a log message) and the server goes on.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, MutexGuard};

use meshc_compiler::fmt::{format, FormatError};
use meshc_compiler::span::Span;
use serde::{Deserialize, Serialize};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::convert;
use crate::state::{Key, Query, State};

pub struct Backend {
    client: Client,
    state: Mutex<State>,
    /// What each document was last sent, so unchanged diagnostics are not sent again.
    published: Mutex<HashMap<Uri, Vec<Diagnostic>>>,
}

/// Runs `f`; a panic becomes an internal error.
fn guard<T>(f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|e| {
        let why = e
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| e.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Error {
            code: ErrorCode::InternalError,
            message: format!("meshc: internal error: {why}").into(),
            data: None,
        }
    })
}

/// A request that cannot be answered, with the reason for the user.
fn failed(message: String) -> Error {
    Error {
        code: ErrorCode::ServerError(-32803),
        message: message.into(),
        data: None,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewParams {
    pub text_document: TextDocumentIdentifier,
}

/// `meshc/preview`: the program's Istio YAML, or `null` and the number of errors.
#[derive(Debug, Serialize)]
pub struct Preview {
    pub yaml: Option<String>,
    pub errors: usize,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Mutex::new(State::default()),
            published: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `f` on the analysis of the document, if it has one.
    fn with<T>(&self, doc: &TextDocumentIdentifier, f: impl FnOnce(&Query) -> Option<T>) -> Result<Option<T>> {
        guard(|| {
            let state = lock(&self.state);
            state.query(&doc.uri).and_then(|q| f(&q))
        })
    }

    fn at<T>(&self, p: &TextDocumentPositionParams, f: impl FnOnce(&Query, usize) -> Option<T>) -> Result<Option<T>> {
        self.with(&p.text_document, |q| f(q, q.lines().offset(p.position)))
    }

    /// Re-analyses a program and sends the diagnostics that changed.
    async fn refresh(&self, key: Key, reread: bool) {
        let updates = guard(|| {
            let mut state = lock(&self.state);
            let old = state.refresh(&key, reread);
            let mut out = Vec::new();
            if let Some(program) = state.program(&key) {
                for (name, uri) in &program.uris {
                    if let Some(file) = program.analysis.file(name) {
                        out.push((uri.clone(), convert::diagnostics(program, file)));
                    }
                }
            }
            (out, old)
        });
        match updates {
            Ok((updates, old)) => {
                // Freeing a large analysis is slow: not before the diagnostics.
                if let Some(old) = old {
                    std::thread::spawn(move || drop(old));
                }
                self.publish(updates).await
            }
            Err(e) => self.client.log_message(MessageType::ERROR, e.message).await,
        }
    }

    async fn publish(&self, updates: Vec<(Uri, Vec<Diagnostic>)>) {
        let mut changed = Vec::new();
        {
            let mut published = lock(&self.published);
            for (uri, d) in updates {
                if published.get(&uri) != Some(&d) {
                    published.insert(uri.clone(), d.clone());
                    changed.push((uri, d));
                }
            }
        }
        for (uri, d) in changed {
            self.client.publish_diagnostics(uri, d, None).await;
        }
    }

    pub async fn preview(&self, params: PreviewParams) -> Result<Preview> {
        let preview = self.with(&params.text_document, |q| {
            let c = &q.analysis().compilation;
            let errors = c.diagnostics.iter().filter(|d| d.is_error()).count();
            let yaml = meshc_compiler::lower_istio(c)
                .map(|objects| objects.iter().map(|o| format!("---\n{}", o.yaml)).collect::<String>());
            Some(Preview { yaml, errors })
        })?;
        preview.ok_or_else(|| failed("the document is not open".into()))
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, _: InitializeParams) -> Result<InitializeResult> {
        let capabilities = ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            })),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".into(), ":".into()]),
                ..Default::default()
            }),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: Default::default(),
            })),
            document_formatting_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
                SemanticTokensOptions {
                    legend: convert::legend(),
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: Default::default(),
                },
            )),
            folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
            code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..Default::default()
            })),
            ..Default::default()
        };
        Ok(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: "meshc".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            ..Default::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let key = crate::state::key_of(&doc.uri);
        // Store the text before anything can fail; the analysis follows.
        let _ = guard(|| lock(&self.state).open(doc.uri, doc.text));
        self.refresh(key, false).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let key = guard(|| lock(&self.state).change(&uri, params.content_changes));
        if let Ok(Some(key)) = key {
            self.refresh(key, false).await;
        }
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.refresh(crate::state::key_of(&params.text_document.uri), true)
            .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let dropped = guard(|| {
            let mut state = lock(&self.state);
            let key = state.close(&uri);
            if state.has_open(&key) {
                return (key, None);
            }
            let uris = state
                .drop_program(&key)
                .map(|p| p.uris.into_values().collect::<Vec<_>>());
            (key, Some(uris.unwrap_or_default()))
        });
        match dropped {
            Ok((key, None)) => self.refresh(key, true).await,
            Ok((_, Some(uris))) => self.publish(uris.into_iter().map(|u| (u, Vec::new())).collect()).await,
            Err(_) => {}
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.at(&params.text_document_position_params, |q, offset| {
            let h = q.analysis().hover(q.file, offset)?;
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: h.markdown,
                }),
                range: Some(q.lines().range(h.span.start as usize, h.span.end as usize)),
            })
        })
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.at(&params.text_document_position, |q, offset| {
            let stale = q.program.last_good.as_deref();
            let lines = q.lines();
            let items = q.analysis().completions(q.file, offset, stale);
            let items = items.into_iter().map(|c| convert::completion(&lines, c)).collect();
            Some(CompletionResponse::Array(items))
        })
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        self.at(&params.text_document_position_params, |q, offset| {
            let target = q.analysis().definition(q.file, offset)?;
            convert::location(q.program, target).map(GotoDefinitionResponse::Scalar)
        })
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let declaration = params.context.include_declaration;
        self.at(&params.text_document_position, |q, offset| {
            let spans = q.analysis().references(q.file, offset, declaration);
            Some(
                spans
                    .into_iter()
                    .filter_map(|s| convert::location(q.program, s))
                    .collect(),
            )
        })
    }

    async fn prepare_rename(&self, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        self.at(&params, |q, offset| {
            let r = q.analysis().prepare_rename(q.file, offset);
            Some(r.map(|s| PrepareRenameResponse::Range(convert::range(q.program, s))))
        })?
        .transpose()
        .map_err(failed)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let new_name = params.new_name;
        self.at(&params.text_document_position, |q, offset| {
            let edits = q.analysis().rename(q.file, offset, &new_name);
            Some(edits.map(|e| convert::workspace_edit(q.program, &e)))
        })?
        .transpose()
        .map_err(failed)
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let result = self.with(&params.text_document, |q| {
            let text = q.text();
            Some(match format(text) {
                Ok(out) if out == text => Ok(Some(Vec::new())),
                Ok(out) => Ok(Some(vec![TextEdit::new(q.lines().range(0, text.len()), out)])),
                // Nothing to do until it parses; the diagnostics say why.
                Err(FormatError::Syntax(_)) => Ok(None),
                Err(e) => Err(failed(e.to_string())),
            })
        })?;
        result.unwrap_or(Ok(None))
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        self.with(&params.text_document, |q| {
            let lines = q.lines();
            let symbols = q.analysis().document_symbols(q.file);
            let symbols = symbols.into_iter().map(|s| convert::symbol(&lines, s)).collect();
            Some(DocumentSymbolResponse::Nested(symbols))
        })
    }

    async fn semantic_tokens_full(&self, params: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        self.with(&params.text_document, |q| {
            let data = convert::tokens(&q.lines(), &q.analysis().semantic_tokens(q.file));
            Some(SemanticTokensResult::Tokens(SemanticTokens { result_id: None, data }))
        })
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.with(&params.text_document, |q| {
            let lines = q.lines();
            Some(
                q.analysis()
                    .folding_ranges(q.file)
                    .into_iter()
                    .map(|f| convert::fold(&lines, f))
                    .collect(),
            )
        })
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.with(&params.text_document, |q| {
            let lines = q.lines();
            let r = lines.span(params.range);
            let actions = q.analysis().code_actions(Span::new(q.file, r.start, r.end));
            Some(
                actions
                    .into_iter()
                    .map(|a| convert::action(q.program, &lines, a))
                    .collect(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_response_and_the_state_stays_usable() {
        let state = Mutex::new(State::default());
        let r: Result<()> = guard(|| {
            let _held = lock(&state);
            panic!("boom");
        });
        let e = r.expect_err("the panic is caught");
        assert_eq!(e.code, ErrorCode::InternalError);
        assert!(e.message.contains("boom"), "{}", e.message);
        // The lock was poisoned by the panic; it is still usable.
        assert!(lock(&state).query(&"file:///x.mesh".parse().unwrap()).is_none());
    }
}
