//! RocksDB store on a full device: a real ENOSPC on a tiny tmpfs (needs root to mount).
//!
//! The parent test mounts the tmpfs and always unmounts it; the writing happens in a child
//! process (this test binary re-run with an environment variable), so that even an abort
//! inside RocksDB cannot leak the mount.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{path, rows};
use orcapod_cache::{OnDuplicate, RecordSet, RocksStore, Store, StoreError, StoreOptions};

const CHILD_ENV: &str = "ORCAPOD_CACHE_DISK_FULL_DIR";

/// Mounts a tmpfs and unmounts it on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        out.status.success().then(|| Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn options() -> StoreOptions {
    StoreOptions {
        write_buffer_bytes: 256 << 10,
        ..StoreOptions::default()
    }
}

fn id(k: usize, i: usize) -> String {
    format!("{k:05}-{i:04}-{}", "p".repeat(40))
}

fn batch_of(k: usize, n: usize) -> RecordSet {
    let ids: Vec<String> = (0..n).map(|i| id(k, i)).collect();
    let xs: Vec<i64> = (0..n).map(|i| (k * 1000 + i) as i64).collect();
    RecordSet::new(ids.iter().map(|s| s.as_bytes()), common::batch(&xs)).unwrap()
}

/// Child: writes batches of 200 until the device is full; reports on stdout.
#[test]
fn disk_full_writer_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = RocksStore::open_with_options(&dir, options()).unwrap();
    let t = path(&["t"]);
    let mut committed = 0;
    for k in 0..100_000 {
        match store.add_records(&t, batch_of(k, 200), OnDuplicate::Error) {
            Ok(_) => committed += 1,
            Err(StoreError::DiskFull { detail, .. }) => {
                eprintln!("disk full after {committed} batches: {detail}");
                println!("RESULT committed={committed} failed={k}");
                break;
            }
            Err(other) => panic!("expected DiskFull, got {other:?}"),
        }
    }
    // Committed data stays readable while the device is full.
    assert_eq!(rows(&store.get_all(&t).unwrap()).len(), committed * 200);
    // Further writes fail cleanly (or succeed, if they fit in preallocated space).
    match store.add_records(&t, batch_of(99_999, 10), OnDuplicate::Error) {
        Ok(_) => println!("LATE ok"),
        Err(StoreError::DiskFull { .. } | StoreError::Io { .. }) => println!("LATE failed"),
        Err(other) => panic!("unexpected {other:?}"),
    }
}

#[test]
fn full_disk_is_a_typed_error_and_loses_nothing() {
    let base = tempfile::tempdir().unwrap();
    let mnt = base.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let Some(fs) = Tmpfs::mount(&mnt, "2m") else {
        eprintln!(
            "\n!!!!!!!! ENOSPC TEST NOT RUN: cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN).\n\
             !!!!!!!! Only the error mapping was checked; run as root for the real test.\n"
        );
        let err = StoreError::DiskFull {
            path: mnt,
            detail: "No space left on device".into(),
        };
        assert!(err.to_string().contains("no space left"));
        return;
    };
    let dir = mnt.join("store");
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "disk_full_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "writer child failed ({:?}):\n{stdout}\n{stderr}",
        out.status
    );
    let field = |name: &str| -> usize {
        // libtest prints "test name ... " on the same line, before the child's output.
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("RESULT "))
            .expect("no RESULT line")
            .1;
        let token = line
            .split(' ')
            .find_map(|t| t.strip_prefix(&format!("{name}=")));
        token.unwrap().parse().unwrap()
    };
    let (committed, failed) = (field("committed"), field("failed"));
    let late = stdout.contains("LATE ok");
    assert!(committed > 0, "nothing fit on the device");

    fs.resize("64m");
    let store = RocksStore::open_with_options(&dir, options()).unwrap();
    let t = path(&["t"]);
    let all = rows(&store.get_all(&t).unwrap());
    let of_failed = all
        .iter()
        .filter(|(i, _)| i.starts_with(&format!("{failed:05}-")))
        .count();
    assert!(
        of_failed == 0 || of_failed == 200,
        "the failed batch landed partially ({of_failed})"
    );
    for k in 0..committed {
        let got = store
            .get_records(&t, &[id(k, 0).as_bytes(), id(k, 199).as_bytes()])
            .unwrap();
        assert_eq!(rows(&got).len(), 2, "acknowledged batch {k} lost");
    }
    if late {
        let got = store.get_record(&t, id(99_999, 9).as_bytes()).unwrap();
        assert!(got.is_some(), "acknowledged late write lost");
    }
    // The store is writable again once there is space.
    store
        .add_records(&t, batch_of(50_000, 10), OnDuplicate::Error)
        .unwrap();
    store.flush().unwrap();
    eprintln!(
        "ENOSPC test: {committed} batches committed, batch {failed} refused, late write ok: {late}"
    );
}
