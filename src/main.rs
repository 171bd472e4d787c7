//! flashcheck's command line. For now it dispatches `flashcheck arith …` only; the lead
//! wires [`flashcheck::arith::run`] into the full CLI.

use clap::{Parser, Subcommand};
use flashcheck::arith::{self, ArithArgs};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "flashcheck",
    version,
    about = "Formal verification of the Double 11 flash-sale design"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// z3 proves or refutes the design document's arithmetic.
    Arith(ArithArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Arith(args) => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            match arith::run(&args, &mut out) {
                Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
                Err(e) => {
                    eprintln!("flashcheck: {}", e.to_string().replace('\n', " "));
                    // 2: bad input; 3: internal (z3) failure.
                    ExitCode::from(if e.is_bad_input() { 2 } else { 3 })
                }
            }
        }
    }
}
