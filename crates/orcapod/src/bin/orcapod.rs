//! The `orcapod` command-line tool. See [`orcapod::cli`].

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Slurm array tasks and Ray tasks of pipeline files re-run this binary as their worker
    // (`orcapod --orcapod-worker DIR`); command functions need no registration.
    orcapod_executor_slurm::worker::maybe_run_worker(
        &orcapod_executor_slurm::FunctionRegistry::new(),
    );
    let args: Vec<String> = std::env::args().skip(1).collect();
    match orcapod::cli::run(&args) {
        Ok(out) => {
            // A closed pipe (`orcapod … | head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout().lock(), "{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr().lock(), "orcapod: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
