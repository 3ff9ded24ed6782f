//! Where each statement may stand, and `use` of profiles (expanded in place).

use std::collections::HashMap;
use std::rc::Rc;

use super::env::{kind_name, type_matches, Frame, FrameRef};
use super::Elab;
use crate::diag::{suggestion, Diagnostic};
use crate::syntax::ast::{ExprKind, ParamType, Stmt, StmtKind, Use};

/// The block a statement stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctx {
    Mesh,
    Namespace,
    Service,
    External,
    Subset,
    Port,
    Route,
    Rule,
    Limits,
    Eject,
    Jwt,
}

impl Ctx {
    pub fn describe(self) -> &'static str {
        match self {
            Ctx::Mesh => "a `mesh` block",
            Ctx::Namespace => "a `namespace` block",
            Ctx::Service => "a `service` block",
            Ctx::External => "an `external` block",
            Ctx::Subset => "a `subset` block",
            Ctx::Port => "a `port` block",
            Ctx::Route => "a `route` block",
            Ctx::Rule => "a rule's options",
            Ctx::Limits => "a `limits` block",
            Ctx::Eject => "an `eject` block",
            Ctx::Jwt => "a `jwt` provider block",
        }
    }
}

/// Whether a statement may stand directly in a block of this kind.
pub fn allowed(kind: &StmtKind, ctx: Ctx) -> bool {
    use StmtKind as K;
    let policy = matches!(
        kind,
        K::Balance(_) | K::Sticky { .. } | K::Limits(_) | K::Eject(_) | K::Tls { .. }
    );
    let security = matches!(kind, K::Mtls(_) | K::Authenticate(_) | K::RequireJwt | K::Policy(_));
    match ctx {
        Ctx::Mesh => {
            matches!(
                kind,
                K::Domain(_) | K::RootNamespace(_) | K::Outbound(_) | K::Retries(_) | K::Use(_)
            ) || security
        }
        Ctx::Namespace => {
            matches!(
                kind,
                K::Service { .. } | K::External { .. } | K::Egress(_) | K::Outbound(_) | K::Use(_)
            ) || security
        }
        Ctx::Service => {
            policy
                || matches!(
                    kind,
                    K::Port { .. }
                        | K::Selector(_)
                        | K::Account(_)
                        | K::Subsets { .. }
                        | K::Subset { .. }
                        | K::Endpoint { .. }
                        | K::Timeout(_)
                        | K::Retries(_)
                        | K::Route(_)
                        | K::Egress(_)
                        | K::Outbound(_)
                        | K::Use(_)
                )
                || security
        }
        Ctx::External => {
            policy
                || matches!(
                    kind,
                    K::Port { .. }
                        | K::Host(_)
                        | K::Resolution(_)
                        | K::Address(_)
                        | K::Endpoint { .. }
                        | K::Internal
                        | K::Subsets { .. }
                        | K::Subset { .. }
                        | K::Timeout(_)
                        | K::Retries(_)
                        | K::Route(_)
                        | K::Use(_)
                )
        }
        Ctx::Subset => policy || matches!(kind, K::Use(_)),
        Ctx::Port => policy || matches!(kind, K::Mtls(_) | K::Use(_)),
        Ctx::Route => matches!(kind, K::Rule(_) | K::Use(_)),
        Ctx::Rule => matches!(
            kind,
            K::Timeout(_)
                | K::Retries(_)
                | K::Rewrite(_)
                | K::Fault { .. }
                | K::Mirror { .. }
                | K::Header { .. }
                | K::Cors(_)
                | K::Use(_)
        ),
        Ctx::Limits | Ctx::Eject => matches!(kind, K::Setting { .. }),
        Ctx::Jwt => matches!(kind, K::Jwt(_)),
    }
}

const MAX_DEPTH: u32 = 64;

impl<'a> Elab<'a> {
    /// The statements of a block with every `use` replaced by the profile's
    /// statements; statements not allowed in `ctx` are reported and dropped.
    pub fn flatten(&mut self, stmts: &'a [Stmt], frame: &FrameRef, ctx: Ctx) -> Vec<(&'a Stmt, FrameRef)> {
        let mut out = Vec::new();
        self.flatten_into(stmts, frame, ctx, &mut out);
        out
    }

    fn flatten_into(&mut self, stmts: &'a [Stmt], frame: &FrameRef, ctx: Ctx, out: &mut Vec<(&'a Stmt, FrameRef)>) {
        for s in stmts {
            if !allowed(&s.kind, ctx) {
                self.misplaced(s, frame, ctx);
                continue;
            }
            match &s.kind {
                StmtKind::Use(u) => {
                    if let Some((profile_body, inner)) = self.bind(u, s, frame) {
                        self.flatten_into(profile_body, &inner, ctx, out);
                    }
                }
                _ => out.push((s, frame.clone())),
            }
        }
    }

    fn misplaced(&mut self, s: &Stmt, frame: &Frame, ctx: Ctx) {
        let kw = s.kind.keyword();
        let what = if kw == "setting" { "this setting" } else { "" };
        let subject = if what.is_empty() {
            format!("`{kw}`")
        } else {
            what.to_string()
        };
        let d = match frame.use_site {
            Some(site) => Diagnostic::error(
                "E0110",
                site,
                format!(
                    "this profile brings {subject}, which is not allowed in {}",
                    ctx.describe()
                ),
            )
            .with_label("profile used here")
            .with_secondary(s.head, "this statement of the profile is not allowed here")
            .with_help("use the profile in a block that accepts all of its statements"),
            None => Diagnostic::error(
                "E0110",
                s.head,
                format!("{subject} is not allowed in {}", ctx.describe()),
            )
            .with_label("not allowed here")
            .with_help(placement_help(&s.kind)),
        };
        self.diags.push(d);
    }

    /// Binds a `use` site's arguments to the profile's parameters.
    fn bind(&mut self, u: &Use, site: &Stmt, outer: &FrameRef) -> Option<(&'a [Stmt], FrameRef)> {
        let profile = if u.std {
            match self.std_profiles.get(u.name.node.as_str()) {
                Some(p) => *p,
                None => {
                    let c: Vec<&str> = self.std_profiles.keys().copied().collect();
                    self.unknown("standard-library profile", &u.name, c);
                    return None;
                }
            }
        } else {
            match self.profiles.get(u.name.node.as_str()) {
                Some(p) => *p,
                None => {
                    let mut c: Vec<&str> = self.profiles.keys().copied().collect();
                    c.sort();
                    let hint_std = self.std_profiles.contains_key(u.name.node.as_str());
                    self.unknown("profile", &u.name, c);
                    if hint_std {
                        if let Some(d) = self.diags.last_mut() {
                            d.help = Some(format!(
                                "`{0}` is in the standard library: write `use std.{0}`, or import it with `use std.{0}` at the top level",
                                u.name.node
                            ));
                        }
                    }
                    return None;
                }
            }
        };
        self.refer(crate::ir::RefKind::Profile, &u.name, profile.name.span);
        if outer.expanding(&profile.name.node) {
            self.diags.push(
                Diagnostic::error("E0107", site.span, format!("profile `{}` uses itself", u.name.node))
                    .with_label("used again while it is being expanded")
                    .with_secondary(profile.name.span, "profile declared here")
                    .with_help("a profile cannot use itself, directly or through other profiles"),
            );
            return None;
        }
        if outer.depth >= MAX_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    "E0107",
                    site.span,
                    format!("profiles nest more than {MAX_DEPTH} deep here"),
                )
                .with_label("too deep")
                .with_help("flatten the chain of profiles that use each other"),
            );
            return None;
        }
        let mut env: HashMap<String, crate::syntax::ast::Expr> = HashMap::new();
        let mut ok = true;
        for (i, arg) in u.args.iter().enumerate() {
            let param = match &arg.name {
                Some(n) => match profile.params.iter().find(|p| p.name.node == n.node) {
                    Some(p) => p,
                    None => {
                        let c: Vec<&str> = profile.params.iter().map(|p| p.name.node.as_str()).collect();
                        let mut d = Diagnostic::error(
                            "E0105",
                            n.span,
                            format!("profile `{}` has no parameter `{}`", u.name.node, n.node),
                        )
                        .with_label("unknown parameter")
                        .with_secondary(profile.name.span, "profile declared here");
                        if let Some(s) = suggestion(&n.node, c.iter().copied()) {
                            d = d.with_help(s);
                        }
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
                None => match profile.params.get(i) {
                    Some(p) => p,
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                "E0105",
                                arg.value.span,
                                format!("too many arguments for profile `{}`", u.name.node),
                            )
                            .with_label("extra argument")
                            .with_secondary(
                                profile.name.span,
                                format!("takes {} parameter(s)", profile.params.len()),
                            )
                            .with_help("remove it, or name the parameter it is meant for (`name: value`)"),
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            // A bare name passed through from an enclosing profile.
            let value = match &arg.value.kind {
                crate::syntax::ast::ExprKind::Param(n) if outer.env.contains_key(n) => outer.env[n].clone(),
                _ => arg.value.clone(),
            };
            if !type_matches(param.ty.node, &value.kind) {
                self.diags.push(
                    Diagnostic::error(
                        "E0106",
                        arg.value.span,
                        format!(
                            "argument `{}` expects {}, found {}",
                            param.name.node,
                            article(param.ty.node.describe()),
                            kind_name(&value.kind)
                        ),
                    )
                    .with_label("wrong type")
                    .with_secondary(param.ty.span, "parameter type declared here")
                    .with_help(match (param.ty.node, &value.kind) {
                        (ParamType::String, ExprKind::Param(n)) => format!("put it in double quotes: `\"{n}\"`"),
                        (ty, _) => format!("pass {}", article(ty.describe())),
                    }),
                );
                ok = false;
                continue;
            }
            env.insert(param.name.node.clone(), value);
        }
        for p in &profile.params {
            if env.contains_key(&p.name.node) {
                continue;
            }
            match &p.default {
                Some(d) => {
                    env.insert(p.name.node.clone(), d.clone());
                }
                None if ok => {
                    self.diags.push(
                        Diagnostic::error(
                            "E0105",
                            site.span,
                            format!("missing argument `{}` for profile `{}`", p.name.node, u.name.node),
                        )
                        .with_label("argument missing")
                        .with_secondary(p.name.span, "parameter without a default")
                        .with_help(format!("pass it: `use {}({}: ...)`", u.name.node, p.name.node)),
                    );
                    ok = false;
                }
                None => {}
            }
        }
        if !ok {
            return None;
        }
        let frame = Frame {
            env,
            use_site: Some(outer.use_site.unwrap_or(site.span)),
            depth: outer.depth + 1,
            profile: Some(profile.name.node.clone()),
            parent: Some(outer.clone()),
        };
        Some((&profile.body, Rc::new(frame)))
    }
}

fn article(ty: &str) -> String {
    match ty {
        "int" => "an int".into(),
        _ => format!("a {ty}"),
    }
}

fn placement_help(kind: &StmtKind) -> String {
    use StmtKind as K;
    match kind {
        K::Service { .. } | K::External { .. } => "declare services and externals inside `namespace NAME { }`".into(),
        K::Rule(_) => "rules go inside a `route { }` block".into(),
        K::Setting { .. } => "`limits { }` takes connection settings (`max_connections`, `connect_timeout`, `idle_timeout`, `max_pending`, `max_requests`, `max_requests_per_connection`, `max_retries`); `eject { }` takes `consecutive_5xx`, `consecutive_gateway_errors`, `interval`, `base_time`, `max_percent`, `min_health`".into(),
        K::Domain(_) | K::RootNamespace(_) => "mesh-wide settings go inside `mesh { }`".into(),
        K::Subset { .. } | K::Subsets { .. } | K::Port { .. } | K::Selector(_) | K::Account(_) => {
            "this statement describes a service: move it into a `service` block".into()
        }
        K::Rewrite(_) | K::Fault { .. } | K::Mirror { .. } | K::Header { .. } | K::Cors(_) => {
            "this is a rule option: write it after a rule's destination or in the rule's `{ }` block".into()
        }
        _ => "see docs/language.md for where each statement may stand".into(),
    }
}
