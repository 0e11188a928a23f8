//! The reading half of the async channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{FusedStream, Stream};

use crate::chan::Chan;
use crate::error::{ChannelError, RecvError};
use crate::waiters::Slot;

/// The reading half of a bounded async channel made by [`channel`](crate::channel).
///
/// Cloning makes another consumer on the same channel: every item is delivered to exactly one
/// receiver. A receiver is also a [`Stream`] of items that ends when the channel is closed (or
/// disconnected) and drained.
///
/// ```
/// use futures::executor::block_on;
/// use futures::StreamExt;
/// use orcapod_channel::{channel, ChannelError};
///
/// let (tx, rx) = channel(8);
/// block_on(async {
///     for i in 0..3 {
///         tx.send(i).await.unwrap();
///     }
///     assert_eq!(rx.recv().await, Ok(0));
///     drop(tx); // no close(): the producer "crashed"
///     assert_eq!(rx.try_recv(), Ok(1));
///     let rest: Vec<i32> = rx.clone().collect().await;
///     assert_eq!(rest, vec![2]);
///     assert_eq!(rx.recv().await, Err(ChannelError::Disconnected(())));
/// });
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// Registration used by the `Stream` implementation and the collecting helpers.
    slot: Slot,
}

impl<T> Receiver<T> {
    pub(crate) fn from_chan(chan: Arc<Chan<T>>) -> Self {
        Self {
            chan,
            slot: Slot::default(),
        }
    }

    /// Receives the next item, waiting while the buffer is empty.
    ///
    /// Once the channel has ended and the buffer is drained this returns
    /// [`ChannelError::Closed`] (after `close()`) or [`ChannelError::Disconnected`] (every
    /// sender dropped without `close()`), on every call and for every receiver.
    pub fn recv(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            chan: &self.chan,
            slot: Slot::default(),
        }
    }

    /// Receives an item if one is buffered right now; [`ChannelError::Empty`] if not (and the
    /// channel has not ended).
    pub fn try_recv(&self) -> Result<T, RecvError> {
        self.chan.pop(None)
    }

    /// Waits until at least one item is buffered, then takes up to `max` items at once (one
    /// lock acquisition). `max == 0` is treated as 1. Fails like [`Receiver::recv`].
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use orcapod_channel::channel;
    ///
    /// let (tx, rx) = channel(8);
    /// block_on(async {
    ///     tx.send_batch(vec![1, 2, 3, 4, 5]).await.unwrap();
    ///     assert_eq!(rx.recv_batch(3).await.unwrap(), vec![1, 2, 3]);
    ///     assert_eq!(rx.recv_batch(100).await.unwrap(), vec![4, 5]);
    /// });
    /// ```
    pub fn recv_batch(&self, max: usize) -> RecvBatchFuture<'_, T> {
        RecvBatchFuture {
            chan: &self.chan,
            max,
            slot: Slot::default(),
        }
    }

    /// Receives every remaining item until the channel ends (closed or disconnected alike).
    /// Use [`Receiver::try_collect_all`] to tell the two apart.
    pub async fn collect_all(self) -> Vec<T> {
        match self.try_collect_all().await {
            Ok(items) => items,
            Err(err) => err.into_inner().unwrap_or_default(),
        }
    }

    /// Receives every remaining item until the channel ends. `Ok` if it was closed with
    /// `close()`; `Err(ChannelError::Disconnected(items))` if every sender was dropped without
    /// closing, still carrying everything received.
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use orcapod_channel::{channel, ChannelError};
    ///
    /// let (tx, rx) = channel(4);
    /// block_on(async {
    ///     tx.send(1).await.unwrap();
    ///     drop(tx);
    ///     assert_eq!(rx.try_collect_all().await, Err(ChannelError::Disconnected(vec![1])));
    /// });
    /// ```
    pub async fn try_collect_all(mut self) -> Result<Vec<T>, ChannelError<Vec<T>>> {
        let mut out = Vec::new();
        let end = futures::future::poll_fn(|cx| {
            loop {
                let park = Some((&mut self.slot, cx.waker()));
                match self.chan.pop_many(usize::MAX, &mut out, park) {
                    Ok(()) => continue,
                    Err(ChannelError::Empty) => return Poll::Pending,
                    Err(end) => return Poll::Ready(end),
                }
            }
        })
        .await;
        match end {
            ChannelError::Closed(()) => Ok(out),
            other => Err(other.map(|()| out)),
        }
    }

    /// Closes the channel from the receiving side: senders get [`ChannelError::Closed`] from
    /// now on, receivers still drain what is buffered. Returns `true` if this call closed it;
    /// `false` if it was already closed, or had already ended because every sender was
    /// dropped (the first end wins: readers keep seeing `Disconnected`).
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether no more items can arrive: the channel was closed or every sender dropped
    /// (buffered items may still be waiting to be received).
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// Number of items currently buffered.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether the buffer is empty right now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer size the channel was created with.
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.add_receiver();
        Self::from_chan(Arc::clone(&self.chan))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.cancel_recv(&mut self.slot);
        self.chan.drop_receiver();
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl<T> Stream for Receiver<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        match this.chan.pop(Some((&mut this.slot, cx.waker()))) {
            Ok(item) => Poll::Ready(Some(item)),
            Err(ChannelError::Empty) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), None)
    }
}

impl<T> FusedStream for Receiver<T> {
    fn is_terminated(&self) -> bool {
        self.chan.is_terminated()
    }
}

/// Future of [`Receiver::recv`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    chan: &'a Chan<T>,
    slot: Slot,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this.chan.pop(Some((&mut this.slot, cx.waker()))) {
            Err(ChannelError::Empty) => Poll::Pending,
            done => Poll::Ready(done),
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_recv(&mut self.slot);
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}

/// Future of [`Receiver::recv_batch`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvBatchFuture<'a, T> {
    chan: &'a Chan<T>,
    max: usize,
    slot: Slot,
}

impl<T> Future for RecvBatchFuture<'_, T> {
    type Output = Result<Vec<T>, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut out = Vec::new();
        match this
            .chan
            .pop_many(this.max, &mut out, Some((&mut this.slot, cx.waker())))
        {
            Ok(()) => Poll::Ready(Ok(out)),
            Err(ChannelError::Empty) => Poll::Pending,
            Err(end) => Poll::Ready(Err(end)),
        }
    }
}

impl<T> Drop for RecvBatchFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_recv(&mut self.slot);
    }
}

impl<T> fmt::Debug for RecvBatchFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvBatchFuture")
            .field("max", &self.max)
            .finish()
    }
}
