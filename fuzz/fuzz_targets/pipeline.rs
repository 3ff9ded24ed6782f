//! Fuzzes the whole pipeline: `check`, then `lower_istio` and everything the
//! CLI renders from their results. Nothing may panic, whatever the bytes.
//!
//! The input is read as UTF-8 lossily (the CLI refuses other files before the
//! compiler sees them). NUL bytes split it into several files of one program,
//! so declarations spread over files are fuzzed too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meshc_compiler::{backend, check, lower_istio, report, SourceFile};

fuzz_target!(|data: &[u8]| {
    let files: Vec<SourceFile> = data
        .split(|&b| b == 0)
        .take(4)
        .enumerate()
        .map(|(i, part)| SourceFile {
            path: format!("part{i}.mesh"),
            text: String::from_utf8_lossy(part).into_owned(),
        })
        .collect();
    let c = check(files);
    let objects = lower_istio(&c);
    assert_eq!(objects.is_some(), !c.has_errors());
    if let Some(objects) = objects {
        let _ = backend::stream(&objects);
    }
    let _ = report::human(&c.files, &c.diagnostics, false);
    let _ = report::json(&c.files, &c.diagnostics);
});
