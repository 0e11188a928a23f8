//! End-to-end tests of `orcapod run|plan|show|graph|check|export` on the example pipeline
//! files (crates/orcapod/examples/pipelines), run as the real binary on a copy of the examples.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A copy of examples/pipelines and examples/data (the demo twin reads ../data) in a temp dir,
/// so that edits never touch the repository; `store` is the RocksDB directory every command
/// gets with `--store`.
struct Work {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: PathBuf,
}

impl Work {
    fn new() -> Work {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
        copy_dir(&examples.join("pipelines"), &root.join("pipelines"));
        copy_dir(&examples.join("data"), &root.join("data"));
        let store = root.join("store");
        Work {
            _dir: dir,
            root,
            store,
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.root.join("pipelines").join(name)
    }

    fn orcapod(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_orcapod"))
            .args(args)
            .current_dir(&self.root)
            .output()
            .unwrap()
    }

    /// Run a subcommand on a pipeline file with the test store; must succeed; stdout.
    fn ok(&self, command: &str, file: &str, extra: &[&str]) -> String {
        let path = self.file(file);
        let store = self.store.to_str().unwrap();
        let mut args = vec![command, path.to_str().unwrap()];
        args.extend_from_slice(extra);
        if command != "graph" && command != "check" {
            args.extend_from_slice(&["--store", store]);
        }
        let out = self.orcapod(&args);
        assert!(
            out.status.success(),
            "orcapod {args:?} failed ({:?}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// (computed, cached, failed) of `node` in a `run` summary table.
fn counts(summary: &str, node: &str) -> (usize, usize, usize) {
    let line = summary
        .lines()
        .find(|l| l.split_whitespace().next() == Some(node))
        .unwrap_or_else(|| panic!("no row for {node} in:\n{summary}"));
    let cells: Vec<&str> = line.split_whitespace().collect();
    let n = |i: usize| {
        cells[i]
            .parse::<usize>()
            .unwrap_or_else(|_| panic!("{line}"))
    };
    (n(2), n(3), n(4))
}

/// The data rows of a `show` table (header and rule removed), cells split on whitespace.
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .skip(2)
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

#[test]
fn demo_runs_then_reruns_from_cache_then_recomputes_only_the_edited_recording() {
    let w = Work::new();
    let first = w.ok("run", "demo.toml", &[]);
    assert_eq!(counts(&first, "session_stats"), (4, 0, 0), "{first}");
    assert_eq!(counts(&first, "grade"), (4, 0, 0), "{first}");
    assert!(
        first.contains("function packets: 8 computed, 0 cached, 0 failed"),
        "{first}"
    );

    let second = w.ok("run", "demo.toml", &[]);
    assert_eq!(counts(&second, "session_stats"), (0, 4, 0), "{second}");
    assert_eq!(counts(&second, "grade"), (0, 4, 0), "{second}");
    assert!(
        second.contains("function packets: 0 computed, 8 cached"),
        "{second}"
    );

    // Append a sample to one recording: only that session's statistics (and, since its std
    // changes, its grade) are recomputed.
    let edited = w.root.join("data/recordings/m02_s1.txt");
    let mut text = std::fs::read_to_string(&edited).unwrap();
    text.push_str("3.5\n");
    std::fs::write(&edited, text).unwrap();
    let plan = w.ok("plan", "demo.toml", &[]);
    assert!(
        plan.contains("=> 1+ packet(s) to compute, 6 served from the store"),
        "{plan}"
    );
    let third = w.ok("run", "demo.toml", &[]);
    assert_eq!(counts(&third, "session_stats"), (1, 3, 0), "{third}");
    assert_eq!(counts(&third, "grade"), (1, 3, 0), "{third}");

    let results = w.ok("show", "demo.toml", &["results"]);
    let table = rows(&results);
    assert_eq!(table.len(), 4, "{results}");
    let m02 = table.iter().find(|r| r[0] == "m02").unwrap();
    assert_eq!(
        m02[3], "201",
        "the edited recording has one more sample: {results}"
    );
    // Columns: subject, session, grade, n_samples, mean, std.
    assert_eq!(
        results
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["subject", "session", "grade", "n_samples", "mean", "std"]
    );
    let m01_s1 = table
        .iter()
        .find(|r| r[0] == "m01" && r[1] == "s1")
        .unwrap();
    assert_eq!((m01_s1[2].as_str(), m01_s1[3].as_str()), ("good", "200"));
    let batched = w.ok("show", "demo.toml", &["batched"]);
    assert_eq!(rows(&batched).len(), 2, "{batched}");
}

#[test]
fn plan_counts_what_a_run_computes_and_runs_nothing() {
    let w = Work::new();
    let before = w.ok("plan", "join_batch.toml", &[]);
    assert!(before.contains("plan for pipeline 'trials'"), "{before}");
    let line = before
        .lines()
        .find(|l| l.starts_with("reaction_s"))
        .unwrap();
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        ["reaction_s", "function", "0", "7"]
    );
    // Planning twice changes nothing: nothing was computed or stored.
    assert_eq!(w.ok("plan", "join_batch.toml", &[]), before);
    let run = w.ok("run", "join_batch.toml", &[]);
    assert_eq!(counts(&run, "reaction_s"), (7, 0, 0), "{run}");
    let after = w.ok("plan", "join_batch.toml", &[]);
    assert!(
        after.contains("=> 0 packet(s) to compute, 7 served from the store"),
        "{after}"
    );
}

#[test]
fn editing_one_csv_row_recomputes_only_that_packet() {
    let w = Work::new();
    w.ok("run", "join_batch.toml", &[]);
    let trials = w.root.join("pipelines/data/trials.csv");
    let text = std::fs::read_to_string(&trials)
        .unwrap()
        .replace("a2,2,true,331", "a2,2,true,333");
    std::fs::write(&trials, text).unwrap();
    let rerun = w.ok("run", "join_batch.toml", &[]);
    assert_eq!(counts(&rerun, "reaction_s"), (1, 6, 0), "{rerun}");
    let shown = w.ok("show", "join_batch.toml", &["renamed"]);
    // animal, trial, species, weight, reaction_s (map_packets renamed weight_g).
    assert!(shown.lines().next().unwrap().contains("weight "), "{shown}");
    let table = rows(&shown);
    let a2_2 = table.iter().find(|r| r[0] == "a2" && r[1] == "2").unwrap();
    assert_eq!(a2_2.last().unwrap(), "0.333", "{shown}");
    let batched = w.ok("show", "join_batch.toml", &["batched"]);
    assert_eq!(rows(&batched).len(), 3, "7 rows in batches of 3: {batched}");
}

#[test]
fn folder_command_and_filter_examples_give_the_expected_tables() {
    let w = Work::new();
    let run = w.ok("run", "folder_command.toml", &[]);
    assert_eq!(counts(&run, "counts"), (3, 0, 0), "{run}");
    let counts_table = w.ok("show", "folder_command.toml", &["counts"]);
    assert_eq!(
        rows(&counts_table),
        [
            ["alpha.txt", "2", "11", "68"],
            ["beta.txt", "1", "8", "45"],
            ["gamma.txt", "3", "10", "71"],
        ]
    );
    let wordy = w.ok("show", "folder_command.toml", &["wordy"]);
    assert_eq!(rows(&wordy).len(), 2, "{wordy}");

    let run = w.ok("run", "filter.toml", &[]);
    assert_eq!(counts(&run, "fahrenheit"), (2, 0, 0), "{run}");
    let f = w.ok("show", "filter.toml", &["fahrenheit"]);
    assert_eq!(rows(&f), [["w01", "58.1"], ["w06", "57.02"]]);
}

#[test]
fn show_writes_csv_parquet_and_arrow_ipc() {
    let w = Work::new();
    for ext in ["csv", "parquet", "arrow"] {
        let out = w.root.join(format!("counts.{ext}"));
        let msg = w.ok(
            "show",
            "folder_command.toml",
            &["counts", "--out", out.to_str().unwrap()],
        );
        assert!(msg.contains("wrote 3 rows of 'counts'"), "{msg}");
        let (schema, batches) = orcapod::datagram::read_table(&out).unwrap();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["name", "lines", "words", "bytes"], "{ext}");
        assert_eq!(
            batches.iter().map(|b| b.num_rows()).sum::<usize>(),
            3,
            "{ext}"
        );
    }
    let csv = std::fs::read_to_string(w.root.join("counts.csv")).unwrap();
    assert!(
        csv.starts_with("name,lines,words,bytes\nalpha.txt,2,11,68\n"),
        "{csv}"
    );
}

#[test]
fn graph_renders_the_pipeline_file_without_a_store() {
    let w = Work::new();
    let dot = w.ok("graph", "demo.toml", &[]);
    assert!(dot.starts_with("digraph"), "{dot}");
    for label in ["recordings_x_sessions", "session_stats", "grade", "batched"] {
        assert!(dot.contains(label), "{label} missing from\n{dot}");
    }
    assert!(!w.store.exists(), "graph must not open a store");
    let check = w.ok("check", "demo.toml", &[]);
    assert!(check.contains("ok (11 nodes"), "{check}");
}

#[test]
fn fail_fast_run_exits_non_zero_and_continue_reports_failures() {
    let w = Work::new();
    let write = |name: &str, policy: &str| {
        let text = format!(
            r#"format = "orcapod-pipeline"
version = 1
name = "failing"

[run]
error_policy = "{policy}"

[sources.animals]
file = "data/animals.csv"
tags = ["animal"]

[functions.check]
from = "animals"
program = "sh"
args = ["-c", 'if [ "$1" = rat ]; then echo boom >&2; exit 3; fi; echo "{{\"ok\": true}}"', "check", "{{species}}"]
inputs = {{ species = "str" }}
outputs = {{ ok = "bool" }}
"#
        );
        std::fs::write(w.file(name), text).unwrap();
        w.file(name)
    };
    let path = write("fail_fast.toml", "fail_fast");
    let out = w.orcapod(&["run", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run failed") && err.contains("check"), "{err}");

    let path = write("continue.toml", "continue");
    let out = w.orcapod(&["run", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(counts(&stdout, "check"), (2, 0, 1), "{stdout}");
    assert!(stdout.contains("failed in check"), "{stdout}");
}

#[test]
fn invalid_files_exit_2_with_every_problem_positioned() {
    let w = Work::new();
    let path = w.file("broken.toml");
    std::fs::write(
        &path,
        "format = \"orcapod-pipeline\"\nversion = 1\nname = \"b\"\n[sources.a]\nfile = \"data/nope.csv\"\ntags = [\"x\"]\n[operators.j]\ntype = \"jion\"\nfrom = \"zz\"\n",
    )
    .unwrap();
    for cmd in ["run", "plan", "check", "graph"] {
        let out = w.orcapod(&[cmd, path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("3 problems"), "{cmd}: {err}");
        assert!(
            err.contains("broken.toml:5:8: file 'data/nope.csv' does not exist"),
            "{err}"
        );
        assert!(
            err.contains("broken.toml:8:8: unknown operator type 'jion'"),
            "{err}"
        );
        assert!(err.contains("did you mean 'join'?"), "{err}");
        assert!(
            err.contains("broken.toml:9:8: unknown label 'zz' in 'from' of 'j'"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
