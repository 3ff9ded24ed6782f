//! `meshc lsp`: the language server. The features live in the compiler's
//! protocol-free IDE layer (`meshc_compiler::ide`); this crate keeps the
//! open documents, converts LSP positions (UTF-16) to byte offsets and back,
//! and speaks JSON-RPC over stdio through `tower-lsp-server`.

mod convert;
mod lines;
mod server;
mod state;

use tower_lsp_server::{LspService, Server};

/// Serves LSP on stdin/stdout until the client says `exit`.
pub fn run() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let (service, socket) = LspService::build(server::Backend::new)
            .custom_method("meshc/preview", server::Backend::preview)
            .finish();
        Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
            .serve(service)
            .await;
    });
    Ok(())
}
