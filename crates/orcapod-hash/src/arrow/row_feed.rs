//! The per-row walk over a compiled plan (`row_plan`), following §8.4 literally: `Visit` of
//! the row's range, one `Leaf` call per visited range, a fresh `Visit` without mask per live
//! list row. Because `Leaf` is called exactly as for the 1-row table, boolean packing (quirk
//! Q1) matches too; everything else only depends on the concatenated bytes.

use std::ops::Range;

use arrow_array::OffsetSizeTrait;
use arrow_buffer::{ArrowNativeType, BooleanBuffer};
use sha2::{Digest, Sha256};

use super::entries::Entry;
use super::row_plan::{Kind, Node, Values};
use super::visit::{for_each_live_run, malformed};
use crate::Result;

/// Per-thread state of the walk: the entries of the row being hashed, the digests already
/// known for this row, the memos of row-level leaves and a bit scratch.
pub(super) struct RowState {
    entries: Vec<Entry>,
    /// Per entry: its D digest for the current row when a memo supplied it (D then unused).
    ready: Vec<Option<[u8; 32]>>,
    memos: Vec<Memo>,
    bits: Vec<u8>,
}

impl RowState {
    pub(super) fn new(template: &[Entry]) -> Self {
        Self {
            entries: template.to_vec(),
            ready: vec![None; template.len()],
            memos: (0..template.len()).map(|_| Memo::default()).collect(),
            bits: Vec::new(),
        }
    }

    /// Finishes the row (§8.6): every entry in path order after `prefix` (the hasher that has
    /// absorbed the schema digest), leaving the entries empty for the next row.
    pub(super) fn finish(&mut self, prefix: &Sha256) -> [u8; 32] {
        let mut f = prefix.clone();
        for (entry, ready) in self.entries.iter_mut().zip(&mut self.ready) {
            if let Some(v) = entry.v.as_mut() {
                f.update((v.len() as u64).to_le_bytes());
                f.update(v.as_bytes());
                v.clear();
            }
            if let Some(s) = entry.s.as_mut() {
                f.update(s.finalize_reset());
            }
            match ready.take() {
                Some(digest) => f.update(digest),
                None => {
                    if let Some(d) = entry.d.as_mut() {
                        f.update(d.finalize_reset());
                    }
                }
            }
        }
        f.finalize().into()
    }
}

/// The D digest of a row-level leaf for the last value it saw. Columns such as a node hash or
/// a source tag repeat the same value on every row; their digest is then computed once.
#[derive(Default)]
struct Memo {
    cached: bool,
    /// Whether the cached digest is that of a null (nothing fed).
    null: bool,
    value: Vec<u8>,
    digest: [u8; 32],
}

impl Memo {
    /// The D digest of one row whose only `Leaf` input is `value` (`None` for a null).
    fn digest(&mut self, values: &Values, value: Option<&[u8]>) -> [u8; 32] {
        let hit = self.cached
            && match value {
                None => self.null,
                Some(v) => !self.null && self.value == v,
            };
        if !hit {
            let mut d = Sha256::new();
            if let Some(v) = value {
                if matches!(values, Values::Bytes32 { .. } | Values::Bytes64 { .. }) {
                    d.update((v.len() as u64).to_le_bytes());
                }
                d.update(v);
            }
            self.digest = d.finalize().into();
            self.cached = true;
            self.null = value.is_none();
            self.value.clear();
            self.value.extend_from_slice(value.unwrap_or_default());
        }
        self.digest
    }
}

/// The one packed byte a single live boolean feeds (quirk Q1), by value.
static BOOL_BYTES: [[u8; 1]; 2] = [[0], [1]];

/// The bytes element `i` of a leaf feeds to D (without the length prefix of strings).
fn element<'a>(values: &'a Values, i: usize, path: &str) -> Result<&'a [u8]> {
    let found = match values {
        Values::Fixed { bytes, base, width } => {
            let from = (base + i).checked_mul(*width);
            let to = (base + i + 1).checked_mul(*width);
            from.zip(to).and_then(|(a, b)| bytes.get(a..b))
        }
        Values::Bytes32 { offsets, data } => offsets
            .get(i..i + 2)
            .and_then(|o| data.get(o[0].as_usize()..o[1].as_usize())),
        Values::Bytes64 { offsets, data } => offsets
            .get(i..i + 2)
            .and_then(|o| data.get(o[0].as_usize()..o[1].as_usize())),
        Values::Bool(b) => (i < b.len()).then(|| BOOL_BYTES[usize::from(b.value(i))].as_slice()),
    };
    found.ok_or_else(|| malformed(path, "value buffers shorter than the array"))
}

/// `Visit` of row `row` of a top-level node: like [`feed`] over `row..row + 1`, except that a
/// leaf (fed once per row, never from inside a list) takes its D digest from its memo.
pub(super) fn feed_row(node: &Node, row: usize, state: &mut RowState) -> Result<()> {
    let Kind::Leaf {
        slot: Some(slot),
        values,
    } = &node.kind
    else {
        return feed(node, row..row + 1, state);
    };
    if row >= node.len {
        return Err(malformed(&node.path, "row out of range"));
    }
    let live = node.live.as_ref().is_none_or(|w| w.value(row));
    let (Some(entry), Some(ready), Some(memo)) = (
        state.entries.get_mut(*slot),
        state.ready.get_mut(*slot),
        state.memos.get_mut(*slot),
    ) else {
        return Ok(());
    };
    if let Some(v) = entry.v.as_mut() {
        v.append_word(u64::from(live), 1);
    }
    if entry.d.is_some() {
        let value = if live {
            Some(element(values, row, &node.path)?)
        } else {
            None
        };
        *ready = Some(memo.digest(values, value));
    }
    Ok(())
}

/// Calls `f` for each run of live positions of `rows`; a single row needs no bit iterator.
#[inline]
fn each_live_run(
    live: Option<&BooleanBuffer>,
    rows: &Range<usize>,
    mut f: impl FnMut(Range<usize>) -> Result<()>,
) -> Result<()> {
    match live {
        None => f(rows.clone()),
        Some(w) if rows.len() == 1 => {
            if w.value(rows.start) {
                f(rows.clone())
            } else {
                Ok(())
            }
        }
        Some(w) => for_each_live_run(Some(w), rows, f),
    }
}

/// Appends one validity bit per position of `rows` (1 when live).
#[inline]
fn append_bits(
    entry: &mut Entry,
    live: Option<&BooleanBuffer>,
    rows: &Range<usize>,
    path: &str,
) -> Result<()> {
    let Some(v) = entry.v.as_mut() else {
        return Ok(());
    };
    match live {
        None => v.append_ones(rows.len()),
        Some(w) if rows.len() == 1 => v.append_word(u64::from(w.value(rows.start)), 1),
        Some(w) => {
            if !v.append_range(w, rows.start, rows.len()) {
                return Err(malformed(path, "validity shorter than the array"));
            }
        }
    }
    Ok(())
}

/// `Visit` of positions `rows` of `node` (§8.4), feeding `state`.
fn feed(node: &Node, rows: Range<usize>, state: &mut RowState) -> Result<()> {
    if rows.start > rows.end || rows.end > node.len {
        return Err(malformed(&node.path, "child rows out of range"));
    }
    let live = node.live.as_ref();
    match &node.kind {
        Kind::Leaf { slot, values } => {
            let Some(entry) = slot.and_then(|s| state.entries.get_mut(s)) else {
                return Ok(());
            };
            append_bits(entry, live, &rows, &node.path)?;
            let Some(d) = entry.d.as_mut() else {
                return Ok(());
            };
            feed_leaf(d, &mut state.bits, values, live, &rows, &node.path)
        }
        Kind::List {
            v_slot,
            s_slot,
            offsets,
            children,
        } => {
            if let Some(entry) = v_slot.and_then(|s| state.entries.get_mut(s)) {
                append_bits(entry, live, &rows, &node.path)?;
            }
            each_live_run(live, &rows, |run| {
                for i in run {
                    let Some(child) = offsets.range(i) else {
                        return Err(malformed(&node.path, "bad list offsets"));
                    };
                    if let Some(s) = s_slot
                        .and_then(|s| state.entries.get_mut(s))
                        .and_then(|e| e.s.as_mut())
                    {
                        s.update((child.len() as u64).to_le_bytes());
                    }
                    // Null rows were skipped above; empty rows have no `Leaf` call (nothing to
                    // feed, and no boolean packing boundary either).
                    if !child.is_empty() {
                        for c in children {
                            feed(c, child.clone(), state)?;
                        }
                    }
                }
                Ok(())
            })
        }
    }
}

/// `Leaf` data of §8.5 for the live positions of `rows`.
fn feed_leaf(
    d: &mut Sha256,
    bits: &mut Vec<u8>,
    values: &Values,
    live: Option<&BooleanBuffer>,
    rows: &Range<usize>,
    path: &str,
) -> Result<()> {
    match values {
        Values::Fixed { bytes, base, width } => each_live_run(live, rows, |run| {
            let from = (base + run.start).checked_mul(*width);
            let to = (base + run.end).checked_mul(*width);
            match from.zip(to).and_then(|(a, b)| bytes.get(a..b)) {
                Some(slice) => {
                    d.update(slice);
                    Ok(())
                }
                None => Err(malformed(path, "value buffer shorter than the array")),
            }
        }),
        Values::Bytes32 { offsets, data } => {
            each_live_run(live, rows, |run| feed_bytes(d, offsets, data, run, path))
        }
        Values::Bytes64 { offsets, data } => {
            each_live_run(live, rows, |run| feed_bytes(d, offsets, data, run, path))
        }
        Values::Bool(values) => {
            // Quirk Q1: the live values of this `Leaf` call packed LSB-first, fed at once.
            bits.clear();
            let mut n = 0usize;
            each_live_run(live, rows, |run| {
                if run.end > values.len() {
                    return Err(malformed(path, "boolean values shorter than the array"));
                }
                for i in run {
                    if n.is_multiple_of(8) {
                        bits.push(0);
                    }
                    if values.value(i)
                        && let Some(last) = bits.last_mut()
                    {
                        *last |= 1 << (n % 8);
                    }
                    n += 1;
                }
                Ok(())
            })?;
            if n > 0 {
                d.update(&bits[..]);
            }
            Ok(())
        }
    }
}

/// `u64le(len) ‖ bytes` for each element of `run`.
#[inline]
fn feed_bytes<O: OffsetSizeTrait>(
    d: &mut Sha256,
    offsets: &[O],
    data: &[u8],
    run: Range<usize>,
    path: &str,
) -> Result<()> {
    let Some(offs) = offsets.get(run.start..run.end + 1) else {
        return Err(malformed(path, "offsets shorter than the array"));
    };
    for pair in offs.windows(2) {
        let (a, b) = (pair[0].as_usize(), pair[1].as_usize());
        let Some(value) = data.get(a..b) else {
            return Err(malformed(path, "offsets outside the value buffer"));
        };
        d.update((value.len() as u64).to_le_bytes());
        d.update(value);
    }
    Ok(())
}
