//! Writing task directories and submitting them as one Slurm job array.

use std::path::{Path, PathBuf};

use arrow_array::UInt64Array;
use orcapod_executor::{FunctionInfo, InputBatch};

use crate::error::{Result, SlurmError};
use crate::ipc::write_input;
use crate::settings::Settings;
use crate::task::{INPUT_FILE, TaskSpec};

/// The rows of `input` at `rows` (zero-copy when they are contiguous).
pub(crate) fn take_rows(input: &InputBatch, rows: &[usize]) -> Result<InputBatch> {
    let contiguous = rows.windows(2).all(|w| w[1] == w[0] + 1);
    if contiguous {
        let start = rows.first().copied().unwrap_or(0);
        return Ok(input.slice(start, rows.len()));
    }
    let indices = UInt64Array::from_iter_values(rows.iter().map(|&r| r as u64));
    let columns = input
        .columns()
        .iter()
        .map(|c| {
            c.as_ref()
                .map(|c| arrow_select::take::take(c.as_ref(), &indices, None))
                .transpose()
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(orcapod_executor::ExecutorError::from)?;
    Ok(InputBatch::new(columns, rows.len())?)
}

/// Write one task directory: `input.arrow` and `task.json`.
pub(crate) fn write_task(
    dir: &Path,
    info: &FunctionInfo,
    spec: &TaskSpec,
    input: &InputBatch,
) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| SlurmError::io("cannot create task directory", dir, e))?;
    write_input(&dir.join(INPUT_FILE), info, input)?;
    spec.write(dir)
}

/// Quote a string for a POSIX shell.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Escape `%` in a path used in an `sbatch` filename pattern.
pub(crate) fn pattern_escape(path: &Path) -> String {
    path.to_string_lossy().replace('%', "%%")
}

/// A job name Slurm and shells accept: `orcapod-<name>`, restricted to `[A-Za-z0-9_.-]`.
pub(crate) fn default_job_name(function: &str) -> String {
    let clean: String = function
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    format!("orcapod-{clean}")
}

/// The worker binary: the configured one, or this program. It must exist here (the submit
/// host sees the same shared file system as the compute nodes).
pub(crate) fn worker_path(settings: &Settings) -> Result<PathBuf> {
    let path = match &settings.worker {
        Some(w) => std::path::absolute(w)
            .map_err(|e| SlurmError::io("cannot resolve the worker binary", w, e))?,
        None => std::env::current_exe()
            .map_err(|e| SlurmError::io("cannot locate the current executable", "", e))?,
    };
    std::fs::metadata(&path)
        .map_err(|e| SlurmError::io("cannot find the worker binary", &path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_names() {
        assert_eq!(shell_quote("a b'c"), r"'a b'\''c'");
        assert_eq!(default_job_name("my fn/x"), "orcapod-my_fn_x");
        assert_eq!(pattern_escape(Path::new("/a%b")), "/a%%b");
    }

    #[test]
    fn takes_rows() {
        use std::sync::Arc;
        let col: arrow_array::ArrayRef =
            Arc::new(arrow_array::Int64Array::from(vec![0, 10, 20, 30]));
        let batch = InputBatch::new(vec![Some(col), None], 4).unwrap();
        let picked = take_rows(&batch, &[1, 3]).unwrap();
        assert_eq!(picked.num_rows(), 2);
        let c = picked.column(0).unwrap();
        let values = c
            .as_any()
            .downcast_ref::<arrow_array::Int64Array>()
            .unwrap();
        assert_eq!(values.values(), &[10, 30]);
        assert!(picked.column(1).is_none());
        assert_eq!(take_rows(&batch, &[2, 3]).unwrap().num_rows(), 2);
    }
}
