//! Result caches over a [`Store`](crate::Store): the packet-level
//! [`CachedPacketFunction`] and the pod-level [`CachedFunctionPod`], plus the key functions
//! they share with the node layer's function nodes.
//!
//! | cache | key | table | reuse |
//! |---|---|---|---|
//! | [`CachedPacketFunction`] | function uri + input packet hash | `prefix + uri` | any pipeline, any tags |
//! | [`CachedFunctionPod`] | pod identity + tags + system tags + input packet hash ([`pod_entry_ids`]) | `prefix + uri + "schema:" + output pipeline hash` | the same rows (same tags and provenance) |
//!
//! The two compose: a `CachedFunctionPod` over a `FunctionPod` of a `CachedPacketFunction`
//! answers a known row from the pod table, a known packet under new tags from the packet
//! table, and computes only packets never seen.

mod function_pod;
mod keys;
mod packet_function;

use std::sync::atomic::{AtomicUsize, Ordering};

pub use function_pod::{CachedFunctionPod, CachedPodOutput};
pub use keys::{packet_keys, pod_entry_ids, result_id};
pub use packet_function::CachedPacketFunction;

/// Result column: host that computed the result (never hashed).
pub const EXEC_HOST_COL: &str = "__pf_exec_host";
/// Result column: process id that computed the result (never hashed).
pub const EXEC_PROCESS_COL: &str = "__pf_exec_process";

/// What a cache did since it was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Rows answered from the store.
    pub hits: usize,
    /// Rows that had to be computed.
    pub misses: usize,
    /// Results written to the store.
    pub stored: usize,
}

#[derive(Debug, Default)]
struct CacheCounters {
    hits: AtomicUsize,
    misses: AtomicUsize,
    stored: AtomicUsize,
}

impl CacheCounters {
    fn add(&self, hits: usize, misses: usize) {
        self.hits.fetch_add(hits, Ordering::Relaxed);
        self.misses.fetch_add(misses, Ordering::Relaxed);
    }

    fn stored(&self, rows: usize) {
        self.stored.fetch_add(rows, Ordering::Relaxed);
    }

    fn snapshot(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            stored: self.stored.load(Ordering::Relaxed),
        }
    }
}

/// This machine's host name (Linux: the kernel's; elsewhere `$HOSTNAME`), or `unknown`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_string())
}
