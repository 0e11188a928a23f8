//! The [`Operator`] trait, arity and argument symmetry, and output-stream identities.

use orcapod_datagram::{Stream, StreamIdentity, StreamSchema};
use orcapod_hash::semantic::Identity;
use orcapod_hash::{ContentHash, DataContext};

use crate::error::{OperatorError, Result};

/// How many input streams an operator takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arity {
    /// Exactly one input.
    Unary,
    /// Exactly two inputs.
    Binary,
    /// One or more inputs.
    AtLeastOne,
}

impl Arity {
    /// Does this arity accept `n` inputs?
    pub fn accepts(self, n: usize) -> bool {
        match self {
            Arity::Unary => n == 1,
            Arity::Binary => n == 2,
            Arity::AtLeastOne => n >= 1,
        }
    }

    /// Human-readable form used in errors.
    pub fn describe(self) -> &'static str {
        match self {
            Arity::Unary => "exactly 1",
            Arity::Binary => "exactly 2",
            Arity::AtLeastOne => "at least 1",
        }
    }
}

/// How the identities of an operator's inputs combine (orcapod-python's `argument_symmetry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgumentSymmetry {
    /// Input order does not matter: the inputs' hashes form a set (`frozenset`).
    Commutative,
    /// Input order matters: the inputs' hashes form a tuple (unary operators: a 1-tuple).
    Ordered,
}

impl ArgumentSymmetry {
    /// The identity structure of a list of input hashes under this symmetry.
    pub fn combine(self, hashes: &[&ContentHash]) -> Identity {
        let items = hashes.iter().map(|h| Identity::Hash((*h).clone()));
        match self {
            ArgumentSymmetry::Commutative => Identity::set(items),
            ArgumentSymmetry::Ordered => Identity::tuple(items),
        }
    }
}

/// A structural stream operator: restructures streams without creating new values.
///
/// Every operator has an identity (hashed exactly like orcapod-python 0.1.4 hashes its
/// `identity_structure()`), an arity, an argument symmetry, can *predict* its output schema
/// from its inputs' schemas without computing, and can compute its output.
///
/// The output stream's identities follow orcapod-python's `DynamicPodStream`:
/// `content = hash((operator, symmetry(input content hashes)))` and
/// `pipeline = hash((operator, symmetry(input pipeline hashes)))`, where the operator
/// contributes its content-hash token (an operator's pipeline hash equals its content hash).
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_operator::{Join, Operator};
///
/// let a = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
///     SourceOptions::new(["id"]).source_id("A"))?;
/// let b = Source::from_rows(rows![{"id" => 1, "y" => 100}, {"id" => 3, "y" => 300}],
///     SourceOptions::new(["id"]).source_id("B"))?;
/// let join = Join::new();
/// assert_eq!(join.content_hash()?.to_hex(),
///     "295ca9336dc1935b209d140b0b4cdda1d61024372adfee6f4b746781972e4e83");
/// let out = join.process(&[a.stream().clone(), b.stream().clone()])?;
/// assert_eq!(out.pipeline_hash().to_hex(),
///     "1004643e1b59c5af687cd994184cd066f6db0275cd96ebf6ee3c61dd54f9fec4");
/// // The prediction matches the computed output, hidden columns included.
/// let predicted = join.output_schema(&[a.stream().schema(), b.stream().schema()])?;
/// assert_eq!(predicted, out.schema());
/// # Ok::<(), orcapod_operator::OperatorError>(())
/// ```
pub trait Operator: Send + Sync + std::fmt::Debug {
    /// The class name used in the identity structure and the URI (orcapod-python 0.1.4 names:
    /// `"Join"`, `"MapData"`, `"SelectDataColumns"`, ...).
    fn identity_name(&self) -> &'static str;

    /// The identity structure (orcapod-python `identity_structure()`).
    fn identity(&self) -> Identity;

    /// How many inputs the operator takes.
    fn arity(&self) -> Arity;

    /// How input identities combine.
    fn symmetry(&self) -> ArgumentSymmetry;

    /// Predict the output schema (every column role, system-tag names and types included) from
    /// the input schemas, validating the inputs. Fails exactly when [`process`](Self::process)
    /// would fail validation.
    fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema>;

    /// Compute the output stream.
    fn process(&self, inputs: &[Stream]) -> Result<Stream>;

    /// Semantic hash of [`identity`](Self::identity). Fails only for identities that cannot be
    /// hashed canonically (a NaN or infinite float literal in a filter).
    fn content_hash(&self) -> Result<ContentHash> {
        Ok(DataContext::default_context()
            .semantic_hasher()
            .hash(&self.identity())?)
    }

    /// The operator URI: `(identity_name, content hash hex)`, as orcapod-python's `uri`.
    fn uri(&self) -> Result<(String, String)> {
        Ok((
            self.identity_name().to_string(),
            self.content_hash()?.to_hex(),
        ))
    }

    /// Combine input hashes (content or pipeline) into the output stream's hash.
    fn output_hash(&self, input_hashes: &[&ContentHash]) -> Result<ContentHash> {
        let op = self.content_hash()?;
        let structure =
            Identity::tuple([Identity::Hash(op), self.symmetry().combine(input_hashes)]);
        Ok(DataContext::default_context()
            .semantic_hasher()
            .hash(&structure)?)
    }

    /// The identities of the output stream for these inputs.
    fn output_identity(&self, inputs: &[&StreamIdentity]) -> Result<StreamIdentity> {
        let contents: Vec<&ContentHash> = inputs.iter().map(|i| &i.content_hash).collect();
        let pipelines: Vec<&ContentHash> = inputs.iter().map(|i| &i.pipeline_hash).collect();
        Ok(StreamIdentity {
            content_hash: self.output_hash(&contents)?,
            pipeline_hash: self.output_hash(&pipelines)?,
        })
    }
}

/// Fail with [`OperatorError::WrongInputCount`] unless `op` accepts `n` inputs.
pub(crate) fn check_arity(op: &dyn Operator, n: usize) -> Result<()> {
    let arity = op.arity();
    if arity.accepts(n) {
        Ok(())
    } else {
        Err(OperatorError::WrongInputCount {
            operator: op.identity_name(),
            expected: arity.describe(),
            got: n,
        })
    }
}

/// Output identity for concrete streams.
pub(crate) fn identity_for(op: &dyn Operator, inputs: &[Stream]) -> Result<StreamIdentity> {
    let ids: Vec<&StreamIdentity> = inputs.iter().map(Stream::identity).collect();
    op.output_identity(&ids)
}

/// Output pipeline hash predicted from input schemas.
pub(crate) fn pipeline_for(op: &dyn Operator, inputs: &[StreamSchema]) -> Result<ContentHash> {
    let hashes: Vec<&ContentHash> = inputs.iter().map(|s| &s.pipeline_hash).collect();
    op.output_hash(&hashes)
}
