#!/usr/bin/env bash
# Runs one Java benchmark main class of the bench module against a fresh Temporal dev server of its
# own. Builds what is needed first. Used by bench/NAME.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"
main_class="$1"
shift

"$ROOT/infra/scripts/setup-host.sh"
"$ROOT/infra/scripts/install-temporal.sh"

log "bench: building the platform and the bench module"
(cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests install -pl bench -am) || die "build failed"
cp_file="$ROOT/.data/build/bench.classpath"
mkdir -p "$(dirname "$cp_file")"
(cd "$ROOT" && mvn -B -q -Dstyle.color=never -pl bench dependency:build-classpath -DincludeScope=runtime \
    -Dmdep.outputFile="$cp_file") || die "could not resolve the bench classpath"

port="${FAASTER_BENCH_TEMPORAL_PORT:-7253}"
temporal_args=(--port "$port" --ui-port $((port + 1000)) --data-dir "$ROOT/.data/bench/temporal" --fresh)
trap '"$ROOT/infra/scripts/temporal-dev.sh" stop "${temporal_args[@]}" >/dev/null 2>&1 || true' EXIT
"$ROOT/infra/scripts/temporal-dev.sh" start "${temporal_args[@]}"

log "bench: running $main_class"
export FAASTER_BENCH_TEMPORAL_ADDRESS="127.0.0.1:$port"
export FAASTER_BENCH_RESULTS="$ROOT/bench/results"
java -Duser.timezone=UTC -Dlogback.configurationFile="$ROOT/bench/logback-bench.xml" \
  -cp "$ROOT/bench/target/classes:$(cat "$cp_file")" "$main_class" "$@"
