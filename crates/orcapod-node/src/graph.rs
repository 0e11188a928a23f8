//! The pipeline graph and its builder.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field as ArrowField, FieldRef};
use orcapod_cache::Store;
use orcapod_datagram::{Field, Source, StreamIdentity, StreamSchema, constants};
use orcapod_operator::{Join, Operator};

use crate::error::{NodeError, Result};
use crate::function_node::node_identity;
use crate::observer::NodeKind;
use crate::pod::PodLike;

/// A node of a pipeline (an index into its node list).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) usize);

impl NodeId {
    /// The position of the node in the pipeline (nodes are stored in topological order).
    pub fn index(self) -> usize {
        self.0
    }
}

/// What an operator node does with its store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheMode {
    /// Compute; store nothing (the default: operator results are never silently substituted).
    #[default]
    Off,
    /// Compute and record the output rows.
    Log,
    /// Skip computation and serve the recorded rows.
    Replay,
}

/// The element a node wraps.
#[derive(Clone)]
pub(crate) enum NodeSpec {
    Source {
        source: Source,
        cumulative: bool,
    },
    Operator {
        op: Arc<dyn Operator>,
        cache: CacheMode,
        spec: Option<crate::spec::OperatorSpec>,
    },
    /// A node that cannot run (loaded read-only without its data or function).
    Unavailable {
        kind: NodeKind,
        reason: String,
    },
    Function {
        pod: Arc<dyn PodLike>,
    },
}

impl NodeSpec {
    pub(crate) fn kind(&self) -> NodeKind {
        match self {
            NodeSpec::Source { .. } => NodeKind::Source,
            NodeSpec::Operator { .. } => NodeKind::Operator,
            NodeSpec::Function { .. } => NodeKind::Function,
            NodeSpec::Unavailable { kind, .. } => *kind,
        }
    }

    fn default_label(&self) -> String {
        match self {
            NodeSpec::Source { source, .. } => source
                .stream()
                .label()
                .map_or_else(|| source.kind().to_string(), str::to_string),
            NodeSpec::Operator { op, .. } => op.identity_name().to_string(),
            NodeSpec::Function { pod } => pod.label().to_string(),
            NodeSpec::Unavailable { kind, .. } => kind.to_string(),
        }
    }
}

/// One node: its element, inputs, identities and predicted output schema.
#[derive(Clone)]
pub(crate) struct NodeEntry {
    pub spec: NodeSpec,
    pub inputs: Vec<NodeId>,
    pub explicit_label: Option<String>,
    pub label: String,
    pub identity: StreamIdentity,
    pub schema: StreamSchema,
}

/// Builds a [`Pipeline`](crate::Pipeline): add sources, apply operators and function pods,
/// label nodes. Every addition validates its inputs and predicts its output schema and
/// identities, so mistakes surface before anything runs.
///
/// ```
/// use orcapod_datagram::{rows, Source, SourceOptions};
/// use orcapod_executor::{FunctionBuilder, FunctionPod};
/// use orcapod_node::{PipelineBuilder, RunConfig};
/// use orcapod_operator::Join;
///
/// let a = Source::from_rows(rows![{"id" => 1, "x" => 10}, {"id" => 2, "x" => 20}], SourceOptions::new(["id"]).source_id("A"))?;
/// let b = Source::from_rows(rows![{"id" => 1, "y" => 100}, {"id" => 3, "y" => 300}], SourceOptions::new(["id"]).source_id("B"))?;
/// let add = FunctionBuilder::new("add").input::<i64>("x").input::<i64>("y").output::<i64>("sum")
///     .build(|x: i64, y: i64| x + y);
///
/// let mut p = PipelineBuilder::new("demo");
/// let (a, b) = (p.source(a), p.source(b));
/// let joined = p.operator(Join::new(), &[a, b])?;
/// p.label(joined, "joined")?;
/// let sum = p.function(FunctionPod::new(add), &[joined])?;
/// let pipeline = p.build()?;
///
/// let report = pipeline.run(&RunConfig::new())?;
/// assert_eq!(report.output("add").unwrap().num_rows(), 1);
/// assert_eq!(report.stats("add").unwrap().computed, 1);
/// # let _ = sum;
/// # Ok::<(), orcapod_node::NodeError>(())
/// ```
#[derive(Clone)]
pub struct PipelineBuilder {
    pub(crate) name: Vec<String>,
    pub(crate) store: Option<Arc<dyn Store>>,
    pub(crate) nodes: Vec<NodeEntry>,
}

impl PipelineBuilder {
    /// A new, empty pipeline called `name` (use `/` to give a hierarchical name).
    pub fn new(name: &str) -> Self {
        PipelineBuilder {
            name: name.split('/').map(str::to_string).collect(),
            store: None,
            nodes: Vec::new(),
        }
    }

    /// Persist node results in `store`.
    pub fn store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// Set the store in place.
    pub fn set_store(&mut self, store: Arc<dyn Store>) {
        self.store = Some(store);
    }

    pub(crate) fn push(
        &mut self,
        spec: NodeSpec,
        inputs: Vec<NodeId>,
        identity: StreamIdentity,
        schema: StreamSchema,
    ) -> NodeId {
        let label = spec.default_label();
        self.nodes.push(NodeEntry {
            spec,
            inputs,
            explicit_label: None,
            label,
            identity,
            schema,
        });
        NodeId(self.nodes.len() - 1)
    }

    fn entry(&self, id: NodeId) -> Result<&NodeEntry> {
        self.nodes.get(id.0).ok_or_else(|| NodeError::UnknownNode {
            pipeline: self.name.join("/"),
            node: format!("#{}", id.0),
        })
    }

    /// Add a source. Adding the same source (same content hash) twice returns the existing node.
    pub fn source(&mut self, source: Source) -> NodeId {
        self.add_source(source, false)
    }

    /// Add a source whose store is cumulative: every run adds its rows (deduplicated by content)
    /// to the node's table, and the node serves everything stored so far.
    pub fn cumulative_source(&mut self, source: Source) -> NodeId {
        self.add_source(source, true)
    }

    fn add_source(&mut self, source: Source, cumulative: bool) -> NodeId {
        let identity = source.stream().identity().clone();
        if let Some(i) = self
            .nodes
            .iter()
            .position(|n| n.identity == identity && matches!(n.spec, NodeSpec::Source { .. }))
        {
            return NodeId(i);
        }
        let schema = source.stream().schema();
        self.push(
            NodeSpec::Source { source, cumulative },
            Vec::new(),
            identity,
            schema,
        )
    }

    /// Apply an operator to the outputs of `inputs`. Validates and predicts the output schema.
    pub fn operator(&mut self, op: impl Operator + 'static, inputs: &[NodeId]) -> Result<NodeId> {
        self.operator_with_cache(op, inputs, CacheMode::Off)
    }

    /// Apply an operator with a store mode (off, log, replay).
    pub fn operator_with_cache(
        &mut self,
        op: impl Operator + 'static,
        inputs: &[NodeId],
        cache: CacheMode,
    ) -> Result<NodeId> {
        self.add_operator(Arc::new(op), inputs, cache)
    }

    /// Apply an operator described by a serializable spec (saveable, including `Filter`).
    pub fn operator_spec(
        &mut self,
        spec: crate::spec::OperatorSpec,
        inputs: &[NodeId],
        cache: CacheMode,
    ) -> Result<NodeId> {
        if let crate::spec::OperatorSpec::Filter { predicate } = &spec {
            predicate
                .validate()
                .map_err(|reason| NodeError::InvalidInput {
                    node: "Filter".into(),
                    reason,
                })?;
        }
        let op = spec.build();
        self.add_operator_with_spec(op, inputs, cache, Some(spec))
    }

    pub(crate) fn add_operator(
        &mut self,
        op: Arc<dyn Operator>,
        inputs: &[NodeId],
        cache: CacheMode,
    ) -> Result<NodeId> {
        let spec = crate::spec::OperatorSpec::from_operator(op.as_ref());
        self.add_operator_with_spec(op, inputs, cache, spec)
    }

    fn add_operator_with_spec(
        &mut self,
        op: Arc<dyn Operator>,
        inputs: &[NodeId],
        cache: CacheMode,
        spec: Option<crate::spec::OperatorSpec>,
    ) -> Result<NodeId> {
        let schemas = inputs
            .iter()
            .map(|&i| Ok(self.entry(i)?.schema.clone()))
            .collect::<Result<Vec<_>>>()?;
        let identities: Vec<StreamIdentity> = inputs
            .iter()
            .map(|&i| Ok(self.entry(i)?.identity.clone()))
            .collect::<Result<_>>()?;
        let schema = op
            .output_schema(&schemas)
            .map_err(|e| NodeError::InvalidInput {
                node: op.identity_name().to_string(),
                reason: e.to_string(),
            })?;
        let identity = op.output_identity(&identities.iter().collect::<Vec<_>>())?;
        Ok(self.push(
            NodeSpec::Operator { op, cache, spec },
            inputs.to_vec(),
            identity,
            schema,
        ))
    }

    /// Apply a function pod to the outputs of `inputs` (several inputs are joined first, by an
    /// implicit `Join` node, as orcapod-python does). Validates the function's inputs against
    /// the predicted packet schema.
    pub fn function(&mut self, pod: impl PodLike + 'static, inputs: &[NodeId]) -> Result<NodeId> {
        self.add_function(Arc::new(pod), inputs)
    }

    pub(crate) fn add_function(
        &mut self,
        pod: Arc<dyn PodLike>,
        inputs: &[NodeId],
    ) -> Result<NodeId> {
        let input = match inputs {
            [] => {
                return Err(NodeError::InvalidInput {
                    node: pod.label().into(),
                    reason: "a function node needs at least one input".into(),
                });
            }
            [one] => *one,
            many => self.operator(Join::new(), many)?,
        };
        let upstream = self.entry(input)?.clone();
        let available: Vec<Field> = upstream
            .schema
            .packets
            .iter()
            .map(|f| Field::from_arrow(f))
            .collect::<Result<_, _>>()?;
        if let Some(info) = pod.info() {
            for expected in pod.input_schema().fields() {
                let found = available.iter().find(|f| f.name == expected.name);
                orcapod_executor::check_input_field(info, expected, found, &available).map_err(
                    |e| NodeError::InvalidInput {
                        node: pod.label().into(),
                        reason: e.to_string(),
                    },
                )?;
            }
        }
        let identity = node_identity(pod.as_ref(), &upstream.identity)?;
        let schema = function_schema(pod.as_ref(), &upstream.schema, &identity);
        Ok(self.push(NodeSpec::Function { pod }, vec![input], identity, schema))
    }

    /// Give a node an explicit label (duplicates are disambiguated at build time).
    pub fn label(&mut self, id: NodeId, label: impl Into<String>) -> Result<&mut Self> {
        let name = self.name.join("/");
        let node = self.nodes.get_mut(id.0).ok_or(NodeError::UnknownNode {
            pipeline: name,
            node: format!("#{}", id.0),
        })?;
        node.explicit_label = Some(label.into());
        Ok(self)
    }

    /// Finish: assign unique labels. Labels shared by several nodes become `{label}_1`,
    /// `{label}_2`, … in the order of the nodes' content hashes (deterministic, as in
    /// orcapod-python).
    pub fn build(mut self) -> Result<crate::Pipeline> {
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, n) in self.nodes.iter().enumerate() {
            let base = n
                .explicit_label
                .clone()
                .unwrap_or_else(|| n.spec.default_label());
            groups.entry(base).or_default().push(i);
        }
        for (base, mut members) in groups {
            if members.len() == 1 {
                self.nodes[members[0]].label = base;
                continue;
            }
            members.sort_by_key(|&i| (self.nodes[i].identity.content_hash.to_string(), i));
            for (k, i) in members.into_iter().enumerate() {
                self.nodes[i].label = format!("{base}_{}", k + 1);
            }
        }
        Ok(crate::Pipeline::from_builder(self))
    }
}

/// The predicted output schema of a function node: the input's tags (record ids as
/// `large_binary`, like pod output), the function's outputs and their source info.
fn function_schema(
    pod: &dyn PodLike,
    input: &StreamSchema,
    identity: &StreamIdentity,
) -> StreamSchema {
    let system_tags = input
        .system_tags
        .iter()
        .map(|f| match f.data_type() {
            ArrowType::FixedSizeBinary(_) => {
                FieldRef::new(f.as_ref().clone().with_data_type(ArrowType::LargeBinary))
            }
            _ => f.clone(),
        })
        .collect();
    StreamSchema {
        tags: input.tags.clone(),
        system_tags,
        packets: pod
            .output_schema()
            .fields()
            .iter()
            .map(|f| FieldRef::new(f.to_arrow()))
            .collect(),
        source_info: pod
            .output_schema()
            .fields()
            .iter()
            .map(|f| {
                FieldRef::new(ArrowField::new(
                    constants::source_info_column(&f.name),
                    ArrowType::LargeUtf8,
                    true,
                ))
            })
            .collect(),
        meta: Vec::new(),
        pipeline_hash: identity.pipeline_hash.clone(),
    }
}
