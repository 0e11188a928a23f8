//! Packet functions that run external programs.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use orcapod_datagram::{DataType, Field, Schema, Value, values_to_array};

use crate::batch::{BatchOutput, InputBatch, RowFailure};
use crate::error::{CapturedOutput, ExecutorError, FailureKind, Result};
use crate::function::{COMMAND_FUNCTION_TYPE_ID, CommandKind, KindedFunction, PacketFunction};
use crate::info::FunctionInfo;

/// Environment variable naming the packet's private output directory.
pub const OUTPUT_DIR_ENV: &str = "ORCAPOD_OUTPUT_DIR";

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Lit(String),
    Field(usize),
}

/// A command-line template: literal text with `{column}` placeholders.
///
/// Only `{identifier}` is a placeholder (and the identifier must be an input column); any
/// other brace is literal, so JSON (`{"y": {x}}`) and shell expansions (`${HOME}`) need no
/// escaping. `{{` writes a literal `{` (to keep a `{name}` literal, write `{{name}`).
#[derive(Clone, Debug, PartialEq)]
struct Template(Vec<Part>);

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Template {
    fn parse(text: &str, inputs: &Schema) -> std::result::Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("{{") {
                lit.push('{');
                rest = after;
                continue;
            }
            if c == '{' && !lit.ends_with('$') {
                if let Some(end) = rest.find('}') {
                    let name = &rest[1..end];
                    if is_identifier(name) {
                        let i = inputs.fields().iter().position(|f| f.name == name).ok_or_else(|| {
                            format!("template '{text}' names '{{{name}}}', which is not an input column")
                        })?;
                        if !lit.is_empty() {
                            parts.push(Part::Lit(std::mem::take(&mut lit)));
                        }
                        parts.push(Part::Field(i));
                        rest = &rest[end + 1..];
                        continue;
                    }
                }
            }
            lit.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !lit.is_empty() {
            parts.push(Part::Lit(lit));
        }
        Ok(Template(parts))
    }

    fn render(&self, values: &[Value]) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Part::Lit(s) => out.push_str(s),
                Part::Field(i) => out.push_str(&render_value(&values[*i])),
            }
        }
        out
    }
}

/// How a value appears on a command line: nulls are empty, booleans `true`/`false`, other
/// values as orcapod renders them in tokens (Python `str()`: `10`, `2.5`, `1e-05`, raw text,
/// the path, `[1, 2]`).
fn render_value(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        other => other.to_string(),
    }
}

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
    info: FunctionInfo,
    program: String,
    args: Vec<Template>,
    env: Vec<(String, Template)>,
    working_dir: Option<PathBuf>,
    output_root: PathBuf,
}

/// Builder of [`CommandPacketFunction`].
#[derive(Clone, Debug)]
pub struct CommandBuilder {
    name: String,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    inputs: Vec<Field>,
    outputs: Vec<Field>,
    version: Option<(String, bool)>,
    working_dir: Option<PathBuf>,
    output_root: Option<PathBuf>,
}

impl CommandPacketFunction {
    /// Start building a command function called `name` that runs `program`.
    pub fn builder(name: impl Into<String>, program: impl Into<String>) -> CommandBuilder {
        CommandBuilder {
            name: name.into(),
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            version: None,
            working_dir: None,
            output_root: None,
        }
    }

    fn run_row(&self, row: usize, values: &[Value], out: &mut BatchOutput) -> std::result::Result<Vec<Value>, RowFailure> {
        let fail = |message: String, captured: Option<CapturedOutput>| RowFailure {
            row,
            kind: FailureKind::Command,
            message,
            captured,
        };
        let dir = self.output_root.join(uuid::Uuid::now_v7().simple().to_string());
        std::fs::create_dir_all(&dir)
            .map_err(|e| fail(format!("cannot create output directory '{}': {e}", dir.display()), None))?;
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
            fail(format!("cannot start '{}': {e}", self.program), Some(CapturedOutput::default()))
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
            let stderr_tail = captured.stderr.trim_end().lines().last().unwrap_or("").to_string();
            return Err(fail(format!("'{}' failed with {status}: {stderr_tail}", self.program), Some(captured)));
        }
        self.parse_outputs(&captured.stdout, &dir).map_err(|m| fail(m, Some(captured)))
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
        let json: serde_json::Value =
            serde_json::from_str(line.trim()).map_err(|e| format!("last stdout line is not JSON ({e}): {line}"))?;
        let object = json.as_object().ok_or_else(|| format!("last stdout line is not a JSON object: {line}"))?;
        fields
            .iter()
            .map(|f| {
                let v = object.get(&f.name).ok_or_else(|| format!("output '{}' missing from {line}", f.name))?;
                let value = json_to_value(v, &f.dtype, dir).map_err(|e| format!("output '{}': {e}", f.name))?;
                if value.is_null() && !f.nullable {
                    return Err(format!("output '{}' is null but not nullable", f.name));
                }
                Ok(value)
            })
            .collect()
    }
}

fn json_to_value(v: &serde_json::Value, dtype: &DataType, dir: &Path) -> std::result::Result<Value, String> {
    use serde_json::Value as J;
    Ok(match (dtype, v) {
        (_, J::Null) => Value::Null,
        (DataType::Int, J::Number(n)) => Value::Int(n.as_i64().ok_or_else(|| format!("expected int, found {n}"))?),
        (DataType::Float, J::Number(n)) => Value::Float(n.as_f64().ok_or_else(|| format!("expected float, found {n}"))?),
        (DataType::Bool, J::Bool(b)) => Value::Bool(*b),
        (DataType::Str, J::String(s)) => Value::Str(s.clone()),
        (DataType::Path, J::String(s)) => Value::Path(dir.join(s)),
        (DataType::List(inner), J::Array(items)) => {
            Value::List(items.iter().map(|i| json_to_value(i, inner, dir)).collect::<std::result::Result<_, _>>()?)
        }
        (t, other) => return Err(format!("expected {t}, found {other}")),
    })
}

fn output_supported(t: &DataType) -> bool {
    match t {
        DataType::Int | DataType::Float | DataType::Bool | DataType::Str | DataType::Path => true,
        DataType::List(inner) => output_supported(inner),
        _ => false,
    }
}

impl CommandBuilder {
    /// Append one argument template.
    pub fn arg(mut self, template: impl Into<String>) -> Self {
        self.args.push(template.into());
        self
    }

    /// Append argument templates.
    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, templates: I) -> Self {
        self.args.extend(templates.into_iter().map(Into::into));
        self
    }

    /// Set an environment variable from a template.
    pub fn env(mut self, key: impl Into<String>, template: impl Into<String>) -> Self {
        self.env.push((key.into(), template.into()));
        self
    }

    /// Declare a non-nullable input column.
    pub fn input(mut self, name: impl Into<String>, dtype: DataType) -> Self {
        self.inputs.push(Field::new(name, dtype));
        self
    }

    /// Declare a nullable input column (nulls render as empty strings).
    pub fn nullable_input(mut self, name: impl Into<String>, dtype: DataType) -> Self {
        self.inputs.push(Field::nullable(name, dtype));
        self
    }

    /// Declare a non-nullable output.
    pub fn output(mut self, name: impl Into<String>, dtype: DataType) -> Self {
        self.outputs.push(Field::new(name, dtype));
        self
    }

    /// Declare a nullable output.
    pub fn nullable_output(mut self, name: impl Into<String>, dtype: DataType) -> Self {
        self.outputs.push(Field::nullable(name, dtype));
        self
    }

    /// Set the version (not pinned: the command template still enters identity).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some((version.into(), false));
        self
    }

    /// Set and pin the version: identity no longer depends on the command template.
    pub fn pin_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some((version.into(), true));
        self
    }

    /// Run the program in this directory.
    pub fn working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Parent of the per-packet output directories.
    pub fn output_root(mut self, dir: impl Into<PathBuf>) -> Self {
        self.output_root = Some(dir.into());
        self
    }

    /// Build; errors on unknown template fields, unsupported output types or bad versions.
    pub fn build(self) -> Result<CommandPacketFunction> {
        let invalid = |reason: String| ExecutorError::InvalidFunction { function: self.name.clone(), reason };
        let inputs = Schema::new(self.inputs.clone());
        if let Some(f) = self.outputs.iter().find(|f| !output_supported(&f.dtype)) {
            return Err(invalid(format!("output '{}' has type {}, which commands cannot return", f.name, f.dtype)));
        }
        let args = self.args.iter().map(|a| Template::parse(a, &inputs)).collect::<std::result::Result<Vec<_>, _>>();
        let env = self
            .env
            .iter()
            .map(|(k, t)| Template::parse(t, &inputs).map(|t| (k.clone(), t)))
            .collect::<std::result::Result<Vec<_>, _>>();
        let (args, env) = (args.map_err(invalid)?, env.map_err(invalid)?);
        let source = format!("{:?} {:?} {:?}", self.program, self.args, self.env);
        let mut info = FunctionInfo::new(&self.name, COMMAND_FUNCTION_TYPE_ID, inputs, Schema::new(self.outputs.clone()))?
            .with_implementation_source(&source);
        info = match &self.version {
            Some((v, true)) => info.with_pinned_version(v)?,
            Some((v, false)) => info.with_version(v)?,
            None => info,
        };
        Ok(CommandPacketFunction {
            info,
            program: self.program,
            args,
            env,
            working_dir: self.working_dir,
            output_root: self.output_root.unwrap_or_else(|| std::env::temp_dir().join("orcapod-command")),
        })
    }
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

    fn call_batch(&self, input: &InputBatch) -> Result<BatchOutput> {
        let fields = self.info.output_schema().fields();
        let n = input.num_rows();
        let mut out = BatchOutput::new(Vec::new(), n);
        let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(n); fields.len()];
        for row in 0..n {
            let values = (0..self.info.input_schema().len())
                .map(|i| input.column(i).map_or(Ok(Value::Null), |c| Value::from_array(c.as_ref(), row)))
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
        out.failures().iter().cloned().for_each(|f| result.push_failure(f));
        out.logs().iter().cloned().for_each(|(r, c)| result.push_log(r, c));
        Ok(result)
    }
}

impl KindedFunction for CommandPacketFunction {
    type Kind = CommandKind;
}
