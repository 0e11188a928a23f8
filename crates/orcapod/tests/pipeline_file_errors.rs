//! Malformed pipeline files: every problem is reported at once, each at its line:column, and
//! nothing panics.

use std::path::{Path, PathBuf};

use orcapod::pipeline_file::{PipelineFile, PipelineFileError};

/// A directory with a small CSV and a folder of files for sources to point at.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("animals.csv"),
        "animal,species,weight_g\na1,mouse,24.5\na2,rat,310.0\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("notes")).unwrap();
    std::fs::write(dir.path().join("notes/a.txt"), "hello\n").unwrap();
    dir
}

const HEAD: &str = "format = \"orcapod-pipeline\"\nversion = 1\nname = \"t\"\n";

/// `(line, column, message)` of every problem, checked and built (without a store).
fn problems(dir: &Path, body: &str) -> Vec<(usize, usize, String)> {
    let path: PathBuf = dir.join("p.toml");
    let text = format!("{HEAD}{body}");
    let result =
        PipelineFile::parse(&text, &path).and_then(|f| f.build_with_store(None).map(|_| ()));
    match result {
        Ok(()) => Vec::new(),
        Err(PipelineFileError::Invalid { diagnostics }) => {
            for d in &diagnostics {
                assert_eq!(d.file, path);
            }
            diagnostics
                .into_iter()
                .map(|d| (d.line, d.column, d.message))
                .collect()
        }
        Err(other) => panic!("unexpected error {other}"),
    }
}

/// Assert that exactly these `(line, column, message fragment)` problems are reported.
#[track_caller]
fn expect(dir: &Path, body: &str, expected: &[(usize, usize, &str)]) {
    let got = problems(dir, body);
    let ok = got.len() == expected.len()
        && got
            .iter()
            .zip(expected)
            .all(|((l, c, m), (el, ec, em))| l == el && c == ec && m.contains(em));
    assert!(ok, "expected {expected:#?}\ngot {got:#?}");
}

const ANIMALS: &str = "[sources.animals]\nfile = \"animals.csv\"\ntags = [\"animal\"]\n";

#[test]
fn a_valid_file_has_no_problems() {
    let dir = data_dir();
    expect(dir.path(), ANIMALS, &[]);
}

#[test]
fn unknown_keys_are_reported_with_suggestions() {
    let dir = data_dir();
    let body = format!(
        "colour = 1\n{ANIMALS}tag = 1\n[operators.b]\ntype = \"batch\"\nfrom = \"animals\"\nsise = 2\nsize = 2\n"
    );
    expect(
        dir.path(),
        &body,
        &[
            (4, 1, "unknown key 'colour' in the top level"),
            (8, 1, "unknown key 'tag' in source 'animals'"),
            (12, 1, "did you mean 'size'?"),
        ],
    );
}

#[test]
fn unknown_and_duplicate_labels_and_cycles() {
    let dir = data_dir();
    let body = format!(
        "{ANIMALS}[operators.animals]\ntype = \"join\"\nfrom = \"animals\"\n\
         [operators.x]\ntype = \"join\"\nfrom = [\"y\"]\n[operators.y]\ntype = \"join\"\nfrom = [\"x\"]\n\
         [operators.z]\ntype = \"join\"\nfrom = \"animls\"\n[operators.self]\ntype = \"join\"\nfrom = \"self\"\n"
    );
    expect(
        dir.path(),
        &body,
        &[
            (
                7,
                12,
                "duplicate label 'animals': already used by the source declared at line 4, column 10",
            ),
            (10, 12, "cycle: x → y → x"),
            (
                18,
                8,
                "unknown label 'animls' in 'from' of 'z'; did you mean 'animals'?",
            ),
            (21, 8, "'self' takes its own output as input"),
        ],
    );
}

#[test]
fn missing_files_and_directories() {
    let dir = data_dir();
    let body = "[sources.a]\nfile = \"nope.csv\"\ntags = [\"x\"]\n[sources.b]\ndirectory = \"no_dir\"\n[sources.c]\nfile = \"animals.txt\"\ntags = [\"x\"]\n";
    expect(
        dir.path(),
        body,
        &[
            (5, 8, "file 'nope.csv' does not exist (looked for"),
            (8, 13, "directory 'no_dir' does not exist"),
            (10, 8, "'animals.txt': unknown file type"),
        ],
    );
}

#[test]
fn type_mismatches_between_sources_and_operators_or_functions() {
    let dir = data_dir();
    let body = format!(
        "{ANIMALS}[operators.heavy]\ntype = \"filter\"\nfrom = \"animals\"\npredicate = {{ column = \"weight_g\", op = \">\", value = \"big\" }}\n\
         [operators.sel]\ntype = \"select_packets\"\nfrom = \"animals\"\ncolumns = [\"weight\"]\n\
         [functions.f]\nfrom = \"animals\"\nprogram = \"true\"\ninputs = {{ weight_g = \"int\", size = \"str\", animal = \"str\" }}\noutputs = {{ y = \"int\" }}\n"
    );
    expect(
        dir.path(),
        &body,
        &[
            (10, 13, "cannot compare column 'weight_g' of type float"),
            (12, 8, "missing packet columns: weight"),
            (
                18,
                12,
                "type mismatch: input 'weight_g' is declared int but 'animals' provides float",
            ),
            (
                18,
                30,
                "input 'size' is not a packet column of 'animals' (it has: species: str, weight_g: float)",
            ),
            (18, 44, "input 'animal' is a tag column of 'animals'"),
        ],
    );
}

#[test]
fn wrong_values_and_types() {
    let dir = data_dir();
    let body = format!(
        "[store]\ntype = \"redis\"\n[run]\nmode = 3\nmax_concurrency = 0\n[run.executor]\ntype = \"slurm\"\npartitio = \"short\"\n{ANIMALS}\
         [functions.f]\nfrom = \"animals\"\nprogram = \"true\"\nargs = [\"{{nope}}\"]\noutputs = {{ y = \"integer\" }}\n"
    );
    expect(
        dir.path(),
        &body,
        &[
            (5, 8, "unknown store type 'redis'"),
            (7, 8, "'mode' of [run] must be a string, found an integer"),
            (
                8,
                19,
                "'max_concurrency' of [run] must be at least 1, found 0",
            ),
            (10, 1, "[run.executor] of this type needs 'work_dir'"),
            (11, 1, "unknown key 'partitio' in [run.executor]"),
            (19, 17, "unknown type 'integer'"),
        ],
    );
    // Template errors are found once the column types are readable.
    let body = format!(
        "{ANIMALS}[functions.f]\nfrom = \"animals\"\nprogram = \"true\"\nargs = [\"{{nope}}\"]\noutputs = {{ y = \"int\" }}\n"
    );
    expect(dir.path(), &body, &[(10, 1, "nope")]);
}

#[test]
fn syntax_errors_header_and_version() {
    let dir = data_dir();
    let path = dir.path().join("p.toml");
    let err = PipelineFile::parse("name = \"x\"\nversion = 7\n[sources.a\n", &path)
        .unwrap_err()
        .to_string();
    assert!(err.contains("p.toml:1:1: missing key 'format'"), "{err}");
    assert!(
        err.contains("p.toml:2:11: format version 7 is not supported"),
        "{err}"
    );
    assert!(err.contains("p.toml:3:"), "{err}");
    assert!(err.contains("TOML syntax"), "{err}");
    // Duplicate keys inside one table are TOML errors, positioned too.
    let text = format!("{HEAD}{ANIMALS}{ANIMALS}");
    let err = PipelineFile::parse(&text, &path).unwrap_err().to_string();
    assert!(err.contains("p.toml:7:"), "{err}");
    // A bad predicate shape points at the predicate.
    let body = format!(
        "{ANIMALS}[operators.f]\ntype = \"filter\"\nfrom = \"animals\"\npredicate = {{ column = \"x\" }}\n"
    );
    expect(
        dir.path(),
        &body,
        &[(10, 13, "must have one of the shapes")],
    );
}

#[test]
fn dependents_of_a_broken_node_are_not_reported_again() {
    let dir = data_dir();
    let body = "[sources.a]\nfile = \"nope.csv\"\ntags = [\"x\"]\n[operators.b]\ntype = \"join\"\nfrom = \"a\"\n[operators.c]\ntype = \"batch\"\nfrom = \"b\"\nsize = 1\n";
    expect(
        dir.path(),
        body,
        &[(5, 8, "file 'nope.csv' does not exist")],
    );
}

#[test]
fn the_annotated_example_in_the_docs_is_valid() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/pipeline-format.md");
    let text = std::fs::read_to_string(docs).unwrap();
    let start = text.find("## A complete annotated example").unwrap();
    let body_start = text[start..].find("```toml\n").unwrap() + start + "```toml\n".len();
    let body_end = text[body_start..].find("```").unwrap() + body_start;
    let example = &text[body_start..body_end];

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("data/notes")).unwrap();
    std::fs::write(
        dir.path().join("data/samples.csv"),
        "sample,site,ph,temp_c\nw01,river,7.2,14.5\nw02,well,7.0,11.0\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("data/notes/river_mon.txt"), "note\n").unwrap();
    let file = PipelineFile::parse(example, &dir.path().join("pipeline.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let built = file
        .build_with_store(None)
        .unwrap_or_else(|e| panic!("{e}"));
    let report = built.pipeline.run(&built.config).unwrap();
    assert_eq!(report.output("fahrenheit").unwrap().num_rows(), 1);
}
