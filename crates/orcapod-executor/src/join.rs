//! Joining the inputs of multi-input pods.

use orcapod_datagram::Stream;

use crate::error::{ExecutorError, Result};

/// Join several input streams before applying a function (orcapod-python joins with `Join()`).
///
/// `orcapod-operator` does not provide `Join` yet, so this is a typed error rather than a
/// silent fallback; join the streams explicitly and pass the result.
pub(crate) fn join_streams(streams: &[Stream]) -> Result<Stream> {
    Err(ExecutorError::MultiInput {
        reason: format!(
            "{} streams given, but multi-input pods need orcapod-operator Join, which is not available yet; \
             join the streams first and pass the joined stream",
            streams.len()
        ),
    })
}
