//! Typed reads from the spanned TOML tree. Every read that fails records a positioned problem
//! and returns `None`, so the caller goes on and later mistakes are reported too.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diag::{Diags, suggest};

/// A spanned TOML value.
pub(crate) type Val<'i> = Spanned<DeValue<'i>>;

/// One entry of a table: key, key span, value.
pub(crate) struct Entry<'a, 'i> {
    pub key: &'a str,
    pub key_span: Range<usize>,
    pub value: &'a Val<'i>,
}

/// Entries in file order (the parser's map is sorted by key; spans give the written order,
/// which matters for output columns and for deterministic node order).
pub(crate) fn entries<'a, 'i>(t: &'a DeTable<'i>) -> Vec<Entry<'a, 'i>> {
    let mut out: Vec<Entry<'a, 'i>> = t
        .iter()
        .map(|(k, v)| Entry {
            key: k.get_ref().as_ref(),
            key_span: k.span(),
            value: v,
        })
        .collect();
    out.sort_by_key(|e| e.key_span.start);
    out
}

/// A table's entry by key.
pub(crate) fn get<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<Entry<'a, 'i>> {
    t.iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(k, v)| Entry {
            key: k.get_ref().as_ref(),
            key_span: k.span(),
            value: v,
        })
}

/// Report every key of `t` outside `allowed` (with a "did you mean").
pub(crate) fn check_keys(t: &DeTable<'_>, allowed: &[&str], what: &str, diags: &mut Diags) {
    for e in entries(t) {
        if !allowed.contains(&e.key) {
            let expected = if allowed.is_empty() {
                "it takes no keys".to_string()
            } else {
                format!("expected one of: {}", allowed.join(", "))
            };
            diags.at(
                e.key_span.clone(),
                format!(
                    "unknown key '{}' in {what} ({expected}){}",
                    e.key,
                    suggest(e.key, allowed.iter().copied())
                ),
            );
        }
    }
}

/// A short name of a value's TOML type, for "expected …, found …" messages.
pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

fn wrong(diags: &mut Diags, v: &Val<'_>, what: &str, expected: &str) {
    diags.at(
        v.span(),
        format!(
            "{what} must be {expected}, found {}",
            type_name(v.get_ref())
        ),
    );
}

/// A table value.
pub(crate) fn table<'a, 'i>(
    v: &'a Val<'i>,
    what: &str,
    diags: &mut Diags,
) -> Option<&'a DeTable<'i>> {
    match v.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => {
            wrong(diags, v, what, "a table");
            None
        }
    }
}

/// A string value.
pub(crate) fn string(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<String> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        _ => {
            wrong(diags, v, what, "a string");
            None
        }
    }
}

/// A boolean value.
pub(crate) fn boolean(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<bool> {
    match v.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        _ => {
            wrong(diags, v, what, "true or false");
            None
        }
    }
}

/// An integer value (any TOML radix).
pub(crate) fn integer(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<i64> {
    match v.get_ref() {
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n),
            Err(_) => {
                diags.at(v.span(), format!("{what}: integer {i} is out of range"));
                None
            }
        },
        _ => {
            wrong(diags, v, what, "an integer");
            None
        }
    }
}

/// A non-negative integer that fits `usize`, at least `min`.
pub(crate) fn count(v: &Val<'_>, what: &str, min: usize, diags: &mut Diags) -> Option<usize> {
    let n = integer(v, what, diags)?;
    match usize::try_from(n) {
        Ok(n) if n >= min => Some(n),
        _ => {
            diags.at(
                v.span(),
                format!("{what} must be at least {min}, found {n}"),
            );
            None
        }
    }
}

/// A float value (integers are accepted as floats).
pub(crate) fn float(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<f64> {
    match v.get_ref() {
        DeValue::Float(f) => f.as_str().parse::<f64>().ok().or_else(|| {
            diags.at(
                v.span(),
                format!("{what}: cannot read float {}", f.as_str()),
            );
            None
        }),
        DeValue::Integer(_) => integer(v, what, diags).map(|n| n as f64),
        _ => {
            wrong(diags, v, what, "a number");
            None
        }
    }
}

/// A string, with its span.
pub(crate) type SpannedStr = (String, Range<usize>);

/// An array of strings (each element with its span).
pub(crate) fn strings(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<Vec<SpannedStr>> {
    let DeValue::Array(items) = v.get_ref() else {
        wrong(diags, v, what, "an array of strings");
        return None;
    };
    let before = diags.len();
    let out: Vec<SpannedStr> = items
        .iter()
        .filter_map(|item| {
            string(item, &format!("every element of {what}"), diags).map(|s| (s, item.span()))
        })
        .collect();
    (diags.len() == before).then_some(out)
}

/// One string or an array of strings (e.g. `from = "a"` or `from = ["a", "b"]`).
pub(crate) fn one_or_many(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<Vec<SpannedStr>> {
    match v.get_ref() {
        DeValue::String(s) => Some(vec![(s.to_string(), v.span())]),
        DeValue::Array(_) => strings(v, what, diags),
        _ => {
            wrong(diags, v, what, "a string or an array of strings");
            None
        }
    }
}

/// One `key = "value"` entry: key, key span, value, value span.
pub(crate) type MapEntry = (String, Range<usize>, String, Range<usize>);

/// A table of strings, in file order: `(key, key span, value, value span)`.
pub(crate) fn string_map(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<Vec<MapEntry>> {
    let t = table(v, what, diags)?;
    let before = diags.len();
    let out: Vec<_> = entries(t)
        .into_iter()
        .filter_map(|e| {
            let s = string(e.value, &format!("{what}.{}", e.key), diags)?;
            Some((e.key.to_string(), e.key_span, s, e.value.span()))
        })
        .collect();
    (diags.len() == before).then_some(out)
}

/// A scalar option value as text (executor options are strings: `cpus = 4` and `cpus = "4"`
/// mean the same).
pub(crate) fn option_text(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<String> {
    match v.get_ref() {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(_) => integer(v, what, diags).map(|n| n.to_string()),
        DeValue::Float(f) => Some(f.as_str().to_string()),
        DeValue::Boolean(b) => Some(b.to_string()),
        _ => {
            wrong(diags, v, what, "a string, number or boolean");
            None
        }
    }
}
