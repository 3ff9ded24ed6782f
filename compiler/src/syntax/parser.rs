//! pest pairs -> spanned AST. One declaration at a time (see `prescan`).

use pest::iterators::Pair;
use pest::Parser;

use super::ast::*;
use super::errors::syntax_error;
use super::fast;
use super::prescan;
use crate::diag::Diagnostic;
use crate::span::{FileId, Sp, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/mesh.pest"]
pub struct MeshParser;

/// Parses one file. Never fails: broken declarations become diagnostics and
/// are left out of the module; the rest is kept.
pub fn parse_file(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    parse_with(file, text, true)
}

/// `fast: false` parses with pest alone (the reference the fast path is tested against).
pub(super) fn parse_with(file: FileId, text: &str, fast: bool) -> (Module, Vec<Diagnostic>) {
    let mut module = Module {
        items: Vec::new(),
        comments: prescan::comments(text)
            .into_iter()
            .map(|r| Span::new(file, r.start, r.end))
            .collect(),
    };
    let mut diags = Vec::new();
    let cx = Cx { file, text, fast };
    // First the declarations' shapes; namespace members are parsed afterwards,
    // all together, so a large file uses every core.
    let mut plans = Vec::new();
    let mut members = Vec::new();
    for chunk in prescan::split(text, 0..text.len(), true) {
        let doc = prescan::doc_above(text, chunk.start);
        if let Some(e) = prescan::too_deep(file, text, chunk.clone()) {
            diags.push(e);
            continue;
        }
        if let Some((name, interior)) = cx.namespace_head(chunk.clone()) {
            let first = members.len();
            members.extend(prescan::split(text, interior, false));
            let span = Span::new(file, chunk.start, chunk.end);
            plans.push(Plan::Namespace {
                name,
                span,
                doc,
                members: first..members.len(),
            });
            continue;
        }
        if let Some(Ok((kind, span))) = fast.then(|| fast::Parser::new(file, text, chunk.clone()).top_item()) {
            plans.push(Plan::Item(Item { kind, span, doc }));
            continue;
        }
        match MeshParser::parse(Rule::top_item, &text[chunk.clone()]) {
            Ok(mut pairs) => {
                let top = pairs.next().and_then(|p| p.into_inner().next());
                if let Some(p) = top {
                    let span = cx.span(&p, chunk.start);
                    let kind = cx.item(p, chunk.start);
                    plans.push(Plan::Item(Item { kind, span, doc }));
                }
            }
            Err(e) => diags.push(syntax_error(file, text, chunk.start, &e)),
        }
    }
    let mut parsed = map_parallel(&members, |m| cx.member(m.clone())).into_iter();
    for plan in plans {
        match plan {
            Plan::Item(item) => module.items.push(item),
            Plan::Namespace {
                name,
                span,
                doc,
                members,
            } => {
                let mut stmts = Vec::with_capacity(members.len());
                for r in parsed.by_ref().take(members.len()) {
                    match r {
                        Ok(s) => stmts.push(s),
                        Err(d) => diags.push(*d),
                    }
                }
                let kind = ItemKind::Namespace { name, members: stmts };
                module.items.push(Item { kind, span, doc });
            }
        }
    }
    (module, diags)
}

enum Plan {
    Item(Item),
    Namespace {
        name: Ident,
        span: Span,
        doc: Option<String>,
        members: std::ops::Range<usize>,
    },
}

/// Large inputs are split over the machine's cores (at most four); the
/// result keeps the order of `items`.
fn map_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const MIN_PER_THREAD: usize = 128;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let threads = cores.min(items.len() / MIN_PER_THREAD).max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let per = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(per)
            .map(|c| s.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

struct Cx<'a> {
    file: FileId,
    text: &'a str,
    fast: bool,
}

impl Cx<'_> {
    /// The pair's span without the blanks and comments pest may have skipped
    /// at its end before an optional part that did not match.
    fn span(&self, p: &Pair<Rule>, base: usize) -> Span {
        let s = p.as_span();
        let start = base + s.start();
        Span::new(self.file, start, trim_end(self.text, start, base + s.end()))
    }

    fn ident(&self, p: Pair<Rule>, base: usize) -> Ident {
        Sp::new(p.as_str().to_string(), self.span(&p, base))
    }

    /// `namespace NAME {` and the range inside the braces. Members are parsed
    /// one by one so each recovers alone.
    fn namespace_head(&self, chunk: std::ops::Range<usize>) -> Option<(Ident, std::ops::Range<usize>)> {
        let src = &self.text[chunk.clone()];
        if !src.starts_with("namespace") || !src.ends_with('}') {
            return None;
        }
        let head = MeshParser::parse(Rule::namespace_head, src).ok()?.next()?;
        let head_end = chunk.start + head.as_span().end();
        let name = head.into_inner().find(|p| p.as_rule() == Rule::ident)?;
        Some((self.ident(name, chunk.start), head_end..chunk.end - 1))
    }

    /// One namespace member, with its doc comment.
    fn member(&self, m: std::ops::Range<usize>) -> Result<Stmt, Box<Diagnostic>> {
        let doc = prescan::doc_above(self.text, m.start);
        if let Some(Ok(mut s)) = self
            .fast
            .then(|| fast::Parser::new(self.file, self.text, m.clone()).member())
        {
            s.doc = doc;
            return Ok(s);
        }
        match MeshParser::parse(Rule::member_item, &self.text[m.clone()]) {
            Ok(mut pairs) => match pairs.next().and_then(|p| p.into_inner().next()) {
                Some(p) => {
                    let mut s = self.stmt(p, m.start);
                    s.doc = doc;
                    Ok(s)
                }
                None => Err(Box::new(Diagnostic::error(
                    "E0001",
                    Span::new(self.file, m.start, m.end),
                    "expected a statement",
                ))),
            },
            Err(e) => Err(Box::new(syntax_error(self.file, self.text, m.start, &e))),
        }
    }

    fn item(&self, p: Pair<Rule>, base: usize) -> ItemKind {
        let rule = p.as_rule();
        let mut it = p.into_inner();
        match rule {
            Rule::mesh_decl => {
                it.next();
                ItemKind::Mesh(self.block(it.next(), base))
            }
            Rule::namespace_decl => {
                it.next();
                let name = self.ident(it.next().unwrap(), base);
                ItemKind::Namespace {
                    name,
                    members: self.block(it.next(), base),
                }
            }
            Rule::jwt_decl => {
                it.next();
                let name = self.ident(it.next().unwrap(), base);
                ItemKind::Jwt {
                    name,
                    body: self.block(it.next(), base),
                }
            }
            Rule::use_import => {
                it.next();
                let path = it.next().unwrap();
                let name = path.into_inner().find(|p| p.as_rule() == Rule::ident).unwrap();
                ItemKind::Import(self.ident(name, base))
            }
            _ => {
                it.next();
                let name = self.ident(it.next().unwrap(), base);
                let mut params = Vec::new();
                let mut body = Vec::new();
                for p in it {
                    match p.as_rule() {
                        Rule::param => params.push(self.param(p, base)),
                        _ => body = self.block(Some(p), base),
                    }
                }
                ItemKind::Profile(Profile { name, params, body })
            }
        }
    }

    fn param(&self, p: Pair<Rule>, base: usize) -> Param {
        let mut it = p.into_inner();
        let name = self.ident(it.next().unwrap(), base);
        let ty_pair = it.next().unwrap();
        let ty = match ty_pair.as_str() {
            "int" => ParamType::Int,
            "duration" => ParamType::Duration,
            "percent" => ParamType::Percent,
            "string" => ParamType::String,
            _ => ParamType::Name,
        };
        let ty = Sp::new(ty, self.span(&ty_pair, base));
        let default = it.next().map(|l| self.expr(l, base));
        Param { name, ty, default }
    }

    fn block(&self, p: Option<Pair<Rule>>, base: usize) -> Vec<Stmt> {
        let Some(p) = p else { return Vec::new() };
        p.into_inner()
            .filter(|s| !matches!(s.as_rule(), Rule::lbrace | Rule::rbrace))
            .map(|s| self.stmt(s, base))
            .collect()
    }

    fn expr(&self, p: Pair<Rule>, base: usize) -> Expr {
        let p = match p.as_rule() {
            Rule::literal | Rule::dur_val | Rule::int_val | Rule::pct_val | Rule::str_val => {
                p.into_inner().next().unwrap()
            }
            _ => p,
        };
        let span = self.span(&p, base);
        let s = p.as_str();
        let kind = match p.as_rule() {
            Rule::int => ExprKind::Int(s.parse().unwrap_or(u64::MAX)),
            Rule::duration => ExprKind::Duration(parse_duration(s)),
            Rule::percent => ExprKind::Percent(s.trim_end_matches('%').parse().unwrap_or(f64::MAX)),
            Rule::string => ExprKind::Str(unescape(&s[1..s.len() - 1])),
            _ => ExprKind::Param(s.to_string()),
        };
        Expr { kind, span }
    }

    fn labels(&self, p: Pair<Rule>, base: usize) -> Vec<Label> {
        p.into_inner()
            .map(|l| {
                let mut it = l.into_inner();
                let key = self.label_part(it.next().unwrap(), base);
                let value = self.label_part(it.next().unwrap(), base);
                Label { key, value }
            })
            .collect()
    }

    fn label_part(&self, p: Pair<Rule>, base: usize) -> Sp<String> {
        let span = self.span(&p, base);
        let inner = p.into_inner().next();
        let text = match inner {
            Some(i) if i.as_rule() == Rule::string => {
                let s = i.as_str();
                unescape(&s[1..s.len() - 1])
            }
            Some(i) => i.as_str().to_string(),
            None => String::new(),
        };
        Sp::new(text, span)
    }

    fn stmt(&self, p: Pair<Rule>, base: usize) -> Stmt {
        let span = self.span(&p, base);
        let rule = p.as_rule();
        let mut it = p.into_inner().peekable();
        let head = it.peek().map_or(span, |h| self.span(h, base));
        let kind = match rule {
            Rule::service_stmt | Rule::external_stmt => {
                it.next();
                let name = self.ident(it.next().unwrap(), base);
                let body = self.block(it.next(), base);
                if rule == Rule::service_stmt {
                    StmtKind::Service { name, body }
                } else {
                    StmtKind::External { name, body }
                }
            }
            Rule::port_stmt => {
                it.next();
                let number = self.expr(it.next().unwrap(), base);
                let protocol = self.ident(it.next().unwrap(), base);
                let mut target = None;
                let mut body = None;
                while let Some(p) = it.next() {
                    match p.as_rule() {
                        Rule::kw_target => target = it.next().map(|v| self.expr(v, base)),
                        _ => body = Some(self.block(Some(p), base)),
                    }
                }
                StmtKind::Port {
                    number,
                    protocol,
                    target: target.map(Box::new),
                    body,
                }
            }
            Rule::selector_stmt => {
                it.next();
                StmtKind::Selector(self.labels(it.next().unwrap(), base))
            }
            Rule::account_stmt => {
                it.next();
                StmtKind::Account(self.ident(it.next().unwrap(), base))
            }
            Rule::subsets_stmt => {
                it.next();
                let key = self.label_part(it.next().unwrap(), base);
                let values = it.map(|v| self.ident(v, base)).collect();
                StmtKind::Subsets { key, values }
            }
            Rule::subset_stmt => {
                it.next();
                let name = self.ident(it.next().unwrap(), base);
                let labels = self.labels(it.next().unwrap(), base);
                let body = it.next().map(|b| self.block(Some(b), base));
                StmtKind::Subset { name, labels, body }
            }
            Rule::endpoint_stmt => {
                it.next();
                let address = self.expr(it.next().unwrap(), base);
                let (mut port, mut labels, mut weight) = (None, Vec::new(), None);
                for opt in it {
                    let mut o = opt.into_inner();
                    let k = o.next().unwrap();
                    let v = o.next().unwrap();
                    match k.as_rule() {
                        Rule::kw_port => port = Some(self.expr(v, base)),
                        Rule::kw_labels => labels = self.labels(v, base),
                        _ => weight = Some(self.expr(v, base)),
                    }
                }
                StmtKind::Endpoint {
                    address,
                    port: port.map(Box::new),
                    labels,
                    weight: weight.map(Box::new),
                }
            }
            Rule::host_stmt | Rule::address_stmt => {
                it.next();
                let values = it.map(|v| self.expr(v, base)).collect();
                if rule == Rule::host_stmt {
                    StmtKind::Host(values)
                } else {
                    StmtKind::Address(values)
                }
            }
            Rule::resolution_stmt => {
                it.next();
                StmtKind::Resolution(self.ident(it.next().unwrap(), base))
            }
            Rule::internal_stmt => StmtKind::Internal,
            Rule::balance_stmt => {
                it.next();
                StmtKind::Balance(self.ident(it.next().unwrap(), base))
            }
            Rule::sticky_stmt => {
                it.next();
                let key = self.hash_key(it.next().unwrap(), base);
                let (mut ring, mut maglev) = (None, None);
                for opt in it {
                    let mut o = opt.into_inner();
                    let k = o.next().unwrap();
                    let v = Some(self.expr(o.next().unwrap(), base));
                    if k.as_rule() == Rule::kw_ring {
                        ring = v;
                    } else {
                        maglev = v;
                    }
                }
                StmtKind::Sticky {
                    key: Box::new(key),
                    ring,
                    maglev,
                }
            }
            Rule::limits_stmt | Rule::eject_stmt => {
                it.next();
                let body = self.block(it.next(), base);
                if rule == Rule::limits_stmt {
                    StmtKind::Limits(body)
                } else {
                    StmtKind::Eject(body)
                }
            }
            Rule::setting_stmt => {
                let key = self.ident(it.next().unwrap(), base);
                let value = self.expr(it.next().unwrap(), base);
                StmtKind::Setting { key, value }
            }
            Rule::tls_stmt => {
                it.next();
                let mode = self.ident(it.next().unwrap(), base);
                let options = it
                    .map(|o| {
                        let mut o = o.into_inner();
                        let k = self.ident(o.next().unwrap(), base);
                        (k, self.expr(o.next().unwrap(), base))
                    })
                    .collect();
                StmtKind::Tls { mode, options }
            }
            Rule::timeout_stmt => {
                it.next();
                StmtKind::Timeout(self.expr(it.next().unwrap(), base))
            }
            Rule::retries_stmt => {
                it.next();
                self.retries(it.collect(), base)
            }
            Rule::route_stmt => {
                it.next();
                StmtKind::Route(self.block(it.next(), base))
            }
            Rule::rule_stmt | Rule::default_stmt => {
                it.next();
                let mut matches = Vec::new();
                let mut action = None;
                for p in it {
                    match p.as_rule() {
                        Rule::match_alt => matches.push(
                            p.into_inner()
                                .filter(|c| c.as_rule() == Rule::condition)
                                .map(|c| self.condition(c, base))
                                .collect(),
                        ),
                        Rule::action => action = Some(self.action(p, base)),
                        _ => {}
                    }
                }
                StmtKind::Rule(Box::new(RouteRule {
                    matches,
                    action: action.unwrap(),
                }))
            }
            Rule::rewrite_stmt => {
                it.next();
                let parts: Vec<_> = it.collect();
                let vals: Vec<_> = parts
                    .iter()
                    .filter(|p| p.as_rule() == Rule::str_val)
                    .map(|p| self.expr(p.clone(), base))
                    .collect();
                let mut vals = vals.into_iter();
                StmtKind::Rewrite(match (parts[0].as_rule(), parts.len()) {
                    (Rule::kw_host, _) => Rewrite::Host(vals.next().unwrap()),
                    (_, 4) => Rewrite::PathRegex(vals.next().unwrap(), vals.next().unwrap()),
                    _ => Rewrite::Path(vals.next().unwrap()),
                })
            }
            Rule::fault_stmt => {
                it.next();
                let k = it.next().unwrap();
                let v = self.expr(it.next().unwrap(), base);
                let kind = if k.as_rule() == Rule::kw_delay {
                    FaultKind::Delay(v)
                } else {
                    FaultKind::Abort(v)
                };
                StmtKind::Fault {
                    kind,
                    percent: it.next().map(|p| self.expr(p, base)),
                }
            }
            Rule::mirror_stmt => {
                it.next();
                let target = self.dest_target(it.next().unwrap(), base);
                let (mut port, mut percent) = (None, None);
                while let Some(p) = it.next() {
                    match p.as_rule() {
                        Rule::kw_port => port = it.next().map(|v| self.expr(v, base)),
                        _ => percent = Some(self.expr(p, base)),
                    }
                }
                StmtKind::Mirror {
                    target: Box::new(target),
                    port,
                    percent,
                }
            }
            Rule::header_stmt => {
                let response = it.next().unwrap().as_str() == "response";
                let op = match it.next().unwrap().as_str() {
                    "set" => HeaderOp::Set,
                    "add" => HeaderOp::Add,
                    _ => HeaderOp::Remove,
                };
                it.next();
                let name = self.expr(it.next().unwrap(), base);
                let value = it.next().map(|v| self.expr(v, base));
                StmtKind::Header {
                    response,
                    op,
                    name,
                    value,
                }
            }
            Rule::cors_stmt => {
                it.next();
                let block = it.next().unwrap();
                StmtKind::Cors(
                    block
                        .into_inner()
                        .filter(|p| p.as_rule() == Rule::cors_item)
                        .map(|p| self.cors_item(p, base))
                        .collect(),
                )
            }
            Rule::egress_stmt => {
                it.next();
                let first = it.next().unwrap();
                StmtKind::Egress(if first.as_rule() == Rule::kw_auto {
                    Egress::Auto
                } else {
                    let kind = first.as_str();
                    let items = it.map(|p| self.ident(p, base)).collect();
                    match kind {
                        "namespace" => Egress::Namespaces(items),
                        "service" => Egress::Services(items),
                        _ => Egress::Externals(items),
                    }
                })
            }
            Rule::outbound_stmt | Rule::mtls_stmt => {
                it.next();
                let v = self.ident(it.next().unwrap(), base);
                if rule == Rule::outbound_stmt {
                    StmtKind::Outbound(v)
                } else {
                    StmtKind::Mtls(v)
                }
            }
            Rule::domain_stmt | Rule::root_ns_stmt => {
                it.next();
                let v = self.expr(it.next().unwrap(), base);
                if rule == Rule::domain_stmt {
                    StmtKind::Domain(v)
                } else {
                    StmtKind::RootNamespace(v)
                }
            }
            Rule::use_stmt => {
                it.next();
                let path = it.next().unwrap();
                let std = path.as_str().starts_with("std.");
                let name = path.into_inner().find(|p| p.as_rule() == Rule::ident).unwrap();
                let name = self.ident(name, base);
                let args = it
                    .filter(|p| p.as_rule() == Rule::arg)
                    .map(|a| {
                        let mut parts: Vec<_> = a.into_inner().collect();
                        let value = self.expr(parts.pop().unwrap(), base);
                        let name = parts.pop().map(|n| self.ident(n, base));
                        Arg { name, value }
                    })
                    .collect();
                StmtKind::Use(Use { std, name, args })
            }
            Rule::authenticate_stmt => {
                it.next();
                it.next();
                StmtKind::Authenticate(it.map(|p| self.ident(p, base)).collect())
            }
            Rule::require_stmt => StmtKind::RequireJwt,
            Rule::policy_stmt => StmtKind::Policy(Box::new(self.policy(it.collect(), base))),
            _ => StmtKind::Jwt(self.jwt_setting(rule, it.collect(), base)),
        };
        Stmt {
            kind,
            span,
            head,
            doc: None,
        }
    }

    fn policy(&self, parts: Vec<Pair<Rule>>, base: usize) -> Policy {
        let action_pair = &parts[0];
        let action = match action_pair.as_str() {
            "deny" => PolicyAction::Deny,
            "audit" => PolicyAction::Audit,
            _ => PolicyAction::Allow,
        };
        let action = Sp::new(action, self.span(action_pair, base));
        let (mut from, mut to, mut when) = (Vec::new(), Vec::new(), Vec::new());
        for p in parts.into_iter().skip(1) {
            match p.as_rule() {
                Rule::kw_all => {
                    return Policy {
                        action,
                        body: PolicyBody::All(self.span(&p, base)),
                    }
                }
                Rule::kw_nothing => {
                    return Policy {
                        action,
                        body: PolicyBody::Nothing(self.span(&p, base)),
                    }
                }
                Rule::policy_from => from = self.alternatives(p, Rule::source_term, |t| self.source_term(t, base)),
                Rule::policy_to => to = self.alternatives(p, Rule::op_term, |t| self.op_term(t, base)),
                _ => {
                    when = p
                        .into_inner()
                        .filter(|c| c.as_rule() == Rule::sec_cond)
                        .map(|c| self.sec_condition(c, base))
                        .collect()
                }
            }
        }
        Policy {
            action,
            body: PolicyBody::Rule { from, to, when },
        }
    }

    /// `from` / `to`: alternatives joined by `or`, each terms joined by `and`.
    fn alternatives<T>(&self, p: Pair<Rule>, term: Rule, f: impl Fn(Pair<Rule>) -> T) -> Vec<Vec<T>> {
        p.into_inner()
            .filter(|alt| matches!(alt.as_rule(), Rule::source | Rule::operation))
            .map(|alt| alt.into_inner().filter(|t| t.as_rule() == term).map(&f).collect())
            .collect()
    }

    /// `[not] KEYWORD values...`: the negation, the keyword and the values.
    fn term<'i>(&self, p: Pair<'i, Rule>) -> (bool, Rule, Vec<Pair<'i, Rule>>) {
        let mut negate = false;
        for part in p.into_inner() {
            if part.as_rule() == Rule::negate {
                negate = true;
                continue;
            }
            let mut it = part.into_inner();
            if let Some(k) = it.next() {
                return (negate, k.as_rule(), it.collect());
            }
        }
        (negate, Rule::EOI, Vec::new())
    }

    fn source_term(&self, p: Pair<Rule>, base: usize) -> Sp<SourceTerm> {
        let span = self.span(&p, base);
        let (negate, k, values) = self.term(p);
        let exprs = || values.iter().map(|v| self.expr(v.clone(), base)).collect();
        let idents = || values.iter().map(|v| self.ident(v.clone(), base)).collect();
        let field = match k {
            Rule::kw_service => SourceField::Service(idents()),
            Rule::kw_principal => SourceField::Principal(exprs()),
            Rule::kw_namespace => SourceField::Namespace(idents()),
            Rule::kw_jwt => SourceField::Jwt(exprs()),
            Rule::kw_ip => SourceField::Ip(exprs()),
            Rule::kw_remote_ip => SourceField::RemoteIp(exprs()),
            _ => SourceField::Authenticated,
        };
        Sp::new(SourceTerm { negate, field }, span)
    }

    fn op_term(&self, p: Pair<Rule>, base: usize) -> Sp<OperationTerm> {
        let span = self.span(&p, base);
        let (negate, k, values) = self.term(p);
        let exprs = || values.iter().map(|v| self.expr(v.clone(), base)).collect();
        let field = match k {
            Rule::kw_method => OperationField::Method(values.iter().map(|v| self.ident(v.clone(), base)).collect()),
            Rule::kw_path => OperationField::Path(exprs()),
            Rule::kw_host => OperationField::Host(exprs()),
            _ => OperationField::Port(exprs()),
        };
        Sp::new(OperationTerm { negate, field }, span)
    }

    fn sec_condition(&self, p: Pair<Rule>, base: usize) -> Sp<SecCondition> {
        let span = self.span(&p, base);
        let mut it = p.into_inner();
        let key_pair = it.next().unwrap();
        let key_span = self.span(&key_pair, base);
        let mut kit = key_pair.into_inner();
        let k = kit.next().unwrap();
        let key = match k.as_rule() {
            Rule::kw_claim => CondKey::Claim(
                kit.map(|s| {
                    let t = s.as_str();
                    Sp::new(unescape(&t[1..t.len() - 1]), self.span(&s, base))
                })
                .collect(),
            ),
            Rule::kw_header => CondKey::Header(self.expr(kit.next().unwrap(), base)),
            Rule::kw_source_ip => CondKey::SourceIp,
            Rule::kw_remote_ip => CondKey::RemoteIp,
            Rule::kw_source_namespace => CondKey::SourceNamespace,
            Rule::kw_source_principal => CondKey::SourcePrincipal,
            Rule::kw_audience => CondKey::Audience,
            Rule::kw_presenter => CondKey::Presenter,
            Rule::kw_destination_port => CondKey::DestinationPort,
            _ => CondKey::Sni,
        };
        let op_pair = it.next().unwrap();
        let parts: Vec<Pair<Rule>> = op_pair.into_inner().collect();
        let values = |skip: usize| {
            parts
                .iter()
                .skip(skip)
                .map(|v| self.expr(v.clone(), base))
                .collect::<Vec<_>>()
        };
        let op = match parts[0].as_rule() {
            Rule::eq => CondOp::Eq(self.expr(parts[1].clone(), base)),
            Rule::kw_not => CondOp::NotIn(values(2)),
            Rule::kw_in => CondOp::In(values(1)),
            _ => CondOp::Contains(self.expr(parts[1].clone(), base)),
        };
        Sp::new(
            SecCondition {
                key: Sp::new(key, key_span),
                op,
            },
            span,
        )
    }

    fn jwt_setting(&self, rule: Rule, parts: Vec<Pair<Rule>>, base: usize) -> JwtSetting {
        let values: Vec<Expr> = parts
            .iter()
            .filter(|p| p.as_rule() == Rule::str_val)
            .map(|p| self.expr(p.clone(), base))
            .collect();
        let mut v = values.into_iter();
        match rule {
            Rule::issuer_stmt => JwtSetting::Issuer(v.next().unwrap()),
            Rule::jwks_uri_stmt => JwtSetting::JwksUri(v.next().unwrap()),
            Rule::jwks_stmt => JwtSetting::Jwks(v.next().unwrap()),
            Rule::audiences_stmt => JwtSetting::Audiences(v.collect()),
            Rule::forward_token_stmt => JwtSetting::ForwardToken,
            Rule::claim_header_stmt => JwtSetting::ClaimToHeader {
                claim: v.next().unwrap(),
                header: v.next().unwrap(),
            },
            Rule::payload_header_stmt => JwtSetting::PayloadToHeader(v.next().unwrap()),
            _ => match parts[1].as_rule() {
                Rule::kw_header => JwtSetting::FromHeader {
                    name: v.next().unwrap(),
                    prefix: v.next(),
                },
                Rule::kw_query => JwtSetting::FromQuery(v.next().unwrap()),
                _ => JwtSetting::FromCookie(v.next().unwrap()),
            },
        }
    }

    fn retries(&self, parts: Vec<Pair<Rule>>, base: usize) -> StmtKind {
        if parts.first().is_some_and(|p| p.as_rule() == Rule::kw_off) {
            return StmtKind::Retries(None);
        }
        let mut it = parts.into_iter();
        let attempts = self.expr(it.next().unwrap(), base);
        let mut per_try = None;
        let mut on = Vec::new();
        while let Some(p) = it.next() {
            match p.as_rule() {
                Rule::kw_per_try => per_try = it.next().map(|v| self.expr(v, base)),
                Rule::ident => on.push(self.ident(p, base)),
                _ => {}
            }
        }
        StmtKind::Retries(Some(Box::new(Retries { attempts, per_try, on })))
    }

    fn hash_key(&self, p: Pair<Rule>, base: usize) -> HashKey {
        let mut it = p.into_inner();
        let k = it.next().unwrap();
        match k.as_rule() {
            Rule::kw_cookie => {
                let name = self.expr(it.next().unwrap(), base);
                let (mut ttl, mut path) = (None, None);
                for o in it {
                    let mut o = o.into_inner();
                    let k = o.next().unwrap();
                    let v = Some(self.expr(o.next().unwrap(), base));
                    if k.as_rule() == Rule::kw_ttl {
                        ttl = v;
                    } else {
                        path = v;
                    }
                }
                HashKey::Cookie { name, ttl, path }
            }
            Rule::kw_header => HashKey::Header(self.expr(it.next().unwrap(), base)),
            Rule::kw_query => HashKey::Query(self.expr(it.next().unwrap(), base)),
            _ => HashKey::SourceIp,
        }
    }

    fn condition(&self, p: Pair<Rule>, base: usize) -> Sp<Cond> {
        let span = self.span(&p, base);
        let c = p.into_inner().next().unwrap();
        let rule = c.as_rule();
        let mut it = c.into_inner().filter(|p| {
            !matches!(
                p.as_rule(),
                Rule::kw_path | Rule::kw_header | Rule::kw_query | Rule::kw_not | Rule::kw_from
            )
        });
        let cond = match rule {
            Rule::path_cond => {
                let m = self.string_match(it.next().unwrap(), base);
                Cond::Path {
                    m,
                    ignore_case: it.next().is_some(),
                }
            }
            Rule::header_cond | Rule::query_cond => {
                let name = self.expr(it.next().unwrap(), base);
                let m = self.value_match(it.next().unwrap(), base);
                if rule == Rule::header_cond {
                    Cond::Header { name, m }
                } else {
                    Cond::Query { name, m }
                }
            }
            Rule::not_header_cond => {
                let name = self.expr(it.next().unwrap(), base);
                Cond::NotHeader {
                    name,
                    m: it.next().map(|m| self.value_match(m, base)),
                }
            }
            Rule::method_cond => Cond::Method(
                it.filter(|p| p.as_rule() == Rule::method)
                    .map(|p| self.ident(p, base))
                    .collect(),
            ),
            Rule::host_cond | Rule::port_cond | Rule::sni_cond => {
                let mut it = it.skip(1);
                let v = self.expr(it.next().unwrap(), base);
                match rule {
                    Rule::host_cond => Cond::Host(v),
                    Rule::port_cond => Cond::Port(v),
                    _ => Cond::Sni(v),
                }
            }
            Rule::from_service_cond => Cond::FromService(self.ident(it.nth(1).unwrap(), base)),
            _ => Cond::FromNamespace(self.ident(it.nth(1).unwrap(), base)),
        };
        Sp::new(cond, span)
    }

    fn string_match(&self, p: Pair<Rule>, base: usize) -> StrMatch {
        let inner = match p.as_rule() {
            Rule::string_match | Rule::origin => p.into_inner().next().unwrap(),
            _ => p,
        };
        match inner.as_rule() {
            Rule::match_prefix => StrMatch::Prefix(self.expr(inner.into_inner().nth(1).unwrap(), base)),
            Rule::match_regex => StrMatch::Regex(self.expr(inner.into_inner().nth(1).unwrap(), base)),
            Rule::match_exact => StrMatch::Exact(self.expr(inner.into_inner().nth(1).unwrap(), base)),
            _ => StrMatch::Exact(self.expr(inner, base)),
        }
    }

    fn value_match(&self, p: Pair<Rule>, base: usize) -> ValueMatch {
        let inner = p.into_inner().next().unwrap();
        if inner.as_rule() == Rule::match_present {
            ValueMatch::Present
        } else {
            ValueMatch::Str(self.string_match(inner, base))
        }
    }

    fn action(&self, p: Pair<Rule>, base: usize) -> Action {
        let span = self.span(&p, base);
        let mut kind = ActionKind::Route(Vec::new());
        let mut options = Vec::new();
        for part in p.into_inner() {
            match part.as_rule() {
                Rule::arrow => {}
                Rule::redirect => {
                    let mut it = part.into_inner().filter(|p| p.as_rule() != Rule::kw_code).skip(1);
                    let url = self.expr(it.next().unwrap(), base);
                    kind = ActionKind::Redirect {
                        url,
                        code: it.next().map(|c| self.expr(c, base)),
                    };
                }
                Rule::destinations => kind = ActionKind::Route(part.into_inner().map(|d| self.dest(d, base)).collect()),
                Rule::block => options.extend(self.block(Some(part), base)),
                _ => options.push(self.stmt(part, base)),
            }
        }
        Action { kind, options, span }
    }

    fn dest(&self, p: Pair<Rule>, base: usize) -> Dest {
        let span = self.span(&p, base);
        let mut it = p.into_inner();
        let target = self.dest_target(it.next().unwrap(), base);
        let (mut port, mut weight) = (None, None);
        while let Some(p) = it.next() {
            match p.as_rule() {
                Rule::kw_port => port = it.next().map(|v| self.expr(v, base)),
                _ => {
                    let w = p.into_inner().next().unwrap();
                    weight = Some(if w.as_rule() == Rule::kw_rest {
                        Weight::Rest(self.span(&w, base))
                    } else {
                        Weight::Percent(self.expr(w, base))
                    });
                }
            }
        }
        Dest {
            target,
            port,
            weight,
            span,
        }
    }

    fn dest_target(&self, p: Pair<Rule>, base: usize) -> DestTarget {
        let mut it = p.into_inner();
        let first = it.next().unwrap();
        match first.as_rule() {
            Rule::kw_service => {
                let name = self.ident(it.next().unwrap(), base);
                DestTarget::Service {
                    name,
                    subset: it.next().map(|s| self.ident(s, base)),
                }
            }
            Rule::kw_external => DestTarget::External(self.ident(it.next().unwrap(), base)),
            _ => DestTarget::Subset(self.ident(first, base)),
        }
    }

    fn cors_item(&self, p: Pair<Rule>, base: usize) -> CorsItem {
        let mut it = p.into_inner();
        let k = it.next().unwrap();
        match k.as_rule() {
            Rule::kw_origins => CorsItem::Origins(it.map(|o| self.string_match(o, base)).collect()),
            Rule::kw_methods => CorsItem::Methods(it.map(|m| self.ident(m, base)).collect()),
            Rule::kw_headers => CorsItem::Headers(it.map(|h| self.expr(h, base)).collect()),
            Rule::kw_expose => CorsItem::Expose(it.map(|h| self.expr(h, base)).collect()),
            Rule::kw_max_age => CorsItem::MaxAge(self.expr(it.next().unwrap(), base)),
            _ => CorsItem::Credentials(self.span(&k, base)),
        }
    }
}

fn trim_end(text: &str, start: usize, mut end: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        while end > start && matches!(bytes[end - 1], b' ' | b'\t' | b'\r' | b'\n' | b'\\') {
            end -= 1;
        }
        // A comment runs to the end of its line: cut at its `#` if it is inside the span.
        let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1).max(start);
        match comment_start(&bytes[line_start..end]) {
            Some(i) => end = line_start + i,
            None => return end,
        }
    }
}

fn comment_start(line: &[u8]) -> Option<usize> {
    let mut in_str = false;
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'#' if !in_str => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Nanoseconds of a duration literal such as `1.5s` (saturating).
pub(super) fn parse_duration(s: &str) -> u64 {
    let (num, unit) = match s.strip_suffix("ms") {
        Some(n) => (n, 1_000_000f64),
        None => {
            let (n, u) = s.split_at(s.len() - 1);
            let unit = match u {
                "s" => 1e9,
                "m" => 60e9,
                _ => 3600e9,
            };
            (n, unit)
        }
    };
    let v: f64 = num.parse().unwrap_or(f64::MAX);
    let ns = (v * unit).round();
    if ns >= u64::MAX as f64 {
        u64::MAX
    } else {
        ns as u64
    }
}

pub(super) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(q @ ('"' | '\\')) => out.push(q),
                // Other escapes stay as written, so regexes such as `\d+` read naturally.
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}
