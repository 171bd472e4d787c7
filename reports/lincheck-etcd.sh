#!/usr/bin/env bash
# `flashcheck lincheck` on the 102 Jepsen etcd histories that Porcupine's own tests check
# (test_data/jepsen/etcd_NNN.log of github.com/anishathalye/porcupine, from Horn & Kroening's
# linearizability-checker; each test states whether its history is linearizable). The
# histories are not in this repository: point the script at a checkout of Porcupine.
#
#   reports/lincheck-etcd.sh FLASHCHECK PORCUPINE_CHECKOUT
#
# Prints one line per history (Porcupine's expected verdict, ours, the check's time and
# peak memory as flashcheck reports them) and a summary: agreements, the slowest, the total.
set -euo pipefail
F=$(readlink -f "$1")
P=$(readlink -f "$2")
expected() {
  grep -o 'checkJepsen(t, [0-9]*, [a-z]*)' "$P/porcupine_test.go" | sed 's/checkJepsen(t, //; s/)//; s/,//'
}
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg); $(grep -c . <(expected)) histories"
expected | while read -r n want; do
  f=$(printf '%s/test_data/jepsen/etcd_%03d.log' "$P" "$n")
  out=$(timeout 120 "$F" lincheck --history "$f" --model cas-register --json 2>&1) && rc=0 || rc=$?
  echo "$out" | python3 -c '
import json, sys
n, want, rc = sys.argv[1], sys.argv[2] == "true", int(sys.argv[3])
try:
    r = json.load(sys.stdin)
except Exception:
    print("etcd_%03d want=%s got=error(exit %d) agree=no" % (int(n), want, rc)); sys.exit()
got = r["linearizable"]
print("etcd_%03d want=%s got=%s agree=%s check_s=%.3f ops=%d info=%d peak_mib=%.1f"
      % (int(n), want, got, "yes" if got == want else "no", r["check_s"],
         r["completed"] + r["indeterminate"], r["indeterminate"], r["peak_rss_mib"] or 0))' "$n" "$want" "$rc"
done | tee /dev/stderr | python3 -c '
import sys, re
rows = [l for l in sys.stdin if l.startswith("etcd_")]
agree = sum("agree=yes" in l for l in rows)
times = [float(m.group(1)) for l in rows for m in [re.search(r"check_s=([0-9.]+)", l)] if m]
print("summary: %d histories, %d agree with Porcupine, %d disagree or failed; check time total %.2f s, max %.3f s, median %.4f s"
      % (len(rows), agree, len(rows) - agree, sum(times), max(times), sorted(times)[len(times)//2]))'
