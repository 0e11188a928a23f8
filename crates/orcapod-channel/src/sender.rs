//! The writing half of the async channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::chan::Chan;
use crate::error::{ChannelError, SendError};
use crate::waiters::Slot;

/// The writing half of a bounded async channel made by [`channel`](crate::channel).
///
/// Cloning makes another producer on the same channel. The channel counts live senders: when
/// the last one is dropped *without* [`close`](Sender::close), receivers drain the buffer and
/// then get [`ChannelError::Disconnected`] (see the crate docs for the rule).
///
/// ```
/// use futures::executor::block_on;
/// use orcapod_channel::{channel, ChannelError};
///
/// let (tx, rx) = channel::<u32>(2);
/// block_on(async {
///     tx.send(1).await.unwrap();
///     tx.try_send(2).unwrap();
///     assert_eq!(tx.try_send(3), Err(ChannelError::Full(3))); // buffer full
///     assert_eq!(tx.len(), 2);
///     tx.close();
///     assert_eq!(tx.send(4).await, Err(ChannelError::Closed(4)));
///     assert_eq!(rx.collect_all().await, vec![1, 2]);
/// });
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    pub(crate) fn from_chan(chan: Arc<Chan<T>>) -> Self {
        Self { chan }
    }

    /// Sends `item`, waiting while the buffer is full (backpressure).
    ///
    /// Fails with [`ChannelError::Closed`] if the channel is closed (also when it is closed
    /// while this send waits) and with [`ChannelError::Disconnected`] once every receiver has
    /// been dropped; both hand `item` back. Dropping the future before it completes cancels
    /// the send: the item is not delivered.
    pub fn send(&self, item: T) -> SendFuture<'_, T> {
        SendFuture {
            chan: &self.chan,
            item: Some(item),
            slot: Slot::default(),
        }
    }

    /// Sends `item` if there is room right now; otherwise [`ChannelError::Full`] (or a
    /// terminal error) hands it back.
    pub fn try_send(&self, item: T) -> Result<(), SendError<T>> {
        self.chan.push(item, None)
    }

    /// Sends every item of `items`, in order, moving as many as fit per lock acquisition and
    /// waiting whenever the buffer is full. On failure the error carries the items that were
    /// *not* sent (items already sent stay sent).
    ///
    /// ```
    /// use futures::executor::block_on;
    /// use futures::join;
    /// use orcapod_channel::channel;
    ///
    /// let (tx, rx) = channel(4);
    /// let (sent, got) = block_on(async {
    ///     join!(
    ///         async move { tx.send_batch((0..100).collect()).await },
    ///         rx.collect_all(),
    ///     )
    /// });
    /// sent.unwrap();
    /// assert_eq!(got, (0..100).collect::<Vec<_>>());
    /// ```
    pub fn send_batch(&self, items: Vec<T>) -> SendBatchFuture<'_, T> {
        SendBatchFuture {
            chan: &self.chan,
            items: items.into_iter(),
            slot: Slot::default(),
        }
    }

    /// Closes the channel for every sender and receiver: later sends fail with
    /// [`ChannelError::Closed`]; receivers drain what is buffered and then get `Closed`.
    /// Returns `true` if this call closed the channel; `false` if it was already closed, or
    /// had already ended because every receiver was dropped (the first end wins).
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether no more items can be sent: the channel was closed or every receiver dropped.
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

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Self {
            chan: Arc::clone(&self.chan),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Future of [`Sender::send`]; resolves once the item is buffered or the send failed.
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    chan: &'a Chan<T>,
    item: Option<T>,
    slot: Slot,
}

// The item is never pinned (it is moved into the buffer), so the future can be `Unpin`.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let item = this
            .item
            .take()
            .expect("SendFuture polled after completion");
        match this.chan.push(item, Some((&mut this.slot, cx.waker()))) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(ChannelError::Full(item)) => {
                this.item = Some(item);
                Poll::Pending
            }
            Err(err) => Poll::Ready(Err(err)),
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_send(&mut self.slot);
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("pending", &self.item.is_some())
            .finish()
    }
}

/// Future of [`Sender::send_batch`].
#[must_use = "futures do nothing unless polled"]
pub struct SendBatchFuture<'a, T> {
    chan: &'a Chan<T>,
    items: std::vec::IntoIter<T>,
    slot: Slot,
}

impl<T> Unpin for SendBatchFuture<'_, T> {}

impl<T> Future for SendBatchFuture<'_, T> {
    type Output = Result<(), SendError<Vec<T>>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this
            .chan
            .push_many(&mut this.items, Some((&mut this.slot, cx.waker())))
        {
            Ok(()) => Poll::Ready(Ok(())),
            Err(ChannelError::Full(())) => Poll::Pending,
            Err(err) => {
                let rest: Vec<T> = std::mem::take(&mut this.items).collect();
                Poll::Ready(Err(err.map(|()| rest)))
            }
        }
    }
}

impl<T> Drop for SendBatchFuture<'_, T> {
    fn drop(&mut self) {
        self.chan.cancel_send(&mut self.slot);
    }
}

impl<T> fmt::Debug for SendBatchFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendBatchFuture")
            .field("remaining", &self.items.len())
            .finish()
    }
}
