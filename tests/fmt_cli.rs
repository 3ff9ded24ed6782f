//! `meshc fmt` end to end: in-place rewrites, directories, `-` (stdin to
//! stdout), `--check`, and files it must leave alone.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const MESHC: &str = env!("CARGO_BIN_EXE_meshc");
const MESSY: &str = "namespace a { service b { port 80 http; timeout 1s } }";
const TIDY: &str = "namespace a {\n  service b {\n    port 80 http\n    timeout 1s\n  }\n}\n";
const BROKEN: &str = "namespace a { service b { port http } }";

fn meshc(args: &[&str], dir: &Path) -> Output {
    Command::new(MESHC)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot run meshc")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write");
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).expect("read")
}

#[test]
fn rewrites_files_and_directories_in_place() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    std::fs::create_dir(dir.join("prog")).expect("mkdir");
    write(dir, "one.mesh", MESSY);
    write(dir, "prog/two.mesh", MESSY);
    write(dir, "prog/tidy.mesh", TIDY);
    write(dir, "prog/notes.txt", MESSY);
    let o = meshc(&["fmt", "one.mesh", "prog"], dir);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(read(dir, "one.mesh"), TIDY);
    assert_eq!(read(dir, "prog/two.mesh"), TIDY);
    assert_eq!(read(dir, "prog/tidy.mesh"), TIDY);
    assert_eq!(read(dir, "prog/notes.txt"), MESSY, "only .mesh files are touched");
}

#[test]
fn check_lists_what_would_change_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "messy.mesh", MESSY);
    write(dir, "tidy.mesh", TIDY);
    let o = meshc(&["fmt", "--check", "."], dir);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "./messy.mesh\n");
    assert_eq!(read(dir, "messy.mesh"), MESSY);
    let o = meshc(&["fmt", "--check", "tidy.mesh"], dir);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "");
}

#[test]
fn dash_reads_stdin_and_writes_stdout() {
    let mut child = Command::new(MESHC)
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(MESSY.as_bytes())
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), TIDY);
}

#[test]
fn files_that_do_not_parse_are_reported_and_left_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write(dir, "broken.mesh", BROKEN);
    write(dir, "messy.mesh", MESSY);
    let o = meshc(&["fmt", "broken.mesh", "messy.mesh"], dir);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("E0001") && err.contains("broken.mesh"), "{err}");
    assert_eq!(read(dir, "broken.mesh"), BROKEN);
    assert_eq!(read(dir, "messy.mesh"), TIDY, "the other files are still formatted");
    let o = meshc(&["fmt", "missing.mesh"], dir);
    assert_eq!(o.status.code(), Some(2));
}
