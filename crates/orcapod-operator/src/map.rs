//! Renames: [`MapTags`] and [`MapPackets`].

use std::collections::{BTreeMap, HashMap};

use orcapod_datagram::constants::{DATAGRAM_PREFIX, source_info_column};
use orcapod_datagram::{Stream, StreamSchema};
use orcapod_hash::semantic::Identity;

use crate::error::{ColumnKind, OperatorError, Result};
use crate::operator::{ArgumentSymmetry, Arity, Operator, check_arity, identity_for, pipeline_for};
use crate::util::{build_stream, renamed};

/// What a rename does to the columns of its kind: old → new for kept columns, and the dropped.
struct Renaming {
    map: HashMap<String, String>,
    dropped: Vec<String>,
}

fn renaming(
    operator: &'static str,
    kind: ColumnKind,
    name_map: &BTreeMap<String, String>,
    drop_unmapped: bool,
    schema: &StreamSchema,
) -> Result<Renaming> {
    let (own, other) = match kind {
        ColumnKind::Tag => (schema.tag_names(), schema.packet_names()),
        ColumnKind::Packet => (schema.packet_names(), schema.tag_names()),
    };
    let relevant: Vec<(&String, &String)> =
        name_map.iter().filter(|(k, _)| own.contains(k)).collect();
    let mut colliding: Vec<String> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    for (i, (_, target)) in relevant.iter().enumerate() {
        let target = target.to_string();
        let remaining = own.contains(&target) && !name_map.contains_key(&target);
        let duplicate = relevant[..i].iter().any(|(_, t)| **t == target);
        if remaining || duplicate {
            reasons.push(format!("overlapping {kind} columns: '{target}'"));
        } else if other.contains(&target) {
            let other_kind = if kind == ColumnKind::Tag {
                ColumnKind::Packet
            } else {
                ColumnKind::Tag
            };
            reasons.push(format!("overlapping {other_kind} columns: '{target}'"));
        } else if target.starts_with(DATAGRAM_PREFIX) || target.is_empty() {
            reasons.push(format!(
                "'{target}' is empty or uses the reserved prefix '_'"
            ));
        } else {
            continue;
        }
        colliding.push(target);
    }
    if !colliding.is_empty() {
        return Err(OperatorError::RenameCollision {
            operator,
            columns: colliding,
            detail: reasons.join("; "),
        });
    }
    let map: HashMap<String, String> = relevant
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let dropped: Vec<String> = if drop_unmapped {
        own.iter()
            .filter(|c| !map.contains_key(*c))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    if kind == ColumnKind::Packet && dropped.len() == own.len() && !own.is_empty() {
        return Err(OperatorError::NoPacketColumns { operator });
    }
    Ok(Renaming { map, dropped })
}

/// Column-name map of a renaming, source-info columns included for packets.
fn physical(kind: ColumnKind, r: &Renaming) -> (HashMap<String, String>, Vec<String>) {
    let mut map = r.map.clone();
    let mut dropped = r.dropped.clone();
    if kind == ColumnKind::Packet {
        for (old, new) in &r.map {
            map.insert(source_info_column(old), source_info_column(new));
        }
        dropped.extend(r.dropped.iter().map(|c| source_info_column(c)));
    }
    (map, dropped)
}

fn predict(
    op: &dyn Operator,
    kind: ColumnKind,
    r: &Renaming,
    inputs: &[StreamSchema],
) -> Result<StreamSchema> {
    let (map, dropped) = physical(kind, r);
    let apply = |fs: &mut Vec<arrow_schema::FieldRef>| {
        fs.retain(|f| !dropped.contains(f.name()));
        for f in fs.iter_mut() {
            if let Some(new) = map.get(f.name()) {
                *f = renamed(f, new);
            }
        }
    };
    let mut out = inputs[0].clone();
    match kind {
        ColumnKind::Tag => apply(&mut out.tags),
        ColumnKind::Packet => {
            apply(&mut out.packets);
            apply(&mut out.source_info);
        }
    }
    out.pipeline_hash = pipeline_for(op, inputs)?;
    Ok(out)
}

fn compute(op: &dyn Operator, kind: ColumnKind, r: &Renaming, inputs: &[Stream]) -> Result<Stream> {
    let identity = identity_for(op, inputs)?;
    let input = &inputs[0];
    if r.map.is_empty() && r.dropped.is_empty() {
        return Ok(input.with_identity(identity));
    }
    let (map, dropped) = physical(kind, r);
    let batch = input.batch();
    let schema = batch.schema();
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        if dropped.contains(f.name()) {
            continue;
        }
        fields.push(
            map.get(f.name())
                .map_or_else(|| f.clone(), |new| renamed(f, new)),
        );
        columns.push(c.clone());
    }
    let tags: Vec<String> = input
        .tag_columns()
        .iter()
        .filter(|t| !dropped.contains(*t))
        .map(|t| map.get(t).cloned().unwrap_or_else(|| t.clone()))
        .collect();
    build_stream(fields, columns, input.num_rows(), &tags, identity)
}

macro_rules! map_operator {
    ($(#[$doc:meta])* $name:ident, $id:literal, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            name_map: BTreeMap<String, String>,
            drop_unmapped: bool,
        }

        impl $name {
            /// Rename `old → new` for each pair; unmapped columns are kept.
            pub fn new<I, K, V>(name_map: I) -> Self
            where
                I: IntoIterator<Item = (K, V)>,
                K: Into<String>,
                V: Into<String>,
            {
                $name {
                    name_map: name_map.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
                    drop_unmapped: false,
                }
            }

            /// Also drop the columns of this kind that the map does not mention.
            pub fn drop_unmapped(mut self, drop: bool) -> Self {
                self.drop_unmapped = drop;
                self
            }

            /// The name map.
            pub fn name_map(&self) -> &BTreeMap<String, String> {
                &self.name_map
            }

            fn renaming(&self, schema: &StreamSchema) -> Result<Renaming> {
                renaming($id, $kind, &self.name_map, self.drop_unmapped, schema)
            }
        }

        impl Operator for $name {
            fn identity_name(&self) -> &'static str {
                $id
            }

            /// `(name, {old: new, ...}, drop_unmapped)`.
            fn identity(&self) -> Identity {
                Identity::tuple([
                    Identity::str($id),
                    Identity::map(self.name_map.iter().map(|(k, v)| (k.clone(), Identity::str(v.as_str())))),
                    Identity::Bool(self.drop_unmapped),
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
                let r = self.renaming(&inputs[0])?;
                predict(self, $kind, &r, inputs)
            }

            fn process(&self, inputs: &[Stream]) -> Result<Stream> {
                check_arity(self, inputs.len())?;
                let r = self.renaming(&inputs[0].schema())?;
                compute(self, $kind, &r, inputs)
            }
        }
    };
}

map_operator!(
    /// Rename tag columns; system tags are unchanged. Identity `("MapTags", {old: new}, drop_unmapped)`.
    ///
    /// Targets must not collide with remaining tags, packets, each other, or use the reserved `_`
    /// prefix ([`RenameCollision`](OperatorError::RenameCollision)). With `drop_unmapped`, tags
    /// not in the map are dropped — also when no mapped tag is present (orcapod-python then
    /// returns the input unchanged although its predicted schema drops them; here data and
    /// prediction agree).
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// use orcapod_operator::{MapTags, Operator};
    /// let s = Source::from_rows(rows![{"id" => 1, "x" => 3}], SourceOptions::new(["id"]))?;
    /// let out = MapTags::new([("id", "key")]).process(&[s.stream().clone()])?;
    /// assert_eq!(out.tag_columns(), ["key"]);
    /// assert!(MapTags::new([("id", "x")]).process(&[s.stream().clone()]).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    MapTags, "MapTags", ColumnKind::Tag
);

map_operator!(
    /// Rename packet columns and their source-info columns (`_source_old` → `_source_new`; the
    /// provenance *value* is unchanged and still names the original column). orcapod-python
    /// 0.1.4 `MapData`: identity `("MapData", {old: new}, drop_unmapped)`.
    ///
    /// ```
    /// use orcapod_datagram::{rows, Source, SourceOptions};
    /// use orcapod_operator::{MapPackets, Operator};
    /// let s = Source::from_rows(rows![{"id" => 1, "x" => 3}], SourceOptions::new(["id"]).source_id("A"))?;
    /// let out = MapPackets::new([("x", "xx")]).process(&[s.stream().clone()])?;
    /// let (_, packet) = out.row(0)?;
    /// assert_eq!(packet.source_info()?[0].1.to_string(), "A::row_0::x");
    /// assert_eq!(out.packet_columns(), ["xx"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    MapPackets, "MapData", ColumnKind::Packet
);
