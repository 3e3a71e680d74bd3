#!/usr/bin/env bash
# Runs one Java benchmark main class of the bench module against a fresh Temporal dev server of its
# own. Builds what is needed first. Used by bench/NAME.sh.
#   bench/run-java-benchmark.sh [--no-temporal] MAIN_CLASS [ARGS...]
# --no-temporal: the benchmark needs no Temporal (e.g. vm); none is installed or started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export FAASTER_ROOT="$ROOT"
source "$ROOT/infra/scripts/common.sh"
with_temporal=true
if [[ "${1:-}" == --no-temporal ]]; then
  with_temporal=false
  shift
fi
main_class="$1"
shift

"$ROOT/infra/scripts/setup-host.sh"
if $with_temporal; then
  "$ROOT/infra/scripts/install-temporal.sh"
fi

log "bench: building the platform and the bench module"
(cd "$ROOT" && mvn -B -q -Dstyle.color=never -DskipTests install -pl bench -am) || die "build failed"
cp_file="$ROOT/.data/build/bench.classpath"
mkdir -p "$(dirname "$cp_file")"
(cd "$ROOT" && mvn -B -q -Dstyle.color=never -pl bench dependency:build-classpath -DincludeScope=runtime \
    -Dmdep.outputFile="$cp_file") || die "could not resolve the bench classpath"

# The project's own classes and jars are copied aside: other builds on this machine (mvn install)
# rewrite bench/target/classes and ~/.m2/repository/dev/faaster while a long benchmark runs, and a
# class loaded late from a half-written file fails with ClassFormatError.
snapshot="$(mktemp -d "${TMPDIR:-/tmp}/faaster-bench-cp.XXXXXX")"
temporal_started=false
on_exit() {
  if $temporal_started; then
    "$ROOT/infra/scripts/temporal-dev.sh" stop "${temporal_args[@]}" >/dev/null 2>&1 || true
  fi
  rm -rf "$snapshot"
}
trap on_exit EXIT
cp -r "$ROOT/bench/target/classes" "$snapshot/classes"
classpath="$snapshot/classes"
IFS=: read -r -a entries <"$cp_file" || true  # no newline at the end: read returns 1
for i in "${!entries[@]}"; do
  e="${entries[$i]}"
  if [[ "$e" == "$ROOT"/* || "$e" == */dev/faaster/* ]]; then
    copy="$snapshot/$i-$(basename "$e")"
    cp -r "$e" "$copy"
    e="$copy"
  fi
  classpath+=":$e"
done

if $with_temporal; then
  port="${FAASTER_BENCH_TEMPORAL_PORT:-7253}"
  temporal_args=(--port "$port" --ui-port $((port + 1000)) --data-dir "$ROOT/.data/bench/temporal" --fresh)
  temporal_started=true
  "$ROOT/infra/scripts/temporal-dev.sh" start "${temporal_args[@]}"
  export FAASTER_BENCH_TEMPORAL_ADDRESS="127.0.0.1:$port"
fi

platform_log="$ROOT/.data/bench/${main_class##*.}-platform.log"
mkdir -p "$(dirname "$platform_log")"
log "bench: running $main_class (the platform's log: $platform_log)"
export FAASTER_BENCH_RESULTS="${FAASTER_BENCH_RESULTS:-$ROOT/bench/results}"
java ${FAASTER_BENCH_JAVA_OPTS:-} -Duser.timezone=UTC -Dlogback.configurationFile="$ROOT/bench/logback-bench.xml" \
  -Dfaaster.bench.platform-log="$platform_log" \
  -cp "$classpath" "$main_class" "$@"
