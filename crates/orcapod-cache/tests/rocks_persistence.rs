//! RocksDB store: persistence across reopen, and crash atomicity with a killed writer process.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch};
use common::{path, records, rows};
use orcapod_cache::{OnDuplicate, RecordSet, RocksStore, Store, StoreTransaction};
use orcapod_datagram::Value;

const CRASH_ENV: &str = "ORCAPOD_CACHE_CRASH_WRITER_DIR";

#[test]
fn records_schemas_and_indexes_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (t, u) = (path(&["demo", "t"]), path(&["demo", "u"]));
    {
        let store = RocksStore::open(dir.path()).unwrap();
        store.create_index(&t, "name").unwrap();
        store
            .add_records(&t, records(&["a", "b"], &[1, 2]), OnDuplicate::Error)
            .unwrap();
        let nullable = RecordBatch::try_from_iter([(
            "v",
            Arc::new(Int64Array::from(vec![None, Some(1)])) as _,
        )])
        .unwrap();
        store
            .add_records(
                &u,
                RecordSet::new(["x", "y"], nullable).unwrap(),
                OnDuplicate::Error,
            )
            .unwrap();
        // No flush: a completed write survives closing (WAL replay).
    }
    {
        let store = RocksStore::open(dir.path()).unwrap();
        assert_eq!(
            rows(&store.get_all(&t).unwrap()),
            vec![("a".into(), 1), ("b".into(), 2)]
        );
        assert_eq!(store.indexes(&t).unwrap(), vec!["name"]);
        assert_eq!(store.list_paths().unwrap(), vec![t.clone(), u.clone()]);
        // Chunk numbering continues after reopen: nothing gets overwritten.
        store
            .add_records(&t, records(&["c"], &[3]), OnDuplicate::Error)
            .unwrap();
        assert!(
            store
                .add_records(&t, records(&["a"], &[9]), OnDuplicate::Error)
                .is_err()
        );
        store.flush().unwrap();
    }
    let store = RocksStore::open(dir.path()).unwrap();
    let all = rows(&store.get_all(&t).unwrap());
    assert_eq!(all, vec![("a".into(), 1), ("b".into(), 2), ("c".into(), 3)]);
    let hit = store
        .get_records_with_column_value(&t, "name", Value::Str("n3".into()))
        .unwrap();
    assert_eq!(rows(&hit), vec![("c".into(), 3)]);
    let u_all = store.get_all(&u).unwrap().unwrap();
    assert_eq!(u_all.data().column(0).null_count(), 1);
    assert!(
        store
            .table_schema(&u)
            .unwrap()
            .unwrap()
            .field(0)
            .is_nullable()
    );
}

#[test]
fn many_chunks_stream_in_write_order_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let t = path(&["t"]);
    {
        let store = RocksStore::open(dir.path()).unwrap();
        for k in 0..300i64 {
            let id = format!("{k:04}");
            store
                .add_records(&t, records(&[&id], &[k]), OnDuplicate::Error)
                .unwrap();
        }
        store.flush().unwrap();
    }
    let store = RocksStore::open(dir.path()).unwrap();
    let xs: Vec<i64> = rows(&store.get_all(&t).unwrap())
        .into_iter()
        .map(|(_, x)| x)
        .collect();
    assert_eq!(xs, (0..300).collect::<Vec<_>>());
    assert_eq!(store.scan(&t).unwrap().count(), 300);
    let ids: Vec<String> = (0..300).rev().map(|k| format!("{k:04}")).collect();
    let id_refs: Vec<&[u8]> = ids.iter().map(|s| s.as_bytes()).collect();
    let got = rows(&store.get_records(&t, &id_refs).unwrap());
    assert_eq!(got.first(), Some(&("0299".to_string(), 299)));
    assert_eq!(got.len(), 300);
}

/// Child side of [`killed_writer_leaves_only_whole_transactions`]: commits transactions
/// over two tables forever, printing each acknowledged one.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(CRASH_ENV) else {
        return;
    };
    let store = RocksStore::open(&dir).unwrap();
    let (a, b) = (path(&["a"]), path(&["b"]));
    for k in 0.. {
        let ids_a: Vec<String> = (0..20).map(|i| format!("{k}-{i}")).collect();
        let ids: Vec<&str> = ids_a.iter().map(String::as_str).collect();
        let xs = vec![k; 20];
        let mut txn = StoreTransaction::new();
        txn.add_records(&a, records(&ids, &xs), OnDuplicate::Error)
            .add_records(&b, records(&ids, &xs), OnDuplicate::Error);
        store.commit(txn).unwrap();
        println!("COMMITTED {k}");
    }
}

#[test]
fn killed_writer_leaves_only_whole_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = -1i64;
    let stdout = child.stdout.take().unwrap();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(k) = line.strip_prefix("COMMITTED ") {
            acknowledged = k.parse().unwrap();
            if acknowledged >= 200 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL mid-stream: no destructor, no flush
    child.wait().unwrap();
    assert!(acknowledged >= 200, "the child stopped early");
    let store = RocksStore::open(dir.path()).unwrap();
    let count = |t: &[&str]| {
        let mut per_k = std::collections::BTreeMap::<i64, usize>::new();
        for (_, x) in rows(&store.get_all(&path(t)).unwrap()) {
            *per_k.entry(x).or_default() += 1;
        }
        per_k
    };
    let (a, b) = (count(&["a"]), count(&["b"]));
    assert_eq!(a, b, "a transaction landed in one table only");
    assert!(
        a.values().all(|n| *n == 20),
        "a transaction landed partially"
    );
    // Every acknowledged transaction survived the crash (WAL written before returning).
    assert!(a.keys().copied().max().unwrap_or(-1) >= acknowledged);
    let ks: Vec<i64> = a.keys().copied().collect();
    assert_eq!(
        ks,
        (0..ks.len() as i64).collect::<Vec<_>>(),
        "a gap in committed transactions"
    );
}

#[test]
fn large_batches_split_into_chunks_and_stay_addressable() {
    let dir = tempfile::tempdir().unwrap();
    let t = path(&["big"]);
    let n = 5000;
    let ids: Vec<String> = (0..n).map(|i| format!("id{i:05}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let xs: Vec<i64> = (0..n as i64).collect();
    {
        let store = RocksStore::open(dir.path()).unwrap();
        store.create_index(&t, "x").unwrap();
        store
            .add_records(&t, records(&id_refs, &xs), OnDuplicate::Error)
            .unwrap();
        assert!(
            store.scan(&t).unwrap().count() > 1,
            "one 5000-row batch should span chunks"
        );
    }
    let store = RocksStore::open(dir.path()).unwrap();
    let all = rows(&store.get_all(&t).unwrap());
    assert_eq!(all.len(), n);
    assert!(
        all.iter()
            .enumerate()
            .all(|(i, (id, x))| *id == ids[i] && *x == i as i64)
    );
    let wanted = [4999usize, 0, 2500, 1234, 4096, 17];
    let want_ids: Vec<&[u8]> = wanted.iter().map(|i| ids[*i].as_bytes()).collect();
    let got = rows(&store.get_records(&t, &want_ids).unwrap());
    let expected: Vec<(String, i64)> = wanted
        .iter()
        .map(|i| (ids[*i].clone(), *i as i64))
        .collect();
    assert_eq!(got, expected);
    for i in wanted {
        let hit = store
            .get_records_with_column_value(&t, "x", Value::Int(i as i64))
            .unwrap();
        assert_eq!(rows(&hit), vec![(ids[i].clone(), i as i64)]);
        let by_name = store
            .get_records_with_column_value(&t, "name", Value::Str(format!("n{i}")))
            .unwrap();
        assert_eq!(rows(&by_name).len(), 1);
    }
    // Duplicates inside the big batch are still detected across chunks.
    let again = store
        .add_records(
            &t,
            records(&["id04999", "fresh"], &[1, 2]),
            OnDuplicate::Skip,
        )
        .unwrap();
    assert_eq!((again.written, again.skipped), (1, 1));
}
