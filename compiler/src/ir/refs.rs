//! Where the program names a declaration. The name stage records every name
//! it resolves; the IDE layer answers definition, references and rename from
//! this table instead of resolving names again.

use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefKind {
    Service,
    Subset,
    Profile,
    Provider,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// The name where it is used (for `NAME.NS`, only `NAME`).
    pub site: Span,
    /// The name in the declaration it resolves to.
    pub target: Span,
    pub kind: RefKind,
}
