use super::{fixture, show, SHOP};

fn hover(src: &str) -> Option<(String, String)> {
    let (a, file, offset) = fixture(src);
    a.hover(file, offset).map(|h| (show(&a, h.span), h.markdown))
}

fn at(marker_before: &str) -> String {
    SHOP.replacen(
        marker_before,
        &format!("{}$0{}", &marker_before[..2], &marker_before[2..]),
        1,
    )
}

#[test]
fn a_service_shows_its_host_ports_and_subsets() {
    let (word, md) = hover(&at("api:stable")).expect("hover");
    assert_eq!(word, "a.mesh:api");
    assert!(md.contains("**service** `api` in namespace `shop`"), "{md}");
    assert!(md.contains("`api.shop.svc.cluster.local`"), "{md}");
    assert!(md.contains("`8080 grpc`"), "{md}");
    assert!(md.contains("- `stable`: `version=s`"), "{md}");
    let (_, md) = hover(&at("web {")).expect("hover on the declaration");
    assert!(md.contains("The storefront."), "{md}");
    assert!(md.contains("- `canary`: `version=v3`"), "{md}");
}

#[test]
fn an_external_shows_its_hosts() {
    let (_, md) = hover(&at("maps {")).expect("hover");
    assert!(md.contains("**external** `maps`"), "{md}");
    assert!(md.contains("`maps.example.com`"), "{md}");
    assert!(md.contains("`443 https`"), "{md}");
}

#[test]
fn a_subset_shows_its_labels() {
    let (word, md) = hover(&at("canary\n")).expect("hover");
    assert_eq!(word, "a.mesh:canary");
    assert!(md.contains("**subset** `canary` of `web.shop`"), "{md}");
    assert!(md.contains("`version=v3`"), "{md}");
}

#[test]
fn a_profile_shows_its_signature_and_doc() {
    let (_, md) = hover(&at("quick(t: 2s)")).expect("hover");
    assert!(md.contains("profile quick(t: duration = 1s, n: int = 2)"), "{md}");
    assert!(md.contains("Short timeouts for the hot path."), "{md}");
    let (_, md) = hover(&at("resilient\n    egress")).expect("hover on a std profile");
    assert!(
        md.contains("profile resilient(attempts: int = 3, try_timeout: duration = 2s)"),
        "{md}"
    );
    assert!(md.contains("(standard library)"), "{md}");
}

#[test]
fn a_provider_shows_its_issuer() {
    let (_, md) = hover(&at("auth\n")).expect("hover");
    assert!(md.contains("**jwt provider** `auth`"), "{md}");
    assert!(md.contains("`https://auth.example.com`"), "{md}");
}

#[test]
fn keywords_explain_themselves() {
    let (word, md) = hover(&at("balance random")).expect("hover");
    assert_eq!(word, "a.mesh:balance");
    assert!(md.contains("round_robin"), "{md}");
    assert_eq!(
        hover("namespace a {\n  service b {\n    retries 2 per_t$0ry 1s\n  }\n}")
            .map(|h| h.0)
            .as_deref(),
        Some("main.mesh:per_try")
    );
}

#[test]
fn nothing_in_comments_strings_or_blanks() {
    assert_eq!(hover("# service$0 here\nmesh {}"), None);
    assert_eq!(hover("namespace a { external b { host \"ti$0meout\" } }"), None);
    assert_eq!(hover("mesh {\n  $0\n}"), None);
    assert_eq!(hover(""), None);
}

#[test]
fn every_keyword_is_documented() {
    for k in crate::syntax::KEYWORDS {
        assert!(super::super::keywords::doc(k).is_some(), "no hover text for `{k}`");
    }
}
