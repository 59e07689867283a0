//! The `meshgen` binary: everything happens in [`meshgen::cli`].

fn main() -> std::process::ExitCode {
    meshgen::cli::run(std::env::args_os())
}
