//! The function registry: how a worker process finds Rust functions by uri.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use orcapod_executor::PacketFunction;

use crate::error::{Result, SlurmError};

/// Maps function uris (`FunctionUri` rendered with `:`) to packet functions.
///
/// A cluster worker cannot receive a Rust closure: it receives the function's **uri** and
/// looks it up here. Register every function the pipeline may send to a cluster executor, in
/// the same binary that runs the pipeline (see the [`worker`](crate::worker) module). Command
/// functions need no registration: their description travels with the task.
///
/// Registering the same uri twice keeps the last function (equal uris mean equal identity).
///
/// ```
/// use orcapod_executor::{FunctionBuilder, PacketFunction};
/// use orcapod_executor_slurm::FunctionRegistry;
/// let square = FunctionBuilder::new("square").input::<i64>("x").output::<i64>("y").build(|x: i64| x * x);
/// let uri = square.uri().to_string();
/// let registry = FunctionRegistry::new().with(square);
/// assert_eq!(registry.get(&uri).unwrap().canonical_name(), "square");
/// assert!(registry.get("nope").is_err());
/// ```
#[derive(Clone, Default)]
pub struct FunctionRegistry {
    functions: BTreeMap<String, Arc<dyn PacketFunction>>,
}

impl FunctionRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        FunctionRegistry::default()
    }

    /// Register a function under its uri.
    pub fn register(&mut self, function: impl PacketFunction + 'static) -> &mut Self {
        self.register_arc(Arc::new(function))
    }

    /// Register a shared function under its uri.
    pub fn register_arc(&mut self, function: Arc<dyn PacketFunction>) -> &mut Self {
        self.functions.insert(function.uri().to_string(), function);
        self
    }

    /// [`register`](Self::register), by value (for chaining).
    pub fn with(mut self, function: impl PacketFunction + 'static) -> Self {
        self.register(function);
        self
    }

    /// The function registered under `uri`; the error lists the registered uris.
    pub fn get(&self, uri: &str) -> Result<&Arc<dyn PacketFunction>> {
        self.functions
            .get(uri)
            .ok_or_else(|| SlurmError::UnknownFunction {
                uri: uri.to_string(),
                registered: self.uris().map(str::to_string).collect(),
            })
    }

    /// Is `uri` registered?
    pub fn contains(&self, uri: &str) -> bool {
        self.functions.contains_key(uri)
    }

    /// The registered uris, sorted.
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// Number of registered functions.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// No functions registered?
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }
}

impl fmt::Debug for FunctionRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.functions.keys()).finish()
    }
}
