//! The `spikec` binary: a thin wrapper over [`spikec::cli::run`].

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = spikec::cli::run(
        std::env::args_os(),
        &mut stdout.lock(),
        &mut stderr.lock(),
        spikec::cli::stderr_is_tty(),
    );
    std::process::exit(code);
}
