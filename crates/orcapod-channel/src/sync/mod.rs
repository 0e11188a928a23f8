//! Blocking channels for the pull path and thread-pool hand-off, built on `crossbeam-channel`.
//!
//! Same semantics as the async channel ([`crate::channel`]):
//!
//! * bounded: [`Sender::send`] blocks while the buffer is full;
//! * [`Sender::close`] (or [`Receiver::close`]) stops new sends; receivers drain the buffer and
//!   then get [`ChannelError::Closed`] on every call;
//! * dropping every sender without closing makes receivers drain and then get
//!   [`ChannelError::Disconnected`] (a crashed producer is visible, never a hang);
//! * dropping every receiver makes sends fail with [`ChannelError::Disconnected`];
//! * a [`Receiver`] is an [`Iterator`] that ends when the channel ends.
//!
//! A send that is blocked on a full buffer when the channel is closed fails with
//! [`ChannelError::Closed`]. A send that *returned* `Ok` is always received, even if `close()`
//! ran concurrently: `close()` waits for sends already in progress before receivers are told
//! the channel is closed.
//!
//! ```
//! use orcapod_channel::sync;
//! use std::thread;
//!
//! let (tx, rx) = sync::channel::<u64>(4);
//! let producers: Vec<_> = (0..4)
//!     .map(|p| {
//!         let tx = tx.clone();
//!         thread::spawn(move || {
//!             for i in 0..100 {
//!                 tx.send(p * 1000 + i).unwrap();
//!             }
//!         })
//!     })
//!     .collect();
//! drop(tx);
//! let consumer = thread::spawn(move || rx.sum::<u64>());
//! for p in producers {
//!     p.join().unwrap();
//! }
//! let expected: u64 = (0..4).map(|p| (0..100).map(|i| p * 1000 + i).sum::<u64>()).sum();
//! assert_eq!(consumer.join().unwrap(), expected);
//! ```

mod receiver;
mod sender;

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError};

use crossbeam_channel as cb;

pub use crate::{ChannelError, RecvError, SendError};
pub use receiver::{Iter, Receiver};
pub use sender::Sender;

/// Makes a bounded blocking channel with room for `capacity` items.
///
/// # Panics
///
/// If `capacity` is 0.
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "channel capacity must be at least 1");
    let (tx, rx) = cb::bounded(capacity);
    let (abort_tx, abort_rx) = cb::bounded(1);
    let (done_tx, done_rx) = cb::bounded(1);
    let shared = Arc::new(Shared {
        state: AtomicUsize::new(0),
        done: AtomicBool::new(false),
        ended: AtomicU8::new(OPEN),
        senders: AtomicUsize::new(1),
        receivers: AtomicUsize::new(1),
        abort_tx: Mutex::new(Some(abort_tx)),
        done_tx: Mutex::new(Some(done_tx)),
        capacity,
    });
    (
        Sender::new(tx, abort_rx, Arc::clone(&shared)),
        Receiver::new(rx, done_rx, shared),
    )
}

/// The uninhabited message type of the signal channels: they only ever disconnect.
#[derive(Debug)]
enum Never {}

/// `state` bit 0: `close()` has started; no new send is admitted.
const CLOSING: usize = 1;
/// `state` counts sends in progress in units of `IN_FLIGHT`.
const IN_FLIGHT: usize = 2;

/// Values of `ended`.
const OPEN: u8 = 0;
const CLOSED: u8 = 1;
const DISCONNECTED: u8 = 2;

/// State shared by every handle of one sync channel, next to the crossbeam channel itself.
///
/// Close protocol: `close()` sets `CLOSING` (new sends are refused), drops `abort_tx` (senders
/// blocked on a full buffer wake up and fail), waits until no send is in progress, sets `done`
/// and finally drops `done_tx` (receivers blocked on an empty buffer wake up). So every item of
/// a successful send is in the buffer before any receiver can conclude "closed".
#[derive(Debug)]
struct Shared {
    state: AtomicUsize,
    /// Set once `close()` has finished.
    done: AtomicBool,
    /// The terminal result the first receiver observed; later receives repeat it.
    ended: AtomicU8,
    senders: AtomicUsize,
    receivers: AtomicUsize,
    abort_tx: Mutex<Option<cb::Sender<Never>>>,
    done_tx: Mutex<Option<cb::Sender<Never>>>,
    capacity: usize,
}

impl Shared {
    /// Admits one send, unless `close()` has started.
    fn admit(&self) -> Option<Admission<'_>> {
        let prev = self.state.fetch_add(IN_FLIGHT, SeqCst);
        let admission = Admission(&self.state);
        (prev & CLOSING == 0).then_some(admission)
    }

    fn is_closing(&self) -> bool {
        self.state.load(SeqCst) & CLOSING != 0
    }

    fn is_done(&self) -> bool {
        self.done.load(SeqCst)
    }

    /// Whether no more items can be sent.
    fn is_closed(&self) -> bool {
        self.is_closing() || self.senders.load(SeqCst) == 0 || self.receivers.load(SeqCst) == 0
    }

    /// See the type docs. Returns `true` if this call closed the channel; `false` if it was
    /// already closed or closing, or already ended because one side was dropped entirely.
    fn close(&self) -> bool {
        if self.senders.load(SeqCst) == 0 || self.receivers.load(SeqCst) == 0 {
            return false;
        }
        if self.state.fetch_or(CLOSING, SeqCst) & CLOSING != 0 {
            return false;
        }
        drop(take(&self.abort_tx));
        let mut spins = 0u32;
        while self.state.load(SeqCst) >= IN_FLIGHT {
            // Sends in progress finish promptly: fast paths are a few instructions and blocked
            // ones were just woken by dropping `abort_tx`.
            if spins < 64 {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
        self.done.store(true, SeqCst);
        drop(take(&self.done_tx));
        true
    }

    /// The terminal receive error; the first one observed sticks for every receiver.
    fn end(&self) -> ChannelError {
        let now = if self.is_closing() {
            CLOSED
        } else {
            DISCONNECTED
        };
        let ended = match self.ended.compare_exchange(OPEN, now, SeqCst, SeqCst) {
            Ok(_) => now,
            Err(prev) => prev,
        };
        if ended == CLOSED {
            ChannelError::Closed(())
        } else {
            ChannelError::Disconnected(())
        }
    }
}

fn take(signal: &Mutex<Option<cb::Sender<Never>>>) -> Option<cb::Sender<Never>> {
    signal.lock().unwrap_or_else(PoisonError::into_inner).take()
}

/// A send in progress; dropping it ends the send.
struct Admission<'a>(&'a AtomicUsize);

impl Drop for Admission<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(IN_FLIGHT, SeqCst);
    }
}
