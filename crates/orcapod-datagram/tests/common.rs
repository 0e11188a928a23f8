//! Helpers shared by the integration tests: fixture loading and pyarrow-style type names.

#![allow(dead_code)]

use std::path::PathBuf;

use arrow_schema::DataType;

/// The shared reference directory (`../shared` beside the repo, or `$ORCAPOD_SHARED_DIR`).
pub fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("ORCAPOD_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// Load a fixture JSON file; panics with a clear message when the shared directory is missing.
pub fn fixture(relative: &str) -> serde_json::Value {
    let path = shared_dir().join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read fixture {} ({e}); set ORCAPOD_SHARED_DIR to the shared/ folder",
            path.display()
        )
    });
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()))
}

/// pyarrow's name for an Arrow type, as written in the fixtures.
pub fn pyarrow_name(t: &DataType) -> String {
    match t {
        DataType::Int64 => "int64".into(),
        DataType::Int32 => "int32".into(),
        DataType::Float64 => "double".into(),
        DataType::Boolean => "bool".into(),
        DataType::Utf8 => "string".into(),
        DataType::LargeUtf8 => "large_string".into(),
        DataType::Binary => "binary".into(),
        DataType::LargeBinary => "large_binary".into(),
        DataType::FixedSizeBinary(n) => format!("fixed_size_binary[{n}]"),
        DataType::List(f) => format!("list<{}: {}>", f.name(), pyarrow_name(f.data_type())),
        DataType::LargeList(f) => {
            format!("large_list<{}: {}>", f.name(), pyarrow_name(f.data_type()))
        }
        other => other.to_string(),
    }
}
