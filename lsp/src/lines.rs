//! LSP positions (line, UTF-16 column) <-> byte offsets. Any position a
//! client sends is accepted: a line past the end means the end of the text,
//! a column past the end of its line the end of that line (before `\r\n`).

use tower_lsp_server::ls_types::{Position, Range};

pub struct Lines<'t> {
    text: &'t str,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    pub fn new(text: &'t str) -> Lines<'t> {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { text, starts }
    }

    /// The byte offset of a position (always a char boundary).
    pub fn offset(&self, p: Position) -> usize {
        let Some(&start) = self.starts.get(p.line as usize) else {
            return self.text.len();
        };
        let line = &self.text[start..self.line_end(p.line as usize)];
        let mut units = 0;
        for (i, c) in line.char_indices() {
            if units >= p.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        start + line.len()
    }

    /// End of line `n` without its line break.
    fn line_end(&self, n: usize) -> usize {
        let end = self.starts.get(n + 1).map_or(self.text.len(), |s| s - 1);
        let line = &self.text[self.starts[n]..end];
        self.starts[n] + line.strip_suffix('\r').unwrap_or(line).len()
    }

    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|s| *s <= offset) - 1;
        let character = self.text[self.starts[line]..offset].encode_utf16().count();
        Position::new(line as u32, character as u32)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The byte range of an LSP range (ordered even if the client's is not).
    pub fn span(&self, r: Range) -> std::ops::Range<usize> {
        let (a, b) = (self.offset(r.start), self.offset(r.end));
        a.min(b)..a.max(b)
    }

    /// UTF-16 length of `text[start..end]` (a token on one line).
    pub fn utf16_len(&self, start: usize, end: usize) -> u32 {
        self.text.get(start..end).map_or(0, |s| s.encode_utf16().count() as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_and_crlf() {
        let text = "a é😀b\r\nxyz\n";
        let l = Lines::new(text);
        // `😀` is two UTF-16 units and four bytes.
        assert_eq!(l.offset(Position::new(0, 3)), "a é".len());
        assert_eq!(l.offset(Position::new(0, 5)), "a é😀".len());
        assert_eq!(l.position("a é😀".len()), Position::new(0, 5));
        // Inside the surrogate pair: the next char boundary.
        assert_eq!(l.offset(Position::new(0, 4)), "a é😀".len());
        // Past the end of a CRLF line: before the `\r`.
        assert_eq!(l.offset(Position::new(0, 99)), "a é😀b".len());
        assert_eq!(l.offset(Position::new(1, 1)), text.find('y').unwrap());
        assert_eq!(l.offset(Position::new(2, 0)), text.len());
        assert_eq!(l.offset(Position::new(9, 9)), text.len());
        assert_eq!(l.position(text.len() + 5), Position::new(2, 0));
        assert_eq!(l.span(Range::new(Position::new(1, 2), Position::new(1, 0))), 11..13);
    }
}
