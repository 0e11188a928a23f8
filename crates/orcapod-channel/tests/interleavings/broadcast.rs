//! Exhaustive interleavings of the broadcast channel.

use orcapod_channel::{ChannelError, Receiver, RecvError, broadcast};

use super::explorer::{End, Outcome, Task, explore};
use super::{Log, log};

type Check = Box<dyn FnOnce(&Outcome)>;

async fn reader(rx: Receiver<u32>, got: Log<u32>, ends: Log<RecvError>) {
    loop {
        match rx.recv().await {
            Ok(v) => got.borrow_mut().push(v),
            Err(e) => return ends.borrow_mut().push(e),
        }
    }
}

#[test]
fn every_reader_gets_every_item_in_order() {
    let runs = explore(|| {
        let tx = broadcast::channel::<u32>(1);
        let (a, b) = (tx.subscribe(), tx.subscribe());
        let (got_a, got_b, ends) = (log(), log(), log());
        let tasks = vec![
            Task::new("writer", async move {
                for i in 1..=3 {
                    tx.send(i).await.unwrap();
                }
                assert!(tx.close());
            }),
            Task::new("a", reader(a, got_a.clone(), ends.clone())),
            Task::new("b", reader(b, got_b.clone(), ends.clone())),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            assert_eq!(*got_a.borrow(), vec![1, 2, 3], "{:?}", o.trace);
            assert_eq!(*got_b.borrow(), vec![1, 2, 3], "{:?}", o.trace);
            assert_eq!(*ends.borrow(), vec![ChannelError::Closed(()); 2]);
        });
        (tasks, check)
    });
    assert!(runs > 100, "only {runs} schedules");
}

/// A reader that leaves early never holds the writer back; the others see everything and,
/// since the writer is dropped without `close()`, end `Disconnected`.
#[test]
fn reader_leaving_frees_the_writer() {
    let runs = explore(|| {
        let tx = broadcast::channel::<u32>(1);
        let (a, b) = (tx.subscribe(), tx.subscribe());
        let (got_a, got_b, ends) = (log(), log(), log());
        let got_a2 = got_a.clone();
        let tasks = vec![
            Task::new("writer", async move {
                for i in 1..=4 {
                    tx.send(i).await.unwrap();
                }
            }),
            Task::new("a-leaves", async move {
                let first = a.recv().await.unwrap();
                got_a2.borrow_mut().push(first);
            }),
            Task::new("b", reader(b, got_b.clone(), ends.clone())),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            assert_eq!(*got_a.borrow(), vec![1]);
            assert_eq!(*got_b.borrow(), vec![1, 2, 3, 4], "{:?}", o.trace);
            assert_eq!(*ends.borrow(), vec![ChannelError::Disconnected(())]);
        });
        (tasks, check)
    });
    assert!(runs > 20, "only {runs} schedules");
}

/// The writer's send is cancelled at arbitrary points; the readers stay consistent: each sees
/// a prefix-closed, in-order subset, and every reader sees the items whose send completed.
#[test]
fn cancelled_broadcast_send_leaves_readers_consistent() {
    let runs = explore(|| {
        let tx = broadcast::channel::<u32>(1);
        let (a, b) = (tx.subscribe(), tx.subscribe());
        let (got_a, got_b, ends, done) = (log(), log(), log(), log());
        let done_w = done.clone();
        let tasks = vec![
            Task::cancellable("writer", async move {
                for i in 1..=3 {
                    tx.send(i).await.unwrap();
                    done_w.borrow_mut().push(i);
                }
                tx.close();
            }),
            Task::new("a", reader(a, got_a.clone(), ends.clone())),
            Task::new("b", reader(b, got_b.clone(), ends.clone())),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            let done = done.borrow();
            for got in [&got_a, &got_b] {
                let got = got.borrow();
                assert!(got.windows(2).all(|w| w[0] < w[1]), "{got:?}");
                assert!(got.starts_with(&done), "{got:?} vs completed {done:?}");
                assert!(got.len() <= done.len() + 1);
            }
            let end = if o.end_of("writer") == End::Done {
                ChannelError::Closed(())
            } else {
                ChannelError::Disconnected(())
            };
            assert_eq!(*ends.borrow(), vec![end; 2]);
        });
        (tasks, check)
    });
    assert!(runs > 100, "only {runs} schedules");
}
