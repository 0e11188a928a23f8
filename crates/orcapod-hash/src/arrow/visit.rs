//! Feeding array data into the entry map: `Visit` and `Leaf` of spec §8.4 with the leaf
//! encodings of §8.5.
//!
//! Instead of calling `Visit` once per list row on a sliced child array, the child array is
//! visited once for a sorted list of *segments* (row ranges of the child), one per live list
//! row. Only two things depend on how the data is split into `Leaf` calls: nothing for
//! non-boolean data (hashers only see the concatenation) and the packing of booleans (quirk
//! Q1), which restarts at every segment. Segments are therefore merged when no boolean lies
//! below the list, and kept per row otherwise.

use std::ops::Range;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, StructArray};
use arrow_buffer::BooleanBuffer;
use arrow_buffer::bit_iterator::BitSliceIterator;
use arrow_schema::{ArrowError, DataType, FieldRef};
use arrow_select::take::{TakeOptions, take};
use sha2::{Digest, Sha256};

use super::bits::BitVec;
use super::entries::{EntryMap, contains_boolean};
use super::json::join_path;
use crate::{HashError, Result};

/// Bytes buffered before they are handed to SHA-256; also the size from which a single write
/// bypasses the buffer.
const SINK_CAP: usize = 64 * 1024;

/// List rows processed per child visit, bounding the memory used for child segments.
const LIST_CHUNK_ROWS: usize = 64 * 1024;

/// Per-thread scratch space, reused across leaves, columns and batches.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scratch {
    pub(super) bytes: Vec<u8>,
    pub(super) bits: BitVec,
}

/// Buffers small writes into large `update` calls on a hasher; flushes on drop.
///
/// The buffer is a zero-initialised byte area (grown up to [`SINK_CAP`]) written at `pos`, so
/// that small writes are plain slice copies without reallocation checks.
pub(super) struct Sink<'a> {
    hasher: &'a mut Sha256,
    buf: &'a mut Vec<u8>,
    pos: usize,
}

impl<'a> Sink<'a> {
    pub(super) fn new(hasher: &'a mut Sha256, buf: &'a mut Vec<u8>) -> Self {
        Self {
            hasher,
            buf,
            pos: 0,
        }
    }

    /// Makes room for `n` more bytes at `pos` (`n <= SINK_CAP`), growing or flushing.
    #[inline]
    fn reserve(&mut self, n: usize) {
        if self.pos + n > self.buf.len() {
            self.grow_or_flush(n);
        }
    }

    #[cold]
    fn grow_or_flush(&mut self, n: usize) {
        if self.buf.len() < SINK_CAP {
            let want = (self.pos + n).max(self.buf.len() * 2).clamp(4096, SINK_CAP);
            self.buf.resize(want, 0);
        }
        if self.pos + n > self.buf.len() {
            self.flush();
        }
    }

    /// Copies `bytes` at `pos`; the caller has reserved room.
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.pos..self.pos + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.pos += bytes.len();
        }
    }

    #[inline]
    pub(super) fn write(&mut self, bytes: &[u8]) {
        if bytes.len() >= SINK_CAP / 2 {
            self.flush();
            self.hasher.update(bytes);
            return;
        }
        self.reserve(bytes.len());
        self.put(bytes);
    }

    /// Writes `u64le(value.len()) ‖ value`.
    #[inline]
    pub(super) fn write_prefixed(&mut self, value: &[u8]) {
        let len = (value.len() as u64).to_le_bytes();
        if value.len() >= SINK_CAP / 2 {
            self.flush();
            self.hasher.update(len);
            self.hasher.update(value);
            return;
        }
        self.reserve(8 + value.len());
        self.put(&len);
        self.put(value);
    }

    /// Writes `u64le(b - a) ‖ data[a..b]`; `false` (writing nothing) when out of bounds.
    ///
    /// A short value is copied as a fixed 16-byte window of `data` (when `data` extends that
    /// far) of which only the value's bytes are kept: a constant-size copy instead of a
    /// variable-length one per value.
    #[inline]
    pub(super) fn write_prefixed_in(&mut self, data: &[u8], a: usize, b: usize) -> bool {
        const SHORT: usize = 16;
        let Some(value) = data.get(a..b) else {
            return false;
        };
        match data.get(a..a + SHORT) {
            Some(window) if value.len() <= SHORT => {
                self.reserve(8 + SHORT);
                let pos = self.pos;
                self.put(&(value.len() as u64).to_le_bytes());
                self.put(window);
                self.pos = pos + 8 + value.len();
            }
            _ => self.write_prefixed(value),
        }
        true
    }

    fn flush(&mut self) {
        if self.pos > 0 {
            self.hasher.update(&self.buf[..self.pos]);
            self.pos = 0;
        }
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// The error for an array whose buffers contradict its own metadata.
pub(super) fn malformed(path: &str, what: &str) -> HashError {
    HashError::Arrow(ArrowError::InvalidArgumentError(format!(
        "malformed array at column path '{path}': {what}"
    )))
}

/// Decodes dictionary arrays (repeatedly, for nested dictionaries) to their values (§5);
/// `None` when `array` is not a dictionary.
pub(crate) fn decode_dictionary(array: &dyn Array) -> Result<Option<ArrayRef>> {
    let Some(dict) = array.as_any_dictionary_opt() else {
        return Ok(None);
    };
    let options = TakeOptions { check_bounds: true };
    let mut decoded = take(dict.values().as_ref(), dict.keys(), Some(options.clone()))?;
    while let Some(inner) = decoded.as_any_dictionary_opt() {
        decoded = take(inner.values().as_ref(), inner.keys(), Some(options.clone()))?;
    }
    Ok(Some(decoded))
}

/// `valid(A) AND M` (§8.4); `None` means "all live".
pub(super) fn and_validity(
    array: &dyn Array,
    mask: Option<&BooleanBuffer>,
) -> Option<BooleanBuffer> {
    let own = array
        .nulls()
        .filter(|n| n.null_count() > 0)
        .map(|n| n.inner());
    match (own, mask) {
        (None, None) => None,
        (Some(n), None) => Some(n.clone()),
        (None, Some(m)) => Some(m.clone()),
        (Some(n), Some(m)) => Some(n & m),
    }
}

/// Calls `f` for each maximal run of live positions inside `seg` (all of it when `w` is `None`).
#[inline]
pub(super) fn for_each_live_run(
    w: Option<&BooleanBuffer>,
    seg: &Range<usize>,
    mut f: impl FnMut(Range<usize>) -> Result<()>,
) -> Result<()> {
    match w {
        None => f(seg.clone()),
        Some(w) => {
            let runs = BitSliceIterator::new(w.values(), w.offset() + seg.start, seg.len());
            for (a, b) in runs {
                f(seg.start + a..seg.start + b)?;
            }
            Ok(())
        }
    }
}

/// Appends one validity bit per position of every segment (1 when live under `w`).
pub(super) fn append_validity(
    v: &mut BitVec,
    w: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
    path: &str,
) -> Result<()> {
    for seg in segs {
        match w {
            None => v.append_ones(seg.len()),
            Some(w) => {
                if !v.append_range(w, seg.start, seg.len()) {
                    return Err(malformed(path, "validity shorter than the array"));
                }
            }
        }
    }
    Ok(())
}

/// Mutable state of one visit: the entries being fed and the scratch space.
pub(crate) struct Cx<'a> {
    pub(crate) entries: &'a mut EntryMap,
    pub(crate) scratch: &'a mut Scratch,
}

/// `Visit(T, nullable, A, p, M)` over every row of `array`, without a mask.
pub(crate) fn visit_all(
    cx: &mut Cx<'_>,
    array: &dyn Array,
    nullable: bool,
    path: &str,
) -> Result<()> {
    let rows = 0..array.len();
    visit(cx, array, nullable, path, None, std::slice::from_ref(&rows))
}

/// `Visit(T, nullable, A, p, M)` restricted to the rows in `segs` (sorted, disjoint ranges of
/// `array`). `mask`, when present, has one bit per row of `array`.
pub(crate) fn visit(
    cx: &mut Cx<'_>,
    array: &dyn Array,
    nullable: bool,
    path: &str,
    mask: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
) -> Result<()> {
    let (Some(first), Some(last)) = (segs.first(), segs.last()) else {
        return Ok(());
    };
    let (lo, hi) = (first.start, last.end);
    if lo > hi || hi > array.len() || mask.is_some_and(|m| m.len() != array.len()) {
        return Err(malformed(path, "child rows out of range"));
    }
    if lo == 0 && hi == array.len() {
        return visit_window(cx, array, nullable, path, mask, segs);
    }
    // Rebase onto the span of the segments so that dictionary decoding and mask arithmetic
    // only touch the rows that matter.
    let window = array.slice(lo, hi - lo);
    let mask = mask.map(|m| m.slice(lo, hi - lo));
    let segs: Vec<Range<usize>> = segs
        .iter()
        .map(|r| r.start.saturating_sub(lo)..r.end.saturating_sub(lo))
        .collect();
    visit_window(cx, window.as_ref(), nullable, path, mask.as_ref(), &segs)
}

fn visit_window(
    cx: &mut Cx<'_>,
    array: &dyn Array,
    nullable: bool,
    path: &str,
    mask: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
) -> Result<()> {
    if let Some(decoded) = decode_dictionary(array)? {
        return visit_window(cx, decoded.as_ref(), nullable, path, mask, segs);
    }
    match array.data_type() {
        DataType::List(e) => match array.as_list_opt::<i32>() {
            Some(list) => visit_list(cx, list, e, nullable, path, mask, segs),
            None => Err(malformed(path, "not a list array")),
        },
        DataType::LargeList(e) => match array.as_list_opt::<i64>() {
            Some(list) => visit_list(cx, list, e, nullable, path, mask, segs),
            None => Err(malformed(path, "not a large list array")),
        },
        DataType::Struct(_) => match array.as_struct_opt() {
            Some(st) => visit_struct(cx, st, nullable, path, mask, segs),
            None => Err(malformed(path, "not a struct array")),
        },
        _ => super::leaf::leaf(cx, array, path, mask, segs),
    }
}

/// §8.4 step 1: validity at `p`, lengths to the S of `p/`, element values below `p/`.
fn visit_list<O: OffsetSizeTrait>(
    cx: &mut Cx<'_>,
    list: &GenericListArray<O>,
    elem: &FieldRef,
    nullable: bool,
    path: &str,
    mask: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
) -> Result<()> {
    let w = and_validity(list, mask);
    if nullable && let Some(v) = cx.entries.get_mut(path).and_then(|e| e.v.as_mut()) {
        append_validity(v, w.as_ref(), segs, path)?;
    }
    let q = format!("{path}/");
    let has_s = cx.entries.get(&q).is_some_and(|e| e.s.is_some());
    let coalesce = !contains_boolean(elem.data_type());
    let offsets = list.value_offsets();
    let values = list.values();

    let mut lengths: Vec<u8> = Vec::new();
    let mut child: Vec<Range<usize>> = Vec::new();
    let mut rows_pending = 0usize;
    for seg in segs {
        for_each_live_run(w.as_ref(), seg, |run| {
            for i in run {
                let (Some(a), Some(b)) = (offsets.get(i), offsets.get(i + 1)) else {
                    return Err(malformed(path, "list offsets shorter than the array"));
                };
                let (a, b) = (a.as_usize(), b.as_usize());
                if b < a {
                    return Err(malformed(path, "decreasing list offsets"));
                }
                if has_s {
                    lengths.extend_from_slice(&((b - a) as u64).to_le_bytes());
                }
                if b > a {
                    match child.last_mut() {
                        Some(prev) if coalesce && prev.end == a => prev.end = b,
                        _ => child.push(a..b),
                    }
                }
                rows_pending += 1;
                if rows_pending >= LIST_CHUNK_ROWS {
                    flush_list_chunk(cx, &q, &mut lengths, values, elem, &mut child)?;
                    rows_pending = 0;
                }
            }
            Ok(())
        })?;
    }
    flush_list_chunk(cx, &q, &mut lengths, values, elem, &mut child)
}

/// Feeds pending list lengths to the S of `q` and visits the pending child segments.
fn flush_list_chunk(
    cx: &mut Cx<'_>,
    q: &str,
    lengths: &mut Vec<u8>,
    values: &ArrayRef,
    elem: &FieldRef,
    child: &mut Vec<Range<usize>>,
) -> Result<()> {
    if !lengths.is_empty() {
        if let Some(s) = cx.entries.get_mut(q).and_then(|e| e.s.as_mut()) {
            s.update(&lengths[..]);
        }
        lengths.clear();
    }
    if !child.is_empty() {
        // List children are visited without a mask: null rows were skipped already.
        visit(cx, values.as_ref(), elem.is_nullable(), q, None, child)?;
        child.clear();
    }
    Ok(())
}

/// §8.4 step 2: a struct has no entry; its children inherit its validity when it is nullable.
fn visit_struct(
    cx: &mut Cx<'_>,
    st: &StructArray,
    nullable: bool,
    path: &str,
    mask: Option<&BooleanBuffer>,
    segs: &[Range<usize>],
) -> Result<()> {
    let child_mask = if nullable {
        and_validity(st, mask)
    } else {
        mask.cloned()
    };
    let mut children: Vec<(&FieldRef, &ArrayRef)> = st.fields().iter().zip(st.columns()).collect();
    children.sort_by(|a, b| a.0.name().cmp(b.0.name()));
    for (field, column) in children {
        if column.len() != st.len() {
            return Err(malformed(path, "struct child length differs"));
        }
        visit(
            cx,
            column.as_ref(),
            field.is_nullable(),
            &join_path(path, field.name()),
            child_mask.as_ref(),
            segs,
        )?;
    }
    Ok(())
}
