//! The orcapod-rs demo: a small neuroscience-style pipeline on the embedded RocksDB store.
//!
//! 1. Sources: subjects and sessions from CSV, and a folder of recordings (one file per
//!    session; path-typed packets, identified by file *content*).
//! 2. Joins: recordings ⋈ sessions ⋈ subjects.
//! 3. A function pod computing per-session statistics from each recording.
//! 4. A command function (an external program) grading each session.
//! 5. Batching by two sessions.
//! 6. The results as a table, the run summary and the pipeline graph (DOT).
//!
//! It then runs the pipeline again (everything served from the store), edits one recording and
//! runs once more: exactly the affected packet is recomputed.
//!
//! `cargo run --release --example demo [-- --store DIR] [--fresh] [--async]`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use orcapod::node::TracingObserver;
use orcapod::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/orcapod-demo");
    let mut store_dir = root.join("store");
    let mut mode = RunMode::Sync;
    let mut fresh = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--store" => store_dir = PathBuf::from(it.next().ok_or("--store needs a directory")?),
            "--fresh" => fresh = true,
            "--async" => mode = RunMode::Async,
            other => {
                return Err(format!(
                    "unknown option '{other}' (known: --store DIR, --fresh, --async)"
                )
                .into());
            }
        }
    }
    if fresh && store_dir.exists() {
        std::fs::remove_dir_all(&store_dir)?;
    }
    // Work on a copy of the shipped data, so that the edit step never touches the repository.
    let data = root.join("data");
    copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/data"),
        &data,
    )?;

    let store = open_store(&StoreConfig::Rocksdb {
        path: store_dir.clone(),
        options: Default::default(),
    })?;
    println!(
        "orcapod-rs demo — store: {} ({mode:?} mode)\n",
        store_dir.display()
    );
    let config = RunConfig::new()
        .mode(mode)
        .observer(Arc::new(ProgressObserver::new()));
    let _ = TracingObserver; // tracing users: RunConfig::observer(Arc::new(TracingObserver))

    let first = run(&data, store.clone(), &config, "run 1")?;
    print_table(&first.1)?;
    println!(
        "\nPipeline graph (Graphviz DOT; `dot -Tsvg` renders it):\n{}",
        first.0.to_dot(Some(&first.1))
    );

    run(&data, store.clone(), &config, "run 2 (unchanged inputs)")?;

    // Edit one recording: only its session's packet must be recomputed.
    let edited = data.join("recordings/m02_s1.txt");
    let mut text = std::fs::read_to_string(&edited)?;
    // A new sample value every time the demo runs, so the edit is always new to the store.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .subsec_nanos();
    text.push_str(&format!("{}.{:04}\n", nanos % 7, nanos % 10_000));
    std::fs::write(&edited, text)?;
    println!("edited {}", edited.display());
    let (_, third) = run(&data, store, &config, "run 3 (one recording edited)")?;
    let stats = third
        .stats("session_stats")
        .ok_or("no session_stats node")?;
    println!(
        "=> session_stats recomputed {} packet(s) and served {} from the store after the edit.",
        stats.computed, stats.cached
    );
    println!(
        "\nInspect the results without code:\n  cargo run -p orcapod -- tables {store}\n  cargo run -p orcapod -- graph {pipeline}\n  cargo run -p orcapod -- status {store} {pipeline} session_stats",
        store = store_dir.display(),
        pipeline = root.join("pipeline.json").display()
    );
    Ok(())
}

/// Build and run the pipeline over `data`.
fn run(
    data: &Path,
    store: Arc<dyn Store>,
    config: &RunConfig,
    title: &str,
) -> Result<(Pipeline, RunReport), Box<dyn std::error::Error>> {
    let subjects = Source::from_file(
        data.join("subjects.csv"),
        SourceOptions::new(["subject"])
            .source_id("subjects")
            .label("subjects"),
    )?;
    let sessions = Source::from_file(
        data.join("sessions.csv"),
        SourceOptions::new(["subject", "session"])
            .source_id("sessions")
            .label("sessions"),
    )?;
    let recordings = Source::from_directory_pattern(
        data.join("recordings"),
        "{subject}_{session}.txt",
        SourceOptions::default()
            .source_id("recordings")
            .label("recordings"),
    )?;

    let stats = FunctionBuilder::new("session_stats")
        .input::<PathBuf>("path")
        .output::<i64>("n_samples")
        .output::<f64>("mean")
        .output::<f64>("std")
        .build(|path: PathBuf| -> Result<(i64, f64, f64), String> {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let xs: Vec<f64> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.trim().parse::<f64>())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let n = xs.len() as f64;
            let mean = xs.iter().sum::<f64>() / n;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
            Ok((xs.len() as i64, mean, var.sqrt()))
        });
    let grade = CommandPacketFunction::builder("grade", "sh")
        .args(["-c", r#"awk -v s="$1" -v d="$2" 'BEGIN { g = (s < 1.05 && d >= 1700) ? "good" : "check"; printf "{\"grade\": \"%s\"}\n", g }'"#, "grade", "{std}", "{duration_s}"])
        .input("std", DataType::Float)
        .input("duration_s", DataType::Float)
        .output("grade", DataType::Str)
        .version("v1.0")
        .build()?;

    let mut p = PipelineBuilder::new("demo").store(store);
    let (subj, sess, rec) = (p.source(subjects), p.source(sessions), p.source(recordings));
    let per_session = p.operator(Join::new(), &[rec, sess])?;
    p.label(per_session, "recordings_x_sessions")?;
    let full = p.operator(Join::new(), &[per_session, subj])?;
    p.label(full, "with_subjects")?;
    let computed = p.function(FunctionPod::new(stats), &[full])?;
    let keep = p.operator(
        SelectPacketColumns::new(["mean", "std", "n_samples"]),
        &[computed],
    )?;
    let graded_input = p.operator(Join::new(), &[keep, sess])?;
    p.label(graded_input, "stats_x_sessions")?;
    let graded = p.function(FunctionPod::new(grade), &[graded_input])?;
    let results = p.operator(Join::new(), &[computed, graded])?;
    p.label(results, "results")?;
    let batched = p.operator(Batch::new(2, false), &[results])?;
    p.label(batched, "batched")?;
    let pipeline = p.build()?;

    // Save the structure (for `orcapod graph`, `orcapod status` and reloading) and record
    // status rows and failure logs in the store.
    pipeline.save(&data.join("../pipeline.json"))?;
    let store = pipeline
        .store()
        .cloned()
        .ok_or("the demo pipeline has a store")?;
    let observers: Vec<Arc<dyn orcapod::node::Observer>> = vec![
        Arc::new(ProgressObserver::new()),
        Arc::new(orcapod::node::StoreObserver::new(&pipeline, store)),
    ];
    let config = config
        .clone()
        .observer(Arc::new(orcapod::node::CompositeObserver::new(observers)));
    let started = Instant::now();
    let report = pipeline.run(&config)?;
    println!("== {title}: {:.1?}", started.elapsed());
    print!("{}", report.summary());
    println!();
    Ok((pipeline, report))
}

fn print_table(report: &RunReport) -> Result<(), Box<dyn std::error::Error>> {
    let results = report
        .output("results")
        .ok_or("no results")?
        .sort_by_tags()?;
    println!("Results (one row per session):");
    println!(
        "{:<8} {:<8} {:>9} {:>8} {:>7} {:<6}",
        "subject", "session", "n_samples", "mean", "std", "grade"
    );
    for row in results.iter_rows() {
        let (tag, packet) = row?;
        let get = |k: &str| {
            packet
                .get(k)
                .ok()
                .flatten()
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let t = |k: &str| {
            tag.get(k)
                .ok()
                .flatten()
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        let f = |k: &str| {
            packet
                .get(k)
                .ok()
                .flatten()
                .and_then(|v| {
                    if let Value::Float(x) = v {
                        Some(format!("{x:.4}"))
                    } else {
                        None
                    }
                })
                .unwrap_or_default()
        };
        println!(
            "{:<8} {:<8} {:>9} {:>8} {:>7} {:<6}",
            t("subject"),
            t("session"),
            get("n_samples"),
            f("mean"),
            f("std"),
            get("grade")
        );
    }
    let batched = report.output("batched").ok_or("no batches")?;
    println!(
        "Batched into {} row(s) of up to 2 sessions each.",
        batched.num_rows()
    );
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
