#!/usr/bin/env bash
# ./faaster bench cache: the code cache. Time until a 1 MiB and a 50 MiB package is usable on the node
# for an L1 hit, an L2 hit and an origin fetch; L2 serving throughput; origin GETs for 100 concurrent
# requests on a cold node; L1 and L1+L2 hit rates replaying a synthetic trace, with and without the
# per-tenant prefetch. Runs an embedded S3 origin and the zone cache in-process; no Temporal.
# Writes bench/results/cache.json. FAASTER_BENCH_RUNS (10) sets the L2/origin runs per package,
# FAASTER_BENCH_L1_RUNS (200) the L1-hit runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"
exec "$ROOT/bench/run-java-benchmark.sh" --no-temporal dev.faaster.bench.CacheBenchmark
