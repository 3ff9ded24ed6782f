//! One small program per diagnostic code, snapshotted Gleam-style: the source,
//! a separator, then the diagnostics as `meshc check` renders them.
//!
//! Each file in `tests/diagnostics/` is named `CODE-what-it-shows.mesh` and is
//! checked alone (its path is its file name). Besides the snapshot, the test
//! asserts that `CODE` is among the diagnostics, so a program that stops
//! triggering its code fails even if someone accepts the new snapshot.
//! A second test asserts that every code the compiler can emit has at least
//! one program here and a section in `docs/diagnostics.md`; a third keeps the
//! examples in that page identical to these programs and their output: after
//! a message changes, run `MESHC_BLESS=1 cargo test -p meshc-compiler --test
//! diagnostics` to rewrite the page's example blocks.
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test -p meshc-compiler
//! --test diagnostics` (or `cargo insta review`), then read every changed
//! `.snap` before committing it.

use std::collections::BTreeSet;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use meshc_compiler::{check, report, SourceFile};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.mesh` file of the folder, sorted by name.
fn programs() -> Vec<PathBuf> {
    let dir = manifest_dir().join("tests/diagnostics");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mesh"))
        .collect();
    files.sort();
    files
}

/// `E0301` from `E0301-weights-sum.mesh`.
fn expected_code(path: &Path) -> String {
    let stem = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name");
    let code = stem.split('-').next().unwrap_or_default();
    assert!(
        is_code(code),
        "{}: file names must start with a diagnostic code such as `E0301-`",
        path.display()
    );
    code.to_string()
}

fn is_code(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 5 && matches!(b[0], b'E' | b'W') && b[1..].iter().all(u8::is_ascii_digit)
}

/// The diagnostics of a program checked alone, and their codes. Programs
/// for `E05xx` codes (the xDS target's) are also lowered to xDS for every proxy.
fn diagnose(name: &str, text: &str) -> (String, Vec<&'static str>) {
    let c = check(vec![SourceFile {
        path: name.to_string(),
        text: text.to_string(),
    }]);
    let mut diags = c.diagnostics.clone();
    if name.starts_with("E05") {
        diags.extend(
            meshc_compiler::lower_xds(&c, None, "/etc/meshc/certs")
                .err()
                .unwrap_or_default(),
        );
    }
    let codes = diags.iter().map(|d| d.code).collect();
    (report::human(&c.files, &diags, false), codes)
}

/// The snapshot text: source, separator, rendered diagnostics.
fn render(name: &str, text: &str) -> (String, Vec<&'static str>) {
    let (rendered, codes) = diagnose(name, text);
    let snapshot = format!("----- SOURCE CODE\n{text}\n----- DIAGNOSTICS\n{rendered}");
    (snapshot, codes)
}

#[test]
fn every_diagnostic_program() {
    let files = programs();
    assert!(!files.is_empty(), "no programs in tests/diagnostics");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).expect("UTF-8 file name");
        let stem = name.trim_end_matches(".mesh");
        let text = fs::read_to_string(path).expect("readable test program");
        let code = expected_code(path);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let (snapshot, codes) = render(name, &text);
            assert!(
                codes.contains(&code.as_str()),
                "{name}: expected a {code} diagnostic, got {codes:?}\n{snapshot}"
            );
            insta::with_settings!({
                input_file => path,
                prepend_module_to_snapshot => true,
                omit_expression => true,
            }, {
                insta::assert_snapshot!(stem, snapshot);
            });
        }));
        if outcome.is_err() {
            failures.push(name.to_string());
        }
    }
    assert!(failures.is_empty(), "failing diagnostic programs: {failures:#?}");
}

/// Codes the compiler can emit: every `"E0123"` / `"W0123"` literal in src/.
fn compiler_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut stack = vec![manifest_dir().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("readable src dir") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path).expect("readable source");
                for piece in text.split('"').skip(1).step_by(2) {
                    if is_code(piece) {
                        codes.insert(piece.to_string());
                    }
                }
            }
        }
    }
    codes
}

#[test]
fn every_code_has_a_program_and_a_doc_section() {
    let tested: BTreeSet<String> = programs().iter().map(|p| expected_code(p)).collect();
    let path = docs_path();
    let docs = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let documented: BTreeSet<String> = docs
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| is_code(c))
        .map(str::to_string)
        .collect();
    let emitted = compiler_codes();
    assert!(!emitted.is_empty(), "found no diagnostic codes in src/");
    let untested: Vec<_> = emitted.difference(&tested).collect();
    let undocumented: Vec<_> = emitted.difference(&documented).collect();
    let stale: Vec<_> = tested.difference(&emitted).collect();
    assert!(
        untested.is_empty(),
        "codes without a program in tests/diagnostics: {untested:?}"
    );
    assert!(
        undocumented.is_empty(),
        "codes without a `## CODE` section in docs/diagnostics.md: {undocumented:?}"
    );
    assert!(
        stale.is_empty(),
        "programs for codes the compiler no longer emits: {stale:?}"
    );
}

fn docs_path() -> PathBuf {
    manifest_dir().join("../docs/diagnostics.md")
}

/// Skips one fenced block starting at `lines[i]`, if there is one.
fn skip_fence(lines: &[&str], mut i: usize) -> usize {
    if lines.get(i).is_some_and(|l| l.starts_with("```")) {
        i += 1;
        while i < lines.len() && !lines[i].starts_with("```") {
            i += 1;
        }
        i += 1;
    }
    i
}

/// The page with every example block regenerated: after `<!-- example: NAME -->`
/// the program `NAME.mesh` and its diagnostics, after `<!-- output: NAME -->`
/// its diagnostics only.
fn synced_docs(doc: &str) -> String {
    let lines: Vec<&str> = doc.lines().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        out.push_str(line);
        out.push('\n');
        i += 1;
        let marker = line
            .trim()
            .strip_prefix("<!-- ")
            .and_then(|l| l.strip_suffix(" -->"))
            .and_then(|l| l.split_once(": "));
        let Some((kind, name)) = marker else { continue };
        let with_source = match kind {
            "example" => true,
            "output" => false,
            _ => continue,
        };
        let file = format!("{name}.mesh");
        let path = manifest_dir().join("tests/diagnostics").join(&file);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("docs name {}: {e}", path.display()));
        i = skip_fence(&lines, i);
        if with_source {
            i = skip_fence(&lines, i);
            out.push_str(&format!("```mesh\n{}\n```\n", text.trim_end()));
        }
        let (rendered, _) = diagnose(&file, &text);
        out.push_str(&format!("```text\n{}\n```\n", rendered.trim_end()));
    }
    out
}

#[test]
fn docs_examples_match_the_programs() {
    let path = docs_path();
    let doc = fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let synced = synced_docs(&doc);
    if synced == doc {
        return;
    }
    if std::env::var_os("MESHC_BLESS").is_some() {
        fs::write(&path, synced).expect("writable docs/diagnostics.md");
        return;
    }
    let first = doc
        .lines()
        .zip(synced.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(doc.lines().count().min(synced.lines().count()));
    panic!(
        "docs/diagnostics.md examples are out of date (first difference at line {}); \
         run `MESHC_BLESS=1 cargo test -p meshc-compiler --test diagnostics` and review the diff",
        first + 1
    );
}
