//! One module per subcommand: each turns parsed arguments into library calls and one printed
//! report, and returns the exit code.

pub mod check;
pub mod cross;
pub mod replay;
pub mod tla;
pub mod traces;

use flashcheck::cli::OutputArgs;
use flashcheck::report::{json, markdown, text, CheckReport};

/// Runs `flashcheck arith`: bad input exits 2; z3 failing to decide (its own limits) exits 3.
pub fn arith(args: &flashcheck::arith::ArithArgs) -> anyhow::Result<i32> {
    match flashcheck::arith::run(args, &mut std::io::stdout().lock()) {
        Ok(code) => Ok(code),
        Err(e) if e.is_bad_input() => Err(e.into()),
        Err(e) => {
            eprintln!("flashcheck: {}", e.to_string().replace('\n', " "));
            Ok(3)
        }
    }
}

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
