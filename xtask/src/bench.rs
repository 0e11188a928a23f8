//! `cargo xtask bench` (stub while deps is being tested).
use std::path::Path;
/// Stub.
pub fn run(_root: &Path, _args: Vec<String>) -> crate::Result<()> { Ok(()) }
