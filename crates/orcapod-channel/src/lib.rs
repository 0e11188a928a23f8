//! Bounded async and sync channels with backpressure for orcapod's push path. Knows nothing
//! about Arrow.
//!
//! Three flavours, one set of rules:
//!
//! * [`channel`]: a bounded async multi-producer multi-consumer channel
//!   ([`Sender`]/[`Receiver`]). `send(item).await` waits while the buffer is full; each item
//!   goes to exactly one receiver; a [`Receiver`] is a [`futures::Stream`]. Runtime-agnostic:
//!   it only uses wakers, so it runs on `futures::executor` (block_on, `LocalPool`,
//!   `ThreadPool`) or any other executor.
//! * [`broadcast::channel`]: one writer, several independent readers each with its own bounded
//!   buffer; every reader receives every item.
//! * [`sync::channel`]: the blocking counterpart built on `crossbeam-channel` for the pull path
//!   and thread-pool hand-off; its receiver is an [`Iterator`].
//!
//! # Ending a channel: closed versus disconnected
//!
//! A channel ends in one of two ways, and receivers can tell which:
//!
//! * **Closed**: someone called `close()`. No more items are accepted (sends fail with
//!   [`ChannelError::Closed`], handing the item back). Receivers first drain everything that
//!   was buffered, then every receive on every receiver returns [`ChannelError::Closed`].
//!   This is the orderly end of a stream.
//! * **Disconnected**: every sender was dropped *without* calling `close()`. Readers never
//!   hang: they drain the buffer and then get [`ChannelError::Disconnected`], on every call.
//!   A producer that panicked or returned early therefore shows up as `Disconnected` instead
//!   of looking like a normal end of stream. In the other direction, once every receiver is
//!   dropped, sends fail with [`ChannelError::Disconnected`] (and buffered items are dropped)
//!   instead of blocking forever.
//!
//! The first end wins: `close()` on a channel that is already disconnected does nothing (and
//! returns `false`), and dropping the senders of a closed channel leaves it `Closed`.
//! A send that is waiting for room when the channel is closed fails with `Closed`.
//!
//! All errors are one enum, [`ChannelError`]; [`SendError<T>`] and [`RecvError`] are aliases.
//!
//! # Example
//!
//! ```
//! use futures::executor::block_on;
//! use futures::{join, StreamExt};
//! use orcapod_channel::{channel, ChannelError, DEFAULT_CAPACITY};
//!
//! let (tx, rx) = channel::<u64>(DEFAULT_CAPACITY);
//! let producer = async move {
//!     for i in 0..1_000 {
//!         tx.send(i).await?; // waits whenever 64 items are buffered
//!     }
//!     tx.close();
//!     Ok::<_, ChannelError<u64>>(())
//! };
//! let consumer = rx.clone().fold(0, |acc, x| async move { acc + x });
//! let (sent, sum) = block_on(async { join!(producer, consumer) });
//! sent.unwrap();
//! assert_eq!(sum, 499_500);
//! // Closed, drained: every later receive says so.
//! assert_eq!(block_on(rx.recv()), Err(ChannelError::Closed(())));
//! assert_eq!(rx.try_recv(), Err(ChannelError::Closed(())));
//! ```
//!
//! # Cost
//!
//! The async channel is a `Mutex<VecDeque>` plus FIFO waiter lists: one uncontended lock per
//! send or receive, and a wake-up only when a task is actually parked. For many small items
//! use [`Sender::send_batch`] and [`Receiver::recv_batch`], which move many items per lock.

pub mod broadcast;
mod chan;
mod error;
mod receiver;
mod sender;
pub mod sync;
mod waiters;

use std::sync::Arc;

pub use error::{ChannelError, RecvError, SendError};
pub use receiver::{Receiver, RecvBatchFuture, RecvFuture};
pub use sender::{SendBatchFuture, SendFuture, Sender};

/// The default buffer size of orcapod channels (items per channel, or per broadcast reader).
pub const DEFAULT_CAPACITY: usize = 64;

/// Makes a bounded async channel with room for `capacity` items.
///
/// Both halves can be cloned: several producers and several consumers may share the channel.
///
/// # Panics
///
/// If `capacity` is 0.
///
/// ```
/// use futures::executor::block_on;
/// use orcapod_channel::channel;
///
/// let (tx, rx) = channel(1);
/// block_on(async {
///     tx.send("first").await.unwrap();
///     assert_eq!(tx.len(), tx.capacity()); // full: the next send would wait
///     assert_eq!(rx.recv().await, Ok("first"));
/// });
/// ```
pub fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(chan::Chan::new(capacity, 1, 1));
    (
        Sender::from_chan(Arc::clone(&chan)),
        Receiver::from_chan(chan),
    )
}
