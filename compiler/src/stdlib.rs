//! The standard library: profiles written in the language, embedded in the binary.

/// (file name, source) of every stdlib file.
pub const FILES: [(&str, &str); 5] = [
    ("canary.mesh", include_str!("../../stdlib/canary.mesh")),
    ("fail_fast.mesh", include_str!("../../stdlib/fail_fast.mesh")),
    ("resilient.mesh", include_str!("../../stdlib/resilient.mesh")),
    ("sticky_session.mesh", include_str!("../../stdlib/sticky_session.mesh")),
    ("zero_trust.mesh", include_str!("../../stdlib/zero_trust.mesh")),
];
