//! Typed Rust packet functions from closures.

use std::any::Any;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use orcapod_datagram::Schema;

use crate::batch::{BatchOutput, InputBatch, RowFailure};
use crate::column::ColumnType;
use crate::error::{ExecutorError, FailureKind, Result};
use crate::function::{BlockingKind, KindedFunction, PacketFunction, RUST_FUNCTION_TYPE_ID};
use crate::info::FunctionInfo;
use crate::tuples::{DefaultValue, InputTuple, IntoOutputs, OutputTuple, Push, RowFn, RowState};

/// Builds typed packet functions from closures, naming each parameter and output once.
///
/// Parameters map to packet columns by name; their Rust types ([`ColumnType`]) give the input
/// schema, the output types give the output schema. Closures need explicit parameter types.
/// The return value may be:
///
/// * the outputs: `T` for one output, a tuple `(A, B, …)` for several (up to 6);
/// * `Option<outputs>`: `None` **drops the packet** (no output row);
/// * `Result<outputs, E>` / `Result<Option<outputs>, E>`: `Err(e)` fails that packet with
///   `e.to_string()` (a [`PacketError`](crate::PacketError)); other packets still run.
///
/// An `Option<T>` *output type* is a nullable column: returning `None` for it writes a null and
/// keeps the packet, like orcapod-python's `{key: None}` (quirk 8). Only a top-level `None`
/// drops a packet.
///
/// ```
/// use orcapod_executor::{FunctionBuilder, PacketFunction};
/// let scale = FunctionBuilder::new("scale")
///     .input::<f64>("x")
///     .output::<f64>("y")
///     .build(|x: f64| 2.0 * x + 1.0);
/// assert_eq!(scale.input_schema().to_string(), "{x: float}");
/// assert_eq!(scale.output_schema().to_string(), "{y: float}");
///
/// // Several outputs, a default for an optional input, and dropping packets:
/// let split = FunctionBuilder::new("split")
///     .input::<i64>("x")
///     .input_or::<i64>("y", 5)
///     .output::<i64>("sum")
///     .output::<Option<i64>>("ratio")
///     .build(|x: i64, y: i64| if x < 0 { None } else { Some((x + y, (y != 0).then(|| x / y))) });
/// assert_eq!(split.info().optional_inputs(), ["y"]);
/// ```
pub struct FunctionBuilder<In = (), Out = ()> {
    name: String,
    type_id: String,
    version: Option<(String, bool)>,
    input_names: Vec<String>,
    defaults: Vec<DefaultValue>,
    output_names: Vec<String>,
    implementation_source: Option<String>,
    _types: PhantomData<fn(In) -> Out>,
}

impl FunctionBuilder {
    /// A builder for a function called `name` (type id `"rust.function.v0"`, version `v0.0`).
    pub fn new(name: impl Into<String>) -> FunctionBuilder {
        FunctionBuilder {
            name: name.into(),
            type_id: RUST_FUNCTION_TYPE_ID.to_string(),
            version: None,
            input_names: Vec::new(),
            defaults: Vec::new(),
            output_names: Vec::new(),
            implementation_source: None,
            _types: PhantomData,
        }
    }
}

impl<In, Out> FunctionBuilder<In, Out> {
    fn retype<In2, Out2>(self) -> FunctionBuilder<In2, Out2> {
        FunctionBuilder {
            name: self.name,
            type_id: self.type_id,
            version: self.version,
            input_names: self.input_names,
            defaults: self.defaults,
            output_names: self.output_names,
            implementation_source: self.implementation_source,
            _types: PhantomData,
        }
    }

    /// Add a required parameter read from packet column `name`.
    pub fn input<T: ColumnType>(
        mut self,
        name: impl Into<String>,
    ) -> FunctionBuilder<<In as Push<T>>::Output, Out>
    where
        In: Push<T>,
    {
        self.input_names.push(name.into());
        self.defaults.push(None);
        self.retype()
    }

    /// Add an optional parameter: when the stream has no column `name`, `default` is used.
    pub fn input_or<T: ColumnType>(
        mut self,
        name: impl Into<String>,
        default: T,
    ) -> FunctionBuilder<<In as Push<T>>::Output, Out>
    where
        In: Push<T>,
    {
        self.input_names.push(name.into());
        self.defaults
            .push(Some(Arc::new(default) as Arc<dyn Any + Send + Sync>));
        self.retype()
    }

    /// Add an output column.
    pub fn output<T: ColumnType>(
        mut self,
        name: impl Into<String>,
    ) -> FunctionBuilder<In, <Out as Push<T>>::Output>
    where
        Out: Push<T>,
    {
        self.output_names.push(name.into());
        self.retype()
    }

    /// Set the version (`"v1.3"`). Not pinned: an implementation source still enters identity.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some((version.into(), false));
        self
    }

    /// Set and pin the version: identity is then `(name, outputs, major, type id)` only, even
    /// with an implementation source (see [`FunctionInfo`]).
    pub fn pin_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some((version.into(), true));
        self
    }

    /// Override the type id (default `"rust.function.v0"`).
    pub fn type_id(mut self, type_id: impl Into<String>) -> Self {
        self.type_id = type_id.into();
        self
    }

    /// Record the implementation's source text; unless the version is pinned its hash enters
    /// the uri (see [`FunctionInfo`]). [`packet_function!`](crate::packet_function) sets this.
    pub fn implementation_source(mut self, source: impl Into<String>) -> Self {
        self.implementation_source = Some(source.into());
        self
    }

    pub(crate) fn make_info(&self, input: Schema, output: Schema) -> Result<FunctionInfo> {
        let mut info = FunctionInfo::new(self.name.clone(), self.type_id.clone(), input, output)?;
        if let Some(src) = &self.implementation_source {
            info = info.with_implementation_source(src);
        }
        info = match &self.version {
            Some((v, true)) => info.with_pinned_version(v)?,
            Some((v, false)) => info.with_version(v)?,
            None => info,
        };
        let optional: Vec<&str> = self
            .input_names
            .iter()
            .zip(&self.defaults)
            .filter(|(_, d)| d.is_some())
            .map(|(n, _)| n.as_str())
            .collect();
        info.with_optional_inputs(&optional)
    }

    pub(crate) fn type_id_is_default(&self) -> bool {
        self.type_id == RUST_FUNCTION_TYPE_ID
    }

    pub(crate) fn into_parts(self) -> (Vec<String>, Vec<DefaultValue>) {
        (self.input_names, self.defaults)
    }

    pub(crate) fn names(&self) -> (&[String], &[String]) {
        (&self.input_names, &self.output_names)
    }
}

impl<In: InputTuple, Out: OutputTuple> FunctionBuilder<In, Out> {
    /// Build the function; errors on an invalid version or duplicate/reserved column names.
    pub fn try_build<F, R, M>(self, f: F) -> Result<RustFunction>
    where
        F: RowFn<In, R>,
        R: IntoOutputs<Out, M>,
        M: 'static,
    {
        let (inputs, outputs) = self.names();
        let info = self.make_info(
            Schema::new(In::fields(inputs)),
            Schema::new(Out::fields(outputs)),
        )?;
        let (input_names, defaults) = self.into_parts();
        let kernel = TypedKernel::<F, In, Out, R, M> {
            f,
            defaults,
            input_names,
            _types: PhantomData,
        };
        Ok(RustFunction {
            info,
            kernel: Arc::new(kernel),
        })
    }

    /// Build the function.
    ///
    /// # Panics
    ///
    /// On an invalid definition (bad version string, duplicate or `_`-prefixed column names);
    /// use [`try_build`](Self::try_build) to get the error instead.
    pub fn build<F, R, M>(self, f: F) -> RustFunction
    where
        F: RowFn<In, R>,
        R: IntoOutputs<Out, M>,
        M: 'static,
    {
        self.try_build(f)
            .unwrap_or_else(|e| panic!("invalid packet function definition: {e}"))
    }
}

trait Kernel: Send + Sync {
    fn run(&self, input: &InputBatch) -> Result<BatchOutput>;
}

struct TypedKernel<F, In, Out, R, M> {
    f: F,
    defaults: Vec<DefaultValue>,
    input_names: Vec<String>,
    _types: Signature<In, (Out, R, M)>,
}

/// Zero-sized record of a kernel's type parameters.
pub(crate) type Signature<In, Rest> = PhantomData<fn(In) -> Rest>;

/// The message of a panic payload.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_string())
}

pub(crate) fn input_failure(names: &[String], row: usize, (i, msg): (usize, String)) -> RowFailure {
    let column = names.get(i).map_or("?", String::as_str);
    RowFailure {
        row,
        kind: FailureKind::Input,
        message: format!("input column '{column}': {msg}"),
        captured: None,
    }
}

pub(crate) fn bad_columns(names: &[String], (i, msg): (usize, String)) -> ExecutorError {
    let column = names.get(i).map_or("?", String::as_str);
    ExecutorError::InvalidBatch {
        context: format!("input column '{column}'"),
        reason: msg,
    }
}

impl<F, In, Out, R, M> Kernel for TypedKernel<F, In, Out, R, M>
where
    In: InputTuple,
    Out: OutputTuple,
    F: RowFn<In, R>,
    R: IntoOutputs<Out, M>,
    M: 'static,
{
    fn run(&self, input: &InputBatch) -> Result<BatchOutput> {
        let columns =
            In::columns(input, &self.defaults).map_err(|e| bad_columns(&self.input_names, e))?;
        let n = input.num_rows();
        let mut builders = Out::builders(n);
        let mut dropped = Vec::new();
        let mut failures = Vec::new();
        let mut row = 0;
        // One unwind guard per run of rows, not per row: after a panic the loop resumes at the
        // next row. A panic can only happen inside the user function, before that row's outputs
        // are appended, so the builders stay aligned with the rows.
        while row < n {
            let run = catch_unwind(AssertUnwindSafe(|| {
                while row < n {
                    match In::read(&columns, row) {
                        Ok(args) => match self.f.call(args).write(&mut builders) {
                            RowState::Ok => {}
                            RowState::Dropped => dropped.push(row),
                            RowState::Failed(message) => failures.push(RowFailure {
                                row,
                                kind: FailureKind::Error,
                                message,
                                captured: None,
                            }),
                        },
                        Err(e) => {
                            Out::append_nulls(&mut builders);
                            failures.push(input_failure(&self.input_names, row, e));
                        }
                    }
                    row += 1;
                }
            }));
            if let Err(payload) = run {
                Out::append_nulls(&mut builders);
                failures.push(RowFailure {
                    row,
                    kind: FailureKind::Panic,
                    message: panic_message(payload.as_ref()),
                    captured: None,
                });
                row += 1;
            }
        }
        let mut out = BatchOutput::new(Out::finish(builders), n);
        dropped.into_iter().for_each(|r| out.push_dropped(r));
        failures.into_iter().for_each(|f| out.push_failure(f));
        Ok(out)
    }
}

/// A typed, in-process Rust packet function (kind [`BlockingKind`], type id
/// `"rust.function.v0"` unless overridden). Built by [`FunctionBuilder`] or
/// [`packet_function!`](crate::packet_function). Cheap to clone.
#[derive(Clone)]
pub struct RustFunction {
    info: FunctionInfo,
    kernel: Arc<dyn Kernel>,
}

impl RustFunction {
    /// The same function with another type id (e.g. `"python.function.v0"` to reproduce an
    /// orcapod-python identity).
    pub fn with_type_id(mut self, type_id: impl Into<String>) -> Self {
        self.info = self.info.with_type_id(type_id);
        self
    }

    /// The same function with a pinned version (see [`FunctionInfo`]).
    pub fn with_pinned_version(mut self, version: &str) -> Result<Self> {
        self.info = self.info.with_pinned_version(version)?;
        Ok(self)
    }
}

impl fmt::Debug for RustFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RustFunction")
            .field("uri", &self.info.uri().to_string())
            .finish()
    }
}

impl PacketFunction for RustFunction {
    fn info(&self) -> &FunctionInfo {
        &self.info
    }

    fn call_batch(&self, input: &InputBatch) -> Result<BatchOutput> {
        self.kernel.run(input)
    }
}

impl KindedFunction for RustFunction {
    type Kind = BlockingKind;
}
