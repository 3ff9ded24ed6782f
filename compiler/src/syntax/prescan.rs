//! Tolerant pre-scan: splits source text into declarations without parsing
//! them, so each can be parsed (and fail) on its own.

use std::ops::Range;

/// Words that start a declaration at column 0 and never a statement there
/// (`use` is left out: `use std.x` is both an import and a statement).
const TOP_KEYWORDS: [&str; 4] = ["mesh", "namespace", "profile", "jwt"];

/// Splits `text[range]` into statements at bracket depth 0. A statement ends at
/// a newline or `;` unless a `,`, `(` or `\` asks for a continuation. When
/// `top` is set, a top-level keyword at column 0 inside an unclosed block
/// starts a new chunk, so a missing `}` costs one declaration, not the file.
pub fn split(text: &str, range: Range<usize>, top: bool) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut chunks = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_token_end = range.start;
    let mut last_byte = b'\n';
    let mut depth: i32 = 0;
    let mut i = range.start;
    while i < range.end {
        let b = bytes[i];
        match b {
            b'#' => {
                while i < range.end && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'\n' | b';' => {
                if depth <= 0 && !matches!(last_byte, b',' | b'(' | b'\\') {
                    if let Some(s) = start.take() {
                        chunks.push(s..last_token_end);
                    }
                    depth = 0;
                }
                if b == b'\n' && top && depth > 0 && starts_top_keyword(bytes, i + 1, range.end) {
                    if let Some(s) = start.take() {
                        chunks.push(s..last_token_end);
                    }
                    depth = 0;
                }
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' => {
                i += 1;
                continue;
            }
            _ => {}
        }
        if start.is_none() {
            start = Some(i);
        }
        match b {
            b'"' => i = skip_string(bytes, i, range.end),
            b'{' | b'(' => {
                depth += 1;
                i += 1;
            }
            b'}' | b')' => {
                depth -= 1;
                i += 1;
            }
            _ => i += char_len(b),
        }
        last_token_end = i;
        last_byte = b;
    }
    if let Some(s) = start {
        chunks.push(s..last_token_end);
    }
    chunks
}

fn starts_top_keyword(bytes: &[u8], at: usize, end: usize) -> bool {
    TOP_KEYWORDS.iter().any(|k| {
        let k = k.as_bytes();
        at + k.len() < end && &bytes[at..at + k.len()] == k && matches!(bytes[at + k.len()], b' ' | b'\t' | b'{')
    })
}

/// Index just past the string starting at `i` (or at the end of its line if unterminated).
fn skip_string(bytes: &[u8], mut i: usize, end: usize) -> usize {
    i += 1;
    while i < end {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' => return i,
            _ => i += 1,
        }
    }
    end.min(bytes.len())
}

fn char_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// Spans of every `#` comment outside strings.
pub fn comments(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i, bytes.len()),
            b'#' => {
                let s = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                out.push(s..i);
            }
            _ => i += 1,
        }
    }
    out
}

/// Text of the `##` lines directly above `offset`, joined by newlines.
pub fn doc_above(text: &str, offset: usize) -> Option<String> {
    let mut lines = Vec::new();
    let mut end = text[..offset].rfind('\n')?;
    // Only a declaration that starts its line has the comment above it.
    if !text[end + 1..offset].trim().is_empty() {
        return None;
    }
    loop {
        let start = text[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = text[start..end].trim();
        match line.strip_prefix("##") {
            Some(rest) => lines.push(rest.strip_prefix(' ').unwrap_or(rest).trim_end().to_string()),
            None => break,
        }
        if start == 0 {
            break;
        }
        end = start - 1;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// Deepest `{`/`(` nesting accepted. The parsers recurse per level; this bound
/// keeps any input far from the stack limit.
pub const MAX_DEPTH: usize = 64;

/// E0002 when a declaration nests deeper than [`MAX_DEPTH`].
pub fn too_deep(file: crate::span::FileId, text: &str, range: Range<usize>) -> Option<crate::diag::Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = range.start;
    while i < range.end {
        match bytes[i] {
            b'"' => {
                i = skip_string(bytes, i, range.end);
                continue;
            }
            b'#' => {
                while i < range.end && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'{' | b'(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let span = crate::span::Span::new(file, i, i + 1);
                    return Some(
                        crate::diag::Diagnostic::error(
                            "E0002",
                            span,
                            format!("blocks nest deeper than {MAX_DEPTH} levels"),
                        )
                        .with_label("too deep")
                        .with_help("no meaningful program nests this deep; check for unbalanced braces"),
                    );
                }
            }
            b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}
