//! VirtualService: the rules of a `route` block, in order.

use super::{header, object, Sources};
use crate::backend::yaml::Yaml;
use crate::backend::{duration, Object};
use crate::ir::{
    Action, Condition, Destination, HeaderOps, Match, Mesh, Retry, Route, RouteKind, RouteOptions, Service,
    ServiceKind, StringMatch,
};
use crate::span::Sp;

pub fn lower(mesh: &Mesh, svc: &Service, sources: &Sources, out: &mut Vec<Object>) {
    let defaults = &svc.defaults;
    let implicit;
    let routes: &[Route] = if svc.routes.is_empty() {
        // Service-level `timeout`/`retries` without rules: one catch-all route.
        let http = svc.ports.is_empty() || svc.ports.iter().any(|p| p.protocol.node.is_http());
        if !http || (defaults.timeout.is_none() && defaults.retries.is_none()) {
            return;
        }
        implicit = [Route {
            kind: RouteKind::Http,
            matches: Vec::new(),
            action: Action::Forward(vec![Destination {
                host: svc.host().to_string(),
                subset: None,
                port: None,
                weight: None,
                span: svc.span,
            }]),
            options: RouteOptions::default(),
            span: svc.span,
        }];
        &implicit
    } else {
        &svc.routes
    };
    let name = &svc.name.node;
    let mut y = Yaml::new();
    header(
        &mut y,
        "VirtualService",
        name,
        &svc.namespace,
        &sources.location(svc.span),
    );
    y.open("spec");
    let hosts: Vec<String> = match &svc.kind {
        ServiceKind::External { hosts, .. } => hosts.iter().map(|h| h.node.clone()).collect(),
        ServiceKind::Kubernetes => vec![svc.host().to_string()],
    };
    y.str_list("hosts", &hosts);
    for (kind, key) in [
        (RouteKind::Http, "http"),
        (RouteKind::Tls, "tls"),
        (RouteKind::Tcp, "tcp"),
    ] {
        if !routes.iter().any(|r| r.kind == kind) {
            continue;
        }
        y.open_list(key);
        for r in routes.iter().filter(|r| r.kind == kind) {
            y.item();
            if kind == RouteKind::Http {
                http_route(&mut y, mesh, svc, r);
            } else {
                l4_route(&mut y, r, kind);
            }
            y.close();
        }
        y.close();
    }
    y.close();
    out.push(object("VirtualService", name, &svc.namespace, y));
}

fn http_route(y: &mut Yaml, mesh: &Mesh, svc: &Service, r: &Route) {
    if !r.matches.is_empty() {
        y.open_list("match");
        for m in &r.matches {
            y.item();
            http_match(y, m);
            y.close();
        }
        y.close();
    }
    let o = &r.options;
    match &r.action {
        Action::Forward(ds) => destinations(y, ds),
        Action::Redirect(rd) => {
            y.open("redirect");
            y.opt_str("uri", rd.uri.as_deref());
            y.opt_str("authority", rd.authority.as_deref());
            y.opt_str("scheme", rd.scheme.as_deref());
            if let Some(p) = rd.port {
                y.int("port", p as u64);
            }
            if let Some(c) = &rd.code {
                y.int("redirectCode", c.node as u64);
            }
            y.close();
        }
    }
    // A redirect is answered locally: timeouts and retries do not apply.
    let forwarded = matches!(r.action, Action::Forward(_));
    if let Some(t) = o
        .timeout
        .as_ref()
        .or(svc.defaults.timeout.as_ref())
        .filter(|_| forwarded)
    {
        y.str("timeout", &duration(t.node));
    }
    let retries = o
        .retries
        .as_ref()
        .or(svc.defaults.retries.as_ref())
        .or(mesh.default_retries.as_ref())
        .filter(|_| forwarded);
    if let Some(rt) = retries {
        y.open("retries");
        match &rt.node {
            Retry::Off => y.int("attempts", 0),
            Retry::On { attempts, per_try, on } => {
                y.int("attempts", *attempts as u64);
                if let Some(p) = per_try {
                    y.str("perTryTimeout", &duration(p.node));
                }
                if !on.is_empty() {
                    y.str("retryOn", &on.join(","));
                }
            }
        }
        y.close();
    }
    if let Some(rw) = &o.rewrite {
        y.open("rewrite");
        y.opt_str("uri", rw.uri.as_deref());
        if let Some((m, s)) = &rw.uri_regex {
            y.open("uriRegexRewrite");
            y.str("match", m);
            y.str("rewrite", s);
            y.close();
        }
        y.opt_str("authority", rw.authority.as_deref());
        y.close();
    }
    if o.delay.is_some() || o.abort.is_some() {
        y.open("fault");
        if let Some((d, p)) = &o.delay {
            y.open("delay");
            y.str("fixedDelay", &duration(d.node));
            percentage(y, "percentage", p.unwrap_or(100.0));
            y.close();
        }
        if let Some((c, p)) = &o.abort {
            y.open("abort");
            y.int("httpStatus", c.node as u64);
            percentage(y, "percentage", p.unwrap_or(100.0));
            y.close();
        }
        y.close();
    }
    if let Some(m) = &o.mirror {
        y.open("mirror");
        y.str("host", &m.host);
        y.opt_str("subset", m.subset.as_deref());
        if let Some(p) = m.port {
            y.open("port");
            y.int("number", p as u64);
            y.close();
        }
        y.close();
        percentage(y, "mirrorPercentage", m.percent.unwrap_or(100.0));
    }
    if o.request_headers.is_some() || o.response_headers.is_some() {
        y.open("headers");
        header_ops(y, "request", o.request_headers.as_deref());
        header_ops(y, "response", o.response_headers.as_deref());
        y.close();
    }
    if let Some(c) = &o.cors {
        y.open("corsPolicy");
        if !c.origins.is_empty() {
            y.open_list("allowOrigins");
            for m in &c.origins {
                y.item();
                string_match(y, m);
                y.close();
            }
            y.close();
        }
        y.str_list("allowMethods", &c.methods);
        y.str_list("allowHeaders", &c.headers);
        y.str_list("exposeHeaders", &c.expose);
        if let Some(d) = &c.max_age {
            y.str("maxAge", &duration(d.node));
        }
        if c.credentials {
            y.bool("allowCredentials", true);
        }
        y.close();
    }
}

fn percentage(y: &mut Yaml, key: &str, value: f64) {
    y.open(key);
    y.float("value", value);
    y.close();
}

fn header_ops(y: &mut Yaml, key: &str, ops: Option<&HeaderOps>) {
    let Some(ops) = ops.filter(|o| !o.is_empty()) else {
        return;
    };
    y.open(key);
    for (field, list) in [("set", &ops.set), ("add", &ops.add)] {
        if !list.is_empty() {
            y.open(field);
            for (k, v) in list {
                y.str(k, v);
            }
            y.close();
        }
    }
    y.str_list("remove", &ops.remove);
    y.close();
}

fn string_match(y: &mut Yaml, m: &StringMatch) {
    match m {
        StringMatch::Exact(v) => y.str("exact", v),
        StringMatch::Prefix(v) => y.str("prefix", v),
        StringMatch::Regex(v) => y.str("regex", v),
    }
}

/// A header/query matcher; `None` is "present" (Istio's `regex: "*"` is
/// ambiguous with RE2, so presence is written as a match-anything regex).
fn value_match(y: &mut Yaml, key: &str, m: &Option<StringMatch>) {
    y.open(key);
    match m {
        Some(m) => string_match(y, m),
        None => y.str("regex", ".*"),
    }
    y.close();
}

fn http_match(y: &mut Yaml, m: &Match) {
    let conds = || m.conditions.iter().map(|c: &Sp<Condition>| &c.node);
    let mut ignore_case = false;
    for c in conds() {
        match c {
            Condition::Path { m, ignore_case: ic } => {
                y.open("uri");
                string_match(y, m);
                y.close();
                ignore_case |= ic;
            }
            Condition::Method(ms) => {
                y.open("method");
                if ms.len() == 1 {
                    y.str("exact", &ms[0]);
                } else {
                    y.str("regex", &ms.join("|"));
                }
                y.close();
            }
            Condition::Authority(h) => {
                y.open("authority");
                y.str("exact", h);
                y.close();
            }
            Condition::Port(p) => y.int("port", *p as u64),
            Condition::SourceNamespace(_) | Condition::SourceWorkload { .. } => {}
            _ => {}
        }
    }
    source(y, m);
    if ignore_case {
        y.bool("ignoreUriCase", true);
    }
    for (key, pick) in [("headers", 0), ("withoutHeaders", 1), ("queryParams", 2)] {
        let items: Vec<(&String, &Option<StringMatch>)> = conds()
            .filter_map(|c| match (c, pick) {
                (Condition::Header { name, m }, 0)
                | (Condition::WithoutHeader { name, m }, 1)
                | (Condition::Query { name, m }, 2) => Some((name, m)),
                _ => None,
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        y.open(key);
        for (name, m) in items {
            value_match(y, name, m);
        }
        y.close();
    }
}

/// `sourceLabels` and `sourceNamespace`: labels are namespace-scoped, so
/// `from service` pins both (checks ensure the namespaces agree).
fn source(y: &mut Yaml, m: &Match) {
    let mut namespace = None;
    for c in &m.conditions {
        match &c.node {
            Condition::SourceWorkload { labels, namespace: ns } => {
                y.open("sourceLabels");
                for (k, v) in labels {
                    y.str(k, v);
                }
                y.close();
                namespace = Some(ns);
            }
            Condition::SourceNamespace(ns) => namespace = Some(ns),
            _ => {}
        }
    }
    if let Some(ns) = namespace {
        y.str("sourceNamespace", ns);
    }
}

fn l4_route(y: &mut Yaml, r: &Route, kind: RouteKind) {
    if !r.matches.is_empty() {
        y.open_list("match");
        for m in &r.matches {
            y.item();
            let mut sni = Vec::new();
            for c in &m.conditions {
                match &c.node {
                    Condition::Port(p) => y.int("port", *p as u64),
                    Condition::Sni(s) => sni.push(s.clone()),
                    Condition::SourceNamespace(_) | Condition::SourceWorkload { .. } => {}
                    _ => {}
                }
            }
            source(y, m);
            if kind == RouteKind::Tls {
                y.str_list("sniHosts", &sni);
            }
            y.close();
        }
        y.close();
    }
    if let Action::Forward(ds) = &r.action {
        destinations(y, ds);
    }
}

/// `route:` with weights resolved: `rest` takes what the others leave.
fn destinations(y: &mut Yaml, ds: &[Destination]) {
    let weights = Destination::weights(ds);
    y.open_list("route");
    for (d, w) in ds.iter().zip(weights) {
        y.item();
        y.open("destination");
        y.str("host", &d.host);
        y.opt_str("subset", d.subset.as_deref());
        if let Some(p) = &d.port {
            y.open("port");
            y.int("number", p.node as u64);
            y.close();
        }
        y.close();
        if ds.len() > 1 {
            y.int("weight", w.round() as u64);
        }
        y.close();
    }
    y.close();
}
