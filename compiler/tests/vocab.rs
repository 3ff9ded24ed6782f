//! The word lists of `names::vocab` (which the IDE layer offers as
//! completions) are exactly what the name stage accepts.

use meshc_compiler::names::vocab;
use meshc_compiler::{check, SourceFile};

/// The diagnostic codes of a one-service program with `body` in the service.
fn codes(body: &str) -> Vec<&'static str> {
    let text = format!("namespace n {{\n  service s {{\n    port 80 http\n    {body}\n  }}\n}}\n");
    let c = check(vec![SourceFile {
        path: "t.mesh".into(),
        text,
    }]);
    c.diagnostics.iter().map(|d| d.code).collect()
}

fn sample(ty: &str) -> &'static str {
    match ty {
        "int" => "3",
        "duration" => "5s",
        _ => "10%",
    }
}

#[test]
fn settings_belong_to_their_block() {
    for (key, ty) in vocab::LIMIT_KEYS {
        assert_eq!(codes(&format!("limits {{ {key} {} }}", sample(ty))), [""; 0], "{key}");
        assert_eq!(codes(&format!("eject {{ {key} {} }}", sample(ty))), ["E0110"], "{key}");
    }
    for (key, ty) in vocab::EJECT_KEYS {
        assert_eq!(codes(&format!("eject {{ {key} {} }}", sample(ty))), [""; 0], "{key}");
        assert_eq!(codes(&format!("limits {{ {key} {} }}", sample(ty))), ["E0110"], "{key}");
    }
}

#[test]
fn listed_values_are_accepted() {
    for b in &vocab::BALANCES[..4] {
        assert_eq!(codes(&format!("balance {b}")), [""; 0], "{b}");
    }
    for m in vocab::METHODS {
        assert_eq!(
            codes(&format!("route {{ when method {m} => s }}\n    subsets v: s")),
            [""; 0],
            "{m}"
        );
    }
    for t in vocab::RETRY_ON {
        let name = vocab::language_retry_name(t);
        assert_eq!(codes(&format!("retries 2 on {name}")), [""; 0], "{name}");
    }
    assert_eq!(codes("balance nope"), ["E0201"]);
}
