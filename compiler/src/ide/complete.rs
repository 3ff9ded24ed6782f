//! Completion: the keywords a block accepts (as `names::allowed` decides),
//! the words that may follow the ones typed, and the program's names.

use super::context::{locate, Block, Cursor};
use super::{after, Analysis};
use crate::names::{allowed, vocab, Ctx};
use crate::span::{FileId, Span};
use crate::syntax::ast::{ItemKind, StmtKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Service,
    External,
    Subset,
    Profile,
    Provider,
    Namespace,
    /// A fixed value: a balance algorithm, a method, a protocol, ...
    Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    /// What the completion replaces: the part of the word before the cursor.
    pub replace: Span,
}

/// One sample of each statement, to ask `names::allowed` where it may stand
/// (indented: a top-level keyword at column 0 would start a new declaration).
const SAMPLES: &str = "namespace x {
  service x {}
  external x {}
  port 80 http
  selector a=b
  account a
  subsets v: a
  subset a v=a
  endpoint \"10.0.0.1\"
  host \"a\"
  resolution dns
  address \"10.0.0.1\"
  internal
  balance random
  sticky source_ip
  limits {}
  eject {}
  tls mesh
  timeout 1s
  retries off
  route {}
  when port 1 => a
  default => a
  rewrite host \"a\"
  fault abort 500
  mirror a
  request remove header \"a\"
  response remove header \"a\"
  cors {}
  egress auto
  outbound allow_any
  mtls strict
  domain \"a\"
  root_namespace \"a\"
  use a
  authenticate jwt a
  require jwt
  allow all
  deny all
  audit all
  issuer \"a\"
  jwks_uri \"a\"
  jwks \"a\"
  audiences \"a\"
  from header \"a\"
  forward_token
  claim \"a\" to header \"b\"
  payload to header \"a\"
}";

pub fn completions(a: &Analysis, file: FileId, offset: usize, stale: Option<&Analysis>) -> Vec<Completion> {
    let text = a.text(file);
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let cur = locate(text, file, offset);
    let typed = &text[cur.prefix.range()];
    let names = Names { a, stale };
    let found: Vec<(String, CompletionKind, Option<String>)> = if cur.before.is_empty() {
        statement_start(&cur, &names)
    } else {
        after::words_after(&cur, &names, text[..cur.prefix.start as usize].ends_with("std."))
    };
    let mut out: Vec<Completion> = Vec::new();
    for (label, kind, detail) in found {
        if label.starts_with(typed) && !out.iter().any(|c| c.label == label) {
            out.push(Completion {
                label,
                kind,
                detail,
                replace: cur.prefix,
            });
        }
    }
    out
}

pub type Found = Vec<(String, CompletionKind, Option<String>)>;

pub fn keywords(words: &[&str]) -> Found {
    words
        .iter()
        .map(|w| (w.to_string(), CompletionKind::Keyword, None))
        .collect()
}

fn statement_start(cur: &Cursor, names: &Names) -> Found {
    match cur.block {
        Block::Top => keywords(&["mesh", "namespace", "profile", "jwt", "use"]),
        Block::Ctx(Ctx::Limits) => settings(&vocab::LIMIT_KEYS),
        Block::Ctx(Ctx::Eject) => settings(&vocab::EJECT_KEYS),
        Block::Cors => keywords(&["origins", "methods", "headers", "expose", "max_age", "credentials"]),
        Block::Unknown => Vec::new(),
        Block::Profile => statement_keywords(|_| true),
        Block::Ctx(ctx) => {
            let mut out = statement_keywords(|k| allowed(k, ctx));
            if ctx != Ctx::Jwt && ctx != Ctx::Route {
                out.extend(names.profiles());
            }
            out
        }
    }
}

fn settings(keys: &[(&str, &str)]) -> Found {
    keys.iter()
        .map(|(k, ty)| (k.to_string(), CompletionKind::Keyword, Some(format!("setting ({ty})"))))
        .collect()
}

/// The keywords of the sample statements that `keep` accepts.
fn statement_keywords(keep: impl Fn(&StmtKind) -> bool) -> Found {
    let (module, _) = crate::syntax::parse_file(0, SAMPLES);
    let mut out = Vec::new();
    for item in module.items {
        if let ItemKind::Namespace { members, .. } = item.kind {
            for s in members.iter().filter(|s| keep(&s.kind)) {
                out.push((s.kind.keyword().to_string(), CompletionKind::Keyword, None));
            }
        }
    }
    out
}

/// The program's names, from the analysis and, for what it lost, a stale one.
pub struct Names<'a> {
    a: &'a Analysis,
    stale: Option<&'a Analysis>,
}

impl Names<'_> {
    fn analyses(&self) -> impl Iterator<Item = &Analysis> {
        std::iter::once(self.a).chain(self.stale)
    }

    /// Services (or externals) as written from namespace `here`: `NAME` or `NAME.NS`.
    pub fn services(&self, here: Option<&str>, external: Option<bool>) -> Found {
        let mut out = Vec::new();
        for a in self.analyses() {
            for ns in &a.compilation.mesh.namespaces {
                for svc in &ns.services {
                    if external.is_some_and(|e| e != svc.is_external()) {
                        continue;
                    }
                    let local = here == Some(ns.name.node.as_str());
                    let label = if local {
                        svc.name.node.clone()
                    } else {
                        format!("{}.{}", svc.name.node, ns.name.node)
                    };
                    let kind = if svc.is_external() {
                        CompletionKind::External
                    } else {
                        CompletionKind::Service
                    };
                    out.push((label, kind, Some(svc.host.clone())));
                }
            }
        }
        out.sort_by_key(|c| c.0.contains('.'));
        out
    }

    /// Subsets of the service named `name` (`NAME` or `NAME.NS`) seen from namespace `here`.
    pub fn subsets(&self, here: Option<&str>, name: &str) -> Found {
        let (svc, ns) = match name.split_once('.') {
            Some((s, n)) => (s, Some(n)),
            None => (name, here),
        };
        for a in self.analyses() {
            for n in a
                .compilation
                .mesh
                .namespaces
                .iter()
                .filter(|n| Some(n.name.node.as_str()) == ns)
            {
                if let Some(s) = n.services.iter().find(|s| s.name.node == svc) {
                    return s
                        .subsets
                        .iter()
                        .map(|sub| {
                            let labels: Vec<String> = sub
                                .labels
                                .iter()
                                .map(|l| format!("{}={}", l.key.node, l.value.node))
                                .collect();
                            (sub.name.node.clone(), CompletionKind::Subset, Some(labels.join(", ")))
                        })
                        .collect();
                }
            }
        }
        Vec::new()
    }

    pub fn namespaces(&self) -> Found {
        let mut out = Vec::new();
        for a in self.analyses() {
            for ns in &a.compilation.mesh.namespaces {
                out.push((ns.name.node.clone(), CompletionKind::Namespace, None));
            }
        }
        out
    }

    pub fn providers(&self) -> Found {
        let mut out = Vec::new();
        for a in self.analyses() {
            for p in &a.compilation.mesh.providers {
                let issuer = p.issuer.as_ref().map(|i| i.node.clone());
                out.push((p.name.node.clone(), CompletionKind::Provider, issuer));
            }
        }
        out
    }

    /// Profiles a block can `use`: the program's and the imported standard ones.
    pub fn profiles(&self) -> Found {
        let mut out = Vec::new();
        for a in self.analyses() {
            let c = &a.compilation;
            for (i, m) in c.modules.iter().enumerate() {
                let user = a.is_user_file(i as FileId);
                for item in &m.items {
                    match &item.kind {
                        ItemKind::Profile(p) if user => {
                            out.push((p.name.node.clone(), CompletionKind::Profile, Some("profile".into())))
                        }
                        ItemKind::Import(name) if user => out.push((
                            name.node.clone(),
                            CompletionKind::Profile,
                            Some("standard-library profile".into()),
                        )),
                        _ => {}
                    }
                }
            }
        }
        out
    }

    /// The standard library's profiles, each as `std.NAME` or `NAME`.
    pub fn std_profiles(&self, qualified: bool) -> Found {
        let c = &self.a.compilation;
        (0..c.modules.len())
            .filter(|i| !self.a.is_user_file(*i as FileId))
            .flat_map(|i| &c.modules[i].items)
            .filter_map(|item| match &item.kind {
                ItemKind::Profile(p) => Some(p.name.node.as_str()),
                _ => None,
            })
            .map(|n| {
                let label = if qualified { format!("std.{n}") } else { n.to_string() };
                (label, CompletionKind::Profile, Some("standard-library profile".into()))
            })
            .collect()
    }
}
