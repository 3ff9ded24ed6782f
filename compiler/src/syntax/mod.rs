//! Stage 1: source text -> spanned AST, with recovery per declaration.

pub mod ast;
mod errors;
mod fast;
pub mod parser;
pub mod prescan;

pub use errors::KEYWORDS;
pub use parser::parse_file;

#[cfg(test)]
mod tests;
