//! Every declared name and every use of one, for "what is at this offset".

use crate::ir::{RefKind, Reference};
use crate::span::{FileId, Span};
use crate::syntax::ast::{ItemKind, StmtKind};
use crate::Compilation;

/// A declared name or a use of one, found at an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub kind: RefKind,
    /// The name in its declaration.
    pub target: Span,
    /// The name under the cursor (the declaration itself, or a use).
    pub at: Span,
}

pub struct Index {
    /// Declared names, sorted.
    defs: Vec<(Span, RefKind)>,
    /// Uses, sorted by site.
    refs: Vec<Reference>,
}

impl Index {
    pub fn new(c: &Compilation) -> Index {
        let mut defs = Vec::new();
        for ns in &c.mesh.namespaces {
            for svc in &ns.services {
                defs.push((svc.name.span, RefKind::Service));
                defs.extend(svc.subsets.iter().map(|s| (s.name.span, RefKind::Subset)));
            }
        }
        defs.extend(c.mesh.providers.iter().map(|p| (p.name.span, RefKind::Provider)));
        for item in c.modules.iter().flat_map(|m| &m.items) {
            match &item.kind {
                ItemKind::Profile(p) => defs.push((p.name.span, RefKind::Profile)),
                ItemKind::Jwt { name, .. } => defs.push((name.span, RefKind::Provider)),
                // Services whose body has errors may be missing from the IR.
                ItemKind::Namespace { members, .. } => {
                    for s in members {
                        if let StmtKind::Service { name, .. } | StmtKind::External { name, .. } = &s.kind {
                            defs.push((name.span, RefKind::Service));
                        }
                    }
                }
                _ => {}
            }
        }
        defs.sort();
        defs.dedup_by_key(|d| d.0);
        let mut refs = c.mesh.references.clone();
        refs.sort();
        Index { defs, refs }
    }

    /// The declared name or use at `offset` (which may touch either end of it).
    pub fn at(&self, file: FileId, offset: usize) -> Option<Hit> {
        let offset = offset as u32;
        let touches = |s: Span| s.file == file && s.start <= offset && offset <= s.end;
        let first = |s: &Span| (s.file, s.end) < (file, offset);
        let r = self.refs.partition_point(|r| first(&r.site));
        if let Some(r) = self.refs[r..].iter().take_while(|r| touches(r.site)).next() {
            return Some(Hit {
                kind: r.kind,
                target: r.target,
                at: r.site,
            });
        }
        let d = self.defs.partition_point(|d| first(&d.0));
        self.defs[d..].iter().find(|d| touches(d.0)).map(|&(span, kind)| Hit {
            kind,
            target: span,
            at: span,
        })
    }

    /// The uses of the declaration named at `target`.
    pub fn uses(&self, target: Span) -> impl Iterator<Item = &Reference> {
        self.refs.iter().filter(move |r| r.target == target)
    }

    /// Declared names and uses in one file, in order (for semantic tokens).
    pub fn in_file(&self, file: FileId) -> Vec<(Span, RefKind, bool)> {
        let mut out: Vec<(Span, RefKind, bool)> = self
            .defs
            .iter()
            .filter(|d| d.0.file == file)
            .map(|&(s, k)| (s, k, true))
            .chain(
                self.refs
                    .iter()
                    .filter(|r| r.site.file == file)
                    .map(|r| (r.site, r.kind, false)),
            )
            .collect();
        out.sort_by_key(|t| (t.0.start, t.0.end));
        out.dedup_by_key(|t| t.0);
        out
    }
}
