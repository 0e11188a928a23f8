//! Multi-table transactions, path listing and configuration, for both stores.

mod common;

use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch};
use common::{path, records, rows, stores};
use orcapod_cache::{OnDuplicate, RecordSet, StoreError, StoreTransaction, open_store};

#[test]
fn transaction_is_all_or_nothing_across_tables() {
    for (name, store, _dir) in stores() {
        let (a, b) = (path(&["a"]), path(&["b"]));
        store
            .add_records(&b, records(&["b0"], &[0]), OnDuplicate::Error)
            .unwrap();
        let bad =
            RecordBatch::try_from_iter([("z", Arc::new(Int64Array::from(vec![1])) as _)]).unwrap();
        let mut txn = StoreTransaction::new();
        txn.add_records(&a, records(&["a1", "a2"], &[1, 2]), OnDuplicate::Error)
            .add_records(&b, RecordSet::new(["b1"], bad).unwrap(), OnDuplicate::Error);
        assert!(
            matches!(store.commit(txn), Err(StoreError::SchemaMismatch { .. })),
            "{name}"
        );
        assert!(store.get_all(&a).unwrap().is_none(), "{name}");
        assert_eq!(store.list_paths().unwrap(), vec![b.clone()], "{name}");
        // Duplicate failure in the second op, id written by the first op of the same txn.
        let mut txn = StoreTransaction::new();
        txn.add_records(&a, records(&["a1"], &[1]), OnDuplicate::Error)
            .add_records(&a, records(&["a1"], &[9]), OnDuplicate::Error);
        assert!(
            matches!(store.commit(txn), Err(StoreError::DuplicateRecords { .. })),
            "{name}"
        );
        assert!(store.get_all(&a).unwrap().is_none(), "{name}");
        // A good transaction lands entirely.
        let mut txn = StoreTransaction::new();
        txn.add_records(&a, records(&["a1"], &[1]), OnDuplicate::Error)
            .add_records(&a, records(&["a1", "a2"], &[9, 2]), OnDuplicate::Skip)
            .add_records(&b, records(&["b1"], &[3]), OnDuplicate::Error);
        let s = store.commit(txn).unwrap();
        assert_eq!(
            s.iter().map(|s| s.written).collect::<Vec<_>>(),
            vec![1, 1, 1],
            "{name}"
        );
        assert_eq!(
            rows(&store.get_all(&a).unwrap()),
            vec![("a1".into(), 1), ("a2".into(), 2)]
        );
    }
}

#[test]
fn list_paths_is_sorted_and_filterable() {
    for (name, store, _dir) in stores() {
        for p in [&["b"][..], &["a", "x"], &["a"], &["a-c"], &["a", "x", "y"]] {
            store
                .add_records(&path(p), records(&["r"], &[1]), OnDuplicate::Error)
                .unwrap();
        }
        let listed: Vec<String> = store
            .list_paths()
            .unwrap()
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(listed, ["a", "a/x", "a/x/y", "a-c", "b"], "{name}");
        let under = store
            .list_paths_under(&["a".to_string(), "x".to_string()])
            .unwrap();
        assert_eq!(under.len(), 2, "{name}");
        // Declaring an index does not create a table.
        store.create_index(&path(&["zzz"]), "x").unwrap();
        assert_eq!(store.list_paths().unwrap().len(), 5, "{name}");
    }
}

#[test]
fn config_round_trips_through_open_store() {
    for (name, store, _dir) in stores() {
        let config = store.to_config();
        let json = serde_json::to_string(&config).unwrap();
        assert!(
            json.contains(if name == "memory" {
                "in_memory"
            } else {
                "rocksdb"
            }),
            "{json}"
        );
        let back: orcapod_cache::StoreConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
        if name == "memory" {
            assert!(open_store(&back).unwrap().list_paths().unwrap().is_empty());
        }
    }
}
