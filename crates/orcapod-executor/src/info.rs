//! What a packet function *is*: name, version, type id, schemas, uri and identity.

use std::fmt;

use orcapod_datagram::Schema;
use orcapod_hash::semantic::Identity;
use orcapod_hash::{ContentHash, DataContext};

use crate::error::{ExecutorError, Result};
use crate::version::Version;

/// Number of hex digits of the implementation hash placed in the uri's name component.
pub const IMPLEMENTATION_HASH_CHARS: usize = 16;

/// The four strings that identify a packet function:
/// `(name component, output schema hash, "v{major}", type id)`.
///
/// Rendered with [`Display`](fmt::Display) joined by `:`, which is the prefix of the source
/// info of every value the function computes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FunctionUri {
    name: String,
    output_schema_hash: String,
    version: String,
    type_id: String,
}

impl FunctionUri {
    /// A uri from its four components (for stand-ins of functions loaded from saved
    /// pipelines; normal functions get theirs from [`FunctionInfo`]).
    ///
    /// ```
    /// let uri = orcapod_executor::FunctionUri::from_components("f", "semantic_v0.1:00", "v0", "rust.function.v0");
    /// assert_eq!(uri.to_string(), "f:semantic_v0.1:00:v0:rust.function.v0");
    /// ```
    pub fn from_components(
        name: impl Into<String>,
        output_schema_hash: impl Into<String>,
        version: impl Into<String>,
        type_id: impl Into<String>,
    ) -> Self {
        FunctionUri {
            name: name.into(),
            output_schema_hash: output_schema_hash.into(),
            version: version.into(),
            type_id: type_id.into(),
        }
    }

    /// The uri's components in order.
    pub fn components(&self) -> [&str; 4] {
        [
            &self.name,
            &self.output_schema_hash,
            &self.version,
            &self.type_id,
        ]
    }

    /// The components as owned strings (store paths use them as path segments).
    pub fn to_vec(&self) -> Vec<String> {
        self.components().iter().map(|s| s.to_string()).collect()
    }

    /// The identity structure: a tuple of the four strings.
    pub fn identity(&self) -> Identity {
        Identity::tuple(self.components().iter().map(|s| Identity::str(*s)))
    }
}

impl fmt::Display for FunctionUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.components().join(":"))
    }
}

/// Metadata of a packet function, with its derived uri and identity.
///
/// # Identity rule
///
/// * `uri = (name component, output schema hash, "v{major}", type id)`, as in orcapod-python;
///   the minor version, the input schema and the executor never enter identity.
/// * The **name component** is the canonical name, except when the function carries an
///   *implementation hash* (the [`packet_function!`](crate::packet_function) macro computes one
///   from the function's source tokens) **and** its version is not pinned: then it is
///   `"{name}@{first 16 hex digits of the implementation hash}"`, so editing the body gives a
///   new identity (and new cache/store paths).
/// * Pinning a version ([`with_pinned_version`](Self::with_pinned_version), the macro's
///   `#[version = "…"]`) keeps the plain name: the author then promises that same name, outputs
///   and major version mean the same computation, and bumps the major version otherwise.
/// * Content hash = pipeline hash = semantic hash of the uri tuple.
///
/// ```
/// use orcapod_datagram::{DataType, Field, Schema};
/// use orcapod_executor::FunctionInfo;
/// let out = Schema::new(vec![Field::new("z", DataType::Int)]);
/// let input = Schema::new(vec![Field::new("x", DataType::Int)]);
/// let info = FunctionInfo::new("add_one", "python.function.v0", input, out).unwrap();
/// assert_eq!(info.uri().components()[0], "add_one");
/// assert!(info.uri().components()[1].starts_with("semantic_v0.1:63bb8e77"));
/// let edited = info.clone().with_implementation_source("fn add_one(x) { x + 1 }");
/// assert!(edited.uri().components()[0].starts_with("add_one@"));
/// let pinned = edited.with_pinned_version("v0.0").unwrap();
/// assert_eq!(pinned.content_hash(), info.content_hash());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionInfo {
    name: String,
    version: Version,
    pinned: bool,
    type_id: String,
    input_schema: Schema,
    optional_inputs: Vec<String>,
    output_schema: Schema,
    implementation_hash: Option<ContentHash>,
    output_schema_hash: ContentHash,
    uri: FunctionUri,
    content_hash: ContentHash,
}

impl FunctionInfo {
    /// Metadata for a function with the default version `v0.0`.
    ///
    /// Errors when the name is empty or contains `:`, when a column name repeats or starts
    /// with `_` (reserved for hidden columns).
    pub fn new(
        name: impl Into<String>,
        type_id: impl Into<String>,
        input_schema: Schema,
        output_schema: Schema,
    ) -> Result<FunctionInfo> {
        let name = name.into();
        let invalid = |reason: String| ExecutorError::InvalidFunction {
            function: name.clone(),
            reason,
        };
        if name.is_empty() || name.contains(':') {
            return Err(invalid(
                "the name must be non-empty and must not contain ':'".into(),
            ));
        }
        for (what, schema) in [("input", &input_schema), ("output", &output_schema)] {
            let mut seen = std::collections::HashSet::new();
            for f in schema.fields() {
                if !seen.insert(f.name.as_str()) {
                    return Err(invalid(format!("duplicate {what} column '{}'", f.name)));
                }
                if f.name.is_empty() || f.name.starts_with('_') {
                    return Err(invalid(format!(
                        "{what} column '{}' is empty or starts with '_' (reserved for hidden columns)",
                        f.name
                    )));
                }
            }
        }
        let hasher = DataContext::default_context().semantic_hasher();
        let output_schema_hash = output_schema.hash(hasher)?;
        let mut info = FunctionInfo {
            name,
            version: Version::default(),
            pinned: false,
            type_id: type_id.into(),
            input_schema,
            optional_inputs: Vec::new(),
            output_schema,
            implementation_hash: None,
            output_schema_hash,
            uri: FunctionUri {
                name: String::new(),
                output_schema_hash: String::new(),
                version: String::new(),
                type_id: String::new(),
            },
            content_hash: ContentHash::new("none", Vec::<u8>::new()),
        };
        info.recompute()?;
        Ok(info)
    }

    fn recompute(&mut self) -> Result<()> {
        let name = match (&self.implementation_hash, self.pinned) {
            (Some(h), false) => {
                format!("{}@{}", self.name, &h.to_hex()[..IMPLEMENTATION_HASH_CHARS])
            }
            _ => self.name.clone(),
        };
        self.uri = FunctionUri {
            name,
            output_schema_hash: self.output_schema_hash.to_string(),
            version: self.version.uri_component(),
            type_id: self.type_id.clone(),
        };
        let hasher = DataContext::default_context().semantic_hasher();
        self.content_hash = hasher.hash(&self.uri.identity())?;
        Ok(())
    }

    /// Set the version (not pinned: an implementation hash still enters the uri).
    pub fn with_version(mut self, version: &str) -> Result<Self> {
        self.version = Version::parse(version)?;
        self.recompute()?;
        Ok(self)
    }

    /// Set and pin the version: the implementation hash no longer enters the uri.
    pub fn with_pinned_version(mut self, version: &str) -> Result<Self> {
        self.version = Version::parse(version)?;
        self.pinned = true;
        self.recompute()?;
        Ok(self)
    }

    /// Replace the packet-function type id (e.g. `"python.function.v0"` to reproduce
    /// orcapod-python identities).
    pub fn with_type_id(mut self, type_id: impl Into<String>) -> Self {
        self.type_id = type_id.into();
        self.recompute()
            .expect("hashing a tuple of strings cannot fail");
        self
    }

    /// Mark input columns as optional (the stream may omit them; the function then uses a
    /// default). Every name must be an input column.
    pub fn with_optional_inputs(mut self, names: &[&str]) -> Result<Self> {
        for n in names {
            if !self.input_schema.contains(n) {
                return Err(ExecutorError::InvalidFunction {
                    function: self.name.clone(),
                    reason: format!("optional input '{n}' is not an input column"),
                });
            }
            if !self.optional_inputs.iter().any(|o| o == n) {
                self.optional_inputs.push(n.to_string());
            }
        }
        Ok(self)
    }

    /// Attach the implementation hash of `source`: the semantic hash of
    /// `("rust.source", <source with whitespace runs collapsed to one space>)`.
    ///
    /// Comments are not seen by `stringify!`, and formatting changes are normalised away, so
    /// only token changes alter the hash. A toolchain whose `stringify!` spacing differs could
    /// change it too: pin a version for identities that must outlive toolchain upgrades.
    pub fn with_implementation_source(self, source: &str) -> Self {
        let normalized = source.split_whitespace().collect::<Vec<_>>().join(" ");
        let hasher = DataContext::default_context().semantic_hasher();
        let hash = hasher
            .hash(&Identity::tuple([
                Identity::str("rust.source"),
                Identity::str(normalized),
            ]))
            .expect("hashing a tuple of strings cannot fail");
        self.with_implementation_hash(hash)
    }

    /// Attach an explicit implementation hash.
    pub fn with_implementation_hash(mut self, hash: ContentHash) -> Self {
        self.implementation_hash = Some(hash);
        self.recompute()
            .expect("hashing a tuple of strings cannot fail");
        self
    }

    /// Canonical function name (also the default label).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// Major version.
    pub fn major_version(&self) -> u64 {
        self.version.major()
    }

    /// Minor version string.
    pub fn minor_version(&self) -> &str {
        self.version.minor()
    }

    /// Is the version pinned (implementation hash excluded from identity)?
    pub fn is_pinned(&self) -> bool {
        self.pinned
    }

    /// Packet-function type id.
    pub fn type_id(&self) -> &str {
        &self.type_id
    }

    /// Input packet schema.
    pub fn input_schema(&self) -> &Schema {
        &self.input_schema
    }

    /// Input columns that may be absent from the stream.
    pub fn optional_inputs(&self) -> &[String] {
        &self.optional_inputs
    }

    /// Is input column `name` optional?
    pub fn is_optional(&self, name: &str) -> bool {
        self.optional_inputs.iter().any(|o| o == name)
    }

    /// Output packet schema.
    pub fn output_schema(&self) -> &Schema {
        &self.output_schema
    }

    /// Semantic hash of the output schema.
    pub fn output_schema_hash(&self) -> &ContentHash {
        &self.output_schema_hash
    }

    /// The implementation hash, if any (recorded as variation data; in identity unless pinned).
    pub fn implementation_hash(&self) -> Option<&ContentHash> {
        self.implementation_hash.as_ref()
    }

    /// The uri.
    pub fn uri(&self) -> &FunctionUri {
        &self.uri
    }

    /// Content hash (equal to the pipeline hash): semantic hash of the uri tuple.
    pub fn content_hash(&self) -> &ContentHash {
        &self.content_hash
    }
}
