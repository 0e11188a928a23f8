//! The pipeline life cycle end to end, in sync and async modes: build, run, rerun (all hits),
//! edit one input file (exactly one packet recomputed), save, load, rerun (all hits), with
//! identical results across modes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use orcapod_cache::{Store, StoreConfig, open_store};
use orcapod_datagram::{ColumnConfig, Source, SourceOptions, Value};
use orcapod_executor::{FunctionBuilder, FunctionPod, RustFunction};
use orcapod_node::{LoadMode, Pipeline, PipelineBuilder, Registry, RunConfig, RunMode};
use orcapod_operator::{Batch, Join};

/// A function that records every file it reads: the log is the proof of what was computed.
fn measure(log: Arc<Mutex<Vec<String>>>) -> FunctionPod<RustFunction> {
    FunctionPod::new(
        FunctionBuilder::new("measure")
            .input::<PathBuf>("path")
            .output::<f64>("total")
            .build(move |path: PathBuf| -> Result<f64, String> {
                log.lock().map_err(|e| e.to_string())?.push(
                    path.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                );
                let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
                Ok(text
                    .lines()
                    .filter_map(|l| l.trim().parse::<f64>().ok())
                    .sum())
            }),
    )
}

fn build(dir: &Path, log: Arc<Mutex<Vec<String>>>, store: Arc<dyn Store>) -> Pipeline {
    let files = Source::from_directory_pattern(
        dir.join("files"),
        "{sample}.txt",
        SourceOptions::default().source_id("files"),
    )
    .unwrap();
    let meta = Source::from_file(
        dir.join("meta.csv"),
        SourceOptions::new(["sample"]).source_id("meta"),
    )
    .unwrap();
    let mut p = PipelineBuilder::new("lifecycle").store(store);
    let (f, m) = (p.source(files), p.source(meta));
    let totals = p.function(measure(log), &[f]).unwrap();
    let joined = p.operator(Join::new(), &[totals, m]).unwrap();
    p.label(joined, "joined").unwrap();
    let batched = p.operator(Batch::new(2, false), &[joined]).unwrap();
    p.label(batched, "batched").unwrap();
    p.build().unwrap()
}

fn table(report: &orcapod_node::RunReport, label: &str) -> Vec<Vec<String>> {
    let t = report
        .output(label)
        .unwrap()
        .as_table(&ColumnConfig::default().with_system_tags())
        .unwrap();
    let mut rows: Vec<Vec<String>> = (0..t.num_rows())
        .map(|i| {
            (0..t.num_columns())
                .map(|c| {
                    Value::from_array(t.column(c).as_ref(), i)
                        .unwrap()
                        .to_string()
                })
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

fn take(log: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    let mut v = std::mem::take(&mut *log.lock().unwrap());
    v.sort();
    v
}

#[test]
fn build_run_rerun_edit_save_load_in_both_modes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("files")).unwrap();
    for (name, body) in [("a", "1\n2\n"), ("b", "3\n"), ("c", "4\n5\n6\n")] {
        std::fs::write(dir.path().join("files").join(format!("{name}.txt")), body).unwrap();
    }
    std::fs::write(
        dir.path().join("meta.csv"),
        "sample,site\na,north\nb,south\nc,north\n",
    )
    .unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let sync = RunConfig::new();
    let asynchronous = RunConfig::new().mode(RunMode::Async).channel_capacity(2);

    let store = open_store(&StoreConfig::Rocksdb {
        path: dir.path().join("store"),
        options: Default::default(),
    })
    .unwrap();

    // 1. First run (sync): everything computed.
    let p = build(dir.path(), log.clone(), store.clone());
    let first = p.run(&sync).unwrap();
    assert_eq!(take(&log), ["a.txt", "b.txt", "c.txt"]);
    assert_eq!(first.stats("measure").unwrap().computed, 3);
    let expected = table(&first, "joined");
    assert_eq!(expected.len(), 3);

    drop(p);
    // 2. Rerun (async): all hits, same rows.
    let second = build(dir.path(), log.clone(), store.clone())
        .run(&asynchronous)
        .unwrap();
    assert!(take(&log).is_empty(), "a rerun computes nothing");
    assert_eq!(second.stats("measure").unwrap().cached, 3);
    assert_eq!(table(&second, "joined"), expected);
    assert_eq!(table(&second, "batched"), table(&first, "batched"));

    // 3. Edit one file: exactly its packet is recomputed, in both modes.
    std::fs::write(dir.path().join("files/b.txt"), "30\n").unwrap();
    let edited_async = build(dir.path(), log.clone(), store.clone())
        .run(&asynchronous)
        .unwrap();
    assert_eq!(take(&log), ["b.txt"]);
    assert_eq!(edited_async.stats("measure").unwrap().computed, 1);
    let edited_sync = build(dir.path(), log.clone(), store.clone())
        .run(&sync)
        .unwrap();
    assert!(take(&log).is_empty());
    assert_eq!(
        table(&edited_sync, "joined"),
        table(&edited_async, "joined")
    );
    assert_ne!(table(&edited_sync, "joined"), expected);

    // 4. Save, drop everything, load with a registry and rerun: all hits, same rows.
    let saved = dir.path().join("pipeline.json");
    let p = build(dir.path(), log.clone(), store.clone());
    p.save(&saved).unwrap();
    drop((p, first, second, edited_async));
    assert_eq!(
        Arc::strong_count(&store),
        1,
        "no pipeline or run still holds the store"
    );
    drop(store);
    let registry = Registry::new().function(measure(log.clone()));
    for config in [&sync, &asynchronous] {
        let loaded = Pipeline::load(&saved, &registry, LoadMode::Full, None).unwrap();
        let report = loaded.run(config).unwrap();
        assert!(
            take(&log).is_empty(),
            "a loaded pipeline reuses stored results"
        );
        assert_eq!(report.stats("measure").unwrap().cached, 3);
        assert_eq!(table(&report, "joined"), table(&edited_sync, "joined"));
    }
}
