//! Command-line templates: literal text with `{column}` placeholders.

use orcapod_datagram::{Schema, Value};

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Part {
    Lit(String),
    Field(usize),
}

/// A command-line template: literal text with `{column}` placeholders.
///
/// Only `{identifier}` is a placeholder (and the identifier must be an input column); any
/// other brace is literal, so JSON (`{"y": {x}}`) and shell expansions (`${HOME}`) need no
/// escaping. `{{` writes a literal `{` (to keep a `{name}` literal, write `{{name}`).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Template(Vec<Part>);

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Template {
    pub(super) fn parse(text: &str, inputs: &Schema) -> std::result::Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{{") {
                lit.push('{');
                rest = after;
                continue;
            }
            if c == '{'
                && !lit.ends_with('$')
                && let Some(end) = rest.find('}')
                && is_identifier(&rest[1..end])
            {
                let name = &rest[1..end];
                let i = inputs
                    .fields()
                    .iter()
                    .position(|f| f.name == name)
                    .ok_or_else(|| {
                        format!(
                            "template '{text}' names '{{{name}}}', which is not an input column"
                        )
                    })?;
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(Part::Field(i));
                rest = &rest[end + 1..];
                continue;
            }
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template(parts))
    }

    pub(super) fn render(&self, values: &[Value]) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Field(i) => out.push_str(&render_value(&values[*i])),
            }
        }
        out
    }
}

/// How a value appears on a command line: nulls are empty, booleans `true`/`false`, other
/// values as orcapod renders them in tokens (Python `str()`: `10`, `2.5`, `1e-05`, raw text,
/// the path, `[1, 2]`).
fn render_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}
