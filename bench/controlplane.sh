#!/usr/bin/env bash
# ./faaster bench controlplane: time to bring 10,000 instances up through the real workflows (slot,
# VM, code, routes, load) on a real Temporal dev server (127.0.0.1:7253, fresh store), with libvirt's
# in-process test driver (test:///default) as the hypervisor, then retire them all and check that
# nothing leaked. Writes bench/results/controlplane.json. Two modes side by side by default
# (FAASTER_BENCH_CP_MODE=both|single|batch): single, one ColdStartWorkflow per instance (500 when both
# run, FAASTER_BENCH_CP_SINGLE_INSTANCES), and batch, ProvisionInstancesWorkflow batches of 1,000
# (FAASTER_BENCH_CP_BATCH_SIZE) retired through RetireInstancesWorkflow. FAASTER_BENCH_INSTANCES
# (10000) sets the count; the worker tuning knobs (FAASTER_BENCH_CP_*) are listed in
# ControlPlaneBenchmark.Settings.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"
exec "$ROOT/bench/run-java-benchmark.sh" dev.faaster.bench.ControlPlaneBenchmark
