//! Outbound HTTP: the route configuration of one port (a virtual host per
//! service and host, then the catch-all), and each rule as Envoy routes.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::clusters::{self, Set};
use super::{duration, percent, scope, Cx};
use crate::ir::{
    Action, Condition, Cors, Destination, HashKey, HeaderOps, Match, Outbound, Redirect, Retry, Route, RouteKind,
    RouteOptions, Service, ServiceKind, StringMatch,
};

/// Istio's retry conditions when a policy names none, and its default policy.
const RETRY_ON: &str = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";
const FAULT: &str = "envoy.extensions.filters.http.fault.v3.HTTPFault";
const CORS: &str = "envoy.extensions.filters.http.cors.v3.CorsPolicy";

/// The route configuration of outbound port `port`, named like istiod's RDS (`"9080"`).
pub fn config<'m>(cx: &Cx<'m>, port: u32, services: &[&'m Service], outbound: Outbound, set: &mut Set<'m>) -> Value {
    let mut vhosts = Vec::new();
    let mut taken = BTreeSet::new();
    for &svc in services {
        let routes = service_routes(cx, svc, port, set);
        for host in scope::hosts(svc) {
            let domains: Vec<String> = domains(cx, svc, host)
                .into_iter()
                .filter(|d| taken.insert(d.clone()))
                .collect();
            if domains.is_empty() {
                continue;
            }
            // An external's other hosts keep their own cluster for the default route.
            let routes = if host == svc.host() {
                routes.clone()
            } else {
                vec![default_route(svc, port, host, set)]
            };
            vhosts.push(json!({
                "name": format!("{host}:{port}"),
                "domains": domains,
                "routes": routes,
                "include_request_attempt_count": true,
            }));
        }
    }
    vhosts.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    vhosts.push(match outbound {
        Outbound::AllowAny => {
            set.passthrough = true;
            json!({"name": "allow_any", "domains": ["*"], "include_request_attempt_count": true, "routes": [{
                "name": "allow_any",
                "match": {"prefix": "/"},
                "route": {"cluster": "PassthroughCluster", "timeout": "0s"},
            }]})
        }
        Outbound::RegistryOnly => json!({"name": "block_all", "domains": ["*"], "routes": [{
            "name": "block_all",
            "match": {"prefix": "/"},
            "direct_response": {"status": 502},
        }]}),
    });
    json!({
        "name": port.to_string(),
        "validate_clusters": false,
        "ignore_port_in_host_matching": true,
        "virtual_hosts": vhosts,
    })
}

/// The FQDN, the short names valid from the proxy's namespace, an external's VIPs.
fn domains(cx: &Cx, svc: &Service, host: &str) -> Vec<String> {
    let mut out = vec![host.to_string()];
    match &svc.kind {
        ServiceKind::Kubernetes => {
            let (name, ns) = (&svc.name.node, &svc.namespace);
            if *ns == cx.me.namespace {
                out.push(name.clone());
            }
            out.push(format!("{name}.{ns}"));
            out.push(format!("{name}.{ns}.svc"));
        }
        ServiceKind::External { addresses, .. } => out.extend(addresses.iter().map(|a| a.node.clone())),
    }
    out
}

/// A service's rules on one port, resolved for this proxy (rules whose
/// source or port conditions exclude it are left out, as istiod does).
fn service_routes<'m>(cx: &Cx<'m>, svc: &'m Service, port: u32, set: &mut Set<'m>) -> Vec<Value> {
    let mut out = Vec::new();
    if svc.routes.is_empty() && (svc.defaults.timeout.is_some() || svc.defaults.retries.is_some()) {
        // The Istio backend writes one catch-all rule to carry these; so does this one.
        let to = [Destination {
            host: svc.host().to_string(),
            subset: None,
            port: None,
            weight: None,
            span: svc.span,
        }];
        let r = Route {
            kind: RouteKind::Http,
            matches: Vec::new(),
            action: Action::Forward(to.to_vec()),
            options: RouteOptions::default(),
            span: svc.span,
        };
        out.push(route(cx, svc, &r, None, port, set));
    }
    for r in svc.routes.iter().filter(|r| r.kind == RouteKind::Http) {
        if r.matches.is_empty() {
            out.push(route(cx, svc, r, None, port, set));
        }
        for m in r.matches.iter().filter(|m| applies(cx, m, port)) {
            out.push(route(cx, svc, r, Some(m), port, set));
        }
    }
    if out.is_empty() {
        out.push(default_route(svc, port, svc.host(), set));
    }
    out
}

/// Whether a match can hold on this proxy and listener port.
pub fn applies(cx: &Cx, m: &Match, port: u32) -> bool {
    m.conditions.iter().all(|c| match &c.node {
        Condition::Port(p) => *p == port,
        Condition::SourceNamespace(n) => *n == cx.me.namespace,
        Condition::SourceWorkload { labels, namespace } => {
            *namespace == cx.me.namespace
                && labels
                    .iter()
                    .all(|(k, v)| cx.me.selector.iter().any(|l| l.key.node == *k && l.value.node == *v))
        }
        _ => true,
    })
}

/// istiod's route for a service without rules: no timeout, default retries.
fn default_route<'m>(svc: &'m Service, port: u32, host: &str, set: &mut Set<'m>) -> Value {
    set.service(svc);
    let cluster = clusters::name(port, "", host);
    let hashing = svc
        .port(port)
        .and_then(|p| hash_policy(&clusters::policy(svc, p, None)));
    let mut action = json!({"cluster": cluster, "timeout": "0s", "max_stream_duration": grpc_timeout("0s")});
    if let Some(rp) = retry_policy(None, hashing.is_some()) {
        action["retry_policy"] = rp;
    }
    if let Some(hp) = hashing {
        action["hash_policy"] = hp;
    }
    json!({
        "name": "default",
        "match": {"prefix": "/"},
        "route": action,
        "decorator": {"operation": format!("{host}:{port}/*")},
    })
}

/// The cap on a gRPC client's `grpc-timeout`: istiod's `max_grpc_timeout`,
/// in the field that replaces it (the old one is deprecated in Envoy 1.38).
fn grpc_timeout(t: &str) -> Value {
    json!({ "grpc_timeout_header_max": t })
}

fn route<'m>(cx: &Cx<'m>, svc: &'m Service, r: &Route, m: Option<&Match>, port: u32, set: &mut Set<'m>) -> Value {
    let o = &r.options;
    let mut out = json!({
        "match": m.map_or_else(|| json!({"prefix": "/", "case_sensitive": true}), route_match),
        "decorator": {"operation": format!("{}:{port}/*", svc.host())},
    });
    match &r.action {
        Action::Redirect(rd) => out["redirect"] = redirect(rd),
        Action::Forward(ds) => out["route"] = forward(cx, svc, ds, o, port, set),
    }
    let mut per_filter = Map::new();
    if o.delay.is_some() || o.abort.is_some() {
        let mut f = json!({"@type": format!("type.googleapis.com/{FAULT}")});
        if let Some((d, p)) = &o.delay {
            f["delay"] = json!({"fixed_delay": duration(d.node), "percentage": percent(p.unwrap_or(100.0))});
        }
        if let Some((c, p)) = &o.abort {
            f["abort"] = json!({"http_status": c.node, "percentage": percent(p.unwrap_or(100.0))});
        }
        per_filter.insert("envoy.filters.http.fault".into(), f);
    }
    if let Some(c) = &o.cors {
        per_filter.insert("envoy.filters.http.cors".into(), cors(c));
    }
    if !per_filter.is_empty() {
        out["typed_per_filter_config"] = Value::Object(per_filter);
    }
    headers(&mut out, "request", o.request_headers.as_deref());
    headers(&mut out, "response", o.response_headers.as_deref());
    out
}

fn forward<'m>(
    cx: &Cx<'m>,
    svc: &'m Service,
    ds: &[Destination],
    o: &RouteOptions,
    port: u32,
    set: &mut Set<'m>,
) -> Value {
    let targets = targets(cx, ds, port, set);
    let mut action = match targets.as_slice() {
        [(one, _)] => json!({ "cluster": one }),
        many => {
            json!({"weighted_clusters": {"clusters": many.iter().map(|(n, w)| json!({"name": n, "weight": w})).collect::<Vec<_>>()}})
        }
    };
    let timeout = o
        .timeout
        .as_ref()
        .or(svc.defaults.timeout.as_ref())
        .map_or(0, |t| t.node);
    action["timeout"] = json!(duration(timeout));
    action["max_stream_duration"] = grpc_timeout(&duration(timeout));
    // The policy of the first destination decides consistent hashing, as in istiod.
    let first = ds.first().and_then(|d| destination_policy(cx, d, port));
    let hashing = first.as_ref().and_then(hash_policy);
    let retries = o
        .retries
        .as_ref()
        .or(svc.defaults.retries.as_ref())
        .or(cx.mesh.default_retries.as_ref())
        .map(|r| &r.node);
    if let Some(rp) = retry_policy(retries, hashing.is_some()) {
        action["retry_policy"] = rp;
    }
    if let Some(h) = hashing {
        action["hash_policy"] = h;
    }
    if let Some(rw) = &o.rewrite {
        if let Some(u) = &rw.uri {
            action["prefix_rewrite"] = json!(u);
        }
        if let Some((m, s)) = &rw.uri_regex {
            action["regex_rewrite"] = json!({"pattern": {"regex": m}, "substitution": s});
        }
        if let Some(a) = &rw.authority {
            action["host_rewrite_literal"] = json!(a);
        }
    }
    if let Some(host) = o.request_headers.as_deref().and_then(authority_set) {
        action["host_rewrite_literal"] = json!(host);
    }
    if let Some(m) = &o.mirror {
        if let Some(t) = cx.hosts.get(&m.host) {
            let cluster = set.destination(t, m.subset.as_deref(), m.port, port, svc.span);
            action["request_mirror_policies"] = json!([{
                "cluster": cluster,
                "runtime_fraction": {"default_value": percent(m.percent.unwrap_or(100.0))},
                "trace_sampled": false,
            }]);
        }
    }
    action
}

/// Destination clusters with their weights (`rest` resolved, zero weights dropped).
pub fn targets<'m>(cx: &Cx<'m>, ds: &[Destination], port: u32, set: &mut Set<'m>) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for (d, w) in ds.iter().zip(Destination::weights(ds)) {
        let Some(t) = cx.hosts.get(&d.host) else { continue };
        let name = set.destination(t, d.subset.as_deref(), d.port.as_ref().map(|p| p.node), port, d.span);
        if ds.len() == 1 || w.round() > 0.0 {
            out.push((name, w.round() as u64));
        }
    }
    out
}

/// The merged policy of the cluster a destination names.
fn destination_policy(cx: &Cx, d: &Destination, listener: u32) -> Option<crate::ir::Policy> {
    let t = cx.hosts.get(&d.host)?;
    let number = d.port.as_ref().map_or(listener, |p| p.node);
    let port = t.port(number).or(t.ports.first())?;
    let subset = d.subset.as_deref().and_then(|s| t.subset(s));
    Some(clusters::policy(t, port, subset))
}

fn hash_policy(p: &crate::ir::Policy) -> Option<Value> {
    Some(match clusters::hash_key(p)? {
        HashKey::Header(h) => json!([{"header": {"header_name": h}}]),
        HashKey::Cookie { name, ttl, path } => {
            let mut c = json!({ "name": name });
            if let Some(t) = ttl {
                c["ttl"] = json!(duration(*t));
            }
            if let Some(p) = path {
                c["path"] = json!(p);
            }
            json!([{ "cookie": c }])
        }
        HashKey::SourceIp => json!([{"connection_properties": {"source_ip": true}}]),
        HashKey::Query(q) => json!([{"query_parameter": {"name": q}}]),
    })
}

/// `None` is "no policy written": Istio's default. `retries off` is no policy at all.
fn retry_policy(r: Option<&Retry>, hashing: bool) -> Option<Value> {
    let (attempts, per_try, on) = match r {
        None => (2, None, RETRY_ON.to_string()),
        Some(Retry::Off) | Some(Retry::On { attempts: 0, .. }) => return None,
        Some(Retry::On { attempts, per_try, on }) => (
            *attempts,
            per_try.as_ref().map(|p| p.node),
            if on.is_empty() {
                RETRY_ON.to_string()
            } else {
                on.join(",")
            },
        ),
    };
    let mut p = json!({"retry_on": on, "num_retries": attempts});
    if let Some(t) = per_try {
        p["per_try_timeout"] = json!(duration(t));
    }
    // Retrying another host would break session affinity.
    if !hashing {
        p["retry_host_predicate"] = json!([super::typed(
            "envoy.retry_host_predicates.previous_hosts",
            "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
            json!({}),
        )]);
        p["host_selection_retry_max_attempts"] = json!("5");
    }
    Some(p)
}

fn string_match(m: &StringMatch) -> Value {
    match m {
        StringMatch::Exact(v) => json!({ "exact": v }),
        StringMatch::Prefix(v) => json!({ "prefix": v }),
        StringMatch::Regex(v) => json!({"safe_regex": {"regex": v}}),
    }
}

fn route_match(m: &Match) -> Value {
    let mut out = json!({"prefix": "/", "case_sensitive": true});
    let mut headers = Vec::new();
    let mut query = Vec::new();
    for c in &m.conditions {
        match &c.node {
            Condition::Path { m, ignore_case } => {
                let o = out.as_object_mut().expect("an object");
                o.remove("prefix");
                match m {
                    StringMatch::Exact(v) => o.insert("path".into(), json!(v)),
                    StringMatch::Prefix(v) => o.insert("prefix".into(), json!(v)),
                    StringMatch::Regex(v) => o.insert("safe_regex".into(), json!({ "regex": v })),
                };
                o.insert("case_sensitive".into(), json!(!ignore_case));
            }
            Condition::Header { name, m } => headers.push(header_matcher(name, m.as_ref(), false)),
            Condition::WithoutHeader { name, m } => headers.push(header_matcher(name, m.as_ref(), true)),
            Condition::Query { name, m } => query.push(match m {
                Some(m) => json!({"name": name, "string_match": string_match(m)}),
                None => json!({"name": name, "present_match": true}),
            }),
            Condition::Method(ms) => {
                let m = if let [one] = ms.as_slice() {
                    StringMatch::Exact(one.clone())
                } else {
                    StringMatch::Regex(ms.join("|"))
                };
                headers.push(header_matcher(":method", Some(&m), false));
            }
            Condition::Authority(h) => headers.push(header_matcher(
                ":authority",
                Some(&StringMatch::Exact(h.clone())),
                false,
            )),
            Condition::Port(_)
            | Condition::Sni(_)
            | Condition::SourceWorkload { .. }
            | Condition::SourceNamespace(_) => {}
        }
    }
    headers.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    if !headers.is_empty() {
        out["headers"] = json!(headers);
    }
    if !query.is_empty() {
        out["query_parameters"] = json!(query);
    }
    out
}

fn header_matcher(name: &str, m: Option<&StringMatch>, invert: bool) -> Value {
    let mut h = match m {
        Some(m) => json!({"name": name, "string_match": string_match(m)}),
        None => json!({"name": name, "present_match": true}),
    };
    if invert {
        h["invert_match"] = json!(true);
        if m.is_some() {
            h["treat_missing_header_as_empty"] = json!(true);
        }
    }
    h
}

fn redirect(rd: &Redirect) -> Value {
    let mut out = json!({});
    if let Some(u) = &rd.uri {
        out["path_redirect"] = json!(u);
    }
    if let Some(a) = &rd.authority {
        out["host_redirect"] = json!(a);
    }
    if let Some(s) = &rd.scheme {
        out["scheme_redirect"] = json!(s);
    }
    let default_port = match rd.scheme.as_deref() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    if let Some(p) = rd.port.filter(|p| Some(*p) != default_port) {
        out["port_redirect"] = json!(p);
    }
    if let Some(c) = &rd.code {
        out["response_code"] = json!(match c.node {
            302 => "FOUND",
            303 => "SEE_OTHER",
            307 => "TEMPORARY_REDIRECT",
            308 => "PERMANENT_REDIRECT",
            _ => "MOVED_PERMANENTLY",
        });
    }
    out
}

fn cors(c: &Cors) -> Value {
    let mut out = json!({
        "@type": format!("type.googleapis.com/{CORS}"),
        "allow_origin_string_match": c.origins.iter().map(string_match).collect::<Vec<_>>(),
    });
    for (key, list) in [
        ("allow_methods", &c.methods),
        ("allow_headers", &c.headers),
        ("expose_headers", &c.expose),
    ] {
        if !list.is_empty() {
            out[key] = json!(list.join(","));
        }
    }
    if let Some(d) = &c.max_age {
        out["max_age"] = json!((d.node / 1_000_000_000).to_string());
    }
    if c.credentials {
        out["allow_credentials"] = json!(true);
    }
    out
}

/// A `set` of `host`/`:authority` is Envoy's host rewrite, not a header.
fn authority_set(ops: &HeaderOps) -> Option<&str> {
    ops.set
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("host") || k == ":authority")
        .map(|(_, v)| v.as_str())
}

fn headers(out: &mut Value, side: &str, ops: Option<&HeaderOps>) {
    let Some(ops) = ops.filter(|o| !o.is_empty()) else {
        return;
    };
    let plain = |k: &str| !k.starts_with(':') && !k.eq_ignore_ascii_case("host");
    let mut add: Vec<(&str, &str, &str)> = ops
        .set
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), "OVERWRITE_IF_EXISTS_OR_ADD"))
        .chain(
            ops.add
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str(), "APPEND_IF_EXISTS_OR_ADD")),
        )
        .filter(|(k, _, _)| plain(k))
        .collect();
    add.sort_by_key(|(k, _, _)| *k);
    if !add.is_empty() {
        out[format!("{side}_headers_to_add")] = add
            .iter()
            .map(|(k, v, a)| json!({"header": {"key": k, "value": v}, "append_action": a}))
            .collect();
    }
    let remove: Vec<&String> = ops.remove.iter().filter(|k| plain(k)).collect();
    if !remove.is_empty() {
        out[format!("{side}_headers_to_remove")] = json!(remove);
    }
}
