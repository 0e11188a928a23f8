//! [`Pick`] and [`Index`] (orcapod-python 0.1.4): project one element out of a struct or list
//! packet column.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, BooleanArray, LargeStringArray, UInt64Array};
use arrow_schema::{DataType, Field as ArrowField, FieldRef};
use orcapod_datagram::constants::{DATAGRAM_PREFIX, source_info_column};
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;

use crate::error::{ColumnKind, OperatorError, Result};
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};
use crate::util::{build_stream, type_name};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Element {
    Field(String),
    Position(i64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Projection {
    operator: &'static str,
    column: String,
    element: Element,
    out: Option<String>,
    fail_on_miss: bool,
}

/// Output fields of a projection: the value and its source info.
struct Planned {
    value: FieldRef,
    source: FieldRef,
}

impl Projection {
    fn identity(&self) -> Identity {
        let element = match &self.element {
            Element::Field(k) => Identity::str(k.as_str()),
            Element::Position(i) => Identity::Int(*i),
        };
        let out = self
            .out
            .as_ref()
            .map_or(Identity::Null, |o| Identity::str(o.as_str()));
        Identity::tuple([
            Identity::str(self.operator),
            Identity::str(self.column.as_str()),
            element,
            out,
        ])
    }

    fn target(&self) -> &str {
        self.out.as_deref().unwrap_or(&self.column)
    }

    fn in_place(&self) -> bool {
        self.target() == self.column
    }

    fn suffix(&self) -> String {
        match &self.element {
            Element::Field(k) => format!("['{k}']"),
            Element::Position(i) => format!("[{i}]"),
        }
    }

    fn plan(&self, schema: &StreamSchema) -> Result<Planned> {
        let operator = self.operator;
        let field = schema
            .packet(&self.column)
            .ok_or_else(|| OperatorError::MissingColumns {
                operator,
                kind: ColumnKind::Packet,
                columns: vec![self.column.clone()],
                available: schema.packet_names(),
            })?;
        let not = |reason: &str| OperatorError::NotProjectable {
            operator,
            column: self.column.clone(),
            column_type: type_name(field),
            reason: reason.to_string(),
        };
        let item = match (&self.element, field.data_type()) {
            (Element::Field(k), DataType::Struct(fields)) => fields
                .iter()
                .find(|f| f.name() == k)
                .cloned()
                .ok_or_else(|| not(&format!("no field '{k}'")))?,
            (Element::Field(_), _) => return Err(not("Pick needs a struct column")),
            (
                Element::Position(_),
                DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _),
            ) => item.clone(),
            (Element::Position(_), _) => return Err(not("Index needs a list column")),
        };
        let target = self.target();
        if !self.in_place() {
            let taken = schema.packet(target).is_some() || schema.tag(target).is_some();
            let reserved = target.is_empty() || target.starts_with(DATAGRAM_PREFIX);
            if taken || reserved {
                return Err(OperatorError::RenameCollision {
                    operator,
                    columns: vec![target.to_string()],
                    detail: if taken {
                        format!("output column '{target}' already exists")
                    } else {
                        format!("'{target}' is empty or uses the reserved prefix '_'")
                    },
                });
            }
        }
        let value = Arc::new(
            ArrowField::new(target, item.data_type().clone(), item.is_nullable())
                .with_metadata(item.metadata().clone()),
        );
        let source_name = source_info_column(target);
        let source = match schema
            .source_field_for(&self.column)
            .map(|f| f.data_type().clone())
        {
            Some(DataType::List(i) | DataType::LargeList(i))
                if matches!(self.element, Element::Position(_)) =>
            {
                ArrowField::new(&source_name, i.data_type().clone(), true)
            }
            _ => ArrowField::new(&source_name, DataType::LargeUtf8, true),
        };
        Ok(Planned {
            value,
            source: Arc::new(source),
        })
    }

    fn output_schema(&self, op: &dyn Operator, inputs: &[StreamSchema]) -> Result<StreamSchema> {
        check_arity(op, inputs.len())?;
        let planned = self.plan(&inputs[0])?;
        let mut out = inputs[0].clone();
        let old_source = source_info_column(&self.column);
        if self.in_place() {
            for f in out.packets.iter_mut().filter(|f| *f.name() == self.column) {
                *f = planned.value.clone();
            }
            for f in out
                .source_info
                .iter_mut()
                .filter(|f| *f.name() == old_source)
            {
                *f = planned.source.clone();
            }
        } else {
            out.packets.push(planned.value);
            out.source_info.push(planned.source);
        }
        out.pipeline_hash = pipeline_for(op, inputs)?;
        Ok(out)
    }

    /// Per input row: the child index of the selected element, or `None` for a miss.
    fn positions(&self, column: &ArrayRef, i: i64) -> Vec<Option<u64>> {
        let pick = |start: usize, len: usize| {
            let idx = if i < 0 { len as i64 + i } else { i };
            (0..len as i64)
                .contains(&idx)
                .then(|| (start as i64 + idx) as u64)
        };
        let n = column.len();
        match column.data_type() {
            DataType::List(_) => {
                let l = column.as_list::<i32>();
                let o = l.value_offsets();
                (0..n)
                    .map(|r| {
                        l.is_valid(r)
                            .then(|| pick(o[r] as usize, (o[r + 1] - o[r]) as usize))
                            .flatten()
                    })
                    .collect()
            }
            DataType::LargeList(_) => {
                let l = column.as_list::<i64>();
                let o = l.value_offsets();
                (0..n)
                    .map(|r| {
                        l.is_valid(r)
                            .then(|| pick(o[r] as usize, (o[r + 1] - o[r]) as usize))
                            .flatten()
                    })
                    .collect()
            }
            DataType::FixedSizeList(_, size) => {
                let l = column.as_fixed_size_list();
                let size = *size as usize;
                (0..n)
                    .map(|r| {
                        l.is_valid(r)
                            .then(|| pick(l.value_offset_at(r), size))
                            .flatten()
                    })
                    .collect()
            }
            _ => vec![None; n],
        }
    }

    fn process(&self, op: &dyn Operator, inputs: &[Stream]) -> Result<Stream> {
        check_arity(op, inputs.len())?;
        let input = &inputs[0];
        let planned = self.plan(&input.schema())?;
        let identity = identity_for(op, inputs)?;
        let column = input
            .column(&self.column)
            .cloned()
            .ok_or_else(|| missing(&self.column))?;
        let source = input.column(&source_info_column(&self.column)).cloned();
        let (hits, values): (Vec<bool>, ArrayRef) = match &self.element {
            Element::Position(i) => {
                let pos = self.positions(&column, *i);
                let child = children(&column).ok_or_else(|| missing(&self.column))?;
                let idx = UInt64Array::from_iter_values(pos.iter().flatten().copied());
                (
                    pos.iter().map(Option::is_some).collect(),
                    arrow_select::take::take(child.as_ref(), &idx, None)?,
                )
            }
            Element::Field(k) => {
                let s = column.as_struct();
                let child = s.column_by_name(k).cloned().ok_or_else(|| missing(k))?;
                let hits: Vec<bool> = (0..s.len()).map(|r| s.is_valid(r)).collect();
                let keep = BooleanArray::from(hits.clone());
                (hits, arrow_select::filter::filter(child.as_ref(), &keep)?)
            }
        };
        if self.fail_on_miss
            && let Some(row) = hits.iter().position(|h| !h)
        {
            return Err(OperatorError::ProjectionMiss {
                operator: self.operator,
                column: self.column.clone(),
                row,
                element: self.suffix(),
            });
        }
        let keep = BooleanArray::from(hits.clone());
        let all = keep.true_count() == input.num_rows();
        let batch = if all {
            input.batch().clone()
        } else {
            arrow_select::filter::filter_record_batch(input.batch(), &keep)?
        };
        let sources = self.sources(source.as_ref(), &hits)?;
        let schema = batch.schema();
        let mut fields: Vec<FieldRef> = schema.fields().iter().cloned().collect();
        let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
        let old_source = source_info_column(&self.column);
        if self.in_place() {
            for (f, c) in fields.iter_mut().zip(columns.iter_mut()) {
                if *f.name() == self.column {
                    (*f, *c) = (planned.value.clone(), values.clone());
                } else if *f.name() == old_source {
                    (*f, *c) = (planned.source.clone(), sources.clone());
                }
            }
        } else {
            fields.extend([planned.value, planned.source]);
            columns.extend([values, sources]);
        }
        build_stream(
            fields,
            columns,
            batch.num_rows(),
            input.tag_columns(),
            identity,
        )
    }

    /// Provenance of the kept rows: the element's own token for list-valued source info (after
    /// `Batch`), else the upstream token with `['key']` / `[i]` appended (nulls stay null).
    fn sources(&self, source: Option<&ArrayRef>, hits: &[bool]) -> Result<ArrayRef> {
        let kept = hits.iter().filter(|h| **h).count();
        let Some(source) = source else {
            return Ok(Arc::new(LargeStringArray::from(vec![None::<&str>; kept])));
        };
        if let (Element::Position(i), DataType::List(_) | DataType::LargeList(_)) =
            (&self.element, source.data_type())
        {
            let pos = self.positions(source, *i);
            let idx: Vec<Option<u64>> = pos
                .iter()
                .zip(hits)
                .filter(|(_, h)| **h)
                .map(|(p, _)| *p)
                .collect();
            let child = children(source).ok_or_else(|| missing("source info"))?;
            return Ok(arrow_select::take::take(
                child.as_ref(),
                &UInt64Array::from(idx),
                None,
            )?);
        }
        let strings = arrow_cast::cast(source, &DataType::LargeUtf8)?;
        let strings = strings.as_string::<i64>();
        let suffix = self.suffix();
        Ok(Arc::new(LargeStringArray::from_iter(
            (0..strings.len()).filter(|r| hits[*r]).map(|r| {
                strings
                    .is_valid(r)
                    .then(|| format!("{}{suffix}", strings.value(r)))
            }),
        )))
    }
}

fn children(list: &ArrayRef) -> Option<ArrayRef> {
    match list.data_type() {
        DataType::List(_) => Some(list.as_list::<i32>().values().clone()),
        DataType::LargeList(_) => Some(list.as_list::<i64>().values().clone()),
        DataType::FixedSizeList(_, _) => Some(list.as_fixed_size_list().values().clone()),
        _ => None,
    }
}

fn missing(name: &str) -> OperatorError {
    OperatorError::Datagram(orcapod_datagram::DatagramError::MissingColumn {
        column: name.to_string(),
        context: "Pick/Index input".into(),
    })
}

macro_rules! projection_operator {
    ($(#[$doc:meta])* $name:ident, $id:literal, $elem:ty, $variant:ident, $conv:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name(Projection);

        impl $name {
            /// Project `element` out of packet column `column`, replacing it in place.
            pub fn new(column: impl Into<String>, element: $elem) -> Self {
                $name(Projection {
                    operator: $id,
                    column: column.into(),
                    element: Element::$variant($conv(element)),
                    out: None,
                    fail_on_miss: false,
                })
            }

            /// Write the element to a new packet column instead (part of the identity).
            pub fn out(mut self, out: impl Into<String>) -> Self {
                self.0.out = Some(out.into());
                self
            }

            /// Fail on a row without the element instead of dropping it (not part of the identity).
            pub fn fail_on_miss(mut self, fail: bool) -> Self {
                self.0.fail_on_miss = fail;
                self
            }
        }

        impl Operator for $name {
            fn identity_name(&self) -> &'static str {
                $id
            }

            /// `(name, column, element, out or None)`; `fail_on_miss` is excluded, as in 0.1.4.
            fn identity(&self) -> Identity {
                self.0.identity()
            }

            fn arity(&self) -> Arity {
                Arity::Unary
            }

            fn symmetry(&self) -> ArgumentSymmetry {
                ArgumentSymmetry::Ordered
            }

            fn output_schema(&self, inputs: &[StreamSchema]) -> Result<StreamSchema> {
                self.0.output_schema(self, inputs)
            }

            fn process(&self, inputs: &[Stream]) -> Result<Stream> {
                self.0.process(self, inputs)
            }
        }
    };
}

projection_operator!(
    /// Project a field out of a struct packet column (orcapod-python 0.1.4 `Pick`; Arrow map
    /// columns are not part of orcapod's type model, so struct fields are the supported case).
    ///
    /// Rows whose struct is null are dropped (or rejected with `fail_on_miss`). Source info
    /// becomes the upstream token with `['key']` appended.
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions, Value};
    /// use orcapod_operator::{Operator, Pick};
    /// let s = Source::from_rows(
    ///     rows![{"id" => 1, "p" => Value::Struct(vec![("a".into(), 1.into()), ("b".into(), 2.into())])}],
    ///     SourceOptions::new(["id"]).source_id("S"))?;
    /// let out = Pick::new("p", "b").out("b").process(&[s.stream().clone()])?;
    /// let (_, packet) = out.row(0)?;
    /// assert_eq!(packet.get("b")?, Some(Value::Int(2)));
    /// assert_eq!(out.column("_source_b").map(|c| c.len()), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Pick, "Pick", &str, Field, |k: &str| k.to_string()
);

projection_operator!(
    /// Take element `i` of a list packet column, with Python negative indexing (`-1` is the last
    /// element); orcapod-python 0.1.4 `Index`.
    ///
    /// Rows whose list is null or too short are dropped (or rejected with `fail_on_miss`). Source
    /// info: for list-valued provenance (after [`Batch`](crate::Batch)) the element's own token,
    /// otherwise the upstream token with `[i]` appended.
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions, Value};
    /// use orcapod_operator::{Batch, Index, Operator};
    /// let s = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
    ///     SourceOptions::new(["id"]).source_id("S"))?;
    /// let batched = Batch::default().process(&[s.stream().clone()])?;
    /// let last = Index::new("x", -1).process(&[batched])?;
    /// let (_, packet) = last.row(0)?;
    /// assert_eq!(packet.get("x")?, Some(Value::Int(20)));
    /// assert_eq!(packet.source_info()?[0].1, Value::from("S::row_1::x"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Index, "Index", i64, Position, |i: i64| i
);
