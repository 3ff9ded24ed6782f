//! The formatter over messy inputs (snapshots of `tests/fmt/*.mesh`: the input,
//! a separator, the output), over every program of the repository (each
//! formats idempotently and compiles to the same output), and over perturbed
//! and arbitrary text (same result as the original; never a panic).
//!
//! Update snapshots with `INSTA_UPDATE=always cargo test -p meshc-compiler --test fmt`
//! and read every changed `.snap` before committing it.

use std::fs;
use std::path::{Path, PathBuf};

use meshc_compiler::fmt::{format, FormatError};
use meshc_compiler::{check, lower_istio, SourceFile};
use proptest::prelude::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The entries of a directory that `keep` accepts, sorted.
fn entries(dir: &Path, keep: fn(&Path) -> bool) -> Vec<PathBuf> {
    let list = fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut out: Vec<PathBuf> = list.flatten().map(|e| e.path()).filter(|p| keep(p)).collect();
    out.sort();
    out
}

fn mesh_files(dir: &Path) -> Vec<PathBuf> {
    entries(dir, |p| p.extension().is_some_and(|e| e == "mesh"))
}

fn example_dirs() -> Vec<PathBuf> {
    entries(&root().join("examples"), Path::is_dir)
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

/// Formats, asserting idempotence.
fn formatted(what: &str, text: &str) -> Result<String, FormatError> {
    let out = format(text)?;
    assert_eq!(format(&out).as_ref(), Ok(&out), "{what}: formatting is not idempotent");
    Ok(out)
}

#[test]
fn messy_inputs() {
    let files = mesh_files(&root().join("compiler/tests/fmt"));
    assert!(!files.is_empty());
    for path in files {
        let text = read(&path);
        let name = name(&path);
        let out = formatted(&name, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let crlf = formatted(&name, &text.replace('\n', "\r\n")).unwrap_or_else(|e| panic!("{name} (CRLF): {e}"));
        assert_eq!(
            crlf,
            out.replace('\n', "\r\n"),
            "{name}: CRLF input formats differently"
        );
        insta::assert_snapshot!(
            name.trim_end_matches(".mesh"),
            format!("{text}\n----- formatted -----\n{out}")
        );
    }
}

/// What a program compiles to, with the source line annotations left out.
fn compiled(files: Vec<SourceFile>) -> (Vec<String>, Vec<(String, String)>) {
    let c = check(files);
    let diags = c
        .diagnostics
        .iter()
        .map(|d| (d.code.to_string(), d.message.clone()))
        .collect();
    let yaml = lower_istio(&c)
        .unwrap_or_default()
        .into_iter()
        .map(|o| {
            o.yaml
                .lines()
                .filter(|l| !l.contains("meshc.dev/source"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    (yaml, diags)
}

fn source(path: &Path, text: String) -> SourceFile {
    SourceFile { path: name(path), text }
}

#[test]
fn examples_keep_their_compiled_output() {
    let dirs = example_dirs();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let files = mesh_files(&dir);
        let before: Vec<SourceFile> = files.iter().map(|p| source(p, read(p))).collect();
        let after: Vec<SourceFile> = before
            .iter()
            .map(|f| SourceFile {
                path: f.path.clone(),
                text: formatted(&f.path, &f.text).unwrap_or_else(|e| panic!("{}: {e}", f.path)),
            })
            .collect();
        let (yaml, diags) = compiled(before);
        assert!(!yaml.is_empty(), "{}: compiles to nothing", dir.display());
        assert_eq!(
            compiled(after),
            (yaml, diags),
            "{}: formatting changed the output",
            dir.display()
        );
    }
}

#[test]
fn every_program_that_parses_formats_without_changing_its_diagnostics() {
    let mut n = 0;
    for dir in ["stdlib", "compiler/tests/diagnostics", "compiler/tests/fmt"] {
        for path in mesh_files(&root().join(dir)) {
            let text = read(&path);
            let what = path.display().to_string();
            match formatted(&what, &text) {
                Ok(out) => {
                    n += 1;
                    assert_eq!(
                        compiled(vec![source(&path, out)]),
                        compiled(vec![source(&path, text)]),
                        "{what}: formatting changed what it compiles to"
                    );
                }
                Err(FormatError::Syntax(d)) => {
                    assert!(d.iter().all(|d| matches!(d.code, "E0001" | "E0002")), "{what}: {d:?}");
                }
                Err(e) => panic!("{what}: {e}"),
            }
        }
    }
    assert!(n > 50, "only {n} programs formatted");
}

#[test]
fn examples_and_stdlib_are_formatted() {
    let mut files = mesh_files(&root().join("stdlib"));
    files.extend(example_dirs().iter().flat_map(|d| mesh_files(d)));
    for path in files {
        let text = read(&path);
        let out = format(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            out == text,
            "{} is not formatted: run `meshc fmt` on it",
            path.display()
        );
    }
}

/// Repository programs with more blanks: extra indentation, spaces between
/// tokens, trailing blanks and longer runs of blank lines. Lines with a
/// trailing comment keep their spacing (its column is kept on purpose).
fn perturb(text: &str, picks: &[u8]) -> String {
    let mut picks = picks.iter().cycle().copied();
    let mut blank = || [" ", "  ", "\t", " \t "][usize::from(picks.next().unwrap_or(0)) % 4];
    let mut out = String::new();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let code = line.trim_start();
        let plain = !code.contains('#') && !code.contains('"') && !code.ends_with('\\');
        out.push_str(blank());
        if plain {
            let words: Vec<&str> = code.split(' ').filter(|w| !w.is_empty()).collect();
            for (i, w) in words.iter().enumerate() {
                if i > 0 {
                    out.push_str(blank());
                }
                out.push_str(w);
            }
            out.push_str(blank());
        } else {
            out.push_str(code);
        }
        if lines.peek().is_some() {
            out.push('\n');
            if code.is_empty() && blank().len() > 1 {
                out.push('\n');
            }
        }
    }
    out
}

fn repository_files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![root().join("stdlib"), root().join("compiler/tests/fmt")];
    dirs.extend(example_dirs());
    for dir in dirs {
        for p in mesh_files(&dir) {
            out.push((p.display().to_string(), read(&p)));
        }
    }
    out
}

proptest! {
    #[test]
    fn more_blanks_format_the_same(which in any::<prop::sample::Index>(), picks in prop::collection::vec(any::<u8>(), 1..64)) {
        let files = repository_files();
        let (what, text) = which.get(&files);
        let want = format(text).unwrap_or_else(|e| panic!("{what}: {e}"));
        let messy = perturb(text, &picks);
        prop_assert_eq!(format(&messy), Ok(want), "{}:\n{}", what, messy);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(\\PC|[ \t\r\n{}();,:=#\"\\\\])*") {
        if let Ok(out) = format(&text) {
            prop_assert_eq!(format(&out), Ok(out.clone()));
        }
    }
}
