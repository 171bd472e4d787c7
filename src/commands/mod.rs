//! One module per subcommand: each turns parsed arguments into library calls and one printed
//! report, and returns the exit code.

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

use flashcheck::cli::OutputArgs;
use flashcheck::outcome::Outcome;
use flashcheck::report::{json, markdown, text, CheckReport};

/// Runs `flashcheck arith`: bad input exits 2; z3 failing to decide (its own limits) exits 3.
pub fn arith(args: &flashcheck::arith::ArithArgs) -> anyhow::Result<Outcome> {
    match flashcheck::arith::run(args, &mut std::io::stdout().lock()) {
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
