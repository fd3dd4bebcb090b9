fn main() -> std::process::ExitCode {
    gevo::cli::main()
}
