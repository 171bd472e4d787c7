//! Writes a Jepsen-shaped cas-register history (`history.txt` lines) for measuring
//! `flashcheck lincheck`: `cargo run --release --example jepsen_history -- CLIENTS OPERATIONS
//! INFO_PER_MILLE STALE_PER_MILLE SEED > FILE` (see `flashcheck::history::synth`).

use flashcheck::history::synth::{cas_register, to_log, Shape};

fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("numbers: CLIENTS OPERATIONS INFO STALE SEED")
        })
        .collect();
    let [clients, operations, info, stale, seed] = args[..] else {
        eprintln!("usage: jepsen_history CLIENTS OPERATIONS INFO_PER_MILLE STALE_PER_MILLE SEED");
        std::process::exit(2);
    };
    let h = cas_register(Shape {
        clients: clients as usize,
        operations: operations as usize,
        info_per_mille: info,
        stale_per_mille: stale,
        values: 5,
        seed,
    });
    print!("{}", to_log(&h));
}
