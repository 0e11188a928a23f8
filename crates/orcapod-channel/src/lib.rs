//! Bounded async and sync channels with backpressure for orcapod's push path. Knows nothing about Arrow.
