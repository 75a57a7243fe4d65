#!/usr/bin/env bash
# Builds and runs the tests under sanitizers; .ci/run runs both after the normal suite.
#   scripts/sanitize.sh asan   every CTest test, all labels, with AddressSanitizer + UBSan
#                              (+ LeakSanitizer), Debug, in build/asan
#   scripts/sanitize.sh tsan   the core suites (label core: runtime, async, combinators, store,
#                              trace, router, plan, and the /fs /db /http /sys jobs) with
#                              ThreadSanitizer, Debug, in build/tsan (target core_tests only)
# Any finding fails the run: ASan aborts, UBSan does not recover, TSan halts on the first report.
# Suppressions live in scripts/sanitizers/ with a comment proving each one a false positive.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-asan}
jobs=${JOBS:-2}
supp="$PWD/scripts/sanitizers"
launcher=()
case "$kind" in
  asan)
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_init_order=1:detect_stack_use_after_return=1"
    export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    ;;
  tsan)
    # ignore_noninstrumented_modules=1: accesses made by interceptors (malloc/free/memcpy...)
    # called from inside Debian's uninstrumented Qt (and libc, SQLite, curl) are not checked;
    # every access of our code and of inline Qt/std code still is. Why that is justified, and
    # what it costs, is in scripts/sanitizers/tsan.supp.
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1:suppressions=$supp/tsan.supp"
    # GCC 12's TSan fails at start ("unexpected memory mapping") on kernels that randomise
    # mmap with more bits than it knows; without ASLR it always fits.
    if setarch "$(uname -m)" -R true 2>/dev/null; then
      launcher=(setarch "$(uname -m)" -R)
    fi
    ;;
  *)
    echo "usage: scripts/sanitize.sh asan|tsan" >&2
    exit 2
    ;;
esac
./scripts/setup.sh
cmake --preset "$kind" >/dev/null
cmake --build --preset "$kind" -j"$jobs"
"${launcher[@]}" ctest --preset "$kind"
