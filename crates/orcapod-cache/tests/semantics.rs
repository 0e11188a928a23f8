//! Store semantics shared by both implementations (spec §22 case 50 and the issue's rules).

mod common;

use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch};
use common::{batch, path, records, rows, stores};
use orcapod_cache::{
    InMemoryStore, OnDuplicate, PathProblem, RecordSet, RocksStore, Store, StoreError, TablePath,
};

#[test]
fn store_is_object_safe_send_and_sync() {
    fn assert_send_sync<T: Send + Sync + ?Sized>() {}
    assert_send_sync::<dyn Store>();
    assert_send_sync::<InMemoryStore>();
    assert_send_sync::<RocksStore>();
}

#[test]
fn get_before_flush_is_visible() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        store
            .add_record(&t, b"p1", batch(&[1]), OnDuplicate::Error)
            .unwrap();
        let got = store.get_record(&t, b"p1").unwrap();
        assert_eq!(rows(&got), vec![("p1".into(), 1)], "{name}");
        assert_eq!(rows(&store.get_all(&t).unwrap()).len(), 1, "{name}");
        store.flush().unwrap();
        assert_eq!(
            rows(&store.get_record(&t, b"p1").unwrap()).len(),
            1,
            "{name}"
        );
    }
}

#[test]
fn duplicate_with_error_policy_fails_and_writes_nothing() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        store
            .add_records(&t, records(&["p1"], &[1]), OnDuplicate::Error)
            .unwrap();
        let err = store
            .add_records(&t, records(&["new", "p1"], &[5, 6]), OnDuplicate::Error)
            .unwrap_err();
        match err {
            StoreError::DuplicateRecords { count, ids, path } => {
                assert_eq!(
                    (count, ids, path.as_str()),
                    (1, vec![b"p1".to_vec()], "t"),
                    "{name}"
                );
            }
            other => panic!("{name}: unexpected {other:?}"),
        }
        // Atomic: the non-duplicate row of the failed batch was not written either.
        assert_eq!(
            rows(&store.get_all(&t).unwrap()),
            vec![("p1".into(), 1)],
            "{name}"
        );
    }
}

#[test]
fn duplicate_with_skip_policy_keeps_the_stored_row() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        store
            .add_records(&t, records(&["p1"], &[1]), OnDuplicate::Error)
            .unwrap();
        let s = store
            .add_records(&t, records(&["p1", "p2"], &[10, 20]), OnDuplicate::Skip)
            .unwrap();
        assert_eq!((s.written, s.skipped), (1, 1), "{name}");
        let all = rows(&store.get_all(&t).unwrap());
        assert_eq!(all, vec![("p1".into(), 1), ("p2".into(), 20)], "{name}");
    }
}

#[test]
fn ids_repeated_inside_a_batch_keep_the_last_row() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        let s = store
            .add_records(
                &t,
                records(&["a", "b", "a"], &[1, 2, 3]),
                OnDuplicate::Error,
            )
            .unwrap();
        assert_eq!((s.written, s.superseded_in_batch), (2, 1), "{name}");
        let all = rows(&store.get_all(&t).unwrap());
        assert_eq!(all, vec![("b".into(), 2), ("a".into(), 3)], "{name}");
    }
}

#[test]
fn invalid_paths_are_typed_errors() {
    let problem = |r: Result<TablePath, StoreError>| match r {
        Err(StoreError::InvalidPath { problem, .. }) => problem,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        problem(TablePath::new(Vec::<String>::new())),
        PathProblem::Empty
    );
    assert_eq!(
        problem(TablePath::new(["a", ""])),
        PathProblem::EmptyComponent { index: 1 }
    );
    assert_eq!(
        problem(TablePath::new(["a/b"])),
        PathProblem::ContainsSlash { index: 0 }
    );
    assert_eq!(
        problem(TablePath::new(["a\0"])),
        PathProblem::ContainsNul { index: 0 }
    );
    assert_eq!(
        problem(TablePath::new(vec!["x"; 11])),
        PathProblem::TooDeep { depth: 11, max: 10 }
    );
    assert!(TablePath::new(vec!["x"; 10]).is_ok());
    assert!(path(&["a"; 6]).join(&path(&["b"; 5])).is_err());
    assert!(serde_json::from_str::<TablePath>(r#"["a",""]"#).is_err());
}

#[test]
fn get_records_follows_request_order_once_per_id() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        store
            .add_records(&t, records(&["a", "b"], &[1, 2]), OnDuplicate::Error)
            .unwrap();
        store
            .add_records(&t, records(&["c"], &[3]), OnDuplicate::Error)
            .unwrap();
        let got = store.get_records(&t, &[b"c", b"zz", b"a", b"c"]).unwrap();
        assert_eq!(rows(&got), vec![("c".into(), 3), ("a".into(), 1)], "{name}");
        assert!(store.get_records(&t, &[]).unwrap().is_none(), "{name}");
        assert!(store.get_records(&t, &[b"zz"]).unwrap().is_none(), "{name}");
        assert!(
            store.get_all(&path(&["missing"])).unwrap().is_none(),
            "{name}"
        );
        assert!(
            store
                .get_record(&path(&["missing"]), b"a")
                .unwrap()
                .is_none(),
            "{name}"
        );
        let chunks: Vec<_> = store.scan(&t).unwrap().map(|c| c.unwrap().len()).collect();
        assert_eq!(chunks.iter().sum::<usize>(), 3, "{name}");
        // Reads return the ids as a column when asked.
        let with_ids = got.unwrap().to_batch_with_id_column("_record_id").unwrap();
        assert_eq!(with_ids.schema().field(0).name(), "_record_id");
    }
}

#[test]
fn schema_mismatch_names_the_differing_columns() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        store
            .add_records(&t, records(&["a"], &[1]), OnDuplicate::Error)
            .unwrap();
        let other = RecordBatch::try_from_iter([
            (
                "x",
                Arc::new(arrow_array::StringArray::from(vec!["1"])) as _,
            ),
            (
                "y",
                Arc::new(arrow_array::Float64Array::from(vec![1.0])) as _,
            ),
            ("extra", Arc::new(Int64Array::from(vec![1])) as _),
        ])
        .unwrap();
        let err = store
            .add_records(
                &t,
                RecordSet::new(["b"], other).unwrap(),
                OnDuplicate::Error,
            )
            .unwrap_err();
        match &err {
            StoreError::SchemaMismatch {
                columns,
                expected,
                found,
                ..
            } => {
                assert_eq!(columns, &["x", "name", "extra"], "{name}");
                assert!(
                    expected.contains("x: Int64") && expected.contains("(absent)"),
                    "{expected}"
                );
                assert!(
                    found.contains("x: Utf8") && found.contains("extra: Int64"),
                    "{found}"
                );
            }
            other => panic!("{name}: unexpected {other:?}"),
        }
        assert!(err.to_string().contains("schema mismatch"), "{err}");
        assert_eq!(rows(&store.get_all(&t).unwrap()).len(), 1, "{name}");
    }
}

#[test]
fn column_order_is_free_and_nullability_widens() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        let strict = RecordBatch::try_new(
            Arc::new(arrow_schema::Schema::new(vec![arrow_schema::Field::new(
                "x",
                arrow_schema::DataType::Int64,
                false,
            )])),
            vec![Arc::new(Int64Array::from(vec![1]))],
        )
        .unwrap();
        store
            .add_records(
                &t,
                RecordSet::new(["a"], strict).unwrap(),
                OnDuplicate::Error,
            )
            .unwrap();
        assert!(
            !store
                .table_schema(&t)
                .unwrap()
                .unwrap()
                .field(0)
                .is_nullable()
        );
        // Declared nullable but no nulls: accepted, schema unchanged.
        let declared =
            RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![2])) as _)]).unwrap();
        store
            .add_records(
                &t,
                RecordSet::new(["b"], declared).unwrap(),
                OnDuplicate::Error,
            )
            .unwrap();
        assert!(
            !store
                .table_schema(&t)
                .unwrap()
                .unwrap()
                .field(0)
                .is_nullable(),
            "{name}"
        );
        // Actual nulls: the column widens to nullable; old rows stay readable.
        let nulls =
            RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![None])) as _)])
                .unwrap();
        store
            .add_records(
                &t,
                RecordSet::new(["c"], nulls).unwrap(),
                OnDuplicate::Error,
            )
            .unwrap();
        assert!(
            store
                .table_schema(&t)
                .unwrap()
                .unwrap()
                .field(0)
                .is_nullable(),
            "{name}"
        );
        let all = store.get_all(&t).unwrap().unwrap();
        assert_eq!(
            (all.len(), all.data().column(0).null_count()),
            (3, 1),
            "{name}"
        );
        // Reordered columns are accepted.
        let t2 = path(&["t2"]);
        store
            .add_records(&t2, records(&["a"], &[1]), OnDuplicate::Error)
            .unwrap();
        let b = batch(&[2]);
        let reordered = b.project(&[2, 0, 1]).unwrap();
        store
            .add_records(
                &t2,
                RecordSet::new(["b"], reordered).unwrap(),
                OnDuplicate::Error,
            )
            .unwrap();
        assert_eq!(
            rows(&store.get_all(&t2).unwrap()),
            vec![("a".into(), 1), ("b".into(), 2)]
        );
    }
}

#[test]
fn empty_batches_and_bad_records_are_handled() {
    for (name, store, _dir) in stores() {
        let t = path(&["t"]);
        let s = store
            .add_records(&t, records(&[], &[]), OnDuplicate::Error)
            .unwrap();
        assert_eq!(s.written, 0, "{name}");
        assert!(store.get_all(&t).unwrap().is_none(), "{name}");
        assert!(store.table_schema(&t).unwrap().is_some(), "{name}");
        assert!(RecordSet::new(["a", "b"], batch(&[1])).is_err());
        assert!(RecordSet::single("a", batch(&[1, 2])).is_err());
        let with_reserved = batch(&[1]);
        assert!(RecordSet::from_batch(&with_reserved, "x").is_err()); // int ids rejected
        assert!(RecordSet::from_batch(&with_reserved, "name").is_ok());
        let nulls = arrow_array::LargeBinaryArray::from(vec![None::<&[u8]>]);
        assert!(RecordSet::from_ids_array(nulls, batch(&[1])).is_err());
    }
}
