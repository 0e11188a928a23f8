//! Operator tables and Filter predicates. They become `orcapod-node`'s serialisable
//! [`OperatorSpec`] and [`PredicateSpec`], the same descriptions the JSON save format uses, so
//! an operator means the same thing (and has the same identity) in both formats.

use std::collections::BTreeMap;
use std::ops::Range;

use orcapod_node::{CacheMode, LiteralSpec, OperatorSpec, PredicateSpec};
use toml::de::{DeTable, DeValue};

use super::diag::{Diags, suggest};
use super::model::OperatorDecl;
use super::tree::{self, Val};

/// Operator types, their own keys, and how many inputs they take (`None`: at least one).
const TYPES: &[(&str, &[&str], Option<usize>)] = &[
    ("join", &[], None),
    ("merge_join", &[], Some(2)),
    ("semi_join", &[], Some(2)),
    ("batch", &["size", "drop_partial"], Some(1)),
    ("select_tags", &["columns", "strict"], Some(1)),
    ("select_packets", &["columns", "strict"], Some(1)),
    ("drop_tags", &["columns", "strict"], Some(1)),
    ("drop_packets", &["columns", "strict"], Some(1)),
    ("map_tags", &["map", "drop_unmapped"], Some(1)),
    ("map_packets", &["map", "drop_unmapped"], Some(1)),
    ("filter", &["predicate"], Some(1)),
];

const COMMON: &[&str] = &["type", "from", "cache"];

/// Read an operator table (`n_inputs`: how many labels its `from` names).
pub(crate) fn operator(
    t: &DeTable<'_>,
    ctx: &str,
    span: Range<usize>,
    n_inputs: usize,
    diags: &mut Diags,
) -> Option<OperatorDecl> {
    let names = || TYPES.iter().map(|(n, _, _)| *n);
    let Some(ty) = tree::get(t, "type") else {
        tree::check_keys(t, &all_keys(), ctx, diags);
        diags.at(
            span,
            format!(
                "{ctx} needs 'type' (one of: {})",
                names().collect::<Vec<_>>().join(", ")
            ),
        );
        return None;
    };
    let type_span = ty.value.span();
    let Some(name) = tree::string(ty.value, &format!("'type' of {ctx}"), diags) else {
        tree::check_keys(t, &all_keys(), ctx, diags);
        return None;
    };
    let Some(&(_, own, arity)) = TYPES.iter().find(|(n, _, _)| *n == name) else {
        tree::check_keys(t, &all_keys(), ctx, diags);
        diags.at(
            type_span,
            format!(
                "unknown operator type '{name}' (one of: {}){}",
                names().collect::<Vec<_>>().join(", "),
                suggest(&name, names())
            ),
        );
        return None;
    };
    let allowed: Vec<&str> = COMMON.iter().chain(own.iter()).copied().collect();
    tree::check_keys(t, &allowed, &format!("{ctx} (type '{name}')"), diags);
    if n_inputs > 0 {
        let ok = arity.is_none_or(|n| n == n_inputs);
        if !ok {
            let at = tree::get(t, "from").map_or(span.clone(), |e| e.value.span());
            diags.at(
                at,
                format!(
                    "{ctx}: a '{name}' takes {} input(s), 'from' names {n_inputs}",
                    arity.unwrap_or(1)
                ),
            );
        }
    }
    let before = diags.len();
    let cache = match tree::get(t, "cache") {
        None => CacheMode::Off,
        Some(e) => match tree::string(e.value, &format!("'cache' of {ctx}"), diags).as_deref() {
            Some("off") => CacheMode::Off,
            Some("log") => CacheMode::Log,
            Some("replay") => CacheMode::Replay,
            Some(other) => {
                diags.at(
                    e.value.span(),
                    format!("{ctx}: unknown cache mode '{other}' (off, log or replay)"),
                );
                CacheMode::Off
            }
            None => CacheMode::Off,
        },
    };
    let flag = |key: &str, default: bool, diags: &mut Diags| {
        tree::get(t, key)
            .and_then(|e| tree::boolean(e.value, &format!("'{key}' of {ctx}"), diags))
            .unwrap_or(default)
    };
    let required = |key: &str, diags: &mut Diags| {
        let e = tree::get(t, key);
        if e.is_none() {
            diags.at(span.clone(), format!("{ctx} (type '{name}') needs '{key}'"));
        }
        e
    };
    let columns = |diags: &mut Diags| -> Option<Vec<String>> {
        let e = required("columns", diags)?;
        let list = tree::strings(e.value, &format!("'columns' of {ctx}"), diags)?;
        Some(list.into_iter().map(|(c, _)| c).collect())
    };
    let map = |diags: &mut Diags| -> Option<BTreeMap<String, String>> {
        let e = required("map", diags)?;
        let pairs = tree::string_map(e.value, &format!("'map' of {ctx}"), diags)?;
        Some(pairs.into_iter().map(|(k, _, v, _)| (k, v)).collect())
    };
    let mut error_span = type_span;
    let spec = match name.as_str() {
        "join" => Some(OperatorSpec::Join),
        "merge_join" => Some(OperatorSpec::MergeJoin),
        "semi_join" => Some(OperatorSpec::SemiJoin),
        "batch" => required("size", diags)
            .and_then(|e| tree::count(e.value, &format!("'size' of {ctx}"), 0, diags))
            .map(|size| OperatorSpec::Batch {
                size,
                drop_partial: flag("drop_partial", false, diags),
            }),
        "select_tags" | "select_packets" | "drop_tags" | "drop_packets" => {
            columns(diags).map(|columns| {
                let strict = flag("strict", true, diags);
                match name.as_str() {
                    "select_tags" => OperatorSpec::SelectTags { columns, strict },
                    "select_packets" => OperatorSpec::SelectPackets { columns, strict },
                    "drop_tags" => OperatorSpec::DropTags { columns, strict },
                    _ => OperatorSpec::DropPackets { columns, strict },
                }
            })
        }
        "map_tags" | "map_packets" => map(diags).map(|map| {
            let drop_unmapped = flag("drop_unmapped", false, diags);
            if name == "map_tags" {
                OperatorSpec::MapTags { map, drop_unmapped }
            } else {
                OperatorSpec::MapPackets { map, drop_unmapped }
            }
        }),
        _ => required("predicate", diags).and_then(|e| {
            error_span = e.value.span();
            predicate(e.value, &format!("the predicate of {ctx}"), diags)
                .map(|predicate| OperatorSpec::Filter { predicate })
        }),
    };
    if diags.len() != before {
        return None;
    }
    spec.map(|spec| OperatorDecl {
        spec,
        cache,
        error_span,
    })
}

fn all_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = COMMON.to_vec();
    for (_, own, _) in TYPES {
        for k in *own {
            if !keys.contains(k) {
                keys.push(k);
            }
        }
    }
    keys
}

const COMPARE: &[&str] = &[
    "==", "!=", "<", "<=", ">", ">=", "=", "eq", "ne", "lt", "le", "gt", "ge",
];

/// A predicate table: `{column, op, value}`, `{column, in}`, `{is_null}`, `{not_null}`,
/// `{and = [..]}`, `{or = [..]}` or `{not = {..}}`.
pub(crate) fn predicate(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<PredicateSpec> {
    let t = tree::table(v, what, diags)?;
    let has = |k: &str| tree::get(t, k).is_some();
    let shapes = "{column, op, value}, {column, in = [..]}, {is_null = \"col\"}, {not_null = \"col\"}, {and = [..]}, {or = [..]} or {not = {..}}";
    let column = |diags: &mut Diags| {
        tree::get(t, "column")
            .and_then(|e| tree::string(e.value, &format!("'column' in {what}"), diags))
    };
    if has("op") || has("value") {
        tree::check_keys(t, &["column", "op", "value"], what, diags);
        let (Some(op), Some(value)) = (tree::get(t, "op"), tree::get(t, "value")) else {
            diags.at(
                v.span(),
                format!("{what}: a comparison needs 'column', 'op' and 'value'"),
            );
            return None;
        };
        let col = column(diags);
        if !has("column") {
            diags.at(v.span(), format!("{what}: a comparison needs 'column'"));
        }
        let op_text = tree::string(op.value, &format!("'op' in {what}"), diags)?;
        if !COMPARE.contains(&op_text.as_str()) {
            diags.at(
                op.value.span(),
                format!("{what}: unknown comparison '{op_text}' (use ==, !=, <, <=, >, >=)"),
            );
            return None;
        }
        let value = literal(value.value, &format!("'value' in {what}"), diags)?;
        return Some(PredicateSpec::Compare {
            column: col?,
            op: op_text,
            value,
        });
    }
    if has("in") {
        tree::check_keys(t, &["column", "in"], what, diags);
        let col = column(diags);
        if !has("column") {
            diags.at(v.span(), format!("{what}: 'in' needs 'column'"));
        }
        let e = tree::get(t, "in")?;
        let DeValue::Array(items) = e.value.get_ref() else {
            diags.at(
                e.value.span(),
                format!("'in' in {what} must be an array of values"),
            );
            return None;
        };
        let values: Vec<Option<LiteralSpec>> = items
            .iter()
            .map(|i| literal(i, &format!("an element of 'in' in {what}"), diags))
            .collect();
        return Some(PredicateSpec::In {
            column: col?,
            values: values.into_iter().collect::<Option<_>>()?,
        });
    }
    for (key, build) in [("is_null", true), ("not_null", false)] {
        if let Some(e) = tree::get(t, key) {
            tree::check_keys(t, &[key], what, diags);
            let c = tree::string(e.value, &format!("'{key}' in {what}"), diags)?;
            return Some(if build {
                PredicateSpec::IsNull { is_null: c }
            } else {
                PredicateSpec::NotNull { not_null: c }
            });
        }
    }
    for key in ["and", "or"] {
        if let Some(e) = tree::get(t, key) {
            tree::check_keys(t, &[key], what, diags);
            let DeValue::Array(items) = e.value.get_ref() else {
                diags.at(
                    e.value.span(),
                    format!("'{key}' in {what} must be an array of predicates"),
                );
                return None;
            };
            if items.is_empty() {
                diags.at(e.value.span(), format!("'{key}' in {what} is empty"));
                return None;
            }
            let parts: Vec<Option<PredicateSpec>> = items
                .iter()
                .map(|i| predicate(i, &format!("a part of '{key}' in {what}"), diags))
                .collect();
            let parts: Vec<PredicateSpec> = parts.into_iter().collect::<Option<_>>()?;
            return Some(if key == "and" {
                PredicateSpec::And { and: parts }
            } else {
                PredicateSpec::Or { or: parts }
            });
        }
    }
    if let Some(e) = tree::get(t, "not") {
        tree::check_keys(t, &["not"], what, diags);
        let inner = predicate(e.value, &format!("'not' in {what}"), diags)?;
        return Some(PredicateSpec::Not {
            not: Box::new(inner),
        });
    }
    tree::check_keys(
        t,
        &[
            "column", "op", "value", "in", "is_null", "not_null", "and", "or", "not",
        ],
        what,
        diags,
    );
    diags.at(
        v.span(),
        format!("{what} must have one of the shapes {shapes}"),
    );
    None
}

fn literal(v: &Val<'_>, what: &str, diags: &mut Diags) -> Option<LiteralSpec> {
    match v.get_ref() {
        DeValue::Boolean(b) => Some(LiteralSpec::Bool(*b)),
        DeValue::Integer(_) => tree::integer(v, what, diags).map(LiteralSpec::Int),
        DeValue::Float(_) => tree::float(v, what, diags).map(LiteralSpec::Float),
        DeValue::String(s) => Some(LiteralSpec::Str(s.to_string())),
        other => {
            diags.at(
                v.span(),
                format!(
                    "{what} must be a string, number or boolean, found {}",
                    tree::type_name(other)
                ),
            );
            None
        }
    }
}
