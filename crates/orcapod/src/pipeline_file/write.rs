//! Writing declarations back as a pipeline file (what `orcapod export` and
//! [`export::save_toml`](super::export::save_toml) produce). Reading the written text gives
//! the same nodes with the same identities.

use std::path::Path;

use orcapod_cache::StoreConfig;
use orcapod_node::{CacheMode, ErrorPolicy, LiteralSpec, OperatorSpec, PredicateSpec, RunMode};
use toml::{Table, Value};

use super::model::{
    ColumnDecl, ExecutorDecl, FORMAT_NAME, FORMAT_VERSION, NodeKindDecl, OriginDecl, PipelineDecl,
    StoreDecl,
};

impl PipelineDecl {
    /// The declarations as pipeline-file text. Paths under `base` (the directory the file will
    /// live in) are written relative to it, so the file and its data can move together.
    ///
    /// ```
    /// use orcapod::pipeline_file::PipelineFile;
    /// # let dir = tempfile::tempdir()?;
    /// std::fs::write(dir.path().join("a.csv"), "id,x\n1,2\n")?;
    /// let path = dir.path().join("p.toml");
    /// let text = "format = \"orcapod-pipeline\"\nversion = 1\nname = \"p\"\n[sources.a]\nfile = \"a.csv\"\ntags = [\"id\"]\n";
    /// let decl = PipelineFile::parse(text, &path)?.decl();
    /// let written = decl.to_toml(Some(dir.path()));
    /// assert!(written.contains("file = \"a.csv\""));
    /// assert_eq!(PipelineFile::parse(&written, &path)?.decl().nodes.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_toml(&self, base: Option<&Path>) -> String {
        let path = |p: &Path| -> Value {
            let rel = base.and_then(|b| p.strip_prefix(b).ok()).unwrap_or(p);
            let text = rel.to_string_lossy();
            Value::String(if text.is_empty() {
                ".".into()
            } else {
                text.into_owned()
            })
        };
        let mut doc = Table::new();
        doc.insert("format".into(), FORMAT_NAME.into());
        doc.insert("version".into(), i64::from(FORMAT_VERSION).into());
        doc.insert("name".into(), self.name.clone().into());
        let mut store = Table::new();
        match &self.store {
            StoreDecl::None => {
                store.insert("type".into(), "none".into());
            }
            StoreDecl::Store(StoreConfig::InMemory) => {
                store.insert("type".into(), "in_memory".into());
            }
            StoreDecl::Store(StoreConfig::Rocksdb { path: p, options }) => {
                store.insert("type".into(), "rocksdb".into());
                store.insert("path".into(), path(p));
                if options.sync_writes {
                    store.insert("sync_writes".into(), true.into());
                }
            }
        }
        doc.insert("store".into(), store.into());
        doc.insert("run".into(), self.run_table(&path).into());

        let (mut sources, mut operators, mut functions) =
            (Table::new(), Table::new(), Table::new());
        for n in &self.nodes {
            let mut t = Table::new();
            if !n.from.is_empty() {
                let from: Vec<Value> = n.from.iter().map(|(l, _)| l.clone().into()).collect();
                t.insert(
                    "from".into(),
                    if from.len() == 1 {
                        from[0].clone()
                    } else {
                        from.into()
                    },
                );
            }
            match &n.kind {
                NodeKindDecl::Source(s) => {
                    match &s.origin {
                        OriginDecl::File(p) => {
                            t.insert("file".into(), path(p));
                        }
                        OriginDecl::Directory {
                            path: p,
                            pattern,
                            extension,
                        } => {
                            t.insert("directory".into(), path(p));
                            if let Some(x) = pattern {
                                t.insert("pattern".into(), x.clone().into());
                            }
                            if let Some(x) = extension {
                                t.insert("extension".into(), x.clone().into());
                            }
                        }
                    }
                    // File sources need `tags` even when empty (found by fuzzing: an empty
                    // list used to be dropped, and the written file was then rejected).
                    if !s.tags.is_empty() || matches!(s.origin, OriginDecl::File(_)) {
                        t.insert("tags".into(), strings(&s.tags));
                    }
                    if s.source_id != n.label {
                        t.insert("source_id".into(), s.source_id.clone().into());
                    }
                    if let Some(r) = &s.record_id_column {
                        t.insert("record_id_column".into(), r.clone().into());
                    }
                    if s.cumulative {
                        t.insert("cumulative".into(), true.into());
                    }
                    sources.insert(n.label.clone(), t.into());
                }
                NodeKindDecl::Operator(op) => {
                    operator(&op.spec, &mut t);
                    if op.cache != CacheMode::Off {
                        let mode = if op.cache == CacheMode::Log {
                            "log"
                        } else {
                            "replay"
                        };
                        t.insert("cache".into(), mode.into());
                    }
                    operators.insert(n.label.clone(), t.into());
                }
                NodeKindDecl::Function(f) => {
                    if f.name != n.label {
                        t.insert("name".into(), f.name.clone().into());
                    }
                    t.insert("program".into(), f.program.clone().into());
                    t.insert("args".into(), strings(&f.args));
                    if !f.env.is_empty() {
                        let env: Table = f
                            .env
                            .iter()
                            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                            .collect();
                        t.insert("env".into(), env.into());
                    }
                    if let Some(v) = &f.version {
                        t.insert("version".into(), v.clone().into());
                        if f.pin_version {
                            t.insert("pin_version".into(), true.into());
                        }
                    }
                    if let Some(d) = &f.working_dir {
                        t.insert("working_dir".into(), path(d));
                    }
                    t.insert("inputs".into(), columns(&f.inputs).into());
                    t.insert("outputs".into(), columns(&f.outputs).into());
                    functions.insert(n.label.clone(), t.into());
                }
            }
        }
        for (key, t) in [
            ("sources", sources),
            ("operators", operators),
            ("functions", functions),
        ] {
            if !t.is_empty() {
                doc.insert(key.into(), t.into());
            }
        }
        let body =
            toml::to_string_pretty(&doc).unwrap_or_else(|e| format!("# cannot write: {e}\n"));
        format!(
            "# orcapod pipeline file (docs/pipeline-format.md); run with `orcapod run FILE`.\n{body}"
        )
    }

    fn run_table(&self, path: &dyn Fn(&Path) -> Value) -> Table {
        let r = &self.run;
        let mut t = Table::new();
        t.insert(
            "mode".into(),
            (if r.mode == RunMode::Async {
                "async"
            } else {
                "sync"
            })
            .into(),
        );
        let policy = if r.error_policy == ErrorPolicy::FailFast {
            "fail_fast"
        } else {
            "continue"
        };
        t.insert("error_policy".into(), policy.into());
        for (k, v) in [
            ("max_concurrency", r.max_concurrency),
            ("channel_capacity", r.channel_capacity),
            ("chunk_rows", r.chunk_rows),
        ] {
            if let Some(n) = v {
                t.insert(k.into(), (n as i64).into());
            }
        }
        let mut e = Table::new();
        match &r.executor {
            ExecutorDecl::Local => {
                e.insert("type".into(), "local".into());
            }
            ExecutorDecl::ThreadPool { threads } => {
                e.insert("type".into(), "thread_pool".into());
                e.insert("threads".into(), (*threads as i64).into());
            }
            ExecutorDecl::Slurm { work_dir, options } => {
                e.insert("type".into(), "slurm".into());
                e.insert("work_dir".into(), path(work_dir));
                e.extend(
                    options
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.clone()))),
                );
            }
            ExecutorDecl::Ray {
                address,
                work_dir,
                options,
            } => {
                e.insert("type".into(), "ray".into());
                e.insert("address".into(), address.clone().into());
                e.insert("work_dir".into(), path(work_dir));
                e.extend(
                    options
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.clone()))),
                );
            }
        }
        t.insert("executor".into(), e.into());
        let opts = |o: &[(String, String)]| -> Table {
            o.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                .collect()
        };
        if !r.executor_options.is_empty() {
            t.insert("executor_options".into(), opts(&r.executor_options).into());
        }
        if !r.nodes.is_empty() {
            let mut nodes = Table::new();
            for n in &r.nodes {
                let mut nt = Table::new();
                if let Some(c) = n.concurrency {
                    nt.insert("concurrency".into(), (c as i64).into());
                }
                if !n.executor_options.is_empty() {
                    nt.insert("executor_options".into(), opts(&n.executor_options).into());
                }
                nodes.insert(n.label.clone(), nt.into());
            }
            t.insert("nodes".into(), nodes.into());
        }
        t
    }
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().map(|s| Value::from(s.clone())).collect())
}

fn columns(cols: &[ColumnDecl]) -> Table {
    cols.iter()
        .map(|c| {
            let ty = format!("{}{}", c.dtype, if c.nullable { "?" } else { "" });
            (c.name.clone(), Value::from(ty))
        })
        .collect()
}

fn operator(spec: &OperatorSpec, t: &mut Table) {
    let (ty, extra): (&str, Vec<(&str, Value)>) = match spec {
        OperatorSpec::Join => ("join", vec![]),
        OperatorSpec::MergeJoin => ("merge_join", vec![]),
        OperatorSpec::SemiJoin => ("semi_join", vec![]),
        OperatorSpec::Batch { size, drop_partial } => (
            "batch",
            vec![
                ("size", (*size as i64).into()),
                ("drop_partial", (*drop_partial).into()),
            ],
        ),
        OperatorSpec::SelectTags { columns, strict } => (
            "select_tags",
            vec![("columns", strings(columns)), ("strict", (*strict).into())],
        ),
        OperatorSpec::SelectPackets { columns, strict } => (
            "select_packets",
            vec![("columns", strings(columns)), ("strict", (*strict).into())],
        ),
        OperatorSpec::DropTags { columns, strict } => (
            "drop_tags",
            vec![("columns", strings(columns)), ("strict", (*strict).into())],
        ),
        OperatorSpec::DropPackets { columns, strict } => (
            "drop_packets",
            vec![("columns", strings(columns)), ("strict", (*strict).into())],
        ),
        OperatorSpec::MapTags { map, drop_unmapped } => (
            "map_tags",
            vec![
                ("map", string_map(map)),
                ("drop_unmapped", (*drop_unmapped).into()),
            ],
        ),
        OperatorSpec::MapPackets { map, drop_unmapped } => (
            "map_packets",
            vec![
                ("map", string_map(map)),
                ("drop_unmapped", (*drop_unmapped).into()),
            ],
        ),
        OperatorSpec::Filter { predicate: p } => ("filter", vec![("predicate", predicate(p))]),
    };
    // `type` first: it says how to read the rest.
    let rest = std::mem::take(t);
    t.insert("type".into(), ty.into());
    t.extend(rest);
    for (k, v) in extra {
        t.insert(k.into(), v);
    }
}

fn string_map(map: &std::collections::BTreeMap<String, String>) -> Value {
    Value::Table(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::from(v.clone())))
            .collect(),
    )
}

fn literal(l: &LiteralSpec) -> Value {
    match l {
        LiteralSpec::Bool(b) => (*b).into(),
        LiteralSpec::Int(i) => (*i).into(),
        LiteralSpec::Float(f) => (*f).into(),
        LiteralSpec::Str(s) => s.clone().into(),
    }
}

fn predicate(p: &PredicateSpec) -> Value {
    let mut t = Table::new();
    match p {
        PredicateSpec::Compare { column, op, value } => {
            t.insert("column".into(), column.clone().into());
            t.insert("op".into(), op.clone().into());
            t.insert("value".into(), literal(value));
        }
        PredicateSpec::In { column, values } => {
            t.insert("column".into(), column.clone().into());
            t.insert(
                "in".into(),
                Value::Array(values.iter().map(literal).collect()),
            );
        }
        PredicateSpec::IsNull { is_null } => {
            t.insert("is_null".into(), is_null.clone().into());
        }
        PredicateSpec::NotNull { not_null } => {
            t.insert("not_null".into(), not_null.clone().into());
        }
        PredicateSpec::And { and } => {
            t.insert(
                "and".into(),
                Value::Array(and.iter().map(predicate).collect()),
            );
        }
        PredicateSpec::Or { or } => {
            t.insert(
                "or".into(),
                Value::Array(or.iter().map(predicate).collect()),
            );
        }
        PredicateSpec::Not { not } => {
            t.insert("not".into(), predicate(not));
        }
    }
    Value::Table(t)
}
