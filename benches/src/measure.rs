//! What a run reports, and how the runner measures it from inside the child process.
//!
//! * Wall time: [`std::time::Instant`] around the measured operation only.
//! * CPU time: user + system time of the whole process (all threads, including threads that
//!   exited) from fields 14 and 15 of `/proc/self/stat`, before and after the operation. The
//!   kernel reports them in clock ticks; we assume `CLK_TCK = 100` (USER_HZ on every mainstream
//!   Linux target; reading the real value needs `sysconf`, i.e. libc). Resolution is therefore
//!   10 ms: treat `cpu_s` of operations shorter than ~0.5 s as approximate. (`/proc/self/schedstat`
//!   has nanosecond resolution but covers only the main thread, which would hide worker threads.)
//! * Peak RSS: `VmHWM` from `/proc/self/status` when the run ends, so it includes the input data
//!   built before the measured operation (the same convention as the Python harness's
//!   `ru_maxrss`). Reported in MiB, like the Python harness. A scenario about memory
//!   (`streaming_memory`) resets the peak to the current RSS after building its inputs
//!   ([`reset_peak_rss`]), so that its peak covers the measured operation with the inputs
//!   resident but not the temporaries of building them.

use std::hint::black_box;
use std::time::Instant;

use serde::Serialize;

use crate::error::BenchError;

/// Assumed kernel clock ticks per second for `/proc/self/stat` (see the module docs).
pub const CLK_TCK: f64 = 100.0;

/// The outcome of one measured operation, as returned by a scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    /// Wall-clock seconds of the measured operation only.
    pub wall_s: f64,
    /// User + system CPU seconds of the process during the measured operation (10 ms resolution).
    pub cpu_s: f64,
    /// Logical rows (items) processed.
    pub rows: u64,
    /// Payload bytes processed.
    pub bytes: u64,
    /// A digest of the result, identical across runs of a deterministic operation.
    pub check: String,
    /// Free-form remark (e.g. how a derived number was obtained).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Runs `op` once, measuring its wall and CPU time; the result is passed through `black_box`.
pub fn timed<T>(op: impl FnOnce() -> T) -> Result<(T, f64, f64), BenchError> {
    let cpu_before = process_cpu_s()?;
    let start = Instant::now();
    let value = black_box(op());
    let wall_s = start.elapsed().as_secs_f64();
    let cpu_s = process_cpu_s()? - cpu_before;
    Ok((value, wall_s, cpu_s))
}

/// User + system CPU seconds of this process so far (all threads), from `/proc/self/stat`.
pub fn process_cpu_s() -> Result<f64, BenchError> {
    let stat = read_proc("/proc/self/stat")?;
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    let after_comm = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // `fields[0]` is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
    let tick = |idx: usize| -> Result<f64, BenchError> {
        fields
            .get(idx)
            .and_then(|raw| raw.parse::<u64>().ok())
            .map(|t| t as f64 / CLK_TCK)
            .ok_or_else(|| BenchError::Parse {
                what: "/proc/self/stat".into(),
                detail: format!("field {}", idx + 3),
            })
    };
    Ok(tick(11)? + tick(12)?)
}

/// Peak resident set size of this process in MiB (`VmHWM` in `/proc/self/status`).
pub fn peak_rss_mib() -> Result<f64, BenchError> {
    status_kib("VmHWM:").map(|kib| kib as f64 / 1024.0)
}

/// Current resident set size of this process in MiB (`VmRSS` in `/proc/self/status`).
pub fn current_rss_mib() -> Result<f64, BenchError> {
    status_kib("VmRSS:").map(|kib| kib as f64 / 1024.0)
}

/// Resets the peak RSS (`VmHWM`) to the current RSS by writing `5` to `/proc/self/clear_refs`
/// (Linux 4.0+), so that a later [`peak_rss_mib`] covers only what happens after this call.
/// Used where input construction would otherwise set the peak (its temporaries are freed).
pub fn reset_peak_rss() -> Result<(), BenchError> {
    std::fs::write("/proc/self/clear_refs", "5").map_err(|source| BenchError::Io {
        what: "resetting the peak RSS (/proc/self/clear_refs)".into(),
        source,
    })
}

fn status_kib(key: &str) -> Result<u64, BenchError> {
    let status = read_proc("/proc/self/status")?;
    status
        .lines()
        .find(|line| line.starts_with(key))
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|raw| raw.parse::<u64>().ok())
        .ok_or_else(|| BenchError::Parse {
            what: "/proc/self/status".into(),
            detail: format!("no {key} line"),
        })
}

fn read_proc(path: &str) -> Result<String, BenchError> {
    std::fs::read_to_string(path).map_err(|source| BenchError::Io {
        what: format!("reading {path}"),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_readers_work_on_this_machine() {
        let (sum, wall_s, cpu_s) = timed(|| (0..2_000_000u64).map(black_box).sum::<u64>()).unwrap();
        assert_eq!(sum, 1_999_999_000_000);
        assert!(wall_s > 0.0 && cpu_s >= 0.0);
        assert!(peak_rss_mib().unwrap() > 0.5);
        assert!(current_rss_mib().unwrap() > 0.5);
    }
}
