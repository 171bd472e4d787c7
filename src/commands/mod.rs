//! One module per subcommand: each turns parsed arguments into library calls and one printed
//! report, and returns the exit code.

pub mod check;
pub mod cross;
pub mod tla;

use flashcheck::cli::OutputArgs;
use flashcheck::report::{json, markdown, text, CheckReport};

/// Prints `report` in the format `output` asks for.
pub fn print_report(report: &CheckReport, output: &OutputArgs) {
    if output.json {
        println!("{}", json::render(report));
    } else if output.markdown {
        print!("{}", markdown::render(report));
    } else {
        print!("{}", text::render(report));
    }
}
