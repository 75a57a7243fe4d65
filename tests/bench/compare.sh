#!/bin/sh
# Interleaved A/B runs of `coroute bench`, for a shared, noisy machine: each round runs every
# variant once, and the best (minimum) figure per variant is what README.md records.
#   tests/bench/compare.sh ROUNDS "WORKLOAD ARGS" LIBDIR...
# Each LIBDIR holds a libCorouteCore.so.0 built from one commit (LD_LIBRARY_PATH overrides the
# binary's RUNPATH); "-" means the library the binary was linked with.
# COROUTE_BIN defaults to build-rel/app/coroute.
set -eu
rounds=$1; workload=$2; shift 2
bin=${COROUTE_BIN:-build-rel/app/coroute}
out=$(mktemp)
i=0
while [ "$i" -lt "$rounds" ]; do
  for lib in "$@"; do
    if [ "$lib" = "-" ]; then line=$($bin bench $workload); else line=$(LD_LIBRARY_PATH=$lib $bin bench $workload); fi
    echo "$lib $line" >> "$out"
  done
  i=$((i + 1))
done
for lib in "$@"; do
  echo "== $lib ($workload): best of $rounds"
  grep "^$lib " "$out" | cut -d' ' -f2- | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
keys = [k for k in ("us_per_job", "wall_s", "start_s", "cancel_ms", "start_ms") if k in rows[0]]
best = min(rows, key=lambda r: r[keys[0]])
print(json.dumps(best, separators=(",", ":")))
print("   ", ", ".join("%s min %s median %s" % (k, min(r[k] for r in rows), sorted(r[k] for r in rows)[len(rows)//2]) for k in keys),
      "checks:", ",".join(sorted(set(r["check"] for r in rows))))
'
done
rm -f "$out"
