//! A broadcast channel: one writer, several independent readers, each with its own bounded
//! buffer.
//!
//! * Every reader receives every item sent after it subscribed, in send order.
//! * [`Sender::send`] hands a clone of the item to each reader with room right away; it only
//!   waits for readers whose buffer is full. A slow reader therefore holds back the *writer*
//!   (and so, eventually, new items for everyone) but never another reader's ability to drain
//!   what is already in its own buffer.
//! * A reader is an ordinary [`Receiver`]: it is a `Stream`, has `recv`, `collect_all`, ...
//!   Dropping it unsubscribes: the writer stops waiting for it. (Cloning it shares that one
//!   subscription's buffer between the clones, each item going to one of them.)
//! * [`Sender::close`] ends every reader with [`ChannelError::Closed`] after it drains; dropping
//!   the writer without closing ends them with [`ChannelError::Disconnected`].
//! * With no reader left, `send` fails with [`ChannelError::Disconnected`].
//!
//! ```
//! use futures::executor::block_on;
//! use futures::join;
//! use orcapod_channel::broadcast;
//!
//! let tx = broadcast::channel::<u32>(2);
//! let (a, b) = (tx.subscribe(), tx.subscribe());
//! let (sent, got_a, got_b) = block_on(async {
//!     join!(
//!         async move {
//!             for i in 0..10 {
//!                 tx.send(i).await?;
//!             }
//!             tx.close();
//!             Ok::<_, broadcast::SendError<u32>>(())
//!         },
//!         a.collect_all(),
//!         b.collect_all(),
//!     )
//! });
//! sent.unwrap();
//! assert_eq!(got_a, (0..10).collect::<Vec<_>>());
//! assert_eq!(got_b, got_a);
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use crate::chan::Chan;
use crate::waiters::Slot;
pub use crate::{ChannelError, Receiver, SendError};

/// Makes a broadcast writer whose readers (made with [`Sender::subscribe`]) each buffer up to
/// `capacity` items.
///
/// # Panics
///
/// If `capacity` is 0.
pub fn channel<T>(capacity: usize) -> Sender<T> {
    assert!(capacity > 0, "channel capacity must be at least 1");
    Sender {
        subs: Mutex::new(Subscribers {
            chans: Arc::new(Vec::new()),
            closed: false,
        }),
        capacity,
    }
}

/// The subscriber list. `chans` is copy-on-write so that a send can take a snapshot with one
/// reference-count increment and push to readers without holding this lock.
#[derive(Debug)]
struct Subscribers<T> {
    chans: Arc<Vec<Arc<Chan<T>>>>,
    closed: bool,
}

/// The single writer of a broadcast channel; see the [module docs](self).
///
/// ```
/// use futures::executor::block_on;
/// use futures::FutureExt;
/// use orcapod_channel::broadcast;
///
/// let tx = broadcast::channel::<&str>(1);
/// let (slow, fast) = (tx.subscribe(), tx.subscribe());
/// block_on(tx.send("a")).unwrap();
/// assert_eq!(fast.try_recv(), Ok("a"));
/// // `slow` is full: the next send waits for it, but `fast` already got the item.
/// let mut pending = tx.send("b");
/// assert!((&mut pending).now_or_never().is_none());
/// assert_eq!(fast.try_recv(), Ok("b"));
/// drop(slow); // unsubscribing releases the writer
/// assert_eq!(block_on(pending), Ok(()));
/// assert_eq!(tx.receiver_count(), 1);
/// ```
pub struct Sender<T> {
    subs: Mutex<Subscribers<T>>,
    capacity: usize,
}

impl<T> Sender<T> {
    fn lock(&self) -> MutexGuard<'_, Subscribers<T>> {
        self.subs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a reader that receives every item sent from now on. Subscribing after
    /// [`Sender::close`] yields a reader that is already closed.
    pub fn subscribe(&self) -> Receiver<T> {
        let chan = Arc::new(Chan::new(self.capacity, 1, 1));
        let mut subs = self.lock();
        if subs.closed {
            chan.close();
        }
        let mut chans: Vec<_> = subs
            .chans
            .iter()
            .filter(|c| c.accepts_items())
            .cloned()
            .collect();
        chans.push(Arc::clone(&chan));
        subs.chans = Arc::new(chans);
        Receiver::from_chan(chan)
    }

    /// Sends a clone of `item` to every reader, waiting while any reader's buffer is full.
    ///
    /// Fails with [`ChannelError::Closed`] after [`Sender::close`], and with
    /// [`ChannelError::Disconnected`] if there is no reader. If the channel is closed while
    /// the send waits, readers that already received the item keep it.
    pub fn send(&self, item: T) -> SendFuture<'_, T>
    where
        T: Clone,
    {
        SendFuture {
            tx: self,
            item: Some(item),
            pending: Vec::new(),
            started: false,
        }
    }

    /// Closes every reader: each drains its buffer and then receives
    /// [`ChannelError::Closed`]. Returns `true` if this call closed the channel.
    pub fn close(&self) -> bool {
        let chans = {
            let mut subs = self.lock();
            if subs.closed {
                return false;
            }
            subs.closed = true;
            Arc::clone(&subs.chans)
        };
        for chan in chans.iter() {
            chan.close();
        }
        true
    }

    /// Whether the channel was closed with [`Sender::close`].
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Number of live readers (not dropped, and not closed from the reading side).
    pub fn receiver_count(&self) -> usize {
        let chans = Arc::clone(&self.lock().chans);
        chans.iter().filter(|c| c.accepts_items()).count()
    }

    /// The largest number of items buffered for any live reader (the backlog of the slowest).
    pub fn len(&self) -> usize {
        let chans = Arc::clone(&self.lock().chans);
        chans
            .iter()
            .filter(|c| c.accepts_items())
            .map(|c| c.len())
            .max()
            .unwrap_or(0)
    }

    /// Whether every reader's buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer size of each reader.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Forgets readers that were dropped or closed their subscription.
    fn prune(&self) {
        let mut subs = self.lock();
        if subs.chans.iter().any(|c| !c.accepts_items()) {
            let live = subs
                .chans
                .iter()
                .filter(|c| c.accepts_items())
                .cloned()
                .collect();
            subs.chans = Arc::new(live);
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let subs = self.subs.get_mut().unwrap_or_else(PoisonError::into_inner);
        for chan in subs.chans.iter() {
            chan.drop_sender();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::Sender")
            .field("receivers", &self.receiver_count())
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A copy of the item still waiting for room in one reader's buffer.
struct PendingCopy<T> {
    chan: Arc<Chan<T>>,
    item: Option<T>,
    slot: Slot,
}

impl<T> Drop for PendingCopy<T> {
    fn drop(&mut self) {
        self.chan.cancel_send(&mut self.slot);
    }
}

/// Future of [`Sender::send`].
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    tx: &'a Sender<T>,
    item: Option<T>,
    pending: Vec<PendingCopy<T>>,
    started: bool,
}

impl<T> Unpin for SendFuture<'_, T> {}

impl<T: Clone> SendFuture<'_, T> {
    /// First poll: offer a copy to every reader, remembering the full ones.
    fn start(&mut self, cx: &mut Context<'_>) -> Result<(), SendError<T>> {
        let item = self
            .item
            .as_ref()
            .expect("broadcast SendFuture polled after completion");
        let chans = {
            let subs = self.tx.lock();
            if subs.closed {
                return Err(ChannelError::Closed(
                    self.item.take().expect("item present"),
                ));
            }
            Arc::clone(&subs.chans)
        };
        let (mut live, mut dead) = (0usize, false);
        for chan in chans.iter() {
            let mut slot = Slot::default();
            match chan.push(item.clone(), Some((&mut slot, cx.waker()))) {
                Ok(()) => live += 1,
                Err(ChannelError::Full(copy)) => {
                    live += 1;
                    self.pending.push(PendingCopy {
                        chan: Arc::clone(chan),
                        item: Some(copy),
                        slot,
                    });
                }
                // Reader dropped, or closed its own subscription.
                Err(_) => dead = true,
            }
        }
        if dead {
            self.tx.prune();
        }
        if live == 0 {
            return Err(ChannelError::Disconnected(
                self.item.take().expect("item present"),
            ));
        }
        Ok(())
    }
}

impl<T: Clone> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if !this.started {
            this.started = true;
            if let Err(err) = this.start(cx) {
                return Poll::Ready(Err(err));
            }
        } else {
            let mut closed = false;
            this.pending.retain_mut(|p| {
                let copy = p.item.take().expect("pending copy present");
                match p.chan.push(copy, Some((&mut p.slot, cx.waker()))) {
                    Ok(()) => false,
                    Err(ChannelError::Full(copy)) => {
                        p.item = Some(copy);
                        true
                    }
                    Err(err) => {
                        closed |= err.is_closed();
                        false
                    }
                }
            });
            if closed && this.tx.is_closed() {
                this.pending.clear();
                let item = this.item.take().expect("item present");
                return Poll::Ready(Err(ChannelError::Closed(item)));
            }
        }
        if this.pending.is_empty() {
            this.item = None;
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("broadcast::SendFuture")
            .field("started", &self.started)
            .field("waiting_for", &self.pending.len())
            .finish()
    }
}
