#!/usr/bin/env bash
# capture-ratio.sh - full range of 127.0.0.5 (1000 listeners of the shared bench's fixture.py),
# with and without --capture, N alternating runs each (default 15); prints both medians.
# Loopback only; needs root (capture). Usage: Tests/bench/capture-ratio.sh [N]
FIXTURE=${FIXTURE:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/bench/fixture.py}
R=${R:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/recon}; N=${1:-15}; T=$(mktemp -d)
python3 "$FIXTURE" --host 127.0.0.5 --count 1000 --seed 1 --ports-file $T/fx.txt --lifetime 600 > $T/fx.out 2>&1 &
FX=$!; for i in $(seq 1 100); do grep -q READY $T/fx.out 2>/dev/null && break; sleep 0.1; done
for i in $(seq 1 $N); do
  for m in plain capture; do
    a=""; [ $m = capture ] && a="--capture"
    s=$(date +%s%N); $R scan 127.0.0.5 - -q $a -o /dev/null; e=$(date +%s%N)
    echo "$m $(( (e-s)/1000 ))" >> $T/times
  done
done
for m in plain capture; do grep "^$m " $T/times | awk '{print $2}' | sort -n | awk -v m=$m '{a[NR]=$1} END {printf "%s median %.3f s (min %.3f)\n", m, a[int((NR+1)/2)]/1e6, a[1]/1e6}'; done
kill $FX
