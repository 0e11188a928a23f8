//! A third-party executor written against the public API only.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{column_values, int_source};
use orcapod_datagram::{DataType, Value};
use orcapod_executor::{
    BatchOutput, BlockingKind, CommandPacketFunction, DynExecutor, ExecutionData, Executor,
    ExecutorError, ExecutorOptions, FunctionBuilder, FunctionPod, InputBatch, PacketFunction,
    Result,
};

/// Runs a batch in fixed-size pieces, last piece first (to prove reassembly keeps order),
/// counting the pieces. Only supports in-process Rust functions.
#[derive(Clone, Debug)]
struct BackwardsExecutor {
    piece: usize,
    pieces_run: Arc<AtomicUsize>,
}

impl DynExecutor for BackwardsExecutor {
    fn executor_type_id(&self) -> &str {
        "backwards.v0"
    }

    fn supported_function_type_ids(&self) -> Vec<String> {
        vec!["rust.function.v0".to_string()]
    }

    fn execution_data(&self) -> ExecutionData {
        ExecutionData::new(self.executor_type_id()).with("piece", self.piece)
    }

    fn execute(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<BatchOutput> {
        let ranges = input.split(input.num_rows().div_ceil(self.piece));
        let mut outputs: Vec<(usize, BatchOutput)> = Vec::new();
        for r in ranges.into_iter().rev() {
            self.pieces_run.fetch_add(1, Ordering::SeqCst);
            outputs.push((
                r.start,
                function.call_batch(&input.slice(r.start, r.len()))?,
            ));
        }
        outputs.sort_by_key(|(start, _)| *start);
        BatchOutput::concat(outputs.into_iter().map(|(_, o)| o).collect())
    }

    fn with_options(&self, options: &ExecutorOptions) -> Result<Self> {
        options.check_known(self.executor_type_id(), &["piece"])?;
        Ok(BackwardsExecutor {
            piece: options.parse("piece")?.unwrap_or(self.piece),
            pieces_run: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn with_options_dyn(&self, options: &ExecutorOptions) -> Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(self.with_options(options)?))
    }
}

impl Executor<BlockingKind> for BackwardsExecutor {}

#[test]
fn custom_executor_runs_typed_functions_in_order() {
    let exec = BackwardsExecutor {
        piece: 3,
        pieces_run: Arc::default(),
    };
    let f = FunctionBuilder::new("square")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x * x);
    let pod = FunctionPod::new(f)
        .with_max_chunk_rows(10)
        .with_executor(exec.clone());
    let stream = pod.process(&[int_source(25)]).unwrap();
    let out = stream.materialize().unwrap();
    assert_eq!(
        column_values(&out, "y"),
        (0..25).map(|x| Value::Int(x * x)).collect::<Vec<_>>()
    );
    assert!(exec.pieces_run.load(Ordering::SeqCst) > 5);
    assert_eq!(stream.execution_data().executor_info["piece"], "3");

    let wider = exec
        .with_options(&ExecutorOptions::new().set("piece", 5))
        .unwrap();
    assert_eq!((exec.piece, wider.piece), (3, 5));
}

#[test]
fn custom_executor_is_checked_on_the_dynamic_path() {
    let exec: Arc<dyn DynExecutor> = Arc::new(BackwardsExecutor {
        piece: 2,
        pieces_run: Arc::default(),
    });
    let command = CommandPacketFunction::builder("echo", "echo")
        .input("x", DataType::Int)
        .build()
        .unwrap();
    assert!(matches!(
        FunctionPod::new(command).with_dyn_executor(exec.clone()),
        Err(ExecutorError::UnsupportedExecutor { executor, .. }) if executor == "backwards.v0"
    ));
    let f = FunctionBuilder::new("neg")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| -x);
    let out = FunctionPod::new(f)
        .with_dyn_executor(exec)
        .unwrap()
        .process(&[int_source(4)])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "y"), [0, -1, -2, -3].map(Value::Int));
}

/// Records the size of every batch it is given; asks pods for batches of at least `min`.
#[derive(Clone, Debug)]
struct RecordingExecutor {
    min: usize,
    sizes: Arc<std::sync::Mutex<Vec<usize>>>,
}

impl DynExecutor for RecordingExecutor {
    fn executor_type_id(&self) -> &str {
        "recording.v0"
    }

    fn preferred_min_batch_rows(&self) -> usize {
        self.min
    }

    fn execute(&self, function: &dyn PacketFunction, input: &InputBatch) -> Result<BatchOutput> {
        self.sizes.lock().unwrap().push(input.num_rows());
        function.call_batch(input)
    }

    fn with_options(&self, _options: &ExecutorOptions) -> Result<Self> {
        Ok(self.clone())
    }

    fn with_options_dyn(&self, options: &ExecutorOptions) -> Result<Arc<dyn DynExecutor>> {
        Ok(Arc::new(self.with_options(options)?))
    }
}

impl Executor<BlockingKind> for RecordingExecutor {}

#[test]
fn pods_start_their_chunks_at_the_executors_preferred_batch_size() {
    let f = FunctionBuilder::new("inc")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x + 1);
    for (min, expected) in [
        (1, vec![1, 2, 4, 8, 10]),
        (8, vec![8, 16, 1]),
        (usize::MAX, vec![20, 5]),
    ] {
        let exec = RecordingExecutor {
            min,
            sizes: Arc::default(),
        };
        let out = FunctionPod::new(f.clone())
            .with_max_chunk_rows(20)
            .with_executor(exec.clone())
            .process(&[int_source(25)])
            .unwrap()
            .materialize()
            .unwrap();
        assert_eq!(out.num_rows(), 25);
        assert_eq!(*exec.sizes.lock().unwrap(), expected, "min {min}");
    }
}
