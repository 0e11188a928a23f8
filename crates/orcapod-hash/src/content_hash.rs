//! [`ContentHash`]: a hashing-method id plus raw digest bytes, with every rendering orcapod uses.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use crate::{HashError, Result};

/// A content hash: the id of the method that produced it plus the raw digest bytes.
///
/// The method id (for example `semantic_v0.1`, `arrow_v0.1` or `sha256`) is part of the
/// identity: two hashes with equal digests but different methods are different hashes.
///
/// Renderings (all reproduce orcapod-python's `ContentHash`):
///
/// | rendering | method |
/// |---|---|
/// | `method:hex` | [`Display`](fmt::Display) / [`FromStr`] |
/// | lowercase hex | [`to_hex`](Self::to_hex), [`to_hex_prefix`](Self::to_hex_prefix), [`from_hex`](Self::from_hex) |
/// | unsigned big-endian integer, decimal | [`to_decimal_string`](Self::to_decimal_string), [`from_decimal_string`](Self::from_decimal_string) |
/// | UUIDv5 (OID namespace, of the hex) | [`to_uuid`](Self::to_uuid) |
/// | standard base64 of the digest | [`to_base64`](Self::to_base64), [`from_base64`](Self::from_base64) |
/// | `method` ASCII + `:` + raw digest | [`to_prefixed_digest`](Self::to_prefixed_digest) |
/// | `method:hex[..n]` | [`display_name`](Self::display_name) |
///
/// ```
/// use orcapod_hash::ContentHash;
///
/// let h = ContentHash::new("m", vec![0x00, 0xff, 0x10]);
/// assert_eq!(h.to_hex(), "00ff10");
/// assert_eq!(h.to_string(), "m:00ff10");
/// assert_eq!(h.to_decimal_string(), "65296");
/// assert_eq!(h.to_uuid().to_string(), "e7737e25-a824-577d-8f5f-07eee3db302b");
/// assert_eq!(h.to_base64(), "AP8Q");
/// assert_eq!("m:00ff10".parse::<ContentHash>().unwrap(), h);
/// ```
#[derive(
    Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize,
)]
pub struct ContentHash {
    method: String,
    digest: Vec<u8>,
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Lowercase hex of `bytes`.
fn hex_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(HEX_DIGITS[usize::from(b >> 4)]));
        out.push(char::from(HEX_DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn invalid(input: &str, reason: impl Into<String>) -> HashError {
    HashError::InvalidHashString {
        input: input.to_owned(),
        reason: reason.into(),
    }
}

/// Decodes hex (either case); `input` is the full string reported in errors.
fn hex_decode(hex: &str, input: &str) -> Result<Vec<u8>> {
    let bytes = hex.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(invalid(
            input,
            format!("hex digest has odd length {}", bytes.len()),
        ));
    }
    bytes
        .chunks_exact(2)
        .enumerate()
        .map(|(i, pair)| match (hex_value(pair[0]), hex_value(pair[1])) {
            (Some(hi), Some(lo)) => Ok((hi << 4) | lo),
            _ => Err(invalid(
                input,
                format!("invalid hex digit near position {}", 2 * i),
            )),
        })
        .collect()
}

/// Base of the little-endian limbs used for decimal conversion (10^9 fits a `u32`).
const LIMB_BASE: u64 = 1_000_000_000;

impl ContentHash {
    /// Creates a hash from a method id and digest bytes.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// let h = ContentHash::new("sha256", [1u8, 2, 3]);
    /// assert_eq!(h.method(), "sha256");
    /// assert_eq!(h.digest(), &[1, 2, 3]);
    /// ```
    pub fn new(method: impl Into<String>, digest: impl Into<Vec<u8>>) -> Self {
        Self {
            method: method.into(),
            digest: digest.into(),
        }
    }

    /// The id of the method that produced this hash (`semantic_v0.1`, `arrow_v0.1`, `sha256`...).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The raw digest bytes.
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// The full digest as lowercase hex.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.digest)
    }

    /// The lowercase hex digest truncated to its first `n` characters.
    ///
    /// `None` and `Some(0)` both mean the full digest (orcapod 0.1.4 semantics: `to_hex(n)`
    /// truncates only when `n` is truthy); an `n` longer than the hex is the full hex.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// let h = ContentHash::new("m", [0x00, 0xff, 0x10]);
    /// assert_eq!(h.to_hex_prefix(Some(3)), "00f");
    /// assert_eq!(h.to_hex_prefix(Some(0)), "00ff10");
    /// assert_eq!(h.to_hex_prefix(None), "00ff10");
    /// ```
    pub fn to_hex_prefix(&self, n: Option<usize>) -> String {
        let mut hex = self.to_hex();
        if let Some(n) = n.filter(|&n| n > 0) {
            hex.truncate(n);
        }
        hex
    }

    /// The digest read as an unsigned big-endian integer, in decimal (Python `to_int()`).
    ///
    /// An empty digest renders as `"0"`.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// assert_eq!(ContentHash::new("m", [0x01, 0x00]).to_decimal_string(), "256");
    /// ```
    pub fn to_decimal_string(&self) -> String {
        // Little-endian limbs in base 10^9; each input byte multiplies by 256 and adds.
        let mut limbs: Vec<u32> = Vec::with_capacity(self.digest.len() / 3 + 1);
        for &byte in &self.digest {
            let mut carry = u64::from(byte);
            for limb in &mut limbs {
                let v = u64::from(*limb) * 256 + carry;
                *limb = u32::try_from(v % LIMB_BASE).unwrap_or(0);
                carry = v / LIMB_BASE;
            }
            while carry > 0 {
                limbs.push(u32::try_from(carry % LIMB_BASE).unwrap_or(0));
                carry /= LIMB_BASE;
            }
        }
        let Some((most, rest)) = limbs.split_last() else {
            return "0".to_owned();
        };
        let mut out = most.to_string();
        for limb in rest.iter().rev() {
            out.push_str(&format!("{limb:09}"));
        }
        out
    }

    /// Parses the decimal rendering of [`to_decimal_string`](Self::to_decimal_string) back
    /// into a digest of exactly `digest_len` bytes (the integer loses leading zero bytes, so
    /// the length must be supplied).
    ///
    /// Errors with [`HashError::InvalidHashString`] for an empty string, a non-digit, or a
    /// value that does not fit in `digest_len` bytes.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// let h = ContentHash::from_decimal_string("m", "65296", 3).unwrap();
    /// assert_eq!(h.digest(), &[0x00, 0xff, 0x10]);
    /// assert!(ContentHash::from_decimal_string("m", "65296", 1).is_err());
    /// ```
    pub fn from_decimal_string(method: &str, s: &str, digest_len: usize) -> Result<Self> {
        if s.is_empty() {
            return Err(invalid(s, "empty decimal string"));
        }
        // Big-endian bytes, multiplied by 10 and added to per digit.
        let mut digest = vec![0u8; digest_len];
        for (i, c) in s.bytes().enumerate() {
            if !c.is_ascii_digit() {
                return Err(invalid(s, format!("non-digit character at position {i}")));
            }
            let mut carry = u32::from(c - b'0');
            for byte in digest.iter_mut().rev() {
                let v = u32::from(*byte) * 10 + carry;
                *byte = u8::try_from(v & 0xff).unwrap_or(0);
                carry = v >> 8;
            }
            if carry != 0 {
                return Err(invalid(
                    s,
                    format!("value does not fit in {digest_len} bytes"),
                ));
            }
        }
        Ok(Self::new(method, digest))
    }

    /// UUIDv5 in the OID namespace of the full lowercase hex (Python `to_uuid()`).
    pub fn to_uuid(&self) -> uuid::Uuid {
        uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, self.to_hex().as_bytes())
    }

    /// Standard (padded) base64 of the digest.
    pub fn to_base64(&self) -> String {
        BASE64.encode(&self.digest)
    }

    /// Parses standard (padded) base64 into a digest with the given method.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// let h = ContentHash::from_base64("m", "AP8Q").unwrap();
    /// assert_eq!(h.to_hex(), "00ff10");
    /// ```
    pub fn from_base64(method: &str, s: &str) -> Result<Self> {
        let digest = BASE64
            .decode(s)
            .map_err(|e| invalid(s, format!("invalid base64: {e}")))?;
        Ok(Self::new(method, digest))
    }

    /// Parses a hex digest (either case; even length) into a hash with the given method.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// assert_eq!(ContentHash::from_hex("m", "00FF10").unwrap().to_hex(), "00ff10");
    /// assert!(ContentHash::from_hex("m", "abc").is_err());
    /// ```
    pub fn from_hex(method: &str, hex: &str) -> Result<Self> {
        Ok(Self::new(method, hex_decode(hex, hex)?))
    }

    /// The method's ASCII bytes, a `:` and the raw digest: the binary database-key form
    /// (orcapod 0.1.4 `to_prefixed_digest()`), e.g. `b"arrow_v0.1:" + 35 bytes`.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// let h = ContentHash::new("m", [0xff]);
    /// assert_eq!(h.to_prefixed_digest(), b"m:\xff".to_vec());
    /// ```
    pub fn to_prefixed_digest(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.method.len() + 1 + self.digest.len());
        out.extend_from_slice(self.method.as_bytes());
        out.push(b':');
        out.extend_from_slice(&self.digest);
        out
    }

    /// A short label `method:hex[..n]` for logs and UIs.
    ///
    /// ```
    /// # use orcapod_hash::ContentHash;
    /// let h = ContentHash::new("m", [0x00, 0xff, 0x10]);
    /// assert_eq!(h.display_name(4), "m:00ff");
    /// ```
    pub fn display_name(&self, n: usize) -> String {
        let mut hex = self.to_hex();
        hex.truncate(n);
        format!("{}:{hex}", self.method)
    }
}

impl fmt::Display for ContentHash {
    /// `method:hex`, e.g. `semantic_v0.1:73475cb4…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.method, self.to_hex())
    }
}

impl FromStr for ContentHash {
    type Err = HashError;

    /// Parses `method:hex`, splitting at the **first** `:` (so methods containing a colon,
    /// such as `path:sha256`, do not round-trip; neither does orcapod-python's).
    fn from_str(s: &str) -> Result<Self> {
        let Some((method, hex)) = s.split_once(':') else {
            return Err(invalid(s, "missing ':' between method and hex digest"));
        };
        if method.is_empty() {
            return Err(invalid(s, "empty method"));
        }
        Ok(Self::new(method, hex_decode(hex, s)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_renderings() {
        let h = ContentHash::new("m", vec![0x00, 0xff, 0x10]);
        assert_eq!(h.to_hex(), "00ff10");
        assert_eq!(h.to_decimal_string(), "65296");
        assert_eq!(
            h.to_uuid().to_string(),
            "e7737e25-a824-577d-8f5f-07eee3db302b"
        );
        assert_eq!(h.to_base64(), "AP8Q");
        assert_eq!(h.to_string(), "m:00ff10");
        assert_eq!(h.display_name(2), "m:00");
        assert_eq!(h.display_name(100), "m:00ff10");
    }

    #[test]
    fn decimal_of_large_digest() {
        let h = ContentHash::new("m", vec![0xff; 32]);
        // 2^256 - 1
        assert_eq!(
            h.to_decimal_string(),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935"
        );
        let back = ContentHash::from_decimal_string("m", &h.to_decimal_string(), 32).unwrap();
        assert_eq!(back, h);
        assert!(ContentHash::from_decimal_string("m", "", 4).is_err());
        assert!(ContentHash::from_decimal_string("m", "12a", 4).is_err());
        assert!(ContentHash::from_decimal_string("m", "256", 1).is_err());
        assert_eq!(
            ContentHash::from_decimal_string("m", "255", 1)
                .unwrap()
                .digest(),
            &[255]
        );
        assert_eq!(ContentHash::new("m", vec![]).to_decimal_string(), "0");
        assert_eq!(ContentHash::new("m", vec![0, 0]).to_decimal_string(), "0");
    }

    #[test]
    fn parse_errors() {
        for bad in ["", "nocolon", ":00", "m:0", "m:zz", "m:0g"] {
            let err = bad.parse::<ContentHash>().unwrap_err();
            assert!(
                matches!(err, HashError::InvalidHashString { ref input, .. } if input == bad),
                "{bad}: {err}"
            );
        }
        // Split at the first colon.
        let err = "path:sha256:00".parse::<ContentHash>().unwrap_err();
        assert!(matches!(err, HashError::InvalidHashString { .. }));
        assert!(ContentHash::from_base64("m", "!!").is_err());
    }
}
