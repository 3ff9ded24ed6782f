//! Diagnostics as text: codespan-rendered for people, JSON for tools.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use serde::Serialize;

use crate::diag::{Diagnostic, Severity};
use crate::span::{line_col, SourceFile, Span};

/// Every diagnostic rendered as codespan does, optionally with ANSI colours.
pub fn human(files: &[SourceFile], diags: &[Diagnostic], color: bool) -> String {
    let mut sf = SimpleFiles::new();
    for f in files {
        sf.add(f.path.as_str(), f.text.as_str());
    }
    let config = term::Config::default();
    let mut buf = if color {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    for d in diags {
        let _ = term::emit(&mut buf, &config, &sf, &to_codespan(files, d));
    }
    String::from_utf8_lossy(buf.as_slice()).into_owned()
}

fn clamp(files: &[SourceFile], span: Span) -> std::ops::Range<usize> {
    let len = files.get(span.file as usize).map_or(0, |f| f.text.len());
    let text = files.get(span.file as usize).map_or("", |f| f.text.as_str());
    let mut s = (span.start as usize).min(len);
    let mut e = (span.end as usize).clamp(s, len);
    while !text.is_char_boundary(s) {
        s -= 1;
    }
    while !text.is_char_boundary(e) {
        e += 1;
    }
    s..e
}

fn to_codespan(files: &[SourceFile], d: &Diagnostic) -> cs::Diagnostic<usize> {
    let base = match d.severity {
        Severity::Error => cs::Diagnostic::error(),
        Severity::Warning => cs::Diagnostic::warning(),
    };
    let mut labels = vec![cs::Label::primary(d.span.file as usize, clamp(files, d.span)).with_message(&d.label)];
    for l in &d.labels {
        labels.push(cs::Label::secondary(l.span.file as usize, clamp(files, l.span)).with_message(&l.message));
    }
    let mut out = base.with_code(d.code).with_message(&d.message).with_labels(labels);
    if let Some(h) = &d.help {
        out = out.with_notes(vec![format!("help: {h}")]);
    }
    out
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiag<'a>>,
}

#[derive(Serialize)]
struct JsonDiag<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
}

/// `{"diagnostics":[...]}` with 1-based lines and columns.
pub fn json(files: &[SourceFile], diags: &[Diagnostic]) -> String {
    let pos = |span: Span, end: bool| -> (&str, usize, usize) {
        match files.get(span.file as usize) {
            Some(f) => {
                let (l, c) = line_col(&f.text, if end { span.end } else { span.start } as usize);
                (f.path.as_str(), l, c)
            }
            None => ("", 1, 1),
        }
    };
    let report = JsonReport {
        diagnostics: diags
            .iter()
            .map(|d| {
                let (file, line, column) = pos(d.span, false);
                let (_, end_line, end_column) = pos(d.span, true);
                JsonDiag {
                    severity: match d.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
                    code: d.code,
                    message: &d.message,
                    file,
                    line,
                    column,
                    end_line,
                    end_column,
                    help: d.help.as_deref(),
                    labels: d
                        .labels
                        .iter()
                        .map(|l| {
                            let (file, line, column) = pos(l.span, false);
                            JsonLabel {
                                file,
                                line,
                                column,
                                message: &l.message,
                            }
                        })
                        .collect(),
                }
            })
            .collect(),
    };
    serde_json::to_string_pretty(&report).unwrap_or_default()
}
