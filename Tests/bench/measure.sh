#!/usr/bin/env bash
# measure.sh - what issues 10, 12 and 13 ask to be measured, on loopback only, release build:
# --save overhead, progress overhead (plain lines and the status line on a pseudo-terminal),
# the capture's time ratio, and 16 hosts x the full range per output format (time, peak memory).
#
# Fixture: the shared bench's fixture.py with 1000 listeners on 127.0.0.5 (stopped at the end).
# Every scan targets 127.0.0.0/8 only. Runs alternate (A, B, A, B, ...); medians are printed.
# Needs root for --capture, GNU time (/usr/bin/time), bc, script (util-linux), sqlite3.
# Usage: Tests/bench/measure.sh            (R=path/to/recon to use another binary)
# About 3 minutes on a 2-core machine.
set -u
R=${R:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/recon}
FIXTURE=${FIXTURE:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/bench/fixture.py}
T=$(mktemp -d /tmp/measure.XXXX)
python3 "$FIXTURE" --host 127.0.0.5 --count 1000 --seed 1 --ports-file $T/fx.txt --lifetime 900 > $T/fx.out 2>&1 &
FX=$!
for i in $(seq 1 100); do grep -q READY $T/fx.out 2>/dev/null && break; sleep 0.1; done
t() { local s=$(date +%s.%N); "$@" >/dev/null 2>>$T/err; local rc=$?; local e=$(date +%s.%N); echo "$(echo "$e - $s" | bc) $rc"; }
med() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pair() { # name, runs, cmdA..., --, cmdB...
  local name=$1 n=$2; shift 2; local a=() b=(); while [ "$1" != "--" ]; do a+=("$1"); shift; done; shift; b=("$@")
  : > $T/a; : > $T/b
  for i in $(seq 1 $n); do t "${a[@]}" | cut -d' ' -f1 >> $T/a; t "${b[@]}" | cut -d' ' -f1 >> $T/b; done
  local ma=$(med < $T/a) mb=$(med < $T/b)
  echo "$name: A median $ma s, B median $mb s, B/A $(echo "scale=3; $mb / $ma" | bc)"
}
DB=$T/store.sqlite
$R scan 127.0.0.5 - --save --db $DB >/dev/null 2>&1   # create the store first
pair "save (A plain, B --save sqlite)" 7 $R scan 127.0.0.5 - -q -- $R scan 127.0.0.5 - -q --save --db $DB
pair "progress (A -q, B --stats-every 1s)" 7 $R scan 127.0.0.5 - -q -- $R scan 127.0.0.5 - --stats-every 1s
pair "tty progress (A -q, B status line on a pty)" 5 script -qec "$R scan 127.0.0.5 - -q" /dev/null -- script -qec "$R scan 127.0.0.5 -" /dev/null
pair "capture (A plain, B --capture)" 7 $R scan 127.0.0.5 - -q -- $R scan 127.0.0.5 - -q --capture
for f in table json jsonl; do
  /usr/bin/time -f "%e s %M KiB" -o $T/time.$f $R scan 127.0.0.0/28 - -q --format $f -o $T/out.$f 2>>$T/err
  echo "16 hosts x 65535, $f: $(cat $T/time.$f), $(stat -c %s $T/out.$f) bytes"
done
/usr/bin/time -f "%e s %M KiB" -o $T/time.cap $R scan 127.0.0.5 - -q --capture -o /dev/null; echo "capture peak: $(cat $T/time.cap)"
/usr/bin/time -f "%e s %M KiB" -o $T/time.save $R scan 127.0.0.5 - -q --save --db $DB -o /dev/null; echo "save peak: $(cat $T/time.save)"
echo "store size after runs: $(stat -c %s $DB) bytes; runs: $(sqlite3 $DB 'select count(*) from runs' 2>/dev/null)"
kill $FX; wait $FX 2>/dev/null
echo "errors: $(sort $T/err | uniq -c | head -5)"
