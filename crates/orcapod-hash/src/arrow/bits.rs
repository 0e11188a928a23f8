//! A growable LSB-first bit list (spec §2), used for validity components and for packing
//! boolean values, with word-at-a-time appends from Arrow bitmaps.

use arrow_buffer::BooleanBuffer;
use arrow_buffer::bit_chunk_iterator::BitChunks;

/// Bits packed LSB-first; the unused high bits of the last byte are always zero.
#[derive(Debug, Default, Clone)]
pub(crate) struct BitVec {
    bytes: Vec<u8>,
    len: usize,
}

impl BitVec {
    /// Number of bits.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The packed bytes, `ceil(len / 8)` of them.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Removes every bit, keeping the allocation.
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.len = 0;
    }

    /// Appends the low `n` bits of `bits` (`n <= 64`).
    #[inline]
    pub(crate) fn append_word(&mut self, bits: u64, n: usize) {
        if n == 0 {
            return;
        }
        let bits = if n >= 64 {
            bits
        } else {
            bits & ((1u64 << n) - 1)
        };
        let n = n.min(64);
        let used = self.len % 8;
        if used == 0 {
            self.bytes
                .extend_from_slice(&bits.to_le_bytes()[..n.div_ceil(8)]);
        } else {
            if let Some(last) = self.bytes.last_mut() {
                *last |= (bits << used) as u8;
            }
            let consumed = 8 - used;
            if n > consumed {
                let rest = bits >> consumed;
                self.bytes
                    .extend_from_slice(&rest.to_le_bytes()[..(n - consumed).div_ceil(8)]);
            }
        }
        self.len += n;
    }

    /// Appends `n` one bits.
    pub(crate) fn append_ones(&mut self, mut n: usize) {
        let used = self.len % 8;
        if used != 0 && n > 0 {
            let take = n.min(8 - used);
            self.append_word(u64::MAX, take);
            n -= take;
        }
        // Now byte aligned (or nothing left).
        let full = n / 8;
        self.bytes.resize(self.bytes.len() + full, 0xff);
        self.len += full * 8;
        self.append_word(u64::MAX, n % 8);
    }

    /// Appends bits `start..start + len` of `buf`; returns `false` (appending nothing) when the
    /// range is out of bounds.
    pub(crate) fn append_range(&mut self, buf: &BooleanBuffer, start: usize, len: usize) -> bool {
        let Some(end) = start.checked_add(len) else {
            return false;
        };
        if end > buf.len() {
            return false;
        }
        if len == 0 {
            return true;
        }
        let bit_offset = buf.offset() + start;
        let values = buf.values();
        if self.len.is_multiple_of(8) && bit_offset.is_multiple_of(8) {
            let from = bit_offset / 8;
            let Some(src) = values.get(from..from + len.div_ceil(8)) else {
                return false;
            };
            self.bytes.extend_from_slice(src);
            self.len += len;
            if !len.is_multiple_of(8)
                && let Some(last) = self.bytes.last_mut()
            {
                *last &= (1u8 << (len % 8)) - 1;
            }
            return true;
        }
        let chunks = BitChunks::new(values, bit_offset, len);
        self.bytes.reserve(len.div_ceil(8) + 1);
        for word in chunks.iter() {
            self.append_word(word, 64);
        }
        self.append_word(chunks.remainder_bits(), chunks.remainder_len());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bits: &[bool]) -> Vec<u8> {
        let mut out = vec![0u8; bits.len().div_ceil(8)];
        for (i, b) in bits.iter().enumerate() {
            if *b {
                out[i / 8] |= 1 << (i % 8);
            }
        }
        out
    }

    #[test]
    fn appends_agree_with_naive_packing() {
        let pattern: Vec<bool> = (0..300).map(|i| (i * 7 + i / 3) % 5 < 2).collect();
        let buf = BooleanBuffer::from(pattern.clone());
        for prefix in [0usize, 1, 3, 8, 13] {
            for (start, len) in [(0, 300), (1, 70), (5, 64), (8, 16), (9, 0), (130, 170)] {
                let mut v = BitVec::default();
                let mut expected = Vec::new();
                v.append_ones(prefix);
                expected.extend(std::iter::repeat_n(true, prefix));
                assert!(v.append_range(&buf, start, len));
                expected.extend_from_slice(&pattern[start..start + len]);
                v.append_ones(11);
                expected.extend(std::iter::repeat_n(true, 11));
                let sliced = buf.slice(3, 200);
                assert!(v.append_range(&sliced, 2, 100));
                expected.extend_from_slice(&pattern[5..105]);
                assert_eq!(v.len(), expected.len());
                assert_eq!(v.as_bytes(), naive(&expected).as_slice());
            }
        }
    }

    #[test]
    fn out_of_bounds_range_is_rejected() {
        let buf = BooleanBuffer::from(vec![true; 10]);
        let mut v = BitVec::default();
        assert!(!v.append_range(&buf, 5, 6));
        assert!(!v.append_range(&buf, usize::MAX, 2));
        assert_eq!(v.len(), 0);
    }
}
