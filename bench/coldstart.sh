#!/usr/bin/env bash
# ./faaster bench coldstart: end-to-end invocation latency through the HTTP API for a boot cold
# start, a template-restore cold start and a warm instance, both runtimes, with stage breakdowns;
# scheduler placements per second against filter-and-score; 10,000 instances through the control
# plane against libvirt's test driver. Starts its own Temporal dev server (127.0.0.1:7253, fresh
# store), runs the whole platform in-process (api, worker, node on qemu:///system) and writes
# bench/results/coldstart.json. FAASTER_BENCH_RESTORE_RUNS (20), FAASTER_BENCH_BOOT_RUNS (10),
# FAASTER_BENCH_WARM_PER_COLD (10), FAASTER_BENCH_WARM_RUNS (200 back to back on a quiet node, after
# FAASTER_BENCH_WARM_WARMUP (3000) unmeasured ones that warm the server's JIT up),
# FAASTER_BENCH_CONTROL_PLANE=false skips the 10,000 instances.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"
"$ROOT/infra/scripts/setup-host.sh"
"$ROOT/infra/scripts/libvirt-host.sh" start
for runtime in provided python3; do
  log "bench coldstart: guest image $runtime (cached by input digest)"
  "$ROOT/infra/guest/build-image.sh" "$runtime" >/dev/null || die "building the $runtime guest image failed"
done
exec "$ROOT/bench/run-java-benchmark.sh" dev.faaster.bench.ColdStartBenchmark
