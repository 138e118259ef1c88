#!/usr/bin/env bash
# soak.sh - repeated full-range scans under pressure; checks every port of every run.
#
# What it does: makes a fresh network namespace (only lo; nothing leaves it), starts
# 1000 known listeners in it (shared/bench/fixture.py, seed 1) and drops SYNs to 120
# ports (40000-40099 and 50000-50019, inside the default ephemeral range, so recon's own
# connects can meet each other there: TCP simultaneous open). Then, --runs times (default
# 100), it starts two `recon scan 127.0.0.1 1-65535` at once and checks each report:
# open set == the listeners, filtered set == the dropped ports, every other port closed,
# exit 0. After each run it waits (at most 5 s) for the namespace's socket counts
# (/proc/net/sockstat: TCP inuse and tw) to come back to where they were before the first
# run. While recon runs it samples its descriptor count (/proc/PID/fd) for the peak.
# Prints one line per bad run and a summary line; exits 1 if any run was wrong.
#
# How long: about 1.5-3 s per run on a 2-core machine with the release build, so 3-5
# minutes for 100 runs. Not run in CI.
#
# Must run as root (ip netns, iptables). Needs python3, iptables, iproute2.
# Usage: sudo Tests/soak/soak.sh [--runs N] [--bin PATH] [--fixture PATH]
#   --bin      recon binary (default: .build/release/recon, else $RECON_BIN)
#   --fixture  fixture.py (default: ../shared/bench/fixture.py beside the package)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RUNS=100
BIN="${RECON_BIN:-$ROOT/.build/release/recon}"
FIXTURE=""
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS="$2"; shift 2 ;;
        --bin) BIN="$2"; shift 2 ;;
        --fixture) FIXTURE="$2"; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) echo "soak.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
case "$RUNS" in ''|*[!0-9]*) echo "soak.sh: --runs needs a number" >&2; exit 2 ;; esac
[ "$RUNS" -ge 1 ] && [ "$RUNS" -le 1000 ] || { echo "soak.sh: --runs must be 1-1000" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "soak.sh: must run as root (ip netns, iptables)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "soak.sh: no recon binary at $BIN (swift build -c release)" >&2; exit 2; }
if [ -z "$FIXTURE" ]; then
    for candidate in "$ROOT/../shared/bench/fixture.py" /work/shared/bench/fixture.py; do
        [ -f "$candidate" ] && { FIXTURE="$candidate"; break; }
    done
fi
[ -f "$FIXTURE" ] || { echo "soak.sh: fixture.py not found (--fixture PATH)" >&2; exit 2; }
for tool in ip iptables python3; do
    command -v "$tool" >/dev/null || { echo "soak.sh: missing tool: $tool" >&2; exit 2; }
done

NS="recon-soak-$$"
WORK="$(mktemp -d /tmp/recon-soak.XXXXXX)"
FIXTURE_PID=""
cleanup() {
    if [ -n "$FIXTURE_PID" ]; then kill "$FIXTURE_PID" 2>/dev/null || true; wait "$FIXTURE_PID" 2>/dev/null || true; fi
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
DROPPED="40000:40099 50000:50019"
for range in $DROPPED; do
    ip netns exec "$NS" iptables -A INPUT -i lo -p tcp --syn --dport "$range" -j DROP
done
LIFETIME=$((RUNS * 20 + 120))
ip netns exec "$NS" python3 "$FIXTURE" --count 1000 --seed 1 --exclude 40000-40099,50000-50019 \
    --ports-file "$WORK/listeners.txt" --lifetime "$LIFETIME" --idle 5 >"$WORK/fixture.out" 2>&1 &
FIXTURE_PID=$!
for _ in $(seq 1 100); do grep -q '^READY' "$WORK/fixture.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^READY' "$WORK/fixture.out" || { echo "soak.sh: fixture did not start" >&2; cat "$WORK/fixture.out" >&2; exit 1; }
cut -d' ' -f1 "$WORK/listeners.txt" >"$WORK/open.txt"
{ seq 40000 40099; seq 50000 50019; } >"$WORK/filtered.txt"

# TCP "inuse tw" of the namespace.
sockstat() { ip netns exec "$NS" awk '$1 == "TCP:" { print $3, $7 }' /proc/net/sockstat; }
BASE="$(sockstat)"

# Checks one JSON report against the listeners and dropped ports; prints "ok" or what is wrong.
check() {
    python3 - "$1" "$WORK/open.txt" "$WORK/filtered.txt" <<'PY'
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except Exception as error:
    print("unreadable report: %s" % error); sys.exit()
listeners = set(int(line) for line in open(sys.argv[2]))
dropped = set(int(line) for line in open(sys.argv[3]))
host = report["hosts"][0]
listed = {p["port"]: p for p in host["ports"]}
opened = {p for p, e in listed.items() if e["state"] == "open"}
filtered = {p for p, e in listed.items() if e["state"] == "filtered"}
other = {p: "%s %s" % (e["state"], e["reason"]) for p, e in listed.items() if e["state"] not in ("open", "filtered", "closed")}
s = host["summary"]
problems = []
if opened - listeners: problems.append("phantom open %s" % sorted(opened - listeners)[:10])
if listeners - opened: problems.append("missing open %s" % sorted(listeners - opened)[:10])
if filtered != dropped: problems.append("filtered +%s -%s" % (sorted(filtered - dropped)[:10], sorted(dropped - filtered)[:10]))
if other: problems.append("other %s" % sorted(other.items())[:10])
if s["closed"] != 65535 - len(listeners) - len(dropped) or s["error"] or s["unscanned"]:
    problems.append("summary %s" % s)
print("; ".join(problems) if problems else "ok")
print("phantoms=%d wrong_ports=%d" % (len(opened - listeners), len(opened ^ listeners) + len(filtered ^ dropped) + len(other)), file=sys.stderr)
PY
}

START=$(date +%s)
BAD_RUNS=0
BAD_SCANS=0
PHANTOMS=0
WRONG_PORTS=0
NOT_BACK=0
MAX_SETTLE_MS=0
PEAK_FDS=0
SCAN_SECONDS=0
for run in $(seq 1 "$RUNS"); do
    t0=$(date +%s%N)
    pids=()
    for scan in 1 2; do
        ip netns exec "$NS" "$BIN" scan 127.0.0.1 1-65535 --format json >"$WORK/r$scan.json" 2>"$WORK/r$scan.err" &
        pids+=($!)
    done
    # Peak descriptors of the recon processes (ip netns exec execs recon under the same pid);
    # a scan still running after 120 s is killed (by its pid) and counts as bad.
    deadline=$(( $(date +%s) + 120 ))
    while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$deadline" ]; then kill -9 "${pids[@]}" 2>/dev/null || true; break; fi
        for pid in "${pids[@]}"; do
            fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l || true)
            [ "${fds:-0}" -gt "$PEAK_FDS" ] && PEAK_FDS=$fds
        done
        sleep 0.05
    done
    bad=0
    for scan in 1 2; do
        status=0
        wait "${pids[$((scan - 1))]}" || status=$?
        verdict="$(check "$WORK/r$scan.json" 2>"$WORK/counts")"
        read -r phantoms wrong < <(sed 's/[a-z_]*=//g' "$WORK/counts")
        PHANTOMS=$((PHANTOMS + ${phantoms:-0}))
        WRONG_PORTS=$((WRONG_PORTS + ${wrong:-0}))
        if [ "$status" != 0 ] || [ "$verdict" != ok ]; then
            bad=1
            BAD_SCANS=$((BAD_SCANS + 1))
            echo "run $run scan $scan: exit $status: $verdict $(head -c 300 "$WORK/r$scan.err")"
        fi
    done
    t1=$(date +%s%N)
    SCAN_SECONDS=$(( SCAN_SECONDS + (t1 - t0) / 1000000 ))
    # Sockets back to the start?
    settled=""
    for _ in $(seq 1 100); do
        [ "$(sockstat)" = "$BASE" ] && { settled=1; break; }
        sleep 0.05
    done
    settle_ms=$(( ($(date +%s%N) - t1) / 1000000 ))
    [ "$settle_ms" -gt "$MAX_SETTLE_MS" ] && MAX_SETTLE_MS=$settle_ms
    if [ -z "$settled" ]; then
        NOT_BACK=$((NOT_BACK + 1)); bad=1
        echo "run $run: sockets not back after 5 s: inuse/tw $(sockstat) (start $BASE)"
    fi
    BAD_RUNS=$((BAD_RUNS + bad))
done
ELAPSED=$(( $(date +%s) - START ))
echo "soak: runs=$RUNS scans=$((RUNS * 2)) bad_runs=$BAD_RUNS bad_scans=$BAD_SCANS phantom_open=$PHANTOMS" \
    "wrong_ports=$WRONG_PORTS sockets_not_back=$NOT_BACK max_settle_ms=$MAX_SETTLE_MS" \
    "start_inuse_tw=\"$BASE\" end_inuse_tw=\"$(sockstat)\" peak_recon_fds=$PEAK_FDS" \
    "mean_run_s=$(awk -v t="$SCAN_SECONDS" -v n="$RUNS" 'BEGIN { printf "%.2f", t / n / 1000 }') elapsed_s=$ELAPSED"
[ "$BAD_RUNS" = 0 ]
