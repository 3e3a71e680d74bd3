#!/usr/bin/env bash
# ./faaster bench deploy: publish latency and the share of it spent in durable orchestration.
# Starts its own Temporal dev server (127.0.0.1:7253, fresh store), runs the platform in-process
# and writes bench/results/deploy.json. FAASTER_BENCH_RUNS (30) sets the number of measured runs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"
exec "$ROOT/bench/run-java-benchmark.sh" dev.faaster.bench.DeployBenchmark
