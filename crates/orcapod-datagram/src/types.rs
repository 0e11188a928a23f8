//! Logical value types and their two-way mapping to Arrow.
//!
//! orcapod schemas are *logical*: a column is an `Int` whether Arrow stores it as `int32` or
//! `int64`, exactly as orcapod-python's schemas are Python types. Logical types drive schema
//! identity (pipeline hashes) and validation; the physical Arrow type travels with the data.

use std::fmt;
use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field as ArrowField, TimeUnit};
use orcapod_hash::ContentHash;
use orcapod_hash::semantic::{SemanticHasher, generic_alias_identity, union_identity};

use crate::error::{DatagramError, Result};

/// Field-metadata key marking a large-string column as file paths (hashed by file content).
pub const EXTENSION_NAME_KEY: &str = "ARROW:extension:name";
/// Extension name of path-typed columns.
pub const PATH_EXTENSION_NAME: &str = "orcapod.path";

/// A logical column type.
///
/// ```
/// use orcapod_datagram::DataType;
/// let t = DataType::List(Box::new(DataType::Int));
/// assert_eq!(t.to_string(), "list[int]");
/// assert_eq!(DataType::from_arrow(&t.to_arrow(), None).unwrap(), t);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// Any integer (Arrow `int64` by default).
    Int,
    /// Any float (Arrow `float64` by default).
    Float,
    /// Boolean.
    Bool,
    /// UTF-8 text (Arrow `large_utf8`).
    Str,
    /// Raw bytes (Arrow `large_binary`, also `fixed_size_binary`).
    Bytes,
    /// A file path, identified by the *content* of the file (Arrow `large_utf8` tagged `orcapod.path`).
    Path,
    /// Calendar date (Arrow `date32`).
    Date,
    /// Instant in time (Arrow `timestamp[us, UTC]`).
    Timestamp,
    /// Homogeneous list (Arrow `large_list`, nullable elements).
    List(Box<DataType>),
    /// Record of named fields.
    Struct(Vec<Field>),
}

impl DataType {
    /// The type named by `name`, the inverse of [`Display`](fmt::Display) for every type
    /// but structs: `int`, `float`, `bool`, `str`, `bytes`, `path`, `date`, `datetime`,
    /// `list[T]` (spaces around `T` allowed). `None` for anything else.
    ///
    /// ```
    /// use orcapod_datagram::DataType;
    /// let t = DataType::parse_name("list[ list[int] ]").unwrap();
    /// assert_eq!(t.to_string(), "list[list[int]]");
    /// assert_eq!(DataType::parse_name("integer"), None);
    /// ```
    pub fn parse_name(name: &str) -> Option<DataType> {
        Some(match name.trim() {
            "int" => DataType::Int,
            "float" => DataType::Float,
            "bool" => DataType::Bool,
            "str" => DataType::Str,
            "bytes" => DataType::Bytes,
            "path" => DataType::Path,
            "date" => DataType::Date,
            "datetime" => DataType::Timestamp,
            list if list.starts_with("list[") && list.ends_with(']') => {
                DataType::List(Box::new(DataType::parse_name(&list[5..list.len() - 1])?))
            }
            _ => return None,
        })
    }

    /// The default Arrow type for this logical type.
    pub fn to_arrow(&self) -> ArrowType {
        match self {
            DataType::Int => ArrowType::Int64,
            DataType::Float => ArrowType::Float64,
            DataType::Bool => ArrowType::Boolean,
            DataType::Str | DataType::Path => ArrowType::LargeUtf8,
            DataType::Bytes => ArrowType::LargeBinary,
            DataType::Date => ArrowType::Date32,
            DataType::Timestamp => ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            DataType::List(inner) => {
                ArrowType::LargeList(Arc::new(inner.to_arrow_field("item", true)))
            }
            DataType::Struct(fields) => ArrowType::Struct(
                fields
                    .iter()
                    .map(|f| f.dtype.to_arrow_field(&f.name, f.nullable))
                    .collect(),
            ),
        }
    }

    /// An Arrow field of this type, carrying the path extension tag where needed.
    pub fn to_arrow_field(&self, name: &str, nullable: bool) -> ArrowField {
        let field = ArrowField::new(name, self.to_arrow(), nullable);
        if *self == DataType::Path {
            field.with_metadata(
                arrow_schema::Metadata::new().with(EXTENSION_NAME_KEY, PATH_EXTENSION_NAME),
            )
        } else {
            field
        }
    }

    /// The logical type of an Arrow type. `metadata` is the field metadata (for path tagging).
    pub fn from_arrow(t: &ArrowType, metadata: Option<&arrow_schema::Metadata>) -> Result<Self> {
        let is_path = metadata
            .and_then(|m| m.get(EXTENSION_NAME_KEY))
            .is_some_and(|v| v == PATH_EXTENSION_NAME);
        Ok(match t {
            ArrowType::Int8
            | ArrowType::Int16
            | ArrowType::Int32
            | ArrowType::Int64
            | ArrowType::UInt8
            | ArrowType::UInt16
            | ArrowType::UInt32
            | ArrowType::UInt64 => DataType::Int,
            ArrowType::Float16 | ArrowType::Float32 | ArrowType::Float64 => DataType::Float,
            ArrowType::Boolean => DataType::Bool,
            ArrowType::Utf8 | ArrowType::LargeUtf8 if is_path => DataType::Path,
            ArrowType::Utf8 | ArrowType::LargeUtf8 => DataType::Str,
            ArrowType::Binary | ArrowType::LargeBinary | ArrowType::FixedSizeBinary(_) => {
                DataType::Bytes
            }
            ArrowType::Date32 | ArrowType::Date64 => DataType::Date,
            ArrowType::Timestamp(_, _) => DataType::Timestamp,
            ArrowType::List(f) | ArrowType::LargeList(f) | ArrowType::FixedSizeList(f, _) => {
                DataType::List(Box::new(DataType::from_arrow(
                    f.data_type(),
                    Some(f.metadata()),
                )?))
            }
            ArrowType::Struct(fields) => DataType::Struct(
                fields
                    .iter()
                    .map(|f| Field::from_arrow(f))
                    .collect::<Result<Vec<_>>>()?,
            ),
            ArrowType::Dictionary(_, value) => DataType::from_arrow(value, metadata)?,
            other => {
                return Err(DatagramError::UnsupportedType {
                    column: String::new(),
                    data_type: other.to_string(),
                });
            }
        })
    }

    /// The semantic type token of this type, identical to orcapod-python's token for the
    /// corresponding Python type (`int` → `type:builtins.int`, `list[int]` → generic alias, ...).
    pub fn type_token(&self, hasher: &SemanticHasher) -> Result<ContentHash> {
        Ok(match self {
            DataType::Int => hasher.type_token("builtins", "int"),
            DataType::Float => hasher.type_token("builtins", "float"),
            DataType::Bool => hasher.type_token("builtins", "bool"),
            DataType::Str => hasher.type_token("builtins", "str"),
            DataType::Bytes => hasher.type_token("builtins", "bytes"),
            DataType::Path => hasher.type_token("pathlib", "Path"),
            DataType::Date => hasher.type_token("datetime", "date"),
            DataType::Timestamp => hasher.type_token("datetime", "datetime"),
            DataType::List(inner) => hasher.hash(&generic_alias_identity(
                hasher.type_token("builtins", "list"),
                vec![inner.type_token(hasher)?],
            ))?,
            // Python has no direct equivalent: a struct hashes as a typed record of its fields
            // (documented in docs/compatibility.md).
            DataType::Struct(fields) => {
                let schema = Schema::new(fields.clone());
                hasher.hash(&orcapod_hash::semantic::Identity::Tuple(vec![
                    orcapod_hash::semantic::Identity::Str("struct".into()),
                    schema.identity(hasher)?,
                ]))?
            }
        })
    }

    /// The token of this type as a field type, wrapping it in `T | None` when nullable.
    pub fn field_token(&self, nullable: bool, hasher: &SemanticHasher) -> Result<ContentHash> {
        let token = self.type_token(hasher)?;
        if nullable {
            let none = hasher.type_token("builtins", "NoneType");
            Ok(hasher.hash(&union_identity(vec![token, none]))?)
        } else {
            Ok(token)
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Int => f.write_str("int"),
            DataType::Float => f.write_str("float"),
            DataType::Bool => f.write_str("bool"),
            DataType::Str => f.write_str("str"),
            DataType::Bytes => f.write_str("bytes"),
            DataType::Path => f.write_str("path"),
            DataType::Date => f.write_str("date"),
            DataType::Timestamp => f.write_str("datetime"),
            DataType::List(inner) => write!(f, "list[{inner}]"),
            DataType::Struct(fields) => {
                f.write_str("struct{")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{field}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A named, typed, possibly nullable column.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    /// Column name.
    pub name: String,
    /// Logical type.
    pub dtype: DataType,
    /// Whether nulls are allowed (`T | None` in Python terms).
    pub nullable: bool,
}

impl Field {
    /// A non-nullable field.
    pub fn new(name: impl Into<String>, dtype: DataType) -> Self {
        Field {
            name: name.into(),
            dtype,
            nullable: false,
        }
    }

    /// A nullable field.
    pub fn nullable(name: impl Into<String>, dtype: DataType) -> Self {
        Field {
            name: name.into(),
            dtype,
            nullable: true,
        }
    }

    /// Convert from an Arrow field; the error names the column.
    pub fn from_arrow(f: &ArrowField) -> Result<Self> {
        let dtype =
            DataType::from_arrow(f.data_type(), Some(f.metadata())).map_err(|e| match e {
                DatagramError::UnsupportedType { data_type, .. } => {
                    DatagramError::UnsupportedType {
                        column: f.name().clone(),
                        data_type,
                    }
                }
                other => other,
            })?;
        Ok(Field {
            name: f.name().clone(),
            dtype,
            nullable: f.is_nullable(),
        })
    }

    /// The default Arrow field.
    pub fn to_arrow(&self) -> ArrowField {
        self.dtype.to_arrow_field(&self.name, self.nullable)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nullable {
            write!(f, "{}: {} | None", self.name, self.dtype)
        } else {
            write!(f, "{}: {}", self.name, self.dtype)
        }
    }
}

/// An ordered list of fields with unique names.
///
/// ```
/// use orcapod_datagram::{DataType, Field, Schema};
/// let s = Schema::new(vec![Field::new("id", DataType::Int), Field::nullable("x", DataType::Float)]);
/// assert_eq!(s.to_string(), "{id: int, x: float | None}");
/// assert!(s.get("x").unwrap().nullable);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schema {
    fields: Vec<Field>,
}

impl Schema {
    /// A schema from fields (order kept).
    pub fn new(fields: Vec<Field>) -> Self {
        Schema { fields }
    }

    /// The empty schema.
    pub fn empty() -> Self {
        Schema::default()
    }

    /// Fields in order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// Field names in order.
    pub fn names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// No fields?
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Look up a field by name.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Does the schema have a field called `name`?
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Append a field (the caller guarantees the name is new).
    pub fn push(&mut self, field: Field) {
        self.fields.push(field);
    }

    /// Convert from an Arrow schema.
    pub fn from_arrow(schema: &arrow_schema::Schema) -> Result<Self> {
        Ok(Schema {
            fields: schema
                .fields()
                .iter()
                .map(|f| Field::from_arrow(f))
                .collect::<Result<_>>()?,
        })
    }

    /// The default Arrow schema.
    pub fn to_arrow(&self) -> arrow_schema::Schema {
        arrow_schema::Schema::new(self.fields.iter().map(Field::to_arrow).collect::<Vec<_>>())
    }

    /// The identity structure of this schema: a map from field name to the field's type token,
    /// exactly as orcapod-python hashes a `Schema` mapping (optional-field markers ignored).
    pub fn identity(&self, hasher: &SemanticHasher) -> Result<orcapod_hash::semantic::Identity> {
        let mut entries = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            entries.push((
                f.name.clone(),
                orcapod_hash::semantic::Identity::Hash(f.dtype.field_token(f.nullable, hasher)?),
            ));
        }
        Ok(orcapod_hash::semantic::Identity::Map(entries))
    }

    /// Semantic hash of the schema (the output-schema hash of packet functions).
    pub fn hash(&self, hasher: &SemanticHasher) -> Result<ContentHash> {
        Ok(hasher.hash(&self.identity(hasher)?)?)
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{field}")?;
        }
        f.write_str("}")
    }
}

impl FromIterator<Field> for Schema {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> Self {
        Schema {
            fields: iter.into_iter().collect(),
        }
    }
}
