#!/usr/bin/env bash
# Builds and runs the tests under sanitizers:
#   scripts/sanitize.sh asan   every suite with AddressSanitizer + UndefinedBehaviorSanitizer
#   scripts/sanitize.sh tsan   the core suites (runtime, async, store, jobs...) with ThreadSanitizer
# Findings fail the run; suppressions live in scripts/sanitizers/ with a comment proving each
# one a false positive.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-asan}
jobs=${JOBS:-2}
supp="$PWD/scripts/sanitizers"
case "$kind" in
  asan)
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_init_order=1:detect_stack_use_after_return=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  tsan)
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan" >&2
    exit 2
    ;;
esac
cmake --preset "$kind" >/dev/null
cmake --build --preset "$kind" -j"$jobs"
# Timing-bound smoke tests (bench) and the install test are for the normal build.
ctest --preset "$kind" -LE slow -E "app.bench"
