//! The `gevo` binary: the command line lives in [`cli`]; the engine is the `gevo` library.

// Shipped code returns errors instead of panicking (tests may unwrap; see clippy.toml).
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod cli;

fn main() -> std::process::ExitCode {
    // Rust ignores SIGPIPE, which turns `gevo show … | head` into a "failed printing to stdout"
    // panic; a CLI should just stop when its reader goes away.
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}
