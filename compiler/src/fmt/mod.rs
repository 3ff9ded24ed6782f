//! The formatter: one canonical layout for a `.mesh` file (see [`layout`]).
//!
//! It works on tokens, so every name, literal and comment is copied as
//! written; only blanks, line breaks and `;` change. It formats only files
//! that parse, and it re-parses its own output: if the program would change,
//! it returns [`FormatError::Changed`] instead of an output.

mod layout;
pub(crate) mod lex;
mod verify;

use crate::diag::Diagnostic;

#[derive(Debug, Clone, PartialEq)]
pub enum FormatError {
    /// The file does not parse (the syntax errors, spans in file 0).
    Syntax(Vec<Diagnostic>),
    /// The layout would change the program: a formatter bug, nothing to write.
    Changed(String),
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormatError::Syntax(d) => write!(f, "the file has {} syntax error(s); fix them first", d.len()),
            FormatError::Changed(why) => {
                write!(f, "formatting would change the program ({why}); please report this bug")
            }
        }
    }
}

/// The canonical layout of `text`. Pure and idempotent: `format(format(x)) == format(x)`.
pub fn format(text: &str) -> Result<String, FormatError> {
    const BOM: &str = "\u{feff}";
    // A byte-order mark stays; blanking it keeps the parser's offsets.
    let bom = text.starts_with(BOM);
    let blanked;
    let body = if bom {
        blanked = format!("   {}", &text[BOM.len()..]);
        blanked.as_str()
    } else {
        text
    };
    let (module, diags) = crate::syntax::parse_file(0, body);
    if !diags.is_empty() {
        return Err(FormatError::Syntax(diags));
    }
    let out = layout::layout(body, &lex::tokens(body));
    verify::same_program(body, &module, &out).map_err(FormatError::Changed)?;
    Ok(if bom { format!("{BOM}{out}") } else { out })
}

#[cfg(test)]
mod tests;
