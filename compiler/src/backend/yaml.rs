//! A streaming block-style YAML writer. Lowering writes typed fields straight
//! into it: no generic value tree (see docs/performance.md for why).

use std::fmt::Write;

#[derive(Default)]
pub struct Yaml {
    pub out: String,
    indent: usize,
    /// The next line continues a `- ` already written.
    in_dash: bool,
    /// Per open map or list: the indentation to return to, and the output
    /// length right after its key (unchanged on close means it is empty).
    stack: Vec<(usize, usize, bool)>,
}

impl Yaml {
    pub fn new() -> Yaml {
        // Most objects fit: saves the doubling reallocations of a growing String.
        Yaml {
            out: String::with_capacity(2048),
            ..Yaml::default()
        }
    }

    fn start_line(&mut self) {
        if self.in_dash {
            self.in_dash = false;
        } else {
            for _ in 0..self.indent {
                self.out.push(' ');
            }
        }
    }

    /// `key: "value"` with the string quoted when YAML needs it.
    pub fn str(&mut self, key: &str, value: &str) {
        self.start_line();
        self.out.push_str(key);
        self.out.push_str(": ");
        scalar(&mut self.out, value);
        self.out.push('\n');
    }

    pub fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.str(key, v);
        }
    }

    pub fn int(&mut self, key: &str, value: u64) {
        self.start_line();
        let _ = writeln!(self.out, "{key}: {value}");
    }

    pub fn opt_int(&mut self, key: &str, value: Option<u64>) {
        if let Some(v) = value {
            self.int(key, v);
        }
    }

    pub fn float(&mut self, key: &str, value: f64) {
        self.start_line();
        let _ = writeln!(self.out, "{key}: {}", number(value));
    }

    pub fn bool(&mut self, key: &str, value: bool) {
        self.start_line();
        let _ = writeln!(self.out, "{key}: {value}");
    }

    /// Opens a nested map (or list) under `key`; close it with [`Yaml::close`].
    pub fn open(&mut self, key: &str) {
        self.start_line();
        self.out.push_str(key);
        self.out.push_str(":\n");
        self.stack.push((self.indent, self.out.len(), false));
        self.indent += 2;
    }

    /// Opens a list under `key`. Items are written at the key's own indentation.
    pub fn open_list(&mut self, key: &str) {
        self.start_line();
        self.out.push_str(key);
        self.out.push_str(":\n");
        self.stack.push((self.indent, self.out.len(), true));
    }

    /// Closes the innermost map or list; an empty one is written `{}` or `[]`.
    pub fn close(&mut self) {
        let (indent, len, list) = self.stack.pop().unwrap_or((0, usize::MAX, false));
        self.indent = indent;
        if self.out.len() == len {
            // `key:\n` or a bare `- `: nothing was written inside.
            self.out.pop();
            self.out.push_str(if list { " []\n" } else { " {}\n" });
            self.in_dash = false;
        }
    }

    /// Starts a map item of the current list; close it with [`Yaml::close`].
    pub fn item(&mut self) {
        self.start_line();
        self.out.push_str("- ");
        self.in_dash = true;
        self.stack.push((self.indent, self.out.len(), false));
        self.indent += 2;
    }

    /// A scalar item of the current list.
    pub fn str_item(&mut self, value: &str) {
        self.start_line();
        self.out.push_str("- ");
        scalar(&mut self.out, value);
        self.out.push('\n');
    }

    /// `key: [a, b]` as a block list of strings.
    pub fn str_list<S: AsRef<str>>(&mut self, key: &str, values: &[S]) {
        if values.is_empty() {
            return;
        }
        self.open_list(key);
        for v in values {
            self.str_item(v.as_ref());
        }
        self.close();
    }
}

/// A float without a trailing `.0` (Istio percentages are doubles).
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Writes `s` plain when that reads back as the same string, else double-quoted.
pub fn scalar(out: &mut String, s: &str) {
    if is_plain(s) {
        out.push_str(s);
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || c == '\u{85}'
                || c == '\u{2028}'
                || c == '\u{2029}'
                || c == '\u{feff}' =>
            {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Conservative: letters first, then `[A-Za-z0-9._/-]`, and not a YAML 1.1 keyword.
fn is_plain(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else { return false };
    if !first.is_ascii_alphabetic() {
        return false;
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-')) {
        return false;
    }
    const RESERVED: [&str; 12] = [
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "nan", "inf", "nil",
    ];
    !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> String {
        let mut o = String::new();
        scalar(&mut o, s);
        o
    }

    #[test]
    fn quotes_what_yaml_would_misread() {
        assert_eq!(q("reviews"), "reviews");
        assert_eq!(q("a.b-c/d_e"), "a.b-c/d_e");
        assert_eq!(q("yes"), "\"yes\"");
        assert_eq!(q("On"), "\"On\"");
        assert_eq!(q("5s"), "\"5s\"");
        assert_eq!(q("/api"), "\"/api\"");
        assert_eq!(q(""), "\"\"");
        assert_eq!(q("a: b"), "\"a: b\"");
        assert_eq!(q("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
        assert_eq!(q("line\nnext\u{1}"), "\"line\\nnext\\u0001\"");
        assert_eq!(q("ü"), "\"ü\"");
    }

    #[test]
    fn nests_maps_and_lists() {
        let mut y = Yaml::new();
        y.open("spec");
        y.open_list("hosts");
        y.str_item("a");
        y.close();
        y.open_list("http");
        y.item();
        y.str("name", "x");
        y.int("weight", 10);
        y.close();
        y.close();
        y.close();
        assert_eq!(y.out, "spec:\n  hosts:\n  - a\n  http:\n  - name: x\n    weight: 10\n");
    }

    #[test]
    fn empty_blocks_are_explicit() {
        let mut y = Yaml::new();
        y.open("spec");
        y.open("outlierDetection");
        y.close();
        y.open_list("hosts");
        y.close();
        y.close();
        assert_eq!(y.out, "spec:\n  outlierDetection: {}\n  hosts: []\n");
    }

    #[test]
    fn numbers_drop_trailing_zero() {
        assert_eq!(number(10.0), "10");
        assert_eq!(number(0.5), "0.5");
    }
}
