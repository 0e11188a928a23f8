//! `Leaf(T, A, p, M)` of spec §8.4 step 3 with the encodings of §8.5.

use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::{Array, OffsetSizeTrait};
use arrow_buffer::BooleanBuffer;
use arrow_schema::DataType;
use sha2::Sha256;

use super::visit::{
    Cx, Scratch, Sink, and_validity, append_validity, for_each_live_run, malformed,
};
use crate::Result;
use crate::arrow::json::unsupported;

/// Byte width of a fixed-width leaf type, `None` for variable-width and boolean types.
pub(super) fn fixed_width(dt: &DataType) -> Option<usize> {
    Some(match dt {
        DataType::Int8 | DataType::UInt8 => 1,
        DataType::Int16 | DataType::UInt16 | DataType::Float16 => 2,
        DataType::Int32
        | DataType::UInt32
        | DataType::Float32
        | DataType::Date32
        | DataType::Time32(_)
        | DataType::Decimal32(..) => 4,
        DataType::Int64
        | DataType::UInt64
        | DataType::Float64
        | DataType::Date64
        | DataType::Time64(_)
        | DataType::Timestamp(..)
        | DataType::Duration(_)
        | DataType::Decimal64(..) => 8,
        DataType::Decimal128(..) => 16,
        DataType::Decimal256(..) => 32,
        DataType::FixedSizeBinary(n) => usize::try_from(*n).ok()?,
        _ => return None,
    })
}

/// Feeds the live elements of `array` (rows in `segs`, under `mask`) to the entry at `path`.
pub(super) fn leaf(
    cx: &mut Cx<'_>,
    array: &dyn Array,
    path: &str,
    mask: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
) -> Result<()> {
    let dt = array.data_type();
    let supported = matches!(
        dt,
        DataType::Boolean
            | DataType::Utf8
            | DataType::LargeUtf8
            | DataType::Binary
            | DataType::LargeBinary
    ) || fixed_width(dt).is_some();
    if !supported {
        return Err(unsupported(path, dt));
    }
    let Some(entry) = cx.entries.get_mut(path) else {
        return Ok(());
    };
    let w = and_validity(array, mask);
    if let Some(v) = entry.v.as_mut() {
        append_validity(v, w.as_ref(), segs, path)?;
    }
    let Some(d) = entry.d.as_mut() else {
        return Ok(());
    };
    let w = w.as_ref();
    match dt {
        DataType::Boolean => match array.as_boolean_opt() {
            Some(b) => boolean_leaf(d, cx.scratch, b.values(), w, segs, path),
            None => Err(malformed(path, "not a boolean array")),
        },
        DataType::Utf8 => match array.as_string_opt::<i32>() {
            Some(a) => bytes_leaf(
                d,
                cx.scratch,
                a.value_offsets(),
                a.value_data(),
                w,
                segs,
                path,
            ),
            None => Err(malformed(path, "not a string array")),
        },
        DataType::LargeUtf8 => match array.as_string_opt::<i64>() {
            Some(a) => bytes_leaf(
                d,
                cx.scratch,
                a.value_offsets(),
                a.value_data(),
                w,
                segs,
                path,
            ),
            None => Err(malformed(path, "not a large string array")),
        },
        DataType::Binary => match array.as_binary_opt::<i32>() {
            Some(a) => bytes_leaf(
                d,
                cx.scratch,
                a.value_offsets(),
                a.value_data(),
                w,
                segs,
                path,
            ),
            None => Err(malformed(path, "not a binary array")),
        },
        DataType::LargeBinary => match array.as_binary_opt::<i64>() {
            Some(a) => bytes_leaf(
                d,
                cx.scratch,
                a.value_offsets(),
                a.value_data(),
                w,
                segs,
                path,
            ),
            None => Err(malformed(path, "not a large binary array")),
        },
        _ => {
            let width = fixed_width(dt).unwrap_or(0);
            fixed_leaf(d, cx.scratch, array, width, w, segs, path)
        }
    }
}

/// Fixed-width values: the bytes of Arrow's value buffer for each live slot, fed run by run.
fn fixed_leaf(
    d: &mut Sha256,
    scratch: &mut Scratch,
    array: &dyn Array,
    width: usize,
    w: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
    path: &str,
) -> Result<()> {
    if width == 0 {
        return Ok(());
    }
    let data = array.to_data();
    let Some(buffer) = data.buffers().first() else {
        return Err(malformed(path, "missing value buffer"));
    };
    let bytes = buffer.as_slice();
    let base = data.offset();
    let mut sink = Sink::new(d, &mut scratch.bytes);
    for seg in segs {
        for_each_live_run(w, seg, |run| {
            let from = (base + run.start).checked_mul(width);
            let to = (base + run.end).checked_mul(width);
            let slice = from.zip(to).and_then(|(from, to)| bytes.get(from..to));
            match slice {
                Some(slice) => {
                    sink.write(slice);
                    Ok(())
                }
                None => Err(malformed(path, "value buffer shorter than the array")),
            }
        })?;
    }
    Ok(())
}

/// Strings and binaries: `u64le(byte length) ‖ bytes` per live element.
fn bytes_leaf<O: OffsetSizeTrait>(
    d: &mut Sha256,
    scratch: &mut Scratch,
    offsets: &[O],
    data: &[u8],
    w: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
    path: &str,
) -> Result<()> {
    let mut sink = Sink::new(d, &mut scratch.bytes);
    for seg in segs {
        for_each_live_run(w, seg, |run| {
            let Some(offs) = offsets.get(run.start..run.end + 1) else {
                return Err(malformed(path, "offsets shorter than the array"));
            };
            for pair in offs.windows(2) {
                if !sink.write_prefixed_in(data, pair[0].as_usize(), pair[1].as_usize()) {
                    return Err(malformed(path, "offsets outside the value buffer"));
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// Booleans (quirk Q1): per segment (= per `Leaf` call), the live values packed LSB-first and
/// fed at once; nothing for a segment without live values.
fn boolean_leaf(
    d: &mut Sha256,
    scratch: &mut Scratch,
    values: &BooleanBuffer,
    w: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
    path: &str,
) -> Result<()> {
    let Scratch { bytes, bits } = scratch;
    let mut sink = Sink::new(d, bytes);
    for seg in segs {
        bits.clear();
        for_each_live_run(w, seg, |run| {
            if bits.append_range(values, run.start, run.len()) {
                Ok(())
            } else {
                Err(malformed(path, "boolean values shorter than the array"))
            }
        })?;
        if bits.len() > 0 {
            sink.write(bits.as_bytes());
        }
    }
    Ok(())
}
