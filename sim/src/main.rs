//! The `tidemark` binary: a thin shell over [`tidemark_sim`].
use std::process::ExitCode;

fn main() -> ExitCode {
    tidemark_sim::commands::main()
}
