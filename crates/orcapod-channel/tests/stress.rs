//! Many producers and consumers on real threads and executors, tiny capacities: every item
//! must arrive exactly once, in per-producer order, and the channel must end the right way.
//! Each test runs under a watchdog so a lost wake-up fails instead of hanging.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use common::within;
use futures::executor::{LocalPool, ThreadPool, block_on};
use futures::future::join_all;
use futures::task::{LocalSpawnExt, SpawnExt};
use orcapod_channel::{ChannelError, Receiver, RecvError, broadcast, channel, sync};

const LIMIT: Duration = Duration::from_secs(30);

fn pool() -> ThreadPool {
    ThreadPool::builder().pool_size(4).create().unwrap()
}

/// Checks a run: the union of all consumers' items is exactly `0..n`, and within each
/// consumer the items of each producer (`item % producers`) arrive in increasing order.
fn verify(per_consumer: &[Vec<u64>], producers: u64, n: u64) {
    for got in per_consumer {
        let mut last = vec![None; producers as usize];
        for &x in got {
            let p = (x % producers) as usize;
            assert!(
                last[p] < Some(x),
                "producer {p} out of order: {:?} then {x}",
                last[p]
            );
            last[p] = Some(x);
        }
    }
    let mut all: Vec<u64> = per_consumer.iter().flatten().copied().collect();
    assert_eq!(all.len() as u64, n, "items lost or duplicated");
    all.sort_unstable();
    assert!(all.iter().copied().eq(0..n), "items lost or duplicated");
}

/// Producer `p` sends `p, p + P, p + 2P, ...` below `n`.
fn items_of(p: u64, producers: u64, n: u64) -> impl Iterator<Item = u64> {
    (p..n).step_by(producers as usize)
}

async fn consume(rx: Receiver<u64>) -> (Vec<u64>, RecvError) {
    let mut got = Vec::new();
    loop {
        match rx.recv().await {
            Ok(x) => got.push(x),
            Err(e) => return (got, e),
        }
    }
}

/// `P` producers and `C` consumers on a thread pool. With `close`, a coordinator closes the
/// channel after every producer finished; otherwise the producers just drop their senders.
fn async_mpmc(capacity: usize, producers: u64, consumers: u64, n: u64, close: bool) {
    within(LIMIT, move || {
        let pool = pool();
        let (tx, rx) = channel::<u64>(capacity);
        let consumer_tasks: Vec<_> = (0..consumers)
            .map(|_| pool.spawn_with_handle(consume(rx.clone())).unwrap())
            .collect();
        drop(rx);
        let producer_tasks: Vec<_> = (0..producers)
            .map(|p| {
                let tx = tx.clone();
                pool.spawn_with_handle(async move {
                    for x in items_of(p, producers, n) {
                        tx.send(x).await.unwrap();
                    }
                })
                .unwrap()
            })
            .collect();
        block_on(join_all(producer_tasks));
        if close {
            assert!(tx.close());
        }
        drop(tx);
        let results = block_on(join_all(consumer_tasks));
        let expected = if close {
            ChannelError::Closed(())
        } else {
            ChannelError::Disconnected(())
        };
        assert!(results.iter().all(|(_, end)| *end == expected));
        let got: Vec<Vec<u64>> = results.into_iter().map(|(g, _)| g).collect();
        verify(&got, producers, n);
    });
}

#[test]
fn async_8x8_capacity_1_thread_pool() {
    async_mpmc(1, 8, 8, 100_000, false);
}

#[test]
fn async_8x8_capacity_2_thread_pool_with_close() {
    async_mpmc(2, 8, 8, 100_000, true);
}

#[test]
fn async_batches_8x8_capacity_2_thread_pool() {
    within(LIMIT, || {
        let (producers, n) = (8u64, 100_000u64);
        let pool = pool();
        let (tx, rx) = channel::<u64>(2);
        let consumers: Vec<_> = (0..8)
            .map(|_| {
                let rx = rx.clone();
                pool.spawn_with_handle(async move {
                    let mut got = Vec::new();
                    while let Ok(batch) = rx.recv_batch(16).await {
                        got.extend(batch);
                    }
                    got
                })
                .unwrap()
            })
            .collect();
        drop(rx);
        for p in 0..producers {
            let tx = tx.clone();
            let items: Vec<u64> = items_of(p, producers, n).collect();
            pool.spawn(async move {
                for chunk in items.chunks(37) {
                    tx.send_batch(chunk.to_vec()).await.unwrap();
                }
            })
            .unwrap();
        }
        drop(tx);
        let got = block_on(join_all(consumers));
        verify(&got, producers, n);
    });
}

/// Runs the operation made by `make`, but on every other wake-up drops the one in flight and
/// starts a fresh one: operations are constantly cancelled right after being woken.
async fn churn<T, Fut>(mut make: impl FnMut() -> Fut) -> T
where
    Fut: Future<Output = T> + Unpin,
{
    let mut fut = make();
    let mut polls = 0u32;
    futures::future::poll_fn(move |cx| {
        polls += 1;
        if polls.is_multiple_of(2) {
            fut = make(); // cancels the previous operation
        }
        Pin::new(&mut fut).poll(cx)
    })
    .await
}

/// Receives and sends are cancelled all the time, often right after being woken: their
/// wake-ups must be handed on, never lost, and no item may be lost or duplicated.
#[test]
fn async_cancelled_operations_8x8_capacity_1() {
    within(LIMIT, || {
        let (producers, n) = (8u64, 50_000u64);
        let pool = pool();
        let (tx, rx) = channel::<u64>(1);
        let consumers: Vec<_> = (0..8)
            .map(|_| {
                let rx = rx.clone();
                pool.spawn_with_handle(async move {
                    let mut got = Vec::new();
                    while let Ok(x) = churn(|| rx.recv()).await {
                        got.push(x);
                    }
                    got
                })
                .unwrap()
            })
            .collect();
        drop(rx);
        for p in 0..producers {
            let tx = tx.clone();
            pool.spawn(async move {
                for x in items_of(p, producers, n) {
                    churn(|| tx.send(x)).await.unwrap();
                }
            })
            .unwrap();
        }
        drop(tx);
        let got = block_on(join_all(consumers));
        verify(&got, producers, n);
    });
}

/// Polls `fut` once; if it is pending, walks away at the first wake-up without polling it
/// again (the woken operation is dropped unused). `None` if abandoned.
async fn abandon_on_wake<F: Future + Unpin>(mut fut: F) -> Option<F::Output> {
    let mut first = true;
    futures::future::poll_fn(move |cx| {
        if !std::mem::take(&mut first) {
            return Poll::Ready(None);
        }
        Pin::new(&mut fut).poll(cx).map(Some)
    })
    .await
}

/// Consumers and producers quit by dropping an operation right after it was woken. Whatever
/// that operation was woken for must go to someone else: a lost hand-off leaves an item in
/// the buffer with the remaining consumer parked, which the watchdog reports as a hang.
#[test]
fn async_operations_abandoned_right_after_a_wake() {
    within(LIMIT, || {
        let (producers, per_producer) = (8u64, 2_000u64);
        let pool = pool();
        let (tx, rx) = channel::<u64>(1);
        let consumers: Vec<_> = (0..6u64)
            .map(|c| {
                let rx = rx.clone();
                pool.spawn_with_handle(async move {
                    let mut got = Vec::new();
                    // Consumer 0 stays to the end; the others quit at different points.
                    let quota = if c == 0 { u64::MAX } else { 300 * c };
                    while (got.len() as u64) < quota {
                        match rx.recv().await {
                            Ok(x) => got.push(x),
                            Err(_) => return got,
                        }
                    }
                    if let Some(Ok(x)) = abandon_on_wake(rx.recv()).await {
                        got.push(x);
                    }
                    got
                })
                .unwrap()
            })
            .collect();
        drop(rx);
        let producer_tasks: Vec<_> = (0..producers)
            .map(|p| {
                let tx = tx.clone();
                pool.spawn_with_handle(async move {
                    let mut sent = Vec::new();
                    // Odd producers give up after a while, abandoning a woken send.
                    let quota = if p % 2 == 1 { 100 * p } else { per_producer };
                    for x in (0..per_producer).map(|i| i * producers + p) {
                        if sent.len() as u64 == quota {
                            if let Some(r) = abandon_on_wake(tx.send(x)).await {
                                r.unwrap();
                                sent.push(x);
                            }
                            break;
                        }
                        tx.send(x).await.unwrap();
                        sent.push(x);
                    }
                    sent
                })
                .unwrap()
            })
            .collect();
        drop(tx);
        let mut sent: Vec<u64> = block_on(join_all(producer_tasks)).concat();
        let mut got: Vec<u64> = block_on(join_all(consumers)).concat();
        sent.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, sent);
    });
}

#[test]
fn single_threaded_local_pool_16x16_capacity_1() {
    within(LIMIT, || {
        let (producers, n) = (16u64, 50_000u64);
        let mut pool = LocalPool::new();
        let spawner = pool.spawner();
        let (tx, rx) = channel::<u64>(1);
        let consumers: Vec<_> = (0..16)
            .map(|_| {
                spawner
                    .spawn_local_with_handle(consume(rx.clone()))
                    .unwrap()
            })
            .collect();
        drop(rx);
        for p in 0..producers {
            let tx = tx.clone();
            spawner
                .spawn_local(async move {
                    for x in items_of(p, producers, n) {
                        tx.send(x).await.unwrap();
                    }
                })
                .unwrap();
        }
        drop(tx);
        let results = pool.run_until(join_all(consumers));
        let got: Vec<Vec<u64>> = results.into_iter().map(|(g, _)| g).collect();
        verify(&got, producers, n);
    });
}

#[test]
fn broadcast_to_4_readers_capacity_1_with_a_reader_leaving() {
    within(LIMIT, || {
        let n = 20_000u64;
        let pool = pool();
        let tx = broadcast::channel::<u64>(1);
        let readers: Vec<_> = (0..4)
            .map(|_| pool.spawn_with_handle(consume(tx.subscribe())).unwrap())
            .collect();
        let leaver = tx.subscribe();
        let leaver = pool
            .spawn_with_handle(async move {
                for i in 0..100 {
                    assert_eq!(leaver.recv().await, Ok(i));
                }
            })
            .unwrap();
        block_on(async {
            for i in 0..n {
                tx.send(i).await.unwrap();
            }
        });
        tx.close();
        block_on(leaver);
        for (got, end) in block_on(join_all(readers)) {
            assert_eq!(end, ChannelError::Closed(()));
            assert!(
                got.iter().copied().eq(0..n),
                "reader missed or reordered items"
            );
        }
    });
}

fn sync_mpmc(capacity: usize, producers: u64, consumers: u64, n: u64) {
    within(LIMIT, move || {
        let (tx, rx) = sync::channel::<u64>(capacity);
        let readers: Vec<_> = (0..consumers)
            .map(|_| {
                let rx = rx.clone();
                std::thread::spawn(move || rx.try_collect_all())
            })
            .collect();
        drop(rx);
        let writers: Vec<_> = (0..producers)
            .map(|p| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    for x in items_of(p, producers, n) {
                        tx.send(x).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        assert!(tx.close());
        let got: Vec<Vec<u64>> = readers
            .into_iter()
            .map(|r| r.join().unwrap().expect("closed, not disconnected"))
            .collect();
        verify(&got, producers, n);
    });
}

#[test]
fn sync_8x8_threads_capacity_1() {
    sync_mpmc(1, 8, 8, 30_000);
}

#[test]
fn sync_8x8_threads_capacity_2() {
    sync_mpmc(2, 8, 8, 100_000);
}

/// `close()` lands while 4 producers are sending flat out: every send that returned `Ok` is
/// received exactly once, every send after a refusal is refused too, readers end `Closed`.
#[test]
fn sync_close_races_with_senders() {
    within(LIMIT, || {
        for round in 0..20u64 {
            let (tx, rx) = sync::channel::<u64>(2);
            let readers: Vec<_> = (0..2)
                .map(|_| {
                    let rx = rx.clone();
                    std::thread::spawn(move || rx.try_collect_all().expect("ends Closed"))
                })
                .collect();
            let writers: Vec<_> = (0..4u64)
                .map(|p| {
                    let tx = tx.clone();
                    std::thread::spawn(move || {
                        let mut sent = Vec::new();
                        for x in items_of(p, 4, u64::MAX) {
                            match tx.send(x) {
                                Ok(()) => sent.push(x),
                                Err(e) => {
                                    assert_eq!(e, ChannelError::Closed(x));
                                    assert!(tx.send(0).is_err());
                                    return sent;
                                }
                            }
                        }
                        unreachable!()
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_micros(200 * (round % 5)));
            assert!(rx.close());
            let mut sent: Vec<u64> = writers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect();
            let mut got: Vec<u64> = readers
                .into_iter()
                .flat_map(|r| r.join().unwrap())
                .collect();
            sent.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, sent, "round {round}");
        }
    });
}
