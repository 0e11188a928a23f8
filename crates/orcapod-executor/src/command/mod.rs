//! Packet functions that run external programs.

mod builder;
mod spec;
mod template;

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use orcapod_datagram::{DataType, Value, values_to_array};

use crate::batch::{BatchOutput, InputBatch, RowFailure};
use crate::error::{CapturedOutput, FailureKind, Result};
use crate::function::{CommandKind, KindedFunction, PacketFunction};
use crate::info::FunctionInfo;
pub use builder::CommandBuilder;
pub use spec::COMMAND_SPEC_FORMAT;
use template::Template;

/// Environment variable naming the packet's private output directory.
pub const OUTPUT_DIR_ENV: &str = "ORCAPOD_OUTPUT_DIR";

/// A packet function that runs an external program once per packet.
///
/// # Protocol
///
/// * **Arguments**: the program gets the argument templates with `{column}` replaced by the
///   packet's value. Only `{identifier}` is a placeholder (it must name an input column);
///   other braces are literal, so JSON and `${VAR}` need no escaping; `{{` writes a literal
///   `{`. Arguments are passed directly, without a shell; with
///   `sh -c`, pass values as positional parameters (`["-c", "echo $1", "sh", "{x}"]`) rather
///   than splicing them into the script.
/// * **Environment**: [`OUTPUT_DIR_ENV`] (`ORCAPOD_OUTPUT_DIR`) names a fresh directory for
///   this packet (under the builder's `output_root`, default `$TMPDIR/orcapod-command`); it is
///   removed afterwards if left empty. Stdin is empty.
/// * **Outputs**: the **last non-empty line of stdout** must be a JSON object with one entry
///   per declared output, converted to the declared type (`int`, `float`, `bool`, `str`,
///   `path`, `list[...]` of those; `null` only for nullable outputs). Relative `path` values
///   are resolved against the output directory. A function without outputs ignores stdout.
/// * **Failures** (spawn error, non-zero exit, missing/malformed JSON) fail only that packet:
///   a [`PacketError`](crate::PacketError) with kind [`FailureKind::Command`] and the captured
///   stdout, stderr and exit status. Captured output of every packet is also kept in
///   [`BatchOutput::logs`].
///
/// Identity follows [`FunctionInfo`]: the program and templates are the implementation
/// source, so editing them changes the uri unless the version is pinned (the program's own
/// binary is not hashed).
///
/// ```
/// # #[cfg(unix)] {
/// use orcapod_datagram::DataType;
/// use orcapod_executor::{CommandPacketFunction, PacketFunction};
/// let f = CommandPacketFunction::builder("double", "sh")
///     .args(["-c", r#"echo "{\"y\": $(($1 * 2))}""#, "sh", "{x}"])
///     .input("x", DataType::Int)
///     .output("y", DataType::Int)
///     .build()
///     .unwrap();
/// assert_eq!(f.type_id(), "command.function.v0");
/// # }
/// ```
#[derive(Clone)]
pub struct CommandPacketFunction {
    /// The builder it was built from ([`to_spec`](Self::to_spec) serialises it).
    spec: CommandBuilder,
    info: FunctionInfo,
    program: String,
    args: Vec<Template>,
    env: Vec<(String, Template)>,
    working_dir: Option<PathBuf>,
    output_root: PathBuf,
}

impl CommandPacketFunction {
    fn run_row(
        &self,
        row: usize,
        values: &[Value],
        out: &mut BatchOutput,
    ) -> std::result::Result<Vec<Value>, RowFailure> {
        let fail = |message: String, captured: Option<CapturedOutput>| RowFailure {
            row,
            kind: FailureKind::Command,
            message,
            captured,
        };
        let dir = self
            .output_root
            .join(uuid::Uuid::now_v7().simple().to_string());
        std::fs::create_dir_all(&dir).map_err(|e| {
            fail(
                format!("cannot create output directory '{}': {e}", dir.display()),
                None,
            )
        })?;
        let mut cmd = Command::new(&self.program);
        cmd.args(self.args.iter().map(|t| t.render(values)))
            .envs(self.env.iter().map(|(k, t)| (k, t.render(values))))
            .env(OUTPUT_DIR_ENV, &dir)
            .stdin(Stdio::null());
        if let Some(wd) = &self.working_dir {
            cmd.current_dir(wd);
        }
        let result = cmd.output();
        let _ = std::fs::remove_dir(&dir); // only succeeds when the program left it empty
        let output = result.map_err(|e| {
            fail(
                format!("cannot start '{}': {e}", self.program),
                Some(CapturedOutput::default()),
            )
        })?;
        let captured = CapturedOutput {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            exit_status: output.status.code(),
        };
        out.push_log(row, captured.clone());
        if !output.status.success() {
            let status = match output.status.code() {
                Some(c) => format!("exit status {c}"),
                None => "termination by a signal".to_string(),
            };
            let stderr_tail = captured
                .stderr
                .trim_end()
                .lines()
                .last()
                .unwrap_or("")
                .to_string();
            return Err(fail(
                format!("'{}' failed with {status}: {stderr_tail}", self.program),
                Some(captured),
            ));
        }
        self.parse_outputs(&captured.stdout, &dir)
            .map_err(|m| fail(m, Some(captured)))
    }

    fn parse_outputs(&self, stdout: &str, dir: &Path) -> std::result::Result<Vec<Value>, String> {
        let fields = self.info.output_schema().fields();
        if fields.is_empty() {
            return Ok(Vec::new());
        }
        let line = stdout
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .ok_or("no output: expected a JSON object on the last line of stdout")?;
        let json: serde_json::Value = serde_json::from_str(line.trim())
            .map_err(|e| format!("last stdout line is not JSON ({e}): {line}"))?;
        let object = json
            .as_object()
            .ok_or_else(|| format!("last stdout line is not a JSON object: {line}"))?;
        fields
            .iter()
            .map(|f| {
                let v = object
                    .get(&f.name)
                    .ok_or_else(|| format!("output '{}' missing from {line}", f.name))?;
                let value = json_to_value(v, &f.dtype, dir)
                    .map_err(|e| format!("output '{}': {e}", f.name))?;
                if value.is_null() && !f.nullable {
                    return Err(format!("output '{}' is null but not nullable", f.name));
                }
                Ok(value)
            })
            .collect()
    }
}

fn json_to_value(
    v: &serde_json::Value,
    dtype: &DataType,
    dir: &Path,
) -> std::result::Result<Value, String> {
    use serde_json::Value as J;
    Ok(match (dtype, v) {
        (_, J::Null) => Value::Null,
        (DataType::Int, J::Number(n)) => Value::Int(
            n.as_i64()
                .ok_or_else(|| format!("expected int, found {n}"))?,
        ),
        (DataType::Float, J::Number(n)) => Value::Float(
            n.as_f64()
                .ok_or_else(|| format!("expected float, found {n}"))?,
        ),
        (DataType::Bool, J::Bool(b)) => Value::Bool(*b),
        (DataType::Str, J::String(s)) => Value::Str(s.clone()),
        (DataType::Path, J::String(s)) => Value::Path(dir.join(s)),
        (DataType::List(inner), J::Array(items)) => Value::List(
            items
                .iter()
                .map(|i| json_to_value(i, inner, dir))
                .collect::<std::result::Result<_, _>>()?,
        ),
        (t, other) => return Err(format!("expected {t}, found {other}")),
    })
}

impl fmt::Debug for CommandPacketFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandPacketFunction")
            .field("uri", &self.info.uri().to_string())
            .field("program", &self.program)
            .finish()
    }
}

impl PacketFunction for CommandPacketFunction {
    fn info(&self) -> &FunctionInfo {
        &self.info
    }

    fn portable_spec(&self) -> Option<serde_json::Value> {
        Some(self.to_spec())
    }

    fn call_batch(&self, input: &InputBatch) -> Result<BatchOutput> {
        let fields = self.info.output_schema().fields();
        let n = input.num_rows();
        let mut out = BatchOutput::new(Vec::new(), n);
        let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(n); fields.len()];
        for row in 0..n {
            let values = (0..self.info.input_schema().len())
                .map(|i| {
                    input
                        .column(i)
                        .map_or(Ok(Value::Null), |c| Value::from_array(c.as_ref(), row))
                })
                .collect::<std::result::Result<Vec<_>, _>>()?;
            match self.run_row(row, &values, &mut out) {
                Ok(outputs) => columns.iter_mut().zip(outputs).for_each(|(c, v)| c.push(v)),
                Err(failure) => {
                    columns.iter_mut().for_each(|c| c.push(Value::Null));
                    out.push_failure(failure);
                }
            }
        }
        let arrays = fields
            .iter()
            .zip(&columns)
            .map(|(f, values)| values_to_array(&f.name, &f.dtype, values))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut result = BatchOutput::new(arrays, n);
        out.failures()
            .iter()
            .cloned()
            .for_each(|f| result.push_failure(f));
        out.logs()
            .iter()
            .cloned()
            .for_each(|(r, c)| result.push_log(r, c));
        Ok(result)
    }
}

impl KindedFunction for CommandPacketFunction {
    type Kind = CommandKind;
}
