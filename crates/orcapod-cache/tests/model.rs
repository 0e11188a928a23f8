//! Property test: both stores against a simple reference model (BTreeMap) under random
//! sequences of add / transaction / get / get_many / get_all / lookup / flush / reopen.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow_array::{Int64Array, RecordBatch};
use common::{path, records, rows};
use orcapod_cache::{
    InMemoryStore, OnDuplicate, RecordSet, RocksStore, Store, StoreError, StoreTransaction,
    TablePath,
};
use orcapod_datagram::Value;
use proptest::prelude::*;

const TABLES: usize = 3;

#[derive(Debug, Clone)]
struct Add {
    table: usize,
    ids: Vec<u8>,
    base: i64,
    skip: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Add(Add),
    /// Adds in one transaction; `bad` inserts a schema-mismatched write at that position.
    Txn(Vec<Add>, Option<(usize, usize)>),
    Get(usize, u8),
    GetMany(usize, Vec<u8>),
    GetAll(usize),
    Where(usize, i64),
    Flush,
    Reopen,
}

fn add() -> impl Strategy<Value = Add> {
    (
        0..TABLES,
        prop::collection::vec(0u8..12, 0..6),
        0i64..4,
        any::<bool>(),
    )
        .prop_map(|(table, ids, base, skip)| Add {
            table,
            ids,
            base,
            skip,
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => add().prop_map(Op::Add),
        2 => (prop::collection::vec(add(), 1..4), prop::option::of((0usize..4, 0..TABLES)))
            .prop_map(|(adds, bad)| Op::Txn(adds, bad)),
        2 => (0..TABLES, 0u8..12).prop_map(|(t, id)| Op::Get(t, id)),
        2 => (0..TABLES, prop::collection::vec(0u8..12, 0..6)).prop_map(|(t, ids)| Op::GetMany(t, ids)),
        2 => (0..TABLES).prop_map(Op::GetAll),
        2 => (0..TABLES, 0i64..8).prop_map(|(t, x)| Op::Where(t, x)),
        1 => Just(Op::Flush),
        1 => Just(Op::Reopen),
    ]
}

fn table(t: usize) -> TablePath {
    path(&["model", &format!("t{t}")])
}

fn id(n: u8) -> String {
    format!("id{n}")
}

/// Reference model: per table, rows `(id, x)` in write order.
#[derive(Clone, Debug, Default)]
struct Model {
    tables: BTreeMap<usize, Vec<(String, i64)>>,
}

impl Model {
    /// Applies one add; `Err(())` when the store must refuse it.
    fn add(&mut self, a: &Add) -> Result<(), ()> {
        let mut last: Vec<(String, i64)> = Vec::new();
        for (i, n) in a.ids.iter().enumerate() {
            last.retain(|(id, _)| *id != self::id(*n));
            last.push((id(*n), a.base + i as i64));
        }
        let rows = self.tables.entry(a.table).or_default();
        let exists = |id: &String| rows.iter().any(|(r, _)| r == id);
        if !a.skip && last.iter().any(|(id, _)| exists(id)) {
            if rows.is_empty() {
                self.tables.remove(&a.table);
            }
            return Err(());
        }
        last.retain(|(id, _)| !exists(id));
        rows.extend(last);
        Ok(())
    }
}

fn to_records(a: &Add) -> RecordSet {
    let ids: Vec<String> = a.ids.iter().map(|n| id(*n)).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let xs: Vec<i64> = (0..a.ids.len() as i64).map(|i| a.base + i).collect();
    records(&refs, &xs)
}

fn policy(skip: bool) -> OnDuplicate {
    if skip {
        OnDuplicate::Skip
    } else {
        OnDuplicate::Error
    }
}

fn bad_records() -> RecordSet {
    let b =
        RecordBatch::try_from_iter([("other", Arc::new(Int64Array::from(vec![1])) as _)]).unwrap();
    RecordSet::new(["bad"], b).unwrap()
}

fn run(ops: &[Op], open: &dyn Fn() -> Arc<dyn Store>) -> Result<(), TestCaseError> {
    let mut store = open();
    store.create_index(&table(0), "x").unwrap();
    let mut model = Model::default();
    for op in ops {
        match op {
            Op::Add(a) => {
                let expected = model.add(a);
                let got = store.add_records(&table(a.table), to_records(a), policy(a.skip));
                match (&got, expected) {
                    (Ok(_), Ok(())) => {}
                    (Err(StoreError::DuplicateRecords { .. }), Err(())) => {}
                    _ => prop_assert!(false, "add {a:?}: store {got:?}, model {expected:?}"),
                }
            }
            Op::Txn(adds, bad) => {
                let mut trial = model.clone();
                let mut txn = StoreTransaction::new();
                let mut expected = Ok(());
                let mut mismatch = false;
                for (i, a) in adds.iter().enumerate() {
                    if let Some((pos, t)) = bad
                        && *pos == i
                        && trial.tables.contains_key(t)
                    {
                        txn.add_records(&table(*t), bad_records(), OnDuplicate::Error);
                        mismatch |= expected.is_ok();
                        expected = Err(());
                    }
                    if expected.is_ok() {
                        expected = trial.add(a);
                    }
                    txn.add_records(&table(a.table), to_records(a), policy(a.skip));
                }
                let got = store.commit(txn);
                match (&got, expected) {
                    (Ok(_), Ok(())) => model = trial,
                    (Err(StoreError::SchemaMismatch { .. }), Err(())) if mismatch => {}
                    (Err(StoreError::DuplicateRecords { .. }), Err(())) if !mismatch => {}
                    _ => prop_assert!(
                        false,
                        "txn {adds:?} {bad:?}: store {got:?}, model {expected:?}"
                    ),
                }
            }
            Op::Get(t, n) => {
                let want: Vec<_> = model
                    .tables
                    .get(t)
                    .into_iter()
                    .flatten()
                    .filter(|(i, _)| *i == id(*n))
                    .cloned()
                    .collect();
                prop_assert_eq!(
                    rows(&store.get_record(&table(*t), id(*n).as_bytes()).unwrap()),
                    want
                );
            }
            Op::GetMany(t, ns) => {
                let mut want = Vec::new();
                let rows_t = model.tables.get(t).cloned().unwrap_or_default();
                for n in ns {
                    if let Some(r) = rows_t.iter().find(|(i, _)| *i == id(*n))
                        && !want.contains(r)
                    {
                        want.push(r.clone());
                    }
                }
                let ids: Vec<String> = ns.iter().map(|n| id(*n)).collect();
                let refs: Vec<&[u8]> = ids.iter().map(|s| s.as_bytes()).collect();
                prop_assert_eq!(rows(&store.get_records(&table(*t), &refs).unwrap()), want);
            }
            Op::GetAll(t) => {
                let want = model.tables.get(t).cloned().unwrap_or_default();
                prop_assert_eq!(rows(&store.get_all(&table(*t)).unwrap()), want);
            }
            Op::Where(t, x) => {
                let want: Vec<_> = model
                    .tables
                    .get(t)
                    .into_iter()
                    .flatten()
                    .filter(|(_, v)| v == x)
                    .cloned()
                    .collect();
                let got = store
                    .get_records_with_column_value(&table(*t), "x", Value::Int(*x))
                    .unwrap();
                prop_assert_eq!(rows(&got), want);
            }
            Op::Flush => store.flush().unwrap(),
            Op::Reopen => {
                drop(store);
                store = open();
                prop_assert_eq!(store.indexes(&table(0)).unwrap(), vec!["x".to_string()]);
            }
        }
        let paths: BTreeSet<TablePath> = model.tables.keys().map(|t| table(*t)).collect();
        let listed: BTreeSet<TablePath> = store.list_paths().unwrap().into_iter().collect();
        prop_assert_eq!(listed, paths);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn in_memory_store_matches_the_model(ops in prop::collection::vec(op(), 1..40)) {
        // "Reopen" keeps the same in-memory store (it has no persistence to test).
        let store: Arc<dyn Store> = Arc::new(InMemoryStore::new());
        run(&ops, &|| Arc::clone(&store))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn rocksdb_store_matches_the_model_across_reopens(ops in prop::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let open = || Arc::new(RocksStore::open(dir.path()).unwrap()) as Arc<dyn Store>;
        run(&ops, &open)?;
    }
}
