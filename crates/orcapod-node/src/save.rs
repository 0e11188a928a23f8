//! Saving pipelines to JSON and loading them back.
//!
//! A saved pipeline holds its structure (nodes and edges), node labels and identities, operator
//! specs, source descriptions, function uris and the store configuration. Loading needs a
//! [`Registry`] that maps function uris to Rust functions (and in-memory sources by id): Rust
//! closures cannot be serialised. A missing function either fails the load with an error
//! naming it ([`LoadMode::Full`]), or becomes a stand-in that serves the node's stored results
//! ([`LoadMode::ReadOnly`]).
//!
//! The format is versioned ([`SAVE_FORMAT_VERSION`]); a file from a newer version is refused.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use orcapod_cache::{StoreConfig, open_store};
use orcapod_datagram::{DataType, Field, Schema, Source, SourceOptions, SourceOrigin, Stream};
use orcapod_executor::{
    CommandPacketFunction, DynExecutor, ExecutorOptions, FunctionInfo, FunctionPod,
    FunctionPodStream, FunctionUri,
};
use orcapod_hash::ContentHash;
use serde::{Deserialize, Serialize};

use crate::error::{NodeError, Result};
use crate::graph::{CacheMode, NodeEntry, NodeId, NodeSpec, PipelineBuilder};
use crate::observer::NodeKind;
use crate::pipeline::Pipeline;
use crate::pod::PodLike;
use crate::spec::OperatorSpec;

/// Version of the saved-pipeline format written by this build.
pub const SAVE_FORMAT_VERSION: u32 = 1;
const FORMAT_NAME: &str = "orcapod-rs-pipeline";

#[derive(Serialize, Deserialize)]
struct SavedPipeline {
    format: String,
    version: u32,
    name: String,
    #[serde(default)]
    store: Option<StoreConfig>,
    nodes: Vec<SavedNode>,
}

#[derive(Serialize, Deserialize)]
struct SavedNode {
    label: String,
    kind: NodeKind,
    inputs: Vec<usize>,
    content_hash: String,
    pipeline_hash: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<SavedSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    operator: Option<OperatorSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache_mode: Option<CacheMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    function: Option<SavedFunction>,
}

#[derive(Serialize, Deserialize)]
struct SavedSource {
    kind: String,
    source_id: String,
    tag_columns: Vec<String>,
    #[serde(default)]
    record_id_column: Option<String>,
    #[serde(default)]
    cumulative: bool,
    origin: SavedOrigin,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum SavedOrigin {
    InMemory,
    File {
        path: String,
    },
    Directory {
        path: String,
        pattern: Option<String>,
        extension: Option<String>,
    },
}

#[derive(Serialize, Deserialize)]
struct SavedFunction {
    uri: Vec<String>,
    label: String,
    inputs: Vec<(String, String, bool)>,
    outputs: Vec<(String, String, bool)>,
    /// A command function's portable spec: with it, the function is rebuilt without a
    /// registry entry (and the pipeline can be exported as a declarative pipeline file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<serde_json::Value>,
}

/// How to treat functions and sources a load cannot rebuild.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadMode {
    /// Every function must be in the registry and every source rebuildable.
    #[default]
    Full,
    /// Missing functions serve their stored results only; missing sources become unavailable.
    ReadOnly,
}

/// Maps function uris to functions (and source ids to in-memory sources) for loading.
#[derive(Default, Clone)]
pub struct Registry {
    functions: BTreeMap<String, Arc<dyn PodLike>>,
    sources: BTreeMap<String, Source>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }
    /// Register a function pod under its uri.
    pub fn function(mut self, pod: impl PodLike + 'static) -> Self {
        self.functions.insert(pod.uri().to_string(), Arc::new(pod));
        self
    }
    /// Register an in-memory source under its source id.
    pub fn source(mut self, source: Source) -> Self {
        self.sources.insert(source.source_id().to_string(), source);
        self
    }
    /// Look a function up by uri string.
    pub fn get_function(&self, uri: &str) -> Option<&Arc<dyn PodLike>> {
        self.functions.get(uri)
    }
}

fn type_name(f: &Field) -> (String, String, bool) {
    (f.name.clone(), f.dtype.to_string(), f.nullable)
}

impl Pipeline {
    /// The pipeline as JSON text (see the module docs for what is saved).
    pub fn to_json(&self) -> Result<String> {
        let mut nodes = Vec::with_capacity(self.nodes.len());
        for n in &self.nodes {
            let mut saved = SavedNode {
                label: n.label.clone(),
                kind: n.spec.kind(),
                inputs: n.inputs.iter().map(|i| i.index()).collect(),
                content_hash: n.identity.content_hash.to_string(),
                pipeline_hash: n.identity.pipeline_hash.to_string(),
                source: None,
                operator: None,
                cache_mode: None,
                function: None,
            };
            match &n.spec {
                NodeSpec::Source { source, cumulative } => {
                    let origin = match source.origin() {
                        SourceOrigin::Csv(p) | SourceOrigin::Parquet(p) | SourceOrigin::Ipc(p) => {
                            SavedOrigin::File {
                                path: p.display().to_string(),
                            }
                        }
                        SourceOrigin::Directory {
                            path,
                            pattern,
                            extension,
                        } => SavedOrigin::Directory {
                            path: path.display().to_string(),
                            pattern: pattern.clone(),
                            extension: extension.clone(),
                        },
                        _ => SavedOrigin::InMemory,
                    };
                    saved.source = Some(SavedSource {
                        kind: source.kind().to_string(),
                        source_id: source.source_id().to_string(),
                        tag_columns: source.stream().tag_columns().to_vec(),
                        record_id_column: source.record_id_column().map(str::to_string),
                        cumulative: *cumulative,
                        origin,
                    });
                }
                NodeSpec::Operator { op, cache, spec } => {
                    let spec = spec.clone().ok_or_else(|| NodeError::Load(format!(
                        "node '{}': operator {} has no serializable spec (add it with PipelineBuilder::operator_spec)",
                        n.label,
                        op.identity_name()
                    )))?;
                    saved.operator = Some(spec);
                    saved.cache_mode = Some(*cache);
                }
                NodeSpec::Function { pod } => {
                    saved.function = Some(SavedFunction {
                        uri: pod.uri().to_vec(),
                        label: pod.label().to_string(),
                        inputs: pod.input_schema().fields().iter().map(type_name).collect(),
                        outputs: pod.output_schema().fields().iter().map(type_name).collect(),
                        command: pod.portable_spec(),
                    });
                }
                NodeSpec::Unavailable { reason, .. } => {
                    return Err(NodeError::Load(format!(
                        "node '{}' is unavailable ({reason}) and cannot be saved",
                        n.label
                    )));
                }
            }
            nodes.push(saved);
        }
        let doc = SavedPipeline {
            format: FORMAT_NAME.into(),
            version: SAVE_FORMAT_VERSION,
            name: self.name(),
            store: self.store.as_ref().map(|s| s.to_config()),
            nodes,
        };
        serde_json::to_string_pretty(&doc).map_err(|e| NodeError::Load(e.to_string()))
    }

    /// Save to a JSON file (written atomically: temp file, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |source| NodeError::Io {
            path: path.display().to_string(),
            source,
        };
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, self.to_json()?).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Load a saved pipeline. The store is reopened from the saved configuration unless
    /// `store` is given. Every rebuilt node must have the identity it was saved with.
    pub fn load(
        path: &Path,
        registry: &Registry,
        mode: LoadMode,
        store: Option<Arc<dyn orcapod_cache::Store>>,
    ) -> Result<Pipeline> {
        let text = std::fs::read_to_string(path).map_err(|source| NodeError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Pipeline::from_json(&text, registry, mode, store)
    }

    /// Load from JSON text (see [`Pipeline::load`]).
    pub fn from_json(
        text: &str,
        registry: &Registry,
        mode: LoadMode,
        store: Option<Arc<dyn orcapod_cache::Store>>,
    ) -> Result<Pipeline> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| NodeError::Load(format!("not JSON: {e}")))?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if value.get("format").and_then(serde_json::Value::as_str) != Some(FORMAT_NAME) {
            return Err(NodeError::Load(format!(
                "not an orcapod-rs pipeline file (missing \"format\": \"{FORMAT_NAME}\")"
            )));
        }
        if version > u64::from(SAVE_FORMAT_VERSION) {
            return Err(NodeError::Load(format!(
                "pipeline file format version {version} is newer than this build supports ({SAVE_FORMAT_VERSION}); upgrade orcapod-rs"
            )));
        }
        let doc: SavedPipeline =
            serde_json::from_value(value).map_err(|e| NodeError::Load(e.to_string()))?;
        let mut b = PipelineBuilder::new(&doc.name);
        let store = match (store, &doc.store) {
            (Some(s), _) => Some(s),
            (None, Some(cfg)) => Some(open_store(cfg)?),
            (None, None) => None,
        };
        if let Some(s) = store {
            b.set_store(s);
        }
        for (i, n) in doc.nodes.iter().enumerate() {
            let inputs: Vec<NodeId> = n.inputs.iter().map(|&k| NodeId(k)).collect();
            if n.inputs.iter().any(|&k| k >= i) {
                return Err(NodeError::Load(format!(
                    "node '{}' has an input that is not an earlier node",
                    n.label
                )));
            }
            let unavailable_input = inputs
                .iter()
                .any(|id| matches!(b.nodes[id.0].spec, NodeSpec::Unavailable { .. }));
            let id = match (&n.source, &n.operator, &n.function) {
                (Some(s), _, _) => match rebuild_source(s, registry) {
                    Ok(source) if s.cumulative => b.cumulative_source(source),
                    Ok(source) => b.source(source),
                    Err(reason) if mode == LoadMode::ReadOnly => {
                        unavailable(&mut b, n, NodeKind::Source, reason, inputs)?
                    }
                    Err(reason) => {
                        return Err(NodeError::Load(format!("source '{}': {reason}", n.label)));
                    }
                },
                (_, Some(spec), _) if unavailable_input => {
                    let _ = spec;
                    unavailable(
                        &mut b,
                        n,
                        NodeKind::Operator,
                        "an input is unavailable".into(),
                        inputs,
                    )?
                }
                (_, Some(spec), _) => {
                    b.operator_spec(spec.clone(), &inputs, n.cache_mode.unwrap_or_default())?
                }
                (_, _, Some(f)) => {
                    let uri = f.uri.join(":");
                    // A command function needs no registry entry: its saved spec rebuilds it.
                    let rebuilt: Option<Arc<dyn PodLike>> =
                        match (registry.get_function(&uri), &f.command) {
                            (None, Some(spec)) => CommandPacketFunction::from_spec(spec)
                                .ok()
                                .map(|c| Arc::new(FunctionPod::new(c)) as Arc<dyn PodLike>),
                            _ => None,
                        };
                    match registry.get_function(&uri).or(rebuilt.as_ref()) {
                        Some(pod) if !unavailable_input => b.add_function(pod.clone(), &inputs)?,
                        found => {
                            if mode != LoadMode::ReadOnly {
                                let why = if found.is_some() {
                                    "an input is unavailable"
                                } else {
                                    "it is not in the registry"
                                };
                                return Err(NodeError::Load(format!(
                                    "function '{}' (uri {uri}): {why}",
                                    f.label
                                )));
                            }
                            stored_function(&mut b, n, f, inputs)?
                        }
                    }
                }
                _ => {
                    return Err(NodeError::Load(format!(
                        "node '{}' has no source, operator or function",
                        n.label
                    )));
                }
            };
            let entry = &b.nodes[id.0];
            if entry.identity.content_hash.to_string() != n.content_hash
                || entry.identity.pipeline_hash.to_string() != n.pipeline_hash
            {
                return Err(NodeError::Load(format!(
                    "node '{}' rebuilt with a different identity (saved content {}, rebuilt {}): its function, operator or source changed",
                    n.label, n.content_hash, entry.identity.content_hash
                )));
            }
            b.label(id, n.label.clone())?;
        }
        b.build()
    }
}

fn rebuild_source(s: &SavedSource, registry: &Registry) -> std::result::Result<Source, String> {
    let mut options = SourceOptions::new(s.tag_columns.clone()).source_id(s.source_id.clone());
    if let Some(r) = &s.record_id_column {
        options = options.record_id_column(r.clone());
    }
    match &s.origin {
        SavedOrigin::InMemory => registry
            .sources
            .get(&s.source_id)
            .cloned()
            .ok_or_else(|| format!("in-memory source '{}' is not in the registry", s.source_id)),
        SavedOrigin::File { path } => Source::from_file(path, options).map_err(|e| e.to_string()),
        SavedOrigin::Directory {
            path,
            pattern: Some(p),
            ..
        } => Source::from_directory_pattern(path, p, options).map_err(|e| e.to_string()),
        SavedOrigin::Directory {
            path, extension, ..
        } => Source::from_directory(path, extension.as_deref(), options).map_err(|e| e.to_string()),
    }
}

fn saved_identity(n: &SavedNode) -> Result<orcapod_datagram::StreamIdentity> {
    let parse = |s: &str| {
        s.parse::<ContentHash>()
            .map_err(|e| NodeError::Load(format!("node '{}': {e}", n.label)))
    };
    Ok(orcapod_datagram::StreamIdentity {
        content_hash: parse(&n.content_hash)?,
        pipeline_hash: parse(&n.pipeline_hash)?,
    })
}

fn unavailable(
    b: &mut PipelineBuilder,
    n: &SavedNode,
    kind: NodeKind,
    reason: String,
    inputs: Vec<NodeId>,
) -> Result<NodeId> {
    let identity = saved_identity(n)?;
    let schema = orcapod_datagram::StreamSchema {
        tags: Vec::new(),
        system_tags: Vec::new(),
        packets: Vec::new(),
        source_info: Vec::new(),
        meta: Vec::new(),
        pipeline_hash: identity.pipeline_hash.clone(),
    };
    Ok(b.push(
        NodeSpec::Unavailable { kind, reason },
        inputs,
        identity,
        schema,
    ))
}

/// A function node whose function is not available: it serves what the store has for it.
fn stored_function(
    b: &mut PipelineBuilder,
    n: &SavedNode,
    f: &SavedFunction,
    inputs: Vec<NodeId>,
) -> Result<NodeId> {
    let schema = |fields: &[(String, String, bool)]| -> Result<Schema> {
        fields
            .iter()
            .map(|(name, t, nullable)| {
                let dtype = DataType::parse_name(t).ok_or_else(|| {
                    NodeError::Load(format!("function '{}': unknown type '{t}'", f.label))
                })?;
                Ok(Field {
                    name: name.clone(),
                    dtype,
                    nullable: *nullable,
                })
            })
            .collect()
    };
    let [name, hash, version, type_id] = f.uri.as_slice() else {
        return Err(NodeError::Load(format!(
            "function '{}': a uri has four parts",
            f.label
        )));
    };
    let uri =
        FunctionUri::from_components(name.clone(), hash.clone(), version.clone(), type_id.clone());
    let hasher = orcapod_hash::DataContext::default_context().semantic_hasher();
    let content = hasher.hash(&uri.identity())?;
    let pod = StoredPod {
        uri,
        content,
        label: f.label.clone(),
        input: schema(&f.inputs)?,
        output: schema(&f.outputs)?,
    };
    let identity = saved_identity(n)?;
    let upstream = inputs.first().map(|i| b.nodes[i.0].clone());
    let schema = match upstream {
        Some(NodeEntry { schema, .. }) => orcapod_datagram::StreamSchema {
            packets: pod
                .output
                .fields()
                .iter()
                .map(|f| Arc::new(f.to_arrow()))
                .collect(),
            pipeline_hash: identity.pipeline_hash.clone(),
            ..schema
        },
        None => {
            return Err(NodeError::Load(format!(
                "function '{}' has no input",
                f.label
            )));
        }
    };
    Ok(b.push(
        NodeSpec::Function { pod: Arc::new(pod) },
        inputs,
        identity,
        schema,
    ))
}

/// Stand-in for a function that is not in the registry.
#[derive(Debug)]
struct StoredPod {
    uri: FunctionUri,
    content: ContentHash,
    label: String,
    input: Schema,
    output: Schema,
}

impl PodLike for StoredPod {
    fn uri(&self) -> &FunctionUri {
        &self.uri
    }
    fn content_hash(&self) -> &ContentHash {
        &self.content
    }
    fn pipeline_hash(&self) -> &ContentHash {
        &self.content
    }
    fn label(&self) -> &str {
        &self.label
    }
    fn info(&self) -> Option<&FunctionInfo> {
        None
    }
    fn input_schema(&self) -> &Schema {
        &self.input
    }
    fn output_schema(&self) -> &Schema {
        &self.output
    }
    fn executor_type_id(&self) -> &str {
        "unavailable"
    }
    fn process(&self, _input: &Stream) -> orcapod_executor::Result<FunctionPodStream> {
        Err(orcapod_executor::ExecutorError::InvalidFunction {
            function: self.label.clone(),
            reason: "the function is not in the registry (pipeline loaded read-only); only stored results are served".into(),
        })
    }
    fn with_executor(
        &self,
        _e: &dyn DynExecutor,
        _o: &ExecutorOptions,
    ) -> orcapod_executor::Result<Arc<dyn PodLike>> {
        Ok(Arc::new(StoredPod {
            uri: self.uri.clone(),
            content: self.content.clone(),
            label: self.label.clone(),
            input: self.input.clone(),
            output: self.output.clone(),
        }))
    }
    fn with_options(&self, o: &ExecutorOptions) -> orcapod_executor::Result<Arc<dyn PodLike>> {
        self.with_executor(&orcapod_executor::LocalExecutor, o)
    }
}
