//! Canonical byte encodings of cell values, shared by equality lookups and secondary indexes.
//!
//! A cell and a lookup [`Value`] match when their encodings are equal. Encodings are
//! `tag byte + payload`; the tag is the *type family*, so values only match within a family:
//!
//! | family | column types | lookup values | payload |
//! |---|---|---|---|
//! | `B` | boolean | `Bool` | 0 / 1 |
//! | `I` | int8..int64, uint8..uint64 | `Int` | i128 big-endian |
//! | `F` | float32, float64 | `Float` | f64 bits (-0.0 as 0.0); NaN never matches |
//! | `S` | utf8, large_utf8, utf8_view | `Str`, `Path` | UTF-8 bytes |
//! | `Y` | binary, large_binary, binary_view, fixed_size_binary | `Bytes` | bytes |
//! | `D` | date32 | `Date` | i32 big-endian |
//! | `T` | timestamp(µs, any zone) | `Timestamp` | i64 big-endian |
//!
//! Nulls never match anything (SQL semantics); other column types cannot be looked up.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrowPrimitiveType};
use arrow_schema::{DataType, TimeUnit};
use orcapod_datagram::Value;

/// Appends the encoding of row `row` to the buffer; returns `false` (buffer untouched
/// semantics irrelevant) when the cell is null or can never match.
pub(crate) type CellEncoder<'a> = Box<dyn Fn(usize, &mut Vec<u8>) -> bool + 'a>;

/// Whether a column type supports lookups and indexes.
pub(crate) fn check_lookup_type(dt: &DataType) -> Result<(), String> {
    match dt {
        DataType::Boolean
        | DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float32
        | DataType::Float64
        | DataType::Utf8
        | DataType::LargeUtf8
        | DataType::Utf8View
        | DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_)
        | DataType::Date32
        | DataType::Timestamp(TimeUnit::Microsecond, _) => Ok(()),
        other => Err(format!(
            "columns of type {other} cannot be looked up or indexed"
        )),
    }
}

/// Encoding of a lookup value; `None` when it can never match (null, NaN).
pub(crate) fn encode_value(value: &Value) -> Result<Option<Vec<u8>>, String> {
    let mut out = Vec::new();
    match value {
        Value::Null => return Ok(None),
        Value::Bool(b) => out.extend([b'B', u8::from(*b)]),
        Value::Int(i) => int(i128::from(*i), &mut out),
        Value::Float(f) => {
            if !float(*f, &mut out) {
                return Ok(None);
            }
        }
        Value::Str(s) => bytes(b'S', s.as_bytes(), &mut out),
        Value::Path(p) => match p.to_str() {
            Some(s) => bytes(b'S', s.as_bytes(), &mut out),
            None => return Err(format!("path {} is not UTF-8", p.display())),
        },
        Value::Bytes(b) => bytes(b'Y', b, &mut out),
        Value::Date(d) => {
            out.push(b'D');
            out.extend(d.to_be_bytes());
        }
        Value::Timestamp(t) => {
            out.push(b'T');
            out.extend(t.to_be_bytes());
        }
        Value::List(_) | Value::Struct(_) => {
            return Err("list and struct values cannot be looked up".to_string());
        }
    }
    Ok(Some(out))
}

fn int(v: i128, out: &mut Vec<u8>) {
    out.push(b'I');
    out.extend(v.to_be_bytes());
}

fn float(v: f64, out: &mut Vec<u8>) -> bool {
    if v.is_nan() {
        return false;
    }
    let v = if v == 0.0 { 0.0 } else { v };
    out.push(b'F');
    out.extend(v.to_bits().to_be_bytes());
    true
}

fn bytes(tag: u8, b: &[u8], out: &mut Vec<u8>) {
    out.push(tag);
    out.extend_from_slice(b);
}

fn ints<'a, T>(array: &'a dyn Array) -> CellEncoder<'a>
where
    T: ArrowPrimitiveType,
    T::Native: Into<i128>,
{
    let a = array.as_primitive::<T>();
    Box::new(move |i, out| {
        if a.is_null(i) {
            return false;
        }
        int(a.value(i).into(), out);
        true
    })
}

fn enc<'a, A, T>(
    a: &'a A,
    get: impl Fn(&'a A, usize) -> T + 'a,
    put: impl Fn(T, &mut Vec<u8>) -> bool + 'a,
) -> CellEncoder<'a>
where
    A: Array,
{
    Box::new(move |i, out| !a.is_null(i) && put(get(a, i), out))
}

fn put_str(v: &str, out: &mut Vec<u8>) -> bool {
    bytes(b'S', v.as_bytes(), out);
    true
}

fn put_bytes(v: &[u8], out: &mut Vec<u8>) -> bool {
    bytes(b'Y', v, out);
    true
}

/// A per-row encoder for `array`; errors for unsupported column types.
pub(crate) fn cell_encoder(array: &dyn Array) -> Result<CellEncoder<'_>, String> {
    Ok(match array.data_type() {
        DataType::Boolean => enc(
            array.as_boolean(),
            |a, i| a.value(i),
            |v, out| {
                out.extend([b'B', u8::from(v)]);
                true
            },
        ),
        DataType::Int8 => ints::<Int8Type>(array),
        DataType::Int16 => ints::<Int16Type>(array),
        DataType::Int32 => ints::<Int32Type>(array),
        DataType::Int64 => ints::<Int64Type>(array),
        DataType::UInt8 => ints::<UInt8Type>(array),
        DataType::UInt16 => ints::<UInt16Type>(array),
        DataType::UInt32 => ints::<UInt32Type>(array),
        DataType::UInt64 => ints::<UInt64Type>(array),
        DataType::Float32 => enc(
            array.as_primitive::<Float32Type>(),
            |a, i| a.value(i),
            |v, out| float(f64::from(v), out),
        ),
        DataType::Float64 => enc(
            array.as_primitive::<Float64Type>(),
            |a, i| a.value(i),
            float,
        ),
        DataType::Utf8 => enc(array.as_string::<i32>(), |a, i| a.value(i), put_str),
        DataType::LargeUtf8 => enc(array.as_string::<i64>(), |a, i| a.value(i), put_str),
        DataType::Utf8View => enc(array.as_string_view(), |a, i| a.value(i), put_str),
        DataType::Binary => enc(array.as_binary::<i32>(), |a, i| a.value(i), put_bytes),
        DataType::LargeBinary => enc(array.as_binary::<i64>(), |a, i| a.value(i), put_bytes),
        DataType::BinaryView => enc(array.as_binary_view(), |a, i| a.value(i), put_bytes),
        DataType::FixedSizeBinary(_) => {
            enc(array.as_fixed_size_binary(), |a, i| a.value(i), put_bytes)
        }
        DataType::Date32 => enc(
            array.as_primitive::<Date32Type>(),
            |a, i| a.value(i),
            |v, out| {
                out.push(b'D');
                out.extend(v.to_be_bytes());
                true
            },
        ),
        DataType::Timestamp(TimeUnit::Microsecond, _) => enc(
            array.as_primitive::<TimestampMicrosecondType>(),
            |a, i| a.value(i),
            |v, out| {
                out.push(b'T');
                out.extend(v.to_be_bytes());
                true
            },
        ),
        other => {
            return Err(format!(
                "columns of type {other} cannot be looked up or indexed"
            ));
        }
    })
}

/// Encoded keys of every row of `array` (`None`: null or NaN).
pub(crate) fn encode_column(array: &dyn Array) -> Result<Vec<Option<Vec<u8>>>, String> {
    let enc = cell_encoder(array)?;
    Ok((0..array.len())
        .map(|r| {
            let mut key = Vec::new();
            enc(r, &mut key).then_some(key)
        })
        .collect())
}
