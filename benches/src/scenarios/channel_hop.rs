//! `channel_hop`: per-item cost of moving `u64`s through orcapod's channels.
//!
//! One producer sends `0..N` into a channel of capacity 64 (orcapod's default); one consumer
//! sums what arrives. The measured region covers spawning the producer thread, all N hops and
//! joining it. The limit is a raw `crossbeam_channel::bounded(64)` hop between two threads:
//! the sync orcapod channel wraps crossbeam, so that is the floor it adds its close/disconnect
//! bookkeeping to. The async variants move the same items through the async channel, either
//! across two threads (each side in `futures::executor::block_on`) or within one thread
//! (`join!` of both tasks, so every hop is a task switch instead of a thread wake-up).

use std::thread;

use futures::StreamExt;
use futures::executor::block_on;

use crate::error::BenchError;
use crate::measure::{Measurement, timed};
use crate::scenario::{Scenario, Variant};

/// Capacity of every channel in this scenario (`orcapod_channel::DEFAULT_CAPACITY`).
const CAPACITY: usize = 64;

/// The `channel_hop` scenario.
pub const SCENARIO: Scenario = Scenario {
    name: "channel_hop",
    description: "u64 items through orcapod-channel (sync and async, capacity 64) vs a raw crossbeam hop",
    limit: "crossbeam",
    variants: &[
        Variant {
            name: "sync",
            description: "orcapod_channel::sync, producer thread -> consumer thread",
        },
        Variant {
            name: "async",
            description: "orcapod_channel::channel, block_on on two threads",
        },
        Variant {
            name: "async_1t",
            description: "orcapod_channel::channel, both tasks joined on one thread",
        },
        Variant {
            name: "crossbeam",
            description: "crossbeam_channel::bounded(64), producer thread -> consumer thread",
        },
    ],
    default_sizes: &[100_000, 1_000_000, 10_000_000],
    quick_sizes: &[100_000],
    python: &[],
    run,
};

fn run(variant: &str, size: u64) -> Result<Measurement, BenchError> {
    let (sum, wall_s, cpu_s) = match variant {
        "sync" => timed(|| sync_hop(size))?,
        "async" => timed(|| async_hop(size))?,
        "async_1t" => timed(|| async_one_thread(size))?,
        "crossbeam" => timed(|| crossbeam_hop(size))?,
        other => {
            return Err(BenchError::Usage(format!(
                "channel_hop has no variant `{other}`"
            )));
        }
    };
    let sum = sum?;
    let expected = if size == 0 {
        0
    } else {
        size.wrapping_mul(size - 1) / 2
    };
    if sum != expected {
        return Err(BenchError::WrongResult(format!(
            "received sum {sum}, expected {expected}"
        )));
    }
    Ok(Measurement {
        wall_s,
        cpu_s,
        rows: size,
        bytes: size * 8,
        check: sum.to_string(),
        note: None,
    })
}

fn joined<T>(handle: thread::JoinHandle<Result<(), String>>, value: T) -> Result<T, BenchError> {
    match handle.join() {
        Ok(Ok(())) => Ok(value),
        Ok(Err(err)) => Err(BenchError::WrongResult(format!("producer failed: {err}"))),
        Err(_) => Err(BenchError::WrongResult(
            "producer thread panicked".to_owned(),
        )),
    }
}

fn crossbeam_hop(n: u64) -> Result<u64, BenchError> {
    let (tx, rx) = crossbeam_channel::bounded::<u64>(CAPACITY);
    let producer = thread::spawn(move || {
        for i in 0..n {
            tx.send(i).map_err(|err| err.to_string())?;
        }
        Ok(())
    });
    let sum = rx.iter().fold(0u64, u64::wrapping_add);
    joined(producer, sum)
}

fn sync_hop(n: u64) -> Result<u64, BenchError> {
    let (tx, rx) = orcapod_channel::sync::channel::<u64>(CAPACITY);
    let producer = thread::spawn(move || {
        for i in 0..n {
            tx.send(i).map_err(|err| err.to_string())?;
        }
        tx.close();
        Ok(())
    });
    let sum = rx.iter().fold(0u64, u64::wrapping_add);
    joined(producer, sum)
}

fn async_hop(n: u64) -> Result<u64, BenchError> {
    let (tx, rx) = orcapod_channel::channel::<u64>(CAPACITY);
    let producer = thread::spawn(move || {
        block_on(async {
            for i in 0..n {
                tx.send(i).await.map_err(|err| err.to_string())?;
            }
            tx.close();
            Ok(())
        })
    });
    let sum = block_on(rx.fold(0u64, |acc, x| async move { acc.wrapping_add(x) }));
    joined(producer, sum)
}

fn async_one_thread(n: u64) -> Result<u64, BenchError> {
    let (tx, rx) = orcapod_channel::channel::<u64>(CAPACITY);
    let producer = async move {
        for i in 0..n {
            tx.send(i).await.map_err(|err| err.to_string())?;
        }
        tx.close();
        Ok::<(), String>(())
    };
    let consumer = rx.fold(0u64, |acc, x| async move { acc.wrapping_add(x) });
    let (sent, sum) = block_on(async { futures::join!(producer, consumer) });
    sent.map_err(|err| BenchError::WrongResult(format!("producer failed: {err}")))?;
    Ok(sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_delivers_every_item() {
        for variant in SCENARIO.variants {
            let m = run(variant.name, 10_000).unwrap();
            assert_eq!(
                (m.rows, m.bytes, m.check.as_str()),
                (10_000, 80_000, "49995000"),
                "{}",
                variant.name
            );
        }
    }
}
