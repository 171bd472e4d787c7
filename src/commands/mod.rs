//! One module per subcommand: each turns parsed arguments into library calls and one printed
//! report, and returns its outcome ([`run`] dispatches; only `main` turns an outcome into an
//! exit code). Models are reached only through the [`Registry`] passed in, so a test can run
//! every command on a model of its own.

pub mod audit;
pub mod bench;
pub mod check;
pub mod cluster;
pub mod cross;
pub mod explore;
pub mod lincheck;
pub mod replay;
pub mod saga_child;
pub mod serve;
pub mod tla;
pub mod traces;

use crate::cli::{Cli, Command, OutputArgs};
use crate::outcome::Outcome;
use crate::registry::Registry;
use crate::report::{json, markdown, text, CheckReport};

/// Runs the subcommand `cli` names with the models of `registry`.
pub fn run(cli: Cli, registry: &Registry) -> anyhow::Result<Outcome> {
    match cli.command {
        Command::Check(args) => check::run(&args, registry),
        Command::Tla(args) => tla::run(&args, registry),
        Command::Cross(args) => cross::run(&args, registry),
        Command::Traces(args) => traces::run(&args, registry),
        Command::Replay(args) => replay::run(&args, registry),
        Command::Arith(args) => arith(&args),
        Command::Hw(args) => {
            let options = crate::exec::hw::HwOptions {
                json: args.json,
                root: args.root,
            };
            crate::exec::hw::run(&options, &mut std::io::stdout().lock())?;
            Ok(Outcome::Holds)
        }
        Command::Bench(args) => bench::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Explore(args) => explore::run(&args, registry),
        Command::Cluster(command) => cluster::run(&command),
        Command::Lincheck(args) => lincheck::run(&args),
        Command::ServeReference(args) => serve::serve_reference(&args),
        Command::SagaChild(args) => saga_child::run(&args),
    }
}

/// Runs `flashcheck arith`: bad input exits 2; z3 failing to decide (its own limits) exits 3.
pub fn arith(args: &crate::cli::arith::ArithArgs) -> anyhow::Result<Outcome> {
    let (job, json) = args.job();
    match crate::arith::run(&job, json, &mut std::io::stdout().lock()) {
        Ok(outcome) => Ok(outcome),
        Err(e) if e.is_bad_input() => Err(e.into()),
        // z3 stopped (its own limit, or a result it could not decide): exit 3, and stdout
        // says so rather than staying empty, since no verdict was printed.
        Err(e) => {
            let why = e.to_string().replace('\n', " ");
            println!("arith: stopped before any verdict: {why}");
            eprintln!("flashcheck: {why}");
            Ok(Outcome::Undecided)
        }
    }
}

/// Prints `report` in the format `output` asks for. A closed stdout (`| head`) ends the
/// output quietly, as ripgrep does; the exit code still reports the check.
pub fn print_report(report: &CheckReport, output: &OutputArgs) {
    let rendered = if output.json {
        json::render(report) + "\n"
    } else if output.markdown {
        markdown::render(report)
    } else {
        text::render(report)
    };
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), rendered.as_bytes());
}
