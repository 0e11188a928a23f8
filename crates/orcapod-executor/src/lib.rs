//! Packet functions, function pods and executors for orcapod.
//!
//! This crate is being built; see the open issues.
