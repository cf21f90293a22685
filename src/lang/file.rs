//! The definition file (spec: "The file"): YAML read with the YAML crate every face uses,
//! and each expression found again in the text, so a message points at its line and column.

use serde::Deserialize;
use serde_yaml_ng::Value as Yaml;

use super::Diagnostic;

/// A definition file as written: every expression still text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefinition {
    pub(super) name: String,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) params: serde_yaml_ng::Mapping,
    #[serde(default)]
    pub(super) constraints: Vec<Yaml>,
    #[serde(default, rename = "let")]
    pub(super) lets: serde_yaml_ng::Mapping,
    pub(super) long_entry: Yaml,
    pub(super) long_exit: Option<Yaml>,
    pub(super) short_entry: Option<Yaml>,
    pub(super) short_exit: Option<Yaml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawParam {
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) default: Yaml,
    pub(super) min: Option<f64>,
    pub(super) max: Option<f64>,
    #[serde(default)]
    pub(super) values: Vec<String>,
    #[serde(default)]
    pub(super) description: String,
}

/// An expression written as a YAML scalar (`long_exit: false` is the bool `false`).
pub(super) fn expression_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The file's text with a way from byte offsets to lines and columns.
pub(super) struct Source<'a> {
    pub(super) text: &'a str,
}

impl Source<'_> {
    /// 1-based line and column (in characters) of a byte offset.
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    pub(super) fn diagnostic(&self, offset: usize, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.position(offset);
        Diagnostic {
            line,
            column,
            message: message.into(),
        }
    }

    /// Where the value of `key` starts, for a top-level key (`long_entry`) or one under a
    /// section (`let` then `f`): the key's line, or the file's start if it is not found.
    pub(super) fn key(&self, section: Option<&str>, key: &str) -> usize {
        let top = |name: &str| {
            self.lines()
                .find(|(_, l)| is_key_line(l, name, false))
                .map(|(at, _)| at)
        };
        match section {
            None => top(key),
            Some(section) => top(section).and_then(|start| {
                self.lines()
                    .skip_while(|(at, _)| *at <= start)
                    .take_while(|(_, l)| l.trim().is_empty() || l.starts_with([' ', '\t', '#']))
                    .find(|(_, l)| is_key_line(l, key, true))
                    .map(|(at, l)| at + l.len() - l.trim_start().len())
                    .or(Some(start))
            }),
        }
        .unwrap_or(0)
    }

    fn lines(&self) -> impl Iterator<Item = (usize, &str)> {
        self.text.split_inclusive('\n').scan(0, |at, line| {
            let start = *at;
            *at += line.len();
            Some((start, line.trim_end_matches(['\n', '\r'])))
        })
    }

    /// The byte offset in the file of byte `offset` of `expression`, which YAML read from
    /// the text at or after `from`: the expression's text is found there again and walked
    /// beside it (a folded line break of the file is one space of the expression).
    pub(super) fn locate(&self, from: usize, expression: &str, offset: usize) -> usize {
        let first: String = expression.chars().take_while(|c| !c.is_whitespace()).collect();
        if first.is_empty() {
            return from;
        }
        let mut search = from;
        while let Some(found) = self.text.get(search..).and_then(|rest| rest.find(&first)) {
            let start = search + found;
            if let Some(mapped) = walk(&self.text[start..], expression, offset) {
                return start + mapped;
            }
            search = start + first.len();
        }
        from
    }
}

fn is_key_line(line: &str, key: &str, nested: bool) -> bool {
    let body = line.trim_start();
    let indented = body.len() != line.len();
    nested == indented
        && body
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
}

/// Walks `expression` against `text`; `Some(byte offset in text)` of `offset` when the
/// whole expression is there (whitespace runs, line breaks included, match any whitespace).
fn walk(text: &str, expression: &str, offset: usize) -> Option<usize> {
    let (t, e) = (text.as_bytes(), expression.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut mapped = None;
    while j < e.len() {
        if j == offset {
            mapped = Some(i);
        }
        if e[j].is_ascii_whitespace() {
            if i >= t.len() || !t[i].is_ascii_whitespace() {
                return None;
            }
            while j < e.len() && e[j].is_ascii_whitespace() {
                j += 1;
            }
            while i < t.len() && (t[i].is_ascii_whitespace() || t[i] == b'\\') {
                i += 1;
            }
            continue;
        }
        if i >= t.len() || t[i] != e[j] {
            return None;
        }
        i += 1;
        j += 1;
    }
    // The whole expression matched: this is where YAML read it from.
    Some(mapped.unwrap_or(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_found_across_folded_lines() {
        let text = "name: x\nlet:\n  votes: sign(a)\n    + sign(b)\nlong_entry: votes > 1\n";
        let source = Source { text };
        let from = source.key(Some("let"), "votes");
        assert_eq!(source.position(from), (3, 3));
        let expression = "sign(a) + sign(b)";
        let at = source.locate(from, expression, expression.find("sign(b)").unwrap());
        assert_eq!(source.position(at), (4, 7));
        let from = source.key(None, "long_entry");
        assert_eq!(source.position(source.locate(from, "votes > 1", 8)), (5, 21));
    }
}
