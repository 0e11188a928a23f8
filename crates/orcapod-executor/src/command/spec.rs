//! A serialisable description of a command function (for executors that run it elsewhere).

use std::path::PathBuf;

use orcapod_datagram::{DataType, Field};
use serde_json::{Value as J, json};

use super::CommandPacketFunction;
use crate::error::{ExecutorError, Result};

/// Format tag of [`CommandPacketFunction::to_spec`] documents.
pub const COMMAND_SPEC_FORMAT: &str = "orcapod.command_spec.v1";

impl CommandPacketFunction {
    /// A JSON description of this function (program, templates as written, columns, version,
    /// directories) from which [`from_spec`](Self::from_spec) rebuilds an identical function
    /// (same uri), e.g. on a remote worker. Non-UTF-8 directory names are converted lossily.
    ///
    /// ```
    /// use orcapod_datagram::DataType;
    /// use orcapod_executor::{CommandPacketFunction, PacketFunction};
    /// let f = CommandPacketFunction::builder("double", "sh")
    ///     .args(["-c", r#"echo "{\"y\": $(($1 * 2))}""#, "sh", "{x}"])
    ///     .input("x", DataType::Int)
    ///     .output("y", DataType::Int)
    ///     .version("v1.2")
    ///     .build()?;
    /// let text = f.to_spec().to_string();
    /// let g = CommandPacketFunction::from_spec(&serde_json::from_str(&text).unwrap())?;
    /// assert_eq!(g.uri(), f.uri());
    /// # Ok::<(), orcapod_executor::ExecutorError>(())
    /// ```
    pub fn to_spec(&self) -> J {
        let b = &self.spec;
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        json!({
            "format": COMMAND_SPEC_FORMAT,
            "name": b.name,
            "program": b.program,
            "args": b.args,
            "env": b.env.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
            "inputs": b.inputs.iter().map(field_to_json).collect::<Vec<_>>(),
            "outputs": b.outputs.iter().map(field_to_json).collect::<Vec<_>>(),
            "version": b.version.as_ref().map(|(v, _)| v.clone()),
            "pinned": b.version.as_ref().is_some_and(|(_, pinned)| *pinned),
            "working_dir": path(&b.working_dir),
            "output_root": path(&b.output_root),
        })
    }

    /// Rebuild a function from a [`to_spec`](Self::to_spec) document. Errors
    /// ([`ExecutorError::InvalidFunction`]) name the offending entry.
    pub fn from_spec(spec: &J) -> Result<CommandPacketFunction> {
        let name = spec
            .get("name")
            .and_then(J::as_str)
            .unwrap_or("<command spec>");
        let invalid = |reason: String| ExecutorError::InvalidFunction {
            function: name.to_string(),
            reason: format!("invalid command spec: {reason}"),
        };
        if spec.get("format").and_then(J::as_str) != Some(COMMAND_SPEC_FORMAT) {
            return Err(invalid(format!(
                "'format' is not \"{COMMAND_SPEC_FORMAT}\""
            )));
        }
        let string = |key: &str| {
            spec.get(key)
                .and_then(J::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid(format!("'{key}' must be a string")))
        };
        let optional = |key: &str| match spec.get(key) {
            None | Some(J::Null) => Ok(None),
            Some(J::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(invalid(format!("'{key}' must be a string or null"))),
        };
        let array = |key: &str| {
            spec.get(key)
                .and_then(J::as_array)
                .ok_or_else(|| invalid(format!("'{key}' must be an array")))
        };
        let mut b = CommandPacketFunction::builder(string("name")?, string("program")?);
        for a in array("args")? {
            let a = a
                .as_str()
                .ok_or_else(|| invalid("'args' must hold strings".into()))?;
            b = b.arg(a);
        }
        for e in array("env")? {
            match e.as_array().map(Vec::as_slice) {
                Some([J::String(k), J::String(v)]) => b = b.env(k, v),
                _ => return Err(invalid("'env' must hold [key, template] pairs".into())),
            }
        }
        for (key, output) in [("inputs", false), ("outputs", true)] {
            for f in array(key)? {
                let f = field_from_json(f).map_err(|e| invalid(format!("'{key}': {e}")))?;
                b = match (output, f.nullable) {
                    (false, false) => b.input(f.name, f.dtype),
                    (false, true) => b.nullable_input(f.name, f.dtype),
                    (true, false) => b.output(f.name, f.dtype),
                    (true, true) => b.nullable_output(f.name, f.dtype),
                };
            }
        }
        if let Some(v) = optional("version")? {
            b = match spec.get("pinned").and_then(J::as_bool) {
                Some(true) => b.pin_version(v),
                _ => b.version(v),
            };
        }
        if let Some(d) = optional("working_dir")? {
            b = b.working_dir(d);
        }
        if let Some(d) = optional("output_root")? {
            b = b.output_root(d);
        }
        b.build()
    }
}

fn field_to_json(f: &Field) -> J {
    json!({"name": f.name, "type": dtype_to_json(&f.dtype), "nullable": f.nullable})
}

fn dtype_to_json(t: &DataType) -> J {
    match t {
        DataType::List(inner) => json!({"list": dtype_to_json(inner)}),
        DataType::Struct(fields) => {
            json!({"struct": fields.iter().map(field_to_json).collect::<Vec<_>>()})
        }
        other => J::String(other.to_string()),
    }
}

fn field_from_json(v: &J) -> std::result::Result<Field, String> {
    let name = v
        .get("name")
        .and_then(J::as_str)
        .ok_or("a field needs a string 'name'")?;
    let dtype = dtype_from_json(v.get("type").unwrap_or(&J::Null))
        .map_err(|e| format!("field '{name}': {e}"))?;
    let nullable = v.get("nullable").and_then(J::as_bool).unwrap_or(false);
    Ok(Field {
        name: name.to_string(),
        dtype,
        nullable,
    })
}

fn dtype_from_json(v: &J) -> std::result::Result<DataType, String> {
    if let Some(inner) = v.get("list") {
        return Ok(DataType::List(Box::new(dtype_from_json(inner)?)));
    }
    if let Some(fields) = v.get("struct").and_then(J::as_array) {
        return Ok(DataType::Struct(
            fields
                .iter()
                .map(field_from_json)
                .collect::<Result<_, _>>()?,
        ));
    }
    Ok(match v.as_str() {
        Some("int") => DataType::Int,
        Some("float") => DataType::Float,
        Some("bool") => DataType::Bool,
        Some("str") => DataType::Str,
        Some("bytes") => DataType::Bytes,
        Some("path") => DataType::Path,
        Some("date") => DataType::Date,
        Some("datetime") => DataType::Timestamp,
        _ => return Err(format!("unknown type {v}")),
    })
}
