#!/usr/bin/env bash
# Measures the real-store targets for reports/stores.md (issue 15): operations/s at 1, 8, 32,
# 64 clients for each MariaDB and HTTP variant; runs until the read-then-write race is first
# caught (Redis and MariaDB, 20 seeds); fault runs against a private MariaDB. Starts its own
# mariadbd, redis-server and `flashcheck serve-reference` on loopback ports in a temporary
# directory and stops them at the end.
#
#   reports/stores-measure.sh [FLASHCHECK] [throughput|detect|checker|refute|faults|all]
set -euo pipefail
F=${1:-target/debug/flashcheck}
WHAT=${2:-all}
F=$(readlink -f "$F")
TMP=$(mktemp -d /tmp/stores-measure.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# MariaDB: a private data directory, InnoDB defaults.
MARIADBD=$(command -v mariadbd || echo /usr/sbin/mariadbd)
mkdir "$TMP/mtmp"; mariadb-install-db --no-defaults --datadir="$TMP/db" --skip-test-db --tmpdir="$TMP/mtmp" \
  --auth-root-authentication-method=normal >/dev/null 2>&1
MPORT=$(port)
user=(); [ "$(id -u)" -eq 0 ] && user=(--user=root)
"$MARIADBD" --no-defaults --datadir="$TMP/db" --port="$MPORT" --bind-address=127.0.0.1 \
  --socket="$TMP/m.sock" --pid-file="$TMP/m.pid" --log-error="$TMP/m.err" \
  --skip-grant-tables --skip-name-resolve --max-connections=1000 "${user[@]}" 2>/dev/null &
PIDS+=($!)
RPORT=$(port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --dir "$TMP" --daemonize no \
  --logfile "$TMP/r.log" &
PIDS+=($!)
"$F" serve-reference --deduction atomic >"$TMP/front-a" &
PIDS+=($!)
"$F" serve-reference --deduction read-then-write >"$TMP/front-b" &
PIDS+=($!)
sleep 2
HA=$(awk '{print $NF}' "$TMP/front-a")
HB=$(awk '{print $NF}' "$TMP/front-b")
MY="mysql://root@127.0.0.1:$MPORT/sale"
RE="redis://127.0.0.1:$RPORT"
printf -- '-- atomic, as a user would write it\nUPDATE {stock} SET n = n - 1 WHERE sku = @sku AND n > 0;\nSELECT ROW_COUNT();\n' >"$TMP/atomic.sql"
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Operations/s: the median of 3 runs; the check after each run is cut at 15 s (a refutation
# of a long read-then-write history can take much longer; the figure is printed before it).
ops() {
  local target=$1 clients=$2; shift 2
  for run in 1 2 3; do
    timeout 15 "$F" replay inventory --target "$target" --workload "$clients" --ops 200 \
      --stock 1000000 --seed "$run" "$@" 2>&1 | awk '/operations\/s/ {print $3; exit}'
  done | median
}

if [ "$WHAT" = throughput ] || [ "$WHAT" = all ]; then
  echo "## operations/s (median of 3; --ops 200 per client, --stock 1000000)"
  echo "| clients | MariaDB atomic | MariaDB read_then_write | MariaDB --sql atomic.sql | HTTP reference | HTTP read-then-write front |"
  echo "|---:|---:|---:|---:|---:|---:|"
  for c in 1 8 32 64; do
    echo "| $c | $(ops "$MY" $c -c Deduction=atomic) | $(ops "$MY" $c -c Deduction=read_then_write) | $(ops "$MY" $c --sql "$TMP/atomic.sql") | $(ops "$HA" $c) | $(ops "$HB" $c) |"
  done
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# Runs until the race is first caught: for each of 20 seeds s, runs with seeds 1000 s + r,
# r = 0, 1, ... (at most 50) until one exits 1; prints the number of runs each needed.
detect() {
  local target=$1 clients=$2 per=$3; shift 3
  local counts=()
  for s in $(seq 0 19); do
    local r=0 found=0
    while [ $r -lt 50 ]; do
      code=0
      timeout 60 "$F" replay inventory --target "$target" --workload "$clients" --ops "$per" \
        --stock 5 --seed $((1000 * s + r)) "$@" >/dev/null 2>&1 || code=$?
      r=$((r + 1))
      if [ $code -eq 1 ]; then found=1; break; fi
      if [ $code -ne 0 ]; then echo "exit $code" >&2; break; fi
    done
    if [ $found -eq 1 ]; then counts+=("$r"); else counts+=(">$r"); fi
  done
  local med
  med=$(printf '%s\n' "${counts[@]}" | tr -d '>' | median)
  echo "median $med; per seed: ${counts[*]}"
}

if [ "$WHAT" = detect ] || [ "$WHAT" = all ]; then
  echo "## runs until the read-then-write race is caught (stock 5, 20 seeds, at most 50 runs each)"
  for cfg in "8 12" "2 12" "2 4"; do
    set -- $cfg
    echo "- Redis GET-then-SET, $1 clients x $2 ops: $(detect "$RE" $1 $2 -c Deduction=read_then_write)"
    echo "- MariaDB SELECT-then-UPDATE, $1 clients x $2 ops: $(detect "$MY" $1 $2 -c Deduction=read_then_write)"
    echo "- HTTP read-then-write front, $1 clients x $2 ops: $(detect "$HB" $1 $2)"
  done
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# Checker time and memory on histories of about 10^3, 10^4, 10^5 operations at 64 clients
# (the atomic variants, which are linearizable: the checker has to find a whole order).
checker() {
  local target=$1 per=$2; shift 2
  "$F" replay inventory --target "$target" --workload 64 \
    --ops "$per" --stock 1000000 --json "$@" 2>/dev/null |
    python3 -c '
import json, sys
d = json.load(sys.stdin); r = d["report"]
print("%d ops, run %.2f s (%.0f ops/s), check %.3f s, linearizable %s, peak RSS %.1f MiB"
      % (r["completed"] + r["indeterminate"], d["run_s"], d["ops_per_s"], r["check_s"], r["linearizable"], r["peak_rss_mib"]))'
}

if [ "$WHAT" = checker ] || [ "$WHAT" = all ]; then
  echo "## checker at 64 clients"
  for per in 16 157 1563; do
    echo "- MariaDB atomic, --ops $per: $(checker "$MY" $per -c Deduction=atomic)"
    echo "- HTTP reference, --ops $per: $(checker "$HA" $per)"
  done
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

# Refutations at 64 clients with a stock that never sells out: the read-then-write variants
# lose updates, which shows only in the final stock reads, after every operation overlapped
# others (the case the checker could not decide in 60 s before completed operations had
# classes). `timeout 120`: a run and its check that take longer print nothing.
refute() {
  local target=$1 per=$2; shift 2
  { timeout 120 "$F" replay inventory --target "$target" --workload 64 \
    --ops "$per" --stock 1000000 --json "$@" 2>/dev/null || true; } |
    python3 -c '
import json, sys
d = json.load(sys.stdin); r = d["report"]
print("%d ops, check %.3f s, linearizable %s, explored %d, peak RSS %.1f MiB"
      % (r["completed"] + r["indeterminate"], r["check_s"], r["linearizable"], r["explored"], r["peak_rss_mib"]))' \
    2>/dev/null || echo "not decided in 120 s"
}

if [ "$WHAT" = refute ] || [ "$WHAT" = all ]; then
  echo "## refutation at 64 clients, stock 10^6 (read-then-write variants)"
  for per in 16 157 1563; do
    echo "- Redis read_then_write, --ops $per: $(refute "$RE" $per -c Deduction=read_then_write)"
    echo "- MariaDB read_then_write, --ops $per: $(refute "$MY" $per -c Deduction=read_then_write)"
    echo "- HTTP read-then-write front, --ops $per: $(refute "$HB" $per)"
  done
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi

if [ "$WHAT" = faults ] || [ "$WHAT" = all ]; then
  echo "## fault runs: private mariadbd, --faults pause,kill, 8 clients x 50 ops, 2 SKUs x 20 units, 100 ms timeout"
  for seed in 1 2 3 4 5; do
    "$F" replay inventory --target mysql://root@127.0.0.1:1/x --faults pause,kill --workload 8 \
      --ops 50 --skus 2 --stock 20 --timeout-ms 100 --seed $seed --json 2>&1 |
      python3 -c '
import json, sys
d = json.load(sys.stdin); r = d["report"]; f = d["faults"]
print("- seed %s: %d completed, %d indeterminate, %d faults (%d kills), linearizable with the final stock reads: %s, %.0f ops/s"
      % (sys.argv[1], r["completed"], r["indeterminate"], len(f), f.count("kill"), r["linearizable"], d["ops_per_s"]))' "$seed"
  done
  echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
