//! Behaviour of the broadcast channel.

mod common;

use std::task::Poll;

use common::{counting_waker, poll_once};
use futures::executor::{LocalPool, block_on};
use futures::task::LocalSpawnExt;
use futures::{FutureExt, StreamExt};
use orcapod_channel::{ChannelError, broadcast};

#[test]
fn every_reader_receives_every_item_in_order() {
    let tx = broadcast::channel::<u32>(2);
    let readers: Vec<_> = (0..3).map(|_| tx.subscribe()).collect();
    assert_eq!(tx.receiver_count(), 3);
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let handles: Vec<_> = readers
        .into_iter()
        .map(|rx| {
            spawner
                .spawn_local_with_handle(rx.collect::<Vec<u32>>())
                .unwrap()
        })
        .collect();
    spawner
        .spawn_local(async move {
            for i in 0..100 {
                tx.send(i).await.unwrap();
            }
            assert!(tx.close());
        })
        .unwrap();
    let results = pool.run_until(futures::future::join_all(handles));
    for got in results {
        assert_eq!(got, (0..100).collect::<Vec<_>>());
    }
}

#[test]
fn slow_reader_holds_back_only_the_writer() {
    let tx = broadcast::channel::<u32>(2);
    let slow = tx.subscribe();
    let fast = tx.subscribe();
    block_on(async {
        tx.send(0).await.unwrap();
        tx.send(1).await.unwrap();
    });
    assert_eq!(block_on(fast.recv_batch(10)), Ok(vec![0, 1]));
    let (waker, wakes) = counting_waker();
    let mut third = tx.send(2);
    assert!(
        poll_once(&mut third, &waker).is_pending(),
        "slow reader is full"
    );
    assert_eq!(tx.len(), 2, "backlog of the slowest reader");
    // The fast reader already has item 2 and drains it without waiting for the slow one.
    assert_eq!(fast.try_recv(), Ok(2));
    assert_eq!(fast.try_recv(), Err(ChannelError::Empty));
    assert_eq!(
        wakes.count(),
        0,
        "the writer still waits for the slow reader"
    );
    assert!(poll_once(&mut third, &waker).is_pending());
    // Once the slow reader makes room the writer completes.
    assert_eq!(slow.try_recv(), Ok(0));
    assert_eq!(wakes.count(), 1);
    assert_eq!(poll_once(&mut third, &waker), Poll::Ready(Ok(())));
    assert_eq!(block_on(slow.recv_batch(10)), Ok(vec![1, 2]));
}

#[test]
fn dropped_reader_frees_the_writer() {
    let tx = broadcast::channel::<u32>(1);
    let slow = tx.subscribe();
    let fast = tx.subscribe();
    tx.send(0).now_or_never().unwrap().unwrap();
    assert_eq!(fast.try_recv(), Ok(0));
    let (waker, wakes) = counting_waker();
    let mut second = tx.send(1);
    assert!(poll_once(&mut second, &waker).is_pending());
    drop(slow);
    assert_eq!(wakes.count(), 1, "dropping the reader wakes the writer");
    assert_eq!(poll_once(&mut second, &waker), Poll::Ready(Ok(())));
    assert_eq!(tx.receiver_count(), 1);
    // The dropped reader no longer counts: sends proceed at the pace of the others.
    assert_eq!(fast.try_recv(), Ok(1));
    tx.send(2).now_or_never().unwrap().unwrap();
    assert_eq!(fast.try_recv(), Ok(2));
}

#[test]
fn no_reader_left_makes_send_fail() {
    let tx = broadcast::channel::<u32>(4);
    assert_eq!(block_on(tx.send(1)), Err(ChannelError::Disconnected(1)));
    let rx = tx.subscribe();
    assert_eq!(block_on(tx.send(2)), Ok(()));
    drop(rx);
    assert_eq!(block_on(tx.send(3)), Err(ChannelError::Disconnected(3)));
    assert_eq!(tx.receiver_count(), 0);
}

#[test]
fn close_drains_then_closed_for_every_reader_and_late_subscribers() {
    let tx = broadcast::channel::<&str>(4);
    let (a, b) = (tx.subscribe(), tx.subscribe());
    block_on(tx.send("x")).unwrap();
    assert!(tx.close());
    assert!(!tx.close());
    assert!(tx.is_closed());
    assert_eq!(block_on(tx.send("y")), Err(ChannelError::Closed("y")));
    for rx in [&a, &b] {
        assert_eq!(rx.try_recv(), Ok("x"));
        for _ in 0..3 {
            assert_eq!(block_on(rx.recv()), Err(ChannelError::Closed(())));
        }
    }
    let late = tx.subscribe();
    assert_eq!(late.try_recv(), Err(ChannelError::Closed(())));
}

#[test]
fn dropping_the_writer_disconnects_readers_after_they_drain() {
    let tx = broadcast::channel::<u32>(4);
    let (a, b) = (tx.subscribe(), tx.subscribe());
    block_on(tx.send(9)).unwrap();
    let (waker, wakes) = counting_waker();
    assert_eq!(block_on(b.recv()), Ok(9));
    let mut parked = b.recv();
    assert!(poll_once(&mut parked, &waker).is_pending());
    drop(tx);
    assert_eq!(wakes.count(), 1);
    assert_eq!(
        poll_once(&mut parked, &waker),
        Poll::Ready(Err(ChannelError::Disconnected(())))
    );
    assert_eq!(
        block_on(a.try_collect_all()),
        Err(ChannelError::Disconnected(vec![9]))
    );
}

#[test]
fn late_subscriber_sees_only_later_items() {
    let tx = broadcast::channel::<u32>(4);
    let early = tx.subscribe();
    block_on(tx.send(1)).unwrap();
    let late = tx.subscribe();
    block_on(tx.send(2)).unwrap();
    drop(tx);
    assert_eq!(block_on(early.collect_all()), vec![1, 2]);
    assert_eq!(block_on(late.collect_all()), vec![2]);
}

#[test]
fn reader_closing_its_subscription_stops_receiving_and_never_blocks_the_writer() {
    let tx = broadcast::channel::<u32>(1);
    let (quitter, stayer) = (tx.subscribe(), tx.subscribe());
    block_on(tx.send(1)).unwrap();
    assert!(quitter.close());
    assert_eq!(tx.receiver_count(), 1);
    assert_eq!(stayer.try_recv(), Ok(1));
    block_on(tx.send(2)).unwrap(); // quitter is full but closed: not waited for
    assert_eq!(stayer.try_recv(), Ok(2));
    assert_eq!(quitter.try_recv(), Ok(1));
    assert_eq!(quitter.try_recv(), Err(ChannelError::Closed(())));
}

#[test]
fn cancelled_broadcast_send_releases_its_registrations() {
    let tx = broadcast::channel::<u32>(1);
    let (a, b) = (tx.subscribe(), tx.subscribe());
    block_on(tx.send(1)).unwrap();
    assert_eq!(b.try_recv(), Ok(1));
    let (waker, _) = counting_waker();
    let mut pending = tx.send(2);
    assert!(poll_once(&mut pending, &waker).is_pending());
    drop(pending); // b already got 2; a never will
    assert_eq!(b.try_recv(), Ok(2));
    assert_eq!(a.try_recv(), Ok(1));
    assert_eq!(a.try_recv(), Err(ChannelError::Empty));
    block_on(tx.send(3)).unwrap();
    assert_eq!((a.try_recv(), b.try_recv()), (Ok(3), Ok(3)));
}

#[test]
fn observability() {
    let tx = broadcast::channel::<u32>(3);
    assert_eq!((tx.capacity(), tx.len(), tx.receiver_count()), (3, 0, 0));
    assert!(tx.is_empty() && !tx.is_closed());
    let a = tx.subscribe();
    let _b = tx.subscribe();
    block_on(tx.send(1)).unwrap();
    block_on(tx.send(2)).unwrap();
    a.try_recv().unwrap();
    assert_eq!(tx.len(), 2, "slowest reader's backlog");
    assert_eq!(a.capacity(), 3);
    assert!(format!("{tx:?}").contains("receivers: 2"));
}
