//! Rust types that can be packet values: typed readers over Arrow arrays and typed builders.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Float64Builder, Int64Builder, LargeBinaryBuilder,
    LargeListBuilder, LargeStringBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, LargeBinaryArray, LargeListArray,
    LargeStringArray,
};
use orcapod_datagram::{DataType, Field};

/// A Rust type usable as a packet-function parameter or output.
///
/// Implemented for `i64`, `i32`, `f64`, `f32`, `bool`, `String`, `Vec<u8>` (bytes), `PathBuf`
/// (path-typed: identified by file content), `Option<T>` (nullable) and `Vec<T>` (lists).
/// `i32`/`f32` map to the logical `int`/`float` types (Arrow `int64`/`float64`); reading an
/// `i32` that does not fit fails that packet.
///
/// Readers are created once per batch (one downcast per column) and read rows without boxing.
///
/// ```
/// use orcapod_datagram::DataType;
/// use orcapod_executor::ColumnType;
/// assert_eq!(<Option<Vec<f64>>>::data_type(), DataType::List(Box::new(DataType::Float)));
/// assert!(<Option<i64>>::nullable() && !i64::nullable());
/// ```
pub trait ColumnType: Sized + Clone + Send + Sync + 'static {
    /// A pre-downcast view of a column.
    type Reader<'a>: Send + Sync;
    /// The Arrow builder for outputs of this type.
    type Builder: ArrayBuilder;

    /// The logical type.
    fn data_type() -> DataType;

    /// Whether nulls are allowed (`Option<T>`).
    fn nullable() -> bool {
        false
    }

    /// A logical field of this type.
    fn field(name: &str) -> Field {
        Field {
            name: name.to_string(),
            dtype: Self::data_type(),
            nullable: Self::nullable(),
        }
    }

    /// Downcast a column in the canonical Arrow type of [`data_type`](Self::data_type).
    fn reader(array: &ArrayRef) -> Result<Self::Reader<'_>, String>;

    /// Read one row: `Ok(None)` for a null.
    fn read(reader: &Self::Reader<'_>, row: usize) -> Result<Option<Self>, String>;

    /// A builder with room for `capacity` rows.
    fn builder(capacity: usize) -> Self::Builder;

    /// Append a value.
    fn append(builder: &mut Self::Builder, value: Self);

    /// Append a null.
    fn append_null(builder: &mut Self::Builder);
}

fn downcast<'a, T: 'static>(array: &'a ArrayRef, expected: &str) -> Result<&'a T, String> {
    array
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| format!("expected a {expected} array, found {}", array.data_type()))
}

macro_rules! simple_column {
    ($t:ty, $dtype:expr, $array:ty, $builder:ty, $expected:literal,
     read: |$v:ident| $read:expr, write: |$w:ident| $write:expr, new: |$cap:ident| $new:expr) => {
        impl ColumnType for $t {
            type Reader<'a> = &'a $array;
            type Builder = $builder;

            fn data_type() -> DataType {
                $dtype
            }

            fn reader(array: &ArrayRef) -> Result<Self::Reader<'_>, String> {
                downcast::<$array>(array, $expected)
            }

            #[inline]
            fn read(reader: &Self::Reader<'_>, row: usize) -> Result<Option<Self>, String> {
                if reader.is_null(row) {
                    return Ok(None);
                }
                let $v = reader.value(row);
                Ok(Some($read))
            }

            fn builder($cap: usize) -> Self::Builder {
                $new
            }

            #[inline]
            fn append(builder: &mut Self::Builder, $w: Self) {
                builder.append_value($write);
            }

            #[inline]
            fn append_null(builder: &mut Self::Builder) {
                builder.append_null();
            }
        }
    };
}

simple_column!(i64, DataType::Int, Int64Array, Int64Builder, "int64",
    read: |v| v, write: |w| w, new: |cap| Int64Builder::with_capacity(cap));
simple_column!(f64, DataType::Float, Float64Array, Float64Builder, "float64",
    read: |v| v, write: |w| w, new: |cap| Float64Builder::with_capacity(cap));
simple_column!(f32, DataType::Float, Float64Array, Float64Builder, "float64",
    read: |v| v as f32, write: |w| f64::from(w), new: |cap| Float64Builder::with_capacity(cap));
simple_column!(bool, DataType::Bool, BooleanArray, BooleanBuilder, "boolean",
    read: |v| v, write: |w| w, new: |cap| BooleanBuilder::with_capacity(cap));
simple_column!(String, DataType::Str, LargeStringArray, LargeStringBuilder, "large_utf8",
    read: |v| v.to_owned(), write: |w| w, new: |cap| LargeStringBuilder::with_capacity(cap, cap * 8));
simple_column!(PathBuf, DataType::Path, LargeStringArray, LargeStringBuilder, "large_utf8",
    read: |v| PathBuf::from(v), write: |w| w.to_string_lossy(),
    new: |cap| LargeStringBuilder::with_capacity(cap, cap * 16));
simple_column!(Vec<u8>, DataType::Bytes, LargeBinaryArray, LargeBinaryBuilder, "large_binary",
    read: |v| v.to_vec(), write: |w| w, new: |cap| LargeBinaryBuilder::with_capacity(cap, cap * 8));

impl ColumnType for i32 {
    type Reader<'a> = &'a Int64Array;
    type Builder = Int64Builder;

    fn data_type() -> DataType {
        DataType::Int
    }

    fn reader(array: &ArrayRef) -> Result<Self::Reader<'_>, String> {
        array
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| format!("expected an int64 array, found {}", array.data_type()))
    }

    #[inline]
    fn read(reader: &Self::Reader<'_>, row: usize) -> Result<Option<Self>, String> {
        if reader.is_null(row) {
            return Ok(None);
        }
        let v = reader.value(row);
        i32::try_from(v)
            .map(Some)
            .map_err(|_| format!("value {v} does not fit in i32"))
    }

    fn builder(capacity: usize) -> Self::Builder {
        Int64Builder::with_capacity(capacity)
    }

    #[inline]
    fn append(builder: &mut Self::Builder, value: Self) {
        builder.append_value(i64::from(value));
    }

    #[inline]
    fn append_null(builder: &mut Self::Builder) {
        builder.append_null();
    }
}

impl<T: ColumnType> ColumnType for Option<T> {
    type Reader<'a> = T::Reader<'a>;
    type Builder = T::Builder;

    fn data_type() -> DataType {
        T::data_type()
    }

    fn nullable() -> bool {
        true
    }

    fn reader(array: &ArrayRef) -> Result<Self::Reader<'_>, String> {
        T::reader(array)
    }

    #[inline]
    fn read(reader: &Self::Reader<'_>, row: usize) -> Result<Option<Self>, String> {
        Ok(Some(T::read(reader, row)?))
    }

    fn builder(capacity: usize) -> Self::Builder {
        T::builder(capacity)
    }

    #[inline]
    fn append(builder: &mut Self::Builder, value: Self) {
        match value {
            Some(v) => T::append(builder, v),
            None => T::append_null(builder),
        }
    }

    #[inline]
    fn append_null(builder: &mut Self::Builder) {
        T::append_null(builder);
    }
}

impl<T: ColumnType> ColumnType for Vec<T> {
    type Reader<'a> = &'a LargeListArray;
    type Builder = LargeListBuilder<T::Builder>;

    fn data_type() -> DataType {
        DataType::List(Box::new(T::data_type()))
    }

    fn reader(array: &ArrayRef) -> Result<Self::Reader<'_>, String> {
        array
            .as_list_opt::<i64>()
            .ok_or_else(|| format!("expected a large_list array, found {}", array.data_type()))
    }

    fn read(reader: &Self::Reader<'_>, row: usize) -> Result<Option<Self>, String> {
        if reader.is_null(row) {
            return Ok(None);
        }
        let child = reader.value(row);
        let items = T::reader(&child)?;
        (0..child.len())
            .map(|i| T::read(&items, i)?.ok_or_else(|| format!("null list element at index {i}")))
            .collect::<Result<Vec<T>, String>>()
            .map(Some)
    }

    fn builder(capacity: usize) -> Self::Builder {
        LargeListBuilder::with_capacity(T::builder(capacity), capacity)
            .with_field(Arc::new(T::data_type().to_arrow_field("item", true)))
    }

    fn append(builder: &mut Self::Builder, value: Self) {
        for item in value {
            T::append(builder.values(), item);
        }
        builder.append(true);
    }

    fn append_null(builder: &mut Self::Builder) {
        builder.append_null();
    }
}
