//! The semantic (object) hasher, method id `semantic_v0.1`.
//!
//! An element's identity is described by an [`Identity`] tree (the Rust counterpart of a
//! Python `identity_structure()`), which [`SemanticHasher`] turns into a [`ContentHash`]
//! byte-for-byte like orcapod-python's semantic hasher:
//!
//! 1. a top-level [`Identity::Hash`] is returned unchanged (terminal);
//! 2. a top-level [`Identity::Bytes`] hashes like its lowercase hex string (the Python
//!    `bytes` handler);
//! 3. everything else is *expanded* into a JSON tree and hashed as SHA-256 of its canonical
//!    JSON text (Python `json.dumps(x, sort_keys=True, separators=(",", ":"),
//!    ensure_ascii=False)` encoded as UTF-8).
//!
//! Expansion of containers:
//!
//! | [`Identity`] | JSON |
//! |---|---|
//! | `List` | `[...]` |
//! | `Tuple` | `{"__type__":"tuple","items":[...]}` |
//! | `Set` | `{"__type__":"set","items":[...]}`, items deduplicated and sorted by Python `str()` |
//! | `Map` | `{...}` with keys sorted by code point |
//! | nested `Hash` | the string `"method:hex"` (an opaque token; the inner structure never leaks) |
//! | nested `Bytes` | the string token of the hash of its hex string (Python hashes a nested non-container element separately and embeds its token) |
//!
//! Python type annotations hash through *type tokens*: [`SemanticHasher::type_token`] for
//! a class, [`union_identity`] for `X | Y` / `Optional[X]` and [`generic_alias_identity`]
//! for `list[int]`-style aliases. A `Schema` (a mapping of column name to type) hashes as a
//! [`Identity::Map`] of column name to [`Identity::Hash`] of the type token.
//!
//! ```
//! use orcapod_hash::semantic::{Identity, SemanticHasher};
//!
//! let h = SemanticHasher::new();
//! let int = h.type_token("builtins", "int");
//! // Pipeline hash of a source with tag schema {id: int} and packet schema {x: int}.
//! let schemas = Identity::Tuple(vec![
//!     Identity::map([("id", Identity::Hash(int.clone()))]),
//!     Identity::map([("x", Identity::Hash(int))]),
//! ]);
//! assert_eq!(
//!     h.hash(&schemas).unwrap().to_hex(),
//!     "52eb0af767041c72432dda0c9e996a2d35aaf46f9ce5e42beb77b24c7133d4ae"
//! );
//! ```

mod pyrepr;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest, Sha256};

use crate::{ContentHash, HashError, Result};

/// The method id of every hash produced by [`SemanticHasher`].
pub const SEMANTIC_METHOD: &str = "semantic_v0.1";

/// An identity structure: what an element hashes.
///
/// The variants mirror the Python values orcapod's semantic hasher understands. Nested
/// identifiable objects (streams, operators, sources...) appear as [`Identity::Hash`] of
/// their own content or pipeline hash, never as their inner structure.
#[derive(Clone, Debug, PartialEq)]
pub enum Identity {
    /// Python `None`; JSON `null`.
    Null,
    /// Python `bool`; JSON `true`/`false`.
    Bool(bool),
    /// Python `int`; JSON decimal integer.
    Int(i64),
    /// Python `float`; JSON number rendered like Python `repr` (`1.0`, `1e-05`, `1e+16`).
    /// NaN and infinities are rejected with [`HashError::NonCanonicalValue`].
    Float(f64),
    /// Python `str`; JSON string (raw UTF-8, Python escaping).
    Str(String),
    /// Python `list`; JSON array.
    List(Vec<Identity>),
    /// Python `tuple`; `{"__type__":"tuple","items":[...]}`.
    Tuple(Vec<Identity>),
    /// Python `set`/`frozenset`; `{"__type__":"set","items":[...]}`.
    ///
    /// Items equal under Python equality (`1 == 1.0 == True`, equal hashes, equal
    /// tuples...) are collapsed to the first occurrence, as building a Python set from the
    /// items in order would. The remaining items are sorted by Python `str()` of their
    /// expanded form (strings raw, numbers as Python prints them, `True`/`False`/`None`,
    /// containers by Python `repr` of the expanded JSON tree: `{'__type__': 'tuple',
    /// 'items': [1, 'a']}`); ties, which Python leaves to set iteration order, are broken
    /// by canonical JSON so the result is deterministic. Python cannot put lists or dicts
    /// in a set; here they are accepted and ordered the same way.
    Set(Vec<Identity>),
    /// Python `dict`/`Mapping` with string keys; JSON object with keys sorted by code
    /// point. A repeated key keeps its last value (Python dict semantics).
    Map(Vec<(String, Identity)>),
    /// A nested identifiable object: contributes its `method:hex` token inside
    /// containers; at the top level it is returned unchanged by [`SemanticHasher::hash`].
    Hash(ContentHash),
    /// Python `bytes`: hashed like its lowercase hex string (at the top level); nested in a
    /// container it contributes the token of that hash.
    Bytes(Vec<u8>),
}

impl Identity {
    /// A string value.
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    /// A map from `(key, value)` pairs (any order; keys are sorted when hashing).
    ///
    /// ```
    /// # use orcapod_hash::semantic::Identity;
    /// let m = Identity::map([("b", Identity::Int(2)), ("a", Identity::Int(1))]);
    /// assert!(matches!(m, Identity::Map(ref kv) if kv.len() == 2));
    /// ```
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Identity)>) -> Self {
        Self::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A tuple of the given items.
    pub fn tuple(items: impl IntoIterator<Item = Identity>) -> Self {
        Self::Tuple(items.into_iter().collect())
    }

    /// A list of the given items.
    pub fn list(items: impl IntoIterator<Item = Identity>) -> Self {
        Self::List(items.into_iter().collect())
    }

    /// A set of the given items.
    pub fn set(items: impl IntoIterator<Item = Identity>) -> Self {
        Self::Set(items.into_iter().collect())
    }
}

impl From<bool> for Identity {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<i64> for Identity {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<f64> for Identity {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}

impl From<&str> for Identity {
    fn from(v: &str) -> Self {
        Self::Str(v.to_owned())
    }
}

impl From<String> for Identity {
    fn from(v: String) -> Self {
        Self::Str(v)
    }
}

impl From<ContentHash> for Identity {
    fn from(v: ContentHash) -> Self {
        Self::Hash(v)
    }
}

impl<T: Into<Identity>> From<Option<T>> for Identity {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// The semantic (object) hasher of data context `std:v0.1:default` (method `semantic_v0.1`).
///
/// ```
/// use orcapod_hash::semantic::{Identity, SemanticHasher};
///
/// let h = SemanticHasher::new();
/// let v = Identity::tuple([Identity::str("x"), Identity::Int(1)]);
/// assert_eq!(h.canonical_json(&v).unwrap(), r#"{"__type__":"tuple","items":["x",1]}"#);
/// assert_eq!(
///     h.hash(&v).unwrap().to_hex(),
///     "d602d626f85569bd1ae24de4accf37bc9fc92c58313ed96b582490a4233dec0e"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct SemanticHasher {
    method: &'static str,
}

impl Default for SemanticHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl SemanticHasher {
    /// The `semantic_v0.1` hasher.
    pub fn new() -> Self {
        Self {
            method: SEMANTIC_METHOD,
        }
    }

    /// The method id stamped on every hash (`semantic_v0.1`).
    pub fn method(&self) -> &str {
        self.method
    }

    /// Hashes an identity structure.
    ///
    /// A top-level [`Identity::Hash`] is returned unchanged (terminal); a top-level
    /// [`Identity::Bytes`] hashes like its lowercase hex string; everything else is the
    /// SHA-256 of [`canonical_json`](Self::canonical_json).
    ///
    /// Errors with [`HashError::NonCanonicalValue`] when the structure contains a NaN or
    /// infinite float (Python would emit non-standard `NaN`/`Infinity` tokens).
    ///
    /// ```
    /// # use orcapod_hash::semantic::{Identity, SemanticHasher};
    /// let h = SemanticHasher::new();
    /// assert_eq!(
    ///     h.hash(&Identity::Bytes(b"hello".to_vec())).unwrap(),
    ///     h.hash_str("68656c6c6f"),
    /// );
    /// let token = h.hash_str("anything");
    /// assert_eq!(h.hash(&Identity::Hash(token.clone())).unwrap(), token);
    /// assert!(h.hash(&Identity::Float(f64::NAN)).is_err());
    /// ```
    pub fn hash(&self, value: &Identity) -> Result<ContentHash> {
        match value {
            Identity::Hash(h) => Ok(h.clone()),
            Identity::Bytes(b) => Ok(self.hash_str(&hex(b))),
            other => Ok(self.digest_json(&self.canonical_json(other)?)),
        }
    }

    /// The canonical JSON text of `value`: exactly the text [`hash`](Self::hash) digests
    /// (for a top-level [`Identity::Bytes`], the JSON string of its hex). For a top-level
    /// [`Identity::Hash`], which `hash` returns unchanged, this is the JSON string of its
    /// token, i.e. the text it contributes when nested.
    ///
    /// ```
    /// # use orcapod_hash::semantic::{Identity, SemanticHasher};
    /// let h = SemanticHasher::new();
    /// let v = Identity::map([
    ///     ("b", Identity::Float(1e-5)),
    ///     ("a", Identity::set([Identity::str("é\n"), Identity::Null])),
    /// ]);
    /// assert_eq!(
    ///     h.canonical_json(&v).unwrap(),
    ///     "{\"a\":{\"__type__\":\"set\",\"items\":[null,\"é\\n\"]},\"b\":1e-05}"
    /// );
    /// ```
    pub fn canonical_json(&self, value: &Identity) -> Result<String> {
        let expanded = match value {
            Identity::Bytes(b) => Expanded::Str(hex(b)),
            other => self.expand(other)?,
        };
        let mut out = String::new();
        write_json(&expanded, &mut out);
        Ok(out)
    }

    /// The token of a Python class: the hash of the string `"type:{module}.{qualname}"`.
    ///
    /// ```
    /// # use orcapod_hash::semantic::SemanticHasher;
    /// let h = SemanticHasher::new();
    /// assert_eq!(
    ///     h.type_token("builtins", "int").to_hex(),
    ///     "24be397c58c33686e96b4f85a9f443fd2483564ec7dee1c14b96da3e60ec16ac"
    /// );
    /// ```
    pub fn type_token(&self, module: &str, qualname: &str) -> ContentHash {
        self.hash_str(&format!("type:{module}.{qualname}"))
    }

    /// The hash of a string value (infallible shorthand for `hash(&Identity::Str(..))`).
    pub fn hash_str(&self, s: &str) -> ContentHash {
        let mut json = String::with_capacity(s.len() + 2);
        write_json_str(s, &mut json);
        self.digest_json(&json)
    }

    fn digest_json(&self, json: &str) -> ContentHash {
        ContentHash::new(self.method, Sha256::digest(json.as_bytes()).to_vec())
    }

    /// Expands an identity into the JSON tree Python's hasher would serialise.
    fn expand(&self, value: &Identity) -> Result<Expanded> {
        Ok(match value {
            Identity::Null => Expanded::Null,
            Identity::Bool(b) => Expanded::Bool(*b),
            Identity::Int(i) => Expanded::Int(*i),
            Identity::Float(f) => {
                if !f.is_finite() {
                    return Err(HashError::NonCanonicalValue(format!(
                        "float {f} has no portable JSON form"
                    )));
                }
                Expanded::Float(*f)
            }
            Identity::Str(s) => Expanded::Str(s.clone()),
            Identity::Hash(h) => Expanded::Str(h.to_string()),
            Identity::Bytes(b) => Expanded::Str(self.hash_str(&hex(b)).to_string()),
            Identity::List(items) => Expanded::Array(self.expand_all(items)?),
            Identity::Tuple(items) => tagged("tuple", self.expand_all(items)?),
            Identity::Set(items) => {
                let mut unique: Vec<&Identity> = Vec::with_capacity(items.len());
                for item in items {
                    if !unique.iter().any(|u| py_eq(u, item)) {
                        unique.push(item);
                    }
                }
                let mut keyed = unique
                    .into_iter()
                    .map(|item| {
                        let e = self.expand(item)?;
                        let mut key = String::new();
                        py_str(&e, &mut key);
                        let mut json = String::new();
                        write_json(&e, &mut json);
                        Ok((key, json, e))
                    })
                    .collect::<Result<Vec<_>>>()?;
                keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
                tagged("set", keyed.into_iter().map(|(_, _, e)| e).collect())
            }
            Identity::Map(entries) => {
                let mut sorted = BTreeMap::new();
                for (k, v) in entries {
                    sorted.insert(k.clone(), self.expand(v)?);
                }
                Expanded::Object(sorted.into_iter().collect())
            }
        })
    }

    fn expand_all(&self, items: &[Identity]) -> Result<Vec<Expanded>> {
        items.iter().map(|i| self.expand(i)).collect()
    }
}

/// `{"__type__":"union","args":[...]}` with the argument tokens sorted: the identity of a
/// Python union annotation (`X | Y`, `typing.Union`, `Optional[X]`), order-insensitive.
///
/// ```
/// use orcapod_hash::semantic::{union_identity, SemanticHasher};
///
/// let h = SemanticHasher::new();
/// let int_or_none = union_identity(vec![
///     h.type_token("builtins", "NoneType"),
///     h.type_token("builtins", "int"),
/// ]);
/// assert_eq!(
///     h.hash(&int_or_none).unwrap().to_hex(),
///     "91bc2bd8f4f083d6cbf6157350e693dd52b0bc06c57b7719db8581712098cd73"
/// );
/// ```
pub fn union_identity(mut arg_tokens: Vec<ContentHash>) -> Identity {
    arg_tokens.sort_by_cached_key(ToString::to_string);
    Identity::Map(vec![
        ("__type__".to_owned(), Identity::str("union")),
        (
            "args".to_owned(),
            Identity::List(arg_tokens.into_iter().map(Identity::Hash).collect()),
        ),
    ])
}

/// `{"__type__":"generic_alias","origin":<token>,"args":[<tokens>]}`: the identity of a
/// parameterised Python generic such as `list[int]` (origin = the token of `list`).
///
/// ```
/// use orcapod_hash::semantic::{generic_alias_identity, SemanticHasher};
///
/// let h = SemanticHasher::new();
/// let list_of_int = generic_alias_identity(
///     h.type_token("builtins", "list"),
///     vec![h.type_token("builtins", "int")],
/// );
/// assert_eq!(
///     h.hash(&list_of_int).unwrap().to_hex(),
///     "5c376e29b0cfebd85277c71c07c9996afaf06fab35f81681b82f705c9feafa3e"
/// );
/// ```
pub fn generic_alias_identity(origin: ContentHash, args: Vec<ContentHash>) -> Identity {
    Identity::Map(vec![
        ("__type__".to_owned(), Identity::str("generic_alias")),
        ("origin".to_owned(), Identity::Hash(origin)),
        (
            "args".to_owned(),
            Identity::List(args.into_iter().map(Identity::Hash).collect()),
        ),
    ])
}

/// The expanded JSON tree. Object keys are kept sorted (which is also Python's insertion
/// order for every object the hasher builds, so `repr` renders them in this order).
#[derive(Debug)]
enum Expanded {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Expanded>),
    Object(Vec<(String, Expanded)>),
}

fn tagged(kind: &str, items: Vec<Expanded>) -> Expanded {
    Expanded::Object(vec![
        ("__type__".to_owned(), Expanded::Str(kind.to_owned())),
        ("items".to_owned(), Expanded::Array(items)),
    ])
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Writes `s` as a JSON string the way Python's `json.dumps(..., ensure_ascii=False)` does.
fn write_json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(value: &Expanded, out: &mut String) {
    match value {
        Expanded::Null => out.push_str("null"),
        Expanded::Bool(true) => out.push_str("true"),
        Expanded::Bool(false) => out.push_str("false"),
        Expanded::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Expanded::Float(f) => out.push_str(&pyrepr::float_repr(*f)),
        Expanded::Str(s) => write_json_str(s, out),
        Expanded::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Expanded::Object(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_str(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

/// Python `str()` of an expanded value (strings raw, everything else like `repr`).
fn py_str(value: &Expanded, out: &mut String) {
    match value {
        Expanded::Str(s) => out.push_str(s),
        other => py_repr(other, out),
    }
}

/// Python `repr()` of an expanded value.
fn py_repr(value: &Expanded, out: &mut String) {
    match value {
        Expanded::Null => out.push_str("None"),
        Expanded::Bool(true) => out.push_str("True"),
        Expanded::Bool(false) => out.push_str("False"),
        Expanded::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Expanded::Float(f) => out.push_str(&pyrepr::float_repr(*f)),
        Expanded::Str(s) => pyrepr::str_repr(s, out),
        Expanded::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                py_repr(item, out);
            }
            out.push(']');
        }
        Expanded::Object(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                pyrepr::str_repr(k, out);
                out.push_str(": ");
                py_repr(v, out);
            }
            out.push('}');
        }
    }
}

/// A numeric view for Python's cross-type numeric equality (`True == 1 == 1.0`).
enum Num {
    Int(i64),
    Float(f64),
}

fn as_num(v: &Identity) -> Option<Num> {
    match v {
        Identity::Bool(b) => Some(Num::Int(i64::from(*b))),
        Identity::Int(i) => Some(Num::Int(*i)),
        Identity::Float(f) => Some(Num::Float(*f)),
        _ => None,
    }
}

fn num_eq(a: &Num, b: &Num) -> bool {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x == y,
        (Num::Float(x), Num::Float(y)) => x == y,
        (Num::Int(i), Num::Float(f)) | (Num::Float(f), Num::Int(i)) => {
            // Exact comparison: an i64 beyond 2^53 may not be representable as f64.
            f.fract() == 0.0 && f.abs() < 9.3e18 && (*f as i128) == i128::from(*i)
        }
    }
}

/// Python `==` between the values the identities stand for (used to deduplicate sets).
fn py_eq(a: &Identity, b: &Identity) -> bool {
    match (as_num(a), as_num(b)) {
        (Some(x), Some(y)) => return num_eq(&x, &y),
        (Some(_), None) | (None, Some(_)) => return false,
        (None, None) => {}
    }
    match (a, b) {
        (Identity::Null, Identity::Null) => true,
        (Identity::Str(x), Identity::Str(y)) => x == y,
        (Identity::Bytes(x), Identity::Bytes(y)) => x == y,
        (Identity::Hash(x), Identity::Hash(y)) => x == y,
        (Identity::List(x), Identity::List(y)) | (Identity::Tuple(x), Identity::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q))
        }
        (Identity::Set(x), Identity::Set(y)) => {
            x.iter().all(|p| y.iter().any(|q| py_eq(p, q)))
                && y.iter().all(|q| x.iter().any(|p| py_eq(p, q)))
        }
        (Identity::Map(x), Identity::Map(y)) => {
            let last_wins = |m: &[(String, Identity)]| -> BTreeMap<String, Identity> {
                m.iter().cloned().collect()
            };
            let (x, y) = (last_wins(x), last_wins(y));
            x.len() == y.len()
                && x.iter()
                    .zip(&y)
                    .all(|((kx, vx), (ky, vy))| kx == ky && py_eq(vx, vy))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: &Identity) -> String {
        SemanticHasher::new().canonical_json(v).unwrap()
    }

    #[test]
    fn json_escapes_like_python() {
        assert_eq!(
            json(&Identity::str(
                "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é\u{2028}"
            )),
            "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\u{7f}é\u{2028}\""
        );
    }

    #[test]
    fn primitives() {
        assert_eq!(json(&Identity::Null), "null");
        assert_eq!(json(&Identity::Bool(true)), "true");
        assert_eq!(json(&Identity::Int(-7)), "-7");
        assert_eq!(json(&Identity::Float(1.0)), "1.0");
        assert_eq!(json(&Identity::Float(1e16)), "1e+16");
        assert_eq!(json(&Identity::List(vec![])), "[]");
        assert_eq!(json(&Identity::Map(vec![])), "{}");
    }

    #[test]
    fn non_finite_floats_rejected() {
        let h = SemanticHasher::new();
        for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let nested = Identity::List(vec![Identity::Float(f)]);
            assert!(matches!(
                h.hash(&nested),
                Err(HashError::NonCanonicalValue(_))
            ));
        }
    }

    #[test]
    fn map_keys_sorted_by_code_point_last_wins() {
        let m = Identity::map([
            ("é", Identity::Int(1)),
            ("Z", Identity::Int(2)),
            ("a", Identity::Int(3)),
            ("Z", Identity::Int(4)),
        ]);
        assert_eq!(json(&m), "{\"Z\":4,\"a\":3,\"é\":1}");
    }

    #[test]
    fn set_sorted_by_python_str() {
        // str(): "10" < "9" < "None" < "True" < "a" ; tuples render as "{'__type__': ...".
        let s = Identity::set([
            Identity::str("a"),
            Identity::Int(9),
            Identity::Int(10),
            Identity::Null,
            Identity::Bool(true),
            Identity::tuple([Identity::Int(1)]),
        ]);
        assert_eq!(
            json(&s),
            "{\"__type__\":\"set\",\"items\":[10,9,null,true,\"a\",\
             {\"__type__\":\"tuple\",\"items\":[1]}]}"
        );
    }

    #[test]
    fn set_deduplicates_python_equal_items() {
        let h = SemanticHasher::new();
        let tok = h.hash_str("x");
        let s = Identity::set([
            Identity::Int(1),
            Identity::Float(1.0),
            Identity::Bool(true),
            Identity::Hash(tok.clone()),
            Identity::Hash(tok),
            Identity::tuple([Identity::Int(2)]),
            Identity::tuple([Identity::Float(2.0)]),
        ]);
        let Identity::Set(ref items) = s else {
            unreachable!()
        };
        let expected = Identity::Set(vec![items[0].clone(), items[3].clone(), items[5].clone()]);
        assert_eq!(json(&s), json(&expected));
    }

    #[test]
    fn nested_bytes_embed_a_token() {
        let h = SemanticHasher::new();
        let token = h.hash_str("68656c6c6f").to_string();
        assert_eq!(
            json(&Identity::List(vec![Identity::Bytes(b"hello".to_vec())])),
            format!("[\"{token}\"]")
        );
        assert_eq!(json(&Identity::Bytes(b"hello".to_vec())), "\"68656c6c6f\"");
    }
}
