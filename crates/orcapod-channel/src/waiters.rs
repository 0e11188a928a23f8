//! FIFO lists of parked tasks, used under the channel mutex.
//!
//! Protocol (wake-one with hand-off):
//!
//! * A pending operation owns a [`Slot`]. While it waits, the slot's id is queued together with
//!   the task's waker ([`Waiters::register`]).
//! * An event that enables one operation (an item pushed, a slot freed) pops the *front* waiter
//!   and wakes it ([`Waiters::notify_one`]). A popped slot keeps its id, so the owner can tell it
//!   was notified.
//! * When the woken operation is polled it either completes, or re-registers at the back.
//! * If a notified operation is dropped before it could use its notification, its owner must
//!   pass the notification on ([`Waiters::cancel`] returns `true`), so a wake-up is never lost.
//! * Terminal events (close, last sender/receiver dropped) wake everybody ([`Waiters::take_all`]).
//!
//! Wakers are never woken under the lock: they are collected in a [`WakeList`] and woken after
//! the guard is released.

use std::collections::VecDeque;
use std::task::Waker;

/// The registration of one pending operation in a [`Waiters`] list.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    id: Option<u64>,
}

impl Slot {
    /// Whether the slot was registered (and possibly notified) and not yet cancelled.
    pub(crate) fn is_registered(&self) -> bool {
        self.id.is_some()
    }
}

/// A FIFO of parked tasks. Ids increase monotonically, so the queue is sorted by id.
#[derive(Debug, Default)]
pub(crate) struct Waiters {
    queue: VecDeque<(u64, Waker)>,
    next_id: u64,
}

impl Waiters {
    fn position(&self, id: u64) -> Option<usize> {
        self.queue.binary_search_by_key(&id, |(i, _)| *i).ok()
    }

    /// Parks the operation owning `slot` with `waker`, or refreshes its waker if it is still
    /// queued. A slot that was notified (popped) is queued again at the back.
    pub(crate) fn register(&mut self, slot: &mut Slot, waker: &Waker) {
        if let Some(pos) = slot.id.and_then(|id| self.position(id)) {
            let entry = &mut self.queue[pos].1;
            if !entry.will_wake(waker) {
                entry.clone_from(waker);
            }
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.queue.push_back((id, waker.clone()));
        slot.id = Some(id);
    }

    /// Forgets `slot`. Returns `true` when the slot had been notified but the notification was
    /// not used (the caller must then pass it on if its operation did not complete).
    pub(crate) fn cancel(&mut self, slot: &mut Slot) -> bool {
        match slot.id.take() {
            None => false,
            Some(id) => match self.position(id) {
                Some(pos) => {
                    self.queue.remove(pos);
                    false
                }
                None => true,
            },
        }
    }

    /// Pops the front waiter, if any, for waking.
    pub(crate) fn notify_one(&mut self) -> Option<Waker> {
        self.queue.pop_front().map(|(_, w)| w)
    }

    /// Pops up to `n` front waiters into `out`.
    pub(crate) fn notify_many(&mut self, n: usize, out: &mut WakeList) {
        for _ in 0..n {
            match self.queue.pop_front() {
                Some((_, w)) => out.push(w),
                None => break,
            }
        }
    }

    /// Pops every waiter into `out`.
    pub(crate) fn take_all(&mut self, out: &mut WakeList) {
        for (_, w) in self.queue.drain(..) {
            out.push(w);
        }
    }

    /// Number of parked operations.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }
}

/// Wakers collected under the lock, woken after it is released.
#[derive(Debug, Default)]
#[must_use = "collected wakers must be woken"]
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    /// Adds a waker.
    pub(crate) fn push(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Wakes everything collected. Call only after releasing the channel lock.
    pub(crate) fn wake(self) {
        if let Some(w) = self.first {
            w.wake();
        }
        for w in self.rest {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::task::noop_waker;

    #[test]
    fn register_notify_cancel_protocol() {
        let w = noop_waker();
        let mut list = Waiters::default();
        let (mut a, mut b, mut c) = (Slot::default(), Slot::default(), Slot::default());
        list.register(&mut a, &w);
        list.register(&mut b, &w);
        list.register(&mut a, &w); // refresh keeps position
        list.register(&mut c, &w);
        assert_eq!(list.len(), 3);
        assert!(list.notify_one().is_some()); // pops a
        assert!(list.cancel(&mut a), "a was notified");
        assert!(!list.cancel(&mut b), "b still queued");
        assert_eq!(list.len(), 1);
        assert!(!a.is_registered() && !b.is_registered() && c.is_registered());
        let mut out = WakeList::default();
        list.take_all(&mut out);
        assert_eq!(list.len(), 0);
        out.wake();
        // c was popped by take_all: re-registering queues it again.
        list.register(&mut c, &w);
        assert_eq!(list.len(), 1);
        assert!(!list.cancel(&mut c));
    }
}
