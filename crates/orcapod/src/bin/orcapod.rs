//! The `orcapod` command-line tool. See [`orcapod::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match orcapod::cli::run(&args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("orcapod: {e}");
            ExitCode::from(2)
        }
    }
}
