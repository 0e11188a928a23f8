//! The shared core of the async channels: a bounded `VecDeque` under a mutex, plus two waiter
//! lists (parked receivers, parked senders).
//!
//! Every operation takes the lock once. Wakers are collected under the lock and woken after it
//! is released, and items discarded when the last receiver goes away are dropped after it is
//! released too, so neither `Waker::wake` nor an item's `Drop` ever runs under the lock.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::Waker;

use crate::error::ChannelError;
use crate::waiters::{Slot, Waiters, WakeList};

/// A registration request: the operation's slot and the task's waker. `None` means
/// "don't park on failure" (`try_*` operations).
pub(crate) type Park<'a, 'w> = Option<(&'a mut Slot, &'w Waker)>;

/// Mutable channel state.
#[derive(Debug)]
struct State<T> {
    buf: VecDeque<T>,
    closed: bool,
    senders: usize,
    receivers: usize,
    recv_waiters: Waiters,
    send_waiters: Waiters,
}

impl<T> State<T> {
    /// The terminal receive error, if no item can ever arrive any more.
    fn end(&self) -> Option<ChannelError> {
        if self.closed {
            Some(ChannelError::Closed(()))
        } else if self.senders == 0 {
            Some(ChannelError::Disconnected(()))
        } else {
            None
        }
    }
}

/// The shared core of one bounded async channel.
#[derive(Debug)]
pub(crate) struct Chan<T> {
    state: Mutex<State<T>>,
    capacity: usize,
}

impl<T> Chan<T> {
    /// A channel with `capacity` slots, `senders` live senders and `receivers` live receivers.
    pub(crate) fn new(capacity: usize, senders: usize, receivers: usize) -> Self {
        assert!(capacity > 0, "channel capacity must be at least 1");
        Self {
            state: Mutex::new(State {
                buf: VecDeque::with_capacity(capacity.min(1024)),
                closed: false,
                senders,
                receivers,
                recv_waiters: Waiters::default(),
                send_waiters: Waiters::default(),
            }),
            capacity,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // No code path panics while holding the lock, but never propagate poisoning anyway.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The buffer size.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Items currently buffered.
    pub(crate) fn len(&self) -> usize {
        self.lock().buf.len()
    }

    /// Whether a send could still succeed some day: not closed and some receiver alive.
    pub(crate) fn accepts_items(&self) -> bool {
        let st = self.lock();
        !st.closed && st.receivers > 0
    }

    /// Whether no more items can enter: closed, or no senders, or no receivers left.
    pub(crate) fn is_closed(&self) -> bool {
        let st = self.lock();
        st.closed || st.senders == 0 || st.receivers == 0
    }

    /// Whether a receive would return a terminal error right now (ended and drained).
    pub(crate) fn is_terminated(&self) -> bool {
        let st = self.lock();
        st.buf.is_empty() && st.end().is_some()
    }

    /// Pushes one item, or returns it with the reason. With `park`, a `Full` result parks the
    /// caller on the sender list.
    pub(crate) fn push(&self, item: T, park: Park<'_, '_>) -> Result<(), ChannelError<T>> {
        let mut st = self.lock();
        if st.closed || st.receivers == 0 {
            if let Some((slot, _)) = park {
                st.send_waiters.cancel(slot);
            }
            return Err(if st.closed {
                ChannelError::Closed(item)
            } else {
                ChannelError::Disconnected(item)
            });
        }
        if st.buf.len() >= self.capacity {
            if let Some((slot, waker)) = park {
                st.send_waiters.register(slot, waker);
            }
            return Err(ChannelError::Full(item));
        }
        st.buf.push_back(item);
        if let Some((slot, _)) = park {
            st.send_waiters.cancel(slot);
        }
        let waker = st.recv_waiters.notify_one();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Moves as many items from `items` as fit. `Ok(())` once `items` is exhausted; otherwise
    /// `Full(())` (parked with `park`), `Closed(())` or `Disconnected(())`.
    pub(crate) fn push_many(
        &self,
        items: &mut std::vec::IntoIter<T>,
        park: Park<'_, '_>,
    ) -> Result<(), ChannelError> {
        let mut st = self.lock();
        if st.closed || st.receivers == 0 {
            if let Some((slot, _)) = park {
                st.send_waiters.cancel(slot);
            }
            return Err(if st.closed {
                ChannelError::Closed(())
            } else {
                ChannelError::Disconnected(())
            });
        }
        let room = self.capacity.saturating_sub(st.buf.len());
        let before = st.buf.len();
        st.buf.extend(items.by_ref().take(room));
        let moved = st.buf.len() - before;
        let mut wakers = WakeList::default();
        st.recv_waiters.notify_many(moved, &mut wakers);
        let result = if items.len() == 0 {
            if let Some((slot, _)) = park {
                st.send_waiters.cancel(slot);
            }
            Ok(())
        } else {
            if let Some((slot, waker)) = park {
                st.send_waiters.register(slot, waker);
            }
            Err(ChannelError::Full(()))
        };
        drop(st);
        wakers.wake();
        result
    }

    /// Pops one item. Fails with `Empty` (parked with `park`) or a terminal error once drained.
    pub(crate) fn pop(&self, park: Park<'_, '_>) -> Result<T, ChannelError> {
        let mut st = self.lock();
        if let Some(item) = st.buf.pop_front() {
            if let Some((slot, _)) = park {
                st.recv_waiters.cancel(slot);
            }
            let waker = st.send_waiters.notify_one();
            drop(st);
            if let Some(w) = waker {
                w.wake();
            }
            return Ok(item);
        }
        Err(Self::empty(&mut st, park))
    }

    /// Pops up to `max` (at least 1) items into `out`; same failure modes as [`Chan::pop`].
    pub(crate) fn pop_many(
        &self,
        max: usize,
        out: &mut Vec<T>,
        park: Park<'_, '_>,
    ) -> Result<(), ChannelError> {
        let mut st = self.lock();
        if st.buf.is_empty() {
            return Err(Self::empty(&mut st, park));
        }
        let n = max.max(1).min(st.buf.len());
        out.extend(st.buf.drain(..n));
        if let Some((slot, _)) = park {
            st.recv_waiters.cancel(slot);
        }
        let mut wakers = WakeList::default();
        st.send_waiters.notify_many(n, &mut wakers);
        drop(st);
        wakers.wake();
        Ok(())
    }

    /// The failure of a receive on an empty buffer: terminal, or `Empty` (parked with `park`).
    fn empty(st: &mut State<T>, park: Park<'_, '_>) -> ChannelError {
        match (st.end(), park) {
            (Some(end), Some((slot, _))) => {
                st.recv_waiters.cancel(slot);
                end
            }
            (Some(end), None) => end,
            (None, Some((slot, waker))) => {
                st.recv_waiters.register(slot, waker);
                ChannelError::Empty
            }
            (None, None) => ChannelError::Empty,
        }
    }

    /// Closes the channel. Returns `true` if this call closed it; `false` if it was already
    /// closed, or already ended because every sender or every receiver was dropped (the first
    /// end wins, so receivers never see `Disconnected` turn into `Closed`).
    pub(crate) fn close(&self) -> bool {
        let mut st = self.lock();
        if st.closed || st.senders == 0 || st.receivers == 0 {
            return false;
        }
        st.closed = true;
        let mut wakers = WakeList::default();
        st.recv_waiters.take_all(&mut wakers);
        st.send_waiters.take_all(&mut wakers);
        drop(st);
        wakers.wake();
        true
    }

    /// Registers one more sender handle.
    pub(crate) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    /// Registers one more receiver handle.
    pub(crate) fn add_receiver(&self) {
        self.lock().receivers += 1;
    }

    /// Drops one sender handle; the last one wakes every parked receiver.
    pub(crate) fn drop_sender(&self) {
        let mut st = self.lock();
        st.senders -= 1;
        if st.senders > 0 {
            return;
        }
        let mut wakers = WakeList::default();
        st.recv_waiters.take_all(&mut wakers);
        drop(st);
        wakers.wake();
    }

    /// Drops one receiver handle; the last one discards the buffer and wakes every parked sender.
    pub(crate) fn drop_receiver(&self) {
        let mut st = self.lock();
        st.receivers -= 1;
        if st.receivers > 0 {
            return;
        }
        let orphans = std::mem::take(&mut st.buf);
        let mut wakers = WakeList::default();
        st.send_waiters.take_all(&mut wakers);
        drop(st);
        wakers.wake();
        drop(orphans);
    }

    /// Forgets a parked send; a notification it had not used is passed to the next sender.
    pub(crate) fn cancel_send(&self, slot: &mut Slot) {
        if !slot.is_registered() {
            return;
        }
        let mut st = self.lock();
        let waker = if st.send_waiters.cancel(slot) {
            st.send_waiters.notify_one()
        } else {
            None
        };
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Forgets a parked receive; a notification it had not used is passed to the next receiver.
    pub(crate) fn cancel_recv(&self, slot: &mut Slot) {
        if !slot.is_registered() {
            return;
        }
        let mut st = self.lock();
        let waker = if st.recv_waiters.cancel(slot) {
            st.recv_waiters.notify_one()
        } else {
            None
        };
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
    }
}
