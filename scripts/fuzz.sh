#!/usr/bin/env bash
# Run every fuzz target of lmcap-core for a while and report executions and crashes.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
#
# Environment:
#   FUZZ_TARGETS="decode_frame stream_tcp"  only these targets (default: all of them)
#   FUZZ_SANITIZER=none                     build without AddressSanitizer (faster, fewer finds)
#   FUZZ_RESEED=1                           rebuild the seed corpora even if they exist
#   CARGO_BUILD_JOBS=1                      as for any cargo build (set it on shared machines)
#
# What it does, on a fresh machine too: installs cargo-fuzz from crates.io when it is missing,
# builds the targets in rust/lmcap-core/fuzz (their own workspace and target dir), builds the seed
# corpora from captures/ and ../shared/captures/public/ (scripts/fuzz_seeds.py), runs each target
# one after the other for SECONDS_PER_TARGET, and prints executions and executions per second
# per target. A crash leaves its input in rust/lmcap-core/fuzz/artifacts/<target>/ and makes the
# script exit 1 after all targets ran. See docs/fuzzing.md (toolchain, layout, reproducing).
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crate="$root/rust/lmcap-core"
fuzz="$crate/fuzz"
sanitizer="${FUZZ_SANITIZER:-address}"

# cargo-fuzz passes -Zsanitizer and other -Z flags to rustc. They are unstable, so a stable
# compiler refuses them unless RUSTC_BOOTSTRAP=1 lets it accept unstable options. This is the
# same compiler (the stable toolchain ships the sanitizer runtimes); nothing else changes.
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked
fi

all_targets=$(cd "$crate" && cargo fuzz list)
targets="${FUZZ_TARGETS:-$all_targets}"

build_flags=(--sanitizer "$sanitizer")
echo "== building fuzz targets (sanitizer: $sanitizer)"
build_start=$(date +%s)
(cd "$crate" && cargo fuzz build "${build_flags[@]}")
echo "   built in $(( $(date +%s) - build_start )) s"

if [[ ! -d "$fuzz/seeds" || "${FUZZ_RESEED:-0}" == 1 ]]; then
    echo "== building seed corpora"
    rm -rf "$fuzz/seeds"
    python3 "$root/scripts/fuzz_seeds.py" "$fuzz/seeds"
fi

mkdir -p "$fuzz/logs"
failed=()
summary=()
for t in $targets; do
    mkdir -p "$fuzz/corpus/$t" "$fuzz/seeds/$t"
    log="$fuzz/logs/$t.log"
    echo "== $t for ${seconds} s (log: ${log#"$root"/})"
    status=0
    # -timeout: an input that takes 10 s is a hang worth reporting; -rss_limit_mb: a bound on
    # what one input may make lmcap allocate. The new corpus goes into corpus/<target>, the
    # seeds are read only.
    (cd "$crate" && cargo fuzz run "${build_flags[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1) || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    run_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
    corpus=$(find "$fuzz/corpus/$t" -type f | wc -l)
    if [[ $status -eq 0 ]]; then
        result="ok"
    else
        result="FAILED (exit $status)"
        failed+=("$t")
        grep -E "^(thread '.*' panicked|==[0-9]+==ERROR|SUMMARY|Test unit written|artifact_prefix)" "$log" \
            | head -n 8 | sed 's/^/   /' || true
    fi
    line=$(printf '%-14s %12s execs %8s execs/s %6s corpus  %s' "$t" "${execs:-?}" "${run_s:-?}" "$corpus" "$result")
    echo "   $line"
    summary+=("$line")
done

echo
echo "== summary (${seconds} s per target, sanitizer: $sanitizer)"
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "crashes or failures in: ${failed[*]} (inputs in rust/lmcap-core/fuzz/artifacts/<target>/)"
    exit 1
fi
