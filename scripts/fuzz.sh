#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time (default 60 s each; FUZZ_SECONDS=N to change)
# with ASan+UBSan, starting from the seed corpus in tests/fuzz/corpus/. New interesting inputs
# collect in build/fuzz/corpus/<target>/ (not committed); a crash, hang or leak stops the run
# and leaves its input in build/fuzz/artifacts/. Prints the executions each target reached.
# With FUZZ_MERGE=1 the new inputs that add coverage are merged (libFuzzer's -merge=1) into
# tests/fuzz/corpus/<target>/, to be committed as regression inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
jobs=${JOBS:-2}
out=build/fuzz
CC=clang CXX=clang++ cmake -S . -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCOROUTE_FUZZ=ON -DCOROUTE_SANITIZE=address,undefined,fuzzer-no-link >/dev/null
targets=$(ls tests/fuzz/fuzz_*.cpp | sed 's|.*/fuzz_\(.*\)\.cpp|\1|')
for t in $targets; do cmake --build "$out" -j"$jobs" --target "fuzz_$t"; done
mkdir -p "$out/artifacts"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
status=0
for t in $targets; do
  mkdir -p "$out/corpus/$t"
  log="$out/fuzz_$t.log"
  if ! "$out/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$out/artifacts/$t-" \
       "$out/corpus/$t" "tests/fuzz/corpus/$t" > "$log" 2>&1; then
    echo "fuzz_$t: FAILED — see $log and $out/artifacts/"
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
  echo "fuzz_$t: $execs executions in ${seconds}s, coverage $cov edges"
  if [ "${FUZZ_MERGE:-0}" = 1 ]; then
    before=$(ls "tests/fuzz/corpus/$t" | wc -l)
    "$out/tests/fuzz/fuzz_$t" -merge=1 -timeout=10 -rss_limit_mb=2048 \
      "tests/fuzz/corpus/$t" "$out/corpus/$t" > "$out/merge_$t.log" 2>&1 || status=1
    echo "fuzz_$t: corpus $before -> $(ls "tests/fuzz/corpus/$t" | wc -l) inputs"
  fi
done
exit $status
