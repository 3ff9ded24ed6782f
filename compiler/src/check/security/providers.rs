//! E0416 provider without `issuer`, E0417 bad `jwks_uri` / `jwks`, W0418
//! issuer that is not a URL.

use crate::diag::Diagnostic;
use crate::ir::Mesh;

pub fn check(mesh: &Mesh, out: &mut Vec<Diagnostic>) {
    for p in &mesh.providers {
        match &p.issuer {
            None => out.push(
                Diagnostic::error("E0416", p.name.span, format!("JWT provider `{}` has no `issuer`", p.name.node))
                    .with_label("issuer missing")
                    .with_help(if p.jwks_uri.is_none() && p.jwks.is_none() {
                        "add `issuer \"https://issuer.example.com\"` (tokens must carry it in `iss`) and `jwks_uri` or `jwks` for its keys"
                    } else {
                        "add `issuer \"https://issuer.example.com\"`: tokens must carry exactly this value in `iss`"
                    }),
            ),
            Some(i) if !is_url(&i.node) => out.push(
                Diagnostic::warning("W0418", i.span, format!("issuer `{}` is not a URL", i.node))
                    .with_label("not `https://...`")
                    .with_help("OpenID issuers are URLs; tokens must carry this exact string in `iss`, so check it is not a typo"),
            ),
            _ => {}
        }
        if let (Some(u), Some(j)) = (&p.jwks_uri, &p.jwks) {
            out.push(
                Diagnostic::error("E0417", j.span, "`jwks` and `jwks_uri` cannot both be set")
                    .with_label("inline keys")
                    .with_secondary(u.span, "keys fetched from here")
                    .with_help("keep one: inline keys or the URI to fetch them from"),
            );
        }
        if let Some(u) = &p.jwks_uri {
            if !is_url(&u.node) {
                out.push(
                    Diagnostic::error("E0417", u.span, format!("`{}` is not an http(s) URL", u.node))
                        .with_label("not a URL")
                        .with_help("write the full URL of the key set, e.g. `https://issuer.example.com/.well-known/jwks.json`"),
                );
            }
        }
        if let Some(j) = &p.jwks {
            if serde_json::from_str::<serde_json::Value>(&j.node).map_or(true, |v| v.get("keys").is_none()) {
                out.push(
                    Diagnostic::error("E0417", j.span, "`jwks` is not a JSON Web Key Set")
                        .with_label("expected `{\"keys\": [...]}`")
                        .with_help("inline the key set as JSON with a `keys` array (escape quotes as `\\\"`)"),
                );
            }
        }
    }
}

fn is_url(s: &str) -> bool {
    let rest = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}
