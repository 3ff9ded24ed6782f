//! Stage 2: names. Gathers declarations from every file, expands profiles,
//! resolves references and builds the IR. Reports unknown and duplicate
//! names, type errors and statements in the wrong place.

mod env;
mod expand;
mod mesh;
mod policy;
mod routes;
mod scope;
mod security;
mod service;
pub mod vocab;

use std::collections::{BTreeMap, HashMap};

use crate::diag::{suggestion, Diagnostic};
use crate::ir;
use crate::span::{Sp, Span};
use crate::syntax::ast::{Item, ItemKind, Module, Profile, Stmt};
pub use expand::{allowed, Ctx};

/// A parsed stdlib file's profiles are looked up by `use std.NAME`.
pub struct Input<'a> {
    pub modules: &'a [Module],
    pub stdlib: &'a [Module],
}

pub(crate) struct Elab<'a> {
    pub diags: Vec<Diagnostic>,
    pub values: ir::Values,
    pub profiles: HashMap<&'a str, &'a Profile>,
    pub std_profiles: BTreeMap<&'a str, &'a Profile>,
    pub domain: String,
    pub providers: BTreeMap<String, ir::JwtProvider>,
    /// Mesh-level `allow`/`deny`/`audit`, resolved with the namespaces' rules.
    pub mesh_rules: service::Stmts<'a>,
    pub refs: Vec<ir::Reference>,
}

/// One `namespace NAME { }` declaration; a namespace may be split over files.
type NamespacePart<'a> = (&'a Sp<String>, &'a [Stmt]);

/// Builds the mesh model. Diagnostics are returned alongside; the model is
/// complete for every declaration that elaborated without error.
pub fn elaborate(input: &Input) -> (ir::Mesh, Vec<Diagnostic>) {
    let mut el = Elab {
        diags: Vec::new(),
        values: ir::Values::default(),
        profiles: HashMap::new(),
        std_profiles: BTreeMap::new(),
        domain: "cluster.local".into(),
        providers: BTreeMap::new(),
        mesh_rules: Vec::new(),
        refs: Vec::new(),
    };
    for m in input.stdlib {
        for item in &m.items {
            if let ItemKind::Profile(p) = &item.kind {
                el.std_profiles.insert(p.name.node.as_str(), p);
            }
        }
    }
    let items: Vec<&Item> = input.modules.iter().flat_map(|m| &m.items).collect();
    let mut meshes: Vec<(&Item, &[Stmt])> = Vec::new();
    let mut namespaces: BTreeMap<&str, Vec<NamespacePart>> = BTreeMap::new();
    let mut seen_profiles: HashMap<&str, Span> = HashMap::new();
    let mut imports = Vec::new();
    for item in &items {
        match &item.kind {
            ItemKind::Mesh(body) => meshes.push((item, body)),
            ItemKind::Namespace { name, members } => {
                namespaces.entry(name.node.as_str()).or_default().push((name, members))
            }
            ItemKind::Profile(p) => {
                if let Some(first) = seen_profiles.get(p.name.node.as_str()) {
                    el.duplicate("profile", &p.name, *first);
                } else {
                    seen_profiles.insert(&p.name.node, p.name.span);
                    el.profiles.insert(&p.name.node, p);
                }
            }
            ItemKind::Import(name) => imports.push(name),
            ItemKind::Jwt { name, body } => {
                if let Some(first) = el.providers.get(name.node.as_str()).map(|p| p.name.span) {
                    el.duplicate("JWT provider", name, first);
                } else {
                    let p = el.provider(name, body, item.span);
                    el.providers.insert(name.node.clone(), p);
                }
            }
        }
    }
    // After all user profiles, so a clash is reported whatever the file order.
    for name in imports {
        el.import(name);
    }
    let mut mesh = ir::Mesh {
        domain: "cluster.local".into(),
        root_namespace: "istio-system".into(),
        ..ir::Mesh::default()
    };
    for (i, (item, body)) in meshes.iter().enumerate() {
        if i > 0 {
            el.diags.push(
                Diagnostic::error("E0102", item.span, "the `mesh` block is declared twice")
                    .with_label("second `mesh` block")
                    .with_secondary(meshes[0].0.span, "first declared here")
                    .with_help("merge the settings into one `mesh { }` block"),
            );
            continue;
        }
        mesh.span = Some(item.span);
        el.mesh_block(body, &mut mesh);
    }
    el.domain = mesh.domain.clone();
    let mut pending = Vec::new();
    for (name, parts) in &namespaces {
        let ns = el.namespace(mesh.namespaces.len(), name, parts, &mut pending);
        mesh.namespaces.push(ns);
    }
    routes::resolve_all(&mut el, &mut mesh, pending);
    mesh.providers = std::mem::take(&mut el.providers).into_values().collect();
    mesh.values = std::mem::take(&mut el.values);
    el.refs.sort();
    el.refs.dedup();
    mesh.references = el.refs;
    (mesh, el.diags)
}

impl<'a> Elab<'a> {
    /// Records that `site` (a name as written, or `NAME.NS`) resolved to the declaration named at `target`.
    pub fn refer(&mut self, kind: ir::RefKind, site: &Sp<String>, target: Span) {
        let mut site_span = site.span;
        if let Some((name, _)) = site.node.split_once('.') {
            site_span.end = site_span.start + name.len() as u32;
        }
        self.refs.push(ir::Reference {
            site: site_span,
            target,
            kind,
        });
    }

    pub fn duplicate(&mut self, what: &str, name: &Sp<String>, first: Span) {
        self.diags.push(
            Diagnostic::error("E0102", name.span, format!("{what} `{}` is declared twice", name.node))
                .with_label("declared again here")
                .with_secondary(first, "first declared here")
                .with_help(format!("rename one of them or merge the two {what} declarations")),
        );
    }

    pub fn unknown(&mut self, what: &str, name: &Sp<String>, candidates: Vec<&str>) {
        let mut d = Diagnostic::error("E0101", name.span, format!("unknown {what} `{}`", name.node))
            .with_label(format!("no {what} of this name"));
        d = match suggestion(&name.node, candidates.iter().copied()) {
            Some(s) => d.with_help(s),
            None if candidates.is_empty() => d.with_help(format!("declare the {what} first")),
            None => d.with_help(format!("known: {}", backticked(&candidates))),
        };
        self.diags.push(d);
    }

    fn import(&mut self, name: &Sp<String>) {
        match self.std_profiles.get(name.node.as_str()).copied() {
            Some(p) => {
                self.refer(ir::RefKind::Profile, name, p.name.span);
                if let Some(user) = self.profiles.get(name.node.as_str()) {
                    self.diags.push(
                        Diagnostic::error(
                            "E0102",
                            name.span,
                            format!("`use std.{0}` clashes with the profile `{0}` declared here", name.node),
                        )
                        .with_label("imports a second profile of this name")
                        .with_secondary(user.name.span, "declared here")
                        .with_help(format!(
                            "rename your profile, or use the standard one directly as `use std.{}(...)`",
                            name.node
                        )),
                    );
                } else {
                    self.profiles.insert(p.name.node.as_str(), p);
                }
            }
            None => {
                let c: Vec<&str> = self.std_profiles.keys().copied().collect();
                self.unknown("standard-library profile", name, c);
            }
        }
    }
}

pub fn backticked(items: &[&str]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}
