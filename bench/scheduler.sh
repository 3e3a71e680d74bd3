#!/usr/bin/env bash
# ./faaster bench scheduler: placements per second for 100,000 slots (1,000 nodes x 100 slots) with
# the slot scheduler (free lists per flavor) against a classic filter-and-score scheduler (resource
# fit, zone affinity, anti-affinity, scoring over all nodes), same cluster and requests, one run.
# Pure policy classes in one thread: no Temporal, no registry, no VMs.
# Writes bench/results/scheduler.json. FAASTER_BENCH_NODES (1000) sets the nodes, FAASTER_BENCH_ROUNDS
# (5) the measured rounds per scheduler (after 2 warm-up rounds).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"
exec "$ROOT/bench/run-java-benchmark.sh" --no-temporal dev.faaster.bench.SchedulerBenchmark
