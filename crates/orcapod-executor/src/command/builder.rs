//! The builder of command packet functions.

use std::path::PathBuf;

use orcapod_datagram::{DataType, Field, Schema};

use super::CommandPacketFunction;
use super::template::Template;
use crate::error::{ExecutorError, Result};
use crate::function::COMMAND_FUNCTION_TYPE_ID;
use crate::info::FunctionInfo;

/// Builder of [`CommandPacketFunction`].
#[derive(Clone, Debug)]
pub struct CommandBuilder {
    pub(super) name: String,
    pub(super) program: String,
    pub(super) args: Vec<String>,
    pub(super) env: Vec<(String, String)>,
    pub(super) inputs: Vec<Field>,
    pub(super) outputs: Vec<Field>,
    pub(super) version: Option<(String, bool)>,
    pub(super) working_dir: Option<PathBuf>,
    pub(super) output_root: Option<PathBuf>,
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
        let spec = self.clone();
        let invalid = |reason: String| ExecutorError::InvalidFunction {
            function: self.name.clone(),
            reason,
        };
        let inputs = Schema::new(self.inputs.clone());
        if let Some(f) = self.outputs.iter().find(|f| !output_supported(&f.dtype)) {
            return Err(invalid(format!(
                "output '{}' has type {}, which commands cannot return",
                f.name, f.dtype
            )));
        }
        let args = self
            .args
            .iter()
            .map(|a| Template::parse(a, &inputs))
            .collect::<std::result::Result<Vec<_>, _>>();
        let env = self
            .env
            .iter()
            .map(|(k, t)| Template::parse(t, &inputs).map(|t| (k.clone(), t)))
            .collect::<std::result::Result<Vec<_>, _>>();
        let (args, env) = (args.map_err(invalid)?, env.map_err(invalid)?);
        let source = format!("{:?} {:?} {:?}", self.program, self.args, self.env);
        let mut info = FunctionInfo::new(
            &self.name,
            COMMAND_FUNCTION_TYPE_ID,
            inputs,
            Schema::new(self.outputs.clone()),
        )?
        .with_implementation_source(&source);
        info = match &self.version {
            Some((v, true)) => info.with_pinned_version(v)?,
            Some((v, false)) => info.with_version(v)?,
            None => info,
        };
        Ok(CommandPacketFunction {
            spec,
            info,
            program: self.program,
            args,
            env,
            working_dir: self.working_dir,
            output_root: self
                .output_root
                .unwrap_or_else(|| std::env::temp_dir().join("orcapod-command")),
        })
    }
}
