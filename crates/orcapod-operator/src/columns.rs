//! Column selection: [`SelectTagColumns`], [`SelectPacketColumns`], [`DropTagColumns`],
//! [`DropPacketColumns`].

use std::collections::HashSet;

use orcapod_datagram::constants::source_info_column;
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;

use crate::error::{ColumnKind, OperatorError, Result};
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};
use crate::util::build_stream;

#[derive(Clone, Copy)]
enum Mode {
    Select,
    Drop,
}

/// Which columns of `kind` to remove, after the strict check.
fn removed(
    operator: &'static str,
    kind: ColumnKind,
    mode: Mode,
    columns: &[String],
    strict: bool,
    schema: &StreamSchema,
) -> Result<Vec<String>> {
    let existing = match kind {
        ColumnKind::Tag => schema.tag_names(),
        ColumnKind::Packet => schema.packet_names(),
    };
    if strict {
        let missing: Vec<String> = columns
            .iter()
            .filter(|c| !existing.contains(c))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(OperatorError::MissingColumns {
                operator,
                kind,
                columns: missing,
                available: existing,
            });
        }
    }
    let removed: Vec<String> = match mode {
        Mode::Select => existing
            .iter()
            .filter(|c| !columns.contains(c))
            .cloned()
            .collect(),
        Mode::Drop => existing
            .iter()
            .filter(|c| columns.contains(c))
            .cloned()
            .collect(),
    };
    if kind == ColumnKind::Packet && removed.len() == existing.len() && !existing.is_empty() {
        return Err(OperatorError::NoPacketColumns { operator });
    }
    Ok(removed)
}

fn predict(
    op: &dyn Operator,
    inputs: &[StreamSchema],
    kind: ColumnKind,
    removed: &[String],
) -> Result<StreamSchema> {
    let mut out = inputs[0].clone();
    match kind {
        ColumnKind::Tag => out.tags.retain(|f| !removed.contains(f.name())),
        ColumnKind::Packet => {
            out.packets.retain(|f| !removed.contains(f.name()));
            let sources: Vec<String> = removed.iter().map(|c| source_info_column(c)).collect();
            out.source_info.retain(|f| !sources.contains(f.name()));
        }
    }
    out.pipeline_hash = pipeline_for(op, inputs)?;
    Ok(out)
}

fn compute(
    op: &dyn Operator,
    inputs: &[Stream],
    kind: ColumnKind,
    removed: &[String],
) -> Result<Stream> {
    let identity = identity_for(op, inputs)?;
    let input = &inputs[0];
    if removed.is_empty() {
        return Ok(input.with_identity(identity));
    }
    let mut gone: HashSet<String> = removed.iter().cloned().collect();
    if kind == ColumnKind::Packet {
        gone.extend(removed.iter().map(|c| source_info_column(c)));
    }
    let batch = input.batch();
    let schema = batch.schema();
    let (fields, columns) = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .filter(|(f, _)| !gone.contains(f.name()))
        .map(|(f, c)| (f.clone(), c.clone()))
        .unzip();
    let tags: Vec<String> = input
        .tag_columns()
        .iter()
        .filter(|t| !gone.contains(*t))
        .cloned()
        .collect();
    build_stream(fields, columns, input.num_rows(), &tags, identity)
}

macro_rules! column_operator {
    ($(#[$doc:meta])* $name:ident, $id:literal, $kind:expr, $mode:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            columns: Vec<String>,
            strict: bool,
        }

        impl $name {
            /// Strict operator (missing columns are an error) over these columns.
            pub fn new<I, S>(columns: I) -> Self
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                $name { columns: columns.into_iter().map(Into::into).collect(), strict: true }
            }

            /// Set strictness (`false`: silently ignore columns that do not exist).
            pub fn strict(mut self, strict: bool) -> Self {
                self.strict = strict;
                self
            }

            /// The listed columns, in the order given (part of the identity).
            pub fn columns(&self) -> &[String] {
                &self.columns
            }

            fn removed(&self, schema: &StreamSchema) -> Result<Vec<String>> {
                removed($id, $kind, $mode, &self.columns, self.strict, schema)
            }
        }

        impl Operator for $name {
            fn identity_name(&self) -> &'static str {
                $id
            }

            /// `(name, [columns...], strict)`: the columns as a list, as orcapod-python hashes
            /// a list argument (quirk 2: a Python tuple would hash differently).
            fn identity(&self) -> Identity {
                Identity::tuple([
                    Identity::str($id),
                    Identity::list(self.columns.iter().map(|c| Identity::str(c.as_str()))),
                    Identity::Bool(self.strict),
                ])
            }

            fn arity(&self) -> Arity {
                Arity::Unary
            }

            fn symmetry(&self) -> ArgumentSymmetry {
                ArgumentSymmetry::Ordered
            }

            fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema> {
                check_arity(self, inputs.len())?;
                let removed = self.removed(&inputs[0])?;
                predict(self, inputs, $kind, &removed)
            }

            fn process(&self, inputs: &[Stream]) -> Result<Stream> {
                check_arity(self, inputs.len())?;
                let removed = self.removed(&inputs[0].schema())?;
                compute(self, inputs, $kind, &removed)
            }
        }
    };
}

column_operator!(
    /// Keep only the listed tag columns (in their input order); system tags are always kept.
    ///
    /// Strict (the default): every listed column must be a tag column, else
    /// [`MissingColumns`](OperatorError::MissingColumns). Identity `("SelectTagColumns", [cols], strict)`.
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// use orcapod_operator::{Operator, SelectTagColumns};
    /// let s = Source::from_rows(rows![{"id" => 1, "k" => 2, "x" => 3}], SourceOptions::new(["id", "k"]))?;
    /// let out = SelectTagColumns::new(["id"]).process(&[s.stream().clone()])?;
    /// assert_eq!(out.tag_columns(), ["id"]);
    /// assert_eq!(out.system_tag_columns().len(), 2);
    /// assert!(SelectTagColumns::new(["nope"]).process(&[s.stream().clone()]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    SelectTagColumns, "SelectTagColumns", ColumnKind::Tag, Mode::Select
);

column_operator!(
    /// Keep only the listed packet columns and their source info (orcapod-python 0.1.4
    /// `SelectDataColumns`; identity `("SelectDataColumns", [cols], strict)`).
    ///
    /// Selecting no existing packet column is an error (a stream needs one).
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// use orcapod_operator::{Operator, SelectPacketColumns};
    /// let s = Source::from_rows(rows![{"id" => 1, "a" => 2, "b" => 3}], SourceOptions::new(["id"]))?;
    /// let out = SelectPacketColumns::new(["a"]).process(&[s.stream().clone()])?;
    /// assert_eq!(out.packet_columns(), ["a"]);
    /// assert!(out.column("_source_b").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    SelectPacketColumns, "SelectDataColumns", ColumnKind::Packet, Mode::Select
);

column_operator!(
    /// Drop the listed tag columns (identity `("DropTagColumns", [cols], strict)`).
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// use orcapod_operator::{DropTagColumns, Operator};
    /// let s = Source::from_rows(rows![{"id" => 1, "k" => 2, "x" => 3}], SourceOptions::new(["id", "k"]))?;
    /// let out = DropTagColumns::new(["k", "nope"]).strict(false).process(&[s.stream().clone()])?;
    /// assert_eq!(out.tag_columns(), ["id"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    DropTagColumns, "DropTagColumns", ColumnKind::Tag, Mode::Drop
);

column_operator!(
    /// Drop the listed packet columns **and** their source info (orcapod-python 0.1.4
    /// `DropDataColumns`; identity `("DropDataColumns", [cols], strict)`).
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// use orcapod_operator::{DropPacketColumns, Operator};
    /// let s = Source::from_rows(rows![{"id" => 1, "a" => 2, "b" => 3}], SourceOptions::new(["id"]))?;
    /// let out = DropPacketColumns::new(["b"]).process(&[s.stream().clone()])?;
    /// assert_eq!(out.packet_columns(), ["a"]);
    /// assert!(out.column("_source_b").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    DropPacketColumns, "DropDataColumns", ColumnKind::Packet, Mode::Drop
);
