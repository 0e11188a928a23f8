//! The hashable predicate AST of [`Filter`](crate::Filter).

use std::fmt;

use orcapod_datagram::{DataType, Field, StreamSchema, Value};
use orcapod_hash::semantic::Identity;

use crate::error::{OperatorError, Result};

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CompareOp {
    /// The operator symbol (also its identity token).
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

/// A row predicate over tag, packet and system-tag columns.
///
/// Evaluation uses SQL three-valued logic: a comparison involving a null is unknown, `And`/`Or`
/// follow Kleene logic, `Not(unknown)` is unknown, and rows whose predicate is unknown are
/// dropped. Build predicates with the constructors and combine them with `&`, `|` and `!`:
///
/// ```
/// use orcapod_operator::Predicate;
/// let p = Predicate::gt("x", 10) & !Predicate::is_null("name") | Predicate::is_in("id", [1, 2]);
/// assert_eq!(p.to_string(), "((x > 10 AND NOT (name IS NULL)) OR id IN (1, 2))");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    /// `column <op> literal`.
    Compare {
        /// Column name.
        column: String,
        /// Comparison.
        op: CompareOp,
        /// Non-null literal of the column's type (an int literal also matches a float column).
        literal: Value,
    },
    /// The column is null.
    IsNull(String),
    /// The column is not null.
    IsNotNull(String),
    /// The column equals one of the (non-null) values.
    In {
        /// Column name.
        column: String,
        /// Candidate values.
        values: Vec<Value>,
    },
    /// All hold (empty: true).
    And(Vec<Predicate>),
    /// Any holds (empty: false).
    Or(Vec<Predicate>),
    /// Negation.
    Not(Box<Predicate>),
}

macro_rules! comparisons {
    ($($fn:ident => $op:ident, $doc:literal;)*) => {
        $(
            #[doc = $doc]
            pub fn $fn(column: impl Into<String>, literal: impl Into<Value>) -> Predicate {
                Predicate::Compare { column: column.into(), op: CompareOp::$op, literal: literal.into() }
            }
        )*
    };
}

impl Predicate {
    comparisons! {
        eq => Eq, "`column == literal`";
        ne => Ne, "`column != literal`";
        lt => Lt, "`column < literal`";
        le => Le, "`column <= literal`";
        gt => Gt, "`column > literal`";
        ge => Ge, "`column >= literal`";
    }

    /// `column IS NULL`
    pub fn is_null(column: impl Into<String>) -> Predicate {
        Predicate::IsNull(column.into())
    }

    /// `column IS NOT NULL`
    pub fn is_not_null(column: impl Into<String>) -> Predicate {
        Predicate::IsNotNull(column.into())
    }

    /// `column IN (values...)`
    pub fn is_in<V: Into<Value>>(
        column: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Predicate {
        Predicate::In {
            column: column.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }

    /// The canonical identity structure. `And`, `Or` and `In` are order-insensitive (sets), so
    /// logically identical predicates written in another order hash alike.
    pub fn identity(&self) -> Identity {
        match self {
            Predicate::Compare {
                column,
                op,
                literal,
            } => Identity::tuple([
                Identity::str("compare"),
                Identity::str(column.as_str()),
                Identity::str(op.symbol()),
                value_identity(literal),
            ]),
            Predicate::IsNull(c) => {
                Identity::tuple([Identity::str("is_null"), Identity::str(c.as_str())])
            }
            Predicate::IsNotNull(c) => {
                Identity::tuple([Identity::str("is_not_null"), Identity::str(c.as_str())])
            }
            Predicate::In { column, values } => Identity::tuple([
                Identity::str("in"),
                Identity::str(column.as_str()),
                Identity::set(values.iter().map(value_identity)),
            ]),
            Predicate::And(ps) => Identity::tuple([
                Identity::str("and"),
                Identity::set(ps.iter().map(Predicate::identity)),
            ]),
            Predicate::Or(ps) => Identity::tuple([
                Identity::str("or"),
                Identity::set(ps.iter().map(Predicate::identity)),
            ]),
            Predicate::Not(p) => Identity::tuple([Identity::str("not"), p.identity()]),
        }
    }

    /// Check every column exists (user tags, packets or system tags) and every literal fits its
    /// column's type.
    pub fn validate(&self, schema: &StreamSchema) -> Result<()> {
        match self {
            Predicate::Compare {
                column, literal, ..
            } => check_literal(schema, column, literal),
            Predicate::IsNull(c) | Predicate::IsNotNull(c) => lookup(schema, c).map(|_| ()),
            Predicate::In { column, values } => {
                lookup(schema, column)?;
                values
                    .iter()
                    .try_for_each(|v| check_literal(schema, column, v))
            }
            Predicate::And(ps) | Predicate::Or(ps) => {
                ps.iter().try_for_each(|p| p.validate(schema))
            }
            Predicate::Not(p) => p.validate(schema),
        }
    }
}

/// The logical field of a filterable column.
pub(crate) fn lookup(schema: &StreamSchema, column: &str) -> Result<Field> {
    let f = schema
        .tags
        .iter()
        .chain(&schema.packets)
        .chain(&schema.system_tags)
        .find(|f| f.name() == column)
        .ok_or_else(|| OperatorError::UnknownColumn {
            column: column.to_string(),
            available: schema
                .tags
                .iter()
                .chain(&schema.packets)
                .chain(&schema.system_tags)
                .map(|f| f.name().clone())
                .collect(),
        })?;
    Ok(Field::from_arrow(f)?)
}

fn check_literal(schema: &StreamSchema, column: &str, literal: &Value) -> Result<()> {
    let field = lookup(schema, column)?;
    let reason = match (&field.dtype, literal) {
        (_, Value::Null) => Some("null literal; use IsNull / IsNotNull"),
        (_, Value::Float(f)) if !f.is_finite() => {
            Some("NaN and infinite literals cannot be hashed")
        }
        (DataType::Int, Value::Int(_))
        | (DataType::Float, Value::Float(_) | Value::Int(_))
        | (DataType::Bool, Value::Bool(_))
        | (DataType::Str, Value::Str(_))
        | (DataType::Path, Value::Path(_) | Value::Str(_))
        | (DataType::Bytes, Value::Bytes(_))
        | (DataType::Date, Value::Date(_))
        | (DataType::Timestamp, Value::Timestamp(_)) => None,
        (DataType::List(_) | DataType::Struct(_), _) => {
            Some("comparisons on list and struct columns are not supported; use IsNull / IsNotNull")
        }
        _ => Some("literal type does not match the column type"),
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(OperatorError::FilterTypeMismatch {
            column: column.to_string(),
            column_type: field.dtype.to_string(),
            literal: format!("{literal:?}"),
            reason: reason.to_string(),
        }),
    }
}

/// Identity of a literal: primitives as themselves, other kinds tagged with their type.
pub(crate) fn value_identity(v: &Value) -> Identity {
    match v {
        Value::Null => Identity::Null,
        Value::Bool(b) => Identity::Bool(*b),
        Value::Int(i) => Identity::Int(*i),
        Value::Float(f) => Identity::Float(*f),
        Value::Str(s) => Identity::str(s.as_str()),
        Value::Bytes(b) => Identity::Bytes(b.clone()),
        Value::Path(p) => Identity::tuple([
            Identity::str("path"),
            Identity::str(p.to_string_lossy().to_string()),
        ]),
        Value::Date(d) => Identity::tuple([Identity::str("date"), Identity::Int(i64::from(*d))]),
        Value::Timestamp(t) => Identity::tuple([Identity::str("datetime"), Identity::Int(*t)]),
        Value::List(items) => Identity::list(items.iter().map(value_identity)),
        Value::Struct(fields) => {
            Identity::map(fields.iter().map(|(k, v)| (k.clone(), value_identity(v))))
        }
    }
}

fn literal(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("'{s}'"),
        other => other.to_string(),
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, ps: &[Predicate], sep: &str, empty: &str| {
            if ps.is_empty() {
                return f.write_str(empty);
            }
            f.write_str("(")?;
            for (i, p) in ps.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                write!(f, "{p}")?;
            }
            f.write_str(")")
        };
        match self {
            Predicate::Compare {
                column,
                op,
                literal: l,
            } => write!(f, "{column} {} {}", op.symbol(), literal(l)),
            Predicate::IsNull(c) => write!(f, "{c} IS NULL"),
            Predicate::IsNotNull(c) => write!(f, "{c} IS NOT NULL"),
            Predicate::In { column, values } => {
                let vs: Vec<String> = values.iter().map(literal).collect();
                write!(f, "{column} IN ({})", vs.join(", "))
            }
            Predicate::And(ps) => join(f, ps, " AND ", "TRUE"),
            Predicate::Or(ps) => join(f, ps, " OR ", "FALSE"),
            Predicate::Not(p) => write!(f, "NOT ({p})"),
        }
    }
}

impl std::ops::BitAnd for Predicate {
    type Output = Predicate;
    fn bitand(self, rhs: Predicate) -> Predicate {
        match self {
            Predicate::And(mut ps) => {
                ps.push(rhs);
                Predicate::And(ps)
            }
            lhs => Predicate::And(vec![lhs, rhs]),
        }
    }
}

impl std::ops::BitOr for Predicate {
    type Output = Predicate;
    fn bitor(self, rhs: Predicate) -> Predicate {
        match self {
            Predicate::Or(mut ps) => {
                ps.push(rhs);
                Predicate::Or(ps)
            }
            lhs => Predicate::Or(vec![lhs, rhs]),
        }
    }
}

impl std::ops::Not for Predicate {
    type Output = Predicate;
    fn not(self) -> Predicate {
        Predicate::Not(Box::new(self))
    }
}
