#!/usr/bin/env bash
# The two entry points of the README:
#   ./run.sh demo   installs what is missing, builds (Release) and runs the demo jobs
#   ./run.sh test   installs what is missing, builds (Debug, warnings as errors) and runs every test
set -euo pipefail
cd "$(dirname "$0")"

what=${1:-demo}
jobs=${JOBS:-2}
./scripts/setup.sh

case "$what" in
  demo)
    cmake --preset release >/dev/null
    cmake --build --preset release -j"$jobs"
    bin=build/release/app/coroute
    echo "== coroute routes"; "$bin" routes
    echo "== coroute call GET /sys/health"; "$bin" call GET /sys/health
    echo "== coroute call GET /demo/dashboard  (three 100 ms sources gathered concurrently)"
    "$bin" call GET /demo/dashboard --pretty
    echo "== coroute call POST /demo/batch  (8 items under a semaphore of 3)"
    "$bin" call POST /demo/batch --body '{"items": [1,2,3,4,5,6,7,8], "concurrency": 3}'
    echo "== coroute call GET /demo/tolerant  (one failing source tolerated)"
    "$bin" call GET /demo/tolerant --pretty
    echo "== coroute call GET /demo/items/42"; "$bin" call GET /demo/items/42
    echo "== coroute call GET /demo/items/abc  (422, exit code 1)"
    "$bin" call GET /demo/items/abc || echo "exit code $?"
    echo "== coroute call GET /demo/slow?timeout_ms=200  (times out, exit code 1)"
    "$bin" call 'GET' '/demo/slow?timeout_ms=200' || echo "exit code $?"
    echo "== coroute run resources/examples/dag.json  (a job plan: a DAG with references)"
    (cd resources/examples && "../../$bin" run dag.json --root data)
    echo "== coroute history runs  (every call and run above is in the local history)"
    "$bin" history runs --limit 10
    ;;
  test)
    cmake --preset ci >/dev/null
    cmake --build --preset ci -j"$jobs"
    ctest --preset ci
    ;;
  *)
    echo "usage: ./run.sh [demo|test]" >&2
    exit 2
    ;;
esac
