#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) in build-fuzz and runs
# each for SECONDS (default 30) from its corpus in tests/fuzz/corpus/. Inputs
# it finds go to a scratch directory, not the repository; a crash stops it
# with the input saved as crash-* in the working directory.
#
#   tests/fuzz/run_fuzzers.sh [SECONDS] [TARGET ...]     targets: json_request fix_mapping ws_frames
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json_request fix_mapping ws_frames)
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DBROKER_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j2 --target "${targets[@]/#/fuzz_}"
for t in "${targets[@]}"; do
  scratch=$(mktemp -d)
  echo "fuzzing $t for ${seconds}s"
  rc=0
  ./build-fuzz/fuzz_$t -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    "$scratch" "tests/fuzz/corpus/$t" > "$scratch.log" 2>&1 || rc=$?
  grep -E '^(INFO: seed corpus|#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$scratch.log" || true
  if [ "$rc" != 0 ]; then
    tail -n 80 "$scratch.log" >&2
    echo "fuzz_$t failed (exit $rc)" >&2
    exit 1
  fi
  rm -rf "$scratch" "$scratch.log"
done
