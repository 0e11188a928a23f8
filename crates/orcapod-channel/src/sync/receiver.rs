//! The reading half of the sync channel.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use crossbeam_channel as cb;

use super::{Never, Shared};
use crate::error::{ChannelError, RecvError};

/// The reading half of a blocking channel made by [`sync::channel`](super::channel).
///
/// Cloning makes another consumer; each item goes to exactly one receiver. A receiver is an
/// [`Iterator`] that ends when the channel ends (closed or disconnected) and is drained.
///
/// ```
/// use orcapod_channel::{sync, ChannelError};
/// use std::time::Duration;
///
/// let (tx, rx) = sync::channel(8);
/// assert_eq!(rx.try_recv(), Err(ChannelError::Empty));
/// assert_eq!(rx.recv_timeout(Duration::from_millis(5)), Err(ChannelError::Timeout(())));
/// tx.send_batch(vec![1, 2, 3]).unwrap();
/// tx.close();
/// assert_eq!(rx.recv(), Ok(1));
/// assert_eq!(rx.iter().collect::<Vec<_>>(), vec![2, 3]);
/// assert_eq!(rx.recv(), Err(ChannelError::Closed(())));
/// assert_eq!(rx.try_recv(), Err(ChannelError::Closed(())));
/// ```
pub struct Receiver<T> {
    rx: cb::Receiver<T>,
    done: cb::Receiver<Never>,
    shared: Arc<Shared>,
}

impl<T> Receiver<T> {
    pub(super) fn new(rx: cb::Receiver<T>, done: cb::Receiver<Never>, shared: Arc<Shared>) -> Self {
        Self { rx, done, shared }
    }

    /// Receives the next item, blocking while the buffer is empty. After the channel ended
    /// and drained: [`ChannelError::Closed`] or [`ChannelError::Disconnected`], every time.
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_until(None)
    }

    /// Like [`Receiver::recv`], but gives up after `timeout` with [`ChannelError::Timeout`].
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvError> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.recv_until(Some(deadline)),
            None => self.recv(),
        }
    }

    /// Receives an item if one is buffered right now; [`ChannelError::Empty`] if not (and the
    /// channel has not ended).
    pub fn try_recv(&self) -> Result<T, RecvError> {
        match self.rx.try_recv() {
            Ok(item) => Ok(item),
            Err(cb::TryRecvError::Disconnected) => Err(self.shared.end()),
            Err(cb::TryRecvError::Empty) if self.shared.is_done() => {
                self.rx.try_recv().map_err(|_| self.shared.end())
            }
            Err(cb::TryRecvError::Empty) => Err(ChannelError::Empty),
        }
    }

    /// Blocks until at least one item is buffered, then takes up to `max` (at least 1) items
    /// that are available without blocking. Fails like [`Receiver::recv`].
    pub fn recv_batch(&self, max: usize) -> Result<Vec<T>, RecvError> {
        let first = self.recv()?;
        let mut out = Vec::with_capacity(max.clamp(1, 1024));
        out.push(first);
        while out.len() < max {
            match self.rx.try_recv() {
                Ok(item) => out.push(item),
                Err(_) => break,
            }
        }
        Ok(out)
    }

    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvError> {
        loop {
            match self.rx.try_recv() {
                Ok(item) => return Ok(item),
                Err(cb::TryRecvError::Disconnected) => return Err(self.shared.end()),
                Err(cb::TryRecvError::Empty) => {}
            }
            if self.shared.is_done() {
                // Every admitted send finished before `done` was set: what is not buffered
                // now never will be.
                return self.rx.try_recv().map_err(|_| self.shared.end());
            }
            let mut sel = cb::Select::new();
            let recv_op = sel.recv(&self.rx);
            sel.recv(&self.done);
            let op = match deadline {
                None => sel.select(),
                Some(deadline) => match sel.select_deadline(deadline) {
                    Ok(op) => op,
                    Err(_) => return Err(ChannelError::Timeout(())),
                },
            };
            if op.index() == recv_op {
                return op.recv(&self.rx).map_err(|_| self.shared.end());
            }
            // `close()` finished: loop to drain or conclude.
            let _ = op.recv(&self.done);
        }
    }

    /// Receives every remaining item until the channel ends (closed or disconnected alike).
    pub fn collect_all(self) -> Vec<T> {
        self.collect()
    }

    /// Receives every remaining item until the channel ends: `Ok` if closed with `close()`,
    /// `Err(ChannelError::Disconnected(items))` if every sender was dropped without closing.
    pub fn try_collect_all(self) -> Result<Vec<T>, ChannelError<Vec<T>>> {
        let mut out = Vec::new();
        loop {
            match self.recv() {
                Ok(item) => out.push(item),
                Err(ChannelError::Closed(())) => return Ok(out),
                Err(end) => return Err(end.map(|()| out)),
            }
        }
    }

    /// An iterator over received items that borrows the receiver.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// Closes the channel from the receiving side; see [`Sender::close`](super::Sender::close).
    pub fn close(&self) -> bool {
        self.shared.close()
    }

    /// Whether no more items can arrive: closed, or every sender dropped (buffered items may
    /// still be waiting).
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Number of items currently buffered.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// Whether the buffer is empty right now.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// The buffer size the channel was created with.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }
}

impl<T> Iterator for Receiver<T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

/// Borrowing iterator over received items; see [`Receiver::iter`].
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> fmt::Debug for Iter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("sync::Iter").field("rx", self.rx).finish()
    }
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.receivers.fetch_add(1, SeqCst);
        Self::new(self.rx.clone(), self.done.clone(), Arc::clone(&self.shared))
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.shared.receivers.fetch_sub(1, SeqCst);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("sync::Receiver")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}
