//! Structural operators for orcapod streams.
//!
//! Operators restructure [`Stream`](orcapod_datagram::Stream)s without creating new values and
//! keep provenance exact: system tags (`_tag_source_id::…`, `_tag_record_id::…`) and source-info
//! columns (`_source_<col>`) travel with every row.
//!
//! | operator | inputs | identity (orcapod-python 0.1.4) |
//! |---|---|---|
//! | [`Join`] | ≥ 1, commutative | `"Join"` |
//! | [`MergeJoin`] | 2, commutative | `"MergeJoin"` |
//! | [`SemiJoin`] | 2, ordered | `"SemiJoin"` |
//! | [`Batch`] | 1 | `("Batch", size, drop_partial)` |
//! | [`SelectTagColumns`] / [`DropTagColumns`] | 1 | `(name, [cols], strict)` |
//! | [`SelectPacketColumns`] / [`DropPacketColumns`] | 1 | `("SelectDataColumns" / "DropDataColumns", [cols], strict)` |
//! | [`MapTags`] / [`MapPackets`] | 1 | `("MapTags" / "MapData", {old: new}, drop_unmapped)` |
//! | [`Filter`] | 1 | `("Filter", predicate)` |
//! | [`Pick`] / [`Index`] | 1 | `("Pick", column, key, out)` / `("Index", column, i, out)` |
//!
//! Every operator implements [`Operator`]: identity and hashes, arity and argument symmetry,
//! schema prediction ([`Operator::output_schema`], exact for every column role) and computation
//! ([`Operator::process`]). Output stream identities are computed like orcapod-python's
//! `DynamicPodStream`, so hashes agree across languages.
//!
//! ```
//! use orcapod_datagram::{rows, Source, SourceOptions};
//! use orcapod_operator::{Batch, Filter, Join, MapPackets, Operator, Predicate};
//!
//! let a = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}],
//!     SourceOptions::new(["id"]).source_id("A"))?;
//! let b = Source::from_rows(rows![{"id" => 1, "y" => 100}, {"id" => 2, "y" => 300}],
//!     SourceOptions::new(["id"]).source_id("B"))?;
//! let joined = Join::new().process(&[a.stream().clone(), b.stream().clone()])?;
//! let big = Filter::new(Predicate::gt("y", 200)).process(&[joined])?;
//! let renamed = MapPackets::new([("y", "z")]).process(&[big])?;
//! let batched = Batch::new(0, false).process(&[renamed])?;
//! assert_eq!(batched.num_rows(), 1);
//! assert_eq!(batched.packet_columns(), ["z", "x"]);
//! # Ok::<(), orcapod_operator::OperatorError>(())
//! ```
//!
//! # Differences from orcapod-python 0.1.4
//!
//! Rows, types, column names, system-tag names and values and all hashes match the 0.1.4
//! fixtures. Deliberate differences:
//!
//! * **Row order** of joins is deterministic: left (accumulated) rows in order, then matches in
//!   right order (Python's follows Polars and is unspecified).
//! * **MergeJoin** lays columns out in canonical input order (Python: argument order) and breaks
//!   ties between equal values by source token, so that `MergeJoin(A, B)` and `MergeJoin(B, A)`,
//!   which have the same identity, also have the same data. List items keep the input's Arrow
//!   type (`list<large_string>` for strings); record-id system tags stay
//!   `fixed_size_binary[16]` (Python's Polars round trip turns them into `large_binary`).
//! * **MapTags** with `drop_unmapped` drops unmapped tags even when no mapped tag is present
//!   (Python returns the input unchanged there while predicting the drop); predicted schemas
//!   always keep system tags (spec quirk fixed).
//! * **Type compatibility** of shared columns is "same logical type and nullability"
//!   (`int` vs `bool` is an error here; Python accepts it through `issubclass`).
//! * A name that is a tag in one join input and a packet in another is an error
//!   ([`OperatorError::TagPacketConflict`]); Python silently suffixes it.
//! * Removing every packet column (select/drop/map with `drop_unmapped`) is an
//!   [`OperatorError::NoPacketColumns`] at validation time, not a late stream error.
//! * [`Filter`] replaces `PolarsFilter` with a hashable predicate AST (quirk 3 fixed).
//! * [`Pick`] projects struct fields (Arrow maps are not part of the type model); [`Index`] on
//!   list-valued provenance (after [`Batch`]) returns the element's own token instead of
//!   appending `[i]`.

mod batch;
mod columns;
mod error;
mod filter;
mod hash_join;
mod join;
mod join_plan;
mod map;
mod merge_join;
mod operator;
mod pick_index;
mod provenance;
mod semi_join;
mod util;
pub mod workload;

pub use batch::Batch;
pub use columns::{DropPacketColumns, DropTagColumns, SelectPacketColumns, SelectTagColumns};
pub use error::{ColumnKind, OperatorError, Result};
pub use filter::{CompareOp, Filter, Predicate};
pub use join::Join;
pub use map::{MapPackets, MapTags};
pub use merge_join::MergeJoin;
pub use operator::{ArgumentSymmetry, Arity, Operator};
pub use pick_index::{Index, Pick};
pub use provenance::JoinOptions;
pub use semi_join::SemiJoin;
