use super::super::navigate::apply;
use super::super::Analysis;
use super::{find, fixture, show, SHOP};
use crate::span::SourceFile;

/// SHOP with the marker after the first two bytes of `needle`.
fn at(needle: &str) -> (Analysis, crate::span::FileId, usize) {
    fixture(&SHOP.replacen(needle, &format!("{}$0{}", &needle[..2], &needle[2..]), 1))
}

fn shown(a: &Analysis, spans: &[crate::span::Span]) -> Vec<String> {
    spans.iter().map(|s| show(a, *s)).collect()
}

#[test]
fn definition_of_each_kind_of_name() {
    let (a, file, offset) = at("api:stable");
    assert_eq!(a.definition(file, offset), Some(find(&a, "b.mesh", "api", 0)));
    let (a, file, offset) = at("stable\n      default");
    assert_eq!(a.definition(file, offset), Some(find(&a, "b.mesh", "stable", 0)));
    let (a, file, offset) = at("v1 90%");
    assert_eq!(a.definition(file, offset), Some(find(&a, "a.mesh", "v1", 0)));
    let (a, file, offset) = at("quick(t: 2s)");
    assert_eq!(a.definition(file, offset), Some(find(&a, "a.mesh", "quick", 0)));
    let (a, file, offset) = at("auth\n    route");
    assert_eq!(a.definition(file, offset), Some(find(&a, "a.mesh", "auth", 0)));
    let (a, file, offset) = at("resilient\n    egress");
    let def = a.definition(file, offset).expect("std profile");
    assert!(!a.is_user_file(def.file));
    let (a, file, offset) = at("timeout t");
    assert_eq!(a.definition(file, offset), None);
}

#[test]
fn references_across_files() {
    let (a, file, offset) = at("web {");
    let refs = a.references(file, offset, false);
    assert_eq!(shown(&a, &refs), ["b.mesh:web"]);
    let refs = a.references(file, offset, true);
    assert_eq!(shown(&a, &refs), ["a.mesh:web", "b.mesh:web"]);
    let (a, file, offset) = at("stable version");
    assert_eq!(
        shown(&a, &a.references(file, offset, true)),
        ["a.mesh:stable", "b.mesh:stable"]
    );
}

/// The program after applying the edits.
fn renamed(a: &Analysis, edits: &[super::super::TextEdit]) -> Analysis {
    let c = &a.compilation;
    let files = (0..c.files.len())
        .filter(|i| a.is_user_file(*i as u32))
        .map(|i| SourceFile {
            path: c.files[i].path.clone(),
            text: apply(&c.files[i].text, edits.iter().filter(|e| e.span.file as usize == i)),
        })
        .collect();
    Analysis::new(files)
}

#[test]
fn rename_a_service_in_two_files() {
    let (a, file, offset) = at("api:stable");
    assert_eq!(
        a.prepare_rename(file, offset).map(|s| show(&a, s)),
        Ok("a.mesh:api".into())
    );
    let edits = a.rename(file, offset, "backend").expect("rename");
    assert_eq!(edits.len(), 2);
    let b = renamed(&a, &edits);
    assert!(!b.compilation.has_errors(), "{:#?}", b.compilation.diagnostics);
    assert!(b.text(b.file("a.mesh").unwrap()).contains("service backend:stable"));
    assert!(b.text(b.file("b.mesh").unwrap()).contains("service backend {"));
}

#[test]
fn rename_subsets_profiles_and_providers() {
    for (needle, new, expect) in [
        ("canary version", "beta", "=> beta"),
        ("quick(t", "fast", "use fast(t: 2s)"),
        ("auth {", "idp", "authenticate jwt idp"),
    ] {
        let (a, file, offset) = at(needle);
        let edits = a.rename(file, offset, new).unwrap_or_else(|e| panic!("{needle}: {e}"));
        let b = renamed(&a, &edits);
        assert!(
            !b.compilation.has_errors(),
            "{needle}: {:#?}",
            b.compilation.diagnostics
        );
        assert!(b.text(b.file("a.mesh").unwrap()).contains(expect), "{needle}");
    }
}

#[test]
fn renames_that_would_break_the_program_are_refused() {
    let (a, file, offset) = at("api:stable");
    let err = a.rename(file, offset, "web").expect_err("taken");
    assert!(err.contains("would not compile"), "{err}");
    assert!(a.rename(file, offset, "Not A Name").is_err());
    assert!(a.rename(file, offset, "and").is_err());
    let (a, file, offset) = at("v1, v2");
    let err = a.prepare_rename(file, offset).expect_err("sugar subset");
    assert!(err.contains("subsets"), "{err}");
    let (a, file, offset) = at("resilient\n    egress");
    assert!(a
        .prepare_rename(file, offset)
        .expect_err("std")
        .contains("standard library"));
    let (a, file, offset) = at("port 8080");
    assert!(a.prepare_rename(file, offset).is_err());
}
