//! Serializable descriptions of operators and predicates (for save/load and pipeline files).

use std::collections::BTreeMap;
use std::sync::Arc;

use orcapod_datagram::Value;
use orcapod_hash::semantic::Identity;
use orcapod_operator::{
    Batch, CompareOp, DropPacketColumns, DropTagColumns, Filter, Join, MapPackets, MapTags,
    MergeJoin, Operator, Predicate, SelectPacketColumns, SelectTagColumns, SemiJoin,
};
use serde::{Deserialize, Serialize};

fn yes() -> bool {
    true
}

/// An operator with its options, as saved in pipeline files.
///
/// ```
/// use orcapod_node::OperatorSpec;
/// let spec: OperatorSpec = serde_json::from_str(r#"{"type": "batch", "size": 2}"#).unwrap();
/// assert_eq!(spec, OperatorSpec::Batch { size: 2, drop_partial: false });
/// assert_eq!(spec.build().identity_name(), "Batch");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperatorSpec {
    /// N-ary inner join on shared tags.
    Join,
    /// Binary join merging colliding packet columns into lists.
    MergeJoin,
    /// Keep left rows that match the right.
    SemiJoin,
    /// Group rows into batches (`size` 0: one batch of everything).
    Batch {
        /// Rows per batch.
        size: usize,
        /// Drop an incomplete final batch.
        #[serde(default)]
        drop_partial: bool,
    },
    /// Keep only these tag columns.
    SelectTags {
        /// Columns.
        columns: Vec<String>,
        /// Error on missing columns.
        #[serde(default = "yes")]
        strict: bool,
    },
    /// Keep only these packet columns.
    SelectPackets {
        /// Columns.
        columns: Vec<String>,
        /// Error on missing columns.
        #[serde(default = "yes")]
        strict: bool,
    },
    /// Drop these tag columns.
    DropTags {
        /// Columns.
        columns: Vec<String>,
        /// Error on missing columns.
        #[serde(default = "yes")]
        strict: bool,
    },
    /// Drop these packet columns.
    DropPackets {
        /// Columns.
        columns: Vec<String>,
        /// Error on missing columns.
        #[serde(default = "yes")]
        strict: bool,
    },
    /// Rename tag columns.
    MapTags {
        /// Old name → new name.
        map: BTreeMap<String, String>,
        /// Drop tag columns not in the map.
        #[serde(default)]
        drop_unmapped: bool,
    },
    /// Rename packet columns.
    MapPackets {
        /// Old name → new name.
        map: BTreeMap<String, String>,
        /// Drop packet columns not in the map.
        #[serde(default)]
        drop_unmapped: bool,
    },
    /// Keep rows matching a predicate.
    Filter {
        /// The predicate.
        predicate: PredicateSpec,
    },
}

impl OperatorSpec {
    /// The operator.
    pub fn build(&self) -> Arc<dyn Operator> {
        match self {
            OperatorSpec::Join => Arc::new(Join::new()),
            OperatorSpec::MergeJoin => Arc::new(MergeJoin::new()),
            OperatorSpec::SemiJoin => Arc::new(SemiJoin::new()),
            OperatorSpec::Batch { size, drop_partial } => {
                Arc::new(Batch::new(*size, *drop_partial))
            }
            OperatorSpec::SelectTags { columns, strict } => {
                Arc::new(SelectTagColumns::new(columns.clone()).strict(*strict))
            }
            OperatorSpec::SelectPackets { columns, strict } => {
                Arc::new(SelectPacketColumns::new(columns.clone()).strict(*strict))
            }
            OperatorSpec::DropTags { columns, strict } => {
                Arc::new(DropTagColumns::new(columns.clone()).strict(*strict))
            }
            OperatorSpec::DropPackets { columns, strict } => {
                Arc::new(DropPacketColumns::new(columns.clone()).strict(*strict))
            }
            OperatorSpec::MapTags { map, drop_unmapped } => {
                Arc::new(MapTags::new(map.clone()).drop_unmapped(*drop_unmapped))
            }
            OperatorSpec::MapPackets { map, drop_unmapped } => {
                Arc::new(MapPackets::new(map.clone()).drop_unmapped(*drop_unmapped))
            }
            OperatorSpec::Filter { predicate } => Arc::new(Filter::new(predicate.build())),
        }
    }

    /// The spec of an operator built without one, read back from its identity structure
    /// (every operator but `Filter`, whose predicate must be given as a spec).
    pub fn from_operator(op: &dyn Operator) -> Option<OperatorSpec> {
        let strs = |v: &Identity| -> Option<Vec<String>> {
            match v {
                Identity::List(items) | Identity::Tuple(items) => items
                    .iter()
                    .map(|i| {
                        if let Identity::Str(s) = i {
                            Some(s.clone())
                        } else {
                            None
                        }
                    })
                    .collect(),
                _ => None,
            }
        };
        let map = |v: &Identity| -> Option<BTreeMap<String, String>> {
            match v {
                Identity::Map(kv) => kv
                    .iter()
                    .map(|(k, v)| {
                        if let Identity::Str(s) = v {
                            Some((k.clone(), s.clone()))
                        } else {
                            None
                        }
                    })
                    .collect(),
                _ => None,
            }
        };
        let identity = op.identity();
        let parts: &[Identity] = match &identity {
            Identity::Tuple(items) => items,
            _ => &[],
        };
        Some(match (op.identity_name(), parts) {
            ("Join", _) => OperatorSpec::Join,
            ("MergeJoin", _) => OperatorSpec::MergeJoin,
            ("SemiJoin", _) => OperatorSpec::SemiJoin,
            ("Batch", [_, Identity::Int(n), Identity::Bool(d)]) => OperatorSpec::Batch {
                size: *n as usize,
                drop_partial: *d,
            },
            ("SelectTagColumns", [_, c, Identity::Bool(s)]) => OperatorSpec::SelectTags {
                columns: strs(c)?,
                strict: *s,
            },
            ("SelectDataColumns", [_, c, Identity::Bool(s)]) => OperatorSpec::SelectPackets {
                columns: strs(c)?,
                strict: *s,
            },
            ("DropTagColumns", [_, c, Identity::Bool(s)]) => OperatorSpec::DropTags {
                columns: strs(c)?,
                strict: *s,
            },
            ("DropDataColumns", [_, c, Identity::Bool(s)]) => OperatorSpec::DropPackets {
                columns: strs(c)?,
                strict: *s,
            },
            ("MapTags", [_, m, Identity::Bool(d)]) => OperatorSpec::MapTags {
                map: map(m)?,
                drop_unmapped: *d,
            },
            ("MapData", [_, m, Identity::Bool(d)]) => OperatorSpec::MapPackets {
                map: map(m)?,
                drop_unmapped: *d,
            },
            _ => return None,
        })
    }
}

/// A literal in a predicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LiteralSpec {
    /// Boolean.
    Bool(bool),
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Str(String),
}

impl LiteralSpec {
    fn value(&self) -> Value {
        match self {
            LiteralSpec::Bool(b) => Value::Bool(*b),
            LiteralSpec::Int(i) => Value::Int(*i),
            LiteralSpec::Float(f) => Value::Float(*f),
            LiteralSpec::Str(s) => Value::Str(s.clone()),
        }
    }
}

/// A filter predicate as saved in pipeline files.
///
/// ```
/// use orcapod_node::PredicateSpec;
/// let p: PredicateSpec = serde_json::from_str(
///     r#"{"and": [{"column": "age", "op": ">=", "value": 90}, {"not_null": "species"}]}"#).unwrap();
/// assert!(matches!(p, PredicateSpec::And { .. }));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum PredicateSpec {
    /// `column <op> value`, op one of `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Compare {
        /// Column.
        column: String,
        /// Operator.
        op: String,
        /// Literal.
        value: LiteralSpec,
    },
    /// The column is in the list.
    In {
        /// Column.
        column: String,
        /// Candidates.
        #[serde(rename = "in")]
        values: Vec<LiteralSpec>,
    },
    /// The column is null.
    IsNull {
        /// Column.
        is_null: String,
    },
    /// The column is not null.
    NotNull {
        /// Column.
        not_null: String,
    },
    /// All hold.
    And {
        /// Parts.
        and: Vec<PredicateSpec>,
    },
    /// Any holds.
    Or {
        /// Parts.
        or: Vec<PredicateSpec>,
    },
    /// Negation.
    Not {
        /// The negated predicate.
        not: Box<PredicateSpec>,
    },
}

impl PredicateSpec {
    /// The operator crate's predicate. Unknown comparison symbols compare as `==` never: they
    /// are rejected by [`PredicateSpec::validate`] first.
    pub fn build(&self) -> Predicate {
        match self {
            PredicateSpec::Compare { column, op, value } => Predicate::Compare {
                column: column.clone(),
                op: compare_op(op).unwrap_or(CompareOp::Eq),
                literal: value.value(),
            },
            PredicateSpec::In { column, values } => Predicate::In {
                column: column.clone(),
                values: values.iter().map(LiteralSpec::value).collect(),
            },
            PredicateSpec::IsNull { is_null } => Predicate::IsNull(is_null.clone()),
            PredicateSpec::NotNull { not_null } => Predicate::IsNotNull(not_null.clone()),
            PredicateSpec::And { and } => {
                Predicate::And(and.iter().map(PredicateSpec::build).collect())
            }
            PredicateSpec::Or { or } => {
                Predicate::Or(or.iter().map(PredicateSpec::build).collect())
            }
            PredicateSpec::Not { not } => Predicate::Not(Box::new(not.build())),
        }
    }

    /// Check the comparison symbols; the error names the bad one.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            PredicateSpec::Compare { op, .. } => compare_op(op)
                .map(|_| ())
                .ok_or_else(|| format!("unknown comparison '{op}' (use ==, !=, <, <=, >, >=)")),
            PredicateSpec::And { and: ps } | PredicateSpec::Or { or: ps } => {
                ps.iter().try_for_each(PredicateSpec::validate)
            }
            PredicateSpec::Not { not } => not.validate(),
            _ => Ok(()),
        }
    }
}

fn compare_op(s: &str) -> Option<CompareOp> {
    Some(match s {
        "==" | "=" | "eq" => CompareOp::Eq,
        "!=" | "ne" => CompareOp::Ne,
        "<" | "lt" => CompareOp::Lt,
        "<=" | "le" => CompareOp::Le,
        ">" | "gt" => CompareOp::Gt,
        ">=" | "ge" => CompareOp::Ge,
        _ => return None,
    })
}
