//! RocksDB store faults: locks, corruption, unknown formats, foreign directories.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{path, records, rows};
use orcapod_cache::{OnDuplicate, RocksStore, Store, StoreError};

const LOCK_ENV: &str = "ORCAPOD_CACHE_LOCK_HOLDER_DIR";

fn filled_store(dir: &Path) {
    let store = RocksStore::open(dir).unwrap();
    store
        .add_records(
            &path(&["t"]),
            records(&["a", "b"], &[1, 2]),
            OnDuplicate::Error,
        )
        .unwrap();
    store.flush().unwrap(); // writes an SST file
}

fn files_matching(dir: &Path, pred: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| pred(&p.file_name().unwrap().to_string_lossy()))
        .collect()
}

fn garble(file: &Path) {
    let len = std::fs::metadata(file).unwrap().len().max(64) as usize;
    let junk: Vec<u8> = (0..len).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(file, junk).unwrap();
}

#[test]
fn second_handle_in_the_same_process_is_locked_out() {
    let dir = tempfile::tempdir().unwrap();
    let first = RocksStore::open(dir.path()).unwrap();
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    // The first handle is unaffected.
    first
        .add_records(&path(&["t"]), records(&["a"], &[1]), OnDuplicate::Error)
        .unwrap();
    drop(first);
    assert!(RocksStore::open(dir.path()).is_ok());
}

/// Child side of [`another_process_holding_the_store_locks_it_out`].
#[test]
fn lock_holder_child() {
    let Ok(dir) = std::env::var(LOCK_ENV) else {
        return;
    };
    let _store = RocksStore::open(&dir).unwrap();
    println!("READY");
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line); // hold the lock until the parent says so
}

#[test]
fn another_process_holding_the_store_locks_it_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LOCK_ENV, dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ready = false;
    let mut line = String::new();
    while !ready && stdout.read_line(&mut line).unwrap() > 0 {
        ready = line.contains("READY");
        line.clear();
    }
    assert!(ready, "the child did not open the store");
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(&err, StoreError::Locked { path, .. } if path == dir.path()),
        "{err:?}"
    );
    assert!(err.to_string().contains("locked"));
    drop(child.stdin.take()); // EOF: the child closes the store and exits
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap(); // keep the pipe open until the child is done
    assert!(child.wait().unwrap().success(), "{rest}");
    assert!(RocksStore::open(dir.path()).is_ok());
}

#[test]
fn newer_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    filled_store(dir.path());
    {
        let db = rocksdb::DB::open_default(dir.path()).unwrap();
        db.put(b"m\0format_version", b"3").unwrap();
    }
    match RocksStore::open(dir.path()).unwrap_err() {
        StoreError::UnsupportedFormatVersion {
            found,
            supported,
            path,
        } => {
            assert_eq!((found, supported, path.as_path()), (3, 2, dir.path()));
        }
        other => panic!("unexpected {other:?}"),
    }
    {
        let db = rocksdb::DB::open_default(dir.path()).unwrap();
        db.put(b"m\0format_version", b"one").unwrap();
    }
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

/// A format-1 directory (full table paths in every key) stays readable and writable: it
/// keeps its own key layout; new directories use format 2 (8-byte table tokens).
#[test]
fn format_one_directories_keep_working_in_their_layout() {
    let old = tempfile::tempdir().unwrap();
    {
        let db = rocksdb::DB::open_default(old.path()).unwrap();
        db.put(b"m\0format_version", b"1").unwrap();
    }
    let new = tempfile::tempdir().unwrap();
    let path = common::path(&["results", "of", "a", "function"]);
    for dir in [old.path(), new.path()] {
        {
            let store = RocksStore::open(dir).unwrap();
            store.create_index(&path, "name").unwrap();
            let recs = common::records(&["a", "b"], &[1, 2]);
            store.add_records(&path, recs, OnDuplicate::Error).unwrap();
        }
        let store = RocksStore::open(dir).unwrap();
        assert_eq!(
            common::rows(&store.get_all(&path).unwrap()),
            vec![("a".to_string(), 1), ("b".to_string(), 2)]
        );
        let recs = common::records(&["c"], &[3]);
        store.add_records(&path, recs, OnDuplicate::Error).unwrap();
        let found = store
            .latest_ids_where(&path, "name", &[orcapod_datagram::Value::from("n3")])
            .unwrap();
        assert_eq!(found, vec![Some(b"c".to_vec())]);
        assert_eq!(store.list_paths().unwrap(), vec![path.clone()]);
    }
    let full_path_record = |dir: &std::path::Path| {
        let db = rocksdb::DB::open_default(dir).unwrap();
        db.get(b"r\0results/of/a/function\0a").unwrap().is_some()
    };
    assert!(full_path_record(old.path()), "format 1 keeps full paths");
    assert!(!full_path_record(new.path()), "format 2 uses tokens");
}

#[test]
fn foreign_directories_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // A RocksDB database without our marker.
    let foreign = dir.path().join("foreign");
    {
        let db = rocksdb::DB::open_default(&foreign).unwrap();
        db.put(b"hello", b"world").unwrap();
    }
    let err = RocksStore::open(&foreign).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
    let db = rocksdb::DB::open_default(&foreign).unwrap();
    assert!(
        db.get(b"m\0format_version").unwrap().is_none(),
        "the foreign database was modified"
    );
    drop(db);
    // A database with extra column families.
    let families = dir.path().join("families");
    {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        rocksdb::DB::open_cf(&opts, &families, ["default", "other"]).unwrap();
    }
    let err = RocksStore::open(&families).unwrap_err();
    assert!(matches!(err, StoreError::NotAStore { .. }), "{err:?}");
    // A plain directory with files, and a plain file.
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    std::fs::write(plain.join("notes.txt"), "hi").unwrap();
    assert!(matches!(
        RocksStore::open(&plain),
        Err(StoreError::NotAStore { .. })
    ));
    assert_eq!(
        std::fs::read_dir(&plain).unwrap().count(),
        1,
        "files were created"
    );
    assert!(matches!(
        RocksStore::open(plain.join("notes.txt")),
        Err(StoreError::NotAStore { .. })
    ));
    // An interrupted creation (LOCK and LOG only) is reopened.
    let interrupted = dir.path().join("interrupted");
    std::fs::create_dir(&interrupted).unwrap();
    std::fs::write(interrupted.join("LOCK"), "").unwrap();
    std::fs::write(interrupted.join("LOG"), "").unwrap();
    assert!(RocksStore::open(&interrupted).is_ok());
    // A missing directory is created.
    let fresh = dir.path().join("a").join("b");
    assert!(RocksStore::open(&fresh).is_ok());
}

#[test]
fn garbage_in_current_is_corruption() {
    for garbage in [&b"garbage\n"[..], b"\x00\xffjunk", b"MANIFEST-999999\n"] {
        let dir = tempfile::tempdir().unwrap();
        filled_store(dir.path());
        std::fs::write(dir.path().join("CURRENT"), garbage).unwrap();
        let err = RocksStore::open(dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::Corrupt { .. }),
            "{garbage:?}: {err:?}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    filled_store(dir.path());
    std::fs::remove_file(dir.path().join("CURRENT")).unwrap();
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, StoreError::Corrupt { .. }),
        "missing CURRENT: {err:?}"
    );
}

#[test]
fn garbage_in_manifest_is_corruption() {
    let dir = tempfile::tempdir().unwrap();
    filled_store(dir.path());
    for f in files_matching(dir.path(), |n| n.starts_with("MANIFEST-")) {
        garble(&f);
    }
    let err = RocksStore::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

/// A damaged SST is reported as `Corrupt` when opening or when reading it, never as a panic or
/// as wrong data. Damage confined to parts of the file that a read does not need (filter or
/// properties blocks, padding) may go unnoticed by that read, but then the data returned must
/// be exactly what was stored.
fn assert_sst_damage_detected(damage: impl Fn(&Path)) {
    let dir = tempfile::tempdir().unwrap();
    filled_store(dir.path());
    let ssts = files_matching(dir.path(), |n| n.ends_with(".sst"));
    assert!(!ssts.is_empty(), "flush wrote no SST");
    for f in &ssts {
        damage(f);
    }
    match RocksStore::open(dir.path()) {
        Err(err) => assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}"),
        Ok(store) => {
            let t = path(&["t"]);
            let read = store.get_all(&t).and_then(|_| store.get_record(&t, b"a"));
            match read {
                Err(err) => assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}"),
                Ok(got) => assert_eq!(
                    rows(&got),
                    vec![("a".to_string(), 1)],
                    "damage went unnoticed and the read returned wrong data"
                ),
            }
        }
    }
}

#[test]
fn garbage_sst_is_corruption() {
    assert_sst_damage_detected(garble);
}

#[test]
fn flipped_bytes_inside_an_sst_are_corruption() {
    assert_sst_damage_detected(|f| {
        let mut bytes = std::fs::read(f).unwrap();
        let mid = bytes.len() / 3;
        for b in &mut bytes[mid..mid + 16] {
            *b ^= 0x5a;
        }
        std::fs::write(f, bytes).unwrap();
    });
}
