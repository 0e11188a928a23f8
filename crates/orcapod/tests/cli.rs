//! The `orcapod hash` command against the shared starfix vectors, and its errors.

use std::path::PathBuf;
use std::process::Command;

use base64::Engine;

fn shared_dir() -> PathBuf {
    std::env::var("ORCAPOD_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn vectors() -> Vec<serde_json::Value> {
    let path = shared_dir().join("fixtures/arrow-hash-vectors.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); set ORCAPOD_SHARED_DIR",
            path.display()
        )
    });
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn orcapod(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_orcapod"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn hash_command_reproduces_every_unsliced_vector() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for v in vectors() {
        if !v["slice"].is_null() || v["include_metadata"].as_bool().unwrap() {
            continue; // the CLI hashes whole files without metadata
        }
        let id = v["id"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(v["ipc_b64"].as_str().unwrap())
            .unwrap();
        let path = dir.path().join(format!("{id}.arrows"));
        std::fs::write(&path, bytes).unwrap();
        let p = path.to_str().unwrap();
        let (ok, out, err) = orcapod(&["hash", p]);
        if v["expected"]["hash_table"].is_null() {
            continue;
        }
        assert!(ok, "{id}: {err}");
        assert_eq!(
            out.trim(),
            v["expected"]["hash_table"].as_str().unwrap(),
            "{id}: table hash"
        );
        let (ok, out, err) = orcapod(&["hash", p, "--schema"]);
        assert!(ok, "{id}: {err}");
        assert_eq!(
            out.trim(),
            v["expected"]["hash_schema"].as_str().unwrap(),
            "{id}: schema hash"
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} vectors checked");
}

#[test]
fn csv_and_ipc_of_the_same_table_hash_alike() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, "id,v\n1,0.5\n2,1.5\n").unwrap();
    let (ok, out, err) = orcapod(&["hash", csv.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(out.trim().len(), 70);
    assert!(out.starts_with("000001"));
}

#[test]
fn bad_input_gets_a_clear_error_and_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.arrow");
    std::fs::write(&bad, b"garbage").unwrap();
    let (ok, _, err) = orcapod(&["hash", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("malformed Arrow IPC file") && err.contains("bad.arrow"),
        "{err}"
    );
    let (ok, _, err) = orcapod(&["hash"]);
    assert!(!ok && err.contains("needs a FILE"), "{err}");
    let (ok, _, err) = orcapod(&["hash", "x.csv", "--bogus"]);
    assert!(!ok && err.contains("--bogus"), "{err}");
    let (ok, _, err) = orcapod(&["frobnicate"]);
    assert!(!ok && err.contains("unknown command"), "{err}");
    let (ok, _, err) = orcapod(&["hash", dir.path().join("missing.parquet").to_str().unwrap()]);
    assert!(!ok && err.contains("missing.parquet"), "{err}");
}
