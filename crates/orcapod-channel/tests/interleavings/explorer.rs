//! A tiny stateless model checker for futures.
//!
//! A scenario is a handful of tasks (futures) sharing a channel. The explorer plays the
//! executor: at every step it may poll any task that is *woken* (never-polled tasks count as
//! woken) or, for tasks marked cancellable, drop a task that is pending. Like a real executor
//! it never polls a task that nobody woke, so a lost wake-up shows up as a task left pending
//! at quiescence ("stuck").
//!
//! Every schedule is explored depth-first by replay: a run records, at each step, which
//! option it took and how many there were; the next run replays the same prefix and takes the
//! next option at the deepest step that has one left.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Context;

use futures::future::LocalBoxFuture;
use futures::task::{ArcWake, waker};

/// One task of a scenario.
pub struct Task {
    name: &'static str,
    fut: LocalBoxFuture<'static, ()>,
    cancellable: bool,
}

impl Task {
    /// A task that must run to completion.
    pub fn new(name: &'static str, fut: impl std::future::Future<Output = ()> + 'static) -> Self {
        Self {
            name,
            fut: Box::pin(fut),
            cancellable: false,
        }
    }

    /// A task the explorer may also drop at any point where it is pending.
    pub fn cancellable(
        name: &'static str,
        fut: impl std::future::Future<Output = ()> + 'static,
    ) -> Self {
        Self {
            cancellable: true,
            ..Self::new(name, fut)
        }
    }
}

/// How a task ended in one schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Returned `Ready`.
    Done,
    /// Dropped by the explorer while pending.
    Cancelled,
    /// Pending and not woken when nothing else could run: a lost wake-up or a deadlock.
    Stuck,
}

/// The result of one schedule, handed to the scenario's check.
#[derive(Debug)]
pub struct Outcome {
    /// `(task name, end)` in task order.
    pub ends: Vec<(&'static str, End)>,
    /// The schedule, as a readable trace for failure messages.
    pub trace: Vec<String>,
}

impl Outcome {
    /// Panics (with the schedule) unless every task is `Done` or `Cancelled`.
    pub fn assert_no_stuck(&self) {
        assert!(
            self.ends.iter().all(|(_, e)| *e != End::Stuck),
            "stuck tasks {:?}\nschedule: {:?}",
            self.ends,
            self.trace
        );
    }

    /// The end of the task called `name`.
    pub fn end_of(&self, name: &str) -> End {
        self.ends
            .iter()
            .find(|(n, _)| *n == name)
            .expect("task name")
            .1
    }
}

struct Flag(AtomicBool);

impl ArcWake for Flag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.store(true, Ordering::SeqCst);
    }
}

#[derive(Clone, Copy)]
enum Step {
    Poll(usize),
    Cancel(usize),
}

/// Upper bound on steps of one schedule; exceeding it means a livelock (busy re-waking).
const MAX_STEPS: usize = 10_000;

/// Runs one schedule following `prefix`, returns `(choice, options)` per step.
fn run_once(
    tasks: Vec<Task>,
    prefix: &[usize],
    check: Box<dyn FnOnce(&Outcome)>,
) -> Vec<(usize, usize)> {
    let n = tasks.len();
    let names: Vec<_> = tasks.iter().map(|t| t.name).collect();
    let cancellable: Vec<_> = tasks.iter().map(|t| t.cancellable).collect();
    let mut futs: Vec<Option<LocalBoxFuture<'static, ()>>> =
        tasks.into_iter().map(|t| Some(t.fut)).collect();
    let flags: Vec<_> = (0..n)
        .map(|_| Arc::new(Flag(AtomicBool::new(true))))
        .collect();
    let wakers: Vec<_> = flags.iter().map(|f| waker(Arc::clone(f))).collect();
    let mut ends: Vec<Option<End>> = vec![None; n];
    let mut polled = vec![false; n];
    let mut choices = Vec::new();
    let mut trace = Vec::new();
    loop {
        let mut options = Vec::new();
        for i in 0..n {
            if ends[i].is_none() && flags[i].0.load(Ordering::SeqCst) {
                options.push(Step::Poll(i));
            }
        }
        for i in 0..n {
            if ends[i].is_none() && cancellable[i] && polled[i] {
                options.push(Step::Cancel(i));
            }
        }
        if options.is_empty() {
            break;
        }
        assert!(choices.len() < MAX_STEPS, "livelock; schedule {trace:?}");
        let choice = prefix.get(choices.len()).copied().unwrap_or(0);
        choices.push((choice, options.len()));
        match options[choice] {
            Step::Poll(i) => {
                flags[i].0.store(false, Ordering::SeqCst);
                polled[i] = true;
                let mut cx = Context::from_waker(&wakers[i]);
                let fut = futs[i].as_mut().expect("live task");
                let ready = fut.as_mut().poll(&mut cx).is_ready();
                trace.push(format!(
                    "poll {}{}",
                    names[i],
                    if ready { " (done)" } else { "" }
                ));
                if ready {
                    ends[i] = Some(End::Done);
                    futs[i] = None;
                }
            }
            Step::Cancel(i) => {
                trace.push(format!("cancel {}", names[i]));
                futs[i] = None;
                ends[i] = Some(End::Cancelled);
            }
        }
    }
    // The check runs before stuck futures are dropped, so it sees the state they left.
    let outcome = Outcome {
        ends: names
            .iter()
            .zip(&ends)
            .map(|(name, e)| (*name, e.unwrap_or(End::Stuck)))
            .collect(),
        trace,
    };
    check(&outcome);
    drop(futs);
    choices
}

/// Explores every schedule of the scenario built by `build` (called once per schedule; it
/// returns the tasks and the check to run at quiescence). Returns the number of schedules.
pub fn explore<B>(mut build: B) -> usize
where
    B: FnMut() -> (Vec<Task>, Box<dyn FnOnce(&Outcome)>),
{
    let mut prefix: Vec<usize> = Vec::new();
    let mut runs = 0;
    loop {
        let (tasks, check) = build();
        let choices = run_once(tasks, &prefix, check);
        runs += 1;
        // Next schedule: bump the deepest step that still has an untried option.
        let Some(k) = choices.iter().rposition(|&(c, n)| c + 1 < n) else {
            return runs;
        };
        prefix = choices[..k].iter().map(|&(c, _)| c).collect();
        prefix.push(choices[k].0 + 1);
    }
}
