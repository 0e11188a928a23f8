//! Positioned problems of a pipeline file: every check appends to one list, so a file with
//! several mistakes reports all of them at once.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a pipeline file, at a 1-based line and column (characters, not bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The pipeline file.
    pub file: PathBuf,
    /// Line (1-based).
    pub line: usize,
    /// Column (1-based, in characters).
    pub column: usize,
    /// What is wrong, naming the key or label concerned.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// Problems collected while reading, checking and building a pipeline file; byte spans are
/// turned into line:column when the list is finished.
#[derive(Debug, Default)]
pub(crate) struct Diags {
    raw: Vec<(Range<usize>, String)>,
}

impl Diags {
    /// Record a problem at byte span `span`.
    pub(crate) fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.raw.push((span, message.into()));
    }

    /// Number of problems so far (callers compare before and after a check).
    pub(crate) fn len(&self) -> usize {
        self.raw.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The positioned problems, sorted by position (then message), duplicates removed.
    pub(crate) fn finish(self, file: &Path, text: &str) -> Vec<Diagnostic> {
        let mut out: Vec<Diagnostic> = self
            .raw
            .into_iter()
            .map(|(span, message)| {
                let (line, column) = line_column(text, span.start);
                Diagnostic {
                    file: file.to_path_buf(),
                    line,
                    column,
                    message,
                }
            })
            .collect();
        out.sort_by(|a, b| (a.line, a.column, &a.message).cmp(&(b.line, b.column, &b.message)));
        out.dedup();
        out
    }
}

/// 1-based line and character column of byte offset `offset` (clamped to the text, and to a
/// character boundary, so a span from a damaged file never panics).
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// The closest candidate to a misspelt `word` (edit distance at most 2), for "did you mean".
pub(crate) fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let best = candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min();
    match best {
        Some((_, c)) => format!("; did you mean '{c}'?"),
        None => String::new(),
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_column(text, 10), (2, 4));
        // Out of range and mid-character offsets are clamped instead of panicking.
        assert_eq!(line_column(text, 8), (2, 2));
        assert_eq!(line_column(text, 1000).0, 3);
    }

    #[test]
    fn suggestions_need_a_close_candidate() {
        assert_eq!(
            suggest("sise", ["size", "strict"]),
            "; did you mean 'size'?"
        );
        assert_eq!(suggest("zzzzzz", ["size"]), "");
    }
}
