//! Every directory under `examples/` compiles cleanly (exit 0, no diagnostics
//! on stderr), and its Istio YAML is pinned by a snapshot named after it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn example_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", root.display()))
        .map(|entry| entry.expect("readable examples/ entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn examples_compile_to_the_snapshotted_yaml() {
    let dirs = example_dirs();
    assert!(!dirs.is_empty(), "examples/ holds no example directories");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let out = Command::new(env!("CARGO_BIN_EXE_meshc"))
            .arg("compile")
            .arg(&dir)
            .output()
            .expect("meshc runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "example `{name}` failed to compile ({}):\n{stderr}",
            out.status
        );
        assert!(stderr.is_empty(), "example `{name}` printed diagnostics:\n{stderr}");
        let yaml = String::from_utf8(out.stdout).expect("meshc writes UTF-8");
        insta::assert_snapshot!(name.as_str(), yaml);
    }
}
