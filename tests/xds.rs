//! `meshc compile --target xds` on every example and on `tests/xds/tour.mesh`
//! (every feature the target lowers): the bootstraps are pinned by one
//! snapshot per program, are deterministic, name only clusters they define,
//! put `typed_config` on every filter, and pass the shared xDS oracle
//! (`../shared/oracle/validate-xds.py`, including `envoy --mode validate`)
//! when it and its Python modules are installed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const MESHC: &str = env!("CARGO_BIN_EXE_meshc");

/// Every example directory, then the tour written into `tmp` with its file
/// paths under `certs`, as (name, path).
fn programs(tmp: &Path, certs: &str) -> Vec<(String, PathBuf)> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(here.join("examples"))
        .expect("readable examples/")
        .map(|entry| entry.expect("readable examples/ entry").path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    let tour = std::fs::read_to_string(here.join("tests/xds/tour.mesh")).expect("tests/xds/tour.mesh");
    let file = tmp.join("tour.mesh");
    std::fs::write(&file, tour.replace("@CERTS@", certs)).unwrap();
    out.push(("tour".into(), file));
    out
}

/// The bootstraps of one example, as (`<namespace>/<service>.json`, text), sorted.
fn compile(dir: &Path, out: &Path, certs: Option<&Path>) -> Vec<(String, String)> {
    let mut cmd = Command::new(MESHC);
    cmd.args(["compile", "--target", "xds", "-o"]).arg(out).arg(dir);
    if let Some(c) = certs {
        cmd.arg("--certs-dir").arg(c);
    }
    let o = cmd.output().expect("meshc runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{}: {stderr}", dir.display());
    assert!(stderr.is_empty(), "{}: diagnostics:\n{stderr}", dir.display());
    let mut files = Vec::new();
    for ns in std::fs::read_dir(out).unwrap() {
        let ns = ns.unwrap().path();
        for f in std::fs::read_dir(&ns).unwrap() {
            let f = f.unwrap().path();
            let name = format!(
                "{}/{}",
                ns.file_name().unwrap().to_string_lossy(),
                f.file_name().unwrap().to_string_lossy()
            );
            files.push((name, std::fs::read_to_string(&f).unwrap()));
        }
    }
    files.sort();
    assert!(!files.is_empty(), "{}: no bootstrap written", dir.display());
    files
}

#[test]
fn programs_compile_to_the_snapshotted_bootstraps() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, dir) in programs(tmp.path(), "/etc/meshc/certs") {
        let files = compile(&dir, &tmp.path().join(&name), None);
        let again = compile(&dir, &tmp.path().join(&name).join("again"), None);
        assert_eq!(files, again, "{name}: output differs between runs");
        let mut text = String::new();
        for (file, json) in &files {
            text.push_str(&format!("=== {file}\n{json}"));
        }
        insta::assert_snapshot!(name.as_str(), text);
    }
}

/// Collects every cluster name that a route, TCP proxy, mirror or JWKS fetch uses.
fn used_clusters(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("cluster", Value::String(s)) => {
                        out.insert(s.clone());
                    }
                    ("weighted_clusters", w) => {
                        for c in w["clusters"].as_array().into_iter().flatten() {
                            out.insert(c["name"].as_str().unwrap().to_string());
                        }
                    }
                    _ => used_clusters(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| used_clusters(x, out)),
        _ => {}
    }
}

/// Every `name` + config pair under the filter lists carries a `typed_config`.
fn filters_are_typed(v: &Value, path: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if matches!(k.as_str(), "filters" | "http_filters" | "listener_filters") {
                    for f in x.as_array().unwrap() {
                        assert!(f["typed_config"]["@type"].is_string(), "{path}.{k}: {f}");
                    }
                }
                filters_are_typed(x, &format!("{path}.{k}"));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| filters_are_typed(x, path)),
        _ => {}
    }
}

#[test]
fn bootstraps_define_what_they_use_and_type_every_filter() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, dir) in programs(tmp.path(), "/etc/meshc/certs") {
        for (file, json) in compile(&dir, &tmp.path().join(&name), None) {
            let v: Value = serde_json::from_str(&json).unwrap();
            let defined: BTreeSet<String> = v["static_resources"]["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            let mut used = BTreeSet::new();
            used_clusters(&v["static_resources"]["listeners"], &mut used);
            let missing: Vec<_> = used.difference(&defined).collect();
            assert!(missing.is_empty(), "{name}/{file}: undefined clusters {missing:?}");
            filters_are_typed(&v, &format!("{name}/{file}"));
        }
    }
}

/// A self-signed certificate and key for every proxy, in the layout of
/// docs/targets.md (only `envoy --mode validate` reads them).
fn certificates(dir: &Path, files: &[(String, String)]) -> bool {
    let key = dir.join("key.pem");
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=meshc-test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(dir.join("root-cert.pem"))
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        return false;
    }
    for (file, _) in files {
        let own = dir.join(file.trim_end_matches(".json"));
        std::fs::create_dir_all(&own).unwrap();
        std::fs::copy(&key, own.join("key.pem")).unwrap();
        std::fs::copy(dir.join("root-cert.pem"), own.join("cert-chain.pem")).unwrap();
    }
    true
}

#[test]
fn programs_pass_the_xds_oracle() {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracle/validate-xds.py");
    if !oracle.is_file() {
        eprintln!("skipping: {} not found", oracle.display());
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let certs = tmp.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let mut paths = Vec::new();
    for (name, dir) in programs(tmp.path(), certs.to_str().unwrap()) {
        let out = tmp.path().join("out").join(&name);
        let files = compile(&dir, &out, Some(&certs));
        if !certificates(&certs, &files) {
            eprintln!("skipping: `openssl` cannot make the test certificates");
            return;
        }
        paths.extend(files.iter().map(|(f, _)| out.join(f)));
    }
    let o = Command::new("python3").arg(&oracle).arg("-q").args(&paths).output();
    let Ok(o) = o else {
        eprintln!("skipping: python3 not found");
        return;
    };
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    match o.status.code() {
        Some(0) => {}
        Some(2) => eprintln!("skipping: the xDS oracle is not set up (see shared/oracle/README.md):\n{report}"),
        _ => panic!("the xDS oracle rejects meshc's output:\n{report}"),
    }
}

#[test]
fn usage_errors_exit_2_and_say_what_to_write() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bookinfo");
    let run = |args: &[&str]| {
        let o = Command::new(MESHC).args(args).arg(&dir).output().expect("meshc runs");
        (o.status.code(), String::from_utf8_lossy(&o.stderr).into_owned())
    };
    let (code, err) = run(&["compile", "--target", "xds"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("give `-o DIR`"), "{err}");
    let (code, err) = run(&["compile", "--target", "xds", "--proxy", "bookinfo/nope"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("no service `bookinfo/nope`") && err.contains("bookinfo/reviews"),
        "{err}"
    );
    let (code, err) = run(&["compile", "--target", "xds", "--proxy", "reviews"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("NAMESPACE/SERVICE"), "{err}");
    let (code, err) = run(&["compile", "--proxy", "bookinfo/reviews"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("apply to `--target xds` only"), "{err}");
    let o = Command::new(MESHC)
        .args(["compile", "--target", "xds", "--proxy", "bookinfo/reviews"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).expect("one bootstrap on stdout");
    assert_eq!(v["node"]["cluster"], "reviews.bookinfo");
}
