//! Single cell values and their conversion to and from Arrow arrays.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, LargeBinaryBuilder,
    LargeStringBuilder, TimestampMicrosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, LargeListArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType as ArrowType, TimeUnit};

use crate::error::{DatagramError, Result};
use crate::types::{DataType, Field};

/// One cell value.
///
/// ```
/// use orcapod_datagram::Value;
/// assert_eq!(Value::from(3).to_string(), "3");
/// assert_eq!(Value::from("n1").to_string(), "n1");
/// assert_eq!(Value::Null.to_string(), "None");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Missing value.
    Null,
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Str(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// File path.
    Path(PathBuf),
    /// Days since the Unix epoch.
    Date(i32),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// List of values.
    List(Vec<Value>),
    /// Named fields.
    Struct(Vec<(String, Value)>),
}

impl Value {
    /// The logical type this value would infer to (`None` for nulls and empty lists).
    pub fn infer_type(&self) -> Option<DataType> {
        Some(match self {
            Value::Null => return None,
            Value::Bool(_) => DataType::Bool,
            Value::Int(_) => DataType::Int,
            Value::Float(_) => DataType::Float,
            Value::Str(_) => DataType::Str,
            Value::Bytes(_) => DataType::Bytes,
            Value::Path(_) => DataType::Path,
            Value::Date(_) => DataType::Date,
            Value::Timestamp(_) => DataType::Timestamp,
            Value::List(items) => {
                DataType::List(Box::new(items.iter().find_map(Value::infer_type)?))
            }
            Value::Struct(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(|(n, v)| Some(Field::new(n.clone(), v.infer_type()?)))
                    .collect::<Option<Vec<_>>>()?,
            ),
        })
    }

    /// Is this a null?
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Read the value at `row` of an Arrow array.
    pub fn from_array(array: &dyn Array, row: usize) -> Result<Value> {
        if row >= array.len() {
            return Err(DatagramError::InvalidOption {
                option: "row".into(),
                reason: format!(
                    "row {row} out of range for an array of length {}",
                    array.len()
                ),
            });
        }
        if array.is_null(row) {
            return Ok(Value::Null);
        }
        Ok(match array.data_type() {
            ArrowType::Boolean => Value::Bool(array.as_boolean().value(row)),
            ArrowType::Int8 => Value::Int(array.as_primitive::<Int8Type>().value(row).into()),
            ArrowType::Int16 => Value::Int(array.as_primitive::<Int16Type>().value(row).into()),
            ArrowType::Int32 => Value::Int(array.as_primitive::<Int32Type>().value(row).into()),
            ArrowType::Int64 => Value::Int(array.as_primitive::<Int64Type>().value(row)),
            ArrowType::UInt8 => Value::Int(array.as_primitive::<UInt8Type>().value(row).into()),
            ArrowType::UInt16 => Value::Int(array.as_primitive::<UInt16Type>().value(row).into()),
            ArrowType::UInt32 => Value::Int(array.as_primitive::<UInt32Type>().value(row).into()),
            ArrowType::UInt64 => {
                let v = array.as_primitive::<UInt64Type>().value(row);
                Value::Int(i64::try_from(v).map_err(|_| DatagramError::TypeMismatch {
                    column: String::new(),
                    row,
                    expected: "int64-representable integer".into(),
                    found: v.to_string(),
                })?)
            }
            ArrowType::Float16 => {
                Value::Float(array.as_primitive::<Float16Type>().value(row).into())
            }
            ArrowType::Float32 => {
                Value::Float(array.as_primitive::<Float32Type>().value(row).into())
            }
            ArrowType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(row)),
            ArrowType::Utf8 => Value::Str(array.as_string::<i32>().value(row).to_string()),
            ArrowType::LargeUtf8 => Value::Str(array.as_string::<i64>().value(row).to_string()),
            ArrowType::Binary => Value::Bytes(array.as_binary::<i32>().value(row).to_vec()),
            ArrowType::LargeBinary => Value::Bytes(array.as_binary::<i64>().value(row).to_vec()),
            ArrowType::FixedSizeBinary(_) => {
                Value::Bytes(array.as_fixed_size_binary().value(row).to_vec())
            }
            ArrowType::Date32 => Value::Date(array.as_primitive::<Date32Type>().value(row)),
            ArrowType::Date64 => {
                Value::Date((array.as_primitive::<Date64Type>().value(row) / 86_400_000) as i32)
            }
            ArrowType::Timestamp(unit, _) => Value::Timestamp(match unit {
                TimeUnit::Second => {
                    array.as_primitive::<TimestampSecondType>().value(row) * 1_000_000
                }
                TimeUnit::Millisecond => {
                    array.as_primitive::<TimestampMillisecondType>().value(row) * 1_000
                }
                TimeUnit::Microsecond => {
                    array.as_primitive::<TimestampMicrosecondType>().value(row)
                }
                TimeUnit::Nanosecond => {
                    array.as_primitive::<TimestampNanosecondType>().value(row) / 1_000
                }
            }),
            ArrowType::List(_) => list_values(&array.as_list::<i32>().value(row))?,
            ArrowType::LargeList(_) => list_values(&array.as_list::<i64>().value(row))?,
            ArrowType::FixedSizeList(_, _) => list_values(&array.as_fixed_size_list().value(row))?,
            ArrowType::Struct(fields) => {
                let s = array.as_struct();
                let mut out = Vec::with_capacity(fields.len());
                for (i, f) in fields.iter().enumerate() {
                    out.push((
                        f.name().clone(),
                        Value::from_array(s.column(i).as_ref(), row)?,
                    ));
                }
                Value::Struct(out)
            }
            ArrowType::Dictionary(_, _) => {
                let dict = array.as_any_dictionary();
                let key = dict.normalized_keys()[row];
                Value::from_array(dict.values().as_ref(), key)?
            }
            other => {
                return Err(DatagramError::UnsupportedType {
                    column: String::new(),
                    data_type: other.to_string(),
                });
            }
        })
    }

    /// Python `str()` rendering, used in record-id tokens (`id=1`, `name=n1`, `x=None`).
    pub fn python_str(&self) -> String {
        self.to_string()
    }
}

fn list_values(child: &ArrayRef) -> Result<Value> {
    (0..child.len())
        .map(|i| Value::from_array(child.as_ref(), i))
        .collect::<Result<Vec<_>>>()
        .map(Value::List)
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("None"),
            Value::Bool(true) => f.write_str("True"),
            Value::Bool(false) => f.write_str("False"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Float(v) => f.write_str(&python_float_repr(*v)),
            Value::Str(s) => f.write_str(s),
            Value::Bytes(b) => {
                f.write_str("b'")?;
                for byte in b {
                    match byte {
                        b'\\' => f.write_str("\\\\")?,
                        b'\'' => f.write_str("\\'")?,
                        0x20..=0x7e => write!(f, "{}", *byte as char)?,
                        _ => write!(f, "\\x{byte:02x}")?,
                    }
                }
                f.write_str("'")
            }
            Value::Path(p) => write!(f, "{}", p.display()),
            Value::Date(d) => write!(f, "{d}"),
            Value::Timestamp(t) => write!(f, "{t}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    match v {
                        Value::Str(s) => write!(f, "'{s}'")?,
                        other => write!(f, "{other}")?,
                    }
                }
                f.write_str("]")
            }
            Value::Struct(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "'{k}': {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Python `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16.
pub fn python_float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` gives the shortest round-trip digits, e.g. "1.5e0", "-1e-5".
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        if exp >= 0 {
            let int_len = exp + 1;
            if n <= int_len {
                format!("{sign}{}{}.0", digits, "0".repeat((int_len - n) as usize))
            } else {
                let (a, b) = digits.split_at(int_len as usize);
                format!("{sign}{a}.{b}")
            }
        } else {
            format!("{sign}0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() {
            first.to_string()
        } else {
            format!("{first}.{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.abs())
    }
}

macro_rules! impl_from {
    ($($t:ty => $variant:ident $(as $conv:ty)?),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$variant(v $(as $conv)?.into()) }
        })*
    };
}
impl_from!(bool => Bool, i64 => Int, i32 => Int, u32 => Int, f64 => Float, f32 => Float,
    String => Str, &str => Str, Vec<u8> => Bytes, PathBuf => Path);

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Build an Arrow array of logical type `dtype` from values. `column` names errors.
pub fn values_to_array(column: &str, dtype: &DataType, values: &[Value]) -> Result<ArrayRef> {
    let mismatch = |row: usize, v: &Value| DatagramError::TypeMismatch {
        column: column.to_string(),
        row,
        expected: dtype.to_string(),
        found: format!("{v:?}"),
    };
    macro_rules! build {
        ($builder:expr, $($pat:pat => $val:expr),*) => {{
            let mut b = $builder;
            for (row, v) in values.iter().enumerate() {
                match v {
                    Value::Null => b.append_null(),
                    $($pat => b.append_value($val),)*
                    other => return Err(mismatch(row, other)),
                }
            }
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    Ok(match dtype {
        DataType::Int => build!(Int64Builder::with_capacity(values.len()), Value::Int(x) => *x),
        DataType::Float => build!(Float64Builder::with_capacity(values.len()),
            Value::Float(x) => *x, Value::Int(x) => *x as f64),
        DataType::Bool => build!(BooleanBuilder::with_capacity(values.len()), Value::Bool(x) => *x),
        DataType::Str => build!(LargeStringBuilder::new(), Value::Str(x) => x),
        DataType::Path => build!(LargeStringBuilder::new(),
            Value::Path(p) => p.to_string_lossy(), Value::Str(s) => s),
        DataType::Bytes => build!(LargeBinaryBuilder::new(), Value::Bytes(x) => x),
        DataType::Date => build!(Date32Builder::with_capacity(values.len()), Value::Date(x) => *x),
        DataType::Timestamp => build!(
            TimestampMicrosecondBuilder::with_capacity(values.len()).with_timezone("UTC"),
            Value::Timestamp(x) => *x),
        DataType::List(inner) => {
            let mut offsets = Vec::with_capacity(values.len() + 1);
            offsets.push(0i64);
            let mut flat = Vec::new();
            let mut validity = Vec::with_capacity(values.len());
            for (row, v) in values.iter().enumerate() {
                match v {
                    Value::Null => validity.push(false),
                    Value::List(items) => {
                        flat.extend(items.iter().cloned());
                        validity.push(true);
                    }
                    other => return Err(mismatch(row, other)),
                }
                offsets.push(flat.len() as i64);
            }
            let child = values_to_array(column, inner, &flat)?;
            let field = Arc::new(inner.to_arrow_field("item", true));
            let nulls = validity
                .iter()
                .any(|v| !v)
                .then(|| NullBuffer::from(validity));
            Arc::new(LargeListArray::try_new(
                field,
                OffsetBuffer::new(offsets.into()),
                child,
                nulls,
            )?)
        }
        DataType::Struct(fields) => {
            let mut children = Vec::with_capacity(fields.len());
            let mut validity = Vec::with_capacity(values.len());
            let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(values.len()); fields.len()];
            for (row, v) in values.iter().enumerate() {
                match v {
                    Value::Null => {
                        validity.push(false);
                        for c in &mut columns {
                            c.push(Value::Null);
                        }
                    }
                    Value::Struct(kv) => {
                        validity.push(true);
                        for (i, f) in fields.iter().enumerate() {
                            let cell = kv
                                .iter()
                                .find(|(k, _)| *k == f.name)
                                .map(|(_, v)| v.clone());
                            columns[i].push(cell.unwrap_or(Value::Null));
                        }
                    }
                    other => return Err(mismatch(row, other)),
                }
            }
            for (f, col) in fields.iter().zip(&columns) {
                children.push(values_to_array(
                    &format!("{column}.{}", f.name),
                    &f.dtype,
                    col,
                )?);
            }
            let arrow_fields: Vec<_> = fields.iter().map(Field::to_arrow).collect();
            let nulls = validity
                .iter()
                .any(|v| !v)
                .then(|| NullBuffer::from(validity));
            Arc::new(StructArray::try_new(arrow_fields.into(), children, nulls)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_of_floats() {
        for (v, s) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (2.71, "2.71"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (123456789012345.0, "123456789012345.0"),
            (-0.0, "-0.0"),
            (0.1, "0.1"),
            (2.5e-10, "2.5e-10"),
        ] {
            assert_eq!(python_float_repr(v), s, "repr of {v}");
        }
    }

    #[test]
    fn round_trip_through_arrow() {
        let dtype = DataType::List(Box::new(DataType::Int));
        let values = vec![
            Value::List(vec![1.into(), 2.into()]),
            Value::Null,
            Value::List(vec![]),
        ];
        let arr = values_to_array("c", &dtype, &values).unwrap();
        let back: Vec<_> = (0..3)
            .map(|i| Value::from_array(arr.as_ref(), i).unwrap())
            .collect();
        assert_eq!(back, values);
    }

    #[test]
    fn type_mismatch_names_column_and_row() {
        let err = values_to_array("x", &DataType::Int, &[1.into(), "a".into()]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("row 1") && msg.contains("'x'"), "{msg}");
    }
}
