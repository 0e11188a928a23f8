//! Exhaustive interleavings of the async MPMC channel.

use std::cell::RefCell;
use std::rc::Rc;

use futures::StreamExt;
use orcapod_channel::{ChannelError, Receiver, RecvError, Sender, channel};

use super::explorer::{End, Outcome, Task, explore};
use super::{Log, log};

type Check = Box<dyn FnOnce(&Outcome)>;

/// Sends `items` in order, recording each result; drops the sender at the end.
async fn send_all(tx: Sender<u32>, items: Vec<u32>, results: Log<Result<u32, u32>>) {
    for item in items {
        let r = tx.send(item).await;
        results
            .borrow_mut()
            .push(r.map(|()| item).map_err(|e| e.into_inner().unwrap()));
    }
}

/// Receives until the channel ends, logging `(receiver, item)` and the terminal error.
async fn recv_all(
    rx: Receiver<u32>,
    name: &'static str,
    got: Log<(&'static str, u32)>,
    ends: Log<RecvError>,
) {
    loop {
        match rx.recv().await {
            Ok(v) => got.borrow_mut().push((name, v)),
            Err(e) => {
                ends.borrow_mut().push(e);
                // Terminal errors repeat.
                assert_eq!(rx.try_recv(), Err(e));
                return;
            }
        }
    }
}

fn sorted_items(got: &Log<(&'static str, u32)>) -> Vec<u32> {
    let mut v: Vec<u32> = got.borrow().iter().map(|&(_, x)| x).collect();
    v.sort_unstable();
    v
}

/// Within each receiver, the items of each producer (told apart by `item / 10`) increase.
fn assert_fifo_per_producer(got: &Log<(&'static str, u32)>) {
    let got = got.borrow();
    for rname in ["r1", "r2"] {
        for producer in 0..=10 {
            let seq: Vec<u32> = got
                .iter()
                .filter(|&&(r, x)| r == rname && x / 10 == producer)
                .map(|&(_, x)| x)
                .collect();
            assert!(seq.windows(2).all(|w| w[0] < w[1]), "{rname}: {seq:?}");
        }
    }
}

#[test]
fn two_producers_two_consumers_capacity_one_then_writers_drop() {
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(1);
        let (got, ends, res) = (log(), log(), log());
        let tasks = vec![
            Task::new("s1", send_all(tx.clone(), vec![1, 2], res.clone())),
            Task::new("s2", send_all(tx, vec![11, 12], res.clone())),
            Task::new("r1", recv_all(rx.clone(), "r1", got.clone(), ends.clone())),
            Task::new("r2", recv_all(rx, "r2", got.clone(), ends.clone())),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            assert!(res.borrow().iter().all(Result::is_ok));
            assert_eq!(sorted_items(&got), vec![1, 2, 11, 12], "{:?}", o.trace);
            assert_fifo_per_producer(&got);
            assert_eq!(*ends.borrow(), vec![ChannelError::Disconnected(()); 2]);
        });
        (tasks, check)
    });
    assert!(runs > 1000, "only {runs} schedules");
}

/// `close()` races with a producer and two consumers: exactly the items whose send returned
/// `Ok` are received, sends after the close fail with `Closed`, every reader ends `Closed`.
#[test]
fn close_races_with_sends_and_receives() {
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(1);
        let (got, ends, res) = (log(), log(), log());
        let closer = tx.clone();
        let tasks = vec![
            Task::new("send", send_all(tx, vec![1, 2, 3], res.clone())),
            Task::new("close", async move {
                assert!(closer.close());
            }),
            Task::new("r1", recv_all(rx.clone(), "r1", got.clone(), ends.clone())),
            Task::new("r2", recv_all(rx, "r2", got.clone(), ends.clone())),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            let res = res.borrow();
            let ok: Vec<u32> = res.iter().filter_map(|r| r.ok()).collect();
            let first_err = res.iter().position(Result::is_err).unwrap_or(res.len());
            assert!(res[first_err..].iter().all(Result::is_err), "{res:?}");
            assert_eq!(sorted_items(&got), ok, "{:?}", o.trace);
            assert_eq!(*ends.borrow(), vec![ChannelError::Closed(()); 2]);
        });
        (tasks, check)
    });
    assert!(runs > 100, "only {runs} schedules");
}

/// A receive that was woken for an item and then cancelled must pass the wake-up on.
#[test]
fn cancelled_receiver_passes_its_wakeup_on() {
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(1);
        let (got, ends, res) = (log(), log(), log());
        let got_a = got.clone();
        let rx_a = rx.clone();
        let tasks = vec![
            Task::new("send", async move {
                send_all(tx.clone(), vec![1, 2, 3], res).await;
                tx.close();
            }),
            Task::cancellable("ra", async move {
                if let Ok(v) = rx_a.recv().await {
                    got_a.borrow_mut().push(("ra", v));
                }
            }),
            Task::new("rb", recv_all(rx, "rb", got.clone(), ends.clone())),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            assert_eq!(sorted_items(&got), vec![1, 2, 3], "{:?}", o.trace);
            assert_eq!(*ends.borrow(), vec![ChannelError::Closed(())]);
        });
        (tasks, check)
    });
    assert!(runs > 50, "only {runs} schedules");
}

/// A send that was woken for a free slot and then cancelled must pass the wake-up on; its
/// item is delivered if and only if the send completed.
#[test]
fn cancelled_sender_passes_its_wakeup_on() {
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(1);
        let (got, ends, res) = (log(), log(), log());
        let (tx_a, tx_b) = (tx.clone(), tx.clone());
        let tasks = vec![
            Task::new("fill", send_all(tx, vec![1], res.clone())),
            Task::cancellable("sa", async move {
                tx_a.send(100).await.unwrap();
            }),
            Task::new("sb", send_all(tx_b, vec![2], res)),
            Task::new("r1", recv_all(rx, "r1", got.clone(), ends.clone())),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            let mut expected = vec![1, 2];
            if o.end_of("sa") == End::Done {
                expected.push(100);
            }
            assert_eq!(sorted_items(&got), expected, "{:?}", o.trace);
            assert_eq!(*ends.borrow(), vec![ChannelError::Disconnected(())]);
        });
        (tasks, check)
    });
    assert!(runs > 20, "only {runs} schedules");
}

/// Dropping the only receiver releases a producer waiting on a full buffer.
#[test]
fn receiver_drop_fails_waiting_sender() {
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(1);
        let (res, got) = (log(), Rc::new(RefCell::new(None)));
        let got_r = Rc::clone(&got);
        let tasks = vec![
            Task::new("send", send_all(tx, vec![1, 2, 3, 4], res.clone())),
            Task::new("recv-one-then-drop", async move {
                *got_r.borrow_mut() = Some(rx.recv().await.unwrap());
            }),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            assert_eq!(*got.borrow(), Some(1));
            let res = res.borrow();
            let oks = res.iter().take_while(|r| r.is_ok()).count();
            assert!((1..=2).contains(&oks), "{res:?}");
            assert!(res[oks..].iter().all(Result::is_err));
        });
        (tasks, check)
    });
    assert!(runs >= 2, "only {runs} schedules");
}

/// Batch sends and receives, plus a `Stream` consumer, under every interleaving.
#[test]
fn batches_and_stream_consumers() {
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(2);
        let (got, ends) = (log(), log());
        let tx2 = tx.clone();
        let (got1, ends1) = (got.clone(), ends.clone());
        let (got2, mut rx2) = (got.clone(), rx.clone());
        let tasks = vec![
            Task::new("s1", async move {
                tx.send_batch(vec![1, 2, 3, 4, 5]).await.unwrap();
            }),
            Task::new("s2", async move {
                tx2.send(11).await.unwrap();
            }),
            Task::new("r1", async move {
                loop {
                    match rx.recv_batch(2).await {
                        Ok(batch) => {
                            assert!((1..=2).contains(&batch.len()));
                            got1.borrow_mut()
                                .extend(batch.into_iter().map(|x| ("r1", x)));
                        }
                        Err(e) => return ends1.borrow_mut().push(e),
                    }
                }
            }),
            Task::new("r2", async move {
                while let Some(x) = rx2.next().await {
                    got2.borrow_mut().push(("r2", x));
                }
            }),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            assert_eq!(sorted_items(&got), vec![1, 2, 3, 4, 5, 11], "{:?}", o.trace);
            assert_fifo_per_producer(&got);
            assert_eq!(*ends.borrow(), vec![ChannelError::Disconnected(())]);
        });
        (tasks, check)
    });
    assert!(runs > 100, "only {runs} schedules");
}

/// A consumer closes the channel mid-stream while the producer waits for room.
#[test]
fn receiver_side_close_while_sender_waits() {
    let runs = explore(|| {
        let (tx, rx) = channel::<u32>(1);
        let (res, got, ends) = (log(), log(), log());
        let (got_r, ends_r) = (got.clone(), ends.clone());
        let tasks = vec![
            Task::new("send", send_all(tx, vec![1, 2, 3], res.clone())),
            Task::new("recv", async move {
                let first = rx.recv().await.unwrap();
                got_r.borrow_mut().push(("r1", first));
                rx.close();
                recv_all(rx, "r1", got_r, ends_r).await;
            }),
        ];
        let check: Check = Box::new(move |o| {
            o.assert_no_stuck();
            let ok: Vec<u32> = res.borrow().iter().filter_map(|r| r.ok()).collect();
            assert!(res.borrow().iter().any(Result::is_err), "send 3 cannot fit");
            assert_eq!(sorted_items(&got), ok);
            assert_eq!(*ends.borrow(), vec![ChannelError::Closed(())]);
        });
        (tasks, check)
    });
    assert!(runs >= 2, "only {runs} schedules");
}
