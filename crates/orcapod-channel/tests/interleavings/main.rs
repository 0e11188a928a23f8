//! Deterministic exhaustive-interleaving tests: every order in which an executor could poll
//! (and, where marked, cancel) the tasks of a small scenario is run, and every run is checked
//! for lost wake-ups (a task left pending that nobody woke), lost or duplicated items, and the
//! close/disconnect rules.

mod broadcast;
mod explorer;
mod mpmc;

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use explorer::{End, Outcome, Task, explore};
use futures::task::noop_waker;
use orcapod_channel::channel;

/// A shared log for scenario tasks.
pub type Log<T> = Rc<RefCell<Vec<T>>>;

/// A fresh empty log.
pub fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// A deliberately broken future: the first poll hides the task's waker from the inner future.
struct LoseFirstWake<F> {
    inner: Pin<Box<F>>,
    first: bool,
}

impl<F: Future> Future for LoseFirstWake<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.first {
            self.first = false;
            let noop = noop_waker();
            return self.inner.as_mut().poll(&mut Context::from_waker(&noop));
        }
        self.inner.as_mut().poll(cx)
    }
}

/// The explorer must catch a lost wake-up: it must find schedules where the receiver is left
/// stuck (it parked with a waker that never reaches the task) and schedules where it is not.
#[test]
fn explorer_detects_lost_wakeups() {
    let stuck = Rc::new(RefCell::new((0usize, 0usize)));
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(1);
        let counts = Rc::clone(&stuck);
        let tasks = vec![
            Task::new("send", async move {
                tx.send(7).await.unwrap();
            }),
            Task::new("recv", async move {
                let lossy = LoseFirstWake {
                    inner: Box::pin(async move { rx.recv().await }),
                    first: true,
                };
                assert_eq!(lossy.await, Ok(7));
            }),
        ];
        let check: Box<dyn FnOnce(&Outcome)> = Box::new(move |o: &Outcome| {
            let mut c = counts.borrow_mut();
            if o.end_of("recv") == End::Stuck {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
        });
        (tasks, check)
    });
    let (stuck_runs, ok_runs) = *stuck.borrow();
    assert_eq!(stuck_runs + ok_runs, runs);
    assert!(stuck_runs > 0, "the lost wake-up was not detected");
    assert!(
        ok_runs > 0,
        "some schedules deliver the item before the receiver parks"
    );
}

/// Sanity check of the explorer itself: two independent tasks with two polls each have
/// exactly the interleavings one expects.
#[test]
fn explorer_enumerates_all_orders() {
    let runs = explore(|| {
        let t = |name| {
            Task::new(name, async {
                let mut yielded = false;
                futures::future::poll_fn(move |cx| {
                    if yielded {
                        Poll::Ready(())
                    } else {
                        yielded = true;
                        cx.waker().wake_by_ref();
                        Poll::Pending
                    }
                })
                .await;
            })
        };
        let check: Box<dyn FnOnce(&Outcome)> = Box::new(|o: &Outcome| o.assert_no_stuck());
        (vec![t("a"), t("b")], check)
    });
    // Sequences of a,a,b,b keeping each task's own order: C(4,2) = 6.
    assert_eq!(runs, 6);
}
