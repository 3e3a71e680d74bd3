#!/usr/bin/env bash
# ./faaster bench vm: booting a micro VM against restoring one from a template, for both runtimes
# (provided, python3), side by side in one run; and PSS of 1, 10 and 50 clones of one template.
# Installs what the host needs, starts libvirtd (infra/scripts/libvirt-host.sh), builds (or reuses)
# both guest images, builds the bench module and runs dev.faaster.bench.VmBenchmark. No Temporal.
# Writes bench/results/vm.json. Every domain it creates is named bench-faaster-... and destroyed
# at the end, on failure and on Ctrl-C.
#   FAASTER_BENCH_BOOT_RUNS (20)     fresh boots per runtime (each 5-15 s under TCG)
#   FAASTER_BENCH_RESTORE_RUNS (50)  measured restores per runtime (after FAASTER_BENCH_RESTORE_WARMUP, 3)
#   FAASTER_BENCH_PSS_COUNTS (1,10,50), FAASTER_BENCH_PSS_RUNTIME (provided)
#   FAASTER_BENCH_SETTLE_MS (200)    pause between pre-creating a clone and restoring it
#   FAASTER_BENCH_ACCELERATOR (auto) auto|kvm|tcg
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"

"$ROOT/infra/scripts/setup-host.sh"
"$ROOT/infra/scripts/libvirt-host.sh" start

images=()
for runtime in provided python3; do
  log "bench vm: guest image $runtime (cached by input digest)"
  dir="$("$ROOT/infra/guest/build-image.sh" "$runtime")" || die "building the $runtime guest image failed"
  [[ -d "$dir" ]] || die "build-image.sh $runtime printed no image directory ('$dir')"
  images+=("$dir")
done

exec "$ROOT/bench/run-java-benchmark.sh" --no-temporal dev.faaster.bench.VmBenchmark "${images[@]}"
