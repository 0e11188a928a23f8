//! `cargo xtask`: dispatches to the subcommands of the xtask library.

use std::process::ExitCode;

use xtask::XtaskError;

const HELP: &str = "\
cargo xtask <command> [options]

commands:
  deps     check the crate layering (see xtask/src/deps/rules.rs)
  test     fmt, clippy, all tests, layering check and a bench smoke run (--no-bench to skip it)
  bench    build the release scenario runner and benchmark (cargo xtask bench --help)
  help     print this help
";

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        eprint!("{HELP}");
        return ExitCode::FAILURE;
    }
    let command = args.remove(0);
    let root = xtask::project_root();
    let result = match command.as_str() {
        "deps" => match args.first() {
            Some(arg) if arg == "--help" || arg == "-h" => {
                println!("cargo xtask deps: checks the crate layering; exits 1 on violations");
                Ok(())
            }
            Some(arg) => Err(XtaskError::Usage(format!(
                "cargo xtask deps: unexpected argument `{arg}`"
            ))),
            None => xtask::deps::run(&root),
        },
        "bench" => xtask::bench::run(&root, args),
        "test" => xtask::test::run(&root, &args),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(XtaskError::Usage(format!(
            "unknown command `{other}`\n\n{HELP}"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
