//! The `gevo` command line (clap). `main.rs` only calls [`main`].

mod ablate;
mod compare;
mod env;
mod eval;
mod export;
mod inspect;
mod list;
mod plot;
mod reevaluate;
mod report;
mod run;
mod show;
mod verify;
mod worker;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// gevo: evolve ML programs (RL losses, optimizers, architectures, equations) with regularized
/// evolution, functional hashing and inner-loop training.
#[derive(Debug, Parser)]
#[command(name = "gevo", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log level for diagnostics on stderr (error, warn, info, debug, trace).
    #[arg(long, global = true, default_value = "warn")]
    pub log: String,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start an evolution campaign.
    Run(Box<run::RunArgs>),
    /// Continue a stopped or killed campaign from its archive.
    Resume(run::ResumeArgs),
    /// Summarize a campaign: statistics and the best candidates (works while it runs).
    Inspect(inspect::InspectArgs),
    /// Re-train the top K distinct programs with S fresh seeds on the training and held-out
    /// tasks; every finished run is stored in the archive (a rerun skips them).
    Reevaluate(reevaluate::ReevaluateArgs),
    /// Show one candidate: program, outcome, details and lineage.
    Show(show::ShowArgs),
    /// Export a candidate (or a program file) as PyTorch, JAX, NumPy or burn code, LaTeX, DOT, SVG
    /// or JSON.
    Export(export::ExportArgs),
    /// Re-evaluate a program (a file or a seed's name) under several seeds and report its
    /// scores, in any space (RL losses: per-task normalized scores and learning curves).
    Eval(eval::EvalArgs),
    /// Plot a campaign: fitness vs. evaluations and wall-clock, cache hits, hurdle stops, and
    /// the hall of fame (SVG and PNG).
    Plot(plot::PlotArgs),
    /// Write a campaign report (Markdown with SVG figures): settings, evaluations, the
    /// best-fitness curve, known algorithms reached, the top distinct programs with their
    /// multi-seed scores, and optionally a comparison with the seed programs.
    Report(report::ReportArgs),
    /// Evaluate two programs under identical seeds and test the paired difference.
    Compare(compare::CompareArgs),
    /// Environments: list, replay from a state, roll out a trained agent.
    #[command(subcommand)]
    Env(env::EnvCommand),
    /// Compute-fair ablation: seeds × {evolution, +FEC, +FEC+discriminator} at a fixed number of
    /// real evaluations; writes curves, speedups and a plot.
    Ablate(ablate::AblateArgs),
    /// Check an archive record by record against its campaign state; `--repair OUT` salvages
    /// what can be read into a new archive.
    Verify(verify::VerifyArgs),
    /// Evaluate the requests of distributed campaigns (`gevo run --executor nats`) from a NATS
    /// JetStream work queue until SIGINT/SIGTERM.
    Worker(worker::WorkerArgs),
    /// List the search spaces that ship with gevo.
    Spaces,
    /// List the tasks that ship with gevo.
    Tasks,
}

/// Runs the CLI; returns the process exit code (1 on error, with the message on stderr).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Run(a) => run::run(*a),
        Command::Resume(a) => run::resume(a),
        Command::Inspect(a) => inspect::inspect(a),
        Command::Reevaluate(a) => reevaluate::reevaluate(a),
        Command::Show(a) => show::show(a),
        Command::Export(a) => export::export(a),
        Command::Eval(a) => eval::eval(a),
        Command::Plot(a) => plot::plot(a),
        Command::Report(a) => report::report(a),
        Command::Compare(a) => compare::compare(a),
        Command::Env(c) => env::env(c),
        Command::Ablate(a) => ablate::ablate(a),
        Command::Verify(a) => verify::verify(a),
        Command::Worker(a) => worker::worker(a),
        Command::Spaces => list::spaces(),
        Command::Tasks => list::tasks(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The summary and the resume command are already printed.
        Err(ref e) if let Some(i) = e.downcast_ref::<run::Interrupted>() => ExitCode::from(i.code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
