//! Istio target: networking.istio.io/v1 objects from the IR.

mod destination_rule;
mod security;
mod service_entry;
mod sidecar;
mod virtual_service;

use super::yaml::Yaml;
use super::Object;
use crate::ir::Mesh;
use crate::span::{LineIndex, SourceFile, Span};

/// Where each object came from, for the `meshc.dev/source` annotation.
pub struct Sources<'a> {
    files: &'a [SourceFile],
    lines: Vec<LineIndex>,
}

impl Sources<'_> {
    pub fn new(files: &[SourceFile]) -> Sources<'_> {
        Sources {
            files,
            lines: files.iter().map(|f| LineIndex::new(&f.text)).collect(),
        }
    }

    pub fn location(&self, span: Span) -> String {
        match (self.files.get(span.file as usize), self.lines.get(span.file as usize)) {
            (Some(f), Some(l)) => format!("{}:{}", f.path, l.line(span.start)),
            _ => "<unknown>".into(),
        }
    }
}

/// Kinds in output order within a namespace.
const KIND_ORDER: [&str; 7] = [
    "PeerAuthentication",
    "RequestAuthentication",
    "AuthorizationPolicy",
    "ServiceEntry",
    "DestinationRule",
    "VirtualService",
    "Sidecar",
];

/// Every Istio object of the program, sorted by namespace, kind and name.
pub fn lower(mesh: &Mesh, sources: &Sources) -> Vec<Object> {
    let mut objects = Vec::new();
    lower_each(mesh, sources, |o| objects.push(o));
    objects
}

/// The same objects in the same order, handed over one namespace at a time,
/// so a caller that writes them out never holds the whole output.
pub fn lower_each(mesh: &Mesh, sources: &Sources, mut emit: impl FnMut(Object)) {
    // Mesh-level objects live in the root namespace, which may also be declared.
    let root_declared = mesh.namespaces.iter().any(|n| n.name.node == mesh.root_namespace);
    let mut mesh_objects = Vec::new();
    sidecar::mesh_default(mesh, sources, &mut mesh_objects);
    security::lower(mesh, &mesh.security, &security::Scope::Mesh, sources, &mut mesh_objects);
    let mut pending_root = Some(mesh_objects);
    for ns in &mesh.namespaces {
        if !root_declared && ns.name.node > mesh.root_namespace {
            if let Some(root) = pending_root.take() {
                flush(root, &mut emit);
            }
        }
        let mut objects = Vec::new();
        if ns.name.node == mesh.root_namespace {
            objects.extend(pending_root.take().unwrap_or_default());
        }
        security::lower(
            mesh,
            &ns.security,
            &security::Scope::Namespace(&ns.name.node),
            sources,
            &mut objects,
        );
        for svc in &ns.services {
            security::lower(
                mesh,
                &svc.security,
                &security::Scope::Service(svc),
                sources,
                &mut objects,
            );
            service_entry::lower(svc, sources, &mut objects);
            destination_rule::lower(svc, sources, &mut objects);
            virtual_service::lower(mesh, svc, sources, &mut objects);
        }
        sidecar::lower(mesh, ns, sources, &mut objects);
        flush(objects, &mut emit);
    }
    if let Some(root) = pending_root {
        flush(root, &mut emit);
    }
}

/// One namespace's objects, by kind then name.
fn flush(mut objects: Vec<Object>, emit: &mut impl FnMut(Object)) {
    let rank = |k: &str| KIND_ORDER.iter().position(|x| *x == k).unwrap_or(KIND_ORDER.len());
    objects.sort_by(|a, b| (rank(a.kind), &a.name).cmp(&(rank(b.kind), &b.name)));
    for o in objects {
        emit(o);
    }
}

/// Writes `apiVersion`, `kind` and `metadata`, leaving the writer at top level.
fn header(y: &mut Yaml, kind: &str, name: &str, namespace: &str, source: &str) {
    let group = match kind {
        "PeerAuthentication" | "RequestAuthentication" | "AuthorizationPolicy" => "security.istio.io/v1",
        _ => "networking.istio.io/v1",
    };
    y.str("apiVersion", group);
    y.str("kind", kind);
    y.open("metadata");
    y.str("name", name);
    y.str("namespace", namespace);
    y.open("annotations");
    y.str("meshc.dev/source", source);
    y.close();
    y.close();
}

fn object(kind: &'static str, name: &str, namespace: &str, yaml: Yaml) -> Object {
    Object {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
        yaml: yaml.out,
    }
}
