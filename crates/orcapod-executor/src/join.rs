//! Joining the inputs of multi-input pods.

use std::sync::Arc;

use orcapod_datagram::Stream;
use orcapod_operator::{Join, Operator};

use crate::error::{ExecutorError, Result};

/// Join several input streams before applying a function, as orcapod-python does with
/// `Join()`: the pod's input is the join's output stream (with the join's identity).
pub(crate) fn join_streams(streams: &[Stream]) -> Result<Stream> {
    Join::new()
        .process(streams)
        .map_err(|e| ExecutorError::Join(Arc::new(e)))
}
