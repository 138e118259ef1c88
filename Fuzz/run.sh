#!/usr/bin/env bash
# Builds recon's libFuzzer targets and runs each for a set time.
#
#   Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 seconds, every target)
#
# Targets: port-list targets scope-policy service-rules audit-rules waivers nmap-service-probes
# http-response nmap-xml tls-server-hello packet-decoder.
#
# Each target starts from its checked-in seeds (Fuzz/corpus/TARGET, read only) and keeps what it
# finds in the scratch folder (FUZZ_WORK, default Fuzz/.work, ignored by git): new corpus entries
# in corpus/TARGET (kept across runs), and per run (RUN: date and time) crashing inputs in
# RUN/crashes/TARGET and the log in RUN/TARGET.log. Exits non-zero
# if any target crashed, broke an invariant, timed out or ran out of memory, printing the
# crashing input's path; replay one with `Fuzz/.build/release/FuzzTARGET PATH`.
#
# Environment: FUZZ_WORK (scratch folder), FUZZ_NO_BUILD=1 (use the binaries already built),
# FUZZ_TIMEOUT (seconds one input may take, default 10), FUZZ_RSS_MB (memory limit, default 2048).
# No target opens a socket; every run is bounded by -max_total_time and by `timeout`.
set -euo pipefail
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"
shift || true
work="${FUZZ_WORK:-$fuzz_dir/.work}"
timeout_s="${FUZZ_TIMEOUT:-10}"
rss_mb="${FUZZ_RSS_MB:-2048}"

# name  executable  max_len (bytes per input)
targets_table="
port-list FuzzPortList 512
targets FuzzTargets 2048
scope-policy FuzzScopePolicy 4096
service-rules FuzzServiceRules 4096
audit-rules FuzzAuditRules 4096
waivers FuzzWaivers 4096
nmap-service-probes FuzzNmapServiceProbes 4096
http-response FuzzHTTPResponse 8192
nmap-xml FuzzNmapXML 16384
tls-server-hello FuzzTLSServerHello 1024
packet-decoder FuzzPacketDecoder 256
"

if [[ ! "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi
selected=("$@")
if ((${#selected[@]} == 0)); then
    read -r -a selected <<<"$(awk 'NF { printf "%s ", $1 }' <<<"$targets_table")"
fi
for name in "${selected[@]}"; do
    if ! awk -v n="$name" '$1 == n { found = 1 } END { exit !found }' <<<"$targets_table"; then
        echo "unknown fuzz target '$name'" >&2
        exit 2
    fi
done

if [[ "${FUZZ_NO_BUILD:-}" != 1 ]]; then
    echo "== building the fuzz targets (release, -sanitize=fuzzer,address)"
    # lld, because SwiftPM links executables with `--defsym main=<Module>_main` and gold fails
    # when libFuzzer's own main is linked too; -enable-testing for `@testable import`.
    swift build --package-path "$fuzz_dir" -c release \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing \
        -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld
fi
bin="$(swift build --package-path "$fuzz_dir" -c release --show-bin-path)"

# libFuzzer, not Swift's backtracer, must handle a trap, so it saves the input. ASan's leak check
# stays on; nothing here is meant to leak.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:allocator_may_return_null=1}"

run="$work/$(date -u +%Y%m%dT%H%M%SZ)"
failed=()
summary=()
for name in "${selected[@]}"; do
    read -r _ executable max_len <<<"$(awk -v n="$name" '$1 == n' <<<"$targets_table")"
    corpus="$work/corpus/$name"
    crashes="$run/crashes/$name"
    log="$run/$name.log"
    mkdir -p "$corpus" "$crashes"
    options=(
        -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" -max_len="$max_len"
        -artifact_prefix="$crashes/" -print_final_stats=1
    )
    [[ -f "$fuzz_dir/dict/$name.dict" ]] && options+=(-dict="$fuzz_dir/dict/$name.dict")
    echo "== $name: ${seconds}s"
    status=0
    # New entries go to the first folder (scratch); the checked-in seeds are only read.
    seeds=()
    [[ -d "$fuzz_dir/corpus/$name" ]] && seeds=("$fuzz_dir/corpus/$name")
    timeout --kill-after=10 $((seconds + 120)) "$bin/$executable" "${options[@]}" "$corpus" "${seeds[@]}" \
        >"$log" 2>&1 || status=$?
    runs="$(awk '/^stat::number_of_executed_units:/ { print $2 }' "$log")"
    rate="$(awk '/^stat::average_exec_per_sec:/ { print $2 }' "$log")"
    found=("$crashes"/*)
    [[ -e "${found[0]}" ]] || found=()
    if ((status != 0)) || ((${#found[@]} > 0)); then
        failed+=("$name")
        summary+=("$(printf '%-20s FAILED (exit %s) runs=%s exec/s=%s' "$name" "$status" "${runs:-?}" "${rate:-?}")")
        echo "!! $name failed (exit $status); log: $log" >&2
        grep -E "invariant broken|Fatal error|ERROR: (AddressSanitizer|libFuzzer)|SUMMARY|Test unit written" "$log" \
            | head -n 12 >&2 || true
        for input in "${found[@]}"; do echo "!! crashing input: $input" >&2; done
    else
        summary+=("$(printf '%-20s ok   runs=%s exec/s=%s corpus+=%s' "$name" "${runs:-?}" "${rate:-?}" \
            "$(find "$corpus" -type f | wc -l)")")
    fi
done

echo "== fuzz summary (${seconds}s per target; logs and crashes: $run)"
printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
    echo "fuzzing found problems in: ${failed[*]}" >&2
    exit 1
fi
