//! `meshc fmt`: rewrites `.mesh` files in the canonical layout (the pure
//! formatter is `meshc_compiler::fmt`; this is only its file handling).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use meshc_compiler::fmt::{format, FormatError};
use meshc_compiler::{report, SourceFile};

/// Formats every path (`-` is stdin to stdout; a directory is each of its
/// `.mesh` files). With `check`, writes nothing and lists what would change.
/// Exit status: 0 all well, 1 a file would change (`--check`) or does not
/// parse, 2 a file could not be read or written.
pub fn run(paths: &[PathBuf], check: bool) -> ExitCode {
    let mut status = 0u8;
    for path in paths {
        for target in expand(path, &mut status) {
            let outcome = match &target {
                Target::Stdin => stdin(check),
                Target::File(path) => file(path, check),
            };
            status = status.max(outcome);
        }
    }
    ExitCode::from(status)
}

enum Target {
    Stdin,
    File(PathBuf),
}

fn expand(path: &Path, status: &mut u8) -> Vec<Target> {
    if path.as_os_str() == "-" {
        return vec![Target::Stdin];
    }
    if !path.is_dir() {
        return vec![Target::File(path.to_path_buf())];
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {e}", path.display());
            *status = 2;
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "mesh") && p.is_file())
        .collect();
    files.sort();
    files.into_iter().map(Target::File).collect()
}

fn stdin(check: bool) -> u8 {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: cannot read stdin: {e}");
        return 2;
    }
    match formatted("<stdin>", &text) {
        Err(status) => status,
        Ok(out) if check => {
            if out != text {
                println!("<stdin>");
                return 1;
            }
            0
        }
        Ok(out) => match std::io::stdout().write_all(out.as_bytes()) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: cannot write to stdout: {e}");
                2
            }
        },
    }
}

fn file(path: &Path, check: bool) -> u8 {
    let name = path.display().to_string();
    let text = match std::fs::read(path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => {
            eprintln!("error: `{name}` is not valid UTF-8");
            return 2;
        }
        Err(e) => {
            eprintln!("error: cannot read `{name}`: {e}");
            return 2;
        }
    };
    let out = match formatted(&name, &text) {
        Ok(out) if out != text => out,
        Ok(_) => return 0,
        Err(status) => return status,
    };
    if check {
        println!("{name}");
        return 1;
    }
    match std::fs::write(path, out) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: cannot write `{name}`: {e}");
            2
        }
    }
}

/// The formatted text, or the exit status after reporting why there is none.
fn formatted(name: &str, text: &str) -> Result<String, u8> {
    match format(text) {
        Ok(out) => Ok(out),
        Err(FormatError::Syntax(diags)) => {
            let files = [SourceFile {
                path: name.to_string(),
                text: text.to_string(),
            }];
            eprint!("{}", report::human(&files, &diags, std::io::stderr().is_terminal()));
            eprintln!("error: `{name}` not formatted: it has syntax errors");
            Err(1)
        }
        Err(e @ FormatError::Changed(_)) => {
            eprintln!("error: `{name}` not formatted: {e}");
            Err(1)
        }
    }
}
