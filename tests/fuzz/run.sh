#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (in build/fuzz) and runs each for SECONDS, starting
# from the seed corpora in tests/fuzz/corpus. Prints the executions of each; a finding (a
# crash, a sanitizer report) stops the run with its input saved and a non-zero exit.
#   tests/fuzz/run.sh [SECONDS]
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$root/build/fuzz"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DHOOKSCOPE_FUZZ=ON -DHOOKSCOPE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target fuzz_all >/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in signature_headers payload_decoder raw_request csv http_framer; do
    mkdir -p "$work/$target"
    cp "$root/tests/fuzz/corpus/$target"/* "$work/$target"/
    log="$work/$target.log"
    if ! (cd "$work" && "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
            -max_len=65536 "$work/$target" >"$log" 2>&1); then
        tail -n 40 "$log"
        echo "fuzz_$target: FINDING (input saved in $work; rerun to reproduce)"
        trap - EXIT
        exit 1
    fi
    runs="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -n 1)"
    echo "fuzz_$target: ${runs:-no summary}, no findings"
done
