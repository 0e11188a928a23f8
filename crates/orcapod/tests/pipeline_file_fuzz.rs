//! Mutation-based fuzzing of the pipeline-file reader: the example files, mutated (byte
//! flips, deletions, TOML-token insertions, line duplication and swaps, truncation, splices of
//! other files), must give either a pipeline or positioned problems, never a panic. Files that
//! are accepted must also survive a round trip through `PipelineDecl::to_toml`.
//!
//! * `cargo test -p orcapod --test pipeline_file_fuzz` runs a short, fixed-seed smoke loop.
//! * `ORCAPOD_FUZZ_SECS=300 ORCAPOD_FUZZ_SEED=7 cargo test -p orcapod --test pipeline_file_fuzz
//!   -- --ignored` fuzzes for as long as asked (default 120 s); crashing inputs are written to
//!   `target/pipeline-file-fuzz/` and should become cases in `regressions()` below.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use orcapod::pipeline_file::{PipelineFile, PipelineFileError};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'",
    "'''",
    "\"\"\"",
    "{",
    "}",
    ",",
    "\n",
    "#",
    ".",
    "\\",
    "\\u00e9",
    "\\uD800",
    "1e999",
    "-0",
    "inf",
    "nan",
    "0x7fffffffffffffff",
    "99999999999999999999",
    "-1",
    "true",
    "é",
    "\u{0}",
    "\r",
    "\t",
    " = ",
    "from = \"x\"",
    "type = \"join\"",
    "type = \"filter\"",
    "type = \"batch\"",
    "size = -3",
    "[sources.x]",
    "[operators.y]",
    "[functions.z]",
    "[run.nodes.q]",
    "[run.executor]",
    "type = \"slurm\"",
    "predicate = {",
    "and = [",
    "not = {",
    "in = [1, \"a\", 2.5]",
    "column = \"",
    "op = \"<=\"",
    "inputs = { a = \"list[list[int]]\" }",
    "outputs = { b = \"float?\" }",
    "{path}",
    "{{",
    "pattern = \"{a}_{b}\"",
    "pattern = \"{\"",
    "pattern = \"}{\"",
    "directory = \"data\"",
    "file = \"/\"",
    "file = \"\"",
    "version = 2",
    "format = 1",
    "name = \"/\"",
    "store",
    "cache = \"replay\"",
    "2024-01-01T00:00:00Z",
    "[[sources.x]]",
    "tags = []",
];

/// Values for structure-preserving mutations (a key keeps its place, its value changes), so
/// that many mutants are valid TOML and reach the checks past the parser.
const VALUES: &[&str] = &[
    "\"\"",
    "\"x\"",
    "\"join\"",
    "\"filter\"",
    "\"batch\"",
    "\"animals\"",
    "\"data\"",
    "\"data/animals.csv\"",
    "\"{path}\"",
    "\"float?\"",
    "\"list[str]\"",
    "0",
    "-1",
    "2",
    "1.5",
    "true",
    "[]",
    "[\"a\", \"b\"]",
    "[1, 2]",
    "{}",
    "{ a = \"int\" }",
    "{ column = \"x\", op = \"<\", value = 1 }",
    "{ and = [] }",
    "{ not = { is_null = \"x\" } }",
    "{ column = \"x\", in = [] }",
    "\"../\"",
    "\"/\"",
    "\"sync\"",
    "\"async\"",
    "\"fail_fast\"",
    "\"rocksdb\"",
    "\"in_memory\"",
    "\"thread_pool\"",
    "\"slurm\"",
];

/// Replace the value of a random `key = value` line.
fn revalue(rng: &mut Rng, bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let candidates: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains(" = "))
        .collect();
    if candidates.is_empty() {
        return bytes.to_vec();
    }
    let i = candidates[rng.below(candidates.len())];
    let key = lines[i].split(" = ").next().unwrap_or("").to_string();
    lines[i] = format!("{key} = {}", VALUES[rng.below(VALUES.len())]);
    lines.join("\n").into_bytes()
}

fn mutate(rng: &mut Rng, text: &str, corpus: &[String]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = bytes.len();
        let at = rng.below(len + 1);
        match rng.below(11) {
            8..=10 => bytes = revalue(rng, &bytes),
            0 if len > 0 => bytes[at.min(len - 1)] = rng.next() as u8,
            1 if len > 0 => {
                let end = (at + 1 + rng.below(24)).min(len);
                bytes.drain(at.min(len)..end);
            }
            2 | 3 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, t.bytes());
            }
            4 => {
                let lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
                let i = rng.below(lines.len());
                let mut out: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
                out.insert(i, lines[i].to_vec());
                bytes = out.join(&b'\n');
            }
            5 => {
                let mut lines: Vec<Vec<u8>> =
                    bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
                let (i, j) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(i, j);
                bytes = lines.join(&b'\n');
            }
            6 => bytes.truncate(at),
            _ => {
                let other = corpus[rng.below(corpus.len())].as_bytes();
                let start = rng.below(other.len());
                let end = (start + rng.below(200)).min(other.len());
                bytes.splice(at..at, other[start..end].iter().copied());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// How far an input got.
#[derive(Debug, PartialEq)]
enum Reached {
    Rejected,
    Accepted,
    Built,
}

/// One input: read, build without a store, and round-trip what was accepted. `Err` holds a
/// description of a broken property other than a panic.
fn exercise(text: &str, path: &Path) -> Result<Reached, String> {
    let file = match PipelineFile::parse(text, path) {
        Ok(f) => f,
        Err(PipelineFileError::Invalid { diagnostics }) => {
            if diagnostics.is_empty() {
                return Err("rejected without a problem".into());
            }
            if diagnostics.iter().any(|d| d.line == 0 || d.column == 0) {
                return Err(format!("a problem without a position: {diagnostics:?}"));
            }
            return Ok(Reached::Rejected);
        }
        Err(other) => return Err(format!("unexpected error kind: {other}")),
    };
    let built = file.build_with_store(None).is_ok();
    let written = file.decl().to_toml(path.parent());
    match PipelineFile::parse(&written, path) {
        Ok(again) if again.decl().nodes.len() == file.decl().nodes.len() => Ok(if built {
            Reached::Built
        } else {
            Reached::Accepted
        }),
        Ok(_) => Err(format!("round trip changed the nodes:\n{written}")),
        Err(e) => Err(format!("round trip rejected:\n{written}\n{e}")),
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    path: PathBuf,
    corpus: Vec<String>,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    copy_dir(&examples.join("pipelines"), &dir.path().join("pipelines"));
    copy_dir(&examples.join("data"), &dir.path().join("data"));
    let mut corpus: Vec<String> = std::fs::read_dir(examples.join("pipelines"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    corpus.sort();
    corpus.extend(regressions().iter().map(|s| s.to_string()));
    Setup {
        path: dir.path().join("pipelines").join("fuzzed.toml"),
        _dir: dir,
        corpus,
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

/// Inputs found by fuzzing that once broke a property; each must now pass.
fn regressions() -> Vec<&'static str> {
    vec![
        // A directory pattern that is not a valid file-name template.
        "format = \"orcapod-pipeline\"\nversion = 1\nname = \"r\"\n[sources.s]\ndirectory = \"../data/recordings\"\npattern = \"{\"\n",
        // Seed 11: a file source with `tags = []` was accepted, but the writer dropped the
        // empty list and the written file was rejected ("needs 'tags'").
        "format = \"orcapod-pipeline\"\nversion = 1\nname = \"r\"\n[sources.animals]\nfile = \"data/animals.csv\"\ntags = []\n",
    ]
}

/// Fuzz for `duration` from `seed`; returns (iterations, [rejected, accepted, built], failures).
fn fuzz(seed: u64, duration: Duration, max_iterations: usize) -> (usize, [usize; 3], Vec<String>) {
    let s = setup();
    let mut rng = Rng(seed.max(1));
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut n = 0;
    let mut reached = [0usize; 3];
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/pipeline-file-fuzz");
    while started.elapsed() < duration && n < max_iterations {
        let base = &s.corpus[rng.below(s.corpus.len())];
        let text = mutate(&mut rng, base, &s.corpus);
        n += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| exercise(&text, &s.path)));
        let problem = match outcome {
            Ok(Ok(r)) => {
                reached[r as usize] += 1;
                continue;
            }
            Ok(Err(why)) => why,
            Err(panic) => format!(
                "panic: {}",
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        };
        let _ = std::fs::create_dir_all(&out_dir);
        let file = out_dir.join(format!("case-{seed}-{n}.toml"));
        let _ = std::fs::write(&file, &text);
        failures.push(format!("{}: {problem}", file.display()));
    }
    (n, reached, failures)
}

#[test]
fn regressions_pass() {
    let s = setup();
    for text in regressions() {
        assert!(exercise(text, &s.path).is_ok(), "{text}");
    }
}

#[test]
fn fuzz_smoke() {
    let (n, reached, failures) = fuzz(0x5eed, Duration::from_secs(20), 400);
    // The mutants must reach past the TOML parser, or the fuzzer tests nothing else.
    assert!(n > 0 && reached[2] > 0, "{n} inputs, reached {reached:?}");
    assert!(
        failures.is_empty(),
        "{} failures in {n} inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
#[ignore = "long: run with --ignored (ORCAPOD_FUZZ_SECS, ORCAPOD_FUZZ_SEED)"]
fn fuzz_long() {
    let secs = std::env::var("ORCAPOD_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(120);
    let seed = std::env::var("ORCAPOD_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let (n, [rejected, accepted, built], failures) =
        fuzz(seed, Duration::from_secs(secs), usize::MAX);
    eprintln!(
        "fuzzed {n} inputs in {secs} s (seed {seed}): {rejected} rejected with positioned \
         problems, {accepted} accepted but not buildable, {built} built; {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures in {n} inputs:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
