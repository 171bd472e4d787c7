//! `flashcheck traces`: writes a model's counterexamples, `sometimes` witnesses and seeded
//! random walks as ITF files.

use crate::cli::TracesArgs;
use crate::outcome::Outcome;
use crate::registry::Registry;
use crate::trace::generate::{self, TraceRequest};
use anyhow::Result;

/// Runs `flashcheck traces`.
pub fn run(args: &TracesArgs, registry: &Registry) -> Result<Outcome> {
    let (constants, port) = args.model.build(registry)?;
    let request = TraceRequest {
        constants,
        count: args.count,
        depth: args.depth,
        seed: args.seed,
    };
    let written = generate::write_all_for(&port, &request, &args.out)?;
    let count = |kind: &str| written.iter().filter(|w| w.kind == kind).count();
    println!(
        "traces: {} written to {} ({} counterexample(s), {} witness(es), {} walk(s))",
        written.len(),
        args.out.display(),
        count("counterexample"),
        count("witness"),
        count("walk")
    );
    for w in &written {
        println!(
            "  {:<15} {:>3} states  {}",
            w.kind,
            w.states,
            w.path.display()
        );
    }
    Ok(Outcome::Holds)
}
