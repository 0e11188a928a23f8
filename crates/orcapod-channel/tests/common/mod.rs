//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test file uses its own subset

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::task::{ArcWake, waker};

/// A waker that counts how often it was woken.
pub struct Counter(AtomicUsize);

impl ArcWake for Counter {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A counting waker and its counter.
pub fn counting_waker() -> (Waker, Arc<Counter>) {
    let counter = Arc::new(Counter(AtomicUsize::new(0)));
    (waker(Arc::clone(&counter)), counter)
}

impl Counter {
    /// Wake-ups so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Polls `fut` once with `waker`.
pub fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

/// Runs `body` on its own thread and fails the test if it takes longer than `limit`: a hang
/// (lost wake-up, deadlock) becomes a failure instead of a stuck test run.
pub fn within<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        let out = body();
        let _ = tx.send(());
        out
    });
    match rx.recv_timeout(limit) {
        Ok(()) => handle.join().expect("test body panicked"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            // The body panicked: surface its panic.
            match handle.join() {
                Ok(_) => unreachable!("body finished without reporting"),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("test body did not finish within {limit:?}: hang")
        }
    }
}
