//! Context and identity for orcapod.
//!
//! Every cache key, provenance token and store path in orcapod derives from the hashes computed
//! here, so this crate is deliberately small, dependency-light and exact:
//!
//! * [`ContentHash`]: a method id plus digest bytes, rendered as hex, integer, UUID, base64 or
//!   `method:hex`, and parsed back.
//! * [`arrow`]: a hasher for Arrow schemas, record batches, multi-batch tables and single arrays
//!   that is bit-identical to starfix 0.4 (the hasher orcapod-python uses), so data identities
//!   match across languages.
//! * [`semantic`]: the semantic (object) hasher for identity structures: nested maps, lists,
//!   tuples, sets, numbers, strings and nested hashes, through canonical JSON and SHA-256.
//! * [`file`](mod@file): content hashing of files, so that path-typed values are identified by what they
//!   contain, not where they live.
//! * [`DataContext`]: a versioned bundle naming the hasher versions (`std:v0.1:default`).
//!
//! ```
//! use orcapod_hash::{DataContext, semantic::Identity};
//!
//! let ctx = DataContext::default_context();
//! assert_eq!(ctx.key(), "std:v0.1:default");
//! // The semantic hash of the integer 42, identical to orcapod-python's.
//! let h = ctx.semantic_hasher().hash(&Identity::Int(42)).unwrap();
//! assert_eq!(
//!     h.to_string(),
//!     "semantic_v0.1:73475cb40a568e8da8a045ced110137e159f890ac4da883b6b17dc651b3a8049"
//! );
//! ```

pub mod arrow;
mod content_hash;
mod context;
mod error;
pub mod file;
pub mod semantic;

pub use content_hash::ContentHash;
pub use context::{ArrowHasher, DataContext};
pub use error::{HashError, Result};
