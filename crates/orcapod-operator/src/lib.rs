//! Structural operators for orcapod streams: Join, MergeJoin, SemiJoin, Batch, column selection and mapping, Filter.
//!
//! This crate is being built; see the open issues.
