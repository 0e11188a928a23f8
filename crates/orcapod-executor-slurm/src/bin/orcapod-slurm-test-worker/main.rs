//! The worker binary of this crate's integration tests, and the smallest example of the
//! worker pattern: register the functions, dispatch, and otherwise do the program's own work.

mod functions;

fn main() {
    orcapod_executor_slurm::worker::maybe_run_worker(&functions::registry());
    // Not started as a worker: a real program would build and run its pipeline here.
    eprintln!(
        "orcapod-slurm-test-worker: run by the Slurm executor as `--orcapod-worker <task dir>`"
    );
    std::process::exit(2);
}
