//! meshc: the mesh policy language compiler. Pure: no I/O, no global state.
//!
//! Pipeline: [`syntax`] (parse) -> [`names`] (resolve, expand profiles, build
//! the [`ir`]) -> [`check`] (diagnostics over the IR) -> [`backend`] (lower and emit).

// pest_derive without `std` (no per-rule stack probing: see syntax::prescan::MAX_DEPTH) names `alloc`.
extern crate alloc;

pub mod backend;
pub mod check;
pub mod diag;
pub mod fmt;
pub mod ide;
pub mod ir;
pub mod names;
pub mod report;
pub mod span;
pub mod stdlib;
pub mod syntax;

use backend::Object;
use diag::Diagnostic;
pub use span::SourceFile;

/// A checked program: its files (user files, then the stdlib), the mesh
/// model and every diagnostic, sorted.
pub struct Compilation {
    pub files: Vec<SourceFile>,
    /// The syntax tree of each file, in `files` order (the IDE layer reads it).
    pub modules: Vec<syntax::ast::Module>,
    pub mesh: ir::Mesh,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses, resolves and checks a program. Never panics, whatever the input.
/// Files are taken in path order, so the caller's order does not matter.
pub fn check(mut files: Vec<SourceFile>) -> Compilation {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for f in &mut files {
        // A byte-order mark is not part of the program; blanks keep every offset.
        if f.text.starts_with('\u{feff}') {
            f.text.replace_range(..3, "   ");
        }
    }
    let user = files.len();
    for (name, text) in stdlib::FILES {
        files.push(SourceFile {
            path: format!("<std>/{name}"),
            text: text.to_string(),
        });
    }
    let mut diagnostics = Vec::new();
    let mut modules = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        let (m, d) = syntax::parse_file(i as span::FileId, &f.text);
        modules.push(m);
        diagnostics.extend(d);
    }
    let (mesh, d) = names::elaborate(&names::Input {
        modules: &modules[..user],
        stdlib: &modules[user..],
    });
    diagnostics.extend(d);
    check::run(&mesh, &mut diagnostics);
    diag::sort(&mut diagnostics);
    Compilation {
        files,
        modules,
        mesh,
        diagnostics,
    }
}

/// Istio objects of a program without errors; `None` if it has any.
pub fn lower_istio(c: &Compilation) -> Option<Vec<Object>> {
    if c.has_errors() {
        return None;
    }
    Some(backend::istio::lower(&c.mesh, &backend::istio::Sources::new(&c.files)))
}

/// Like [`lower_istio`], handing each object to `emit` in output order as
/// soon as its namespace is lowered; false (and nothing emitted) on errors.
pub fn lower_istio_each(c: &Compilation, emit: impl FnMut(Object)) -> bool {
    if c.has_errors() {
        return false;
    }
    backend::istio::lower_each(&c.mesh, &backend::istio::Sources::new(&c.files), emit);
    true
}

/// Envoy bootstraps of a program without errors, one per proxy: the service
/// `proxy` (namespace, name) or, with `None`, every service. Each is
/// (`<namespace>/<service>.json`, JSON). `Err` holds the reasons a proxy
/// cannot be expressed (empty if the program itself has errors); nothing is
/// returned for a name that is not a service (see [`backend::xds::proxies`]).
/// Workload certificates are referenced under `certs_dir`.
pub fn lower_xds(
    c: &Compilation,
    proxy: Option<(&str, &str)>,
    certs_dir: &str,
) -> Result<Vec<(String, String)>, Vec<Diagnostic>> {
    if c.has_errors() {
        return Err(Vec::new());
    }
    backend::xds::lower(&c.mesh, proxy, certs_dir)
}
