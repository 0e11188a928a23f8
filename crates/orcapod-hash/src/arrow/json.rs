//! Canonical JSON texts: type JSON (spec §6), the Phase-1 schema text (§7.1) and the Phase-2
//! metadata text (§7.2).
//!
//! The texts are written by hand rather than through `serde_json` so that the byte layout is
//! visible in one place: no whitespace, members sorted by key (byte order), strings as raw
//! UTF-8 with the escapes of §4.

use std::collections::BTreeMap;

use arrow_schema::{DataType, Field, Metadata, Schema, TimeUnit};

use crate::{HashError, Result};

/// Appends `s` as a JSON string literal (with quotes), escaped exactly as `serde_json` does.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\u{08}' => Some("\\b"),
            '\u{0c}' => Some("\\f"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match escape {
            Some(e) => out.push_str(e),
            None => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as u32 as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Joins an entry path and a struct child name (§8.2): `child` alone when `parent` is empty.
pub(crate) fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        let mut p = String::with_capacity(parent.len() + 1 + child.len());
        p.push_str(parent);
        p.push('/');
        p.push_str(child);
        p
    }
}

/// The error for a type that cannot be hashed, at column path `path`.
pub(crate) fn unsupported(path: &str, data_type: &DataType) -> HashError {
    HashError::UnsupportedType {
        path: path.to_owned(),
        data_type: data_type.to_string(),
    }
}

fn unit_name(unit: &TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "Second",
        TimeUnit::Millisecond => "Millisecond",
        TimeUnit::Microsecond => "Microsecond",
        TimeUnit::Nanosecond => "Nanosecond",
    }
}

/// Appends `{"data_type":J(T),"name":..,"nullable":..}`, with the name member only when given.
fn push_field_object(out: &mut String, field: &Field, with_name: bool, path: &str) -> Result<()> {
    out.push_str("{\"data_type\":");
    push_type_json(out, field.data_type(), path)?;
    if with_name {
        out.push_str(",\"name\":");
        push_json_str(out, field.name());
    }
    out.push_str(",\"nullable\":");
    out.push_str(if field.is_nullable() { "true" } else { "false" });
    out.push('}');
    Ok(())
}

/// Appends `J(T)` (§6) for the canonicalised type `T` (§5). `path` names the column in errors.
///
/// Accepts everything the schema hash accepts, including `FixedSizeList` and `Map` (schema
/// only); data-hashing code must reject those separately.
pub(crate) fn push_type_json(out: &mut String, dt: &DataType, path: &str) -> Result<()> {
    let simple = match dt {
        DataType::Boolean => "Boolean",
        DataType::Int8 => "Int8",
        DataType::Int16 => "Int16",
        DataType::Int32 => "Int32",
        DataType::Int64 => "Int64",
        DataType::UInt8 => "UInt8",
        DataType::UInt16 => "UInt16",
        DataType::UInt32 => "UInt32",
        DataType::UInt64 => "UInt64",
        DataType::Float16 => "Float16",
        DataType::Float32 => "Float32",
        DataType::Float64 => "Float64",
        DataType::Date32 => "Date32",
        DataType::Date64 => "Date64",
        DataType::Utf8 | DataType::LargeUtf8 => "LargeUtf8",
        DataType::Binary | DataType::LargeBinary => "LargeBinary",
        DataType::Time32(unit) | DataType::Time64(unit) | DataType::Duration(unit) => {
            let tag = match dt {
                DataType::Time32(_) => "Time32",
                DataType::Time64(_) => "Time64",
                _ => "Duration",
            };
            out.push_str("{\"");
            out.push_str(tag);
            out.push_str("\":\"");
            out.push_str(unit_name(unit));
            out.push_str("\"}");
            return Ok(());
        }
        DataType::Timestamp(unit, tz) => {
            out.push_str("{\"Timestamp\":[\"");
            out.push_str(unit_name(unit));
            out.push_str("\",");
            match tz {
                Some(tz) => push_json_str(out, tz),
                None => out.push_str("null"),
            }
            out.push_str("]}");
            return Ok(());
        }
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => {
            let tag = match dt {
                DataType::Decimal32(..) => "Decimal32",
                DataType::Decimal64(..) => "Decimal64",
                DataType::Decimal128(..) => "Decimal128",
                _ => "Decimal256",
            };
            out.push_str(&format!("{{\"{tag}\":[{p},{s}]}}"));
            return Ok(());
        }
        DataType::FixedSizeBinary(n) => {
            out.push_str(&format!("{{\"FixedSizeBinary\":{n}}}"));
            return Ok(());
        }
        DataType::List(e) | DataType::LargeList(e) => {
            out.push_str("{\"LargeList\":");
            push_field_object(out, e, false, &format!("{path}/"))?;
            out.push('}');
            return Ok(());
        }
        DataType::Struct(children) => {
            let mut sorted: Vec<&Field> = children.iter().map(|f| f.as_ref()).collect();
            // Stable: children with equal names keep declaration order.
            sorted.sort_by(|a, b| a.name().as_bytes().cmp(b.name().as_bytes()));
            out.push_str("{\"Struct\":[");
            for (i, child) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_field_object(out, child, true, &join_path(path, child.name()))?;
            }
            out.push_str("]}");
            return Ok(());
        }
        DataType::Dictionary(_, value) => return push_type_json(out, value, path),
        DataType::FixedSizeList(e, n) => {
            out.push_str("{\"FixedSizeList\":[");
            push_field_object(out, e, false, &format!("{path}/"))?;
            out.push_str(&format!(",{n}]}}"));
            return Ok(());
        }
        DataType::Map(entries, sorted) => {
            out.push_str("{\"Map\":[");
            push_field_object(out, entries, true, &format!("{path}/"))?;
            out.push_str(if *sorted { ",true]}" } else { ",false]}" });
            return Ok(());
        }
        DataType::Null
        | DataType::Interval(_)
        | DataType::Utf8View
        | DataType::BinaryView
        | DataType::ListView(_)
        | DataType::LargeListView(_)
        | DataType::Union(..)
        | DataType::RunEndEncoded(..) => return Err(unsupported(path, dt)),
    };
    out.push('"');
    out.push_str(simple);
    out.push('"');
    Ok(())
}

/// The canonical JSON text of `J(T)` alone, as fed first by the array hash (§9 step 3).
pub(crate) fn type_json(dt: &DataType) -> Result<String> {
    let mut out = String::new();
    push_type_json(&mut out, dt, "")?;
    Ok(out)
}

/// Phase-1 text (§7.1): `{name: {"data_type": J, "nullable": b}, ...}` sorted by name.
pub(crate) fn phase1(schema: &Schema) -> Result<String> {
    // Duplicate names collapse to one member; the last one wins, as with a JSON map.
    let mut members: BTreeMap<&str, &Field> = BTreeMap::new();
    for field in schema.fields() {
        members.insert(field.name().as_str(), field.as_ref());
    }
    let mut out = String::with_capacity(64 * members.len() + 2);
    out.push('{');
    for (i, field) in members.into_values().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(&mut out, field.name());
        out.push(':');
        push_field_object(&mut out, field, false, field.name())?;
    }
    out.push('}');
    Ok(out)
}

/// Appends a string-to-string map as a JSON object with keys in byte order.
fn push_string_map(out: &mut String, map: &Metadata) {
    // `str` ordering is byte ordering (§2).
    let sorted: BTreeMap<&str, &str> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    out.push('{');
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, k);
        out.push(':');
        push_json_str(out, v);
    }
    out.push('}');
}

/// Records the metadata of `field` at `path` and walks its nested fields (§7.2).
fn collect_field_metadata<'a>(
    field: &'a Field,
    path: String,
    found: &mut BTreeMap<String, &'a Metadata>,
) {
    if !field.metadata().is_empty() {
        found.insert(path.clone(), field.metadata());
    }
    collect_type_metadata(field.data_type(), &path, found);
}

fn collect_type_metadata<'a>(
    dt: &'a DataType,
    path: &str,
    found: &mut BTreeMap<String, &'a Metadata>,
) {
    match dt {
        DataType::Struct(children) => {
            for child in children {
                collect_field_metadata(child, format!("{path}/{}", child.name()), found);
            }
        }
        DataType::List(e)
        | DataType::LargeList(e)
        | DataType::FixedSizeList(e, _)
        | DataType::Map(e, _) => collect_field_metadata(e, format!("{path}/"), found),
        DataType::Dictionary(_, value) => collect_type_metadata(value, path, found),
        _ => {}
    }
}

/// Phase-2 text (§7.2), or `None` when neither fields nor the schema carry metadata.
pub(crate) fn phase2(schema: &Schema) -> Option<String> {
    let mut found = BTreeMap::new();
    for field in schema.fields() {
        collect_field_metadata(field, field.name().clone(), &mut found);
    }
    let has_schema = !schema.metadata().is_empty();
    if found.is_empty() && !has_schema {
        return None;
    }
    let mut out = String::from("{");
    if !found.is_empty() {
        out.push_str("\"fields\":{");
        for (i, (path, metadata)) in found.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_str(&mut out, &path);
            out.push(':');
            push_string_map(&mut out, metadata);
        }
        out.push('}');
        if has_schema {
            out.push(',');
        }
    }
    if has_schema {
        out.push_str("\"schema\":");
        push_string_map(&mut out, schema.metadata());
    }
    out.push('}');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = String::new();
        push_json_str(&mut out, s);
        out
    }

    #[test]
    fn escapes_match_serde_json() {
        for s in [
            "plain",
            "a\"q",
            "back\\slash",
            "\u{8}\u{c}\n\r\t",
            "\u{0}\u{1f}\u{7f}",
            "/ \u{2028} 日本語 ✓",
            "",
        ] {
            assert_eq!(esc(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn join_path_rules() {
        assert_eq!(join_path("", "a"), "a");
        assert_eq!(join_path("p", "a"), "p/a");
        assert_eq!(join_path("p/", "a"), "p//a");
    }
}
