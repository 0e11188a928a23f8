//! The writing half of the sync channel.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use crossbeam_channel as cb;

use super::{Never, Shared};
use crate::error::{ChannelError, SendError};

/// The writing half of a blocking channel made by [`sync::channel`](super::channel).
///
/// Cloning makes another producer; see the [module docs](super) for the close and drop rules.
///
/// ```
/// use orcapod_channel::{sync, ChannelError};
/// use std::time::Duration;
///
/// let (tx, rx) = sync::channel(1);
/// tx.send("a").unwrap();
/// assert_eq!(tx.try_send("b"), Err(ChannelError::Full("b")));
/// assert_eq!(
///     tx.send_timeout("b", Duration::from_millis(10)),
///     Err(ChannelError::Timeout("b"))
/// );
/// drop(rx);
/// assert_eq!(tx.send("c"), Err(ChannelError::Disconnected("c")));
/// ```
pub struct Sender<T> {
    tx: cb::Sender<T>,
    abort: cb::Receiver<Never>,
    shared: Arc<Shared>,
}

impl<T> Sender<T> {
    pub(super) fn new(tx: cb::Sender<T>, abort: cb::Receiver<Never>, shared: Arc<Shared>) -> Self {
        Self { tx, abort, shared }
    }

    /// Sends `item`, blocking while the buffer is full.
    ///
    /// Fails with [`ChannelError::Closed`] if the channel is (or gets) closed before the item
    /// is buffered, and with [`ChannelError::Disconnected`] once every receiver is dropped;
    /// both hand `item` back.
    pub fn send(&self, item: T) -> Result<(), SendError<T>> {
        let Some(_admission) = self.shared.admit() else {
            return Err(ChannelError::Closed(item));
        };
        self.send_admitted(item, None)
    }

    /// Like [`Sender::send`], but gives up after `timeout` with [`ChannelError::Timeout`].
    pub fn send_timeout(&self, item: T, timeout: Duration) -> Result<(), SendError<T>> {
        let Some(_admission) = self.shared.admit() else {
            return Err(ChannelError::Closed(item));
        };
        self.send_admitted(item, Instant::now().checked_add(timeout))
    }

    /// Sends `item` only if there is room right now; [`ChannelError::Full`] otherwise.
    pub fn try_send(&self, item: T) -> Result<(), SendError<T>> {
        let Some(_admission) = self.shared.admit() else {
            return Err(ChannelError::Closed(item));
        };
        self.tx.try_send(item).map_err(|e| match e {
            cb::TrySendError::Full(item) => ChannelError::Full(item),
            cb::TrySendError::Disconnected(item) => ChannelError::Disconnected(item),
        })
    }

    /// Sends every item in order, blocking whenever the buffer is full; cheaper per item than
    /// repeated [`Sender::send`]. On failure the error carries the items not sent.
    pub fn send_batch(&self, items: Vec<T>) -> Result<(), SendError<Vec<T>>> {
        let Some(_admission) = self.shared.admit() else {
            return Err(ChannelError::Closed(items));
        };
        let mut items = items.into_iter();
        while let Some(item) = items.next() {
            if let Err(err) = self.send_admitted(item, None) {
                return Err(err.map(|failed| std::iter::once(failed).chain(items).collect()));
            }
        }
        Ok(())
    }

    /// The send itself, once admitted: fast path, then a blocking select on "room in the
    /// buffer" versus "close() started".
    fn send_admitted(&self, item: T, deadline: Option<Instant>) -> Result<(), SendError<T>> {
        let item = match self.tx.try_send(item) {
            Ok(()) => return Ok(()),
            Err(cb::TrySendError::Disconnected(item)) => {
                return Err(ChannelError::Disconnected(item));
            }
            Err(cb::TrySendError::Full(item)) => item,
        };
        let mut sel = cb::Select::new();
        let send_op = sel.send(&self.tx);
        let abort_op = sel.recv(&self.abort);
        let op = match deadline {
            None => sel.select(),
            Some(deadline) => match sel.select_deadline(deadline) {
                Ok(op) => op,
                Err(_) => return Err(ChannelError::Timeout(item)),
            },
        };
        match op.index() {
            i if i == send_op => op
                .send(&self.tx, item)
                .map_err(|e| ChannelError::Disconnected(e.into_inner())),
            i => {
                debug_assert_eq!(i, abort_op);
                let _ = op.recv(&self.abort);
                Err(ChannelError::Closed(item))
            }
        }
    }

    /// Closes the channel: later sends fail with [`ChannelError::Closed`], senders blocked on
    /// a full buffer fail too, and receivers drain what is buffered and then get `Closed`.
    /// Blocks briefly until sends already in progress have finished. Returns `true` if this
    /// call closed the channel (`false` if it was already closed, or already ended because
    /// every receiver was dropped).
    pub fn close(&self) -> bool {
        self.shared.close()
    }

    /// Whether no more items can be sent: closed, or every receiver dropped.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Number of items currently buffered.
    pub fn len(&self) -> usize {
        self.tx.len()
    }

    /// Whether the buffer is empty right now.
    pub fn is_empty(&self) -> bool {
        self.tx.is_empty()
    }

    /// The buffer size the channel was created with.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, SeqCst);
        Self::new(
            self.tx.clone(),
            self.abort.clone(),
            Arc::clone(&self.shared),
        )
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.shared.senders.fetch_sub(1, SeqCst);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("sync::Sender")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}
