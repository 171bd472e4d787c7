#!/usr/bin/env bash
# cargo-mutants over the reference (crates/reference without its executors), issue 14 item 5:
# a bench job, not CI (two shards took about 70 min on 2 cores).
#
#   reports/mutants.sh SHARD [OUT]      round-robin shard SHARD of 3 (0, 1 or 2)
#   reports/mutants.sh --re REGEX [OUT] only the mutants whose names match (a re-run)
#
# Run it in a worktree of its own (it mutates the sources in place) with its own
# CARGO_TARGET_DIR, after one warm `cargo test --no-run` of the test binaries below. The test
# binaries go to every cargo call with -C, so a mutant builds only them; replay_saga and
# replay_sweep (57 s and 35 s) are left out. Results: OUT/mutants.out/{caught,missed,timeout,unviable}.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$1" = --re ]; then select=(--re "$2"); out=${3:-/tmp/mutants-rerun}
else select=(--shard "$1/3" --sharding round-robin); out=${2:-/tmp/mutants-shard$1}; fi
T=()
for t in reference_inventory reference_breaker reference_saga reference_token_bucket \
  reference_component replay_refusals replay_inventory replay_breaker replay_token_bucket \
  replay_ordered; do T+=(-C "--test=$t"); done
exec nice -n 10 cargo mutants -p flashcheck-reference --test-package flashcheck \
  -e "crates/reference/src/exec/**" --in-place --baseline skip "${select[@]}" \
  --timeout 120 --build-timeout 900 -o "$out" "${T[@]}"
