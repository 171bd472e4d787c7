#!/usr/bin/env bash
# Usage: measure.sh USERS STOCK RUNS ; prints one line per run
set -u
B=${FLASHCHECK:-target/release/flashcheck}
U=$1; S=$2; RUNS=$3
D=${SCRATCH:-/tmp/flashcheck-cluster-measure}; mkdir -p $D
printf '127.0.0.1:47411\n' > $D/h1
printf '127.0.0.1:47421\n127.0.0.1:47422\n' > $D/h2
ARGS="check inventory -c Users=$U -c Stock=$S --safety-only --json"
for r in $(seq 1 $RUNS); do
  l1=$(uptime | sed 's/.*average: //')
  /usr/bin/time -f "%e %M" -o $D/t1 $B $ARGS --processes 1 --process 0 --hosts $D/h1 > $D/one.json 2>/dev/null
  python3 - "$U/$S" one "$l1" $D/one.json $D/t1 <<'PY'
import json,sys
cfg,kind,load,js,t=sys.argv[1:]
r=json.load(open(js)); e,m=open(t).read().strip().splitlines()[-1].split()
print(f"{cfg}\t1 process\tdistinct={r['distinct_states']}\tgenerated={r['generated_states']}\tdepth={r['depth']}\tsearch={r['elapsed_s']:.2f}s\twall={e}s\trss0={int(m)//1024}MB\tload={load}")
PY
  l2=$(uptime | sed 's/.*average: //')
  FLASHCHECK_CLUSTER_TIMING=1 /usr/bin/time -f "%e %M" -o $D/tb $B $ARGS --processes 2 --process 1 --hosts $D/h2 > /dev/null 2> $D/e1 &
  FLASHCHECK_CLUSTER_TIMING=1 /usr/bin/time -f "%e %M" -o $D/ta $B $ARGS --processes 2 --process 0 --hosts $D/h2 > $D/two.json 2> $D/e0
  wait
  python3 - "$U/$S" two "$l2" $D/two.json $D/ta $D/tb $D/e0 $D/e1 <<'PY'
import json,sys,re
cfg,kind,load,js,ta,tb,e0,e1=sys.argv[1:]
r=json.load(open(js)); a=open(ta).read().strip().splitlines()[-1].split(); b=open(tb).read().strip().splitlines()[-1].split()
c0=re.search(r"connected in ([0-9.]+)",open(e0).read()).group(1); c1=re.search(r"connected in ([0-9.]+)",open(e1).read()).group(1)
print(f"{cfg}\t2 processes\tdistinct={r['distinct_states']}\tgenerated={r['generated_states']}\tdepth={r['depth']}\tsearch={r['elapsed_s']:.2f}s\twall={a[0]}s/{b[0]}s\trss0={int(a[1])//1024}MB\trss1={int(b[1])//1024}MB\tconnect={c0}s/{c1}s\tload={load}")
PY
done
