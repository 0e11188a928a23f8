//! The packet functions of the Slurm integration tests, shared by the test worker binary and
//! the tests (which include this file with `#[path]`), so both sides agree on their uris.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use orcapod_executor::{FunctionBuilder, RustFunction};
use orcapod_executor_slurm::FunctionRegistry;

/// `y = x * x`.
pub fn square() -> RustFunction {
    FunctionBuilder::new("square")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x * x)
}

/// Several output types, nulls and dropped packets: multiples of 7 are dropped, odd `x`
/// get a null `half`.
pub fn describe() -> RustFunction {
    FunctionBuilder::new("describe")
        .input::<i64>("x")
        .output::<String>("label")
        .output::<Option<f64>>("half")
        .output::<bool>("big")
        .build(|x: i64| {
            if x % 7 == 0 && x > 0 {
                None
            } else {
                Some((
                    format!("x={x}"),
                    (x % 2 == 0).then(|| x as f64 / 2.0),
                    x > 50,
                ))
            }
        })
}

/// Fails packet `x == 13` with an error (after printing to stderr).
pub fn picky() -> RustFunction {
    FunctionBuilder::new("picky")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| {
            if x == 13 {
                eprintln!("picky: refusing packet 13");
                Err(format!("unlucky packet {x}"))
            } else {
                Ok(x + 1)
            }
        })
}

/// Kills the whole worker process on packet `x == 13` (a task-level failure).
pub fn crashy() -> RustFunction {
    FunctionBuilder::new("crashy")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| {
            if x == 13 {
                eprintln!("crashy: fatal error on packet 13, aborting");
                std::process::exit(42);
            }
            x - 1
        })
}

/// Kills its worker unless the marker file `<marker_dir>/crashed` exists, creating it: the
/// first task(s) to run crash, their retries succeed.
pub fn flaky() -> RustFunction {
    FunctionBuilder::new("flaky")
        .input::<i64>("x")
        .input::<String>("marker_dir")
        .output::<i64>("y")
        .build(|x: i64, dir: String| {
            let marker = Path::new(&dir).join("crashed");
            if !marker.exists() {
                let _ = std::fs::write(&marker, b"");
                eprintln!("flaky: first attempt (packet {x}), crashing");
                std::process::exit(3);
            }
            x * 10
        })
}

/// Fails a packet (an `Err`, not a crash) the first time it sees it; works on the retry.
pub fn flaky_packet() -> RustFunction {
    FunctionBuilder::new("flaky_packet")
        .input::<i64>("x")
        .input::<String>("marker_dir")
        .output::<i64>("y")
        .build(|x: i64, dir: String| {
            let marker = Path::new(&dir).join(format!("failed-{x}"));
            if marker.exists() {
                Ok(x * 100)
            } else {
                let _ = std::fs::write(&marker, b"");
                Err(format!("transient failure of packet {x}"))
            }
        })
}

/// Sleeps `x` seconds.
pub fn sleepy() -> RustFunction {
    FunctionBuilder::new("sleepy")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| {
            std::thread::sleep(Duration::from_secs(x.max(0) as u64));
            x
        })
}

/// A function the worker does not register.
pub fn unregistered() -> RustFunction {
    FunctionBuilder::new("unregistered")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x)
}

/// Every function above except `unregistered`.
pub fn registry() -> FunctionRegistry {
    FunctionRegistry::new()
        .with(square())
        .with(describe())
        .with(picky())
        .with(crashy())
        .with(flaky())
        .with(flaky_packet())
        .with(sleepy())
}
