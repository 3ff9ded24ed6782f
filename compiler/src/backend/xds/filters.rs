//! HTTP filters: `jwt_authn` from the proxy's `authenticate` statements, the
//! empty fault/CORS filters that per-route configs need, and the router.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::{clusters, typed, Cx};
use crate::diag::Diagnostic;
use crate::ir::JwtProvider;

pub fn router() -> Value {
    typed(
        "envoy.filters.http.router",
        "envoy.extensions.filters.http.router.v3.Router",
        json!({}),
    )
}

/// Fault and CORS act only through per-route configs, but only if they are in the chain.
pub fn fault_and_cors() -> [Value; 2] {
    [
        typed(
            "envoy.filters.http.fault",
            "envoy.extensions.filters.http.fault.v3.HTTPFault",
            json!({}),
        ),
        typed(
            "envoy.filters.http.cors",
            "envoy.extensions.filters.http.cors.v3.Cors",
            json!({}),
        ),
    ]
}

/// Resolves `PassthroughCluster` requests by their `:authority` (does nothing for other clusters).
pub fn dynamic_forward_proxy() -> Value {
    typed(
        "envoy.filters.http.dynamic_forward_proxy",
        "envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig",
        json!({"dns_cache_config": clusters::dns_cache()}),
    )
}

/// The HTTP connection manager around a route configuration and filters.
pub fn http_connection_manager(
    stat_prefix: &str,
    route_config: Value,
    mut filters: Vec<Value>,
    inbound: bool,
) -> Value {
    filters.push(router());
    let mut hcm = json!({
        "stat_prefix": stat_prefix,
        "route_config": route_config,
        "http_filters": filters,
    });
    if inbound {
        hcm["forward_client_cert_details"] = json!("APPEND_FORWARD");
        hcm["set_current_client_cert_details"] = json!({"subject": true, "dns": true, "uri": true});
    }
    typed(
        "envoy.filters.network.http_connection_manager",
        "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
        hcm,
    )
}

/// The JWT providers the proxy validates (mesh, namespace and service
/// `authenticate`), sorted by issuer as Istio sorts its rules.
pub fn providers<'m>(cx: &Cx<'m>) -> Vec<&'m JwtProvider> {
    let mesh = cx.mesh;
    let mut out: Vec<&JwtProvider> = [&mesh.security, &cx.ns.security, &cx.me.security]
        .iter()
        .flat_map(|s| &s.authenticate)
        .filter_map(|n| mesh.providers.iter().find(|p| p.name.node == n.node))
        .collect();
    out.sort_by(|a, b| {
        (a.issuer.as_ref().map(|i| &i.node), &a.name.node).cmp(&(b.issuer.as_ref().map(|i| &i.node), &b.name.node))
    });
    let mut seen = BTreeSet::new();
    out.retain(|p| seen.insert(&p.name.node));
    out
}

/// `(host, port, https)` of an http(s) URL.
pub fn split_url(url: &str) -> Option<(String, u32, bool)> {
    let (rest, https) = match url.strip_prefix("https://") {
        Some(r) => (r, true),
        None => (url.strip_prefix("http://")?, false),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p.parse().ok()?),
        _ => (authority, if https { 443 } else { 80 }),
    };
    Some((host.to_string(), port, https))
}

/// `jwt_authn` with Istio's requirement: a valid token of any provider, or
/// none at all (`allow_missing`); requiring one is the RBAC filter's job.
pub fn jwt_authn(cx: &mut Cx) -> Option<Value> {
    let providers = providers(cx);
    if providers.is_empty() {
        return None;
    }
    let mut config = Map::new();
    let mut names = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        let name = format!("origins-{i}");
        match provider(p) {
            Some(v) => {
                config.insert(name.clone(), v);
            }
            None => cx.diags.push(no_keys(p)),
        }
        names.push(name);
    }
    let one = |n: &String| json!({ "provider_name": n });
    let allow_missing = json!({"allow_missing": {}});
    let requires = if let [only] = names.as_slice() {
        json!({"requires_any": {"requirements": [one(only), allow_missing]}})
    } else {
        let mut any: Vec<Value> = names.iter().map(one).collect();
        let each_or_missing: Vec<Value> = names
            .iter()
            .map(|n| json!({"requires_any": {"requirements": [one(n), allow_missing.clone()]}}))
            .collect();
        any.push(json!({"requires_all": {"requirements": each_or_missing}}));
        json!({"requires_any": {"requirements": any}})
    };
    Some(typed(
        "envoy.filters.http.jwt_authn",
        "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        json!({
            "providers": config,
            "rules": [{"match": {"prefix": "/"}, "requires": requires}],
            "bypass_cors_preflight": true,
        }),
    ))
}

fn provider(p: &JwtProvider) -> Option<Value> {
    let mut v = json!({"payload_in_metadata": "payload", "normalize_payload_in_metadata": {}});
    if let Some(jwks) = &p.jwks {
        v["local_jwks"] = json!({"inline_string": jwks.node});
    } else {
        let uri = &p.jwks_uri.as_ref()?.node;
        let (host, port, _) = split_url(uri)?;
        v["remote_jwks"] = json!({
            "http_uri": {"uri": uri, "cluster": clusters::jwks_name(&host, port), "timeout": "5s"},
            "cache_duration": "300s",
        });
    }
    if let Some(i) = &p.issuer {
        v["issuer"] = json!(i.node);
    }
    if !p.audiences.is_empty() {
        v["audiences"] = json!(p.audiences);
    }
    if p.forward_token {
        v["forward"] = json!(true);
    }
    if let Some(h) = &p.payload_header {
        v["forward_payload_header"] = json!(h);
    }
    if !p.claim_headers.is_empty() {
        v["claim_to_headers"] = p
            .claim_headers
            .iter()
            .map(|(claim, header)| json!({"header_name": header, "claim_name": claim}))
            .collect();
    }
    if !p.headers.is_empty() {
        v["from_headers"] = p
            .headers
            .iter()
            .map(|(name, prefix)| match prefix {
                Some(pre) => json!({"name": name, "value_prefix": pre}),
                None => json!({ "name": name }),
            })
            .collect();
    }
    if !p.params.is_empty() {
        v["from_params"] = json!(p.params);
    }
    if !p.cookies.is_empty() {
        v["from_cookies"] = json!(p.cookies);
    }
    Some(v)
}

/// E0503: istiod would discover the keys from the issuer; an offline compiler cannot.
fn no_keys(p: &JwtProvider) -> Diagnostic {
    Diagnostic::error(
        "E0503",
        p.name.span,
        format!("JWT provider `{}` has no keys for the xDS target", p.name.node),
    )
    .with_label("neither `jwks` nor `jwks_uri`")
    .with_help("add `jwks_uri \"https://issuer.example.com/.well-known/jwks.json\"`, or inline the key set with `jwks`")
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_host_port_and_scheme() {
        assert_eq!(
            split_url("https://a.example.com/keys"),
            Some(("a.example.com".into(), 443, true))
        );
        assert_eq!(
            split_url("http://a.example.com:8080/k?x=1"),
            Some(("a.example.com".into(), 8080, false))
        );
        assert_eq!(
            split_url("http://a.example.com"),
            Some(("a.example.com".into(), 80, false))
        );
        assert_eq!(split_url("ftp://a"), None);
    }
}
