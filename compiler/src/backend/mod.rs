//! Stage 4: lowering the IR to a target and emitting it.

pub mod istio;
pub mod xds;
pub mod yaml;

/// One generated Kubernetes object, already serialised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub kind: &'static str,
    pub namespace: String,
    pub name: String,
    /// One YAML document without the `---` separator.
    pub yaml: String,
}

/// The objects as one multi-document stream.
pub fn stream(objects: &[Object]) -> String {
    let mut out = String::with_capacity(objects.iter().map(|o| o.yaml.len() + 4).sum());
    for o in objects {
        out.push_str("---\n");
        out.push_str(&o.yaml);
    }
    out
}

/// A duration as Go/Istio writes it: the largest whole unit (`1h`, `90s`, `250ms`).
pub fn duration(ns: u64) -> String {
    let ms = ns / 1_000_000;
    if ms.is_multiple_of(3_600_000) && ms > 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}
