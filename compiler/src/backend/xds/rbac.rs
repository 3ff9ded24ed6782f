//! allow/deny/audit → RBAC filters, one per action in istiod's order (AUDIT
//! as `LOG`, DENY, ALLOW), merging the mesh, namespace and service scopes.
//! Policies are keyed `ns[<namespace>]-policy[<name>]-rule[<i>]`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{typed, Cx};
use crate::ir::{AuthzAction, AuthzCondition, AuthzKey, Field, FieldKind, Peer, RuleBody, Security};

const JWT: &str = "envoy.filters.http.jwt_authn";

/// The RBAC filters of the proxy's inbound HTTP chain (`http`) or TCP chain.
pub fn filters(cx: &Cx, http: bool) -> Vec<Value> {
    let scopes: [(&Security, &str, &str); 3] = [
        (&cx.mesh.security, &cx.mesh.root_namespace, "mesh"),
        (&cx.ns.security, &cx.ns.name.node, "ns"),
        (&cx.me.security, &cx.me.namespace, &cx.me.name.node),
    ];
    let mut out = Vec::new();
    for (action, envoy, suffix) in [
        (AuthzAction::Audit, "LOG", "audit"),
        (AuthzAction::Deny, "DENY", "deny"),
        (AuthzAction::Allow, "ALLOW", "allow"),
    ] {
        let mut policies = BTreeMap::new();
        for (sec, ns, prefix) in scopes {
            let key = |i: usize| format!("ns[{ns}]-policy[{prefix}-{suffix}]-rule[{i}]");
            let rules: Vec<_> = sec.rules.iter().filter(|r| r.action == action).collect();
            let require = sec.require_jwt.is_some() && action == AuthzAction::Deny;
            let matching: Vec<_> = rules.iter().filter(|r| !matches!(r.body, RuleBody::Nothing)).collect();
            if matching.is_empty() && !require {
                if !rules.is_empty() {
                    // `allow nothing`: a policy without rules, which never matches.
                    policies.insert(key(0), never());
                }
                continue;
            }
            let mut i = 0;
            if require {
                // A TCP chain cannot see tokens: the rule then matches every connection, as in istiod.
                let principal = if http {
                    json!({"not_id": request_principal("*")})
                } else {
                    json!({"any": true})
                };
                policies.insert(
                    key(i),
                    json!({"permissions": [{"any": true}], "principals": [principal]}),
                );
                i += 1;
            }
            for r in matching {
                let p = match &r.body {
                    RuleBody::Match { from, to, when } => rule(http, action, from, to, when),
                    _ => json!({"permissions": [{"any": true}], "principals": [{"any": true}]}),
                };
                policies.insert(key(i), p);
                i += 1;
            }
        }
        if policies.is_empty() {
            continue;
        }
        let rules = json!({"action": envoy, "policies": policies});
        out.push(if http {
            typed(
                "envoy.filters.http.rbac",
                "envoy.extensions.filters.http.rbac.v3.RBAC",
                json!({ "rules": rules }),
            )
        } else {
            typed(
                "envoy.filters.network.rbac",
                "envoy.extensions.filters.network.rbac.v3.RBAC",
                json!({"rules": rules, "stat_prefix": "tcp."}),
            )
        });
    }
    out
}

fn never() -> Value {
    json!({"permissions": [{"not_rule": {"any": true}}], "principals": [{"not_id": {"any": true}}]})
}

/// On a TCP chain, HTTP-only attributes cannot be evaluated: an ALLOW rule
/// using them never matches, other rules ignore them (istiod's choice).
fn rule(http: bool, action: AuthzAction, from: &[Peer], to: &[Peer], when: &[AuthzCondition]) -> Value {
    let http_only = from
        .iter()
        .chain(to)
        .flat_map(|p| &p.fields)
        .any(|f| f.kind.http_only())
        || when.iter().any(|c| c.key.http_only());
    if !http && http_only && action == AuthzAction::Allow {
        return never();
    }
    let keep_field = |f: &&Field| http || !f.kind.http_only();
    let keep_cond = |c: &&AuthzCondition| http || !c.key.http_only();
    let conds: Vec<&AuthzCondition> = when.iter().filter(keep_cond).collect();
    let (perm_conds, id_conds): (Vec<_>, Vec<_>) = conds.into_iter().partition(|c| permission_key(&c.key));
    let side = |peers: &[Peer], extra: &[&AuthzCondition], combine: &str, item: &str| -> Vec<Value> {
        let empty = [Peer {
            span: Default::default(),
            fields: Vec::new(),
        }];
        let peers = if peers.is_empty() { &empty[..] } else { peers };
        peers
            .iter()
            .map(|p| {
                let mut items: Vec<Value> = p.fields.iter().filter(keep_field).map(field).collect();
                items.extend(extra.iter().map(|c| condition(c)));
                if items.is_empty() {
                    items.push(json!({"any": true}));
                }
                json!({ combine: { item: items } })
            })
            .collect()
    };
    json!({
        "permissions": side(to, &perm_conds, "and_rules", "rules"),
        "principals": side(from, &id_conds, "and_ids", "ids"),
    })
}

/// Conditions on the destination go with permissions; the rest with principals.
fn permission_key(k: &AuthzKey) -> bool {
    matches!(k, AuthzKey::DestinationPort | AuthzKey::Sni)
}

fn is_permission(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::Method | FieldKind::Path | FieldKind::Host | FieldKind::Port
    )
}

/// Values of one field are alternatives; `not` negates them all.
fn field(f: &Field) -> Value {
    let each = f.values.iter().map(|v| value(f.kind, v)).collect();
    any_of(each, is_permission(f.kind), f.negate)
}

/// `or_rules` (permissions) or `or_ids` (principals) of `each`, negated with `not`.
fn any_of(each: Vec<Value>, permission: bool, negate: bool) -> Value {
    let (or, list, not) = if permission {
        ("or_rules", "rules", "not_rule")
    } else {
        ("or_ids", "ids", "not_id")
    };
    let any = json!({ or: { list: each } });
    if negate {
        json!({ not: any })
    } else {
        any
    }
}

fn value(kind: FieldKind, v: &str) -> Value {
    match kind {
        FieldKind::Principal => principal(v),
        FieldKind::Namespace => namespace(v),
        FieldKind::RequestPrincipal => request_principal(v),
        FieldKind::Ip => json!({ "direct_remote_ip": cidr(v) }),
        FieldKind::RemoteIp => json!({ "remote_ip": cidr(v) }),
        FieldKind::Method => json!({"header": {"name": ":method", "string_match": {"exact": v}}}),
        FieldKind::Path => json!({"url_path": {"path": wildcard(v, "")}}),
        FieldKind::Host => {
            let mut m = wildcard(v, "");
            m["ignore_case"] = json!(true);
            json!({"header": {"name": ":authority", "string_match": m}})
        }
        FieldKind::Port => json!({"destination_port": v.parse::<u32>().unwrap_or(0)}),
    }
}

fn condition(c: &AuthzCondition) -> Value {
    let each = c
        .values
        .iter()
        .map(|v| match &c.key {
            AuthzKey::Claim(path) => claim(path, v),
            AuthzKey::Audience => claim(&["aud".to_string()], v),
            AuthzKey::Presenter => claim(&["azp".to_string()], v),
            AuthzKey::Header(h) => json!({"header": {"name": h, "string_match": wildcard(v, "")}}),
            AuthzKey::SourceIp => json!({ "direct_remote_ip": cidr(v) }),
            AuthzKey::RemoteIp => json!({ "remote_ip": cidr(v) }),
            AuthzKey::SourceNamespace => namespace(v),
            AuthzKey::SourcePrincipal => principal(v),
            AuthzKey::DestinationPort => json!({"destination_port": v.parse::<u32>().unwrap_or(0)}),
            AuthzKey::Sni => json!({ "requested_server_name": wildcard(v, "") }),
        })
        .collect();
    any_of(each, permission_key(&c.key), c.negate)
}

/// Istio's value forms: `x` exact, `x*` prefix, `*x` suffix, `*` any non-empty.
fn wildcard(v: &str, prefix: &str) -> Value {
    if v == "*" {
        json!({"safe_regex": {"regex": format!("{}.+", regex_syntax::escape(prefix))}})
    } else if let Some(p) = v.strip_suffix('*') {
        json!({ "prefix": format!("{prefix}{p}") })
    } else if let Some(s) = v.strip_prefix('*') {
        if prefix.is_empty() {
            json!({ "suffix": s })
        } else {
            json!({"safe_regex": {"regex": format!("{}.*{}", regex_syntax::escape(prefix), regex_syntax::escape(s))}})
        }
    } else {
        json!({ "exact": format!("{prefix}{v}") })
    }
}

/// The peer certificate's URI SAN: only matches over mTLS.
fn principal(v: &str) -> Value {
    json!({"authenticated": {"principal_name": wildcard(v, "spiffe://")}})
}

fn namespace(v: &str) -> Value {
    let ns = v.split('*').map(regex_syntax::escape).collect::<Vec<_>>().join(".*");
    json!({"authenticated": {"principal_name": {"safe_regex": {"regex": format!(".*/ns/{ns}/.*")}}}})
}

/// `iss/sub` of a validated JWT (split at the last `/`).
fn request_principal(v: &str) -> Value {
    let (iss, sub) = match v {
        "*" => ("*", "*"),
        _ => v.rsplit_once('/').unwrap_or((v, "*")),
    };
    let meta = |key: &str, part: &str| {
        json!({"metadata": {
            "filter": JWT,
            "path": [{"key": "payload"}, {"key": key}],
            "value": {"string_match": wildcard(part, "")},
        }})
    };
    json!({"and_ids": {"ids": [meta("iss", iss), meta("sub", sub)]}})
}

/// A claim may be a list or a scalar: match either.
fn claim(path: &[String], v: &str) -> Value {
    let mut keys = vec![json!({"key": "payload"})];
    keys.extend(path.iter().map(|k| json!({ "key": k })));
    let m = wildcard(v, "");
    json!({"metadata": {
        "filter": JWT,
        "path": keys,
        "value": {"or_match": {"value_matchers": [{"list_match": {"one_of": {"string_match": m}}}, {"string_match": m}]}},
    }})
}

fn cidr(v: &str) -> Value {
    let (addr, len) = match v.split_once('/') {
        Some((a, l)) => (a, l.parse::<u32>().unwrap_or(0)),
        None => (v, if v.contains(':') { 128 } else { 32 }),
    };
    json!({"address_prefix": addr, "prefix_len": len})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_follow_istio() {
        assert_eq!(wildcard("/a/*", ""), json!({"prefix": "/a/"}));
        assert_eq!(wildcard("*.png", ""), json!({"suffix": ".png"}));
        assert_eq!(wildcard("*", ""), json!({"safe_regex": {"regex": ".+"}}));
        assert_eq!(
            wildcard("td/ns/a/sa/b", "spiffe://"),
            json!({"exact": "spiffe://td/ns/a/sa/b"})
        );
        assert_eq!(
            wildcard("*/sa/b", "spiffe://"),
            json!({"safe_regex": {"regex": "spiffe://.*/sa/b"}})
        );
    }

    #[test]
    fn request_principals_split_at_the_last_slash() {
        let p = request_principal("https://issuer.example.com/alice");
        assert_eq!(
            p["and_ids"]["ids"][0]["metadata"]["value"]["string_match"],
            json!({"exact": "https://issuer.example.com"})
        );
        assert_eq!(
            p["and_ids"]["ids"][1]["metadata"]["value"]["string_match"],
            json!({"exact": "alice"})
        );
    }

    #[test]
    fn cidrs_default_to_one_address() {
        assert_eq!(
            cidr("10.0.0.0/8"),
            json!({"address_prefix": "10.0.0.0", "prefix_len": 8})
        );
        assert_eq!(cidr("::1"), json!({"address_prefix": "::1", "prefix_len": 128}));
    }
}
