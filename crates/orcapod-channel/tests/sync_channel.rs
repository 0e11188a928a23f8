//! Behaviour of the blocking (crossbeam-based) channel.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use common::within;
use orcapod_channel::{ChannelError, sync};

const LIMIT: Duration = Duration::from_secs(20);
const SETTLE: Duration = Duration::from_millis(50);

#[test]
fn close_drains_then_every_receiver_sees_closed_every_time() {
    let (tx, rx1) = sync::channel::<u32>(4);
    let rx2 = rx1.clone();
    tx.send_batch(vec![0, 1, 2]).unwrap();
    assert!(tx.close());
    assert!(!tx.close());
    assert_eq!(rx1.recv(), Ok(0));
    assert_eq!(rx2.try_recv(), Ok(1));
    assert_eq!(rx2.recv_timeout(SETTLE), Ok(2));
    for _ in 0..3 {
        for rx in [&rx1, &rx2] {
            assert_eq!(rx.recv(), Err(ChannelError::Closed(())));
            assert_eq!(rx.try_recv(), Err(ChannelError::Closed(())));
            assert_eq!(rx.recv_timeout(SETTLE), Err(ChannelError::Closed(())));
            assert_eq!(rx.recv_batch(4), Err(ChannelError::Closed(())));
        }
    }
    assert_eq!(rx1.iter().next(), None);
    drop(tx);
    assert_eq!(
        rx2.recv(),
        Err(ChannelError::Closed(())),
        "closed stays closed"
    );
}

#[test]
fn sending_after_close_hands_the_item_back() {
    let (tx, rx) = sync::channel::<String>(2);
    assert!(rx.close());
    assert_eq!(tx.send("a".into()), Err(ChannelError::Closed("a".into())));
    assert_eq!(
        tx.try_send("b".into()),
        Err(ChannelError::Closed("b".into()))
    );
    assert_eq!(
        tx.send_timeout("c".into(), SETTLE),
        Err(ChannelError::Closed("c".into()))
    );
    assert_eq!(
        tx.send_batch(vec!["d".into()]),
        Err(ChannelError::Closed(vec!["d".to_string()]))
    );
    assert!(tx.is_closed() && rx.is_closed());
}

#[test]
fn capacity_one_second_send_blocks_until_a_receive() {
    within(LIMIT, || {
        let (tx, rx) = sync::channel::<u32>(1);
        tx.send(1).unwrap();
        assert_eq!(tx.try_send(2), Err(ChannelError::Full(2)));
        assert_eq!(tx.send_timeout(2, SETTLE), Err(ChannelError::Timeout(2)));
        let done = Arc::new(AtomicBool::new(false));
        let d = Arc::clone(&done);
        let t = thread::spawn(move || {
            tx.send(2).unwrap();
            d.store(true, Ordering::SeqCst);
        });
        thread::sleep(SETTLE);
        assert!(
            !done.load(Ordering::SeqCst),
            "second send must wait for room"
        );
        assert_eq!(rx.recv(), Ok(1));
        t.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
        assert_eq!(rx.recv(), Ok(2));
        assert_eq!(rx.recv(), Err(ChannelError::Disconnected(())));
    });
}

#[test]
fn dropping_all_writers_wakes_blocked_readers_with_disconnected() {
    within(LIMIT, || {
        let (tx, rx) = sync::channel::<u32>(4);
        let tx2 = tx.clone();
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || rx.try_collect_all())
            })
            .collect();
        tx.send(1).unwrap();
        drop(tx);
        thread::sleep(SETTLE);
        assert!(!rx.is_closed(), "tx2 is alive");
        tx2.send(2).unwrap();
        drop(tx2); // crash: no close()
        let mut all = Vec::new();
        for r in readers {
            match r.join().unwrap() {
                Err(ChannelError::Disconnected(items)) => all.extend(items),
                other => panic!("expected Disconnected, got {other:?}"),
            }
        }
        all.sort_unstable();
        assert_eq!(all, vec![1, 2]);
        assert!(rx.is_closed());
        assert!(!rx.close(), "the first end wins");
        assert_eq!(rx.recv(), Err(ChannelError::Disconnected(())));
        assert_eq!(rx.try_recv(), Err(ChannelError::Disconnected(())));
    });
}

#[test]
fn close_wakes_blocked_receivers() {
    within(LIMIT, || {
        let (tx, rx) = sync::channel::<u32>(1);
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let rx = rx.clone();
                thread::spawn(move || (rx.recv(), rx.recv()))
            })
            .collect();
        thread::sleep(SETTLE);
        assert!(tx.close());
        for r in readers {
            let both = r.join().unwrap();
            assert_eq!(
                both,
                (Err(ChannelError::Closed(())), Err(ChannelError::Closed(())))
            );
        }
    });
}

#[test]
fn close_fails_blocked_senders_without_losing_buffered_items() {
    within(LIMIT, || {
        let (tx, rx) = sync::channel::<u32>(1);
        tx.send(1).unwrap();
        let writers: Vec<_> = (2..4)
            .map(|i| {
                let tx = tx.clone();
                thread::spawn(move || tx.send(i))
            })
            .collect();
        thread::sleep(SETTLE);
        assert!(rx.close());
        let mut refused: Vec<u32> = writers
            .into_iter()
            .map(|w| w.join().unwrap().unwrap_err().into_inner().unwrap())
            .collect();
        refused.sort_unstable();
        assert_eq!(refused, vec![2, 3]);
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.recv(), Err(ChannelError::Closed(())));
    });
}

#[test]
fn dropping_all_receivers_fails_blocked_and_later_sends() {
    within(LIMIT, || {
        let (tx, rx) = sync::channel::<u32>(1);
        tx.send(1).unwrap();
        let tx2 = tx.clone();
        let writer = thread::spawn(move || tx2.send(2));
        thread::sleep(SETTLE);
        drop(rx);
        assert_eq!(writer.join().unwrap(), Err(ChannelError::Disconnected(2)));
        assert!(tx.is_closed());
        assert_eq!(tx.send(3), Err(ChannelError::Disconnected(3)));
        assert_eq!(tx.try_send(4), Err(ChannelError::Disconnected(4)));
        assert!(!tx.close());
    });
}

#[test]
fn try_recv_and_recv_timeout() {
    let (tx, rx) = sync::channel::<u32>(2);
    assert_eq!(rx.try_recv(), Err(ChannelError::Empty));
    assert_eq!(rx.recv_timeout(SETTLE), Err(ChannelError::Timeout(())));
    tx.send(5).unwrap();
    assert_eq!(rx.recv_timeout(SETTLE), Ok(5));
    drop(tx);
    assert_eq!(rx.recv_timeout(SETTLE), Err(ChannelError::Disconnected(())));
}

#[test]
fn receivers_are_iterators() {
    within(LIMIT, || {
        let (tx, rx) = sync::channel::<u64>(3);
        let producer = thread::spawn(move || {
            for i in 0..100 {
                tx.send(i).unwrap();
            }
            tx.close();
        });
        let mut total = 0;
        for x in &rx {
            total += x;
        }
        producer.join().unwrap();
        assert_eq!(total, 4950);
        assert_eq!(rx.count(), 0);
    });
}

#[test]
fn batches() {
    let (tx, rx) = sync::channel::<u32>(8);
    tx.send_batch(vec![1, 2, 3, 4, 5]).unwrap();
    assert_eq!(rx.recv_batch(3), Ok(vec![1, 2, 3]));
    assert_eq!(rx.recv_batch(0), Ok(vec![4]), "max 0 counts as 1");
    drop(rx.clone());
    tx.close();
    assert_eq!(rx.try_collect_all(), Ok(vec![5]));
    let (tx, rx) = sync::channel::<u32>(1);
    drop(rx);
    assert_eq!(
        tx.send_batch(vec![1, 2]),
        Err(ChannelError::Disconnected(vec![1, 2]))
    );
}

#[test]
fn observability() {
    let (tx, rx) = sync::channel::<u8>(3);
    assert!(tx.is_empty());
    tx.send(1).unwrap();
    assert_eq!(
        (tx.len(), rx.len(), tx.capacity(), rx.capacity()),
        (1, 1, 3, 3)
    );
    assert!(!rx.is_closed());
    assert_eq!(
        format!("{rx:?}"),
        "sync::Receiver { len: 1, capacity: 3, closed: false }"
    );
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn zero_capacity_is_rejected() {
    let _ = sync::channel::<u8>(0);
}
