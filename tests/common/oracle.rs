//! The shared Istio oracle (`../shared/oracle/validate-istio.py`), run on
//! meshc's output when it sits beside the clone; skipped with a note otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Validates the YAML files; panics with the oracle's words and the files if it rejects them.
pub fn validate(files: &[PathBuf]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracle/validate-istio.py");
    if !script.is_file() {
        eprintln!("note: the Istio oracle is skipped: no {}", script.display());
        return;
    }
    let out = match Command::new("python3").arg(&script).args(files).output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("note: the Istio oracle is skipped: cannot run python3: {e}");
            return;
        }
    };
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    match out.status.code() {
        Some(0) => {}
        // Exit 2 is a setup problem (its Python dependencies are missing).
        Some(2) => eprintln!("note: the Istio oracle is skipped:\n{said}"),
        _ => {
            let streams: String = files
                .iter()
                .map(|f| format!("# {}\n{}\n", f.display(), std::fs::read_to_string(f).unwrap()))
                .collect();
            panic!("the Istio oracle rejects meshc's output:\n{said}\n{streams}");
        }
    }
}
