use super::super::{Analysis, CompletionKind};
use super::{fixture, SHOP};

/// The labels offered at the marker (with `stale` as the earlier analysis).
fn labels_with(src: &str, stale: Option<&Analysis>) -> Vec<String> {
    let (a, file, offset) = fixture(src);
    a.completions(file, offset, stale)
        .into_iter()
        .map(|c| c.label)
        .collect()
}

/// The labels offered at the marker, with SHOP as it was before the edit as
/// the earlier analysis (as an editor has while a declaration is typed).
fn labels(src: &str) -> Vec<String> {
    let (shop, _, _) = fixture(SHOP);
    labels_with(src, Some(&shop))
}

fn has(got: &[String], want: &[&str]) {
    for w in want {
        assert!(got.iter().any(|g| g == w), "`{w}` not offered: {got:?}");
    }
}

fn lacks(got: &[String], unwanted: &[&str]) {
    for u in unwanted {
        assert!(!got.iter().any(|g| g == u), "`{u}` offered: {got:?}");
    }
}

/// SHOP with `line` added at the end of the service `api`.
fn in_api(line: &str) -> String {
    SHOP.replace(
        "    egress service web\n",
        &format!("    egress service web\n    {line}\n"),
    )
}

#[test]
fn statement_keywords_are_those_the_block_accepts() {
    let got = labels(&in_api("$0"));
    has(
        &got,
        &[
            "port", "subsets", "route", "timeout", "balance", "limits", "mtls", "use", "allow",
        ],
    );
    lacks(
        &got,
        &["service", "domain", "host", "when", "rewrite", "max_connections"],
    );
    has(&got, &["quick", "resilient"]);
    let got = labels("mesh {\n  $0\n}");
    has(&got, &["domain", "root_namespace", "outbound", "retries"]);
    lacks(&got, &["port", "timeout"]);
    let got = labels("namespace a {\n  $0\n}");
    has(&got, &["service", "external", "egress"]);
    lacks(&got, &["port"]);
    has(&labels("$0"), &["mesh", "namespace", "profile", "jwt", "use"]);
    has(
        &labels("jwt a {\n  $0\n}"),
        &["issuer", "jwks_uri", "audiences", "forward_token"],
    );
}

#[test]
fn nested_blocks() {
    let got = labels(&in_api("route {\n      $0\n    }"));
    assert_eq!(got, ["when", "default", "use"]);
    let got = labels(&in_api("limits { $0 }"));
    has(&got, &["max_connections", "connect_timeout"]);
    lacks(&got, &["interval", "timeout"]);
    let got = labels(&in_api("eject {\n      $0"));
    has(&got, &["consecutive_5xx", "interval"]);
    let got = labels(&in_api("route {\n      default => v1 {\n        $0\n      }\n    }"));
    has(&got, &["timeout", "rewrite", "fault", "mirror", "request", "cors"]);
    lacks(&got, &["port"]);
    has(&labels(&in_api("subset x a=b {\n      $0\n    }")), &["balance", "tls"]);
    has(&labels("profile p() {\n  $0\n}"), &["port", "rewrite", "domain"]);
}

#[test]
fn the_typed_prefix_filters() {
    let got = labels(&in_api("ti$0"));
    assert_eq!(got, ["timeout"]);
    let (a, file, offset) = fixture(&in_api("ti$0"));
    let c = &a.completions(file, offset, None)[0];
    assert_eq!(&a.text(file)[c.replace.range()], "ti");
}

#[test]
fn values_after_their_keyword() {
    let got = labels(&in_api("balance $0"));
    assert_eq!(got, ["round_robin", "least_request", "random", "passthrough"]);
    has(
        &labels(&in_api("retries 3 on gateway_error, $0")),
        &["connect_failure", "server_error", "refused_stream"],
    );
    has(&labels(&in_api("retries 3 $0")), &["per_try", "on"]);
    has(&labels(&in_api("port 81 $0")), &["http", "grpc-web", "tcp"]);
    assert_eq!(labels(&in_api("mtls $0")), ["strict", "permissive", "disable"]);
    has(&labels(&in_api("tls $0")), &["mesh", "simple", "mutual", "off"]);
    has(
        &labels(&in_api("route {\n      when method GET, $0\n    }")),
        &["POST", "PATCH"],
    );
    has(
        &labels(&in_api("route {\n      when $0\n    }")),
        &["path", "header", "method", "from"],
    );
    has(
        &labels(&in_api("allow from $0")),
        &["service", "principal", "authenticated"],
    );
    has(&labels(&in_api("allow to $0")), &["method", "path"]);
    has(&labels("mesh {\n  outbound $0\n}"), &["allow_any", "registry_only"]);
}

#[test]
fn names_after_their_keyword() {
    let got = labels(&in_api("route {\n      default => $0\n    }"));
    has(&got, &["stable", "service", "external", "redirect"]);
    lacks(&got, &["v1"]);
    let got = labels(&in_api("route {\n      default => service $0\n    }"));
    has(&got, &["api", "web"]);
    lacks(&got, &["maps"]);
    assert_eq!(
        labels(&in_api("route {\n      default => external $0\n    }")),
        ["maps"]
    );
    has(
        &labels(&in_api("route {\n      default => service web:$0\n    }")),
        &["v1", "v2", "canary"],
    );
    has(
        &labels(&in_api("route {\n      default => stable 50%, $0\n    }")),
        &["stable", "service"],
    );
    has(
        &labels(&in_api("route {\n      default => stable $0\n    }")),
        &["timeout", "port", "rest"],
    );
    has(&labels(&in_api("route {\n      when from service $0\n    }")), &["web"]);
    assert_eq!(labels(&in_api("authenticate jwt $0")), ["auth"]);
    assert_eq!(labels(&in_api("egress namespace $0")), ["shop"]);
    let other = "--- o.mesh\nnamespace other {\n  service y {}\n  service x {\n    egress service $0\n  }\n}\n--- z.mesh\nnamespace shop {\n  service web {}\n}";
    let got = labels_with(other, None);
    assert_eq!(got, ["y", "web.shop"]);
}

#[test]
fn profiles_after_use() {
    let got = labels(&in_api("use $0"));
    has(&got, &["quick", "resilient", "std.canary", "std.sticky_session"]);
    assert!(labels(&in_api("use std.$0")).contains(&"canary".to_string()));
    let got = labels("use $0");
    has(&got, &["std.canary", "std.resilient"]);
    lacks(&got, &["canary"]);
}

#[test]
fn inside_a_declaration_that_does_not_parse() {
    // The service being typed is broken (no closing braces), so the current
    // analysis lacks it; the other services still complete.
    let broken = SHOP.replace(
        "  external maps {",
        "  service new {\n    port 80 http\n    route {\n      default => service $0\n  external maps {",
    );
    let (a, file, offset) = fixture(&broken);
    assert!(!a.parses(file));
    let got: Vec<String> = a.completions(file, offset, None).into_iter().map(|c| c.label).collect();
    has(&got, &["api", "web"]);
    // Its own subsets come from the last analysis in which it parsed.
    let good = SHOP.replace(
        "    egress service web\n",
        "    egress service web\n    subsets track: blue, green\n",
    );
    let (stale, _, _) = fixture(&good);
    let typing = good.replace(
        "    egress service web\n",
        "    egress service web\n    route {\n      default => $0",
    );
    let got = labels_with(&typing, Some(&stale));
    has(&got, &["blue", "green", "stable", "service"]);
    let (a, file, offset) = fixture(&typing);
    assert!(a
        .completions(file, offset, Some(&stale))
        .iter()
        .any(|c| c.kind == CompletionKind::Subset));
}

#[test]
fn odd_positions_never_panic() {
    let src = "namespace a { service b { port 80 http\n route { when header \"x\" == \"é$0\" => b } } }";
    let (a, file, _) = fixture(src);
    for offset in 0..=a.text(file).len() + 2 {
        let _ = a.completions(file, offset, None);
        let _ = a.hover(file, offset);
        let _ = a.definition(file, offset);
        let _ = a.references(file, offset, true);
        let _ = a.prepare_rename(file, offset);
    }
}
