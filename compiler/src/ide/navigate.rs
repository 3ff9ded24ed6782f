//! Go to definition, find references and rename.

use std::collections::HashMap;

use super::index::Hit;
use super::{Analysis, TextEdit};
use crate::ir::RefKind;
use crate::span::{FileId, SourceFile, Span};

pub fn definition(a: &Analysis, file: FileId, offset: usize) -> Option<Span> {
    a.index.at(file, offset).map(|h| h.target)
}

pub fn references(a: &Analysis, file: FileId, offset: usize, declaration: bool) -> Vec<Span> {
    let Some(hit) = a.index.at(file, offset) else {
        return Vec::new();
    };
    let mut out: Vec<Span> = a.index.uses(hit.target).map(|r| r.site).collect();
    if declaration {
        out.push(hit.target);
    }
    out.sort();
    out.dedup();
    out
}

pub fn prepare_rename(a: &Analysis, file: FileId, offset: usize) -> Result<Span, String> {
    let hit = a
        .index
        .at(file, offset)
        .ok_or("only services, externals, subsets, profiles and JWT providers can be renamed")?;
    occurrences(a, &hit)?;
    Ok(hit.at)
}

/// The declaration and every use of the name hit, if all can be rewritten.
fn occurrences(a: &Analysis, hit: &Hit) -> Result<Vec<Span>, String> {
    let name = a.text(hit.target.file).get(hit.target.range()).unwrap_or_default();
    if !a.is_user_file(hit.target.file) {
        return Err(format!("`{name}` is declared in the standard library"));
    }
    if hit.kind == RefKind::Subset && sugar_subset(a, hit.target) {
        return Err(format!(
            "subset `{name}` is named after its label value in `subsets`; \
             write it as `subset {name} KEY={name}` to rename it"
        ));
    }
    let mut spans: Vec<Span> = a.index.uses(hit.target).map(|r| r.site).collect();
    spans.push(hit.target);
    spans.sort();
    spans.dedup();
    for s in &spans {
        if !a.is_user_file(s.file) {
            return Err(format!("`{name}` is used by the standard library"));
        }
        if a.text(s.file).get(s.range()) != Some(name) {
            return Err(format!("`{name}` is also named through a profile parameter"));
        }
    }
    Ok(spans)
}

/// `subsets KEY: NAME`: the name is also the label value.
fn sugar_subset(a: &Analysis, target: Span) -> bool {
    a.compilation
        .mesh
        .namespaces
        .iter()
        .flat_map(|ns| &ns.services)
        .flat_map(|s| &s.subsets)
        .any(|s| s.name.span == target && s.labels.iter().any(|l| l.value.span == target))
}

pub fn rename(a: &Analysis, file: FileId, offset: usize, new_name: &str) -> Result<Vec<TextEdit>, String> {
    let hit = a.index.at(file, offset).ok_or("nothing to rename here")?;
    let edits: Vec<TextEdit> = occurrences(a, &hit)?
        .into_iter()
        .map(|span| TextEdit {
            span,
            text: new_name.to_string(),
        })
        .collect();
    no_new_errors(a, &edits)?;
    Ok(edits)
}

/// Refuses edits after which the program has an error it did not have
/// (a name that is not one, or that is taken): the compiler decides.
fn no_new_errors(a: &Analysis, edits: &[TextEdit]) -> Result<(), String> {
    let c = &a.compilation;
    let files: Vec<SourceFile> = (0..c.files.len())
        .filter(|i| a.is_user_file(*i as FileId))
        .map(|i| SourceFile {
            path: c.files[i].path.clone(),
            text: apply(&c.files[i].text, edits.iter().filter(|e| e.span.file as usize == i)),
        })
        .collect();
    let after = crate::check(files);
    let mut before: HashMap<&str, usize> = HashMap::new();
    for d in c.diagnostics.iter().filter(|d| d.is_error()) {
        *before.entry(d.code).or_default() += 1;
    }
    for d in after.diagnostics.iter().filter(|d| d.is_error()) {
        match before.get_mut(d.code) {
            Some(n) if *n > 0 => *n -= 1,
            _ => {
                return Err(format!(
                    "the renamed program would not compile: {} ({})",
                    d.message, d.code
                ))
            }
        }
    }
    Ok(())
}

/// `text` with the edits (of its file, not overlapping) applied.
pub fn apply<'e>(text: &str, edits: impl Iterator<Item = &'e TextEdit>) -> String {
    let mut edits: Vec<&TextEdit> = edits.collect();
    edits.sort_by_key(|e| e.span.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        let r = e.span.range();
        if r.start < at || r.end > text.len() {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(&e.text);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}
