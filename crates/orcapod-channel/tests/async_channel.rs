//! Behaviour of the async MPMC channel, checked step by step with manual polling.

mod common;

use std::sync::Arc;
use std::task::Poll;

use common::{counting_waker, poll_once};
use futures::executor::block_on;
use futures::stream::FusedStream;
use futures::{FutureExt, StreamExt};
use orcapod_channel::{ChannelError, DEFAULT_CAPACITY, channel};

#[test]
fn close_drains_then_every_receiver_sees_closed_every_time() {
    let (tx, rx1) = channel::<u32>(4);
    let rx2 = rx1.clone();
    block_on(async {
        for i in 0..3 {
            tx.send(i).await.unwrap();
        }
        assert!(tx.close());
        assert!(!tx.close(), "second close is a no-op");
        // Buffered items survive the close.
        assert_eq!(rx1.recv().await, Ok(0));
        assert_eq!(rx2.recv().await, Ok(1));
        assert_eq!(rx1.try_recv(), Ok(2));
        for _ in 0..3 {
            for rx in [&rx1, &rx2] {
                assert_eq!(rx.recv().await, Err(ChannelError::Closed(())));
                assert_eq!(rx.try_recv(), Err(ChannelError::Closed(())));
                assert_eq!(rx.recv_batch(8).await, Err(ChannelError::Closed(())));
            }
        }
        let mut s = rx2.clone();
        assert_eq!(s.next().await, None);
        assert_eq!(s.next().await, None);
        assert!(s.is_terminated());
        // A receiver cloned after the end sees the same.
        assert_eq!(rx1.clone().recv().await, Err(ChannelError::Closed(())));
    });
}

#[test]
fn sending_after_close_hands_the_item_back() {
    let (tx, rx) = channel::<String>(4);
    let tx2 = tx.clone();
    rx.close(); // a receiver may close too
    block_on(async {
        assert_eq!(
            tx.send("a".into()).await,
            Err(ChannelError::Closed("a".into()))
        );
        assert_eq!(
            tx2.try_send("b".into()),
            Err(ChannelError::Closed("b".into()))
        );
        let err = tx
            .send_batch(vec!["c".into(), "d".into()])
            .await
            .unwrap_err();
        assert_eq!(
            err,
            ChannelError::Closed(vec!["c".to_string(), "d".to_string()])
        );
        assert!(tx.is_closed() && rx.is_closed());
        assert_eq!(rx.recv().await, Err(ChannelError::Closed(())));
    });
}

#[test]
fn capacity_one_second_send_waits_for_a_receive() {
    let (tx, rx) = channel::<u32>(1);
    assert_eq!(tx.send(1).now_or_never(), Some(Ok(())));
    let (waker, wakes) = counting_waker();
    let mut second = tx.send(2);
    assert_eq!(poll_once(&mut second, &waker), Poll::Pending);
    assert_eq!(poll_once(&mut second, &waker), Poll::Pending, "still full");
    assert_eq!(tx.len(), 1);
    assert_eq!(wakes.count(), 0);
    // A third producer cannot jump the queue either.
    assert_eq!(tx.try_send(3), Err(ChannelError::Full(3)));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(wakes.count(), 1, "the receive wakes the waiting sender");
    assert_eq!(poll_once(&mut second, &waker), Poll::Ready(Ok(())));
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Err(ChannelError::Empty));
}

#[test]
fn default_capacity_applies_backpressure_at_64() {
    assert_eq!(DEFAULT_CAPACITY, 64);
    let (tx, rx) = channel::<usize>(DEFAULT_CAPACITY);
    for i in 0..64 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(tx.try_send(64), Err(ChannelError::Full(64)));
    assert!(tx.send(64).now_or_never().is_none());
    assert_eq!((rx.len(), rx.capacity()), (64, 64));
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(tx.send(64).now_or_never(), Some(Ok(())));
}

#[test]
fn waiting_send_fails_when_channel_closes() {
    let (tx, rx) = channel::<u32>(1);
    tx.try_send(1).unwrap();
    let (waker, wakes) = counting_waker();
    let mut pending = tx.send(2);
    assert!(poll_once(&mut pending, &waker).is_pending());
    assert!(rx.close());
    assert_eq!(wakes.count(), 1);
    assert_eq!(
        poll_once(&mut pending, &waker),
        Poll::Ready(Err(ChannelError::Closed(2)))
    );
    assert_eq!(rx.try_recv(), Ok(1), "what was buffered is still delivered");
    assert_eq!(rx.try_recv(), Err(ChannelError::Closed(())));
}

#[test]
fn dropping_all_writers_disconnects_readers_without_hanging() {
    let (tx1, rx1) = channel::<u32>(4);
    let tx2 = tx1.clone();
    let rx2 = rx1.clone();
    let (waker, wakes) = counting_waker();
    let mut parked = rx2.recv();
    assert!(poll_once(&mut parked, &waker).is_pending());
    tx1.try_send(7).unwrap();
    assert_eq!(wakes.count(), 1);
    assert_eq!(poll_once(&mut parked, &waker), Poll::Ready(Ok(7)));
    drop(parked);

    tx2.try_send(8).unwrap();
    drop(tx1);
    assert!(!rx1.is_closed(), "one writer is still alive");
    let mut parked = rx2.recv_batch(4);
    assert_eq!(poll_once(&mut parked, &waker), Poll::Ready(Ok(vec![8])));
    let mut parked = rx2.recv();
    assert!(poll_once(&mut parked, &waker).is_pending());
    drop(tx2); // producer "crashes": no close()
    assert_eq!(
        wakes.count(),
        2,
        "the last writer's drop wakes parked readers"
    );
    assert_eq!(
        poll_once(&mut parked, &waker),
        Poll::Ready(Err(ChannelError::Disconnected(())))
    );
    for rx in [&rx1, &rx2] {
        for _ in 0..3 {
            assert_eq!(block_on(rx.recv()), Err(ChannelError::Disconnected(())));
            assert_eq!(rx.try_recv(), Err(ChannelError::Disconnected(())));
        }
    }
    assert!(rx1.is_closed());
    assert!(
        !rx1.close(),
        "close after disconnect is a no-op: the first end wins"
    );
    assert_eq!(rx1.try_recv(), Err(ChannelError::Disconnected(())));
}

#[test]
fn closed_then_writers_dropped_stays_closed() {
    let (tx, rx) = channel::<u32>(2);
    tx.try_send(1).unwrap();
    tx.close();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Err(ChannelError::Closed(())));
}

#[test]
fn dropping_all_receivers_fails_sends_and_frees_buffered_items() {
    let (tx, rx1) = channel::<Arc<u32>>(1);
    let rx2 = rx1.clone();
    let item = Arc::new(5);
    tx.try_send(Arc::clone(&item)).unwrap();
    let (waker, wakes) = counting_waker();
    let mut parked = tx.send(Arc::new(6));
    assert!(poll_once(&mut parked, &waker).is_pending());
    drop(rx1);
    assert_eq!(wakes.count(), 0, "one receiver is still alive");
    drop(rx2);
    assert_eq!(
        wakes.count(),
        1,
        "the last receiver's drop wakes parked senders"
    );
    match poll_once(&mut parked, &waker) {
        Poll::Ready(Err(ChannelError::Disconnected(v))) => assert_eq!(*v, 6),
        other => panic!("expected Disconnected, got {other:?}"),
    }
    assert_eq!(Arc::strong_count(&item), 1, "buffered items were dropped");
    assert!(tx.is_closed());
    assert!(matches!(
        tx.try_send(Arc::new(1)),
        Err(ChannelError::Disconnected(_))
    ));
    assert!(!tx.close(), "close after disconnect is a no-op");
    assert!(matches!(
        block_on(tx.send(Arc::new(2))),
        Err(ChannelError::Disconnected(_))
    ));
}

#[test]
fn receivers_are_streams() {
    let (tx, rx) = channel::<u32>(3);
    let producer = async move {
        for i in 0..10 {
            tx.send(i).await.unwrap();
        }
        tx.close();
    };
    let (_, all): ((), Vec<u32>) = block_on(futures::future::join(producer, rx.collect()));
    assert_eq!(all, (0..10).collect::<Vec<_>>());
}

#[test]
fn collect_all_and_try_collect_all_tell_close_from_crash() {
    let (tx, rx) = channel::<u32>(8);
    block_on(tx.send_batch(vec![1, 2, 3])).unwrap();
    tx.close();
    assert_eq!(block_on(rx.try_collect_all()), Ok(vec![1, 2, 3]));

    let (tx, rx) = channel::<u32>(8);
    block_on(tx.send_batch(vec![4, 5])).unwrap();
    drop(tx);
    assert_eq!(
        block_on(rx.clone().try_collect_all()),
        Err(ChannelError::Disconnected(vec![4, 5]))
    );
    let (tx, rx) = channel::<u32>(8);
    tx.try_send(6).unwrap();
    drop(tx);
    assert_eq!(block_on(rx.collect_all()), vec![6]);
}

#[test]
fn each_item_goes_to_exactly_one_of_several_receivers() {
    let (tx, rx) = channel::<u32>(16);
    let receivers: Vec<_> = (0..4).map(|_| rx.clone()).collect();
    drop(rx);
    for i in 0..16 {
        tx.try_send(i).unwrap();
    }
    tx.close();
    let mut all = Vec::new();
    for (n, rx) in receivers.iter().enumerate() {
        all.extend(block_on(rx.recv_batch(n + 1)).unwrap());
    }
    for rx in receivers {
        all.extend(block_on(rx.collect_all()));
    }
    all.sort_unstable();
    assert_eq!(all, (0..16).collect::<Vec<_>>());
}

#[test]
fn send_batch_waits_for_room_and_returns_unsent_items_on_failure() {
    let (tx, rx) = channel::<u32>(2);
    let (waker, wakes) = counting_waker();
    let mut batch = tx.send_batch(vec![1, 2, 3, 4, 5]);
    assert!(poll_once(&mut batch, &waker).is_pending());
    assert_eq!(tx.len(), 2);
    assert_eq!(block_on(rx.recv_batch(10)), Ok(vec![1, 2]));
    assert_eq!(wakes.count(), 1);
    assert!(poll_once(&mut batch, &waker).is_pending());
    assert_eq!(rx.try_recv(), Ok(3));
    drop(rx);
    assert_eq!(
        poll_once(&mut batch, &waker),
        Poll::Ready(Err(ChannelError::Disconnected(vec![5])))
    );
}

#[test]
fn dropping_a_woken_receive_passes_the_wakeup_on() {
    let (tx, rx) = channel::<u32>(1);
    let (wa, a_wakes) = counting_waker();
    let (wb, b_wakes) = counting_waker();
    let mut a = rx.recv();
    let mut b = rx.recv();
    assert!(poll_once(&mut a, &wa).is_pending());
    assert!(poll_once(&mut b, &wb).is_pending());
    tx.try_send(1).unwrap();
    assert_eq!(
        (a_wakes.count(), b_wakes.count()),
        (1, 0),
        "wake one, in FIFO order"
    );
    drop(a);
    assert_eq!(b_wakes.count(), 1, "a's unused wake-up went to b");
    assert_eq!(poll_once(&mut b, &wb), Poll::Ready(Ok(1)));
}

#[test]
fn observability_and_debug() {
    let (tx, rx) = channel::<u8>(3);
    assert!(tx.is_empty() && rx.is_empty());
    tx.try_send(1).unwrap();
    assert_eq!((tx.len(), rx.len(), rx.capacity()), (1, 1, 3));
    assert!(!tx.is_closed());
    assert_eq!(
        format!("{tx:?}"),
        "Sender { len: 1, capacity: 3, closed: false }"
    );
    assert_eq!(futures::Stream::size_hint(&rx), (1, None));
    assert!(!rx.is_terminated());
    tx.close();
    assert!(tx.is_closed() && rx.is_closed());
    assert!(!rx.is_terminated(), "one item left");
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.is_terminated());
    assert_eq!(
        format!("{:?}", ChannelError::Closed(vec![1u8])),
        "Closed(..)"
    );
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn zero_capacity_is_rejected() {
    let _ = channel::<u8>(0);
}

#[test]
fn handles_and_futures_are_send_and_sync_for_send_items() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    fn send<T: Send>(_: &T) {}
    let (tx, rx) = channel::<String>(1);
    send_sync(&tx);
    send_sync(&rx);
    send(&tx.send(String::new()));
    send(&tx.send_batch(Vec::new()));
    send(&rx.recv());
    send(&rx.recv_batch(1));
    send(&rx.clone().collect_all());
    let btx = orcapod_channel::broadcast::channel::<String>(1);
    send_sync(&btx);
    send(&btx.send(String::new()));
    let (stx, srx) = orcapod_channel::sync::channel::<String>(1);
    send_sync(&stx);
    send_sync(&srx);
}
