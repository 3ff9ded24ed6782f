//! End-to-end tests of the `meshc` binary: exit codes, `--format json`, `-o`
//! layout, I/O errors and determinism. Every program is written here, into a
//! temporary directory; nothing depends on `examples/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const MESHC: &str = env!("CARGO_BIN_EXE_meshc");

/// A clean program (no diagnostics): subsets, a route with weights and
/// options, a second service, an external and an egress scope, in one file.
/// It is [`SPLIT`] joined together.
fn shop() -> String {
    format!("# A small shop.\n{}{}{}", SPLIT[2].1, SPLIT[0].1, SPLIT[1].1)
}

/// A program with exactly one diagnostic, a deprecation warning.
const WARNS: &str = r#"namespace shop {
  service api {
    port 9090 http
    subsets version: v1
    balance least_conn
  }
}
"#;

/// A program with one semantic error: a route to a subset that does not exist.
const UNKNOWN_SUBSET: &str = r#"namespace shop {
  service api {
    port 9090 http
    subsets version: v1, v2
    route {
      default => v3
    }
  }
}
"#;

/// A program that does not parse.
const SYNTAX_ERROR: &str = "namespace shop {\n  service api {\n    port http 9090\n  }\n";

fn meshc(args: &[&str]) -> Output {
    Command::new(MESHC)
        .args(args)
        .output()
        .expect("cannot run the meshc binary")
}

fn meshc_at(args: &[&str], path: &Path) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    all.push(path.to_str().expect("temporary paths are UTF-8"));
    meshc(&all)
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("meshc was killed by a signal")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// Writes `files` into a fresh temporary directory, in the order given.
fn program(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A directory holding one `main.mesh` with `text`; returns it and the file's path.
fn single(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = program(&[("main.mesh", text)]);
    let file = dir.path().join("main.mesh");
    (dir, file)
}

/// Asserts exit 2, nothing on stdout and exactly one `error: ...` line on stderr.
fn assert_io_error(o: &Output, what: &str) {
    let err = stderr(o);
    assert_eq!(code(o), 2, "{what}: expected exit 2, stderr:\n{err}");
    assert!(o.stdout.is_empty(), "{what}: stdout not empty:\n{}", stdout(o));
    assert_eq!(
        err.lines().count(),
        1,
        "{what}: expected one line on stderr, got:\n{err}"
    );
    assert!(
        err.starts_with("error: "),
        "{what}: stderr does not start with `error: `:\n{err}"
    );
    assert!(err.ends_with('\n'), "{what}: stderr line is not terminated");
}

/// The documents of a `---`-separated stream, without their separators.
fn documents(stream: &str) -> Vec<String> {
    assert!(
        stream.starts_with("---\n"),
        "stream does not start with `---`:\n{stream}"
    );
    let mut docs: Vec<String> = Vec::new();
    for line in stream.split_inclusive('\n') {
        if line == "---\n" {
            docs.push(String::new());
        } else {
            docs.last_mut().expect("stream starts with `---`").push_str(line);
        }
    }
    docs
}

/// `(kind, namespace, name)` from the metadata of one emitted document.
fn identity(doc: &str) -> (String, String, String) {
    let field = |prefix: &str| {
        doc.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` line in document:\n{doc}"))
            .trim()
            .trim_matches('"')
            .to_string()
    };
    (field("kind: "), field("  namespace: "), field("  name: "))
}

/// Every file under `root`, relative path (with `/`) to contents.
fn tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel = rel.iter().map(|c| c.to_str().unwrap()).collect::<Vec<_>>().join("/");
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// The stream without the source-location annotations, which name files and lines.
fn without_sources(stream: &str) -> String {
    stream
        .lines()
        .filter(|l| !l.trim_start().starts_with("meshc.dev/source:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

// ------------------------------------------------------------------ exit codes

#[test]
fn check_clean_program_exits_0_silently() {
    let (_dir, file) = single(&shop());
    let o = meshc_at(&["check"], &file);
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(o.stderr.is_empty(), "unexpected diagnostics:\n{}", stderr(&o));
    let o = meshc_at(&["check", "--deny-warnings"], &file);
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
}

#[test]
fn check_warnings_exit_0_unless_denied() {
    let (_dir, file) = single(WARNS);
    let o = meshc_at(&["check"], &file);
    assert_eq!(code(&o), 0);
    let err = stderr(&o);
    assert!(err.contains("warning"), "no warning on stderr:\n{err}");
    assert!(
        err.contains("main.mesh:5:"),
        "warning does not point at its line:\n{err}"
    );

    let o = meshc_at(&["check", "--deny-warnings"], &file);
    assert_eq!(code(&o), 1, "--deny-warnings must fail on a warning");
    assert!(stderr(&o).contains("warning"));

    let o = meshc_at(&["check", "--deny-warnings", "--format", "json"], &file);
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["diagnostics"][0]["severity"], "warning");
}

#[test]
fn check_errors_exit_1() {
    for (what, text) in [("unknown subset", UNKNOWN_SUBSET), ("syntax error", SYNTAX_ERROR)] {
        let (_dir, file) = single(text);
        let o = meshc_at(&["check"], &file);
        assert_eq!(code(&o), 1, "{what}: stderr:\n{}", stderr(&o));
        assert!(stderr(&o).contains("error"), "{what}: no error on stderr");
        assert!(stderr(&o).contains("main.mesh:"), "{what}: error names no file");
    }
}

#[test]
fn compile_clean_program_exits_0_with_a_stream() {
    let (_dir, file) = single(&shop());
    let o = meshc_at(&["compile"], &file);
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    assert!(o.stderr.is_empty(), "unexpected diagnostics:\n{}", stderr(&o));
    let out = stdout(&o);
    let docs = documents(&out);
    let kinds: Vec<(String, String, String)> = docs.iter().map(|d| identity(d)).collect();
    for want in [
        ("DestinationRule", "web"),
        ("DestinationRule", "api"),
        ("VirtualService", "web"),
        ("ServiceEntry", "payments"),
        ("Sidecar", "web"),
    ] {
        assert!(
            kinds
                .iter()
                .any(|(k, ns, n)| k == want.0 && ns == "shop" && n == want.1),
            "no {want:?} in the stream:\n{out}"
        );
    }
    for d in &docs {
        assert!(
            d.starts_with("apiVersion: "),
            "document does not start with apiVersion:\n{d}"
        );
        assert!(d.ends_with('\n'), "document does not end with a newline");
        assert!(
            d.contains("meshc.dev/source: \"main.mesh:"),
            "no source annotation:\n{d}"
        );
    }
    // `--target istio` is the default.
    let explicit = meshc_at(&["compile", "--target", "istio"], &file);
    assert_eq!(code(&explicit), 0);
    assert_eq!(explicit.stdout, o.stdout);
}

#[test]
fn compile_with_warnings_exits_0_and_reports_them() {
    let (_dir, file) = single(WARNS);
    let o = meshc_at(&["compile"], &file);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("warning"));
    assert!(stdout(&o).contains("LEAST_REQUEST"), "stream:\n{}", stdout(&o));
}

#[test]
fn compile_errors_exit_1_with_nothing_written() {
    for (what, text) in [("unknown subset", UNKNOWN_SUBSET), ("syntax error", SYNTAX_ERROR)] {
        // One good file beside the broken one: still nothing may come out.
        let dir = program(&[
            ("good.mesh", WARNS.replace("shop", "other").as_str()),
            ("main.mesh", text),
        ]);
        let o = meshc_at(&["compile"], dir.path());
        assert_eq!(code(&o), 1, "{what}");
        assert!(
            o.stdout.is_empty(),
            "{what}: YAML on stdout despite errors:\n{}",
            stdout(&o)
        );
        assert!(stderr(&o).contains("error"), "{what}: no diagnostics on stderr");

        let out = tempfile::tempdir().unwrap();
        let target = out.path().join("yaml");
        let o = meshc(&["compile", dir.path().to_str().unwrap(), "-o", target.to_str().unwrap()]);
        assert_eq!(code(&o), 1, "{what}");
        assert!(o.stdout.is_empty(), "{what}");
        assert!(!target.exists(), "{what}: -o directory created despite errors");
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "{what}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let (_dir, file) = single(&shop());
    let f = file.to_str().unwrap();
    for args in [
        vec![],
        vec!["frobnicate"],
        vec!["compile"],
        vec!["check"],
        vec!["compile", f, "--target", "nginx"],
        vec!["check", f, "--format", "yaml"],
        vec!["check", f, "--no-such-flag"],
    ] {
        let o = meshc(&args);
        assert_eq!(code(&o), 2, "meshc {args:?}: stderr:\n{}", stderr(&o));
        assert!(o.stdout.is_empty(), "meshc {args:?} printed to stdout");
        assert!(!o.stderr.is_empty(), "meshc {args:?} gave no reason");
    }
}

// ------------------------------------------------------------------ I/O errors

#[test]
fn missing_path_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.mesh");
    for cmd in [&["check"][..], &["check", "--format", "json"], &["compile"]] {
        let o = meshc_at(cmd, &missing);
        assert_io_error(&o, &format!("{cmd:?} on a missing file"));
        assert!(stderr(&o).contains("nope.mesh"), "reason does not name the path");
    }
    let out = dir.path().join("out");
    let o = meshc(&["compile", missing.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_io_error(&o, "compile -o on a missing file");
    assert!(!out.exists());
}

#[test]
fn directory_without_mesh_files_exits_2() {
    let empty = tempfile::tempdir().unwrap();
    let o = meshc_at(&["check"], empty.path());
    assert_io_error(&o, "empty directory");

    let others = program(&[("README.md", "# not a program\n"), ("policy.mesh.bak", &shop())]);
    std::fs::create_dir(others.path().join("nested.mesh")).unwrap();
    for cmd in [&["check"][..], &["compile"]] {
        let o = meshc_at(cmd, others.path());
        assert_io_error(&o, &format!("{cmd:?} on a directory without .mesh files"));
    }
}

#[test]
fn non_utf8_file_exits_2() {
    let bytes: &[u8] = b"namespace shop {\n  # caf\xe9\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("latin1.mesh");
    std::fs::write(&file, bytes).unwrap();
    for cmd in [&["check"][..], &["check", "--format", "json"], &["compile"]] {
        let o = meshc_at(cmd, &file);
        assert_io_error(&o, &format!("{cmd:?} on a non-UTF-8 file"));
        assert!(stderr(&o).contains("latin1.mesh"), "reason does not name the file");
    }
    // In a directory, beside a good file: the whole program is refused.
    std::fs::write(dir.path().join("good.mesh"), shop()).unwrap();
    let out = dir.path().join("out");
    let o = meshc(&["compile", dir.path().to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_io_error(&o, "compile -o on a directory with a non-UTF-8 file");
    assert!(!out.exists(), "-o directory created despite the I/O error");
}

#[test]
fn non_mesh_files_in_a_directory_are_ignored() {
    let with = program(&[
        ("main.mesh", &shop()),
        ("notes.txt", "\u{1}garbage {{{"),
        ("x.yaml", "a: b"),
    ]);
    std::fs::write(with.path().join("blob.bin"), b"\xff\xfe\x00").unwrap();
    let (_alone, file) = single(&shop());
    let a = meshc_at(&["compile"], with.path());
    let b = meshc_at(&["compile"], &file);
    assert_eq!(code(&a), 0, "stderr:\n{}", stderr(&a));
    assert_eq!(
        a.stdout, b.stdout,
        "a directory and its one .mesh file compile differently"
    );
}

// ------------------------------------------------------------------ --format json

#[test]
fn json_format_shape() {
    let dir = program(&[
        ("bad.mesh", UNKNOWN_SUBSET),
        ("warn.mesh", &WARNS.replace("shop", "other")),
    ]);
    let o = meshc_at(&["check", "--format", "json"], dir.path());
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).expect("stdout is one JSON document");
    let obj = v.as_object().expect("top level is an object");
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["diagnostics"]);
    let diags = v["diagnostics"].as_array().expect("diagnostics is an array");
    assert_eq!(diags.len(), 2, "{v:#}");

    for d in diags {
        let sev = d["severity"].as_str().expect("severity is a string");
        assert!(sev == "error" || sev == "warning", "{d}");
        let code = d["code"].as_str().expect("code is a string");
        let prefix = if sev == "error" { 'E' } else { 'W' };
        assert!(
            code.len() == 5 && code.starts_with(prefix) && code[1..].bytes().all(|b| b.is_ascii_digit()),
            "code `{code}` is not {prefix}NNNN"
        );
        assert!(!d["message"].as_str().expect("message").is_empty());
        let file = d["file"].as_str().expect("file is a string");
        assert!(
            file == "bad.mesh" || file == "warn.mesh",
            "file `{file}` is not relative to the program"
        );
        for key in ["line", "column", "end_line", "end_column"] {
            assert!(d[key].as_u64().expect(key) >= 1, "{key} is not 1-based: {d}");
        }
        let start = (d["line"].as_u64(), d["column"].as_u64());
        let end = (d["end_line"].as_u64(), d["end_column"].as_u64());
        assert!(start <= end, "span ends before it starts: {d}");
        assert!(d["help"].is_null() || d["help"].is_string(), "{d}");
        for l in d["labels"].as_array().expect("labels is an array") {
            assert!(l["file"].is_string() && l["message"].is_string(), "{l}");
            assert!(
                l["line"].as_u64().unwrap() >= 1 && l["column"].as_u64().unwrap() >= 1,
                "{l}"
            );
        }
    }

    // The error points at `v3` on line 6 of bad.mesh.
    let err = diags.iter().find(|d| d["severity"] == "error").expect("an error");
    assert_eq!(err["file"], "bad.mesh");
    assert_eq!(err["line"], 6);
    assert_eq!(err["column"], 18);
    assert_eq!(err["end_column"], 20);
    assert!(err["message"].as_str().unwrap().contains("v3"), "{err}");
    let warn = diags.iter().find(|d| d["severity"] == "warning").expect("a warning");
    assert_eq!(warn["file"], "warn.mesh");
    assert_eq!(warn["line"], 5);
}

#[test]
fn json_format_on_a_clean_program_is_empty() {
    let (_dir, file) = single(&shop());
    let o = meshc_at(&["check", "--format", "json"], &file);
    assert_eq!(code(&o), 0);
    assert!(o.stderr.is_empty(), "stderr:\n{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v, serde_json::json!({ "diagnostics": [] }));
}

#[test]
fn json_format_reports_syntax_errors() {
    let (_dir, file) = single(SYNTAX_ERROR);
    let o = meshc_at(&["check", "--format", "json"], &file);
    assert_eq!(code(&o), 1);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let diags = v["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty());
    assert!(diags.iter().all(|d| d["file"] == "main.mesh"));
    assert!(diags.iter().any(|d| d["severity"] == "error"));
}

// ------------------------------------------------------------------ -o

#[test]
fn out_dir_layout_matches_the_stream() {
    let (_dir, file) = single(&shop());
    let streamed = meshc_at(&["compile"], &file);
    assert_eq!(code(&streamed), 0);
    let stream = stdout(&streamed);
    let docs = documents(&stream);

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("deploy");
    let o = meshc(&["compile", file.to_str().unwrap(), "-o", target.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    assert!(o.stdout.is_empty(), "-o also printed to stdout:\n{}", stdout(&o));

    let files = tree(&target);
    assert_eq!(files.len(), docs.len(), "files: {:?}", files.keys());
    for doc in &docs {
        let (kind, ns, name) = identity(doc);
        let rel = format!("{ns}/{}-{name}.yaml", kind.to_ascii_lowercase());
        let content = files
            .get(&rel)
            .unwrap_or_else(|| panic!("no {rel} in {:?}", files.keys()));
        assert_eq!(content, doc, "{rel} differs from its document in the stream");
        assert!(!content.starts_with("---"), "{rel} carries a separator");
    }
    for want in [
        "shop/destinationrule-web.yaml",
        "shop/destinationrule-api.yaml",
        "shop/virtualservice-web.yaml",
        "shop/serviceentry-payments.yaml",
        "shop/sidecar-web.yaml",
    ] {
        assert!(files.contains_key(want), "no {want} in {:?}", files.keys());
    }
    // Concatenated in the stream's order, the files are the stream.
    let rebuilt: String = docs
        .iter()
        .map(|d| {
            let (kind, ns, name) = identity(d);
            format!(
                "---\n{}",
                files[&format!("{ns}/{}-{name}.yaml", kind.to_ascii_lowercase())]
            )
        })
        .collect();
    assert_eq!(rebuilt, stream);
}

#[test]
fn out_dir_may_already_exist() {
    let (_dir, file) = single(&shop());
    let out = tempfile::tempdir().unwrap();
    let o = meshc(&["compile", file.to_str().unwrap(), "-o", out.path().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    let first = tree(out.path());
    let o = meshc(&["compile", file.to_str().unwrap(), "--out", out.path().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    assert_eq!(
        tree(out.path()),
        first,
        "a second run into the same directory changed it"
    );
}

#[test]
fn out_dir_that_is_a_file_exits_2() {
    let (dir, file) = single(&shop());
    let blocker = dir.path().join("deploy");
    std::fs::write(&blocker, "not a directory\n").unwrap();
    let o = meshc(&["compile", file.to_str().unwrap(), "-o", blocker.to_str().unwrap()]);
    assert_io_error(&o, "-o at a regular file");
    assert!(stderr(&o).contains("deploy"), "reason does not name the path");
    assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "not a directory\n");
}

#[test]
fn out_dir_spans_namespaces() {
    let two = format!("{}\n{}", shop(), WARNS.replace("shop", "billing"));
    let (_dir, file) = single(&two);
    let out = tempfile::tempdir().unwrap();
    let o = meshc(&["compile", file.to_str().unwrap(), "-o", out.path().to_str().unwrap()]);
    assert_eq!(code(&o), 0, "stderr:\n{}", stderr(&o));
    let files = tree(out.path());
    assert!(
        files.contains_key("billing/destinationrule-api.yaml"),
        "{:?}",
        files.keys()
    );
    assert!(
        files.contains_key("shop/destinationrule-api.yaml"),
        "{:?}",
        files.keys()
    );
    assert!(files["billing/destinationrule-api.yaml"].contains("namespace: billing"));
}

// ------------------------------------------------------------------ determinism

/// The program of [`shop`] split over three files.
const SPLIT: [(&str, &str); 3] = [
    (
        "api.mesh",
        r#"namespace shop {
  service api {
    port 9090 http
    subset stable version=v1, track=stable {
      balance random
    }
    balance least_request
    eject {
      consecutive_5xx 5
      interval 10s
      base_time 30s
    }
  }
}
"#,
    ),
    (
        "external.mesh",
        r#"namespace shop {
  external payments {
    host "api.stripe.com"
    port 443 https
  }
}
"#,
    ),
    (
        "web.mesh",
        r#"namespace shop {
  ## The storefront.
  service web {
    port 8080 http
    subsets version: v1, v2
    timeout 5s
    retries 3 per_try 1s on gateway_error, connect_failure
    route {
      when header "x-beta" present => v2
      when path prefix "/api/" and method GET, HEAD => service api {
        rewrite path "/"
        timeout 2s
      }
      default => v1 90%, v2 10%
    }
    egress namespace ., istio-system
  }
}
"#,
    ),
];

#[test]
fn same_program_twice_is_byte_identical() {
    let (_dir, file) = single(&shop());
    let a = meshc_at(&["compile"], &file);
    let b = meshc_at(&["compile"], &file);
    assert_eq!(code(&a), 0);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stderr, b.stderr);

    let (_dir, warn) = single(WARNS);
    let a = meshc_at(&["check", "--format", "json"], &warn);
    let b = meshc_at(&["check", "--format", "json"], &warn);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn file_creation_order_does_not_matter() {
    let forward = program(&SPLIT);
    let mut reversed_files = SPLIT;
    reversed_files.reverse();
    let reversed = program(&reversed_files);
    let middle = program(&[SPLIT[1], SPLIT[2], SPLIT[0]]);

    let a = meshc_at(&["compile"], forward.path());
    assert_eq!(code(&a), 0, "stderr:\n{}", stderr(&a));
    for other in [reversed.path(), middle.path()] {
        let b = meshc_at(&["compile"], other);
        assert_eq!(stdout(&a), stdout(&b), "output depends on file creation order");
    }

    // The same holds for -o trees and for diagnostics.
    let oa = tempfile::tempdir().unwrap();
    let ob = tempfile::tempdir().unwrap();
    for (src, out) in [(forward.path(), oa.path()), (reversed.path(), ob.path())] {
        let o = meshc(&["compile", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(code(&o), 0);
    }
    assert_eq!(tree(oa.path()), tree(ob.path()));

    let warn = WARNS.replace("shop", "other");
    let bad_first = program(&[("z.mesh", UNKNOWN_SUBSET), ("a.mesh", &warn), ("m.mesh", SYNTAX_ERROR)]);
    let bad_last = program(&[("m.mesh", SYNTAX_ERROR), ("a.mesh", &warn), ("z.mesh", UNKNOWN_SUBSET)]);
    for args in [&["check", "--format", "json"][..], &["check"], &["compile"]] {
        let x = meshc_at(args, bad_first.path());
        let y = meshc_at(args, bad_last.path());
        assert_eq!(code(&x), 1);
        assert_eq!(x.stdout, y.stdout, "{args:?}");
        assert_eq!(x.stderr, y.stderr, "{args:?}");
    }
}

#[test]
fn declaration_order_and_file_split_do_not_matter() {
    let (_one, file) = single(&shop());
    let whole = meshc_at(&["compile"], &file);
    assert_eq!(code(&whole), 0);

    // Same declarations, one file, in another order.
    let shuffled = format!("{}{}{}", SPLIT[1].1, SPLIT[0].1, SPLIT[2].1);
    let (_two, shuffled_file) = single(&shuffled);
    // Same declarations over three files.
    let split = program(&SPLIT);

    let whole = without_sources(&stdout(&whole));
    for (what, o) in [
        ("shuffled", meshc_at(&["compile"], &shuffled_file)),
        ("split", meshc_at(&["compile"], split.path())),
    ] {
        assert_eq!(code(&o), 0, "{what}: stderr:\n{}", stderr(&o));
        assert_eq!(
            without_sources(&stdout(&o)),
            whole,
            "{what}: output depends on declaration order"
        );
    }

    // Only the source annotations differ, and they name the right files.
    let o = stdout(&meshc_at(&["compile"], split.path()));
    for d in documents(&o) {
        let (kind, _, name) = identity(&d);
        let want = match name.as_str() {
            "payments" => "external.mesh",
            n => &format!("{n}.mesh"),
        };
        assert!(
            d.contains(&format!("meshc.dev/source: \"{want}:")),
            "{kind}/{name} does not name {want}:\n{d}"
        );
    }
}

#[test]
fn library_is_independent_of_file_order() {
    use meshc_compiler::SourceFile;
    let files = |order: &[usize]| -> Vec<SourceFile> {
        order
            .iter()
            .map(|&i| SourceFile {
                path: SPLIT[i].0.to_string(),
                text: SPLIT[i].1.to_string(),
            })
            .collect()
    };
    let stream = |order: &[usize]| {
        let c = meshc_compiler::check(files(order));
        assert!(!c.has_errors());
        meshc_compiler::backend::stream(&meshc_compiler::lower_istio(&c).expect("no errors, so objects"))
    };
    let first = stream(&[0, 1, 2]);
    for order in [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
        assert_eq!(stream(&order), first, "order {order:?}");
    }
}
