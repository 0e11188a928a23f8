//! Executors: immutability, compatibility checks, thread-pool order, async concurrency.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use common::{column_values, float_source, int_source};
use orcapod_datagram::{ColumnConfig, DataType, Value};
use orcapod_executor::{
    AsyncExecutor, CommandPacketFunction, DynExecutor, ExecutorError, ExecutorOptions,
    FunctionBuilder, FunctionPod, LocalExecutor, PacketFunction, ThreadPoolExecutor,
};

#[test]
fn with_options_returns_a_new_executor_and_leaves_the_original_untouched() {
    let pool = ThreadPoolExecutor::new(2).unwrap();
    let bigger = pool
        .with_options(
            &ExecutorOptions::new()
                .set("threads", 3)
                .set("tasks_per_thread", 1),
        )
        .unwrap();
    assert_eq!((pool.threads(), pool.tasks_per_thread()), (2, 4));
    assert_eq!((bigger.threads(), bigger.tasks_per_thread()), (3, 1));
    assert_eq!(pool.execution_data().executor_info["threads"], "2");
    assert_eq!(bigger.execution_data().executor_info["threads"], "3");

    let exec = AsyncExecutor::new(4);
    let wider = exec
        .with_options(&ExecutorOptions::new().set("max_in_flight", 16))
        .unwrap();
    assert_eq!((exec.max_in_flight(), wider.max_in_flight()), (4, 16));

    let dynamic: Arc<dyn DynExecutor> = Arc::new(pool.clone());
    let changed = dynamic
        .with_options_dyn(&ExecutorOptions::new().set("threads", 1))
        .unwrap();
    assert_eq!(changed.execution_data().executor_info["threads"], "1");
    assert_eq!(dynamic.execution_data().executor_info["threads"], "2");

    assert!(matches!(
        pool.with_options(&ExecutorOptions::new().set("thread", 3)),
        Err(ExecutorError::InvalidOption { option, .. }) if option == "thread"
    ));
    assert!(matches!(
        pool.with_options(&ExecutorOptions::new().set("threads", 0)),
        Err(ExecutorError::InvalidOption { .. })
    ));
    assert!(matches!(
        pool.with_options(&ExecutorOptions::new().set("threads", "many")),
        Err(ExecutorError::InvalidOption { .. })
    ));
    assert_eq!(
        LocalExecutor
            .with_options(&ExecutorOptions::new().set("anything", 1))
            .unwrap(),
        LocalExecutor
    );
}

#[test]
fn incompatible_executor_is_rejected_on_the_dynamic_path() {
    // Case 34: the executor's supported type ids exclude the function's.
    let blocking = FunctionBuilder::new("scale")
        .input::<f64>("x")
        .output::<f64>("y")
        .build(|x: f64| 2.0 * x);
    match FunctionPod::new(blocking.clone()).with_dyn_executor(Arc::new(AsyncExecutor::new(2))) {
        Err(ExecutorError::UnsupportedExecutor {
            executor,
            function_type,
            supported,
        }) => {
            assert_eq!(executor, "async");
            assert_eq!(function_type, "rust.function.v0");
            assert_eq!(supported, "rust.async_function.v0");
        }
        Err(other) => panic!("wrong error {other}"),
        Ok(_) => panic!("an async-only executor must reject a blocking function"),
    }
    let command = CommandPacketFunction::builder("c", "true")
        .input("x", DataType::Int)
        .build()
        .unwrap();
    assert!(
        FunctionPod::new(command)
            .with_dyn_executor(Arc::new(AsyncExecutor::new(2)))
            .is_err()
    );
    // Type-erased functions: only checked assignment, and it accepts supporting executors.
    let erased: Arc<dyn PacketFunction> = Arc::new(blocking);
    let pod = FunctionPod::new(erased.clone())
        .with_dyn_executor(Arc::new(ThreadPoolExecutor::new(2).unwrap()))
        .unwrap();
    let out = pod
        .process(&[float_source(3)])
        .unwrap()
        .materialize()
        .unwrap();
    assert_eq!(column_values(&out, "y"), [0.0, 2.0, 4.0].map(Value::Float));
    assert!(
        FunctionPod::new(erased)
            .with_dyn_executor(Arc::new(AsyncExecutor::new(1)))
            .is_err()
    );
}

#[test]
fn thread_pool_gives_the_same_rows_in_the_same_order_as_local() {
    let f = FunctionBuilder::new("mix")
        .input::<i64>("x")
        .output::<i64>("y")
        .output::<String>("s")
        .build(|x: i64| match x % 7 {
            0 => Ok(None),
            3 => Err(format!("bad {x}")),
            _ => Ok(Some((x * x, format!("v{x}")))),
        });
    let input = int_source(20_000);
    let local = FunctionPod::new(f.clone())
        .with_max_chunk_rows(4096)
        .process(std::slice::from_ref(&input))
        .unwrap();
    let pooled = FunctionPod::new(f)
        .with_max_chunk_rows(4096)
        .with_executor(ThreadPoolExecutor::new(2).unwrap())
        .process(&[input])
        .unwrap();
    assert_eq!(
        local.content_hash(),
        pooled.content_hash(),
        "executors are not part of identity"
    );
    let (a, b) = (
        local.materialize_collect().unwrap(),
        pooled.materialize_collect().unwrap(),
    );
    let cfg = ColumnConfig::default().with_system_tags();
    assert_eq!(
        a.stream.as_table(&cfg).unwrap(),
        b.stream.as_table(&cfg).unwrap()
    );
    assert_eq!(
        a.stream.num_rows(),
        20_000 - 2 * 20_000usize.div_ceil(7) + 1
    );
    let rows = |r: &orcapod_executor::PodResults| {
        r.errors
            .iter()
            .map(|e| (e.row, e.message.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&a), rows(&b));
    assert_eq!(b.execution.executor_type, "thread_pool");
}

/// A future that is pending once before completing.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn async_executor_bounds_packets_in_flight_and_keeps_order() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (f_in, f_peak) = (in_flight.clone(), peak.clone());
    let f = FunctionBuilder::new("slow_double")
        .input::<i64>("x")
        .output::<i64>("y")
        .build_async(move |x: i64| {
            let (in_flight, peak) = (f_in.clone(), f_peak.clone());
            async move {
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                YieldOnce(false).await;
                YieldOnce(false).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                if x == 5 {
                    Err("five".to_string())
                } else {
                    Ok(2 * x)
                }
            }
        });
    let pod = FunctionPod::new(f.clone())
        .with_max_chunk_rows(64)
        .with_executor(AsyncExecutor::new(3));
    let results = pod
        .process(&[int_source(40)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(
        peak.load(Ordering::SeqCst),
        3,
        "at most max_in_flight packets run at once"
    );
    assert_eq!(results.errors.len(), 1);
    assert_eq!(
        results.errors[0].tags,
        vec![("id".to_string(), Value::Int(5))]
    );
    let expected: Vec<Value> = (0..40)
        .filter(|x| *x != 5)
        .map(|x| Value::Int(2 * x))
        .collect();
    assert_eq!(column_values(&results.stream, "y"), expected);
    assert_eq!(results.execution.executor_info["max_in_flight"], "3");

    // The same async function also runs on the local executor, one packet at a time.
    peak.store(0, Ordering::SeqCst);
    let local = FunctionPod::new(f)
        .process(&[int_source(10)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(local.stream.num_rows(), 9);
    assert_eq!(peak.load(Ordering::SeqCst), 1);
}

#[test]
fn async_panics_are_packet_errors() {
    let f = FunctionBuilder::new("boom")
        .input::<i64>("x")
        .output::<i64>("y")
        .build_async(|x: i64| async move {
            assert!(x != 2, "two is not allowed");
            x
        });
    let results = FunctionPod::new(f)
        .with_executor(AsyncExecutor::new(4))
        .process(&[int_source(4)])
        .unwrap()
        .materialize_collect()
        .unwrap();
    assert_eq!(results.errors.len(), 1);
    assert_eq!(results.errors[0].message, "two is not allowed");
    assert_eq!(results.stream.num_rows(), 3);
}

#[test]
fn execute_async_is_runtime_agnostic() {
    let f = FunctionBuilder::new("inc")
        .input::<i64>("x")
        .output::<i64>("y")
        .build_async(|x: i64| async move { x + 1 });
    let exec = AsyncExecutor::new(2);
    let input = orcapod_executor::InputBatch::new(
        vec![Some(
            Arc::new(arrow_array::Int64Array::from(vec![1, 2, 3])) as arrow_array::ArrayRef
        )],
        3,
    )
    .unwrap();
    let out = futures::executor::block_on(exec.execute_async(&f, &input)).unwrap();
    assert_eq!(out.columns()[0].len(), 3);
    // A blocking function reaching the async executor through an unchecked path is an error.
    let blocking = FunctionBuilder::new("b")
        .input::<i64>("x")
        .output::<i64>("y")
        .build(|x: i64| x);
    assert!(matches!(
        exec.execute(&blocking, &input),
        Err(ExecutorError::UnsupportedExecutor { .. })
    ));
}
